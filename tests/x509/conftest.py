"""Certificates for the x509 tests, built once per session with esprobe.demo.standins.pki."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from esprobe.demo.standins import pki

DAY = dt.timedelta(days=1)


@dataclass
class World:
    """The catalogue's common setup: EC root, intermediate (pathlen 0), leaf for www.example.com."""

    now: dt.datetime
    root: pki.CertAuthority
    inter: pki.CertAuthority
    leaf: pki.Issued
    other: pki.CertAuthority  # an unrelated CA of another organisation


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


def go_time(value: dt.datetime) -> str:
    """RFC 3339 in UTC, written independently of the code under test."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
