"""The words hostile peers are described with: pure helpers, table-driven."""

from __future__ import annotations

import pytest

from esprobe.net.http import _timeout_words
from esprobe.stages.tls import _plaintext_sample


@pytest.mark.parametrize(("data", "skipped", "expected"), [
    (b"HTTP/1.1 400 Bad Request\r\n", 0, "in plain text: 'HTTP/1.1 400 Bad Request'"),
    # OpenSSL ate "HTTP/" as a record header: an HTTP status line can be told back whole.
    (b"1.1 400 Bad Request\r\n", 5, "in plain text: 'HTTP/1.1 400 Bad Request'"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", 0, "in plain text: 'SSH-2.0-OpenSSH_9.6'"),
    (b".0-OpenSSH_9.6\r\n", 5, "in plain text: '….0-OpenSSH_9.6'"),
    (bytes(range(200, 230)), 0, "with binary data that is not TLS (first bytes: c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 "
                                "d5 d6 d7)"),
    (bytes(range(200, 230)), 5, "with binary data that is not TLS (bytes after the first 5: c8 c9 ca cb cc cd ce cf d0 "
                                "d1 d2 d3 d4 d5 d6 d7)"),
    (b"", 0, "in plain text"),
    (b"\r\n\r\n", 0, "in plain text"),
])
def test_what_the_peer_sent_instead_of_tls(data: bytes, skipped: int, expected: str) -> None:
    """Text is quoted, binary is shown as hex, and bytes OpenSSL swallowed are restored or marked."""
    assert _plaintext_sample(data, skipped) == expected


@pytest.mark.parametrize(("phase", "received", "expected"), [
    ("send", 0, "the server did not take the request within 1 s"),
    ("head", 0, "no answer within 1 s"),
    ("head", 1, "the answer's status line and headers were still incomplete after 1 s (1 byte had arrived): "
                "the server sends too slowly or stalls mid-answer"),
    ("body", 107, "the answer's body was still incomplete after 1 s (107 bytes had arrived): "
                  "the server sends too slowly or stalls mid-answer"),
])
def test_a_timed_out_exchange_says_how_far_it_got(phase: str, received: int, expected: str) -> None:
    """Silence, a dripped head and a dripped body read differently: they have different causes."""
    assert _timeout_words(phase, received, 1.0) == expected
