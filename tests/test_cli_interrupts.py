"""Ctrl-C ends a run promptly with exit 130, no traceback, and no half-written --output file."""

from __future__ import annotations

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


@pytest.mark.parametrize("fmt", ["table", "prometheus"])
def test_ctrl_c_ends_promptly_with_130(tmp_path: Path, fmt: str) -> None:
    """SIGINT while a peer hangs the handshake: exit 130 within a second, a one-line message, no traceback."""
    output = tmp_path / "out" / "esprobe.prom"
    output.parent.mkdir()
    connected = threading.Event()

    def holds(conn):  # type: ignore[no-untyped-def]
        connected.set()
        never_speaks(conn)

    with serve(holds) as (_, port):
        process = subprocess.Popen(
            [sys.executable, "-m", "esprobe", "-c", str(_config(tmp_path, port)), "--timeout", "30",
             "--format", fmt, "--output", str(output), "--hosts-file", os.devnull,
             "--nameserver", "127.0.0.1:1"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        # Into the TLS handshake that will never finish: wait for the connection rather than a fixed
        # time, which a loaded machine can spend on start-up alone.
        assert connected.wait(30), "esprobe never connected"
        time.sleep(0.2)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    assert process.returncode == 130, err
    assert elapsed < 5  # far below the 30 s --timeout the handshake would otherwise wait for
    assert "Traceback" not in err and "Traceback" not in out
    assert err.strip() == "esprobe: interrupted"
    assert list(output.parent.iterdir()) == []  # neither the report nor a temporary file
