"""Certificate policies as Go 1.24+ validates them, and not before (the rule set decides)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pytest
from cryptography import x509

from esprobe.rulesets import RuleSet, resolve
from esprobe.x509 import go_verify
from tests.oracle.corpus import Corpus

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
P1, P2 = x509.ObjectIdentifier("1.3.6.1.4.1.99999.10.1"), x509.ObjectIdentifier("1.3.6.1.4.1.99999.10.2")
ANY = x509.ObjectIdentifier("2.5.29.32.0")
INVALID = "x509: no valid chains built: 1 candidate chains with invalid policies"


def _policies(*oids: x509.ObjectIdentifier) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(o, None) for o in oids])


def _require(n: int) -> x509.PolicyConstraints:
    return x509.PolicyConstraints(require_explicit_policy=n, inhibit_policy_mapping=None)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(NOW)


@pytest.mark.parametrize("tag,inter_kw,leaf_kw,error", [
    ("none", {}, {}, None),
    ("leaf-only", {}, {"extra": [_policies(P1)]}, None),
    ("same", {"extra": [_policies(P1)]}, {"extra": [_policies(P1)]}, None),
    ("disjoint-not-required", {"extra": [_policies(P1)]}, {"extra": [_policies(P2)]}, None),
    ("required-miss", {"extra": [_policies(P1)], "extra_critical": [_require(0)]}, {"extra": [_policies(P2)]},
     INVALID),
    ("required-ok", {"extra": [_policies(P1)], "extra_critical": [_require(0)]}, {"extra": [_policies(P1)]}, None),
    ("required-leaf-has-none", {"extra": [_policies(P1)], "extra_critical": [_require(0)]}, {}, INVALID),
    ("any-policy-intermediate", {"extra": [_policies(ANY)], "extra_critical": [_require(0)]},
     {"extra": [_policies(P2)]}, None),
    ("inhibit-any", {"extra": [_policies(ANY)], "extra_critical": [x509.InhibitAnyPolicy(0), _require(0)]},
     {"extra": [_policies(P2)]}, None),  # inhibits anyPolicy *below*; the leaf's P2 still hangs under it
    ("leaf-any-inhibited", {"extra": [_policies(P1)], "extra_critical": [x509.InhibitAnyPolicy(0), _require(0)]},
     {"extra": [_policies(ANY)]}, INVALID),
])
def test_policies(corpus: Corpus, tag: str, inter_kw: dict, leaf_kw: dict, error: Optional[str]) -> None:
    root, inter, leaf, host = corpus.simple(f"pol-{tag}", inter_kw=inter_kw, leaf_kw=leaf_kw)
    certs = [x509.load_der_x509_certificate(c.der) for c in (leaf, inter, root)]
    result = go_verify.verify(certs[0], [certs[1]], [certs[2]], NOW, rules=resolve("9.2"))
    assert (result.error.text if result.error else None) == error
    before_go_1_24 = RuleSet("8.15", "8.15", "1.22.12", "1.22")
    assert go_verify.verify(certs[0], [certs[1]], [certs[2]], NOW, rules=before_go_1_24).error is None
