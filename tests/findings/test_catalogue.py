"""The findings catalogue: codes well formed, hints complete, docs/findings.md up to date."""

from __future__ import annotations

import re
import string

import pytest

from esprobe.findings import catalogue
from esprobe.findings.docs import render_markdown
from tests.support.paths import REPO

DOCS = REPO / "docs" / "findings.md"


def test_docs_findings_md_is_generated_from_the_catalogue() -> None:
    """docs/findings.md must equal what the catalogue generates; regenerate with python -m esprobe.findings."""
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/findings.md is out of date: run `python -m esprobe.findings > docs/findings.md`"
    )


@pytest.mark.parametrize("code", sorted(catalogue()))
def test_every_entry_is_complete(code: str) -> None:
    spec = catalogue()[code]
    assert re.match(r"^[a-z]+(-[a-z0-9]+)+$", code)
    prefix = code.split("-", 1)[0]
    assert prefix in {
        "config",
        "keystore",
        "service",
        "dns",
        "tcp",
        "tls",
        "hostname",
        "http",
        "auth",
        "privileges",
        "run",
        "proxy",
    }
    assert spec.title and spec.meaning and spec.hint
    assert spec.meaning.endswith(".") and not spec.meaning.startswith(" ")
    # every placeholder is a plain name, so make() can fill it
    for template in (spec.hint, spec.setting or ""):
        for _, field, _, _ in string.Formatter().parse(template):
            assert field is None or field.isidentifier(), (code, field)
