"""
The config tree the way go-ucfg builds it (go-ucfg merge.go, ucfg.go; docs/beats-config.md): dotted keys split into
nesting, dotted and nested forms merged, index-wise array merging, and ``-E`` overrides.

Every value is a `Node` that remembers where it was written (``file:line`` or ``-E key``), so
findings can point at the line to fix.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any, Callable, List, Optional, Sequence, Tuple

from esprobe.config import gotext
from esprobe.config.variables import Const, Expr, TemplateSyntaxError, parse_template
from esprobe.record import record

__all__ = [
    "Conflict",
    "Hole",
    "Node",
    "Override",
    "SyntaxProblem",
    "find",
    "from_plain",
    "merge",
    "normalize_into",
    "normalize_mapping",
    "parse_override",
    "split_path",
    "string_node",
    "to_plain",
]

# go-ucfg addresses array indexes with numeric path components up to this bound.
MAX_INDEX = 1024

# Marks (in `Node.raw`) the nils go-ucfg pads a list with to reach ``hosts.1`` (ucfg.go fields.setAt).
PADDING = "(padding)"


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


@record
class Conflict:
    """
    The same setting defined twice in one file, which go-ucfg resolves in Go's random map order.

    Attributes:
        outcomes: None when one of the orders fails with ``duplicate key`` (a scalar leaf reached by
            a dotted key: go-ucfg/merge.go normalizeSetField); else the two values the Beat may end
            up with (two sections or lists meet and are merged both ways round, never an error).
    """

    setting: str
    first: Optional[str]
    second: Optional[str]
    outcomes: Optional[Tuple[Any, Any]] = None
    always: bool = False  # every order fails: the Beat never starts with this file


@record
class Hole:
    """
    An index-addressed ``-E`` (``hosts.1=y``) whose unset lower index replaced a value.

    go-ucfg/ucfg.go fields.setAt pads the new list with nil; go-ucfg/merge.go mergeConfigMergeArr
    then merges index by index and mergeValues lets the nil win over any scalar, which unpacks to
    the field's zero value.

    Attributes:
        setting: the list (``output.elasticsearch.hosts``).
        index: the index that was wiped.
        lost: the node that held the value before.
        flag: where the padding came from (``-E output.elasticsearch.hosts.1``).
    """

    setting: str
    index: int
    lost: "Node"
    flag: Optional[str]


@record
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
    if n is None or n < 0 or n > MAX_INDEX:
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
        node.value.append(Node(None, value.location, raw=PADDING))
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
    elif old.is_container and value.is_container:
        # Two sections or lists meet: normalizeSetField merges them (mergeConfig), whichever Go's map
        # order visits first, and never fails; what differs is which side's leaves win.
        written_order = merge(old.copy(), value.copy())
        other_order = merge(value.copy(), old.copy())
        kept, alternative = to_plain(written_order), to_plain(other_order)
        if kept != alternative:
            conflicts.append(Conflict(path, old.location, value.location, (kept, alternative)))
        _put(current, last, written_order)
    else:
        conflicts.append(Conflict(path, old.location, value.location))
        _put(current, last, value)


class _DuplicateKey(Exception):
    """One visiting order of a mapping's keys fails in go-ucfg (duplicate key / expected object)."""


def _go_get(root: Node, comps: Sequence[str]) -> Optional[Node]:
    # go-ucfg path.go GetValue: a missing field is "missing"; walking through a value is an error.
    node = root
    for comp in comps:
        if node.is_dict:
            nxt = node.value.get(comp)
        elif node.is_list:
            i = _index(comp)
            nxt = node.value[i] if i is not None and i < len(node.value) else None
        elif node.value is None:
            return None  # a nil on the way converts to an empty config: the key is missing
        else:
            raise _DuplicateKey(comp)
        if nxt is None:
            return None
        node = nxt
    return node


def _go_put(root: Node, comps: Sequence[str], value: Node) -> None:
    current = root
    for i, comp in enumerate(comps[:-1]):
        if current.is_list and _index(comp) is None:
            raise _DuplicateKey(comp)  # a name inside a list: esprobe's tree cannot hold it (rare)
        nxt = child(current, comp)
        if nxt is None or nxt.value is None:
            nxt = _container_for(comps[i + 1], value.location)
            _put(current, comp, nxt)
        elif not nxt.is_container:
            raise _DuplicateKey(comp)
        current = nxt
    if current.is_list and _index(comps[-1]) is None:
        raise _DuplicateKey(comps[-1])
    _put(current, comps[-1], value)


def _go_set_field(root: Node, key: str, value: Node) -> None:
    """go-ucfg merge.go normalizeSetField for one key of a mapping, on *root* (mutated)."""
    comps = split_path(key)
    old = _go_get(root, comps)
    if old is not None and old.value is not None and value.value is None:
        return
    if old is None or old.value is None:
        _go_put(root, comps, value)
    elif old.is_container and value.is_container:
        _go_put(root, comps, merge(old, value))
    else:
        raise _DuplicateKey(key)


def _first_difference(a: Any, b: Any, path: str) -> Tuple[str, Any, Any]:
    """The deepest path under which two plain trees first differ, with both sides there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    return path, a, b


def _overlap(a: str, b: str) -> bool:
    ca, cb = split_path(a), split_path(b)
    n = min(len(ca), len(cb))
    return ca[:n] == cb[:n]


def _line_order(location: str) -> Tuple[str, int]:
    path, _, line = location.rpartition(":")
    return (path, int(line)) if line.isdigit() else (location, 0)


def normalize_mapping(
    pairs: Sequence[Tuple[str, Node]], location: Optional[str], conflicts: List[Conflict], prefix: str = ""
) -> Node:
    """
    One YAML mapping (or -E object) normalised the way go-ucfg's normalizeMapInto does it.

    go-ucfg visits the keys in Go's random map order. The tree is built in the order written;
    keys that share a first component are replayed in every order (all of them for up to four
    keys, else as written and reversed) and compared: if some order fails, a `Conflict` without
    outcomes (the Beat sometimes refuses to start with duplicate key); if all succeed but differ,
    a `Conflict` with the two results.
    """
    result = Node({}, location)
    scratch: List[Conflict] = []
    groups: dict = {}
    for key, value in pairs:
        groups.setdefault(split_path(key)[0], []).append((key, value))
        normalize_into(result, key, value.copy(), scratch, prefix)  # a copy: the replay below needs the originals
    for group in groups.values():
        if len(group) < 2:
            continue
        orders = list(permutations(group)) if len(group) <= 4 else [tuple(group), tuple(reversed(group))]
        failed: Optional[str] = None
        outcomes: List[Any] = []
        for order in orders:
            tree = Node({}, location)
            try:
                for key, value in order:
                    _go_set_field(tree, key, value.copy())
            except _DuplicateKey:
                failed = failed or key
                continue
            plain = to_plain(tree)
            if plain not in outcomes:
                outcomes.append(plain)
        first, second = group[0][1].location, group[-1][1].location
        if failed is not None:
            mine = next(v for k, v in group if k == failed)
            other = next((v for k, v in group if k != failed and _overlap(k, failed)), None)
            if other is not None:
                first, second = sorted((mine.location or "", other.location or ""), key=_line_order)
            conflicts.append(Conflict(f"{prefix}.{failed}" if prefix else failed, first, second, always=not outcomes))
        elif len(outcomes) > 1:
            where, kept, other = _first_difference(outcomes[0], outcomes[1], prefix)
            conflicts.append(Conflict(where, first, second, (kept, other)))
    return result


Expand = Callable[[Node], Optional[Node]]


def merge(
    old: Optional[Node],
    new: Node,
    holes: Optional[List[Hole]] = None,
    expand: Optional[Expand] = None,
    path: str = "",
) -> Node:
    """
    go-ucfg's default merge (files in order, then ``-E``; go-ucfg/merge.go mergeConfig): dicts merge
    recursively, arrays merge index by index (``[a, b, c]`` + ``[x]`` = ``[x, b, c]``), anything
    else is replaced, and a null replaces a scalar but leaves a section or list alone (mergeValues:
    cfgNil.toConfig is an empty config).

    *holes* collects the scalars wiped by the nil padding of an index-addressed ``-E``. *expand*
    turns a ``${VAR}`` value into the list or section it stands for (mergeValues calls toConfig on
    a cfgDynamic, which resolves it against the config and the environment); None when it does not
    resolve to one, and then the new value replaces it.
    """
    if old is None:
        return new
    if expand is not None and old.template is not None and new.is_container:
        expanded = expand(old)
        if expanded is not None:
            old = expanded
    if old.is_dict and new.is_dict:
        result = Node(dict(old.value), new.location or old.location)
        for k, v in new.value.items():
            sub = f"{path}.{k}" if path else k
            result.value[k] = merge(old.value.get(k), v, holes, expand, sub)
        return result
    if old.is_list and new.is_list:
        items = list(old.value)
        for i, v in enumerate(new.value):
            if i < len(items):
                mine = items[i]
                if holes is not None and v.value is None and v.raw == PADDING and mine.value is not None \
                        and not mine.is_container:
                    holes.append(Hole(path, i, mine, new.location))
                items[i] = merge(mine, v, holes, expand, f"{path}.{i}")
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
        pairs = [(str(k), from_plain(v, location, problems, conflicts, template_strings)) for k, v in value.items()]
        return normalize_mapping(pairs, location, conflicts if conflicts is not None else [])
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


@record
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
    return Override(key, root)
