"""
The Beat release lines esprobe documents (``esprobe/data/beat_versions.json``): which exist and which
is the default. Apart from `esprobe.rulesets` so that the command line's help and --version read them
without building the RuleSet dataclass (dataclasses pulls in inspect and ast: ~6 ms a start).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, Dict, Tuple


@lru_cache(maxsize=1)
def table() -> Dict[str, Any]:
    """The whole table, read once."""
    # Read next to this module: importlib.resources would import tempfile, zipfile and shutil on every
    # run for this one file (esprobe is installed as files, never run from a zip).
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "beat_versions.json"),
              encoding="utf-8") as handle:
        loaded: Dict[str, Any] = json.load(handle)
    return loaded


def known_lines() -> Tuple[str, ...]:
    return tuple(row["beat"] for row in table()["lines"])


def default_beat_version() -> str:
    return str(table()["default"])
