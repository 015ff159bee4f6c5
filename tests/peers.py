"""Loopback peers for the tests: refused ports, tarpits, listeners that never speak."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Callable, Iterator, List, Tuple

Handler = Callable[[socket.socket], None]


def refused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: bind an ephemeral port, note it, close it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def tarpit(host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """
    A port where TCP connects time out: a listener with a full accept queue. Linux drops further
    SYNs once the queue is full, so the client keeps retransmitting until its timeout.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((host, port))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: List[socket.socket] = []
    try:
        for _ in range(8):  # the queue holds backlog+1 entries; a few more to be sure it is full
            filler = socket.socket(family, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((host, port))
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@contextlib.contextmanager
def serve(handler: Handler, host: str = "127.0.0.1") -> Iterator[Tuple[str, int]]:
    """Accept connections on an ephemeral port and pass each to *handler* on its own thread."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    connections: List[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=_run_handler, args=(handler, conn), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield host, listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(1)
        listener.close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.close()


def _run_handler(handler: Handler, conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        handler(conn)


def never_speaks(conn: socket.socket) -> None:
    """Accept and hold the connection open without a byte, until the client gives up."""
    conn.settimeout(30)
    with contextlib.suppress(OSError):
        while conn.recv(4096):
            pass
