"""Root cause first: the one ordering rule (issue #17, point 2), table-driven."""

from __future__ import annotations

from typing import List

import pytest

from esprobe import findings
from esprobe.findings.order import CAUSES, lead_finding, root_cause_first
from esprobe.model import Finding, Severity


def _f(code: str, severity: Severity = Severity.FAIL) -> Finding:
    return Finding(code, severity, f"{code} observed")


def _codes(found) -> List[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in found]


@pytest.mark.parametrize(
    "given, expected",
    [
        # the node's certificate as ca_trusted_fingerprint explains the unknown authority
        (["tls-unknown-ca", "tls-fingerprint-not-ca"], ["tls-fingerprint-not-ca", "tls-unknown-ca"]),
        # a client certificate without clientAuth explains why the server rejected it
        (["tls-client-cert-rejected", "tls-client-cert-no-client-auth"],
         ["tls-client-cert-no-client-auth", "tls-client-cert-rejected"]),
        # http:// to a TLS port explains the clear-text credentials warning
        (["http-credentials-cleartext", "http-plaintext-to-tls"],
         ["http-plaintext-to-tls", "http-credentials-cleartext"]),
        # unrelated findings keep their order (stable), causes move only ahead of their consequences
        (["tls-weak-key", "tls-unknown-ca", "tls-old-protocol", "tls-fingerprint-not-ca"],
         ["tls-weak-key", "tls-old-protocol", "tls-fingerprint-not-ca", "tls-unknown-ca"]),
        (["tls-old-protocol", "tls-weak-key"], ["tls-old-protocol", "tls-weak-key"]),
        ([], []),
        # a consequence alone stays
        (["tls-unknown-ca"], ["tls-unknown-ca"]),
    ],
)
def test_causes_come_before_their_consequences(given: List[str], expected: List[str]) -> None:
    assert _codes(root_cause_first([_f(c) for c in given])) == expected


def test_lead_finding_is_the_cause_even_when_only_a_warning() -> None:
    found = [_f("tls-client-cert-rejected"), _f("tls-client-cert-no-client-auth", Severity.WARN)]
    lead = lead_finding(found)
    assert lead is not None and lead.code == "tls-client-cert-no-client-auth"
    assert lead_finding([_f("tls-old-protocol", Severity.WARN), _f("tls-unknown-ca")]).code == "tls-unknown-ca"  # type: ignore[union-attr]
    assert lead_finding([]) is None


def test_every_code_in_the_rule_is_in_the_catalogue() -> None:
    known = set(findings.codes())
    named = set(CAUSES) | {c for causes in CAUSES.values() for c in causes}
    assert named - known == set()
