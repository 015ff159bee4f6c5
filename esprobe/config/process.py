"""
A running process as the kernel shows it in ``/proc/PID``: its command line, environment,
working directory, the root its files are seen through (another mount namespace for a
container), and the user it runs as.

Reading another user's ``environ``, ``cwd`` and ``root`` needs that user or root
(ptrace-read access); the errors say so in one line.
"""

from __future__ import annotations

import os
from dataclasses import field
from typing import Callable, Dict, Mapping, Tuple, TypeVar

from esprobe.record import record

_Read = TypeVar("_Read")

__all__ = ["ProcessError", "RunningProcess", "parse_nul_list", "parse_status_ids", "read_process"]


class ProcessError(ValueError):
    """The process cannot be read; the message is one line for a person."""


@record
class RunningProcess:
    """
    Attributes:
        pid: the process id.
        argv: the command line, argv[0] first.
        environ: its environment as it was at exec time (``/proc/PID/environ``).
        cwd: its working directory, as a path inside its own root.
        root: where its root directory is seen from here: ``/`` on the host, else
            ``/proc/PID/root`` (a container), through which its files are read.
        uid, gid: the effective ids, which the Beat's strict.perms compares against.
    """

    pid: int
    argv: Tuple[str, ...]
    environ: Mapping[str, str] = field(repr=False)
    cwd: str
    root: str
    uid: int
    gid: int


def parse_nul_list(data: bytes) -> Tuple[str, ...]:
    """``cmdline``/``environ``: NUL-terminated strings (a trailing NUL, or none after a rewrite)."""
    if not data:
        return ()
    items = data.split(b"\0")
    if items and items[-1] == b"":
        items.pop()
    return tuple(item.decode("utf-8", errors="surrogateescape") for item in items)


def parse_environ(data: bytes) -> Dict[str, str]:
    env: Dict[str, str] = {}
    for item in parse_nul_list(data):
        name, eq, value = item.partition("=")
        if eq and name:
            env[name] = value
    return env


def parse_status_ids(text: str) -> Tuple[int, int]:
    """(effective uid, effective gid) from ``/proc/PID/status`` (``Uid: real effective saved fs``)."""
    uid = gid = -1
    for line in text.splitlines():
        if line.startswith("Uid:"):
            uid = int(line.split()[2])
        elif line.startswith("Gid:"):
            gid = int(line.split()[2])
    if uid < 0 or gid < 0:
        raise ProcessError("no Uid:/Gid: lines in the status file")
    return uid, gid


def _denied(path: str) -> str:
    if os.geteuid() == 0:
        # Root is refused too when the process is in a user namespace esprobe is not the owner of,
        # or under a ptrace restriction (Yama ptrace_scope 3, a seccomp or LSM policy).
        return (f"cannot read {path}: permission denied even to root (the process is in another user "
                "namespace, or ptrace access is restricted on this host)")
    return f"cannot read {path}: permission denied; run esprobe as root or as the process's user"


def _read(pid: int, name: str, proc: str) -> bytes:
    return _from_proc(pid, name, proc, _read_bytes)


def _link(pid: int, name: str, proc: str) -> str:
    return _from_proc(pid, name, proc, os.readlink)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _from_proc(pid: int, name: str, proc: str, reader: Callable[[str], _Read]) -> _Read:
    """*reader* applied to /proc/PID/NAME, its failures told as the ProcessError the caller reports."""
    path = f"{proc}/{pid}/{name}"
    try:
        return reader(path)
    except FileNotFoundError:
        raise ProcessError(f"process {pid} does not exist (or exited while being read)") from None
    except PermissionError:
        raise ProcessError(_denied(path)) from None
    except OSError as error:
        raise ProcessError(f"cannot read {path}: {error.strerror or error}") from None


def read_process(pid: int, proc: str = "/proc") -> RunningProcess:
    """Read everything esprobe needs from ``/proc/PID``; `ProcessError` when it cannot."""
    if pid <= 0:
        raise ProcessError(f"{pid} is not a process id")
    if not os.path.isdir(f"{proc}/{pid}"):
        raise ProcessError(f"process {pid} does not exist")
    uid, gid = parse_status_ids(_read(pid, "status", proc).decode("ascii", errors="replace"))
    argv = parse_nul_list(_read(pid, "cmdline", proc))
    if not argv:
        raise ProcessError(f"process {pid} has no command line (a kernel thread, or a zombie)")
    environ = parse_environ(_read(pid, "environ", proc))
    cwd = _link(pid, "cwd", proc)
    own_root = _link(pid, "root", proc)
    # A process in another mount namespace shows its root as "/" too; comparing with our own
    # root directory tells whether its paths mean the same files as ours.
    same_root = own_root == "/" and _same_mount_ns(pid, proc)
    root = "/" if same_root else f"{proc}/{pid}/root"
    # A cwd deleted or outside the process's root reads as "... (deleted)" or a host path.
    if cwd.endswith(" (deleted)"):
        cwd = cwd[: -len(" (deleted)")]
    # Re-check that the process is still the same one after the reads (it may have exited and
    # the pid been reused): its command line must read the same.
    if parse_nul_list(_read(pid, "cmdline", proc)) != argv:
        raise ProcessError(f"process {pid} changed while being read (it exited or re-executed)")
    return RunningProcess(pid=pid, argv=argv, environ=environ, cwd=cwd, root=root, uid=uid, gid=gid)


def _same_mount_ns(pid: int, proc: str) -> bool:
    try:
        return os.readlink(f"{proc}/{pid}/ns/mnt") == os.readlink(f"{proc}/self/ns/mnt")
    except OSError:
        return True  # without namespaces to compare, assume the host's view
