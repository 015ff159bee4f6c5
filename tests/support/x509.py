"""Time helpers and the shape of the x509 tests' certificate world (the fixtures are in tests/x509/conftest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def go_time(value: dt.datetime) -> str:
    """RFC 3339 in UTC, written independently of the code under test."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
