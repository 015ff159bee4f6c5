"""Certificates shared by the stand-in tests (generated at test time)."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from esprobe.demo.standins import pki
from tests.support.standin_clients import Pki, session


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("standins-pki")
    ca = pki.CertAuthority.root()
    intermediate = ca.intermediate()
    server = intermediate.issue("localhost", dns=["localhost"], ips=["127.0.0.1", "::1"])
    subject = pki.name("beats01", c="US", o="acme", ou="ops")
    client = intermediate.issue(subject=subject, extended_key_usage=[pki.CLIENT_AUTH])
    foreign = pki.CertAuthority.root("Foreign CA").issue(
        subject=subject, extended_key_usage=[pki.CLIENT_AUTH]
    )
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    return Pki(
        ca,
        intermediate,
        server,
        client,
        foreign,
        ca_file,
        client.write(directory, "client", chain=True),
        foreign.write(directory, "foreign"),
    )


@pytest.fixture
def http(certs: Pki) -> Iterator[requests.Session]:
    s = session(certs)
    yield s
    s.close()
