"""Catalogue entries for the run as a whole (deadlines, interruptions)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, Spec

SPECS: Tuple[Spec, ...] = (
    Spec(
        "run-deadline-exceeded",
        FAIL,
        "Cut off by the run's deadline",
        "The whole run has a hard deadline derived from --timeout; this target had not finished when it "
        "passed, so the stage that was running is marked failed and the rest were not run.",
        "Look at the stage that was running: a peer that accepts connections but answers slowly or not at "
        "all. Raise --timeout if the network is just slow, or probe fewer targets per run (--only).",
        None,
    ),
)
