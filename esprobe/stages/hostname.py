"""
Hostname stage: does the server's certificate name the host the Beat dials, in the target's
``verification_mode``? The rules themselves (Beats' ``full``, Go's ``strict``) are in
`esprobe.x509.hostname_rules`; this module decides which apply and words the verdict.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from cryptography import x509

from esprobe import findings
from esprobe.model import Finding, Severity, Stage, StageResult, Target, not_applicable, skipped, stage_result
from esprobe.x509.go_verify import go_parse_ip
from esprobe.x509.hostname_rules import (
    INVALID_PATTERN,
    IP_MISMATCH,
    IP_NOT_IN_SAN,
    LEGACY_CN,
    NO_NAMES,
    NOT_CHECKED,
    NameMatch,
    certificate_names,
    match_full,
    match_strict,
    strip_brackets,
)

# --- the stage -------------------------------------------------------------------------------

_STRICT_WARNING = "passes in full mode today; strict mode and most other clients reject it"


def judge_hostname(target: Target, leaf: Optional[x509.Certificate]) -> StageResult:
    """
    Judge the server certificate *leaf* against the host the Beat dials, in the target's
    ``verification_mode``. This is the one place that decides whether the name check applies.

    ``none`` checks nothing: not applicable (the tls stage warns about the mode itself).
    ``certificate`` checks the chain but not the name: not applicable while ``full`` would accept
    the name too, else a warning that the name is wrong and only this mode lets it through.
    In ``full``, a name that passes only thanks to the CN, or that ``strict`` would refuse, is a
    warning. The details always say whether ``full`` (or ``strict``) matched.
    """
    if target.tls is None:
        return not_applicable(Stage.HOSTNAME, "the connection does not use TLS")
    mode = target.tls.verification_mode
    host = target.host
    if leaf is None:
        return skipped(Stage.HOSTNAME, "skipped: no server certificate to check",
                       {"name": host, "mode": mode, "matched": False, "matched_by": None})
    if mode in ("certificate", "none"):
        would = match_full(leaf, host)
        words = (f"verification_mode '{mode}' does not check the name "
                 f"(full mode would {'accept' if would.matched else 'reject'} {host})")
        if mode == "none" or would.matched:
            return not_applicable(Stage.HOSTNAME, words, _details(host, mode, would))
        return stage_result(Stage.HOSTNAME, f"the certificate does not name {host}; {words}",
                            [_unchecked_mismatch_finding(target, leaf, would)], _details(host, mode, would))
    if mode == "strict":
        result = match_strict(leaf, host)
        if result.matched:
            return stage_result(Stage.HOSTNAME, f"{host} matches the certificate ({result.matched_by} "
                                f"{result.matched_name})", (), _details(host, mode, result))
        return stage_result(Stage.HOSTNAME, f"the certificate does not name {host}",
                            [_mismatch_finding(target, leaf, result)], _details(host, mode, result))

    result = match_full(leaf, host)
    if not result.matched:
        return stage_result(Stage.HOSTNAME, f"the certificate does not name {host}",
                            [_mismatch_finding(target, leaf, result)], _details(host, mode, result))
    if result.reason == NOT_CHECKED:
        return stage_result(Stage.HOSTNAME, "no host name to check (the Beat skips the check)", (),
                            _details(host, mode, result))
    strict = match_strict(leaf, host)
    problems: List[Finding] = []
    if result.matched_by == "common-name":
        problems.append(_cn_only_finding(target, leaf, result, strict, Severity.WARN))
    elif not strict.matched:
        problems.append(_strict_would_fail_finding(target, leaf, result, strict))
    summary = f"{host} matches the certificate ({result.matched_by} {result.matched_name})"
    if problems:
        summary += f"; {_STRICT_WARNING}"
    return stage_result(Stage.HOSTNAME, summary, problems, _details(host, mode, result))


def _details(host: str, mode: str, result: NameMatch) -> Dict[str, Any]:
    return {"name": host, "mode": mode, "matched": result.matched, "matched_by": result.matched_by}


def _san_list(cert: x509.Certificate) -> str:
    dns, ips, _cn = certificate_names(cert)
    entries = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
    if not entries:
        return "no SAN entries"
    if len(entries) > 12:
        return ", ".join(entries[:12]) + f", ... ({len(entries)} in all)"
    return ", ".join(entries)


def _usable_names(cert: x509.Certificate) -> str:
    dns, ips, _cn = certificate_names(cert)
    concrete = [d for d in dns if d and not d.startswith("*.")] + ips
    if concrete:
        return "e.g. " + ", ".join(concrete[:3])
    wildcards = [d for d in dns if d.startswith("*.")]
    if wildcards:
        return f"a name under {wildcards[0][2:]} (the certificate has {wildcards[0]})"
    return "none: the certificate lists no usable names"


def _mismatch_finding(target: Target, leaf: x509.Certificate, result: NameMatch) -> Finding:
    beat = result.beat_error or ""
    dns, ips, cn = certificate_names(leaf)
    params = dict(host=target.host, hosts_setting=target.settings.hosts, prefix=target.settings.ssl,
                  usable=_usable_names(leaf))
    if result.reason == INVALID_PATTERN:
        return findings.make(
            "hostname-invalid-pattern",
            f'The Beat would log: "{beat}". The certificate entry {result.matched_name!r} matches '
            f"{target.host}, but it is not a valid host-name pattern (only letters, digits, '-' and "
            "'_' in each label, and '*' only as the whole left-most label), so the Beat refuses it.",
            setting=target.settings.hosts, **params,
        )
    if result.reason == LEGACY_CN:
        return _cn_only_finding(target, leaf, result, result, Severity.FAIL)
    if result.reason in (IP_NOT_IN_SAN, IP_MISMATCH):
        extra = ""
        if target.host in dns:
            extra = (f" The certificate lists {target.host} as a DNS name; an IP address written as a "
                     "DNS name never matches an IP host.")
        elif ips:
            extra = f" Its IP SANs are: {', '.join(ips)}."
        return findings.make(
            "hostname-ip-not-in-san",
            f'The Beat would log: "{beat}". The Beat connects to the IP address {target.host}, and an '
            f"IP host is only matched against the certificate's IP SANs"
            f"{' (or, in full mode, a CN equal to that IP)' if result.rules == 'full' else ''}; "
            f"the certificate has {_san_list(leaf)}.{extra}",
            setting=target.settings.hosts, **params,
        )
    if result.reason == NO_NAMES:
        cn_text = f" Its subject CN is {cn!r}." if cn else ""
        return findings.make(
            "hostname-no-names",
            f'The Beat would log: "{beat}". The certificate names no host the Beat could match '
            f"({_san_list(leaf)}).{cn_text}",
            setting=target.settings.hosts, **params,
        )
    partial = [d for d in dns if "*" in d and not d.startswith("*.")]
    extra = ""
    if partial:
        extra = (f" Note: {', '.join(partial)} is a partial wildcard; Go only honours '*' as the whole "
                 "left-most label, so it matches nothing but itself.")
    elif any(d.startswith("*.") for d in dns) and any(
        target.host.lower().endswith(d[1:].lower()) for d in dns if d.startswith("*.")
    ):
        extra = " Note: a wildcard covers exactly one label: *.example.com matches a.example.com, " \
                "not example.com or a.b.example.com."
    return findings.make(
        "hostname-mismatch",
        f'The Beat would log: "{beat}". The Beat connects to {target.host}, but the certificate is '
        f"issued for {_san_list(leaf)}.{extra}",
        setting=target.settings.hosts, **params,
    )


def _cn_only_finding(target: Target, leaf: x509.Certificate, full: NameMatch, strict: NameMatch,
                     severity: Severity) -> Finding:
    _dns, _ips, cn = certificate_names(leaf)
    params = dict(host=target.host, hosts_setting=target.settings.hosts, prefix=target.settings.ssl,
                  usable=_usable_names(leaf))
    if severity is Severity.FAIL:
        message = (f'The Beat would log: "{strict.beat_error}". The certificate names {target.host} only in its '
                   f"subject Common Name ({cn!r}) and has no SAN extension; verification_mode strict follows "
                   "Go, which has ignored the Common Name since Go 1.15.")
    else:
        missing = "IP SAN for it" if go_parse_ip(strip_brackets(target.host)) else "DNS SAN"
        message = (f"{target.host} matches only the certificate's subject Common Name ({cn!r}): the "
                   f"certificate has no {missing}. This passes in full mode today; strict mode and most other "
                   f'clients reject it (strict would log: "{strict.beat_error}").')
    return findings.make("hostname-cn-only", message, severity=severity, **params)


def _strict_would_fail_finding(target: Target, leaf: x509.Certificate, full: NameMatch,
                               strict: NameMatch) -> Finding:
    params = dict(host=target.host, hosts_setting=target.settings.hosts, prefix=target.settings.ssl,
                  usable=_usable_names(leaf))
    return findings.make(
        "hostname-strict-would-fail",
        f"{target.host} matches the certificate entry {full.matched_name!r} under Beats' full-mode rules, "
        f"but Go's own check (verification_mode strict) refuses it: \"{strict.beat_error}\". This passes in "
        "full mode today; strict mode and most other clients reject it.",
        setting=target.settings.hosts, **params,
    )


def _unchecked_mismatch_finding(target: Target, leaf: x509.Certificate, full: NameMatch) -> Finding:
    """verification_mode certificate lets a certificate for another name through: say what full would say."""
    params = dict(host=target.host, hosts_setting=target.settings.hosts, prefix=target.settings.ssl,
                  usable=_usable_names(leaf))
    return findings.make(
        "hostname-not-verified",
        f"The certificate does not name {target.host} ({_san_list(leaf)}); the Beat accepts it only because "
        f"verification_mode is certificate, which checks the chain but not the name. In full mode (the default) "
        f'the Beat would refuse it: "{full.beat_error}".',
        **params,
    )
