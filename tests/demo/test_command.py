"""`esprobe demo` end to end, in-process, against the stand-ins on loopback; and its demo site."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
from typing import Dict, Optional, Tuple

import pytest

from esprobe.cli import main
from esprobe.demo import samples
from esprobe.demo.command import (
    SCENARIOS,
    Scenario,
    _Painter,
    command_line,
    compact_view,
    outcome_from_json,
    run_demo,
)
from esprobe.demo.site import DemoSite
from esprobe.environment import Environment
from esprobe.findings import codes as catalogue_codes

_ANSI = re.compile(r"\x1b\[")


def _env(environ: Optional[Dict[str, str]] = None, tty: bool = False) -> Environment:
    return Environment(io.StringIO(), io.StringIO(), stdout_isatty=tty, environ=environ or {}, cwd="/")


def _scenario(title: str) -> Scenario:
    return next(s for s in SCENARIOS if s.title == title)


def test_esprobe_demo_exits_0_prints_every_scenario_and_leaves_nothing_behind() -> None:
    """The README's first command, in-process: every scenario gives its verdict, then the temp dir is gone."""
    env = _env()
    code = main(["demo"], env)
    out = env.stdout.getvalue()
    assert code == 0, out + env.stderr.getvalue()
    for number, scenario in enumerate(SCENARIOS, 1):
        assert f"{number}/{len(SCENARIOS)} {scenario.title}" in out
        if scenario.code:
            assert scenario.code in out
    assert out.count("✓ as built") == len(SCENARIOS)
    assert out.rstrip().splitlines()[-1].startswith(f"esprobe demo: all {len(SCENARIOS)} scenarios gave the verdict")
    assert not _ANSI.search(out)  # not a terminal: no colour
    directory = re.search(r"(/\S*esprobe-demo-[^\s,]+)", out)
    assert directory is not None and not os.path.exists(directory.group(1))
    assert "result: ok — 2 targets (2 ok)" in out  # the healthy run, shown in full
    # what is meant to be pasted stands whole on a line of its own, as in the report itself
    assert re.search(r'^ +output\.elasticsearch\.ssl\.ca_trusted_fingerprint: "[0-9a-f]{64}"$', out, re.M), out
    assert re.search(r'^ +PUT /_security/role_mapping/metricbeat-pki$', out, re.M), out


def test_demo_shows_no_secret_of_the_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command lines show variable names only; the site's password and keys never appear."""
    seen: Dict[str, str] = {}
    real_start = DemoSite.start

    def start(self: DemoSite) -> DemoSite:
        real_start(self)
        seen.update(self.values)
        return self

    monkeypatch.setattr(DemoSite, "start", start)
    env = _env()
    run_demo(env, main, scenarios=(_scenario("wrong password"), _scenario("encoded API key")))
    out = env.stdout.getvalue()
    assert seen and "ES_PWD=********" in out
    for name in ("password", "api-key", "read-only-api-key"):
        assert seen[name] not in out, name


@pytest.mark.parametrize(
    ("color", "environ", "tty", "coloured"),
    [(True, {}, True, True), (True, {"NO_COLOR": "1"}, True, False), (False, {}, False, False)],
)
def test_colour_only_when_asked_and_never_with_no_color(
    color: bool, environ: Dict[str, str], tty: bool, coloured: bool
) -> None:
    env = _env(environ, tty)
    assert run_demo(env, main, color=color, scenarios=(_scenario("wrong password"),)) == 0
    assert bool(_ANSI.search(env.stdout.getvalue())) is coloured


def test_a_scenario_that_misses_its_verdict_makes_the_demo_exit_1_naming_it() -> None:
    """The expectations are checked, not printed: a scenario built for the wrong verdict is reported."""
    wrong = dataclasses.replace(_scenario("wrong password"), title="deliberately mis-built", status="ok", code=None)
    env = _env()
    assert run_demo(env, main, scenarios=(wrong, _scenario("encoded API key"))) == 1
    out = env.stdout.getvalue()
    assert "✗ NOT as built" in out
    summary = out.rstrip("\n").splitlines()[-1]
    assert "1 of 2 scenarios did not give the verdict" in summary
    assert "deliberately mis-built (built for ok, got fail, exit 2)" in summary


def test_every_expected_code_is_in_the_findings_catalogue() -> None:
    """A renamed finding code breaks the demo's table here, not silently at run time."""
    known = set(catalogue_codes())
    assert [s.code for s in SCENARIOS if s.code and s.code not in known] == []
    assert [s.status for s in SCENARIOS].count("ok") == 1 and SCENARIOS[0].full


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", True), ("not json", True), ("[]", True),
     (json.dumps({"status": "fail", "findings": [], "targets": []}), False)],
)
def test_unreadable_report_is_a_miss_not_a_crash(text: str, problem: bool) -> None:
    outcome = outcome_from_json(_scenario("unknown CA"), 2, text)
    assert (outcome.problem is not None) is problem
    assert not outcome.as_built  # no tls-unknown-ca in any of them


def test_a_finding_keeps_its_snippet_lines_whole_and_wraps_its_prose() -> None:
    snippet = json.dumps({"roles": ["metricbeat_writer"], "rules": {"field": {"dn": "CN=beats02, OU=mon, O=esprobe"}}})
    hint = "Map this DN " + "with the role-mapping API " * 6 + "like this:\n    PUT /_security/role_mapping/x\n    "
    hint += snippet
    report = {"status": "fail", "findings": [],
              "targets": [{"id": "elasticsearch[0]", "stages": [{"stage": "auth", "status": "fail", "findings": [
                  {"code": "tls-unknown-ca", "severity": "fail", "message": "m", "hint": hint}]}]}]}
    lines = compact_view(outcome_from_json(_scenario("unknown CA"), 2, json.dumps(report)), _Painter(False))
    assert "        PUT /_security/role_mapping/x" in lines
    assert "        " + snippet in lines
    assert all(len(line) <= 100 for line in lines if snippet not in line)
    assert lines[lines.index("        PUT /_security/role_mapping/x") - 1].endswith("like this:")


def test_command_line_hides_values_quotes_overrides_and_keeps_options_with_their_values() -> None:
    text = command_line(_scenario("wrong host name"), 9201)
    assert text.startswith("$ ES_PWD=******** esprobe -c basic-auth.yml --only elasticsearch")
    assert "    -E 'output.elasticsearch.hosts=[\"https://es01:9201\"]'" in text.splitlines()
    assert all(len(line) <= 100 for line in text.splitlines())


# --- the demo site ---------------------------------------------------------------------------------

_NEEDS = {"ES_PWD": "password", "ES_API_KEY": "api-key", "ES_CA_FINGERPRINT": "ca-fingerprint"}


@pytest.mark.parametrize("name", samples.CONFIG_NAMES)
def test_every_sample_config_is_healthy_against_the_site(site: DemoSite, name: str) -> None:
    """The sample configs work as written (rendered for the site's ports): exit 0, every target ok."""
    environ = site.environment({var: _NEEDS[var] for var in samples.CONFIG_ENVIRONMENT[name]})
    result = site.run(["-c", name, "--format", "json"], environ)
    report = json.loads(result.stdout)
    problems: Tuple[object, ...] = tuple(
        (t["id"], s["stage"], s["status"], [f["code"] for f in s["findings"]])
        for t in report["targets"] for s in t["stages"] if s["status"] not in ("ok", "skipped")
    )
    assert (result.exit_code, report["status"], problems, report["findings"]) == (0, "ok", (), [])


def test_site_runs_get_no_inherited_environment(site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the caller's environment must not reach the runs (it would take them off loopback)."""
    monkeypatch.setenv("HTTPS_PROXY", "http://192.0.2.1:3128")
    monkeypatch.setenv("ES_PWD", "from-the-caller")
    assert site.environment({"ES_PWD": "password"}) == {"ES_PWD": site.values["password"]}
    result = site.run(["-c", "basic-auth.yml", "--only", "elasticsearch", "--format", "json"],
                      site.environment({"ES_PWD": "password"}))
    assert result.exit_code == 0, result.stdout


def test_site_stop_removes_everything_and_is_idempotent() -> None:
    site = DemoSite(main).start()
    directory = site.directory
    assert sorted(os.listdir(directory)) == sorted(["certs", "hosts", *samples.CONFIG_NAMES])
    site.stop()
    site.stop()
    assert not os.path.exists(directory)
