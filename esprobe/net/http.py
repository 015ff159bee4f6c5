"""
HTTP/1.1 over the connection the tcp and tls stages already opened and verified.

Network boundary code. A `requests.Session` per target carries the Beat's headers and credentials;
its transport adapter (`ReusedConnectionAdapter`) sends every request over that one connection, so
the HTTP stages add round trips, never handshakes. Reads are bounded in time (a deadline per
exchange, so a peer dripping one byte a second cannot stretch it) and in size (header lines and
count by http.client's own limits, bodies by `max_body`).
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urlsplit

import requests
from OpenSSL import SSL
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from esprobe.net.tunnel import proxy_authorization

# Elasticsearch and Kibana answers esprobe reads are a few kB; 1 MiB is generous and bounded.
MAX_BODY = 1 << 20


class HttpFailure(requests.exceptions.RequestException):
    """
    An exchange that did not produce a response.

    Attributes:
        kind: ``timeout`` | ``reset`` | ``eof`` (closed without an answer) | ``protocol`` (not HTTP,
            or a header line or header count beyond the limits) | ``tls`` (a TLS alert or error) |
            ``closed`` (the connection was gone and could not be reopened safely).
        detail: the words of the library or the peer.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class Stream:
    """
    A socket-like view of a plain socket or a pyOpenSSL connection (on a non-blocking socket),
    where every read and write waits at most until the current deadline.
    """

    def __init__(self, sock: socket.socket, tls_connection: Any = None) -> None:
        self.sock = sock
        self.tls = tls_connection
        self.deadline = time.monotonic() + 5.0
        self.received = 0  # bytes read since the current exchange began (see `exchange`)
        sock.setblocking(False)

    def _wait(self, readable: bool) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        if readable:
            ready = select.select([self.sock], [], [], remaining)[0]
        else:
            ready = select.select([], [self.sock], [], remaining)[1]
        if not ready:
            raise socket.timeout("deadline passed")

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = (self.tls or self.sock).send(view[: 1 << 14].tobytes())
            except (BlockingIOError, InterruptedError):
                self._wait(readable=False)
                continue
            except Exception as error:
                if _want(error):
                    self._wait(readable=_want(error) == "read")
                    continue
                raise
            view = view[sent:]

    def recv_into(self, buffer: Any) -> int:
        while True:
            try:
                if self.tls is not None:
                    data = self.tls.recv(len(buffer))
                    buffer[: len(data)] = data
                    self.received += len(data)
                    return len(data)
                count = self.sock.recv_into(buffer)
                self.received += count
                return count
            except (BlockingIOError, InterruptedError):
                self._wait(readable=True)
            except Exception as error:
                if isinstance(error, SSL.ZeroReturnError):
                    return 0
                if isinstance(error, SSL.SysCallError) and error.args and error.args[0] in (-1, 0):
                    return 0  # EOF without close_notify: treat like a plain close
                kind = _want(error)
                if kind is None:
                    raise
                self._wait(readable=kind == "read")

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_RawReader(self), buffer_size=8192)

    def closed_while_idle(self) -> bool:
        """
        Whether the peer closed (or spoke on) this connection while nothing was asked. Go's transport
        watches its idle connections and drops one the server closed before reusing it; some servers
        and proxies close after each answer without saying "Connection: close".
        """
        try:
            readable = select.select([self.sock], [], [], 0)[0]
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        if self.tls is not None:
            return True  # a TLS peer that speaks unasked is closing (close_notify) or misbehaving
        try:
            return self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _want(error: BaseException) -> Optional[str]:
    if isinstance(error, SSL.WantReadError):
        return "read"
    if isinstance(error, SSL.WantWriteError):
        return "write"
    return None


class _RawReader(io.RawIOBase):
    def __init__(self, stream: Stream) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._stream.recv_into(buffer)


@dataclass(frozen=True)
class RawAnswer:
    status: int
    reason: str
    headers: Tuple[Tuple[str, str], ...]  # every header line, duplicates kept (WWW-Authenticate)
    body: bytes
    truncated: bool  # the body was longer than the cap and was cut
    will_close: bool


def exchange(
    stream: Stream,
    method: str,
    target: str,
    headers: List[Tuple[str, str]],
    body: Optional[bytes],
    timeout: float,
    max_body: int = MAX_BODY,
) -> RawAnswer:
    """One request and its response on *stream*; raises `HttpFailure` for anything but an answer."""
    stream.deadline = time.monotonic() + timeout
    stream.received = 0
    phase = "send"  # -> "head" -> "body": where a timeout struck, for the message
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
    try:
        stream.sendall(payload)
        phase = "head"
        response = http.client.HTTPResponse(stream, method=method)  # type: ignore[arg-type]
        response.begin()
        phase = "body"
        content = response.read(max_body + 1) if method != "HEAD" else b""
        truncated = len(content) > max_body
        return RawAnswer(
            status=response.status,
            reason=response.reason,
            headers=tuple(response.getheaders()),
            body=content[:max_body],
            truncated=truncated,
            will_close=response.will_close or truncated,
        )
    except socket.timeout:
        raise HttpFailure("timeout", _timeout_words(phase, stream.received, timeout)) from None
    except http.client.RemoteDisconnected:
        raise HttpFailure("eof", "the server closed the connection without answering") from None
    except http.client.IncompleteRead as error:
        raise HttpFailure("eof", f"the answer stopped after {len(error.partial)} bytes") from None
    except (http.client.LineTooLong, http.client.HTTPException) as error:
        raise HttpFailure("protocol", f"not a valid HTTP answer: {error}") from None
    except ConnectionResetError:
        raise HttpFailure("reset", "the server reset the connection") from None
    except SSL.Error as error:
        raise HttpFailure("tls", _ssl_words(error)) from None
    except OSError as error:
        raise HttpFailure("reset", error.strerror or str(error)) from None


def _timeout_words(phase: str, received: int, timeout: float) -> str:
    """What a timed-out exchange had got: silence and a peer dripping bytes call for different fixes."""
    if phase == "send":
        return f"the server did not take the request within {timeout:g} s"
    if received == 0:
        return f"no answer within {timeout:g} s"
    part = "status line and headers were" if phase == "head" else "body was"
    count = "1 byte" if received == 1 else f"{received} bytes"
    return (f"the answer's {part} still incomplete after {timeout:g} s ({count} had arrived): the server sends "
            "too slowly or stalls mid-answer")


def _ssl_words(error: BaseException) -> str:
    parts = error.args[0] if error.args and isinstance(error.args[0], list) else None
    if parts:
        return "; ".join(str(p[2]) for p in parts)
    return str(error) or type(error).__name__


# --- requests integration ----------------------------------------------------------------------

Reopen = Callable[[], Stream]


class ReusedConnectionAdapter(BaseAdapter):
    """
    A requests transport adapter bound to one target: requests go over the stream the earlier
    stages opened; if the server closes it, `reopen` provides a new one (with the same verified
    TLS identity) or the adapter refuses, so credentials never travel on an unverified connection.
    """

    def __init__(self, stream: Stream, reopen: Optional[Reopen], timeout: float, max_body: int = MAX_BODY,
                 proxy: Any = None) -> None:
        """
        *proxy*: an `esprobe.config.proxy.ProxyRoute` when *stream* leads to an HTTP proxy rather than
        the target (plain http through a proxy): requests then go in absolute form, with the
        proxy's credentials, as Go's transport sends them. (https through a proxy is a CONNECT
        tunnel, opened by the tcp stage: for this adapter it is a direct connection.)
        """
        super().__init__()
        self._stream: Optional[Stream] = stream
        self._reopen = reopen
        self._timeout = timeout
        self._max_body = max_body
        self._proxy = proxy
        self.exchanges = 0
        self.reconnects = 0

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        parts = urlsplit(request.url or "")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname or ""
        host_header = f"[{host}]" if ":" in host else host
        if parts.port:
            host_header += f":{parts.port}"
        configured_host = next((v for k, v in request.headers.items() if k.lower() == "host"), None)
        headers = [("Host", configured_host or host_header)]
        headers += [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        if self._proxy is not None:
            target = f"{parts.scheme}://{host_header}{target}"
            authorization = proxy_authorization(self._proxy)
            if authorization:
                headers.append(("Proxy-Authorization", authorization))
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        limit = float(timeout) if isinstance(timeout, (int, float)) else self._timeout
        answer = self._exchange(request.method or "GET", target, headers, body, limit)
        return self._response(request, answer)

    def _exchange(self, method: str, target: str, headers: List[Tuple[str, str]], body: Optional[bytes], timeout: float) -> RawAnswer:
        if self._stream is None:
            self._stream = self._reopened()
        elif self.exchanges and self._reopen is not None and self._stream.closed_while_idle():
            self._stream.close()
            self._stream = self._reopened()
        try:
            answer = exchange(self._stream, method, target, headers, body, timeout, self._max_body)
        except HttpFailure as failure:
            # A keep-alive connection the server closed in between (its FIN can arrive just after the
            # idle check above): retry once on a new one when the previous exchange on this stream had
            # succeeded. Every request esprobe sends is a read-only query, the POST of _has_privileges
            # included, so replaying one is as safe as Go replaying a GET.
            if failure.kind in ("eof", "reset") and self.exchanges and self._reopen:
                self._stream.close()
                self._stream = self._reopened()
                answer = exchange(self._stream, method, target, headers, body, timeout, self._max_body)
            else:
                raise
        self.exchanges += 1
        if answer.will_close:
            self._stream.close()
            self._stream = None
        return answer

    def _reopened(self) -> Stream:
        if self._reopen is None:
            raise HttpFailure("closed", "the server closed the connection and esprobe does not reconnect here")
        self.reconnects += 1
        return self._reopen()

    @staticmethod
    def _response(request: requests.PreparedRequest, answer: RawAnswer) -> requests.Response:
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        merged: CaseInsensitiveDict = CaseInsensitiveDict()
        for name, value in answer.headers:
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        response.headers = merged
        response._content = answer.body  # type: ignore[attr-defined]
        response.encoding = get_encoding_from_headers(merged) or "utf-8"
        response.url = request.url or ""
        response.request = request
        # requests folds repeated headers into one; WWW-Authenticate lines must stay apart.
        response.header_lines = answer.headers  # type: ignore[attr-defined]
        response.truncated = answer.truncated  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def session_for(base_url: str, adapter: ReusedConnectionAdapter, headers: List[Tuple[str, str]]) -> requests.Session:
    """A Session whose every request to *base_url* goes through *adapter*; nothing else is reachable."""
    session = requests.Session()
    session.trust_env = False  # proxies and netrc are the Beat's business, decided explicitly
    # Requests go out with allow_redirects=False and nothing is followed; 0 would make requests raise
    # TooManyRedirects on any 3xx even then (it prepares the next request for `response.next`).
    session.max_redirects = 1
    session.headers.clear()
    for name, value in headers:
        session.headers[name] = value
    for prefix in list(session.adapters):
        session.adapters.pop(prefix)
    session.mount(base_url.rstrip("/") + "/", adapter)
    return session
