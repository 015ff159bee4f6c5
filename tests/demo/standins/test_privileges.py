"""The stand-in's privilege model: implication, index-pattern coverage, built-in roles, API key limits."""

from __future__ import annotations

import pytest

from esprobe.demo.standins.privileges import (
    BUILTIN_ROLES,
    LimitedPermission,
    Permission,
    RoleDescriptor,
    cluster_privileges_granting,
    index_privileges_granting,
    names_covered,
)


def _role(**body: object) -> Permission:
    return Permission([RoleDescriptor.from_json("r", body)])


CLUSTER_IMPLICATION = [
    (["all"], "manage", True),
    (["all"], "manage_own_api_key", True),
    (["manage"], "monitor", True),
    (["manage"], "manage_ilm", True),
    (["manage"], "manage_index_templates", True),
    (["manage"], "manage_own_api_key", False),  # security administration is outside manage
    (["monitor"], "manage", False),
    (["monitor"], "read_ilm", False),
    (["manage_ilm"], "read_ilm", True),
    (["read_ilm"], "manage_ilm", False),
    (["manage_pipeline"], "read_pipeline", True),
    (["manage_api_key"], "manage_own_api_key", True),
    (["manage_own_api_key"], "manage_api_key", False),
    (["manage_security"], "manage_api_key", True),
    (["monitor"], "cluster:monitor/main", True),
    (["cluster:monitor/main"], "monitor", False),
    (["cluster:monitor/*"], "monitor", True),
    (["cluster:admin/xpack/monitoring/bulk"], "cluster:admin/xpack/monitoring/bulk", True),
    ([], "monitor", False),
]


@pytest.mark.parametrize(("held", "wanted", "expected"), CLUSTER_IMPLICATION)
def test_cluster_privilege_implication(held: list, wanted: str, expected: bool) -> None:
    """A broader cluster privilege implies the narrower ones it contains, and not the reverse."""
    assert expected == _role(cluster=held).cluster(wanted)


INDEX_CASES = [
    # (role patterns, role privileges, requested name, requested privilege, expected)
    (["metricbeat-*"], ["create_doc"], "metricbeat-*", "create_doc", True),
    (["metricbeat-*"], ["create_doc"], "metricbeat-8.15.0", "create_doc", True),
    (["metricbeat-*"], ["create_doc"], "filebeat-*", "create_doc", False),
    (["metricbeat-8*"], ["create_doc"], "metricbeat-*", "create_doc", False),
    (["metricbeat-*"], ["create_doc"], "metricbeat-*", "auto_configure", False),
    (["metricbeat-*"], ["write"], "metricbeat-*", "index", True),
    (["metricbeat-*"], ["index"], "metricbeat-*", "create_doc", True),
    (["metricbeat-*"], ["create_doc"], "metricbeat-*", "index", False),
    (["metricbeat-*"], ["manage"], "metricbeat-*", "create_index", True),
    (["metricbeat-*"], ["manage"], "metricbeat-*", "auto_configure", True),
    (["metricbeat-*"], ["manage"], "metricbeat-*", "view_index_metadata", True),
    (["metricbeat-*"], ["manage"], "metricbeat-*", "read", False),
    (["metricbeat-*"], ["all"], "metricbeat-*", "read", True),
    (["*"], ["all"], "anything-*", "create_doc", True),
    (["metricbeat-a*", "metricbeat-b*"], ["read"], "metricbeat-?x", "read", False),
    (
        ["metricbeat-*", "metricbeat"],
        ["read"],
        "metricbeat*",
        "read",
        False,
    ),  # metricbeatX is not covered
    (["metricbeat*"], ["read"], "metricbeat-*", "read", True),
]


@pytest.mark.parametrize(("patterns", "privileges", "name", "wanted", "expected"), INDEX_CASES)
def test_index_privilege_with_pattern_coverage(
    patterns: list, privileges: list, name: str, wanted: str, expected: bool
) -> None:
    """An index privilege holds when every name the request covers is granted by an implying privilege."""
    permission = _role(indices=[{"names": patterns, "privileges": privileges}])
    assert expected == permission.index(name, wanted)


def test_wildcard_role_does_not_reach_restricted_indices() -> None:
    """`*` covers ordinary and dot indices but not restricted ones, unless allow_restricted_indices is set."""
    plain = _role(indices=[{"names": ["*"], "privileges": ["read"]}])
    assert plain.index(".monitoring-beats-8", "read")
    assert not plain.index(".security-7", "read")
    assert not plain.index("*", "read", allow_restricted_indices=True)
    assert plain.index("*", "read")  # restricted names are left out of the request by default
    special = _role(
        indices=[{"names": ["*"], "privileges": ["read"], "allow_restricted_indices": True}]
    )
    assert special.index(".security-7", "read")
    assert special.index("*", "read", allow_restricted_indices=True)


@pytest.mark.parametrize(
    ("requested", "granted", "expected"),
    [
        ("a*", ["*"], True),
        ("a*", ["a"], False),
        ("a?c", ["a*c"], True),
        ("*", ["a*", "b*"], False),
        ("ab", ["a?"], True),
    ],
)
def test_names_covered_is_glob_language_inclusion(
    requested: str, granted: list, expected: bool
) -> None:
    assert expected == names_covered(requested, granted)


def test_granted_by_lists_narrowest_first() -> None:
    """The 403 "granted by" list is ordered from the narrowest privilege to all, as Elasticsearch prints it."""
    assert ["monitor", "manage", "all"] == cluster_privileges_granting("cluster:monitor/main")
    assert [
        "manage_own_api_key",
        "manage_api_key",
        "manage_security",
        "all",
    ] == cluster_privileges_granting("cluster:admin/xpack/security/api_key/create")
    assert ["auto_configure", "create_index", "manage", "all"] == index_privileges_granting(
        "indices:admin/auto_create"
    )


@pytest.mark.parametrize(
    ("role", "check", "expected"),
    [
        ("superuser", lambda p: p.cluster("all") and p.index(".security", "all", True), True),
        (
            "beats_system",
            lambda p: p.cluster("monitor") and p.index(".monitoring-beats-*", "create_doc"),
            True,
        ),
        ("beats_system", lambda p: p.index("metricbeat-*", "create_doc"), False),
        ("kibana_system", lambda p: p.cluster("delegate_pki") and p.cluster("monitor"), True),
        ("kibana_admin", lambda p: p.application("kibana-.kibana", "*", "all"), True),
        (
            "ingest_admin",
            lambda p: p.cluster("manage_index_templates") and p.cluster("manage_pipeline"),
            True,
        ),
        ("ingest_admin", lambda p: p.cluster("monitor"), False),
        (
            "monitoring_user",
            lambda p: p.cluster("cluster:monitor/main") and p.index(".monitoring-es-*", "read"),
            True,
        ),
        (
            "remote_monitoring_agent",
            lambda p: p.cluster("manage_ilm") and p.index("metricbeat-*", "index"),
            True,
        ),
        (
            "remote_monitoring_collector",
            lambda p: p.cluster("monitor") and p.index(".security", "monitor", True),
            True,
        ),
        (
            "editor",
            lambda p: p.application("kibana-.kibana", "space:default", "feature_discover.all"),
            True,
        ),
        (
            "viewer",
            lambda p: p.application("kibana-.kibana", "space:default", "feature_discover.all"),
            False,
        ),
        (
            "viewer",
            lambda p: p.application("kibana-.kibana", "space:default", "feature_discover.read"),
            True,
        ),
    ],
)
def test_builtin_roles(role: str, check, expected: bool) -> None:  # type: ignore[no-untyped-def]
    """The built-in roles carry the documented privileges that matter for Beats and Kibana."""
    assert expected == bool(check(Permission([BUILTIN_ROLES[role]])))


def test_api_key_is_the_intersection_of_key_and_owner() -> None:
    """An API key never exceeds its owner, nor its own role descriptors."""
    owner = _role(
        cluster=["monitor"], indices=[{"names": ["metricbeat-*"], "privileges": ["create_doc"]}]
    )
    own = _role(
        cluster=["all"], indices=[{"names": ["*"], "privileges": ["create_doc", "auto_configure"]}]
    )
    key = LimitedPermission(own, owner)
    assert key.cluster("monitor")
    assert not key.cluster("manage")  # the key asks for all, the owner only has monitor
    assert key.index("metricbeat-*", "create_doc")
    assert not key.index("metricbeat-*", "auto_configure")
    assert not key.index("logs-*", "create_doc")
    assert LimitedPermission(None, owner).index("metricbeat-*", "create_doc")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"cluster": ["monitr"]}, "unknown cluster privilege [monitr]"),
        (
            {"indices": [{"names": ["x"], "privileges": ["crate_doc"]}]},
            "unknown index privilege [crate_doc]",
        ),
        ({"indices": [{"privileges": ["read"]}]}, "needs [names]"),
        ({"cluster": "monitor", "indices": "bad"}, "must be an object"),
    ],
)
def test_role_parsing_rejects_bad_roles(body: dict, message: str) -> None:
    """Bad role bodies fail with a readable reason (the REST layer turns it into a 400)."""
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        RoleDescriptor.from_json("r", body)
