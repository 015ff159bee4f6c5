"""The loopback HTTPS server: client-certificate modes, CA list, plaintext, keep-alive, shutdown, limits."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from typing import List, Optional, Tuple

import pytest
from OpenSSL import SSL

from esprobe.demo.standins import pki
from esprobe.demo.standins.server import LoopbackServer, Request, Response, TlsConfig
from tests.support.standin_clients import Pki, eventually, openssl_client, session

SEEN: List[Request] = []


def echo(request: Request) -> Response:
    SEEN.append(request)
    peer = request.peer
    return Response.text(
        200,
        f"tls={peer.tls} chain={len(peer.client_chain)} verified={peer.client_verified} body={len(request.body)}",
    )


def stdlib_get(
    certs: Pki,
    port: int,
    cert: Optional[Tuple[str, str]] = None,
    max_version: Optional[ssl.TLSVersion] = None,
) -> str:
    """One GET with the stdlib client; returns the status line + body, or the error text."""
    context = ssl.create_default_context(cafile=str(certs.ca_file))
    if max_version is not None:
        context.maximum_version = max_version
    if cert is not None:
        context.load_cert_chain(*cert)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0].decode() + " " + body.decode()
    except (ssl.SSLError, OSError) as error:
        return f"error: {error}"


TLS13, TLS12 = None, ssl.TLSVersion.TLSv1_2

CLIENT_AUTH_CASES = [
    # mode, which client cert, client max version, expected fragment
    ("none", None, TLS13, "200 OK tls=True chain=0"),
    ("none", "client", TLS13, "200 OK tls=True chain=0"),  # never asked, never sent
    ("optional", None, TLS13, "200 OK tls=True chain=0"),
    ("optional", "client", TLS13, "200 OK tls=True chain=2 verified=True"),
    ("optional", "client", TLS12, "200 OK tls=True chain=2 verified=True"),
    ("optional", "foreign", TLS13, "TLSV1_ALERT_UNKNOWN_CA"),
    ("required", "client", TLS13, "200 OK tls=True chain=2 verified=True"),
    ("required", None, TLS13, "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
    ("required", None, TLS12, "SSLV3_ALERT_HANDSHAKE_FAILURE"),
    ("required", "foreign", TLS13, "TLSV1_ALERT_UNKNOWN_CA"),
    ("required", "foreign", TLS12, "TLSV1_ALERT_UNKNOWN_CA"),
]


@pytest.mark.parametrize(("mode", "which", "max_version", "expected"), CLIENT_AUTH_CASES)
def test_client_auth_modes(
    certs: Pki,
    mode: str,
    which: Optional[str],
    max_version: Optional[ssl.TLSVersion],
    expected: str,
) -> None:
    """
    none/optional/required behave as OpenSSL/JSSE servers do: untrusted certificates fail, missing
    ones only when required.
    """
    cert = {"client": certs.client_files, "foreign": certs.foreign_files, None: None}[which]
    with LoopbackServer(echo, tls=certs.mtls(mode)) as server:
        outcome = stdlib_get(
            certs, server.port, tuple(map(str, cert)) if cert else None, max_version
        )
    assert expected in outcome


def test_required_client_cert_fails_after_client_handshake_on_tls13(certs: Pki) -> None:
    """With TLS 1.3 the client's handshake completes; the certificate_required alert arrives on the first read."""
    context = ssl.create_default_context(cafile=str(certs.ca_file))
    with LoopbackServer(echo, tls=certs.mtls("required")) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                assert "TLSv1.3" == tls.version()  # handshake "succeeded"
                tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
                    tls.recv(100)
        assert eventually(lambda: server.stats.handshake_failures == 1)
        stats = server.stats
    assert (1, 0, 1) == (stats.connections, stats.handshakes, stats.handshake_failures)
    assert any("did not return a certificate" in e for e in server.handshake_errors)


@pytest.mark.parametrize(
    ("mode", "send", "expect_root"),
    [
        ("optional", True, True),
        ("optional", False, False),
        ("required", True, True),
        ("required", False, False),
        ("none", True, False),
    ],
)
def test_acceptable_ca_list_seen_by_client(
    certs: Pki, mode: str, send: bool, expect_root: bool
) -> None:
    """The CertificateRequest names the client CA's subject, or nothing when send_ca_list is off."""
    with LoopbackServer(echo, tls=certs.mtls(mode, send_ca_list=send)) as server:
        # TLS 1.3: the client handshake completes even when "required" will refuse it later.
        conn, raw = openssl_client(server.port)
        names = conn.get_client_ca_list(as_cryptography=True)
        raw.close()
    assert ([certs.ca.cert.subject] if expect_root else []) == names


def test_plaintext_on_tls_port_closed_without_reply(certs: Pki) -> None:
    """Plain HTTP to the HTTPS port gets an empty reply, as from Elasticsearch: not one byte, no reset."""
    with LoopbackServer(echo, tls=certs.tls()) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert b"" == raw.recv(100)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        with pytest.raises(http.client.RemoteDisconnected):
            connection.request("GET", "/")
            connection.getresponse()
        connection.close()
        stats = server.stats
    assert (2, 0, 0) == (stats.plaintext_rejected, stats.handshakes, stats.requests)


def test_keep_alive_reuses_one_connection(certs: Pki) -> None:
    """Two requests through one session travel over one TCP connection and one handshake."""
    with LoopbackServer(echo, tls=certs.tls()) as server, session(certs) as client:
        assert 200 == client.get(server.url + "/a").status_code
        assert 200 == client.get(server.url + "/b").status_code
        stats = server.stats
    assert (1, 1, 2) == (stats.connections, stats.handshakes, stats.requests)


def test_plain_http_mode(certs: Pki) -> None:
    """With tls=None the server speaks plain HTTP on an http:// URL."""
    with LoopbackServer(echo) as server, session(certs) as client:
        assert server.url.startswith("http://127.0.0.1:")
        response = client.post(server.url + "/x", data=b"12345")
    assert "tls=False chain=0 verified=False body=5" == response.text


def test_chunked_request_body_is_read(certs: Pki) -> None:
    """A chunked request body arrives whole."""
    with LoopbackServer(echo, tls=certs.tls()) as server, session(certs) as client:
        response = client.post(server.url + "/", data=iter([b"abc", b"defg"]))
    assert response.text.endswith("body=7")


def test_stop_does_not_hang_on_open_connections(certs: Pki) -> None:
    """Stopping cuts idle keep-alive clients and silent sockets instead of waiting for them."""
    server = LoopbackServer(echo, tls=certs.tls()).start()
    client = session(certs)
    client.get(server.url + "/")  # leaves an idle keep-alive connection
    silent = socket.create_connection(("127.0.0.1", server.port))  # never starts a handshake
    time.sleep(0.05)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.5
    silent.close()
    client.close()


def test_silent_client_is_dropped_after_handshake_timeout(certs: Pki) -> None:
    """A client that never sends a ClientHello is disconnected when the handshake timeout runs out."""
    with LoopbackServer(echo, tls=certs.tls(), handshake_timeout=0.2) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as raw:
            started = time.monotonic()
            assert b"" == raw.recv(10)
            assert time.monotonic() - started < 2


def test_handler_exception_becomes_500_and_server_survives(certs: Pki) -> None:
    """A crashing handler answers 500 and the next request still works."""
    calls = []

    def flaky(request: Request) -> Response:
        calls.append(request.path)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return Response.text(200, "fine")

    with LoopbackServer(flaky, tls=certs.tls()) as server, session(certs) as client:
        assert 500 == client.get(server.url + "/").status_code
        assert "fine" == client.get(server.url + "/").text
        assert ["RuntimeError: boom"] == server.handler_errors


def test_weak_certificate_needs_seclevel_zero() -> None:
    """An RSA-1024 certificate is refused at the default security level and served at @SECLEVEL=0."""
    weak = pki.CertAuthority.root("RSA root", key_kind="rsa").issue(
        "localhost", dns=["localhost"], key_kind="rsa", key_size=1024
    )
    with pytest.raises(ValueError, match="too small"):
        LoopbackServer(echo, tls=TlsConfig.from_issued(weak))
    with LoopbackServer(echo, tls=TlsConfig.from_issued(weak, seclevel=0)) as server:
        context = SSL.Context(SSL.TLS_CLIENT_METHOD)
        context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        conn, raw = openssl_client(server.port, context)
        assert 1024 == conn.get_peer_certificate(as_cryptography=True).public_key().key_size
        raw.close()


def test_version_and_cipher_limits(certs: Pki) -> None:
    """min/max version and the cipher list constrain what is negotiated; a client below the minimum fails."""
    tls12 = certs.tls(max_version="TLSv1.2", ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")
    with LoopbackServer(echo, tls=tls12) as server:
        context = ssl.create_default_context(cafile=str(certs.ca_file))
        with context.wrap_socket(
            socket.create_connection(("127.0.0.1", server.port), timeout=5),
            server_hostname="localhost",
        ) as tls:
            assert ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256") == (tls.version(), tls.cipher()[0])
    with LoopbackServer(
        echo,
        tls=certs.tls(min_version="TLSv1.3", tls13_ciphersuites="TLS_CHACHA20_POLY1305_SHA256"),
    ) as server:
        assert (
            "PROTOCOL_VERSION"
            in stdlib_get(certs, server.port, max_version=ssl.TLSVersion.TLSv1_2).upper()
        )
        assert eventually(lambda: server.stats.handshake_failures == 1)
        context = ssl.create_default_context(cafile=str(certs.ca_file))
        with context.wrap_socket(
            socket.create_connection(("127.0.0.1", server.port), timeout=5),
            server_hostname="localhost",
        ) as tls:
            assert "TLS_CHACHA20_POLY1305_SHA256" == tls.cipher()[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.org"])
def test_only_loopback_addresses_are_bound(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoopbackServer(echo, host=host)


def test_ipv6_loopback(certs: Pki) -> None:
    """The server binds ::1 and the URL brackets the address."""
    try:
        server = LoopbackServer(echo, tls=certs.tls(), host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert server.url.startswith("https://[::1]:")
        with session(certs) as client:
            assert 200 == client.get(server.url + "/").status_code
    finally:
        server.stop()
