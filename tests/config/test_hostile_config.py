"""
Hostile configs (issue 18): variable-expansion bombs, huge files and lists, devices instead of
files, odd encodings. Each is a clear finding (or usage error) within the run's deadline and
300 MB; the costly ones run as a real `esprobe` process whose peak RSS is read with
resource.getrusage inside that process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from esprobe.config import load_config
from tests.support.config import codes, load, only
from tests.support.paths import REPO

MAX_RSS_KB = 300 * 1024
TIMEOUT = 2.0  # --timeout of the process runs: the deadline is 4 x that
DEADLINE = 4 * TIMEOUT
START_UP = 4.0  # interpreter and imports, on a loaded machine

_MEASURE = (
    "import resource, sys\n"
    "from esprobe.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "sys.stderr.write('\\nMAXRSS %d CPU %.3f\\n' % (usage.ru_maxrss, usage.ru_utime + usage.ru_stime))\n"
    "sys.exit(code)\n"
)


def _process(nameserver: str, *args: str, timeout: float = TIMEOUT) -> Tuple[int, str, str, float, int]:
    """
    (exit code, stdout, stderr, CPU seconds, peak RSS in kB) of one `esprobe` process. CPU time, not wall
    time: what must stay bounded is the work esprobe does, and on a loaded machine (CI, the flakiness
    benchmark's CPU burners) wall time also counts the time other processes held the CPU.
    """
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args, "--nameserver", nameserver, "--timeout", f"{timeout:g}",
         "--format", "json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    measured = done.stderr.rsplit("MAXRSS ", 1)[1].split()
    return done.returncode, done.stdout, done.stderr, float(measured[2]), int(measured[0])


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def _doubling_bomb(levels: int = 20) -> str:
    lines = ["output.elasticsearch:", '  hosts: ["http://127.0.0.1:9"]', "  username: u", "  password: '${e0}'"]
    lines += [f"e{i}: '${{e{i + 1}}}${{e{i + 1}}}'" for i in range(levels)]
    lines.append(f"e{levels}: '{'A' * 64}'")
    return "\n".join(lines) + "\n"


def _chain(links: int) -> str:
    lines = ["output.elasticsearch:", '  hosts: ["http://127.0.0.1:9"]', "  username: u", "  password: '${c0}'"]
    lines += [f"c{i}: '${{c{i + 1}}}x'" for i in range(links)]
    lines.append(f"c{links}: end")
    return "\n".join(lines) + "\n"


# --- variable bombs -------------------------------------------------------------------------------


def test_doubling_bomb_is_a_finding_naming_the_variable_within_deadline_and_memory(
        tmp_path: Path, nameserver: str) -> None:
    """20 levels of e_i: ${e_i+1}${e_i+1} (2^20 copies): was minutes and 4.6 GB."""
    config = _write(tmp_path / "metricbeat.yml", _doubling_bomb())
    code, out, err, seconds, rss = _process(nameserver, "-c", str(config))
    assert code == 3, err
    assert '"config-variable-bound"' in out
    assert "${e" in out and "MiB of text" in out
    assert seconds < DEADLINE + START_UP, seconds
    assert rss < MAX_RSS_KB, rss


def test_a_seventy_link_chain_is_not_cyclic(tmp_path: Path) -> None:
    """Not a cycle, only long: it resolves, as go-ucfg resolves it."""
    loaded = load(tmp_path, _chain(70))
    assert "config-unresolved-variable" not in codes(loaded)
    assert "config-variable-bound" not in codes(loaded)
    assert loaded.targets[0].credentials.password == "end" + "x" * 70


def test_a_chain_past_the_depth_bound_says_so_not_cyclic(tmp_path: Path) -> None:
    finding = only(load(tmp_path, _chain(150)), "config-variable-bound")
    assert "nested variables" in finding.message
    assert "cyclic" not in finding.message
    assert "${c" in finding.message


def test_a_real_cycle_is_still_cyclic(tmp_path: Path) -> None:
    text = "output.elasticsearch:\n  hosts: ['http://127.0.0.1:9']\n  password: '${a}'\na: '${b}'\nb: '${a}'\n"
    finding = only(load(tmp_path, text), "config-unresolved-variable")
    assert "cyclic" in finding.message


def test_two_million_dollar_signs_within_deadline_and_memory(tmp_path: Path, nameserver: str) -> None:
    """'$$' x 1,000,000 in a password: quadratic lexing (and a megabyte regex) took minutes."""
    head = "output.elasticsearch:\n  hosts: ['http://127.0.0.1:9']\n  username: u\n"
    text = head + "  password: '" + "$$" * 1_000_000 + "'\n"
    config = _write(tmp_path / "metricbeat.yml", text)
    code, out, err, seconds, rss = _process(nameserver, "-c", str(config))
    assert code in (2, 3), err
    assert "$$$$$$$$" not in out  # the secret (one million '$') is not printed either
    assert seconds < DEADLINE + START_UP, seconds
    assert rss < MAX_RSS_KB, rss


# --- big files and lists ---------------------------------------------------------------------------


def test_flat_fifteen_megabyte_file_is_too_many_values_not_too_deep(tmp_path: Path, nameserver: str) -> None:
    lines = ["output.elasticsearch:", "  hosts: ['http://127.0.0.1:9']"]
    size, i = 0, 0
    while size < 15_000_000:
        line = f"k{i}: value-number-{i}"
        lines.append(line)
        size += len(line) + 1
        i += 1
    config = _write(tmp_path / "metricbeat.yml", "\n".join(lines) + "\n")
    # A long deadline: the bound on values must be what stops this file, however busy the machine (with
    # --timeout 2, a loaded CI machine reached the run's deadline first and the message said so instead).
    code, out, err, seconds, rss = _process(nameserver, "-c", str(config), timeout=30)
    assert code == 3, err
    assert '"config-beyond-bounds"' in out
    assert "holds more than" in out and "values" in out
    assert "nested" not in out
    assert seconds < DEADLINE + START_UP, seconds
    assert rss < MAX_RSS_KB, rss


def test_billion_laughs_aliases_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    lines.append("output.elasticsearch.hosts: ['http://127.0.0.1:9']")
    loaded = load(tmp_path, "\n".join(lines) + "\n")
    finding = only(loaded, "config-beyond-bounds")
    assert "aliases expand" in finding.message


@pytest.mark.parametrize("count", [1025, 1026, 5000])
def test_a_host_list_past_the_reader_is_a_config_error_and_no_target(tmp_path: Path, count: int) -> None:
    """elasticsearch[1025] used to become http://localhost:9200, and got the password in cleartext."""
    hosts = ", ".join(f'"http://127.0.0.1:{1 + i}"' for i in range(count))
    text = f"output.elasticsearch:\n  hosts: [{hosts}]\n  username: u\n  password: Sup3rSecretPw\n"
    loaded = load(tmp_path, text)
    if count <= 1025:
        assert "config-list-too-long" not in codes(loaded)
        assert len(loaded.targets) == count
        assert all("localhost" not in t.url for t in loaded.targets)
        return
    finding = only(loaded, "config-list-too-long")
    assert "1025" in finding.message and str(count) in finding.message
    assert finding.severity.value == "fail"  # exit 3
    assert not [t for t in loaded.targets if t.role.value == "elasticsearch"]
    assert "config-missing-hosts" not in codes(loaded)


# --- devices and odd files ------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "fifo"])
def test_a_device_or_fifo_as_config_is_refused_at_once(tmp_path: Path, device: str) -> None:
    path = device
    if device == "fifo":
        path = str(tmp_path / "fifo.yml")
        os.mkfifo(path)
    started = time.monotonic()
    loaded = load_config([path], environ={})
    assert time.monotonic() - started < 2
    assert "config-file-unreadable" in codes(loaded)


# --- odd encodings --------------------------------------------------------------------------------


def test_utf16_config_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "metricbeat.yml"
    path.write_bytes("output.elasticsearch.hosts: ['http://127.0.0.1:9']\n".encode("utf-16"))
    path.chmod(0o600)
    loaded = load_config([str(path)], environ={})
    assert [t.url for t in loaded.targets] == ["http://127.0.0.1:9"]


def test_invalid_utf8_config_is_a_yaml_finding(tmp_path: Path) -> None:
    path = tmp_path / "metricbeat.yml"
    path.write_bytes(b"output.elasticsearch.hosts: ['http://127.0.0.1:9']\npassword: \xff\xfe\n")
    path.chmod(0o600)
    loaded = load_config([str(path)], environ={})
    finding = only(loaded, "config-yaml-invalid")
    assert "UTF-8" in finding.message


def test_nul_and_escapes_in_values_do_not_break_loading(tmp_path: Path) -> None:
    text = 'output.elasticsearch:\n  hosts: ["http://127.0.0.1:9"]\n  username: "a\\0b\\e[31m"\n'
    loaded = load(tmp_path, text)
    assert "config-internal-error" not in codes(loaded)


def test_non_utf8_override_is_a_one_line_usage_error(tmp_path: Path, nameserver: str) -> None:
    """A -E value that is not UTF-8 (bytes from the OS): exit 3, one line, the value never shown."""
    config = _write(tmp_path / "metricbeat.yml", "output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    done = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"esprobe", b"-c", os.fsencode(str(config)),
         b"-E", b"output.elasticsearch.password=se\xffcret", b"--nameserver", nameserver.encode()],
        capture_output=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 3
    lines: List[bytes] = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert b"-E output.elasticsearch.password" in lines[0] and b"UTF-8" in lines[0]
    assert b"se" not in lines[0].split(b"password", 1)[1][:6]
    assert b"Traceback" not in done.stderr


def test_the_run_deadline_covers_config_loading(tmp_path: Path) -> None:
    """With the deadline already past, reading stops: a big file and a long expansion each say why."""
    from esprobe.context import Deadline

    expired = Deadline(0.0)
    lines = ["output.elasticsearch.hosts: ['http://127.0.0.1:9']"] + [f"k{i}: v{i}" for i in range(3000)]
    big = _write(tmp_path / "big.yml", "\n".join(lines) + "\n")
    finding = only(load_config([str(big)], environ={}, deadline=expired), "config-beyond-bounds")
    assert "deadline" in finding.message

    wide = _write(tmp_path / "wide.yml", _doubling_bomb(12).replace("e12: '" + "A" * 64, "e12: 'A"))
    loaded = load_config([str(wide)], environ={}, deadline=expired)
    messages = [f.message for f in loaded.findings if f.code == "config-variable-bound"]
    assert any("${e0}" in m and "deadline passed" in m for m in messages), messages
