"""
Reading typed settings out of the merged tree, the way go-ucfg unpacks them into the Beat's
structs: variables resolved lazily (only settings that are read can fail), numbers written back
into string fields, a scalar accepted where a list is expected, and every problem recorded as a
finding that names the setting and its ``file:line``.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Dict, List, Optional, Tuple

from esprobe import findings as catalogue
from esprobe.config import gotext
from esprobe.config.tree import MAX_INDEX, Node, find, from_plain, split_path
from esprobe.config.variables import Resolution, Resolver, VariableError
from esprobe.model import Finding, Severity
from esprobe.record import record
from esprobe.redact import Redactor

__all__ = ["ERROR", "Item", "MISSING", "Reader", "Report"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
ERROR: Any = object()  # the value could not be read; a finding is already recorded


@record(frozen=False)
class _Unresolved:
    kind: str
    names: Tuple[str, ...]
    text: str
    settings: List[str] = field(default_factory=list)
    locations: List[str] = field(default_factory=list)


_PER_VALUE = frozenset(
    {
        "config-value-retyped",
        "config-wrong-type",
        "config-ssl-verification-mode",
        "config-ssl-invalid-name",
        "config-ssl-cert-key-pair",
        "config-ssl-passphrase-unreadable",
        "config-api-key-format",
        "config-invalid-value",
    }
)


class Report:
    """Collects findings in order, without duplicates."""

    def __init__(self) -> None:
        self.findings: List[Finding] = []
        self._seen: set = set()
        # Settings only '<beat> setup' reads (setup.kibana unless dashboards load at start-up): a
        # problem there fails setup and the Kibana target, not the Beat (libbeat/cmd/instance/beat.go
        # unpacks setup.kibana only in loadDashboards / InitKibanaConfig).
        self.setup_only: Tuple[str, ...] = ()

    def add(self, code: str, message: str, **kwargs: Any) -> Finding:
        """Build the finding through the catalogue; ``{name}`` in hints is the setting."""
        if kwargs.get("setting") is not None:
            kwargs.setdefault("name", kwargs["setting"])
        if kwargs.get("location") is not None:
            kwargs.setdefault("where", kwargs["location"])
        setting = kwargs.get("setting") or ""
        if kwargs.get("severity") is None and any(setting == p or setting.startswith(p + ".") for p in self.setup_only):
            if catalogue.catalogue()[code].severity is Severity.FAIL:
                kwargs["severity"] = Severity.WARN
                message = message.replace("the Beat refuses to start", "'<beat> setup' fails").replace(
                    "The Beat refuses to start", "'<beat> setup' fails"
                ) + " (setup.kibana is only read by '<beat> setup' and when dashboards are loaded.)"
        finding = catalogue.make(code, message, **kwargs)
        key = (finding.code, finding.setting, finding.message)
        # A value inherited by the monitoring reporter is read twice; report it once, at its line.
        line_key = None
        if code in _PER_VALUE and finding.location and finding.setting:
            line_key = (finding.code, finding.location, finding.message.replace(finding.setting, "<setting>"))
        if key in self._seen or (line_key is not None and line_key in self._seen):
            return finding
        self._seen.add(key)
        if line_key is not None:
            self._seen.add(line_key)
        self.findings.append(finding)
        return finding

    def has_fail(self) -> bool:
        return any(f.severity is Severity.FAIL for f in self.findings)


# The longest list the reader follows: its elements are addressed as ``hosts.0`` .. ``hosts.1024``.
MAX_LIST_ITEMS = MAX_INDEX + 1


@record
class Item:
    """One string read from a list setting: its text, its own setting path and location."""

    text: str
    setting: str
    location: Optional[str]
    null: bool = False  # the element is nil (a hole or `~`): it unpacks to "" without validation


class Reader:
    """
    Typed access to the merged config.

    Args:
        root: the merged tree (after -E and cloud.id rewrites).
        resolver: the variable resolver bound to *root*.
        report: where findings go.
        redactor: every secret read through ``secret=True`` is registered here.
    """

    def __init__(
        self, root: Node, resolver: Resolver, report: Report, redactor: Redactor, prefix: str = ""
    ) -> None:
        self.root = root
        self.resolver = resolver
        self.report = report
        self.redactor = redactor
        self.prefix = prefix
        self.unresolved: Dict[Tuple[str, Tuple[str, ...], str], _Unresolved] = {}
        self.too_long: set = set()  # list settings longer than MAX_LIST_ITEMS (already reported)
        self.used_names: Dict[str, List[str]] = {}  # variable name -> settings using it
        self.used_sources: Dict[str, str] = {}  # variable name -> "env" or "keystore"
        # True when the Beat's working directory is known (--service/--pid): relative ssl paths
        # are then resolved exactly as the Beat opens them, and need no caveat.
        self.workdir_known = False
        self._cache: Dict[int, Any] = {}
        self.url_rules: Any = None  # the Beat's Go net/url rules (urls.UrlRules); None = the newest

    def view(self, root: Node, prefix: str) -> "Reader":
        """
        A reader over another tree (e.g. the monitoring reporter's merged settings) that names
        its settings ``<prefix>.<path>`` and shares findings, secrets and variable state.
        """
        other = Reader(root, self.resolver, self.report, self.redactor, prefix)
        other.unresolved = self.unresolved
        other.used_names = self.used_names
        other.used_sources = self.used_sources
        other.workdir_known = self.workdir_known
        other._cache = self._cache
        other.url_rules = self.url_rules
        return other

    def display(self, path: str) -> str:
        """The setting name to show for *path*."""
        if not self.prefix:
            return path
        return f"{self.prefix}.{path}" if path else self.prefix

    # -- raw access --------------------------------------------------------------------------

    def node(self, path: str) -> Optional[Node]:
        return find(self.root, split_path(path)) if path else self.root

    def has(self, path: str) -> bool:
        """go-ucfg HasField: the key exists, even with an empty or null value."""
        return self.node(path) is not None

    def location(self, path: str) -> Optional[str]:
        node = self.node(path)
        return node.location if node is not None else None

    def keys(self, path: str) -> List[str]:
        node = self.node(path)
        if node is None or not node.is_dict:
            return []
        return list(node.value)

    # -- resolution --------------------------------------------------------------------------

    def resolve(self, path: str) -> Tuple[Any, Optional[Node], Optional[Resolution]]:
        """
        (value, node, resolution) for *path*: *value* is a scalar, a container `Node`,
        `MISSING`, or an internal error marker (the finding is already recorded).
        """
        node = self.node(path)
        if node is None:
            return MISSING, None, None
        if node.template is None:
            return (node if node.is_container else node.value), node, None
        cached = self._cache.get(id(node))
        if cached is None:
            cached = self._evaluate(node)
            self._cache[id(node)] = cached
        outcome, resolution, error = cached
        if error is not None:
            self._record_unresolved(path, node, error)
            return ERROR, node, None
        assert resolution is not None
        for lookup in resolution.lookups:
            if lookup.source in ("env", "keystore"):
                users = self.used_names.setdefault(lookup.name, [])
                self.used_sources[lookup.name] = lookup.source
                if self.display(path) not in users:
                    users.append(self.display(path))
        return outcome, node, resolution

    def _evaluate(self, node: Node) -> Tuple[Any, Optional[Resolution], Optional[VariableError]]:
        ctx = self.resolver.context()
        try:
            resolution = ctx.whole(node.template)  # type: ignore[arg-type]
        except VariableError as err:
            return None, None, err
        except RecursionError:
            return None, None, VariableError("cyclic", [], "cyclic reference detected")
        return _as_outcome(resolution.value, node.location), resolution, None

    def _record_unresolved(self, path: str, node: Node, err: VariableError) -> None:
        path = self.display(path)
        key = (err.kind, err.names, err.text if err.kind in ("custom", "parse", "cyclic", "limit") else "")
        entry = self.unresolved.get(key)
        if entry is None:
            entry = self.unresolved[key] = _Unresolved(err.kind, err.names, err.text)
        if path not in entry.settings:
            entry.settings.append(path)
            if node.location:
                entry.locations.append(node.location)

    # -- typed getters -----------------------------------------------------------------------

    def string(self, path: str, default: str = "", *, secret: bool = False) -> str:
        """A string field; numbers and booleans are written back the way ucfg formats them."""
        value, node, resolution = self.resolve(path)
        if value is MISSING or value is ERROR or value is None:
            return default
        if isinstance(value, Node):
            self._wrong_type(path, node, value, "string")
            return default
        text = gotext.to_string(value)
        self._check_retyped(path, node, resolution, value, text, secret)
        if secret:
            self._register(path, text, node, resolution)
        return text

    def boolean(self, path: str, default: bool) -> bool:
        value, node, _ = self.resolve(path)
        if value is MISSING or value is ERROR or value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            parsed = gotext.go_parse_bool(value)
            if parsed is not None:
                return parsed
        self._wrong_type(path, node, value, "bool")
        return default

    def enabled(self, path: str) -> bool:
        """go-ucfg ``Enabled()``: a section is on unless its ``enabled`` is false."""
        return self.boolean(f"{path}.enabled", True)

    def is_section(self, path: str) -> bool:
        """The key exists and holds a mapping (or null, which unpacks as an empty section)."""
        node = self.node(path)
        if node is None:
            return False
        if node.template is not None:
            value, _, _ = self.resolve(path)
            return isinstance(value, Node) and value.is_dict
        return node.is_dict or node.value is None

    def string_list(self, path: str, *, secret: bool = False, keep_nulls: bool = False) -> Optional[List[Item]]:
        """
        A list of strings; a single scalar counts as a one-element list. None when the setting
        is absent; an empty list when it is present but empty. A nil element unpacks to "" (go-ucfg
        reify.go reifyPrimitive zero-initialises it and skips the validators): with *keep_nulls* it
        comes back as an `Item` with ``null`` set, else it is left out.
        """
        value, node, _ = self.resolve(path)
        if value is MISSING or value is ERROR:
            return None
        if value is None:
            return []
        if isinstance(value, Node) and value.is_dict:
            self._wrong_type(path, node, value, "list of strings")
            return []
        if not isinstance(value, Node):
            text = self.string(path, secret=secret)
            return [Item(text, self.display(path), node.location if node else None)]
        if len(value.value) > MAX_LIST_ITEMS:
            # Elements are read by path (``hosts.1025``), and go-ucfg's path syntax takes indexes
            # up to 1024 only: past it esprobe would read nothing, or something else. Never guess.
            setting = self.display(path)
            self.too_long.add(setting)
            self.report.add(
                "config-list-too-long",
                f"{setting} has {len(value.value)} entries; esprobe reads at most {MAX_LIST_ITEMS} entries "
                "of a list, so it cannot judge this config (and probes none of them).",
                setting=setting,
                location=node.location if node is not None else None,
                limit=MAX_LIST_ITEMS,
            )
            return None
        items: List[Item] = []
        for i, element in enumerate(value.value):
            sub = f"{path}.{i}"
            # Elements produced by a variable are not reachable by path; read them directly.
            if node is not None and node.template is not None:
                text = self._element_string(sub, element, secret)
            else:
                if id(self.node(sub)) != id(element):  # never read another value than this element
                    continue
                text = self.string(sub, secret=secret)
                if self._is_null(sub):
                    if keep_nulls:
                        items.append(Item("", self.display(sub), element.location, null=True))
                    continue
            items.append(Item(text, self.display(sub), element.location, null=element.value is None))
        return items

    def _element_string(self, path: str, element: Node, secret: bool) -> str:
        if element.is_container:
            self._wrong_type(path, element, element, "string")
            return ""
        if element.template is not None:
            ctx = self.resolver.context()
            try:
                resolution = ctx.whole(element.template)
            except VariableError as err:
                self._record_unresolved(path, element, err)
                return ""
            outcome = _as_outcome(resolution.value, element.location)
            if isinstance(outcome, Node):
                self._wrong_type(path, element, outcome, "string")
                return ""
            text = gotext.to_string(outcome) if outcome is not None else ""
            if secret:
                self._register(path, text, element, resolution)
            return text
        text = gotext.to_string(element.value) if element.value is not None else ""
        if secret:
            self._register(path, text, element, None)
        return text

    def _is_null(self, path: str) -> bool:
        value, _, _ = self.resolve(path)
        return value is None

    def string_map(self, path: str, *, secret: bool = False) -> List[Tuple[str, str]]:
        """A map of strings (headers, parameters); a nested mapping is a type error."""
        value, node, _ = self.resolve(path)
        if value is MISSING or value is ERROR or value is None:
            return []
        if not isinstance(value, Node) or not value.is_dict:
            self._wrong_type(path, node, value, "mapping of strings")
            return []
        pairs: List[Tuple[str, str]] = []
        for key in value.value:
            sub = f"{path}.{key}"
            if node is not None and node.template is not None:
                text = self._element_string(sub, value.value[key], secret)
            else:
                text = self.string(sub, secret=secret)
            pairs.append((key, text))
        return pairs

    # -- findings ------------------------------------------------------------------------------

    def _wrong_type(self, path: str, node: Optional[Node], value: Any, expected: str) -> None:
        path = self.display(path)
        got = "object" if isinstance(value, Node) else gotext.type_name(value)
        go_type = {"string": "string", "bool": "bool", "int": "int"}.get(expected, expected)
        self.report.add(
            "config-wrong-type",
            f"{path} holds a{'n' if got[0] in 'aeiou' else ''} {got} where the Beat expects "
            f"a {expected}; the Beat refuses to start: can not convert '{got}' into '{go_type}' "
            f"accessing '{path}'.",
            setting=path,
            location=node.location if node is not None else None,
            expected=expected,
        )

    def _check_retyped(
        self,
        path: str,
        node: Optional[Node],
        resolution: Optional[Resolution],
        value: Any,
        text: str,
        secret: bool,
    ) -> None:
        if node is None:
            return
        path = self.display(path)
        written: Optional[str] = None
        origin = ""
        if resolution is not None and resolution.text is not None:
            written = resolution.text
            names = [lk.name for lk in resolution.lookups if lk.source in ("env", "keystore")]
            sources = sorted({lk.source for lk in resolution.lookups if lk.source in ("env", "keystore")})
            where = " and ".join("the environment" if s == "env" else "the keystore" for s in sources)
            origin = f"the value of {', '.join(names)} from {where}" if names else "the expanded value"
        elif resolution is None and node.raw is not None:
            written = node.raw
            origin = "the value as written"
        if written is None or written == text:
            return
        if "$$" in written and written.replace("$$", "$") == text:
            why = "'$$' is the escape for a single '$'"
        elif isinstance(value, bool):
            why = "it is read as a boolean"
        elif isinstance(value, (int, float)):
            why = "it is read as a number (a leading 0 means octal, 0x hex, e/E an exponent)"
        elif written.strip() == text:
            why = "surrounding spaces are trimmed"
        else:
            why = "it is re-parsed (quotes removed, escapes applied)"
        detail = "" if secret else f" ('{written}' becomes '{text}')"
        self.report.add(
            "config-value-retyped",
            f"{path}: {origin} is changed before the Beat uses it because {why}{detail}.",
            setting=path,
            location=node.location,
        )

    def _register(self, path: str, text: str, node: Optional[Node], resolution: Optional[Resolution]) -> None:
        path = self.display(path)
        self.redactor.add(text, path)
        if node is not None and node.raw is not None:
            self.redactor.add(node.raw, path)
        if resolution is not None:
            if resolution.text is not None:
                self.redactor.add(resolution.text, path)
            for lookup in resolution.lookups:
                if lookup.value is not None:
                    self.redactor.add(lookup.value, path)


def _as_outcome(value: Any, location: Optional[str]) -> Any:
    """Turn a resolved value into what getters work with: scalars, or container nodes."""
    if isinstance(value, Node):
        return value
    if isinstance(value, (dict, list)):
        # go-ucfg normalises parsed arrays/objects again, so their strings are expanded too.
        return from_plain(value, location)
    return value
