"""
The HTTP CONNECT tunnel through a proxy, the way Go's transport opens it. Network boundary code.
"""

from __future__ import annotations

import base64
import socket
import time
from typing import List, Optional, Tuple

from esprobe.config.proxy import ProxyRoute
from esprobe.record import record

# A proxy's answer to CONNECT is a status line and a few headers; anything longer is not a proxy.
_MAX_HEAD = 16 * 1024


@record
class TunnelResult:
    """
    Attributes:
        ok: the proxy answered 2xx: the socket now leads to the target.
        status: the proxy's status code, or None when it gave no HTTP answer.
        reason: its reason phrase, or what went wrong (``timeout``, ``closed``, ``not-http``).
        ms: the time the CONNECT exchange took.
        headers: the answer's header lines (Proxy-Authenticate tells the scheme it wants).
    """

    ok: bool
    status: Optional[int]
    reason: str
    ms: float
    headers: Tuple[Tuple[str, str], ...] = ()


def proxy_authorization(route: ProxyRoute) -> Optional[str]:
    """Go sends Basic credentials from the proxy URL's userinfo."""
    if route.username is None:
        return None
    token = base64.b64encode(f"{route.username}:{route.password or ''}".encode()).decode()
    return f"Basic {token}"


def open_tunnel(sock: socket.socket, route: ProxyRoute, host: str, port: int, timeout: float) -> TunnelResult:
    """Send ``CONNECT host:port`` on *sock* (connected to the proxy) and read the proxy's answer."""
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    authorization = proxy_authorization(route)
    if authorization:
        lines.append(f"Proxy-Authorization: {authorization}")
    lines += [f"{name}: {value}" for name, value in route.connect_headers]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    started = time.monotonic()
    deadline = started + timeout
    try:
        sock.settimeout(timeout)
        sock.sendall(request)
        head = _read_head(sock, deadline)
    except socket.timeout:
        return TunnelResult(False, None, "timeout", _ms(started))
    except OSError as error:
        return TunnelResult(False, None, error.strerror or str(error), _ms(started))
    if head is None:
        return TunnelResult(False, None, "closed", _ms(started))
    status, reason, headers = _parse_head(head)
    if status is None:
        return TunnelResult(False, None, "not-http", _ms(started))
    return TunnelResult(200 <= status < 300, status, reason, _ms(started), headers)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _read_head(sock: socket.socket, deadline: float) -> Optional[bytes]:
    """Read byte-wise up to the blank line: nothing of the tunnelled stream may be consumed."""
    data = bytearray()
    while not data.endswith(b"\r\n\r\n") and not data.endswith(b"\n\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline")
        sock.settimeout(remaining)
        chunk = sock.recv(1)
        if not chunk:
            return bytes(data) or None
        data += chunk
        if len(data) > _MAX_HEAD:
            break
    return bytes(data)


def _parse_head(head: bytes) -> Tuple[Optional[int], str, Tuple[Tuple[str, str], ...]]:
    text = head.decode("latin-1")
    lines = text.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None, "", ()
    headers: List[Tuple[str, str]] = []
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return int(parts[1]), parts[2].strip() if len(parts) > 2 else "", tuple(headers)
