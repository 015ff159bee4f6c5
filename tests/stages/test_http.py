"""The http stage end to end: the real pipeline against the stand-ins and odd loopback peers."""

from __future__ import annotations

import dataclasses
import http.client
import socket
import struct
from typing import Any, Iterator, List

import pytest

from esprobe.demo.standins.server import LoopbackServer, Request, Response
from esprobe.model import Role, Stage, Status
from tests.support.peers import never_speaks, serve
from tests.support.standins import ELASTIC_PW, WRITER_PW, basic, codes, probe, stage, target


@pytest.fixture
def servers() -> Iterator[List[LoopbackServer]]:
    started: List[LoopbackServer] = []
    yield started
    for server in started:
        server.stop()


def _serve(servers: List[LoopbackServer], handler: Any, tls: Any = None) -> LoopbackServer:
    server = LoopbackServer(handler, tls=tls)
    server.start()
    servers.append(server)
    return server


@pytest.mark.parametrize(
    ("flavour", "prefix", "old_note"),
    [("7.17", "7.17.", True), ("8.14", "8.14.", False), ("8.x", "8.15.", False), ("9.x", "9.", False)],
)
def test_elasticsearch_identified_per_flavour(make_es, certs, ctx, flavour: str, prefix: str, old_note: bool) -> None:
    """GET / over verified TLS names the product, version and cluster; a 7.x cluster gets the version note."""
    es = make_es(flavour, cluster_name="prod")
    report = probe(target(es, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    http = stage(report, Stage.HTTP)
    assert Status.OK == http.status, http.findings
    assert ("elasticsearch", 200, "prod") == (http.details["product"], http.details["status_code"],
                                             http.details["cluster_name"])
    assert http.details["version"].startswith(prefix)
    assert old_note == ("allow_older_versions" in http.summary)
    assert Status.OK == report.status


def test_one_connection_for_the_whole_target(make_es, certs, ctx) -> None:
    """http, auth and privileges share the verified connection: one handshake, three requests."""
    es = make_es()
    probe(target(es, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    assert [("GET", "/"), ("GET", "/_security/_authenticate"), ("POST", "/_security/user/_has_privileges")] == [
        (r.method, r.path) for r in es.requests]
    assert 1 == len({r.connection_id for r in es.requests})
    assert 1 == es.stats.handshakes


def test_beat_headers_reach_elasticsearch(make_es, certs, ctx) -> None:
    """The stand-in sees the Beat's headers (and the basic credentials) on the ping."""
    es = make_es()
    probe(target(es, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    first = es.requests[0]
    assert ("basic", "writer") == (first.auth_scheme, first.principal)
    assert {"accept", "user-agent", "x-elastic-product-origin", "authorization"} <= set(first.header_names)


def test_opensearch_is_named_and_fails(make_es, certs, ctx) -> None:
    es = make_es("opensearch")
    http = stage(probe(target(es, certs=certs, credentials=basic("elastic", ELASTIC_PW)), ctx()), Stage.HTTP)
    assert (Status.FAIL, ["http-opensearch"], "opensearch") == (http.status, codes(http), http.details["product"])
    assert "OpenSearch 2.11.1" in http.findings[0].message


def test_401_on_ping_is_not_the_http_stage_failure(make_es, certs, ctx) -> None:
    """No credentials: GET / answers 401, the http stage identifies Elasticsearch, auth fails."""
    es = make_es()
    report = probe(target(es, certs=certs), ctx())
    http, auth = stage(report, Stage.HTTP), stage(report, Stage.AUTH)
    assert (Status.OK, 401, "elasticsearch") == (http.status, http.details["status_code"], http.details["product"])
    assert ["auth-no-credentials"] == codes(auth)
    assert "missing authentication credentials for REST request [/_security/_authenticate]" in auth.findings[0].message


def test_http_to_the_tls_port_says_use_https(make_es, certs, ctx) -> None:
    """http:// against Elasticsearch's TLS port: the server closes without a word; the finding says https."""
    es = make_es()
    report = probe(target(es, certs=certs, scheme="http", credentials=basic("writer", WRITER_PW)), ctx())
    http = stage(report, Stage.HTTP)
    assert Status.FAIL == http.status
    assert ["http-credentials-cleartext", "http-plaintext-to-tls"] == codes(http)
    assert "https://" in http.findings[1].hint
    assert es.stats.plaintext_rejected >= 1
    assert Status.SKIPPED == stage(report, Stage.AUTH).status


def test_credentials_over_plain_http_warn(make_es, ctx) -> None:
    es = make_es(tls=None)
    report = probe(target(es, credentials=basic("writer", WRITER_PW)), ctx())
    http = stage(report, Stage.HTTP)
    assert (Status.WARN, ["http-credentials-cleartext"]) == (http.status, codes(http))
    assert Status.OK == stage(report, Stage.AUTH).status


def test_redirect_to_another_host_is_not_followed(make_es, certs, ctx, servers) -> None:
    """A 302 to another host: reported, not followed; the other host never sees a request (or a credential)."""
    other = make_es()
    seen: List[Request] = []

    def redirect(request: Request) -> Response:
        seen.append(request)
        return Response(302, (("Location", f"https://other.test:{other.port}/"),))

    redirector = _serve(servers, redirect, certs.tls())
    report = probe(target(redirector, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    http = stage(report, Stage.HTTP)
    assert (Status.FAIL, ["http-redirect-other-host"]) == (http.status, codes(http))
    assert f"https://other.test:{other.port}/" in http.findings[0].message
    assert () == other.requests and 0 == other.stats.connections
    assert 1 == len(seen) and seen[0].header("Authorization") is not None  # only the configured host got it
    assert Status.SKIPPED == stage(report, Stage.AUTH).status


def test_same_origin_redirect_is_followed_once(make_es, certs, ctx, servers) -> None:
    es = make_es()

    def handler(request: Request) -> Response:
        if request.path == "/":
            return Response(302, (("Location", "/es/"),))
        if request.path == "/es/":
            return es.handle(dataclasses.replace(request, path="/", target="/"))
        return es.handle(request)

    front = _serve(servers, handler, certs.tls())
    report = probe(target(front, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    http = stage(report, Stage.HTTP)
    assert (Status.WARN, ["http-redirect"], "elasticsearch") == (http.status, codes(http), http.details["product"])
    assert Status.OK == stage(report, Stage.AUTH).status


def test_nginx_page_is_not_elasticsearch(ctx, servers) -> None:
    page = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>"
    web = _serve(servers, lambda r: Response(200, (("Server", "nginx/1.25.3"), ("Content-Type", "text/html")), page))
    http = stage(probe(target(web), ctx()), Stage.HTTP)
    assert (Status.FAIL, ["http-not-elasticsearch"], "unknown") == (http.status, codes(http), http.details["product"])
    assert "nginx's default page" in http.findings[0].message and "nginx/1.25.3" in http.findings[0].message


@pytest.mark.parametrize(
    ("body", "code"),
    [(b'{"name": "es01", "version": {', "http-invalid-json"), (b"a" * ((1 << 20) + 10), "http-answer-truncated")],
)
def test_broken_bodies_are_findings(ctx, servers, body: bytes, code: str) -> None:
    """Invalid JSON and bodies past the cap become findings, never tracebacks."""
    headers = (("X-elastic-product", "Elasticsearch"), ("Content-Type", "application/json"))
    broken = _serve(servers, lambda r: Response(200, headers, body))
    http = stage(probe(target(broken), ctx()), Stage.HTTP)
    assert (Status.FAIL, [code]) == (http.status, codes(http))


def test_5xx_quotes_what_the_beat_logs(ctx, servers) -> None:
    gateway = _serve(servers, lambda r: Response(502, (("Server", "haproxy"),), b"<html>502 Bad Gateway</html>"))
    http = stage(probe(target(gateway), ctx()), Stage.HTTP)
    assert (Status.FAIL, ["http-unexpected-status"]) == (http.status, codes(http))
    assert "502" in http.findings[0].message and "haproxy" in http.findings[0].message


def test_silent_server_times_out(ctx) -> None:
    with serve(never_speaks) as (host, port):
        http = stage(probe(target(_Port(port)), ctx(timeout=0.5)), Stage.HTTP)
    assert (Status.FAIL, ["http-timeout"]) == (http.status, codes(http))


def _banner(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")
    conn.close()


def _reset(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@pytest.mark.parametrize(("handler", "code"), [(_banner, "http-not-http"), (_reset, "http-no-answer")])
def test_peers_that_do_not_answer_http(ctx, handler: Any, code: str) -> None:
    with serve(handler) as (host, port):
        http = stage(probe(target(_Port(port)), ctx(timeout=1.0)), Stage.HTTP)
    assert (Status.FAIL, [code]) == (http.status, codes(http))


def test_kibana_behind_an_elasticsearch_url(make_es, make_kibana, certs, ctx) -> None:
    """output.elasticsearch.hosts pointing at Kibana: named as Kibana, not Elasticsearch."""
    kibana = make_kibana(make_es())
    http = stage(probe(target(kibana, certs=certs, credentials=basic("writer", WRITER_PW)), ctx()), Stage.HTTP)
    assert "http-not-elasticsearch" in codes(http) and Status.FAIL == http.status
    assert "Kibana" in http.findings[-1].message


def test_elasticsearch_behind_a_kibana_url(make_es, certs, ctx) -> None:
    es = make_es()
    t = target(es, role=Role.KIBANA, host="kibana.test", certs=certs, credentials=basic("writer", WRITER_PW))
    http = stage(probe(t, ctx()), Stage.HTTP)
    assert (Status.FAIL, ["http-not-kibana"]) == (http.status, codes(http))
    assert "Elasticsearch" in http.findings[0].message


class _Port:
    """Just enough of a server for `target`: a port on 127.0.0.1, plain HTTP."""

    tls = None

    def __init__(self, port: int) -> None:
        self.port = port



@pytest.mark.parametrize("tls", [True, False])
def test_server_closing_after_each_answer_is_reconnected(make_es, certs, ctx, servers, tls: bool) -> None:
    """Connection: close after every answer: auth and privileges reconnect (https: same certificate required)."""
    es = make_es(tls=None)

    def closing(request: Request) -> Response:
        answer = es.handle(request)
        return dataclasses.replace(answer, headers=answer.headers + (("Connection", "close"),))

    front = _serve(servers, closing, certs.tls() if tls else None)
    report = probe(target(front, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    assert [Status.OK, Status.OK] == [stage(report, s).status for s in (Stage.AUTH, Stage.PRIVILEGES)]
    assert ([] if tls else ["http-credentials-cleartext"]) == codes(stage(report, Stage.HTTP))
    assert 3 == front.stats.connections == len(es.requests)
    assert (3 if tls else 0) == front.stats.handshakes


def _read_request(reader: Any) -> bytes:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline()
        if not line:
            return b""
        head += line
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head + reader.read(length)


def test_reused_connection_closed_unanswered_is_retried_for_reads(make_es, certs, ctx) -> None:
    """
    A peer that keeps connections alive yet drops each after one answer, having read the next request
    (the race a proxy closing after each answer wins now and then): GET and the _has_privileges query
    are sent again on a new connection, so auth and privileges still get their answers.
    """
    es = make_es(tls=None)

    def one_answer_per_connection(conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        request = _read_request(reader)
        with socket.create_connection(("127.0.0.1", es.port), timeout=5) as upstream:
            upstream.sendall(request)
            answer = http.client.HTTPResponse(upstream)
            answer.begin()
            body = answer.read()
        head = [f"HTTP/1.1 {answer.status} {answer.reason}"]
        head += [f"{k}: {v}" for k, v in answer.getheaders()
                 if k.lower() not in ("connection", "content-length", "transfer-encoding")]
        head.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        _read_request(reader)  # the next request arrives ... and the connection closes unanswered
        conn.close()

    with serve(one_answer_per_connection) as (_, port):
        report = probe(target(_Port(port), credentials=basic("writer", WRITER_PW)), ctx())
    assert [Status.OK, Status.OK] == [stage(report, s).status for s in (Stage.AUTH, Stage.PRIVILEGES)], \
        [stage(report, s).findings for s in (Stage.AUTH, Stage.PRIVILEGES)]


def test_redirect_without_location_fails(ctx, servers) -> None:
    web = _serve(servers, lambda r: Response(302, (("Server", "odd"),)))
    http = stage(probe(target(web), ctx()), Stage.HTTP)
    assert (Status.FAIL, ["http-unexpected-status"], 302) == (http.status, codes(http), http.details["status_code"])
