"""
A systemd service unit read the way systemd reads it, as far as it decides how a Beat is started:
which files make up the unit, what ``Environment=``/``EnvironmentFile=`` set, and what
``ExecStart=`` expands to.

The rules (systemd.syntax(7), systemd.unit(5), systemd.service(5), systemd.exec(5)):

- unit file: ``[Section]`` headers, ``Key=Value`` lines, ``#``/``;`` comment lines, a trailing
  backslash joins the next line (comment lines in between are skipped);
- the unit file is the first ``NAME.service`` found along the search path; drop-ins
  (``NAME.service.d/*.conf``, and the type-wide ``service.d/*.conf``) from every directory are
  applied after it, sorted by file name, a drop-in in an earlier directory hiding one of the same
  name in a later directory; an empty assignment (``Environment=``) resets a list setting;
- ``Environment=`` is a list of words (quotes and C escapes as in systemd.syntax(7)), each
  ``NAME=VALUE``; ``EnvironmentFile=`` files are read at start-up with systemd's env-file parser
  (shell-like quotes, no variable expansion), a ``-`` prefix making a missing file harmless, and
  they override ``Environment=``;
- ``ExecStart=`` takes the prefixes ``@-:+!``; its words are unquoted and unescaped, then a word
  that is exactly ``$NAME`` becomes the variable's value split at whitespace (zero or more words),
  while ``${NAME}`` inside any word is replaced verbatim (one word); ``$$`` is a literal ``$``.

Everything here is pure except `find_unit_files` and `read_unit`, which read under a root
directory (``/`` or ``--root``), never through systemctl.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from esprobe.config.accounts import in_root, lookup_user
from esprobe.record import record

__all__ = [
    "UNIT_DIRS",
    "Assignment",
    "EnvValue",
    "ExecCommand",
    "ServiceUnit",
    "UnitError",
    "expand_exec_words",
    "find_unit_files",
    "parse_env_file",
    "parse_environment_words",
    "parse_exec_line",
    "parse_unit_text",
    "read_unit",
    "split_words",
]

# systemd's system unit search path, highest priority first (systemd.unit(5), "Unit File Load
# Path"); /lib/systemd/system is where distributions without a merged /usr keep packaged units.
UNIT_DIRS: Tuple[str, ...] = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)

# What the service manager itself puts in every service's environment before the unit's own
# settings (systemd.exec(5), "Environment Variables in Spawned Processes").
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WHITESPACE = " \t\n\r"
_MAX_UNIT_BYTES = 1024 * 1024


class UnitError(ValueError):
    """The unit cannot be used as systemd would use it; the message is one line for a person."""


@record
class Assignment:
    """One ``Key=Value`` line of a unit file or drop-in, with where it was written."""

    section: str
    key: str
    value: str
    file: str
    line: int

    @property
    def origin(self) -> str:
        return f"{self.file}:{self.line}"


@record
class EnvValue:
    """One variable of the service's environment and the place that set it last."""

    value: str = field(repr=False)
    origin: str


@record
class ExecCommand:
    """
    ``ExecStart=`` after prefixes, quoting and escapes, before variables are expanded.

    Attributes:
        words: the command line words (argv[0] first; with ``@`` the second word is argv[0]).
        expand: False with the ``:`` prefix, which turns variable expansion off.
        ignore_failure, privileged: the ``-`` and ``+``/``!`` prefixes, kept for the report.
        origin: ``file:line`` of the ``ExecStart=`` that systemd uses.
    """

    words: Tuple[str, ...]
    origin: str
    expand: bool = True
    argv0_override: bool = False
    ignore_failure: bool = False
    privileged: bool = False


@record
class ServiceUnit:
    """
    What systemd would run for one service, with provenance.

    Attributes:
        name: ``metricbeat.service``.
        files: the unit file, then its drop-ins in the order applied (paths inside the root).
        exec_start: the one command of ``ExecStart=``.
        environment: ``Environment=`` then ``EnvironmentFile=`` (files win), manager defaults
            under them; values keep their origin.
        environment_files: the files named by ``EnvironmentFile=`` that were read (inside the root).
        user, group: ``User=``/``Group=``, or None for root.
        working_directory: ``WorkingDirectory=`` (``/`` when unset); ``~`` is the user's home.
        notes: things systemd would log and ignore (a bad assignment, a missing env file).
    """

    name: str
    files: Tuple[str, ...]
    exec_start: ExecCommand
    environment: Mapping[str, EnvValue]
    environment_files: Tuple[str, ...] = ()
    user: Optional[str] = None
    user_origin: Optional[str] = None
    group: Optional[str] = None
    supplementary_groups: Tuple[str, ...] = ()
    working_directory: str = "/"
    working_directory_origin: str = "default"
    notes: Tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Unit file syntax


def parse_unit_text(text: str, path: str) -> List[Assignment]:
    """
    Every assignment of a unit file, in order. A line that is neither a section header, a
    comment nor ``Key=Value`` makes systemd refuse the unit file: `UnitError`.
    """
    assignments: List[Assignment] = []
    section = ""
    pending = ""
    pending_line = 0
    lines = text.split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if pending and stripped[:1] in ("#", ";"):
            continue  # a comment inside a continued line is dropped, the continuation goes on
        if not pending:
            if not stripped or stripped[0] in "#;":
                continue
            pending_line = number
        if (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            # An odd run of backslashes at the end: the last one joins the next line (systemd
            # replaces it with a space); an even run is escaped backslashes.
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full.startswith("["):
            if not full.endswith("]") or len(full) < 3:
                raise UnitError(f"{path}:{pending_line}: invalid section header {full!r}")
            section = full[1:-1]
            continue
        if "=" not in full:
            raise UnitError(f"{path}:{pending_line}: missing '=' in {full[:60]!r}")
        key, value = full.split("=", 1)
        assignments.append(Assignment(section, key.strip(), value.strip(), path, pending_line))
    if pending:
        full = pending.strip()
        if "=" in full:
            key, value = full.split("=", 1)
            assignments.append(Assignment(section, key.strip(), value.strip(), path, pending_line))
    return assignments


def _cunescape(text: str, i: int) -> Tuple[str, int]:
    """One C escape starting after the backslash at text[i-1]; returns (characters, next index)."""
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'", "s": " ", ";": ";", " ": " "}
    if i >= len(text):
        raise UnitError("a backslash ends the value")
    c = text[i]
    if c in simple:
        return simple[c], i + 1
    if c == "x" and re.match(r"[0-9A-Fa-f]{2}", text[i + 1:i + 3]):
        return chr(int(text[i + 1:i + 3], 16)), i + 3
    if c == "u" and re.match(r"[0-9A-Fa-f]{4}", text[i + 1:i + 5]):
        return chr(int(text[i + 1:i + 5], 16)), i + 5
    if c == "U" and re.match(r"[0-9A-Fa-f]{8}", text[i + 1:i + 9]):
        return chr(int(text[i + 1:i + 9], 16)), i + 9
    if c in "01234567" and re.match(r"[0-7]{3}", text[i:i + 3]):
        return chr(int(text[i:i + 3], 8)), i + 3
    raise UnitError(f"unknown escape '\\{c}'")


def split_words(text: str, *, cunescape: bool = True, relax: bool = False) -> List[str]:
    """
    Words as systemd's extract_first_word() cuts them: whitespace separates, single and double
    quotes group (anywhere in a word), C escapes are decoded (``cunescape``) or a backslash just
    keeps the next character. With ``relax`` an unfinished quote ends the word instead of failing.
    """
    words: List[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            return words
        word: List[str] = []
        quote: Optional[str] = None
        while i < n:
            c = text[i]
            if quote is None and c in _WHITESPACE:
                break
            if c == "\\":
                if cunescape:
                    chars, i = _cunescape(text, i + 1)
                    word.append(chars)
                else:
                    if i + 1 >= n:
                        if relax:
                            i += 1
                            break
                        raise UnitError("a backslash ends the value")
                    word.append(text[i + 1])
                    i += 2
                continue
            if quote is not None:
                if c == quote:
                    quote = None
                else:
                    word.append(c)
                i += 1
                continue
            if c in "'\"":
                quote = c
                i += 1
                continue
            word.append(c)
            i += 1
        if quote is not None and not relax:
            raise UnitError(f"unbalanced {quote} quote")
        words.append("".join(word))


# ---------------------------------------------------------------------------------------------
# Specifiers (systemd.unit(5) "Specifiers"): the ones a service's command line plausibly uses.


def expand_specifiers(text: str, unit_name: str) -> str:
    stem = unit_name.rsplit(".", 1)[0]
    prefix, _, instance = stem.partition("@")
    table = {
        "%": "%", "n": unit_name, "N": stem, "p": prefix, "P": prefix, "i": instance, "I": instance,
        "f": "/" + (instance or prefix), "t": "/run", "S": "/var/lib", "C": "/var/cache", "L": "/var/log",
        "E": "/etc", "T": "/tmp", "V": "/var/tmp", "h": "/root", "u": "root", "U": "0",
    }
    out: List[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        spec = text[i + 1:i + 2]
        if spec not in table:
            raise UnitError(f"unknown or unsupported specifier '%{spec}'")
        out.append(table[spec])
        i += 2
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Environment


def parse_environment_words(value: str, unit_name: str) -> Tuple[List[Tuple[str, str]], List[str]]:
    """
    One ``Environment=`` value: (assignments in order, problems systemd would log and skip).
    """
    problems: List[str] = []
    try:
        words = split_words(expand_specifiers(value, unit_name))
    except UnitError as error:
        return [], [f"Environment= cannot be parsed ({error}); systemd ignores the line"]
    pairs: List[Tuple[str, str]] = []
    for word in words:
        name, eq, val = word.partition("=")
        if not eq or not _ENV_NAME.match(name):
            problems.append(f"Environment= has {word!r}, which is not NAME=VALUE; systemd ignores it")
            continue
        pairs.append((name, val))
    return pairs, problems


def parse_env_file(text: str) -> Tuple[List[Tuple[str, str, int]], List[str]]:
    """
    An ``EnvironmentFile=`` as systemd's env-file parser reads it: (``(name, value, line)`` in
    order, problems). Unquoted values lose surrounding whitespace and take ``\\`` as a plain escape
    (backslash-newline continues the line); ``'...'`` is literal; inside ``"..."`` a backslash escapes
    only ``"``, ``\\``, `````` ` `````` and ``$`` (and a newline); ``#``/``;`` start a comment only
    at the start of a line. Nothing is expanded.
    """
    pairs: List[Tuple[str, str, int]] = []
    problems: List[str] = []
    state = "pre_key"
    key: List[str] = []
    value: List[str] = []
    key_ws: Optional[int] = None
    value_ws: Optional[int] = None
    line = 1
    start_line = 1

    def push() -> None:
        name = "".join(key[:key_ws] if key_ws is not None else key)
        if not _ENV_NAME.match(name):
            problems.append(f"line {start_line}: {name!r} is not a valid variable name; systemd ignores it")
            return
        pairs.append((name, "".join(value), start_line))

    for c in text:
        if state == "pre_key":
            if c in "#;":
                state = "comment"
            elif c not in _WHITESPACE:
                state, key, key_ws, start_line = "key", [c], None, line
        elif state == "key":
            if c in "\n\r":
                problems.append(f"line {line}: {''.join(key).strip()!r} has no '='; systemd ignores it")
                state, key = "pre_key", []
            elif c == "=":
                state, value, value_ws = "pre_value", [], None
            else:
                if c not in _WHITESPACE:
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == "pre_value":
            if c in "\n\r":
                push()
                state, key = "pre_key", []
            elif c == "'":
                state = "single"
            elif c == '"':
                state = "double"
            elif c == "\\":
                state = "value_escape"
            elif c not in _WHITESPACE:
                state = "value"
                value.append(c)
        elif state == "value":
            if c in "\n\r":
                if value_ws is not None:
                    del value[value_ws:]
                push()
                state, key = "pre_key", []
            elif c == "\\":
                state, value_ws = "value_escape", None
            else:
                if c not in _WHITESPACE:
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value)
                value.append(c)
        elif state == "value_escape":
            state = "value"
            if c not in "\n\r":
                value.append(c)
        elif state == "single":
            if c == "'":
                state = "pre_value"
            else:
                value.append(c)
        elif state == "double":
            if c == '"':
                state = "pre_value"
            elif c == "\\":
                state = "double_escape"
            else:
                value.append(c)
        elif state == "double_escape":
            state = "double"
            if c in '"\\`$':
                value.append(c)
            elif c != "\n":
                value.extend(("\\", c))
        elif state == "comment":
            if c == "\\":
                state = "comment_escape"
            elif c in "\n\r":
                state = "pre_key"
        elif state == "comment_escape":
            state = "pre_key" if c in "\n\r" else "comment"
        if c == "\n":
            line += 1
    if state in ("pre_value", "value", "value_escape", "single", "double", "double_escape"):
        if state == "value" and value_ws is not None:
            del value[value_ws:]
        push()
    return pairs, problems


# ---------------------------------------------------------------------------------------------
# ExecStart


def parse_exec_line(value: str, unit_name: str, origin: str) -> ExecCommand:
    """``ExecStart=`` text -> words, after the prefixes, specifiers, quotes and escapes."""
    flags = {"@": False, "-": False, ":": False, "+": False, "!": False}
    text = value.lstrip()
    while text[:1] in flags or text[:1] == "|":
        if text[:1] == "|":
            raise UnitError(f"{origin}: ExecStart= with the '|' (shell) prefix is not supported by esprobe")
        flags[text[0]] = True
        text = text[1:]
    try:
        words = split_words(expand_specifiers(text, unit_name))
    except UnitError as error:
        raise UnitError(f"{origin}: ExecStart= cannot be parsed: {error}") from None
    if not words or (flags["@"] and len(words) < 2):
        raise UnitError(f"{origin}: ExecStart= names no command")
    return ExecCommand(
        words=tuple(words),
        origin=origin,
        expand=not flags[":"],
        argv0_override=flags["@"],
        ignore_failure=flags["-"],
        privileged=flags["+"] or flags["!"],
    )


def _replace_in_word(word: str, env: Mapping[str, str]) -> str:
    """``${NAME}`` (also ``${NAME:-default}``, ``${NAME:+alt}``) and ``$$`` inside one word."""
    out: List[str] = []
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = word[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt != "{":
            out.append(c)  # $NAME inside a word is left as written
            i += 1
            continue
        end = word.find("}", i + 2)
        if end < 0:
            out.append(word[i:])
            break
        body = word[i + 2:end]
        name, op, alt = body, "", ""
        for candidate in (":-", ":+"):
            if candidate in body:
                name, alt = body.split(candidate, 1)
                op = candidate
                break
        current = env.get(name, "")
        if op == ":-":
            out.append(current or alt)
        elif op == ":+":
            out.append(alt if current else "")
        else:
            out.append(current)
        i = end + 1
    return "".join(out)


def expand_exec_words(command: ExecCommand, env: Mapping[str, str]) -> List[str]:
    """The argv systemd executes: argv[0] first (``@`` already applied)."""
    words = list(command.words)
    if command.expand:
        expanded: List[str] = []
        for word in words:
            if len(word) > 1 and word[0] == "$" and word[1] not in "{$":
                # A word that is just $NAME: the value split at whitespace (quotes group, no escapes).
                value = env.get(word[1:])
                if value:
                    expanded.extend(split_words(value, cunescape=False, relax=True))
                continue
            expanded.append(_replace_in_word(word, env))
        words = expanded
    if command.argv0_override:
        return words[1:] if len(words) > 1 else words
    return words


# ---------------------------------------------------------------------------------------------
# Files: the unit and its drop-ins under a root


def _resolve_link(root: str, path: str) -> Optional[str]:
    """Follow a unit symlink inside the root: the in-root target, or None for /dev/null (masked)."""
    seen = 0
    current = path
    while os.path.islink(in_root(root, current)) and seen < 16:
        target = os.readlink(in_root(root, current))
        current = target if os.path.isabs(target) else os.path.normpath(os.path.join(os.path.dirname(current), target))
        if current == "/dev/null":
            return None
        seen += 1
    return current


def _dropin_dirs(name: str) -> List[str]:
    """
    ``NAME.service.d`` plus the prefix drop-ins systemd also reads (``a-b-.service.d``,
    ``a-.service.d``, ``service.d``), least specific first.
    """
    stem, dot, suffix = name.rpartition(".")
    dirs = [f"{name}.d"]
    parts = stem.split("-")
    for cut in range(len(parts) - 1, 0, -1):
        dirs.append("-".join(parts[:cut]) + f"-.{suffix}.d")
    dirs.append(f"{suffix}.d")
    return list(reversed(dirs))  # least specific first: more specific directories apply later


def find_unit_files(name: str, root: str = "/") -> Tuple[str, List[str]]:
    """
    The unit file and its drop-ins, as paths inside *root*, in the order systemd applies them.
    Raises `UnitError` when there is no such unit, or when it is masked.
    """
    unit_path: Optional[str] = None
    stem, _, suffix = name.rpartition(".")
    # An instance (metricbeat@prod.service) without a file of its own comes from its template
    # (metricbeat@.service), whose drop-ins apply too, before the instance's own.
    template = stem.split("@", 1)[0] + "@." + suffix if "@" in stem and not stem.endswith("@") else None
    names = [template, name] if template else [name]
    for wanted in ([name, template] if template else [name]):
        for directory in UNIT_DIRS:
            candidate = f"{directory}/{wanted}"
            if os.path.lexists(in_root(root, candidate)):
                resolved = _resolve_link(root, candidate)
                if resolved is None:
                    raise UnitError(f"{name} is masked ({candidate} points to /dev/null); systemd will not start it")
                if not os.path.isfile(in_root(root, resolved)):
                    raise UnitError(f"{candidate} is not a readable unit file")
                unit_path = resolved
                alias = os.path.basename(resolved)
                if alias not in names:
                    names.append(alias)
                break
        if unit_path is not None:
            break
    if unit_path is None:
        searched = ", ".join(in_root(root, d) for d in UNIT_DIRS)
        raise UnitError(f"no unit {name} in {searched}")
    # Drop-ins: the first directory holding a given file name wins; then all sorted by file name.
    chosen: Dict[Tuple[int, str], str] = {}
    for rank, dropin_dir in enumerate(d for n in names for d in _dropin_dirs(n)):
        seen_here: Dict[str, str] = {}
        for directory in UNIT_DIRS:
            host_dir = in_root(root, f"{directory}/{dropin_dir}")
            try:
                entries = sorted(os.listdir(host_dir))
            except OSError:
                continue
            for entry in entries:
                if entry.endswith(".conf") and entry not in seen_here:
                    seen_here[entry] = f"{directory}/{dropin_dir}/{entry}"
        for entry, path in seen_here.items():
            chosen[(rank, entry)] = path
    by_name: Dict[str, str] = {}
    for (_, entry), path in sorted(chosen.items()):
        by_name[entry] = path  # a more specific directory's file of the same name wins
    dropins = [by_name[entry] for entry in sorted(by_name)]
    return unit_path, dropins


def _read(root: str, path: str) -> str:
    host = in_root(root, path)
    try:
        with open(host, "rb") as fh:
            data = fh.read(_MAX_UNIT_BYTES + 1)
    except OSError as error:
        raise UnitError(f"cannot read {host}: {error.strerror or error}") from None
    if len(data) > _MAX_UNIT_BYTES:
        raise UnitError(f"{host} is larger than 1 MiB; systemd refuses such unit files")
    return data.decode("utf-8", errors="replace")


def read_unit(name: str, root: str = "/") -> ServiceUnit:
    """Load ``NAME`` (``.service`` added when missing) as systemd would start it."""
    if not name.endswith(".service"):
        if "." in name and name.rsplit(".", 1)[1] in ("socket", "timer", "target", "mount", "path"):
            raise UnitError(f"{name} is not a service unit")
        name = f"{name}.service"
    unit_path, dropins = find_unit_files(name, root)
    assignments: List[Assignment] = []
    for path in [unit_path, *dropins]:
        try:
            assignments.extend(a for a in parse_unit_text(_read(root, path), path) if a.section == "Service")
        except UnitError as error:
            raise UnitError(f"{error}; systemd refuses to load the unit") from None
    return assemble_service(name, [unit_path, *dropins], assignments, root)


def assemble_service(name: str, files: Sequence[str], assignments: Sequence[Assignment], root: str) -> ServiceUnit:
    """Apply the ``[Service]`` assignments in order: lists reset by empty values, scalars last-wins."""
    notes: List[str] = []
    exec_lines: List[Assignment] = []
    environment: List[Tuple[str, str, str]] = []
    env_files: List[Tuple[str, bool, str]] = []
    unset: List[str] = []
    supplementary: List[str] = []
    scalars: Dict[str, Assignment] = {}
    service_type = "simple"
    for a in assignments:
        if a.key == "ExecStart":
            exec_lines = [] if not a.value else [*exec_lines, a]
        elif a.key == "Environment":
            if not a.value:
                environment = []
                continue
            pairs, problems = parse_environment_words(a.value, name)
            notes.extend(f"{a.origin}: {p}" for p in problems)
            environment.extend((k, v, f"Environment= at {a.origin}") for k, v in pairs)
        elif a.key == "EnvironmentFile":
            if not a.value:
                env_files = []
                continue
            text = a.value
            optional = text.startswith("-")
            path = expand_specifiers(text[1:] if optional else text, name)
            if not os.path.isabs(path):
                notes.append(f"{a.origin}: EnvironmentFile={text} is not an absolute path; systemd ignores it")
                continue
            env_files.append((path, optional, a.origin))
        elif a.key == "SupplementaryGroups":
            supplementary = [] if not a.value else [*supplementary, *split_words(expand_specifiers(a.value, name))]
        elif a.key == "UnsetEnvironment":
            unset = [] if not a.value else [*unset, *split_words(a.value)]
        elif a.key in ("User", "Group", "WorkingDirectory"):
            if a.value:
                scalars[a.key] = a
            else:
                scalars.pop(a.key, None)
        elif a.key == "Type":
            service_type = a.value
    if not exec_lines:
        raise UnitError(f"{name} has no ExecStart= ({', '.join(files)}); systemd refuses to start it")
    if len(exec_lines) > 1 and service_type != "oneshot":
        where = ", ".join(a.origin for a in exec_lines)
        raise UnitError(f"{name} has more than one ExecStart= ({where}), which systemd refuses unless Type=oneshot")
    last = exec_lines[-1]
    command = parse_exec_line(last.value, name, last.origin)

    env: Dict[str, EnvValue] = {"PATH": EnvValue(DEFAULT_PATH, "systemd default")}
    user = scalars.get("User")
    if user is not None:
        env.update(_user_environment(expand_specifiers(user.value, name), root))
    for key, value, origin in environment:
        env[key] = EnvValue(value, origin)
    read_files: List[str] = []
    for path, optional, origin in _expand_globs(env_files, root):
        try:
            text = _read(root, path)
        except UnitError as error:
            if optional:
                continue  # "-": a missing file is normal (the packages' /etc/default/<beat> may not exist)
            raise UnitError(
                f"EnvironmentFile={path} ({origin}): {error}; systemd refuses to start the service"
            ) from None
        read_files.append(path)
        file_pairs, problems = parse_env_file(text)
        notes.extend(f"{path}: {p}" for p in problems)
        for key, value, line in file_pairs:
            env[key] = EnvValue(value, f"EnvironmentFile {path}:{line}")
    for key in unset:
        env.pop(key.split("=", 1)[0], None)

    workdir = scalars.get("WorkingDirectory")
    working_directory, workdir_origin = "/", "default"
    if workdir is not None:
        text = expand_specifiers(workdir.value, name).lstrip("-")
        if text == "~":
            text = env.get("HOME", EnvValue("/root", "")).value
        working_directory, workdir_origin = text, workdir.origin
    group = scalars.get("Group")
    return ServiceUnit(
        name=name,
        files=tuple(files),
        exec_start=command,
        environment=env,
        environment_files=tuple(read_files),
        user=expand_specifiers(user.value, name) if user is not None else None,
        user_origin=user.origin if user is not None else None,
        group=expand_specifiers(group.value, name) if group is not None else None,
        supplementary_groups=tuple(supplementary),
        working_directory=working_directory,
        working_directory_origin=workdir_origin,
        notes=tuple(notes),
    )


def _expand_globs(env_files: Sequence[Tuple[str, bool, str]], root: str) -> List[Tuple[str, bool, str]]:
    """``EnvironmentFile=`` may be a wildcard: every match in name order; no match is no file."""
    out: List[Tuple[str, bool, str]] = []
    for path, optional, origin in env_files:
        if not any(c in path for c in "*?["):
            out.append((path, optional, origin))
            continue
        host_pattern = in_root(root, path)
        prefix = len(host_pattern) - len(path)
        matches = sorted(glob.glob(host_pattern))
        if not matches:
            out.append((path, optional, origin))  # reported (or skipped, with "-") like a missing file
        out.extend((match[prefix:] if root not in ("", "/") else match, optional, origin) for match in matches)
    return out


def _user_environment(user: str, root: str) -> Dict[str, EnvValue]:
    """$USER, $LOGNAME, $HOME and $SHELL, which systemd sets when User= is given."""
    account = lookup_user(user, root)
    origin = "systemd, from User="
    result = {"USER": EnvValue(user, origin), "LOGNAME": EnvValue(user, origin)}
    if account is not None:
        result["HOME"] = EnvValue(account.home, origin)
        result["SHELL"] = EnvValue(account.shell, origin)
    return result
