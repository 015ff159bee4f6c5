"""
Go's ``x509.ParseCertificate``, re-done over the DER bytes.

A Beat parses every certificate a server sends (and every CA it loads) with Go's parser before
anything else. Go refuses some certificates that ``cryptography`` reads (critical AKI/SKI/AIA,
duplicate extensions, inner/outer signature algorithm mismatch, explicit curve parameters,
non-ASCII dNSNames, IP SANs of the wrong length, malformed name constraints, version 4 ...),
and reads some that ``cryptography`` refuses (version 2, an explicit version 1, an empty EKU
extension); for version 1 and 2 certificates Go never looks at the extensions at all.

`parse` answers with Go's error text, or with the fields Go's verifier uses. The order of the
checks and the texts follow Go 1.27's ``crypto/x509/parser.go``; where an older Go differs in a
way a rule set knows about (negative serials), the `RuleSet` decides.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
import warnings
from contextlib import contextmanager
from dataclasses import field
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Tuple, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from esprobe.record import record

IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IpNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# universal tags
_BOOLEAN, _INTEGER, _BIT_STRING, _OCTET_STRING, _NULL, _OID = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
_UTC_TIME, _GENERALIZED_TIME, _SEQUENCE, _SET = 0x17, 0x18, 0x30, 0x31

_RSA, _ECDSA, _ED25519, _DSA = "1.2.840.113549.1.1.1", "1.2.840.10045.2.1", "1.3.101.112", "1.2.840.10040.4.1"
_X25519 = "1.3.101.110"
_MLDSA = ("2.16.840.1.101.3.4.3.17", "2.16.840.1.101.3.4.3.18", "2.16.840.1.101.3.4.3.19")
GO_CURVE_OIDS = {"1.3.132.0.33": "secp224r1", "1.2.840.10045.3.1.7": "secp256r1", "1.3.132.0.34": "secp384r1",
                 "1.3.132.0.35": "secp521r1"}
_AIA = "1.3.6.1.5.5.7.1.1"

# Go's ExtKeyUsage constants by OID (the rest are "unknown" usages, kept by OID too).
EKU_ANY = "2.5.29.37.0"
EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"


class _Malformed(Exception):
    pass


class _Reader:
    """A cursor over DER, in the manner of Go's cryptobyte.String."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def empty(self) -> bool:
        return self.pos >= len(self.data)

    def peek_tag(self) -> Optional[int]:
        return None if self.empty() else self.data[self.pos]

    def read_element(self) -> Tuple[int, bytes, bytes]:
        """(tag, whole element, contents); raises _Malformed on bad DER."""
        data, start = self.data, self.pos
        if start + 2 > len(data):
            raise _Malformed()
        tag = data[start]
        if tag & 0x1F == 0x1F:  # high tag numbers: not used by certificates
            raise _Malformed()
        first = data[start + 1]
        offset = start + 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4 or offset + count > len(data):
                raise _Malformed()
            length = int.from_bytes(data[offset:offset + count], "big")
            if length < 0x80 or data[offset] == 0:  # DER: minimal length encoding
                raise _Malformed()
            offset += count
        end = offset + length
        if end > len(data):
            raise _Malformed()
        self.pos = end
        return tag, data[start:end], data[offset:end]

    def read(self, tag: int) -> bytes:
        if self.peek_tag() != tag:
            raise _Malformed()
        return self.read_element()[2]

    def read_whole(self, tag: int) -> bytes:
        if self.peek_tag() != tag:
            raise _Malformed()
        return self.read_element()[1]

    def read_optional(self, tag: int) -> Optional[bytes]:
        if self.peek_tag() != tag:
            return None
        return self.read_element()[2]


def _integer(content: bytes) -> int:
    if not content or (len(content) > 1 and ((content[0] == 0 and content[1] < 0x80) or
                                             (content[0] == 0xFF and content[1] >= 0x80))):
        raise _Malformed()  # empty or not minimally encoded
    return int.from_bytes(content, "big", signed=True)


def _oid(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise _Malformed()
    parts: List[int] = []
    value = 0
    for i, byte in enumerate(content):
        if value == 0 and byte == 0x80 and (i == 0 or not content[i - 1] & 0x80):
            raise _Malformed()  # non-minimal sub-identifier
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = parts[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(p) for p in head + parts[1:])


def _read_oid(reader: _Reader) -> str:
    return _oid(reader.read(_OID))


def _bit_string(content: bytes) -> bytes:
    if not content or content[0] > 7 or (len(content) == 1 and content[0] != 0):
        raise _Malformed()
    if content[0] and content[-1] & ((1 << content[0]) - 1):
        raise _Malformed()  # padding bits must be zero
    return content[1:]


_UTC = re.compile(rb"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z")
_GENERALIZED = re.compile(rb"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z")


def _time(reader: _Reader) -> _dt.datetime:
    tag = reader.peek_tag()
    if tag == _UTC_TIME:
        match = _UTC.fullmatch(reader.read(_UTC_TIME))
        if not match:
            raise ValueError("x509: malformed UTCTime")
        year = int(match.group(1))
        year += 1900 if year >= 50 else 2000
        rest = [int(g) for g in match.groups()[1:]]
    elif tag == _GENERALIZED_TIME:
        match = _GENERALIZED.fullmatch(reader.read(_GENERALIZED_TIME))
        if not match:
            raise ValueError("x509: malformed GeneralizedTime")
        year = int(match.group(1))
        rest = [int(g) for g in match.groups()[1:]]
    else:
        raise ValueError("x509: unsupported time format")
    try:
        return _dt.datetime(year, rest[0], rest[1], rest[2], rest[3], rest[4], tzinfo=_dt.timezone.utc)
    except ValueError:
        raise ValueError("x509: malformed UTCTime" if tag == _UTC_TIME else "x509: malformed GeneralizedTime") from None


def _is_ia5(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False  # Go ranges over runes: invalid UTF-8 yields U+FFFD, which is not ASCII
    return all(ord(ch) < 128 for ch in text)


def domain_name_valid(text: str, constraint: bool) -> bool:
    """Go 1.27's domainNameValid (lenient: printable ASCII, no empty label, no trailing dot)."""
    if not text:
        return True
    if text.endswith("."):
        return False
    if constraint and text.startswith("."):
        text = text[1:]
    for label in text.split("."):
        if not label or any(ord(ch) < 33 or ord(ch) > 126 for ch in label):
            return False
    return True


def _valid_ip_mask(mask: bytes) -> bool:
    seen_zero = False
    for byte in mask:
        if seen_zero:
            if byte:
                return False
            continue
        if byte in (0x00, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE):
            seen_zero = True
        elif byte != 0xFF:
            return False
    return True


def _ip_mapped(data: bytes) -> bool:
    return len(data) == 16 and data[:10] == b"\x00" * 10 and data[10:12] == b"\xff\xff"


_MAILBOX_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+")


def _uri_problem(uri: str) -> Optional[str]:
    """The part of Go's url.Parse + domain check that certificates trip over, as Go words it."""
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://([^/?#]*)", uri)
    if not match:
        return None
    authority = match.group(1).rsplit("@", 1)[-1]
    if authority.startswith("["):
        if "]" not in authority:
            return f'parse "{uri}": missing \']\' in host'
        return None
    host = authority.rsplit(":", 1)[0] if ":" in authority else authority
    if host and not domain_name_valid(host, False):
        return "invalid domain"
    return None


@record(frozen=False)
class GoParsed:
    """The fields of a certificate Go's verifier reads (names follow Go's Certificate struct)."""

    raw: bytes
    tbs: bytes
    version: int
    serial: int
    signature_oid: str
    signature_params: bytes
    raw_issuer: bytes
    raw_subject: bytes
    raw_spki: bytes
    not_before: _dt.datetime
    not_after: _dt.datetime
    key_oid: str
    public_key: object
    signature: bytes
    extensions: List[Tuple[str, bool, bytes]] = field(default_factory=list)
    basic_constraints_valid: bool = False
    is_ca: bool = False
    max_path_len: int = -1
    key_usage: int = 0  # Go's bit order: digitalSignature = 1 << 0 ... keyCertSign = 1 << 5
    key_usage_present: bool = False
    ext_key_usage: Tuple[str, ...] = ()
    eku_present: bool = False
    subject_key_id: bytes = b""
    authority_key_id: bytes = b""
    has_san: bool = False
    san_value: bytes = b""
    san_entries: List[Tuple[str, object]] = field(default_factory=list)
    permitted: Dict[str, list] = field(default_factory=lambda: {"dns": [], "ip": [], "email": [], "uri": []})
    excluded: Dict[str, list] = field(default_factory=lambda: {"dns": [], "ip": [], "email": [], "uri": []})
    policies: List[str] = field(default_factory=list)
    policy_mappings: List[Tuple[str, str]] = field(default_factory=list)
    require_explicit_policy: Optional[int] = None
    inhibit_policy_mapping: Optional[int] = None
    inhibit_any_policy: Optional[int] = None
    unhandled_critical: List[str] = field(default_factory=list)

    @property
    def key_cert_sign(self) -> bool:
        return bool(self.key_usage & (1 << 5))

    @property
    def dns_names(self) -> List[str]:
        return [str(v) for k, v in self.san_entries if k == "dns"]

    @property
    def ip_addresses(self) -> List[IpAddress]:
        return [v for k, v in self.san_entries if k == "ip"]  # type: ignore[misc]


def parse(der: bytes, *, negative_serial_rejected: bool = True) -> Union[GoParsed, str]:
    """*der* as Go reads it: the fields (shared: never change them), or Go's error text (``x509: ...``)."""
    parsed, error, serial = _read(der)
    if negative_serial_rejected and serial is not None and serial < 0:
        # Where the rule set refuses negative serials, Go's parser stops right there, before any later step.
        return "x509: negative serial number"
    return parsed if parsed is not None else error


def parse_error(der: bytes, *, negative_serial_rejected: bool = True) -> Optional[str]:
    result = parse(der, negative_serial_rejected=negative_serial_rejected)
    return result if isinstance(result, str) else None


# Asked more than once of the same DER (the tls stage, then the chain verdict; a trust store lists a
# root in a bundle file and again in its directory; hundreds of targets present one certificate), and
# by rule sets that differ only on negative serials: Go's reading is worked out once per DER, with
# negative serials allowed, and `parse` applies the rule set to the serial it read.
@lru_cache(maxsize=1024)
def _read(der: bytes) -> Tuple[Optional[GoParsed], str, Optional[int]]:
    """(the fields or None, Go's error text or "", the serial if the parser got that far)."""
    progress: Dict[str, int] = {}
    try:
        return _parse(der, progress), "", progress.get("serial")
    except ValueError as error:
        return None, str(error), progress.get("serial")


@contextmanager
def _step(message: str) -> Iterator[None]:
    """Run a reader step; DER trouble becomes Go's message for that step."""
    try:
        yield
    except (_Malformed, IndexError):
        raise ValueError(message) from None


def _parse(der: bytes, progress: Dict[str, int]) -> GoParsed:
    outer = _Reader(der)
    with _step("x509: malformed certificate"):
        whole = outer.read_whole(_SEQUENCE)
        body = _Reader(_Reader(whole).read(_SEQUENCE))
    with _step("x509: malformed tbs certificate"):
        tbs_whole = body.read_whole(_SEQUENCE)
        tbs = _Reader(_Reader(tbs_whole).read(_SEQUENCE))
    with _step("x509: malformed version"):
        explicit = tbs.read_optional(0xA0)
        version = _integer(_Reader(explicit).read(_INTEGER)) if explicit is not None else 0
    if version < 0:
        raise ValueError("x509: malformed version")
    version += 1
    if version > 3:
        raise ValueError("x509: invalid version")
    with _step("x509: malformed serial number"):
        serial = _integer(tbs.read(_INTEGER))
    progress["serial"] = serial  # a rule set that refuses negative serials stops here (see `parse`)
    with _step("x509: malformed signature algorithm identifier"):
        inner_alg = tbs.read(_SEQUENCE)
    with _step("x509: malformed algorithm identifier"):
        outer_alg = body.read(_SEQUENCE)
    if inner_alg != outer_alg:
        raise ValueError("x509: inner and outer signature algorithm identifiers don't match")
    signature_oid, signature_params = _algorithm(inner_alg)
    with _step("x509: malformed issuer"):
        raw_issuer = tbs.read_whole(_SEQUENCE)
    _check_name(raw_issuer)
    with _step("x509: malformed validity"):
        validity = _Reader(tbs.read(_SEQUENCE))
    not_before = _time(validity)
    not_after = _time(validity)
    with _step("x509: malformed issuer"):  # sic: Go reuses the text for the subject
        raw_subject = tbs.read_whole(_SEQUENCE)
    _check_name(raw_subject)
    with _step("x509: malformed spki"):
        raw_spki = tbs.read_whole(_SEQUENCE)
        spki = _Reader(_Reader(raw_spki).read(_SEQUENCE))
    with _step("x509: malformed public key algorithm identifier"):
        key_alg = spki.read(_SEQUENCE)
    key_oid, key_params = _algorithm(key_alg)
    with _step("x509: malformed subjectPublicKey"):
        key_bits = _bit_string(spki.read(_BIT_STRING))
    public_key = _public_key(key_oid, key_params, key_bits, raw_spki)
    parsed = GoParsed(raw=whole, tbs=tbs_whole, version=version, serial=serial, signature_oid=signature_oid,
                      signature_params=signature_params, raw_issuer=raw_issuer, raw_subject=raw_subject,
                      raw_spki=raw_spki, not_before=not_before, not_after=not_after, key_oid=key_oid,
                      public_key=public_key, signature=b"")
    if version > 1:
        with _step("x509: malformed issuerUniqueID"):
            tbs.read_optional(0x81)
        with _step("x509: malformed subjectUniqueID"):
            tbs.read_optional(0x82)
        if version == 3:
            with _step("x509: malformed extensions"):
                block = tbs.read_optional(0xA3)
                extensions = _Reader(_Reader(block).read(_SEQUENCE)) if block is not None else None
            if extensions is not None:
                seen = set()
                while not extensions.empty():
                    with _step("x509: malformed extension"):
                        ext = _Reader(extensions.read(_SEQUENCE))
                    ext_oid, critical, value = _extension(ext)
                    if ext_oid in seen:
                        raise ValueError(f'x509: certificate contains duplicate extension with OID "{ext_oid}"')
                    seen.add(ext_oid)
                    parsed.extensions.append((ext_oid, critical, value))
                _process_extensions(parsed)
    with _step("x509: malformed signature"):
        parsed.signature = _bit_string(body.read(_BIT_STRING))
    return parsed


def _algorithm(content: bytes) -> Tuple[str, bytes]:
    reader = _Reader(content)
    with _step("x509: malformed OID"):
        dotted = _read_oid(reader)
    if reader.empty():
        return dotted, b""
    with _step("x509: malformed parameters"):
        _, params, _ = reader.read_element()
    return dotted, params


def _check_name(raw: bytes) -> None:
    with _step("x509: invalid RDNSequence"):
        rdns = _Reader(_Reader(raw).read(_SEQUENCE))
    while not rdns.empty():
        with _step("x509: invalid RDNSequence"):
            rdn = _Reader(rdns.read(_SET))
        while not rdn.empty():
            with _step("x509: invalid RDNSequence: invalid attribute"):
                atav = _Reader(rdn.read(_SEQUENCE))
            with _step("x509: invalid RDNSequence: invalid attribute type"):
                _read_oid(atav)
            with _step("x509: invalid RDNSequence: invalid attribute value: asn1: syntax error"):
                atav.read_element()


def _public_key(key_oid: str, params: bytes, bits: bytes, raw_spki: bytes) -> object:
    if key_oid == _RSA:
        if params != b"\x05\x00":
            raise ValueError("x509: RSA key missing NULL parameters")
        with _step("x509: invalid RSA public key"):
            key = _Reader(_Reader(bits).read(_SEQUENCE))
        with _step("x509: invalid RSA modulus"):
            modulus = _integer(key.read(_INTEGER))
        with _step("x509: invalid RSA public exponent"):
            exponent = _integer(key.read(_INTEGER))
            if exponent >= 1 << 31:
                raise _Malformed()
        if modulus <= 0:
            raise ValueError("x509: RSA modulus is not a positive number")
        if exponent <= 0:
            raise ValueError("x509: RSA public exponent is not a positive number")
    elif key_oid == _ECDSA:
        with _step("x509: invalid ECDSA parameters"):
            curve = _read_oid(_Reader(params))
        if curve not in GO_CURVE_OIDS:
            raise ValueError("x509: unsupported elliptic curve")
    elif key_oid == _ED25519:
        if params:
            raise ValueError("x509: Ed25519 key encoded with illegal parameters")
        if len(bits) != 32:
            raise ValueError("x509: wrong Ed25519 public key size")
    elif key_oid == _X25519:
        if params:
            raise ValueError("x509: X25519 key encoded with illegal parameters")
    elif key_oid in _MLDSA:
        if params:
            raise ValueError("x509: ML-DSA key encoded with illegal parameters")
    elif key_oid == _DSA:
        with _step("x509: invalid DSA public key"):
            y = _integer(_Reader(bits).read(_INTEGER))
        with _step("x509: invalid DSA parameters"):
            dsa_params = _Reader(_Reader(params).read(_SEQUENCE))
            p, q, g = (_integer(dsa_params.read(_INTEGER)) for _ in range(3))
        if min(y, p, q, g) <= 0:
            raise ValueError("x509: zero or negative DSA parameter")
    else:
        return None  # UnknownPublicKeyAlgorithm: Go leaves PublicKey nil and goes on
    try:
        return serialization.load_der_public_key(raw_spki)
    except (ValueError, TypeError):
        if key_oid == _ECDSA:  # a point not on the curve
            raise ValueError("crypto/ecdsa: invalid public key") from None
        return None


def _extension(ext: _Reader) -> Tuple[str, bool, bytes]:
    with _step("x509: malformed extension OID field"):
        dotted = _read_oid(ext)
    critical = False
    if ext.peek_tag() == _BOOLEAN:
        with _step("x509: malformed extension critical field"):
            flag = ext.read(_BOOLEAN)
            if flag not in (b"\x00", b"\xff"):
                raise _Malformed()
            critical = flag == b"\xff"
    with _step("x509: malformed extension value field"):
        value = ext.read(_OCTET_STRING)
    return dotted, critical, value


def _process_extensions(cert: GoParsed) -> None:
    for ext_oid, critical, value in cert.extensions:
        unhandled = False
        if ext_oid.startswith("2.5.29.") and ext_oid.count(".") == 3:
            number = int(ext_oid.rsplit(".", 1)[1])
            handler = _HANDLERS.get(number)
            if handler is None:
                unhandled = True
            else:
                unhandled = handler(cert, critical, value)
        elif ext_oid == _AIA:
            if critical:
                raise ValueError("x509: authority info access incorrectly marked critical")
            _authority_info_access(value)
        else:
            unhandled = True
        if critical and unhandled:
            cert.unhandled_critical.append(ext_oid)


def _key_usage(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid key usage"):
        reader = _Reader(value)
        content = reader.read(_BIT_STRING)
        if not content or content[0] > 7 or (len(content) == 1 and content[0] != 0):
            raise _Malformed()
        bits = content[1:]
    usage = 0
    for i in range(9):
        if i // 8 < len(bits) and bits[i // 8] & (0x80 >> (i % 8)):
            usage |= 1 << i
    cert.key_usage = usage
    cert.key_usage_present = True
    return False


def _basic_constraints(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid basic constraints"):
        reader = _Reader(_Reader(value).read(_SEQUENCE))
        is_ca = False
        if reader.peek_tag() == _BOOLEAN:
            flag = reader.read(_BOOLEAN)
            if flag not in (b"\x00", b"\xff"):
                raise _Malformed()
            is_ca = flag == b"\xff"
        max_path_len = -1
        if reader.peek_tag() == _INTEGER:
            max_path_len = _integer(reader.read(_INTEGER))
            if max_path_len < 0 or max_path_len >= 1 << 63:
                raise _Malformed()
    cert.is_ca, cert.max_path_len, cert.basic_constraints_valid = is_ca, max_path_len, True
    return False


def _san(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid subject alternative names"):
        names = _Reader(_Reader(value).read(_SEQUENCE))
    entries: List[Tuple[str, object]] = []
    while not names.empty():
        with _step("x509: invalid subject alternative name"):
            tag, _, data = names.read_element()
        kind = tag ^ 0x80
        if kind == 1:
            if not _is_ia5(data):
                raise ValueError("x509: SAN rfc822Name is malformed")
            entries.append(("email", data.decode()))
        elif kind == 2:
            if not _is_ia5(data):
                raise ValueError("x509: SAN dNSName is malformed")
            entries.append(("dns", data.decode()))
        elif kind == 6:
            if not _is_ia5(data):
                raise ValueError("x509: SAN uniformResourceIdentifier is malformed")
            uri = data.decode()
            problem = _uri_problem(uri)
            if problem:
                raise ValueError(f'x509: cannot parse URI "{uri}": {problem}')
            entries.append(("uri", uri))
        elif kind == 7:
            if len(data) == 16:
                if _ip_mapped(data):
                    raise ValueError("x509: SAN iPAddress contains IPv4-mapped IPv6 address")
                entries.append(("ip", ipaddress.IPv6Address(data)))
            elif len(data) == 4:
                entries.append(("ip", ipaddress.IPv4Address(data)))
            else:
                raise ValueError(f"x509: cannot parse IP address of length {len(data)}")
    cert.has_san, cert.san_value, cert.san_entries = True, value, entries
    return not entries  # nothing Go understands: the critical check below applies


def _name_constraints(cert: GoParsed, critical: bool, value: bytes) -> bool:
    try:
        outer = _Reader(value)
        top = _Reader(outer.read(_SEQUENCE))
        if not outer.empty():
            raise _Malformed()
        permitted = top.read_optional(0xA0)
        excluded = top.read_optional(0xA1)
        if not top.empty():
            raise _Malformed()
    except (_Malformed, IndexError):
        raise ValueError("x509: invalid NameConstraints extension") from None
    if (permitted is None and excluded is None) or (not permitted and not excluded):
        raise ValueError("x509: empty name constraints extension")
    unhandled = False
    for subtrees, into in ((permitted, cert.permitted), (excluded, cert.excluded)):
        reader = _Reader(subtrees or b"")
        while not reader.empty():
            with _step("x509: invalid NameConstraints extension"):
                tag, _, data = _Reader(reader.read(_SEQUENCE)).read_element()
            if tag == 0x82:
                if not _is_ia5(data):
                    raise ValueError(f'x509: invalid constraint value: x509: "{_go_string(data)}" cannot be encoded '
                                     "as an IA5String")
                domain = data.decode()
                if not domain_name_valid(domain, True):
                    raise ValueError(f'x509: failed to parse dnsName constraint "{domain}"')
                into["dns"].append(domain)
            elif tag == 0x87:
                if len(data) not in (8, 32):
                    raise ValueError(f"x509: IP constraint contained value of length {len(data)}")
                half = len(data) // 2
                address, mask = data[:half], data[half:]
                if not _valid_ip_mask(mask):
                    raise ValueError(f"x509: IP constraint contained invalid mask {mask.hex()}")
                if _ip_mapped(address):
                    raise ValueError("x509: IP constraint contained IPv4-mapped IPv6 address")
                prefix = sum(bin(b).count("1") for b in mask)
                network = ipaddress.ip_network((int.from_bytes(address, "big"), prefix), strict=False) \
                    if half == 4 else ipaddress.IPv6Network((int.from_bytes(address, "big"), prefix), strict=False)
                into["ip"].append(_with_address(network, address))
            elif tag == 0x81:
                if not _is_ia5(data):
                    raise ValueError(f'x509: invalid constraint value: x509: "{_go_string(data)}" cannot be encoded '
                                     "as an IA5String")
                constraint = data.decode()
                if "@" in constraint:
                    local, _, domain = constraint.rpartition("@")
                    if not local or not domain:
                        raise ValueError(f'x509: failed to parse rfc822Name constraint "{constraint}"')
                elif not domain_name_valid(constraint, True):
                    raise ValueError(f'x509: failed to parse rfc822Name constraint "{constraint}"')
                into["email"].append(constraint)
            elif tag == 0x86:
                if not _is_ia5(data):
                    raise ValueError(f'x509: invalid constraint value: x509: "{_go_string(data)}" cannot be encoded '
                                     "as an IA5String")
                domain = data.decode()
                try:
                    ipaddress.ip_address(domain)
                    raise ValueError(f'x509: failed to parse URI constraint "{domain}": cannot be IP address')
                except ipaddress.AddressValueError:
                    pass
                except ValueError as error:
                    if "cannot be IP address" in str(error):
                        raise
                if not domain_name_valid(domain, True):
                    raise ValueError(f'x509: failed to parse URI constraint "{domain}"')
                into["uri"].append(domain)
            else:
                unhandled = True
    return unhandled


def _with_address(network: IpNetwork, address: bytes) -> IpNetwork:
    # Go keeps the address bytes as given (not masked); matching masks both sides, so the
    # network form is equivalent for verification.
    return network


def _go_string(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _authority_key_id(cert: GoParsed, critical: bool, value: bytes) -> bool:
    if critical:
        raise ValueError("x509: authority key identifier incorrectly marked critical")
    with _step("x509: invalid authority key identifier"):
        akid = _Reader(_Reader(value).read(_SEQUENCE))
        key_id = akid.read_optional(0x80)
    cert.authority_key_id = key_id or b""
    return False


def _policy_constraints(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid policy constraints extension"):
        reader = _Reader(_Reader(value).read(_SEQUENCE))
        require = reader.read_optional(0x80)
        if require is not None:
            cert.require_explicit_policy = _integer(require)
        inhibit = reader.read_optional(0x81)
        if inhibit is not None:
            cert.inhibit_policy_mapping = _integer(inhibit)
    return False


def _ext_key_usage(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid extended key usages"):
        reader = _Reader(_Reader(value).read(_SEQUENCE))
        usages = []
        while not reader.empty():
            usages.append(_read_oid(reader))
    cert.ext_key_usage, cert.eku_present = tuple(usages), True
    return False


def _subject_key_id(cert: GoParsed, critical: bool, value: bytes) -> bool:
    if critical:
        raise ValueError("x509: subject key identifier incorrectly marked critical")
    with _step("x509: invalid subject key identifier"):
        cert.subject_key_id = _Reader(value).read(_OCTET_STRING)
    return False


def _certificate_policies(cert: GoParsed, critical: bool, value: bytes) -> bool:
    seen = set()
    with _step("x509: invalid certificate policies"):
        reader = _Reader(_Reader(value).read(_SEQUENCE))
        while not reader.empty():
            info = _Reader(reader.read(_SEQUENCE))
            raw = info.read(_OID)
            if raw in seen:
                raise _Malformed()
            seen.add(raw)
            cert.policies.append(_oid(raw))
    return False


def _policy_mappings(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid policy mappings extension"):
        reader = _Reader(_Reader(value).read(_SEQUENCE))
        while not reader.empty():
            pair = _Reader(reader.read(_SEQUENCE))
            cert.policy_mappings.append((_read_oid(pair), _read_oid(pair)))
    return False


def _inhibit_any_policy(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid inhibit any policy extension"):
        cert.inhibit_any_policy = _integer(_Reader(value).read(_INTEGER))
    return False


def _crl_distribution_points(cert: GoParsed, critical: bool, value: bytes) -> bool:
    with _step("x509: invalid CRL distribution points"):
        _Reader(value).read(_SEQUENCE)
    return False


def _authority_info_access(value: bytes) -> None:
    with _step("x509: invalid authority info access"):
        reader = _Reader(_Reader(value).read(_SEQUENCE))
        while not reader.empty():
            description = _Reader(reader.read(_SEQUENCE))
            _read_oid(description)


_HANDLERS = {15: _key_usage, 19: _basic_constraints, 17: _san, 30: _name_constraints, 31: _crl_distribution_points,
             35: _authority_key_id, 36: _policy_constraints, 37: _ext_key_usage, 14: _subject_key_id,
             32: _certificate_policies, 33: _policy_mappings, 54: _inhibit_any_policy}


# --- certificates cryptography will not load ---------------------------------------------------

_ORIGINALS: Dict[bytes, bytes] = {}
_ORIGINALS_LIMIT = 4096


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def load(der: bytes, parsed: Optional[GoParsed] = None) -> Optional[x509.Certificate]:
    """
    A ``cryptography`` certificate for *der*; when ``cryptography`` refuses a certificate Go reads
    (version 2, an explicit version 1), a stand-in with the same serial, names, validity and
    key but no extensions (Go ignores them there anyway). `original_der` maps the stand-in back.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion):
        pass
    if parsed is None:
        result = parse(der, negative_serial_rejected=False)
        if isinstance(result, str):
            return None
        parsed = result
    if parsed.version == 3:
        return None  # cryptography refuses something Go reads in a v3 certificate: nothing to stand in with
    algorithm = _tlv(_SEQUENCE, _oid_der(parsed.signature_oid) + parsed.signature_params)
    serial = parsed.serial
    size = (serial.bit_length() + 8) // 8 if serial >= 0 else ((-serial - 1).bit_length() + 8) // 8
    validity = _reader_slice(parsed.tbs)
    tbs = _tlv(_SEQUENCE, _tlv(_INTEGER, serial.to_bytes(max(size, 1), "big", signed=True)) + algorithm +
               parsed.raw_issuer + validity + parsed.raw_subject + parsed.raw_spki)
    standin = _tlv(_SEQUENCE, tbs + algorithm + _tlv(_BIT_STRING, b"\x00" + parsed.signature))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(standin)
    except (ValueError, x509.InvalidVersion):
        return None
    if len(_ORIGINALS) >= _ORIGINALS_LIMIT:
        _ORIGINALS.clear()
    _ORIGINALS[standin] = der
    return cert


def _oid_der(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return _tlv(_OID, bytes(body))


def _reader_slice(tbs_whole: bytes) -> bytes:
    """The validity SEQUENCE of a TBS, whole."""
    reader = _Reader(_Reader(tbs_whole).read(_SEQUENCE))
    if reader.peek_tag() == 0xA0:
        reader.read_element()
    for _ in range(3):  # serial, signature, issuer
        reader.read_element()
    return reader.read_element()[1]


def original_der(der: bytes) -> bytes:
    """The certificate a stand-in from `load` stands for (or *der* itself)."""
    return _ORIGINALS.get(der, der)
