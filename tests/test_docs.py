"""The first five minutes on paper: README's set-up commands, its links, and `esprobe --help`."""

from __future__ import annotations

import io
import json
import re
import shlex
from typing import List

import pytest

from esprobe.cli import main
from esprobe.environment import Environment
from tests.support.paths import REPO

DEMO_COMMAND = "python3 -m pip install . && esprobe demo"
TEST_COMMAND = "python3 -m pip install '.[test]' && python3 -m pytest"


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def _command_lines(text: str) -> List[str]:
    """The commands of the README's ```sh blocks, comments stripped."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                commands.append(command)
    return commands


def _words(command: str) -> List[str]:
    """A command as the shell splits it, with what differs between README and CI folded away."""
    return [{"python3": "python"}.get(w, w) for w in shlex.split(command) if w != "-q"]


def test_readme_set_up_commands_are_exactly_the_two_of_the_brief() -> None:
    """The set-up block holds the demo command first and the test command second, verbatim."""
    setup = _readme().split("## Set-up", 1)[1]
    assert _command_lines(setup)[:2] == [DEMO_COMMAND, TEST_COMMAND]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command (in its venv: `python`, quietly)."""
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if "pytest" in line and not line.lstrip().startswith("#")]
    assert [_words(c) for c in commands] == [_words(TEST_COMMAND)]


def test_the_supported_pythons_are_stated_alike_everywhere() -> None:
    """setup.cfg's python_requires and classifiers, the README and tox.ini name one range (issue #21)."""
    setup = (REPO / "setup.cfg").read_text(encoding="utf-8")
    versions = re.findall(r"Programming Language :: Python :: 3\.(\d+)$", setup, re.M)
    minors = sorted(int(v) for v in versions)
    assert minors == list(range(minors[0], minors[-1] + 1)), "classifiers: one version per line, no gap"
    assert f"python_requires = >=3.{minors[0]}" in setup
    assert f"Python 3.{minors[0]} to 3.{minors[-1]}" in _readme()
    tox = (REPO / "tox.ini").read_text(encoding="utf-8")
    envlist = re.search(r"^envlist = (.*)$", tox, re.M)
    assert envlist is not None
    assert [e for e in envlist.group(1).split(", ") if e.startswith("py")] == [f"py3{m}" for m in minors]


def test_readme_links_point_at_files_that_exist() -> None:
    """Describe only what exists: every relative link of the README resolves in the repository."""
    links = re.findall(r"\]\(([^)#]+)\)", _readme())
    relative = [link for link in links if "://" not in link]
    assert relative, "the README links to its docs"
    assert [link for link in relative if not (REPO / link).exists()] == []


@pytest.mark.parametrize("needle", ["esprobe bundle -c", "--format nagios", "--format prometheus", "--format json",
                                    "docs/scheduling.md", "docs/findings.md", "report.schema.json",
                                    "metricbeat test output", "| 3 |"])
def test_readme_covers_each_job_and_format(needle: str) -> None:
    assert needle in _readme()


def _property_names(schema: object) -> List[str]:
    """Every key the schema names under a `properties` mapping, at any depth."""
    names: List[str] = []
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            names.extend(properties)
        for value in schema.values():
            names.extend(_property_names(value))
    elif isinstance(schema, list):
        for value in schema:
            names.extend(_property_names(value))
    return names


def test_the_contract_page_names_every_key_of_the_schema() -> None:
    """docs/report-contract.md is the public API's page: a key the schema (and so the JSON) has is on it too."""
    schema = json.loads((REPO / "esprobe" / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    page = (REPO / "docs" / "report-contract.md").read_text(encoding="utf-8")
    names = sorted(set(_property_names(schema)))
    assert "schema_version" in names and "error_trace" in names
    assert [name for name in names if not re.search(r"[`\"]" + re.escape(name) + r"[`\"]", page)] == []
    version = schema["properties"]["schema_version"]["const"]
    assert f'"schema_version": {version},' in page


def test_help_fits_one_screen_with_examples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`esprobe --help` on a 100-column terminal: at most 40 lines, none wider, with examples."""
    monkeypatch.setenv("COLUMNS", "100")
    env = Environment(io.StringIO(), io.StringIO(), stdout_isatty=False, environ={}, cwd="/")
    assert main(["--help"], env) == 0
    text = env.stdout.getvalue()  # type: ignore[attr-defined]
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= 40, f"{len(lines)} lines"
    assert [line for line in lines if len(line) > 100] == []
    assert "examples:" in text and "esprobe demo" in text and "exit codes:" in text
    for option in ("-c PATH", "-E KEY=VALUE", "--format", "--output", "--only"):
        assert option in text
    # each option with its own argument: -v is a switch, only --save-chain takes DIR
    assert re.search(r"^  -v  +verbose", text, re.M) and "--save-chain DIR" in text and "-v, --save-chain" not in text


def test_readme_set_up_covers_an_externally_managed_python_and_sudo() -> None:
    """Issue #17 point 10: stock Debian/Ubuntu refuse pip into the system Python; sudo has no venv on its PATH."""
    setup = _readme().split("## Set-up", 1)[1].split("## Usage", 1)[0]
    commands = _command_lines(setup)
    assert any(c.startswith("sudo apt install python3-venv && python3 -m venv ") and "/bin/activate" in c
               for c in commands), commands
    assert any("pipx install ." in c for c in commands), commands
    assert "externally-managed-environment" in setup
    assert 'sudo "$(command -v esprobe)" -c /etc/metricbeat/metricbeat.yml' in setup
    assert 'sudo "$(command -v esprobe)"' in _readme().split("## Usage", 1)[1]


def test_command_v_finds_the_installed_esprobe_as_the_readme_says(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`"$(command -v esprobe)"` names the console script of this (venv) install, and that path runs as is."""
    import os
    import subprocess
    import sys

    bin_dir = os.path.dirname(sys.executable)
    if not os.path.exists(os.path.join(bin_dir, "esprobe")):
        pytest.skip("esprobe's console script is not installed next to this Python")
    environ = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    found = subprocess.run(["sh", "-c", "command -v esprobe"], env=environ, capture_output=True, text=True, check=True)
    path = found.stdout.strip()
    assert os.path.isabs(path) and path.startswith(bin_dir)
    # What sudo would run: the absolute path, with sudo's own (venv-less) PATH.
    ran = subprocess.run([path, "--version"], env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, capture_output=True,
                         text=True)
    assert ran.returncode == 0 and ran.stdout.startswith("esprobe ")
