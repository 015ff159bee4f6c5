"""
Go's certificate-policy validation (crypto/x509 ``policiesValid``, Go 1.24 and later).

RFC 5280 section 6.1 with the policy *graph* of RFC 9618: walking a candidate chain from the
certificate below the trust anchor down to the leaf, each certificate's policies extend the
graph, policy mappings rename expected policies, and policyConstraints / inhibitAnyPolicy
count down. A chain whose explicit-policy counter reaches zero with no valid policy left is
dropped; when every candidate chain is dropped, Go says ``x509: no valid chains built: N
candidate chains with invalid policies``. The caller (Beats) asks for no particular policy, so the
user-initial-policy-set is anyPolicy.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Protocol, Sequence, Set


class PolicyCertificate(Protocol):
    """What the check reads of a certificate (`esprobe.x509.go_verify.GoCertificate` has it)."""

    raw_issuer: bytes
    raw_subject: bytes

ANY_POLICY = "2.5.29.32.0"


class _Node:
    __slots__ = ("policy", "expected", "parents", "children")

    def __init__(self, policy: str, parents: Sequence["_Node"]) -> None:
        self.policy = policy
        self.expected: List[str] = [policy]
        self.parents: Set[_Node] = set()
        self.children: Set[_Node] = set()
        for parent in parents:
            parent.children.add(self)
            self.parents.add(parent)


class _Graph:
    def __init__(self) -> None:
        self.strata: List[Dict[str, _Node]] = [{ANY_POLICY: _Node(ANY_POLICY, [])}]
        self.depth = 0
        self.parent_index: Dict[str, List[_Node]] = {}

    def next_level(self) -> None:
        self.parent_index = {}
        for node in self.strata[self.depth].values():
            for expected in node.expected:
                self.parent_index.setdefault(expected, []).append(node)
        self.depth += 1
        self.strata.append({})

    @property
    def leaves(self) -> Dict[str, _Node]:
        return self.strata[self.depth]

    @property
    def parents(self) -> Dict[str, _Node]:
        return self.strata[self.depth - 1] if self.depth else {}

    def insert(self, node: _Node) -> None:
        self.leaves[node.policy] = node

    def delete_leaf(self, policy: str) -> None:
        node = self.leaves.pop(policy, None)
        if node is None:
            return
        for parent in node.parents:
            parent.children.discard(node)
        for child in node.children:
            child.parents.discard(node)

    def prune(self) -> None:
        for level in range(self.depth - 1, 0, -1):
            for policy, node in list(self.strata[level].items()):
                if not node.children:
                    for parent in node.parents:
                        parent.children.discard(node)
                    del self.strata[level][policy]

    def valid_policy_nodes(self) -> List[_Node]:
        found = []
        for level in range(self.depth, -1, -1):
            for node in self.strata[level].values():
                if node.policy == ANY_POLICY or len(node.parents) != 1:
                    continue
                if next(iter(node.parents)).policy == ANY_POLICY:
                    found.append(node)
        return found


def policies_valid(chain: Sequence[PolicyCertificate]) -> bool:
    """
    Whether Go accepts the policies of *chain* (leaf first, trust anchor last). Each element has
    ``raw_issuer``, ``raw_subject`` and ``go`` (the `esprobe.x509.go_parse.GoParsed` fields, or
    None when Go's reading was not available: then the certificate has no policy extensions).
    """
    if len(chain) == 1:
        return True
    n = len(chain) - 1
    graph: Optional[_Graph] = _Graph()
    inhibit_any = explicit = mapping = n + 1
    for i in range(n - 1, -1, -1):
        cert = chain[i]
        fields = getattr(cert, "go", None)
        policies: List[str] = list(fields.policies) if fields is not None else []
        self_issued = cert.raw_issuer == cert.raw_subject
        if not policies:
            graph = None
        if explicit == 0 and graph is None:
            return False
        if graph is not None:
            graph.next_level()
            for policy in policies:
                if policy == ANY_POLICY:
                    continue
                parents = graph.parent_index.get(policy, [])
                if not parents:
                    any_parent = graph.parents.get(ANY_POLICY)
                    parents = [any_parent] if any_parent is not None else []
                if parents:
                    graph.insert(_Node(policy, parents))
            if ANY_POLICY in policies and (inhibit_any > 0 or (n - i < n and self_issued)):
                missing: Dict[str, List[_Node]] = {}
                for parent in graph.parents.values():
                    for expected in parent.expected:
                        if expected not in graph.leaves:
                            missing.setdefault(expected, []).append(parent)
                for expected, parents in missing.items():
                    graph.insert(_Node(expected, parents))
            graph.prune()
            if i != 0 and fields is not None and fields.policy_mappings:
                mappings: Dict[str, List[str]] = {}
                for issuer_policy, subject_policy in fields.policy_mappings:
                    if mapping > 0:
                        if ANY_POLICY in (issuer_policy, subject_policy):
                            return False
                        mappings.setdefault(issuer_policy, []).append(subject_policy)
                    else:
                        graph.delete_leaf(issuer_policy)
                graph.prune()
                for issuer_policy, subject_policies in mappings.items():
                    matching = graph.leaves.get(issuer_policy)
                    if matching is not None:
                        matching.expected = subject_policies
                    else:
                        any_leaf = graph.leaves.get(ANY_POLICY)
                        if any_leaf is not None:
                            node = _Node(issuer_policy, [any_leaf])
                            node.expected = subject_policies
                            graph.insert(node)
        if i != 0:
            if not self_issued:
                explicit, mapping, inhibit_any = max(explicit - 1, 0), max(mapping - 1, 0), max(inhibit_any - 1, 0)
            if fields is not None:
                if fields.require_explicit_policy is not None and fields.require_explicit_policy < explicit:
                    explicit = fields.require_explicit_policy
                if fields.inhibit_policy_mapping is not None and fields.inhibit_policy_mapping < mapping:
                    mapping = fields.inhibit_policy_mapping
                if fields.inhibit_any_policy is not None and fields.inhibit_any_policy < inhibit_any:
                    inhibit_any = fields.inhibit_any_policy
    if explicit > 0:
        explicit -= 1
    leaf_fields = getattr(chain[0], "go", None)
    if leaf_fields is not None and leaf_fields.require_explicit_policy == 0:
        explicit = 0
    valid: List[_Node] = []
    if graph is not None:
        valid = graph.valid_policy_nodes()
        any_leaf = graph.leaves.get(ANY_POLICY)
        if any_leaf is not None:
            valid.append(any_leaf)
    return not (explicit == 0 and not valid)
