"""``--all``: several reports, one per Beat service, in the chosen format."""

from __future__ import annotations

from typing import List, Sequence

from esprobe.model import Report


def render_many(reports: Sequence[Report], fmt: str, *, color: bool) -> str:
    if fmt == "json":
        from esprobe.render.json import render_json_many

        return render_json_many(reports)
    if fmt == "nagios":
        from esprobe.render.nagios import render_nagios_many

        return render_nagios_many(reports)
    if fmt == "prometheus":
        from esprobe.render.prometheus import render_prometheus_many

        return render_prometheus_many(reports)
    from esprobe.render.table import render_table

    parts: List[str] = []
    for report in reports:
        name = (report.service or {}).get("name") or report.config.beat
        parts.append(f"=== {name} ===\n" + render_table(report, color=color))
    return "\n".join(parts)
