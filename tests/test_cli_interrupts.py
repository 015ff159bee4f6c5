"""Ctrl-C ends a run promptly with exit 130, no traceback, and no half-written --output file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.peers import never_speaks, serve


def _config(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "metricbeat.yml"
    config.write_text(f'output.elasticsearch.hosts: ["https://127.0.0.1:{port}"]\n')
    config.chmod(0o600)
    return config


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("fmt", ["table", "prometheus"])
def test_ctrl_c_ends_promptly_with_130(tmp_path: Path, fmt: str) -> None:
    """SIGINT while a peer hangs the handshake: exit 130 in seconds, not the 30 s timeout; one line, no traceback."""
    output = tmp_path / "out" / "esprobe.prom"
    output.parent.mkdir()
    in_handshake = threading.Event()

    def holds(conn):  # type: ignore[no-untyped-def]
        # The first bytes esprobe sends here are its TLS ClientHello: once they have arrived, esprobe is
        # inside its run, waiting for an answer that never comes, whatever start-up cost on a busy machine.
        conn.settimeout(60)
        with contextlib.suppress(OSError):  # a run that never sends is reported by the wait below
            if conn.recv(4096):
                in_handshake.set()
        never_speaks(conn)

    with serve(holds) as (_, port):
        process = subprocess.Popen(
            [sys.executable, "-m", "esprobe", "-c", str(_config(tmp_path, port)), "--timeout", "30",
             "--format", fmt, "--output", str(output), "--hosts-file", os.devnull,
             "--nameserver", "127.0.0.1:1"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            # A suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and Python
            # then installs no KeyboardInterrupt handler: give the child the default disposition a user's
            # shell gives it.
            preexec_fn=_default_sigint,
        )
        # Wait for that observable signal, not a fixed time (a loaded machine can spend seconds on start-up
        # alone); the bound is generous because only a broken run should reach it.
        if not in_handshake.wait(60):
            process.kill()
            pytest.fail(f"esprobe never sent its ClientHello: {process.communicate()}")
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    assert process.returncode == 130, err
    assert elapsed < 5  # far below the 30 s --timeout the handshake would otherwise wait for
    assert "Traceback" not in err and "Traceback" not in out
    assert err.strip() == "esprobe: interrupted"
    assert list(output.parent.iterdir()) == []  # neither the report nor a temporary file
