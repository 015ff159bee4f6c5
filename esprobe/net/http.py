"""
HTTP/1.1 over the connection the tcp and tls stages already opened and verified.

Network boundary code. A `ReusedConnection` per target carries the Beat's headers and credentials
and sends every request over that one connection, so the HTTP stages add round trips, never
handshakes. No HTTP library: a request is a few lines, and the answer is read here with
http.client's rules and limits; an HTTP library's import, per-request preparation and header
parsing cost more than the rest of the exchange.
Reads are bounded in time (a deadline per exchange, so a peer dripping one byte a second cannot
stretch it) and in size (header lines and count by http.client's limits, bodies by `max_body`).
"""

from __future__ import annotations

import io
import re
import select
import socket
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, urlsplit

from OpenSSL import SSL

from esprobe.net.resolver import to_query_name
from esprobe.net.tunnel import proxy_authorization
from esprobe.record import record

# Elasticsearch and Kibana answers esprobe reads are a few kB; 1 MiB is generous and bounded.
MAX_BODY = 1 << 20


class HttpFailure(OSError):
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


@record
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
        reader = stream.makefile("rb")
        head = _read_head(reader, method)
        phase = "body"
        content = _read_body(reader, head, max_body + 1) if method != "HEAD" else b""
        truncated = len(content) > max_body
        return RawAnswer(
            status=head.status,
            reason=head.reason,
            headers=head.headers,
            body=content[:max_body],
            truncated=truncated,
            will_close=head.will_close or truncated,
        )
    except socket.timeout:
        raise HttpFailure("timeout", _timeout_words(phase, stream.received, timeout)) from None
    except _ClosedUnanswered:
        raise HttpFailure("eof", "the server closed the connection without answering") from None
    except _Incomplete as error:
        raise HttpFailure("eof", f"the answer stopped after {error.partial} bytes") from None
    except _NotHttp as error:
        raise HttpFailure("protocol", f"not a valid HTTP answer: {error}") from None
    except ConnectionResetError:
        raise HttpFailure("reset", "the server reset the connection") from None
    except SSL.Error as error:
        raise HttpFailure("tls", _ssl_words(error)) from None
    except OSError as error:
        raise HttpFailure("reset", error.strerror or str(error)) from None


# --- reading the answer ----------------------------------------------------------------------------
# As http.client reads one, limits and words included (a line of at most 64 KiB, at most 100 header
# lines, headers split into lines as its email parser splits them), without that parser's cost,
# which was most of the CPU of an exchange.

_MAX_LINE = 65536
_MAX_HEADERS = 100
_HEADER_LINE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")  # what the email parser takes as a header
_LINE_ENDS = re.compile(r"(\r\n|\r|\n)")


class _NotHttp(Exception):
    """Not an HTTP answer, or one beyond the limits; the words say which."""


class _ClosedUnanswered(Exception):
    """The connection closed before a status line."""


class _Incomplete(Exception):
    def __init__(self, partial: int) -> None:
        super().__init__(partial)
        self.partial = partial


@record
class _Head:
    status: int
    reason: str
    headers: Tuple[Tuple[str, str], ...]
    chunked: bool
    length: Optional[int]  # None: up to the end of the connection (or chunked)
    will_close: bool

    def first(self, name: str) -> Optional[str]:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def _line(reader: io.BufferedReader, what: str) -> bytes:
    line = reader.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise _NotHttp(f"got more than {_MAX_LINE} bytes when reading {what}")
    return line


def _status_line(reader: io.BufferedReader) -> Tuple[str, int, str]:
    raw = _line(reader, "status line")
    if not raw:
        raise _ClosedUnanswered()
    line = raw.decode("iso-8859-1")
    words = line.split(None, 2)
    version = words[0] if len(words) >= 2 else ""
    if not version.startswith("HTTP/"):
        raise _NotHttp(line)
    try:
        status = int(words[1])
    except ValueError:
        raise _NotHttp(line) from None
    if not 100 <= status <= 999:
        raise _NotHttp(line)
    return version, status, words[2] if len(words) > 2 else ""


def _header_block(reader: io.BufferedReader) -> List[bytes]:
    lines: List[bytes] = []
    while True:
        line = _line(reader, "header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise _NotHttp(f"got more than {_MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def _header_fields(lines: List[bytes]) -> Tuple[Tuple[str, str], ...]:
    """Name and value of each header; a folded line continues the one before; a line that is no header ends them."""
    text = b"".join(lines).decode("iso-8859-1")
    pieces = _LINE_ENDS.split(text)
    fields: List[List[str]] = []  # [name, value with its continuation lines]
    for index in range(0, len(pieces), 2):
        line = pieces[index] + (pieces[index + 1] if index + 1 < len(pieces) else "")
        if not line or line in ("\r\n", "\n", "\r"):
            break
        if not _HEADER_LINE.match(line):
            break
        if line[0] in " \t":
            if fields:
                fields[-1][1] += line
            continue
        if line.startswith("From ") and not fields:
            continue
        name, _, value = line.partition(":")
        fields.append([name, value.lstrip(" \t")])
    return tuple((name, value.rstrip("\r\n")) for name, value in fields)


def _read_head(reader: io.BufferedReader, method: str) -> _Head:
    while True:
        version, status, reason = _status_line(reader)
        if status != 100:
            break
        _header_block(reader)  # a 100 Continue's headers: skipped, the real answer follows
    if version in ("HTTP/1.0", "HTTP/0.9"):
        http11 = False
    elif version.startswith("HTTP/1."):
        http11 = True
    else:
        raise _NotHttp(version)
    fields = _header_fields(_header_block(reader))
    probe = _Head(status, reason.strip(), fields, False, None, False)
    encoding = probe.first("transfer-encoding")
    chunked = bool(encoding) and encoding.lower() == "chunked"  # type: ignore[union-attr]
    connection = (probe.first("connection") or "").lower()
    if http11:
        will_close = "close" in connection
    else:
        will_close = not (probe.first("keep-alive") or "keep-alive" in connection
                          or "keep-alive" in (probe.first("proxy-connection") or "").lower())
    length: Optional[int] = None
    declared = probe.first("content-length")
    if declared and not chunked:
        try:
            length = int(declared)
        except ValueError:
            length = None
        if length is not None and length < 0:
            length = None
    if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
        length = 0
    if not will_close and not chunked and length is None:
        will_close = True
    return _Head(status, reason.strip(), fields, chunked, length, will_close)


def _read_body(reader: io.BufferedReader, head: _Head, limit: int) -> bytes:
    """At most *limit* bytes of the body."""
    if head.chunked:
        return _read_chunked(reader, limit)
    wanted = limit if head.length is None else min(limit, head.length)
    return reader.read(wanted) if wanted else b""


def _read_chunked(reader: io.BufferedReader, limit: int) -> bytes:
    parts: List[bytes] = []
    got = 0
    try:
        while got < limit:
            line = _line(reader, "chunk size")
            cut = line.find(b";")
            try:
                size = int(line[:cut] if cut >= 0 else line, 16)
            except ValueError:
                raise _Incomplete(0) from None
            if size == 0:
                while True:  # the trailer, up to its empty line
                    trailer = _line(reader, "trailer line")
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                break
            take = min(size, limit - got)
            parts.append(_exactly(reader, take))
            got += take
            if got >= limit:
                break  # enough read; the rest is never asked for
            _exactly(reader, 2)  # the CRLF that ends the chunk
    except _Incomplete:
        raise _Incomplete(got) from None  # what the whole chunks so far held, as http.client counts
    return b"".join(parts)


def _exactly(reader: io.BufferedReader, count: int) -> bytes:
    data = reader.read(count)
    if len(data) < count:
        raise _Incomplete(len(data))
    return data


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


# --- one target's connection ------------------------------------------------------------------

Reopen = Callable[[], Stream]

# What may stand in a request target unescaped (RFC 3986 reserved and unreserved characters, and
# the percent sign of escapes already made), and the unreserved ones an escape is undone for.
_SAFE_IN_URL = "!#$%&'()*+,/:;=?@[]~"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class RequestError(ValueError):
    """A request that cannot be sent as asked (another origin, a header Go refuses); nothing went out."""


def requoted(url: str) -> str:
    """
    *url* with escapes of unreserved characters undone and characters that may not stand in a URL
    escaped (a ``%`` that starts no escape included), leaving valid escapes alone: a URL that is
    already well formed, which is what the config produces, goes out unchanged.
    """
    pieces = url.split("%")
    out = [pieces[0]]
    valid = True
    for piece in pieces[1:]:
        code = piece[:2]
        if len(code) == 2 and all(c in "0123456789abcdefABCDEF" for c in code):
            char = chr(int(code, 16))
            out.append(char + piece[2:] if char in _UNRESERVED else "%" + piece)
        else:
            valid = False
            break
    if valid:
        return quote("".join(out), safe=_SAFE_IN_URL)
    return quote(url, safe=_SAFE_IN_URL.replace("%", ""))


def _header_problem(name: str, value: str) -> Optional[str]:
    """Go's transport refuses these before sending anything (httpguts.ValidHeaderFieldName/Value)."""
    if not _TOKEN.fullmatch(name):
        return f"net/http: invalid header field name {_go_quoted(name)}"
    if _CONTROL.search(value):
        return f"net/http: invalid header field value for {_go_quoted(name)}"
    return None


def _go_quoted(text: str) -> str:
    """Go's %q of a header name: quotes and backslashes escaped, controls as \\n, \\t ... or \\xNN."""
    return '"' + "".join(_GO_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x20 or c == "\x7f" else c)
                         for c in text) + '"'


_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v"}


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # controls but the horizontal tab


class ReusedConnection:
    """
    One target's requests, each over the stream the earlier stages opened; if the server closes
    it, `reopen` provides a new one (with the same verified TLS identity) or the request is
    refused, so credentials never travel on an unverified connection. Only URLs under *base_url*
    (the target's origin) are sent; the target's headers go on every request.
    """

    def __init__(self, stream: Stream, reopen: Optional[Reopen], timeout: float, *, base_url: str,
                 headers: Sequence[Tuple[str, str]], max_body: int = MAX_BODY, proxy: Any = None) -> None:
        """
        *proxy*: an `esprobe.config.proxy.ProxyRoute` when *stream* leads to an HTTP proxy rather than
        the target (plain http through a proxy): requests then go in absolute form, with the
        proxy's credentials, as Go's transport sends them. (https through a proxy is a CONNECT
        tunnel, opened by the tcp stage: for this class it is a direct connection.)
        """
        self._stream: Optional[Stream] = stream
        self._reopen = reopen
        self._timeout = timeout
        self._max_body = max_body
        self._proxy = proxy
        self._prefix = base_url.rstrip("/").lower() + "/"
        self._headers = list(headers)
        self.exchanges = 0  # answered so far: a closed idle connection is reopened only after the first

    def request(self, method: str, url: str, body: Optional[bytes] = None,
                headers: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None) -> RawAnswer:
        """Send one request; `HttpFailure` when no answer came, `RequestError` when nothing could be sent."""
        parts = urlsplit(requoted(url))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if not f"{parts.scheme}://{parts.netloc}{target}".lower().startswith(self._prefix):
            raise RequestError(f"{url} is not on the target's origin; esprobe sends nothing there")
        host = parts.hostname or ""
        if not host.isascii():  # the Host header carries the A-label, as Go sends it
            host = to_query_name(host)
        host_header = f"[{host}]" if ":" in host else host
        if parts.port:
            host_header += f":{parts.port}"
        merged: Dict[str, Tuple[str, str]] = {}  # the target's headers, then this request's (which win)
        for name, value in [*self._headers, *(headers or {}).items()]:
            merged[name.lower()] = (name, value)
        for name, value in merged.values():
            problem = _header_problem(name, value)
            if problem is not None:
                raise RequestError(problem)
        configured_host = merged.get("host")
        lines = [("Host", configured_host[1] if configured_host else host_header)]
        lines += [(name, value) for key, (name, value) in merged.items() if key not in ("host", "content-length")]
        if self._proxy is not None:
            target = f"{parts.scheme}://{host_header}{target}"
            authorization = proxy_authorization(self._proxy)
            if authorization:
                lines.append(("Proxy-Authorization", authorization))
        return self._exchange(method, target, lines, body, self._timeout if timeout is None else timeout)

    def _exchange(self, method: str, target: str, headers: List[Tuple[str, str]], body: Optional[bytes],
                  timeout: float) -> RawAnswer:
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
        return self._reopen()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
