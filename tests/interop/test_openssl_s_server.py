"""
``openssl s_server -www`` for odd TLS servers: one cipher, a chain without its intermediate, an
expired certificate, protocol versions the Beat does not share. s_server answers HTTP with an HTML
status page, so a server that passes TLS is then (rightly) not Elasticsearch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence, Tuple

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns
from tests.support.interop_probe import Verdict, es_config, run_esprobe
from tests.support.interop_servers import Servers

pytestmark = pytest.mark.interop

HOST = "es.interop.test"
AFTER_TLS = ("hostname", "http", "auth", "privileges")


@dataclass
class Lab:
    directory: Path
    servers: Servers
    ca_file: Path
    hosts_file: Path
    dns: FakeDns
    leaf: Tuple[Path, Path]  # issued by the root, EC key
    rsa_leaf: Tuple[Path, Path]  # issued by the root, RSA key
    intermediate_leaf: Tuple[Path, Path]  # issued by the intermediate
    intermediate_file: Path
    expired: Tuple[Path, Path]

    def probe(self, name: str, cert: Tuple[Path, Path], options: Sequence[str], extra: Sequence[str] = ()) -> Verdict:
        server = self.servers.s_server(name, *cert, options)
        try:
            config = es_config(f"https://{HOST}:{server.port}", ca_file=self.ca_file, extra=extra)
            return run_esprobe(self.directory, config, hosts_file=self.hosts_file, nameserver=self.dns.nameserver)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def lab(workdir: Path, dns_stub: FakeDns, servers: Servers) -> Iterator[Lab]:
    root = pki.CertAuthority.root("interop s_server root")
    intermediate = root.intermediate("interop s_server intermediate")
    ca_file = workdir / "ca.crt"
    ca_file.write_bytes(root.cert_pem)
    intermediate_file = workdir / "intermediate.crt"
    intermediate_file.write_bytes(intermediate.cert_pem)
    now = pki.utcnow()
    expired = root.issue(HOST, dns=[HOST], not_before=now - dt.timedelta(days=90), not_after=now - dt.timedelta(days=2))
    hosts_file = workdir / "hosts"
    hosts_file.write_text(f"127.0.0.1 {HOST}\n")
    yield Lab(
        directory=workdir,
        servers=servers,
        ca_file=ca_file,
        hosts_file=hosts_file,
        dns=dns_stub,
        leaf=root.issue(HOST, dns=[HOST]).write(workdir, "leaf"),
        rsa_leaf=root.issue(HOST, dns=[HOST], key_kind="rsa").write(workdir, "rsa-leaf"),
        # written without its intermediate: s_server sends only what -cert_chain adds
        intermediate_leaf=intermediate.issue(HOST, dns=[HOST]).write(workdir, "intermediate-leaf"),
        intermediate_file=intermediate_file,
        expired=expired.write(workdir, "expired"),
    )


def _tls_passed_and_then_not_elasticsearch(verdict: Verdict) -> None:
    assert verdict.status("tls") in ("ok", "warn"), verdict.explain()
    assert verdict.status("hostname") == "ok"
    assert (verdict.status("http"), verdict.codes("http")) == ("fail", ["http-not-elasticsearch"])


# --- cipher suites ----------------------------------------------------------------------------------


def test_single_cipher_not_in_cipher_suites_is_no_shared_cipher(lab: Lab) -> None:
    """A TLS 1.2 server with one ECDSA CBC suite; cipher_suites allows only AES-128-GCM: tls-no-shared-cipher."""
    verdict = lab.probe("one-cipher", lab.leaf, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA"],
                        ["ssl.cipher_suites: [ECDHE-ECDSA-AES-128-GCM-SHA256]"])
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.codes("tls")) == ("fail", ["tls-no-shared-cipher"]), verdict.explain()
    assert "ECDHE-ECDSA-AES-128-GCM-SHA256" in verdict.messages("tls")
    assert {verdict.status(s) for s in AFTER_TLS} == {"skipped"}


def test_single_cipher_listed_in_cipher_suites_passes_tls(lab: Lab) -> None:
    """The same server, with its suite in cipher_suites (Beats' spelling): the handshake uses it."""
    verdict = lab.probe("one-cipher-allowed", lab.leaf, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA"],
                        ["ssl.cipher_suites: [ECDHE-ECDSA-AES-256-CBC-SHA]"])
    _tls_passed_and_then_not_elasticsearch(verdict)
    assert verdict.stage("tls")["details"]["cipher"] == "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"  # the IANA name Go logs


def test_cipher_suites_do_not_limit_tls13(lab: Lab) -> None:
    """The same single TLS 1.2 suite but TLS 1.3 allowed: Go cannot restrict TLS 1.3 suites, so TLS passes."""
    verdict = lab.probe("one-cipher-tls13", lab.leaf, ["-cipher", "ECDHE-ECDSA-AES256-SHA"],
                        ["ssl.cipher_suites: [ECDHE-ECDSA-AES-128-GCM-SHA256]"])
    _tls_passed_and_then_not_elasticsearch(verdict)
    assert verdict.stage("tls")["details"]["protocol"] == "TLSv1.3"


def test_rsa_key_exchange_only_server_fails_tls(lab: Lab) -> None:
    """A TLS 1.2 server offering only AES128-SHA (RSA key exchange), outside Go's default suites: tls fails."""
    verdict = lab.probe("rsa-kex", lab.rsa_leaf, ["-tls1_2", "-cipher", "AES128-SHA"])
    assert verdict.code == 2
    assert verdict.status("tls") == "fail", verdict.explain()


def test_rsa_key_exchange_only_server_is_no_shared_cipher(lab: Lab) -> None:
    """The Beat's default suites and a server with only an RSA-key-exchange suite share none: said so."""
    verdict = lab.probe("rsa-kex-explained", lab.rsa_leaf, ["-tls1_2", "-cipher", "AES128-SHA"])
    assert verdict.codes("tls") == ["tls-no-shared-cipher"], verdict.explain()


# --- certificate chain ----------------------------------------------------------------------------------


def test_chain_missing_its_intermediate(lab: Lab) -> None:
    """s_server sends only the leaf of an intermediate-issued certificate: tls-missing-intermediate."""
    verdict = lab.probe("no-intermediate", lab.intermediate_leaf, [])
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.codes("tls")) == ("fail", ["tls-missing-intermediate"]), verdict.explain()
    assert "interop s_server intermediate" in verdict.messages("tls")
    assert "x509: certificate signed by unknown authority" in verdict.messages("tls")


def test_chain_with_its_intermediate_passes_tls(lab: Lab) -> None:
    """The same certificate with -cert_chain: the chain verifies against the root."""
    verdict = lab.probe("with-intermediate", lab.intermediate_leaf, ["-cert_chain", str(lab.intermediate_file)])
    _tls_passed_and_then_not_elasticsearch(verdict)
    sent = [c["subject"] for c in verdict.stage("tls")["details"]["chain"]]
    assert len(sent) == 2 and sent[1].startswith("CN=interop s_server intermediate"), sent


def test_expired_certificate(lab: Lab) -> None:
    """A certificate two days past notAfter: tls-cert-expired, with Go's own words."""
    verdict = lab.probe("expired", lab.expired, [])
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.codes("tls")) == ("fail", ["tls-cert-expired"]), verdict.explain()
    assert "x509: certificate has expired or is not yet valid" in verdict.messages("tls")


# --- protocol versions -------------------------------------------------------------------------------------


def test_tls13_only_server_and_tls12_beat_share_no_version(lab: Lab) -> None:
    """s_server -tls1_3 against supported_protocols [TLSv1.1, TLSv1.2]: tls-protocol-mismatch."""
    verdict = lab.probe("tls13-only", lab.leaf, ["-tls1_3"], ["ssl.supported_protocols: [TLSv1.1, TLSv1.2]"])
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.codes("tls")) == ("fail", ["tls-protocol-mismatch"]), verdict.explain()
    assert "remote error: tls: protocol version not supported" in verdict.messages("tls")


def test_tls10_only_server_and_default_beat_share_no_version(lab: Lab) -> None:
    """s_server speaking only TLS 1.0 against the Beat's defaults (TLSv1.1-1.3): tls-protocol-mismatch."""
    verdict = lab.probe("tls10-only", lab.leaf, ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"])
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.codes("tls")) == ("fail", ["tls-protocol-mismatch"]), verdict.explain()


def test_tls10_only_server_quotes_what_the_beat_logs(lab: Lab) -> None:
    """The mismatch message quotes the line the Beat logs, so operators can match it to their logs."""
    verdict = lab.probe("tls10-only-words", lab.leaf, ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"])
    assert "tls: server selected unsupported protocol version 301" in verdict.messages("tls"), verdict.explain()
