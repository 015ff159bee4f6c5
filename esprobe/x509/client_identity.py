"""
The client certificate and key, loaded the way Beats loads them (elastic-agent-libs tlscommon:
readPEMFile, then Go's tls.X509KeyPair), with the Beat's own error texts. Pure: bytes in, verdict out.
"""

from __future__ import annotations

import base64
import re
import warnings
from dataclasses import field
from typing import Any, List, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from esprobe.record import record

# What cryptography raises for bytes it cannot make sense of (bad DER, unknown key types).
_UNREADABLE = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion)

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)


@record
class PemBlock:
    kind: str  # "CERTIFICATE", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY" ...
    headers: Tuple[Tuple[str, str], ...]
    body: bytes = field(repr=False)

    @property
    def legacy_encrypted(self) -> bool:
        """OpenSSL's old ``Proc-Type: 4,ENCRYPTED`` / ``DEK-Info`` encryption (Go: IsEncryptedPEMBlock)."""
        return any(name == "DEK-Info" for name, _ in self.headers)

    def pem(self) -> bytes:
        lines = [f"-----BEGIN {self.kind}-----".encode()]
        lines += [f"{name}: {value}".encode() for name, value in self.headers]
        if self.headers:
            lines.append(b"")
        encoded = base64.b64encode(self.body)
        lines += [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
        lines.append(f"-----END {self.kind}-----".encode())
        return b"\n".join(lines) + b"\n"


def pem_blocks(data: bytes) -> List[PemBlock]:
    """Every well-formed PEM block in *data*; malformed base64 makes a block disappear, as in Go."""
    blocks = []
    for match in _BLOCK.finditer(data):
        kind = match.group(1).decode("ascii", "replace")
        text = match.group(2)
        headers: List[Tuple[str, str]] = []
        lines = text.splitlines()
        while lines and b":" in lines[0]:
            name, _, value = lines.pop(0).decode("ascii", "replace").partition(":")
            headers.append((name.strip(), value.strip()))
        try:
            body = base64.b64decode(b"".join(line.strip() for line in lines), validate=True)
        except ValueError:
            continue
        blocks.append(PemBlock(kind, tuple(headers), body))
    return blocks


@record
class LoadedIdentity:
    """
    Attributes:
        chain: the certificates of ``ssl.certificate``, leaf first (all are sent).
        key: the private key, or None when loading failed.
        error: the Beat's own error text when the pair cannot be loaded (the Beat then refuses to
            start its output), else None.
        notes: facts worth a warning (a legacy-encrypted PKCS#1 key, deprecated since 2026).
    """

    chain: Tuple[x509.Certificate, ...] = ()
    key: Any = field(default=None, repr=False)
    error: Optional[str] = None
    notes: Tuple[str, ...] = ()

    @property
    def leaf(self) -> Optional[x509.Certificate]:
        return self.chain[0] if self.chain else None


def _decrypt(block: PemBlock, passphrase: Optional[str]) -> Tuple[Optional[PemBlock], Optional[str]]:
    """One key block after readPEMFile's decryption step: (usable block, or the error)."""
    encrypted = block.legacy_encrypted or block.kind == "ENCRYPTED PRIVATE KEY"
    if not encrypted:
        return block, None
    if not passphrase:
        return None, "no passphrase available"
    try:
        key = serialization.load_pem_private_key(block.pem(), password=passphrase.encode("utf-8"))
    except _UNREADABLE as error:
        if block.legacy_encrypted:
            return None, "failed to decrypt PKCS#1 key: x509: decryption password incorrect"
        return None, f"failed to parse key: {_short(error)}"
    if block.kind == "ENCRYPTED PRIVATE KEY" and not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return None, f"unknown key type {type(key).__name__}"
    try:
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    except _UNREADABLE as error:
        return None, f"failed to parse key: {_short(error)}"
    return PemBlock("PRIVATE KEY", (), der), None


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def load_identity(cert_pem: bytes, key_pem: bytes, passphrase: Optional[str]) -> LoadedIdentity:
    """Load ``ssl.certificate`` + ``ssl.key`` (+ passphrase) exactly as far as the Beat gets."""
    cert_blocks = pem_blocks(cert_pem)
    key_blocks = pem_blocks(key_pem)
    if not cert_blocks:
        return LoadedIdentity(error="no pem file")
    if not key_blocks:
        return LoadedIdentity(error="no pem file")
    notes: List[str] = []
    usable: List[PemBlock] = []
    decrypt_errors: List[str] = []
    for block in key_blocks:
        clear, error = _decrypt(block, passphrase)
        if error:
            decrypt_errors.append(error)
        elif clear is not None:
            usable.append(clear)
            if block.legacy_encrypted:
                notes.append("the key uses legacy OpenSSL (PKCS#1) encryption, deprecated in Beats since 2026; "
                              "convert it to PKCS#8 (openssl pkcs8 -topk8)")
    if not usable:
        return LoadedIdentity(error="; ".join(["no PEM blocks", *decrypt_errors]))

    certificates = [b for b in cert_blocks if b.kind == "CERTIFICATE"]
    if not certificates:
        if any(b.kind.endswith("PRIVATE KEY") for b in cert_blocks):
            return LoadedIdentity(error="tls: failed to find certificate PEM data in certificate input, but did find a "
                                        "private key; PEM inputs may have been switched")
        return LoadedIdentity(error="tls: failed to find any PEM data in certificate input")
    key_block = next((b for b in usable if b.kind == "PRIVATE KEY" or b.kind.endswith(" PRIVATE KEY")), None)
    if key_block is None:
        if any(b.kind == "CERTIFICATE" for b in usable):
            return LoadedIdentity(error="tls: found a certificate rather than a key in the PEM for the private key")
        return LoadedIdentity(error="tls: failed to find any PEM data in key input")
    try:
        with warnings.catch_warnings():  # e.g. a non-positive serial: judged by Go's rules, not warned about
            warnings.simplefilter("ignore")
            chain = tuple(x509.load_der_x509_certificate(b.body) for b in certificates)
    except _UNREADABLE as error:
        return LoadedIdentity(error=f"x509: malformed certificate ({_short(error)})")
    try:
        key = serialization.load_der_private_key(key_block.body, password=None)
    except _UNREADABLE:
        return LoadedIdentity(chain=chain, error="tls: failed to parse private key")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        return LoadedIdentity(chain=chain, error="tls: failed to parse private key")
    if not _matches(chain[0], key):
        return LoadedIdentity(chain=chain, error="tls: private key does not match public key")
    return LoadedIdentity(chain=chain, key=key, notes=tuple(notes))


def _matches(cert: x509.Certificate, key: Any) -> bool:
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    try:
        ours = key.public_key().public_bytes(serialization.Encoding.DER, public)
        theirs = cert.public_key().public_bytes(serialization.Encoding.DER, public)
    except Exception:  # an exotic key cryptography cannot serialise: no match
        return False
    return ours == theirs


def lacks_client_auth(cert: x509.Certificate) -> bool:
    """True when the certificate lists EKUs but neither clientAuth nor anyExtendedKeyUsage."""
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.CLIENT_AUTH not in usages and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usages


def go_would_send(chain: Tuple[x509.Certificate, ...], acceptable_cas: Tuple[bytes, ...]) -> bool:
    """
    Go's client sends its certificate only if the server's acceptable-CA list is empty or names
    the issuer of some certificate of the chain (crypto/tls CertificateRequestInfo.SupportsCertificate).
    """
    if not acceptable_cas:
        return True
    wanted = set(acceptable_cas)
    for cert in chain:
        issuer = cert.issuer.public_bytes()
        if issuer in wanted:
            return True
    return False
