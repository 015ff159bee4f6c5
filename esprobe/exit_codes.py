"""
The one table of exit codes (docs/report-contract.md): a status word becomes a process exit code here and
nowhere else. Plain constants and string keys, so the command line can read it without importing
the model (``--help`` and ``--version`` stay light).
"""

from __future__ import annotations

EXIT_OK, EXIT_WARN, EXIT_FAIL, EXIT_UNKNOWN = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell convention

EXIT_FOR_STATUS = {
    "ok": EXIT_OK,
    "skipped": EXIT_OK,
    "warn": EXIT_WARN,
    "fail": EXIT_FAIL,
    "error": EXIT_UNKNOWN,  # esprobe itself failed inside a stage: it could not judge
    "unknown": EXIT_UNKNOWN,
}
