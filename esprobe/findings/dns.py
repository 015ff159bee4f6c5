"""Catalogue entries for the dns stage."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

_HOST = "Check the host name in `{setting}`"

SPECS: Tuple[Spec, ...] = (
    Spec(
        "dns-nxdomain",
        FAIL,
        "Name does not exist",
        "DNS answered that the name does not exist (NXDOMAIN), and the hosts file has no entry for it.",
        _HOST + " for typos; otherwise add a DNS record for it, or an entry in {hosts_file}.",
        "{setting}",
        "lookup <host>: no such host",
    ),
    Spec(
        "dns-no-address",
        FAIL,
        "Name has no address",
        "The name exists in DNS but has neither an A nor an AAAA record (a NODATA answer).",
        "Add an A or AAAA record for the name, or point `{setting}` at a name that has one.",
        "{setting}",
        "lookup <host>: no such host",
    ),
    Spec(
        "dns-timeout",
        FAIL,
        "DNS did not answer",
        "None of the configured nameservers answered within the timeout.",
        "Check that the nameservers in {resolv_conf} are reachable from this host (UDP and TCP port 53); "
        "until then an entry in {hosts_file} works around it.",
        None,
        "lookup <host> on <server>: read udp ...: i/o timeout",
    ),
    Spec(
        "dns-servfail",
        FAIL,
        "DNS server failure",
        "The nameserver answered SERVFAIL: it could not resolve the name (often a broken upstream or DNSSEC "
        "validation failure), which is different from the name not existing.",
        "Ask the DNS administrators to look at the name; meanwhile an entry in {hosts_file} works around it.",
        None,
        "lookup <host> on <server>: server misbehaving",
    ),
    Spec(
        "dns-refused",
        FAIL,
        "DNS server refused the query",
        "The nameserver answered REFUSED: it does not serve recursive queries to this host.",
        "Use a nameserver that resolves for this host (see {resolv_conf}), or add an entry in {hosts_file}.",
        None,
        "lookup <host> on <server>: server misbehaving",
    ),
    Spec(
        "dns-no-nameservers",
        FAIL,
        "No usable nameserver",
        "The name is not in the hosts file and there is no nameserver to ask.",
        "Add a `nameserver` line to {resolv_conf}, or an entry for the host in {hosts_file}.",
        None,
    ),
    Spec(
        "dns-not-found",
        FAIL,
        "Name not found",
        "No source listed on the `hosts:` line of nsswitch.conf knows the name.",
        _HOST + "; add a DNS record or an entry in {hosts_file}.",
        "{setting}",
        "lookup <host>: no such host",
    ),
    Spec(
        "dns-idna-invalid",
        FAIL,
        "Invalid internationalised name",
        "The host name contains characters that IDNA cannot encode, so no lookup can be made.",
        _HOST + "; write it in its ASCII (xn--) form if it is an internationalised name.",
        "{setting}",
    ),
    Spec(
        "dns-hosts-file-unreadable",
        WARN,
        "Hosts file unreadable",
        "The hosts file could not be read, so only DNS was consulted.",
        "Check that {hosts_file} exists and is readable by the user the Beat runs as.",
        None,
    ),
)
