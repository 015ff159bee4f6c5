"""The privileges stage end to end: publishing and monitoring privileges by server version."""

from __future__ import annotations

from typing import List

import pytest

from esprobe.model import Role, Stage, Status
from tests.support.standins import (
    MINIMAL_PW,
    MONITOR_PW,
    NOCREATE_PW,
    NOMON_PW,
    WRITER_PW,
    api_key,
    basic,
    codes,
    probe,
    stage,
    target,
)


def test_full_writer_role_passes_with_checked_labels(make_es, certs, ctx) -> None:
    privileges = stage(probe(target(make_es(), certs=certs, credentials=basic("writer", WRITER_PW)), ctx()),
                       Stage.PRIVILEGES)
    assert Status.OK == privileges.status
    assert ["cluster:monitor", "cluster:read_ilm", "index:metricbeat-*:create_doc",
            "index:metricbeat-*:auto_configure"] == privileges.details["checked"]
    assert [] == privileges.details["missing"]


def test_missing_monitor_fails_and_quotes_the_403(make_es, certs, ctx) -> None:
    """monitor missing: GET / is refused (the http stage still identifies Elasticsearch) and the privilege fails."""
    report = probe(target(make_es(), certs=certs, credentials=basic("nomon", NOMON_PW)), ctx())
    http, privileges = stage(report, Stage.HTTP), stage(report, Stage.PRIVILEGES)
    assert (Status.OK, 403) == (http.status, http.details["status_code"])
    assert Status.FAIL == privileges.status
    assert ["cluster:monitor"] == privileges.details["missing"]
    assert ["privileges-missing-required"] == codes(privileges)
    finding = privileges.findings[0]
    assert ("action [cluster:monitor/main] is unauthorized for user [nomon] with effective roles [writer_no_monitor], "
            "this action is granted by the cluster privileges [monitor,manage,all]") in finding.message
    assert "writer_no_monitor" in finding.hint and '"monitor"' in finding.hint


def test_missing_create_doc_fails(make_es, certs, ctx) -> None:
    privileges = stage(probe(target(make_es(), certs=certs, credentials=basic("nocreate", NOCREATE_PW)), ctx()),
                       Stage.PRIVILEGES)
    assert (Status.FAIL, ["index:metricbeat-*:create_doc"]) == (privileges.status, privileges.details["missing"])
    assert "action [indices:data/write/bulk[s]]" in privileges.findings[0].message
    assert "granted by the index privileges [create_doc,create,index,write,all]" in privileges.findings[0].message


@pytest.mark.parametrize(
    ("flavour", "missing"),
    [
        ("8.x", ["cluster:read_ilm", "index:metricbeat-*:auto_configure"]),
        ("8.14", ["cluster:read_ilm", "index:metricbeat-*:auto_configure"]),
        ("7.17", ["cluster:read_ilm", "index:metricbeat-*:view_index_metadata"]),
    ],
)
def test_optional_privileges_only_warn(make_es, certs, ctx, flavour: str, missing: List[str]) -> None:
    """monitor + create_doc only: the rest is asked by server version and is a warning, saying when it is needed."""
    privileges = stage(probe(target(make_es(flavour), certs=certs, credentials=basic("minimal", MINIMAL_PW)), ctx()),
                       Stage.PRIVILEGES)
    assert (Status.WARN, missing) == (privileges.status, privileges.details["missing"])
    assert {"privileges-missing-optional"} == set(codes(privileges))
    assert "setup.ilm.check_exists: false" in privileges.findings[0].message


def test_7x_wording_of_the_403(make_es, certs, ctx) -> None:
    privileges = stage(probe(target(make_es("7.17"), certs=certs, credentials=basic("minimal", MINIMAL_PW)), ctx()),
                       Stage.PRIVILEGES)
    assert "user [minimal] with roles [writer_minimal]" in privileges.findings[0].message


def test_filebeat_asks_read_pipeline(make_es, certs, ctx) -> None:
    report = probe(target(make_es(), certs=certs, credentials=basic("minimal", MINIMAL_PW), index_pattern="filebeat-*"),
                   ctx(beat="filebeat"))
    privileges = stage(report, Stage.PRIVILEGES)
    assert "cluster:read_pipeline" in privileges.details["checked"]
    assert "cluster:read_pipeline" in privileges.details["missing"]
    assert "index:filebeat-*:create_doc" in privileges.details["missing"]


def test_api_key_limited_by_its_descriptors(make_es, certs, ctx) -> None:
    """A key whose role descriptors lack create_doc: the hint speaks of the key and its owner."""
    es = make_es()
    key = es.create_api_key("writer", "read-only", role_descriptors={
        "ro": {"cluster": ["monitor", "read_ilm"], "indices": [{"names": ["metricbeat-*"], "privileges": ["read"]}]}})
    privileges = stage(probe(target(es, certs=certs, credentials=api_key(f"{key['id']}:{key['api_key']}")), ctx()),
                       Stage.PRIVILEGES)
    assert "index:metricbeat-*:create_doc" in privileges.details["missing"]
    finding = privileges.findings[0]
    assert f"API key id [{key['id']}] of user [writer]" in finding.message
    assert "POST /_security/api_key" in finding.hint and "role_descriptors" in finding.hint
    assert key["api_key"] not in finding.message + finding.hint


def test_monitoring_privileges(make_es, certs, ctx) -> None:
    es = make_es()
    good = stage(probe(target(es, role=Role.MONITORING, certs=certs, credentials=basic(
        "monitor_user", MONITOR_PW, "monitoring.elasticsearch", "monitoring.elasticsearch.password")), ctx()),
        Stage.PRIVILEGES)
    assert Status.OK == good.status
    assert ["cluster:monitor", "index:.monitoring-beats-*:create_index", "index:.monitoring-beats-*:create_doc"] == \
        good.details["checked"]
    bad = stage(probe(target(es, role=Role.MONITORING, certs=certs, credentials=basic("writer", WRITER_PW)), ctx()),
                Stage.PRIVILEGES)
    assert Status.FAIL == bad.status
    assert {"privileges-missing-monitoring"} == set(codes(bad))
    assert ["index:.monitoring-beats-*:create_index", "index:.monitoring-beats-*:create_doc"] == bad.details["missing"]
    assert "beats_system" in bad.findings[0].hint
