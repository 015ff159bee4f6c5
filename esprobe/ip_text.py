"""
An IP address as text, the way the Beat (Go's ``net.IP.String()``, src/net/ip.go) writes it: IPv4
dotted, an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) as plain dotted IPv4 too, any other IPv6
address in the RFC 5952 short form. Python's own ``str()`` of a mapped address changed in 3.13
(``::ffff:10.0.0.1``; before, ``::ffff:a00:1``), and glibc and dnspython write it their own way, so
every address esprobe shows or compares as text goes through here, whatever the Python version.
"""

from __future__ import annotations

import ipaddress
from typing import Optional, Union

IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def go_ip_string(address: IpAddress) -> str:
    """``net.IP.String()`` of *address*."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        # For an IPv6 address that is not IPv4-mapped, every supported Python writes RFC 5952 as Go does
        # (the longest run of two or more zero groups, the first of equals, as ::; lower-case hex).
        return address.compressed
    return str(address)


def go_ip(text: str) -> Optional[IpAddress]:
    """
    The IP literal *text* as Go treats it (``net.ParseIP`` then ``To4``): an IPv4-mapped IPv6 address
    is its IPv4 address (loopback, private, equal to the plain form), whatever the Python version.
    """
    if "%" in text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_text(text: str) -> Optional[str]:
    """The Go text of the IP literal *text* (no brackets, no zone), or None if *text* is not one."""
    if "%" in text:
        return None  # a zone: not an address to net.ParseIP (callers strip it when they allow one)
    try:
        return go_ip_string(ipaddress.ip_address(text))
    except ValueError:
        return None
