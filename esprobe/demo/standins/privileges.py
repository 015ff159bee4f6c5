"""
The stand-in Elasticsearch's privilege model: roles, the built-in roles, and what grants what.

Elasticsearch defines every named privilege as a set of action-name patterns and decides
"does A imply B" by automaton inclusion. We do the same on a small, fixed universe of
representative action names: each named privilege is the set of universe actions its patterns
match, implication is set inclusion, and "this action is granted by the ... privileges [...]"
lists the privileges containing the action, narrowest first (which reproduces Elasticsearch's
``[monitor,manage,all]`` ordering). Index names and patterns are compared as glob languages,
so a role on ``metricbeat-*`` covers a request for ``metricbeat-*`` and ``*`` covers every
index except the restricted (system) ones.

Approximations (the reference is silent, or Elasticsearch's real sets are far larger):
the action universe is a representative sample; built-in roles carry the privileges that matter
for Beats and Kibana connectivity, not their complete definitions (``editor``/``viewer`` index
access is simplified to ``*``); application privileges are Kibana's registered privileges
(``all``, ``read``, ``space_*``, ``feature_<id>.<all|read>``) as action patterns over a sample of
Kibana's actions (``login:``, ``app:<feature>``, ``saved_object:<type>/<operation>``), checked like
Elasticsearch checks them: a request names privileges or actions, and each of its actions must be
granted on the resource by the roles' privileges; restricted indices are ``.security*`` and
``.async-search*``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

# --- action universes ------------------------------------------------------------------------

_SECURITY = "cluster:admin/xpack/security/"

CLUSTER_ACTIONS: Tuple[str, ...] = (
    "cluster:monitor/main",
    "cluster:monitor/health",
    "cluster:monitor/state",
    "cluster:monitor/nodes/info",
    "cluster:monitor/nodes/stats",
    "cluster:monitor/task",
    "cluster:monitor/xpack/info",
    "cluster:monitor/xpack/usage",
    "cluster:monitor/xpack/license/get",
    "cluster:monitor/xpack/ml/info/get",
    "cluster:monitor/xpack/ml/job/get",
    "cluster:monitor/xpack/watcher/watch/get",
    "cluster:admin/ilm/get",
    "cluster:admin/ilm/operation_mode/get",
    "cluster:admin/ilm/put",
    "cluster:admin/ilm/delete",
    "cluster:admin/ingest/pipeline/get",
    "cluster:admin/ingest/pipeline/put",
    "cluster:admin/ingest/pipeline/delete",
    "cluster:admin/xpack/ml/job/put",
    "cluster:admin/xpack/monitoring/bulk",
    "cluster:admin/xpack/watcher/watch/put",
    "cluster:admin/settings/update",
    "cluster:admin/snapshot/create",
    "cluster:admin/reroute",
    "indices:admin/template/get",
    "indices:admin/template/put",
    "indices:admin/index_template/get",
    "indices:admin/index_template/put",
    _SECURITY + "api_key/create",
    _SECURITY + "api_key/grant",
    _SECURITY + "api_key/get",
    _SECURITY + "api_key/get#own",
    _SECURITY + "api_key/invalidate",
    _SECURITY + "api_key/invalidate#own",
    _SECURITY + "user/get",
    _SECURITY + "user/put",
    _SECURITY + "role/get",
    _SECURITY + "role/put",
    _SECURITY + "role_mapping/get",
    _SECURITY + "privilege/get",
    _SECURITY + "token/create",
    _SECURITY + "token/invalidate",
    _SECURITY + "delegate_pki",
    _SECURITY + "saml/authenticate",
)

INDEX_ACTIONS: Tuple[str, ...] = (
    "indices:data/read/search",
    "indices:data/read/get",
    "indices:data/read/field_caps",
    "indices:data/write/bulk",
    "indices:data/write/bulk[s]",
    "indices:data/write/index",
    "indices:data/write/index:op_type/create",
    "indices:data/write/update",
    "indices:data/write/delete",
    "indices:admin/create",
    "indices:admin/auto_create",
    "indices:admin/delete",
    "indices:admin/get",
    "indices:admin/mappings/get",
    "indices:admin/mapping/put",
    "indices:admin/mapping/auto_put",
    "indices:admin/aliases",
    "indices:admin/aliases/get",
    "indices:admin/rollover",
    "indices:admin/refresh",
    "indices:admin/flush",
    "indices:admin/forcemerge",
    "indices:admin/settings/update",
    "indices:admin/resolve/index",
    "indices:admin/shards/search_shards",
    "indices:admin/data_stream/get",
    "indices:admin/data_stream/create",
    "indices:admin/data_stream/delete",
    "indices:admin/ilm/explain",
    "indices:admin/ilm/put",
    "indices:monitor/stats",
    "indices:monitor/settings/get",
    "indices:monitor/recovery",
    "indices:monitor/segments",
)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Elasticsearch patterns know ``*`` (any run) and ``?`` (one character); nothing else."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    return _glob_regex(pattern).fullmatch(text) is not None


def _select(
    universe: Sequence[str], include: Iterable[str], exclude: Iterable[str] = ()
) -> FrozenSet[str]:
    inc = [_glob_regex(p) for p in include]
    exc = [_glob_regex(p) for p in exclude]
    return frozenset(
        action
        for action in universe
        if any(r.fullmatch(action) for r in inc) and not any(r.fullmatch(action) for r in exc)
    )


def _cluster(*include: str, exclude: Sequence[str] = ()) -> FrozenSet[str]:
    return _select(CLUSTER_ACTIONS, include, exclude)


def _index(*include: str, exclude: Sequence[str] = ()) -> FrozenSet[str]:
    return _select(INDEX_ACTIONS, include, exclude)


_TEMPLATES = ("indices:admin/template/*", "indices:admin/index_template/*")

CLUSTER_PRIVILEGES: Mapping[str, FrozenSet[str]] = {
    "none": frozenset(),
    "all": _cluster("cluster:*", *_TEMPLATES),
    # manage is everything on the cluster except security administration (API keys included).
    "manage": _cluster("cluster:*", *_TEMPLATES, exclude=(_SECURITY + "*",)),
    "monitor": _cluster("cluster:monitor/*"),
    "monitor_ml": _cluster("cluster:monitor/xpack/ml/*"),
    "monitor_watcher": _cluster("cluster:monitor/xpack/watcher/*"),
    "manage_ilm": _cluster("cluster:admin/ilm/*"),
    "read_ilm": _cluster("cluster:admin/ilm/get", "cluster:admin/ilm/operation_mode/get"),
    "manage_pipeline": _cluster("cluster:admin/ingest/pipeline/*"),
    "manage_ingest_pipelines": _cluster("cluster:admin/ingest/pipeline/*"),
    "read_pipeline": _cluster("cluster:admin/ingest/pipeline/get"),
    "manage_index_templates": _cluster(*_TEMPLATES),
    "manage_ml": _cluster("cluster:admin/xpack/ml/*", "cluster:monitor/xpack/ml/*"),
    "manage_watcher": _cluster("cluster:admin/xpack/watcher/*", "cluster:monitor/xpack/watcher/*"),
    "create_snapshot": _cluster("cluster:admin/snapshot/create"),
    "manage_own_api_key": _cluster(
        _SECURITY + "api_key/create",
        _SECURITY + "api_key/get#own",
        _SECURITY + "api_key/invalidate#own",
    ),
    "manage_api_key": _cluster(_SECURITY + "api_key/*"),
    "grant_api_key": _cluster(_SECURITY + "api_key/grant"),
    "read_security": _cluster(_SECURITY + "*/get", _SECURITY + "api_key/get*"),
    "manage_security": _cluster(_SECURITY + "*"),
    "manage_token": _cluster(_SECURITY + "token/*"),
    "manage_saml": _cluster(_SECURITY + "saml/*"),
    "delegate_pki": _cluster(_SECURITY + "delegate_pki"),
}

_CREATE_DOC = (
    "indices:data/write/bulk*",
    "indices:data/write/index:op_type/create",
    "indices:admin/mapping/auto_put",
)

INDEX_PRIVILEGES: Mapping[str, FrozenSet[str]] = {
    "none": frozenset(),
    "all": _index("indices:*"),
    "manage": _index("indices:admin/*", "indices:monitor/*", "indices:data/read/field_caps"),
    "monitor": _index("indices:monitor/*"),
    "maintenance": _index(
        "indices:admin/refresh*", "indices:admin/flush*", "indices:admin/forcemerge*"
    ),
    "create_index": _index(
        "indices:admin/create", "indices:admin/auto_create", "indices:admin/data_stream/create"
    ),
    "auto_configure": _index("indices:admin/auto_create", "indices:admin/mapping/auto_put"),
    "delete_index": _index("indices:admin/delete", "indices:admin/data_stream/delete"),
    "view_index_metadata": _index(
        "indices:admin/aliases/get",
        "indices:admin/get",
        "indices:admin/mappings/get",
        "indices:monitor/settings/get",
        "indices:admin/data_stream/get",
        "indices:admin/ilm/explain",
        "indices:admin/resolve/index",
        "indices:data/read/field_caps",
    ),
    "manage_ilm": _index("indices:admin/ilm/*"),
    "read": _index("indices:data/read/*", "indices:admin/resolve/index"),
    "read_cross_cluster": _index("indices:admin/shards/search_shards"),
    "create_doc": _index(*_CREATE_DOC),
    "create": _index(*_CREATE_DOC, "indices:admin/mapping/put"),
    "index": _index(
        *_CREATE_DOC,
        "indices:admin/mapping/put",
        "indices:data/write/index",
        "indices:data/write/update",
    ),
    "delete": _index("indices:data/write/delete", "indices:data/write/bulk*"),
    "write": _index(
        "indices:data/write/*", "indices:admin/mapping/put", "indices:admin/mapping/auto_put"
    ),
}

RESTRICTED_INDEX_PATTERNS: Tuple[str, ...] = (".security*", ".async-search*")


def _is_action_pattern(name: str) -> bool:
    return ":" in name or "/" in name


def is_cluster_privilege(name: str) -> bool:
    """A predefined cluster privilege name, or a pattern over cluster actions."""
    return name in CLUSTER_PRIVILEGES or (
        _is_action_pattern(name) and name.startswith(("cluster:", "indices:admin/"))
    )


def is_index_privilege(name: str) -> bool:
    return name in INDEX_PRIVILEGES or (
        _is_action_pattern(name) and name.startswith(("indices:", "internal:"))
    )


def _by_breadth(names: Iterable[str], table: Mapping[str, FrozenSet[str]]) -> List[str]:
    return sorted(names, key=lambda n: (len(table[n]), n))


def cluster_privileges_granting(action: str) -> List[str]:
    """Named cluster privileges that contain *action*, narrowest first (``[monitor,manage,all]``)."""
    return _by_breadth(
        (n for n, acts in CLUSTER_PRIVILEGES.items() if action in acts), CLUSTER_PRIVILEGES
    )


def index_privileges_granting(action: str) -> List[str]:
    return _by_breadth(
        (n for n, acts in INDEX_PRIVILEGES.items() if action in acts), INDEX_PRIVILEGES
    )


def _actions_of(
    name: str, table: Mapping[str, FrozenSet[str]], universe: Sequence[str]
) -> FrozenSet[str]:
    """What requesting *name* asks for: a named privilege's actions, or the actions a raw pattern names."""
    if name in table:
        return table[name]
    matched = _select(universe, (name,))
    if "*" in name or "?" in name:
        return matched
    return matched | {name}


class _Held:
    """A union of held privileges (names and raw action patterns) that answers "is this action in it"."""

    def __init__(self, names: Iterable[str], table: Mapping[str, FrozenSet[str]]) -> None:
        actions: set = set()
        patterns = []
        for name in names:
            if name in table:
                actions |= table[name]
            elif _is_action_pattern(name):
                patterns.append(_glob_regex(name))
        self._actions = frozenset(actions)
        self._patterns = tuple(patterns)

    def allows(self, action: str) -> bool:
        return action in self._actions or any(p.fullmatch(action) for p in self._patterns)

    def implies(self, requested: FrozenSet[str]) -> bool:
        return bool(requested) and all(self.allows(a) for a in requested)


# --- glob-language inclusion ----------------------------------------------------------------

_OTHER = "\U0010fffe"  # stands for every character that no pattern mentions


class _Glob:
    def __init__(self, pattern: str) -> None:
        self.tokens = pattern

    def closure(self, positions: Iterable[int]) -> FrozenSet[int]:
        out = set()
        stack = list(positions)
        while stack:
            pos = stack.pop()
            if pos in out:
                continue
            out.add(pos)
            if pos < len(self.tokens) and self.tokens[pos] == "*":
                stack.append(pos + 1)
        return frozenset(out)

    def step(self, positions: FrozenSet[int], char: str) -> FrozenSet[int]:
        nxt = set()
        for pos in positions:
            if pos >= len(self.tokens):
                continue
            token = self.tokens[pos]
            if token == "*":
                nxt.add(pos)
            elif token == "?" or token == char:
                nxt.add(pos + 1)
        return self.closure(nxt)

    def accepts(self, positions: FrozenSet[int]) -> bool:
        return len(self.tokens) in positions


class _GlobSet:
    """A union of glob patterns run as one NFA (state = per-pattern position sets)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.globs = tuple(_Glob(p) for p in patterns)

    def start(self) -> Tuple[FrozenSet[int], ...]:
        return tuple(g.closure([0]) for g in self.globs)

    def step(self, state: Tuple[FrozenSet[int], ...], char: str) -> Tuple[FrozenSet[int], ...]:
        return tuple(g.step(s, char) for g, s in zip(self.globs, state))

    def accepts(self, state: Tuple[FrozenSet[int], ...]) -> bool:
        return any(g.accepts(s) for g, s in zip(self.globs, state))

    def alive(self, state: Tuple[FrozenSet[int], ...]) -> bool:
        return any(state)


def names_covered(
    requested: str,
    granted: Iterable[str],
    granted_restricted: Iterable[str] = (),
    *,
    include_restricted: bool = False,
) -> bool:
    """
    Whether every index name matched by *requested* is granted.

    Remembered per question: the same roles are asked about the same patterns over and over (every
    target of a benchmark run, every `_has_privileges` of a Beat's check), and the automaton walk is
    the stand-in's costliest step (a third of its CPU under `benchmarks/run_all.py scale`).
    """
    return _names_covered(requested, tuple(granted), tuple(granted_restricted), include_restricted)


@functools.lru_cache(maxsize=4096)
def _names_covered(
    requested: str, granted: Tuple[str, ...], granted_restricted: Tuple[str, ...], include_restricted: bool
) -> bool:
    """
    `names_covered`, worked out.

    *granted* are patterns from role entries without ``allow_restricted_indices`` (they never
    reach restricted indices), *granted_restricted* those with it. Unless *include_restricted*
    (the request's ``allow_restricted_indices``), restricted names are left out of the request;
    a concrete restricted name (``.security-7``) is always checked as it is, as Elasticsearch does.
    """
    if not include_restricted and "*" not in requested and "?" not in requested:
        include_restricted = any(glob_match(p, requested) for p in RESTRICTED_INDEX_PATTERNS)
    want = _GlobSet([requested])
    normal = _GlobSet(granted)
    special = _GlobSet(granted_restricted)
    restricted = _GlobSet(RESTRICTED_INDEX_PATTERNS)
    alphabet = set(requested)
    for pattern in list(granted) + list(granted_restricted) + list(RESTRICTED_INDEX_PATTERNS):
        alphabet |= set(pattern)
    alphabet -= {"*", "?"}
    alphabet.add(_OTHER)

    start = (want.start(), normal.start(), special.start(), restricted.start())
    seen = {start}
    queue = [start]
    while queue:
        state = queue.pop()
        w, n, s, r = state
        is_restricted = restricted.accepts(r)
        if want.accepts(w) and (include_restricted or not is_restricted):
            ok = special.accepts(s) or (normal.accepts(n) and not is_restricted)
            if not ok:
                return False
        for char in alphabet:
            nw = want.step(w, char)
            if not want.alive(nw):
                continue
            nxt = (nw, normal.step(n, char), special.step(s, char), restricted.step(r, char))
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return True


# --- roles -----------------------------------------------------------------------------------


def _strings(value: Any, what: str) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"[{what}] must be a string or an array of strings")


@dataclass(frozen=True)
class IndexGrant:
    """One ``indices`` entry of a role."""

    names: Tuple[str, ...]
    privileges: Tuple[str, ...]
    allow_restricted_indices: bool = False

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> IndexGrant:
        if not isinstance(body, Mapping):
            raise ValueError("an [indices] entry must be an object")
        names = _strings(body.get("names"), "names")
        privileges = _strings(body.get("privileges"), "privileges")
        if not names:
            raise ValueError("an [indices] entry needs [names]")
        if not privileges:
            raise ValueError("an [indices] entry needs [privileges]")
        unknown = [p for p in privileges if not is_index_privilege(p)]
        if unknown:
            raise ValueError(unknown_index_privilege_message(unknown[0]))
        return cls(names, privileges, bool(body.get("allow_restricted_indices", False)))


@dataclass(frozen=True)
class ApplicationGrant:
    """One ``applications`` entry of a role."""

    application: str
    privileges: Tuple[str, ...]
    resources: Tuple[str, ...]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ApplicationGrant:
        if not isinstance(body, Mapping) or not isinstance(body.get("application"), str):
            raise ValueError("an [applications] entry needs [application]")
        return cls(
            body["application"],
            _strings(body.get("privileges"), "privileges"),
            _strings(body.get("resources"), "resources"),
        )


@dataclass(frozen=True)
class RoleDescriptor:
    """A role as Elasticsearch stores it (field and document level security are not modelled)."""

    name: str
    cluster: Tuple[str, ...] = ()
    indices: Tuple[IndexGrant, ...] = ()
    applications: Tuple[ApplicationGrant, ...] = ()
    run_as: Tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, name: str, body: Mapping[str, Any]) -> RoleDescriptor:
        """
        Parse a role body (the JSON of ``PUT /_security/role/<name>`` or of an API key's
        ``role_descriptors`` entry). Raises ValueError with an Elasticsearch-like reason.
        """
        if not isinstance(body, Mapping):
            raise ValueError(f"failed to parse role [{name}]. expected an object")
        cluster = _strings(body.get("cluster"), "cluster")
        unknown = [p for p in cluster if not is_cluster_privilege(p)]
        if unknown:
            raise ValueError(unknown_cluster_privilege_message(unknown[0]))
        indices = tuple(
            g if isinstance(g, IndexGrant) else IndexGrant.from_json(g)
            for g in body.get("indices") or ()
        )
        applications = tuple(
            a if isinstance(a, ApplicationGrant) else ApplicationGrant.from_json(a)
            for a in body.get("applications") or ()
        )
        metadata = body.get("metadata") or {}
        return cls(
            name,
            cluster,
            indices,
            applications,
            _strings(body.get("run_as"), "run_as"),
            dict(metadata),
        )

    def to_json(self) -> Dict[str, Any]:
        return {
            "cluster": list(self.cluster),
            "indices": [
                {
                    "names": list(g.names),
                    "privileges": list(g.privileges),
                    "allow_restricted_indices": g.allow_restricted_indices,
                }
                for g in self.indices
            ],
            "applications": [
                {
                    "application": a.application,
                    "privileges": list(a.privileges),
                    "resources": list(a.resources),
                }
                for a in self.applications
            ],
            "run_as": list(self.run_as),
            "metadata": dict(self.metadata),
        }


def unknown_cluster_privilege_message(name: str) -> str:
    return (
        f"unknown cluster privilege [{name}]. a privilege must be either one of the predefined cluster "
        f"privilege names [{','.join(sorted(CLUSTER_PRIVILEGES))}] or a pattern over one of the available "
        "cluster actions"
    )


def unknown_index_privilege_message(name: str) -> str:
    return (
        f"unknown index privilege [{name}]. a privilege must be either one of the predefined fixed indices "
        f"privileges [{','.join(sorted(INDEX_PRIVILEGES))}] or a pattern over one of the available index actions"
    )


# --- effective permissions ---------------------------------------------------------------------


class Permission:
    """What a set of roles allows, taken together (the union of the roles)."""

    def __init__(self, roles: Iterable[RoleDescriptor]) -> None:
        self.roles = tuple(roles)
        self._cluster = _Held((p for r in self.roles for p in r.cluster), CLUSTER_PRIVILEGES)

    def cluster_action(self, action: str) -> bool:
        return self._cluster.allows(action)

    def cluster(self, privilege: str) -> bool:
        """Whether the roles imply the cluster *privilege* (a name or an action pattern)."""
        return self._cluster.implies(_actions_of(privilege, CLUSTER_PRIVILEGES, CLUSTER_ACTIONS))

    def index(self, name: str, privilege: str, allow_restricted_indices: bool = False) -> bool:
        """Whether *privilege* is held on every index *name* (a name or a pattern) matches."""
        requested = _actions_of(privilege, INDEX_PRIVILEGES, INDEX_ACTIONS)
        if not requested:
            return privilege == "none"
        for action in requested:
            normal: List[str] = []
            special: List[str] = []
            for role in self.roles:
                for grant in role.indices:
                    if _Held(grant.privileges, INDEX_PRIVILEGES).allows(action):
                        (special if grant.allow_restricted_indices else normal).extend(grant.names)
            if not names_covered(
                name, normal, special, include_restricted=allow_restricted_indices
            ):
                return False
        return True

    def application(self, application: str, resource: str, privilege: str) -> bool:
        """
        Whether *privilege* (a registered privilege name or an action) is held on *resource*: every
        action it stands for is granted, on a resource set covering *resource*, by some role.
        """
        wanted = app_actions(application, privilege)
        if not wanted:
            return False
        for action in wanted:
            resources: List[str] = []
            for role in self.roles:
                for grant in role.applications:
                    if glob_match(grant.application, application) and _app_grants(grant, application, action):
                        resources.extend(grant.resources)
            if not (resources and names_covered(resource, [], resources, include_restricted=True)):
                return False
        return True


def _app_grants(grant: "ApplicationGrant", application: str, action: str) -> bool:
    """Whether one role's application entry grants *action* (its privilege names resolved to actions)."""
    for name in grant.privileges:
        if name == "*" or (_is_action(name) and glob_match(name, action)):
            return True
        for registered in _registered_names(application, name):
            if any(glob_match(pattern, action) for pattern in _registered(application)[registered]):
                return True
    return False


# --- Kibana's registered application privileges ---------------------------------------------

SAVED_OBJECT_TYPES: Tuple[str, ...] = (
    "dashboard", "visualization", "search", "index-pattern", "lens", "map", "tag", "query", "config",
)
SAVED_OBJECT_READS: Tuple[str, ...] = ("get", "bulk_get", "find", "resolve", "bulk_resolve", "open_point_in_time")
SAVED_OBJECT_WRITES: Tuple[str, ...] = ("create", "bulk_create", "update", "bulk_update", "delete", "bulk_delete",
                                        "share_to_space")


def _saved_objects(types: Iterable[str], operations: Iterable[str]) -> List[str]:
    return [f"saved_object:{t}/{op}" for t in types for op in operations]


def _feature(feature: str, writes: Sequence[str], reads: Sequence[str]) -> Dict[str, Tuple[str, ...]]:
    """``feature_<id>.all`` writes its own types and reads what it shows; ``.read`` only reads them."""
    base = ["login:", f"app:{feature}", f"ui:{feature}/show"]
    every = _saved_objects(writes, SAVED_OBJECT_READS + SAVED_OBJECT_WRITES) + _saved_objects(reads, SAVED_OBJECT_READS)
    return {
        f"feature_{feature}.all": tuple(base + every + [f"ui:{feature}/save"]),
        f"feature_{feature}.read": tuple(base + _saved_objects([*writes, *reads], SAVED_OBJECT_READS)),
    }


_KIBANA_PRIVILEGES: Dict[str, Tuple[str, ...]] = {
    "all": ("login:", "app:*", "ui:*", "api:*", "saved_object:*"),
    "space_all": ("login:", "app:*", "ui:*", "api:*", "saved_object:*"),
    "read": ("login:", "app:*", "ui:*/show", *_saved_objects(["*"], SAVED_OBJECT_READS)),
    "space_read": ("login:", "app:*", "ui:*/show", *_saved_objects(["*"], SAVED_OBJECT_READS)),
    **_feature("dashboard", ["dashboard", "tag"], ["index-pattern", "search", "visualization", "lens", "map"]),
    **_feature("visualize", ["visualization", "lens", "tag"], ["index-pattern", "search", "dashboard"]),
    **_feature("discover", ["search", "query"], ["index-pattern"]),
    **_feature("indexPatterns", ["index-pattern"], []),
    **_feature("maps", ["map"], ["index-pattern", "tag"]),
    **_feature("savedObjectsManagement", list(SAVED_OBJECT_TYPES), []),
    **_feature("advancedSettings", ["config"], []),
    "reserved_monitoring": ("login:", "app:monitoring", "ui:monitoring/show"),
}


def _registered(application: str) -> Mapping[str, Tuple[str, ...]]:
    return _KIBANA_PRIVILEGES if glob_match("kibana-*", application) else {}


def _registered_names(application: str, name: str) -> List[str]:
    """The registered privileges a role's (possibly wildcard) privilege name refers to."""
    return [registered for registered in _registered(application) if glob_match(name, registered)]


def _is_action(name: str) -> bool:
    """Application actions contain ``:`` or ``/`` (``login:``, ``saved_object:dashboard/get``); names do not."""
    return ":" in name or "/" in name


def _kibana_action_universe() -> Tuple[str, ...]:
    features = {name.split(".")[0][len("feature_"):] for name in _KIBANA_PRIVILEGES if name.startswith("feature_")}
    actions = ["login:", *(f"app:{f}" for f in sorted(features)), "app:monitoring"]
    actions += [f"ui:{f}/{what}" for f in sorted(features) for what in ("show", "save")]
    actions += _saved_objects(SAVED_OBJECT_TYPES, SAVED_OBJECT_READS + SAVED_OBJECT_WRITES)
    return tuple(actions)


_KIBANA_ACTIONS = _kibana_action_universe()


def app_actions(application: str, privilege: str) -> Tuple[str, ...]:
    """What asking for *privilege* asks: an action as it is, or a registered name's actions (from the sample)."""
    if _is_action(privilege):
        return (privilege,)
    patterns = _registered(application).get(privilege)
    if patterns is None:
        return ()  # an unknown name is held by no role
    return tuple(a for a in _KIBANA_ACTIONS if any(glob_match(p, a) for p in patterns))


class LimitedPermission(Permission):
    """An API key's permission: what its own role descriptors allow *and* its owner's roles allow."""

    def __init__(self, own: Optional[Permission], limited_by: Permission) -> None:
        super().__init__(limited_by.roles)
        self.own = own
        self.limited_by = limited_by

    def cluster_action(self, action: str) -> bool:
        return self.limited_by.cluster_action(action) and (
            self.own is None or self.own.cluster_action(action)
        )

    def cluster(self, privilege: str) -> bool:
        return self.limited_by.cluster(privilege) and (
            self.own is None or self.own.cluster(privilege)
        )

    def index(self, name: str, privilege: str, allow_restricted_indices: bool = False) -> bool:
        return self.limited_by.index(name, privilege, allow_restricted_indices) and (
            self.own is None or self.own.index(name, privilege, allow_restricted_indices)
        )

    def application(self, application: str, resource: str, privilege: str) -> bool:
        return self.limited_by.application(application, resource, privilege) and (
            self.own is None or self.own.application(application, resource, privilege)
        )


# --- built-in roles --------------------------------------------------------------------------

_KIBANA_APP = "kibana-.kibana"

_BUILTIN_ROLE_BODIES: Mapping[str, Mapping[str, Any]] = {
    "superuser": {
        "cluster": ["all"],
        "indices": [{"names": ["*"], "privileges": ["all"], "allow_restricted_indices": True}],
        "applications": [{"application": "*", "privileges": ["*"], "resources": ["*"]}],
        "run_as": ["*"],
    },
    "beats_system": {
        "cluster": ["monitor", "cluster:admin/xpack/monitoring/bulk"],
        "indices": [
            {"names": [".monitoring-beats-*"], "privileges": ["create_index", "create_doc"]}
        ],
    },
    "beats_admin": {
        "indices": [{"names": [".management-beats"], "privileges": ["all"]}],
    },
    "kibana_system": {
        "cluster": [
            "monitor",
            "manage_index_templates",
            "cluster:admin/xpack/monitoring/bulk",
            "manage_saml",
            "manage_token",
            "manage_pipeline",
            "manage_ilm",
            "manage_own_api_key",
            "grant_api_key",
            "delegate_pki",
            "monitor_ml",
        ],
        "indices": [
            {
                "names": [".kibana*", ".reporting-*"],
                "privileges": ["all"],
                "allow_restricted_indices": True,
            },
            {"names": [".monitoring-*"], "privileges": ["read", "read_cross_cluster"]},
            {"names": [".management-beats"], "privileges": ["create_index", "read", "write"]},
            {
                "names": ["metrics-*", "logs-*", "traces-*"],
                "privileges": ["read", "view_index_metadata"],
            },
        ],
    },
    "kibana_admin": {
        "applications": [{"application": _KIBANA_APP, "privileges": ["all"], "resources": ["*"]}],
    },
    "ingest_admin": {
        "cluster": ["manage_index_templates", "manage_pipeline"],
    },
    "monitoring_user": {
        "cluster": ["cluster:monitor/main", "cluster:monitor/xpack/info"],
        "indices": [
            {
                "names": [".monitoring-*", "metricbeat-*", "metrics-*"],
                "privileges": ["read", "read_cross_cluster"],
            },
        ],
        "applications": [
            {"application": _KIBANA_APP, "privileges": ["reserved_monitoring"], "resources": ["*"]},
        ],
    },
    "remote_monitoring_agent": {
        "cluster": [
            "manage_index_templates",
            "manage_ingest_pipelines",
            "monitor",
            "manage_ilm",
            "cluster:monitor/xpack/watcher/watch/get",
            "cluster:admin/xpack/watcher/watch/put",
        ],
        "indices": [
            {"names": [".monitoring-*"], "privileges": ["all"]},
            {
                "names": ["metricbeat-*"],
                "privileges": [
                    "index",
                    "create_index",
                    "view_index_metadata",
                    "indices:admin/aliases",
                    "indices:admin/rollover",
                ],
            },
        ],
    },
    "remote_monitoring_collector": {
        "cluster": ["monitor"],
        "indices": [
            {"names": ["*"], "privileges": ["monitor"], "allow_restricted_indices": True},
            {"names": [".kibana*"], "privileges": ["read"]},
        ],
    },
    "editor": {
        "indices": [{"names": ["*"], "privileges": ["read", "view_index_metadata"]}],
        "applications": [
            {"application": _KIBANA_APP, "privileges": ["feature_*.all"], "resources": ["*"]},
        ],
    },
    "viewer": {
        "indices": [{"names": ["*"], "privileges": ["read", "view_index_metadata"]}],
        "applications": [
            {"application": _KIBANA_APP, "privileges": ["feature_*.read"], "resources": ["*"]},
        ],
    },
    "logstash_system": {
        "cluster": ["monitor", "cluster:admin/xpack/monitoring/bulk"],
    },
    "apm_system": {
        "cluster": ["monitor", "cluster:admin/xpack/monitoring/bulk"],
    },
}

BUILTIN_ROLES: Mapping[str, RoleDescriptor] = {
    name: RoleDescriptor.from_json(name, dict(body, metadata={"_reserved": True}))
    for name, body in _BUILTIN_ROLE_BODIES.items()
}
