"""
The findings catalogue: the one place where every finding code gets its meaning, hint and setting.

Each stage keeps its entries in a sibling module (``findings/tls.py`` ...) so that the catalogue
stays readable; this module assembles them, and `make` is the only way code builds a `Finding`.
`docs/findings.md` is generated from `CATALOGUE` (``python -m esprobe.findings``) and a test
fails when the two drift apart.
"""

from __future__ import annotations

import string
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from esprobe.findings import auth, config, dns, hostname, http, privileges, proxy, run, service, tcp, tls
from esprobe.findings.spec import FAIL, WARN, Spec
from esprobe.model import Finding, Severity

__all__ = ["FAIL", "WARN", "Spec", "catalogue", "codes", "make"]


def _collect() -> Dict[str, Spec]:
    catalogue: Dict[str, Spec] = {}
    for part in (config, service, dns, tcp, proxy, tls, hostname, http, auth, privileges, run):
        for spec in part.SPECS:
            if spec.code in catalogue:
                raise RuntimeError(f"finding code {spec.code} is defined twice")
            catalogue[spec.code] = spec
    return catalogue


_catalogue: Optional[Dict[str, Spec]] = None


def catalogue() -> Mapping[str, Spec]:
    """Every finding code, in the order the parts list them."""
    global _catalogue
    if _catalogue is None:
        _catalogue = _collect()
    return _catalogue


class _Template(string.Formatter):
    """Formats hints; a placeholder with no value fails loudly in tests rather than printing {x}."""

    def get_value(self, key: Union[int, str], args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            raise KeyError(f"finding template needs {{{key}}}")
        return super().get_value(key, args, kwargs)


_FORMATTER = _Template()


def make(
    code: str,
    message: str,
    *,
    # A plain "warn"/"fail" is accepted (and checked) as well as a Severity, so that callers can
    # pass their template values as a `**params` dict of strings: a type checker reads such a dict
    # as possibly filling every keyword here, severity included.
    severity: Union[Severity, str, None] = None,
    hint: Optional[str] = None,
    setting: Optional[str] = None,
    location: Optional[str] = None,
    **params: object,
) -> Finding:
    """
    Build the `Finding` for *code*: *message* says what was observed; the catalogue supplies
    the hint and setting, formatted with *params*, unless *hint* / *setting* are given.
    """
    spec = catalogue()[code]
    if setting is not None:
        params.setdefault("setting", setting)  # hints often name the setting too
    if hint is None:
        hint = _FORMATTER.format(spec.hint, **params)
    if setting is None and spec.setting is not None:
        setting = _FORMATTER.format(spec.setting, **params)
    return Finding(
        code=code,
        severity=Severity(severity) if severity else spec.severity,
        message=message,
        hint=hint,
        setting=setting,
        location=location,
        blocking=spec.blocks_later,
    )


def snippet(*lines: str) -> str:
    """
    Paste-ready text (JSON, YAML, a DN, a command) for a hint: each line on its own line, indented by
    four spaces, which the table prints verbatim and never wraps. The hint continues after it.
    """
    return "\n" + "\n".join("    " + line for line in lines) + "\n"


def codes() -> Tuple[str, ...]:
    return tuple(catalogue())
