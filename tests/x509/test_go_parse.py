"""Go's certificate parser re-done over DER: what it refuses (with Go's words) and what it reads."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from esprobe.x509 import go_parse
from tests.oracle import der
from tests.oracle.corpus import (
    AKI_WITH_ISSUER_SERIAL,
    Corpus,
    add_raw_ext,
    critical_ext,
    duplicate_ext,
    explicit_curve_spki,
    raw_san,
    replace_ext,
    set_version,
)

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(NOW)


def _leaf(c: Corpus, **kw) -> bytes:  # type: ignore[no-untyped-def]
    root = c.root("parse")
    return c.leaf("parse", root, "parse.test", **kw).der


@pytest.mark.parametrize("change,error", [
    ({"mutate": critical_ext("2.5.29.35")}, "x509: authority key identifier incorrectly marked critical"),
    ({"mutate": critical_ext("2.5.29.14")}, "x509: subject key identifier incorrectly marked critical"),
    ({"mutate": duplicate_ext("2.5.29.17")}, 'x509: certificate contains duplicate extension with OID "2.5.29.17"'),
    ({"serial": -5}, "x509: negative serial number"),
    ({"mutate": set_version(3)}, "x509: invalid version"),
    ({"sans": None, "mutate": add_raw_ext(raw_san(der.tlv(0x82, "bücher.test".encode())))},
     "x509: SAN dNSName is malformed"),
    ({"sans": None, "mutate": add_raw_ext(raw_san(der.tlv(0x87, b"\x01\x02\x03")))},
     "x509: cannot parse IP address of length 3"),
    ({"mutate": add_raw_ext(der.extension("2.5.29.30", der.seq(), critical=True))},
     "x509: empty name constraints extension"),
    ({"mutate": add_raw_ext(der.extension("2.5.29.30", der.seq(der.tlv(0xA0, der.seq(der.tlv(0x87, b"\x0a" * 5)))),
                                          critical=True))}, "x509: IP constraint contained value of length 5"),
    ({"outer_alg": der.seq(der.oid("1.2.840.113549.1.1.12"), der.tlv(0x05, b""))},
     "x509: inner and outer signature algorithm identifiers don't match"),
])
def test_go_refuses_with_its_own_words(corpus: Corpus, change: dict, error: str) -> None:
    assert go_parse.parse_error(_leaf(corpus, **change)) == error


def test_negative_serials_are_read_where_the_go_line_allows(corpus: Corpus) -> None:
    cert = _leaf(corpus, serial=-5)
    assert go_parse.parse_error(cert, negative_serial_rejected=False) is None


def test_a_negative_serial_stops_the_refusing_parser_before_later_errors(corpus: Corpus) -> None:
    """Go checks the serial before the extensions: where negatives are refused, that is the error it gives."""
    cert = _leaf(corpus, serial=-5, mutate=critical_ext("2.5.29.35"))
    assert go_parse.parse_error(cert, negative_serial_rejected=True) == "x509: negative serial number"
    assert go_parse.parse_error(cert, negative_serial_rejected=False) == \
        "x509: authority key identifier incorrectly marked critical"


def test_each_certificate_is_parsed_once_whatever_is_asked_of_it(corpus: Corpus) -> None:
    """The tls stage, the chain verdict and both rule sets ask of one DER: Go's parse runs once (issue #20)."""
    cert = _leaf(corpus, serial=-9)
    before = go_parse._read.cache_info().misses
    for rejected in (True, False, True):
        go_parse.parse_error(cert, negative_serial_rejected=rejected)
        go_parse.parse(cert, negative_serial_rejected=rejected)
    assert go_parse._read.cache_info().misses == before + 1
    fields = go_parse.parse(cert, negative_serial_rejected=False)
    assert isinstance(fields, go_parse.GoParsed) and fields.serial == -9


def test_explicit_curve_parameters_are_refused(corpus: Corpus) -> None:
    key = corpus.keys.get("p256", "explicit")
    assert go_parse.parse_error(_leaf(corpus, key=key, mutate=explicit_curve_spki(key))) == \
        "x509: invalid ECDSA parameters"


@pytest.mark.parametrize("change", [
    {"mutate": add_raw_ext(der.extension("2.5.29.37", der.seq())), "eku": None},  # empty EKU
    {"mutate": replace_ext("2.5.29.35", AKI_WITH_ISSUER_SERIAL)},
    {"mutate": set_version(1)},  # v2
    {"mutate": set_version(0, keep_extensions=False)},  # an explicit v1
])
def test_go_reads_what_cryptography_may_refuse(corpus: Corpus, change: dict) -> None:
    raw = _leaf(corpus, **change)
    parsed = go_parse.parse(raw)
    assert isinstance(parsed, go_parse.GoParsed)
    loaded = go_parse.load(raw)
    assert isinstance(loaded, x509.Certificate)
    assert loaded.subject.rfc4514_string() == "CN=leaf parse"
    assert go_parse.original_der(loaded.public_bytes(Encoding.DER)) == raw


def test_version_1_and_2_certificates_keep_no_extensions(corpus: Corpus) -> None:
    for version in (None, 1):
        parsed = go_parse.parse(_leaf(corpus, mutate=set_version(version)))
        assert isinstance(parsed, go_parse.GoParsed)
        assert (parsed.version, parsed.has_san, parsed.eku_present, parsed.extensions) == (
            2 if version == 1 else 1, False, False, [])


def test_fields_go_uses(corpus: Corpus) -> None:
    parsed = go_parse.parse(_leaf(corpus))
    assert isinstance(parsed, go_parse.GoParsed)
    assert parsed.version == 3 and parsed.dns_names == ["parse.test"]
    assert parsed.ext_key_usage == (go_parse.EKU_SERVER_AUTH,)
    assert parsed.basic_constraints_valid and not parsed.is_ca
    assert parsed.key_usage_present and not parsed.key_cert_sign


def test_a_ca_file_keeps_only_what_go_parses(corpus: Corpus) -> None:
    """AppendCertsFromPEM drops what Go cannot parse; a negative serial only where the go line refuses it."""
    from esprobe.x509.system_roots import go_append_certs_from_pem
    from tests.oracle.corpus import pem_of

    good = corpus.root("ca-good").der
    negative = corpus.root("ca-negative", serial=-7).der
    critical = corpus.root("ca-critical-ski", mutate=critical_ext("2.5.29.14")).der
    data = pem_of(good, negative, critical)
    assert len(go_append_certs_from_pem(data)) == 1
    assert len(go_append_certs_from_pem(data, negative_serial_rejected=False)) == 2
