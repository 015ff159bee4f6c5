"""The Prometheus renderer: parsed by the reference parser, values as documented."""

from __future__ import annotations

import pytest

from esprobe.render.prometheus import render_prometheus
from tests.support.factories import REPORTS


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
