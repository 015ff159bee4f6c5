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


class ConnectProxy:
    """
    A small HTTP proxy on loopback for the tests: CONNECT tunnels and absolute-form requests, an
    optional Basic credential it insists on, ports it refuses, and a name map it resolves with
    (a real proxy resolves the target's name itself; here names map to loopback addresses).
    """

    def __init__(self, names: dict, *, credentials: "str | None" = None, denied_ports: tuple = ()) -> None:
        self.names = {k.lower(): v for k, v in names.items()}
        self.credentials = credentials
        self.denied_ports = set(denied_ports)
        self.requests: List[str] = []
        self._serve = serve(self._handle)

    def __enter__(self) -> "ConnectProxy":
        self.host, self.port = self._serve.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serve.__exit__(*exc)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _handle(self, conn: socket.socket) -> None:
        import base64

        conn.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(1)
            if not chunk:
                return
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        self.requests.append(lines[0])
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if ":" in line}
        if self.credentials is not None:
            expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
            if headers.get("proxy-authorization") != expected:
                conn.sendall(b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n'
                             b"Content-Length: 0\r\n\r\n")
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
        else:  # absolute form: http://host:port/path
            from urllib.parse import urlsplit

            parts = urlsplit(target)
            host, port = parts.hostname or "", str(parts.port or 80)
        if int(port) in self.denied_ports:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        address = self.names.get(host.lower().strip("[]"), host)
        upstream = socket.create_connection((address, int(port)), timeout=5)
        if method == "CONNECT":
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            from urllib.parse import urlsplit

            parts = urlsplit(target)
            origin_form = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            rest = [line for line in lines[1:] if line and not line.lower().startswith("proxy-authorization")]
            request = f"{method} {origin_form} HTTP/1.1\r\n" + "\r\n".join(rest) + "\r\n\r\n"
            upstream.sendall(request.encode("latin-1"))
        _pump(conn, upstream)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""

    def one_way(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=one_way, args=(b, a), daemon=True)
    other.start()
    one_way(a, b)
    other.join(10)
    b.close()
