"""Where the repository's own files are, for tests that read them (README, docs, schema, sample certificates)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
