"""
esprobe against servers that are broken on purpose (issue 11, item 1).

Every test runs the command line in-process against two Elasticsearch hosts of one output: a
healthy stand-in and one hostile loopback peer. Each asserts that the stage concerned fails with
its own finding and a message saying what happened, within --timeout plus a little slack; that
the healthy target is untouched; that nothing lands on stderr; and, for the floods, that memory
stays within esprobe's read caps and the peer was cut off.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
from typing import Callable, List, Tuple

import pytest

from esprobe.demo.standins import pki
from esprobe.net.http import MAX_BODY
from tests.support import hostile_peers as peers
from tests.support.cli import WRITER_PASSWORD, Stack
from tests.support.hostile import HOSTILE, SLACK, TIMEOUT, Run, RunAgainst
from tests.support.paths import REPO
from tests.support.peers import serve

Respond = Callable[[ssl.SSLSocket, peers.Tally], None]


# Reading is capped at MAX_BODY (1 MiB) per answer; the copies http.client and the report make
# stay within a few of those. Far below the 50 MB (or the endless stream) on offer.
MEMORY_CEILING = 8 * MAX_BODY
# What a peer can push before esprobe hangs up: the 1 MiB read plus the loopback socket buffers.
SENT_CEILING = 16 * 1000 * 1000


def assert_contained(run: Run, stage: str, code: str) -> str:
    """
    The hostile target fails at *stage* with *code* in time; the healthy one passes every stage;
    no traceback and no stage crashed. Returns the finding's message for the caller to check.
    """
    assert run.err == "", run.err
    assert "Traceback" not in run.out
    assert run.code == 2
    for target in run.document["targets"]:
        assert [s["stage"] for s in target["stages"] if s["status"] == "error"] == [], target
    healthy = [s for s in run.healthy["stages"] if s["status"] != "ok"]
    assert healthy == []
    assert run.stage(stage)["status"] == "fail", run.stage(stage)
    assert code in run.codes(stage), run.stage(stage)
    later = ["dns", "tcp", "tls", "hostname", "http", "auth", "privileges"]
    for name in later[later.index(stage) + 1:]:
        assert run.stage(name)["status"] == "skipped"
    assert run.seconds() < TIMEOUT + SLACK, [(s["stage"], s["duration_ms"]) for s in run.hostile["stages"]]
    assert run.elapsed < TIMEOUT + 2 * SLACK  # the whole run, config and the healthy target included
    return run.message(stage, code)


def assert_bounded(run: Run, tally: peers.Tally) -> None:
    """Memory stayed within the caps, and esprobe hung up instead of reading on."""
    assert run.peak_bytes is not None and run.peak_bytes < MEMORY_CEILING, run.peak_bytes
    assert tally.finished.wait(5), "the peer is still sending: esprobe never closed the connection"
    assert tally.bytes_sent < SENT_CEILING, tally.bytes_sent


# --- during the TCP connection and the handshake --------------------------------------------------


def test_silent_peer_times_out_the_handshake(run_against: RunAgainst) -> None:
    """A server that accepts TCP and never speaks costs the TLS stage its timeout: tls-handshake-timeout."""
    tally = peers.Tally()
    with serve(peers.silent(tally)) as (_, port):
        run = run_against(port)
    message = assert_contained(run, "tls", "tls-handshake-timeout")
    assert "no TLS handshake completed" in message and "within 1 s" in message
    assert tally.connections >= 1


def test_silent_peer_times_out_plain_http(run_against: RunAgainst) -> None:
    """The same silent server behind an http:// URL: the http stage says no answer came, http-timeout."""
    tally = peers.Tally()
    with serve(peers.silent(tally)) as (_, port):
        run = run_against(port, scheme="http")
    message = assert_contained(run, "http", "http-timeout")
    assert "no answer within 1 s" in message


def test_handshake_dripped_a_byte_a_second_is_cut_at_the_timeout(run_against: RunAgainst,
        tls_context: ssl.SSLContext) -> None:
    """A real server sending its handshake one byte a second: every read makes progress, the deadline still holds."""
    tally = peers.Tally()
    with serve(peers.drip_handshake(tls_context, tally)) as (_, port):
        run = run_against(port)
    assert_contained(run, "tls", "tls-handshake-timeout")
    assert tally.bytes_sent >= 1  # it did drip: this is not the silent case again


def test_two_megabyte_certificate_chain_is_refused_unread(run_against: RunAgainst, stack: Stack,
        hostile_cert: pki.Issued) -> None:
    """A 2 MB Certificate message is refused from its length alone, as Go refuses it: a clear handshake failure."""
    chain = peers.fat_chain(stack.ca, hostile_cert)
    assert len(chain) > 2 * 1024 * 1024  # PEM; its DER is over 2 MiB as well
    tally = peers.Tally()
    with serve(peers.tls_then(peers.server_context(hostile_cert, chain), peers.invalid_json, tally)) as (_, port):
        run = run_against(port, memory=True)
    message = assert_contained(run, "tls", "tls-handshake-failure")
    assert "larger than a client accepts" in message and "262144 bytes" in message
    assert run.peak_bytes is not None and run.peak_bytes < MEMORY_CEILING
    assert tally.finished.wait(5)


def test_reset_after_the_client_hello(run_against: RunAgainst) -> None:
    """SO_LINGER 0 after reading the ClientHello sends a RST: tls-handshake-closed, naming the reset."""
    tally = peers.Tally()
    with serve(peers.reset_after_hello(tally)) as (_, port):
        run = run_against(port)
    message = assert_contained(run, "tls", "tls-handshake-closed")
    assert "reset" in message
    assert tally.connections >= 1


# esprobe peeks at the peer's first bytes before OpenSSL reads them, but a peer that answers in the
# same instant as the ClientHello leaves can beat the peek: then OpenSSL has eaten five bytes, and the
# message marks the gap. Either way the words below (from the sixth byte on) are quoted.
@pytest.mark.parametrize(("payload", "shown", "whole"), [
    (peers.SSH_BANNER, ".0-OpenSSH_9.6p1 Ubuntu", "in plain text: 'SSH-2.0-OpenSSH_9.6p1"),
    (peers.BINARY_GARBAGE, peers.BINARY_GARBAGE[5:9].hex(" "),
     "binary data that is not TLS (first bytes: " + peers.BINARY_GARBAGE[:4].hex(" ")),
], ids=["ssh-banner", "random-bytes"])
def test_garbage_instead_of_tls(run_against: RunAgainst, payload: bytes, shown: str,
        whole: str) -> None:
    """A peer answering the ClientHello with something that is not TLS: tls-plaintext-peer, quoting what it sent."""
    tally = peers.Tally()
    with serve(peers.garbage(payload, tally)) as (_, port):
        run = run_against(port)
    message = assert_contained(run, "tls", "tls-plaintext-peer")
    assert "first record does not look like a TLS handshake" in message
    assert shown in message
    assert whole in message or "…" in message or "after the first 5" in message, message


# --- behind a real handshake: the HTTP answer --------------------------------------------------------


@pytest.mark.parametrize(("respond", "words"), [
    (peers.drip_status_line, "status line and headers were still incomplete"),
    (peers.drip_headers, "status line and headers were still incomplete"),
    (peers.drip_body, "body was still incomplete"),
], ids=["status-line", "headers", "body"])
def test_answer_dripped_a_byte_a_second_is_cut_at_the_timeout(run_against: RunAgainst, tls_context: ssl.SSLContext,
        respond: Respond, words: str) -> None:
    """A byte a second anywhere in the answer: one deadline per exchange, http-timeout saying where it stalled."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, respond, tally)) as (_, port):
        run = run_against(port)
    message = assert_contained(run, "http", "http-timeout")
    assert words in message and "after 1 s" in message
    assert run.stage("tls")["status"] == "ok"  # the handshake was real and good


@pytest.mark.parametrize(("respond", "announced"), [
    (peers.endless_body_length, "Content-Length: 1000000000000 bytes"),
    (peers.endless_body_chunked, "chunked, with no end"),
], ids=["content-length", "chunked"])
def test_endless_body_is_read_up_to_the_cap(run_against: RunAgainst, tls_context: ssl.SSLContext,
        respond: Respond, announced: str) -> None:
    """A body without end: esprobe reads 1 MiB, hangs up, and says http-answer-truncated; memory stays bounded."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, respond, tally)) as (_, port):
        run = run_against(port, memory=True)
    message = assert_contained(run, "http", "http-answer-truncated")
    assert announced in message and "read the first 1 MiB" in message
    assert_bounded(run, tally)


@pytest.mark.parametrize(("respond", "line"), [
    (peers.endless_header_line, "header line"),
    (peers.endless_status_line, "status line"),
    (peers.endless_header_lines, "more than 100 headers"),
    (peers.endless_chunk_size, "chunk size"),
], ids=["header-line", "status-line", "header-count", "chunk-size-line"])
def test_endless_line_hits_the_line_limit(run_against: RunAgainst, tls_context: ssl.SSLContext,
        respond: Respond, line: str) -> None:
    """A line (or a header block) without end stops at http.client's limits: http-not-http, naming which."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, respond, tally)) as (_, port):
        run = run_against(port, memory=True)
    message = assert_contained(run, "http", "http-not-http")
    assert line in message, message
    assert_bounded(run, tally)


def test_invalid_json_from_an_elasticsearch_lookalike(run_against: RunAgainst,
        tls_context: ssl.SSLContext) -> None:
    """HTTP 200 with the Elasticsearch header and a broken JSON document: http-invalid-json, with the parser's words."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, peers.invalid_json, tally)) as (_, port):
        run = run_against(port)
    message = assert_contained(run, "http", "http-invalid-json")
    assert "not valid JSON" in message and "200 OK" in message


def test_deeply_nested_json_is_invalid_json_not_a_crash(run_against: RunAgainst,
        tls_context: ssl.SSLContext) -> None:
    """100 kB of '[': the JSON parser's recursion limit is a finding (http-invalid-json), not a crashed stage."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, peers.deeply_nested_json, tally)) as (_, port):
        run = run_against(port)
    message = assert_contained(run, "http", "http-invalid-json")
    assert "too deeply" in message


def test_fifty_megabytes_of_json_are_not_read(run_against: RunAgainst,
        tls_context: ssl.SSLContext) -> None:
    """A valid 50 MB JSON document: 1 MiB is read, http-answer-truncated names the announced length."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, peers.fifty_megabytes_of_json, tally)) as (_, port):
        run = run_against(port, memory=True)
    message = assert_contained(run, "http", "http-answer-truncated")
    assert f"Content-Length: {peers.FIFTY_MB} bytes" in message
    assert_bounded(run, tally)


def test_flood_on_the_identity_check_is_capped_too(run_against: RunAgainst,
        tls_context: ssl.SSLContext) -> None:
    """GET / answers properly, then 50 MB for /_security/_authenticate: the auth stage fails, bounded."""
    tally = peers.Tally()
    with serve(peers.tls_then(tls_context, peers.root_then_flood, tally)) as (_, port):
        run = run_against(port, memory=True)
    assert run.stage("http")["status"] == "ok", run.stage("http")
    message = assert_contained(run, "auth", "auth-unexpected-answer")
    assert "_security/_authenticate" in message
    assert_bounded(run, tally)


# --- all of them at once, in a real process ------------------------------------------------------


def _all_hostile_peers(stack: Stack, hostile_cert: pki.Issued) -> List[Tuple[str, peers.Handler]]:
    context = peers.server_context(hostile_cert)
    fat = peers.server_context(hostile_cert, peers.fat_chain(stack.ca, hostile_cert))
    tally = peers.Tally()
    handlers = [
        ("https", peers.silent(tally)),
        ("http", peers.silent(tally)),
        ("https", peers.drip_handshake(context, tally)),
        ("https", peers.tls_then(fat, peers.invalid_json, tally)),
        ("https", peers.reset_after_hello(tally)),
        ("https", peers.garbage(peers.SSH_BANNER, tally)),
        ("https", peers.garbage(peers.BINARY_GARBAGE, tally)),
    ]
    for respond in (peers.drip_status_line, peers.drip_headers, peers.drip_body, peers.endless_body_length,
                    peers.endless_body_chunked, peers.endless_header_line, peers.endless_status_line,
                    peers.endless_header_lines, peers.endless_chunk_size, peers.invalid_json,
                    peers.deeply_nested_json, peers.fifty_megabytes_of_json, peers.root_then_flood):
        handlers.append(("https", peers.tls_then(context, respond, tally)))
    return handlers


def test_every_hostile_peer_at_once_in_a_subprocess(stack: Stack, hostile_cert: pki.Issued) -> None:
    """`python -m esprobe` against all the peers above plus the healthy target: exit 2, empty stderr, in time."""
    handlers = _all_hostile_peers(stack, hostile_cert)
    with contextlib.ExitStack() as running:
        urls = []
        for scheme, handler in handlers:
            _, port = running.enter_context(serve(handler))
            urls.append(f'"{scheme}://{HOSTILE}:{port}"')
        config = stack.config(
            "output.elasticsearch:\n"
            f'  hosts: ["https://es.test:{stack.es.port}", {", ".join(urls)}]\n'
            "  username: beats_writer\n"
            '  password: "${ES_PWD}"\n'
            f'  ssl.certificate_authorities: ["{stack.ca_file}"]\n',
            "all-hostile.yml",
        )
        env = {"PATH": os.environ.get("PATH", ""), "ES_PWD": WRITER_PASSWORD, "PYTHONPATH": str(REPO)}
        process = subprocess.run(
            [sys.executable, "-m", "esprobe", "-c", str(config), "--format", "json", "--timeout", f"{TIMEOUT:g}",
             "--nameserver", stack.nameserver],
            cwd=str(stack.directory), env=env, capture_output=True, text=True, timeout=60,
        )
    assert process.stderr == ""
    assert process.returncode == 2, process.stdout[-2000:]
    document = json.loads(process.stdout)
    targets = document["targets"]
    assert len(targets) == 1 + len(handlers)
    assert targets[0]["status"] == "ok", [(s["stage"], s["summary"]) for s in targets[0]["stages"]]
    assert [t["status"] for t in targets[1:]] == ["fail"] * len(handlers)
    assert all(s["status"] != "error" for t in targets for s in t["stages"])
    codes = {f["code"] for t in targets[1:] for s in t["stages"] for f in s["findings"]}
    assert "run-deadline-exceeded" not in codes  # every target ended by its own timeouts, not the run's cut-off
    # How fast is for benchmarks/ to say: wall-clock bounds here failed whenever the machine was busy.
