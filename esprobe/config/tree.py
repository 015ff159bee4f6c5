"""
The config tree the way go-ucfg builds it (beats-config.md §4.1, §4.3): dotted keys split into
nesting, dotted and nested forms merged, index-wise array merging, and ``-E`` overrides.

Every value is a `Node` that remembers where it was written (``file:line`` or ``-E key``), so
findings can point at the line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from esprobe.config import gotext
from esprobe.config.variables import Const, Expr, TemplateSyntaxError, parse_template

__all__ = [
    "Conflict",
    "Node",
    "Override",
    "SyntaxProblem",
    "find",
    "from_plain",
    "merge",
    "normalize_into",
    "parse_override",
    "split_path",
    "string_node",
    "to_plain",
]

# go-ucfg addresses array indexes with numeric path components up to this bound.
_MAX_INDEX = 1024


class Node:
    """
    One value in the config tree.

    Attributes:
        value: ``dict`` of str -> Node, ``list`` of Node, or a scalar (str, int, float, bool, None).
        location: ``file:line``, ``-E key``, or a description (``cloud.id``, ``default``).
        raw: the text the user wrote for a scalar, when it differs in kind from *value*
            (an unquoted ``0123`` that YAML typed as 83; a string before ``$$`` escapes).
        template: the parsed ``${...}`` expression of a string holding variables, else None.
    """

    __slots__ = ("value", "location", "raw", "template")

    def __init__(
        self,
        value: Any,
        location: Optional[str] = None,
        raw: Optional[str] = None,
        template: Optional[Expr] = None,
    ) -> None:
        self.value = value
        self.location = location
        self.raw = raw
        self.template = template

    @property
    def is_dict(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_container(self) -> bool:
        return isinstance(self.value, (dict, list))

    def __repr__(self) -> str:  # never shows values: they may be secrets
        kind = "dict" if self.is_dict else "list" if self.is_list else type(self.value).__name__
        return f"Node({kind} at {self.location})"

    def copy(self) -> "Node":
        if self.is_dict:
            return Node({k: v.copy() for k, v in self.value.items()}, self.location)
        if self.is_list:
            return Node([v.copy() for v in self.value], self.location)
        return Node(self.value, self.location, self.raw, self.template)


@dataclass(frozen=True)
class Conflict:
    """The same setting defined twice in one file in a way go-ucfg resolves non-deterministically."""

    setting: str
    first: Optional[str]
    second: Optional[str]


@dataclass(frozen=True)
class SyntaxProblem:
    """A string value whose ``${`` syntax is broken."""

    location: Optional[str]
    error: str
    setting: Optional[str] = None


def string_node(
    text: str,
    location: Optional[str],
    problems: Optional[List[SyntaxProblem]] = None,
    setting: Optional[str] = None,
) -> Node:
    """
    A string value as go-ucfg normalises it with VarExp on: variables parsed, escapes applied.
    """
    try:
        expr = parse_template(text)
    except TemplateSyntaxError as err:
        if problems is not None:
            problems.append(SyntaxProblem(location, str(err), setting))
        return Node(text, location)
    if isinstance(expr, Const):
        raw = text if expr.text != text else None
        return Node(expr.text, location, raw=raw)
    return Node(text, location, template=expr)


def split_path(key: str) -> List[str]:
    """PathSep("."): every dot separates a level; there is no escape."""
    return key.split(".")


def _index(component: str) -> Optional[int]:
    n = gotext.parse_int(component)
    if n is None or n < 0 or n > _MAX_INDEX:
        return None
    return n


def child(node: Node, component: str) -> Optional[Node]:
    if node.is_dict:
        return node.value.get(component)
    if node.is_list:
        i = _index(component)
        if i is not None and i < len(node.value):
            return node.value[i]
    return None


def _put(node: Node, component: str, value: Node) -> None:
    if node.is_dict:
        node.value[component] = value
        return
    i = _index(component)
    assert node.is_list and i is not None
    while len(node.value) <= i:
        node.value.append(Node(None, value.location))
    node.value[i] = value


def _container_for(component: str, location: Optional[str]) -> Node:
    return Node([] if _index(component) is not None else {}, location)


def find(root: Node, components: Sequence[str]) -> Optional[Node]:
    """The node at *components* without resolving anything, or None."""
    node: Optional[Node] = root
    for comp in components:
        if node is None:
            return None
        node = child(node, comp)
    return node


def normalize_into(
    target: Node,
    key: str,
    value: Node,
    conflicts: List[Conflict],
    prefix: str = "",
) -> None:
    """
    Set dotted *key* inside dict node *target* the way go-ucfg's normalizeSetField does.

    Disjoint leaves merge. The same leaf reached twice (``a.b: 1`` next to ``a: {b: 2}``) is a
    `Conflict`: go-ucfg walks Go maps in random order, so it either keeps one of the values or
    fails with ``duplicate key``. The later definition is kept here.
    """
    comps = split_path(key)
    current = target
    path = prefix
    for i, comp in enumerate(comps[:-1]):
        path = f"{path}.{comp}" if path else comp
        nxt = child(current, comp)
        if nxt is None or nxt.value is None:
            if current.is_list and _index(comp) is None:
                conflicts.append(Conflict(path, current.location, value.location))
                return
            nxt = _container_for(comps[i + 1], value.location)
            _put(current, comp, nxt)
        elif not nxt.is_container:
            conflicts.append(Conflict(path, nxt.location, value.location))
            nxt = _container_for(comps[i + 1], value.location)
            _put(current, comp, nxt)
        elif nxt.is_list and _index(comps[i + 1]) is None:
            conflicts.append(Conflict(path, nxt.location, value.location))
            nxt = Node({}, value.location)
            _put(current, comp, nxt)
        current = nxt
    last = comps[-1]
    path = f"{path}.{last}" if path else last
    if current.is_list and _index(last) is None:
        conflicts.append(Conflict(path, current.location, value.location))
        return
    old = child(current, last)
    if old is None or old.value is None:
        _put(current, last, value)
    elif value.value is None:
        return  # a null never replaces a value (normalizeSetField keeps the old one)
    elif old.is_container and value.is_container and old.is_dict == value.is_dict:
        _merge_checked(old, value, path, conflicts)
    else:
        conflicts.append(Conflict(path, old.location, value.location))
        _put(current, last, value)


def _merge_checked(old: Node, new: Node, path: str, conflicts: List[Conflict]) -> None:
    # Both sides come from one YAML mapping: any leaf present on both is ambiguous.
    if old.is_dict:
        for k, v in new.value.items():
            mine = old.value.get(k)
            old.value[k] = v if mine is None else _merged_slot(mine, v, f"{path}.{k}", conflicts)
        return
    for i, v in enumerate(new.value):
        if i >= len(old.value):
            old.value.append(v)
        else:
            old.value[i] = _merged_slot(old.value[i], v, f"{path}.{i}", conflicts)


def _merged_slot(mine: Node, v: Node, sub: str, conflicts: List[Conflict]) -> Node:
    """One key or index present on both sides: what it holds after the merge (a conflict is noted)."""
    if mine.value is None:
        return v
    if v.value is None:
        return mine
    if mine.is_container and v.is_container and mine.is_dict == v.is_dict:
        _merge_checked(mine, v, sub, conflicts)
        return mine
    conflicts.append(Conflict(sub, mine.location, v.location))
    return v


def merge(old: Optional[Node], new: Node) -> Node:
    """
    go-ucfg's default merge (files in order, then ``-E``): dicts merge recursively, arrays
    merge index by index (``[a, b, c]`` + ``[x]`` = ``[x, b, c]``), anything else is replaced.
    """
    if old is None:
        return new
    if old.is_dict and new.is_dict:
        result = Node(dict(old.value), new.location or old.location)
        for k, v in new.value.items():
            result.value[k] = merge(old.value.get(k), v)
        return result
    if old.is_list and new.is_list:
        items = list(old.value)
        for i, v in enumerate(new.value):
            if i < len(items):
                # A padding null from ``-E hosts.1=x`` does not wipe index 0.
                items[i] = items[i] if v.value is None and v.location == "-E padding" else merge(items[i], v)
            else:
                items.append(v)
        return Node(items, new.location or old.location)
    if new.value is None and old.is_container:
        return old  # a null merged onto a section leaves the section (cfgNil -> empty config)
    return new


def from_plain(
    value: Any,
    location: Optional[str],
    problems: Optional[List[SyntaxProblem]] = None,
    conflicts: Optional[List[Conflict]] = None,
    template_strings: bool = True,
    raw: Optional[str] = None,
    setting: Optional[str] = None,
) -> Node:
    """
    Build nodes from a parsed plain value (``-E`` values, ``${}`` results, cloud.id settings).
    Object keys are split at dots, as go-ucfg's normalisation does.
    """
    if isinstance(value, dict):
        node = Node({}, location)
        for k, v in value.items():
            normalize_into(
                node,
                str(k),
                from_plain(v, location, problems, conflicts, template_strings),
                conflicts if conflicts is not None else [],
            )
        return node
    if isinstance(value, list):
        return Node([from_plain(v, location, problems, conflicts, template_strings) for v in value], location)
    if isinstance(value, str) and template_strings:
        return string_node(value, location, problems, setting)
    return Node(value, location, raw=raw)


def to_plain(node: Optional[Node], leaf: Any = None) -> Any:
    """Plain dicts/lists/scalars; *leaf* (node -> value) may substitute resolved values."""
    if node is None:
        return None
    if node.is_dict:
        return {k: to_plain(v, leaf) for k, v in node.value.items()}
    if node.is_list:
        return [to_plain(v, leaf) for v in node.value]
    if leaf is not None:
        return leaf(node)
    return node.value


# ---------------------------------------------------------------------------------------------
# -E overrides


@dataclass(frozen=True)
class Override:
    """
    One parsed ``-E`` flag.

    Attributes:
        key: the setting, as typed.
        node: the value as a tree, or None when the flag is ignored (``-E key=``).
        error: why the flag could not be parsed (never contains the value), or None.
    """

    key: str
    node: Optional[Node]
    error: Optional[str] = None


def parse_override(
    flag: str, problems: List[SyntaxProblem], conflicts: List[Conflict], origin: Optional[str] = None
) -> Override:
    """
    Parse one ``-E`` string like the Beat: split at the first ``=``; no ``=`` means ``true``;
    an empty value is ignored; the value goes through go-ucfg's ``parse.Value``.
    """
    key, sep, text = flag.partition("=")
    location = f"-E {key}" + (f" ({origin})" if origin else "")
    if not key:
        return Override(key, None, "the setting name before '=' is empty")
    if not sep:
        value: Any = True
        raw = None
    elif text == "":
        return Override(key, None)
    else:
        try:
            value = gotext.parse_value(text, gotext.PARSE_DEFAULT)
        except gotext.ParseError as err:
            return Override(key, None, str(err))
        raw = text.strip() if not isinstance(value, (dict, list, str)) else None
    root = Node({}, location)
    leaf = from_plain(value, location, problems, conflicts, raw=raw, setting=key)
    if isinstance(value, str) and leaf.template is None and leaf.raw is None and value != text.strip():
        leaf.raw = text.strip()
    normalize_into(root, key, leaf, conflicts)
    _mark_padding(root)
    return Override(key, root)


def _mark_padding(node: Node) -> None:
    # Nulls created to reach ``hosts.1`` are placeholders, not values.
    if node.is_dict:
        for v in node.value.values():
            _mark_padding(v)
    elif node.is_list:
        for v in node.value:
            if v.value is None and v.location is not None and v.location.startswith("-E "):
                v.location = "-E padding"
            else:
                _mark_padding(v)
