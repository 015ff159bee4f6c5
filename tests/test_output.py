"""--output replaces its file atomically: a reader polling it never sees a partial file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.output import emit, write_atomically, write_report
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


# --- what is at the path decides how it is written (issue 18, item 1) -----------------------------


def _umask(mask: int) -> int:
    return os.umask(mask)


def test_new_file_follows_the_umask_and_is_at_most_0644(tmp_path: Path) -> None:
    for mask, expected in ((0o077, 0o600), (0o027, 0o640), (0o000, 0o644)):
        previous = _umask(mask)
        try:
            target = tmp_path / f"new-{mask:o}.json"
            write_report(str(target), b"{}")
        finally:
            _umask(previous)
        assert stat.S_IMODE(os.stat(target).st_mode) == expected, oct(mask)


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    for mode in (0o600, 0o640, 0o604, 0o664):
        target = tmp_path / f"kept-{mode:o}.json"
        target.write_bytes(b"old")
        target.chmod(mode)
        write_report(str(target), b"new")
        assert target.read_bytes() == b"new"
        assert stat.S_IMODE(os.stat(target).st_mode) == mode


def test_symlinked_file_is_replaced_behind_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_report(str(link), b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600


def test_character_device_is_written_in_place(tmp_path: Path) -> None:
    """`--output /dev/null` (as root it used to become a regular 0644 file holding the report)."""
    before = os.stat("/dev/null")
    write_report("/dev/null", b"report\n")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)
    assert not list(Path("/dev").glob(".esprobe-*"))


def test_fifo_is_written_in_place_for_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_report(str(fifo), b"through the pipe\n", wait=5)
    reader.join(5)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_fifo_without_reader_waits_at_most_the_bound(tmp_path: Path) -> None:
    import errno
    import time

    fifo = tmp_path / "nobody.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(OSError) as caught:
        write_report(str(fifo), b"x", wait=0.3)
    assert caught.value.errno == errno.ENXIO and "no reader" in str(caught.value)
    assert time.monotonic() - started < 2


def test_dev_stdout_goes_to_the_stream_never_replaces_the_link() -> None:
    import io

    stream = io.StringIO()
    before = os.lstat("/dev/stdout")
    write_report("/dev/stdout", b"to the stream\n", stream=stream)
    assert stream.getvalue() == "to the stream\n"
    assert os.lstat("/dev/stdout").st_mode == before.st_mode  # still the symlink it was


def test_directory_is_refused(tmp_path: Path) -> None:
    import errno

    with pytest.raises(OSError) as caught:
        write_report(str(tmp_path), b"x")
    assert caught.value.errno == errno.EISDIR
    assert list(tmp_path.iterdir()) == []


def test_cli_output_to_a_directory_is_one_line_and_exit_3(tmp_path: Path) -> None:
    import io

    from esprobe.cli import main
    from esprobe.environment import Environment

    config = tmp_path / "metricbeat.yml"
    config.write_text("output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    config.chmod(0o600)
    out, err = io.StringIO(), io.StringIO()
    with FakeDns(Zone()) as dns:
        code = main(["-c", str(config), "--output", str(tmp_path), "--timeout", "0.5", "--nameserver", dns.nameserver],
                    Environment(out, err, False, {}, str(tmp_path)))
    assert code == 3
    expected = f"esprobe: cannot write {tmp_path}: is a directory; give a file name"
    assert err.getvalue().strip().splitlines() == [expected]
