"""docs/findings.md, generated from the catalogue so that the two never drift apart."""

from __future__ import annotations

from typing import Dict, List

from esprobe.findings import Spec, catalogue

_PARTS = {
    "config": "Configuration and keystore",
    "keystore": "Configuration and keystore",
    "dns": "dns stage",
    "tcp": "tcp stage",
    "proxy": "The path through a proxy (dns and tcp stages)",
    "tls": "tls stage",
    "hostname": "hostname stage",
    "http": "http stage",
    "auth": "auth stage",
    "privileges": "privileges stage",
    "run": "The run as a whole",
}

_HEADER = """\
# Findings catalogue

Every finding esprobe can report, by code. The code is stable: scripts may match on it. Each entry
says what the finding means, what to change, the setting concerned (`{prefix}` stands for the
settings prefix of the target, such as `output.elasticsearch.ssl`), and what the Beat itself logs
in the same situation, so that its log lines can be matched to esprobe's findings.

Severity `fail` means the Beat will not get through (exit code 2; a `fail` in the configuration
section means the Beat would refuse to start, exit code 3); `warn` means it gets through but
something needs attention (exit code 1).

This file is generated from `esprobe/findings/` by `python -m esprobe.findings > docs/findings.md`;
a test fails when it is out of date.
"""


def _section(spec: Spec) -> str:
    part = spec.code.split("-", 1)[0]
    return _PARTS.get(part, "Other")


def render_markdown() -> str:
    sections: Dict[str, List[Spec]] = {}
    for spec in catalogue().values():
        sections.setdefault(_section(spec), []).append(spec)
    lines = [_HEADER]
    for title in dict.fromkeys(list(_PARTS.values()) + ["Other"]):
        specs = sections.get(title)
        if not specs:
            continue
        lines.append(f"## {title}\n")
        for spec in specs:
            lines.append(f"### `{spec.code}` — {spec.title}\n")
            lines.append(f"Severity: **{spec.severity.value}**\n")
            lines.append(f"{spec.meaning}\n")
            lines.append(f"What to do: {spec.hint}\n")
            if spec.setting:
                lines.append(f"Setting: `{spec.setting}`\n")
            if spec.beat_says:
                lines.append(f"The Beat says: `{spec.beat_says}`\n")
    return "\n".join(lines).rstrip() + "\n"
