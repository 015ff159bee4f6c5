"""
A and AAAA for one name, asked together on one UDP socket, the way a stub resolver does.

Network boundary code. dnspython builds and parses the messages; the asking is done here so that
both questions go out at once without a thread per question (a run over hundreds of targets would
otherwise start hundreds of threads just for DNS), and so that every wait is bounded by one
deadline. Search domains and ndots follow resolv.conf; a truncated answer is asked again over TCP.
"""

from __future__ import annotations

import os
import select
import socket
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from esprobe.ip_text import address_text

RECORD_TYPES = ("A", "AAAA")


@dataclass(frozen=True)
class RecordAnswer:
    """
    One record type's outcome.

    Attributes:
        outcome: ``answered`` | ``no-data`` | ``nxdomain`` | ``servfail`` | ``refused`` |
            ``timeout`` | ``unreachable`` | ``error``.
    """

    outcome: str
    addresses: Tuple[str, ...] = ()
    detail: Optional[str] = None
    chain: Tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolverConfig:
    """Where to ask and how names are completed (from --nameserver or resolv.conf)."""

    servers: Tuple[Tuple[str, int], ...]
    search: Tuple[str, ...] = ()
    ndots: int = 1


def candidate_names(name: str, config: ResolverConfig) -> List[str]:
    """The names to try, in order, as glibc and dnspython complete a relative name."""
    if name.endswith("."):
        return [name]
    if not config.search:
        return [name + "."]
    searched = [f"{name}.{suffix.strip('.')}." for suffix in config.search]
    if name.count(".") >= config.ndots:
        return [name + "."] + searched
    return searched + [name + "."]


def _message(name: str, rdtype: str):  # type: ignore[no-untyped-def]

    return dns.message.make_query(name, rdtype, use_edns=0, payload=1232)


def _parse(response, rdtype: str) -> RecordAnswer:  # type: ignore[no-untyped-def]
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return RecordAnswer("nxdomain", detail="NXDOMAIN")
    if rcode == dns.rcode.SERVFAIL:
        return RecordAnswer("servfail", detail="SERVFAIL")
    if rcode == dns.rcode.REFUSED:
        return RecordAnswer("refused", detail="REFUSED")
    if rcode != dns.rcode.NOERROR:
        return RecordAnswer("error", detail=dns.rcode.to_text(rcode))
    wanted = dns.rdatatype.from_text(rdtype)
    chain: List[str] = []
    addresses: List[str] = []
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            if not chain:
                chain.append(rrset.name.to_text(omit_final_dot=True))
            chain.extend(r.target.to_text(omit_final_dot=True) for r in rrset)
        elif rrset.rdtype == wanted:
            addresses.extend(address_text(r.address) or r.address for r in rrset)
    return RecordAnswer("answered" if addresses else "no-data", tuple(addresses), chain=tuple(chain))


def _over_tcp(name: str, rdtype: str, server: Tuple[str, int], deadline: float) -> RecordAnswer:
    """The same question over TCP, for an answer too large for UDP."""
    try:
        response = dns.query.tcp(_message(name, rdtype), server[0], timeout=max(0.01, deadline - time.monotonic()),
                                 port=server[1])
    except dns.exception.Timeout:
        return RecordAnswer("timeout", detail="no answer over TCP within the timeout")
    except (dns.exception.DNSException, OSError, ValueError) as error:
        return RecordAnswer("error", detail=f"TCP: {type(error).__name__}: {error}")
    return _parse(response, rdtype)


def _ask_server(name: str, server: Tuple[str, int], deadline: float) -> Dict[str, RecordAnswer]:
    """Both questions to one server on one UDP socket; unanswered ones come back as timeouts."""
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    pending: Dict[int, Tuple[str, object]] = {}
    answers: Dict[str, RecordAnswer] = {}
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            sock.connect(server)  # a connected socket only hears from this server, and sees ICMP refusals
            for rdtype in RECORD_TYPES:
                query = _message(name, rdtype)
                pending[query.id] = (rdtype, query)
                sock.send(query.to_wire())
        except OSError as error:
            return {t: RecordAnswer("unreachable", detail=error.strerror or str(error)) for t in RECORD_TYPES}
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
                break
            try:
                wire = sock.recv(65535)
            except ConnectionRefusedError:
                return {t: RecordAnswer("unreachable", detail="port unreachable") for t in RECORD_TYPES}
            except OSError as error:
                return {t: RecordAnswer("unreachable", detail=error.strerror or str(error)) for t in RECORD_TYPES}
            try:
                response = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue  # not a DNS message: keep listening for the real answers
            entry = pending.get(response.id)
            if entry is None or not entry[1].is_response(response):  # type: ignore[attr-defined]
                continue
            rdtype = entry[0]
            del pending[response.id]
            if response.flags & 0x0200:  # TC: truncated, ask again over TCP
                answers[rdtype] = _over_tcp(name, rdtype, server, deadline)
            else:
                answers[rdtype] = _parse(response, rdtype)
    for rdtype, _ in pending.values():
        answers[rdtype] = RecordAnswer("timeout", detail="no answer within the timeout")
    return answers


_PASS_ON = {"timeout", "unreachable", "servfail", "refused", "error"}


def ask(name: str, config: ResolverConfig, lifetime: float) -> Dict[str, RecordAnswer]:
    """
    A and AAAA for *name*: each candidate name (search domains) in turn, each server in turn when
    one fails, all within *lifetime*. An NXDOMAIN for both types moves on to the next candidate.
    """
    deadline = time.monotonic() + lifetime
    last: Dict[str, RecordAnswer] = {t: RecordAnswer("no-nameservers") for t in RECORD_TYPES}
    for candidate in candidate_names(name, config):
        for index, server in enumerate(config.servers):
            left = len(config.servers) - index
            share = max(0.01, (deadline - time.monotonic()) / left)
            answers = _ask_server(candidate, server, min(deadline, time.monotonic() + share))
            last = answers
            if all(a.outcome in _PASS_ON for a in answers.values()) and index + 1 < len(config.servers):
                continue  # this server failed: the next one may know
            break
        if all(a.outcome == "nxdomain" for a in last.values()):
            continue  # the name does not exist with this suffix: try the next candidate
        return last
    return last


def label(server: Tuple[str, int]) -> str:
    address, port = server
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def config_from(nameservers: Sequence[Tuple[str, int]], resolv_conf: str) -> ResolverConfig:
    """--nameserver wins outright (no search domains, reproducible); else resolv.conf as dnspython reads it."""
    if nameservers:
        return ResolverConfig(tuple(nameservers))
    return _from_resolv_conf(resolv_conf)


_RESOLV_CACHE: Dict[str, Tuple[float, ResolverConfig]] = {}


def _from_resolv_conf(path: str) -> ResolverConfig:
    try:
        stamp = os.stat(path).st_mtime
    except OSError:
        stamp = -1.0
    cached = _RESOLV_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    config = parse_resolv_conf(path)
    _RESOLV_CACHE[path] = (stamp, config)
    return config


def parse_resolv_conf(path: str) -> ResolverConfig:
    """
    nameserver, search / domain and options ndots, as the stub resolver reads them (the last
    search or domain line wins; at most three nameservers, as glibc uses). Raises OSError.
    """
    servers: List[Tuple[str, int]] = []
    search: Tuple[str, ...] = ()
    ndots = 1
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            words = line.split("#", 1)[0].split(";", 1)[0].split()
            if len(words) < 2:
                continue
            keyword, values = words[0], words[1:]
            if keyword == "nameserver":
                address = address_text(values[0].split("%", 1)[0])
                if address is None:
                    continue
                if len(servers) < 3:
                    servers.append((address, 53))
            elif keyword == "search":
                search = tuple(values)
            elif keyword == "domain":
                search = (values[0],)
            elif keyword == "options":
                for option in values:
                    if option.startswith("ndots:") and option[6:].isdigit():
                        ndots = min(int(option[6:]), 15)
    return ResolverConfig(tuple(servers), search, ndots)
