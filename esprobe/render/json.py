"""The JSON report: the public contract (docs/report-contract.md, schema in esprobe/schema/)."""

from __future__ import annotations

import json
from json.encoder import encode_basestring
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
    return dumps_indented(report_to_dict(report)) + "\n"


def render_json_many(reports: Sequence[Report]) -> str:
    """``--all``: a JSON list with one report object per Beat service, in unit-name order."""
    return dumps_indented([report_to_dict(r) for r in reports]) + "\n"


def dumps_indented(value: Any) -> str:
    """
    ``json.dumps(value, indent=2, ensure_ascii=False)``, character for character, at a third of
    its cost: with an indent the standard library leaves its C encoder for a chain of Python
    generators, which for a report of a few hundred targets took longer than probing them.
    """
    out: List[str] = []
    _encode(value, "\n", out)
    return "".join(out)


def _encode(value: Any, newline: str, out: List[str]) -> None:
    """Append *value*'s JSON to *out*; *newline* is a line feed and the indent of *value*'s own line."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        out.append("[")
        separator = inner
        for item in value:
            out.append(separator)
            _encode(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        out.append("{")
        separator = inner
        for key, item in value.items():
            out.append(separator)
            out.append(encode_basestring(key if isinstance(key, str) else _key(key)))
            out.append(": ")
            _encode(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    else:
        json.dumps(value)  # raises the standard library's TypeError for what JSON cannot hold
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A dict key as json.dumps spells it: only str, int, float, bool and None are allowed."""
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return _float(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
