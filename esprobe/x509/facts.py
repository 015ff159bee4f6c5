"""
Certificate facts: docs/report-contract.md's certificate object, pins, fingerprints and a readable dump.

``subject`` and ``issuer`` are RFC 4514 strings as ``cryptography`` writes them
(``Name.rfc4514_string()``: most specific attribute first, e.g. ``CN=es01,O=Example``).
Every function here tolerates certificates ``cryptography`` can only partly read: a field it
cannot read becomes ``None`` / empty rather than an exception.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import math
from functools import partial
from typing import Any, Dict, List, Optional

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID

from esprobe.ip_text import go_ip_string
from esprobe.x509.go_verify import (
    go_view,
    not_after,
    not_before,
    serial_number,
    signature_verifies_with_own_key,
)

# OpenSSL's names (what `openssl x509 -text` prints), so support engineers see familiar words.
_SIGNATURE_NAMES = {
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.3.14.3.2.29": "sha1WithRSA",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.2.840.113549.1.1.10": "rsassaPss",
    "1.2.840.10040.4.3": "dsa_with_SHA1",
    "2.16.840.1.101.3.4.3.2": "dsa_with_SHA256",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.3.101.112": "ED25519",
    "1.3.101.113": "ED448",
}

_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp224r1": "P-224"}

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH.dotted_string: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: "OCSPSigning",
    "2.5.29.37.0": "anyExtendedKeyUsage",
}


def pem_from_der(der: bytes) -> bytes:
    """
    A certificate's DER as PEM, byte for byte what the server sent: no parsing, so a certificate
    that cryptography refuses (and Go may accept) is kept as well.
    """
    body = base64.b64encode(der).decode("ascii")
    wrapped = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{wrapped}\n-----END CERTIFICATE-----\n".encode("ascii")


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def sha256_fingerprint(cert: x509.Certificate) -> str:
    """Lower-case hex SHA-256 of the DER certificate, no colons: what ``ca_trusted_fingerprint`` takes."""
    return hashlib.sha256(_der(cert)).hexdigest()


def spki_pin(cert: x509.Certificate) -> str:
    """
    The ``ssl.ca_sha256`` pin of *cert*: standard base64 (padded) of SHA-256 over the DER
    SubjectPublicKeyInfo exactly as it appears in the certificate.
    """
    raw = go_view(cert).raw_spki
    if not raw:  # unreadable TBS: fall back to the re-encoded key
        raw = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii")


def is_self_signed(cert: x509.Certificate) -> bool:
    """Issuer equals subject (byte for byte) and the signature verifies with the certificate's own key."""
    try:
        view = go_view(cert)
        return view.raw_issuer == view.raw_subject and signature_verifies_with_own_key(cert)
    except Exception:
        return False


def is_ca(cert: x509.Certificate) -> bool:
    """BasicConstraints cA set (Go's ``IsCA``); False when the extension is absent or unreadable."""
    try:
        view = go_view(cert)
        return view.basic_constraints_valid and view.is_ca
    except Exception:
        return False


def key_description(cert: x509.Certificate) -> str:
    """``RSA 2048``, ``EC P-256``, ``Ed25519`` ..."""
    try:
        key = cert.public_key()
    except Exception:
        return "unknown"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {_CURVE_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    if isinstance(key, x25519.X25519PublicKey):
        return "X25519"
    if isinstance(key, x448.X448PublicKey):
        return "X448"
    return "unknown"


def signature_algorithm(cert: x509.Certificate) -> str:
    """OpenSSL's name for the signature algorithm (``sha256WithRSAEncryption``, ``ecdsa-with-SHA256``)."""
    oid = cert.signature_algorithm_oid.dotted_string
    return _SIGNATURE_NAMES.get(oid, oid)


def _iso(value: _dt.datetime) -> str:
    return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _serial_hex(cert: x509.Certificate) -> str:
    serial = serial_number(cert)
    text = format(abs(serial), "x")
    if len(text) % 2:
        text = "0" + text
    return ("-" if serial < 0 else "") + text


def _safe(read: Any, default: Any) -> Any:
    try:
        return read()
    except Exception:
        return default


def cert_facts(cert: x509.Certificate, now: Optional[_dt.datetime] = None) -> Dict[str, Any]:
    """
    The contract's CERT object for *cert*.

    Keys: subject, issuer (RFC 4514), serial (hex), not_before, not_after (ISO 8601 UTC,
    ``Z``), days_left (whole days until notAfter, rounded down, negative once expired),
    dns_sans, ip_sans, sha256 (lower-case hex, no colons), key, signature_algorithm, is_ca.
    """
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    end = _safe(lambda: not_after(cert), None)
    view = _safe(lambda: go_view(cert), None)
    return {
        "subject": _safe(lambda: cert.subject.rfc4514_string(), ""),
        "issuer": _safe(lambda: cert.issuer.rfc4514_string(), ""),
        "serial": _safe(lambda: _serial_hex(cert), ""),
        "not_before": _safe(lambda: _iso(not_before(cert)), ""),
        "not_after": _iso(end) if end is not None else "",
        "days_left": math.floor((end - moment).total_seconds() / 86400) if end is not None else 0,
        "dns_sans": list(view.dns_names) if view is not None else [],
        "ip_sans": [go_ip_string(a) for a in view.ip_addresses] if view is not None else [],
        "sha256": sha256_fingerprint(cert),
        "key": key_description(cert),
        "signature_algorithm": _safe(lambda: signature_algorithm(cert), "unknown"),
        "is_ca": is_ca(cert),
    }


# --- a readable dump for support bundles -----------------------------------------------------


def _key_usage_text(usage: x509.KeyUsage) -> str:
    names = [
        ("digitalSignature", usage.digital_signature),
        ("nonRepudiation", usage.content_commitment),
        ("keyEncipherment", usage.key_encipherment),
        ("dataEncipherment", usage.data_encipherment),
        ("keyAgreement", usage.key_agreement),
        ("keyCertSign", usage.key_cert_sign),
        ("cRLSign", usage.crl_sign),
    ]
    if usage.key_agreement:
        names += [("encipherOnly", usage.encipher_only), ("decipherOnly", usage.decipher_only)]
    return ", ".join(n for n, on in names if on) or "(none)"


def _general_name_text(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        value = name.value
        return f"IP:{go_ip_string(value) if not hasattr(value, 'prefixlen') else value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    return f"{type(name).__name__}"


def _extension_text(ext: x509.Extension) -> str:
    value = ext.value
    if isinstance(value, x509.BasicConstraints):
        text = f"CA:{'TRUE' if value.ca else 'FALSE'}"
        if value.path_length is not None:
            text += f", pathlen:{value.path_length}"
        return f"Basic Constraints: {text}"
    if isinstance(value, x509.KeyUsage):
        return f"Key Usage: {_key_usage_text(value)}"
    if isinstance(value, x509.ExtendedKeyUsage):
        names = [_EKU_NAMES.get(o.dotted_string, o.dotted_string) for o in value]
        return f"Extended Key Usage: {', '.join(names) or '(empty)'}"
    if isinstance(value, x509.SubjectAlternativeName):
        return f"Subject Alternative Name: {', '.join(_general_name_text(n) for n in value) or '(empty)'}"
    if isinstance(value, x509.SubjectKeyIdentifier):
        return f"Subject Key Identifier: {value.digest.hex(':')}"
    if isinstance(value, x509.AuthorityKeyIdentifier):
        key_id = value.key_identifier.hex(":") if value.key_identifier else "(none)"
        return f"Authority Key Identifier: {key_id}"
    if isinstance(value, x509.NameConstraints):
        permitted = ", ".join(_general_name_text(n) for n in value.permitted_subtrees or ()) or "-"
        excluded = ", ".join(_general_name_text(n) for n in value.excluded_subtrees or ()) or "-"
        return f"Name Constraints: permitted {permitted}; excluded {excluded}"
    if isinstance(value, x509.AuthorityInformationAccess):
        entries = [f"{d.access_method._name}={_general_name_text(d.access_location)}" for d in value]
        return f"Authority Information Access: {', '.join(entries)}"
    name = getattr(ext.oid, "_name", None) or ext.oid.dotted_string
    return f"{name} ({ext.oid.dotted_string})"


def describe(cert: x509.Certificate, now: Optional[_dt.datetime] = None) -> str:
    """A readable multi-line dump of *cert* for support bundles (public data only)."""
    facts = cert_facts(cert, now)
    lines: List[str] = [
        f"Subject:             {facts['subject']}",
        f"Issuer:              {facts['issuer']}",
        f"Serial:              {facts['serial']}",
        f"Valid:               {facts['not_before']} .. {facts['not_after']} ({facts['days_left']} days left)",
        f"Key:                 {facts['key']}",
        f"Signature algorithm: {facts['signature_algorithm']}",
        f"Self-signed:         {'yes' if is_self_signed(cert) else 'no'}",
        f"DNS SANs:            {', '.join(facts['dns_sans']) or '(none)'}",
        f"IP SANs:             {', '.join(facts['ip_sans']) or '(none)'}",
        f"SHA-256 fingerprint: {facts['sha256']}  (ssl.ca_trusted_fingerprint form)",
        f"SPKI pin:            {_safe(lambda: spki_pin(cert), '(unreadable)')}  (ssl.ca_sha256 form)",
        f"SHA-1 fingerprint:   {hashlib.sha1(_der(cert)).hexdigest()}",
        "Extensions:",
    ]
    try:
        extensions = list(cert.extensions)
    except Exception as exc:
        lines.append(f"  (unreadable: {exc})")
        extensions = []
    for ext in extensions:
        critical = " [critical]" if ext.critical else ""
        lines.append(f"  {_safe(partial(_extension_text, ext), ext.oid.dotted_string)}{critical}")
    if not extensions:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"
