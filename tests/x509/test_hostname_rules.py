"""Host-name rules, table-driven: Beats' full-mode verifyHostname and Go's strict VerifyHostname side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import pytest
from cryptography import x509

from esprobe.demo.standins import pki
from esprobe.x509 import hostname_rules as h


@dataclass(frozen=True)
class Cert:
    """How to build the certificate of one row."""

    dns: Sequence[str] = ()
    ips: Sequence[str] = ()
    cn: Optional[str] = None
    san: bool = True  # False: no SAN extension at all


# full/strict: (matched_by or None, error text or None)
Expect = Tuple[Optional[str], Optional[str]]

ROWS = [
    # id, certificate, host, full, strict
    ("exact", Cert(dns=["www.example.com"]), "www.example.com", ("dns-san", None), ("dns-san", None)),
    ("case-insensitive", Cert(dns=["www.example.com"]), "WWW.Example.COM", ("dns-san", None), ("dns-san", None)),
    ("san-upper-case", Cert(dns=["WWW.EXAMPLE.COM"]), "www.example.com", ("dns-san", None), ("dns-san", None)),
    ("host-trailing-dot", Cert(dns=["www.example.com"]), "www.example.com.", ("dns-san", None), ("dns-san", None)),
    ("san-trailing-dot", Cert(dns=["www.example.com."]), "www.example.com",
     (None, "x509: certificate is valid for www.example.com., not www.example.com"),
     (None, "x509: certificate is valid for www.example.com., not www.example.com")),
    ("second-san", Cert(dns=["a.example.com", "www.example.com"]), "www.example.com",
     ("dns-san", None), ("dns-san", None)),
    ("mismatch", Cert(dns=["www.example.com"]), "www.wrong.com",
     (None, "x509: certificate is valid for www.example.com, not www.wrong.com"),
     (None, "x509: certificate is valid for www.example.com, not www.wrong.com")),
    ("wildcard", Cert(dns=["*.example.com"]), "a.example.com", ("dns-san", None), ("dns-san", None)),
    ("wildcard-not-apex", Cert(dns=["*.example.com"]), "example.com",
     (None, "x509: certificate is valid for *.example.com, not example.com"),
     (None, "x509: certificate is valid for *.example.com, not example.com")),
    ("wildcard-one-label-only", Cert(dns=["*.example.com"]), "a.b.example.com",
     (None, "x509: certificate is valid for *.example.com, not a.b.example.com"),
     (None, "x509: certificate is valid for *.example.com, not a.b.example.com")),
    ("partial-wildcard", Cert(dns=["es-*.example.com"]), "es-01.example.com",
     (None, "x509: certificate is valid for es-*.example.com, not es-01.example.com"),
     (None, "x509: certificate is valid for es-*.example.com, not es-01.example.com")),
    ("wildcard-not-leftmost", Cert(dns=["www.*.com"]), "www.example.com",
     (None, "x509: certificate is valid for www.*.com, not www.example.com"),
     (None, "x509: certificate is valid for www.*.com, not www.example.com")),
    ("partial-wildcard-literal-is-invalid-pattern", Cert(dns=["f*.example.com"]), "f*.example.com",
     (None, "invalid hostname in cert"), ("dns-san", None)),
    ("bare-wildcard", Cert(dns=["*"]), "localhost", ("dns-san", None),
     (None, "x509: certificate is valid for *, not localhost")),
    ("leading-hyphen-invalid-pattern", Cert(dns=["-es.example.com"]), "-es.example.com",
     (None, "invalid hostname in cert"), ("dns-san", None)),
    ("underscore-allowed", Cert(dns=["es_node.example.com"]), "es_node.example.com",
     ("dns-san", None), ("dns-san", None)),
    ("unicode-host-wildcard", Cert(dns=["*.example.com"]), "bücher.example.com", ("dns-san", None),
     (None, "x509: certificate is valid for *.example.com, not bücher.example.com")),
    # IP hosts
    ("ip-san", Cert(dns=["www.example.com"], ips=["127.0.0.1"]), "127.0.0.1", ("ip-san", None), ("ip-san", None)),
    ("ipv6-san", Cert(ips=["::1"]), "::1", ("ip-san", None), ("ip-san", None)),
    ("ipv6-bracketed-host", Cert(ips=["::1"]), "[::1]", ("ip-san", None), ("ip-san", None)),
    ("ipv6-spelling", Cert(ips=["2001:db8::1"]), "2001:0db8:0:0:0:0:0:1", ("ip-san", None), ("ip-san", None)),
    ("ipv4-mapped-san", Cert(ips=["::ffff:127.0.0.1"]), "127.0.0.1", ("ip-san", None), ("ip-san", None)),
    ("ipv4-mapped-host", Cert(ips=["127.0.0.1"]), "::ffff:127.0.0.1", ("ip-san", None), ("ip-san", None)),
    ("ip-not-in-san", Cert(dns=["www.example.com"]), "127.0.0.1",
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs")),
    ("ip-written-as-dns-san", Cert(dns=["127.0.0.1"]), "127.0.0.1",
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs")),
    ("other-ip", Cert(ips=["10.0.0.1", "::ffff:10.0.0.2"]), "127.0.0.1",
     (None, "x509: certificate is valid for 10.0.0.1, 10.0.0.2, not 127.0.0.1"),
     (None, "x509: certificate is valid for 10.0.0.1, 10.0.0.2, not 127.0.0.1")),
    ("ipv4-vs-ipv6-loopback", Cert(ips=["::1"]), "127.0.0.1",
     (None, "x509: certificate is valid for ::1, not 127.0.0.1"),
     (None, "x509: certificate is valid for ::1, not 127.0.0.1")),
    # the Common Name
    ("cn-only", Cert(cn="www.example.com", san=False), "www.example.com", ("common-name", None),
     (None, "x509: certificate relies on legacy Common Name field, use SANs instead")),
    ("cn-only-case", Cert(cn="WWW.example.com", san=False), "www.EXAMPLE.com", ("common-name", None),
     (None, "x509: certificate relies on legacy Common Name field, use SANs instead")),
    ("cn-only-wildcard", Cert(cn="*.example.com", san=False), "a.example.com", ("common-name", None),
     (None, "x509: certificate relies on legacy Common Name field, use SANs instead")),
    ("cn-only-mismatch", Cert(cn="other.example.com", san=False), "www.example.com",
     (None, "x509: certificate is not valid for any names, but wanted to match www.example.com"),
     (None, "x509: certificate is not valid for any names, but wanted to match www.example.com")),
    ("cn-ignored-when-dns-sans-exist", Cert(dns=["a.example.com"], cn="www.example.com"), "www.example.com",
     (None, "x509: certificate is valid for a.example.com, not www.example.com"),
     (None, "x509: certificate is valid for a.example.com, not www.example.com")),
    ("cn-used-when-only-ip-sans", Cert(ips=["10.0.0.1"], cn="www.example.com"), "www.example.com",
     ("common-name", None),
     (None, "x509: certificate is not valid for any names, but wanted to match www.example.com")),
    ("cn-used-when-single-empty-dns-san", Cert(dns=[""], cn="www.example.com"), "www.example.com",
     ("common-name", None),
     (None, "x509: certificate is not valid for any names, but wanted to match www.example.com")),
    ("cn-unicode-is-invalid-pattern", Cert(cn="bücher.example.com", san=False), "bücher.example.com",
     (None, "invalid hostname in cert"),
     (None, "x509: certificate relies on legacy Common Name field, use SANs instead")),
    ("cn-as-ip", Cert(cn="127.0.0.1", san=False), "127.0.0.1", ("common-name", None),
     (None, "x509: certificate relies on legacy Common Name field, use SANs instead")),
    ("cn-as-ip-despite-other-sans", Cert(dns=["www.example.com"], cn="127.0.0.1"), "127.0.0.1",
     ("common-name", None),
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs")),
    ("cn-ip-mismatch", Cert(cn="10.0.0.9", san=False), "127.0.0.1",
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
     (None, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs")),
    ("no-names-at-all", Cert(cn=None, san=False), "www.example.com",
     (None, "x509: certificate is not valid for any names, but wanted to match www.example.com"),
     (None, "x509: certificate is not valid for any names, but wanted to match www.example.com")),
]


def _build(ca: pki.CertAuthority, spec: Cert) -> x509.Certificate:
    if spec.cn is None:
        subject = pki.name(None, o="esprobe")
        return ca.issue(subject=subject, dns=spec.dns, ips=spec.ips, san=spec.san).cert
    return ca.issue(spec.cn, dns=spec.dns, ips=spec.ips, san=spec.san).cert


@pytest.fixture(scope="module")
def ca() -> pki.CertAuthority:
    return pki.CertAuthority.root("Hostname Test CA")


def _check(result: h.NameMatch, expect: Expect) -> None:
    matched_by, error = expect
    assert (result.matched_by, result.error) == (matched_by, error)
    assert result.matched is (error is None)


@pytest.mark.parametrize(("spec", "host", "full", "strict"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_full_rules(ca, spec, host, full, strict):
    _check(h.match_full(_build(ca, spec), host), full)


@pytest.mark.parametrize(("spec", "host", "full", "strict"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_strict_rules(ca, spec, host, full, strict):
    _check(h.match_strict(_build(ca, spec), host), strict)


def test_strict_errors_carry_the_tls_prefix_full_errors_do_not(ca):
    cert = _build(ca, Cert(dns=["www.example.com"]))
    assert h.match_strict(cert, "x.example.com").beat_error == (
        "tls: failed to verify certificate: x509: certificate is valid for www.example.com, not x.example.com")
    assert h.match_full(cert, "x.example.com").beat_error == (
        "x509: certificate is valid for www.example.com, not x.example.com")


def test_at_least_100_names_are_counted_not_listed(ca):
    names = [f"n{i}.example.com" for i in range(100)]
    cert = _build(ca, Cert(dns=names))
    expected = "x509: certificate is valid for 100 names, but none matched www.example.com"
    assert h.match_full(cert, "www.example.com").error == expected
    assert h.match_strict(cert, "www.example.com").error == expected
    fewer = _build(ca, Cert(dns=names[:99]))
    assert h.match_full(fewer, "www.example.com").error.startswith("x509: certificate is valid for n0.example.com, ")


def test_at_least_100_ip_sans_are_counted_not_listed(ca):
    cert = _build(ca, Cert(ips=[f"10.0.{i // 250}.{i % 250 + 1}" for i in range(100)]))
    assert h.match_full(cert, "127.0.0.1").error == (
        "x509: certificate is valid for 100 IP SANs, but none matched 127.0.0.1")


def test_empty_host_is_not_checked_in_full_mode(ca):
    result = h.match_full(_build(ca, Cert(dns=["www.example.com"])), "")
    assert result.matched and result.reason == h.NOT_CHECKED and result.matched_by is None


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [("*.a.com", "b.a.com", True), ("*.a.com", "a.com", False), ("a.com", "A.COM.", True), ("a.com.", "a.com", False),
     ("", "a.com", False), ("a.com", "", False), ("*", "x", True), ("x*.a.com", "xy.a.com", False)],
)
def test_match_hostnames(pattern, host, expected):
    assert h.match_hostnames(pattern, host) is expected


@pytest.mark.parametrize(
    ("name", "is_pattern", "bare", "expected"),
    [("a.example.com", False, False, True), ("a.example.com.", False, False, True),
     ("a.example.com.", True, False, False), ("*.example.com", True, False, True),
     ("*.example.com", False, False, False), ("a.*.com", True, False, False), ("*", True, False, False),
     ("*", True, True, True), ("-a.com", True, False, False), ("a-.com", True, False, True),
     ("a_b.com", False, False, True), ("a..com", False, False, False), ("ü.com", False, False, False),
     ("", False, False, False)],
)
def test_valid_hostname(name, is_pattern, bare, expected):
    assert h.valid_hostname(name, is_pattern, allow_bare_wildcard=bare) is expected


def test_empty_san_extension_keeps_the_cn_fallback_in_full_but_not_strict(ca):
    """A SAN extension with no names: full falls back to the CN; strict has no legacy-CN excuse (a SAN exists)."""
    cert = ca.issue("www.example.com", san=False, extra_extensions=[(x509.SubjectAlternativeName([]), False)]).cert
    _check(h.match_full(cert, "www.example.com"), ("common-name", None))
    _check(h.match_strict(cert, "www.example.com"),
           (None, "x509: certificate is not valid for any names, but wanted to match www.example.com"))


@pytest.mark.parametrize(
    ("host", "full", "strict"),
    [
        # catalogue scenario 5: wrong host name
        ("www.wrong.com", "x509: certificate is valid for www.example.com, not www.wrong.com",
         "tls: failed to verify certificate: x509: certificate is valid for www.example.com, not www.wrong.com"),
        # the same leaf carries IP:127.0.0.1, so the IP host passes in both modes
        ("127.0.0.1", None, None),
        ("www.example.com", None, None),
    ],
)
def test_catalogue_leaf(world, host, full, strict):
    assert h.match_full(world.leaf.cert, host).beat_error == full
    assert h.match_strict(world.leaf.cert, host).beat_error == strict


def test_catalogue_scenario_6_cn_only(world):
    leaf = world.inter.issue("www.example.com", san=False).cert
    assert h.match_full(leaf, "www.example.com").matched
    assert h.match_strict(leaf, "www.example.com").beat_error == (
        "tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead")


def test_catalogue_scenario_7_ip_host_without_ip_san(world):
    leaf = world.inter.issue(dns=["www.example.com"]).cert
    text = "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
    assert h.match_full(leaf, "127.0.0.1").beat_error == text
    assert h.match_strict(leaf, "127.0.0.1").beat_error == "tls: failed to verify certificate: " + text
