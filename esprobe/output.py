"""The one writer: text goes through the redactor, then to a stream or atomically to a file."""

from __future__ import annotations

import os
import tempfile
from typing import TextIO

from esprobe.redact import Redactor


def write_atomically(path: str, data: bytes, mode: int = 0o644) -> None:
    """
    Write *data* to *path* so that no reader ever sees a partial file: a temporary file in the
    same directory (rename is atomic only within one file system), fsync, then rename over *path*.
    node_exporter's textfile collector and scripts that poll the file rely on this.
    """
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, temporary = tempfile.mkstemp(prefix=".esprobe-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:  # including KeyboardInterrupt: never leave the temporary behind
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def emit(text: str, redactor: Redactor, *, stream: TextIO, path: "str | None" = None) -> None:
    """Redact *text*, then write it to *path* (atomically) or to *stream*."""
    clean = redactor.redact(text)
    if path:
        write_atomically(path, clean.encode("utf-8"))
    else:
        stream.write(clean)
        stream.flush()
