"""
A threaded loopback HTTP/HTTPS server for the stand-in Elasticsearch and Kibana.

TLS is served with pyOpenSSL rather than the stdlib ``ssl`` module because the stand-ins must
control what the stdlib cannot: the acceptable client-CA list sent in CertificateRequest (or an
empty one), ``@SECLEVEL=0`` for deliberately weak test certificates, exact protocol and cipher
limits, and the client-certificate chain seen by the handler. Every accepted connection gets
its own thread; HTTP/1.1 keep-alive works (esprobe counts round trips); a plaintext request on
the TLS port is closed without a reply, as Elasticsearch does.

The application side is a plain function ``Request -> Response``, so the stand-ins can also be
called in-process (Kibana asks its Elasticsearch that way).
"""

from __future__ import annotations

import errno
import io
import ipaddress
import json
import select
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL, crypto

CLIENT_AUTH_MODES = ("none", "optional", "required")

TLS_VERSIONS: Mapping[str, int] = {
    "TLSv1": SSL.TLS1_VERSION,
    "TLSv1.0": SSL.TLS1_VERSION,
    "TLSv1.1": SSL.TLS1_1_VERSION,
    "TLSv1.2": SSL.TLS1_2_VERSION,
    "TLSv1.3": SSL.TLS1_3_VERSION,
}

_TLS_HANDSHAKE_RECORD = 0x16
_MAX_BODY = 1 << 20


@dataclass(frozen=True)
class TlsConfig:
    """
    How the server speaks TLS.

    Attributes:
        cert_chain_pem: the server certificate followed by the intermediates it sends.
        key_pem: its private key (PEM, unencrypted unless *key_passphrase*).
        client_auth: ``none`` (no CertificateRequest), ``optional`` (ask; a missing
            certificate is fine, an untrusted one fails the handshake) or ``required``.
        client_ca_pem: CA certificates that client certificates must chain to.
        send_ca_list: announce the subjects of *client_ca_pem* as acceptable CAs in the
            CertificateRequest; False sends an empty list (which makes clients such as Go's
            offer any certificate they have).
        min_version / max_version: ``TLSv1`` ... ``TLSv1.3``; None leaves OpenSSL's default.
        ciphers: an OpenSSL cipher string for TLS ≤ 1.2; None keeps ``DEFAULT``.
        tls13_ciphersuites: e.g. ``TLS_AES_128_GCM_SHA256``; None keeps the default suites.
        seclevel: OpenSSL security level; 0 lets SHA-1 signed certificates, RSA-1024 keys and
            TLS 1.0/1.1 through. None keeps the library default.
    """

    cert_chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    client_auth: str = "none"
    client_ca_pem: Optional[bytes] = field(default=None, repr=False)
    send_ca_list: bool = True
    min_version: Optional[str] = None
    max_version: Optional[str] = None
    ciphers: Optional[str] = None
    tls13_ciphersuites: Optional[str] = None
    seclevel: Optional[int] = None
    key_passphrase: Optional[bytes] = field(default=None, repr=False)

    @classmethod
    def from_issued(cls, issued: Any, **options: Any) -> TlsConfig:
        """Build from a ``pki.Issued`` (its certificate, intermediates and key)."""
        return cls(cert_chain_pem=issued.chain_pem, key_pem=issued.key_pem(), **options)


@dataclass(frozen=True)
class PeerInfo:
    """
    What the server knows about the client of a request.

    Attributes:
        client_chain: the certificates the client sent, leaf first; empty when it sent none
            (or TLS is off).
        client_verified: the client chain was verified against ``client_ca_pem`` during the
            handshake (always False when no chain was sent).
        tls_version / cipher / server_name: None for plain HTTP; server_name is the SNI.
    """

    client_address: Tuple[str, int]
    connection_id: int
    tls: bool = False
    tls_version: Optional[str] = None
    cipher: Optional[str] = None
    server_name: Optional[str] = None
    client_chain: Tuple[x509.Certificate, ...] = ()
    client_verified: bool = False


@dataclass(frozen=True)
class Request:
    """
    One parsed HTTP request.

    Attributes:
        target: the request target exactly as sent (path plus query string); Elasticsearch
            quotes this in its error reasons.
        path: the percent-decoded path without the query.
        query: query parameters (last value wins; ``?pretty`` gives ``""``).
    """

    method: str
    target: str
    path: str
    query: Mapping[str, str]
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
    peer: PeerInfo

    def header(self, name: str) -> Optional[str]:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def header_names(self) -> Tuple[str, ...]:
        return tuple(k.lower() for k, _ in self.headers)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Tuple[Tuple[str, str], ...] = ()
    body: bytes = b""

    @classmethod
    def json(
        cls,
        status: int,
        document: Any,
        headers: Tuple[Tuple[str, str], ...] = (),
        content_type: str = "application/json",
        pretty: bool = False,
    ) -> Response:
        text = json.dumps(
            document, indent=2 if pretty else None, separators=None if pretty else (",", ":")
        )
        if pretty:
            text += "\n"
        return cls(status, (("content-type", content_type),) + tuple(headers), text.encode("utf-8"))

    @classmethod
    def text(
        cls,
        status: int,
        text: str,
        headers: Tuple[Tuple[str, str], ...] = (),
        content_type: str = "text/plain; charset=UTF-8",
    ) -> Response:
        return cls(status, (("content-type", content_type),) + tuple(headers), text.encode("utf-8"))

    def header(self, name: str) -> Optional[str]:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def header_values(self, name: str) -> List[str]:
        lowered = name.lower()
        return [v for k, v in self.headers if k.lower() == lowered]


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class ServerStats:
    """
    Counters since start.

    Attributes:
        connections: TCP connections accepted.
        handshakes: TLS handshakes completed (0 for plain HTTP).
        handshake_failures: TLS handshakes that failed (bad client certificate, protocol or
            cipher mismatch, client gave up...).
        plaintext_rejected: connections closed unanswered because they spoke plain HTTP to
            the TLS port.
        requests: HTTP requests answered.
    """

    connections: int = 0
    handshakes: int = 0
    handshake_failures: int = 0
    plaintext_rejected: int = 0
    requests: int = 0


class LoopbackServer:
    """
    An HTTP (``tls=None``) or HTTPS server on a loopback address, one thread per connection.

    Use as a context manager, or call `start` and `stop`. *port* 0 picks a free port; read
    it from `port` / `url` after starting.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        tls: Optional[TlsConfig] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        handshake_timeout: float = 5.0,
        idle_timeout: float = 30.0,
        max_body: int = _MAX_BODY,
    ) -> None:
        self._handler = handler
        self.tls = tls
        self.host = _loopback_host(host)
        self._requested_port = port
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self._context: Optional[SSL.Context] = build_context(tls) if tls is not None else None
        self._client_cas: Tuple[x509.Certificate, ...] = (
            tuple(x509.load_pem_x509_certificates(tls.client_ca_pem))
            if tls and tls.client_ca_pem
            else ()
        )
        self._listener: Optional[socket.socket] = None
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None
        self._accept_thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._live: Set[socket.socket] = set()
        self._threads: Set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._counts: Dict[str, int] = {k: 0 for k in ServerStats.__dataclass_fields__}
        self._next_id = 0
        self.handshake_errors: List[str] = []
        self.handler_errors: List[str] = []
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def stats(self) -> ServerStats:
        with self._lock:
            return ServerStats(**self._counts)

    def start(self) -> LoopbackServer:
        if self._listener is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self._requested_port))
        listener.listen(1024)  # bursts of concurrent probes must not overflow the accept queue
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"sandbox-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop accepting, cut every open connection, and wait (bounded) for the threads."""
        if self._listener is None:
            return
        self._stopping.set()
        try:
            assert self._wake_w is not None
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        with self._lock:
            live = list(self._live)
            threads = list(self._threads)
        for conn in live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for sock in (self._listener, self._wake_r, self._wake_w):
            try:
                if sock is not None:
                    sock.close()
            except OSError:
                pass
        self._listener = self._wake_r = self._wake_w = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- accepting --------------------------------------------------------------------------

    def _bump(self, counter: str) -> None:
        with self._lock:
            self._counts[counter] += 1

    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake_r
        assert listener is not None and wake is not None
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([listener, wake], [], [])
            except (OSError, ValueError):
                return
            if wake in ready or self._stopping.is_set():
                return
            try:
                conn, address = listener.accept()
                # Small answers must not wait for Nagle + delayed ACK (~40 ms each): esprobe
                # counts round trips, and so do its benchmarks.
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                continue
            with self._lock:
                self._counts["connections"] += 1
                self._next_id += 1
                connection_id = self._next_id
                self._live.add(conn)
            thread = threading.Thread(
                target=self._serve_connection,
                args=(conn, address, connection_id),
                name=f"sandbox-conn-{self.port}-{connection_id}",
                daemon=True,
            )
            with self._lock:
                self._threads.add(thread)
            thread.start()

    def _serve_connection(self, conn: socket.socket, address: Any, connection_id: int) -> None:
        try:
            client_address = (str(address[0]), int(address[1]))
            if self._context is None:
                conn.settimeout(self.idle_timeout)
                raw: io.RawIOBase = _PlainStream(conn)
                peer = PeerInfo(client_address, connection_id)
            else:
                accepted = self._tls_accept(conn, client_address, connection_id)
                if accepted is None:
                    return
                raw, peer = accepted
            reader = io.BufferedReader(raw, 65536)
            _HttpHandler(reader, raw, peer, self)
            if isinstance(raw, _TlsStream):
                raw.shutdown()
        except Exception as error:  # a broken client must never take the server down
            self.handler_errors.append(f"{type(error).__name__}: {error}")
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self._lock:
                self._live.discard(conn)
                self._threads.discard(threading.current_thread())

    def _tls_accept(
        self, conn: socket.socket, client_address: Tuple[str, int], connection_id: int
    ) -> Optional[Tuple[io.RawIOBase, PeerInfo]]:
        assert self._context is not None
        conn.settimeout(self.handshake_timeout)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
        except OSError:
            return None
        if not first:
            return None
        if first[0] != _TLS_HANDSHAKE_RECORD:
            # Plain HTTP on the HTTPS port: Elasticsearch logs "received plaintext http traffic
            # on an https channel" and closes without answering (curl: "Empty reply").
            self._bump("plaintext_rejected")
            self._close_quietly(conn, consume_first=True)
            return None
        tls = SSL.Connection(self._context, conn)
        tls.set_accept_state()
        deadline = time.monotonic() + self.handshake_timeout
        try:
            while True:
                try:
                    tls.do_handshake()
                    break
                except SSL.WantReadError:
                    _wait(conn, deadline, read=True)
                except SSL.WantWriteError:
                    _wait(conn, deadline, read=False)
        except (SSL.Error, OSError) as error:
            self._bump("handshake_failures")
            self.handshake_errors.append(_describe_ssl_error(error))
            # The alert (if any) is already written; close the way a server does so that the
            # client reads the alert instead of a connection reset.
            self._close_quietly(conn)
            return None
        self._bump("handshakes")
        chain = _peer_chain(tls)
        verified = (
            bool(chain)
            and self._client_cas != ()
            and self.tls is not None
            and self.tls.client_auth != "none"
        )
        server_name = tls.get_servername()
        peer = PeerInfo(
            client_address,
            connection_id,
            tls=True,
            tls_version=tls.get_protocol_version_name(),
            cipher=tls.get_cipher_name(),
            server_name=server_name.decode("ascii", "replace") if server_name else None,
            client_chain=chain,
            client_verified=verified,
        )
        conn.settimeout(self.idle_timeout)
        return _TlsStream(tls, conn, self.idle_timeout), peer

    def _close_quietly(self, conn: socket.socket, consume_first: bool = False) -> None:
        """
        Half-close, then drain what the client still sends for a moment before closing.

        Closing a socket with unread input makes the kernel send a reset, which would hide
        both "empty reply" (plaintext case) and the TLS alert (handshake failure) from the client.
        """
        deadline = time.monotonic() + 1.0
        try:
            if consume_first:
                conn.settimeout(0.05)
                try:
                    while conn.recv(65536):
                        pass
                except OSError:
                    pass
            conn.shutdown(socket.SHUT_WR)
            while time.monotonic() < deadline and not self._stopping.is_set():
                conn.settimeout(max(0.01, min(0.1, deadline - time.monotonic())))
                try:
                    if not conn.recv(65536):
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
        except OSError:
            pass

    # -- called by the HTTP handler ---------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        self._bump("requests")
        try:
            return self._handler(request)
        except Exception as error:
            self.handler_errors.append(f"{type(error).__name__}: {error}")
            return Response.json(
                500, {"error": "internal error in the sandbox stand-in", "status": 500}
            )


def _loopback_host(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the sandbox only binds loopback addresses, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox only binds loopback addresses, not {host!r}")
    return str(address)


def build_context(tls: TlsConfig) -> SSL.Context:
    """The pyOpenSSL server context for *tls*. Raises ValueError naming what could not be used."""
    if tls.client_auth not in CLIENT_AUTH_MODES:
        raise ValueError(f"client_auth must be one of {CLIENT_AUTH_MODES}, not {tls.client_auth!r}")
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_options(SSL.OP_NO_COMPRESSION)
    try:
        for setting, setter in (
            (tls.min_version, context.set_min_proto_version),
            (tls.max_version, context.set_max_proto_version),
        ):
            if setting is not None:
                if setting not in TLS_VERSIONS:
                    raise ValueError(f"unknown TLS version {setting!r}")
                setter(TLS_VERSIONS[setting])
        # The security level must be in place before the certificate is loaded: OpenSSL
        # checks key size and signature hash when the certificate is set.
        cipher_string = tls.ciphers or "DEFAULT"
        if tls.seclevel is not None:
            cipher_string += f":@SECLEVEL={int(tls.seclevel)}"
        context.set_cipher_list(cipher_string.encode("ascii"))
        if tls.tls13_ciphersuites is not None:
            context.set_tls13_ciphersuites(tls.tls13_ciphersuites.encode("ascii"))
        certificates = x509.load_pem_x509_certificates(tls.cert_chain_pem)
        key = serialization.load_pem_private_key(tls.key_pem, password=tls.key_passphrase)
        _give_cert(context.use_certificate, certificates[0])
        for extra in certificates[1:]:
            _give_cert(context.add_extra_chain_cert, extra)
        try:
            context.use_privatekey(key)  # type: ignore[arg-type]
        except TypeError:  # pyOpenSSL < 24.3 wants its own PKey
            context.use_privatekey(crypto.PKey.from_cryptography_key(key))  # type: ignore[arg-type]
        context.check_privatekey()
        if tls.client_auth != "none":
            mode = SSL.VERIFY_PEER
            if tls.client_auth == "required":
                mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
            context.set_verify(mode, None)
            store = context.get_cert_store()
            cas = x509.load_pem_x509_certificates(tls.client_ca_pem) if tls.client_ca_pem else []
            for ca in cas:
                assert store is not None
                store.add_cert(crypto.X509.from_cryptography(ca))
                if tls.send_ca_list:
                    _give_cert(context.add_client_ca, ca)
    except SSL.Error as error:
        raise ValueError(f"cannot configure the TLS server: {_describe_ssl_error(error)}") from None
    return context


def _describe_ssl_error(error: BaseException) -> str:
    if isinstance(error, SSL.Error) and error.args and isinstance(error.args[0], list):
        parts = [str(entry[-1]) for entry in error.args[0] if entry]
        if parts:
            return "; ".join(parts)
    return f"{type(error).__name__}: {error}"


def _give_cert(setter: Callable[[Any], None], cert: x509.Certificate) -> None:
    """Hand a certificate to pyOpenSSL: recent versions take cryptography objects (and deprecate
    their own X509), versions before 24.3 only take X509."""
    try:
        setter(cert)
    except TypeError:
        setter(crypto.X509.from_cryptography(cert))


def _peer_chain(tls: SSL.Connection) -> Tuple[x509.Certificate, ...]:
    # On the server side OpenSSL's peer chain leaves the leaf out; put it back in front.
    try:
        leaf = tls.get_peer_certificate(as_cryptography=True)
        chain = list(tls.get_peer_cert_chain(as_cryptography=True) or [])
    except TypeError:  # pyOpenSSL < 24.3
        raw_leaf = tls.get_peer_certificate()
        leaf = raw_leaf.to_cryptography() if raw_leaf is not None else None
        chain = [c.to_cryptography() for c in tls.get_peer_cert_chain() or []]
    if leaf is None:
        return tuple(chain)
    if chain and chain[0] == leaf:
        return tuple(chain)
    return (leaf, *chain)


def _wait(sock: socket.socket, deadline: float, read: bool) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise socket.timeout("timed out")
    if read:
        ready = select.select([sock], [], [], remaining)[0]
    else:
        ready = select.select([], [sock], [], remaining)[1]
    if not ready:
        raise socket.timeout("timed out")


class _PlainStream(io.RawIOBase):
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._sock.recv_into(buffer)
        except ConnectionResetError:
            return 0

    def write(self, data: Any) -> int:
        self._sock.sendall(data)
        return len(data)


class _TlsStream(io.RawIOBase):
    """A file interface over a pyOpenSSL connection (pyOpenSSL's own ``makefile`` is not implemented)."""

    def __init__(self, tls: SSL.Connection, sock: socket.socket, timeout: float) -> None:
        self._tls = tls
        self._sock = sock
        self._timeout = timeout

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                data = self._tls.recv(len(buffer))
            except SSL.WantReadError:
                _wait(self._sock, deadline, read=True)
                continue
            except SSL.WantWriteError:
                _wait(self._sock, deadline, read=False)
                continue
            except SSL.ZeroReturnError:
                return 0
            except SSL.SysCallError as error:
                if error.args and error.args[0] in (-1, errno.ECONNRESET, errno.EPIPE):
                    return 0
                raise OSError(str(error)) from None
            except SSL.Error as error:
                raise OSError(_describe_ssl_error(error)) from None
            size = len(data)
            buffer[:size] = data
            return size

    def write(self, data: Any) -> int:
        view = memoryview(bytes(data))
        deadline = time.monotonic() + self._timeout
        sent = 0
        while sent < len(view):
            try:
                sent += self._tls.send(view[sent : sent + 16384].tobytes())
            except SSL.WantReadError:
                _wait(self._sock, deadline, read=True)
            except SSL.WantWriteError:
                _wait(self._sock, deadline, read=False)
            except SSL.Error as error:
                raise OSError(_describe_ssl_error(error)) from None
        return len(view)

    def shutdown(self) -> None:
        try:
            self._tls.shutdown()
        except (SSL.Error, OSError):
            pass


class _HttpHandler(BaseHTTPRequestHandler):
    """``BaseHTTPRequestHandler`` over our streams; every method goes to the server's handler."""

    protocol_version = "HTTP/1.1"

    def __init__(self, rfile: Any, wfile: Any, peer: PeerInfo, server: LoopbackServer) -> None:
        # Deliberately not calling the socketserver constructor: the streams are ready-made.
        self.rfile = rfile
        self.wfile = wfile
        self.peer = peer
        self.sandbox = server
        self.client_address = peer.client_address
        self.close_connection = True
        try:
            self.handle()
        except (OSError, ValueError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: Optional[str] = None) -> None:
        # No Server/Date headers: Elasticsearch sends neither.
        self.send_response_only(code, message)

    def _send_with_body(self, body: bytes) -> None:
        """The buffered head and *body* in one write, as Elasticsearch's server sends a small answer
        (one TLS record, not two: half the stand-in's sends)."""
        buffered: List[bytes] = getattr(self, "_headers_buffer", [])  # none for an HTTP/0.9 request
        if buffered:
            buffered.append(b"\r\n")
        self._headers_buffer: List[bytes] = []
        self.wfile.write(b"".join(buffered) + body)

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        target = self.path
        split = urllib.parse.urlsplit(target)
        query: Dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            query[key] = value
        request = Request(
            method=self.command,
            target=target,
            path=urllib.parse.unquote(split.path) or "/",
            query=query,
            headers=tuple(self.headers.items()),
            body=body,
            peer=self.peer,
        )
        response = self.sandbox._dispatch(request)
        self.send_response(response.status)
        has_length = False
        for name, value in response.headers:
            if name.lower() == "content-length":
                has_length = True
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
            self.send_header(name, value)
        if not has_length:
            self.send_header("content-length", str(len(response.body)))
        self._send_with_body(response.body if self.command != "HEAD" else b"")

    def _read_body(self) -> Optional[bytes]:
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in encoding:
            chunks: List[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    self.close_connection = True
                    return None
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.send_error(400, "bad chunk size")
                    self.close_connection = True
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > self.sandbox.max_body:
                    self.send_error(413)
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            self.send_error(400, "bad content-length")
            self.close_connection = True
            return None
        if length < 0 or length > self.sandbox.max_body:
            self.send_error(413)
            self.close_connection = True
            return None
        data = self.rfile.read(length)
        if len(data) < length:
            self.close_connection = True
            return None
        return data

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch


_StandInT = TypeVar("_StandInT", bound="StandIn")


class StandIn:
    """
    What the stand-in Elasticsearch and Kibana share: a `LoopbackServer` and its life cycle.
    Subclasses set ``self._server`` in their constructor.
    """

    _server: LoopbackServer

    def start(self: _StandInT) -> _StandInT:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self: _StandInT) -> _StandInT:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def server(self) -> LoopbackServer:
        return self._server

    @property
    def stats(self) -> ServerStats:
        return self._server.stats
