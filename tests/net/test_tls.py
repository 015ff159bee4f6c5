"""Closing a TLS observation whose socket is already closed must never write to a reused descriptor."""

from __future__ import annotations

import socket
import threading

from esprobe.demo.standins import pki
from esprobe.demo.standins.server import LoopbackServer, Response, TlsConfig
from esprobe.net.tls import HandshakeSettings, cipher_list, handshake
from tests.support.peers import serve


def test_close_after_the_socket_was_closed_writes_nothing_anywhere() -> None:
    """
    The http stage may close the socket (Connection: close) before the runner closes the TLS
    observation. OpenSSL still knows the old descriptor number, which the next socket gets: a
    close_notify sent then would corrupt a stranger's connection (it did, under load).
    """
    leaf = pki.CertAuthority.root().issue(dns=["localhost"])
    received = []
    done = threading.Event()

    def record(conn: socket.socket) -> None:
        conn.settimeout(1)
        try:
            received.append(conn.recv(100))
        except OSError:
            received.append(b"")
        done.set()

    with LoopbackServer(lambda r: Response.json(200, {}), tls=TlsConfig.from_issued(leaf)) as server, \
            serve(record) as (host, port):
        sock = socket.create_connection(("127.0.0.1", server.port))
        observation = handshake(sock, HandshakeSettings("localhost", "TLSv1.2", "TLSv1.3", cipher_list([]), None), 3)
        assert observation.ok
        old_fd = sock.fileno()
        sock.close()  # what Stream.close() does
        stranger = socket.create_connection((host, port))  # gets the lowest free descriptor: the old one
        assert stranger.fileno() == old_fd
        observation.close()
        stranger.close()
        assert done.wait(3)  # the stranger's peer has read what arrived (or the orderly close)
    assert received == [b""]  # the stranger's peer saw an orderly close and not one byte of TLS
