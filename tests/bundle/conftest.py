"""Fixtures for the bundle tests: the PKI and the loopback stack, one per module."""

from __future__ import annotations

from typing import Iterator

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from esprobe.demo.standins.server import TlsConfig
from tests.support.bundle import (
    CLOUD_AUTH_PW,
    CONFIG_PW,
    ENV_PW,
    MONITOR_ROLE,
    Pki,
    Stack,
)
from tests.support.cli import WRITER_ROLE


@pytest.fixture(scope="session")
def bundle_pki() -> Pki:
    ca = pki.CertAuthority.root("esprobe bundle test CA")
    intermediate = ca.intermediate()
    server = intermediate.issue(
        "es01.test", dns=["es01.test", "kb01.test", "es.test", "kibana.test", "mon.test"], ips=["127.0.0.1"]
    )
    client = intermediate.issue(subject=pki.name("beats01", o="acme", ou="ops"), extended_key_usage=[pki.CLIENT_AUTH])
    return Pki(ca, intermediate, server, client)


@pytest.fixture(scope="module")
def stack(bundle_pki: Pki) -> Iterator[Stack]:
    tls = TlsConfig.from_issued(bundle_pki.server, client_auth="optional", client_ca_pem=bundle_pki.ca.cert_pem)
    es = FakeElasticsearch("8.x", tls=tls)
    es.add_role("metricbeat_writer", **WRITER_ROLE)
    es.add_role("beats_monitoring", **MONITOR_ROLE)
    es.add_user("writer", CLOUD_AUTH_PW, roles=["metricbeat_writer"])
    es.add_user("mon_literal", CONFIG_PW, roles=["beats_monitoring"])
    es.add_user("mon_env", ENV_PW, roles=["beats_monitoring"])
    es.add_user("kib", "kib-unused-pw", roles=["kibana_admin"])
    created = es.create_api_key("kib", "beats-setup")
    es.start()
    kibana = FakeKibana(es, tls=TlsConfig.from_issued(bundle_pki.server)).start()
    zone = Zone(a={"node.test": ["127.0.0.1"]}, cname={"mon.test": "node.test"})
    dns = FakeDns(zone).start()
    try:
        yield Stack(es, kibana, dns, f"{created['id']}:{created['api_key']}")
    finally:
        dns.stop()
        kibana.stop()
        es.stop()
