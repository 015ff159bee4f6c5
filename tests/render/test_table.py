"""The table hides nothing (issue #17, points 3 and 4): wrapped summaries, unbroken snippets, -v facts."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict

import pytest

from esprobe import findings
from esprobe.model import Finding, Severity, Stage
from esprobe.render.table import render_table
from tests.support import factories
from tests.support.factories import REPORTS


def _with_tls_summary(summary: str):  # type: ignore[no-untyped-def]
    healthy = factories.healthy()
    stages = tuple(dataclasses.replace(s, summary=summary) if s.stage is Stage.TLS else s for s in healthy.stages)
    return dataclasses.replace(healthy, stages=stages)


def test_long_summaries_wrap_instead_of_being_cut() -> None:
    words = [f"word{i:02d}" for i in range(40)]
    text = render_table(factories.report([_with_tls_summary(" ".join(words) + " END")]))
    assert "…" not in text
    flat = " ".join(text.split())
    assert " ".join(words) + " END" in flat
    assert max(len(line) for line in text.splitlines()) <= 100


def test_snippets_and_code_spans_are_never_broken() -> None:
    body = '{"cluster":["monitor"],"indices":[{"names":["metricbeat-*"],"privileges":["create_doc","auto_configure"]}]}'
    hint = ("Grant the index privilege `auto_configure` on `metricbeat-*` in one of the user's roles, e.g."
            + findings.snippet("PUT /_security/role/metricbeat_writer", body) + "and assign it to the user. Then set "
            "`output.elasticsearch.ssl.certificate_authorities: [\"/etc/metricbeat/a-rather-long-path/ca.crt\"]`.")
    finding = Finding("privileges-missing-required", Severity.FAIL, "missing", hint)
    healthy = factories.healthy()
    stages = tuple(dataclasses.replace(s, findings=(finding,)) if s.stage is Stage.PRIVILEGES else s
                   for s in healthy.stages)
    lines = render_table(factories.report([dataclasses.replace(healthy, stages=stages)])).splitlines()
    assert "        PUT /_security/role/metricbeat_writer" in lines
    assert "        " + body in lines  # its own line, whole, though longer than the table is wide
    assert any('`output.elasticsearch.ssl.certificate_authorities: ["/etc/metricbeat/a-rather-long-path/ca.crt"]`.'
               in line for line in lines)
    assert any(line.strip() == "and assign it to the user. Then set" for line in lines)


def test_verbose_shows_the_facts_of_a_passing_target() -> None:
    report = factories.report([factories.healthy(client_days=20)])
    quiet = render_table(report)
    loud = render_table(report, verbose=True)
    assert "sha256" not in quiet
    for fact in ("addresses: 127.0.0.1 (hosts-file)", "tried: 127.0.0.1 connected",
                 "tls: TLSv1.3, TLS_AES_256_GCM_SHA384, trust: configured-ca (/etc/metricbeat/ca.crt)",
                 "server certificate: CN=es1.example.com", "issuer: CN=Test CA",
                 "not_after: 2027-02-24T16:00:00Z (87 days left)", "SANs: es1.example.com", "sha256: " + "ab" * 32,
                 "client certificate: CN=beats01", "server: elasticsearch 8.15.0, HTTP 200",
                 "identity: elastic by basic, realm native1\n"):
        assert fact in loud, fact


@pytest.mark.parametrize(
    ("auth", "line"),
    [({"method": "basic", "username": "u", "realm": "default_native", "realm_type": "native",
       "authentication_type": "realm", "roles": ["metricbeat_writer", "kibana_admin"]},
      "identity: u by basic, realm default_native (type native), roles metricbeat_writer, kibana_admin"),
     ({"method": "api_key", "username": "u", "realm": "_es_api_key", "realm_type": "_es_api_key",
       "authentication_type": "api_key", "roles": []},
      "identity: u by api_key, realm _es_api_key (type _es_api_key), authentication type api_key"),
     ({"method": "none", "username": "_anonymous", "authentication_type": "anonymous", "roles": None},
      "identity: _anonymous by none, authentication type anonymous")],
)
def test_verbose_identity_reads_as_words(auth: Dict[str, Any], line: str) -> None:
    healthy = factories.healthy()
    stages = tuple(dataclasses.replace(s, details=auth) if s.stage is Stage.AUTH else s for s in healthy.stages)
    text = render_table(factories.report([dataclasses.replace(healthy, stages=stages)]), verbose=True)
    assert "    " + line + "\n" in text


def test_table_lists_a_targets_findings_root_cause_first_across_stages() -> None:
    failing = factories.failing_tls()
    cause = Finding("tls-fingerprint-not-ca", Severity.WARN, "the fingerprint is the node's certificate")
    stages = tuple(dataclasses.replace(s, findings=s.findings + (cause,)) if s.stage is Stage.TLS else s
                   for s in failing.stages)
    text = render_table(factories.report([dataclasses.replace(failing, stages=stages)]))
    assert text.index("tls-fingerprint-not-ca:") < text.index("tls-unknown-ca:")


def test_verbose_names_no_identity_when_auth_failed() -> None:
    healthy = factories.healthy()
    failed = Finding("auth-wrong-password", Severity.FAIL, "401")
    stages = tuple(dataclasses.replace(s, status=failed.status, findings=(failed,)) if s.stage is Stage.AUTH else s
                   for s in healthy.stages)
    text = render_table(factories.report([dataclasses.replace(healthy, stages=stages)]), verbose=True)
    assert "identity: not established (sent: basic)" in text and "identity: elastic" not in text


def test_table_has_every_stage_finding_and_hint() -> None:
    text = render_table(REPORTS["mixed"], color=False)
    assert "kibana  https://kb.example.com:5601  FAIL" in text
    assert "tls-unknown-ca: x509: certificate signed by unknown authority" in text
    assert "→ Set setup.kibana.ssl.certificate_authorities." in text
    assert "result: FAIL — 3 targets (1 fail, 1 warn, 1 ok) — exit 2" in text
    assert "\033[" not in text


def test_table_colour_only_when_asked() -> None:
    assert "\033[31m" in render_table(REPORTS["mixed"], color=True)
