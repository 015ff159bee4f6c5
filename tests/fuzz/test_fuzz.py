"""
Property-based tests: the parsers never let an exception escape, and the host-name matcher agrees
with a small independent oracle. (The config loader's YAML and keystore fuzzing live in
tests/config/test_robustness.py.)
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from hypothesis import assume, example, given
from hypothesis import strategies as st

from esprobe.config.urls import URLError, decode_cloud_id, logstash_address, make_url
from esprobe.config.variables import TemplateSyntaxError, parse_template
from esprobe.demo.standins import pki
from esprobe.x509.client_identity import load_identity, pem_blocks
from esprobe.x509.hostname_rules import match_full, match_hostnames, match_strict
from esprobe.x509.system_roots import go_append_certs_from_pem

# --- ${} syntax ------------------------------------------------------------------------------------

_TEMPLATE = st.text(alphabet="${}:?+-abcXY_.,[] \\", max_size=40)


@given(_TEMPLATE)
@example("${")
@example("${A:${B:${C")
@example("$${X}")
@example("${:?}")
def test_variable_parser_never_crashes(text: str) -> None:
    """Any text either parses or raises the parser's own syntax error, never anything else."""
    try:
        parse_template(text)
    except TemplateSyntaxError:
        pass


# --- hosts, URLs, cloud.id ---------------------------------------------------------------------------

_HOSTISH = st.one_of(
    st.text(alphabet="abcdefghij.-:/[]@%?#0123456789HTPShtps ", max_size=40),
    st.builds(lambda a, b: f"{a}://{b}", st.sampled_from(["http", "https", "HTTP", "ftp", ""]), st.text(max_size=25)),
)


@given(_HOSTISH, st.sampled_from(["", "http", "https"]), st.sampled_from(["", "/es", "es/"]))
@example("[::1", "", "")
@example("http://[::1]:99999", "https", "")
@example("::1", "", "")
def test_make_url_returns_or_raises_its_own_error(raw: str, protocol: str, path: str) -> None:
    try:
        built = make_url(protocol, path, raw, 9200)
    except URLError:
        return
    assert ":" in built.url  # a built URL always has its port explicit


@given(st.text(max_size=30))
def test_logstash_address_never_crashes(raw: str) -> None:
    try:
        logstash_address(raw)
    except (URLError, ValueError):
        pass


@given(
    st.one_of(
        st.text(max_size=60),
        st.binary(max_size=45).map(lambda b: "label:" + __import__("base64").b64encode(b).decode()),
    )
)
@example("x:" + __import__("base64").b64encode(b"us-east-1.aws.found.io$abc$def").decode())
@example("x:" + __import__("base64").b64encode(b"host:9243$es$kb:1").decode())
def test_cloud_id_decodes_or_raises_value_error(cloud_id: str) -> None:
    try:
        decoded = decode_cloud_id(cloud_id)
    except ValueError:
        return
    for url in (decoded.es_url, decoded.kibana_url):
        assert url.startswith("https://") and url.rsplit(":", 1)[1].isdigit()


# --- PEM, keys, CA bundles ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _material() -> tuple:
    ca = pki.CertAuthority.root()
    issued = ca.issue("beats01")
    return issued.cert_pem, issued.key_pem(), issued.key_pem("pkcs8", b"pw")


def _mutate(data: bytes, cut: int, flip: int) -> bytes:
    data = data[: max(0, len(data) - cut)]
    if data and flip:
        i = flip % len(data)
        data = data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1 :]
    return data


@given(st.integers(0, 400), st.integers(0, 2000), st.integers(0, 400), st.integers(0, 2000),
       st.sampled_from([None, "", "pw", "wrong"]))
def test_identity_loader_never_crashes(cut_c: int, flip_c: int, cut_k: int, flip_k: int, passphrase) -> None:
    cert, key, encrypted = _material()
    for key_pem in (key, encrypted):
        loaded = load_identity(_mutate(cert, cut_c, flip_c), _mutate(key_pem, cut_k, flip_k), passphrase)
        assert loaded.error is not None or loaded.key is not None


@given(st.binary(max_size=600))
def test_pem_readers_take_any_bytes(data: bytes) -> None:
    pem_blocks(data)
    go_append_certs_from_pem(data)
    go_append_certs_from_pem(b"-----BEGIN CERTIFICATE-----\n" + data + b"\n-----END CERTIFICATE-----\n")


# --- the host-name matcher against an independent oracle ----------------------------------------------
# The oracle restates Go's matchHostnames from its description (src/crypto/x509/verify.go), nothing more:
# lower-case both, drop one trailing dot from the host only, same number of labels, and a pattern's
# first label may be a lone '*' matching whatever label stands there (Go does not even ask that it be
# non-empty; the matched pattern's own validity is checked separately).


def oracle_match(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower(), host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not pattern or not host:
        return False
    p_labels, h_labels = pattern.split("."), host.split(".")
    if len(p_labels) != len(h_labels):
        return False
    for index, (p, h) in enumerate(zip(p_labels, h_labels)):
        if index == 0 and p == "*":
            continue
        if p != h:
            return False
    return True


_LABEL = st.sampled_from(["a", "b", "es", "ES", "x-1", "*", "f*", "", "xn--bcher-kva", "_srv", "c"])
_NAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@given(_NAME, _NAME, st.booleans())
@example("*.example.com", "a.example.com", False)
@example("*.example.com", "example.com", False)
@example("*.example.com", "a.b.example.com", False)
@example("f*.example.com", "foo.example.com", False)
@example("Example.COM", "example.com.", False)
@example("example.com.", "example.com", False)
def test_match_hostnames_agrees_with_the_oracle(pattern: str, host: str, trailing_dot: bool) -> None:
    host = host + "." if trailing_dot else host
    assert match_hostnames(pattern, host) == oracle_match(pattern, host)


@lru_cache(maxsize=1)
def _ca() -> pki.CertAuthority:
    return pki.CertAuthority.root()


_DNS_NAME = st.lists(st.sampled_from(["a", "b", "es", "*", "node-1"]), min_size=1, max_size=3).map(".".join).map(
    lambda n: n + ".example.com")


@given(st.lists(_DNS_NAME, max_size=3, unique=True), st.sampled_from(["a.example.com", "es.example.com",
       "node-1.b.example.com", "example.com", "A.EXAMPLE.COM."]))
def test_full_and_strict_agree_with_the_oracle_when_sans_exist(sans: list, host: str) -> None:
    """With DNS SANs present, full and strict both match iff some SAN matches (the CN never counts)."""
    assume(sans)
    cert = _ca().issue("cn-is-ignored.example.com", dns=sans).cert
    expected = any(oracle_match(san, host) for san in sans)
    assert match_full(cert, host).matched == expected
    assert match_strict(cert, host).matched == expected


@given(
    st.sampled_from(["127.0.0.1", "::1", "10.0.0.1", "::ffff:10.0.0.1"]),
    st.sampled_from(["127.0.0.1", "10.0.0.1", "::1"]),
)
def test_ip_hosts_match_ip_sans_only(san_ip: str, host: str) -> None:
    # A DNS SAN spelled like the IP never helps; the CN is a plain name (CN-as-IP is its own rule).
    cert = _ca().issue("server", dns=[host], ips=[san_ip]).cert
    expected = ipaddress.ip_address(san_ip) == ipaddress.ip_address(host) or (
        ipaddress.ip_address(san_ip).version == 6 and getattr(ipaddress.ip_address(san_ip), "ipv4_mapped", None)
        == ipaddress.ip_address(host))
    assert match_full(cert, host).matched == expected
    assert match_strict(cert, host).matched == expected
