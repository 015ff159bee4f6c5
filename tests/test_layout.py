"""The test tree mirrors the package, helpers come from tests/support, and the e2e marker covers real files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

from tests.support.markers import E2E
from tests.support.paths import REPO

TESTS = REPO / "tests"
# Suites that cut across the package rather than mirror one room of it. Their own machinery (the Go
# oracle's corpus and harness, next to its main.go) may stay with them; helpers shared across
# directories live in tests/support.
CROSS_CUTTING = {"support", "fuzz", "hostile", "interop", "oracle"}


def _python_files() -> List[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_test_directory_mirrors_a_package_directory() -> None:
    strays = []
    for directory in sorted(p for p in TESTS.rglob("*") if p.is_dir() and p.name not in ("__pycache__", "testdata")):
        relative = directory.relative_to(TESTS)
        if relative.parts[0] in CROSS_CUTTING:
            continue
        if not (REPO / "esprobe" / relative / "__init__.py").is_file():
            strays.append(str(relative))
    assert strays == [], f"tests/{strays} has no esprobe/ package of the same name"


def test_helpers_live_in_tests_support() -> None:
    loose = [str(p.relative_to(TESTS)) for p in _python_files()
             if p.relative_to(TESTS).parts[0] not in CROSS_CUTTING and not p.name.startswith("test_")
             and p.name not in ("conftest.py", "__init__.py")]
    assert loose == [], "shared helpers belong in tests/support/"


def test_no_test_imports_from_a_conftest_module() -> None:
    importing = [str(p.relative_to(TESTS)) for p in _python_files()
                 if re.search(r"^\s*from\s+\S*conftest\s+import|^\s*import\s+\S*conftest", p.read_text(), re.M)]
    assert importing == [], "import helpers from tests.support; fixtures reach tests by name"


@pytest.mark.parametrize("entry", E2E)
def test_every_e2e_entry_names_something_that_exists(entry: str) -> None:
    assert list(TESTS.glob(entry.rstrip("/"))), f"{entry} matches nothing under tests/"
