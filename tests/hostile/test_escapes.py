"""
Hostile peers, part two (issue 18, items 4 and 5): a server that answers like Elasticsearch but
fills its words with terminal escape sequences, BEL, CR and LF, 400 KB of error reason, and the
password the Beat sent it, echoed back (raw, JSON-escaped, split by the table's wrapping).

Every format must show control characters as visible escapes, cap the server's text, and never
print the password in any form.
"""

from __future__ import annotations

import contextlib
import json
import re
import ssl
from typing import Callable, Dict, Tuple

import pytest

from tests.support.cli import Stack
from tests.support.hostile import HOSTILE, TIMEOUT, hostile_config
from tests.support.peers import serve

# A password with what JSON escapes ('"', '\'), an '@', spaces (the table wraps there) and length.
PASSWORD = 'Echo "canary" \\ p@ss ' + " ".join(f"w{i:02d}x" for i in range(30))
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\rforged\nesprobe: all ok\x9b1m"
LONG = 400 * 1024

Route = Callable[[str], Tuple[int, Dict[str, object]]]


def _es_json(status: int, document: Dict[str, object]) -> bytes:
    body = json.dumps(document).encode()
    reason = {200: "OK", 401: "Unauthorized"}.get(status, "Error")
    head = (f"HTTP/1.1 {status} {reason}\r\nX-elastic-product: Elasticsearch\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def _keep_answering(context: ssl.SSLContext, route: Route) -> Callable[..., None]:
    """TLS, then every request on the connection answered by *route* (path -> status, JSON)."""

    def handler(conn: object) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), context.wrap_socket(conn, server_side=True) as tls:
            while True:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                path = head.split(b" ", 2)[1].decode("ascii", "replace")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                if length:  # a POST (the privilege check): read and ignore its body
                    want = int(length.group(1)) - len(head.split(b"\r\n\r\n", 1)[1])
                    while want > 0:
                        got = tls.recv(min(want, 65536))
                        if not got:
                            return
                        want -= len(got)
                tls.sendall(_es_json(*route(path)))

    return handler


def _hostile_route(path: str) -> Tuple[int, Dict[str, object]]:
    if path.startswith("/_security/_authenticate"):
        reason = f"unable to authenticate with password [{PASSWORD}] {ESCAPES} " + "x" * LONG
        return 401, {"error": {"type": "security_exception", "reason": reason}, "status": 401}
    return 200, {
        "name": f"node{ESCAPES}",
        "cluster_name": f"cluster{ESCAPES}",
        "cluster_uuid": "abc",
        "version": {"number": f"8.15.0{ESCAPES}", "build_flavor": "default"},
        "tagline": "You Know, for Search",
    }


@pytest.fixture
def hostile_port(tls_context: ssl.SSLContext):  # type: ignore[no-untyped-def]
    with serve(_keep_answering(tls_context, _hostile_route)) as (_, port):
        yield port


def _run(stack: Stack, port: int, fmt: str) -> str:
    config = hostile_config(stack, port)
    result = stack.run("-c", str(config), "--format", fmt, "--timeout", f"{TIMEOUT:g}",
                       environ={"ES_PWD": PASSWORD})
    assert result.code in (1, 2), (result.code, result.err[-2000:])
    return result.out + result.err


def _no_control_characters(text: str) -> None:
    allowed = {"\n", "\t"}
    bad = sorted({repr(c) for c in text if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) and c not in allowed})
    assert not bad, bad


def _no_password(text: str) -> None:
    """Not whole, not JSON-escaped, and no run of it that wrapping could have left on one line."""
    forms = {PASSWORD, json.dumps(PASSWORD)[1:-1], json.dumps(PASSWORD, ensure_ascii=True)[1:-1]}
    for form in forms:
        assert form not in text
    squeezed = re.sub(r"\s+", "", text)
    words = re.sub(r"\s+", "", PASSWORD)
    for start in range(0, len(words) - 24, 8):
        assert words[start : start + 24] not in squeezed, words[start : start + 24]


@pytest.mark.parametrize("fmt", ["table", "nagios", "json", "prometheus"])
def test_escapes_and_echoed_password_never_reach_the_output(stack: Stack, hostile_port: int, fmt: str) -> None:
    text = _run(stack, hostile_port, fmt)
    _no_control_characters(text)
    _no_password(text)
    if fmt in ("table", "json"):
        assert "\\x1b" in text  # the server's words are there, with the escapes made visible
    assert len(text) < 200_000  # 400 KB of reason does not come through whole


def test_json_strings_hold_the_escapes_as_text(stack: Stack, hostile_port: int) -> None:
    """In JSON the server's text is a string with visible escapes; the reason is capped."""
    document = json.loads(_run(stack, hostile_port, "json"))
    target = next(t for t in document["targets"] if t["host"] == HOSTILE)
    strings = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(target)
    joined = "\n".join(strings)
    _no_control_characters(joined)
    assert "cluster\\x1b]0;owned\\x07" in joined
    assert max(len(s) for s in strings) < 4000


def test_bundle_files_carry_no_raw_escapes(stack: Stack, hostile_port: int) -> None:
    """The support bundle's report and certificate files are as clean as the terminal output."""
    import zipfile

    config = hostile_config(stack, hostile_port, name="bundle.yml")
    out = stack.directory / "escapes.zip"
    result = stack.run("bundle", "-c", str(config), "-o", str(out), "--force", "--timeout", f"{TIMEOUT:g}",
                       environ={"ES_PWD": PASSWORD})
    assert result.code in (1, 2), result.err
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", "replace")
            if name.endswith((".txt", ".json")):
                _no_control_characters(text.replace("\r\n", "\n") if name.endswith("dns.txt") else text)
            _no_password(text)
