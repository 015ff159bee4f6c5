"""Certificates for the x509 tests, built once per session with esprobe.demo.standins.pki."""

from __future__ import annotations

import pytest

from esprobe.demo.standins import pki
from tests.support.x509 import DAY, World


@pytest.fixture(scope="session")
def world() -> World:
    now = pki.utcnow()
    root = pki.CertAuthority.root("Test Root CA")
    inter = root.intermediate("Test Intermediate CA")
    leaf = inter.issue(dns=["www.example.com"], ips=["127.0.0.1"], not_before=now - DAY, not_after=now + 30 * DAY)
    other = pki.CertAuthority.root(subject=pki.name("Other Root CA", o="Other Org"))
    return World(now, root, inter, leaf, other)


@pytest.fixture(scope="session")
def rsa_root() -> pki.CertAuthority:
    """An RSA root: SHA-1 signatures need an RSA issuer."""
    return pki.CertAuthority.root("Test RSA Root CA", key_kind="rsa")
