"""Go's chain verification, reproduced: each failure with Go's exact text, next to its passing twin."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from esprobe.demo.standins import pki
from esprobe.ip_text import go_ip_string
from esprobe.x509 import go_verify
from tests.support.x509 import DAY, go_time

UNKNOWN = "x509: certificate signed by unknown authority"


def verify(leaf, intermediates, roots, now, **kw):
    return go_verify.verify(leaf.cert if hasattr(leaf, "cert") else leaf,
                         [c.cert if hasattr(c, "cert") else c for c in intermediates],
                         [c.cert if hasattr(c, "cert") else c for c in roots], now, **kw)


def test_good_chain_verifies_leaf_to_root(world):
    """Leaf + intermediate sent, root trusted: one chain, leaf first, root last."""
    result = verify(world.leaf, [world.inter], [world.root], world.now)
    assert result.ok and result.error is None
    assert [c.subject for c in result.chains[0]] == [world.leaf.cert.subject, world.inter.cert.subject,
                                                     world.root.cert.subject]


def test_expired_leaf_has_gos_after_message(world):
    nb, na = world.now - 60 * DAY, world.now - 30 * DAY
    leaf = world.inter.issue(dns=["www.example.com"], not_before=nb, not_after=na)
    result = verify(leaf, [world.inter], [world.root], world.now)
    assert result.error.kind == go_verify.EXPIRED
    assert result.error.text == (
        f"x509: certificate has expired or is not yet valid: current time {go_time(world.now)} is after {go_time(na)}"
    )
    assert result.error.cert == leaf.cert


def test_not_yet_valid_leaf_has_gos_before_message(world):
    nb, na = world.now + 30 * DAY, world.now + 60 * DAY
    leaf = world.inter.issue(dns=["www.example.com"], not_before=nb, not_after=na)
    result = verify(leaf, [world.inter], [world.root], world.now)
    assert result.error.kind == go_verify.NOT_YET_VALID
    assert result.error.text == (
        f"x509: certificate has expired or is not yet valid: current time {go_time(world.now)} is before {go_time(nb)}"
    )


def test_current_time_is_printed_in_the_offset_of_now(world):
    """Go prints time.Now() in the Beat host's zone; the notAfter stays UTC."""
    na = world.now - 30 * DAY
    leaf = world.inter.issue(dns=["x"], not_before=world.now - 60 * DAY, not_after=na)
    local = world.now.astimezone(dt.timezone(dt.timedelta(hours=2)))
    text = verify(leaf, [world.inter], [world.root], local).error.text
    assert f"current time {local.strftime('%Y-%m-%dT%H:%M:%S')}+02:00 is after {go_time(na)}" in text


def test_untrusted_self_signed_leaf_is_plain_unknown_authority(world):
    leaf = pki.self_signed("www.example.com", dns=["www.example.com"])
    assert verify(leaf, [], [world.root], world.now).error.text == UNKNOWN


def test_self_signed_leaf_listed_as_trusted_is_accepted(world):
    """Go accepts a leaf found in the root pool: the chain is the leaf alone."""
    leaf = pki.self_signed("www.example.com", dns=["www.example.com"])
    result = verify(leaf, [], [leaf], world.now)
    assert result.ok and result.chains == ((leaf.cert,),)


def test_full_chain_with_untrusted_root_is_plain_unknown_authority(world):
    result = verify(world.leaf, [world.inter, world.root], [world.other], world.now)
    assert result.error.text == UNKNOWN
    assert result.error.cert == world.root.cert  # Go got stuck at the root it was sent


def test_missing_intermediate_is_plain_unknown_authority(world):
    result = verify(world.leaf, [], [world.root], world.now)
    assert result.error.text == UNKNOWN and result.error.cert == world.leaf.cert


def test_sha1_leaf_is_unknown_authority_with_insecure_algorithm_hint(rsa_root, world):
    leaf = rsa_root.issue(dns=["www.example.com"], signature_hash="sha1")
    result = verify(leaf, [], [rsa_root], world.now)
    assert result.error.text == (
        'x509: certificate signed by unknown authority (possibly because of "x509: cannot verify signature: '
        'insecure algorithm SHA1-RSA" while trying to verify candidate authority certificate "Test RSA Root CA")'
    )
    assert result.error.hint.kind == go_verify.INSECURE_ALGORITHM


def test_sha256_twin_of_sha1_leaf_verifies(rsa_root, world):
    assert verify(rsa_root.issue(dns=["www.example.com"]), [], [rsa_root], world.now).ok


def test_sha1_intermediate_names_the_root_as_candidate(rsa_root, world):
    inter = rsa_root.intermediate("SHA1 Intermediate", key_kind="rsa", signature_hash="sha1")
    leaf = inter.issue(dns=["www.example.com"])
    result = verify(leaf, [inter], [rsa_root], world.now)
    assert result.error.text == (
        'x509: certificate signed by unknown authority (possibly because of "x509: cannot verify signature: '
        'insecure algorithm SHA1-RSA" while trying to verify candidate authority certificate "Test RSA Root CA")'
    )
    assert result.error.cert == inter.cert


def test_sha1_self_signature_of_a_root_is_never_checked(world):
    root = pki.CertAuthority.root("SHA1 Root", key_kind="rsa", signature_hash="sha1")
    assert root.cert.signature_hash_algorithm.name == "sha1"
    assert verify(root.issue(dns=["www.example.com"]), [], [root], world.now).ok


def test_rsa_1024_leaf_is_accepted_by_go(world):
    leaf = world.inter.issue(dns=["www.example.com"], key_kind="rsa", key_size=1024)
    assert verify(leaf, [world.inter], [world.root], world.now).ok


def test_rsa_512_issuer_fails_with_gos_key_size_hint(world):
    small = pki.CertAuthority.root("Tiny RSA Root", key_kind="rsa", key_size=512)
    result = verify(small.issue(dns=["x"]), [], [small], world.now)
    assert result.error.text == (
        'x509: certificate signed by unknown authority (possibly because of "crypto/rsa: 512-bit keys are '
        'insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)" while trying to verify candidate '
        'authority certificate "Tiny RSA Root")'
    )


def test_ca_true_leaf_is_accepted(world):
    leaf = world.inter.issue(dns=["www.example.com"], ca=True)
    assert verify(leaf, [world.inter], [world.root], world.now).ok


def test_leaf_without_server_auth_eku_is_incompatible_usage(world):
    leaf = world.inter.issue(dns=["www.example.com"], extended_key_usage=[pki.CLIENT_AUTH])
    result = verify(leaf, [world.inter], [world.root], world.now)
    assert result.error.text == "x509: certificate specifies an incompatible key usage"
    assert result.error.cert == leaf.cert


@pytest.mark.parametrize("usages", [None, [pki.SERVER_AUTH], [x509.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]])
def test_leaf_without_eku_or_with_server_auth_or_any_is_accepted(world, usages):
    leaf = world.inter.issue(dns=["www.example.com"], extended_key_usage=usages)
    assert verify(leaf, [world.inter], [world.root], world.now).ok


def test_client_only_eku_passes_when_any_usage_is_requested(world):
    """Beats' server side verifies client certificates with KeyUsages=Any."""
    leaf = world.inter.issue(dns=["x"], extended_key_usage=[pki.CLIENT_AUTH])
    any_eku = x509.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
    assert verify(leaf, [world.inter], [world.root], world.now, key_usages=[any_eku]).ok


def test_eku_on_intermediate_restricts_the_leaf(world):
    inter = world.root.intermediate("Client-only Intermediate", extended_key_usage=[pki.CLIENT_AUTH])
    leaf = inter.issue(dns=["www.example.com"])
    result = verify(leaf, [inter], [world.root], world.now)
    assert result.error.text == "x509: certificate specifies an incompatible key usage"
    assert result.error.cert == inter.cert  # the certificate that crossed serverAuth out


def test_expired_intermediate_returns_the_raw_expiry_error(world):
    na = world.now - DAY
    inter = world.root.intermediate("Expired Intermediate", not_before=world.now - 60 * DAY, not_after=na)
    result = verify(inter.issue(dns=["x"]), [inter], [world.root], world.now)
    assert result.error.text == (
        f"x509: certificate has expired or is not yet valid: current time {go_time(world.now)} is after {go_time(na)}"
    )
    assert result.error.cert == inter.cert


def test_expired_trusted_root_returns_the_raw_expiry_error(world):
    na = world.now - DAY
    root = pki.CertAuthority.root("Expired Root", not_before=world.now - 60 * DAY, not_after=na)
    result = verify(root.issue(dns=["x"]), [], [root], world.now)
    assert result.error.kind == go_verify.EXPIRED and result.error.cert == root.cert


def test_non_ca_issuer_fails_the_signature_constraint_check(world):
    """Go's CheckSignatureFrom refuses a v3 issuer without CA:TRUE before isValid could say 'not authorized'."""
    not_ca = world.root.intermediate("Not A CA", ca=False)
    result = verify(not_ca.issue(dns=["x"]), [not_ca], [world.root], world.now)
    assert result.error.text == (
        'x509: certificate signed by unknown authority (possibly because of "x509: invalid signature: parent '
        'certificate cannot sign this kind of certificate" while trying to verify candidate authority certificate '
        '"Not A CA")'
    )


def test_v1_intermediate_is_not_authorized_to_sign(world):
    v1 = world.root.intermediate("V1 Intermediate", version1=True)
    result = verify(v1.issue(dns=["x"]), [v1], [world.root], world.now)
    assert result.error.text == "x509: certificate is not authorized to sign other certificates"


def test_v1_trust_anchor_may_sign(world):
    """Trust anchors need not be CAs: a v1 root passes both checks."""
    v1_root_ca = world.root.intermediate("V1 Anchor", version1=True)
    assert verify(v1_root_ca.issue(dns=["x"]), [], [v1_root_ca], world.now).ok


def test_path_length_zero_intermediate_cannot_have_a_sub_ca(world):
    sub = world.inter.intermediate("Sub CA")
    result = verify(sub.issue(dns=["x"]), [sub, world.inter], [world.root], world.now)
    assert result.error.text == "x509: too many intermediates for path length constraint"
    assert result.error.cert == world.inter.cert


def test_unlimited_path_length_allows_a_sub_ca(world):
    inter = world.root.intermediate("Unlimited", path_length=None)
    sub = inter.intermediate("Sub CA 2")
    assert verify(sub.issue(dns=["x"]), [sub, inter], [world.root], world.now).ok


def _constrained(world, permitted=None, excluded=None):
    nc = x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)
    return world.root.intermediate("Constrained CA", name_constraints=nc)


def test_name_constraints_permitted_violation(world):
    inter = _constrained(world, permitted=[x509.DNSName("example.com")])
    result = verify(inter.issue(dns=["www.other.com"]), [inter], [world.root], world.now)
    assert result.error.text == (
        "x509: a root or intermediate certificate is not authorized to sign for this name: DNS name "
        '"www.other.com" is not permitted by any constraint'
    )


def test_name_constraints_permitted_twin_passes(world):
    inter = _constrained(world, permitted=[x509.DNSName("example.com")])
    assert verify(inter.issue(dns=["www.example.com", "example.com"]), [inter], [world.root], world.now).ok


def test_name_constraints_excluded_violation(world):
    inter = _constrained(world, excluded=[x509.DNSName("other.com")])
    result = verify(inter.issue(dns=["www.other.com"]), [inter], [world.root], world.now)
    assert result.error.text == (
        "x509: a root or intermediate certificate is not authorized to sign for this name: DNS name "
        '"www.other.com" is excluded by constraint "other.com"'
    )


def test_name_constraints_apply_to_every_san_not_just_the_dialled_one(world):
    inter = _constrained(world, permitted=[x509.DNSName("example.com")])
    result = verify(inter.issue(dns=["www.example.com", "intranet.local"]), [inter], [world.root], world.now)
    assert '"intranet.local" is not permitted' in result.error.text


def test_leading_dot_constraint_needs_a_subdomain(world):
    inter = _constrained(world, permitted=[x509.DNSName(".example.com")])
    assert verify(inter.issue(dns=["www.example.com"]), [inter], [world.root], world.now).ok
    result = verify(inter.issue(dns=["example.com"]), [inter], [world.root], world.now)
    assert '"example.com" is not permitted by any constraint' in result.error.text


def test_ip_name_constraints(world):
    import ipaddress

    inter = _constrained(world, permitted=[x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))])
    assert verify(inter.issue(dns=["x.example"], ips=["10.1.2.3"]), [inter], [world.root], world.now).ok
    result = verify(inter.issue(dns=["x.example"], ips=["192.168.1.1"]), [inter], [world.root], world.now)
    assert result.error.text.endswith('IP address "192.168.1.1" is not permitted by any constraint')


def test_ip_exclusion_prints_the_network(world):
    import ipaddress

    inter = _constrained(world, excluded=[x509.IPAddress(ipaddress.ip_network("127.0.0.0/8"))])
    result = verify(inter.issue(dns=["x.example"], ips=["127.0.0.1"]), [inter], [world.root], world.now)
    assert result.error.text.endswith('IP address "127.0.0.1" is excluded by constraint "127.0.0.0/8"')


def test_dns_constraints_do_not_restrict_ip_sans(world):
    """An empty permitted list for a name type permits everything of that type (Go)."""
    inter = _constrained(world, permitted=[x509.DNSName("example.com")])
    assert verify(inter.issue(dns=["www.example.com"], ips=["192.168.1.1"]), [inter], [world.root], world.now).ok


def test_cn_only_leaf_is_not_name_constrained(world):
    inter = _constrained(world, permitted=[x509.DNSName("example.com")])
    assert verify(inter.issue("www.other.com", san=False), [inter], [world.root], world.now).ok


def _with_sans(inter, *names):
    san = x509.SubjectAlternativeName(list(names))
    return inter.issue("san test", san=False, extra_extensions=[(san, False)])


def test_email_and_uri_constraints(world):
    inter = _constrained(world, permitted=[x509.DNSName("example.com"), x509.RFC822Name("example.com"),
                                           x509.UniformResourceIdentifier("example.com")])
    good = _with_sans(inter, x509.DNSName("a.example.com"), x509.RFC822Name("ops@example.com"),
                      x509.UniformResourceIdentifier("https://api.example.com/x"))
    assert verify(good, [inter], [world.root], world.now).ok
    prefix = "x509: a root or intermediate certificate is not authorized to sign for this name: "
    bad_mail = _with_sans(inter, x509.RFC822Name("ops@evil.com"))
    assert verify(bad_mail, [inter], [world.root], world.now).error.text == (
        prefix + 'email address "ops@evil.com" is not permitted by any constraint')
    bad_uri = _with_sans(inter, x509.UniformResourceIdentifier("https://api.evil.com/"))
    assert verify(bad_uri, [inter], [world.root], world.now).error.text == (
        prefix + 'URI "https://api.evil.com/" is not permitted by any constraint')
    ip_uri = _with_sans(inter, x509.UniformResourceIdentifier("https://10.0.0.1:9200/"))
    assert verify(ip_uri, [inter], [world.root], world.now).error.text == (
        prefix + 'URI with IP ("https://10.0.0.1:9200/") cannot be matched against constraints')


def test_unhandled_critical_extension_on_leaf(world):
    odd = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    leaf = world.inter.issue(dns=["x"], extra_extensions=[(odd, True)])
    result = verify(leaf, [world.inter], [world.root], world.now)
    assert result.error.text == "x509: unhandled critical extension"
    assert verify(world.inter.issue(dns=["x"], extra_extensions=[(odd, False)]), [world.inter], [world.root],
                  world.now).ok


def test_regenerated_ca_with_same_name_gives_signature_hint(world):
    regenerated = pki.CertAuthority.root("Test Root CA")  # same subject, new key
    leaf = world.root.issue(dns=["x"])
    result = verify(leaf, [], [regenerated], world.now)
    assert result.error.text == (
        'x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" '
        'while trying to verify candidate authority certificate "Test Root CA")'
    )


def test_candidate_with_other_key_type_gives_gos_mismatch_text(world, rsa_root):
    lookalike = pki.CertAuthority.root(subject=rsa_root.cert.subject)  # EC key, RSA-signed child
    result = verify(rsa_root.issue(dns=["x"]), [], [lookalike], world.now)
    assert ('"x509: signature algorithm specifies an RSA public key, but have public key of type *ecdsa.PublicKey"'
            in result.error.text)


def test_candidate_name_falls_back_to_organization_then_serial(world):
    no_cn = pki.CertAuthority.root(subject=pki.name(None, o="Org Only"))
    regenerated = pki.CertAuthority.root(subject=no_cn.cert.subject)
    result = verify(no_cn.issue(dns=["x"]), [], [regenerated], world.now)
    assert result.error.text.endswith('candidate authority certificate "Org Only")')
    bare = pki.CertAuthority.root(subject=pki.name(None, c="US"))
    bare2 = pki.CertAuthority.root(subject=bare.cert.subject)
    result = verify(bare.issue(dns=["x"]), [], [bare2], world.now)
    assert result.error.text.endswith(f'candidate authority certificate "serial:{bare2.cert.serial_number}")')


def test_extra_unrelated_certificates_in_the_chain_are_harmless(world):
    junk = [pki.CertAuthority.root(f"Junk {i}").cert for i in range(3)]
    assert verify(world.leaf, [*junk, world.inter], [world.root], world.now).ok


def test_look_alike_flood_is_bounded_by_gos_signature_check_limit(world):
    """A server sending 150 intermediates with the right name but wrong keys costs 100 signature checks."""
    name = world.inter.cert.subject
    flood = [pki.CertAuthority.root(subject=name).cert for _ in range(150)]
    start = time.monotonic()
    result = verify(world.leaf, flood, [world.root], world.now)
    assert time.monotonic() - start < 5
    assert result.error.text == "x509: signature check attempts limit reached while verifying certificate chain"


def test_real_intermediate_found_first_despite_the_flood(world):
    """Candidates whose key id matches the leaf's AKI are tried first, as in Go."""
    flood = [pki.CertAuthority.root(subject=world.inter.cert.subject).cert for _ in range(120)]
    assert verify(world.leaf, [*flood, world.inter], [world.root], world.now).ok


def test_check_leaf_reports_only_leaf_problems(world):
    assert go_verify.check_leaf(world.leaf.cert, world.now) is None
    expired = world.inter.issue(dns=["x"], not_before=world.now - 9 * DAY, not_after=world.now - DAY)
    assert go_verify.check_leaf(expired.cert, world.now).kind == go_verify.EXPIRED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),  # net.IP.String(): an IPv4-mapped address prints as IPv4
        ("::FFFF:A00:1", "10.0.0.1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("127.000.000.001", None),  # Go refuses leading zeros
        ("::ffff:010.0.0.1", None),  # ... also in the IPv4 tail of an IPv6 address
        ("fe80::01", "fe80::1"),  # but not in IPv6 groups
        ("fe80::1%eth0", None),  # no zones in net.ParseIP
        ("1.2.3", None),
        ("es01", None),
        ("", None),
    ],
)
def test_go_parse_ip(text, expected):
    parsed = go_verify.go_parse_ip(text)
    assert (go_ip_string(parsed) if parsed is not None else None) == expected


def test_ipv4_mapped_ipv6_prints_and_compares_as_ipv4():
    import ipaddress

    mapped = ipaddress.ip_address("::ffff:127.0.0.1")
    assert go_ip_string(mapped) == "127.0.0.1"
    assert go_verify.go_ip_equal(mapped, ipaddress.ip_address("127.0.0.1"))
    assert not go_verify.go_ip_equal(ipaddress.ip_address("::1"), ipaddress.ip_address("127.0.0.1"))


def test_go_parse_error_for_unsupported_curve(world):
    from cryptography.hazmat.primitives.asymmetric import ec

    odd = world.inter.issue(dns=["x"], key=ec.generate_private_key(ec.BrainpoolP256R1()))
    assert go_verify.go_parse_error(odd.cert) == "x509: unsupported elliptic curve"
    assert go_verify.go_parse_error(world.leaf.cert) is None


def test_verify_never_raises_on_nonsense():
    result = go_verify.verify(object(), [], [])  # type: ignore[arg-type]
    assert result.error.kind == go_verify.INTERNAL
