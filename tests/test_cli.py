"""The command line end to end, in-process, against the loopback stack: formats, exit codes, --output."""

from __future__ import annotations

import json
import os
import time
from typing import Iterator, Optional

import pytest

from tests.support.cli import WRITER_PASSWORD, Stack, start_stack
from tests.support.peers import never_speaks, serve
from tests.support.schema import validate_report


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("cli"))


def test_healthy_stack_is_ok_and_quiet(stack: Stack) -> None:
    """Every stage passes for Elasticsearch and Kibana: exit 0, nothing on stderr (cron mails stderr)."""
    result = stack.run("-c", str(stack.healthy_config()), "--format", "json")
    document = json.loads(result.out)
    validate_report(document)
    assert result.err == ""
    assert (result.code, document["status"]) == (0, "ok"), [
        (t["id"], s["stage"], s["summary"]) for t in document["targets"] for s in t["stages"] if s["status"] != "ok"]
    assert [t["id"] for t in document["targets"]] == ["elasticsearch[0]", "kibana"]
    assert [s["stage"] for s in document["targets"][0]["stages"]] == [
        "dns", "tcp", "tls", "hostname", "http", "auth", "privileges"]


@pytest.mark.parametrize("fmt", ["table", "json", "nagios", "prometheus"])
def test_every_format_gives_the_same_exit_code(stack: Stack, fmt: str) -> None:
    wrong = stack.healthy_config()
    result = stack.run("-c", str(wrong), "--format", fmt, environ={"ES_PWD": "not-the-password"})
    assert result.code == 2
    assert result.out


def test_wrong_password_fails_auth_and_names_the_user(stack: Stack) -> None:
    result = stack.run("-c", str(stack.healthy_config()), "--format", "json", environ={"ES_PWD": "nope-wrong"})
    document = json.loads(result.out)
    validate_report(document)
    es = document["targets"][0]
    auth = next(s for s in es["stages"] if s["stage"] == "auth")
    assert auth["status"] == "fail"
    assert "beats_writer" in json.dumps(auth)


def test_only_limits_the_roles(stack: Stack) -> None:
    result = stack.run("-c", str(stack.healthy_config()), "--format", "json", "--only", "kibana")
    assert [t["id"] for t in json.loads(result.out)["targets"]] == ["kibana"]


def test_unusable_config_exits_3_naming_the_setting(stack: Stack) -> None:
    config = stack.config(
        'output.elasticsearch:\n  hosts: ["https://es.test:9200"]\n  api_key: "id:key"\n  username: someone\n',
        "conflict.yml",
    )
    result = stack.run("-c", str(config), "--format", "json")
    document = json.loads(result.out)
    validate_report(document)
    assert result.code == 3 and document["status"] == "unknown"
    assert any(f["setting"] and "output.elasticsearch" in f["setting"] for f in document["findings"])


@pytest.mark.parametrize(
    "args", [["--timeout", "0"], ["--format", "xml"], ["--crit-days", "40"], ["--nameserver", "dns.example"]]
)
def test_bad_command_line_exits_3(stack: Stack, args: list) -> None:
    result = stack.run("-c", str(stack.healthy_config()), *args)
    assert result.code == 3


def test_missing_config_file_exits_3_without_traceback(stack: Stack) -> None:
    """One clear line and exit 3, not a report whose other findings (no output configured) are consequences."""
    result = stack.run("-c", str(stack.directory / "nope.yml"), "--format", "json")
    assert result.code == 3
    assert "Traceback" not in result.err + result.out
    assert result.out == ""
    assert result.err.splitlines() == [f"esprobe: error: -c {stack.directory / 'nope.yml'}: no such file"]


def test_output_file_is_written_atomically_and_stdout_stays_empty(stack: Stack) -> None:
    target = stack.directory / "report.json"
    result = stack.run("-c", str(stack.healthy_config()), "--format", "json", "--output", str(target))
    assert result.code == 0 and result.out == "" and result.err == ""
    validate_report(json.loads(target.read_text()))
    assert [p.name for p in stack.directory.iterdir() if p.name.startswith(".esprobe-")] == []


def test_output_to_an_unwritable_place_exits_3(stack: Stack) -> None:
    result = stack.run("-c", str(stack.healthy_config()), "--output", str(stack.directory / "no" / "such" / "dir.txt"))
    assert result.code == 3
    assert "cannot write" in result.err


def test_colour_only_on_a_terminal_and_never_with_no_color(stack: Stack) -> None:
    config = str(stack.healthy_config())
    assert "\033[" in stack.run("-c", config, isatty=True).out
    assert "\033[" not in stack.run("-c", config, isatty=True, environ={"NO_COLOR": "1"}).out
    assert "\033[" not in stack.run("-c", config, isatty=False).out


def test_version_and_help() -> None:
    import io

    from esprobe.cli import main
    from esprobe.environment import Environment

    out = io.StringIO()
    assert main(["--version"], Environment(out, io.StringIO(), False, {}, ".")) == 0


def test_deadline_bounds_the_run_against_silent_peers(stack: Stack) -> None:
    """Five hosts that accept and never speak, one at a time: the run ends at 4 x --timeout, cut-off targets fail."""
    with serve(never_speaks) as (_, port):
        hosts = ", ".join(f'"https://127.0.0.{i}:{port}"' for i in range(1, 2)) + ", " + ", ".join(
            f'"https://127.0.0.1:{port}/{i}"' for i in range(2, 6))
        config = stack.config(f"output.elasticsearch.hosts: [{hosts}]\n", "silent.yml")
        started = time.monotonic()
        result = stack.run("-c", str(config), "--format", "json", "--timeout", "0.5", "--concurrency", "1")
        elapsed = time.monotonic() - started
    document = json.loads(result.out)
    validate_report(document)
    assert elapsed < 0.5 * 4 + 1.0
    assert result.code == 2
    codes = [f["code"] for t in document["targets"] for s in t["stages"] for f in s["findings"]]
    assert "tls-handshake-timeout" in codes
    assert "run-deadline-exceeded" in codes


def test_help_goes_to_the_given_stream_and_imports_nothing_heavy() -> None:
    """--help and --version write to the Environment's stdout and load none of the network stack."""
    import subprocess
    import sys

    code = (
        "import io, sys; from esprobe.cli import main; from esprobe.environment import Environment; out = "
        "io.StringIO(); "
        "assert main(['--help'], Environment(out, io.StringIO(), False, {}, '.')) == 0; "
        "assert 'exit codes' in out.getvalue(); "
        "print(','.join(m for m in ('requests', 'OpenSSL', 'cryptography', 'dns', 'yaml', 'idna', 'tabulate') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_version_and_help_build_no_dataclasses() -> None:
    """
    The rule sets (a dataclass: dataclasses, inspect, ast) wait for a check; --help reads the Beat lines only.
    argparse's own formatter would import shutil (bz2, lzma) for the terminal width on every add_argument.
    """
    import subprocess
    import sys

    for flag in ("--version", "--help"):
        code = (
            "import io, sys; from esprobe.cli import main; from esprobe.environment import Environment; "
            f"main([{flag!r}], Environment(io.StringIO(), io.StringIO(), False, {{}}, '.')); "
            "print(','.join(m for m in ('dataclasses', 'inspect', 'esprobe.rulesets', 'esprobe.model', 'shutil') "
            "if m in sys.modules))"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert result.stdout.strip() == "", (flag, result.stdout)


def test_a_json_probe_imports_only_what_it_needs(stack: Stack) -> None:
    """
    A healthy probe with JSON output loads no HTTP or DNS library (esprobe speaks both itself) and not
    the table's tabulate: each would cost every scheduled run its import (issue #20).
    """
    import subprocess
    import sys

    code = (
        "import io, json, sys; from esprobe.cli import main; from esprobe.environment import Environment; "
        "out = io.StringIO(); "
        f"exit_code = main(['-c', {str(stack.healthy_config())!r}, '--nameserver', {stack.nameserver!r}, "
        f"'--format', 'json'], Environment(out, io.StringIO(), False, {{'ES_PWD': {WRITER_PASSWORD!r}}}, '.')); "
        "print(json.dumps([exit_code, json.loads(out.getvalue())['status'], "
        "[m for m in ('requests', 'urllib3', 'dns', 'http.client', 'tabulate') if m in sys.modules]]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=str(stack.directory))
    assert [0, "ok", []] == json.loads(result.stdout)


def test_the_entry_point_pauses_collection_for_start_up_only(stack: Stack) -> None:
    """
    console_main pauses the cyclic collector while modules load (issue #20) and resumes it, with the
    start-up objects frozen, before the probe runs; `main` called as a library leaves the collector alone.
    """
    import gc
    import subprocess
    import sys

    code = (
        "import gc, json, os, sys; import esprobe.cli as cli; import esprobe.probe.check as check; seen = {}; "
        "real = check.run_check\n"
        "def spy(*args, **kwargs):\n"
        "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count())\n"
        "    return real(*args, **kwargs)\n"
        "check.run_check = spy; leave = os._exit\n"
        "def report(code):\n"
        "    sys.stderr.write(json.dumps([code, seen])); sys.stderr.flush(); leave(code)\n"
        "os._exit = report\n"
        f"sys.argv = ['esprobe', '-c', {str(stack.healthy_config())!r}, '--nameserver', {stack.nameserver!r}, "
        "'--format', 'json']\n"
        "cli.console_main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(stack.directory), env={**os.environ, "ES_PWD": WRITER_PASSWORD})
    exit_code, seen = json.loads(result.stderr)
    assert (exit_code, seen["enabled"]) == (0, True)
    assert seen["frozen"] > 10_000  # the modules and what they defined, out of every later collection

    frozen_before = gc.get_freeze_count()
    assert stack.run("-c", str(stack.healthy_config()), "--format", "json").code == 0
    assert (gc.isenabled(), gc.get_freeze_count()) == (True, frozen_before)


def test_beat_version_names_the_rules_in_every_report(stack: Stack) -> None:
    """--beat-version picks the Beat/Go rule set; JSON and table both say which one judged."""
    config = str(stack.healthy_config())
    document = json.loads(stack.run("-c", config, "--format", "json", "--beat-version", "8.19").out)
    validate_report(document)
    assert document["rules"]["beat_version"] == "8.19"
    assert document["rules"]["go_version"].startswith("1.24.")
    default = json.loads(stack.run("-c", config, "--format", "json").out)
    assert default["rules"]["beat_line"] == "9.2"
    table = stack.run("-c", config, "--beat-version", "9.4.1").out
    assert "judged as Beat 9.4.1 (Go " in table and "rules of Beat 9.2" in table


def test_an_unusable_beat_version_exits_3_naming_the_option(stack: Stack) -> None:
    result = stack.run("-c", str(stack.healthy_config()), "--beat-version", "nine")
    assert result.code == 3
    assert "--beat-version" in result.err and result.out == ""


@pytest.mark.parametrize(("columns", "expected"), [("50", 50), ("200", 200), ("0", None), ("wide", None), ("", None)])
def test_help_width_follows_columns_as_shutil_does(monkeypatch: pytest.MonkeyPatch, columns: str,
                                                   expected: Optional[int]) -> None:
    """esprobe's help formatter works out the width without shutil, by shutil.get_terminal_size's rule."""
    import shutil

    from esprobe import cli

    monkeypatch.setenv("COLUMNS", columns)
    assert cli._terminal_columns() == (expected or shutil.get_terminal_size().columns)
