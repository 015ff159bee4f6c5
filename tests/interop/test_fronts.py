"""
Issue #17, point 5: the answers of real TLS fronts — nginx, HAProxy, Apache httpd — when they, not
Elasticsearch, refuse the Beat's request, each recognised with its own finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence, Tuple

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from tests.support.cli import WRITER_ROLE
from tests.support.interop_probe import Verdict, es_config, run_esprobe
from tests.support.interop_servers import Servers, free_port, nginx_server_block

pytestmark = pytest.mark.interop

HOST = "front.interop.test"
USER = "beats_writer"
PASSWORD = "Interop-Fronts-Writer-77c1"


@dataclass
class Fronts:
    directory: Path
    ca_file: Path
    hosts_file: Path
    dns: FakeDns
    nginx_to_es: int  # nginx over TLS, proxying to the stand-in Elasticsearch
    nginx_to_nothing: int  # nginx over TLS, proxying to a port nothing listens on
    servers: Servers
    cert: Path
    key: Path

    def probe(self, url: str, extra: Sequence[str] = (), ca: bool = True) -> Verdict:
        config = es_config(url, ca_file=self.ca_file if ca else None, username=USER, password_var="ES_PWD",
                           extra=extra)
        return run_esprobe(self.directory, config, hosts_file=self.hosts_file, nameserver=self.dns.nameserver,
                           environ={"ES_PWD": PASSWORD})


@pytest.fixture(scope="module")
def fronts(workdir: Path, dns_stub: FakeDns, servers: Servers) -> Iterator[Fronts]:
    ca = pki.CertAuthority.root("interop fronts CA")
    cert, key = ca.issue(HOST, dns=[HOST]).write(workdir, "front", chain=True)
    ca_file = workdir / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    hosts_file = workdir / "hosts"
    hosts_file.write_text(f"127.0.0.1 {HOST}\n")
    with FakeElasticsearch() as es:
        es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
        es.add_user(USER, PASSWORD, ["metricbeat_writer"])
        to_es, to_nothing = free_port(), free_port()
        servers.nginx([nginx_server_block(to_es, cert, key, es.port),
                       nginx_server_block(to_nothing, cert, key, free_port())], wait_port=to_nothing)
        yield Fronts(workdir, ca_file, hosts_file, dns_stub, to_es, to_nothing, servers, cert, key)
        servers.stop_all()


def test_through_nginx_everything_passes(fronts: Fronts) -> None:
    """The control: the same front with https:// gets through to Elasticsearch."""
    verdict = fronts.probe(f"https://{HOST}:{fronts.nginx_to_es}")
    assert verdict.code == 0, verdict.explain()


def test_nginx_plain_http_to_its_https_port(fronts: Fronts) -> None:
    verdict = fronts.probe(f"http://{HOST}:{fronts.nginx_to_es}", ca=False)
    assert verdict.code == 2
    assert verdict.status("http") == "fail"
    # the cause first, the clear-text warning it explains after
    assert verdict.codes("http") == ["http-front-plain-http-to-tls", "http-credentials-cleartext"], verdict.explain()
    message = verdict.stage("http")["findings"][0]["message"]
    assert "400 Bad Request 'The plain HTTP request was sent to HTTPS port' (Server: nginx" in message
    assert "the nginx in front of the server speaks TLS" in message


def test_ssl_enabled_with_a_scheme_less_host_says_what_the_beat_sends(fronts: Fronts) -> None:
    """`ssl.enabled: true` and a host without a scheme: the Beat still sends http://, and the finding says so."""
    verdict = fronts.probe(f"{HOST}:{fronts.nginx_to_es}", extra=["ssl.enabled: true"])
    assert verdict.target["url"] == f"http://{HOST}:{fronts.nginx_to_es}"
    assert verdict.codes("http")[0] == "http-front-plain-http-to-tls", verdict.explain()
    message = verdict.stage("http")["findings"][0]["message"]
    assert "The Beat sends plain HTTP" in message and "ssl.enabled included, does not change the scheme" in message
    assert "https://" in verdict.stage("http")["findings"][0]["hint"]


def test_nginx_without_upstream(fronts: Fronts) -> None:
    verdict = fronts.probe(f"https://{HOST}:{fronts.nginx_to_nothing}")
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.status("http")) == ("ok", "fail")
    assert verdict.codes("http") == ["http-front-no-upstream"], verdict.explain()
    assert "502 Bad Gateway" in verdict.messages("http") and "nginx" in verdict.messages("http")
    assert verdict.status("auth") == "skipped"


def test_haproxy_without_a_server(fronts: Fronts) -> None:
    port = free_port()
    fronts.servers.haproxy(port, fronts.cert, fronts.key, free_port())
    verdict = fronts.probe(f"https://{HOST}:{port}")
    assert verdict.codes("http") == ["http-front-no-upstream"], verdict.explain()
    assert "503 Service Unavailable 'No server is available to handle this request'" in verdict.messages("http")
    assert "HAProxy" in verdict.messages("http")
    # HAProxy closes a plain-HTTP connection to its TLS bind without a word: the port speaks TLS, so
    # esprobe still names the cause.
    plain = fronts.probe(f"http://{HOST}:{port}", ca=False)
    assert plain.codes("http")[0] == "http-plaintext-to-tls", plain.explain()


def test_apache_plain_http_and_no_upstream(fronts: Fronts) -> None:
    port = free_port()
    fronts.servers.apache(port, fronts.cert, fronts.key, free_port())
    down = fronts.probe(f"https://{HOST}:{port}")
    assert down.codes("http") == ["http-front-no-upstream"], down.explain()
    assert "503 Service Unavailable" in down.messages("http") and "Apache" in down.messages("http")
    plain = fronts.probe(f"http://{HOST}:{port}", ca=False)
    assert plain.codes("http")[0] == "http-front-plain-http-to-tls", plain.explain()
    assert "speaking plain HTTP to an SSL-enabled server port" in plain.messages("http")


@pytest.fixture(scope="module")
def client_pki(workdir: Path) -> Tuple[Path, Tuple[Path, Path]]:
    """A client CA the fronts require, and a client certificate it issued."""
    client_ca = pki.CertAuthority.root("interop fronts client CA")
    ca_file = workdir / "fronts-client-ca.crt"
    ca_file.write_bytes(client_ca.cert_pem)
    return ca_file, client_ca.issue("beat", extended_key_usage=[pki.CLIENT_AUTH]).write(workdir, "fronts-client")


def _with_client(client: Tuple[Path, Path]) -> Tuple[str, ...]:
    return (f"ssl.certificate: {client[0]}", f"ssl.key: {client[1]}")


def test_haproxy_requiring_a_client_certificate(fronts: Fronts, client_pki: Tuple[Path, Tuple[Path, Path]]) -> None:
    """HAProxy's `verify required`: the handshake refuses a Beat without a certificate; with one it passes."""
    ca_file, client = client_pki
    port = free_port()
    fronts.servers.haproxy(port, fronts.cert, fronts.key, free_port(), f"verify required ca-file {ca_file}")
    without = fronts.probe(f"https://{HOST}:{port}")
    assert (without.status("tls"), without.codes("tls")) == ("fail", ["tls-client-cert-required"]), without.explain()
    with_cert = fronts.probe(f"https://{HOST}:{port}", extra=_with_client(client))
    assert with_cert.status("tls") == "ok", with_cert.explain()
    assert with_cert.codes("http") == ["http-front-no-upstream"]  # through TLS to HAProxy's own 503


def test_apache_requiring_a_client_certificate(fronts: Fronts, client_pki: Tuple[Path, Tuple[Path, Path]]) -> None:
    """Apache's `SSLVerifyClient require`: the same verdicts as for HAProxy."""
    ca_file, client = client_pki
    port = free_port()
    fronts.servers.apache(port, fronts.cert, fronts.key, free_port(),
                          ["SSLVerifyClient require", f"SSLCACertificateFile {ca_file}"])
    without = fronts.probe(f"https://{HOST}:{port}")
    assert (without.status("tls"), without.codes("tls")) == ("fail", ["tls-client-cert-required"]), without.explain()
    with_cert = fronts.probe(f"https://{HOST}:{port}", extra=_with_client(client))
    assert with_cert.status("tls") == "ok", with_cert.explain()
    assert with_cert.codes("http") == ["http-front-no-upstream"], with_cert.explain()
