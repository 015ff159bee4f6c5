"""
Issue #17, point 1: a certificate within --crit-days is an alarm, not a broken connection. The later
stages run (a wrong password still shows), the run is still CRITICAL / exit 2, and Prometheus keeps
reachability (target_up 1) apart from expiry (seconds left as its own series).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.server import TlsConfig
from tests.support.cli import WRITER_PASSWORD, WRITER_ROLE, Stack
from tests.support.schema import validate_report


@pytest.fixture(scope="module")
def expiring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Elasticsearch whose certificate expires in three days (inside the default --crit-days 7)."""
    directory = tmp_path_factory.mktemp("expiry")
    ca = pki.CertAuthority.root("esprobe expiry test CA")
    server = ca.issue("es.test", dns=["es.test"], days=3)
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    es = FakeElasticsearch(tls=TlsConfig.from_issued(server))
    es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
    es.add_user("beats_writer", WRITER_PASSWORD, ["metricbeat_writer"])
    dns = FakeDns(Zone(a={"es.test": ["127.0.0.1"]}))
    with dns, es:
        yield Stack(directory, dns, es, None, ca, ca_file)  # type: ignore[arg-type]


def _config(stack: Stack) -> Path:
    return stack.config("\n".join([
        "output.elasticsearch:",
        f'  hosts: ["https://es.test:{stack.es.port}"]',
        "  username: beats_writer",
        '  password: "${ES_PWD}"',
        f'  ssl.certificate_authorities: ["{stack.ca_file}"]',
    ]) + "\n")


def _stages(document: dict) -> dict:
    return {s["stage"]: s for s in document["targets"][0]["stages"]}


def test_critical_expiry_fails_the_run_but_the_later_stages_run(expiring: Stack) -> None:
    result = expiring.run("-c", str(_config(expiring)), "--format", "json")
    document = json.loads(result.out)
    validate_report(document)
    stages = _stages(document)
    assert (result.code, document["status"], stages["tls"]["status"]) == (2, "fail", "fail")
    [alarm] = [f for f in stages["tls"]["findings"] if f["code"] == "tls-cert-expires-critical"]
    assert alarm["blocking"] is False
    assert [stages[s]["status"] for s in ("hostname", "http", "auth", "privileges")] == ["ok"] * 4


def test_a_wrong_password_is_not_hidden_behind_the_expiry(expiring: Stack) -> None:
    result = expiring.run("-c", str(_config(expiring)), "--format", "json", environ={"ES_PWD": "wrong-one"})
    stages = _stages(json.loads(result.out))
    assert stages["auth"]["status"] == "fail"
    assert [f["code"] for f in stages["auth"]["findings"]] == ["auth-wrong-password"]
    assert stages["auth"]["findings"][0]["blocking"] is True


def test_warn_days_alone_warn_and_nagios_names_the_expiry(expiring: Stack) -> None:
    result = expiring.run("-c", str(_config(expiring)), "--format", "nagios", "--crit-days", "1")
    first, *rest = result.out.splitlines()
    assert result.code == 1
    assert first.startswith("ESPROBE WARNING - elasticsearch[0] tls: tls-cert-expires-soon (1 warn of 1 target)")
    assert any("[tls-cert-expires-soon]" in line and "days left" in line for line in rest), rest
    assert not any("chain verified" in line for line in rest)


def test_nagios_critical_for_crit_days(expiring: Stack) -> None:
    result = expiring.run("-c", str(_config(expiring)), "--format", "nagios")
    assert result.code == 2
    assert result.out.startswith("ESPROBE CRITICAL - elasticsearch[0] tls: tls-cert-expires-critical")
    assert "(1 fail of 1 target)" in result.out.splitlines()[0]


def test_prometheus_keeps_up_and_expiry_apart(expiring: Stack) -> None:
    result = expiring.run("-c", str(_config(expiring)), "--format", "prometheus")
    assert result.code == 2
    samples = {}
    for family in text_string_to_metric_families(result.out):
        for sample in family.samples:
            assert sample.labels["beat"] == "metricbeat", sample
            assert sample.labels["config"] == str(expiring.directory / "metricbeat.yml"), sample
            samples.setdefault(sample.name, []).append(sample)
    assert [s.value for s in samples["esprobe_target_up"]] == [1]
    assert [s.value for s in samples["esprobe_target_status"]] == [2]
    leaf = [s for s in samples["esprobe_certificate_expiry_seconds"] if s.labels["subject"].startswith("CN=es.test")]
    assert len(leaf) == 1 and 2 * 86400 < leaf[0].value <= 3 * 86400
