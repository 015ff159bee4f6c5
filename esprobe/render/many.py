"""``--all``: several reports, one per Beat service, in JSON, Nagios or Prometheus (the table's own
`esprobe.render.table.render_tables`, so that these never import tabulate)."""

from __future__ import annotations

from typing import Sequence

from esprobe.model import Report
from esprobe.render.json import render_json_many
from esprobe.render.nagios import render_nagios_many
from esprobe.render.prometheus import render_prometheus_many


def render_many(reports: Sequence[Report], fmt: str) -> str:
    if fmt == "json":
        return render_json_many(reports)
    if fmt == "nagios":
        return render_nagios_many(reports)
    if fmt == "prometheus":
        return render_prometheus_many(reports)
    raise ValueError(f"no many-report renderer for {fmt!r}")
