"""
The stand-in's PKI realm, checked against the JDK and Elasticsearch facts it is written from, and
against the probe's own prediction (two implementations written apart: a disagreement is a bug).
"""

from __future__ import annotations

import datetime as _dt
from typing import List, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier
from hypothesis import given
from hypothesis import strategies as st

from esprobe.demo.standins.pki_realm import DerError, dn_of_name_der, same_dn, subject_dn, username
from esprobe.elastic.pki_dn import java_dn

# --- DER built by hand, so that every string type and odd value can be written -----------------

UTF8, PRINTABLE, T61, IA5, BMP, UNIVERSAL, VISIBLE, BIT_STRING = 0x0C, 0x13, 0x14, 0x16, 0x1E, 0x1C, 0x1A, 0x03

OIDS = {
    "CN": "2.5.4.3",
    "C": "2.5.4.6",
    "ST": "2.5.4.8",
    "O": "2.5.4.10",
    "OU": "2.5.4.11",
    "DC": "0.9.2342.19200300.100.1.25",
    "EMAIL": "1.2.840.113549.1.9.1",
    "IP": "1.3.6.1.4.1.42.2.11.2.1",
    "DNQ": "2.5.4.46",
    "BUSINESS_CATEGORY": "2.5.4.15",
    "UNIQUE_ID": "2.5.4.45",
}


def _tlv(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.insert(0, 0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(chunk)
    return _tlv(0x06, bytes(out))


Ava = Tuple[str, int, bytes]  # (attribute, value tag, value contents)


def _name_der(*rdns: List[Ava]) -> bytes:
    """A Name with the RDNs in the order given (encoding order), each RDN's values in the order given."""
    encoded = b""
    for rdn in rdns:
        values = b"".join(_tlv(0x30, _oid(OIDS[kind]) + _tlv(tag, body)) for kind, tag, body in rdn)
        encoded += _tlv(0x31, values)
    return _tlv(0x30, encoded)


def _text(kind: str, value: str, tag: int = UTF8) -> List[Ava]:
    codec = {UTF8: "utf-8", PRINTABLE: "ascii", IA5: "ascii", T61: "latin-1", BMP: "utf-16-be",
             UNIVERSAL: "utf-32-be", VISIBLE: "ascii"}[tag]
    return [(kind, tag, value.encode(codec))]


DN_CASES = [
    # X500Principal.toString() outputs recorded with OpenJDK (shared reference, PKI realm section).
    pytest.param(
        [_text("C", "US", PRINTABLE), _text("ST", "CA"), _text("O", "acme, inc"), _text("OU", "ops"),
         _text("CN", "beats01"), _text("EMAIL", "a@b.c", IA5)],
        'EMAILADDRESS=a@b.c, CN=beats01, OU=ops, O="acme, inc", ST=CA, C=US',
        id="openssl-subject-with-comma-and-email",
    ),
    pytest.param(
        [_text("CN", "Elasticsearch Test Client"), _text("OU", "Elasticsearch"), _text("O", "org")],
        "O=org, OU=Elasticsearch, CN=Elasticsearch Test Client",
        id="elasticsearch-delegate-pki-test-certificate",
    ),
    # The JDK's keyword table: the keyword registered last for an OID is printed; others as OID.
    pytest.param([_text("DC", "example", IA5), _text("DNQ", "q")], "DNQ=q, DC=example", id="dc-and-dnq-keywords"),
    pytest.param([_text("IP", "10.0.0.1")], "IP=10.0.0.1", id="ip-keyword"),
    pytest.param([_text("BUSINESS_CATEGORY", "Private Organization")], "OID.2.5.4.15=Private Organization",
                 id="unknown-type-as-oid"),
    # Values the JDK quotes (AVA.toKeywordValueString): specials, outer and doubled spaces.
    pytest.param([_text("CN", "a+b")], 'CN="a+b"', id="plus"),
    pytest.param([_text("CN", "#1")], 'CN="#1"', id="hash"),
    pytest.param([_text("CN", "a<b>")], 'CN="a<b>"', id="angle-brackets"),
    pytest.param([_text("CN", 'say "hi"')], 'CN="say \\"hi\\""', id="quote-escaped"),
    pytest.param([_text("CN", "back\\slash")], 'CN="back\\\\slash"', id="backslash-escaped"),
    pytest.param([_text("CN", " lead")], 'CN=" lead"', id="leading-space"),
    pytest.param([_text("CN", "trail ")], 'CN="trail "', id="trailing-space"),
    pytest.param([_text("CN", "two  spaces")], 'CN="two  spaces"', id="double-space"),
    pytest.param([_text("CN", "one space")], "CN=one space", id="single-space-unquoted"),
    pytest.param([_text("CN", '"already"')], 'CN="already"', id="already-quoted-left-alone"),
    pytest.param([_text("CN", "Zoë & co")], "CN=Zoë & co", id="non-printable-characters-copied"),
    pytest.param([_text("CN", "a é b")], "CN=a é b", id="non-printable-between-spaces-breaks-the-run"),
    # String types the JDK decodes, and one it does not (VisibleString: printed as hex).
    pytest.param([_text("CN", "bmp", BMP)], "CN=bmp", id="bmp-string"),
    pytest.param([_text("CN", "t61é", T61)], "CN=t61é", id="t61-string-as-latin-1"),
    pytest.param([_text("CN", "uni", UNIVERSAL)], "CN=uni", id="universal-string"),
    pytest.param([_text("CN", "vis", VISIBLE)], "CN=#1A03766973", id="visible-string-as-hex"),
    pytest.param([[("UNIQUE_ID", BIT_STRING, b"\x00\xab")]], "OID.2.5.4.45=#030200AB", id="bit-string-upper-hex"),
    # A multi-valued RDN: its values in encoding order, joined by " + ".
    pytest.param(
        [_text("O", "acme"), _text("OU", "ops") + _text("CN", "beats01")],
        "OU=ops + CN=beats01, O=acme",
        id="multi-valued-rdn",
    ),
]


@pytest.mark.parametrize(("rdns", "expected"), DN_CASES)
def test_dn_renders_like_x500principal_tostring(rdns: List[List[Ava]], expected: str) -> None:
    assert expected == dn_of_name_der(_name_der(*rdns))


@pytest.mark.parametrize("der", [b"", b"\x31\x00", b"\x30\x05\x31\x00", b"\x30\x02\x30\x00"])
def test_broken_der_is_an_error_not_a_wrong_name(der: bytes) -> None:
    with pytest.raises(DerError):
        dn_of_name_der(der)


_KEY = ec.generate_private_key(ec.SECP256R1())


def _certificate(subject: x509.Name) -> x509.Certificate:
    now = _dt.datetime.now(_dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")]))
        .public_key(_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _dt.timedelta(days=1))
    )
    return builder.sign(_KEY, hashes.SHA256())


def test_subject_dn_reads_the_certificate() -> None:
    cert = _certificate(x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acme"),
        x509.NameAttribute(NameOID.COMMON_NAME, "beats01"),
    ]))
    assert "CN=beats01, O=acme, C=US" == subject_dn(cert)


# --- username_pattern ---------------------------------------------------------------------------

USERNAME_CASES: List[Tuple[str, Optional[str], Optional[str]]] = [
    ("CN=beats01, OU=ops, O=acme", None, "beats01"),
    ("EMAILADDRESS=a@b.c, CN=beats01, OU=ops", None, "beats01"),  # find(): the first CN= anywhere
    ("O=org, OU=Elasticsearch, CN=Elasticsearch Test Client", None, "Elasticsearch Test Client"),
    ("cn=lower, O=acme", None, "lower"),  # the realm compiles the pattern case-insensitively
    ('CN="a, b", O=acme', None, '"a'),  # the default pattern stops at the first comma, quotes or not
    ("CN=, O=acme", None, None),  # empty group: no principal
    ("O=acme, OU=ops", None, None),  # no CN at all
    ("EMAILADDRESS=a@b.c, CN=beats01", r"EMAILADDRESS=(.*?)(?:,|$)", "a@b.c"),  # the docs' e-mail pattern
    ("CN=beats01", r"CN=.*", None),  # no group: no principal
    ("CN=beats01", r"CN=(", None),  # not a pattern
]


@pytest.mark.parametrize(("dn", "pattern", "expected"), USERNAME_CASES)
def test_username_from_the_subject(dn: str, pattern: Optional[str], expected: Optional[str]) -> None:
    assert expected == (username(dn) if pattern is None else username(dn, pattern))


# --- role_mapping.yml DNs ------------------------------------------------------------------------

SAME_DN_CASES = [
    ("CN=beats01, OU=ops, O=acme", "cn=beats01,ou=OPS,  o=acme", True),  # case and spaces
    ("CN=Big  Name, O=acme", "CN=big name,O=acme", True),  # inner runs of spaces collapse
    ("CN=beats01; O=acme", "CN=beats01, O=acme", True),  # ';' separates RDNs too
    ('O="acme, inc", C=US', "O=acme\\, inc, C=US", True),  # quoted and escaped forms
    ("O=acme\\2C inc", "O=acme\\, inc", True),  # hex pair escape
    ("OU=ops + CN=beats01, O=acme", "CN=beats01+OU=ops,O=acme", True),  # multi-valued RDN, any order
    ("CN=beats01, O=acme", "O=acme, CN=beats01", False),  # RDN order matters
    ("CN=beats01, O=acme", "CN=beats01", False),
    ("CN=beats01, O=acme", "CN=beats02, O=acme", False),
    ("CN=beats01", "not a dn", False),
    ('CN="unterminated', 'CN="unterminated', False),  # what does not parse matches nothing
]


@pytest.mark.parametrize(("left", "right", "expected"), SAME_DN_CASES)
def test_role_mapping_dn_comparison(left: str, right: str, expected: bool) -> None:
    assert expected == same_dn(left, right)
    assert expected == same_dn(right, left)


# --- the probe's prediction and the stand-in's answer agree ------------------------------------------

_TYPES = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
          NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.STREET_ADDRESS, NameOID.USER_ID,
          NameOID.DOMAIN_COMPONENT, NameOID.EMAIL_ADDRESS, ObjectIdentifier("2.5.4.15")]
_VALUE = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 \"'\\,+=<>#;.-_@éß€\n")) | st.characters(blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
)


def _ascii_only(oid: ObjectIdentifier) -> bool:
    return oid in (NameOID.DOMAIN_COMPONENT, NameOID.EMAIL_ADDRESS)  # IA5String in cryptography's encoding


@given(st.lists(st.tuples(st.sampled_from(_TYPES), _VALUE), min_size=1, max_size=5))
def test_probe_and_stand_in_read_a_subject_alike(attributes: List[Tuple[ObjectIdentifier, str]]) -> None:
    """esprobe's PKI DN prediction and the stand-in's PKI realm, written apart, agree on any subject."""
    subject = x509.Name([
        x509.NameAttribute(oid, value.encode("ascii", "replace").decode() if _ascii_only(oid) else value)
        for oid, value in attributes
    ])
    cert = _certificate(subject)
    assert java_dn(cert) == subject_dn(cert)


@pytest.mark.parametrize(
    "attribute",
    [
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\xab", _type=_ASN1Type.BitString),
        x509.NameAttribute(NameOID.COMMON_NAME, "vis", _type=_ASN1Type.VisibleString),
        x509.NameAttribute(NameOID.COMMON_NAME, "bmp", _type=_ASN1Type.BMPString),
        x509.NameAttribute(NameOID.COMMON_NAME, "t61", _type=_ASN1Type.T61String),
        x509.NameAttribute(ObjectIdentifier("1.3.6.1.4.1.42.2.11.2.1"), "10.0.0.1"),
    ],
    ids=["bit-string", "visible-string", "bmp-string", "t61-string", "ip-keyword"],
)
def test_probe_and_stand_in_agree_on_values_java_does_not_read_as_text(attribute: x509.NameAttribute) -> None:
    cert = _certificate(x509.Name([attribute, x509.NameAttribute(NameOID.COMMON_NAME, "beats01")]))
    assert java_dn(cert) == subject_dn(cert)
