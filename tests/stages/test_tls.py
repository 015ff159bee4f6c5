"""
The tls and hostname stages end to end: real TLS servers on loopback, certificates made at test
time, one test per scenario of the failure catalogue, each beside a passing twin.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from pathlib import Path
from typing import Any, List, Optional

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from esprobe.context import Deadline, ProbeContext
from esprobe.demo.standins import pki
from esprobe.demo.standins.server import LoopbackServer, Response, TlsConfig
from esprobe.model import PemSource, Role, Stage, Status, Target, TargetReport, TlsSettings
from esprobe.probe import runner
from esprobe.probe.pipeline import STEPS
from tests.support.peers import never_speaks, serve

HOST = "es.test"
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def ca() -> pki.CertAuthority:
    return pki.CertAuthority.root("Test Root CA", key_kind="rsa")


@pytest.fixture(scope="module")
def inter(ca: pki.CertAuthority) -> pki.CertAuthority:
    return ca.intermediate("Test Intermediate CA", key_kind="rsa")


@pytest.fixture(scope="module")
def leaf(inter: pki.CertAuthority) -> pki.Issued:
    return inter.issue(dns=[HOST], ips=["127.0.0.1"])


@pytest.fixture
def hosts(tmp_path: Path) -> Path:
    path = tmp_path / "hosts"
    path.write_text(f"127.0.0.1 {HOST} other.test www.other.com\n")
    # files only: these tests are about TLS, and a DNS cross-check would only add waiting
    (tmp_path / "nsswitch.conf").write_text("hosts: files\n")
    return path


def _ok(request: Any) -> Response:
    return Response.json(200, {"ok": True})


def server(issued: pki.Issued, **options: Any) -> LoopbackServer:
    return LoopbackServer(_ok, tls=TlsConfig.from_issued(issued, **options))


def pem_source(data: bytes, setting: str = "output.elasticsearch.ssl.certificate_authorities.0") -> PemSource:
    return PemSource(setting=setting, path=None, data=data)


def tls_settings(*cas: bytes, **changes: Any) -> TlsSettings:
    return TlsSettings(
        prefix="output.elasticsearch.ssl",
        certificate_authorities=tuple(pem_source(c, f"output.elasticsearch.ssl.certificate_authorities.{i}")
                                      for i, c in enumerate(cas)),
        **changes,
    )


def client_identity(issued: pki.Issued, passphrase: Optional[str] = None, fmt: str = "pkcs8") -> dict:
    key = issued.key_pem(fmt, passphrase.encode() if passphrase else None)
    return {
        "certificate": pem_source(issued.chain_pem, "output.elasticsearch.ssl.certificate"),
        "key": pem_source(key, "output.elasticsearch.ssl.key"),
        "key_passphrase": passphrase,
    }


def probe(port: int, tls: TlsSettings, hosts: Path, host: str = HOST, timeout: float = 3.0,
          environ: Optional[dict] = None, warn_days: int = 30, crit_days: int = 7) -> TargetReport:
    target = Target(id="elasticsearch[0]", role=Role.ELASTICSEARCH, url=f"https://{host}:{port}", scheme="https",
                    host=host, port=port, tls=tls, setting="output.elasticsearch.hosts.0")
    ctx = ProbeContext(timeout=timeout, deadline=Deadline(timeout * 4), hosts_file=str(hosts),
                       hosts_file_overridden=True, nameservers=(("127.0.0.1", 1),), environ=environ or {},
                       nsswitch_conf=str(hosts.parent / "nsswitch.conf"),
                       warn_days=warn_days, crit_days=crit_days)
    # dns, tcp, tls, hostname: the http stages have their own tests
    return runner.probe_target(target, ctx, steps=STEPS[:4])


def stage(report: TargetReport, which: Stage):  # type: ignore[no-untyped-def]
    return next(s for s in report.stages if s.stage is which)


def codes(report: TargetReport, which: Stage) -> List[str]:
    return [f.code for f in stage(report, which).findings]


# --- the healthy twin -----------------------------------------------------------------------------


def test_healthy_chain_passes_with_contract_details(ca, leaf, hosts) -> None:
    """A chain leaf + intermediate to a configured root passes; details carry the whole chain as sent."""
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    tls, name = stage(report, Stage.TLS), stage(report, Stage.HOSTNAME)
    assert tls.status is Status.OK, tls.findings
    assert name.status is Status.OK
    assert tls.details["protocol"] == "TLSv1.3"
    assert tls.details["trust"] == "configured-ca"
    assert [c["subject"] for c in tls.details["chain"]] == [f"CN={HOST},O=esprobe", "CN=Test Intermediate CA,O=esprobe"]
    assert tls.details["chain"][0]["sha256"] == leaf.sha256_hex
    assert tls.details["client_certificate"] is None
    assert tls.details["sni"] == HOST
    assert name.details == {"name": HOST, "mode": "full", "matched": True, "matched_by": "dns-san"}


# --- the catalogue, scenario by scenario ---------------------------------------------------------------


def test_expired_leaf(ca, inter, hosts) -> None:
    """1: an expired leaf fails with Go's 'is after' text, without the strict prefix in full mode."""
    expired = inter.issue(dns=[HOST], not_before=pki.utcnow() - 60 * DAY, not_after=pki.utcnow() - 30 * DAY)
    with server(expired) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-cert-expired"]
    message = stage(report, Stage.TLS).findings[0].message
    assert "x509: certificate has expired or is not yet valid: current time" in message
    assert "tls: failed to verify certificate" not in message
    assert stage(report, Stage.HOSTNAME).status is Status.SKIPPED


def test_expired_leaf_strict_has_the_prefix(ca, inter, hosts) -> None:
    """1 (strict): the same failure carries Go's 'tls: failed to verify certificate:' prefix."""
    expired = inter.issue(dns=[HOST], not_before=pki.utcnow() - 60 * DAY, not_after=pki.utcnow() - 30 * DAY)
    with server(expired) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, verification_mode="strict"), hosts)
    assert codes(report, Stage.TLS) == ["tls-cert-expired"]
    assert (
        "tls: failed to verify certificate: x509: certificate has expired"
        in stage(report, Stage.TLS).findings[0].message
    )


def test_not_yet_valid_leaf(ca, inter, hosts) -> None:
    """2: a leaf valid only from next month fails as not yet valid (clock skew)."""
    future = inter.issue(dns=[HOST], not_before=pki.utcnow() + 30 * DAY, not_after=pki.utcnow() + 60 * DAY)
    with server(future) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-cert-not-yet-valid"]
    assert "is before" in stage(report, Stage.TLS).findings[0].message


def test_untrusted_self_signed_leaf(ca, hosts) -> None:
    """3: a self-signed server certificate is told apart from a wrong CA."""
    lone = pki.self_signed(HOST, dns=[HOST])
    with server(lone) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-self-signed"]
    assert "x509: certificate signed by unknown authority" in stage(report, Stage.TLS).findings[0].message


def test_trusting_the_self_signed_certificate_passes(hosts) -> None:
    """3 twin: listing the self-signed certificate itself in certificate_authorities makes it a trust anchor."""
    lone = pki.self_signed(HOST, dns=[HOST])
    with server(lone) as srv:
        report = probe(srv.port, tls_settings(lone.cert_pem), hosts)
    assert stage(report, Stage.TLS).status is Status.OK


def test_full_chain_from_another_root(ca, leaf, hosts) -> None:
    """3b: the server sends its whole chain, but the configured CA is another one: unknown CA."""
    other = pki.CertAuthority.root("Some Other CA")
    with LoopbackServer(_ok, tls=TlsConfig(cert_chain_pem=leaf.fullchain_pem, key_pem=leaf.key_pem())) as srv:
        report = probe(srv.port, tls_settings(other.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-unknown-ca"]


def test_missing_intermediate(ca, leaf, hosts) -> None:
    """4: the server sends only its leaf; the intermediate is missing."""
    with LoopbackServer(_ok, tls=TlsConfig(cert_chain_pem=leaf.cert_pem, key_pem=leaf.key_pem())) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-missing-intermediate"]


def test_missing_intermediate_twin_configured_intermediate_passes(ca, inter, leaf, hosts) -> None:
    """4 twin: with the intermediate among the configured CAs, the lone leaf verifies."""
    with LoopbackServer(_ok, tls=TlsConfig(cert_chain_pem=leaf.cert_pem, key_pem=leaf.key_pem())) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem + inter.cert_pem), hosts)
    assert stage(report, Stage.TLS).status is Status.OK


def test_wrong_hostname(ca, leaf, hosts) -> None:
    """5: TLS passes, the hostname stage fails with Go's 'valid for ..., not ...' text."""
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts, host="other.test")
    assert stage(report, Stage.TLS).status is Status.OK
    assert codes(report, Stage.HOSTNAME) == ["hostname-mismatch"]
    assert f"x509: certificate is valid for {HOST}, not other.test" in stage(report, Stage.HOSTNAME).findings[0].message


def test_wrong_hostname_certificate_mode_warns_what_full_would_refuse(ca, leaf, hosts) -> None:
    """5 twin: verification_mode certificate checks the chain only, so the Beat gets through; the
    hostname stage warns that full mode would refuse the name, naming the setting to change."""
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, verification_mode="certificate"), hosts, host="other.test")
    assert stage(report, Stage.TLS).status is Status.OK
    hostname = stage(report, Stage.HOSTNAME)
    assert hostname.status is Status.WARN
    [finding] = hostname.findings
    assert finding.code == "hostname-not-verified"
    assert finding.setting == "output.elasticsearch.ssl.verification_mode"
    assert f'"x509: certificate is valid for {HOST}, not other.test"' in finding.message
    assert "output.elasticsearch.hosts.0" in finding.hint
    assert hostname.details == {"name": "other.test", "mode": "certificate", "matched": False, "matched_by": None}


def test_wrong_hostname_certificate_mode_lets_the_http_stages_run(ca, leaf, hosts) -> None:
    """The warning does not block: the http stage runs over the connection, as the Beat's requests would."""
    with server(leaf) as srv:
        target = Target(id="elasticsearch[0]", role=Role.ELASTICSEARCH, url=f"https://other.test:{srv.port}",
                        scheme="https", host="other.test", port=srv.port,
                        tls=tls_settings(ca.cert_pem, verification_mode="certificate"),
                        setting="output.elasticsearch.hosts.0")
        ctx = ProbeContext(timeout=3, deadline=Deadline(12), hosts_file=str(hosts), hosts_file_overridden=True,
                           nameservers=(("127.0.0.1", 1),), nsswitch_conf=str(hosts.parent / "nsswitch.conf"))
        report = runner.probe_target(target, ctx, steps=STEPS[:5])
    assert stage(report, Stage.HOSTNAME).status is Status.WARN
    assert stage(report, Stage.HTTP).status is not Status.SKIPPED
    assert stage(report, Stage.HTTP).details["status_code"] == 200


@pytest.mark.parametrize("mode", ["certificate", "none"])
def test_modes_without_name_check_do_not_apply_when_full_would_accept(ca, leaf, hosts, mode: str) -> None:
    """certificate (right name) and none (any name): the name check does not apply, and never blocks."""
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, verification_mode=mode), hosts,
                       host=HOST if mode == "certificate" else "other.test")
    hostname = stage(report, Stage.HOSTNAME)
    assert hostname.status is Status.SKIPPED and not hostname.applicable and hostname.passed
    assert hostname.summary.startswith(f"not applicable: verification_mode '{mode}' does not check the name")


def test_cn_only_full_passes_with_a_warning(ca, inter, hosts) -> None:
    """6: a CN-only certificate passes in full mode (CN fallback), with the strict-mode warning."""
    cn_only = inter.issue(HOST, dns=[HOST], san=False)
    with server(cn_only) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    name = stage(report, Stage.HOSTNAME)
    assert name.status is Status.WARN
    assert name.details["matched_by"] == "common-name"
    assert "hostname-cn-only" in codes(report, Stage.HOSTNAME)


def test_cn_only_strict_fails(ca, inter, hosts) -> None:
    """6 (strict): Go ignores the CN: 'relies on legacy Common Name field'."""
    cn_only = inter.issue(HOST, dns=[HOST], san=False)
    with server(cn_only) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, verification_mode="strict"), hosts)
    name = stage(report, Stage.HOSTNAME)
    assert name.status is Status.FAIL
    assert any("relies on legacy Common Name field" in f.message for f in name.findings)


def test_ip_host_without_ip_san(ca, inter, hosts) -> None:
    """7: dialled by IP, a certificate with DNS names only fails the name check."""
    dns_only = inter.issue(dns=[HOST])
    with server(dns_only) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts, host="127.0.0.1")
    assert stage(report, Stage.TLS).details["sni"] is None  # Go never sends an IP as SNI
    assert codes(report, Stage.HOSTNAME) == ["hostname-ip-not-in-san"]
    assert "doesn't contain any IP SANs" in stage(report, Stage.HOSTNAME).findings[0].message


def test_ip_host_with_ip_san_passes(ca, leaf, hosts) -> None:
    """7 twin: the same by IP with an IP SAN passes, matched by ip-san."""
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts, host="127.0.0.1")
    assert stage(report, Stage.HOSTNAME).details["matched_by"] == "ip-san"


def test_sha1_signed_leaf(ca, inter, hosts) -> None:
    """8: a SHA-1 signature makes Go say 'unknown authority'; esprobe names the weak signature."""
    sha1 = inter.issue(dns=[HOST], signature_hash="sha1")
    with server(sha1, seclevel=0) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-weak-signature"]
    assert "insecure algorithm SHA1-RSA" in stage(report, Stage.TLS).findings[0].message


def test_rsa_1024_leaf_passes_like_go(ca, inter, hosts) -> None:
    """9: Go accepts a 1024-bit RSA leaf; esprobe passes it with the OpenSSL-only warning."""
    weak = inter.issue(dns=[HOST], key_kind="rsa", key_size=1024)
    with server(weak, seclevel=0) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    tls = stage(report, Stage.TLS)
    assert tls.status is Status.WARN
    assert codes(report, Stage.TLS) == ["tls-weak-key-openssl-only"]


def test_ca_true_leaf_passes_with_warning(ca, inter, hosts) -> None:
    """10: a CA:TRUE leaf is accepted by Go; esprobe warns."""
    ca_leaf = inter.issue(dns=[HOST], ca=True)
    with server(ca_leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert stage(report, Stage.TLS).status is Status.WARN
    assert "tls-leaf-is-ca" in codes(report, Stage.TLS)


def test_leaf_without_server_auth(ca, inter, hosts) -> None:
    """11: a leaf whose EKU lists clientAuth only fails 'incompatible key usage'."""
    client_only = inter.issue(dns=[HOST], extended_key_usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    with server(client_only) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-eku-server-auth"]
    assert "x509: certificate specifies an incompatible key usage" in stage(report, Stage.TLS).findings[0].message


def test_leaf_without_any_eku_passes(ca, inter, hosts) -> None:
    """11 twin: no EKU extension at all is unrestricted."""
    no_eku = inter.issue(dns=[HOST], extended_key_usage=None)
    with server(no_eku) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert stage(report, Stage.TLS).status is Status.OK


# --- client certificates -------------------------------------------------------------------------------


def test_client_certificate_accepted(ca, inter, leaf, hosts) -> None:
    """PKI twin: a client certificate the server trusts is sent and accepted; its facts are reported."""
    client = inter.issue("beats01", extended_key_usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    with server(leaf, client_auth="required", client_ca_pem=ca.cert_pem) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, **client_identity(client)), hosts)
    tls = stage(report, Stage.TLS)
    assert tls.status is Status.OK, tls.findings
    assert tls.details["client_certificate"]["subject"] == "CN=beats01,O=esprobe"
    assert tls.details["client_certificate_requested"] is True
    assert tls.details["client_certificate_sent"] is True


def test_client_certificate_without_client_auth(ca, inter, leaf, hosts) -> None:
    """12: a client certificate without clientAuth EKU is refused by the server."""
    wrong = inter.issue("beats01", extended_key_usage=[ExtendedKeyUsageOID.SERVER_AUTH])
    with server(leaf, client_auth="required", client_ca_pem=ca.cert_pem) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, **client_identity(wrong)), hosts)
    found = codes(report, Stage.TLS)
    assert "tls-client-cert-rejected" in found
    assert stage(report, Stage.TLS).status is Status.FAIL


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_client_certificate_required_none_configured(leaf, ca, hosts, version: str) -> None:
    """13: the server requires a certificate and none is configured (TLS 1.3: the alert comes after the handshake)."""
    with server(leaf, client_auth="required", client_ca_pem=ca.cert_pem, max_version=version) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-client-cert-required"]


def test_optional_client_certificate_none_configured_passes(leaf, ca, hosts) -> None:
    """13 twin: client_authentication optional lets a client without certificate through."""
    with server(leaf, client_auth="optional", client_ca_pem=ca.cert_pem) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert stage(report, Stage.TLS).status is Status.OK


def test_client_certificate_from_foreign_ca_is_withheld_like_go(leaf, ca, hosts) -> None:
    """14: the server lists its client CAs; Go sends no certificate from another CA, so the server refuses."""
    foreign = pki.CertAuthority.root("Foreign CA").issue("beats01")
    with server(leaf, client_auth="required", client_ca_pem=ca.cert_pem) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, **client_identity(foreign)), hosts)
    assert "tls-client-cert-not-sent" in codes(report, Stage.TLS)
    assert stage(report, Stage.TLS).status is Status.FAIL
    assert "CN=Test Root CA" in stage(report, Stage.TLS).findings[0].message


def test_client_certificate_from_foreign_ca_optional_is_a_warning(leaf, ca, hosts) -> None:
    """14 (optional): the server lets the Beat in without the withheld certificate: a warning (no PKI)."""
    foreign = pki.CertAuthority.root("Foreign CA").issue("beats01")
    with server(leaf, client_auth="optional", client_ca_pem=ca.cert_pem) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, **client_identity(foreign)), hosts)
    tls = stage(report, Stage.TLS)
    assert tls.status is Status.WARN
    assert codes(report, Stage.TLS) == ["tls-client-cert-not-sent"]
    assert tls.details["client_certificate_sent"] is False


def test_client_certificate_from_foreign_ca_empty_list_is_sent_and_rejected(leaf, ca, hosts) -> None:
    """14 (empty CA list): Go sends the certificate; the server refuses it."""
    foreign = pki.CertAuthority.root("Foreign CA").issue("beats01")
    with server(leaf, client_auth="required", client_ca_pem=ca.cert_pem, send_ca_list=False) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, **client_identity(foreign)), hosts)
    assert codes(report, Stage.TLS) == ["tls-client-cert-rejected"]


@pytest.mark.parametrize("fmt", ["pkcs8", "pkcs1"])
def test_encrypted_client_key(ca, inter, leaf, hosts, fmt: str) -> None:
    """Encrypted keys (PKCS#8 and legacy PKCS#1) load with the right passphrase and fail with a wrong one."""
    client = inter.issue("beats01", key_kind="rsa")
    with server(leaf, client_auth="required", client_ca_pem=ca.cert_pem) as srv:
        good = probe(srv.port, tls_settings(ca.cert_pem, **client_identity(client, "s3cret-phrase", fmt)), hosts)
        identity = client_identity(client, "s3cret-phrase", fmt)
        identity["key_passphrase"] = "wrong-phrase"
        bad = probe(srv.port, tls_settings(ca.cert_pem, **identity), hosts)
    assert stage(good, Stage.TLS).status in (Status.OK, Status.WARN)
    assert "tls-client-identity-invalid" in codes(bad, Stage.TLS)
    assert "s3cret-phrase" not in repr(bad) and "wrong-phrase" not in str(
        [f.message for f in stage(bad, Stage.TLS).findings]
    )


def test_key_not_matching_certificate(ca, inter, leaf, hosts) -> None:
    """Go's 'private key does not match public key' for a swapped key."""
    client, other = inter.issue("beats01"), inter.issue("someone-else")
    identity = client_identity(client)
    identity["key"] = client_identity(other)["key"]
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, **identity), hosts)
    assert codes(report, Stage.TLS) == ["tls-client-identity-invalid"]
    assert "tls: private key does not match public key" in stage(report, Stage.TLS).findings[0].message


# --- versions, suites, odd peers ---------------------------------------------------------------------


def test_no_shared_protocol_version(ca, leaf, hosts) -> None:
    """15: server TLS 1.3 only, Beat limited to TLS 1.2: the finding names the server's version."""
    with server(leaf, min_version="TLSv1.3") as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, supported_protocols=("TLSv1.2",)), hosts)
    assert codes(report, Stage.TLS) == ["tls-protocol-mismatch"]
    assert "settles on TLSv1.3" in stage(report, Stage.TLS).findings[0].message


def test_no_shared_cipher(ca, inter, hosts) -> None:
    """16: both limited to TLS 1.2, no suite in common: the finding names the configured suites."""
    ecdsa = inter.issue(dns=[HOST], key_kind="ec")
    with server(ecdsa, max_version="TLSv1.2", ciphers="ECDHE-ECDSA-AES256-GCM-SHA384") as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, cipher_suites=("ECDHE-ECDSA-AES-128-GCM-SHA256",)), hosts)
        twin = probe(srv.port, tls_settings(ca.cert_pem, cipher_suites=("ECDHE-ECDSA-AES-256-GCM-SHA384",)), hosts)
    assert codes(report, Stage.TLS) == ["tls-no-shared-cipher"]
    assert stage(twin, Stage.TLS).status is Status.OK
    assert stage(twin, Stage.TLS).details["cipher"] in (
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
    )


def _plain_http(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_https_against_plain_http_port(ca, hosts) -> None:
    """18: a plain HTTP server answering the ClientHello: tls-plaintext-peer with what it said."""
    with serve(_plain_http) as (_, port):
        report = probe(port, tls_settings(ca.cert_pem), hosts)
    assert codes(report, Stage.TLS) == ["tls-plaintext-peer"]
    assert "HTTP/1.1 400 Bad Request" in stage(report, Stage.TLS).findings[0].message


def test_silent_server_times_out(ca, hosts) -> None:
    """A server that accepts and never speaks: tls-handshake-timeout within the timeout."""
    with serve(never_speaks) as (_, port):
        started = time.monotonic()
        report = probe(port, tls_settings(ca.cert_pem), hosts, timeout=0.7)
        elapsed = time.monotonic() - started
    assert codes(report, Stage.TLS) == ["tls-handshake-timeout"]
    assert elapsed < 0.7 * 2 + 0.5


def test_name_constraints_violation(hosts) -> None:
    """19: an intermediate constrained to example.com cannot vouch for www.other.com."""
    root = pki.CertAuthority.root("NC Root")
    constrained = root.intermediate("NC Intermediate", name_constraints=x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None))
    bad = constrained.issue(dns=["www.other.com"])
    with server(bad) as srv:
        report = probe(srv.port, tls_settings(root.cert_pem), hosts, host="www.other.com")
    assert codes(report, Stage.TLS) == ["tls-name-constraints"]


# --- trust: fingerprints, the OS store, unreadable CA files -------------------------------------------


def test_ca_trusted_fingerprint_matches_a_sent_ca(ca, leaf, hosts) -> None:
    """The fingerprint of a CA the server sends makes it the trust anchor (no certificate_authorities)."""
    ca_issued = ca.issued
    with LoopbackServer(_ok, tls=TlsConfig(cert_chain_pem=leaf.fullchain_pem, key_pem=leaf.key_pem())) as srv:
        good = probe(srv.port, tls_settings(ca_trusted_fingerprint=ca_issued.sha256_hex), hosts,
                     environ={"SSL_CERT_FILE": "/nonexistent", "SSL_CERT_DIR": "/nonexistent"})
        colons = ":".join(ca_issued.sha256_hex.upper()[i:i + 2] for i in range(0, 64, 2))
        bad = probe(srv.port, tls_settings(ca_trusted_fingerprint=colons), hosts,
                    environ={"SSL_CERT_FILE": "/nonexistent", "SSL_CERT_DIR": "/nonexistent"})
    assert stage(good, Stage.TLS).status is Status.OK
    assert stage(good, Stage.TLS).details["trust"] == "fingerprint"
    assert codes(bad, Stage.TLS)[0] == "tls-fingerprint-format"
    assert "encoding/hex: invalid byte: U+003A ':'" in stage(bad, Stage.TLS).findings[0].message


def test_os_trust_store_is_used_and_named(ca, leaf, hosts, tmp_path: Path) -> None:
    """Without certificate_authorities the OS store (here SSL_CERT_FILE) is used, and its path reported."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca.cert_pem)
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(), hosts,
                       environ={"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(tmp_path / "none")})
    tls = stage(report, Stage.TLS)
    assert tls.status is Status.OK
    assert tls.details["trust"] == "os-store"
    assert tls.details["trust_store_path"] == str(bundle)


def test_empty_os_trust_store_mentions_certifi(leaf, hosts, tmp_path: Path) -> None:
    """No CA configured and no OS store: the failure says so and points at certifi's bundle."""
    with server(leaf) as srv:
        report = probe(srv.port, tls_settings(), hosts,
                       environ={"SSL_CERT_FILE": str(tmp_path / "none.pem"), "SSL_CERT_DIR": str(tmp_path / "none")})
    assert stage(report, Stage.TLS).status is Status.FAIL
    assert any("certifi" in f.message for f in stage(report, Stage.TLS).findings)


def test_unreadable_ca_file_fails_the_stage(leaf, hosts) -> None:
    """A CA path that does not exist fails the stage with the Beat's wording and the setting."""
    missing = PemSource("output.elasticsearch.ssl.certificate_authorities.0", "/nonexistent/ca.crt", None,
                        "open /nonexistent/ca.crt: no such file or directory")
    with server(leaf) as srv:
        report = probe(
            srv.port, TlsSettings(prefix="output.elasticsearch.ssl", certificate_authorities=(missing,)), hosts
        )
    problems = stage(report, Stage.TLS).findings
    assert problems[0].code == "tls-ca-unreadable"
    assert problems[0].setting == "output.elasticsearch.ssl.certificate_authorities.0"


def test_verification_none_warns_and_says_what_full_would_find(ca, inter, hosts) -> None:
    """verification_mode none accepts an expired certificate, with a warning that names the problem."""
    expired = inter.issue(dns=[HOST], not_before=pki.utcnow() - 60 * DAY, not_after=pki.utcnow() - 30 * DAY)
    with server(expired) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem, verification_mode="none"), hosts)
    tls = stage(report, Stage.TLS)
    assert tls.status is Status.WARN
    assert codes(report, Stage.TLS) == ["tls-verification-disabled"]
    assert tls.details["trust"] == "none"


# --- expiry thresholds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "status", "code"), [(20, Status.WARN, "tls-cert-expires-soon"),
                                                      (3, Status.FAIL, "tls-cert-expires-critical"),
                                                      (90, Status.OK, None)])
def test_expiry_thresholds(ca, inter, hosts, days: int, status: Status, code: Optional[str]) -> None:
    """--warn-days / --crit-days apply to every certificate of the chain."""
    soon = inter.issue(dns=[HOST], not_after=pki.utcnow() + days * DAY + dt.timedelta(hours=1))
    with server(soon) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts, warn_days=30, crit_days=7)
    assert stage(report, Stage.TLS).status is status
    assert codes(report, Stage.TLS) == ([code] if code else [])


def test_old_protocol_warns(ca, inter, hosts) -> None:
    """A server stuck on TLS 1.1 passes for an 8.x Beat, with the warning that 9.x refuses it."""
    rsa = inter.issue(dns=[HOST], key_kind="rsa")
    with server(rsa, max_version="TLSv1.1", seclevel=0) as srv:
        report = probe(srv.port, tls_settings(ca.cert_pem), hosts)
    assert stage(report, Stage.TLS).details["protocol"] == "TLSv1.1"
    assert codes(report, Stage.TLS) == ["tls-old-protocol"]


# --- the client certificate goes only to a server the Beat accepts (Go verifies first) ----------


class _CertRecordingServer:
    """A TLS server that asks for a client certificate and records whether it got one."""

    def __init__(self, issued: pki.Issued) -> None:
        from OpenSSL import SSL, crypto

        self.received: List[Optional[str]] = []
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.use_certificate(crypto.X509.from_cryptography(issued.cert))
        for extra in issued.chain:
            if extra.subject != extra.issuer:
                ctx.add_extra_chain_cert(crypto.X509.from_cryptography(extra))
        ctx.use_privatekey(crypto.load_privatekey(crypto.FILETYPE_PEM, issued.key_pem("pkcs8")))
        ctx.set_verify(SSL.VERIFY_PEER, lambda *args: True)  # take any certificate: the point is to see it
        self._ctx = ctx
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self._sock.settimeout(0.05)  # the accept loop looks at the stop flag this often
        self.port = self._sock.getsockname()[1]
        self._stop = False

    def __enter__(self) -> "_CertRecordingServer":
        import threading

        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        from OpenSSL import SSL

        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)  # blocking: pyOpenSSL turns a socket timeout into WantReadError
            tls = SSL.Connection(self._ctx, conn)
            tls.set_accept_state()
            try:
                tls.do_handshake()
                tls.recv(1)  # TLS 1.3: the client's certificate arrives with its Finished
            except (SSL.Error, OSError):
                pass  # the client ended the handshake, or closed after it
            peer = tls.get_peer_certificate(as_cryptography=True)
            self.received.append(peer.subject.rfc4514_string() if peer is not None else None)
            conn.close()


@pytest.mark.parametrize("mode,configured,host,sent", [
    ("full", "stranger", HOST, False),  # unknown authority: Go never reaches its certificate
    ("full", "ca", "other.test", False),  # the name fails Beats' own check inside the handshake
    ("strict", "stranger", HOST, False),
    ("certificate", "stranger", HOST, False),
    ("full", "ca", HOST, True),  # twin: a server the Beat accepts gets the certificate
    ("certificate", "ca", "other.test", True),  # no name check in certificate mode
    ("none", "stranger", HOST, True),  # nothing checked: Go sends it
])
def test_client_certificate_is_sent_only_to_a_server_the_beat_accepts(ca, inter, leaf, hosts, mode, configured,
                                                                     host, sent) -> None:
    client = inter.issue("beats-pki", extended_key_usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    stranger = pki.CertAuthority.root("Stranger CA", key_kind="ec")
    trusted = ca.cert_pem if configured == "ca" else stranger.cert_pem
    with _CertRecordingServer(leaf) as srv:
        report = probe(srv.port, tls_settings(trusted, verification_mode=mode, **client_identity(client)), hosts,
                       host=host)
        deadline = time.monotonic() + 3
        while not srv.received and time.monotonic() < deadline:
            time.sleep(0.02)
    assert srv.received, "the server saw no connection"
    assert (srv.received[0] is not None) is sent, srv.received
    tls = stage(report, Stage.TLS)
    assert tls.details["client_certificate_sent"] is sent
    if not sent and host == HOST:
        assert tls.status is Status.FAIL
        assert not [f for f in tls.findings if f.code.startswith("tls-handshake")], tls.findings
    if not sent and host != HOST:  # the chain is fine, the name is not: the hostname stage tells
        assert "no client certificate was sent" in tls.summary
        assert stage(report, Stage.HOSTNAME).status is Status.FAIL
