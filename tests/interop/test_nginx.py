"""
nginx as a TLS front for Elasticsearch, the way many sites publish Elasticsearch or Kibana: one
nginx with several HTTPS servers, each proxying to the stand-in Elasticsearch over plain http.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional, Sequence, Tuple

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from tests.support.cli import WRITER_ROLE
from tests.support.interop_probe import Verdict, es_config, run_esprobe
from tests.support.interop_servers import ServerProcess, Servers, free_port, nginx_server_block

pytestmark = pytest.mark.interop

HOST = "es.interop.test"
USER = "beats_writer"
PASSWORD = "Interop-Nginx-Writer-4e1f"
REALM = "Elastic behind nginx"

# name -> the nginx directives of that HTTPS server (besides certificate and proxy_pass)
FRONTS: Dict[str, Tuple[str, ...]] = {
    "tls12": ("ssl_protocols TLSv1.2;",),
    "tls13": ("ssl_protocols TLSv1.3;",),
    "verify-on": ("ssl_verify_client on;", "ssl_client_certificate {client_ca};"),
    "verify-optional": ("ssl_verify_client optional;", "ssl_client_certificate {client_ca};"),
    "basic-auth": (f'auth_basic "{REALM}";', "auth_basic_user_file {htpasswd};"),
}


@dataclass
class Front:
    directory: Path
    ports: Dict[str, int]
    ca_file: Path
    client: Tuple[Path, Path]
    foreign_client: Tuple[Path, Path]
    hosts_file: Path
    dns: FakeDns
    nginx: ServerProcess

    def probe(self, front: str, extra: Sequence[str] = (), password: str = PASSWORD) -> Verdict:
        config = es_config(f"https://{HOST}:{self.ports[front]}", ca_file=self.ca_file, username=USER,
                           password_var="ES_PWD", extra=extra)
        return run_esprobe(self.directory, config, hosts_file=self.hosts_file, nameserver=self.dns.nameserver,
                           environ={"ES_PWD": password})

    def client_cert(self, which: Optional[str]) -> Tuple[str, ...]:
        if which is None:
            return ()
        cert, key = self.client if which == "trusted" else self.foreign_client
        return (f"ssl.certificate: {cert}", f"ssl.key: {key}")


def _ssha(password: str) -> str:
    """An htpasswd entry value in nginx's {SSHA} scheme (salted SHA-1, base64)."""
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


@pytest.fixture(scope="module")
def front(workdir: Path, dns_stub: FakeDns, servers: Servers) -> Iterator[Front]:
    ca = pki.CertAuthority.root("interop nginx CA")
    server_cert, server_key = ca.issue(HOST, dns=[HOST]).write(workdir, "server", chain=True)
    ca_file = workdir / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    client_ca = pki.CertAuthority.root("interop client CA")
    client_ca_file = workdir / "client-ca.crt"
    client_ca_file.write_bytes(client_ca.cert_pem)
    client = client_ca.issue("beat", extended_key_usage=[pki.CLIENT_AUTH]).write(workdir, "client")
    foreign = pki.CertAuthority.root("foreign CA").issue("beat", extended_key_usage=[pki.CLIENT_AUTH])
    foreign_client = foreign.write(workdir, "foreign-client")
    htpasswd = workdir / "htpasswd"
    htpasswd.write_text(f"{USER}:{_ssha(PASSWORD)}\n")
    hosts_file = workdir / "hosts"
    hosts_file.write_text(f"127.0.0.1 {HOST}\n")

    with FakeElasticsearch() as es:  # plain http behind nginx
        es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
        es.add_user(USER, PASSWORD, ["metricbeat_writer"])
        ports = {name: free_port() for name in FRONTS}
        blocks = [
            nginx_server_block(ports[name], server_cert, server_key, es.port,
                               [d.format(client_ca=client_ca_file, htpasswd=htpasswd) for d in directives])
            for name, directives in FRONTS.items()
        ]
        nginx = servers.nginx(blocks, wait_port=ports["basic-auth"])
        yield Front(workdir, ports, ca_file, client, foreign_client, hosts_file, dns_stub, nginx)
        servers.stop_all()  # before the Elasticsearch behind it goes


# --- protocol versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "protocol"), [("tls12", "TLSv1.2"), ("tls13", "TLSv1.3")])
def test_single_version_front_passes_every_stage_with_default_protocols(front: Front, name: str, protocol: str) -> None:
    """The Beat's default supported_protocols (TLSv1.1-1.3) reach a 1.2-only and a 1.3-only nginx, and
    the http, auth and privileges stages run through nginx to Elasticsearch."""
    verdict = front.probe(name)
    assert verdict.code == 0, verdict.explain()
    assert set(verdict.statuses.values()) == {"ok"}, verdict.explain()
    assert verdict.stage("tls")["details"]["protocol"] == protocol
    assert verdict.stage("http")["details"]["product"] == "elasticsearch"
    assert verdict.stage("auth")["details"]["method"] == "basic"


@pytest.mark.parametrize(("name", "protocols"), [("tls12", "[TLSv1.3]"), ("tls13", "[TLSv1.1, TLSv1.2]")])
def test_restricted_protocols_against_single_version_front_mismatch(front: Front, name: str, protocols: str) -> None:
    """supported_protocols that exclude nginx's only version: tls-protocol-mismatch, nothing after tls runs."""
    verdict = front.probe(name, [f"ssl.supported_protocols: {protocols}"])
    assert verdict.code == 2
    assert (verdict.status("tls"), verdict.codes("tls")) == ("fail", ["tls-protocol-mismatch"]), verdict.explain()
    assert {verdict.status(s) for s in ("hostname", "http", "auth", "privileges")} == {"skipped"}


# --- client certificates -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["verify-on", "verify-optional"])
def test_client_certificate_from_the_client_ca_passes(front: Front, name: str) -> None:
    """A client certificate issued by the CA nginx names in ssl_client_certificate is sent and accepted."""
    verdict = front.probe(name, front.client_cert("trusted"))
    assert verdict.code == 0, verdict.explain()
    assert set(verdict.statuses.values()) == {"ok"}


def test_verify_optional_without_client_certificate_passes(front: Front) -> None:
    """ssl_verify_client optional: no client certificate is fine, password authentication does the rest."""
    verdict = front.probe("verify-optional")
    assert verdict.code == 0, verdict.explain()
    assert set(verdict.statuses.values()) == {"ok"}


def test_verify_optional_with_foreign_certificate_warns_it_is_not_sent(front: Front) -> None:
    """A certificate from a CA nginx does not list is silently withheld by Go: a warning, the rest passes."""
    verdict = front.probe("verify-optional", front.client_cert("foreign"))
    assert verdict.code == 1, verdict.explain()
    assert (verdict.status("tls"), verdict.codes("tls")) == ("warn", ["tls-client-cert-not-sent"])
    assert {verdict.status(s) for s in ("hostname", "http", "auth", "privileges")} == {"ok"}


def test_verify_on_without_client_certificate_fails_at_http(front: Front) -> None:
    """nginx completes the handshake without a client certificate and answers 400 'No required SSL
    certificate was sent': the run fails at the http stage and quotes nginx's words."""
    verdict = front.probe("verify-on")
    assert verdict.code == 2
    assert verdict.status("tls") == "ok"
    assert verdict.status("http") == "fail", verdict.explain()
    assert "No required SSL certificate was sent" in verdict.messages("http")


def test_verify_on_without_client_certificate_says_a_client_certificate_is_required(front: Front) -> None:
    """The 400 of nginx's ssl_verify_client on is explained as the missing client certificate it is."""
    verdict = front.probe("verify-on")
    assert verdict.status("http") == "fail"
    assert "tls-client-cert-required" in verdict.all_codes, verdict.explain()


def test_verify_on_with_foreign_certificate_says_it_is_not_sent(front: Front) -> None:
    """A certificate from a CA nginx does not list is withheld by Go, so nginx sees none and answers 400:
    the tls stage says why (tls-client-cert-not-sent), the http stage fails with nginx's words."""
    verdict = front.probe("verify-on", front.client_cert("foreign"))
    assert verdict.code == 2
    assert verdict.codes("tls") == ["tls-client-cert-not-sent"], verdict.explain()
    assert "interop client CA" in verdict.messages("tls")
    assert verdict.status("http") == "fail"
    assert "No required SSL certificate was sent" in verdict.messages("http")


# --- auth_basic in front of Elasticsearch ---------------------------------------------------------------


def _nginx_answer_without_credentials(front: Front) -> http.client.HTTPResponse:
    context = ssl.create_default_context(cafile=str(front.ca_file))
    context.check_hostname = False
    connection = http.client.HTTPSConnection("127.0.0.1", front.ports["basic-auth"], context=context, timeout=3)
    connection.request("GET", "/", headers={"Host": HOST})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_auth_basic_front_answers_401_with_its_realm(front: Front) -> None:
    """The setup itself: nginx, not Elasticsearch, answers 401 with WWW-Authenticate naming its realm."""
    response = _nginx_answer_without_credentials(front)
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == f'Basic realm="{REALM}"'
    assert response.getheader("X-elastic-product") is None


def test_auth_basic_front_passes_the_same_credentials_through(front: Front) -> None:
    """nginx accepts the Beat's user and password and forwards them; Elasticsearch accepts them too."""
    verdict = front.probe("basic-auth")
    assert verdict.code == 0, verdict.explain()
    assert set(verdict.statuses.values()) == {"ok"}


def test_auth_basic_front_with_wrong_password(front: Front) -> None:
    """nginx's own 401: the http stage warns that the server is not identified, the auth stage fails."""
    verdict = front.probe("basic-auth", password="not-the-password")
    assert verdict.code == 2
    assert (verdict.status("http"), verdict.codes("http")) == ("warn", ["http-unidentified"]), verdict.explain()
    assert verdict.stage("http")["details"]["status_code"] == 401
    assert (verdict.status("auth"), verdict.codes("auth")) == ("fail", ["auth-rejected"])
    assert verdict.status("privileges") == "skipped"
    assert "not-the-password" not in verdict.out + verdict.err


def test_auth_basic_front_rejection_is_attributed_to_the_front(front: Front) -> None:
    """The auth stage names the realm of the proxy's Basic challenge instead of blaming Elasticsearch."""
    verdict = front.probe("basic-auth", password="not-the-password")
    auth = verdict.stage("auth")
    text = auth["summary"] + " " + verdict.messages("auth")
    assert "Elasticsearch rejected" not in text
    assert REALM in text


# --- proxy_pass to Elasticsearch --------------------------------------------------------------------------


def test_wrong_password_through_nginx_is_elasticsearch_s_verdict(front: Front) -> None:
    """Elasticsearch's 401 passes through nginx unchanged: identified as Elasticsearch, auth-wrong-password."""
    verdict = front.probe("tls12", password="not-the-password")
    assert verdict.code == 2
    assert verdict.status("http") == "ok", verdict.explain()
    assert verdict.stage("http")["details"]["product"] == "elasticsearch"
    assert (verdict.status("auth"), verdict.codes("auth")) == ("fail", ["auth-wrong-password"])
    assert verdict.status("privileges") == "skipped"
