"""`esprobe explain CODE`: a finding's meaning, causes and fix from the installed catalogue (no network, no docs)."""

from __future__ import annotations

import difflib
import textwrap
from typing import List, Optional, Tuple

from esprobe.exit_codes import EXIT_OK, EXIT_UNKNOWN
from esprobe.findings import Spec, catalogue
from esprobe.findings.order import CAUSES

_WIDTH = 100


def _paragraph(label: str, text: str) -> List[str]:
    return textwrap.wrap(text, width=_WIDTH, initial_indent=f"{label:<14}", subsequent_indent=" " * 14,
                         break_long_words=False, break_on_hyphens=False)


def describe(spec: Spec) -> str:
    """The catalogue entry as text; ``{prefix}`` stands for the target's settings prefix."""
    lines = [f"{spec.code} — {spec.title}", ""]
    lines += _paragraph("severity", spec.severity.value + (" (the Beat will not get through)" if spec.severity.value
                                                           == "fail" else " (the Beat gets through; look into it)"))
    lines += _paragraph("meaning", spec.meaning)
    causes = [c for c in CAUSES.get(spec.code, ()) if c in catalogue()]
    if causes:
        lines += _paragraph("often caused", "by " + ", ".join(causes) + " (esprobe shows the cause first)")
    consequences = [code for code, why in CAUSES.items() if spec.code in why and code in catalogue()]
    if consequences:
        lines += _paragraph("leads to", ", ".join(consequences))
    lines += _paragraph("what to do", spec.hint)
    if spec.setting:
        lines += _paragraph("setting", spec.setting)
    if spec.beat_says:
        lines += _paragraph("the Beat says", spec.beat_says)
    if "{" in spec.hint + (spec.setting or ""):
        lines += ["", *textwrap.wrap("{prefix} stands for the target's settings prefix, e.g. output.elasticsearch.ssl; "
                                     "other {names} are filled in from what esprobe observed.", width=_WIDTH)]
    return "\n".join(lines) + "\n"


def explain(code: Optional[str]) -> Tuple[str, int]:
    """(text, exit code): the entry for *code*, the list of codes without one, or an error naming close matches."""
    entries = catalogue()
    if not code:
        width = max(len(c) for c in entries)
        return "".join(f"{c:<{width}}  {s.severity.value:<4}  {s.title}\n" for c, s in entries.items()), EXIT_OK
    wanted = code.strip().lower()
    if wanted in entries:
        return describe(entries[wanted]), EXIT_OK
    close = difflib.get_close_matches(wanted, list(entries), n=3, cutoff=0.6)
    maybe = f"; did you mean {' or '.join(close)}?" if close else "; `esprobe explain` lists every code"
    return f"esprobe: error: no finding code {code!r}{maybe}\n", EXIT_UNKNOWN
