"""Beats' chain verdicts: the catalogue's chain scenarios with their exact Beat strings, diagnosis and findings."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from esprobe.demo.standins import pki
from esprobe.findings import catalogue
from esprobe.model import PemSource, Role, Severity, Target, TlsSettings
from esprobe.x509 import beats_verdict as cv
from esprobe.x509.facts import sha256_fingerprint, spki_pin
from tests.support.x509 import DAY, go_time

UNKNOWN = "x509: certificate signed by unknown authority"
PREFIX = "tls: failed to verify certificate: "


def tls_settings(mode="full", **kw):
    return TlsSettings(
        prefix="output.elasticsearch.ssl",
        verification_mode=mode,
        certificate_authorities=(PemSource("output.elasticsearch.ssl.certificate_authorities.0", "/etc/beat/ca.crt"),),
        **kw,
    )


def target(tls, host="www.example.com", role=Role.ELASTICSEARCH):
    return Target(id="elasticsearch[0]", role=role, url=f"https://{host}:9200", scheme="https", host=host, port=9200,
                  tls=tls, setting="output.elasticsearch.hosts.0")


def judge(presented, roots, mode="full", **kw):
    return cv.judge_chain([getattr(c, "cert", c) for c in presented], [getattr(c, "cert", c) for c in roots],
                          mode=mode, **kw)


def codes(verdict, mode="full", **kw):
    tls = tls_settings(mode, **kw)
    return [(f.code, f.severity) for f in cv.chain_findings(verdict, tls, target(tls))]


# --- the passing twin of everything below ----------------------------------------------------


@pytest.mark.parametrize("mode", ["full", "certificate", "strict"])
def test_good_chain_passes_in_every_checking_mode(world, mode):
    verdict = judge([world.leaf, world.inter], [world.root], mode, now=world.now)
    assert verdict.ok and verdict.kind == cv.OK and verdict.beat_error is None
    assert verdict.trust == "configured-ca" and verdict.anchor == world.root.cert
    assert codes(verdict, mode) == []


def test_good_chain_from_the_os_store_reports_os_store_trust(world):
    verdict = judge([world.leaf, world.inter], [world.other, world.root], now=world.now, roots_are_system=True)
    assert verdict.ok and verdict.trust == "os-store"


# --- 1, 2: validity --------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "prefix"), [("full", ""), ("certificate", ""), ("strict", PREFIX)])
def test_expired_leaf_exact_beat_string_per_mode(world, mode, prefix):
    nb, na = world.now - 60 * DAY, world.now - 30 * DAY
    leaf = world.inter.issue(dns=["www.example.com"], not_before=nb, not_after=na)
    verdict = judge([leaf, world.inter], [world.root], mode, now=world.now)
    assert verdict.beat_error == (
        f"{prefix}x509: certificate has expired or is not yet valid: current time {go_time(world.now)} is after "
        f"{go_time(na)}"
    )
    assert (verdict.kind, verdict.element) == (cv.EXPIRED, "leaf")
    assert codes(verdict, mode) == [("tls-cert-expired", Severity.FAIL)]


def test_not_yet_valid_leaf(world):
    nb = world.now + 30 * DAY
    leaf = world.inter.issue(dns=["www.example.com"], not_before=nb, not_after=world.now + 60 * DAY)
    verdict = judge([leaf, world.inter], [world.root], now=world.now)
    assert verdict.beat_error.endswith(f"current time {go_time(world.now)} is before {go_time(nb)}")
    assert (verdict.kind, verdict.element) == (cv.NOT_YET_VALID, "leaf")
    assert codes(verdict) == [("tls-cert-not-yet-valid", Severity.FAIL)]


def test_none_mode_connects_to_an_expired_leaf_but_warns(world):
    leaf = world.inter.issue(dns=["x"], not_before=world.now - 60 * DAY, not_after=world.now - 30 * DAY)
    verdict = judge([leaf, world.inter], [world.root], "none", now=world.now)
    assert verdict.ok and verdict.kind == cv.VERIFICATION_DISABLED and verdict.trust == "none"
    assert verdict.unchecked_problem.startswith("x509: certificate has expired")
    found = cv.chain_findings(verdict, tls_settings("none"), target(tls_settings("none")))
    assert [(f.code, f.severity) for f in found] == [("tls-verification-disabled", Severity.WARN)]
    assert "SSL/TLS verifications disabled." in found[0].message and "certificate has expired" in found[0].message


def test_expired_intermediate_names_the_intermediate(world):
    inter = world.root.intermediate("Expired Intermediate", not_before=world.now - 60 * DAY,
                                    not_after=world.now - DAY)
    verdict = judge([inter.issue(dns=["x"]), inter], [world.root], now=world.now)
    assert verdict.beat_error.startswith("x509: certificate has expired or is not yet valid: current time")
    assert (verdict.kind, verdict.element, verdict.culprit) == (cv.EXPIRED, "intermediate", inter.cert)


def test_expired_trusted_root_names_the_trusted_ca(world):
    root = pki.CertAuthority.root("Expired Root", not_before=world.now - 60 * DAY, not_after=world.now - DAY)
    verdict = judge([root.issue(dns=["x"])], [root], now=world.now)
    assert (verdict.kind, verdict.element) == (cv.EXPIRED, "trusted CA")
    assert "Expired Root" in codes_messages(verdict)[0]


def codes_messages(verdict, mode="full"):
    tls = tls_settings(mode)
    return [f.message for f in cv.chain_findings(verdict, tls, target(tls))]


# --- 3, 3b, 4: who is the unknown authority? -------------------------------------------------


def test_self_signed_leaf(world):
    leaf = pki.self_signed("www.example.com", dns=["www.example.com"])
    verdict = judge([leaf], [world.root], now=world.now)
    assert verdict.beat_error == UNKNOWN and verdict.kind == cv.SELF_SIGNED
    assert codes(verdict) == [("tls-self-signed", Severity.FAIL)]


def test_self_signed_leaf_in_certificate_authorities_passes(world):
    leaf = pki.self_signed("www.example.com", dns=["www.example.com"])
    verdict = judge([leaf], [leaf], now=world.now)
    assert verdict.ok and verdict.chains == ((leaf.cert,),)


def test_full_chain_sent_but_root_not_trusted(world):
    verdict = judge([world.leaf, world.inter, world.root], [world.other], "strict", now=world.now)
    assert verdict.beat_error == PREFIX + UNKNOWN
    assert (verdict.kind, verdict.culprit) == (cv.UNTRUSTED_ROOT, world.root.cert)
    [message] = codes_messages(verdict, "strict")
    assert "/etc/beat/ca.crt" in message and "Test Root CA" in message


def test_full_chain_sent_and_root_trusted_passes(world):
    assert judge([world.leaf, world.inter, world.root], [world.root], "strict", now=world.now).ok


def test_missing_intermediate(world):
    verdict = judge([world.leaf], [world.root], now=world.now)
    assert verdict.beat_error == UNKNOWN
    assert (verdict.kind, verdict.element) == (cv.MISSING_INTERMEDIATE, "leaf")
    assert codes(verdict) == [("tls-missing-intermediate", Severity.FAIL)]


def test_leaf_from_an_unrelated_ca_is_unknown_ca_not_missing_intermediate(world):
    """The typical elasticsearch-certutil case: the Beat trusts another organisation's CA."""
    foreign = pki.CertAuthority.root(subject=pki.name("Elastic Certificate Tool Autogenerated CA"))
    verdict = judge([foreign.issue(dns=["www.example.com"])], [world.other], now=world.now)
    assert verdict.beat_error == UNKNOWN and verdict.kind == cv.UNKNOWN_CA
    assert codes(verdict) == [("tls-unknown-ca", Severity.FAIL)]


def test_partial_chain_ending_at_an_untrusted_issuer(world):
    verdict = judge([world.leaf, world.inter], [world.other], now=world.now)
    assert verdict.beat_error == UNKNOWN
    assert (verdict.kind, verdict.culprit) == (cv.UNKNOWN_CA, world.inter.cert)


def test_regenerated_ca_is_diagnosed(world):
    regenerated = pki.CertAuthority.root("Test Root CA")
    verdict = judge([world.leaf, world.inter], [regenerated], now=world.now)
    assert verdict.kind == cv.CA_KEY_MISMATCH and "regenerated" in verdict.explanation
    assert codes(verdict) == [("tls-unknown-ca", Severity.FAIL)]


def test_empty_os_store(world):
    verdict = judge([world.leaf, world.inter], [], now=world.now, roots_are_system=True)
    assert verdict.beat_error == UNKNOWN and verdict.kind == cv.NO_SYSTEM_ROOTS
    assert codes(verdict) == [("tls-os-trust-store-empty", Severity.FAIL)]


def test_unreadable_os_store_is_gos_system_roots_error(world):
    error = "x509: failed to load system roots and no roots provided; open /etc/ssl/cert.pem: permission denied"
    verdict = judge([world.leaf, world.inter], [], now=world.now, roots_are_system=True, system_roots_error=error)
    assert verdict.beat_error == error and verdict.kind == cv.SYSTEM_ROOTS_ERROR
    strict = judge([world.leaf, world.inter], [], "strict", now=world.now, roots_are_system=True,
                   system_roots_error=error)
    assert strict.beat_error == PREFIX + error


# --- 8, 9, 10, 11: algorithms, keys, CA flag, EKU --------------------------------------------


def test_sha1_leaf(rsa_root, world):
    verdict = judge([rsa_root.issue(dns=["www.example.com"], signature_hash="sha1")], [rsa_root], now=world.now)
    assert verdict.beat_error == (
        'x509: certificate signed by unknown authority (possibly because of "x509: cannot verify signature: '
        'insecure algorithm SHA1-RSA" while trying to verify candidate authority certificate "Test RSA Root CA")'
    )
    assert (verdict.kind, verdict.element) == (cv.WEAK_SIGNATURE, "leaf")
    assert codes(verdict) == [("tls-weak-signature", Severity.FAIL)]


def test_sha1_intermediate(rsa_root, world):
    inter = rsa_root.intermediate("SHA1 Int", key_kind="rsa", signature_hash="sha1")
    verdict = judge([inter.issue(dns=["x"]), inter], [rsa_root], now=world.now)
    assert (verdict.kind, verdict.element, verdict.culprit) == (cv.WEAK_SIGNATURE, "intermediate", inter.cert)


def test_sha1_root_self_signature_is_fine_and_noted(world):
    root = pki.CertAuthority.root("SHA1 Root", key_kind="rsa", signature_hash="sha1")
    verdict = judge([root.issue(dns=["x"])], [root], now=world.now)
    assert verdict.ok and any(n.code == "sha1-root" and not n.warn for n in verdict.notes)


def test_rsa_1024_leaf_passes_with_an_openssl_only_warning(world):
    leaf = world.inter.issue(dns=["www.example.com"], key_kind="rsa", key_size=1024)
    verdict = judge([leaf, world.inter], [world.root], now=world.now)
    assert verdict.ok
    assert codes(verdict) == [("tls-weak-key-openssl-only", Severity.WARN)]


def test_rsa_512_leaf_fails_in_every_mode(world):
    leaf = world.inter.issue(dns=["x"], key=pki.new_key("rsa", 512))
    for mode in ("full", "strict", "none"):
        verdict = judge([leaf, world.inter], [world.root], mode, now=world.now)
        assert verdict.beat_error == ("tls: invalid signature by the server certificate: crypto/rsa: 512-bit keys are "
                                      "insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)")
        assert verdict.kind == cv.WEAK_KEY


def test_rsa_512_ca_is_a_weak_key_in_the_chain(world):
    small = pki.CertAuthority.root("Tiny RSA Root", key_kind="rsa", key_size=512)
    verdict = judge([small.issue(dns=["x"])], [small], now=world.now)
    assert (verdict.kind, verdict.element) == (cv.WEAK_KEY, "trusted CA")
    assert codes(verdict) == [("tls-weak-key", Severity.FAIL)]


def test_ca_true_leaf_passes_with_a_warning(world):
    verdict = judge([world.inter.issue(dns=["www.example.com"], ca=True), world.inter], [world.root], now=world.now)
    assert verdict.ok and codes(verdict) == [("tls-leaf-is-ca", Severity.WARN)]


def test_leaf_with_client_auth_only(world):
    leaf = world.inter.issue(dns=["www.example.com"], extended_key_usage=[pki.CLIENT_AUTH])
    for mode, prefix in (("full", ""), ("strict", PREFIX)):
        verdict = judge([leaf, world.inter], [world.root], mode, now=world.now)
        assert verdict.beat_error == prefix + "x509: certificate specifies an incompatible key usage"
        assert (verdict.kind, verdict.element) == (cv.EKU, "leaf")
    assert "clientAuth" in verdict.explanation


def test_leaf_without_eku_is_accepted_and_noted(world):
    verdict = judge([world.inter.issue(dns=["x"], extended_key_usage=None), world.inter], [world.root], now=world.now)
    assert verdict.ok and any(n.code == "leaf-no-eku" and not n.warn for n in verdict.notes)
    assert codes(verdict) == []


def test_eku_on_intermediate(world):
    inter = world.root.intermediate("Client CA", extended_key_usage=[pki.CLIENT_AUTH])
    verdict = judge([inter.issue(dns=["x"]), inter], [world.root], now=world.now)
    assert (verdict.kind, verdict.element) == (cv.EKU, "intermediate")
    assert codes(verdict) == [("tls-eku-server-auth", Severity.FAIL)]


# --- 19 and the other structural failures ----------------------------------------------------


def test_name_constraints_violation_and_twin(world):
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
    inter = world.root.intermediate("Constrained", name_constraints=nc)
    verdict = judge([inter.issue(dns=["www.other.com"]), inter], [world.root], "strict", now=world.now)
    assert verdict.beat_error == (
        PREFIX + "x509: a root or intermediate certificate is not authorized to sign for this name: DNS name "
        '"www.other.com" is not permitted by any constraint'
    )
    assert verdict.kind == cv.NAME_CONSTRAINTS and codes(verdict) == [("tls-name-constraints", Severity.FAIL)]
    assert judge([inter.issue(dns=["www.example.com"]), inter], [world.root], "strict", now=world.now).ok


def test_not_a_ca_issuer(world):
    not_ca = world.root.intermediate("Not A CA", ca=False)
    verdict = judge([not_ca.issue(dns=["x"]), not_ca], [world.root], now=world.now)
    assert (verdict.kind, verdict.culprit) == (cv.NOT_A_CA, not_ca.cert)
    v1 = world.root.intermediate("V1", version1=True)
    verdict = judge([v1.issue(dns=["x"]), v1], [world.root], now=world.now)
    assert verdict.beat_error == "x509: certificate is not authorized to sign other certificates"
    assert verdict.kind == cv.NOT_A_CA and codes(verdict) == [("tls-not-a-ca", Severity.FAIL)]


def test_path_length(world):
    sub = world.inter.intermediate("Sub CA")
    verdict = judge([sub.issue(dns=["x"]), sub, world.inter], [world.root], now=world.now)
    assert verdict.beat_error == "x509: too many intermediates for path length constraint"
    assert (verdict.kind, verdict.culprit) == (cv.PATH_LENGTH, world.inter.cert)


def test_critical_extension(world):
    odd = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.7"), b"\x05\x00")
    verdict = judge([world.inter.issue(dns=["x"], extra_extensions=[(odd, True)]), world.inter], [world.root],
                    now=world.now)
    assert verdict.beat_error == "x509: unhandled critical extension" and verdict.kind == cv.CRITICAL_EXTENSION
    assert "1.3.6.1.4.1.99999.7" in verdict.explanation


def test_unparsable_certificate_fails_even_in_none_mode(world):
    from cryptography.hazmat.primitives.asymmetric import ec

    odd = world.inter.issue(dns=["x"], key=ec.generate_private_key(ec.BrainpoolP256R1()))
    for mode in ("full", "none"):
        verdict = judge([odd, world.inter], [world.root], mode, now=world.now)
        assert verdict.beat_error == "tls: failed to parse certificate from server: x509: unsupported elliptic curve"
        assert not verdict.ok and verdict.kind == cv.UNPARSABLE


def test_no_certificates(world):
    verdict = judge([], [world.root], now=world.now)
    assert (verdict.ok, verdict.beat_error) == (False, "missing peer certificates")


# --- ca_trusted_fingerprint ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("AB:CD", "decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+003A ':'"),
        ("abc", "decode 'ca_trusted_fingerprint': encoding/hex: odd length hex string"),
        ("ab c", "decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+0020 ' '"),
        ("abz", "decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+007A 'z'"),
        ("sha256:ab", "decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+0073 's'"),
        ("ab\tcd", "decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+0009"),
        ("é0", "decode 'ca_trusted_fingerprint': encoding/hex: invalid byte: U+00C3 'Ã'"),
    ],
)
def test_fingerprint_format_errors_fail_every_handshake(world, value, error):
    verdict = judge([world.leaf, world.inter], [world.root], now=world.now, ca_trusted_fingerprint=value)
    assert not verdict.ok and verdict.kind == cv.FINGERPRINT_FORMAT and verdict.beat_error == error
    assert codes(verdict, ca_trusted_fingerprint=value) == [("tls-fingerprint-format", Severity.FAIL)]


def test_fingerprint_with_colons_suggests_the_plain_value(world):
    fp = sha256_fingerprint(world.inter.cert)
    colons = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
    verdict = judge([world.leaf, world.inter], [world.root], now=world.now, ca_trusted_fingerprint=colons)
    assert fp in verdict.explanation
    tls = tls_settings(ca_trusted_fingerprint=colons)
    [finding] = cv.chain_findings(verdict, tls, target(tls))
    assert fp in finding.hint and finding.setting == "output.elasticsearch.ssl.ca_trusted_fingerprint"


def test_upper_case_fingerprint_matches(world):
    fp = sha256_fingerprint(world.inter.cert).upper()
    verdict = judge([world.leaf, world.inter], [], now=world.now, roots_are_system=True, ca_trusted_fingerprint=fp)
    assert verdict.ok and verdict.trust == "fingerprint" and verdict.anchor == world.inter.cert


def test_fingerprint_match_with_empty_os_store_passes(world):
    fp = sha256_fingerprint(world.inter.cert)
    verdict = judge([world.leaf, world.inter], [], now=world.now, roots_are_system=True, ca_trusted_fingerprint=fp)
    assert verdict.ok and any(n.code == "fingerprint-trusted" and "replaces" in n.text for n in verdict.notes)
    assert codes(verdict, ca_trusted_fingerprint=fp) == []


def test_fingerprint_match_replaces_the_os_store(world):
    """The server also sends an unrelated CA whose fingerprint is configured: the OS root no longer counts."""
    fp = sha256_fingerprint(world.other.cert)
    presented = [world.leaf, world.inter, world.other]
    replaced = judge(presented, [world.root], now=world.now, roots_are_system=True, ca_trusted_fingerprint=fp)
    assert not replaced.ok and replaced.beat_error == UNKNOWN
    without = judge(presented, [world.root], now=world.now, roots_are_system=True)
    assert without.ok
    union = judge(presented, [world.root], now=world.now, roots_are_system=False, ca_trusted_fingerprint=fp)
    assert union.ok and union.trust == "configured-ca"


def test_fingerprint_of_the_leaf_is_a_non_ca_match(world):
    fp = sha256_fingerprint(world.leaf.cert)
    verdict = judge([world.leaf, world.inter], [world.other], now=world.now, ca_trusted_fingerprint=fp)
    assert verdict.beat_error == UNKNOWN and verdict.fingerprint_match == world.leaf.cert
    found = codes(verdict, ca_trusted_fingerprint=fp)
    assert found == [("tls-unknown-ca", Severity.FAIL), ("tls-fingerprint-not-ca", Severity.WARN),
                     ("tls-fingerprint-no-match", Severity.WARN)]
    texts = " ".join(n.text for n in verdict.notes)
    assert ("Certificate matching 'ca_trusted_fingerprint' found, but it is not a CA certificate. "
            "'ca_trusted_fingerprint' can only be used to trust CA certificates.") in texts
    assert "server's own certificate" in texts


def test_fingerprint_no_match_lists_the_ca_fingerprints_sent(world):
    fp = "00" * 32
    verdict = judge([world.leaf, world.inter], [world.other], now=world.now, ca_trusted_fingerprint=fp)
    note = next(n for n in verdict.notes if n.code == "tls-fingerprint-no-match")
    assert note.text == (
        f"The Beat logs: \"The provided 'ca_trusted_fingerprint': '{fp}' does not match the fingerprint of any "
        "Certificate Authority present in the server's certificate chain. Found the following CA fingerprints "
        f"instead: [{sha256_fingerprint(world.inter.cert)}]\""
    )
    assert verdict.presented_ca_fingerprints == (sha256_fingerprint(world.inter.cert),)


def test_fingerprint_with_leaf_only_chain_says_chain_missing(world):
    verdict = judge(
        [world.leaf], [world.root], now=world.now, ca_trusted_fingerprint=sha256_fingerprint(world.root.cert)
    )
    texts = [n.text for n in verdict.notes]
    assert any("presented without its certificate chain" in t for t in texts)
    assert any(n.code == "fingerprint-of-unsent-ca" for n in verdict.notes)


def test_fingerprint_cannot_rescue_strict(world):
    fp = sha256_fingerprint(world.inter.cert)
    full = judge([world.leaf, world.inter], [world.other], "full", now=world.now, ca_trusted_fingerprint=fp)
    strict = judge([world.leaf, world.inter], [world.other], "strict", now=world.now, ca_trusted_fingerprint=fp)
    assert full.ok and full.trust == "fingerprint"
    assert strict.beat_error == PREFIX + UNKNOWN
    assert ("tls-fingerprint-strict", Severity.WARN) in codes(strict, "strict", ca_trusted_fingerprint=fp)


def test_malformed_fingerprint_is_never_decoded_in_strict_without_pins(world):
    """Beats installs its strict-mode callback only for ca_sha256: the fingerprint is never even read."""
    verdict = judge([world.leaf, world.inter], [world.root], "strict", now=world.now, ca_trusted_fingerprint="a:b")
    assert verdict.ok
    assert any(n.code == "tls-fingerprint-strict" for n in verdict.notes)


def test_malformed_fingerprint_breaks_strict_with_pins_after_the_chain_passes(world):
    pin = spki_pin(world.root.cert)
    verdict = judge([world.leaf, world.inter], [world.root], "strict", now=world.now, ca_trusted_fingerprint="x",
                    ca_sha256=[pin])
    assert verdict.kind == cv.FINGERPRINT_FORMAT


# --- ca_sha256 pins --------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["leaf", "inter", "root"])
def test_pin_of_any_chain_certificate_passes(world, which):
    pin = spki_pin(getattr(world, which).cert)
    for mode in ("full", "strict"):
        assert judge([world.leaf, world.inter], [world.root], mode, now=world.now, ca_sha256=[pin]).ok


def test_pin_mismatch(world):
    pin = spki_pin(world.other.cert)
    verdict = judge([world.leaf, world.inter], [world.root], "strict", now=world.now, ca_sha256=[pin])
    assert verdict.beat_error == ("provided CA certificate pins doesn't match any of the certificate authorities used "
                                  "to validate the certificate")
    assert verdict.kind == cv.PIN_MISMATCH and spki_pin(world.root.cert) in verdict.explanation
    assert codes(verdict, "strict") == [("tls-pin-mismatch", Severity.FAIL)]


def test_pins_are_ignored_in_none_mode(world):
    assert judge([world.leaf, world.inter], [world.root], "none", now=world.now, ca_sha256=["nope"]).ok


def test_pin_is_case_sensitive_base64(world):
    pin = spki_pin(world.root.cert)
    assert not judge([world.leaf, world.inter], [world.root], now=world.now, ca_sha256=[pin.lower()]).ok


# --- strict reports a bad name before the chain ----------------------------------------------


def test_strict_reports_the_name_first_when_both_fail(world):
    verdict = judge([world.leaf, world.inter], [world.other], "strict", now=world.now, server_name="www.wrong.com")
    assert verdict.beat_error == PREFIX + "x509: certificate is valid for www.example.com, not www.wrong.com"
    assert verdict.hostname_first == verdict.beat_error and verdict.kind == cv.UNKNOWN_CA


def test_strict_expired_leaf_beats_the_name(world):
    leaf = world.inter.issue(dns=["www.example.com"], not_before=world.now - 9 * DAY, not_after=world.now - DAY)
    verdict = judge([leaf, world.inter], [world.root], "strict", now=world.now, server_name="www.wrong.com")
    assert verdict.kind == cv.EXPIRED and verdict.beat_error.startswith(PREFIX + "x509: certificate has expired")


def test_strict_good_chain_with_bad_name_leaves_the_name_to_the_hostname_stage(world):
    verdict = judge([world.leaf, world.inter], [world.root], "strict", now=world.now, server_name="www.wrong.com")
    assert verdict.ok and verdict.hostname_first.endswith("not www.wrong.com")


# --- findings wording and robustness ---------------------------------------------------------


@pytest.mark.parametrize(("role", "words"), [(Role.KIBANA, "server.ssl.certificate"),
                                             (Role.LOGSTASH, "ssl_certificate"),
                                             (Role.ELASTICSEARCH, "xpack.security.http.ssl.certificate")])
def test_hints_name_the_servers_certificate_setting(world, role, words):
    verdict = judge([world.leaf], [world.root], now=world.now)
    tls = tls_settings()
    [finding] = cv.chain_findings(verdict, tls, target(tls, role=role))
    assert words in finding.hint and "output.elasticsearch.ssl.certificate_authorities" in finding.hint


def test_every_failure_message_quotes_the_beat(world):
    verdict = judge([world.leaf, world.inter], [world.other], now=world.now)
    [message] = codes_messages(verdict)
    assert message.startswith(f'The Beat would log: "{UNKNOWN}".')


def test_every_kind_maps_to_a_catalogued_code():
    for code in set(cv._FINDING_FOR_KIND.values()) | {"tls-verification-disabled", "tls-weak-key-openssl-only",
                                                     "tls-leaf-is-ca", "tls-fingerprint-not-ca",
                                                     "tls-fingerprint-no-match", "tls-fingerprint-strict"}:
        assert code in catalogue(), code


def test_judge_chain_never_raises(world):
    for junk in ([object()], [world.leaf.cert, object()], None):
        verdict = cv.judge_chain(junk, [], mode="full")  # type: ignore[arg-type]
        assert not verdict.ok and verdict.finding_code in catalogue()
        assert cv.chain_findings(verdict, tls_settings(), target(tls_settings()))[0].severity is Severity.FAIL


@pytest.mark.parametrize(
    ("text", "decoded", "error"),
    [("", b"", None), ("00ff", b"\x00\xff", None), ("00FF", b"\x00\xff", None),
     ("0g", None, "encoding/hex: invalid byte: U+0067 'g'"), ("g", None, "encoding/hex: invalid byte: U+0067 'g'"),
     ("0", None, "encoding/hex: odd length hex string")],
)
def test_go_hex_decode(text, decoded, error):
    assert cv.go_hex_decode(text) == (decoded, error)
