"""The human report: one table per target, then its findings with hints. Pure: Report -> str."""

from __future__ import annotations

import textwrap
from typing import Any, Dict, List, Mapping

from esprobe.model import Finding, Report, Status, TargetReport

_COLOURS = {
    Status.OK: "32",  # green
    Status.WARN: "33",  # yellow
    Status.FAIL: "31",  # red
    Status.ERROR: "35",  # magenta
    Status.UNKNOWN: "35",
    Status.SKIPPED: "2",  # dim
}

_WIDTH = 100


def _paint(text: str, status: Status, color: bool) -> str:
    return f"\033[{_COLOURS[status]}m{text}\033[0m" if color else text


def _status_word(status: Status, color: bool) -> str:
    shouted = status in (Status.FAIL, Status.ERROR, Status.UNKNOWN)
    return _paint(status.value.upper() if shouted else status.value, status, color)


def _finding_lines(finding: Finding, color: bool, indent: str = "  ") -> List[str]:
    status = finding.status
    mark = _paint("✗" if status is Status.FAIL else "!", status, color)
    head = f"{indent}{mark} {finding.code}: "
    wrapper = textwrap.TextWrapper(width=_WIDTH, initial_indent="", subsequent_indent=indent + "    ")
    lines = wrapper.wrap(finding.message) or [""]
    out = [head + lines[0], *lines[1:]]
    if finding.hint:
        hint = textwrap.TextWrapper(width=_WIDTH, initial_indent=indent + "    → ", subsequent_indent=indent + "      ")
        out.extend(hint.wrap(finding.hint))
    where = []
    if finding.setting:
        where.append(f"setting: {finding.setting}")
    if finding.location:
        where.append(f"at {finding.location}")
    if where:
        out.append(indent + "    (" + ", ".join(where) + ")")
    return out


def _target_block(report: TargetReport, color: bool) -> List[str]:
    from tabulate import tabulate

    target = report.target
    lines = [f"{target.id}  {target.url}  {_status_word(report.status, color)}"]
    rows = []
    for stage in report.stages:
        rows.append(
            [
                stage.stage.value,
                _status_word(stage.status, color),
                f"{stage.duration_ms:.0f} ms" if stage.duration_ms else "",
                textwrap.shorten(stage.summary, width=_WIDTH - 30, placeholder=" …"),
            ]
        )
    table = tabulate(rows, headers=["stage", "status", "time", "summary"], tablefmt="simple", disable_numparse=True)
    lines.extend("  " + row for row in table.splitlines())
    for stage in report.stages:
        for finding in stage.findings:
            lines.extend(_finding_lines(finding, color))
    return lines


def render_table(report: Report, *, color: bool = False) -> str:
    lines: List[str] = []
    where = report.config.path or "(no config file)"
    lines.append(f"esprobe {report.esprobe_version} — {where} ({report.config.beat})")
    if report.rules:
        lines.append(f"judged as {report.rules.describe()}")
    if report.service:
        lines.extend(_service_lines(report.service))
    lines.append("")
    if report.findings:
        lines.append("configuration")
        for finding in report.findings:
            lines.extend(_finding_lines(finding, color))
        lines.append("")
    for target in report.targets:
        lines.extend(_target_block(target, color))
        lines.append("")
    lines.append(_summary_line(report, color))
    return "\n".join(lines) + "\n"


def _service_lines(service: Mapping[str, Any]) -> List[str]:
    """How the Beat is started, each piece with where it came from (the report's ``service``)."""
    lines = [f"as {service['kind']} {service['name']} runs it:"]
    command = service["command"]
    lines.append(f"  command      {' '.join(command['argv'])}")
    lines.append(f"               ({command['origin']})")
    user = service["user"]
    lines.append(f"  user         {user['name']} (uid {user['uid']}; {user['origin']})")
    workdir = service["working_directory"]
    lines.append(f"  directory    {workdir['path']} ({workdir['origin']})")
    for entry in service["config_files"]:
        lines.append(f"  config       {entry['path']} ({entry['origin']})")
    for entry in service["overrides"]:
        lines.append(f"  override     {entry['flag']} ({entry['origin']})")
    keystore = service.get("keystore")
    if keystore:
        state = "" if keystore["exists"] else ", not there"
        lines.append(f"  keystore     {keystore['path']} ({keystore['origin']}{state})")
    for entry in service["variables"]:
        lines.append(f"  ${{{entry['name']}}}  from {entry['origin']}, used by {', '.join(entry['settings'])}")
    return lines


def _summary_line(report: Report, color: bool) -> str:
    counts: Dict[Status, int] = {}
    for target in report.targets:
        counts[target.status] = counts.get(target.status, 0) + 1
    parts = [f"{n} {status.value}" for status, n in sorted(counts.items(), key=lambda kv: -kv[0].severity)]
    targets = f"{len(report.targets)} target{'s' if len(report.targets) != 1 else ''}"
    if parts:
        targets += " (" + ", ".join(parts) + ")"
    if report.config_unusable:
        targets += "; the configuration would stop the Beat from starting"
    verdict = _status_word(report.status, color)
    return f"result: {verdict} — {targets} — exit {report.exit_code} — {report.duration_ms / 1000:.2f} s"
