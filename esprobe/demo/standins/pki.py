"""
A small certificate factory for the stand-ins, the demo, sample_certs and the tests.

It makes what ``elasticsearch-certutil`` users have (a CA, an intermediate, node and client
certificates) and the broken certificates the TLS stage must recognise (expired, wrong host,
CN-only, self-signed, SHA-1 signed, weak key, wrong EKU, name constraints ...). Everything is
generated in memory with ``cryptography``; nothing here touches the network.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey]

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH

_DAY = _dt.timedelta(days=1)


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def new_key(kind: str = "ec", size: int = 2048) -> PrivateKey:
    """``kind`` is ``ec`` (P-256), ``ec384``, ``rsa`` (of *size* bits) or ``ed25519``."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "rsa":
        if size < 1024:
            return _small_rsa_key(size)
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key kind {kind!r}")


def name(common_name: Optional[str] = None, **attrs: str) -> x509.Name:
    """
    Build a subject in the usual encoding order: C, ST, L, O, OU, CN (then e-mail).

    Keyword names: ``c``, ``st``, ``l``, ``o``, ``ou``, ``email``.
    """
    order = [
        ("c", NameOID.COUNTRY_NAME),
        ("st", NameOID.STATE_OR_PROVINCE_NAME),
        ("l", NameOID.LOCALITY_NAME),
        ("o", NameOID.ORGANIZATION_NAME),
        ("ou", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ]
    parts = [x509.NameAttribute(oid, attrs[k]) for k, oid in order if k in attrs]
    if common_name is not None:
        parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if "email" in attrs:
        parts.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, attrs["email"]))
    return x509.Name(parts)


@dataclass
class Issued:
    """A certificate with its key and the chain above it (issuer first, root last)."""

    cert: x509.Certificate
    key: PrivateKey = field(repr=False)
    chain: Tuple[x509.Certificate, ...] = ()

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def chain_pem(self) -> bytes:
        """This certificate followed by its intermediates (not the root): what a server sends."""
        intermediates = [c for c in self.chain if not _is_self_issued(c)]
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *intermediates))

    @property
    def fullchain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *self.chain))

    def key_pem(self, fmt: str = "pkcs8", passphrase: Optional[bytes] = None) -> bytes:
        """
        The private key as PEM. *fmt*: ``pkcs8`` (``PRIVATE KEY`` / ``ENCRYPTED PRIVATE KEY``),
        ``pkcs1`` (``RSA PRIVATE KEY``; legacy ``Proc-Type`` encryption with a passphrase), or
        ``sec1`` (``EC PRIVATE KEY``).
        """
        if fmt == "pkcs8":
            private_format = serialization.PrivateFormat.PKCS8
        elif fmt in ("pkcs1", "sec1"):
            private_format = serialization.PrivateFormat.TraditionalOpenSSL
        else:
            raise ValueError(f"unknown key format {fmt!r}")
        encryption: serialization.KeySerializationEncryption
        if passphrase:
            encryption = serialization.BestAvailableEncryption(passphrase)
        else:
            encryption = serialization.NoEncryption()
        return self.key.private_bytes(serialization.Encoding.PEM, private_format, encryption)

    def write(self, directory: Union[str, Path], stem: str, *, chain: bool = False) -> Tuple[Path, Path]:
        """Write ``<stem>.crt`` (with intermediates if *chain*) and ``<stem>.key``; return both paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        crt, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        crt.write_bytes(self.chain_pem if chain else self.cert_pem)
        key.write_bytes(self.key_pem())
        key.chmod(0o600)
        return crt, key

    @property
    def sha256_hex(self) -> str:
        """What ``ca_trusted_fingerprint`` takes: hex SHA-256 of the DER certificate."""
        return self.cert.fingerprint(hashes.SHA256()).hex()


def _is_self_issued(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


class CertAuthority:
    """
    A CA that issues certificates. ``CertAuthority.root()`` makes a self-signed root;
    ``ca.intermediate()`` a subordinate CA.
    """

    def __init__(self, issued: Issued) -> None:
        self.issued = issued

    @property
    def cert(self) -> x509.Certificate:
        return self.issued.cert

    @property
    def cert_pem(self) -> bytes:
        return self.issued.cert_pem

    @classmethod
    def root(
        cls,
        common_name: str = "esprobe Test Root CA",
        *,
        key_kind: str = "ec",
        key_size: int = 2048,
        days: int = 3650,
        not_before: Optional[_dt.datetime] = None,
        not_after: Optional[_dt.datetime] = None,
        extended_key_usage: Optional[Sequence[x509.ObjectIdentifier]] = None,
        name_constraints: Optional[x509.NameConstraints] = None,
        subject: Optional[x509.Name] = None,
        signature_hash: str = "sha256",
    ) -> "CertAuthority":
        key = new_key(key_kind, key_size)
        subject = subject or name(common_name, o="esprobe")
        now = utcnow()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - _DAY)
            .not_valid_after(not_after or now + days * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if extended_key_usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)
        if name_constraints is not None:
            builder = builder.add_extension(name_constraints, critical=True)
        cert = builder.sign(key, _hash_for(key))
        if signature_hash == "sha1":  # a SHA-1 self-signature: Go never checks it on a root
            cert = _resign_sha1(cert, key)
        return cls(Issued(cert, key, ()))

    def intermediate(
        self,
        common_name: str = "esprobe Test Intermediate CA",
        *,
        key_kind: str = "ec",
        key_size: int = 2048,
        days: int = 1825,
        not_before: Optional[_dt.datetime] = None,
        not_after: Optional[_dt.datetime] = None,
        path_length: Optional[int] = 0,
        ca: bool = True,
        extended_key_usage: Optional[Sequence[x509.ObjectIdentifier]] = None,
        name_constraints: Optional[x509.NameConstraints] = None,
        signature_hash: str = "sha256",
        version1: bool = False,
    ) -> "CertAuthority":
        """
        A subordinate CA. ``signature_hash="sha1"`` signs it with SHA-1 (RSA issuers only);
        ``version1=True`` makes an X.509 v1 certificate (no extensions at all), the only
        kind of non-CA issuer Go's signature check lets through to "not authorized to sign".
        """
        key = new_key(key_kind, key_size)
        now = utcnow()
        if version1:
            bare = self._bare_builder(
                name(common_name, o="esprobe"), key, not_before or now - _DAY, not_after or now + days * _DAY
            )
            cert = _as_version1(bare.sign(self.issued.key, _hash_for(self.issued.key)), self.issued.key)
            return CertAuthority(Issued(cert, key, (self.issued.cert, *self.issued.chain)))
        builder = self._builder(
            name(common_name, o="esprobe"), key, not_before or now - _DAY, not_after or now + days * _DAY
        )
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        ).add_extension(_ca_key_usage(), critical=True)
        if extended_key_usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)
        if name_constraints is not None:
            builder = builder.add_extension(name_constraints, critical=True)
        cert = builder.sign(self.issued.key, _hash_for(self.issued.key))
        if signature_hash == "sha1":
            cert = _resign_sha1(cert, self.issued.key)
        return CertAuthority(Issued(cert, key, (self.issued.cert, *self.issued.chain)))

    def issue(
        self,
        common_name: Optional[str] = None,
        *,
        dns: Iterable[str] = (),
        ips: Iterable[str] = (),
        san: bool = True,
        subject: Optional[x509.Name] = None,
        key_kind: str = "ec",
        key_size: int = 2048,
        key: Optional[PrivateKey] = None,
        days: int = 825,
        not_before: Optional[_dt.datetime] = None,
        not_after: Optional[_dt.datetime] = None,
        extended_key_usage: Optional[Sequence[x509.ObjectIdentifier]] = (SERVER_AUTH, CLIENT_AUTH),
        ca: bool = False,
        key_usage: Optional[x509.KeyUsage] = None,
        extra_extensions: Sequence[Tuple[x509.ExtensionType, bool]] = (),
        signature_hash: str = "sha256",
    ) -> Issued:
        """
        Issue an end-entity certificate.

        Args:
            common_name: the subject CN (defaults to the first DNS name).
            dns / ips: SAN entries; with ``san=False`` no SAN extension at all (CN-only).
            extended_key_usage: EKUs, or None for no EKU extension.
            ca: set ``BasicConstraints(ca=True)`` on the leaf.
            signature_hash: ``sha256``, ``sha384`` or ``sha1`` (``sha1`` re-signs the
                certificate by hand, since ``cryptography`` refuses to build SHA-1 signatures;
                RSA issuers only).
        """
        dns, ips = list(dns), list(ips)
        if common_name is None and subject is None:
            common_name = dns[0] if dns else (ips[0] if ips else "esprobe test")
        key = key or new_key(key_kind, key_size)
        now = utcnow()
        builder = self._builder(
            subject or name(common_name, o="esprobe"),
            key,
            not_before or now - _DAY,
            not_after or now + days * _DAY,
        )
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=None), critical=True
        ).add_extension(key_usage or _leaf_key_usage(key, ca), critical=True)
        if extended_key_usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)
        if san and (dns or ips):
            entries: List[x509.GeneralName] = [x509.DNSName(d) for d in dns]
            entries += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
            builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
        for extension, critical in extra_extensions:
            builder = builder.add_extension(extension, critical=critical)
        cert = builder.sign(self.issued.key, _hash_for(self.issued.key, "sha256"))
        if signature_hash == "sha1":
            cert = _resign_sha1(cert, self.issued.key)
        elif signature_hash != "sha256":
            cert = builder.sign(self.issued.key, _hash_for(self.issued.key, signature_hash))
        return Issued(cert, key, (self.issued.cert, *self.issued.chain))

    def _builder(
        self, subject: x509.Name, key: PrivateKey, not_before: _dt.datetime, not_after: _dt.datetime
    ) -> x509.CertificateBuilder:
        try:
            issuer_ski = self.issued.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
        except x509.ExtensionNotFound:  # a v1 issuer has no extensions at all
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issued.key.public_key())
        return (
            self._bare_builder(subject, key, not_before, not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(aki, critical=False)
        )

    def _bare_builder(
        self, subject: x509.Name, key: PrivateKey, not_before: _dt.datetime, not_after: _dt.datetime
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.issued.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )


def self_signed(
    common_name: str,
    *,
    dns: Iterable[str] = (),
    ips: Iterable[str] = (),
    key_kind: str = "ec",
    days: int = 825,
    not_before: Optional[_dt.datetime] = None,
    not_after: Optional[_dt.datetime] = None,
) -> Issued:
    """A self-signed end-entity certificate (CA:FALSE), as quick-start guides produce."""
    key = new_key(key_kind)
    subject = name(common_name, o="esprobe")
    now = utcnow()
    entries: List[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    entries += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - _DAY)
        .not_valid_after(not_after or now + days * _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([SERVER_AUTH]), critical=False)
    )
    if entries:
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return Issued(builder.sign(key, _hash_for(key)), key, ())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_key_usage(key: PrivateKey, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _hash_for(key: PrivateKey, algorithm: str = "sha256") -> Union[hashes.SHA256, hashes.SHA384, None]:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if algorithm == "sha384":
        return hashes.SHA384()
    if algorithm == "sha256":
        return hashes.SHA256()
    raise KeyError(algorithm)


# --- SHA-1 signatures ------------------------------------------------------------------------
# cryptography refuses to *build* SHA-1 signed certificates, but it will still sign arbitrary
# bytes with SHA-1. So: build the certificate normally, swap the signature algorithm inside the
# DER TBSCertificate, and sign that by hand. Only the few DER shapes we need are handled.

_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
_SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5


def _der_read(data: bytes, offset: int) -> Tuple[int, int, int]:
    """Return (tag, content start, content end) of the DER element at *offset*."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return tag, start, start + length


def _der_wrap(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def _resign_sha1(cert: x509.Certificate, issuer_key: PrivateKey) -> x509.Certificate:
    if not isinstance(issuer_key, rsa.RSAPrivateKey):
        raise ValueError("SHA-1 signed certificates need an RSA issuer")
    tbs = cert.tbs_certificate_bytes
    if _SHA256_WITH_RSA not in tbs:
        raise ValueError("unexpected signature algorithm in TBSCertificate")
    tbs = tbs.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA, 1)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = _der_wrap(0x30, _SHA1_WITH_RSA + b"\x05\x00")
    bit_string = _der_wrap(0x03, b"\x00" + signature)
    der = _der_wrap(0x30, tbs + algorithm + bit_string)
    return x509.load_der_x509_certificate(der)


def _as_version1(cert: x509.Certificate, issuer_key: PrivateKey) -> x509.Certificate:
    """Drop the ``[0] version`` field (and any extensions) from *cert* and sign it again: a v1 certificate."""
    tbs = cert.tbs_certificate_bytes
    _tag, start, end = _der_read(tbs, 0)
    parts = []
    offset = start
    while offset < end:
        tag, content_start, content_end = _der_read(tbs, offset)
        if tag not in (0xA0, 0xA3):  # version, extensions
            parts.append(tbs[offset:content_end])
        offset = content_end
    new_tbs = _der_wrap(0x30, b"".join(parts))
    outer = cert.public_bytes(serialization.Encoding.DER)
    _tag, outer_start, _outer_end = _der_read(outer, 0)
    _tag, _s, tbs_end = _der_read(outer, outer_start)
    _tag, _s, algorithm_end = _der_read(outer, tbs_end)
    algorithm = outer[tbs_end:algorithm_end]
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        signature = issuer_key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        signature = issuer_key.sign(new_tbs, ec.ECDSA(hashes.SHA256()))
    else:
        signature = issuer_key.sign(new_tbs)
    der = _der_wrap(0x30, new_tbs + algorithm + _der_wrap(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def _small_rsa_key(size: int) -> rsa.RSAPrivateKey:
    """
    An RSA key below 1024 bits, built from its primes by hand: ``cryptography`` refuses to
    generate one, but Go's "N-bit keys are insecure" rule needs one to be tested against.
    """
    exponent = 65537
    while True:
        p, q = _random_prime(size // 2), _random_prime(size - size // 2)
        if p != q and (p - 1) % exponent and (q - 1) % exponent and (p * q).bit_length() == size:
            break
    d = pow(exponent, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(exponent, p * q),
    )
    return numbers.private_key()


def _random_prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _probably_prime(candidate):
            return candidate


def _probably_prime(n: int) -> bool:
    for small in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(32):  # Miller-Rabin
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
