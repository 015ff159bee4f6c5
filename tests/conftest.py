"""Shared fixtures and the loopback-only guard for the whole suite."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest
from hypothesis import HealthCheck, settings

from esprobe.context import Deadline, ProbeContext
from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from tests.support.markers import is_e2e
from tests.support.standins import Certs, populate

# Property-based tests: a few seconds in the normal suite; `tox -e fuzz` (HYPOTHESIS_PROFILE=long)
# runs many more examples.
settings.register_profile("default", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=4000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Files the tests write rely on the usual umask: under 0002 (many desktops) a config file would be
# group-writable, which the Beat's strict.perms check, and so esprobe, rightly fails.
os.umask(0o022)

_REAL_CONNECT = socket.socket.connect
_REAL_CONNECT_EX = socket.socket.connect_ex
_REAL_SENDTO = socket.socket.sendto


def _allowed(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = str(address[0]).split("%", 1)[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: tests must resolve through the loopback fakes, not the network


def _guarded(real):  # type: ignore[no-untyped-def]
    def method(self, *args):  # type: ignore[no-untyped-def]
        address = args[-1]
        if not _allowed(address):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real(self, *args)

    return method


def pytest_configure(config: pytest.Config) -> None:
    # The brief: tests send traffic only to 127.0.0.0/8 and ::1. Enforced, not hoped for.
    socket.socket.connect = _guarded(_REAL_CONNECT)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(_REAL_CONNECT_EX)  # type: ignore[method-assign]
    socket.socket.sendto = _guarded(_REAL_SENDTO)  # type: ignore[method-assign]


# Slow end-to-end tests get the `e2e` marker here, from the one list in tests/support/markers.py.
def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        if is_e2e(item.path):
            item.add_marker(pytest.mark.e2e)


def pytest_report_header(config: pytest.Config) -> str:
    return f"OpenSSL: {ssl.OPENSSL_VERSION}"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beats and HTTP clients honour proxy variables; tests must not inherit them."""
    for var in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)


# --- the stand-in Elasticsearch and Kibana, for tests/stages/, tests/probe/ and tests/render/ ----------------
# (tests/demo/standins/ has its own `certs`: the stand-ins' own tests need other certificates)

@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    directory = tmp_path_factory.mktemp("es-pki")
    ca = pki.CertAuthority.root("esprobe es test CA")
    intermediate = ca.intermediate()
    server = intermediate.issue("es.test", dns=["es.test", "kibana.test", "other.test", "localhost"], ips=["127.0.0.1"])
    client = intermediate.issue(subject=pki.name("beats01", c="US", o="acme", ou="ops"),
                                extended_key_usage=[pki.CLIENT_AUTH])
    no_cn = intermediate.issue(subject=pki.name(None, o="acme", ou="ops"), extended_key_usage=[pki.CLIENT_AUTH])
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    return Certs(ca, server, client, no_cn, ca_file)


@pytest.fixture
def ctx(tmp_path: Path) -> Callable[..., ProbeContext]:
    """A ProbeContext whose names resolve through a hosts file only (es.test, kibana.test, other.test -> 127.0.0.1)."""
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 es.test kibana.test other.test\n")
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("hosts: files\n")

    def make(timeout: float = 3.0, beat: str = "metricbeat") -> ProbeContext:
        return ProbeContext(timeout=timeout, deadline=Deadline(timeout * 4), hosts_file=str(hosts),
                            hosts_file_overridden=True, nsswitch_conf=str(nsswitch), beat=beat)

    return make


@pytest.fixture
def make_es(certs: Certs) -> Iterator[Callable[..., FakeElasticsearch]]:
    """Start a populated stand-in Elasticsearch; ``tls="default"`` is HTTPS with the test server certificate."""
    started: List[Any] = []

    def make(flavour: str = "8.x", *, tls: Any = "default", **options: Any) -> FakeElasticsearch:
        config = certs.tls() if tls == "default" else tls
        es = populate(FakeElasticsearch(flavour, tls=config, **options)).start()
        started.append(es)
        return es

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def make_kibana(certs: Certs) -> Iterator[Callable[..., FakeKibana]]:
    started: List[Any] = []

    def make(
        es: Optional[FakeElasticsearch], version: str = "8.15", *, tls: Any = "default", **options: Any
    ) -> FakeKibana:
        config = certs.tls() if tls == "default" else tls
        kibana = FakeKibana(es, version=version, tls=config, **options).start()
        started.append(kibana)
        return kibana

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    """A loopback DNS server knowing es.test and proxy.test, for runs that must never ask the machine's DNS."""
    with FakeDns(Zone(a={"es.test": ["127.0.0.1"], "proxy.test": ["127.0.0.1"]})) as dns:
        yield dns.nameserver
