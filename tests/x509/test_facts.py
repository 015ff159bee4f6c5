"""Certificate facts: the report's certificate object, pins, self-signed detection and the readable dump."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from esprobe.demo.standins import pki
from esprobe.x509 import facts as x509_facts
from tests.support.x509 import DAY, World

CERT_KEYS = {"subject", "issuer", "serial", "not_before", "not_after", "days_left", "dns_sans", "ip_sans", "sha256",
             "key", "signature_algorithm", "is_ca"}


def test_cert_facts_has_exactly_the_contract_keys_and_values(world):
    facts = x509_facts.cert_facts(world.leaf.cert, world.now)
    assert set(facts) == CERT_KEYS
    assert facts["subject"] == "CN=www.example.com,O=esprobe"
    assert facts["issuer"] == "CN=Test Intermediate CA,O=esprobe"
    assert facts["dns_sans"] == ["www.example.com"] and facts["ip_sans"] == ["127.0.0.1"]
    assert facts["sha256"] == world.leaf.sha256_hex and len(facts["sha256"]) == 64
    assert facts["key"] == "EC P-256" and facts["signature_algorithm"] == "ecdsa-with-SHA256"
    assert facts["is_ca"] is False and x509_facts.cert_facts(world.inter.cert)["is_ca"] is True
    assert facts["not_before"] == (world.now - DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert facts["not_after"] == (world.now + 30 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert facts["days_left"] == 30
    assert int(facts["serial"], 16) == world.leaf.cert.serial_number and len(facts["serial"]) % 2 == 0


@pytest.mark.parametrize(("offset", "days"), [(dt.timedelta(hours=1), 29), (-dt.timedelta(seconds=1), 30),
                                              (31 * DAY, -1), (30 * DAY + dt.timedelta(hours=1), -1),
                                              (40 * DAY, -10)])
def test_days_left_is_floored_and_negative_once_expired(world, offset, days):
    assert x509_facts.cert_facts(world.leaf.cert, world.now + offset)["days_left"] == days


@pytest.mark.parametrize(
    ("kind", "size", "key", "algorithm"),
    [("rsa", 2048, "RSA 2048", "sha256WithRSAEncryption"), ("ec384", 0, "EC P-384", "sha256WithRSAEncryption"),
     ("ed25519", 0, "Ed25519", "sha256WithRSAEncryption")],
)
def test_key_descriptions(rsa_root, kind, size, key, algorithm):
    leaf = rsa_root.issue(dns=["x"], key_kind=kind, key_size=size or 2048)
    facts = x509_facts.cert_facts(leaf.cert)
    assert (facts["key"], facts["signature_algorithm"]) == (key, algorithm)


def test_signature_algorithm_names(rsa_root):
    assert (
        x509_facts.signature_algorithm(rsa_root.issue(dns=["x"], signature_hash="sha1").cert) == "sha1WithRSAEncryption"
    )
    ed = pki.CertAuthority.root("Ed CA", key_kind="ed25519")
    assert x509_facts.signature_algorithm(ed.cert) == "ED25519"


def test_ipv4_mapped_sans_print_as_go_prints_them():
    leaf = pki.CertAuthority.root().issue(dns=["x"], ips=["::ffff:10.0.0.1", "::1"])
    assert x509_facts.cert_facts(leaf.cert)["ip_sans"] == ["10.0.0.1", "::1"]


def test_spki_pin_is_base64_sha256_of_the_subject_public_key_info(world):
    spki = world.root.cert.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    assert x509_facts.spki_pin(world.root.cert) == base64.b64encode(hashlib.sha256(spki).digest()).decode()
    assert x509_facts.spki_pin(world.root.cert) != x509_facts.spki_pin(world.inter.cert)


def test_sha256_fingerprint_is_the_ca_trusted_fingerprint_form(world):
    der = world.inter.cert.public_bytes(serialization.Encoding.DER)
    assert x509_facts.sha256_fingerprint(world.inter.cert) == hashlib.sha256(der).hexdigest()


def test_is_self_signed(world):
    assert x509_facts.is_self_signed(world.root.cert)
    assert x509_facts.is_self_signed(pki.self_signed("a", dns=["a"]).cert)
    assert not x509_facts.is_self_signed(world.leaf.cert)
    # issuer == subject, but signed by another key: self-issued, not self-signed
    impostor = world.root.issue(subject=world.root.cert.subject, dns=["x"])
    assert impostor.cert.issuer == impostor.cert.subject and not x509_facts.is_self_signed(impostor.cert)


def test_sha1_root_counts_as_self_signed():
    root = pki.CertAuthority.root("SHA1", key_kind="rsa", signature_hash="sha1")
    assert x509_facts.is_self_signed(root.cert)


def test_describe_is_a_readable_dump(world):
    text = x509_facts.describe(world.inter.cert, world.now)
    for expected in ("Subject:             CN=Test Intermediate CA,O=esprobe", "Issuer:              CN=Test Root CA",
                     "Basic Constraints: CA:TRUE, pathlen:0 [critical]", "Key Usage: digitalSignature, keyCertSign, "
                     "cRLSign [critical]", "Subject Key Identifier:", "Authority Key Identifier:",
                     x509_facts.sha256_fingerprint(world.inter.cert), x509_facts.spki_pin(world.inter.cert),
                     "Self-signed:         no"):
        assert expected in text
    leaf_text = x509_facts.describe(world.leaf.cert, world.now)
    assert "Extended Key Usage: serverAuth, clientAuth" in leaf_text
    assert "Subject Alternative Name: DNS:www.example.com, IP:127.0.0.1" in leaf_text
    assert "PRIVATE" not in leaf_text


def test_describe_lists_name_constraints():
    from cryptography import x509

    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
    root = pki.CertAuthority.root()
    text = x509_facts.describe(root.intermediate("NC", name_constraints=nc).cert)
    assert "Name Constraints: permitted DNS:example.com; excluded - [critical]" in text


@pytest.mark.parametrize("der", [b"\x30\x03\x02\x01\x05", bytes(range(256)) * 3, b""])
def test_pem_from_der_keeps_the_bytes_as_sent_even_when_unparsable(der: bytes) -> None:
    """--save-chain and the bundle write what the server sent, parsable by cryptography or not."""
    pem = x509_facts.pem_from_der(der)
    lines = pem.decode("ascii").splitlines()
    assert lines[0] == "-----BEGIN CERTIFICATE-----" and lines[-1] == "-----END CERTIFICATE-----"
    assert all(len(line) <= 64 for line in lines[1:-1])
    assert base64.b64decode("".join(lines[1:-1])) == der


def test_pem_from_der_matches_cryptography_for_a_real_certificate(world: World) -> None:
    cert = world.leaf.cert
    assert x509_facts.pem_from_der(cert.public_bytes(serialization.Encoding.DER)) == cert.public_bytes(
        serialization.Encoding.PEM)
