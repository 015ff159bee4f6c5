"""The tcp stage against real loopback listeners, refused ports and a tarpit."""

from __future__ import annotations

import socket
import time

import pytest

from esprobe.model import Role, Status, Target
from esprobe.net.connect import connect_all
from esprobe.stages.tcp import judge_tcp
from tests.support.peers import never_speaks, refused_port, serve, tarpit


def _target(port: int) -> Target:
    return Target(id="kibana", role=Role.KIBANA, url=f"http://es.test:{port}", scheme="http", host="es.test",
                  port=port, setting="setup.kibana.host")


def _codes(result) -> list:  # type: ignore[no-untyped-def]
    return [f.code for f in result.findings]


def test_listener_connects_and_socket_is_kept() -> None:
    """An accepting address passes, and its socket stays open for the next stages."""
    with serve(never_speaks) as (host, port):
        obs = connect_all([host], port, 2.0)
        try:
            result = judge_tcp(_target(port), obs)
            assert result.status is Status.OK
            assert result.details["attempts"][0]["outcome"] == "connected"
            assert obs.sock is not None and obs.sock.fileno() >= 0
            assert obs.connected_address == host
        finally:
            obs.close()


def test_refused_port_fails_with_tcp_refused() -> None:
    """Nothing listening gives tcp-refused naming the setting and the port."""
    port = refused_port()
    result = judge_tcp(_target(port), connect_all(["127.0.0.1"], port, 2.0))
    assert result.status is Status.FAIL
    assert _codes(result) == ["tcp-refused"]
    assert result.findings[0].setting == "setup.kibana.host"
    assert str(port) in result.findings[0].hint


def test_tarpit_times_out_within_the_timeout() -> None:
    """A port that drops SYNs gives tcp-timeout after --timeout, not later."""
    with tarpit() as port:
        started = time.monotonic()
        result = judge_tcp(_target(port), connect_all(["127.0.0.1"], port, 0.5))
        elapsed = time.monotonic() - started
    assert _codes(result) == ["tcp-timeout"]
    assert elapsed < 0.5 + 0.5


def test_one_good_one_bad_address_warns() -> None:
    """With IPv4 accepting and IPv6 refusing, the Beat connects: a single warning, not a failure."""
    with serve(never_speaks, "127.0.0.1") as (_, port):
        try:
            probe = socket.socket(socket.AF_INET6)
            probe.bind(("::1", port))  # make sure nothing listens on [::1]:port
            probe.close()
        except OSError:
            pytest.skip("no IPv6 loopback here")
        obs = connect_all(["::1", "127.0.0.1"], port, 2.0)
        try:
            result = judge_tcp(_target(port), obs)
        finally:
            obs.close()
    assert result.status is Status.WARN
    assert _codes(result) == ["tcp-some-addresses-failed"]
    assert [a["outcome"] for a in result.details["attempts"]] == ["refused", "connected"]
    assert obs.connected_address == "127.0.0.1"


def test_addresses_are_tried_in_parallel() -> None:
    """Two timing-out addresses cost one timeout, not two."""
    with tarpit("127.0.0.1") as port, tarpit("127.0.0.2", port):
        started = time.monotonic()
        obs = connect_all(["127.0.0.1", "127.0.0.2"], port, 0.5)
        elapsed = time.monotonic() - started
    assert [a.outcome for a in obs.attempts] == ["timeout", "timeout"]
    assert elapsed < 0.5 * 2
