"""
The Nagios/Icinga plugin output (Nagios plugin API and the Monitoring Plugins guidelines):

    ESPROBE <STATE> - <short summary> | <perfdata>
    <one long-output line per finding of a stage that is not ok, root cause first>

The exit code carries the state; the text never has to be parsed for it.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence

from esprobe.findings.order import lead_finding, root_cause_first
from esprobe.model import Report, Stage, StageResult, Status, TargetReport

_STATE = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}

# The first line is what pagers and dashboards show; the guidelines ask for it to be short.
_SUMMARY_MAX = 200


def _clean(text: str) -> str:
    """`|` starts perfdata and newlines end the line: neither may appear in plugin text."""
    return " ".join(text.replace("|", "/").split())


def _label(text: str) -> str:
    """A perfdata label: quoted, with no `'` or `=` (the grammar forbids them)."""
    return "'" + text.replace("'", "").replace("=", "-") + "'"


def _number(value: float) -> str:
    """C-locale decimal, no exponent, trailing zeros dropped."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _stage(report: TargetReport, stage: Stage) -> Optional[StageResult]:
    for result in report.stages:
        if result.stage is stage:
            return result
    return None


def _days_left(cert: Any) -> Optional[int]:
    if isinstance(cert, Mapping) and isinstance(cert.get("days_left"), int):
        return int(cert["days_left"])
    return None


def _perfdata(report: Report) -> List[str]:
    out: List[str] = []
    thresholds = f"{report.warn_days}:;{report.crit_days}:"  # alert when days left fall below
    for target in report.targets:
        name = target.target.id
        tls = _stage(target, Stage.TLS)
        if tls is not None and tls.details:
            chain = tls.details.get("chain") or []
            leaf_days = _days_left(chain[0]) if chain else None
            if leaf_days is not None:
                out.append(f"{_label(name + '_cert_days')}={leaf_days};{thresholds};;")
            client_days = _days_left(tls.details.get("client_certificate"))
            if client_days is not None:
                out.append(f"{_label(name + '_client_cert_days')}={client_days};{thresholds};;")
        for stage, suffix in ((Stage.TLS, "tls"), (Stage.HTTP, "http")):
            result = _stage(target, stage)
            if result is not None and result.status not in (Status.SKIPPED, Status.ERROR):
                out.append(f"{_label(f'{name}_{suffix}_ms')}={_number(result.duration_ms)}ms;;;0;")
    counts = _counts(report)
    for word in ("ok", "warn", "fail"):
        out.append(f"{_label('targets_' + word)}={counts.get(word, 0)};;;0;{len(report.targets)}")
    return out


def _counts(report: Report) -> "dict[str, int]":
    """Targets per verdict word, as the table's result line counts them."""
    counts: "dict[str, int]" = {}
    for target in report.targets:
        word = "ok" if target.status is Status.SKIPPED else target.status.value
        counts[word] = counts.get(word, 0) + 1
    return counts


def _problems(report: Report) -> List[str]:
    lines: List[str] = []
    for finding in root_cause_first(report.findings):
        lines.append(_clean(f"config {finding.severity.value.upper()}: [{finding.code}] {finding.message}"))
    for target in report.targets:
        # Each finding's own words (an expiry says when), not the stage's summary ("chain verified").
        stage_of = {id(f): s for s in target.stages for f in s.findings}
        for finding in root_cause_first([f for s in target.stages for f in s.findings]):
            stage = stage_of[id(finding)]
            lines.append(_clean(f"{target.target.id} {stage.stage.value} {finding.severity.value.upper()}: "
                                f"[{finding.code}] {finding.message}"))
        for result in target.stages:
            if result.status is Status.ERROR or (result.status in (Status.WARN, Status.FAIL) and not result.findings):
                lines.append(_clean(f"{target.target.id} {result.stage.value} {result.status.value.upper()}: "
                                    f"{result.summary}"))
    return lines


def _summary(report: Report) -> str:
    total = len(report.targets)
    if report.config_unusable:
        first = next(f for f in report.findings if f.severity.value == "fail")
        return _clean(f"config: {first.code}: {first.message}")
    bad = [t for t in report.targets if t.status not in (Status.OK, Status.SKIPPED)]
    if not bad:
        ids = ", ".join(t.target.id for t in report.targets)
        return _clean(f"{total} target{'s' if total != 1 else ''} ok ({ids})" if total else "no targets to probe")
    parts = []
    for target in bad:
        findings = [f for s in target.stages for f in s.findings]
        lead = lead_finding(findings)
        if lead is not None:
            stage = next(s for s in target.stages if lead in s.findings)
            parts.append(f"{target.target.id} {stage.stage.value}: {lead.code}")
        else:
            worst = max(target.stages, key=lambda s: s.status.severity)
            parts.append(f"{target.target.id} {worst.stage.value}: {worst.status.value}")
    text = "; ".join(parts)
    if len(text) > _SUMMARY_MAX:
        text = text[: _SUMMARY_MAX - 1].rsplit(";", 1)[0] + f"; {len(bad)} targets with problems"
    counts = _counts(report)
    tally = ", ".join(f"{counts[w]} {w}" for w in ("unknown", "fail", "warn", "ok") if counts.get(w))
    return _clean(f"{text} ({tally} of {total} target{'s' if total != 1 else ''})")


def render_nagios(report: Report) -> str:
    state = _STATE[report.exit_code]
    first = f"ESPROBE {state} - {_summary(report)} | {' '.join(_perfdata(report))}"
    return "\n".join([first, *_problems(report)]) + "\n"


def render_nagios_many(reports: Sequence[Report]) -> str:
    """
    ``--all``: one plugin output for every Beat service: the worst state, a summary naming each
    Beat that is not OK, perfdata labelled per service, then each Beat's long output under its name.
    """
    code = max(r.exit_code for r in reports)
    names = [str((r.service or {}).get("name") or r.config.beat) for r in reports]
    bad = [f"{name} {_STATE[r.exit_code]}: {_summary(r)}" for name, r in zip(names, reports) if r.exit_code]
    ok = sum(1 for r in reports if not r.exit_code)
    summary = "; ".join(bad) if bad else ", ".join(names) + " ok"
    if len(summary) > _SUMMARY_MAX:
        summary = summary[: _SUMMARY_MAX - 1].rsplit(";", 1)[0] + f"; {len(bad)} Beats with problems"
    summary = _clean(f"{summary} ({ok}/{len(reports)} Beats ok)")
    perfdata: List[str] = []
    long_output: List[str] = []
    for name, report in zip(names, reports):
        for item in _perfdata(report):
            label, value = item.split("=", 1)
            perfdata.append(f"{_label(name + ' ' + label.strip(chr(39)))}={value}")
        long_output.append(_clean(f"{name}: {_STATE[report.exit_code]} - {_summary(report)}"))
        long_output.extend(f"  {line}" for line in _problems(report))
    first = f"ESPROBE {_STATE[code]} - {summary} | {' '.join(perfdata)}"
    return "\n".join([first, *long_output]) + "\n"
