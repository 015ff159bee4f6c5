"""--output replaces its file atomically: a reader polling it never sees a partial file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from esprobe.output import emit, write_atomically
from esprobe.redact import Redactor


def test_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    """Two large versions written in turn while another thread reads: every read is one whole version."""
    path = tmp_path / "esprobe.prom"
    versions = [b"a" * 400_000 + b"\n", b"b" * 700_000 + b"\n"]
    seen = set()
    bad = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            if data not in versions:
                bad.append(len(data))
            seen.add(data[:1])

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(200):
            write_atomically(str(path), versions[i % 2])
    finally:
        stop.set()
        thread.join()
    assert bad == []
    assert seen == {b"a", b"b"}
    assert [p.name for p in tmp_path.iterdir()] == ["esprobe.prom"]  # no temporary left behind


def test_failed_write_leaves_no_temporary(tmp_path: Path) -> None:
    """A write that fails midway (here: the target is a directory) removes its temporary file."""
    (tmp_path / "report.json").mkdir()
    try:
        write_atomically(str(tmp_path / "report.json"), b"{}")
    except OSError:
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_emit_redacts_before_writing(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.add("Out-Canary-31f0", "output.elasticsearch.password")
    target = tmp_path / "out.txt"
    emit("password was Out-Canary-31f0\n", redactor, stream=None, path=str(target))  # type: ignore[arg-type]
    assert target.read_text() == "password was <redacted>\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
