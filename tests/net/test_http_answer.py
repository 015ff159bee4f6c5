"""
esprobe reads an HTTP answer as http.client does (status, reason, header fields, body, whether the
connection closes, and the failures with their words), checked answer by answer against http.client.
"""

from __future__ import annotations

import http.client
import io
from typing import Any, Tuple

import pytest

from esprobe.net import http as esprobe_http

ANSWERS = [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\nX-elastic-product: Elasticsearch\r\nContent-Length: 5\r\n\r\nhello and more",
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"security\"\r\nWWW-Authenticate: ApiKey\r\n"
    b"Content-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nTrailer: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\nX-Skip: 1\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n!",
    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\n\r\nread until the end",
    b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\nuntil the end",
    b"HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\nuntil the end",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\n\r\n",
    b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200   Spaced   reason  \r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n second\r\n\tthird\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Bare: a\rX-Other: b\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-A: 1\r\nnot a header line\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Spaces:    v  \r\nX-Latin: \xe9\xff\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\n\nbare line feeds",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
]

FAILURES = [
    b"",
    b"SSH-2.0-OpenSSH_9.2\r\n",
    b"HTTP/1.1 abc OK\r\n\r\n",
    b"HTTP/1.1 99 Low\r\n\r\n",
    b"HTTP/1.1\r\n\r\n",
    b"HTTP/2.0 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n",
    b"HTTP/1.1 200 " + b"O" * 70000,
    b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 101 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 70000,
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n8\r\nabc",
]


class _Sock:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.data))  # type: ignore[arg-type]


def _http_client(data: bytes, method: str, limit: int) -> Tuple[Any, ...]:
    response = http.client.HTTPResponse(_Sock(data), method=method)  # type: ignore[arg-type]
    try:
        response.begin()
        body = response.read(limit) if method != "HEAD" else b""
    except http.client.RemoteDisconnected:
        return ("closed",)
    except http.client.IncompleteRead as error:
        return ("incomplete", len(error.partial))
    except http.client.HTTPException as error:
        return ("not-http", str(error))
    return response.status, response.reason, tuple(response.getheaders()), body, response.will_close


def _esprobe(data: bytes, method: str, limit: int) -> Tuple[Any, ...]:
    reader = io.BufferedReader(io.BytesIO(data))
    try:
        head = esprobe_http._read_head(reader, method)  # type: ignore[arg-type]
        body = esprobe_http._read_body(reader, head, limit) if method != "HEAD" else b""  # type: ignore[arg-type]
    except esprobe_http._ClosedUnanswered:
        return ("closed",)
    except esprobe_http._Incomplete as error:
        return ("incomplete", error.partial)
    except esprobe_http._NotHttp as error:
        return ("not-http", str(error))
    return head.status, head.reason, head.headers, body, head.will_close


@pytest.mark.parametrize("data", ANSWERS + FAILURES, ids=range(len(ANSWERS) + len(FAILURES)))
@pytest.mark.parametrize("method, limit", [("GET", 1 << 20), ("GET", 3), ("HEAD", 1 << 20)])
def test_read_as_http_client_reads(data: bytes, method: str, limit: int) -> None:
    assert _http_client(data, method, limit) == _esprobe(data, method, limit)


def test_the_cases_cover_answers_and_failures() -> None:
    """The tables hold real answers and every kind of failure, so the comparison above means something."""
    kinds = {_esprobe(data, "GET", 1 << 20)[0] for data in FAILURES}
    assert {"closed", "incomplete", "not-http"} == kinds
    assert all(isinstance(_esprobe(data, "GET", 1 << 20)[0], int) for data in ANSWERS)
