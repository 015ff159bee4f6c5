"""The JSON report: the public contract (docs/report-contract.md, schema in esprobe/schema/)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Sequence

from esprobe.model import Finding, Report, StageResult, TargetReport

# 2: "service" (how the Beat is started, with provenance) and, for --all, a list of reports; findings carry
# "blocking", and a failed stage no longer implies that the later ones were skipped (a non-blocking alarm).
SCHEMA_VERSION = 2


def finding_to_dict(finding: Finding) -> Dict[str, Any]:
    entry: Dict[str, Any] = {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "hint": finding.hint,
        "setting": finding.setting,
        "blocking": finding.blocks,
    }
    if finding.location:
        entry["location"] = finding.location
    return entry


def stage_to_dict(stage: StageResult) -> Dict[str, Any]:
    entry: Dict[str, Any] = {
        "stage": stage.stage.value,
        "status": stage.status.value,
        "summary": stage.summary,
        "duration_ms": round(stage.duration_ms, 3),
        "findings": [finding_to_dict(f) for f in stage.findings],
        "details": _plain(stage.details),
    }
    if stage.error_trace:
        entry["error_trace"] = stage.error_trace
    return entry


def target_to_dict(report: TargetReport) -> Dict[str, Any]:
    target = report.target
    return {
        "id": target.id,
        "role": target.role.value,
        "url": target.url,
        "host": target.host,
        "port": target.port,
        "status": report.status.value,
        "stages": [stage_to_dict(s) for s in report.stages],
    }


def report_to_dict(report: Report) -> Dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "esprobe_version": report.esprobe_version,
        "started_at": report.started_at,
        "duration_ms": round(report.duration_ms, 3),
        "config": {"path": report.config.path, "beat": report.config.beat},
        "rules": report.rules.to_dict() if report.rules else None,
        "status": report.status.value,
        "exit_code": report.exit_code,
        "findings": [finding_to_dict(f) for f in report.findings],
        "targets": [target_to_dict(t) for t in report.targets],
        "service": _plain(report.service) if report.service is not None else None,
    }


def _plain(value: Any) -> Any:
    """Details are plain data already; tuples become lists and anything odd becomes its str()."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items: List[Any] = [_plain(v) for v in value]
        return items
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"


def render_json_many(reports: Sequence[Report]) -> str:
    """``--all``: a JSON list with one report object per Beat service, in unit-name order."""
    return json.dumps([report_to_dict(r) for r in reports], indent=2, ensure_ascii=False) + "\n"
