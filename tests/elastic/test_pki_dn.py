"""Java-style DNs, PKI user names and role-mapping DN comparison (pure functions)."""

from __future__ import annotations

from typing import List, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from esprobe.demo.standins import pki
from esprobe.elastic.pki_dn import dn_matches, java_dn, java_dn_of_name, normalize_dn, pki_username

CN, C, ST, L, ORG, OU = (
    NameOID.COMMON_NAME,
    NameOID.COUNTRY_NAME,
    NameOID.STATE_OR_PROVINCE_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
)
EMAIL = NameOID.EMAIL_ADDRESS
BUSINESS_CATEGORY = ObjectIdentifier("2.5.4.15")


def _name(*attributes: Tuple[ObjectIdentifier, str]) -> x509.Name:
    """A subject encoded in exactly the given order, one attribute per RDN."""
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


JAVA_DN_CASES: List[Tuple[str, x509.Name, str]] = [
    # Verified with OpenJDK X500Principal.toString() .
    (
        "openssl-subj-with-comma-and-email",
        _name(
            (C, "US"), (ST, "CA"), (ORG, "acme, inc"), (OU, "ops"), (CN, "beats01"), (EMAIL, "a@b.c")
        ),
        'EMAILADDRESS=a@b.c, CN=beats01, OU=ops, O="acme, inc", ST=CA, C=US',
    ),
    (
        "es-delegate-pki-test-cert-encoded-cn-first",
        _name((CN, "Elasticsearch Test Client"), (OU, "Elasticsearch"), (ORG, "org")),
        "O=org, OU=Elasticsearch, CN=Elasticsearch Test Client",
    ),
    (
        "usual-order",
        _name((C, "US"), (ORG, "acme"), (OU, "ops"), (CN, "beats01")),
        "CN=beats01, OU=ops, O=acme, C=US",
    ),
    # Quoting rules.
    ("plus-sign", _name((CN, "a+b")), 'CN="a+b"'),
    ("equals-sign", _name((CN, "a=b")), 'CN="a=b"'),
    ("semicolon", _name((CN, "a;b")), 'CN="a;b"'),
    ("angle-brackets", _name((CN, "<x>")), 'CN="<x>"'),
    ("hash", _name((CN, "#1")), 'CN="#1"'),
    ("double-quote-escaped", _name((CN, 'say "hi"')), 'CN="say \\"hi\\""'),
    ("backslash-escaped", _name((CN, "a\\b")), 'CN="a\\\\b"'),
    ("leading-space", _name((CN, " lead")), 'CN=" lead"'),
    ("trailing-space", _name((CN, "trail ")), 'CN="trail "'),
    ("double-inner-space", _name((CN, "a  b")), 'CN="a  b"'),
    ("single-inner-space-not-quoted", _name((CN, "a b")), "CN=a b"),
    ("non-printable-chars-untouched", _name((CN, "ümlaut_@*")), "CN=ümlaut_@*"),
    # Keywords and unknown OIDs.
    (
        "keywords",
        _name(
            (NameOID.DOMAIN_COMPONENT, "com"),
            (NameOID.DOMAIN_COMPONENT, "example"),
            (NameOID.USER_ID, "u1"),
            (L, "Paris"),
            (NameOID.STREET_ADDRESS, "1 Main St"),
        ),
        "STREET=1 Main St, L=Paris, UID=u1, DC=example, DC=com",
    ),
    (
        "serial-number",
        _name((NameOID.SERIAL_NUMBER, "3014267"), (CN, "x")),
        "CN=x, SERIALNUMBER=3014267",
    ),
    (
        "unknown-oid",
        _name((BUSINESS_CATEGORY, "Private Organization")),
        "OID.2.5.4.15=Private Organization",
    ),
]


@pytest.mark.parametrize(
    ("subject", "expected"), [c[1:] for c in JAVA_DN_CASES], ids=[c[0] for c in JAVA_DN_CASES]
)
def test_java_dn_renders_like_x500principal(subject: x509.Name, expected: str) -> None:
    """The subject string matches what Java's X500Principal.toString() prints."""
    assert expected == java_dn_of_name(subject)


def test_java_dn_multi_valued_rdn_joined_with_plus() -> None:
    """Attributes sharing one RDN are joined with ' + '."""
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(ORG, "acme")]),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(CN, "a"), x509.NameAttribute(NameOID.USER_ID, "7")]
            ),
        ]
    )
    rendered = java_dn_of_name(subject)
    assert rendered.endswith(", O=acme")
    assert rendered.split(", ")[0] in ("CN=a + UID=7", "UID=7 + CN=a")


def test_java_dn_of_a_real_certificate() -> None:
    """java_dn reads the subject of an issued certificate."""
    issued = pki.CertAuthority.root().issue(subject=pki.name("beats01", c="US", o="acme", ou="ops"))
    assert "CN=beats01, OU=ops, O=acme, C=US" == java_dn(issued.cert)


USERNAME_CASES: List[Tuple[str, str, Optional[str], Optional[str]]] = [
    ("default-pattern", "CN=beats01, OU=ops, O=acme, C=US", None, "beats01"),
    (
        "first-cn-wins",
        'EMAILADDRESS=a@b.c, CN=beats01, OU=ops, O="acme, inc", ST=CA, C=US',
        None,
        "beats01",
    ),
    (
        "cn-last",
        "O=org, OU=Elasticsearch, CN=Elasticsearch Test Client",
        None,
        "Elasticsearch Test Client",
    ),
    ("case-insensitive", "cn=lower, o=x", None, "lower"),
    ("find-not-match", "OU=teamCN=inner, CN=real", None, "inner"),
    ("no-cn", "O=acme, C=US", None, None),
    ("empty-cn", "CN=, O=acme", None, None),
    ("email-pattern", "EMAILADDRESS=a@b.c, CN=beats01", r"EMAILADDRESS=(.*?)(?:,|$)", "a@b.c"),
    ("pattern-without-group", "CN=x", r"CN=.*", None),
    ("invalid-pattern", "CN=x", r"CN=(", None),
]


@pytest.mark.parametrize(
    ("dn", "pattern", "expected"),
    [c[1:] for c in USERNAME_CASES],
    ids=[c[0] for c in USERNAME_CASES],
)
def test_pki_username_follows_realm_rules(
    dn: str, pattern: Optional[str], expected: Optional[str]
) -> None:
    """The user name is group 1 of a case-insensitive find(); no match or an empty group gives None."""
    assert expected == (pki_username(dn) if pattern is None else pki_username(dn, pattern))


DN_MATCH_CASES = [
    ("CN=beats01, OU=ops, O=acme", "cn=beats01,ou=ops,o=acme", True),
    ("CN=beats01, OU=ops, O=acme", "CN=Beats01 ,  OU=OPS , O=acme", True),
    ("CN=John  Doe, O=x", "cn=john doe,o=x", True),
    ('O="acme, inc", C=US', "o=acme\\, inc,c=us", True),
    ("CN=beats01, OU=ops, O=acme", "CN=beats02, OU=ops, O=acme", False),
    ("CN=beats01, OU=ops, O=acme", "OU=ops, CN=beats01, O=acme", False),
    ("CN=a+UID=7", "UID=7 + CN=a", True),
]


@pytest.mark.parametrize(("a", "b", "same"), DN_MATCH_CASES)
def test_dn_matches_case_and_space_insensitively(a: str, b: str, same: bool) -> None:
    """Role-mapping DNs compare like UnboundID normalized strings: case and spacing do not matter, order does."""
    assert same == dn_matches(a, b)


@pytest.mark.parametrize("bad", ["no equals sign", "CN=a,", 'CN="unterminated', "=value"])
def test_normalize_dn_rejects_unparsable_dns(bad: str) -> None:
    """An invalid DN is reported as None (role mappings skip it) rather than raising."""
    assert normalize_dn(bad) is None


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        # A BIT STRING (x500UniqueIdentifier): '#' and the upper-case hex of its DER, unused-bits octet included.
        (x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\xab", _type=_ASN1Type.BitString),
         "OID.2.5.4.45=#030200AB"),
        # A VisibleString is not text to Java (DerValue.getAsString), so it is printed as hex too.
        (x509.NameAttribute(CN, "vis", _type=_ASN1Type.VisibleString), "CN=#1A03766973"),
        # IP is in the JDK's keyword table.
        (x509.NameAttribute(ObjectIdentifier("1.3.6.1.4.1.42.2.11.2.1"), "10.0.0.1"), "IP=10.0.0.1"),
    ],
    ids=["bit-string", "visible-string", "ip-keyword"],
)
def test_java_dn_of_values_java_does_not_read_as_text(attribute: x509.NameAttribute, expected: str) -> None:
    """Read back from an issued certificate, as the auth stage reads the client certificate."""
    issued = pki.CertAuthority.root().issue(subject=x509.Name([attribute]))
    assert expected == java_dn(issued.cert)
