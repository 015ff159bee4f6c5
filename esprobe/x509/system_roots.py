"""
Where a Beat finds the OS trust store on Linux: Go's ``crypto/x509`` system-root search.

Used whenever ``ssl.certificate_authorities`` is empty. The rules (golang/go
``src/crypto/x509/root_linux.go`` and ``root_unix.go``):

- bundle files are tried in order and the FIRST one that can be read wins, even if it holds
  no certificate at all; ``SSL_CERT_FILE`` replaces the whole list;
- every directory is read, all of them: every entry is fed to the PEM parser (unreadable
  ones and sub-directories are skipped quietly), except symlinks whose target has no ``/``
  (OpenSSL's hash links, which would only duplicate); ``SSL_CERT_DIR`` replaces the list and
  may name several directories separated by ``:`` (Go 1.16+);
- only ``CERTIFICATE`` PEM blocks without headers count, and unparsable certificates are
  skipped;
- an empty pool is not an error by itself (verification then says "unknown authority");
  only when nothing was loaded AND a path failed for another reason than "does not exist"
  does verification fail with ``x509: failed to load system roots and no roots provided; ...``.

certifi is never used as a silent stand-in: if nothing is found, `SystemRoots.empty` says so.
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import re
import threading
import warnings
from dataclasses import field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from esprobe.record import record
from esprobe.x509 import go_parse

GO_LINUX_FILES: Tuple[str, ...] = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian/Ubuntu/Gentoo etc.
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora/RHEL 6
    "/etc/ssl/ca-bundle.pem",  # OpenSUSE
    "/etc/pki/tls/cacert.pem",  # OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # CentOS/RHEL 7
    "/etc/ssl/cert.pem",  # Alpine Linux
)
GO_LINUX_DIRS: Tuple[str, ...] = (
    "/etc/ssl/certs",  # SLES10/SLES11, https://golang.org/issue/12139
    "/etc/pki/tls/certs",  # Fedora/RHEL
)
CERT_FILE_ENV = "SSL_CERT_FILE"
CERT_DIR_ENV = "SSL_CERT_DIR"

_MAX_FILE_BYTES = 64 * 1024 * 1024  # a CA bundle is ~250 KB; refuse to slurp a runaway file


@record
class SystemRoots:
    """
    The OS trust store as a Beat on this host would load it.

    Attributes:
        certs: the trust anchors, de-duplicated, in load order.
        file_used: the bundle file that was read (the first readable candidate), or None.
        dirs_read: the directories that could be listed.
        errors: ``(path, error)`` for every candidate that failed for a reason other than
            "does not exist", worded as Go words it (``open /x: permission denied``).
        files_tried: the bundle candidates in the order they were tried (after
            ``SSL_CERT_FILE``), for reports.
        dirs_tried: the directory candidates (after ``SSL_CERT_DIR``).
    """

    certs: Tuple[x509.Certificate, ...] = field(default=(), repr=False)
    file_used: Optional[str] = None
    dirs_read: Tuple[str, ...] = ()
    errors: Tuple[Tuple[str, str], ...] = ()
    files_tried: Tuple[str, ...] = ()
    dirs_tried: Tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """No trust anchor at all: every server certificate will be "signed by unknown authority"."""
        return not self.certs

    @property
    def go_error(self) -> Optional[str]:
        """
        The error Go's ``Verify`` returns before looking at the chain, or None: only when
        nothing was loaded and some path failed for another reason than not existing.
        """
        if self.certs or not self.errors:
            return None
        return f"x509: failed to load system roots and no roots provided; {self.errors[0][1]}"

    @property
    def path(self) -> Optional[str]:
        """One path to show as ``trust_store_path``: the bundle file, else the first directory read."""
        if self.file_used:
            return self.file_used
        return self.dirs_read[0] if self.dirs_read else None


def _go_errno_text(error: OSError) -> str:
    # Go prints the errno's text in lower case: "permission denied", "is a directory".
    text = os.strerror(error.errno) if error.errno else str(error)
    return text[:1].lower() + text[1:]


def _not_exist(error: OSError) -> bool:
    return error.errno in (errno.ENOENT,)


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(_MAX_FILE_BYTES)
    except IsADirectoryError as exc:  # Go opens a directory fine; its read is what fails
        raise _GoPathError("read", path, exc) from exc


class _GoPathError(Exception):
    def __init__(self, op: str, path: str, cause: OSError) -> None:
        super().__init__(f"{op} {path}: {_go_errno_text(cause)}")
        self.cause = cause


_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([^\r\n-]*(?:-[^\r\n-]+)*)-----[ \t]*\r?\n(.*?)-----END \1-----",
    re.DOTALL,
)


def go_append_certs_from_pem(data: bytes, *, negative_serial_rejected: bool = True) -> List[x509.Certificate]:
    """
    Go's ``CertPool.AppendCertsFromPEM``: every ``CERTIFICATE`` PEM block without headers
    that parses as a certificate, in order; anything else is skipped without a word.
    """
    certs: List[x509.Certificate] = []
    for match in _PEM_BLOCK.finditer(data):
        block_type, body = match.group(1), match.group(2)
        if block_type != b"CERTIFICATE":
            continue
        lines = body.replace(b"\r", b"").split(b"\n")
        if any(b":" in line for line in lines):  # PEM headers ("Proc-Type: ...") disqualify the block
            continue
        try:
            der = base64.b64decode(b"".join(line.strip() for line in lines), validate=True)
        except (binascii.Error, ValueError):
            continue
        if go_parse.parse_error(der, negative_serial_rejected=negative_serial_rejected) is not None:
            continue  # Go's parser refuses it (negative serial, critical AKI, ...): the pool never gets it
        cert = go_parse.load(der)
        if cert is None:
            continue
        with warnings.catch_warnings():
            # cryptography warns about non-positive serials when it first reads the extensions
            warnings.simplefilter("ignore")
            try:
                cert.extensions  # noqa: B018 - parse (and cache) now, while the warning is muted
            except ValueError:
                pass  # extensions cryptography cannot read: Go's reading (go_parse) is what counts
        certs.append(cert)
    return certs


def _readdir_unique(directory: str) -> List[str]:
    """Entries of *directory* (sorted, as Go's os.ReadDir), without same-directory symlinks."""
    names = sorted(os.listdir(directory))
    unique = []
    for name in names:
        full = os.path.join(directory, name)
        if os.path.islink(full):
            try:
                target = os.readlink(full)
            except OSError:
                target = "/"
            if "/" not in target:
                continue  # OpenSSL hash link to a file next to it
        unique.append(name)
    return unique


def _environ_list(environ: Mapping[str, str], name: str, default: Sequence[str], split: bool) -> Tuple[str, ...]:
    value = environ.get(name, "")
    if not value:
        return tuple(default)
    return tuple(value.split(":")) if split else (value,)


_Key = Tuple[Tuple[str, ...], Tuple[str, ...]]
_cache: Dict[_Key, SystemRoots] = {}
# Loads under way, by key: a second caller waits for the first's result instead of reading the store again.
_loading: Dict[_Key, threading.Event] = {}
_cache_lock = threading.Lock()
_generation = 0  # moved on by clear_cache: a load that began before it does not fill the cache


def clear_cache() -> None:
    """Forget loaded stores (tests; a long-running process after the OS store changed)."""
    global _generation
    with _cache_lock:
        _cache.clear()
        _generation += 1


def _key(environ: Optional[Mapping[str, str]], candidate_files: Sequence[str], candidate_dirs: Sequence[str],
         root: str) -> _Key:
    env = os.environ if environ is None else environ
    files = _environ_list(env, CERT_FILE_ENV, candidate_files, split=False)
    dirs = _environ_list(env, CERT_DIR_ENV, candidate_dirs, split=True)
    if root not in ("", "/"):
        files = tuple(os.path.join(root, f.lstrip("/")) for f in files)
        dirs = tuple(os.path.join(root, d.lstrip("/")) for d in dirs)
    return files, dirs


def load_system_roots(
    environ: Optional[Mapping[str, str]] = None,
    *,
    candidate_files: Sequence[str] = GO_LINUX_FILES,
    candidate_dirs: Sequence[str] = GO_LINUX_DIRS,
    root: str = "/",
) -> SystemRoots:
    """
    Load the trust store the way Go does on Linux, once per distinct set of paths (a load that
    `prefetch_system_roots` started is waited for, not repeated).

    Args:
        environ: the environment the Beat runs with (``SSL_CERT_FILE``, ``SSL_CERT_DIR``);
            defaults to this process's environment.
        candidate_files / candidate_dirs: Go's lists; tests pass their own.
        root: the directory the Beat's ``/`` is seen from (a mounted image, a container's
            ``/proc/PID/root``); the paths read and reported are then under it.
    """
    key = _key(environ, candidate_files, candidate_dirs, root)
    while True:
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None:
                return cached
            pending = _loading.get(key)
            if pending is None:
                pending = _loading[key] = threading.Event()
                generation = _generation
                break
        pending.wait()  # another thread is loading this store; its result lands in the cache
    try:
        roots = _load(*key)
        with _cache_lock:
            if generation == _generation:
                _cache[key] = roots
    finally:
        with _cache_lock:
            del _loading[key]
        pending.set()
    return roots


def prefetch_system_roots(environ: Optional[Mapping[str, str]] = None, *, root: str = "/") -> None:
    """
    Start loading the trust store in the background, once per run, so that reading and parsing it
    (~0.1 s for a distribution's bundle) overlaps a target's DNS, TCP and TLS handshake instead of
    adding to them: the tls stage's `load_system_roots` then finds it loaded, or waits for it.
    """
    key = _key(environ, GO_LINUX_FILES, GO_LINUX_DIRS, root)
    with _cache_lock:
        if key in _cache or key in _loading:
            return
    threading.Thread(target=_load_quietly, args=(environ, root), daemon=True, name="esprobe-system-roots").start()


def _load_quietly(environ: Optional[Mapping[str, str]], root: str) -> None:
    try:
        load_system_roots(environ, root=root)
    except Exception:  # the tls stage loads again, under its own guard, and reports what went wrong
        pass


def _load(files: Tuple[str, ...], dirs: Tuple[str, ...]) -> SystemRoots:
    certs: List[x509.Certificate] = []
    seen = set()
    errors: List[Tuple[str, str]] = []

    def add(found: List[x509.Certificate]) -> None:
        for cert in found:
            der = cert.public_bytes(serialization.Encoding.DER)
            if der not in seen:
                seen.add(der)
                certs.append(cert)

    file_used: Optional[str] = None
    for path in files:
        try:
            data = _read_file(path)
        except _GoPathError as exc:
            errors.append((path, str(exc)))
            continue
        except OSError as exc:
            if not _not_exist(exc):
                errors.append((path, f"open {path}: {_go_errno_text(exc)}"))
            continue
        add(go_append_certs_from_pem(data))
        file_used = path
        break  # the first readable bundle wins, even an empty one

    dirs_read: List[str] = []
    for directory in dirs:
        try:
            names = _readdir_unique(directory)
        except OSError as exc:
            if not _not_exist(exc):
                errors.append((directory, f"open {directory}: {_go_errno_text(exc)}"))
            continue
        dirs_read.append(directory)
        for name in names:
            try:
                add(go_append_certs_from_pem(_read_file(os.path.join(directory, name))))
            except (OSError, _GoPathError):
                continue  # Go skips unreadable entries (and sub-directories) without a word
    return SystemRoots(tuple(certs), file_used, tuple(dirs_read), tuple(errors), files, dirs)
