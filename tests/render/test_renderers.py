"""Renderers are pure: Report in, text out. Checked against the report schema and the formats' grammars."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from esprobe.model import Finding, Severity
from esprobe.render.json import render_json
from esprobe.render.nagios import render_nagios
from esprobe.render.prometheus import render_prometheus
from esprobe.render.table import render_table
from tests.support import factories
from tests.support.schema import validate_report

REPORTS = {
    "healthy": factories.report([factories.healthy(client_days=20)]),
    "mixed": factories.report([factories.healthy(), factories.failing_tls(), factories.plain_http()]),
    "config-broken": factories.report(
        [], [Finding("config-credentials-conflict", Severity.FAIL, "cannot set both api_key and username/password",
                     "Remove one.", "output.elasticsearch.api_key", "metricbeat.yml:7")]),
    "empty": factories.report([]),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_json_validates_against_the_schema(name: str) -> None:
    """Every JSON report the renderers produce validates against the committed schema."""
    document = json.loads(render_json(REPORTS[name]))
    validate_report(document)


def test_json_carries_exit_code_and_status_consistently() -> None:
    document = json.loads(render_json(REPORTS["mixed"]))
    assert (document["status"], document["exit_code"]) == ("fail", 2)
    assert [t["status"] for t in document["targets"]] == ["ok", "fail", "warn"]
    assert document["targets"][2]["stages"][2]["summary"].startswith("not applicable")
    config_broken = json.loads(render_json(REPORTS["config-broken"]))
    assert (config_broken["status"], config_broken["exit_code"]) == ("unknown", 3)
    assert config_broken["findings"][0]["location"] == "metricbeat.yml:7"


def test_schema_rejects_a_broken_report() -> None:
    """The schema is not vacuous: a missing details key, a bad status or a stray stage fail it."""
    document = json.loads(render_json(REPORTS["healthy"]))
    del document["targets"][0]["stages"][2]["details"]["trust"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report(document)
    document = json.loads(render_json(REPORTS["healthy"]))
    document["targets"][0]["stages"][0]["stage"] = "credentials"
    with pytest.raises(jsonschema.ValidationError):
        validate_report(document)
    document = json.loads(render_json(REPORTS["healthy"]))
    document["exit_code"] = 2
    with pytest.raises(jsonschema.ValidationError):
        validate_report(document)


def test_table_has_every_stage_finding_and_hint() -> None:
    text = render_table(REPORTS["mixed"], color=False)
    assert "kibana  https://kb.example.com:5601  FAIL" in text
    assert "tls-unknown-ca: x509: certificate signed by unknown authority" in text
    assert "→ Set setup.kibana.ssl.certificate_authorities." in text
    assert "result: FAIL — 3 targets (1 fail, 1 warn, 1 ok) — exit 2" in text
    assert "\033[" not in text


def test_table_colour_only_when_asked() -> None:
    assert "\033[31m" in render_table(REPORTS["mixed"], color=True)


# --- Nagios ---------------------------------------------------------------------------------------

# label=value[UOM];[warn];[crit];[min];[max] with the guidelines' UOMs and range syntax.
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


# --- Prometheus -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REPORTS))
def test_prometheus_output_parses_with_the_reference_parser(name: str) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(render_prometheus(REPORTS[name]))}
    for required in ("esprobe_target_up", "esprobe_stage_status", "esprobe_certificate_expiry_timestamp_seconds",
                     "esprobe_stage_duration_seconds", "esprobe_last_run_timestamp_seconds"):
        assert required in families
        assert families[required].type == "gauge"


def test_prometheus_values() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(render_prometheus(REPORTS["mixed"])):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    run = (("beat", "metricbeat"), ("config", "/etc/metricbeat/metricbeat.yml"))
    es = tuple(sorted(run + (("role", "elasticsearch"), ("url", "https://es1.example.com:9200"))))
    kb = tuple(sorted(run + (("role", "kibana"), ("url", "https://kb.example.com:5601"))))
    assert samples[("esprobe_target_up", es)] == 1
    assert samples[("esprobe_target_up", kb)] == 0
    assert samples[("esprobe_stage_status", tuple(sorted(kb + (("stage", "tls"),))))] == 2
    assert samples[("esprobe_stage_status", tuple(sorted(kb + (("stage", "hostname"),))))] == 3
    expiry = tuple(sorted(es + (("subject", "CN=es1.example.com"),)))
    assert samples[("esprobe_certificate_expiry_timestamp_seconds", expiry)] == 1803484800
    assert samples[("esprobe_certificate_expiry_seconds", expiry)] == 1803484800 - 1795968000
    assert samples[("esprobe_last_run_timestamp_seconds", run)] == 1795968000
    # stages that do not apply are left out rather than reported as a state
    mon = tuple(sorted(run + (("role", "monitoring"), ("url", "http://[::1]:9200"))))
    assert ("esprobe_stage_status", tuple(sorted(mon + (("stage", "tls"),)))) not in samples
