"""
How a Beat is really started: from a systemd unit (`from_unit`) or a running process
(`from_process`) to a `BeatInvocation` — its config files, ``-E`` overrides, ``--path.*`` flags,
environment, working directory and user, each with where it came from.

The Beat's own command line is read as libbeat reads it (elastic/beats libbeat/cmd/instance/beat.go,
libbeat/cfgfile/cfgfile.go): ``-c`` may
repeat and defaults to ``<beat>.yml``; a relative ``-c`` is joined to ``--path.config``, else
``--path.home``, else the working directory; ``--path.*`` flags override the config like ``-E``;
``path.home`` otherwise defaults to the binary's directory; long flags take one or two dashes.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from esprobe.config.accounts import (
    Account,
    check_read_access,
    in_root,
    lookup_group,
    lookup_uid,
    lookup_user,
    with_groups,
)
from esprobe.config.launch import Launch
from esprobe.config.layout import KNOWN_BEATS
from esprobe.config.process import read_process
from esprobe.config.systemd import ServiceUnit, UnitError, expand_exec_words
from esprobe.config.tree import parse_override, to_plain
from esprobe.findings import make
from esprobe.model import Finding
from esprobe.record import record
from esprobe.redact import REDACTED, is_secret_name, is_secret_setting

__all__ = ["BeatInvocation", "InvocationError", "Sourced", "from_process", "from_unit", "parse_beat_flags"]

# libbeat's flags that take a value, and those that do not (libbeat/cmd, cfgfile, common, paths).
_VALUE_FLAGS = frozenset({
    "c", "E", "M", "d", "path.home", "path.config", "path.data", "path.logs", "environment",
    "cpuprofile", "memprofile", "httpprof", "system.hostfs", "modules", "plugin", "configtest",
})
_BOOL_FLAGS = frozenset({"e", "v", "N", "strict.perms", "once", "setup", "version", "help", "h",
                         "test.config", "test.output"})
_SUBCOMMANDS = frozenset({"run", "test", "setup", "export", "keystore", "version", "modules", "completion", "help"})


class InvocationError(ValueError):
    """The command cannot be taken as a Beat's; one line for a person."""


@record
class Sourced:
    """A value and where it came from (``/etc/systemd/system/x.service:12``, ``/proc/42/cmdline``...)."""

    value: str
    origin: str


@record
class BeatFlags:
    config_files: Tuple[str, ...] = ()
    overrides: Tuple[str, ...] = ()
    paths: Mapping[str, str] = field(default_factory=dict)
    strict_perms: Optional[bool] = None
    log_to_stderr: bool = False
    debug_selectors: Tuple[str, ...] = ()
    environment: Optional[str] = None
    subcommand: Optional[str] = None
    unknown: Tuple[str, ...] = ()


@record
class BeatInvocation:
    """
    Everything esprobe needs to read the config as this Beat does.

    Attributes:
        kind, name: ``service`` and the unit name, or ``process`` and ``pid N``.
        beat: ``metricbeat``...
        root: where the Beat's files are read from here (``/``, ``--root``, ``/proc/PID/root``).
        argv: the expanded command line; ``argv_origin`` where it came from.
        config_files: absolute paths inside the root, with provenance.
        overrides: ``-E`` strings as the Beat receives them, then the ``--path.*``/``--strict.perms``
            flags in the same form, each with provenance.
        environ: the Beat's environment; ``env_origins`` says where each variable was set.
        home_default: ``path.home`` when no flag sets it: the binary's directory.
        working_directory: the Beat's cwd (relative ssl paths are opened from it).
        account: the user the Beat runs as; ``user_origin`` where that was decided.
        files: unit files and environment files, for the bundle (paths inside the root).
        notes: what systemd or the Beat would log and ignore, worded for the report.
    """

    kind: str
    name: str
    beat: str
    root: str
    argv: Tuple[str, ...]
    argv_origin: str
    config_files: Tuple[Sourced, ...]
    overrides: Tuple[Sourced, ...]
    environ: Mapping[str, str] = field(repr=False)
    env_origins: Mapping[str, str]
    home_default: str
    working_directory: Sourced
    account: Account
    user_origin: str
    files: Tuple[str, ...] = ()
    notes: Tuple[str, ...] = ()
    flags: BeatFlags = field(default_factory=BeatFlags)

    def host_path(self, path: str) -> str:
        return in_root(self.root, path)

    # The check (probe/check.py) reaches this module only through these methods of the invocation
    # the CLI puts in its options, so a run without --service/--pid/--all never imports it (or systemd.py).
    def launch(self) -> Launch:
        return launch_of(self)

    def findings(self, loaded: Any) -> List[Finding]:
        return invocation_findings(self, loaded)

    def report_part(self, loaded: Any) -> Dict[str, Any]:
        return service_info(self, loaded)

    def register_secrets(self, redactor: Any) -> None:
        register_secrets(self, redactor)


def beat_of(argv: Sequence[str]) -> Tuple[int, str]:
    """The index of the Beat's binary in *argv* (after wrappers such as tini) and its name."""
    for index, word in enumerate(argv):
        base = os.path.basename(word)
        if base in KNOWN_BEATS:
            return index, base
    raise InvocationError(
        f"{os.path.basename(argv[0]) if argv else 'the command'} is not a Beat "
        f"(none of {', '.join(KNOWN_BEATS)} on its command line)"
    )


def parse_beat_flags(args: Sequence[str]) -> BeatFlags:
    """The Beat's arguments (after the binary) as libbeat's flag parser reads them."""
    configs: List[str] = []
    overrides: List[str] = []
    paths: Dict[str, str] = {}
    strict: Optional[bool] = None
    stderr = False
    selectors: List[str] = []
    environment: Optional[str] = None
    subcommand: Optional[str] = None
    unknown: List[str] = []
    i = 0

    def take(name: str, value: str) -> None:
        nonlocal strict, stderr, environment
        if name == "c":
            configs.append(value)
        elif name == "E":
            overrides.append(value)
        elif name.startswith("path.") and name in _VALUE_FLAGS:
            paths[name[len("path."):]] = value
        elif name == "strict.perms":
            strict = value.lower() not in ("false", "0", "f")
        elif name == "e":
            stderr = value.lower() not in ("false", "0", "f")
        elif name == "d":
            selectors.extend(s for s in value.split(",") if s)
        elif name == "environment":
            environment = value

    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            if subcommand is None and arg in _SUBCOMMANDS:
                subcommand = arg
            continue
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name, eq, value = body.partition("=")
        if name in _VALUE_FLAGS:
            if not eq:
                if i >= len(args):
                    unknown.append(f"{arg} (no value)")
                    continue
                value = args[i]
                i += 1
            take(name, value)
        elif name in _BOOL_FLAGS:
            take(name, value if eq else "true")
        elif not arg.startswith("--") and body[:1] in ("c", "E", "M", "d"):
            take(body[0], body[1:].lstrip("=") if body[1:2] == "=" else body[1:])  # -cFILE, -E=k=v
        elif not arg.startswith("--") and body and all(ch in "evN" for ch in body):
            for ch in body:
                take(ch, "true")
        else:
            unknown.append(arg)
    return BeatFlags(
        config_files=tuple(configs),
        overrides=tuple(overrides),
        paths=paths,
        strict_perms=strict,
        log_to_stderr=stderr,
        debug_selectors=tuple(selectors),
        environment=environment,
        subcommand=subcommand,
        unknown=tuple(unknown),
    )


def _absolute(path: str, base: str) -> str:
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))


def _as_string(path: str) -> str:
    """A flag's path as an -E value that still parses as that string (quoted only when it must be)."""
    if any(c in path for c in ",[]{}\"'$:#") or path != path.strip():
        return json.dumps(path)
    return path


def _binary_path(argv0: str, environ: Mapping[str, str], root: str) -> str:
    """Where the binary is, as execve finds it: a path as given, else searched along $PATH."""
    if "/" in argv0:
        return argv0
    for directory in environ.get("PATH", "").split(":"):
        if directory and os.path.isfile(in_root(root, os.path.join(directory, argv0))):
            return os.path.join(directory, argv0)
    return argv0


def _through_wrapper(argv: List[str], index: int, environ: Mapping[str, str], root: str) -> List[str]:
    """
    The deb/rpm packages install ``/usr/bin/<beat>``, a shell script that execs the real binary
    with the ``-path.*`` flags and then ``"$@"``: a unit that runs it gets those flags first (and
    its own, later ones win). Only that shape is followed; any other script is taken as the binary.
    """
    path = _binary_path(argv[index], environ, root)
    try:
        with open(in_root(root, path), "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return argv
    if not head.startswith(b"#!"):
        return argv
    text = head.decode("utf-8", errors="replace").replace("\\\n", " ")
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if len(words) != 2 or words[0] != "exec":
            continue
        try:
            parts = shlex.split(words[1])
        except ValueError:
            return argv
        if not parts or parts[-1] != "$@" or os.path.basename(parts[0]) != os.path.basename(argv[index]):
            return argv
        if any("$" in part for part in parts[:-1]):
            return argv
        return [*argv[:index], *parts[:-1], *argv[index + 1:]]
    return argv


def _real_in_root(root: str, path: str) -> str:
    """Resolve symlinks of an in-root path without leaving the root (a container's /usr/bin links)."""
    current = path
    for _ in range(16):
        host = in_root(root, current)
        if not os.path.islink(host):
            break
        target = os.readlink(host)
        current = os.path.normpath(target if os.path.isabs(target) else os.path.join(os.path.dirname(current), target))
    return current


def build_invocation(
    *,
    kind: str,
    name: str,
    argv: Sequence[str],
    argv_origin: str,
    environ: Mapping[str, str],
    env_origins: Mapping[str, str],
    binary: Optional[str],
    root: str,
    cwd: Sourced,
    account: Account,
    user_origin: str,
    files: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> BeatInvocation:
    if not argv:
        raise InvocationError(f"{name}: the command line is empty")
    index, beat = beat_of(argv)
    if kind == "service":
        argv = _through_wrapper(list(argv), index, environ, root)
    flags = parse_beat_flags(argv[index + 1:])
    if flags.subcommand not in (None, "run"):
        raise InvocationError(f"{name} runs '{beat} {flags.subcommand}', not the Beat itself ('{beat} run')")
    workdir = cwd.value
    home_flag = flags.paths.get("home")
    config_flag = flags.paths.get("config")
    binary_path = binary or _real_in_root(root, _binary_path(argv[index], environ, root))
    home_default = os.path.dirname(_absolute(binary_path, workdir))
    base = _absolute(config_flag, workdir) if config_flag else (_absolute(home_flag, workdir) if home_flag else workdir)
    if flags.config_files:
        config_files = tuple(
            Sourced(_absolute(path, base), f"-c {path} in {argv_origin}") for path in flags.config_files
        )
    else:
        anchor = "--path.config" if config_flag else "--path.home" if home_flag else "the working directory"
        default = f"the Beat's default -c {beat}.yml, relative to {anchor}"
        config_files = (Sourced(_absolute(f"{beat}.yml", base), default),)
    overrides: List[Sourced] = [Sourced(o, f"-E in {argv_origin}") for o in flags.overrides]
    for key in ("home", "config", "data", "logs"):
        if key in flags.paths:
            overrides.append(Sourced(f"path.{key}={_as_string(_absolute(flags.paths[key], workdir))}",
                                     f"--path.{key} in {argv_origin}"))
    if flags.strict_perms is not None:
        overrides.append(Sourced(f"strict.perms={'true' if flags.strict_perms else 'false'}",
                                 f"--strict.perms in {argv_origin}"))
    all_notes = list(notes)
    for arg in flags.unknown:
        all_notes.append(f"{arg} in {argv_origin} is not a flag esprobe knows; if the Beat does not know it either, "
                         "it refuses to start with 'unknown flag'")
    return BeatInvocation(
        kind=kind,
        name=name,
        beat=beat,
        root=root,
        argv=tuple(argv),
        argv_origin=argv_origin,
        config_files=config_files,
        overrides=tuple(overrides),
        environ=dict(environ),
        env_origins=dict(env_origins),
        home_default=home_default,
        working_directory=cwd,
        account=account,
        user_origin=user_origin,
        files=tuple(files),
        notes=tuple(all_notes),
        flags=flags,
    )


def from_unit(unit: ServiceUnit, root: str = "/") -> BeatInvocation:
    """The Beat as systemd would start this unit."""
    env = {k: v.value for k, v in unit.environment.items()}
    argv = expand_exec_words(unit.exec_start, env)
    if unit.user:
        account = lookup_user(unit.user, root)
        if account is None:
            raise UnitError(f"{unit.name}: User={unit.user} ({unit.user_origin}) does not exist in "
                            f"{in_root(root, '/etc/passwd')}; systemd fails to start the service")
        user_origin = f"User= at {unit.user_origin}"
    else:
        account = Account("root", 0, 0, "/root", "/bin/sh", frozenset({0}))
        user_origin = "no User= in the unit: root"
    gids = {g: lookup_group(g, root) for g in (unit.group, *unit.supplementary_groups) if g}
    unknown = [g for g, gid in gids.items() if gid is None]
    if unknown:
        raise UnitError(f"{unit.name}: the group {unknown[0]} (Group=/SupplementaryGroups=) does not exist in "
                        f"{in_root(root, '/etc/group')}; systemd fails to start the service")
    account = with_groups(
        account,
        gids.get(unit.group) if unit.group else None,
        frozenset(gid for g, gid in gids.items() if g != unit.group and gid is not None),
    )
    return build_invocation(
        kind="service",
        name=unit.name,
        argv=argv,
        argv_origin=f"ExecStart= at {unit.exec_start.origin}",
        environ=env,
        env_origins={k: v.origin for k, v in unit.environment.items()},
        binary=None,
        root=root,
        cwd=Sourced(unit.working_directory, unit.working_directory_origin
                    if unit.working_directory_origin != "default" else "systemd's default (no WorkingDirectory=)"),
        account=account,
        user_origin=user_origin,
        files=(*unit.files, *unit.environment_files),
        notes=unit.notes,
    )


def from_process(pid: int, proc: str = "/proc") -> BeatInvocation:
    """The Beat as it runs now: ``/proc/PID`` (files read through its root)."""
    process = read_process(pid, proc)
    binary: Optional[str] = None
    try:
        exe = os.readlink(f"{proc}/{pid}/exe")
        if os.path.basename(exe).split(" ")[0] in KNOWN_BEATS:
            binary = exe.split(" (deleted)")[0]
    except OSError:
        pass
    account = lookup_uid(process.uid, process.gid, process.root)
    return build_invocation(
        kind="process",
        name=f"pid {pid}",
        argv=process.argv,
        argv_origin=f"{proc}/{pid}/cmdline",
        environ=process.environ,
        env_origins={k: f"{proc}/{pid}/environ" for k in process.environ},
        binary=binary,
        root=process.root,
        cwd=Sourced(process.cwd, f"{proc}/{pid}/cwd"),
        account=account,
        user_origin=f"{proc}/{pid}/status (euid {process.uid})",
    )


# ---------------------------------------------------------------------------------------------
# From an invocation to what load_config and the report need


def launch_of(invocation: BeatInvocation) -> Launch:
    return Launch(
        cwd=invocation.working_directory.value,
        home=invocation.home_default,
        beat=invocation.beat,
        euid=invocation.account.uid,
        override_origins=tuple(o.origin for o in invocation.overrides),
        root=invocation.root,
        environment_of=invocation.name,
    )


def files_opened(loaded: Any) -> List[Tuple[str, Optional[str]]]:
    """Every file the Beat opens at start-up, with the setting that names it (None for -c files)."""
    seen: Dict[str, Optional[str]] = {}
    for path in loaded.files:
        seen.setdefault(path, None)
    keystore = loaded.keystore
    if keystore is not None and keystore.exists:
        seen.setdefault(keystore.path, "keystore.path")
    for target in loaded.targets:
        tls = target.tls
        if tls is None:
            continue
        for source in (*tls.certificate_authorities, tls.certificate, tls.key):
            if source is not None and source.path is not None and source.error is None:
                seen.setdefault(source.path, source.setting)
    return list(seen.items())


def invocation_findings(invocation: BeatInvocation, loaded: Any) -> List[Finding]:
    """What the launch itself tells: files the Beat's user cannot read, ignored unit lines, odd flags."""
    findings: List[Finding] = []
    account = invocation.account
    for path, setting in files_opened(loaded):
        access = check_read_access(path, account, invocation.root)
        if access.readable:
            continue
        what = f"{path} (named by {setting})" if setting else f"the config file {path}"
        findings.append(make(
            "service-file-unreadable",
            f"{invocation.name} runs as {account.name} (uid {account.uid}; {invocation.user_origin}), and that "
            f"user cannot read {what}: {access.why}. The Beat fails with: open {path}: permission denied.",
            setting=setting,
            location=path,
            file=path,
        ))
    for note in invocation.notes:
        code = "service-unknown-flag" if "is not a flag esprobe knows" in note else "service-unit-ignored"
        where = note.split(": ", 1)[0] if code == "service-unit-ignored" else invocation.argv_origin
        findings.append(make(code, note, where=where))
    return findings


def service_info(invocation: BeatInvocation, loaded: Any) -> Dict[str, Any]:
    """The report's ``service`` object: how the Beat is started and where each piece came from."""
    keystore = loaded.keystore
    variables = []
    for name, (source, settings) in sorted(loaded.variables.items()):
        if source == "keystore":
            origin = f"keystore {keystore.path}" if keystore is not None else "keystore"
        else:
            origin = invocation.env_origins.get(name, "environment")
        variables.append({"name": name, "source": source, "origin": origin, "settings": list(settings)})
    return {
        "kind": invocation.kind,
        "name": invocation.name,
        "beat": invocation.beat,
        "root": invocation.root,
        "files": list(invocation.files),
        "command": {"argv": _mask_argv(invocation.argv), "origin": invocation.argv_origin},
        "user": {"name": invocation.account.name, "uid": invocation.account.uid, "origin": invocation.user_origin},
        "working_directory": {"path": invocation.working_directory.value,
                              "origin": invocation.working_directory.origin},
        "config_files": [{"path": c.value, "origin": c.origin} for c in invocation.config_files],
        "overrides": [{"flag": f"-E {_mask_override(o.value)}", "origin": o.origin} for o in invocation.overrides],
        "keystore": None if keystore is None else {"path": keystore.path, "exists": keystore.exists,
                                                   "origin": _keystore_origin(keystore.source)},
        "variables": variables,
    }


def register_secrets(invocation: BeatInvocation, redactor: Any) -> None:
    """
    Secret-named ``-E`` values of the service (``-E custom.api_token=...``, or inside an object:
    ``-E 'output.kafka={"password": "..."}'``) are secrets even when the config never reads them:
    registered, every output and the bundle hide them.
    """
    for override in invocation.overrides:
        key, eq, value = override.value.partition("=")
        if eq and value and is_secret_name(key):
            redactor.add(value, f"-E {key}")
        elif eq and value.strip()[:1] in ("{", "["):
            parsed = parse_override(override.value, [], [])
            if parsed.node is not None and parsed.error is None:
                for path, leaf in _leaves(to_plain(parsed.node), ()):
                    if is_secret_setting(path):
                        redactor.add(leaf, f"-E {'.'.join(path)}")


def _leaves(value: Any, path: Tuple[str, ...]) -> Iterator[Tuple[Tuple[str, ...], str]]:
    """Every scalar of a plain tree with the path to it (list items under their list's name)."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _leaves(inner, (*path, str(name)))
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner, path)
    elif value is not None and str(value):
        yield path, str(value)


def _mask_override(flag: str) -> str:
    """``key=value`` with the value hidden when the key names a secret, whether or not the config uses it."""
    # The one list of secret names for the whole tool (esprobe.redact).
    key, eq, value = flag.partition("=")
    return f"{key}={REDACTED}" if eq and value and is_secret_name(key) else flag


def _mask_argv(argv: Sequence[str]) -> List[str]:
    """The command line with secret-named -E values hidden (``-E k=v``, ``-Ek=v``, ``--E=k=v``)."""
    out: List[str] = []
    after_e = False
    for word in argv:
        if after_e:
            out.append(_mask_override(word))
            after_e = False
        elif word in ("-E", "--E"):
            out.append(word)
            after_e = True
        elif word.startswith(("-E", "--E=")):
            head = "--E=" if word.startswith("--E=") else ("-E=" if word.startswith("-E=") else "-E")
            out.append(head + _mask_override(word[len(head):]))
        else:
            out.append(word)
    return out


def _keystore_origin(source: str) -> str:
    return {"default": "the Beat's default: <path.data>/<beat>.keystore", "keystore.path": "keystore.path",
            "--keystore": "esprobe's --keystore"}.get(source, source)
