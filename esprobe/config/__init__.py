"""
Read a Beat's configuration exactly as the Beat would and turn it into probe targets.

`load_config` is the public entry point: YAML files (``-c``), ``-E`` overrides, ``${VAR}``
expansion from the environment and the Beat's keystore, ``cloud.id``, and every output and
endpoint the Beat would talk to. It never raises for bad input; problems come back as findings.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import field
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple

from esprobe.config.keystore import KeystoreInfo, KeystoreRead, read_keystore, write_keystore
from esprobe.config.launch import Launch
from esprobe.config.layout import beat_name, path_defaults
from esprobe.config.proxy import register_proxy_secrets
from esprobe.config.settings import Reader, Report
from esprobe.config.source import LoadedFile, check_file_perms, files_under, load_file
from esprobe.config.targets import apply_cloud, build_targets
from esprobe.config.tree import Hole, Node, find, from_plain, merge, parse_override, split_path, to_plain
from esprobe.config.urls import UrlRules, mask_userinfo, newest
from esprobe.config.variables import Resolution, Resolver, VariableError
from esprobe.model import Finding, Role, Severity, Target
from esprobe.record import record
from esprobe.redact import Redactor, is_secret_setting

if TYPE_CHECKING:
    from esprobe.rulesets import RuleSet

__all__ = ["KeystoreInfo", "Launch", "LoadedConfig", "load_config", "write_keystore"]


@record
class LoadedConfig:
    """
    The configuration as the Beat would see it.

    Attributes:
        path: absolute path of the first ``-c`` file, or None when none was given.
        files: every YAML file read, absolute.
        beat: ``metricbeat``, ``filebeat``, ...
        targets: in contract order: elasticsearch[i], kibana, monitoring[i], logstash[i].
        findings: config-level findings; a ``fail`` means the Beat would refuse to start.
        effective: the merged tree after ``-E`` and ``${}`` expansion (secrets left in; an
            unresolvable variable is left as written).
        keystore: what was found at the keystore location, or None when no location could
            be determined.
        variables: every ``${VAR}`` resolved from outside the config: name -> (``env`` or
            ``keystore``, the settings that use it).
    """

    path: Optional[str]
    files: Tuple[str, ...]
    beat: str
    targets: Tuple[Target, ...]
    findings: Tuple[Finding, ...]
    effective: Mapping[str, Any] = field(default_factory=dict)
    keystore: Optional[KeystoreInfo] = None
    variables: Mapping[str, Tuple[str, Tuple[str, ...]]] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict, repr=False)

    def location_of(self, setting: Optional[str]) -> Optional[str]:
        """``file:line`` where *setting* (or the list it indexes, or its ``hosts`` entry) was read, if known."""
        while setting:
            if setting in self.locations:
                return self.locations[setting]
            head, _, last = setting.rpartition(".")
            if not last.isdigit():
                return None
            setting = head
        return None


def load_config(
    paths: Sequence[str],
    overrides: Sequence[str] = (),
    environ: Optional[Mapping[str, str]] = None,
    keystore_path: Optional[str] = None,
    only: Sequence[str] = (),
    redactor: Optional[Redactor] = None,
    launch: Optional["Launch"] = None,
    url_rules: Optional[UrlRules] = None,
    rules: Optional["RuleSet"] = None,
    *,
    strict_perms: bool = True,
    deadline: Any = None,
) -> LoadedConfig:
    """
    Load the Beat's configuration.

    Args:
        paths: the ``-c`` files in order (relative to the current directory).
        overrides: the ``-E`` strings exactly as typed.
        environ: the environment used for ``${VAR}`` (default: ``os.environ``).
        keystore_path: ``--keystore``; default ``keystore.path`` or ``${path.data}/<beat>.keystore``.
        only: role names to keep (``elasticsearch``, ``kibana``, ``monitoring``, ``logstash``).
        redactor: every secret met is registered here.
        launch: how the Beat is really started (a service or a process), when known: its working
            directory, binary directory, user, root and where each ``-E`` came from.
        url_rules: the net/url rules of the Go release the Beat is built with; default: those of
            *rules* (``--beat-version``), else of the newest Beat release esprobe documents.
        rules: the Beat release's rules (`esprobe.rulesets.RuleSet`).
        strict_perms: the Beat's ``-strict.perms`` flag (``BEAT_STRICT_PERMS=false`` also turns it off).
        deadline: the run's `esprobe.context.Deadline`; reading the config stops at it.
    """
    redactor = redactor if redactor is not None else Redactor()
    environ = dict(os.environ if environ is None else environ)
    if url_rules is None and rules is not None:
        url_rules = UrlRules.from_ruleset(rules)
    try:
        with files_under(launch.root if launch is not None else "/"):
            return _load(
                list(paths), list(overrides), environ, keystore_path, list(only), redactor, launch or Launch(),
                url_rules or newest(),
                strict_perms=strict_perms, deadline=deadline,
            )
    except Exception as err:  # a bug in esprobe must not hide the rest of the report
        report = Report()
        report.add(
            "config-internal-error",
            redactor.redact(f"esprobe failed while reading the configuration: {type(err).__name__}: {err}"),
        )
        first = os.path.abspath(paths[0]) if paths else None
        return LoadedConfig(first, (), "metricbeat", (), tuple(report.findings))


# ---------------------------------------------------------------------------------------------


def _file_findings(report: Report, loaded: LoadedFile) -> None:
    problem = loaded.problem
    if problem is not None:
        code = {
            "missing": "config-file-missing",
            "unreadable": "config-file-unreadable",
            "beyond-bounds": "config-beyond-bounds",
        }.get(problem.kind, "config-yaml-invalid")
        if code in ("config-yaml-invalid", "config-beyond-bounds"):
            message = f"{loaded.path} cannot be used: {problem.message}."
        else:
            message = f"The Beat cannot load {loaded.path}: {problem.message}."
        report.add(code, message, location=problem.location, file=loaded.path, where=problem.location or loaded.path)
        return
    for dup in loaded.duplicates:
        report.add(
            "config-duplicate-key",
            f"The key '{dup.key}' appears twice in one mapping ({dup.first} and {dup.second}); the "
            f"Beat's YAML parser keeps only the second.",
            location=dup.second,
            key=dup.key,
            first=dup.first,
            second=dup.second,
            setting=dup.key,
        )
    _conflict_findings(report, loaded.conflicts)
    _syntax_findings(report, loaded.syntax)


def _conflict_findings(report: Report, conflicts: Sequence[Any]) -> None:
    for c in conflicts:
        if c.outcomes is not None:
            path = tuple(c.setting.split("."))
            kept, other = (_shown(v, path) for v in c.outcomes)
            if _SECRET_KEY.search(path[-1]) or is_secret_setting(path):
                kept, other = "one value", "the other (not shown: a secret)"
            report.add(
                "config-nondeterministic-merge",
                f"{c.setting} is defined twice in one file, once with a dotted key and once nested "
                f"({c.first} and {c.second}). go-ucfg merges the two in Go's random map order and never "
                f"refuses this, so each start of the Beat uses one of two results: {kept} or {other}. "
                "esprobe checks the first.",
                setting=c.setting,
                location=c.second,
                first=c.first,
                second=c.second,
            )
            continue
        report.add(
            "config-ambiguous-key",
            f"{c.setting} is defined twice in one file, once with a dotted key and once nested "
            f"({c.first} and {c.second}); "
            + ("whichever order go-ucfg takes the keys in, one of them lands on a value, so the Beat always "
               if getattr(c, "always", False) else
               "the Beat merges them in random order, so it either uses one of the values or ")
            + f"refuses to start with: duplicate key accessing '{c.setting}'.",
            setting=c.setting,
            location=c.second,
            first=c.first,
            second=c.second,
        )


_SECRET_KEY = re.compile(r"pass|secret|key|token|auth", re.IGNORECASE)


def _shown(value: Any, path: Tuple[str, ...] = ()) -> str:
    """
    A plain value found at *path*, as compact JSON for a message: URL passwords masked, and never a
    value under a secret-looking key or secret by the tool's one rule (a ``Cookie`` header, a ``pwd``).
    """

    def masked(v: Any, at: Tuple[str, ...]) -> Any:
        if isinstance(v, str):
            return mask_userinfo(v)
        if isinstance(v, list):
            return [masked(x, at) for x in v]
        if isinstance(v, dict):
            return {k: "<redacted>" if x is not None and (_SECRET_KEY.search(k) or is_secret_setting((*at, k)))
                    else masked(x, (*at, k)) for k, x in v.items()}
        return v

    return json.dumps(masked(value, path), ensure_ascii=False, separators=(", ", ": "))


def _hole_findings(report: Report, holes: Sequence[Hole], root: Node) -> None:
    """One warning per list an index-addressed -E punched holes into, with the whole list as the fix."""
    by_list: dict = {}
    for hole in holes:
        by_list.setdefault(hole.setting, []).append(hole)
    for setting, found in by_list.items():
        final = find(root, split_path(setting))
        now = to_plain(final) if final is not None else None
        wanted = list(now) if isinstance(now, list) else []
        for hole in found:
            if hole.index < len(wanted):
                wanted[hole.index] = to_plain(hole.lost)
        lost = ", ".join(f"index {h.index} ({_shown(to_plain(h.lost))} from {h.lost.location})" for h in found)
        flag = found[0].flag or "-E"
        # A nil element unpacks to "" (reify.go reifyPrimitive), which MakeURL reads as localhost.
        shown_now = [("" if v is None else v) for v in now] if isinstance(now, list) else now
        default = " (an empty host is localhost)" if setting.endswith(".hosts") else ""
        report.add(
            "config-override-hole",
            f"{flag} sets one element of {setting} by its index. go-ucfg builds a new list whose lower "
            f"indexes are empty (nil) and merges it index by index, so the nil replaces {lost}; an empty "
            f"element is read as the setting's default. The Beat uses {setting}: {_shown(shown_now)}{default}.",
            setting=setting,
            location=flag,
            fix=f"-E '{setting}={_shown(wanted)}'",
        )


def _expander(root: Node, environ: Mapping[str, str]) -> Any:
    """Resolve a ${VAR} value to the list or section it stands for (config and environment only)."""
    resolver = _make_resolver(root, environ, {})

    def expand(node: Node) -> Optional[Node]:
        if node.template is None:
            return None
        try:
            resolution = resolver.context().whole(node.template)
        except (VariableError, RecursionError):
            return None
        value = resolution.value
        if isinstance(value, Node):
            return value.copy() if value.is_container else None
        if isinstance(value, (dict, list)):
            return from_plain(value, node.location)
        return None

    return expand


def _syntax_findings(report: Report, problems: Sequence[Any]) -> None:
    for p in problems:
        report.add(
            "config-variable-syntax",
            f"{p.setting or 'A value'} at {p.location} has broken ${{...}} syntax ({p.error}); the Beat "
            "refuses the whole config, even if the setting is never used.",
            location=p.location,
            setting=p.setting,
        )


def _make_resolver(
    root: Node, environ: Mapping[str, str], keystore: Mapping[str, str], deadline: Any = None
) -> Resolver:
    def find_node(name: str) -> Optional[Node]:
        return find(root, split_path(name))

    def resolve_node(node: Node, ctx: Any) -> Resolution:
        if node.template is None:
            return Resolution(node if node.is_container else node.value, None, "config", ctx.lookups)
        return ctx.whole(node.template)

    return Resolver(find_node, resolve_node, environ, keystore, deadline)


def _absolute(path: str, base: str) -> str:
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))


def _load(
    paths: List[str],
    overrides: List[str],
    environ: Mapping[str, str],
    keystore_path: Optional[str],
    only: List[str],
    redactor: Redactor,
    launch: Launch,
    url_rules: UrlRules,
    *,
    strict_perms: bool = True,
    deadline: Any = None,
) -> LoadedConfig:
    report = Report()
    cwd = launch.cwd or os.getcwd()
    files: List[str] = []
    loaded_files: List[LoadedFile] = []
    merged: Optional[Node] = None
    holes: List[Hole] = []  # list elements wiped by nil padding, in file merges and -E alike
    unusable_file = False  # a file that could not be read or parsed may be the one with the output
    for path in paths:
        loaded = load_file(os.path.abspath(path), deadline=deadline)
        unusable_file = unusable_file or loaded.problem is not None
        if not (loaded.problem is not None and loaded.problem.kind == "missing"):
            files.append(loaded.path)
        _file_findings(report, loaded)
        if loaded.root is not None:
            loaded_files.append(loaded)
            merged = merge(merged, loaded.root, holes)
    first = os.path.abspath(paths[0]) if paths else None
    merged = merged if merged is not None else Node({}, first)
    beat = launch.beat or beat_name(first, list(merged.value) if merged.is_dict else [])
    root = merge(path_defaults(first, beat, launch.home), merged)

    # -E overrides: merged among themselves in order, then over the files.
    problems: List[Any] = []
    conflicts: List[Any] = []
    flags: Optional[Node] = None
    for index, flag in enumerate(overrides):
        origin = launch.override_origins[index] if index < len(launch.override_origins) else None
        override = parse_override(flag, problems, conflicts, origin)
        if override.error is not None:
            report.add(
                "config-override-invalid",
                f"-E {override.key or flag.split('=', 1)[0]}: the value cannot be parsed ({override.error}); "
                "the Beat rejects its command line.",
                location=f"-E {override.key}",
                key=override.key or "(empty)",
            )
        elif override.node is not None:
            flags = merge(flags, override.node, holes)
    _conflict_findings(report, conflicts)
    _syntax_findings(report, problems)
    if flags is not None:
        # The Beat merges -E with the options of elastic-agent-libs config.MergeConfigs (PathSep,
        # ResolveEnv, VarExp): a ${VAR} list resolves from the config and the environment only,
        # the keystore being loaded later.
        files_root = root
        root = merge(root, flags, holes, _expander(files_root, environ))
    _hole_findings(report, holes, root)

    # Bootstrap reads (paths, strict.perms, keystore.path) resolve without the keystore, as the
    # Beat loads the keystore only after them.
    boot = Reader(root, _make_resolver(root, environ, {}, deadline), report, redactor)
    home = _absolute(boot.string("path.home") or cwd, cwd)
    config_dir = _absolute(boot.string("path.config") or home, home)
    data_dir = _absolute(boot.string("path.data") or os.path.join(home, "data"), home)
    # libbeat's IsStrictPerms compares the variable with the exact text "false": "0" or "FALSE" keep the check on.
    strict = strict_perms and environ.get("BEAT_STRICT_PERMS") != "false" and boot.boolean("strict.perms", True)
    if strict:
        for loaded in loaded_files:
            _strict_perms_findings(report, "config-file-permissions", loaded.path, euid=launch.euid)

    if keystore_path:
        ks_path, ks_source = os.path.abspath(keystore_path), "--keystore"
    elif boot.string("keystore.path"):
        ks_path, ks_source = _absolute(boot.string("keystore.path"), cwd), "keystore.path"
    else:
        ks_path, ks_source = os.path.join(data_dir, f"{beat}.keystore"), "default"
    keystore = read_keystore(ks_path, ks_source)
    _keystore_findings(report, keystore, strict, launch.euid)
    for name, value in keystore.values.items():
        redactor.add(value, f"keystore:{name}")
    register_proxy_secrets(environ, redactor)

    reader = Reader(root, _make_resolver(root, environ, keystore.values, deadline), report, redactor)
    reader.unresolved = boot.unresolved
    reader.used_names = boot.used_names
    reader.used_sources = boot.used_sources
    reader.workdir_known = launch.cwd is not None
    reader.url_rules = url_rules
    dashboards = reader.boolean("setup.dashboards.enabled", False)
    if not dashboards:
        report.setup_only = ("setup.kibana",)
    cloud = apply_cloud(reader)
    # The Beat opens ssl files as written, so relative ones from its working directory; without
    # a known launch esprobe anchors them at path.config (and says so, see config/tls.py).
    targets = build_targets(reader, beat, launch.cwd or config_dir, cloud)
    if unusable_file:  # "no output" would only repeat the unusable file's finding, which names the cause
        report.findings = [f for f in report.findings if f.code != "config-no-output"]

    _variable_findings(reader, keystore, dashboards=dashboards,
                       environment_of=launch.environment_of)
    _shadow_findings(reader)

    effective = _effective(root, environ, keystore.values, deadline)
    targets = _with_privileges_via(targets)
    wanted = {o.lower() for o in only}
    if wanted:
        targets = [t for t in targets if t.role.value in wanted]
    findings = tuple(
        dataclasses.replace(f, message=redactor.redact(f.message), hint=redactor.redact(f.hint))
        for f in report.findings
    )
    return LoadedConfig(
        path=first,
        files=tuple(files),
        beat=beat,
        targets=tuple(targets),
        findings=findings,
        effective=effective if isinstance(effective, dict) else {},
        keystore=keystore.info,
        variables={
            name: (reader.used_sources.get(name, "env"), tuple(users)) for name, users in reader.used_names.items()
        },
        locations=_locations(root),
    )


def _with_privileges_via(targets: Sequence[Target]) -> List[Target]:
    """
    Give the Kibana target the Elasticsearch host that can say what Kibana lets the Beat's `setup`
    do: the output's first host, asked with Kibana's credentials over that host's own verified
    connection (decided before --only, so that `--only kibana` still checks it).
    """
    es = next((t for t in targets if t.role is Role.ELASTICSEARCH), None)
    out = []
    for target in targets:
        if (target.role is Role.KIBANA and es is not None
                and target.credentials.method in ("basic", "api_key")):
            via = dataclasses.replace(es, id=f"{es.id} for kibana", credentials=target.credentials)
            target = dataclasses.replace(target, privileges_via=via)
        out.append(target)
    return out


def _locations(root: Node) -> Mapping[str, str]:
    """Every setting of the merged tree with the ``file:line`` it was read from (for findings about targets)."""
    out: dict = {}

    def walk(node: Node, path: str) -> None:
        if path and node.location:
            out[path] = node.location
        if node.is_dict:
            for key, child in node.value.items():
                walk(child, f"{path}.{key}" if path else str(key))
        elif node.is_list:
            for index, child in enumerate(node.value):
                walk(child, f"{path}.{index}")

    walk(root, "")
    return out


def _keystore_findings(report: Report, keystore: KeystoreRead, strict: bool, euid: Optional[int] = None) -> None:
    info = keystore.info
    if keystore.problem == "unreadable":
        report.add(
            "keystore-unreadable",
            f"The keystore {info.path} exists but esprobe cannot read it ({info.error}); variables "
            "defined only there cannot be checked.",
            location=info.path,
        )
    elif keystore.problem is not None:
        report.add(
            "keystore-invalid",
            f"The keystore {info.path} cannot be used; the Beat refuses to start: could not "
            f"initialize the keystore: {info.error}.",
            location=info.path,
        )
    if info.exists and strict and keystore.problem != "unreadable":
        _strict_perms_findings(report, "keystore-permissions", info.path, euid=euid, keystore=True)
    for name in keystore.not_utf8:
        report.add(
            "keystore-value-not-utf8",
            f"The keystore entry {name} in {info.path} holds bytes that are not UTF-8 text. The Beat "
            "would use the bytes as they are; esprobe cannot reproduce them in its checks, so it "
            "cannot judge the settings that use ${" + name + "}.",
            location=info.path,
            names=name,
        )


def _strict_perms_findings(
    report: Report, code: str, path: str, *, euid: Optional[int], keystore: bool = False
) -> None:
    """
    One rule for config files and the keystore, as the Beat applies it with strict.perms on: each
    problem is reported with the Beat's own message, naming the file.

    The mode test does not depend on who runs esprobe, so a bad mode fails: the Beat refuses to
    start. The owner is compared with the Beat's user: known for a service or a process (then the
    Beat refuses to start, a failure), else esprobe's own, which may not be the Beat's (a warning).
    """
    refusal = "could not initialize the keystore" if keystore else "it cannot load the config file"
    switch_off = "or start the Beat with -strict.perms=false, and esprobe with --strict-perms=false"
    for perm in check_file_perms(path, keystore=keystore, euid=euid):
        if perm.kind == "writable":
            report.add(
                code,
                f"{perm.message}. With strict.perms on (the default) the Beat refuses to start: {refusal}.",
                location=perm.path,
                fix=f"Run: {'chmod 0600' if keystore else 'chmod go-w'} {perm.path} ({switch_off})",
            )
        else:
            what = "the keystore" if keystore else "the file"
            report.add(
                code,
                f"{perm.message}. " + (
                    f"The Beat refuses to start: {refusal} (unless started with -strict.perms=false)."
                    if euid is not None else
                    "If the Beat runs as esprobe's user, it refuses to start (unless started with "
                    "-strict.perms=false)."
                ),
                severity=None if euid is not None else Severity.WARN,
                location=perm.path,
                fix=f"Run: chown {what} to the Beat's user or root (chown root {perm.path})",
            )


def _where_looked(keystore: KeystoreRead, environment_of: Optional[str] = None) -> str:
    info = keystore.info
    if info.error:
        state = f"unusable: {info.error}"
    elif info.exists:
        state = "exists"
    else:
        state = "not found"
    environment = (
        f"in the environment {environment_of} runs with"
        if environment_of
        else "in its own environment (the Beat's service may have a different one)"
    )
    return f"esprobe looked in the config itself, {environment} and in the keystore {info.path} ({state})"


def _variable_findings(
    reader: Reader, keystore: KeystoreRead, dashboards: bool, environment_of: Optional[str] = None
) -> None:
    for entry in reader.unresolved.values():
        # setup.kibana is only read by '<beat> setup' and dashboard loading: unless dashboards
        # load at start-up, the Beat itself still runs.
        kibana_only = all(s.startswith("setup.kibana") for s in entry.settings) and not dashboards
        names = ", ".join(f"${{{n}}}" for n in entry.names) or "a variable"
        settings = ", ".join(entry.settings)
        where = f" ({', '.join(entry.locations)})" if entry.locations else ""
        if entry.kind == "missing":
            message = (
                f"{names} used by {settings}{where} is not defined; {_where_looked(keystore, environment_of)}. "
                f"The Beat refuses to start: missing field accessing '{entry.settings[0]}'."
            )
        elif entry.kind == "custom":
            message = (
                f"{settings}{where} requires {names}, which is not defined: the Beat stops with "
                f"'{entry.text}'. {_where_looked(keystore, environment_of)}."
            )
        elif entry.kind == "cyclic":
            message = f"{settings}{where} refers to itself through variables: {entry.text}."
        elif entry.kind == "limit":
            reader.report.add(
                "config-variable-bound",
                f"esprobe stopped expanding {names} used by {settings}{where}: {entry.text}.",
                setting=entry.settings[0],
                location=entry.locations[0] if entry.locations else None,
                names=", ".join(entry.names) or "the variable",
            )
            continue
        elif entry.kind == "type":
            message = f"{settings}{where} splices {names}, which is a list or mapping, into text: type mismatch."
        else:
            message = f"The value of {names} used by {settings}{where} cannot be parsed: {entry.text}."
        report_names = ", ".join(entry.names) or "the variable"
        if kibana_only:
            message = message.replace("The Beat refuses to start", "'<beat> setup' fails") + (
                " (setup.kibana is only read by '<beat> setup' and when dashboards are loaded.)"
            )
        reader.report.add(
            "config-unresolved-variable",
            message,
            severity=Severity.WARN if kibana_only else None,
            setting=entry.settings[0],
            location=entry.locations[0] if entry.locations else None,
            names=report_names,
        )


def _shadow_findings(reader: Reader) -> None:
    for name in sorted(reader.resolver.shadowed):
        users = reader.used_names.get(name)
        if not users:
            continue
        reader.report.add(
            "keystore-env-shadow",
            f"{name} is set both in the environment and in the keystore, with different values; "
            f"the Beat uses the environment's for {', '.join(users)} and ignores the keystore entry.",
            setting=users[0],
            names=name,
        )


def _effective(root: Node, environ: Mapping[str, str], keystore: Mapping[str, str], deadline: Any = None) -> Any:
    resolver = _make_resolver(root, environ, keystore, deadline)

    def leaf(node: Node) -> Any:
        if node.template is None:
            return node.value
        try:
            value = resolver.context().whole(node.template).value
        except (VariableError, RecursionError):
            return node.value
        if isinstance(value, Node):
            return to_plain(value, leaf)
        return value

    return to_plain(root, leaf)
