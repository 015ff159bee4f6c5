"""Shared fixtures and the loopback-only guard for the whole suite."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl

import pytest
from hypothesis import HealthCheck, settings

# The stand-in Elasticsearch/Kibana fixtures, shared by tests/stages/, tests/probe/ and tests/render/.
from tests.support.standins import certs, ctx, make_es, make_kibana  # noqa: F401

# Property-based tests: a few seconds in the normal suite; `tox -e fuzz` (HYPOTHESIS_PROFILE=long)
# runs many more examples.
settings.register_profile("default", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=4000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

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


def pytest_report_header(config: pytest.Config) -> str:
    return f"OpenSSL: {ssl.OPENSSL_VERSION}"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beats and HTTP clients honour proxy variables; tests must not inherit them."""
    for var in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
