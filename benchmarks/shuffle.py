"""
A pytest plugin for benchmarks/flakiness.py: runs the suite in a seeded random order.

    python -m pytest -p benchmarks.shuffle          # seed from ESPROBE_SHUFFLE_SEED, else 0

Modules come in a shuffled order and the tests of each module in a shuffled order too (as
pytest-randomly does), so module-scoped fixtures are still set up once per module. The same seed
gives the same order, to reproduce a failure. Not loaded by the test suite itself: tests/ stays
in its deterministic order.
"""

from __future__ import annotations

import os
import random
from typing import Dict, List

import pytest


def pytest_report_header(config: pytest.Config) -> str:
    return f"shuffled order, ESPROBE_SHUFFLE_SEED={_seed()}"


def _seed() -> int:
    return int(os.environ.get("ESPROBE_SHUFFLE_SEED", "0"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    shuffler = random.Random(_seed())
    modules: Dict[str, List[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    order = list(modules)
    shuffler.shuffle(order)
    items[:] = []
    for module in order:
        tests = modules[module]
        shuffler.shuffle(tests)
        items.extend(tests)
