"""The process's outside world as the command line sees it: streams, environment, working directory."""

from __future__ import annotations

import os
import sys
from typing import Mapping, TextIO


class Environment:
    """
    The process's streams and environment, built once in `main` (never at import time). A plain
    class rather than a dataclass: `dataclasses` costs --help and --version a tenth of their time.
    """

    def __init__(self, stdout: TextIO, stderr: TextIO, stdout_isatty: bool, environ: Mapping[str, str],
                 cwd: str) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.stdout_isatty = stdout_isatty
        self.environ = environ
        self.cwd = cwd

    @classmethod
    def from_process(cls) -> "Environment":
        return cls(sys.stdout, sys.stderr, sys.stdout.isatty(), dict(os.environ), os.getcwd())
