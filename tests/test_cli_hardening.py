"""
The command line against bad numbers and ports (issue 18, items 7, 10 and 11): each a clear
finding or a one-line usage error with exit 3, and --debug never changing the exit code.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import List, Tuple

import pytest

from esprobe.cli import main
from esprobe.config import write_keystore
from esprobe.environment import Environment
from esprobe.redact import Redactor


def _config(directory: Path, text: str) -> Path:
    path = directory / "metricbeat.yml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def _run(directory: Path, *argv: str) -> Tuple[int, str, List[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(out, err, False, {}, str(directory)))
    return code, out.getvalue(), [line for line in err.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("value", ["inf", "=-inf", "nan", "1e300", "0", "-1", "1e-9", "3601", "soon"])
def test_timeout_out_of_range_is_a_one_line_usage_error(tmp_path: Path, nameserver: str, value: str) -> None:
    config = _config(tmp_path, "output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    timeout = ["--timeout" + value] if value.startswith("=") else ["--timeout", value]  # '-inf' looks like an option
    code, out, err = _run(tmp_path, "-c", str(config), *timeout, "--nameserver", nameserver)
    assert code == 3 and out == ""
    assert err == [err[0]] and err[0].startswith("esprobe: error: --timeout "), err
    assert not any("Traceback" in line or "internal error" in line for line in err)


def test_port_past_65535_is_a_tcp_finding_in_gos_words(tmp_path: Path, nameserver: str) -> None:
    """Port 99999: Python raised OverflowError inside the tcp stage; the Beat's dial says 'invalid port'."""
    config = _config(tmp_path, "output.elasticsearch.hosts: ['http://es.test:99999']\n")
    code, out, _ = _run(tmp_path, "-c", str(config), "--format", "json", "--timeout", "1", "--nameserver", nameserver)
    document = json.loads(out)
    tcp = next(s for s in document["targets"][0]["stages"] if s["stage"] == "tcp")
    assert tcp["status"] == "fail" and code == 2
    assert "invalid port" in tcp["findings"][0]["message"]


def test_debug_never_changes_the_exit_code(tmp_path: Path, nameserver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An internal error is exit 3 with or without --debug; --debug adds the traceback on stderr."""
    import esprobe.probe.check

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(esprobe.probe.check, "run_check", broken)
    config = _config(tmp_path, "output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    plain = _run(tmp_path, "-c", str(config), "--nameserver", nameserver)
    debug = _run(tmp_path, "-c", str(config), "--nameserver", nameserver, "--debug")
    assert plain[0] == debug[0] == 3
    assert any("Traceback" in line for line in debug[2]) and not any("Traceback" in line for line in plain[2])


def test_debug_traceback_never_shows_a_secret(tmp_path: Path, nameserver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The traceback goes through the run's redactor, like everything else esprobe writes."""
    import esprobe.probe.check

    def broken(options: object, redactor: Redactor) -> None:
        redactor.add("Debug-Trace-Secret-5150", "output.elasticsearch.password")
        raise RuntimeError("a bug while holding Debug-Trace-Secret-5150")

    monkeypatch.setattr(esprobe.probe.check, "run_check", broken)
    config = _config(tmp_path, "output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    code, _, err = _run(tmp_path, "-c", str(config), "--nameserver", nameserver, "--debug")
    assert code == 3 and any("Traceback" in line for line in err)
    assert not any("Debug-Trace-Secret-5150" in line for line in err)


def test_debug_keeps_the_verdict_exit_code(tmp_path: Path, nameserver: str) -> None:
    config = _config(tmp_path, "output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    assert _run(tmp_path, "-c", str(config), "--timeout", "0.5", "--nameserver", nameserver)[0] == \
        _run(tmp_path, "-c", str(config), "--timeout", "0.5", "--nameserver", nameserver, "--debug")[0]


def test_keystore_readable_by_others_fails_and_strict_perms_false_mirrors_the_beat(
        tmp_path: Path, nameserver: str) -> None:
    """Mode 0644: the Beat refuses to start (exit 3); --strict-perms=false, like -strict.perms=false, accepts it."""
    keystore = write_keystore(str(tmp_path / "metricbeat.keystore"), {"ES_PWD": "ks-secret-81"})
    os.chmod(keystore, 0o644)
    config = _config(tmp_path, "output.elasticsearch:\n  hosts: ['http://127.0.0.1:9']\n  password: '${ES_PWD}'\n")
    argv = ["-c", str(config), "--keystore", keystore, "--format", "json", "--timeout", "0.5",
            "--nameserver", nameserver]
    code, out, _ = _run(tmp_path, *argv)
    codes = [f["code"] for f in json.loads(out)["findings"]]
    assert code == 3 and "keystore-permissions" in codes
    code, out, _ = _run(tmp_path, *argv, "--strict-perms=false")
    assert "keystore-permissions" not in [f["code"] for f in json.loads(out)["findings"]]
    assert code != 3


def test_group_writable_config_fails_and_strict_perms_false_mirrors_the_beat(tmp_path: Path, nameserver: str) -> None:
    """Mode 0664: the Beat refuses to start (exit 3, its message naming the file); --strict-perms=false accepts it."""
    config = _config(tmp_path, "output.elasticsearch.hosts: ['http://127.0.0.1:9']\n")
    config.chmod(0o664)
    argv = ["-c", str(config), "--format", "json", "--timeout", "0.5", "--nameserver", nameserver]
    code, out, _ = _run(tmp_path, *argv)
    findings = [f for f in json.loads(out)["findings"] if f["code"] == "config-file-permissions"]
    assert code == 3 and [f["severity"] for f in findings] == ["fail"], findings
    assert findings[0]["message"].startswith(
        f'config file ("{config}") can only be writable by the owner but the permissions are "-rw-rw-r--"')
    code, out, _ = _run(tmp_path, *argv, "--strict-perms=false")
    assert "config-file-permissions" not in [f["code"] for f in json.loads(out)["findings"]]
    assert code != 3
