"""DNS stage: did the host name resolve the way the Beat would resolve it, and from where?"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

from esprobe import findings
from esprobe.config.proxy import ProxyRoute, Route
from esprobe.model import Finding, Stage, StageResult, Target, stage_result
from esprobe.net.resolver import DNS, HOSTS_FILE, DnsObservation, SourceAnswer

# DNS outcomes that explain why no address came back, most telling first.
_DNS_FAILURES = {
    "nxdomain": "dns-nxdomain",
    "no-data": "dns-no-address",
    "servfail": "dns-servfail",
    "refused": "dns-refused",
    "timeout": "dns-timeout",
    "unreachable": "dns-timeout",  # ICMP port unreachable: nothing answers DNS there
    "no-nameservers": "dns-no-nameservers",
    "error": "dns-no-nameservers",
}


def judge_dns(target: Target, obs: DnsObservation, *, resolv_conf: str = "/etc/resolv.conf") -> StageResult:
    params = {"setting": target.setting, "hosts_file": obs.hosts_file, "resolv_conf": resolv_conf}
    details: Dict[str, Any] = {
        "addresses": [
            {"address": a.address, "family": a.family, "source": a.source} for a in obs.addresses
        ],
        "query_name": obs.query_name,
    }
    if obs.literal:
        return stage_result(Stage.DNS, f"{obs.query_name} is an IP literal: no lookup needed", (), details, obs)
    if obs.idna_error is not None:
        finding = findings.make(
            "dns-idna-invalid", f"{target.host!r} cannot be encoded for DNS: {obs.idna_error}.", **params
        )
        return stage_result(Stage.DNS, "invalid internationalised host name", [finding], details, obs)

    details["nsswitch_order"] = list(obs.order)
    details["answers"] = [_answer_details(a) for a in obs.answers]
    notes: List[Finding] = []
    hosts = obs.answer(HOSTS_FILE)
    if hosts is not None and hosts.outcome == "unreadable":
        notes.append(
            findings.make("dns-hosts-file-unreadable", f"Could not read the hosts file: {hosts.detail}.", **params)
        )

    if not obs.addresses:
        failure = _why_unresolved(target, obs, params)
        return stage_result(Stage.DNS, failure.message, [failure, *notes], details, obs)

    source = obs.addresses[0].source
    listed = ", ".join(a.address for a in obs.addresses)
    summary = f"{obs.query_name} → {listed} ({_SOURCE_WORDS[source]})"
    dns_answer = obs.answer(DNS)
    if dns_answer is not None and dns_answer.cname_chain:
        summary += " via CNAME " + " → ".join(dns_answer.cname_chain)
    disagreement = _hosts_vs_dns(obs)
    if disagreement:
        details["hosts_file_vs_dns"] = disagreement
        summary += f"; {disagreement}"
    return stage_result(Stage.DNS, summary, notes, details, obs)


_SOURCE_WORDS = {HOSTS_FILE: "hosts file", DNS: "DNS", "system": "system resolver"}


def _answer_details(answer: SourceAnswer) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"source": answer.source, "outcome": answer.outcome, "addresses": list(answer.addresses)}
    if answer.detail:
        entry["detail"] = answer.detail
    if answer.cname_chain:
        entry["cname_chain"] = list(answer.cname_chain)
    if answer.nameservers:
        entry["nameservers"] = list(answer.nameservers)
    return entry


def _hosts_vs_dns(obs: DnsObservation) -> Optional[str]:
    """Say so when the hosts file and DNS both answer but with different addresses."""
    hosts, dns = obs.answer(HOSTS_FILE), obs.answer(DNS)
    if hosts is None or dns is None or hosts.outcome != "answered" or dns.outcome != "answered":
        return None
    if set(hosts.addresses) == set(dns.addresses):
        return None
    return (
        f"the hosts file ({', '.join(hosts.addresses)}) disagrees with DNS ({', '.join(dns.addresses)}); "
        "the hosts file wins"
    )


def _why_unresolved(target: Target, obs: DnsObservation, params: Dict[str, str]) -> Finding:
    dns = obs.answer(DNS)
    looked = _where_looked(obs)
    if dns is not None and dns.outcome in _DNS_FAILURES:
        code = _DNS_FAILURES[dns.outcome]
        servers = ", ".join(dns.nameservers) or "the configured nameservers"
        words = {
            "nxdomain": f"{servers} answered that {obs.query_name} does not exist (NXDOMAIN)",
            "no-data": f"{obs.query_name} exists in DNS ({servers}) but has no A or AAAA record",
            "servfail": f"{servers} answered SERVFAIL for {obs.query_name}",
            "refused": f"{servers} refused to resolve {obs.query_name} (REFUSED)",
            "timeout": f"no answer from {servers} for {obs.query_name} within the timeout",
            "unreachable": f"{servers} did not take the query for {obs.query_name} ({dns.detail})",
            "no-nameservers": f"there is no nameserver to ask about {obs.query_name} ({dns.detail})",
            "error": f"the DNS query for {obs.query_name} failed: {dns.detail}",
        }[dns.outcome]
        return findings.make(code, f"{words}; {looked}.", **params)
    return findings.make("dns-not-found", f"{obs.query_name} could not be resolved; {looked}.", **params)


def _where_looked(obs: DnsObservation) -> str:
    parts = []
    for answer in obs.answers:
        if answer.source == HOSTS_FILE:
            parts.append(
                f"not in {obs.hosts_file}" if answer.outcome == "not-found" else f"{obs.hosts_file}: {answer.outcome}"
            )
        elif answer.source == "system":
            parts.append(f"system resolver: {answer.detail or answer.outcome}")
    if not parts:
        return "nsswitch.conf lists no source that answered"
    return "; ".join(parts)


def route_details(route: Optional[ProxyRoute], why: str) -> Dict[str, Any]:
    """The contract-free ``route`` detail: which path the Beat's requests take, and why."""
    if route is None:
        return {"path": "direct", "why": why}
    return {"path": "proxy", "proxy": route.display, "source": route.source, "why": why}


def judge_direct_dns(target: Target, route: Route, obs: DnsObservation, *, resolv_conf: str) -> StageResult:
    """The target's own name, resolved as the Beat resolves it when it goes direct (see `route_details`)."""
    result = judge_dns(target, obs, resolv_conf=resolv_conf)
    if not target.is_http:
        return result
    details = dict(result.details)
    details["route"] = route_details(None, route.why)
    chosen = route.chosen
    if chosen is not None:  # a proxy esprobe cannot speak: say so, and probe directly
        note = findings.make(
            "proxy-unsupported",
            f"The Beat would go through the {chosen.scheme} proxy {chosen.display} ({chosen.source}); esprobe "
            "probes the target directly instead.",
            proxy_setting=chosen.source)
        result = dataclasses.replace(result, findings=result.findings + (note,))
        if result.status.severity < note.status.severity:
            result = dataclasses.replace(result, status=note.status)
    return dataclasses.replace(result, details=details)


def judge_proxied_dns(target: Target, route: ProxyRoute, obs: DnsObservation, *, resolv_conf: str) -> StageResult:
    """With a proxy the Beat resolves the proxy's name, not the target's (the proxy does that)."""
    proxy_target = dataclasses.replace(target, host=route.host, setting=_proxy_setting(target, route))
    result = judge_dns(proxy_target, obs, resolv_conf=resolv_conf)
    summary = f"proxy {route.display} ({route.source}): {result.summary}; {target.host} is resolved by the proxy"
    details = dict(result.details)
    details["route"] = route_details(route, route.source)
    return dataclasses.replace(result, summary=summary, details=details)


def _proxy_setting(target: Target, route: ProxyRoute) -> str:
    if route.source == "proxy_url":
        return target.settings.proxy_url
    return route.source  # the environment variable
