"""The harness of the interop suite itself: loud skips (failures under CI) and no process left behind."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.support.interop_servers import ServerProcess, free_port, require_binary

pytestmark = pytest.mark.interop

MISSING = "esprobe-interop-no-such-server"


def test_missing_binary_skips_naming_the_debian_package() -> None:
    """On a developer machine a missing server skips, and the reason says which package to install."""
    with pytest.raises(pytest.skip.Exception, match="install the Debian package `dnsmasq-base`"):
        require_binary(MISSING, "dnsmasq-base", environ={})


@pytest.mark.parametrize("ci", ["true"])
def test_missing_binary_fails_under_ci(ci: str) -> None:
    """With CI=true a missing server is a failure, so CI can never silently skip the interop tests."""
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_binary(MISSING, "tinyproxy-bin", environ={"CI": ci})


@pytest.mark.parametrize("ci", ["", "false", "1"])
def test_only_ci_true_turns_the_skip_into_a_failure(ci: str) -> None:
    """Other values of CI keep the skip (the brief's rule is exactly CI=true)."""
    with pytest.raises(pytest.skip.Exception):
        require_binary(MISSING, "nginx", environ={"CI": ci})


def test_present_binary_is_found() -> None:
    assert os.access(require_binary("sh", "dash", environ={"CI": "true"}), os.X_OK)


def _alive(pid: int) -> bool:
    """Running, that is: neither gone nor a zombie waiting for whoever adopted it to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    """A server that forked a child (as nginx forks workers): stop() ends both, and it is idempotent."""
    port = free_port()
    child_pid_file = tmp_path / "child.pid"
    script = (
        "import os, socket, sys, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(60); sys.exit(0)\n"
        f"open({str(child_pid_file)!r}, 'w').write(str(pid))\n"
        "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(8)\n"
        "time.sleep(60)\n"
    )
    server = ServerProcess("forking test server", [sys.executable, "-c", script, str(port)], tmp_path / "log", port)
    child = int(child_pid_file.read_text())
    assert _alive(server.process.pid) and _alive(child)
    server.stop()
    server.stop()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:  # reaped by init once killed
        time.sleep(0.02)
    assert server.process.poll() is not None
    assert not _alive(child)
    assert server not in ServerProcess._running


def test_server_that_exits_early_is_reported_with_its_output(tmp_path: Path) -> None:
    """A server that dies before listening makes the fixture fail with what it printed, not hang."""
    argv = [sys.executable, "-c", "import sys; print('bad config line 3'); sys.exit(1)"]
    with pytest.raises(RuntimeError, match="bad config line 3"):
        ServerProcess("failing server", argv, tmp_path / "log", free_port())
