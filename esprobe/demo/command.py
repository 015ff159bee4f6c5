"""
``esprobe demo``: esprobe at work in a few seconds, with no Elasticsearch and no network.

It starts the demo site (`esprobe.demo.site`: a stand-in Elasticsearch and Kibana on loopback,
over real TLS with the sample PKI), then runs esprobe through its own command line against the
sample configs: one healthy run shown in full, then the failures people meet most, each shown
compactly with its verdict, finding, message and hint. Every scenario names the verdict it was
built for; the demo exits 0 when all of them gave it, 1 otherwise.
"""

from __future__ import annotations

import json
import shlex
import textwrap
import time
from dataclasses import field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from esprobe.demo.site import DemoSite, EntryPoint
from esprobe.environment import Environment
from esprobe.exit_codes import EXIT_FOR_STATUS
from esprobe.record import record
from esprobe.render.table import wrap_prose

_WIDTH = 100


@record
class Scenario:
    """
    One run of the demo and the verdict it is built to produce.

    Attributes:
        title: a few words, also used in the summary.
        story: what is wrong (or right) in this run, in one sentence.
        argv: esprobe's arguments (the site adds its name resolution and timeout); ``{es_port}``
            is replaced by the stand-in Elasticsearch's port.
        env: environment variable -> name of a `DemoSite.values` entry.
        status: the verdict it must give (``ok``/``warn``/``fail``); the exit code follows from it.
        code: a finding code the report must contain, or None.
        full: show the whole table instead of the compact view.
    """

    title: str
    story: str
    argv: Tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    status: str = "fail"
    code: Optional[str] = None
    full: bool = False


SCENARIOS: Tuple[Scenario, ...] = (
    Scenario(
        "a healthy Beat",
        "User name and password (ES_PWD from the environment), to Elasticsearch and to Kibana.",
        ("-c", "basic-auth.yml"),
        {"ES_PWD": "password"},
        status="ok",
        full=True,
    ),
    Scenario(
        "unknown CA",
        "The config trusts another cluster's CA, not the one that signed the server's chain.",
        ("-c", "basic-auth.yml", "--only", "elasticsearch",
         "-E", 'output.elasticsearch.ssl.certificate_authorities=["certs/other-ca/ca.crt"]'),
        {"ES_PWD": "password"},
        code="tls-unknown-ca",
    ),
    Scenario(
        "wrong host name",
        "The host is es01: the certificate's CN, but not one of its SANs, and Go ignores the CN of a "
        "certificate that has SANs.",
        ("-c", "basic-auth.yml", "--only", "elasticsearch",
         "-E", 'output.elasticsearch.hosts=["https://es01:{es_port}"]'),
        {"ES_PWD": "password"},
        code="hostname-mismatch",
    ),
    Scenario(
        "wrong password",
        "ES_PWD still holds the old password.",
        ("-c", "basic-auth.yml", "--only", "elasticsearch"),
        {"ES_PWD": "wrong-password"},
        code="auth-wrong-password",
    ),
    Scenario(
        "encoded API key",
        "ES_API_KEY holds the 'encoded' field of the create-API-key answer instead of id:api_key.",
        ("-c", "api-key.yml", "--only", "elasticsearch"),
        {"ES_API_KEY": "encoded-api-key"},
        code="auth-api-key-encoded",
    ),
    Scenario(
        "missing privilege",
        "The API key was made with a read-only role descriptor: it connects and authenticates (so "
        "`metricbeat test output` passes), but the Beat's bulk requests would get 403.",
        ("-c", "api-key.yml", "--only", "elasticsearch"),
        {"ES_API_KEY": "read-only-api-key"},
        code="privileges-missing-required",
    ),
    Scenario(
        "client certificate not accepted",
        "beats02's certificate is trusted and Elasticsearch's PKI realm authenticates it, but no role "
        "mapping names its DN, so every request the Beat makes is refused.",
        ("-c", "pki.yml",
         "-E", "output.elasticsearch.ssl.certificate=certs/clients/beats02.crt",
         "-E", "output.elasticsearch.ssl.key=certs/clients/beats02.key"),
        code="auth-pki-no-roles",
    ),
)


@record
class Outcome:
    """What one scenario gave: the verdict, the exit code, and the findings of the JSON report."""

    scenario: Scenario
    status: str
    exit_code: int
    findings: Tuple[Dict[str, Any], ...]  # each with "where" added: "<target> <stage>" or "config"
    problem: Optional[str] = None  # why the report could not be read, if it could not
    errors: Tuple[str, ...] = ()  # "<target> <stage>: <summary>" of stages where esprobe itself failed

    @property
    def codes(self) -> Tuple[str, ...]:
        return tuple(f.get("code", "") for f in self.findings)

    @property
    def as_built(self) -> bool:
        """True when the scenario gave the verdict, exit code and finding it was built for."""
        scenario = self.scenario
        return (
            self.problem is None
            and self.status == scenario.status
            and self.exit_code == EXIT_FOR_STATUS[scenario.status]
            and (scenario.code is None or scenario.code in self.codes)
        )


def outcome_from_json(scenario: Scenario, exit_code: int, text: str) -> Outcome:
    """Read the verdict and the findings from a ``--format json`` report (the public contract)."""
    try:
        report = json.loads(text)
        found: List[Dict[str, Any]] = [dict(f, where="config") for f in report.get("findings", [])]
        errors: List[str] = []
        for target in report.get("targets", []):
            for stage in target.get("stages", []):
                where = f"{target.get('id')} {stage.get('stage')}"
                found.extend(dict(f, where=where) for f in stage.get("findings", []))
                if stage.get("status") == "error":
                    errors.append(f"{where}: {stage.get('summary')}")
        return Outcome(scenario, str(report.get("status")), exit_code, tuple(found), errors=tuple(errors))
    except (ValueError, AttributeError, TypeError) as error:
        return Outcome(scenario, "unknown", exit_code, (), problem=f"no readable JSON report ({error})")


# --- text ----------------------------------------------------------------------------------------

_COLOURS = {"ok": "32", "warn": "33", "fail": "31", "unknown": "35", "bold": "1", "dim": "2"}


class _Painter:
    """ANSI colour by kind, or the text unchanged when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, kind: str) -> str:
        code = _COLOURS.get(kind)
        return f"\033[{code}m{text}\033[0m" if self.color and code else text


def command_line(scenario: Scenario, es_port: int) -> str:
    """The scenario as a shell command, wrapped at the report's width; variables show no value."""
    words = [f"{name}=********" for name in scenario.env]
    words.append("esprobe")
    args = [shlex.quote(arg.replace("{es_port}", str(es_port))) for arg in scenario.argv]
    while args:  # an option and its value stay on one line
        take = 2 if args[0].startswith("-") and len(args) > 1 and not args[1].startswith("-") else 1
        words.append(" ".join(args[:take]))
        args = args[take:]
    lines, current = [], "$"
    for word in words:
        if len(current) + 1 + len(word) > _WIDTH - 2 and current.strip("$ "):
            lines.append(current + " \\")
            current = "   "
        current += " " + word
    lines.append(current)
    return "\n".join(lines)


def _wrap(text: str, indent: str, first: str = "") -> List[str]:
    wrapper = textwrap.TextWrapper(
        width=_WIDTH,
        initial_indent=indent + first,
        subsequent_indent=indent + " " * len(first),
        break_long_words=False,  # paths, URLs and DNs stay whole
        break_on_hyphens=False,
    )
    return wrapper.wrap(text) or [indent + first]


def _finding_block(finding: Mapping[str, Any], paint: _Painter) -> List[str]:
    severity = str(finding.get("severity", "fail"))
    mark = paint("✗" if severity == "fail" else "!", severity)
    lines = [f"  {mark} {paint(str(finding.get('code')), 'bold')}  ({finding.get('where')})"]
    # the report's own wrapping: paste-ready snippet lines stay whole, on lines of their own
    lines += wrap_prose(str(finding.get("message", "")), _WIDTH, "      ", "      ")
    if finding.get("hint"):
        lines += wrap_prose(str(finding["hint"]), _WIDTH, "      → ", "        ")
    return lines


def compact_view(outcome: Outcome, paint: _Painter) -> List[str]:
    """The verdict, then the finding the scenario is about in full, the others by code."""
    scenario = outcome.scenario
    lines = [_verdict_line(outcome, paint)]
    if outcome.problem:
        lines.append(f"  {outcome.problem}")
        return lines
    shown = [f for f in outcome.findings if f.get("code") == scenario.code][:1]
    if not shown:  # not what it was built for: show what came instead
        shown = [f for f in outcome.findings if f.get("severity") == "fail"][:2]
    for finding in shown:
        lines += _finding_block(finding, paint)
    for error in outcome.errors:
        lines += [paint(line, "unknown") for line in _wrap(error, "  ", "esprobe failed in ")]
    others: Dict[str, int] = {}
    for finding in outcome.findings:
        if not any(finding is s for s in shown):
            others[str(finding.get("code"))] = others.get(str(finding.get("code")), 0) + 1
    if others:
        listed = ", ".join(code + (f" ×{n}" if n > 1 else "") for code, n in others.items())
        lines += _wrap(listed, "    ", "also: ")
    return lines


def _verdict_line(outcome: Outcome, paint: _Painter) -> str:
    scenario = outcome.scenario
    wanted = scenario.status + (f" with {scenario.code}" if scenario.code else "")
    got = paint(outcome.status.upper() if outcome.status != "ok" else "ok", outcome.status)
    mark = paint("✓ as built", "ok") if outcome.as_built else paint("✗ NOT as built", "fail")
    return f"  verdict: {got}, exit {outcome.exit_code}; built to give {wanted}: {mark}"


def summary_line(outcomes: Sequence[Outcome], seconds: float) -> str:
    """The demo's last line: all as built, or which scenarios were not and what they gave instead."""
    failed = [o for o in outcomes if not o.as_built]
    if not failed:
        which = "the scenario gave the verdict it was" if len(outcomes) == 1 else (
            f"all {len(outcomes)} scenarios gave the verdict they were"
        )
        return f"esprobe demo: {which} built for ({seconds:.1f} s)."
    which = "; ".join(
        f"{o.scenario.title} (built for {o.scenario.status}"
        + (f" with {o.scenario.code}" if o.scenario.code else "")
        + f", got {o.status}, exit {o.exit_code}"
        + (f": {o.problem}" if o.problem else "")
        + ")"
        for o in failed
    )
    return (
        f"esprobe demo: {len(failed)} of {len(outcomes)} scenarios did not give the verdict they were "
        f"built for: {which}."
    )


# --- running -------------------------------------------------------------------------------------


def run_demo(env: Environment, main: EntryPoint, *, color: bool = False,
             scenarios: Sequence[Scenario] = SCENARIOS) -> int:
    """
    Run the demo, writing to ``env.stdout``; return 0 when every scenario gave the verdict it was
    built for, else 1. *env* is the CLI's `Environment` and *main* its entry point (each scenario
    runs the real command line in-process); colour is never used with NO_COLOR.
    """
    color = color and "NO_COLOR" not in env.environ
    paint = _Painter(color)
    out = env.stdout
    started = time.monotonic()
    site = DemoSite(main)
    try:
        site.start()
    except (OSError, ValueError) as error:
        env.stderr.write(f"esprobe demo: cannot start the stand-in servers on loopback: {error}\n")
        return 1
    outcomes: List[Outcome] = []
    try:
        out.write("\n".join(_introduction(site, paint)) + "\n")
        for number, scenario in enumerate(scenarios, 1):
            outcome, lines = _run_scenario(site, scenario, number, len(scenarios), paint)
            outcomes.append(outcome)
            out.write("\n".join(lines) + "\n")
            out.flush()
    finally:
        site.stop()
    # One line, however long: scripts and CI logs grep for it.
    out.write("\n" + paint(summary_line(outcomes, time.monotonic() - started), "bold") + "\n")
    out.flush()
    return 0 if all(o.as_built for o in outcomes) else 1


def _introduction(site: Any, paint: _Painter) -> List[str]:
    text = (
        f"A stand-in Elasticsearch {site.es.version} and Kibana {site.kibana.version} are listening on "
        f"127.0.0.1 over real TLS, with the sample PKI of sample_certs/ (a CA, an intermediate, node, "
        f"Kibana and client certificates), in {site.directory}, which goes away at the end. The sample "
        f"configs name es01.example.internal and kibana.example.internal; the site's hosts file and DNS "
        f"server map them to 127.0.0.1, so every run below also gets these options:"
    )
    return [paint("esprobe demo", "bold"), *_wrap(text, ""), "  " + " ".join(site.common_args())]


def _run_scenario(site: Any, scenario: Scenario, number: int, total: int, paint: _Painter) -> Tuple[Outcome, List[str]]:
    argv = [a.replace("{es_port}", str(site.es_port)) for a in scenario.argv]
    environ = site.environment(scenario.env)
    heading = f"── {number}/{total} {scenario.title} "
    lines = ["", paint(heading + "─" * max(3, _WIDTH - len(heading)), "bold")]
    lines += _wrap(scenario.story, "")
    lines.append(paint(command_line(scenario, site.es_port), "dim"))
    result = site.run([*argv, "--format", "json"], environ)
    outcome = outcome_from_json(scenario, result.exit_code, result.stdout)
    if result.stderr.strip() and outcome.problem:
        outcome = Outcome(scenario, outcome.status, outcome.exit_code, (), problem=result.stderr.strip())
    if scenario.full:
        # The same run once more as the table a person reads; the verdict comes from the JSON.
        table = site.run(argv, environ, color=paint.color)
        lines += ["", table.stdout.rstrip("\n"), _verdict_line(outcome, paint)]
    else:
        lines += compact_view(outcome, paint)
    return outcome, lines
