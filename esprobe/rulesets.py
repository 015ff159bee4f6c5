"""
Which Go rules a Beat release judges TLS by (``--beat-version``).

Each Beat release is built with one Go toolchain and one go.mod ``go`` line; the toolchain decides
which fixes are in (CVE fixes land in patch releases), the ``go`` line decides the GODEBUG
defaults (go.dev/doc/godebug: a setting changed in Go 1.N keeps its old value for modules whose
``go`` line is older than 1.N). The Beat -> Go table lives in ``esprobe/data/beat_versions.json``
with its sources; this module turns one row of it into a frozen :class:`RuleSet` that the rule code
asks plain questions (``rules.negative_serial_rejected``, ``rules.fixed("CVE-2025-61727")``, ...).
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

from esprobe.beat_lines import default_beat_version, known_lines
from esprobe.beat_lines import table as _table
from esprobe.record import record

Version = Tuple[int, ...]

# GODEBUG settings that change a verdict: name -> (Go minor that changed the default, old value, new value).
# Source: Go's internal/godebugs/table.go and go.dev/doc/godebug (history section).
_GODEBUG_CHANGES: Dict[str, Tuple[int, str, str]] = {
    "x509negativeserial": (23, "1", "0"),  # 1.23: negative serial numbers refused at parse time
    "rsa1024min": (24, "0", "1"),  # 1.24: RSA keys below 1024 bits refused
    "x509usepolicies": (24, "0", "1"),  # 1.24: certificate policies validated while building chains
    "urlmaxqueryparams": (24, "0", "1"),
    "tlssha1": (25, "1", "0"),  # 1.25: SHA-1 TLS 1.2 handshake signatures off
    "urlstrictcolons": (26, "0", "1"),  # 1.26: net/url refuses colons in a host outside an IPv6 literal
}

# Security fixes that change a verdict: CVE -> {Go minor: first patch release of that minor with the fix}.
# A toolchain of a newer minor than any listed has the fix; an older minor does not.
# Sources: go.dev/doc/devel/release (1.24.8/1.25.2, 1.24.9/1.25.3, 1.24.11/1.25.5 notes) and the CVE records.
_FIXES: Dict[str, Dict[int, int]] = {
    "CVE-2025-47912": {24: 8, 25: 2},  # net/url: bracketed IPv6 host validation
    "CVE-2025-58187": {24: 9, 25: 3},  # crypto/x509: quadratic name-constraint check; the 250,000 cap goes
    "CVE-2025-61727": {24: 11, 25: 5},  # crypto/x509: wildcard SAN vs excluded DNS subtree
}


def parse_version(text: str) -> Version:
    """``"1.24.11"`` -> ``(1, 24, 11)``; ValueError on anything but dotted numbers."""
    if not re.fullmatch(r"\d+(\.\d+){0,2}", text.strip()):
        raise ValueError(f"not a version number: {text!r}")
    return tuple(int(part) for part in text.strip().split("."))


def _text(version: Version) -> str:
    return ".".join(str(part) for part in version)


@record
class RuleSet:
    """
    The rules of one Beat release line.

    Attributes:
        beat_version: what was asked for (``--beat-version``), normalised, e.g. ``9.2`` or ``8.19.4``.
        beat_line: the documented release line whose row was used, e.g. ``9.2``.
        go_version: the Go toolchain of that line, e.g. ``1.24.11``.
        gomod_go_line: the ``go`` directive of the Beat's go.mod, e.g. ``1.24.10``.
        verified: whether the table's sources state both numbers directly.
        approximated: True when the asked-for version has no row and the nearest older line was used.
    """

    beat_version: str
    beat_line: str
    go_version: str
    gomod_go_line: str
    verified: bool = False
    approximated: bool = False

    # --- plain version questions -----------------------------------------------------------

    @property
    def go(self) -> Version:
        return parse_version(self.go_version)

    @property
    def gomod(self) -> Version:
        return parse_version(self.gomod_go_line)

    @property
    def beat_major(self) -> int:
        return parse_version(self.beat_line)[0]

    def go_at_least(self, version: str) -> bool:
        return self.go >= parse_version(version)

    def godebug(self, name: str) -> str:
        """The default value of a GODEBUG setting for this Beat (toolchain and go line both count)."""
        changed, old, new = _GODEBUG_CHANGES[name]
        toolchain_has_it = self.go[:2] >= (1, changed)
        return new if toolchain_has_it and self.gomod[:2] >= (1, changed) else old

    def fixed(self, cve: str) -> bool:
        """Whether the Beat's Go toolchain carries the fix for *cve* (a key of the fixes table)."""
        first_patch = _FIXES[cve]
        minor, patch = self.go[1], (self.go[2] if len(self.go) > 2 else 0)
        if minor in first_patch:
            return patch >= first_patch[minor]
        return minor > max(first_patch)

    # --- the rules the verdict code asks about ------------------------------------------------

    @property
    def negative_serial_rejected(self) -> bool:
        return self.godebug("x509negativeserial") == "0"

    @property
    def rsa_min_1024(self) -> bool:
        return self.godebug("rsa1024min") == "1"

    @property
    def certificate_policies_validated(self) -> bool:
        """Certificate.Verify checks policies (RFC 5280 6.1 / RFC 9618) since Go 1.24.0, whatever the go line."""
        return self.go_at_least("1.24")

    @property
    def sha1_signatures_rejected(self) -> bool:
        return self.go_at_least("1.18")

    @property
    def sha1_godebug_hint(self) -> bool:
        """Go 1.18-1.23 append "(temporarily override with GODEBUG=x509sha1=1)" to the SHA-1 error."""
        return self.go_at_least("1.18") and not self.go_at_least("1.24")

    @property
    def name_constraint_wildcard_fix(self) -> bool:
        return self.fixed("CVE-2025-61727")

    @property
    def name_constraint_comparison_cap(self) -> bool:
        """Before the CVE-2025-58187 fix Go gave up after 250,000 name-constraint comparisons."""
        return not self.fixed("CVE-2025-58187")

    @property
    def url_strict_ipv6_brackets(self) -> bool:
        return self.fixed("CVE-2025-47912")

    @property
    def url_strict_colons(self) -> bool:
        return self.godebug("urlstrictcolons") == "1"

    @property
    def tls_sha1_handshake_signatures(self) -> bool:
        return self.godebug("tlssha1") == "1"

    @property
    def default_tls_versions(self) -> Tuple[str, ...]:
        """Beats 9.x (elastic-agent-libs v0.18.0+) default to TLS 1.2-1.3; 7.6-8.x to TLS 1.1-1.3."""
        return ("TLSv1.2", "TLSv1.3") if self.beat_major >= 9 else ("TLSv1.1", "TLSv1.2", "TLSv1.3")

    def describe(self) -> str:
        """One line for the report: which Beat and which Go the verdicts follow."""
        words = f"Beat {self.beat_version} (Go {self.go_version}, go.mod go {self.gomod_go_line})"
        if self.approximated:
            words += f", judged by the rules of Beat {self.beat_line}, the nearest older line esprobe documents"
        return words

    def to_dict(self) -> Dict[str, object]:
        return {"beat_version": self.beat_version, "beat_line": self.beat_line, "go_version": self.go_version,
                "gomod_go_line": self.gomod_go_line, "approximated": self.approximated}


def resolve(beat_version: Optional[str] = None) -> RuleSet:
    """
    The RuleSet for ``X.Y`` or ``X.Y.Z`` (default: the newest documented line).

    A version without a row of its own takes the nearest older documented line (``approximated``);
    one older than every row, or not a version number, is a ValueError naming what is known.
    """
    asked = (beat_version or default_beat_version()).strip()
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", asked):
        raise ValueError(f"--beat-version {asked!r}: expected X.Y or X.Y.Z, e.g. {default_beat_version()}")
    wanted = parse_version(asked)
    rows = sorted(_table()["lines"], key=lambda row: parse_version(row["beat"]))
    chosen = None
    for row in rows:
        if parse_version(row["beat"]) <= wanted[:2]:
            chosen = row
    if chosen is None:
        raise ValueError(f"--beat-version {asked}: older than every Beat release esprobe documents "
                         f"({', '.join(known_lines())})")
    return RuleSet(
        beat_version=_text(wanted),
        beat_line=chosen["beat"],
        go_version=chosen["go"],
        gomod_go_line=chosen["gomod_go_line"],
        verified=bool(chosen.get("verified")),
        approximated=parse_version(chosen["beat"]) != wanted[:2],
    )


