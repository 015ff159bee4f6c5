"""
Go's ``crypto/x509`` chain verification (``Certificate.Verify``, client side), redone in Python.

A Beat judges a server's chain with Go's rules, not OpenSSL's: SHA-1 signatures are refused
(except on a root, whose self-signature nobody checks), keyUsage bits are ignored, a CA:TRUE
leaf is fine, EKUs nest down the chain, name constraints apply to every SAN, and every failure
has Go's own wording. This module reproduces that behaviour and that wording (Go 1.24, the
version current Beats are built with) so esprobe's verdict and the Beat's log line agree.

Sources, read for the facts (no code copied): golang/go ``src/crypto/x509/verify.go``
(``Verify``, ``buildChains``, ``isValid``, ``checkNameConstraints``, ``checkChainForKeyUsage``,
``alreadyInChain``), ``cert_pool.go`` (``findPotentialParents``), ``x509.go``
(``CheckSignatureFrom``, ``checkSignature``, ``InsecureAlgorithmError``), ``parser.go``
(which critical extensions count as handled). Policy-graph validation (Go 1.22+) is not
reproduced: it only rejects chains whose CAs demand an explicit policy, which Elastic stacks
do not use.

Pure code: certificates in, verdicts out. Nothing here raises on bad input; a certificate
``cryptography`` cannot fully read is judged as Go would judge what it could read.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import warnings
from dataclasses import field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from esprobe.ip_text import go_ip_string
from esprobe.record import record
from esprobe.rulesets import RuleSet
from esprobe.rulesets import resolve as resolve_rules
from esprobe.x509 import go_parse, go_policies

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
ANY_EXTENDED_KEY_USAGE = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE

# Go's own bounds (verify.go): a server that sends 100 look-alike intermediates costs at most
# this many signature checks, exactly as it would cost the Beat.
MAX_SIGNATURE_CHECKS = 100
MAX_CONSTRAINT_COMPARISONS = 250000

# --- error kinds -----------------------------------------------------------------------------
# What went wrong, as data. `GoError.text` carries Go's exact words.
UNKNOWN_AUTHORITY = "unknown-authority"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
NOT_AUTHORIZED_TO_SIGN = "not-authorized-to-sign"
TOO_MANY_INTERMEDIATES = "too-many-intermediates"
INCOMPATIBLE_USAGE = "incompatible-usage"
INVALID_POLICIES = "invalid-policies"
NAME_CONSTRAINTS = "name-constraints"
TOO_MANY_CONSTRAINTS = "too-many-constraints"
UNHANDLED_CRITICAL_EXTENSION = "unhandled-critical-extension"
NAME_MISMATCH = "name-mismatch"
SIGNATURE_LIMIT = "signature-limit"
SAN_UNPARSABLE = "san-unparsable"
INTERNAL = "internal"
# Only ever seen as the *hint* of an unknown-authority error (a candidate issuer was rejected):
INSECURE_ALGORITHM = "insecure-algorithm"
RSA_KEY_TOO_SMALL = "rsa-key-too-small"
BAD_SIGNATURE = "bad-signature"
KEY_ALGORITHM_MISMATCH = "key-algorithm-mismatch"
PARENT_CANNOT_SIGN = "parent-cannot-sign"
UNSUPPORTED_ALGORITHM = "unsupported-algorithm"

_UNSUPPORTED_TEXT = "x509: cannot verify signature: algorithm unimplemented"
RSA_KEY_SIZE_TEXT = "crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"
MIN_RSA_BITS = 1024  # Go 1.24: smaller keys fail every RSA operation (GODEBUG rsa1024min=0 reverts)
MAX_RSA_BITS = 8192  # crypto/tls refuses server certificates with bigger RSA keys (GODEBUG tlsmaxrsasize)

_LEAF, _INTERMEDIATE, _ROOT = 0, 1, 2


@record
class GoError:
    """
    One Go verification error.

    Attributes:
        kind: one of the kind constants above.
        text: Go's ``err.Error()``, exactly.
        cert: the certificate the error is about: the expired one, the CA whose name
            constraints or path length were violated, the certificate whose EKU list lacks the
            requested usage (Go itself names the leaf there), the certificate Go could not find
            an issuer for. None only for internal errors.
        hint: for ``unknown-authority``: the error that made Go reject a candidate issuer
            (Go prints it as ``possibly because of ...``), else None.
        hint_cert: the rejected candidate issuer, when *hint* is set.
    """

    kind: str
    text: str
    cert: Optional[x509.Certificate] = field(default=None, repr=False, compare=False)
    hint: Optional["GoError"] = None
    hint_cert: Optional[x509.Certificate] = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.text


@record
class GoVerifyResult:
    """
    What ``Certificate.Verify`` returns: chains (each leaf first, trust anchor last) or an error.

    Attributes:
        chains: every verified chain; empty when *error* is set.
        error: why verification failed, or None.
    """

    chains: Tuple[Tuple[x509.Certificate, ...], ...] = ()
    error: Optional[GoError] = None

    @property
    def ok(self) -> bool:
        return self.error is None


# --- what Go reads out of a certificate ------------------------------------------------------

# OID -> (Go name, hash or None, public-key algorithm Go expects)
_SIGNATURE_ALGORITHMS: Dict[str, Tuple[str, Optional[str], str]] = {
    "1.2.840.113549.1.1.2": ("MD2-RSA", None, "RSA"),
    "1.2.840.113549.1.1.4": ("MD5-RSA", "md5", "RSA"),
    "1.2.840.113549.1.1.5": ("SHA1-RSA", "sha1", "RSA"),
    "1.3.14.3.2.29": ("SHA1-RSA", "sha1", "RSA"),
    "1.2.840.113549.1.1.11": ("SHA256-RSA", "sha256", "RSA"),
    "1.2.840.113549.1.1.12": ("SHA384-RSA", "sha384", "RSA"),
    "1.2.840.113549.1.1.13": ("SHA512-RSA", "sha512", "RSA"),
    "1.2.840.113549.1.1.10": ("RSAPSS", "pss", "RSA"),  # hash comes from the parameters
    "1.2.840.10040.4.3": ("DSA-SHA1", "sha1", "DSA"),
    "2.16.840.1.101.3.4.3.2": ("DSA-SHA256", "sha256", "DSA"),
    "1.2.840.10045.4.1": ("ECDSA-SHA1", "sha1", "ECDSA"),
    "1.2.840.10045.4.3.2": ("ECDSA-SHA256", "sha256", "ECDSA"),
    "1.2.840.10045.4.3.3": ("ECDSA-SHA384", "sha384", "ECDSA"),
    "1.2.840.10045.4.3.4": ("ECDSA-SHA512", "sha512", "ECDSA"),
    "1.3.101.112": ("Ed25519", None, "Ed25519"),
}

_HASHES: Dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# Go's type names, as `%T` prints them in the key-algorithm mismatch error.
_GO_KEY_TYPES = {"RSA": "*rsa.PublicKey", "ECDSA": "*ecdsa.PublicKey", "Ed25519": "ed25519.PublicKey",
                 "DSA": "*dsa.PublicKey"}

# Curves Go's x509 parser knows; any other makes the whole certificate unparsable for Go.
GO_CURVES = {"secp224r1": "P-224", "secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

# Extensions Go's parser handles, so that marking them critical is harmless (parser.go).
_HANDLED_EXTENSIONS = {
    "2.5.29.15",  # keyUsage
    "2.5.29.19",  # basicConstraints
    "2.5.29.17",  # subjectAltName (unless it holds no name Go understands)
    "2.5.29.30",  # nameConstraints (unless it holds a constraint type Go does not support)
    "2.5.29.31",  # cRLDistributionPoints
    "2.5.29.35",  # authorityKeyIdentifier
    "2.5.29.36",  # policyConstraints
    "2.5.29.37",  # extKeyUsage
    "2.5.29.14",  # subjectKeyIdentifier
    "2.5.29.32",  # certificatePolicies
    "2.5.29.33",  # policyMappings
    "2.5.29.54",  # inhibitAnyPolicy
    "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
}

IpAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IpNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _utc(value: _dt.datetime) -> _dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)


def not_before(cert: x509.Certificate) -> _dt.datetime:
    """The certificate's notBefore as an aware UTC datetime (works on cryptography 41 too)."""
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else _utc(cert.not_valid_before)


def not_after(cert: x509.Certificate) -> _dt.datetime:
    """The certificate's notAfter as an aware UTC datetime."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else _utc(cert.not_valid_after)


def go_time(value: _dt.datetime) -> str:
    """Go's ``time.RFC3339`` rendering: whole seconds, ``Z`` for a zero offset, else ``+hh:mm``."""
    value = _utc(value)
    offset = value.utcoffset() or _dt.timedelta(0)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if offset == _dt.timedelta(0):
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def go_quote(text: str) -> str:
    """Go's ``%q`` (``strconv.Quote``) for the texts that end up in error messages."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not char.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def serial_number(cert: x509.Certificate) -> int:
    """The serial number, without cryptography's deprecation warning for non-positive ones (Go decides)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cert.serial_number


def _ip16(address: IpAddress) -> bytes:
    if isinstance(address, ipaddress.IPv4Address):
        return b"\x00" * 10 + b"\xff\xff" + address.packed
    return address.packed


def go_ip_equal(a: IpAddress, b: IpAddress) -> bool:
    """``net.IP.Equal``: IPv4 and its IPv4-mapped IPv6 form are the same address."""
    return _ip16(a) == _ip16(b)


def go_parse_ip(text: str) -> Optional[IpAddress]:
    """``net.ParseIP``: dotted IPv4 (no leading zeros) or IPv6 without a zone; else None."""
    if not text or "%" in text or text.strip() != text:
        return None
    dotted = text.rpartition(":")[2]
    if "." in dotted and any(len(part) > 1 and part.startswith("0") for part in dotted.split(".")):
        return None  # Go refuses leading zeros in IPv4 (also inside IPv6); Python only from 3.9.5 on
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


# --- a small DER reader: Go compares the exact bytes of names and keys -----------------------


def _der_header(data: bytes, offset: int) -> Tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at *offset*."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _raw_tbs_fields(tbs: bytes) -> Tuple[bytes, bytes, bytes]:
    """RawIssuer, RawSubject, RawSubjectPublicKeyInfo out of a TBSCertificate, as Go keeps them."""
    _tag, offset, end = _der_header(tbs, 0)
    elements: List[bytes] = []
    while offset < end:
        tag, _start, element_end = _der_header(tbs, offset)
        if not (tag == 0xA0 and not elements):  # skip the optional [0] version
            elements.append(tbs[offset:element_end])
        offset = element_end
    # serial, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    return elements[2], elements[4], elements[5]


class GoCertificate:
    """
    The fields Go's verifier looks at, read once from a ``cryptography`` certificate.

    Reading never raises: whatever cannot be read is recorded in *problems* and the field is
    left at the value Go would have for an absent extension.
    """

    def __init__(self, cert: x509.Certificate) -> None:
        self.cert = cert
        self.problems: List[str] = []
        self.go: Optional[go_parse.GoParsed] = None  # Go's own reading, when Go can parse the certificate

        self.raw = go_parse.original_der(cert.public_bytes(Encoding.DER))
        self.common_name = _last_attribute(cert.subject, NameOID.COMMON_NAME)
        organizations = _attributes(cert.subject, NameOID.ORGANIZATION_NAME)
        self.organization = organizations[0] if organizations else ""
        self._read_public_key()
        self._read_signature_algorithm()
        parsed = go_parse.parse(self.raw, negative_serial_rejected=False)
        if isinstance(parsed, go_parse.GoParsed):
            self._take_go_fields(parsed)  # what Go reads, even where cryptography reads otherwise
        else:  # only cryptography's reading is left
            self._read_fields()
            self._read_extensions()

    def _read_fields(self) -> None:
        cert = self.cert
        self.signature = cert.signature
        try:
            self.tbs = cert.tbs_certificate_bytes
            self.raw_issuer, self.raw_subject, self.raw_spki = _raw_tbs_fields(self.tbs)
        except Exception as exc:
            self.problems.append(f"TBS: {exc}")
            self.tbs = b""
            self.raw_issuer = cert.issuer.public_bytes()
            self.raw_subject = cert.subject.public_bytes()
            self.raw_spki = b""
        self.version = 1 if cert.version == x509.Version.v1 else 3
        self.not_before = not_before(cert)
        self.not_after = not_after(cert)
        self.serial = serial_number(cert)

    def _take_go_fields(self, parsed: go_parse.GoParsed) -> None:
        self.tbs, self.signature = parsed.tbs, parsed.signature
        self.raw_issuer, self.raw_subject, self.raw_spki = parsed.raw_issuer, parsed.raw_subject, parsed.raw_spki
        self.version = parsed.version
        self.serial = parsed.serial
        self.not_before, self.not_after = parsed.not_before, parsed.not_after
        self.basic_constraints_valid = parsed.basic_constraints_valid
        self.is_ca = parsed.is_ca
        self.max_path_len = parsed.max_path_len
        self.key_usage_present = parsed.key_usage_present and parsed.key_usage != 0
        self.key_cert_sign = parsed.key_cert_sign
        self.ext_key_usage: Tuple[str, ...] = parsed.ext_key_usage
        self.subject_key_id = parsed.subject_key_id
        self.authority_key_id = parsed.authority_key_id
        self.has_san = parsed.has_san
        self.san_value = parsed.san_value
        self.san_entries: List[Tuple[str, object]] = list(parsed.san_entries)
        self.dns_names: List[str] = parsed.dns_names
        self.ip_addresses: List[IpAddress] = parsed.ip_addresses
        self.permitted: Dict[str, list] = parsed.permitted
        self.excluded: Dict[str, list] = parsed.excluded
        self.unhandled_critical: List[str] = list(parsed.unhandled_critical)
        self.go = parsed

    # The name Go prints for a candidate issuer in "while trying to verify candidate authority
    # certificate ...": the CN, else the first O, else "serial:<decimal>".
    @property
    def display_name(self) -> str:
        if self.common_name:
            return self.common_name
        if self.organization:
            return self.organization
        return f"serial:{self.serial}"

    def _read_public_key(self) -> None:
        self.public_key: object = None
        self.key_algorithm: Optional[str] = None
        try:
            key = self.cert.public_key()
        except Exception as exc:
            self.problems.append(f"public key: {exc}")
            return
        if isinstance(key, rsa.RSAPublicKey):
            self.key_algorithm = "RSA"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if key.curve.name not in GO_CURVES:
                return  # Go cannot parse the certificate at all; see `go_parse_error`
            self.key_algorithm = "ECDSA"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            self.key_algorithm = "Ed25519"
        elif isinstance(key, dsa.DSAPublicKey):
            self.key_algorithm = "DSA"
        else:  # Ed448, X25519 ...: Go leaves PublicKey nil
            return
        self.public_key = key

    def _read_signature_algorithm(self) -> None:
        oid = self.cert.signature_algorithm_oid.dotted_string
        name, hash_name, key_algorithm = _SIGNATURE_ALGORITHMS.get(oid, ("0", None, "unknown"))
        if hash_name == "pss":
            try:
                hash_name = self.cert.signature_hash_algorithm.name  # type: ignore[union-attr]
                name = {"sha256": "SHA256-RSAPSS", "sha384": "SHA384-RSAPSS",
                        "sha512": "SHA512-RSAPSS"}.get(hash_name or "", "0")
            except Exception:
                name, hash_name = "0", None
            if name == "0":
                key_algorithm = "unknown"
        self.signature_name = name
        self.signature_hash = hash_name
        self.signature_key_algorithm = key_algorithm
        self.is_pss = name.endswith("RSAPSS")

    def _read_extensions(self) -> None:
        self.basic_constraints_valid = False
        self.is_ca = False
        self.max_path_len = -1
        self.key_usage_present = False
        self.key_cert_sign = False
        self.ext_key_usage = ()
        self.subject_key_id = b""
        self.authority_key_id = b""
        self.has_san = False
        self.san_value = b""
        self.san_entries = []  # ("email"|"dns"|"uri"|"ip", value) in order
        self.dns_names = []
        self.ip_addresses = []
        self.permitted = {"dns": [], "ip": [], "email": [], "uri": []}
        self.excluded = {"dns": [], "ip": [], "email": [], "uri": []}
        self.unhandled_critical = []
        try:
            with warnings.catch_warnings():
                # cryptography warns about a zero serial when it first parses the extensions
                # (then caches them); Go accepts serial 0, so the warning is noise here.
                warnings.simplefilter("ignore")
                extensions = list(self.cert.extensions)
        except Exception as exc:
            self.problems.append(f"extensions: {exc}")
            return
        for ext in extensions:
            oid = ext.oid.dotted_string
            unhandled = oid not in _HANDLED_EXTENSIONS
            value = ext.value
            try:
                if isinstance(value, x509.BasicConstraints):
                    self.basic_constraints_valid = True
                    self.is_ca = bool(value.ca)
                    if value.path_length is not None:
                        self.max_path_len = value.path_length
                elif isinstance(value, x509.KeyUsage):
                    self.key_cert_sign = bool(value.key_cert_sign)
                    self.key_usage_present = _key_usage_nonzero(value)
                elif isinstance(value, x509.ExtendedKeyUsage):
                    self.ext_key_usage = tuple(o.dotted_string for o in value)
                elif isinstance(value, x509.SubjectKeyIdentifier):
                    self.subject_key_id = value.digest
                elif isinstance(value, x509.AuthorityKeyIdentifier):
                    self.authority_key_id = value.key_identifier or b""
                elif isinstance(value, x509.SubjectAlternativeName):
                    self.has_san = True
                    self.san_value = _extension_bytes(value)
                    unhandled = not self._read_san(value)
                elif isinstance(value, x509.NameConstraints):
                    unhandled = not self._read_name_constraints(value)
            except Exception as exc:
                self.problems.append(f"{oid}: {exc}")
            if ext.critical and unhandled:
                self.unhandled_critical.append(oid)

    def _read_san(self, san: x509.SubjectAlternativeName) -> bool:
        understood = False
        for general_name in san:
            if isinstance(general_name, x509.DNSName):
                self.san_entries.append(("dns", general_name.value))
                self.dns_names.append(general_name.value)
            elif isinstance(general_name, x509.IPAddress) and not isinstance(
                general_name.value, (ipaddress.IPv4Network, ipaddress.IPv6Network)
            ):
                self.san_entries.append(("ip", general_name.value))
                self.ip_addresses.append(general_name.value)
            elif isinstance(general_name, x509.RFC822Name):
                self.san_entries.append(("email", general_name.value))
            elif isinstance(general_name, x509.UniformResourceIdentifier):
                self.san_entries.append(("uri", general_name.value))
            else:
                continue
            understood = True
        return understood  # Go counts a SAN with none of these four as unhandled

    def _read_name_constraints(self, constraints: x509.NameConstraints) -> bool:
        handled = True
        for subtrees, into in (
            (constraints.permitted_subtrees, self.permitted),
            (constraints.excluded_subtrees, self.excluded),
        ):
            for general_name in subtrees or ():
                if isinstance(general_name, x509.DNSName):
                    into["dns"].append(general_name.value)
                elif isinstance(general_name, x509.IPAddress):
                    into["ip"].append(general_name.value)
                elif isinstance(general_name, x509.RFC822Name):
                    into["email"].append(general_name.value)
                elif isinstance(general_name, x509.UniformResourceIdentifier):
                    into["uri"].append(general_name.value)
                else:  # directoryName and friends: Go does not support them
                    handled = False
        return handled

    @property
    def has_name_constraints(self) -> bool:
        return any(self.permitted.values()) or any(self.excluded.values())


_VIEW_CACHE: Dict[bytes, GoCertificate] = {}
_VIEW_CACHE_SIZE = 4096  # an OS trust store is ~150 roots; reading them once per run is enough


def go_view(cert: x509.Certificate) -> GoCertificate:
    """The `GoCertificate` for *cert*, read once and remembered (bounded cache, keyed by DER)."""
    key = cert.public_bytes(Encoding.DER)
    view = _VIEW_CACHE.get(key)
    if view is None:
        view = GoCertificate(cert)
        if len(_VIEW_CACHE) >= _VIEW_CACHE_SIZE:
            _VIEW_CACHE.clear()
        _VIEW_CACHE[key] = view
    return view


def _attributes(name: x509.Name, oid: x509.ObjectIdentifier) -> List[str]:
    values = []
    for attribute in name.get_attributes_for_oid(oid):
        if isinstance(attribute.value, str):
            values.append(attribute.value)
    return values


def _last_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    # Go's pkix.Name keeps the last CN it meets.
    values = _attributes(name, oid)
    return values[-1] if values else ""


def common_name(cert: x509.Certificate) -> str:
    """The subject CN as Go reads it (the last CN attribute), or ``""``."""
    try:
        return _last_attribute(cert.subject, NameOID.COMMON_NAME)
    except Exception:
        return ""


def _key_usage_nonzero(usage: x509.KeyUsage) -> bool:
    bits = [
        usage.digital_signature, usage.content_commitment, usage.key_encipherment,
        usage.data_encipherment, usage.key_agreement, usage.key_cert_sign, usage.crl_sign,
    ]
    if usage.key_agreement:
        bits += [usage.encipher_only, usage.decipher_only]
    return any(bits)


def _extension_bytes(value: x509.ExtensionType) -> bytes:
    try:
        return value.public_bytes()
    except Exception:
        return repr(value).encode()


def go_parse_error(cert: x509.Certificate, *, negative_serial_rejected: bool = True) -> Optional[str]:
    """
    Why Go's ``x509.ParseCertificate`` would refuse *cert* outright, or None.

    A Beat's TLS client parses every certificate the server sends before verifying anything,
    so one of these fails the handshake in every ``verification_mode``
    (``tls: failed to parse certificate from server: <this>``); a CA file's certificate Go cannot
    parse is left out of the pool without a word. `go_parse` re-does Go's parser over the DER.
    """
    der = go_parse.original_der(cert.public_bytes(Encoding.DER))
    return go_parse.parse_error(der, negative_serial_rejected=negative_serial_rejected)


def rsa_key_bits(cert: x509.Certificate) -> Optional[int]:
    """The RSA modulus size of *cert*'s key, or None when it is not an RSA key."""
    try:
        key = cert.public_key()
    except Exception:
        return None
    return key.key_size if isinstance(key, rsa.RSAPublicKey) else None


# --- signatures (x509.go checkSignature) -----------------------------------------------------


def check_signature(child: GoCertificate, parent_key: object, parent_key_algorithm: Optional[str],
                    *, allow_insecure: bool = False) -> Optional[GoError]:
    """
    Check *child*'s signature with *parent_key*, Go's way. Returns None when it verifies.

    ``allow_insecure`` lifts Go's SHA-1/MD5 ban (used to tell whether a certificate is
    self-signed at all, not to verify chains).
    """
    name, hash_name, expected = child.signature_name, child.signature_hash, child.signature_key_algorithm
    if expected == "unknown" or (hash_name is None and expected != "Ed25519"):
        return GoError(UNSUPPORTED_ALGORITHM, _UNSUPPORTED_TEXT)
    if hash_name in ("md5", "sha1") and not allow_insecure:
        # Go 1.24 text; Go 1.18-1.23 appended " (temporarily override with GODEBUG=x509sha1=1)"
        # to the SHA-1 variants (GODEBUG x509sha1 was removed in Go 1.24, golang/go#62048).
        return GoError(INSECURE_ALGORITHM, f"x509: cannot verify signature: insecure algorithm {name}")
    if parent_key_algorithm is None or parent_key is None:
        return GoError(UNSUPPORTED_ALGORITHM, _UNSUPPORTED_TEXT)
    if parent_key_algorithm != expected:
        return GoError(
            KEY_ALGORITHM_MISMATCH,
            f"x509: signature algorithm specifies an {expected} public key, but have public key of type "
            f"{_GO_KEY_TYPES.get(parent_key_algorithm, parent_key_algorithm)}",
        )
    data, signature = child.tbs, child.signature
    try:
        if isinstance(parent_key, rsa.RSAPublicKey):
            if parent_key.key_size < MIN_RSA_BITS:
                return GoError(RSA_KEY_TOO_SMALL, RSA_KEY_SIZE_TEXT.format(bits=parent_key.key_size))
            algorithm = _HASHES[hash_name or ""]()
            if child.is_pss:
                pad: padding.AsymmetricPadding = padding.PSS(
                    mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size
                )
            else:
                pad = padding.PKCS1v15()
            try:
                parent_key.verify(signature, data, pad, algorithm)
            except InvalidSignature:
                return GoError(BAD_SIGNATURE, "crypto/rsa: verification error")
        elif isinstance(parent_key, ec.EllipticCurvePublicKey):
            try:
                parent_key.verify(signature, data, ec.ECDSA(_HASHES[hash_name or ""]()))
            except InvalidSignature:
                return GoError(BAD_SIGNATURE, "x509: ECDSA verification failure")
        elif isinstance(parent_key, ed25519.Ed25519PublicKey):
            try:
                parent_key.verify(signature, data)
            except InvalidSignature:
                return GoError(BAD_SIGNATURE, "x509: Ed25519 verification failure")
        else:  # DSA: Go stopped verifying DSA signatures in 1.16
            return GoError(UNSUPPORTED_ALGORITHM, _UNSUPPORTED_TEXT)
    except (ValueError, TypeError, KeyError):  # malformed signature bytes, odd hash
        return GoError(BAD_SIGNATURE, "x509: ECDSA verification failure"
                       if isinstance(parent_key, ec.EllipticCurvePublicKey) else "crypto/rsa: verification error")
    return None


def check_signature_from(child: GoCertificate, parent: GoCertificate) -> Optional[GoError]:
    """``Certificate.CheckSignatureFrom``: the parent must be allowed to sign, then the signature must verify."""
    # RFC 5280 4.2.1.9, as Go applies it: a v3 issuer needs basicConstraints with cA set, and
    # a keyUsage extension, when present, must allow keyCertSign. (Go ignores keyUsage
    # everywhere else.)
    if (parent.version == 3 and not parent.basic_constraints_valid) or (
        parent.basic_constraints_valid and not parent.is_ca
    ):
        return GoError(PARENT_CANNOT_SIGN,
                       "x509: invalid signature: parent certificate cannot sign this kind of certificate")
    if parent.key_usage_present and not parent.key_cert_sign:
        return GoError(PARENT_CANNOT_SIGN,
                       "x509: invalid signature: parent certificate cannot sign this kind of certificate")
    return check_signature(child, parent.public_key, parent.key_algorithm)


def signature_verifies_with_own_key(cert: x509.Certificate) -> bool:
    """True when *cert*'s signature verifies with its own public key (any hash, even SHA-1)."""
    view = go_view(cert)
    return check_signature(view, view.public_key, view.key_algorithm, allow_insecure=True) is None


# --- name constraints (verify.go) ------------------------------------------------------------


def _domain_to_reverse_labels(domain: str) -> Optional[List[str]]:
    labels: List[str] = []
    rest = domain
    while rest:
        index = rest.rfind(".")
        if index == -1:
            labels.append(rest)
            rest = ""
        else:
            labels.append(rest[index + 1 :])
            rest = rest[:index]
            if index == 0:
                labels.append("")
    if labels and labels[0] == "":
        return None  # an absolute name (trailing dot)
    for label in labels:
        if not label or any(ord(c) < 33 or ord(c) > 126 for c in label):
            return None
    return labels


def _match_domain_constraint(domain: str, constraint: str) -> Tuple[bool, Optional[str]]:
    if not constraint:
        return True, None  # Go follows NSS: an empty constraint matches everything
    domain_labels = _domain_to_reverse_labels(domain)
    if domain_labels is None:
        return False, f"x509: internal error: cannot parse domain {go_quote(domain)}"
    must_have_subdomains = constraint.startswith(".")
    if must_have_subdomains:
        constraint = constraint[1:]
    constraint_labels = _domain_to_reverse_labels(constraint)
    if constraint_labels is None:
        return False, f"x509: internal error: cannot parse domain {go_quote(constraint)}"
    if len(domain_labels) < len(constraint_labels) or (
        must_have_subdomains and len(domain_labels) == len(constraint_labels)
    ):
        return False, None
    for constraint_label, domain_label in zip(constraint_labels, domain_labels):
        if constraint_label.lower() != domain_label.lower():  # strings.EqualFold, ASCII here
            return False, None
    return True, None


def _parse_mailbox(text: str) -> Optional[Tuple[str, str]]:
    """RFC 2821 mailbox, as Go's parseRFC2821Mailbox accepts it: (local, domain) or None."""
    if not text:
        return None
    local: List[str] = []
    rest = text
    if rest[0] == '"':
        rest = rest[1:]
        while True:
            if not rest:
                return None
            char, rest = rest[0], rest[1:]
            code = ord(char)
            if char == '"':
                break
            if char == "\\":
                if not rest:
                    return None
                nxt = ord(rest[0])
                if nxt in (11, 12) or 1 <= nxt <= 9 or 14 <= nxt <= 127:
                    local.append(rest[0])
                    rest = rest[1:]
                else:
                    return None
            elif code in (11, 12, 32, 33, 127) or 1 <= code <= 8 or 14 <= code <= 31 or 35 <= code <= 91 \
                    or 93 <= code <= 126:
                local.append(char)
            else:
                return None
    else:
        allowed = set("!#$%&'*+-/=?^_`{|}~.")
        while rest:
            char = rest[0]
            if char == "\\":
                rest = rest[1:]
                if not rest:
                    return None
                local.append(rest[0])
                rest = rest[1:]
            elif char.isascii() and (char.isalnum() or char in allowed):
                local.append(char)
                rest = rest[1:]
            else:
                break
        if not local:
            return None
        joined = "".join(local)
        if joined.startswith(".") or joined.endswith(".") or ".." in joined:
            return None
    if not rest or rest[0] != "@":
        return None
    domain = rest[1:]
    if _domain_to_reverse_labels(domain) is None:
        return None
    return "".join(local), domain


def _match_email_constraint(mailbox: Tuple[str, str], constraint: str) -> Tuple[bool, Optional[str]]:
    if "@" in constraint:
        parsed = _parse_mailbox(constraint)
        if parsed is None:
            return False, f"x509: internal error: cannot parse constraint {go_quote(constraint)}"
        return mailbox[0] == parsed[0] and mailbox[1].lower() == parsed[1].lower(), None
    return _match_domain_constraint(mailbox[1], constraint)


def _match_uri_constraint(uri: str, constraint: str) -> Tuple[bool, Optional[str]]:
    try:
        netloc = urlsplit(uri).netloc
    except ValueError:
        netloc = ""
    host = netloc.rpartition("@")[2]
    if not host:
        return False, f"URI with empty host ({go_quote(uri)}) cannot be matched against constraints"
    if ":" in host and not host.endswith("]"):
        host = host.rsplit(":", 1)[0]
    if (host.startswith("[") and host.endswith("]")) or go_parse_ip(host) is not None:
        return False, f"URI with IP ({go_quote(uri)}) cannot be matched against constraints"
    return _match_domain_constraint(host, constraint)


def _match_ip_constraint(address: IpAddress, network: IpNetwork) -> Tuple[bool, Optional[str]]:
    # Go compares byte slices of equal length only: a 4-byte SAN never matches a v6 range.
    if len(address.packed) != len(network.network_address.packed):
        return False, None
    return address in network, None


class _Counter:
    def __init__(self) -> None:
        self.count = 0


def _check_name_constraints(ca: GoCertificate, counter: _Counter, name_type: str, name: str,
                            parsed: Any, kind: str,
                            match: Callable[[Any, Any], Tuple[bool, Optional[str]]],
                            rules: RuleSet) -> Optional[GoError]:
    prefix = "x509: a root or intermediate certificate is not authorized to sign for this name: "
    excluded = ca.excluded[kind]
    counter.count += len(excluded)
    # The 250,000-comparison cap went with the CVE-2025-58187 fix (Go 1.24.9 / 1.25.3).
    capped = rules.name_constraint_comparison_cap
    if capped and counter.count > MAX_CONSTRAINT_COMPARISONS:
        return GoError(TOO_MANY_CONSTRAINTS, "x509: unknown error", ca.cert)
    if kind == "dns" and rules.name_constraint_wildcard_fix and name.startswith("*"):
        # CVE-2025-61727 (Go 1.24.11 / 1.25.5): a wildcard SAN is excluded when an excluded
        # subtree names a host the wildcard covers (same parent domain).
        parent = _parent_domain(name.lower())
        for constraint in excluded:
            if parent and _parent_domain(str(constraint).lower()) == parent:
                return GoError(NAME_CONSTRAINTS,
                               prefix + f"{name_type} {go_quote(name)} is excluded by constraint "
                               f"{go_quote(str(constraint).lower())}", ca.cert)
    for constraint in excluded:
        matched, error = match(parsed, constraint)
        if error:
            return GoError(NAME_CONSTRAINTS, prefix + error, ca.cert)
        if matched:
            return GoError(NAME_CONSTRAINTS,
                           prefix + f"{name_type} {go_quote(name)} is excluded by constraint "
                           f"{go_quote(str(constraint))}", ca.cert)
    permitted = ca.permitted[kind]
    counter.count += len(permitted)
    if capped and counter.count > MAX_CONSTRAINT_COMPARISONS:
        return GoError(TOO_MANY_CONSTRAINTS, "x509: unknown error", ca.cert)
    ok = True
    for constraint in permitted:
        ok, error = match(parsed, constraint)
        if error:
            return GoError(NAME_CONSTRAINTS, prefix + error, ca.cert)
        if ok:
            break
    if not ok:
        return GoError(NAME_CONSTRAINTS,
                       prefix + f"{name_type} {go_quote(name)} is not permitted by any constraint", ca.cert)
    return None


def _parent_domain(name: str) -> str:
    """The name without its first label, dot kept (``*.a.b`` -> ``.a.b``); empty for one label."""
    dot = name.find(".")
    return name[dot:] if dot >= 0 else ""


def _check_all_name_constraints(ca: GoCertificate, current: Sequence[GoCertificate],
                                rules: RuleSet) -> Optional[GoError]:
    counter = _Counter()
    for below in current:
        if not below.has_san:
            continue  # a certificate without a SAN extension is never constrained (nor its CN)
        for kind, value in below.san_entries:
            error: Optional[GoError] = None
            if kind == "email":
                text = str(value)
                mailbox = _parse_mailbox(text)
                if mailbox is None:
                    # Go prints the empty mailbox struct here, not the name (a Go quirk).
                    return GoError(SAN_UNPARSABLE, 'x509: cannot parse rfc822Name {"" ""}', below.cert)
                error = _check_name_constraints(ca, counter, "email address", text, mailbox, "email",
                                                _match_email_constraint, rules)
            elif kind == "dns":
                text = str(value)
                if _domain_to_reverse_labels(text) is None:
                    return GoError(SAN_UNPARSABLE, f"x509: cannot parse dnsName {go_quote(text)}", below.cert)
                error = _check_name_constraints(ca, counter, "DNS name", text, text, "dns", _match_domain_constraint,
                                                rules)
            elif kind == "uri":
                text = str(value)
                error = _check_name_constraints(ca, counter, "URI", text, text, "uri", _match_uri_constraint, rules)
            elif kind == "ip":
                address: IpAddress = value  # type: ignore[assignment]
                error = _check_name_constraints(ca, counter, "IP address", go_ip_string(address), address, "ip",
                                                _match_ip_constraint, rules)
            if error is not None:
                return error
    return None


# --- pools and chain building ----------------------------------------------------------------


class _Pool:
    """A ``CertPool``: de-duplicated by DER, indexed by the exact subject bytes."""

    def __init__(self, certs: Sequence[GoCertificate]) -> None:
        self.certs: List[GoCertificate] = []
        self._by_name: Dict[bytes, List[GoCertificate]] = {}
        self._raw: Set[bytes] = set()
        for cert in certs:
            if cert.raw in self._raw:
                continue
            self._raw.add(cert.raw)
            self.certs.append(cert)
            self._by_name.setdefault(cert.raw_subject, []).append(cert)

    def contains(self, cert: GoCertificate) -> bool:
        return cert.raw in self._raw

    def potential_parents(self, child: GoCertificate) -> List[GoCertificate]:
        # Same order as Go: key IDs match, then only one side has a key ID, then a mismatch.
        matching, one_side, mismatch = [], [], []
        for candidate in self._by_name.get(child.raw_issuer, ()):
            if candidate.subject_key_id == child.authority_key_id:
                matching.append(candidate)
            elif bool(candidate.subject_key_id) != bool(child.authority_key_id):
                one_side.append(candidate)
            else:
                mismatch.append(candidate)
        return matching + one_side + mismatch


def _already_in_chain(candidate: GoCertificate, chain: Sequence[GoCertificate]) -> bool:
    # Go's loop breaker for cross-signatures: same subject, same key, same SAN (or both none).
    for cert in chain:
        if candidate.raw_subject != cert.raw_subject or candidate.raw_spki != cert.raw_spki:
            continue
        if not candidate.has_san and not cert.has_san:
            return True
        if candidate.has_san != cert.has_san:
            return False
        if candidate.san_value == cert.san_value:
            return True
    return False


def _validity_error(cert: GoCertificate, now: _dt.datetime) -> Optional[GoError]:
    if now < cert.not_before:
        return GoError(NOT_YET_VALID,
                       "x509: certificate has expired or is not yet valid: "
                       f"current time {go_time(now)} is before {go_time(cert.not_before)}", cert.cert)
    if now > cert.not_after:
        return GoError(EXPIRED,
                       "x509: certificate has expired or is not yet valid: "
                       f"current time {go_time(now)} is after {go_time(cert.not_after)}", cert.cert)
    return None


def _is_valid(cert: GoCertificate, cert_type: int, current: Sequence[GoCertificate],
              now: _dt.datetime, rules: Optional[RuleSet] = None) -> Optional[GoError]:
    if cert.unhandled_critical:
        return GoError(UNHANDLED_CRITICAL_EXTENSION, "x509: unhandled critical extension", cert.cert)
    if current and current[-1].raw_issuer != cert.raw_subject:
        return GoError(NAME_MISMATCH, "x509: issuer name does not match subject from issuing certificate", cert.cert)
    validity = _validity_error(cert, now)
    if validity is not None:
        return validity
    if cert_type in (_INTERMEDIATE, _ROOT) and cert.has_name_constraints:
        error = _check_all_name_constraints(cert, current, rules or resolve_rules())
        if error is not None:
            return error
    # keyUsage bits are deliberately ignored here, as Go does.
    if cert_type == _INTERMEDIATE and (not cert.basic_constraints_valid or not cert.is_ca):
        return GoError(NOT_AUTHORIZED_TO_SIGN, "x509: certificate is not authorized to sign other certificates",
                       cert.cert)
    if cert.basic_constraints_valid and cert.max_path_len >= 0 and len(current) - 1 > cert.max_path_len:
        return GoError(TOO_MANY_INTERMEDIATES, "x509: too many intermediates for path length constraint", cert.cert)
    return None


def _unknown_authority(cert: GoCertificate, hint: Optional[GoError],
                       hint_cert: Optional[GoCertificate]) -> GoError:
    text = "x509: certificate signed by unknown authority"
    if hint is not None and hint_cert is not None:
        text += (f" (possibly because of {go_quote(hint.text)} while trying to verify candidate authority "
                 f"certificate {go_quote(hint_cert.display_name)})")
    return GoError(UNKNOWN_AUTHORITY, text, cert.cert, hint, hint_cert.cert if hint_cert else None)


class _ChainBuilder:
    def __init__(self, roots: _Pool, intermediates: _Pool, now: _dt.datetime, rules: RuleSet) -> None:
        self.rules = rules
        self.roots = roots
        self.intermediates = intermediates
        self.now = now
        self.signature_checks = 0

    def build(self, cert: GoCertificate, current: List[GoCertificate]) -> Tuple[List[List[GoCertificate]],
                                                                                 Optional[GoError]]:
        # Mirrors buildChains, including how `err` is overwritten: a rejected candidate's own
        # validity error (an expired intermediate, a violated name constraint) is what Go
        # returns when nothing else works out, not "unknown authority".
        chains: List[List[GoCertificate]] = []
        err: Optional[GoError] = None
        hint: Optional[GoError] = None
        hint_cert: Optional[GoCertificate] = None

        def consider(cert_type: int, candidate: GoCertificate) -> None:
            nonlocal err, hint, hint_cert
            if candidate.public_key is None or _already_in_chain(candidate, current):
                return
            self.signature_checks += 1
            if self.signature_checks > MAX_SIGNATURE_CHECKS:
                err = GoError(SIGNATURE_LIMIT,
                              "x509: signature check attempts limit reached while verifying certificate chain",
                              cert.cert)
                return
            signature_error = check_signature_from(cert, candidate)
            if signature_error is not None:
                if hint is None:
                    hint, hint_cert = signature_error, candidate
                return
            err = _is_valid(candidate, cert_type, current, self.now, self.rules)
            if err is not None:
                if hint is None:
                    hint, hint_cert = err, candidate
                return
            if cert_type == _ROOT:
                chains.append(current + [candidate])
            else:
                child_chains, err = self.build(candidate, current + [candidate])
                chains.extend(child_chains)

        for root in self.roots.potential_parents(cert):
            consider(_ROOT, root)
        for intermediate in self.intermediates.potential_parents(cert):
            consider(_INTERMEDIATE, intermediate)
        if chains:
            err = None
        if not chains and err is None:
            err = _unknown_authority(cert, hint, hint_cert)
        return chains, err


def _restricting_certificate(chain: Sequence[GoCertificate], usages: Sequence[str]) -> Optional[GoCertificate]:
    """
    ``checkChainForKeyUsage``, returning the certificate that crossed out the last requested
    usage (walking from the root down), or None when the chain allows one of *usages*.
    """
    remaining = list(usages)
    for cert in reversed(chain):
        if not cert.ext_key_usage:
            continue  # no EKU extension: unrestricted
        if ANY_EXTENDED_KEY_USAGE.dotted_string in cert.ext_key_usage:
            continue
        remaining = [u for u in remaining if u in cert.ext_key_usage]
        if not remaining:
            return cert
    return None


def check_leaf(leaf: x509.Certificate, now: Optional[_dt.datetime] = None) -> Optional[GoError]:
    """
    The checks ``Verify`` makes on the leaf before anything else (critical extensions,
    validity dates). Go runs these before the host-name check, so callers reproducing
    ``strict`` mode need them separately.
    """
    try:
        return _is_valid(go_view(leaf), _LEAF, [], _utc(now or _dt.datetime.now(_dt.timezone.utc)))
    except Exception as exc:
        return GoError(INTERNAL, f"esprobe could not read the certificate: {exc}", leaf)


def verify(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate] = (),
    roots: Sequence[x509.Certificate] = (),
    now: Optional[_dt.datetime] = None,
    key_usages: Sequence[x509.ObjectIdentifier] = (SERVER_AUTH,),
    rules: Optional[RuleSet] = None,
) -> GoVerifyResult:
    """
    Go's ``leaf.Verify(VerifyOptions{Roots, Intermediates, CurrentTime: now, KeyUsages})``
    without ``DNSName`` (Beats' ``full`` and ``certificate`` modes never set it; see
    `esprobe.x509.hostname_rules` for the name check).

    Args:
        leaf: the server's certificate.
        intermediates: the other certificates the server sent, in any order.
        roots: the trust anchors (configured CAs, or the OS store as `esprobe.x509.system_roots`
            finds it). Need not be CA certificates; the leaf itself may be one of them.
        now: the verification time; naive datetimes are taken as UTC. The ``current time``
            in Go's expiry message is printed in *now*'s own offset, as Go prints the Beat
            host's local time.
        key_usages: the acceptable EKUs; empty means serverAuth, as in Go.
        rules: the Beat release whose Go rules apply (default: the newest documented).

    Returns:
        the verified chains, or the error with Go's exact text.
    """
    try:
        return _verify(leaf, intermediates, roots, now, key_usages, rules or resolve_rules())
    except Exception as exc:
        return GoVerifyResult((), GoError(INTERNAL, f"esprobe could not evaluate the chain: {exc}", leaf))


def _verify(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], roots: Sequence[x509.Certificate],
            now: Optional[_dt.datetime], key_usages: Sequence[x509.ObjectIdentifier],
            rules: RuleSet) -> GoVerifyResult:
    moment = _utc(now or _dt.datetime.now(_dt.timezone.utc))
    leaf_view = go_view(leaf)
    error = _is_valid(leaf_view, _LEAF, [], moment)
    if error is not None:
        return GoVerifyResult((), error)
    root_pool = _Pool([go_view(c) for c in roots])
    intermediate_pool = _Pool([go_view(c) for c in intermediates])
    if root_pool.contains(leaf_view):
        candidates: List[List[GoCertificate]] = [[leaf_view]]
    else:
        candidates, error = _ChainBuilder(root_pool, intermediate_pool, moment, rules).build(leaf_view, [leaf_view])
        if error is not None:
            return GoVerifyResult((), error)
    usages = [u.dotted_string for u in key_usages] or [SERVER_AUTH.dotted_string]
    any_usage = ANY_EXTENDED_KEY_USAGE.dotted_string in usages
    accepted, first_restricting = [], None
    invalid_policies = incompatible_usage = 0
    for chain in candidates:
        # Go 1.24+ drops chains whose certificate policies do not validate, before the EKU check
        if rules.certificate_policies_validated and not go_policies.policies_valid(chain):
            invalid_policies += 1
            continue
        restricting = None if any_usage else _restricting_certificate(chain, usages)
        if restricting is None:
            accepted.append(chain)
        else:
            incompatible_usage += 1
            first_restricting = first_restricting or restricting
    if not accepted:
        culprit = first_restricting.cert if first_restricting else leaf
        if invalid_policies:
            details = []
            if incompatible_usage:
                details.append(f"{incompatible_usage} candidate chains with incompatible key usage")
            details.append(f"{invalid_policies} candidate chains with invalid policies")
            return GoVerifyResult((), GoError(INVALID_POLICIES, "x509: no valid chains built: " + ", ".join(details),
                                              culprit))
        return GoVerifyResult((), GoError(INCOMPATIBLE_USAGE, "x509: certificate specifies an incompatible key usage",
                                          culprit))
    return GoVerifyResult(tuple(tuple(c.cert for c in chain) for chain in accepted))
