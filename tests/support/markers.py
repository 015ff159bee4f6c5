"""
Which tests are slow end to end: the whole CLI against the stand-ins or real third-party servers, the
demo, whole bundles. The root conftest marks them `e2e`, so `python -m pytest -m "not e2e"` is the fast
inner loop; CI runs everything. Entries are relative to tests/; a directory ends with "/".
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

E2E = (
    "interop/",
    "oracle/",
    "test_python_versions.py",
    "hostile/test_hostile_peers.py",
    "demo/test_command.py",
    "bundle/test_bundle.py",
    "test_cli.py",
    "test_cli_interrupts.py",
    "test_cli_secrets.py",
)


def is_e2e(path: Path) -> bool:
    relative = path.resolve().relative_to(TESTS).as_posix()
    return any(relative == entry or (entry.endswith("/") and relative.startswith(entry)) for entry in E2E)
