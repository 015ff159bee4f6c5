"""The Nagios renderer: the plugin grammar's first line, perfdata and long output."""

from __future__ import annotations

import re

import pytest

from esprobe.render.nagios import render_nagios
from tests.support.factories import REPORTS

_RANGE = r"(@?(~|[-0-9.]+)?:?([-0-9.]+)?)?"
_PERF = re.compile(r"^'[^'=]+'=-?[0-9.]+(s|ms|us|%|B|KB|MB|TB|c)?;" + _RANGE + ";" + _RANGE + r";[-0-9.]*;[-0-9.]*$")


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_nagios_first_line_follows_the_plugin_grammar(name: str) -> None:
    report = REPORTS[name]
    lines = render_nagios(report).splitlines()
    first = lines[0]
    state = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[report.exit_code]
    assert first.startswith(f"ESPROBE {state} - ")
    assert first.count("|") == 1
    text, perfdata = first.split(" | ")
    assert text.strip()
    for item in perfdata.split(" "):
        assert _PERF.match(item), item
    assert all("|" not in line for line in lines[1:])


def test_nagios_perfdata_and_long_output() -> None:
    lines = render_nagios(REPORTS["mixed"]).splitlines()
    assert "'elasticsearch[0]_cert_days'=87;30:;7:;;" in lines[0]
    assert "'elasticsearch[0]_tls_ms'=12.25ms;;;0;" in lines[0]
    assert "'targets_ok'=1;;;0;3 'targets_warn'=1;;;0;3 'targets_fail'=1;;;0;3" in lines[0]
    assert "kibana tls: tls-unknown-ca" in lines[0]
    assert "(1 fail, 1 warn, 1 ok of 3 targets)" in lines[0]
    assert lines[1:] == [
        "kibana tls FAIL: [tls-unknown-ca] x509: certificate signed by unknown authority / ûnicôdé",
        "monitoring[0] auth WARN: [tcp-some-addresses-failed] placeholder warning",
    ]
    healthy = render_nagios(REPORTS["healthy"]).splitlines()
    assert "'elasticsearch[0]_client_cert_days'=20;30:;7:;;" in healthy[0]
    assert len(healthy) == 1


def test_nagios_summary_reads_as_the_readme_shows_it() -> None:
    """README: all passing -> '<n> targets ok (<ids>)'; otherwise the lead findings, then the non-zero counts."""
    from tests.support import factories

    ok = render_nagios(factories.report([factories.healthy()])).splitlines()[0]
    assert re.match(r"ESPROBE OK - 1 target ok \(elasticsearch\[0\]\) \| ", ok), ok
    failing = render_nagios(factories.report([factories.failing_tls()])).splitlines()[0]
    assert re.match(r"ESPROBE CRITICAL - kibana tls: tls-unknown-ca \(1 fail of 1 target\) \| ", failing), failing
