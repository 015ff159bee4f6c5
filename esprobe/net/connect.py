"""
TCP connections: every resolved address tried at once, each outcome kept.

Network boundary code. The first address (in resolver order) that accepts stays open in the
observation so the TLS and HTTP stages reuse it instead of connecting again.
"""

from __future__ import annotations

import dataclasses
import errno
import socket
import threading
import time
from dataclasses import field
from typing import List, Optional, Sequence, Tuple

from esprobe.config.proxy import ProxyRoute
from esprobe.net.tunnel import TunnelResult, open_tunnel
from esprobe.record import record

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


@record
class TcpAttempt:
    address: str
    outcome: str  # "connected" | "refused" | "timeout" | "unreachable" | "error"
    ms: float
    detail: Optional[str] = None


@record
class TcpObservation:
    """
    Attributes:
        attempts: one per resolved address, in resolver order.
        port: the port dialled.
        sock: the open socket to the first address that accepted, or None. Closed by the runner.
        connected_address: that address, or None.
        proxy: the `esprobe.config.proxy.ProxyRoute` when the connection goes to a proxy, else None.
        tunnel: the `esprobe.net.tunnel.TunnelResult` of the CONNECT exchange (https through a
            proxy), else None.
    """

    attempts: Tuple[TcpAttempt, ...]
    port: int
    sock: Optional[socket.socket] = field(default=None, repr=False, compare=False)
    connected_address: Optional[str] = None
    proxy: Optional[ProxyRoute] = None
    tunnel: Optional[TunnelResult] = None

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass

    def detach(self) -> "TcpObservation":
        """What the report keeps: everything but the (closed) socket."""
        return dataclasses.replace(self, sock=None)


def connect_one(address: str, port: int, timeout: float) -> Tuple[TcpAttempt, Optional[socket.socket]]:
    """Connect to one address; the socket (or None) with the attempt's outcome."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.monotonic()
    sock: Optional[socket.socket] = None
    if not 0 <= port <= 65535:
        # Go's url.Parse takes any digits as a port; the dial then fails with these words. (Python
        # would raise OverflowError before any packet.)
        return TcpAttempt(address, "error", 0.0, f"dial tcp: address {port}: invalid port"), None
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect((address, port))
    except socket.timeout:
        outcome, detail = "timeout", f"no answer within {timeout:g} s"
    except ConnectionRefusedError:
        outcome, detail = "refused", None
    except OSError as error:  # the parent of both above: must stay last
        outcome = "unreachable" if error.errno in _UNREACHABLE else "error"
        detail = error.strerror or str(error)
    else:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elapsed = (time.monotonic() - started) * 1000
        return TcpAttempt(address, "connected", round(elapsed, 3)), sock
    if sock is not None:
        sock.close()
    return TcpAttempt(address, outcome, round((time.monotonic() - started) * 1000, 3), detail), None


def connect_all(addresses: Sequence[str], port: int, timeout: float) -> TcpObservation:
    """Connect to every address in parallel; keep the first (in order) that accepted."""
    slots: List[Optional[Tuple[TcpAttempt, Optional[socket.socket]]]] = [None] * len(addresses)

    def run(index: int) -> None:
        slots[index] = connect_one(addresses[index], port, timeout)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(1, len(addresses))]
    for thread in threads:
        thread.start()
    if addresses:
        run(0)
    for thread in threads:
        thread.join(timeout + 1.0)

    attempts: List[TcpAttempt] = []
    kept: Optional[socket.socket] = None
    kept_address: Optional[str] = None
    for index, slot in enumerate(slots):
        if slot is None:  # the thread outlived its join: treat as a timeout
            attempts.append(TcpAttempt(addresses[index], "timeout", timeout * 1000, "no answer"))
            continue
        attempt, sock = slot
        attempts.append(attempt)
        if sock is not None:
            if kept is None:
                kept, kept_address = sock, attempt.address
            else:
                sock.close()
    return TcpObservation(tuple(attempts), port, kept, kept_address)


def reconnect(tcp: TcpObservation, host: str, port: int, timeout: float) -> Optional[socket.socket]:
    """
    A new connection along the same path as *tcp* (directly, or through the same proxy and a new
    CONNECT tunnel to host:port), or None when it cannot be had.
    """
    if tcp.connected_address is None:
        return None
    _, sock = connect_one(tcp.connected_address, tcp.port, timeout)
    if sock is None or tcp.tunnel is None or tcp.proxy is None:
        return sock
    if not open_tunnel(sock, tcp.proxy, host, port, timeout).ok:
        sock.close()
        return None
    return sock
