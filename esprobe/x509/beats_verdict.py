"""
Beats' certificate-chain verdict: ``verification_mode``, ``ca_trusted_fingerprint`` and
``ca_sha256`` on top of Go's chain verification, plus a diagnosis Go does not give.

What a Beat does with the chain a server sends (elastic-agent-libs ``tlscommon``, see
elastic-agent-libs transport/tlscommon/tls_config.go):

- ``full`` / ``certificate``: Go's own check is off; Beats' callback first scans the sent
  certificates for ``ca_trusted_fingerprint`` (a CA match becomes a trust anchor: added to the
  configured CAs, or *replacing* the OS store when none are configured), then runs Go's
  ``Verify`` (intermediates = everything after the leaf, serverAuth required, no name), then
  the ``ca_sha256`` pins. Errors come back bare (``x509: ...``). The name check that ``full``
  adds is the hostname stage's job.
- ``strict``: Go's own verification (with the name, SAN only) runs inside the handshake, so
  errors carry ``tls: failed to verify certificate: ``; the fingerprint can never rescue it;
  pins are checked afterwards.
- ``none``: nothing is checked.

Go says "certificate signed by unknown authority" for very different problems (self-signed
server certificate, missing intermediate, wrong CA file, SHA-1 signature, regenerated CA ...);
`judge_chain` tells them apart from the chain itself and `chain_findings` words the advice.
Pure: certificates in, verdicts out.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from contextvars import ContextVar
from dataclasses import field, replace
from typing import List, Optional, Sequence, Tuple, TypedDict

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from esprobe import findings
from esprobe.model import Finding, Role, Target, TlsSettings
from esprobe.record import record
from esprobe.rulesets import RuleSet
from esprobe.rulesets import resolve as resolve_rules
from esprobe.x509 import go_verify
from esprobe.x509.facts import is_ca, is_self_signed, sha256_fingerprint, spki_pin
from esprobe.x509.hostname_rules import match_strict

STRICT_PREFIX = "tls: failed to verify certificate: "
MISSING_PEER_CERTIFICATES = "missing peer certificates"
PIN_MISMATCH_TEXT = (
    "provided CA certificate pins doesn't match any of the certificate authorities used to validate the certificate"
)
DISABLED_TEXT = "SSL/TLS verifications disabled."
FINGERPRINT_NOT_CA_TEXT = (
    "Certificate matching 'ca_trusted_fingerprint' found, but it is not a CA certificate. "
    "'ca_trusted_fingerprint' can only be used to trust CA certificates."
)
FINGERPRINT_NO_CHAIN_TEXT = (
    "The remote server's certificate is presented without its certificate chain. Using "
    "'ca_trusted_fingerprint' requires that the server presents a certificate chain that includes the "
    "certificate's issuing certificate authority."
)

# --- diagnosis kinds -------------------------------------------------------------------------
OK = "ok"
VERIFICATION_DISABLED = "verification-disabled"
NO_CERTIFICATES = "no-certificates"
UNPARSABLE = "unparsable"
KEY_TOO_LARGE = "key-too-large"
FINGERPRINT_FORMAT = "fingerprint-format"
SYSTEM_ROOTS_ERROR = "system-roots-error"
NO_SYSTEM_ROOTS = "no-system-roots"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
SELF_SIGNED = "self-signed"
MISSING_INTERMEDIATE = "missing-intermediate"
UNTRUSTED_ROOT = "untrusted-root"
UNKNOWN_CA = "unknown-ca"
CA_KEY_MISMATCH = "ca-key-mismatch"
WEAK_SIGNATURE = "weak-signature"
WEAK_KEY = "weak-key"
EKU = "eku"
NOT_A_CA = "not-a-ca"
PATH_LENGTH = "path-length"
NAME_CONSTRAINTS = "name-constraints"
CRITICAL_EXTENSION = "critical-extension"
PIN_MISMATCH = "pin-mismatch"
CHAIN_INVALID = "chain-invalid"
INTERNAL = "internal"

# The finding each failure kind becomes.
_FINDING_FOR_KIND = {
    NO_CERTIFICATES: "tls-no-peer-certificates",
    UNPARSABLE: "tls-cert-unparsable",
    KEY_TOO_LARGE: "tls-key-too-large",
    FINGERPRINT_FORMAT: "tls-fingerprint-format",
    SYSTEM_ROOTS_ERROR: "tls-system-roots-error",
    NO_SYSTEM_ROOTS: "tls-os-trust-store-empty",
    EXPIRED: "tls-cert-expired",
    NOT_YET_VALID: "tls-cert-not-yet-valid",
    SELF_SIGNED: "tls-self-signed",
    MISSING_INTERMEDIATE: "tls-missing-intermediate",
    UNTRUSTED_ROOT: "tls-unknown-ca",
    UNKNOWN_CA: "tls-unknown-ca",
    CA_KEY_MISMATCH: "tls-unknown-ca",
    WEAK_SIGNATURE: "tls-weak-signature",
    WEAK_KEY: "tls-weak-key",
    EKU: "tls-eku-server-auth",
    NOT_A_CA: "tls-not-a-ca",
    PATH_LENGTH: "tls-path-length",
    NAME_CONSTRAINTS: "tls-name-constraints",
    CRITICAL_EXTENSION: "tls-critical-extension",
    PIN_MISMATCH: "tls-pin-mismatch",
    CHAIN_INVALID: "tls-chain-invalid",
    INTERNAL: "tls-chain-invalid",
}


@record
class ChainNote:
    """
    Something worth knowing that does not by itself decide the verdict.

    Attributes:
        code: the finding code when the note deserves a warning (``tls-weak-key-openssl-only``),
            else a plain key (``leaf-no-eku``).
        text: the note in plain words; Beats' own log text where the Beat logs one.
        warn: True when `chain_findings` turns it into a WARN finding.
    """

    code: str
    text: str
    warn: bool = True


@record
class ChainVerdict:
    """
    What a Beat would conclude about the certificate chain a server sent.

    Attributes:
        ok: True when the Beat accepts the chain (for ``none``: always, unless the handshake
            itself cannot work, e.g. an unparsable certificate).
        mode: the ``verification_mode`` judged.
        kind: the diagnosis, one of this module's kind constants (``ok`` when fine).
        beat_error: the exact error the Beat logs (before the caller's ``Get "https://...": ``
            prefix); None when ok.
        go_error: Go's verification error, when Go produced the failure; None otherwise.
        explanation: what is wrong, in plain words, naming the certificates involved; empty when ok.
        element: which part of the chain the problem is about: ``leaf``, ``intermediate``,
            ``root`` (a root the server sent), ``trusted CA`` (one of the trust anchors), or
            None.
        culprit: the certificate the problem is about, or None.
        presented: the chain as the server sent it (leaf first).
        chains: the verified chains (leaf first, trust anchor last); empty unless verified.
        trust: docs/report-contract.md's ``trust`` value: ``configured-ca``, ``os-store``,
            ``fingerprint`` or ``none``.
        anchor: the trust anchor of the first verified chain, or None.
        notes: non-fatal observations (weak-but-accepted keys, CA:TRUE leaf, fingerprint warnings ...).
        presented_ca_fingerprints: SHA-256 (hex) of every CA certificate the server sent, for
            ``ca_trusted_fingerprint`` advice.
        fingerprint_match: the sent certificate ``ca_trusted_fingerprint`` matched (CA or not), or None.
        hostname_first: ``strict`` only, when the caller passed the host name: the name error
            Go reports *before* looking at the chain (then it is what the Beat logs), else None.
        unchecked_problem: ``none`` only: the error ``full`` mode would have logged, or None.
        roots_are_system: the trust anchors are the OS store (no ``certificate_authorities``).
        roots_count: how many trust anchors were configured / found.
    """

    ok: bool
    mode: str
    kind: str
    beat_error: Optional[str] = None
    go_error: Optional[go_verify.GoError] = None
    explanation: str = ""
    element: Optional[str] = None
    culprit: Optional[x509.Certificate] = field(default=None, repr=False)
    presented: Tuple[x509.Certificate, ...] = field(default=(), repr=False)
    chains: Tuple[Tuple[x509.Certificate, ...], ...] = field(default=(), repr=False)
    trust: str = "none"
    anchor: Optional[x509.Certificate] = field(default=None, repr=False)
    notes: Tuple[ChainNote, ...] = ()
    presented_ca_fingerprints: Tuple[str, ...] = ()
    fingerprint_match: Optional[x509.Certificate] = field(default=None, repr=False)
    hostname_first: Optional[str] = None
    unchecked_problem: Optional[str] = None
    roots_are_system: bool = False
    roots_count: int = 0

    @property
    def leaf(self) -> Optional[x509.Certificate]:
        return self.presented[0] if self.presented else None

    @property
    def finding_code(self) -> Optional[str]:
        """The finding code of the failure, or None when the chain is accepted."""
        return None if self.ok else _FINDING_FOR_KIND.get(self.kind, "tls-chain-invalid")


# --- small helpers ---------------------------------------------------------------------------


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _name(cert: Optional[x509.Certificate]) -> str:
    """A short, readable name for a certificate in messages: its subject in RFC 4514."""
    if cert is None:
        return "(unknown)"
    try:
        return cert.subject.rfc4514_string() or "(empty subject)"
    except Exception:
        return "(unreadable subject)"


def _issuer_name(cert: Optional[x509.Certificate]) -> str:
    if cert is None:
        return "(unknown)"
    try:
        return cert.issuer.rfc4514_string() or "(empty issuer)"
    except Exception:
        return "(unreadable issuer)"


def go_hex_decode(text: str) -> Tuple[Optional[bytes], Optional[str]]:
    """
    Go's ``hex.DecodeString``: (bytes, None) or (None, Go's error text). Upper and lower case
    are fine; anything else (colons, spaces, a ``sha256:`` prefix) is an invalid byte, reported
    before an odd length is.
    """
    data = text.encode("utf-8", "surrogateescape")

    def nibble(byte: int) -> int:
        char = chr(byte)
        if "0" <= char <= "9":
            return byte - 48
        if "a" <= char <= "f":
            return byte - 87
        if "A" <= char <= "F":
            return byte - 55
        return -1

    def invalid(byte: int) -> str:
        char = chr(byte)
        shown = f" '{char}'" if char.isprintable() else ""
        return f"encoding/hex: invalid byte: U+{byte:04X}{shown}"

    out = bytearray()
    index = 1
    while index < len(data):
        high, low = nibble(data[index - 1]), nibble(data[index])
        if high < 0:
            return None, invalid(data[index - 1])
        if low < 0:
            return None, invalid(data[index])
        out.append(high << 4 | low)
        index += 2
    if len(data) % 2 == 1:
        if nibble(data[index - 1]) < 0:
            return None, invalid(data[index - 1])
        return None, "encoding/hex: odd length hex string"
    return bytes(out), None


def _normalised_fingerprint(text: str) -> Optional[str]:
    """The value the user probably meant (colons, spaces and a ``sha256`` prefix removed), or None."""
    cleaned = text.strip()
    for prefix in ("sha256:", "SHA256:", "sha256 Fingerprint=", "SHA256 Fingerprint="):
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix):]
    cleaned = "".join(c for c in cleaned if c not in ": \t-").lower()
    if len(cleaned) == 64 and all(c in "0123456789abcdef" for c in cleaned):
        return cleaned
    return None


def _has_aia_ca_issuers(cert: x509.Certificate) -> bool:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except Exception:
        return False
    return any(d.access_method == AuthorityInformationAccessOID.CA_ISSUERS for d in aia)


def _organizations(name: x509.Name) -> List[str]:
    return [a.value for a in name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) if isinstance(a.value, str)]


# --- the verdict -----------------------------------------------------------------------------


# The rule set of the judgement under way: set by `judge_chain` for its own duration (a context
# variable, so concurrent judgements in other threads keep theirs), read where Go is asked.
_RULES: ContextVar[RuleSet] = ContextVar("esprobe_beats_verdict_rules")


def judge_chain(
    presented: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    *,
    mode: str,
    now: Optional[_dt.datetime] = None,
    ca_trusted_fingerprint: Optional[str] = None,
    ca_sha256: Sequence[str] = (),
    roots_are_system: bool = False,
    system_roots_error: Optional[str] = None,
    server_name: Optional[str] = None,
    rules: Optional[RuleSet] = None,
) -> ChainVerdict:
    """
    Judge the chain a server sent, as a Beat configured this way would.

    Args:
        presented: the certificates the server sent, leaf first, in the order sent.
        roots: the trust anchors: the ``certificate_authorities`` certificates (Go
            ``AppendCertsFromPEM`` semantics), or the OS store from `esprobe.x509.system_roots`.
        mode: ``full`` | ``strict`` | ``certificate`` | ``none``.
        now: verification time (default: now, UTC). Go prints it in the Beat host's local
            offset; pass an aware local datetime to get that wording exactly.
        ca_trusted_fingerprint: ``ssl.ca_trusted_fingerprint`` exactly as configured.
        ca_sha256: ``ssl.ca_sha256`` pins exactly as configured.
        roots_are_system: True when *roots* is the OS store (no ``certificate_authorities``).
        system_roots_error: `esprobe.x509.system_roots.SystemRoots.go_error`, when loading the OS store
            failed the way Go reports as an error.
        server_name: ``strict`` only: the host the Beat dials. Go checks the name before the
            chain in that mode, so a bad name is what the Beat logs even when the chain is also
            bad; `ChainVerdict.hostname_first` then carries it. (The name is otherwise the
            hostname stage's business.)
        rules: the Beat release whose Go rules apply (``--beat-version``; default: the newest documented).
    """
    token = _RULES.set(rules or resolve_rules())
    try:
        verdict = _judge(tuple(presented), tuple(roots), mode, now, ca_trusted_fingerprint, tuple(ca_sha256),
                         roots_are_system, system_roots_error, server_name)
        return _with_signature_algorithm_warning(verdict, _RULES.get())
    except Exception as exc:
        return ChainVerdict(ok=False, mode=mode, kind=INTERNAL,
                            explanation=f"esprobe could not judge this chain ({type(exc).__name__}: {exc}).")
    finally:
        _RULES.reset(token)



# The certificate signature algorithms a Beat's Go client lists in signature_algorithms_cert (crypto/tls
# defaultSupportedSignatureAlgorithms): RSA PKCS#1 and ECDSA with SHA-256/384/512, RSA-PSS, Ed25519;
# SHA-1 ones only while GODEBUG tlssha1=1 (go line < 1.25).
_GO_CERT_SIGNATURES = {"1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13",
                       "1.2.840.113549.1.1.10", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4",
                       "1.3.101.112"}
_GO_SHA1_CERT_SIGNATURES = {"1.2.840.113549.1.1.5", "1.2.840.10045.4.1"}


def _with_signature_algorithm_warning(verdict: ChainVerdict, rules: RuleSet) -> ChainVerdict:
    """
    A server certificate signed with an algorithm the Beat does not list in signature_algorithms_cert
    (MD5, SHA-224, DSA ...): servers that choose their certificate by that list (OpenSSL's, JSSE's)
    find none to send the Beat and end the handshake, so the Beat may log that instead.
    """
    leaf = verdict.leaf
    if leaf is None or verdict.ok:
        return verdict
    try:
        algorithm = leaf.signature_algorithm_oid.dotted_string
    except Exception:
        return verdict
    accepted = _GO_CERT_SIGNATURES | (_GO_SHA1_CERT_SIGNATURES if rules.tls_sha1_handshake_signatures else set())
    if algorithm in accepted:
        return verdict
    return replace(verdict, explanation=(
        verdict.explanation + " Its signature algorithm is not one the Beat offers in signature_algorithms_cert, so "
        "a server that picks its certificate by that list (OpenSSL, Java) may end the handshake before sending it; "
        'the Beat then logs "remote error: tls: handshake failure".').strip())


class _Base(TypedDict):
    """The `ChainVerdict` fields known before any check: every verdict of one judgement carries them."""

    mode: str
    presented: Tuple[x509.Certificate, ...]
    roots_are_system: bool
    roots_count: int


class _Common(_Base, total=False):
    """`_Base` plus what the chain checks found before the verdict (notes, fingerprints, a name error)."""

    notes: Tuple[ChainNote, ...]
    presented_ca_fingerprints: Tuple[str, ...]
    fingerprint_match: Optional[x509.Certificate]
    hostname_first: Optional[str]


def _judge(presented: Tuple[x509.Certificate, ...], roots: Tuple[x509.Certificate, ...], mode: str,
           now: Optional[_dt.datetime], fingerprint: Optional[str], pins: Tuple[str, ...],
           roots_are_system: bool, system_roots_error: Optional[str], server_name: Optional[str]) -> ChainVerdict:
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    base = _Base(mode=mode, presented=presented, roots_are_system=roots_are_system, roots_count=len(roots))
    if not presented:
        return ChainVerdict(ok=mode == "none", kind=NO_CERTIFICATES if mode != "none" else VERIFICATION_DISABLED,
                            beat_error=None if mode == "none" else MISSING_PEER_CERTIFICATES,
                            explanation="The server sent no certificate at all.", **base)

    # Go parses every certificate the server sends before any verification, in every mode.
    for index, cert in enumerate(presented):
        problem = go_verify.go_parse_error(cert, negative_serial_rejected=_RULES.get().negative_serial_rejected)
        if problem is not None:
            return ChainVerdict(
                ok=False, kind=UNPARSABLE, beat_error=f"tls: failed to parse certificate from server: {problem}",
                explanation=f"Go cannot parse certificate #{index + 1} the server sends ({_name(cert)}): {problem}. "
                            "The handshake fails whatever the verification mode.",
                element=_position(index), culprit=cert, **base)
        bits = go_verify.rsa_key_bits(cert)
        if bits is not None and bits > go_verify.MAX_RSA_BITS:
            return ChainVerdict(
                ok=False, kind=KEY_TOO_LARGE,
                beat_error=f"tls: server sent certificate containing RSA key larger than {go_verify.MAX_RSA_BITS} bits",
                explanation=f"Certificate #{index + 1} the server sends ({_name(cert)}) has a {bits}-bit RSA key; "
                            f"Go refuses server certificates with RSA keys above {go_verify.MAX_RSA_BITS} bits.",
                element=_position(index), culprit=cert, **base)

    notes = _structural_notes(presented, roots)
    ca_fingerprints = tuple(sha256_fingerprint(c) for c in presented if is_ca(c))

    if mode == "none":
        would = _judge(presented, roots, "full", now, fingerprint, pins, roots_are_system, system_roots_error, None)
        weak = _weak_leaf_key(presented[0], base)
        if weak is not None:
            return weak
        return ChainVerdict(
            ok=True, kind=VERIFICATION_DISABLED, notes=notes, presented_ca_fingerprints=ca_fingerprints,
            unchecked_problem=would.beat_error if not would.ok else None, trust="none", **base)

    if mode == "strict":
        return _judge_strict(presented, roots, moment, fingerprint, pins, roots_are_system, system_roots_error,
                             server_name, notes, ca_fingerprints, base)
    return _judge_beats_callback(presented, roots, moment, fingerprint, pins, roots_are_system, system_roots_error,
                                 notes, ca_fingerprints, base)


def _position(index: int) -> str:
    return "leaf" if index == 0 else "intermediate"


def _weak_leaf_key(leaf: x509.Certificate, base: _Base) -> Optional[ChainVerdict]:
    # Go 1.24 refuses RSA keys below 1024 bits in every RSA operation, so the handshake
    # signature made with the server's key fails after the chain was accepted, in every mode.
    bits = go_verify.rsa_key_bits(leaf)
    if bits is None or bits >= go_verify.MIN_RSA_BITS:
        return None
    inner = go_verify.RSA_KEY_SIZE_TEXT.format(bits=bits)
    return ChainVerdict(
        ok=False, kind=WEAK_KEY, beat_error=f"tls: invalid signature by the server certificate: {inner}",
        explanation=f"The server certificate ({_name(leaf)}) has a {bits}-bit RSA key. Go 1.24 and later (the "
                    "toolchain of current Beats) refuse RSA keys below 1024 bits (GODEBUG rsa1024min=0 would "
                    "revert that).",
        element="leaf", culprit=leaf, **base)


def _scan_fingerprint(
    presented: Tuple[x509.Certificate, ...], fingerprint: str, expected: bytes
) -> Tuple[Optional[x509.Certificate], Optional[x509.Certificate], List[ChainNote]]:
    """Beats' ``trustRootCA``: (matched CA, matched non-CA, warning notes)."""
    notes: List[ChainNote] = []
    found_ca: List[str] = []
    non_ca_match: Optional[x509.Certificate] = None
    for cert in presented:
        digest = hashlib.sha256(_der(cert)).digest()
        if is_ca(cert):
            found_ca.append(digest.hex())
        if digest != expected:
            continue
        if not is_ca(cert):
            non_ca_match = cert
            what = "the server's own certificate" if cert is presented[0] else f"{_name(cert)}"
            notes.append(ChainNote("tls-fingerprint-not-ca",
                                   f'The Beat logs: "{FINGERPRINT_NOT_CA_TEXT}" The fingerprint is that of {what}, '
                                   "which is not a CA certificate."))
            continue
        return cert, non_ca_match, notes
    if not found_ca:
        notes.append(ChainNote("tls-fingerprint-no-match", f'The Beat logs: "{FINGERPRINT_NO_CHAIN_TEXT}"'))
    else:
        listed = " ".join(found_ca)
        notes.append(ChainNote(
            "tls-fingerprint-no-match",
            f"The Beat logs: \"The provided 'ca_trusted_fingerprint': '{fingerprint}' does not match the fingerprint "
            f"of any Certificate Authority present in the server's certificate chain. Found the following CA "
            f'fingerprints instead: [{listed}]"'))
    return None, non_ca_match, notes


def _judge_beats_callback(presented: Tuple[x509.Certificate, ...], roots: Tuple[x509.Certificate, ...],
                          now: _dt.datetime, fingerprint: Optional[str], pins: Tuple[str, ...],
                          roots_are_system: bool, system_roots_error: Optional[str], notes: Tuple[ChainNote, ...],
                          ca_fingerprints: Tuple[str, ...], base: _Base) -> ChainVerdict:
    """``full`` and ``certificate``: Beats' VerifyConnection callback, errors unwrapped."""
    extra_notes: List[ChainNote] = []
    matched: Optional[x509.Certificate] = None
    non_ca: Optional[x509.Certificate] = None
    effective_roots = roots
    effective_system = roots_are_system
    if fingerprint:
        expected, error = go_hex_decode(fingerprint)
        if error is not None or expected is None:
            return _fingerprint_format_verdict(fingerprint, error or "", "", notes, ca_fingerprints, base)
        matched, non_ca, scan_notes = _scan_fingerprint(presented, fingerprint, expected)
        extra_notes.extend(scan_notes)
        extra_notes.extend(_fingerprint_shape_notes(fingerprint, presented, roots, matched))
        if matched is not None:
            # A match becomes a trust anchor; with no certificate_authorities configured it is a
            # new pool holding only that CA, so the OS store is no longer consulted at all.
            effective_roots = (matched,) if roots_are_system else roots + (matched,)
            effective_system = False
            replaced = " It replaces the OS trust store for this output." if roots_are_system else ""
            extra_notes.append(ChainNote("fingerprint-trusted",
                                         f"ca_trusted_fingerprint matched {_name(matched)}, which the Beat adds to "
                                         f"its trusted CAs.{replaced}", warn=False))
    all_notes = notes + tuple(extra_notes)
    common = _Common(notes=all_notes, presented_ca_fingerprints=ca_fingerprints,
                     fingerprint_match=matched or non_ca, **base)

    if effective_system and system_roots_error:
        return ChainVerdict(ok=False, kind=SYSTEM_ROOTS_ERROR, beat_error=system_roots_error,
                            explanation="No certificate_authorities are configured, and the OS trust store could "
                                        "not be read.", **common)
    result = go_verify.verify(presented[0], presented[1:], effective_roots, now, rules=_RULES.get())
    if result.error is not None:
        return _failure_verdict(result.error, result.error.text, presented, effective_roots, effective_system,
                                common)
    return _verified(presented, result.chains, pins, common, _trust(result.chains[0][-1], matched, effective_system))


def _judge_strict(presented: Tuple[x509.Certificate, ...], roots: Tuple[x509.Certificate, ...],
                  now: _dt.datetime, fingerprint: Optional[str], pins: Tuple[str, ...], roots_are_system: bool,
                  system_roots_error: Optional[str], server_name: Optional[str], notes: Tuple[ChainNote, ...],
                  ca_fingerprints: Tuple[str, ...], base: _Base) -> ChainVerdict:
    """``strict``: Go's own verification inside the handshake, errors wrapped; then Beats' callback."""
    extra: List[ChainNote] = []
    if fingerprint:
        extra.append(ChainNote(
            "tls-fingerprint-strict",
            "ca_trusted_fingerprint has no effect with verification_mode strict: Go verifies the chain against "
            "the configured CAs (or the OS store) before the Beat looks at the fingerprint."))
    all_notes = notes + tuple(extra)
    common = _Common(notes=all_notes, presented_ca_fingerprints=ca_fingerprints, **base)
    if roots_are_system and system_roots_error:
        return ChainVerdict(ok=False, kind=SYSTEM_ROOTS_ERROR, beat_error=STRICT_PREFIX + system_roots_error,
                            explanation="No certificate_authorities are configured, and the OS trust store could "
                                        "not be read.", **common)
    leaf_error = go_verify.check_leaf(presented[0], now)
    if leaf_error is not None:
        return _failure_verdict(leaf_error, STRICT_PREFIX + leaf_error.text, presented, roots, roots_are_system,
                                common)
    hostname_first: Optional[str] = None
    if server_name:
        name = match_strict(presented[0], server_name)
        if not name.matched:
            hostname_first = name.beat_error
    common["hostname_first"] = hostname_first
    result = go_verify.verify(presented[0], presented[1:], roots, now, rules=_RULES.get())
    if result.error is not None:
        verdict = _failure_verdict(result.error, STRICT_PREFIX + result.error.text, presented, roots,
                                   roots_are_system, common)
        if hostname_first:
            return replace(verdict, beat_error=hostname_first,
                           explanation=f"Go checks the name first in strict mode, so the Beat reports the name "
                                       f"mismatch; behind it, the chain fails too: {result.error.text}. "
                                       + verdict.explanation)
        return verdict
    if fingerprint and pins:
        # In strict mode the Beat installs its callback only when ca_sha256 is set; the callback
        # then runs the fingerprint scan too, so a malformed value breaks every handshake
        # (although a valid one cannot help). Without pins the value is never even decoded.
        _expected, error = go_hex_decode(fingerprint)
        if error is not None:
            return _fingerprint_format_verdict(fingerprint, error, "", all_notes, ca_fingerprints, base)
    return _verified(presented, result.chains, pins, common, _trust(result.chains[0][-1], None, roots_are_system))


def _verified(presented: Tuple[x509.Certificate, ...], chains: Tuple[Tuple[x509.Certificate, ...], ...],
              pins: Tuple[str, ...], common: _Common, trust: str) -> ChainVerdict:
    """After Go's verification passed, in any mode: the pins, then a key too weak for Go's handshake."""
    pin_failure = _check_pins(pins, chains, common, PIN_MISMATCH_TEXT)
    if pin_failure is not None:
        return pin_failure
    weak = _weak_leaf_key(presented[0], common)
    if weak is not None:
        return weak
    return ChainVerdict(ok=True, kind=OK, chains=chains, anchor=chains[0][-1], trust=trust,
                        **common)


def _trust(anchor: x509.Certificate, matched: Optional[x509.Certificate], system: bool) -> str:
    if matched is not None and _der(anchor) == _der(matched):
        return "fingerprint"
    return "os-store" if system else "configured-ca"


def _fingerprint_format_verdict(fingerprint: str, error: str, prefix: str, notes: Tuple[ChainNote, ...],
                                ca_fingerprints: Tuple[str, ...], base: _Base) -> ChainVerdict:
    meant = _normalised_fingerprint(fingerprint)
    explanation = ("ssl.ca_trusted_fingerprint must be plain hexadecimal (64 characters for SHA-256): no colons, "
                   "spaces or prefix. The Beat fails every TLS handshake of this output until it is fixed.")
    if meant:
        explanation += f" The value you probably meant is {meant}."
    return ChainVerdict(ok=False, kind=FINGERPRINT_FORMAT,
                        beat_error=f"{prefix}decode 'ca_trusted_fingerprint': {error}",
                        explanation=explanation, notes=notes, presented_ca_fingerprints=ca_fingerprints,
                        **base)


def _fingerprint_shape_notes(
    fingerprint: str,
    presented: Tuple[x509.Certificate, ...],
    roots: Tuple[x509.Certificate, ...],
    matched: Optional[x509.Certificate],
) -> List[ChainNote]:
    notes: List[ChainNote] = []
    if matched is not None:
        return notes
    lowered = fingerprint.lower()
    if len(lowered) == 40:
        notes.append(ChainNote("fingerprint-sha1", "ca_trusted_fingerprint has 40 hex digits: that is a SHA-1 "
                                                   "fingerprint, but the Beat compares SHA-256 (64 hex digits).",
                               warn=False))
    elif len(lowered) != 64:
        notes.append(ChainNote("fingerprint-length", f"ca_trusted_fingerprint has {len(lowered)} hex digits; a SHA-256 "
                                                     "fingerprint has 64, so it can never match.", warn=False))
    for root in roots:
        if sha256_fingerprint(root) == lowered:
            notes.append(ChainNote("fingerprint-of-unsent-ca",
                                   f"ca_trusted_fingerprint is the fingerprint of {_name(root)}, but the server does "
                                   "not send that certificate; the fingerprint only works on certificates the "
                                   "server sends.", warn=False))
    return notes


def _check_pins(pins: Tuple[str, ...], chains: Sequence[Sequence[x509.Certificate]], common: _Common,
                text: str) -> Optional[ChainVerdict]:
    if not pins:
        return None
    wanted = set(pins)
    found: List[str] = []
    for chain in chains:
        for cert in chain:
            pin = spki_pin(cert)
            if pin in wanted:
                return None
            if pin not in found:
                found.append(pin)
    listing = "; ".join(f"{_name(c)}: {spki_pin(c)}" for c in (chains[0] if chains else ()))
    return ChainVerdict(
        ok=False, kind=PIN_MISMATCH, beat_error=text, chains=tuple(tuple(c) for c in chains),
        explanation="None of the ssl.ca_sha256 pins matches a certificate of the verified chain. The pins of that "
                    f"chain are: {listing}.", **common)


# --- notes that never decide the verdict -----------------------------------------------------


def _structural_notes(
    presented: Tuple[x509.Certificate, ...], roots: Tuple[x509.Certificate, ...]
) -> Tuple[ChainNote, ...]:
    notes: List[ChainNote] = []
    leaf = presented[0]
    for index, cert in enumerate(presented):
        bits = go_verify.rsa_key_bits(cert)
        if bits is not None and go_verify.MIN_RSA_BITS <= bits < 2048:
            what = "server certificate" if index == 0 else "CA certificate"
            notes.append(ChainNote(
                "tls-weak-key-openssl-only",
                f"The {what} {_name(cert)} has a {bits}-bit RSA key. The Beat (Go) accepts it, but OpenSSL at "
                "security level 2 (curl, Python and most Linux defaults) rejects it "
                f"(\"{'EE' if index == 0 else 'CA'} certificate key too weak\"), so other clients may fail."))
    view = go_verify.go_view(leaf)
    if view.basic_constraints_valid and view.is_ca:
        notes.append(ChainNote(
            "tls-leaf-is-ca",
            f"The server certificate {_name(leaf)} is marked CA:TRUE. Go accepts that, but a CA certificate should "
            "not be used as a server certificate, and OpenSSL refuses it when its key usage lacks digitalSignature."))
    if not view.ext_key_usage:
        notes.append(ChainNote("leaf-no-eku", "The server certificate has no extended key usage extension; Go treats "
                                              "that as valid for any purpose, including serverAuth.", warn=False))
    for root in roots:
        root_view = go_verify.go_view(root)
        if root_view.signature_hash in ("sha1", "md5") and root_view.raw_issuer == root_view.raw_subject:
            notes.append(ChainNote("sha1-root", f"The trusted CA {_name(root)} signs itself with "
                                                f"{root_view.signature_name}; Go never checks a root's self-signature, "
                                                "so that is fine.", warn=False))
            break
    return tuple(notes)


# --- diagnosis of a Go failure ---------------------------------------------------------------


def _in(cert: Optional[x509.Certificate], certs: Sequence[x509.Certificate]) -> bool:
    if cert is None:
        return False
    der = _der(cert)
    return any(_der(c) == der for c in certs)


def _element(cert: Optional[x509.Certificate], presented: Sequence[x509.Certificate],
             roots: Sequence[x509.Certificate]) -> Optional[str]:
    if cert is None:
        return None
    if _der(cert) == _der(presented[0]):
        return "leaf"
    if _in(cert, roots):
        return "trusted CA"
    if _in(cert, presented) and is_self_signed(cert):
        return "root"
    return "intermediate"


def _describe_element(element: Optional[str], cert: Optional[x509.Certificate]) -> str:
    words = {"leaf": "the server certificate", "intermediate": "the intermediate CA certificate",
             "root": "the root CA certificate the server sends", "trusted CA": "the trusted CA certificate"}
    return f"{words.get(element or '', 'the certificate')} {_name(cert)}"


def _failure_verdict(error: go_verify.GoError, beat_error: str, presented: Tuple[x509.Certificate, ...],
                     roots: Tuple[x509.Certificate, ...], roots_are_system: bool, common: _Common) -> ChainVerdict:
    kind, culprit, explanation = _diagnose(error, presented, roots, roots_are_system)
    element = _element(culprit, presented, roots)
    return ChainVerdict(ok=False, kind=kind, beat_error=beat_error, go_error=error, explanation=explanation,
                        element=element, culprit=culprit, **common)


def _diagnose(error: go_verify.GoError, presented: Tuple[x509.Certificate, ...], roots: Tuple[x509.Certificate, ...],
              roots_are_system: bool) -> Tuple[str, Optional[x509.Certificate], str]:
    cert = error.cert
    element = _element(cert, presented, roots)
    subject = _describe_element(element, cert)
    if error.kind in (go_verify.EXPIRED, go_verify.NOT_YET_VALID):
        view = go_verify.go_view(cert) if cert is not None else None
        if error.kind == go_verify.EXPIRED:
            when = f"expired on {go_verify.go_time(view.not_after)}" if view else "has expired"
            return EXPIRED, cert, f"{subject[0].upper()}{subject[1:]} {when}."
        when = f"is only valid from {go_verify.go_time(view.not_before)}" if view else "is not valid yet"
        return NOT_YET_VALID, cert, (f"{subject[0].upper()}{subject[1:]} {when}. Either it was issued with a "
                                     "future start date, or the clock of the Beat host is behind.")
    if error.kind == go_verify.UNHANDLED_CRITICAL_EXTENSION:
        oids = ", ".join(go_verify.go_view(cert).unhandled_critical) if cert is not None else "?"
        return CRITICAL_EXTENSION, cert, (f"{subject[0].upper()}{subject[1:]} has an extension marked critical that "
                                          f"Go does not understand ({oids}); Go must then refuse the certificate.")
    if error.kind == go_verify.NOT_AUTHORIZED_TO_SIGN:
        return NOT_A_CA, cert, (f"{subject[0].upper()}{subject[1:]} issued the next certificate down the chain but is "
                                "not a CA (no basicConstraints CA:TRUE).")
    if error.kind == go_verify.TOO_MANY_INTERMEDIATES:
        return PATH_LENGTH, cert, (f"{subject[0].upper()}{subject[1:]} limits how many intermediate CAs may follow "
                                   f"it (pathlen {go_verify.go_view(cert).max_path_len if cert else '?'}), and the "
                                   "chain has more.")
    if error.kind in (go_verify.NAME_CONSTRAINTS, go_verify.SAN_UNPARSABLE, go_verify.TOO_MANY_CONSTRAINTS):
        return NAME_CONSTRAINTS, cert, (f"A CA in the chain restricts which names it may sign for, and a name in "
                                        f"the server certificate {_name(presented[0])} breaks that rule. Go checks "
                                        "every SAN, not just the name the Beat connects to.")
    if error.kind == go_verify.INCOMPATIBLE_USAGE:
        view = go_verify.go_view(cert) if cert is not None else None
        listed = ", ".join(_EKU_WORDS.get(o, o) for o in (view.ext_key_usage if view else ()))
        return EKU, cert, (f"{subject[0].upper()}{subject[1:]} restricts its extended key usage to {listed or '?'}; "
                           "a server certificate chain must allow serverAuth (TLS Web Server Authentication) "
                           "at every level that lists usages.")
    if error.kind == go_verify.UNKNOWN_AUTHORITY:
        return _diagnose_unknown_authority(error, presented, roots, roots_are_system)
    return CHAIN_INVALID, cert, f"Go refuses the chain: {error.text}."


_EKU_WORDS = {
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
}


def _diagnose_unknown_authority(error: go_verify.GoError, presented: Tuple[x509.Certificate, ...],
                                roots: Tuple[x509.Certificate, ...],
                                roots_are_system: bool) -> Tuple[str, Optional[x509.Certificate], str]:
    stuck = error.cert  # the certificate Go could not find an acceptable issuer for
    hint, candidate = error.hint, error.hint_cert
    stuck_words = _describe_element(_element(stuck, presented, roots), stuck)
    if hint is not None and candidate is not None:
        candidate_words = _describe_element(_element(candidate, presented, roots), candidate)
        if hint.kind == go_verify.INSECURE_ALGORITHM:
            algorithm = go_verify.go_view(stuck).signature_name if stuck is not None else "SHA-1"
            return WEAK_SIGNATURE, stuck, (
                f"{stuck_words[0].upper()}{stuck_words[1:]} is signed with {algorithm}. Since Go 1.18 (Beats 8.5 and "
                "7.17.7) Go refuses SHA-1 and MD5 signatures on every certificate except a root's self-signature; "
                "Go reports it as an unknown authority.")
        if hint.kind == go_verify.RSA_KEY_TOO_SMALL:
            bits = go_verify.rsa_key_bits(candidate)
            return WEAK_KEY, candidate, (
                f"{candidate_words[0].upper()}{candidate_words[1:]} has a {bits}-bit RSA key; Go 1.24 and later "
                "refuse RSA keys below 1024 bits, so its signature cannot be checked.")
        if hint.kind == go_verify.PARENT_CANNOT_SIGN:
            view = go_verify.go_view(candidate)
            why = ("its keyUsage does not include keyCertSign" if view.basic_constraints_valid and view.is_ca
                   else "it is not a CA certificate (basicConstraints CA:TRUE missing)")
            return NOT_A_CA, candidate, (
                f"{candidate_words[0].upper()}{candidate_words[1:]} has the issuer's name, but {why}, so Go does not "
                f"let it sign {_name(stuck)}.")
        if hint.kind in (go_verify.BAD_SIGNATURE, go_verify.KEY_ALGORITHM_MISMATCH):
            if _in(candidate, roots):
                where = ("A trusted CA has exactly the issuer's name but a different key: it did not sign this "
                         "certificate. Typically the CA was regenerated (e.g. a new elasticsearch-certutil CA) and "
                         "the Beat still trusts the old one, or the server still uses a certificate from the old CA.")
            else:
                where = ("The server sends an intermediate with the issuer's name, but it did not sign this "
                         "certificate: the chain file on the server mixes certificates from different CAs.")
            return CA_KEY_MISMATCH, candidate, f"{where} ({candidate_words} vs {_name(stuck)})"
        if hint.kind in (go_verify.EXPIRED, go_verify.NOT_YET_VALID):
            return (EXPIRED if hint.kind == go_verify.EXPIRED else NOT_YET_VALID), candidate, (
                f"{candidate_words[0].upper()}{candidate_words[1:]} is outside its validity period: {hint.text}.")
        return CHAIN_INVALID, candidate, (f"Go rejected the candidate issuer {candidate_words}: {hint.text}.")

    if stuck is None:
        return UNKNOWN_CA, None, "No trusted CA issued this chain."
    if roots_are_system and not roots:
        return NO_SYSTEM_ROOTS, stuck, (
            "No certificate_authorities are configured, so the Beat uses the OS trust store, and that store is "
            "empty (no CA bundle was found on this host): no certificate can be verified.")
    leaf = presented[0]
    trust_words = ("the OS trust store" if roots_are_system else "the configured certificate_authorities")
    if is_self_signed(stuck):
        if _der(stuck) == _der(leaf):
            return SELF_SIGNED, stuck, (
                f"The server certificate {_name(leaf)} is self-signed (its own issuer), and it is not in "
                f"{trust_words}.")
        return UNTRUSTED_ROOT, stuck, (
            f"The server sends its full chain up to the root CA {_name(stuck)}, but that root is not in "
            f"{trust_words}: the Beat trusts a different CA than the one that issued this certificate.")
    issuer = _issuer_name(stuck)
    if _der(stuck) == _der(leaf):
        if _looks_like_missing_intermediate(leaf, roots):
            return MISSING_INTERMEDIATE, stuck, (
                f"The server sends only its own certificate. Its issuer ({issuer}) is neither sent by the server "
                f"nor in {trust_words}; it looks like an intermediate CA the server should send along with its "
                "certificate (if it is your own root CA instead, it belongs in certificate_authorities).")
        return UNKNOWN_CA, stuck, (
            f"The server sends only its own certificate, issued by {issuer}, and that CA is not in {trust_words}. "
            "(If that issuer is an intermediate CA, the server must also send it.)")
    return UNKNOWN_CA, stuck, (
        f"The chain the server sends ends at {_name(stuck)}, issued by {issuer}, and that CA is not in "
        f"{trust_words}.")


def _looks_like_missing_intermediate(leaf: x509.Certificate, roots: Tuple[x509.Certificate, ...]) -> bool:
    """
    A heuristic, since the certificate that is not there cannot be examined: the leaf
    points to its issuer's download location (AIA caIssuers, as public and corporate CAs
    that issue from intermediates do), or a trusted CA belongs to the same organisation as
    the leaf's issuer (DigiCert Global Root G2 and "DigiCert ... TLS CA1", both O=DigiCert Inc).
    """
    if _has_aia_ca_issuers(leaf):
        return True
    issuer_orgs = set(_organizations(leaf.issuer))
    if not issuer_orgs:
        return False
    return any(issuer_orgs & set(_organizations(root.subject)) for root in roots)


# --- findings --------------------------------------------------------------------------------


def server_certificate_setting(target: Target) -> str:
    if target.role is Role.KIBANA:
        return "Kibana's server.ssl.certificate"
    if target.role is Role.LOGSTASH:
        return "the Logstash beats input's ssl_certificate"
    return "the Elasticsearch node's xpack.security.http.ssl.certificate (or its keystore)"


def _trust_words(verdict: ChainVerdict, tls: TlsSettings) -> str:
    if verdict.roots_are_system:
        return f"the OS trust store ({verdict.roots_count} CAs; {tls.prefix}.certificate_authorities is not set)"
    labels = [s.label for s in tls.certificate_authorities]
    shown = ", ".join(labels[:3]) + (f", ... ({len(labels)} entries)" if len(labels) > 3 else "")
    return f"{tls.prefix}.certificate_authorities ({shown or 'empty'})"


def chain_findings(verdict: ChainVerdict, tls: TlsSettings, target: Target) -> List[Finding]:
    """
    The findings for *verdict*: one FAIL for a refused chain (its message quotes what the Beat
    logs, then says what is wrong and what to change), plus a WARN for each warning note, and
    the ``verification_mode: none`` warning.
    """
    out: List[Finding] = []
    params = dict(prefix=tls.prefix, server_cert=server_certificate_setting(target),
                  subject=_name(verdict.culprit), issuer=_issuer_name(verdict.culprit or verdict.leaf))
    if verdict.mode == "none" and verdict.ok:
        message = f'The Beat logs: "{DISABLED_TEXT}" It accepts any certificate for any name, so the connection ' \
                  "can be intercepted."
        if verdict.unchecked_problem:
            message += f' With verification on, this server would fail: "{verdict.unchecked_problem}".'
        out.append(findings.make("tls-verification-disabled", message, **params))
    if not verdict.ok:
        code = verdict.finding_code or "tls-chain-invalid"
        message = f'The Beat would log: "{verdict.beat_error}". ' if verdict.beat_error else ""
        message += verdict.explanation
        if verdict.kind in (UNKNOWN_CA, UNTRUSTED_ROOT, SELF_SIGNED, MISSING_INTERMEDIATE, CA_KEY_MISMATCH,
                            NO_SYSTEM_ROOTS):
            message += f" Trusted CAs: {_trust_words(verdict, tls)}."
        if verdict.kind == FINGERPRINT_FORMAT:
            params["meant"] = _normalised_fingerprint(tls.ca_trusted_fingerprint or "") or "the 64 hex digits"
        finding = findings.make(code, message, **params)
        if code in ("tls-unknown-ca", "tls-self-signed") and verdict.presented_ca_fingerprints:
            # Paste-ready: the fingerprint of the topmost CA the server sent, as the setting line itself.
            line = f'{tls.prefix}.ca_trusted_fingerprint: "{verdict.presented_ca_fingerprints[-1]}"'
            finding = dataclasses.replace(finding, hint=finding.hint + " If you trust the CA certificate the server "
                                          "sent, this line in the Beat's config does it:" + findings.snippet(line))
        out.append(finding)
    for note in verdict.notes:
        if note.warn and not any(f.code == note.code for f in out):
            out.append(findings.make(note.code, note.text, **params))
    return out
