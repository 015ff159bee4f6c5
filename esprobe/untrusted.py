"""
Text that came from a peer (cluster name, version, error reason, user name, Kibana status,
Location header, certificate subject and SAN ...) on its way into the report.

A server can put anything in those strings: ANSI/OSC escape sequences that recolour, retitle or
rewrite a terminal, BEL, CR that overwrites a line, LF that forges a finding, and hundreds of
kilobytes. `clean_report` is the one point where the report is made safe: every string a
renderer may print is first redacted (so that a secret echoed by the server is replaced whole,
before any format escapes or wraps it), then its control characters are shown as escapes and its
length capped. Renderers and the bundle only ever see the cleaned report.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Dict, Mapping

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), the Unicode format characters that
# reorder or hide text on screen (bidi overrides and isolates, zero-width joiners, BOM), and lone
# surrogates (bytes that were not UTF-8, kept by surrogateescape: no stream could print them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")

# One string in the report: a finding's message or a detail value. Long enough for any message
# esprobe writes (the longest are a few hundred characters), short enough that a 400 KB error
# reason does not flood a terminal, a Nagios status or a log.
MAX_CHARS = 2000


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# A hint is esprobe's own advice and may lay out a line to paste on a line of its own.
_CONTROL_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)


def shown(text: str, limit: int = MAX_CHARS, *, newlines: bool = False) -> str:
    """
    *text* with control characters escaped (``\\x1b``, ``\\n``) and at most *limit* characters;
    with *newlines*, line feeds stay (escape sequences, CR and BEL never do).
    """
    if len(text) > limit * 4:
        text = text[: limit * 4]  # escaping at most quadruples a character: cut before, cheaply
        cut = True
    else:
        cut = False
    out = (_CONTROL_BUT_NEWLINE if newlines else _CONTROL).sub(_escape, text)
    if len(out) > limit or cut:
        out = out[:limit] + " … (cut by esprobe)"
    return out


def clean_tree(value: Any, clean: Callable[[str], str]) -> Any:
    """A copy of plain data (dicts, lists, tuples, strings) with *clean* applied to every string, keys too."""
    if isinstance(value, str):
        return clean(value)
    if type(value) is dict or isinstance(value, Mapping):  # the first test spares most values an ABC check
        return {clean(k) if isinstance(k, str) else k: clean_tree(v, clean) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_tree(v, clean) for v in value)
    return value


def clean_report(report: Any, redact: Callable[[str], str]) -> Any:
    """
    The report every renderer and the bundle see: findings, stage summaries and details redacted
    with *redact*, then `shown`. Targets (what the config says) and observations (the network
    layer's raw material, never rendered) are left as they are.
    """

    # Hundreds of targets repeat the same keys and mostly the same values: each text is cleaned once.
    cleaned: Dict[str, str] = {}

    def clean(text: str) -> str:
        done = cleaned.get(text)
        if done is None:
            done = cleaned[text] = shown(redact(text))
        return done

    def finding(f: Any) -> Any:
        return dataclasses.replace(f, message=clean(f.message), hint=shown(redact(f.hint), newlines=True))

    def stage(result: Any) -> Any:
        trace = result.error_trace
        return dataclasses.replace(
            result,
            summary=clean(result.summary),
            findings=tuple(finding(f) for f in result.findings),
            details=clean_tree(dict(result.details), clean),
            # A traceback keeps its lines (it is esprobe's own text), but not a secret or an escape.
            error_trace=None if trace is None else "\n".join(shown(redact(line)) for line in trace.split("\n")),
        )

    targets = tuple(dataclasses.replace(t, stages=tuple(stage(s) for s in t.stages)) for t in report.targets)
    return dataclasses.replace(report, findings=tuple(finding(f) for f in report.findings), targets=targets)
