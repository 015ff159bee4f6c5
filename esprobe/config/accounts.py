"""
Who the service runs as, and whether that user can open a file: the kernel's permission rules
(every directory on the way searchable, the file itself readable by owner, group or others, root
reads everything) evaluated for another user, from ``stat`` results, without switching user.

Accounts are read from the root's ``/etc/passwd`` and ``/etc/group``; on the live system (root
``/``) the C library is asked first, so that directory users (LDAP, SSSD) are found too.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from typing import FrozenSet, List, Optional, Tuple

from esprobe.record import record

__all__ = ["Account", "Access", "check_read_access", "in_root", "lookup_uid", "lookup_user"]


@record
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str
    groups: FrozenSet[int] = frozenset()


@record
class Access:
    """
    Whether a user can read a file. ``blocked_at`` is the path component that stops it (the file
    or a directory on the way) and ``why`` says how, with the permissions found.
    """

    path: str
    readable: bool
    blocked_at: Optional[str] = None
    why: str = ""


def in_root(root: str, path: str) -> str:
    """*path* as seen from inside *root* -> the path to open on this machine."""
    return path if root in ("", "/") else os.path.join(root, path.lstrip("/"))


def _read_lines(root: str, path: str) -> List[str]:
    try:
        with open(in_root(root, path), encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def _passwd(root: str) -> List[Tuple[str, int, int, str, str]]:
    rows = []
    for line in _read_lines(root, "/etc/passwd"):
        parts = line.split(":")
        if len(parts) >= 7 and parts[2].isdigit() and parts[3].isdigit():
            rows.append((parts[0], int(parts[2]), int(parts[3]), parts[5], parts[6]))
    return rows


def _supplementary(root: str, name: str, gid: int) -> FrozenSet[int]:
    groups = {gid}
    for line in _read_lines(root, "/etc/group"):
        parts = line.split(":")
        if len(parts) >= 4 and parts[2].isdigit() and name in parts[3].split(","):
            groups.add(int(parts[2]))
    if root in ("", "/"):
        try:
            groups.update(os.getgrouplist(name, gid))
        except (OSError, AttributeError):
            pass
    return frozenset(groups)


def _from_libc(key: object) -> Optional[Tuple[str, int, int, str, str]]:
    try:
        entry = pwd.getpwnam(key) if isinstance(key, str) else pwd.getpwuid(int(key))  # type: ignore[call-overload]
    except (KeyError, OverflowError, ValueError):
        return None
    return entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir, entry.pw_shell


def lookup_user(name: str, root: str = "/") -> Optional[Account]:
    """``User=`` may be a name or a numeric uid; None when the root knows no such user."""
    row = _from_libc(name) if root in ("", "/") else None
    if row is None:
        for candidate in _passwd(root):
            if candidate[0] == name or (name.isdigit() and candidate[1] == int(name)):
                row = candidate
                break
    if row is None and name.isdigit():
        return Account(name, int(name), int(name), "/", "/bin/sh", frozenset({int(name)}))
    if row is None:
        return None
    return Account(row[0], row[1], row[2], row[3], row[4], _supplementary(root, row[0], row[2]))


def lookup_group(name: str, root: str = "/") -> Optional[int]:
    """A group name (or numeric gid) -> gid, from the root's /etc/group (the C library on the live system)."""
    if name.isdigit():
        return int(name)
    if root in ("", "/"):
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            pass
    for line in _read_lines(root, "/etc/group"):
        parts = line.split(":")
        if len(parts) >= 3 and parts[0] == name and parts[2].isdigit():
            return int(parts[2])
    return None


def with_groups(account: Account, gid: Optional[int], extra: "frozenset[int]") -> Account:
    """``Group=`` replaces the primary group; ``SupplementaryGroups=`` add to the user's own."""
    primary = account.gid if gid is None else gid
    groups = (account.groups - {account.gid}) | {primary} | extra
    return Account(account.name, account.uid, primary, account.home, account.shell, frozenset(groups))


def lookup_uid(uid: int, gid: int, root: str = "/") -> Account:
    """The account of a running process's uid (named when the root knows it)."""
    row = _from_libc(uid) if root in ("", "/") else None
    if row is None:
        row = next((r for r in _passwd(root) if r[1] == uid), None)
    if row is None:
        return Account(str(uid), uid, gid, "/", "/bin/sh", frozenset({gid}))
    return Account(row[0], uid, gid, row[3], row[4], _supplementary(root, row[0], gid) | {gid})


def _allows(st: os.stat_result, account: Account, want: int) -> bool:
    """The classic Unix check (ACLs aside): the owner bits, else the group bits, else others."""
    mode = stat.S_IMODE(st.st_mode)
    if st.st_uid == account.uid:
        return bool(mode & (want << 6))
    if st.st_gid in account.groups:
        return bool(mode & (want << 3))
    return bool(mode & want)


def check_read_access(path: str, account: Account, root: str = "/") -> Access:
    """
    Can *account* open *path* (a path inside *root*) for reading? Root can, whatever the modes.
    A path esprobe itself cannot stat is reported as not known rather than as unreadable.
    """
    path = os.path.normpath(path)
    if account.uid == 0:
        return Access(path, True)
    parts = path.split("/")[1:]
    current = "/"
    for index, part in enumerate(parts):
        is_last = index == len(parts) - 1
        try:
            st = os.stat(in_root(root, current))
        except OSError as error:
            return Access(path, True, current, f"esprobe cannot inspect {current}: {error.strerror}")
        if not _allows(st, account, 1):
            return Access(path, False, current, f"the directory {current} ({stat.filemode(st.st_mode)} "
                          f"{_owner(st)}) is not searchable by {account.name}")
        current = os.path.join(current, part)
        if is_last:
            try:
                st = os.stat(in_root(root, current))
            except OSError as error:
                return Access(path, True, current, f"esprobe cannot inspect {current}: {error.strerror}")
            if not _allows(st, account, 4):
                return Access(path, False, current, f"{current} is {stat.filemode(st.st_mode)} {_owner(st)}, "
                              f"not readable by {account.name} (uid {account.uid})")
    return Access(path, True)


def _owner(st: os.stat_result) -> str:
    return f"owner uid {st.st_uid} group gid {st.st_gid}"
