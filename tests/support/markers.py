"""
Which tests are slow end to end: the whole CLI against the stand-ins or real third-party servers, the
demo, whole bundles. The root conftest marks them `e2e`, so `python -m pytest -m "not e2e"` is the fast
inner loop; CI runs everything. Entries are relative to tests/ (shell patterns allowed); a directory
ends with "/". Every tests/test_cli*.py runs the command line end to end, so it is e2e by its name.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

E2E = (
    "interop/",
    "oracle/",
    "test_python_versions.py",
    "hostile/test_hostile_peers.py",
    "hostile/test_escapes.py",
    "demo/test_command.py",
    "bundle/test_bundle.py",
    "bundle/test_hardening.py",
    "test_cli*.py",
)


def is_e2e(path: Path) -> bool:
    relative = path.resolve().relative_to(TESTS).as_posix()
    return any(fnmatch.fnmatchcase(relative, entry) or (entry.endswith("/") and relative.startswith(entry))
               for entry in E2E)
