"""
The only code that reads the Beat's YAML from disk: files -> `Node` trees with ``file:line``
on every value, scalars typed the way gopkg.in/yaml.v2 types them (YAML 1.1: unquoted ``on``
is a boolean, ``0123`` an octal number), plus the ``strict.perms`` file check
(elastic/beats libbeat/cfgfile/cfgfile.go).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import stat
from dataclasses import field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from esprobe.config import gotext
from esprobe.config.tree import Conflict, Node, SyntaxProblem, normalize_mapping, string_node
from esprobe.record import record

__all__ = [
    "DuplicateKey",
    "LoadedFile",
    "YamlProblem",
    "check_file_perms",
    "files_under",
    "host_path",
    "load_file",
    "parse_yaml",
    "read_text",
]

# Bounds so that a hostile or mistaken file (a device, a billion-laughs document) costs little.
MAX_FILE_BYTES = 16 * 1024 * 1024
_MAX_NODES = 50_000  # a large real config (many inputs inline) holds a few thousand
_MAX_DEPTH = 200

_PLAIN = "!esprobe/plain"
_STR_TAG = "tag:yaml.org,2002:str"


@record
class DuplicateKey:
    """A key written twice in one YAML mapping: yaml.v2 silently keeps the last one."""

    key: str
    first: str
    second: str


@record
class YamlProblem:
    """The file cannot be used at all (unreadable, malformed YAML, unsupported key)."""

    kind: str  # "missing" | "unreadable" | "syntax" | "structure"
    message: str
    location: Optional[str] = None


@record(frozen=False)
class LoadedFile:
    """
    One ``-c`` file.

    Attributes:
        path: absolute path.
        root: the normalised tree (a dict node), or None when *problem* is set.
    """

    path: str
    root: Optional[Node] = None
    problem: Optional[YamlProblem] = None
    duplicates: List[DuplicateKey] = field(default_factory=list)
    conflicts: List[Conflict] = field(default_factory=list)
    syntax: List[SyntaxProblem] = field(default_factory=list)


class _Resolver(yaml.resolver.BaseResolver):
    """Marks plain scalars so that they can be typed with yaml.v2's rules, not PyYAML's."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _STR_TAG
        return super().resolve(kind, value, implicit)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Resolver,
):
    def __init__(self, stream: str, deadline: Any = None) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)
        self.nodes = 0
        self.deadline = deadline

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Counted while composing, so that a file of a million settings is refused after
        # _MAX_NODES of them, not after PyYAML has built all of them (seconds and hundreds of MB).
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _TooBig(
                f"the document holds more than {_MAX_NODES} values (settings, list items); a Beat "
                "config has far fewer, so esprobe does not read further",
                self.peek_event().start_mark,
            )
        if self.nodes % 1024 == 0 and self.deadline is not None and self.deadline.expired:
            raise _TooBig("the run's deadline passed while esprobe was reading it", self.peek_event().start_mark)
        return super().compose_node(parent, index)


class _TooBig(Exception):
    """A document past esprobe's bounds, seen while composing (a message and a yaml Mark)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


_V2_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_V2_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_V2_NULL = {"", "~", "null", "Null", "NULL"}
_V2_SPECIAL = {
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
}  # fmt: skip
_V2_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def yaml_v2_plain(text: str) -> Any:
    """Type an unquoted scalar as gopkg.in/yaml.v2's resolver does (YAML 1.1 flavour)."""
    if text in _V2_TRUE:
        return True
    if text in _V2_FALSE:
        return False
    if text in _V2_NULL:
        return None
    if text in _V2_SPECIAL:
        return _V2_SPECIAL[text]
    first = text[0]
    if first == ".":
        return _go_float_or(text)
    if first in "+-0123456789":
        plain = text.replace("_", "")
        n = gotext.parse_int(plain)
        if n is None:
            n = gotext.parse_int(plain, signed=False)
        if n is not None:
            return n
        if _V2_FLOAT.match(plain):
            f = gotext.parse_float(plain)
            if f is not None:
                return f
        for prefix, sign in (("0b", 1), ("-0b", -1)):
            if plain.startswith(prefix):
                digits = plain[len(prefix) :]
                if digits and set(digits) <= {"0", "1"}:
                    return sign * int(digits, 2)
        # Timestamps stay strings when yaml.v2 decodes into interface{}.
    return text


def _go_float_or(text: str) -> Any:
    f = gotext.parse_float(text)
    return text if f is None else f


class _Builder:
    """Turns composed PyYAML nodes into `Node` trees, with yaml.v2's typing and key rules."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.active: set = set()
        self.duplicates: List[DuplicateKey] = []
        self.conflicts: List[Conflict] = []
        self.syntax: List[SyntaxProblem] = []

    def loc(self, node: Any) -> str:
        return f"{self.path}:{node.start_mark.line + 1}"

    def build(self, node: Any, depth: int = 0, path: str = "") -> Node:
        self.count += 1
        if depth > _MAX_DEPTH:
            raise _Structure(f"the document nests more than {_MAX_DEPTH} levels deep", self.loc(node))
        if self.count > _MAX_NODES:
            # Only aliases get here (the loader counts composed nodes): each use of an anchor
            # is built again, so "a: &x [..]; b: [*x, *x, ...]" multiplies.
            raise _TooBig(f"its aliases expand to more than {_MAX_NODES} values (a 'billion laughs' document)",
                          node.start_mark)
        if id(node) in self.active:
            raise _Structure("an alias refers to the node that contains it", self.loc(node))
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, depth, path)
            if isinstance(node, SequenceNode):
                items = [self.build(item, depth + 1, f"{path}.{i}") for i, item in enumerate(node.value)]
                return Node(items, self.loc(node))
            return self.scalar(node, path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: str = "") -> Node:
        loc = self.loc(node)
        text = node.value
        tag = node.tag
        if tag == _PLAIN:
            value = yaml_v2_plain(text)
            if isinstance(value, str):
                return string_node(value, loc, self.syntax, path)
            return Node(value, loc, raw=text)
        if tag in (_STR_TAG, "tag:yaml.org,2002:binary") or not tag.startswith("tag:yaml.org,2002:"):
            return string_node(text, loc, self.syntax, path)
        value = yaml_v2_plain(text) if text else None
        if isinstance(value, str):
            return string_node(value, loc, self.syntax, path)
        return Node(value, loc, raw=text)

    def key_text(self, key: Any) -> str:
        if not isinstance(key, ScalarNode):
            raise _Structure("a mapping key is itself a list or a mapping", self.loc(key))
        if key.tag == _PLAIN:
            typed = yaml_v2_plain(key.value)
            if not isinstance(typed, str):
                kind = gotext.type_name(typed) if typed is not None else "null"
                raise _Structure(
                    f"the key '{key.value}' is read by the Beat's YAML parser as a {kind}, not as a "
                    "string, and go-ucfg refuses non-string keys",
                    self.loc(key),
                )
        return key.value

    def merged_pairs(self, value: Any, depth: int) -> List[Tuple[str, Any]]:
        sources = value.value if isinstance(value, SequenceNode) else [value]
        pairs: List[Tuple[str, Any]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                raise _Structure("a '<<' merge key must refer to a mapping", self.loc(source))
            if depth > _MAX_DEPTH:
                raise _Structure("merge keys nest too deeply", self.loc(source))
            for k, v in source.value:
                if isinstance(k, ScalarNode) and k.tag == _PLAIN and k.value == "<<":
                    pairs.extend(self.merged_pairs(v, depth + 1))
                else:
                    pairs.append((self.key_text(k), v))
        return pairs

    def mapping(self, node: MappingNode, depth: int, path: str) -> Node:
        inherited: List[Tuple[str, Any]] = []
        own: List[Tuple[str, Any, Any]] = []
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.tag == _PLAIN and key.value == "<<":
                inherited.extend(self.merged_pairs(value, depth))
                continue
            own.append((self.key_text(key), key, value))
        # yaml.v2 decodes into a Go map: a repeated key silently replaces the earlier one.
        last_index: Dict[str, int] = {}
        for i, (text, key, _) in enumerate(own):
            if text in last_index:
                self.duplicates.append(DuplicateKey(text, self.loc(own[last_index[text]][1]), self.loc(key)))
            last_index[text] = i
        pairs: List[Tuple[str, Any]] = []
        own_keys = set(last_index)
        seen_inherited = set()
        for text, value in inherited:  # earlier merge sources win over later ones (yaml.v2)
            if text not in own_keys and text not in seen_inherited:
                seen_inherited.add(text)
                pairs.append((text, value))
        pairs.extend((text, value) for i, (text, _, value) in enumerate(own) if last_index[text] == i)
        built = [(text, self.build(value, depth + 1, f"{path}.{text}" if path else text)) for text, value in pairs]
        return normalize_mapping(built, self.loc(node), self.conflicts, path)


class _Structure(Exception):
    def __init__(self, message: str, location: Optional[str]) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


def parse_yaml(text: str, path: str, deadline: Any = None) -> LoadedFile:
    """Parse YAML *text* read from *path* (used for locations). Never raises."""
    loaded = LoadedFile(path)
    try:
        loader = _Loader(text, deadline)
        try:
            document = loader.get_node() if loader.check_node() else None
        finally:
            loader.dispose()
    except _TooBig as err:
        where = f"{path}:{err.mark.line + 1}" if err.mark is not None else path
        loaded.problem = YamlProblem("beyond-bounds", err.message, where)
        return loaded
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = err.problem or err.context or "invalid YAML"
        loaded.problem = YamlProblem("syntax", f"yaml: line {mark.line + 1 if mark else '?'}: {problem}", where)
        return loaded
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        loaded.problem = YamlProblem("syntax", f"yaml: {err}", path)
        return loaded
    if document is None:
        loaded.root = Node({}, path)
        return loaded
    builder = _Builder(path)
    try:
        if isinstance(document, ScalarNode) and document.tag == _PLAIN and yaml_v2_plain(document.value) is None:
            root = Node({}, path)
        elif not isinstance(document, MappingNode):
            raise _Structure(
                "the top level of the file is not a mapping of settings (key: value)", builder.loc(document)
            )
        else:
            root = builder.build(document)
    except _Structure as err:
        loaded.problem = YamlProblem("structure", err.message, err.location)
        return loaded
    except _TooBig as err:
        loaded.problem = YamlProblem("beyond-bounds", err.message, f"{path}:{err.mark.line + 1}")
        return loaded
    except RecursionError:
        loaded.problem = YamlProblem("structure", "the document is nested too deeply", path)
        return loaded
    loaded.root = root
    loaded.duplicates = builder.duplicates
    loaded.conflicts = builder.conflicts
    loaded.syntax = builder.syntax
    return loaded


def go_error(op: str, path: str, err: OSError) -> str:
    """An OSError worded like Go's ``*PathError`` (``open /x: no such file or directory``)."""
    reason = os.strerror(err.errno) if err.errno else str(err)
    reason = reason[:1].lower() + reason[1:]
    return f"{op} {path}: {reason}"


# The directory the Beat's "/" is seen from: "/" normally; a mounted image (--root) or a
# container's /proc/PID/root when esprobe reads a service or a process. Paths in findings stay
# the Beat's own; only the opens go through the root.
_FS_ROOT: contextvars.ContextVar[str] = contextvars.ContextVar("esprobe_fs_root", default="/")


@contextlib.contextmanager
def files_under(root: str) -> Iterator[None]:
    """Open the Beat's files under *root* for the duration of the block."""
    token = _FS_ROOT.set(root or "/")
    try:
        yield
    finally:
        _FS_ROOT.reset(token)


def host_path(path: str) -> str:
    """Where a path of the Beat's is opened from here."""
    root = _FS_ROOT.get()
    if root == "/":
        return path
    return os.path.join(root, os.path.abspath(path).lstrip("/"))


def read_text(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """
    Read a whole regular file, bounded. Raises OSError worded for `go_error` (a directory,
    FIFO or device raises too, so that a mistaken path cannot block or flood).
    """
    path = host_path(path)
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(0, "not a regular file", path)
    chunks: List[bytes] = []
    size = 0
    with open(path, "rb") as fh:
        # In pieces: read(limit) would reserve the whole limit up front for a file of a few kB.
        while size <= limit:
            chunk = fh.read(min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise OSError(0, f"larger than {limit} bytes", path)
    return data


def load_file(path: str, deadline: Any = None) -> LoadedFile:
    """Read and parse one ``-c`` file; *path* should be absolute. Never raises."""
    try:
        data = read_text(path)
    except FileNotFoundError as err:
        return LoadedFile(path, problem=YamlProblem("missing", go_error("stat", path, err), path))
    except OSError as err:
        op = "read" if isinstance(err, IsADirectoryError) else "open"
        message = go_error(op, path, err) if err.errno else f"{op} {path}: {err.strerror}"
        return LoadedFile(path, problem=YamlProblem("unreadable", message, path))
    try:
        text = data.decode("utf-8-sig") if not data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-16")
    except UnicodeDecodeError as err:
        return LoadedFile(
            path, problem=YamlProblem("syntax", f"yaml: invalid UTF-8 at byte {err.start}", path)
        )
    return parse_yaml(text, path, deadline)


@record
class PermProblem:
    path: str
    kind: str  # "owner" | "writable"
    message: str


def check_file_perms(path: str, *, keystore: bool = False, euid: Optional[int] = None) -> List[PermProblem]:
    """
    The Beat's ``strict.perms`` check (libbeat's config loading; the keystore's in elastic-agent-libs):
    the owner must be the effective user or root; a config file must not be writable by group or
    others, a keystore's permission bits must be exactly 0600. Both compare only the nine
    permission bits (Go's ``FileMode.Perm``), so setuid/setgid/sticky bits count for nothing.
    The Beat stops at its first complaint; esprobe reports both, so one run shows every fix.
    """
    if os.name == "nt":
        return []
    try:
        st = os.stat(host_path(path))
    except OSError:
        return []
    euid = os.geteuid() if euid is None else euid
    absolute = os.path.abspath(path)
    problems: List[PermProblem] = []
    if st.st_uid not in (euid, 0):
        # The keystore's owner complaint also says "config file": the Beat's wording, kept as it is.
        problems.append(
            PermProblem(
                absolute,
                "owner",
                f'config file ("{path}") must be owned by the user identifier (uid={euid}) or root',
            )
        )
    bits = st.st_mode & 0o777
    perm = stat.filemode(stat.S_IFREG | bits)  # as Go prints a FileMode.Perm(): "-rw-rw-r--"
    if keystore:
        if bits != 0o600:
            problems.append(
                PermProblem(
                    absolute,
                    "writable",
                    f'file ("{path}") can only be writable and readable by the owner but the '
                    f'permissions are "{perm}" (to fix the permissions use: '
                    f"'chmod go-wrx {absolute}')",
                )
            )
    elif bits & 0o022:
        problems.append(
            PermProblem(
                absolute,
                "writable",
                f'config file ("{path}") can only be writable by the owner but the permissions are '
                f"\"{perm}\" (to fix the permissions use: 'chmod go-w {absolute}')",
            )
        )
    return problems
