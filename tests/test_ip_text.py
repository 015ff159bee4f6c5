"""Addresses as text, as Go's net.IP.String() writes them, on every Python (3.13 changed str() of mapped ones)."""

from __future__ import annotations

import ipaddress

import pytest

from esprobe.ip_text import address_text, go_ip_string

# Expected texts follow Go's rules (src/net/ip.go IP.String, src/net/netip/netip.go appendTo6), not Python's.
CASES = [
    ("127.0.0.1", "127.0.0.1"),
    ("::ffff:10.0.0.1", "10.0.0.1"),  # IPv4-mapped: To4() != nil, so dotted IPv4
    ("::ffff:a00:1", "10.0.0.1"),
    ("0:0:0:0:0:ffff:7f00:1", "127.0.0.1"),
    ("::10.0.0.1", "::a00:1"),  # IPv4-compatible is not mapped: hex groups
    ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),  # NAT64 likewise
    ("::ffff:0:a00:1", "::ffff:0:a00:1"),  # SIIT "IPv4-translated": not mapped either
    ("::1", "::1"),
    ("::", "::"),
    ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  # the first of two equal zero runs
    ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  # one zero group stays a 0
    ("2001:0db8::0001", "2001:db8::1"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_go_text(text: str, expected: str) -> None:
    assert go_ip_string(ipaddress.ip_address(text)) == expected
    assert address_text(text) == expected


@pytest.mark.parametrize("text", ["", "es01", "1.2.3", "fe80::1%eth0", "[::1]", "::ffff:10.0.0.1.5"])
def test_not_an_address(text: str) -> None:
    assert address_text(text) is None
