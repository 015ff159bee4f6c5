"""Catalogue entries for the tcp stage."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

SPECS: Tuple[Spec, ...] = (
    Spec(
        "tcp-refused",
        FAIL,
        "Connection refused",
        "The address answered with a TCP reset: nothing listens on that port, or a firewall rejects it.",
        "Check that the service runs and listens on port {port} of that address (Elasticsearch: "
        "`http.port`, `network.host`; Kibana: `server.port`, `server.host`), and the port in `{setting}`.",
        "{setting}",
        "dial tcp <addr>: connect: connection refused",
    ),
    Spec(
        "tcp-timeout",
        FAIL,
        "Connection timed out",
        "No answer to the TCP connection request within the timeout: a firewall drops the packets, the host "
        "is down, or the route is wrong.",
        "Check firewalls and security groups between this host and port {port} of that address; if a proxy "
        "is required, set `{proxy_setting}`.",
        "{setting}",
        "dial tcp <addr>: i/o timeout",
    ),
    Spec(
        "tcp-unreachable",
        FAIL,
        "Network unreachable",
        "The operating system has no route to the address (or, for IPv6, no IPv6 connectivity).",
        "Check this host's routes and interfaces for that address family; if only IPv4 works, make the name "
        "resolve to IPv4 only or use an IPv4 address in `{setting}`.",
        "{setting}",
        "dial tcp <addr>: connect: network is unreachable",
    ),
    Spec(
        "tcp-error",
        FAIL,
        "Connection failed",
        "The connection failed for another reason, named in the message.",
        "Check the address and port in `{setting}`.",
        "{setting}",
    ),
    Spec(
        "tcp-some-addresses-failed",
        WARN,
        "Some addresses failed",
        "At least one address accepted the connection, but others did not. The Beat tries addresses in "
        "turn, so it connects, but each failing address costs it time (up to its timeout) on reconnects.",
        "Remove the failing addresses from DNS or the hosts file, or fix the service on them.",
        "{setting}",
    ),
)
