"""
``esprobe bundle``: one redacted zip a user attaches to a support case.

collect (report, config as written and as the Beat sees it, certificates, name resolution,
proxies, environment) -> redact every member (`esprobe.bundle.redact`) -> scan every member for
every known secret -> write the zip atomically, mode 0600. Redactions are listed in
``manifest.json`` by file, setting and kind, never by value.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shlex
import socket
import stat
import tempfile
import zipfile
from collections import Counter
from dataclasses import asdict
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from esprobe import __version__
from esprobe.bundle.collect import (
    NSSWITCH_CONF,
    OS_RELEASE,
    RESOLV_CONF,
    Clock,
    ca_certificates,
    dns_text,
    environment_text,
    private_key_material,
    proxy_text,
    safe_name,
    target_certificates,
)
from esprobe.bundle.redact import (
    MIN_SUBSTRING,
    KnownSecrets,
    Redaction,
    redact_assignments,
    redact_override,
    redact_text,
    redact_tree,
    redact_yaml_text,
)
from esprobe.probe.check import CheckOptions
from esprobe.redact import Redactor
from esprobe.render.json import report_to_dict
from esprobe.render.table import render_table

__all__ = ["BundleError", "default_bundle_name", "write_bundle"]

BUNDLE_FORMAT = 1
_CONFIG_READ_LIMIT = 16 * 1024 * 1024
_MEMBER_MODE = 0o600


class BundleError(Exception):
    """The archive cannot be written; the message names the path and the reason (never a secret)."""


def default_bundle_name(clock: Clock, hostname: Optional[str] = None) -> str:
    """``esprobe-bundle-<host>-<YYYYmmddTHHMMSSZ>.zip``."""
    host = re.sub(r"[^A-Za-z0-9.-]", "_", hostname if hostname is not None else socket.gethostname()) or "host"
    return f"esprobe-bundle-{host}-{clock.utc.strftime('%Y%m%dT%H%M%SZ')}.zip"


def write_bundle(
    path: Optional[str],
    report: Any,
    loaded: Any,
    options: Any,
    redactor: Redactor,
    env: Any,
    *,
    clock: Optional[Clock] = None,
    resolv_conf: str = RESOLV_CONF,
    nsswitch_conf: str = NSSWITCH_CONF,
    os_release: Sequence[str] = OS_RELEASE,
    force: bool = False,
) -> str:
    """
    Collect, redact, scan and write the support bundle; return the path written.

    Args:
        path: ``-o``: a file, or an existing directory to put the default name in; None for the
            default name in the working directory.
        report / loaded / options: what `esprobe.probe.check.run_check` used and produced.
        redactor: the run's secret registry (every member passes through it).
        env: the CLI `Environment` (its ``cwd`` anchors relative paths).
        force: replace whatever is at the path (a file, or a symlink itself: never what it points to).

    Raises:
        BundleError: the archive cannot be written (missing or read-only directory, disk full), or
            a known secret survived redaction (a bug; nothing is written then).
    """
    clock = clock or Clock.now()
    target_path = _resolve_path(path, getattr(env, "cwd", os.getcwd()), clock)
    _refuse_existing(target_path, force)
    members, redactions = collect_members(
        report, loaded, options, redactor, env, target_path, clock,
        resolv_conf=resolv_conf, nsswitch_conf=nsswitch_conf, os_release=os_release,
    )
    members.append(("manifest.json", _manifest(members, redactions, redactor, report, clock)))
    needles = scan_needles(redactor, report, loaded)
    leak = find_leak(members, needles)
    if leak is not None:
        member, source = leak
        raise BundleError(
            f"refusing to write the support bundle {target_path}: a secret ({source}) is still in "
            f"{member} after redaction. This is a bug in esprobe; please report it (without the secret)."
        )
    write_zip_atomically(target_path, members, clock, replace=force)
    return target_path


def _resolve_path(path: Optional[str], cwd: str, clock: Clock) -> str:
    if not path:
        return os.path.join(cwd, default_bundle_name(clock))
    absolute = os.path.normpath(os.path.join(cwd, os.path.expanduser(path)))
    # A real directory takes the default name; a symlink is never followed, not even to a directory.
    if (os.path.isdir(absolute) and not os.path.islink(absolute)) or path.endswith(os.sep):
        return os.path.join(absolute, default_bundle_name(clock))
    return absolute


def _refuse_existing(path: str, force: bool) -> None:
    """A bundle never silently replaces a file (nor writes through a symlink) unless --force."""
    try:
        st = os.lstat(path)
    except OSError:
        return

    if stat.S_ISDIR(st.st_mode):
        raise BundleError(f"cannot write the support bundle {path}: it is a directory")
    if not force:
        what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "a file"
        raise BundleError(
            f"cannot write the support bundle {path}: {what} is already there; choose another -o PATH, "
            "or add --force to replace it"
        )


# --- collecting ----------------------------------------------------------------------------------


def collect_members(
    report: Any,
    loaded: Any,
    options: Any,
    redactor: Redactor,
    env: Any,
    bundle_path: str,
    clock: Clock,
    *,
    resolv_conf: str = RESOLV_CONF,
    nsswitch_conf: str = NSSWITCH_CONF,
    os_release: Sequence[str] = OS_RELEASE,
) -> Tuple[List[Tuple[str, bytes]], List[Redaction]]:
    """Every member but the manifest, each already redacted, with the redactions made."""
    known = KnownSecrets(redactor)
    members: List[Tuple[str, bytes]] = []
    redactions: List[Redaction] = []

    def add(name: str, build: Callable[[], Tuple[str, List[Redaction]]], *, json_text: bool = False) -> None:
        """
        One member: *build* returns text already redacted in its own way; the shape and
        known-value rules then run over the whole text, whatever its format (JSON has had them
        value by value already, where a replacement cannot break the quoting; the final scan
        still reads it). A section that fails costs a note in its place, not the bundle.
        """
        try:
            text, found = build()
        except Exception as error:
            text, found, json_text = f"esprobe could not collect {name}: {type(error).__name__}: {error}\n", [], False
        clean, more = (text, []) if json_text else redact_text(text, known, name)
        redactions.extend(found + more)
        members.append((name, _encode(clean)))

    def plain(build: Callable[[], str]) -> Callable[[], Tuple[str, List[Redaction]]]:
        return lambda: (build(), [])

    def report_json() -> Tuple[str, List[Redaction]]:
        # Redacted value by value, so the JSON stays valid whatever a replacement spans.
        tree, found = redact_tree(report_to_dict(report), known, "report.json", by_name=False)
        return json.dumps(tree, indent=2, ensure_ascii=False) + "\n", found

    add("report.json", report_json, json_text=True)
    add("report.txt", plain(lambda: render_table(report, color=False)))
    for name, text in _original_configs(options, loaded):
        add(name, partial(redact_yaml_text, text, known, name))
    add("config/effective.yml", lambda: _effective_yaml(getattr(loaded, "effective", {}) or {}, known))
    for name, text in _service_files(options):
        add(name, partial(redact_assignments, text, known, name))

    targets = [t.target for t in report.targets]
    files: List[Tuple[str, bytes]] = []
    for target_report in report.targets:
        directory = f"certs/{safe_name(target_report.target.id)}"
        built = _guarded(partial(target_certificates, target_report), directory)
        files += [(f"{directory}/{name}", data) for name, data in built.items()]
    authorities = _guarded(partial(ca_certificates, targets), "certs/ca")
    files += [(f"certs/ca/{name}", data) for name, data in authorities.items()]
    for name, data in files:
        add(name, plain(partial(data.decode, "utf-8", "surrogateescape")))

    add("network/dns.txt", plain(lambda: dns_text(
        report.targets,
        hosts_file=options.hosts_file or "/etc/hosts",
        hosts_file_overridden=options.hosts_file is not None,
        nameservers=options.nameservers,
        resolv_conf=resolv_conf,
        nsswitch_conf=nsswitch_conf,
    )))
    add("network/proxy.txt", plain(lambda: proxy_text(targets, options.environ)))

    def environment() -> Tuple[str, List[Redaction]]:
        command_line, found = _command_line(options, bundle_path, known)
        return environment_text(
            environ=options.environ,
            command_line=command_line,
            cwd=getattr(env, "cwd", os.getcwd()),
            clock=clock,
            keystore=getattr(loaded, "keystore", None),
            config_files=getattr(loaded, "files", ()),
            os_release=os_release,
        ), found

    add("environment.txt", environment)
    return members, redactions


def _encode(text: str) -> bytes:
    """UTF-8; bytes that were not UTF-8 in a file read go back as they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that did not come from a file's bytes
        return text.encode("utf-8", "backslashreplace")


def _guarded(build: Callable[[], Dict[str, bytes]], where: str) -> Dict[str, bytes]:
    """A certificate that breaks a builder costs a note, not the bundle."""
    try:
        return build()
    except Exception as error:
        return {"error.txt": f"esprobe could not collect {where}: {type(error).__name__}: {error}\n".encode()}


def _service_files(options: Any) -> List[Tuple[str, str]]:
    """With --service/--pid: the unit, its drop-ins and its environment files, as ``service/<path>``."""
    invocation = getattr(options, "invocation", None)
    if invocation is None:
        return []
    out = []
    for path in invocation.files:
        name = "service/" + path.lstrip("/")
        try:
            with open(invocation.host_path(path), "rb") as handle:
                data = handle.read(_CONFIG_READ_LIMIT)
        except OSError as error:
            out.append((name, f"# esprobe could not read {path}: {error.strerror or error}\n"))
            continue
        out.append((name, data.decode("utf-8", "surrogateescape")))
    return out


def _original_configs(options: Any, loaded: Any) -> List[Tuple[str, str]]:
    """``config/original.yml`` for the first ``-c`` file, ``original-2.yml`` ... for the others."""
    paths: List[str] = [os.path.abspath(p) for p in getattr(options, "config_paths", ())]
    for extra in getattr(loaded, "files", ()):
        if os.path.abspath(extra) not in paths:
            paths.append(os.path.abspath(extra))
    out = []
    for i, path in enumerate(paths):
        name = "config/original.yml" if i == 0 else f"config/original-{i + 1}.yml"
        invocation = getattr(options, "invocation", None)
        try:
            # A service's files are read through its root (--root, a container's /proc/PID/root).
            with open(invocation.host_path(path) if invocation is not None else path, "rb") as handle:
                data = handle.read(_CONFIG_READ_LIMIT + 1)
        except OSError as error:
            out.append((name, f"# esprobe could not read {path}: {error.strerror or error}\n"))
            continue
        note = ""
        if len(data) > _CONFIG_READ_LIMIT:
            data, note = data[:_CONFIG_READ_LIMIT], f"\n# (truncated by esprobe at {_CONFIG_READ_LIMIT} bytes)\n"
        out.append((name, data.decode("utf-8", "surrogateescape") + note))
    return out


def _effective_yaml(tree: Any, known: KnownSecrets) -> Tuple[str, List[Redaction]]:
    clean, found = redact_tree(tree, known, "config/effective.yml")
    head = (
        "# The configuration as the Beat sees it: -c files merged, -E applied, ${VAR} expanded.\n"
        "# Secrets are replaced by <redacted>; manifest.json says which settings.\n"
    )
    try:
        body = yaml.dump(clean, Dumper=_block_dumper(), default_flow_style=False, sort_keys=False,
                         allow_unicode=True, width=120)
    except Exception as error:
        body = f"# (not YAML-serialisable: {type(error).__name__}; shown as JSON)\n" + json.dumps(
            clean, indent=2, ensure_ascii=False, default=str
        ) + "\n"
    return head + body, found


def _block_dumper() -> Any:
    class BlockDumper(yaml.SafeDumper):
        """Multi-line strings (inline PEM certificates) as ``|`` blocks, as people write them."""

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    BlockDumper.add_representer(str, text)
    return BlockDumper


def _command_line(options: Any, bundle_path: str, known: KnownSecrets) -> Tuple[str, List[Redaction]]:
    """The command line rebuilt from the parsed options; ``-E`` values pass through the redaction rules."""
    defaults = CheckOptions()
    words: List[str] = ["esprobe", "bundle"]
    found: List[Redaction] = []
    for path in options.config_paths:
        words += ["-c", path]
    for flag in options.overrides:
        clean, more = redact_override(flag, known, "environment.txt")
        found.extend(more)
        words += ["-E", clean]
    if options.keystore:
        words += ["--keystore", options.keystore]
    if options.hosts_file:
        words += ["--hosts-file", options.hosts_file]
    for address, port in options.nameservers:
        words += ["--nameserver", f"[{address}]:{port}" if ":" in address else f"{address}:{port}"]
    if options.only:
        words += ["--only", *options.only]
    for flag, attribute in (("--timeout", "timeout"), ("--warn-days", "warn_days"),
                            ("--crit-days", "crit_days"), ("--concurrency", "concurrency")):
        value = getattr(options, attribute)
        if value != getattr(defaults, attribute):
            words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    if not getattr(options, "strict_perms", True):
        words += ["--strict-perms=false"]
    words += ["-o", bundle_path]
    return " ".join(shlex.quote(w) for w in words), found


# --- manifest ------------------------------------------------------------------------------------


def _manifest(
    members: Sequence[Tuple[str, bytes]], redactions: Sequence[Redaction], redactor: Redactor, report: Any, clock: Clock
) -> bytes:
    counted = Counter(redactions)
    entries = []
    for redaction, count in counted.items():
        entry = {k: v for k, v in asdict(redaction).items() if v is not None}
        entry["count"] = count
        entries.append(entry)
    entries.sort(key=lambda e: (e["file"], e.get("line") or 0, e.get("setting") or "", e["kind"]))
    document = {
        "bundle_format": BUNDLE_FORMAT,
        "esprobe_version": __version__,
        "created_at": clock.utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "report": {"status": report.status.value, "exit_code": report.exit_code},
        "files": [
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in members
        ],
        "redactions": entries,
        "secret_settings": list(redactor.settings),
        "note": "Every secret is replaced by <redacted>. Redactions are listed by file, setting and "
        "kind; values are never listed.",
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return _encode(redactor.redact(text))


# --- the final scan ---------------------------------------------------------------------------------


def scan_needles(redactor: Redactor, report: Any, loaded: Any) -> List[Tuple[bytes, str]]:
    """
    What must not be in any member: every registered secret (with the base64 and URL-encoded
    forms `esprobe.redact` registers), and the body lines of every private key the config names.
    """
    needles: List[Tuple[bytes, str]] = []
    for value in redactor.values():
        if len(value) < MIN_SUBSTRING:
            continue
        source = redactor.setting_for(value) or "a secret"
        # The Redactor holds the value with its JSON, base64 and URL forms; the bundle may also
        # write it as Python shows it (an error message), as YAML escapes it, or as Latin-1 bytes.
        forms = {value, repr(value)[1:-1], _yaml_escaped(value)}
        for form in forms:
            if len(form) >= MIN_SUBSTRING:
                needles.append((form.encode("utf-8", "surrogateescape"), source))
        latin = value.encode("latin-1", "ignore")
        if len(latin) == len(value) and latin != value.encode("utf-8", "surrogateescape"):
            needles.append((latin, source))
    targets = [t.target for t in getattr(report, "targets", ())] + list(getattr(loaded, "targets", ()))
    for target in targets:
        tls = target.tls
        if tls is None:
            continue
        sources = [tls.key, tls.certificate, *tls.certificate_authorities]
        for source in sources:
            if source is None:
                continue
            for line in private_key_material(source.data):
                needles.append((line.encode("ascii"), f"private key in {source.setting}"))
    return needles


def _yaml_escaped(value: str) -> str:
    """The inside of the double-quoted scalar PyYAML writes for *value* (its escapes), or *value*."""
    try:
        dumped = yaml.dump(value, default_style='"', allow_unicode=True, width=1 << 30).strip()
    except Exception:
        return value
    if dumped.endswith("..."):
        dumped = dumped[:-3].strip()
    return dumped[1:-1] if dumped.startswith('"') and dumped.endswith('"') else value


def find_leak(members: Sequence[Tuple[str, bytes]], needles: Sequence[Tuple[bytes, str]]) -> Optional[Tuple[str, str]]:
    """(member, where the secret came from) for the first secret found in a member or its name, else None."""
    for name, data in members:
        haystack = name.encode("utf-8", "surrogateescape") + b"\0" + data
        for needle, source in needles:
            if needle and needle in haystack:
                return name, source
    return None


# --- writing -----------------------------------------------------------------------------------------


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    return error.strerror or str(error)


def write_zip_atomically(
    path: str, members: Sequence[Tuple[str, bytes]], clock: Clock, *, replace: bool = True
) -> None:
    """
    Write the zip next to *path* as a temporary file (mode 0600 from its creation), fsync, check
    it reads back, then move it to *path*: a reader never sees a partial archive, and a failure
    leaves nothing behind. Without *replace*, the move is a hard link, which fails if anything
    (a file, a symlink planted meanwhile) appeared at *path*: no check-then-write race. Neither
    rename nor link follows a symlink at *path*.
    """
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        why = "is not a directory" if os.path.exists(directory) else "does not exist"
        raise BundleError(f"cannot write the support bundle {path}: {directory} {why}")
    stamp = max(clock.local.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    try:
        fd, temporary = tempfile.mkstemp(prefix=".esprobe-bundle-", suffix=".tmp", dir=directory)
    except OSError as error:
        raise BundleError(f"cannot write the support bundle {path}: {_reason(error)}") from None
    try:
        with os.fdopen(fd, "w+b") as handle:
            os.fchmod(handle.fileno(), _MEMBER_MODE)  # mkstemp's 0600 already; said aloud
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in members:
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.create_system = 3  # Unix, so that unzip applies the mode below
                    info.external_attr = (0o100000 | _MEMBER_MODE) << 16
                    archive.writestr(info, data)
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0)
            with zipfile.ZipFile(handle) as written:
                broken = written.testzip()
            if broken is not None:
                raise BundleError(f"cannot write the support bundle {path}: {broken} did not read back intact")
        if replace:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
    except FileExistsError:
        _remove(temporary)
        raise BundleError(
            f"cannot write the support bundle {path}: something is already there; choose another -o PATH, "
            "or add --force to replace it"
        ) from None
    except OSError as error:
        _remove(temporary)
        raise BundleError(f"cannot write the support bundle {path}: {_reason(error)}") from None
    except BaseException:
        _remove(temporary)
        raise
    _fsync_directory(directory)


def _link_new(temporary: str, path: str) -> None:
    """Move *temporary* to *path* only if nothing is there (raises FileExistsError otherwise)."""
    try:
        os.link(temporary, path)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # A file system without hard links: the check just before the rename is the best there is.
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "exists", path) from None
        os.rename(temporary, path)
        return
    os.unlink(temporary)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; not every file system lets a directory be fsynced."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

