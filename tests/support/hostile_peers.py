"""
Hostile loopback peers: servers that stall, drip, flood, lie or hang up, each a handler for
`tests.support.peers.serve`.

The TLS ones complete a real handshake (stdlib `ssl` on the server side, certificates from
`esprobe.demo.standins.pki`) and misbehave only afterwards, so the stage under test is the HTTP one;
the others misbehave during the handshake itself. Every handler counts what it sent in a
`Tally`, so tests can tell that esprobe stopped reading, rather than the peer stopping writing.
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from esprobe.demo.standins import pki

Handler = Callable[[socket.socket], None]
Respond = Callable[[ssl.SSLSocket, "Tally"], None]

DRIP_INTERVAL = 1.0  # "one byte a second"
FLOOD_CHUNK = 64 * 1024
FIFTY_MB = 50 * 1000 * 1000


@dataclass
class Tally:
    """What a hostile peer did, shared between its handler threads and the test."""

    connections: int = 0
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)  # a handler returned

    def sent(self, count: int) -> None:
        with self.lock:
            self.bytes_sent += count

    def connected(self) -> None:
        with self.lock:
            self.connections += 1


# --- TLS material -------------------------------------------------------------------------------


def server_context(issued: pki.Issued, chain_pem: Optional[bytes] = None) -> ssl.SSLContext:
    """A server-side stdlib context for *issued* (optionally sending *chain_pem* instead of its chain)."""
    import tempfile
    from pathlib import Path

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        cert, key = Path(directory) / "chain.pem", Path(directory) / "key.pem"
        cert.write_bytes(chain_pem if chain_pem is not None else issued.chain_pem)
        key.write_bytes(issued.key_pem())
        context.load_cert_chain(str(cert), str(key))
    return context


def fat_chain(ca: pki.CertAuthority, leaf: pki.Issued, total_bytes: int = 2 * 1024 * 1024) -> bytes:
    """
    *leaf* followed by copies of one ~60 kB certificate (a large opaque extension) until the
    chain reaches *total_bytes* of DER: a Certificate message far beyond any client's limit.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    padding = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\0" * 60000)
    fat = ca.issue("padding.hostile.test", dns=["padding.hostile.test"], extra_extensions=[(padding, False)]).cert
    size = len(fat.public_bytes(Encoding.DER))
    copies = total_bytes // size + 1
    return leaf.cert_pem + fat.public_bytes(Encoding.PEM) * copies


# --- handshake-level hostility -------------------------------------------------------------------


def _read_client_hello(conn: socket.socket) -> bytes:
    """Read one whole TLS record (the ClientHello) so the client is committed to the handshake."""
    conn.settimeout(10)
    data = b""
    while len(data) < 5:
        chunk = conn.recv(5 - len(data))
        if not chunk:
            return data
        data += chunk
    (length,) = struct.unpack("!H", data[3:5])
    while len(data) < 5 + length:
        chunk = conn.recv(5 + length - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _tracked(tally: Tally, body: Handler) -> Handler:
    """Count the connection, and note when *body* is done (the client left, or the peer gave up)."""

    def handler(conn: socket.socket) -> None:
        tally.connected()
        conn.settimeout(10)
        try:
            body(conn)
        except (ssl.SSLError, OSError):
            pass  # the client hung up on us: that is the point
        finally:
            tally.finished.set()

    return handler


def _hold(conn: socket.socket) -> None:
    """Keep the connection open, reading and dropping, until the client closes it."""
    while conn.recv(4096):
        pass


def silent(tally: Tally) -> Handler:
    """Accept the connection and never send a byte."""
    return _tracked(tally, _hold)


def drip_handshake(context: ssl.SSLContext, tally: Tally) -> Handler:
    """
    A real TLS server whose handshake bytes (ServerHello onwards) leave one a second: every byte
    is progress, so only a deadline on the whole handshake (not a per-read timeout) stops it.
    """

    def body(conn: socket.socket) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)
        incoming.write(_read_client_hello(conn))
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.do_handshake()  # wants the client's Finished next, which never comes
        _drip(conn, outgoing.read(), tally)

    return _tracked(tally, body)


def reset_after_hello(tally: Tally) -> Handler:
    """Read the ClientHello, then abort the connection: SO_LINGER 0 makes close() send a RST."""

    def body(conn: socket.socket) -> None:
        _read_client_hello(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    return _tracked(tally, body)


SSH_BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"
BINARY_GARBAGE = random.Random(11).randbytes(4096)


def garbage(payload: bytes, tally: Tally) -> Handler:
    """Answer the ClientHello with *payload* (not TLS), then hold the line open."""

    def body(conn: socket.socket) -> None:
        _read_client_hello(conn)
        conn.sendall(payload)
        tally.sent(len(payload))
        _hold(conn)

    return _tracked(tally, body)


def tls_then(context: ssl.SSLContext, respond: Respond, tally: Tally) -> Handler:
    """A real TLS handshake, then the request head is read, then *respond* misbehaves."""

    def body(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            if read_request_head(tls):
                respond(tls, tally)

    return _tracked(tally, body)


def read_request_head(tls: ssl.SSLSocket) -> bool:
    """Read one request head (the Beat's GETs have no body); False when the client left first."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = tls.recv(1)
        if not chunk:
            return False
        head += chunk
    return True


# --- answer-level hostility (behind the handshake) ------------------------------------------------

ES_HEAD = b"HTTP/1.1 200 OK\r\nX-elastic-product: Elasticsearch\r\nContent-Type: application/json\r\n"


def _drip(conn: socket.socket, data: bytes, tally: Tally) -> None:
    for index in range(len(data)):
        conn.sendall(data[index:index + 1])
        tally.sent(1)
        time.sleep(DRIP_INTERVAL)


def drip_status_line(tls: ssl.SSLSocket, tally: Tally) -> None:
    """The status line itself arrives a byte a second."""
    _drip(tls, ES_HEAD + b"Content-Length: 2\r\n\r\n{}", tally)


def drip_headers(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A prompt status line, then the header lines a byte a second."""
    tls.sendall(b"HTTP/1.1 200 OK\r\n")
    tally.sent(17)
    _drip(tls, b"X-elastic-product: Elasticsearch\r\nContent-Length: 2\r\n\r\n{}", tally)


def drip_body(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A prompt, complete head announcing 64 bytes of body, then the body a byte a second."""
    head = ES_HEAD + b"Content-Length: 64\r\n\r\n"
    tls.sendall(head)
    tally.sent(len(head))
    _drip(tls, b'{"name":"drip","cluster_name":"drip","version":{"number":"8.15.0"}}'[:64], tally)


def _flood(tls: ssl.SSLSocket, tally: Tally, chunks: Iterator[bytes]) -> None:
    for chunk in chunks:
        tls.sendall(chunk)
        tally.sent(len(chunk))


def _forever(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


def endless_body_length(tls: ssl.SSLSocket, tally: Tally) -> None:
    """Content-Length: one terabyte, and the bytes to match, for as long as anyone reads."""
    _flood(
        tls, tally, _chain(ES_HEAD + b"Content-Length: 1000000000000\r\n\r\n[", _forever(b"0," * (FLOOD_CHUNK // 2)))
    )


def endless_body_chunked(tls: ssl.SSLSocket, tally: Tally) -> None:
    """Transfer-Encoding: chunked, and a last chunk that never comes."""
    piece = b"0," * (FLOOD_CHUNK // 2)
    framed = b"%x\r\n" % len(piece) + piece + b"\r\n"
    _flood(tls, tally, _chain(ES_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n[\r\n", _forever(framed)))


def endless_header_line(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A header line with no end: `X-Filler: aaaa...` and never a CRLF."""
    _flood(tls, tally, _chain(b"HTTP/1.1 200 OK\r\nX-Filler: ", _forever(b"a" * FLOOD_CHUNK)))


def endless_status_line(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A status line with no end."""
    _flood(tls, tally, _chain(b"HTTP/1.1 200 ", _forever(b"O" * FLOOD_CHUNK)))


def endless_header_lines(tls: ssl.SSLSocket, tally: Tally) -> None:
    """Short header lines, one after another, without the blank line that ends them."""
    line = b"X-Filler: a\r\n"
    _flood(tls, tally, _chain(b"HTTP/1.1 200 OK\r\n", _forever(line * (FLOOD_CHUNK // len(line)))))


def endless_chunk_size(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A chunked body whose first chunk-size line never ends."""
    _flood(tls, tally, _chain(ES_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", _forever(b"f" * FLOOD_CHUNK)))


def invalid_json(tls: ssl.SSLSocket, tally: Tally) -> None:
    """An Elasticsearch-looking 200 whose JSON document breaks off in the middle."""
    body = b'{"name":"node-1","cluster_name":"hostile","version":{"number":"8.15.0",'
    answer = ES_HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body
    tls.sendall(answer)
    tally.sent(len(answer))
    with contextlib.suppress(OSError):
        tls.recv(1)  # keep the connection until the client leaves


def deeply_nested_json(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A small (100 kB) Elasticsearch-looking 200 whose JSON nests 100000 arrays deep."""
    body = b"[" * 100000
    answer = ES_HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body
    tls.sendall(answer)
    tally.sent(len(answer))
    with contextlib.suppress(OSError):
        tls.recv(1)


def fifty_megabytes_of_json(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A valid 50 MB JSON document with the right Content-Length, generated as it is sent."""
    opening = b'{"name":"node-1","cluster_name":"hostile","version":{"number":"8.15.0"},"padding":["'
    closing = b'"]}'
    filler = FIFTY_MB - len(opening) - len(closing)
    head = ES_HEAD + b"Content-Length: %d\r\n\r\n" % FIFTY_MB

    def body() -> Iterator[bytes]:
        yield head + opening
        left = filler
        while left:
            size = min(FLOOD_CHUNK, left)
            yield b"x" * size
            left -= size
        yield closing

    _flood(tls, tally, body())


ES_ROOT = (b'{"name":"node-1","cluster_name":"hostile","cluster_uuid":"c0ffee","version":{"number":"8.15.0",'
           b'"build_flavor":"default"},"tagline":"You Know, for Search"}')


def root_then_flood(tls: ssl.SSLSocket, tally: Tally) -> None:
    """A proper answer to GET /, then 50 MB for the next request (the auth stage's identity check)."""
    answer = ES_HEAD + b"Content-Length: %d\r\n\r\n" % len(ES_ROOT) + ES_ROOT
    tls.sendall(answer)
    tally.sent(len(answer))
    if read_request_head(tls):
        fifty_megabytes_of_json(tls, tally)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
