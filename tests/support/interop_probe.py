"""Running esprobe end to end (the CLI in-process, --format json) and reading its verdict."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from esprobe.cli import main
from esprobe.environment import Environment
from tests.support.schema import validate_report

STAGES = ("dns", "tcp", "tls", "hostname", "http", "auth", "privileges")

# Generous for loopback, small enough that a hung peer cannot blow the suite's time budget.
PROBE_TIMEOUT = "3"


@dataclass
class Verdict:
    """esprobe's JSON report for a config with one target, and its exit code."""

    code: int
    document: Dict[str, Any]
    out: str
    err: str

    @property
    def target(self) -> Dict[str, Any]:
        return self.document["targets"][0]

    def stage(self, name: str) -> Dict[str, Any]:
        return next(s for s in self.target["stages"] if s["stage"] == name)

    def status(self, name: str) -> str:
        return str(self.stage(name)["status"])

    def codes(self, name: str) -> List[str]:
        return [f["code"] for f in self.stage(name)["findings"]]

    def messages(self, name: str) -> str:
        return " ".join(f["message"] for f in self.stage(name)["findings"])

    @property
    def statuses(self) -> Dict[str, str]:
        return {s["stage"]: s["status"] for s in self.target["stages"]}

    @property
    def all_codes(self) -> List[str]:
        return [f["code"] for s in self.target["stages"] for f in s["findings"]]

    @property
    def route(self) -> Dict[str, Any]:
        """Which path the Beat's requests take (the dns stage's ``details.route``)."""
        return dict(self.stage("dns")["details"]["route"])

    def explain(self) -> str:
        """The verdict in a few lines, for assertion messages."""
        return "\n".join(f"{s['stage']}: {s['status']} {s['summary']} {[f['code'] for f in s['findings']]}"
                         for s in self.target["stages"])


def es_config(url: str, *, ca_file: Optional[Path] = None, username: Optional[str] = None,
              password_var: Optional[str] = None, extra: Sequence[str] = ()) -> str:
    """An ``output.elasticsearch`` section for one host; *extra* lines are indented into it."""
    lines = ["output.elasticsearch:", f'  hosts: ["{url}"]']
    if username is not None:
        lines.append(f"  username: {username}")
    if password_var is not None:
        lines.append(f'  password: "${{{password_var}}}"')  # the secret comes from the environment
    if ca_file is not None:
        lines.append(f'  ssl.certificate_authorities: ["{ca_file}"]')
    lines += [f"  {line}" for line in extra]
    return "\n".join(lines) + "\n"


def run_esprobe(directory: Path, config: str, *, hosts_file: Path, nameserver: str,
                environ: Optional[Mapping[str, str]] = None, name: str = "metricbeat.yml") -> Verdict:
    """
    ``esprobe -c <config> --format json --hosts-file H --nameserver N`` in-process, so that name
    resolution stays on loopback; the report is checked against the committed JSON schema.
    """
    path = directory / name
    path.write_text(config)
    path.chmod(0o600)
    out, err = io.StringIO(), io.StringIO()
    argv = ["-c", str(path), "--format", "json", "--hosts-file", str(hosts_file), "--nameserver", nameserver,
            "--timeout", PROBE_TIMEOUT]
    code = main(argv, Environment(out, err, False, dict(environ or {}), str(directory)))
    document = json.loads(out.getvalue())
    validate_report(document)
    assert [s["stage"] for s in document["targets"][0]["stages"]] == list(STAGES)
    return Verdict(code, document, out.getvalue(), err.getvalue())
