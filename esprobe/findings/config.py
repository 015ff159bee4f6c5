"""Catalogue entries for the config part (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings import FAIL, WARN, Spec  # noqa: F401

SPECS: Tuple[Spec, ...] = ()
