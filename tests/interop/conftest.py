"""
Fixtures of the interop suite: esprobe against real servers nobody here wrote.

Every server runs on 127.0.0.1 with an ephemeral port and its files under a pytest tmp dir; a
missing binary skips loudly (or fails under CI=true, see `servers.require_binary`). Name
resolution never leaves loopback: esprobe gets ``--hosts-file`` and ``--nameserver``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from esprobe.demo.standins.dns import FakeDns, Zone
from tests.support.interop_servers import ServerProcess, Servers


@pytest.fixture(scope="session", autouse=True)
def _no_server_left_behind() -> Iterator[None]:
    """Whatever a fixture failed to stop is stopped when the session ends."""
    yield
    ServerProcess.stop_all()


@pytest.fixture(scope="module")
def dns_stub() -> Iterator[FakeDns]:
    """
    A nameserver that knows no name at all. esprobe cross-checks every name in DNS even when the
    hosts file has it; an answering nameserver keeps that instant (a dead one costs 1 s a target).
    """
    with FakeDns(Zone()) as dns:
        yield dns


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """One directory per test module for configs, certificates and server files."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def servers(workdir: Path) -> Iterator[Servers]:
    """Starts real servers (nginx, s_server, dnsmasq, tinyproxy) for a module; stops them all after it."""
    started = Servers(workdir)
    try:
        yield started
    finally:
        started.stop_all()
