"""
The one writer: text goes through the redactor, then to a stream or to ``--output PATH``.

What is at PATH decides how it is written:

- nothing, or a regular file (also through a symlink): atomically, a temporary file in the same
  directory renamed over the real path, so that a collector never reads half a report. A new file
  gets 0644 less the umask; an existing file keeps its mode (and, when esprobe may, its owner).
- ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``: the descriptor esprobe
  already has (stdout is the stream the command line writes to), never a rename over the link.
- a character device (``/dev/null``, a terminal) or a FIFO: opened and written in place. A FIFO
  without a reader is waited for, at most *wait* seconds.
- a directory, a block device, a socket: refused with an OSError naming the reason.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from typing import Optional, TextIO

from esprobe.redact import Redactor

NEW_FILE_MODE = 0o644  # and the umask applies: a report names hosts and users, see the README

_OWN_DESCRIPTOR = re.compile(r"^/(?:dev/fd|proc/self/fd|dev)/(stdout|stderr|\d+)$")
_NAMED = {"stdout": 1, "stderr": 2}


def write_atomically(path: str, data: bytes, mode: Optional[int] = None) -> None:
    """
    Write *data* to *path* so that no reader ever sees a partial file: a temporary file in the
    same directory (rename is atomic only within one file system), fsync, then rename over *path*.
    node_exporter's textfile collector and scripts that poll the file rely on this.

    Args:
        mode: the file's mode; None keeps an existing file's mode, or gives a new file
            ``NEW_FILE_MODE`` less the umask.
    """
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        existing: Optional[os.stat_result] = os.stat(path)
    except FileNotFoundError:
        existing = None
    temporary = ""
    fd = -1
    for _ in range(100):
        temporary = os.path.join(directory, f".esprobe-{os.urandom(6).hex()}.tmp")
        try:
            # os.open applies the umask to NEW_FILE_MODE, as any program creating a file does.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         NEW_FILE_MODE)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "no free temporary name", directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            elif existing is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(existing.st_mode))
                if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                    try:  # root replacing another user's file: the file stays theirs
                        os.fchown(handle.fileno(), existing.st_uid, existing.st_gid)
                    except OSError:
                        pass
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:  # including KeyboardInterrupt: never leave the temporary behind
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _own_descriptor(path: str) -> Optional[int]:
    """The descriptor number when *path* names one of esprobe's own (``/dev/stdout``, ``/dev/fd/3``)."""
    match = _OWN_DESCRIPTOR.match(os.path.normpath(path))
    if match is None:
        return None
    word = match.group(1)
    if word in _NAMED:
        return _NAMED[word]
    if path.startswith("/dev/") and not path.startswith("/dev/fd/"):
        return None  # /dev/<digits> is not a descriptor
    return int(word)


def _write_in_place(path: str, data: bytes, wait: float) -> None:
    """A character device or a FIFO: open without creating or truncating, and write."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
    give_up = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fd = os.open(path, flags)
            break
        except OSError as error:
            # A FIFO with no reader yet: ENXIO on a non-blocking open. Wait for one, bounded.
            if error.errno != errno.ENXIO or time.monotonic() >= give_up:
                if error.errno == errno.ENXIO:
                    raise OSError(errno.ENXIO, f"no reader opened the FIFO within {wait:g} s", path) from None
                raise
            time.sleep(0.05)
    try:
        if hasattr(os, "O_NONBLOCK"):
            import fcntl  # Unix only, like O_NONBLOCK itself

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def write_report(path: str, data: bytes, *, stream: Optional[TextIO] = None, wait: float = 5.0) -> None:
    """Write *data* to ``--output`` *path* the way what is there calls for (see the module's docstring)."""
    number = _own_descriptor(path)
    if number is not None:
        if number == 1 and stream is not None:
            stream.write(data.decode("utf-8", "surrogateescape"))
            stream.flush()
            return
        view = memoryview(data)
        while view:
            view = view[os.write(number, view):]
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        write_atomically(path, data)
        return
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory; give a file name", path)
    if stat.S_ISREG(st.st_mode):
        # Through a symlink, the file it names is replaced, never the link itself.
        write_atomically(os.path.realpath(path), data)
        return
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        _write_in_place(path, data, wait)
        return
    what = "a block device" if stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file"
    raise OSError(errno.EINVAL, f"is {what}; esprobe writes reports to files, FIFOs and character devices only",
                  path)


def emit(text: str, redactor: Redactor, *, stream: TextIO, path: "str | None" = None, wait: float = 5.0) -> None:
    """Redact *text*, then write it to *path* (see `write_report`) or to *stream*."""
    clean = redactor.redact(text)
    if path:
        write_report(path, clean.encode("utf-8"), stream=stream, wait=wait)
    else:
        stream.write(clean)
        stream.flush()
