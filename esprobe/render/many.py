"""``--all``: several reports, one per Beat service, in the chosen format."""

from __future__ import annotations

from typing import List, Sequence

from esprobe.model import Report
from esprobe.render.json import render_json_many
from esprobe.render.nagios import render_nagios_many
from esprobe.render.prometheus import render_prometheus_many
from esprobe.render.table import render_table


def render_many(reports: Sequence[Report], fmt: str, *, color: bool) -> str:
    if fmt == "json":
        return render_json_many(reports)
    if fmt == "nagios":
        return render_nagios_many(reports)
    if fmt == "prometheus":
        return render_prometheus_many(reports)

    parts: List[str] = []
    for report in reports:
        name = (report.service or {}).get("name") or report.config.beat
        parts.append(f"=== {name} ===\n" + render_table(report, color=color))
    return "\n".join(parts)
