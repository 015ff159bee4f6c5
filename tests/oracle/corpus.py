"""
The Go oracle's corpus: a few hundred unusual but real-world certificate chains.

Each case is a server chain (leaf first, as the server sends it), the leaf's private key, the
CA files a Beat would be configured with, the host in the URL and the ``ssl.*`` settings. Most
certificates come from ``cryptography``'s builder; what it refuses to build (negative serials,
v2/v4, duplicate or critical AKI/SKI/AIA, mismatched signature algorithms, explicit curves,
non-ASCII names, bad IP lengths, empty EKU ...) is produced by rewriting the DER of the TBS and
signing it again with the issuer's key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from esprobe.demo.standins.pki import _small_rsa_key
from tests.oracle import der

DAY = _dt.timedelta(days=1)
Key = object
Mutator = Callable[[List[bytes]], List[bytes]]


@dataclass(frozen=True)
class Case:
    id: str
    klass: str
    chain: Tuple[bytes, ...]  # DER, leaf first, as sent
    key: object  # the leaf's private key
    ca_files: Tuple[bytes, ...]  # PEM text of each certificate_authorities entry
    host: str
    mode: str = "full"
    fingerprint: str = ""
    pins: Tuple[str, ...] = ()


@dataclass
class Cert:
    der: bytes
    key: object  # its own private key
    name: x509.Name

    @property
    def pem(self) -> bytes:
        return pem_of(self.der)


def pem_of(*ders: bytes) -> bytes:
    import base64

    out = b""
    for d in ders:
        body = base64.encodebytes(d).replace(b"\n", b"")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        out += b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"
    return out


# --- keys -------------------------------------------------------------------------------------

class Keys:
    """Keys are slow to make: one of each kind per role, made on first use and shared by all cases."""

    def __init__(self) -> None:
        self._cache: Dict[Tuple[str, str], object] = {}

    def get(self, kind: str = "rsa2048", role: str = "leaf") -> object:
        slot = (kind, role)
        if slot not in self._cache:
            self._cache[slot] = _make_key(kind)
        return self._cache[slot]


def _make_key(kind: str) -> object:
    if kind.startswith("rsa"):
        bits = int(kind[3:])
        return _small_rsa_key(bits) if bits < 1024 else rsa.generate_private_key(public_exponent=65537, key_size=bits)
    curves = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1(), "k256": ec.SECP256K1(),
              "p224": ec.SECP224R1()}
    if kind in curves:
        return ec.generate_private_key(curves[kind])
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "dsa":
        return dsa.generate_private_key(2048)
    raise ValueError(kind)


def sign(key: object, data: bytes, digest: Optional[hashes.HashAlgorithm]) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), digest or hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(digest or hashes.SHA256()))
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, digest or hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise TypeError(type(key))


_SIG_OIDS = {
    ("rsa", "md5"): "1.2.840.113549.1.1.4", ("rsa", "sha1"): "1.2.840.113549.1.1.5",
    ("rsa", "sha224"): "1.2.840.113549.1.1.14", ("rsa", "sha256"): "1.2.840.113549.1.1.11",
    ("rsa", "sha384"): "1.2.840.113549.1.1.12", ("rsa", "sha512"): "1.2.840.113549.1.1.13",
    ("ec", "sha1"): "1.2.840.10045.4.1", ("ec", "sha224"): "1.2.840.10045.4.3.1",
    ("ec", "sha256"): "1.2.840.10045.4.3.2", ("ec", "sha384"): "1.2.840.10045.4.3.3",
    ("ec", "sha512"): "1.2.840.10045.4.3.4", ("dsa", "sha1"): "1.2.840.10040.4.3",
    ("dsa", "sha256"): "2.16.840.1.101.3.4.3.2", ("ed", None): "1.3.101.112",
}
_HASHES = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _key_family(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ec"
    if isinstance(key, dsa.DSAPrivateKey):
        return "dsa"
    return "ed"


def sig_alg(key: object, digest: Optional[str]) -> bytes:
    family = _key_family(key)
    if family == "ed":
        return der.seq(der.oid(_SIG_OIDS[("ed", None)]))
    dotted = _SIG_OIDS[(family, digest or "sha256")]
    if family == "rsa":
        return der.seq(der.oid(dotted), der.tlv(0x05, b""))
    return der.seq(der.oid(dotted))


# --- building ---------------------------------------------------------------------------------

def name(cn: Optional[str], org: Optional[str] = None) -> x509.Name:
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs or [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Oracle no CN")])


@dataclass
class Spec:
    """What one certificate should look like; `make` turns it into DER."""

    subject: x509.Name
    key: object
    issuer: Optional[Cert] = None  # None: self-signed
    ca: Optional[bool] = None  # None: no basicConstraints
    pathlen: Optional[int] = None
    bc_critical: bool = True
    sans: Optional[List[x509.GeneralName]] = None
    eku: Optional[List[x509.ObjectIdentifier]] = None
    key_usage: Optional[x509.KeyUsage] = None
    not_before: Optional[_dt.datetime] = None
    not_after: Optional[_dt.datetime] = None
    serial: int = 0
    digest: Optional[str] = "sha256"
    ski: bool = True
    aki: bool = True
    extra: List[x509.ExtensionType] = field(default_factory=list)
    extra_critical: List[x509.ExtensionType] = field(default_factory=list)
    mutate: Optional[Mutator] = None  # rewrites the TBS's top-level elements
    outer_alg: Optional[bytes] = None  # a different outer signatureAlgorithm
    issuer_name: Optional[x509.Name] = None  # claim another issuer name


_serials = iter(range(0x1000, 10 ** 9))


def make(spec: Spec, now: _dt.datetime) -> Cert:
    issuer_key = spec.issuer.key if spec.issuer else spec.key
    issuer_name = spec.issuer_name or (spec.issuer.name if spec.issuer else spec.subject)
    public = spec.key.public_key()  # type: ignore[attr-defined]
    builder = (x509.CertificateBuilder().subject_name(spec.subject).issuer_name(issuer_name)
               .public_key(public).serial_number(next(_serials))
               .not_valid_before(spec.not_before or now - DAY).not_valid_after(spec.not_after or now + 365 * DAY))
    if spec.ca is not None:
        constraints = x509.BasicConstraints(ca=spec.ca, path_length=spec.pathlen if spec.ca else None)
        builder = builder.add_extension(constraints,
                                        critical=spec.bc_critical)
    if spec.sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(spec.sans), critical=False)
    if spec.eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(spec.eku), critical=False)
    if spec.key_usage is not None:
        builder = builder.add_extension(spec.key_usage, critical=True)
    if spec.ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    if spec.aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)  # type: ignore
    for ext in spec.extra:
        builder = builder.add_extension(ext, critical=False)
    for ext in spec.extra_critical:
        builder = builder.add_extension(ext, critical=True)
    # Always sign ourselves: the builder refuses MD5/SHA-1 with some keys, and rewrites need it anyway.
    draft = builder.sign(issuer_key, None if _key_family(issuer_key) == "ed" else hashes.SHA256())  # type: ignore
    tbs = der.children(draft.tbs_certificate_bytes)
    tbs_items = [der.tlv(0x30, b"")] if False else list(tbs)
    alg = sig_alg(issuer_key, spec.digest)
    index = 1 if tbs_items[0][0] == 0xA0 else 0
    tbs_items[index + 1] = alg
    if spec.serial:
        tbs_items[index] = der.integer(spec.serial)
    if spec.mutate:
        tbs_items = spec.mutate(tbs_items)
    tbs_der = der.seq(*tbs_items)
    digest = _HASHES[spec.digest]() if spec.digest and _key_family(issuer_key) != "ed" else None
    signature = sign(issuer_key, tbs_der, digest)
    cert = der.seq(tbs_der, spec.outer_alg or alg, der.bit_string(signature))
    return Cert(cert, spec.key, spec.subject)


# --- TBS mutators -----------------------------------------------------------------------------

def _ext_index(items: List[bytes]) -> Optional[int]:
    for i, item in enumerate(items):
        if item[0] == 0xA3:
            return i
    return None


def map_extensions(fn: Callable[[List[bytes]], List[bytes]]) -> Mutator:
    def mutate(items: List[bytes]) -> List[bytes]:
        items = list(items)
        i = _ext_index(items)
        exts = der.children(der.children(items[i])[0]) if i is not None else []
        new = fn(exts)
        block = der.tlv(0xA3, der.seq(*new))
        if i is None:
            items.append(block)
        else:
            items[i] = block
        return items
    return mutate


def _oid_of(ext: bytes) -> bytes:
    return der.extension_oid(ext)


def critical_ext(dotted: str) -> Mutator:
    target = der.oid(dotted)
    return map_extensions(lambda exts: [der.ext_critical(e) if _oid_of(e) == target else e for e in exts])


def duplicate_ext(dotted: str) -> Mutator:
    target = der.oid(dotted)
    return map_extensions(lambda exts: exts + [e for e in exts if _oid_of(e) == target])


def add_raw_ext(ext: bytes) -> Mutator:
    return map_extensions(lambda exts: exts + [ext])


def replace_ext(dotted: str, ext: bytes) -> Mutator:
    target = der.oid(dotted)
    return map_extensions(lambda exts: [ext if _oid_of(e) == target else e for e in exts])


def drop_ext(dotted: str) -> Mutator:
    target = der.oid(dotted)
    return map_extensions(lambda exts: [e for e in exts if _oid_of(e) != target])


def set_version(version: Optional[int], keep_extensions: bool = True) -> Mutator:
    """version: the DER value (0 = v1, 1 = v2, 2 = v3, 3 = "v4"); None drops the field (= v1)."""
    def mutate(items: List[bytes]) -> List[bytes]:
        items = list(items)
        if items[0][0] == 0xA0:
            items = items[1:]
        if not keep_extensions:
            items = [i for i in items if i[0] != 0xA3]
        if version is not None:
            items.insert(0, der.tlv(0xA0, der.integer(version)))
        return items
    return mutate


def chain_mutators(*mutators: Mutator) -> Mutator:
    def mutate(items: List[bytes]) -> List[bytes]:
        for m in mutators:
            items = m(items)
        return items
    return mutate


def explicit_curve_spki(key: ec.EllipticCurvePrivateKey) -> Mutator:
    """Replace the SPKI's namedCurve OID with explicit prime-field P-256 parameters."""
    p = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
    a = p - 3
    b = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
    gx = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
    gy = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    params = der.seq(
        der.integer(1),
        der.seq(der.oid("1.2.840.10045.1.1"), der.integer(p)),
        der.seq(der.octet_string(a.to_bytes(32, "big")), der.octet_string(b.to_bytes(32, "big"))),
        der.octet_string(b"\x04" + gx.to_bytes(32, "big") + gy.to_bytes(32, "big")),
        der.integer(n), der.integer(1))
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    spki = der.seq(der.seq(der.oid("1.2.840.10045.2.1"), params), der.bit_string(point))

    def mutate(items: List[bytes]) -> List[bytes]:
        items = list(items)
        start = 1 if items[0][0] == 0xA0 else 0
        items[start + 5] = spki
        return items
    return mutate


def raw_san(*names: bytes) -> bytes:
    """A SAN extension from raw GeneralName TLVs (dNSName = 0x82, iPAddress = 0x87 ...)."""
    return der.extension("2.5.29.17", der.seq(*names))


# --- the corpus ------------------------------------------------------------------------------

SERVER = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT = ExtendedKeyUsageOID.CLIENT_AUTH
ANY = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
CODE = ExtendedKeyUsageOID.CODE_SIGNING

CA_KU = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                      data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                      encipher_only=False, decipher_only=False)
LEAF_KU = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                        encipher_only=False, decipher_only=False)


class Corpus:
    def __init__(self, now: _dt.datetime) -> None:
        self.now = now
        self.keys = Keys()
        self.cases: List[Case] = []
        self.filler = make(Spec(name("Oracle Filler Root"), self.keys.get("p256", "filler"), ca=True), now)

    # building blocks ---------------------------------------------------------------------------

    def root(self, tag: str, key: Optional[object] = None, **kw) -> Cert:  # type: ignore[no-untyped-def]
        kw.setdefault("ca", True)
        kw.setdefault("key_usage", CA_KU)
        return make(Spec(name(f"Root {tag}", "Oracle"), key or self.keys.get("rsa2048", "root"), **kw), self.now)

    def inter(self, tag: str, issuer: Cert, key: Optional[object] = None, **kw) -> Cert:  # type: ignore
        kw.setdefault("ca", True)
        kw.setdefault("key_usage", CA_KU)
        return make(Spec(name(f"Intermediate {tag}", "Oracle"), key or self.keys.get("rsa2048", "inter"),
                         issuer=issuer, **kw), self.now)

    def leaf(self, tag: str, issuer: Cert, host: str, key: Optional[object] = None, cn: Optional[str] = None,
             **kw) -> Cert:  # type: ignore[no-untyped-def]
        if "sans" not in kw:
            kw["sans"] = [_general_name(host)]
        kw.setdefault("eku", [SERVER])
        kw.setdefault("key_usage", LEAF_KU)
        kw.setdefault("ca", False)
        return make(Spec(name(cn if cn is not None else f"leaf {tag}"), key or self.keys.get("rsa2048", "leaf"),
                         issuer=issuer, **kw), self.now)

    def add(self, klass: str, chain: Sequence[Cert], trusted: Sequence[Cert], host: str,
            modes: Sequence[str] = ("full", "strict"), extra_ca_pem: bytes = b"", **settings) -> None:  # type: ignore
        ca_file = pem_of(self.filler.der, *(t.der for t in trusted)) + extra_ca_pem
        for mode in modes:
            self.cases.append(Case(
                id=f"{len(self.cases):03d}-{klass}-{mode}", klass=klass, chain=tuple(c.der for c in chain),
                key=chain[0].key, ca_files=(ca_file,), host=host, mode=mode, **settings))

    def host(self, tag: str) -> str:
        return f"{tag}.oracle.test"

    def simple(self, tag: str, *, root_kw: Optional[dict] = None, inter_kw: Optional[dict] = None,
               leaf_kw: Optional[dict] = None, host: Optional[str] = None) -> Tuple[Cert, Cert, Cert, str]:
        host = host or self.host(tag)
        r = self.root(tag, **(root_kw or {}))
        i = self.inter(tag, r, **(inter_kw or {}))
        leaf_kw = dict(leaf_kw or {})
        sans_host = leaf_kw.pop("host_for_san", host)
        lf = self.leaf(tag, i, sans_host, **leaf_kw)
        return r, i, lf, host


def _general_name(text: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        return x509.DNSName(text)


def fingerprint(der_bytes: bytes) -> str:
    return hashlib.sha256(der_bytes).hexdigest()


def spki_pin(der_bytes: bytes) -> str:
    import base64

    cert = x509.load_der_x509_certificate(der_bytes)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def build_corpus(now: Optional[_dt.datetime] = None) -> List[Case]:
    now = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0)
    c = Corpus(now)
    _baseline(c)
    _ekus(c)
    _signatures(c)
    _validity(c)
    _paths(c)
    _name_constraints(c)
    _basic_constraints(c)
    _versions_and_serials(c)
    _extensions(c)
    _policies(c)
    _keys(c)
    _sans(c)
    _cn_only(c)
    _ip_hosts(c)
    _fingerprints_and_pins(c)
    return c.cases


# --- families ---------------------------------------------------------------------------------

ALL_MODES = ("full", "strict", "certificate", "none")


def _baseline(c: Corpus) -> None:
    r, i, lf, host = c.simple("base")
    c.add("baseline", [lf, i], [r], host, modes=ALL_MODES)
    c.add("baseline-wrong-host", [lf, i], [r], "other.oracle.test", modes=ALL_MODES)
    c.add("baseline-untrusted", [lf, i], [c.root("stranger")], host, modes=ALL_MODES)
    c.add("baseline-root-sent", [lf, i, r], [r], host)
    c.add("baseline-leaf-trusted", [lf], [lf], host)
    self_signed = make(Spec(name(host), c.keys.get("rsa2048", "leaf"), sans=[x509.DNSName(host)], eku=[SERVER]), c.now)
    c.add("self-signed-trusted", [self_signed], [self_signed], host, modes=ALL_MODES)
    c.add("self-signed-untrusted", [self_signed], [], host)


def _ekus(c: Corpus) -> None:
    leaf_ekus: Dict[str, Optional[List[x509.ObjectIdentifier]]] = {
        "none": None, "server": [SERVER], "client": [CLIENT], "any": [ANY], "server-client": [SERVER, CLIENT],
        "code": [CODE]}
    inter_ekus: Dict[str, Optional[List[x509.ObjectIdentifier]]] = {
        "none": None, "server": [SERVER], "client": [CLIENT], "any": [ANY], "code-server": [CODE, SERVER]}
    for ln, leku in leaf_ekus.items():
        for iname, ieku in inter_ekus.items():
            r, i, lf, host = c.simple(f"eku-{ln}-{iname}", inter_kw={"eku": ieku}, leaf_kw={"eku": leku})
            c.add(f"eku-leaf-{ln}-inter-{iname}", [lf, i], [r], host, modes=("full",) if iname != "client" else
                  ("full", "strict"))
    for rname, reku in {"client": [CLIENT], "server": [SERVER]}.items():
        r, i, lf, host = c.simple(f"eku-root-{rname}", root_kw={"eku": reku})
        c.add(f"eku-root-{rname}", [lf, i], [r], host)
    # an EKU extension with no purposes at all (cryptography will not build one)
    empty_eku = der.extension("2.5.29.37", der.seq())
    for where in ("leaf", "inter"):
        tag = f"eku-empty-{where}"
        kw = {"mutate": add_raw_ext(empty_eku), "eku": None}
        r, i, lf, host = c.simple(tag, inter_kw=kw if where == "inter" else None,
                                  leaf_kw=kw if where == "leaf" else None)
        c.add(tag, [lf, i], [r], host)


def _signatures(c: Corpus) -> None:
    for digest in ("md5", "sha1", "sha224", "sha384", "sha512"):
        r, i, lf, host = c.simple(f"sig-leaf-{digest}", leaf_kw={"digest": digest})
        c.add(f"sig-leaf-{digest}", [lf, i], [r], host)
    for digest in ("sha1", "md5"):
        r, i, lf, host = c.simple(f"sig-inter-{digest}", inter_kw={"digest": digest})
        c.add(f"sig-inter-{digest}", [lf, i], [r], host)
        r, i, lf, host = c.simple(f"sig-root-{digest}", root_kw={"digest": digest})
        c.add(f"sig-root-self-{digest}", [lf, i], [r], host)
    ec_root = c.root("sig-ec", key=c.keys.get("p256", "root"))
    for digest in ("sha1", "sha224", "sha384", "sha512"):
        i = c.inter(f"sig-ec-{digest}", ec_root, key=c.keys.get("p256", "inter"), digest=digest)
        host = c.host(f"sig-ec-{digest}")
        lf = c.leaf(f"sig-ec-{digest}", i, host)
        c.add(f"sig-ecdsa-{digest}", [lf, i], [ec_root], host)
    # inner (TBS) and outer signature algorithms differ
    r, i, lf, host = c.simple("sig-mismatch-leaf", leaf_kw={"outer_alg": sig_alg(c.keys.get("rsa2048", "inter"),
                                                                                "sha384")})
    c.add("sig-mismatch-leaf", [lf, i], [r], host)
    r = c.root("sig-mismatch-inter")
    i = c.inter("sig-mismatch-inter", r, outer_alg=sig_alg(r.key, "sha512"))
    host = c.host("sig-mismatch-inter")
    c.add("sig-mismatch-inter", [c.leaf("smi", i, host), i], [r], host)
    r = c.root("sig-mismatch-root", outer_alg=sig_alg(c.keys.get("rsa2048", "root"), "sha384"))
    i = c.inter("sig-mismatch-root", r)
    host = c.host("sig-mismatch-root")
    c.add("sig-mismatch-root", [c.leaf("smr", i, host), i], [r], host)
    # a signature that does not verify (signed by another key)
    r, i, _, host = c.simple("sig-bad")
    other = c.inter("sig-bad-other", r, key=c.keys.get("rsa2048", "other"))
    forged = c.leaf("sig-bad", other, host)
    c.add("sig-bad-signature", [forged, i], [r], host)


def _validity(c: Corpus) -> None:
    now = c.now
    windows = {
        "expired": {"not_before": now - 30 * DAY, "not_after": now - DAY},
        "future": {"not_before": now + DAY, "not_after": now + 30 * DAY},
        "expired-minute": {"not_before": now - 30 * DAY, "not_after": now - _dt.timedelta(minutes=5)},
        "y2050": {"not_before": now - DAY, "not_after": _dt.datetime(2051, 1, 1, tzinfo=_dt.timezone.utc)},
    }
    for level in ("leaf", "inter", "root"):
        for wname, window in windows.items():
            tag = f"valid-{level}-{wname}"
            r, i, lf, host = c.simple(tag, **{f"{level}_kw": dict(window)})
            c.add(tag, [lf, i], [r], host, modes=("full", "strict", "none") if level == "leaf" else ("full",))


def _paths(c: Corpus) -> None:
    r = c.root("path")
    i1 = c.inter("path-1", r)
    i2 = c.inter("path-2", i1)
    i3 = c.inter("path-3", i2)
    host = c.host("path")
    lf = c.leaf("path", i3, host)
    stranger = c.inter("path-stranger", c.root("path-stranger"))
    for tag, chain in {
        "path-ordered": [lf, i3, i2, i1], "path-reversed": [lf, i1, i2, i3], "path-missing-middle": [lf, i3, i1],
        "path-missing-all": [lf], "path-extra-unrelated": [lf, stranger, i3, i2, i1],
        "path-duplicated": [lf, i3, i3, i2, i2, i1], "path-with-root": [lf, i3, i2, i1, r],
        "path-leaf-twice": [lf, lf, i3, i2, i1],
    }.items():
        c.add(tag, chain, [r], host)
    c.add("path-intermediate-trusted", [lf, i3], [i2], host)
    c.add("path-leaf-not-first", [i3, lf, i2, i1], [r], host)
    # cross-signing: a new root also signed by an old root
    old, new = c.root("cross-old", key=c.keys.get("rsa2048", "old")), c.root("cross-new", key=c.keys.get("p256", "new"))
    cross = make(Spec(new.name, new.key, issuer=old, ca=True, key_usage=CA_KU), c.now)
    cross_expired = make(Spec(new.name, new.key, issuer=old, ca=True, key_usage=CA_KU, not_after=c.now - DAY,
                              not_before=c.now - 90 * DAY), c.now)
    ci = c.inter("cross", new, key=c.keys.get("p256", "inter"))
    host = c.host("cross")
    cl = c.leaf("cross", ci, host)
    c.add("cross-trust-new", [cl, ci, cross], [new], host)
    c.add("cross-trust-old", [cl, ci, cross], [old], host)
    c.add("cross-trust-both", [cl, ci, cross], [old, new], host)
    c.add("cross-expired-trust-old", [cl, ci, cross_expired], [old], host)
    c.add("cross-expired-trust-new", [cl, ci, cross_expired], [new], host)
    c.add("cross-not-sent-trust-old", [cl, ci], [old], host)
    # same subject, different keys: the wrong candidate first
    impostor = c.root("path", key=c.keys.get("p256", "impostor"))
    c.add("path-impostor-root-first", [lf, i3, i2, i1], [impostor, r], host)
    c.add("path-impostor-only", [lf, i3, i2, i1], [impostor], host)


def _nc(permitted: Optional[List[x509.GeneralName]] = None, excluded: Optional[List[x509.GeneralName]] = None):  # type: ignore
    return x509.NameConstraints(permitted_subtrees=permitted or None, excluded_subtrees=excluded or None)


def _name_constraints(c: Corpus) -> None:
    D, IP = x509.DNSName, x509.IPAddress
    net = ipaddress.ip_network
    table = [
        # (tag, constraints, leaf SANs, host)
        ("nc-dns-permit-match", _nc([D("oracle.test")]), None, None),
        ("nc-dns-permit-miss", _nc([D("example.com")]), None, None),
        ("nc-dns-permit-dot", _nc([D(".oracle.test")]), None, None),
        ("nc-dns-permit-exact-dot", _nc([D(".nc-dns-permit-exact-dot.oracle.test")]), None, None),
        ("nc-dns-exclude", _nc(None, [D("oracle.test")]), None, None),
        ("nc-dns-exclude-other", _nc(None, [D("example.com")]), None, None),
        ("nc-dns-exclude-other-san", _nc(None, [D("evil.test")]), ["nc-dns-exclude-other-san.oracle.test",
                                                                    "www.evil.test"], None),
        ("nc-dns-permit-other-san", _nc([D("oracle.test")]), ["nc-dns-permit-other-san.oracle.test", "x.example.com"],
         None),
        ("nc-wildcard-excluded", _nc(None, [D("bad.nc-wildcard-excluded.oracle.test")]),
         ["*.nc-wildcard-excluded.oracle.test"], "good.nc-wildcard-excluded.oracle.test"),
        ("nc-wildcard-permitted", _nc([D("nc-wildcard-permitted.oracle.test")]),
         ["*.nc-wildcard-permitted.oracle.test"],
         "a.nc-wildcard-permitted.oracle.test"),
        ("nc-wildcard-permit-sub", _nc([D("only.nc-wildcard-permit-sub.oracle.test")]),
         ["*.nc-wildcard-permit-sub.oracle.test"], "only.nc-wildcard-permit-sub.oracle.test"),
        ("nc-ip-permit", _nc([IP(net("127.0.0.0/8"))]), ["127.0.0.1"], "127.0.0.1"),
        ("nc-ip-permit-miss", _nc([IP(net("10.0.0.0/8"))]), ["127.0.0.1"], "127.0.0.1"),
        ("nc-ip-exclude", _nc(None, [IP(net("127.0.0.0/8"))]), ["127.0.0.1"], "127.0.0.1"),
        ("nc-ip-only-dns-leaf", _nc([IP(net("10.0.0.0/8"))]), None, None),
        ("nc-dns-only-ip-leaf", _nc([D("example.com")]), ["127.0.0.1"], "127.0.0.1"),
        ("nc-email-permit", _nc([x509.RFC822Name("oracle.test")]), None, None),
        ("nc-uri-permit-miss", _nc([x509.UniformResourceIdentifier("example.com")]), None, None),
        ("nc-no-san-leaf", _nc([D("example.com")]), [], None),
    ]
    for tag, constraints, sans, host in table:
        host = host or c.host(tag)
        names = [_general_name(s) for s in sans] if sans is not None else [_general_name(host)]
        for where in ("inter", "root"):
            r = c.root(f"{tag}-{where}", extra_critical=[constraints] if where == "root" else [])
            i = c.inter(f"{tag}-{where}", r, extra_critical=[constraints] if where == "inter" else [])
            lf = c.leaf(tag, i, host, sans=names if names else None)
            c.add(f"{tag}-on-{where}", [lf, i], [r], host, modes=("full",) if where == "root" else ("full", "strict"))
    # URIs and emails in the leaf under DNS constraints
    r = c.root("nc-uri-leaf")
    i = c.inter("nc-uri-leaf", r, extra_critical=[_nc([D("oracle.test")])])
    host = c.host("nc-uri-leaf")
    lf = c.leaf("nc-uri-leaf", i, host, sans=[D(host), x509.UniformResourceIdentifier("https://x.example.com/"),
                                             x509.RFC822Name("a@example.com")])
    c.add("nc-dns-with-uri-email-sans", [lf, i], [r], host)
    # malformed constraints (bytes): IP of the wrong length, non-contiguous mask, empty extension
    bad_ip = der.extension("2.5.29.30", der.seq(der.tlv(0xA0, der.seq(der.tlv(0x87, bytes([127, 0, 0, 1, 255]))))),
                           critical=True)
    holey = der.extension("2.5.29.30", der.seq(der.tlv(0xA0, der.seq(der.tlv(0x87, bytes([127, 0, 0, 0, 255, 0, 255,
                                                                                          0]))))), critical=True)
    empty = der.extension("2.5.29.30", der.seq(), critical=True)
    for tag, ext in (("nc-bad-ip-length", bad_ip), ("nc-noncontiguous-mask", holey), ("nc-empty", empty)):
        for where in ("inter", "root"):
            r = c.root(f"{tag}-{where}", mutate=add_raw_ext(ext) if where == "root" else None)
            i = c.inter(f"{tag}-{where}", r, mutate=add_raw_ext(ext) if where == "inter" else None)
            host = c.host(f"{tag}-{where}")
            c.add(f"{tag}-on-{where}", [c.leaf(tag, i, host), i], [r], host)
    # many names x many constraints (the old 250,000-comparison cap)
    r = c.root("nc-many")
    permitted = [D(f"p{k}.example.com") for k in range(600)] + [D("oracle.test")]
    i = c.inter("nc-many", r, extra_critical=[_nc(permitted, [D(f"x{k}.example.net") for k in range(100)])])
    host = c.host("nc-many")
    sans = [D(host)] + [D(f"n{k}.nc-many.oracle.test") for k in range(600)]
    c.add("nc-many-comparisons", [c.leaf("nc-many", i, host, sans=sans), i], [r], host, modes=("full",))


def _basic_constraints(c: Corpus) -> None:
    cases = {
        "bc-inter-missing": {"inter_kw": {"ca": None}},
        "bc-inter-not-ca": {"inter_kw": {"ca": False}},
        "bc-inter-noncritical": {"inter_kw": {"bc_critical": False}},
        "bc-leaf-is-ca": {"leaf_kw": {"ca": True}},
        "bc-root-not-ca": {"root_kw": {"ca": False}},
        "bc-root-missing": {"root_kw": {"ca": None}},
        "ku-inter-no-certsign": {"inter_kw": {"key_usage": LEAF_KU}},
        "ku-leaf-certsign-only": {"leaf_kw": {"key_usage": CA_KU}},
        "ku-leaf-missing": {"leaf_kw": {"key_usage": None}},
        "pathlen-root-0": {"root_kw": {"pathlen": 0}},
        "pathlen-inter-0": {"inter_kw": {"pathlen": 0}},
        "pathlen-root-1": {"root_kw": {"pathlen": 1}},
    }
    for tag, kw in cases.items():
        r, i, lf, host = c.simple(tag, **kw)
        c.add(tag, [lf, i], [r], host)
    # two intermediates under pathlen limits
    for rp, ip in ((0, None), (1, None), (1, 0), (None, 0), (2, 1)):
        tag = f"pathlen-two-{rp}-{ip}"
        r = c.root(tag, pathlen=rp)
        i1 = c.inter(f"{tag}-1", r, pathlen=ip)
        i2 = c.inter(f"{tag}-2", i1)
        host = c.host(tag)
        c.add(tag, [c.leaf(tag, i2, host), i2, i1], [r], host)


def _versions_and_serials(c: Corpus) -> None:
    for level in ("leaf", "inter", "root"):
        for tag, mutate in {
            "v1-with-exts": set_version(None), "v1-no-exts": set_version(None, keep_extensions=False),
            "v1-explicit": set_version(0, keep_extensions=False), "v2-with-exts": set_version(1),
            "v2-no-exts": set_version(1, keep_extensions=False), "v4": set_version(3),
        }.items():
            full_tag = f"{tag}-{level}"
            r, i, lf, host = c.simple(full_tag, **{f"{level}_kw": {"mutate": mutate}})
            c.add(full_tag, [lf, i], [r], host, modes=("full", "none") if level == "leaf" else ("full",))
    for level in ("leaf", "inter", "root"):
        for tag, serial in {"serial-negative": -12345, "serial-zero": 0, "serial-20-bytes": (1 << 159) - 1,
                            "serial-21-bytes": 1 << 165}.items():
            full_tag = f"{tag}-{level}"
            if serial == 0:
                kw = {"mutate": lambda items: _set_serial(items, 0)}
            else:
                kw = {"serial": serial}
            r, i, lf, host = c.simple(full_tag, **{f"{level}_kw": kw})
            c.add(full_tag, [lf, i], [r], host, modes=("full", "none") if level == "leaf" else ("full",))


def _set_serial(items: List[bytes], value: int) -> List[bytes]:
    items = list(items)
    items[1 if items[0][0] == 0xA0 else 0] = der.integer(value)
    return items


AKI_WITH_ISSUER_SERIAL = der.extension("2.5.29.35", der.seq(
    der.tlv(0x80, b"\x01\x02\x03\x04"),
    der.tlv(0xA1, der.tlv(0xA4, der.seq(der.tlv(0x31, der.seq(der.oid("2.5.4.3"), der.tlv(0x0C, b"Somebody")))))),
    der.tlv(0x82, b"\x05")))


def _extensions(c: Corpus) -> None:
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://ca.example.com/i"))])
    for level in ("leaf", "inter", "root"):
        for tag, kw in {
            "crit-aki": {"mutate": critical_ext("2.5.29.35")},
            "crit-ski": {"mutate": critical_ext("2.5.29.14")},
            "crit-aia": {"extra": [aia], "mutate": critical_ext("1.3.6.1.5.5.7.1.1")},
            "crit-unknown": {"mutate": add_raw_ext(der.extension("1.3.6.1.4.1.99999.1", der.tlv(0x05, b""), True))},
            "noncrit-unknown": {"mutate": add_raw_ext(der.extension("1.3.6.1.4.1.99999.1", der.tlv(0x05, b"")))},
            "dup-ski": {"mutate": duplicate_ext("2.5.29.14")},
            "dup-bc": {"mutate": duplicate_ext("2.5.29.19")},
            "aki-issuer-serial": {"mutate": replace_ext("2.5.29.35", AKI_WITH_ISSUER_SERIAL)},
            "no-aki-ski": {"aki": False, "ski": False},
        }.items():
            full_tag = f"{tag}-{level}"
            if level == "leaf" and "dup-bc" in tag:
                kw = {"mutate": duplicate_ext("2.5.29.17")}
            r, i, lf, host = c.simple(full_tag, **{f"{level}_kw": kw})
            c.add(full_tag, [lf, i], [r], host, modes=("full", "none") if level == "leaf" else ("full",))


def _policies(c: Corpus) -> None:
    P = x509.ObjectIdentifier
    any_policy = P("2.5.29.32.0")
    p1, p2 = P("1.3.6.1.4.1.99999.10.1"), P("1.3.6.1.4.1.99999.10.2")

    def pol(*oids: x509.ObjectIdentifier) -> x509.CertificatePolicies:
        return x509.CertificatePolicies([x509.PolicyInformation(o, None) for o in oids])

    def constraints(require: Optional[int] = None, inhibit_mapping: Optional[int] = None) -> x509.PolicyConstraints:
        return x509.PolicyConstraints(require_explicit_policy=require, inhibit_policy_mapping=inhibit_mapping)

    table = {
        "pol-leaf-only": ({}, {}, {"extra": [pol(p1)]}),
        "pol-all-same": ({"extra": [pol(p1)]}, {"extra": [pol(p1)]}, {"extra": [pol(p1)]}),
        "pol-disjoint": ({}, {"extra": [pol(p1)]}, {"extra": [pol(p2)]}),
        "pol-require-explicit-miss": ({}, {"extra": [pol(p1)], "extra_critical": [constraints(require=0)]},
                                      {"extra": [pol(p2)]}),
        "pol-require-explicit-ok": ({}, {"extra": [pol(p1)], "extra_critical": [constraints(require=0)]},
                                    {"extra": [pol(p1)]}),
        "pol-require-explicit-leaf-none": ({}, {"extra": [pol(p1)], "extra_critical": [constraints(require=0)]}, {}),
        "pol-require-root": ({"extra_critical": [constraints(require=0)]}, {"extra": [pol(p1)]}, {"extra": [pol(p1)]}),
        "pol-require-root-miss": ({"extra_critical": [constraints(require=0)]}, {"extra": [pol(p1)]},
                                  {"extra": [pol(p2)]}),
        "pol-any-inter": ({}, {"extra": [pol(any_policy)], "extra_critical": [constraints(require=0)]},
                          {"extra": [pol(p2)]}),
        "pol-inhibit-any": ({}, {"extra": [pol(any_policy)], "extra_critical": [x509.InhibitAnyPolicy(0),
                                                                                  constraints(require=0)]},
                            {"extra": [pol(p2)]}),
        "pol-mapping": ({}, {"extra": [pol(p1), x509.PolicyConstraints(require_explicit_policy=0,
                                                                        inhibit_policy_mapping=None)],
                             "mutate": add_raw_ext(der.extension("2.5.29.33", der.seq(der.seq(
                                 der.oid("1.3.6.1.4.1.99999.10.1"), der.oid("1.3.6.1.4.1.99999.10.2"))), True))},
                        {"extra": [pol(p2)]}),
        "pol-leaf-any-inhibited": ({}, {"extra": [pol(p1)], "extra_critical": [x509.InhibitAnyPolicy(0),
                                                                                constraints(require=0)]},
                                   {"extra": [pol(any_policy)]}),
        "pol-require-1-two-inters": ({}, {"extra": [pol(p1)], "extra_critical": [constraints(require=1)]},
                                     {"extra": [pol(p2)]}),
    }
    for tag, (rkw, ikw, lkw) in table.items():
        r, i, lf, host = c.simple(tag, root_kw=rkw, inter_kw=ikw, leaf_kw=lkw)
        c.add(tag, [lf, i], [r], host)


def _keys(c: Corpus) -> None:
    for kind in ("rsa512", "rsa768", "rsa1024", "rsa1536", "rsa3072", "rsa4096", "p224", "p256", "p384", "p521",
                 "k256", "ed25519", "dsa"):
        for level in ("leaf", "inter"):
            tag = f"key-{kind}-{level}"
            key = c.keys.get(kind, level)
            r, i, lf, host = c.simple(tag, **{f"{level}_kw": {"key": key}})
            c.add(tag, [lf, i], [r], host, modes=("full", "none") if level == "leaf" else ("full",))
        tag = f"key-{kind}-root"
        r = c.root(tag, key=c.keys.get(kind, "root"), digest=None if kind == "ed25519" else "sha256")
        i = c.inter(tag, r, digest=None if kind == "ed25519" else "sha256")
        host = c.host(tag)
        c.add(tag, [c.leaf(tag, i, host), i], [r], host)
    # explicit curve parameters in the leaf's and the intermediate's key
    for level in ("leaf", "inter", "root"):
        tag = f"key-explicit-curve-{level}"
        key = c.keys.get("p256", f"explicit-{level}")
        kw = {"key": key, "mutate": explicit_curve_spki(key)}  # type: ignore[arg-type]
        r, i, lf, host = c.simple(tag, **{f"{level}_kw": kw})
        c.add(tag, [lf, i], [r], host)


def _sans(c: Corpus) -> None:
    dns = lambda text: der.tlv(0x82, text)  # noqa: E731
    table: Dict[str, Tuple[Optional[Mutator], Optional[List[x509.GeneralName]], str]] = {
        "san-non-ascii": (add_raw_ext(raw_san(dns("bücher.oracle.test".encode()))), [], "xn--bcher-kva.oracle.test"),
        "san-non-ascii-extra": (add_raw_ext(raw_san(dns(b"san-non-ascii-extra.oracle.test"),
                                                    dns("caf\u00e9.oracle.test".encode()))), [],
                                "san-non-ascii-extra.oracle.test"),
        "san-ip-5-bytes": (add_raw_ext(raw_san(dns(b"san-ip-5-bytes.oracle.test"),
                                               der.tlv(0x87, b"\x7f\x00\x00\x01\x01"))),
                           [], "san-ip-5-bytes.oracle.test"),
        "san-ip-mapped": (add_raw_ext(raw_san(der.tlv(0x87, b"\x00" * 10 + b"\xff\xff\x7f\x00\x00\x01"))), [],
                          "127.0.0.1"),
        "san-empty-dns": (add_raw_ext(raw_san(dns(b""))), [], "san-empty-dns.oracle.test"),
        "san-empty-extension": (add_raw_ext(der.extension("2.5.29.17", der.seq())), [],
                                "san-empty-extension.oracle.test"),
        "san-space": (None, [x509.DNSName("san space.oracle.test"), x509.DNSName("san-space.oracle.test")],
                      "san-space.oracle.test"),
        "san-uri-bad": (add_raw_ext(raw_san(dns(b"san-uri-bad.oracle.test"), der.tlv(0x86, b"http://[::1"))), [],
                        "san-uri-bad.oracle.test"),
        "san-email-only": (None, [x509.RFC822Name("ops@san-email-only.oracle.test")], "san-email-only.oracle.test"),
        "san-uri-only": (None, [x509.UniformResourceIdentifier("https://san-uri-only.oracle.test/")],
                         "san-uri-only.oracle.test"),
    }
    for tag, (mutate, sans, host) in table.items():
        r = c.root(tag)
        i = c.inter(tag, r)
        lf = c.leaf(tag, i, host, sans=sans if sans else None, mutate=mutate, cn=host)
        c.add(tag, [lf, i], [r], host, modes=("full", "strict"))
    # wildcard and spelling variants: (SANs, host)
    variants = {
        "wild-match": (["*.wild.oracle.test"], "a.wild.oracle.test"),
        "wild-apex": (["*.wild.oracle.test"], "wild.oracle.test"),
        "wild-two-labels": (["*.wild.oracle.test"], "a.b.wild.oracle.test"),
        "wild-partial": (["a*.wild.oracle.test"], "ab.wild.oracle.test"),
        "wild-middle": (["a.*.oracle.test"], "a.wild.oracle.test"),
        "wild-double": (["*.*.oracle.test"], "a.wild.oracle.test"),
        "wild-bare": (["*"], "localhost"),
        "wild-tld": (["*.test"], "oracle.test"),
        "case-upper-san": (["UPPER.Oracle.Test"], "upper.oracle.test"),
        "case-upper-host": (["upper2.oracle.test"], "UPPER2.ORACLE.TEST"),
        "trailing-dot-san": (["dot.oracle.test."], "dot.oracle.test"),
        "trailing-dot-host": (["dot2.oracle.test"], "dot2.oracle.test."),
        "underscore-san": (["under_score.oracle.test"], "under_score.oracle.test"),
        "punycode": (["xn--bcher-kva.oracle.test"], "xn--bcher-kva.oracle.test"),
        "localhost-name": (["localhost"], "localhost"),
        "many-sans-last": ([f"n{k}.oracle.test" for k in range(50)] + ["many.oracle.test"], "many.oracle.test"),
        "dns-san-is-ip": (["127.0.0.1"], "127.0.0.1"),
        "wild-underscore": (["*.under_score.oracle.test"], "a.under_score.oracle.test"),
        "wild-in-cn-and-san": (["x.oracle.test"], "y.oracle.test"),
    }
    for tag, (sans, host) in variants.items():
        r = c.root(tag)
        i = c.inter(tag, r)
        names = [x509.DNSName(s) for s in sans]
        lf = c.leaf(tag, i, host, sans=names)
        c.add(tag, [lf, i], [r], host, modes=("full", "strict"))


def _cn_only(c: Corpus) -> None:
    table = {
        "cn-only-match": ("cn1.oracle.test", "cn1.oracle.test"),
        "cn-only-miss": ("cn2.oracle.test", "other.oracle.test"),
        "cn-only-wildcard": ("*.cn3.oracle.test", "a.cn3.oracle.test"),
        "cn-only-ip": ("127.0.0.1", "127.0.0.1"),
        "cn-only-ip-miss": ("127.0.0.2", "127.0.0.1"),
        "cn-only-upper": ("CN4.Oracle.Test", "cn4.oracle.test"),
        "cn-empty": ("", "cn6.oracle.test"),
    }
    for tag, (cn, host) in table.items():
        r = c.root(tag)
        i = c.inter(tag, r)
        lf = c.leaf(tag, i, host, sans=None, cn=cn)
        c.add(tag, [lf, i], [r], host, modes=("full", "strict", "certificate"))
    # SANs present: the CN is never used
    r = c.root("cn-with-sans")
    i = c.inter("cn-with-sans", r)
    lf = c.leaf("cn-with-sans", i, "x.oracle.test", cn="cn7.oracle.test")
    c.add("cn-with-sans", [lf, i], [r], "cn7.oracle.test", modes=("full", "strict"))
    lf = c.leaf("cn-ip-sans-only", i, "127.0.0.9", cn="cn8.oracle.test")
    c.add("cn-with-ip-sans-only", [lf, i], [r], "cn8.oracle.test", modes=("full", "strict"))
    lf = c.leaf("cn-ip-with-dns-sans", i, "x.oracle.test", cn="127.0.0.1")
    c.add("cn-ip-with-dns-sans", [lf, i], [r], "127.0.0.1", modes=("full", "strict"))


def _ip_hosts(c: Corpus) -> None:
    table = {
        "ip-san-match": ([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))], "127.0.0.1"),
        "ip-san-miss": ([x509.IPAddress(ipaddress.ip_address("127.0.0.2"))], "127.0.0.1"),
        "ip-only-dns-sans": ([x509.DNSName("localhost")], "127.0.0.1"),
        "ip-v6-san-for-v4": ([x509.IPAddress(ipaddress.ip_address("::1"))], "127.0.0.1"),
        "ip-both": ([x509.DNSName("ipboth.oracle.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                    "127.0.0.1"),
        "ip-both-by-name": ([x509.DNSName("ipboth.oracle.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                            "ipboth.oracle.test"),
    }
    for tag, (sans, host) in table.items():
        r = c.root(tag)
        i = c.inter(tag, r)
        lf = c.leaf(tag, i, host, sans=sans)
        c.add(tag, [lf, i], [r], host, modes=("full", "strict", "certificate"))


def _fingerprints_and_pins(c: Corpus) -> None:
    r, i, lf, host = c.simple("fp")
    stranger = c.root("fp-stranger")
    fp_root, fp_inter, fp_leaf = fingerprint(r.der), fingerprint(i.der), fingerprint(lf.der)
    colons = ":".join(fp_root[k:k + 2] for k in range(0, 64, 2)).upper()
    sent_root = [lf, i, r]
    table = {
        "fp-root-sent": (sent_root, [stranger], fp_root),
        "fp-root-sent-upper": (sent_root, [stranger], fp_root.upper()),
        "fp-root-not-sent": ([lf, i], [stranger], fp_root),
        "fp-intermediate": ([lf, i], [stranger], fp_inter),
        "fp-leaf": ([lf, i], [stranger], fp_leaf),
        "fp-colons": (sent_root, [stranger], colons),
        "fp-colons-trusted": (sent_root, [r], colons),
        "fp-odd-length": (sent_root, [stranger], fp_root[:-1]),
        "fp-sha1-length": (sent_root, [stranger], hashlib.sha1(r.der).hexdigest()),
        "fp-prefix": (sent_root, [stranger], "sha256:" + fp_root),
        "fp-other": (sent_root, [stranger], fingerprint(stranger.der)),
        "fp-with-trusted-ca": (sent_root, [r], fp_root),
    }
    for tag, (chain, trusted, fp) in table.items():
        c.add(tag, chain, trusted, host, modes=ALL_MODES, fingerprint=fp)
    pins = {
        "pin-root": (spki_pin(r.der),), "pin-inter": (spki_pin(i.der),), "pin-leaf": (spki_pin(lf.der),),
        "pin-miss": (spki_pin(stranger.der),), "pin-one-of-two": (spki_pin(stranger.der), spki_pin(r.der)),
        "pin-hex-form": (fp_root,), "pin-unpadded": (spki_pin(r.der).rstrip("="),),
    }
    for tag, pin in pins.items():
        c.add(tag, [lf, i], [r], host, modes=ALL_MODES, pins=pin)
    c.add("pin-and-fp-strict-colons", sent_root, [r], host, modes=("strict",), pins=(spki_pin(r.der),),
          fingerprint=colons)


__all__ = ["Case", "build_corpus", "pem_of", "replace"]
