"""
Root cause first: the one rule that orders findings which explain the same failure.

When a target shows several findings, the one that names the cause must be read before those that
only describe its consequences (a fingerprint of the node certificate before "unknown authority").
`CAUSES` says, for a consequence, which findings are its possible causes; every renderer and the
JSON report show findings in the order `root_cause_first` gives, so the rule lives here only.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from esprobe.model import Finding, Status

# consequence -> the findings that, when present for the same target, explain it.
CAUSES: Mapping[str, Tuple[str, ...]] = {
    # ca_trusted_fingerprint names the node's certificate (or nothing the server sent), so no CA is trusted.
    "tls-unknown-ca": ("tls-fingerprint-not-ca", "tls-fingerprint-no-match", "tls-fingerprint-format",
                       "tls-missing-intermediate", "tls-ca-unreadable", "tls-ca-not-certificate",
                       "tls-kibana-ssl-not-inherited"),
    # setup.kibana has no ssl block: the output's CAs and client certificate are not Kibana's.
    "tls-self-signed": ("tls-kibana-ssl-not-inherited",),
    "tls-client-cert-required": ("tls-kibana-ssl-not-inherited",),
    "tls-os-trust-store-empty": ("tls-kibana-ssl-not-inherited",),
    "tls-chain-invalid": ("tls-fingerprint-not-ca", "tls-fingerprint-no-match"),
    # The server refuses a client certificate that may not be used for client authentication.
    "tls-client-cert-rejected": ("tls-client-cert-no-client-auth", "tls-client-cert-expired",
                                 "tls-client-identity-invalid"),
    "auth-pki-not-accepted": ("tls-client-cert-no-client-auth", "tls-client-cert-not-sent"),
    # The credentials would go in clear text only because the URL says http:// to a TLS port.
    "http-credentials-cleartext": ("http-plaintext-to-tls", "http-front-plain-http-to-tls"),
}


def _depths(codes: Iterable[str]) -> Dict[str, int]:
    """How many present causes stand before each present code (0 for a root cause)."""
    present = set(codes)
    depth: Dict[str, int] = {}

    def visit(code: str, trail: Tuple[str, ...]) -> int:
        if code in depth:
            return depth[code]
        causes = [c for c in CAUSES.get(code, ()) if c in present and c not in trail]
        depth[code] = 1 + max((visit(c, (*trail, code)) for c in causes), default=-1)
        return depth[code]

    for code in present:
        visit(code, ())
    return depth


def root_cause_first(findings: Sequence[Finding]) -> Tuple[Finding, ...]:
    """*findings* with every cause before its consequences; otherwise the order is kept (stable)."""
    depth = _depths(f.code for f in findings)
    return tuple(sorted(findings, key=lambda f: depth[f.code]))


def causes_of(finding: Finding, among: Sequence[Finding]) -> List[Finding]:
    """The findings of *among* that explain *finding*, root causes first."""
    wanted = set(CAUSES.get(finding.code, ()))
    return [f for f in root_cause_first(among) if f.code in wanted]


def lead_finding(findings: Sequence[Finding], worst: Optional[Status] = None) -> Optional[Finding]:
    """
    The finding a one-line summary should name: the root cause of the first finding with the worst
    status (its cause may be a mere warning, as a client certificate without clientAuth is).
    """
    ordered = root_cause_first(findings)
    if not ordered:
        return None
    worst = worst or max((f.status for f in ordered), key=lambda s: s.severity)
    first_worst = next((f for f in ordered if f.status is worst), ordered[0])
    causes = causes_of(first_worst, ordered)
    return causes[0] if causes else first_worst
