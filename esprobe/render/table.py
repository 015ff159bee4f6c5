"""The human report: one table per target, then its findings with hints. Pure: Report -> str."""

from __future__ import annotations

import textwrap
from typing import Any, Dict, Iterable, List, Mapping, Sequence

from tabulate import tabulate

from esprobe.findings.order import root_cause_first
from esprobe.model import Finding, Report, Stage, Status, TargetReport

_COLOURS = {
    Status.OK: "32",  # green
    Status.WARN: "33",  # yellow
    Status.FAIL: "31",  # red
    Status.ERROR: "35",  # magenta
    Status.UNKNOWN: "35",
    Status.SKIPPED: "2",  # dim
}

_WIDTH = 100
_SUMMARY_WIDTH = _WIDTH - 32  # what is left of a line once the indent, stage, status and time are printed


def _paint(text: str, status: Status, color: bool) -> str:
    return f"\033[{_COLOURS[status]}m{text}\033[0m" if color else text


def _status_word(status: Status, color: bool) -> str:
    shouted = status in (Status.FAIL, Status.ERROR, Status.UNKNOWN)
    return _paint(status.value.upper() if shouted else status.value, status, color)


def wrap_prose(text: str, width: int, first: str, rest: str) -> List[str]:
    """
    Wrap prose, keeping each `code span` whole (a span longer than the line overflows it rather than
    break) and printing snippet lines (hint lines indented by four spaces, see `findings.snippet`)
    verbatim on their own lines, so that what is meant to be pasted can be copied as it stands.
    """
    out: List[str] = []
    for paragraph in text.split("\n"):
        if paragraph.startswith("    "):  # a paste-ready snippet: never wrapped
            out.append(rest + paragraph[4:])
            continue
        if paragraph.strip():
            out.extend(_fill(_words(paragraph), width, first if not out else rest, rest))
    return out or [first.rstrip()]


def _words(paragraph: str) -> List[str]:
    """Split at spaces, except inside a `code span`."""
    words: List[str] = []
    current: List[str] = []
    in_span = False
    for char in paragraph:
        if char == "`":
            in_span = not in_span
        if char == " " and not in_span:
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def _fill(tokens: Iterable[str], width: int, first: str, rest: str) -> List[str]:
    lines: List[str] = []
    current = first
    empty = True
    for token in tokens:
        candidate = current + ("" if empty else " ") + token
        if empty or len(candidate) <= width:
            current, empty = candidate, False
        else:
            lines.append(current)
            current, empty = rest + token, False
    lines.append(current)
    return lines


def _finding_lines(finding: Finding, color: bool, indent: str = "  ") -> List[str]:
    status = finding.status
    mark = _paint("✗" if status is Status.FAIL else "!", status, color)
    head = f"{indent}{mark} {finding.code}: "
    out = wrap_prose(finding.message, _WIDTH, head, indent + "    ")
    if finding.hint:
        out.extend(wrap_prose(finding.hint, _WIDTH, indent + "    → ", indent + "      "))
    where = []
    if finding.setting:
        where.append(f"setting: {finding.setting}")
    if finding.location:
        where.append(f"at {finding.location}")
    if where:
        out.append(indent + "    (" + ", ".join(where) + ")")
    return out


def _summary_cell(summary: str) -> str:
    """The stage's summary, wrapped in its column: nothing is cut off."""
    return "\n".join(textwrap.wrap(summary, width=_SUMMARY_WIDTH, break_long_words=False, break_on_hyphens=False)
                     or [""])


def target_findings(report: TargetReport) -> List[Finding]:
    """Every finding of the target, across its stages, root cause first."""
    return list(root_cause_first([f for stage in report.stages for f in stage.findings]))


def _target_block(report: TargetReport, color: bool, verbose: bool) -> List[str]:
    target = report.target
    lines = [f"{target.id}  {target.url}  {_status_word(report.status, color)}"]
    rows = []
    for stage in report.stages:
        rows.append(
            [
                stage.stage.value,
                _status_word(stage.status, color),
                f"{stage.duration_ms:.0f} ms" if stage.duration_ms else "",
                _summary_cell(stage.summary),
            ]
        )
    table = tabulate(rows, headers=["stage", "status", "time", "summary"], tablefmt="simple", disable_numparse=True)
    lines.extend("  " + row for row in table.splitlines())
    if verbose:
        lines.extend(_facts(report))
    for finding in target_findings(report):
        lines.extend(_finding_lines(finding, color))
    return lines


# --- -v: what was seen, for passing targets too -----------------------------------------------


def _details(report: TargetReport, stage: Stage) -> Mapping[str, Any]:
    for result in report.stages:
        if result.stage is stage and isinstance(result.details, Mapping):
            return result.details
    return {}


def _cert_lines(label: str, cert: Mapping[str, Any]) -> List[str]:
    days = cert.get("days_left")
    left = f" ({days} days left)" if isinstance(days, int) else ""
    sans = [*(cert.get("dns_sans") or []), *(cert.get("ip_sans") or [])]
    lines = [f"    {label}: {cert.get('subject') or '(empty subject)'}",
             f"      issuer: {cert.get('issuer') or '(empty)'}",
             f"      not_after: {cert.get('not_after')}{left}"]
    if sans:
        lines.append("      SANs: " + ", ".join(str(s) for s in sans))
    if cert.get("key") or cert.get("signature_algorithm"):
        lines.append(f"      key: {cert.get('key')}, signed with {cert.get('signature_algorithm')}"
                     + (", CA" if cert.get("is_ca") else ""))
    lines.append(f"      sha256: {cert.get('sha256')}")
    return lines


def _attempt(attempt: Mapping[str, Any]) -> str:
    ms = attempt.get("ms")
    took = f" in {ms:.0f} ms" if isinstance(ms, (int, float)) else ""
    return f"{attempt.get('address')} {attempt.get('outcome')}{took}"


def _facts(report: TargetReport) -> List[str]:
    """The facts behind the verdicts (-v): addresses, attempts, protocol, certificates, identity."""
    lines = ["  facts:"]
    addresses = [a for a in _details(report, Stage.DNS).get("addresses") or [] if isinstance(a, Mapping)]
    if addresses:
        lines.append("    addresses: " + ", ".join(f"{a.get('address')} ({a.get('source')})" for a in addresses))
    attempts = [a for a in _details(report, Stage.TCP).get("attempts") or [] if isinstance(a, Mapping)]
    if attempts:
        lines.append("    tried: " + ", ".join(_attempt(a) for a in attempts))
    tls = _details(report, Stage.TLS)
    if tls.get("protocol") or tls.get("cipher"):
        lines.append(f"    tls: {tls.get('protocol')}, {tls.get('cipher')}, trust: {tls.get('trust')}"
                     + (f" ({tls.get('trust_store_path')})" if tls.get("trust_store_path") else ""))
    for index, cert in enumerate(tls.get("chain") or []):
        if isinstance(cert, Mapping):
            lines.extend(_cert_lines("server certificate" if index == 0 else f"chain[{index}]", cert))
    client = tls.get("client_certificate")
    if isinstance(client, Mapping):
        lines.extend(_cert_lines("client certificate", client))
    http = _details(report, Stage.HTTP)
    if http.get("product"):
        lines.append(f"    server: {http.get('product')} {http.get('version') or ''}".rstrip()
                     + (f", HTTP {http.get('status_code')}" if http.get("status_code") else ""))
    auth = _details(report, Stage.AUTH)
    auth_passed = any(r.stage is Stage.AUTH and r.status in (Status.OK, Status.WARN) for r in report.stages)
    if auth.get("method") and not auth_passed:
        lines.append(f"    identity: not established (sent: {auth.get('method')})")
    elif auth.get("method"):
        who = auth.get("username") or "(anonymous)"
        realm = f", realm {auth.get('realm')}" if auth.get("realm") else ""
        realm += f" (type {auth.get('realm_type')})" if realm and auth.get("realm_type") else ""
        # Elasticsearch says "realm" for a user of a realm: worth naming only when it is something else
        kind = auth.get("authentication_type")
        kind_text = f", authentication type {kind}" if kind and kind != "realm" else ""
        roles = [str(role) for role in auth.get("roles") or []]
        roles_text = f", roles {', '.join(roles)}" if roles else ""
        lines.append(f"    identity: {who} by {auth.get('method')}{realm}{kind_text}{roles_text}")
    return lines if len(lines) > 1 else []


def render_table(report: Report, *, color: bool = False, verbose: bool = False) -> str:
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
        for finding in root_cause_first(report.findings):
            lines.extend(_finding_lines(finding, color))
        lines.append("")
    for target in report.targets:
        lines.extend(_target_block(target, color, verbose))
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


def render_tables(reports: Sequence[Report], *, color: bool = False) -> str:
    """``--all`` as tables: one per Beat service, each under its service's name."""
    parts: List[str] = []
    for report in reports:
        name = (report.service or {}).get("name") or report.config.beat
        parts.append(f"=== {name} ===\n" + render_table(report, color=color))
    return "\n".join(parts)
