"""Fixtures for the hostile-peer tests: the loopback stack and the hostile peer's certificate."""

from __future__ import annotations

import json
import ssl
import time
import tracemalloc
from typing import Any, Dict, Iterator

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from esprobe.demo.standins.server import TlsConfig
from tests.support import hostile_peers as peers
from tests.support.cli import WRITER_PASSWORD, WRITER_ROLE, Stack
from tests.support.hostile import HOSTILE, TIMEOUT, Run, RunAgainst, hostile_config


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The healthy stand-in target (es.test) and the resolver that also knows hostile.test."""
    directory = tmp_path_factory.mktemp("hostile")
    ca = pki.CertAuthority.root("esprobe hostile-peer test CA")
    server = ca.issue("es.test", dns=["es.test", "kibana.test"], ips=["127.0.0.1"])
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    es = FakeElasticsearch(tls=TlsConfig.from_issued(server))
    es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
    es.add_user("beats_writer", WRITER_PASSWORD, ["metricbeat_writer"])
    kibana = FakeKibana(es, tls=TlsConfig.from_issued(server))
    dns = FakeDns(Zone(a={"es.test": ["127.0.0.1"], "kibana.test": ["127.0.0.1"], HOSTILE: ["127.0.0.1"]}))
    with dns, es, kibana:
        yield Stack(directory, dns, es, kibana, ca, ca_file)


@pytest.fixture(scope="module")
def hostile_cert(stack: Stack) -> pki.Issued:
    """A certificate the Beat's configured CA vouches for: the handshake passes, the mischief comes after."""
    return stack.ca.issue(HOSTILE, dns=[HOSTILE], ips=["127.0.0.1"])


@pytest.fixture(scope="module")
def tls_context(hostile_cert: pki.Issued) -> ssl.SSLContext:
    return peers.server_context(hostile_cert)


@pytest.fixture
def run_against(stack: Stack) -> RunAgainst:
    """
    ``run_against(port, scheme="https", memory=False) -> Run``: esprobe's CLI in-process against
    the healthy target and the hostile peer on *port*. With *memory*, the probing phase runs
    under tracemalloc (wrapped around the real `run_probes`: config loading, which reserves
    its own bounded read buffer, stays out of the figure).
    """

    def run(port: int, scheme: str = "https", memory: bool = False) -> Run:
        import esprobe.probe.check

        peak: Dict[str, int] = {}
        real = esprobe.probe.check.run_probes

        def measured(*args: Any, **kwargs: Any) -> Any:
            tracemalloc.start()
            try:
                return real(*args, **kwargs)
            finally:
                peak["bytes"] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()

        config = hostile_config(stack, port, scheme)
        if memory:
            esprobe.probe.check.run_probes = measured  # the name run_check calls
        try:
            started = time.monotonic()
            result = stack.run("-c", str(config), "--format", "json", "--timeout", f"{TIMEOUT:g}")
            elapsed = time.monotonic() - started
        finally:
            esprobe.probe.check.run_probes = real
        return Run(result.code, json.loads(result.out), result.out, result.err, elapsed, peak.get("bytes"))

    return run
