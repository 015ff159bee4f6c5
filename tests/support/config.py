"""Small helpers for the config tests: write YAML to a temp dir and load it like the CLI does."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from esprobe.config import LoadedConfig, load_config
from esprobe.model import Finding, Target
from esprobe.redact import Redactor


def write(directory: Path, text: str, name: str = "metricbeat.yml", mode: int = 0o600) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    os.chmod(path, mode)
    return path


def load(
    directory: Path,
    text: str,
    *,
    name: str = "metricbeat.yml",
    overrides: Sequence[str] = (),
    env: Optional[Dict[str, str]] = None,
    redactor: Optional[Redactor] = None,
    **kwargs: object,
) -> LoadedConfig:
    path = write(directory, text, name)
    return load_config([str(path)], overrides, environ=env or {}, redactor=redactor, **kwargs)  # type: ignore[arg-type]


def codes(loaded: LoadedConfig) -> List[str]:
    return [f.code for f in loaded.findings]


def only(loaded: LoadedConfig, code: str) -> Finding:
    matches = [f for f in loaded.findings if f.code == code]
    assert len(matches) == 1, [(f.code, f.message) for f in loaded.findings]
    return matches[0]


def target(loaded: LoadedConfig, target_id: str) -> Target:
    for t in loaded.targets:
        if t.id == target_id:
            return t
    raise AssertionError(f"no target {target_id}: {[t.id for t in loaded.targets]}")


def urls(loaded: LoadedConfig, role: Optional[str] = None) -> List[str]:
    return [t.url for t in loaded.targets if role is None or t.role.value == role]


def all_text(findings: Iterable[Finding]) -> str:
    return "\n".join(f"{f.message}\n{f.hint}\n{f.setting}\n{f.location}" for f in findings)
