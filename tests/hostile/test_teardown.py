"""Closing what a probe opened must not touch anybody else's connection."""

from __future__ import annotations

import select
import socket
import ssl
from typing import List

from esprobe.net.tls import HandshakeSettings, cipher_list, handshake
from tests.support import hostile_peers as peers
from tests.support.hostile import HOSTILE
from tests.support.peers import serve


def test_tls_close_after_the_socket_closed_leaves_a_reused_descriptor_alone(tls_context: ssl.SSLContext) -> None:
    """
    The HTTP stream closes the socket first (Connection: close, a capped answer); closing the TLS
    observation afterwards must not write its close_notify to the descriptor number, which a new
    socket (another target's, in a concurrent run) may have taken meanwhile.
    """
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, peers.invalid_json, tally)) as (_, port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        settings = HandshakeSettings(HOSTILE, "TLSv1.2", "TLSv1.3", cipher_list(()), None)
        observation = handshake(sock, settings, 5.0)
        assert observation.ok, observation.error
        number = sock.fileno()
        sock.close()  # what esprobe.net.http.Stream.close does
        pairs: List[socket.socket] = []
        stranger = partner = None
        for _ in range(16):  # the lowest free descriptor is reused; other threads may take one first
            a, b = socket.socketpair()
            pairs += [a, b]
            if number in (a.fileno(), b.fileno()):
                stranger, partner = (a, b) if a.fileno() == number else (b, a)
                break
        assert stranger is not None, "the descriptor number was not reused; the test proves nothing"
        try:
            observation.close()
            readable, _, _ = select.select([partner], [], [], 0.3)
            assert readable == [], f"{len(partner.recv(100))} stray bytes reached an unrelated socket"
        finally:
            for each in pairs:
                each.close()

