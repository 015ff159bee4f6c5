"""
Name resolution the way the host does it: the hosts file and DNS, in the order nsswitch.conf gives.

This is network boundary code: it reads the hosts file, resolv.conf and nsswitch.conf, and sends
DNS queries (`dnsquery`). It returns a `DnsObservation` (plain data); `stages/dns.py` judges it.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from dataclasses import field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from esprobe.context import ProbeContext
from esprobe.ip_text import address_text
from esprobe.lazy import load
from esprobe.net.dnsquery import ask, config_from, label, read_once
from esprobe.record import record

HOSTS_FILE = "hosts-file"
DNS = "dns"
SYSTEM = "system"

# When the hosts file already answered, DNS is asked only to say whether it agrees; that must not
# cost a healthy run more than this, even where the configured nameserver is unreachable.
CROSSCHECK_BUDGET = 1.0


@record
class ResolvedAddress:
    address: str
    family: str  # "ipv4" | "ipv6"
    source: str  # "hosts-file" | "dns" | "system"


@record
class SourceAnswer:
    """
    What one name source said.

    Attributes:
        source: ``hosts-file`` | ``dns`` | ``system``.
        outcome: ``answered`` | ``not-found`` (hosts file) | ``nxdomain`` | ``no-data`` |
            ``timeout`` | ``servfail`` | ``refused`` | ``unreadable`` | ``no-nameservers`` | ``error``.
        addresses: the addresses it gave (A before AAAA for DNS).
        detail: the library's own words, for the report, or None.
        cname_chain: for DNS, the names followed (query name first), when there were CNAMEs.
        nameservers: for DNS, the servers asked.
    """

    source: str
    outcome: str
    addresses: Tuple[str, ...] = ()
    detail: Optional[str] = None
    cname_chain: Tuple[str, ...] = ()
    nameservers: Tuple[str, ...] = ()


@record
class DnsObservation:
    """
    Attributes:
        host: the host as configured.
        query_name: the name looked up (IDNA A-label form), or the literal.
        literal: True when the host is an IP literal (no lookup).
        order: the sources in the order nsswitch.conf gives (``files``, ``dns`` ...).
        answers: what each consulted source said.
        addresses: the addresses the host would use: those of the first source that answered.
        idna_error: why an internationalised name could not be encoded, or None.
        hosts_file: the hosts file read.
        crosscheck: when the hosts file answered, the DNS lookup still running to compare with it;
            `with_crosscheck` folds its answer in.
    """

    host: str
    query_name: str
    literal: bool
    order: Tuple[str, ...]
    answers: Tuple[SourceAnswer, ...]
    addresses: Tuple[ResolvedAddress, ...]
    idna_error: Optional[str] = None
    hosts_file: str = "/etc/hosts"
    crosscheck: Optional["Crosscheck"] = field(default=None, repr=False, compare=False)

    def answer(self, source: str) -> Optional[SourceAnswer]:
        for answer in self.answers:
            if answer.source == source:
                return answer
        return None


def family_of(address: str) -> str:
    return "ipv6" if ":" in address else "ipv4"


def literal_address(host: str) -> Optional[str]:
    """The canonical text of *host* if it is an IP literal (brackets allowed), else None."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return address_text(candidate)


_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def go_refuses_name(host: str) -> Optional[str]:
    """
    Why Go's resolver answers "no such host" for an ASCII *host* without asking anyone (src/net
    dnsclient.go isDomainName: empty labels, characters outside letters, digits, '-', '_'), or None.
    A cloud.id with an empty part builds such a name (``.example.com``), as does a Logstash host
    with a scheme (``http://ls:5044``).
    """
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if not name or any(label == "" for label in labels):
        return "a DNS label is empty (a leading dot or two dots in a row)"
    bad = sorted({c for c in name if c != "." and c not in _LABEL_CHARS})
    if bad:
        return f"{', '.join(repr(c) for c in bad)} cannot appear in a host name"
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return "a label starts or ends with '-'"
    if any(len(label) > 63 for label in labels) or len(host) > 254:
        return "a label is longer than 63 bytes or the name longer than 254"
    return None


def to_query_name(host: str) -> str:
    """
    The ASCII (A-label) form of *host*; raises `idna.IDNAError` for names IDNA rejects and
    ValueError for ASCII names Go's resolver refuses to look up.
    """
    if host.isascii():
        why = go_refuses_name(host)
        if why is not None:
            raise ValueError(f"Go's resolver does not look it up ({why}): lookup {host}: no such host")
        return host

    # The third-party idna codec (~3 ms of imports) only for a name that is not ASCII: most never are.
    return load("idna").encode(host.rstrip("."), uts46=True).decode("ascii")


# --- configuration files ---------------------------------------------------------------------


def read_nsswitch_hosts(path: str) -> Tuple[str, ...]:
    """The ``hosts:`` sources of nsswitch.conf, without ``[...]`` actions; glibc's default if absent."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                line = line.split("#", 1)[0].strip()
                if line.startswith("hosts:"):
                    words = line[len("hosts:") :].split()
                    sources = tuple(w for w in words if not w.startswith("["))
                    if sources:
                        return sources
    except OSError:
        pass
    return ("files", "dns")


def read_hosts_file(path: str) -> Dict[str, List[str]]:
    """Map each lower-cased name (and alias) to its addresses, in file order. Raises OSError."""
    table: Dict[str, List[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            fields = line.split("#", 1)[0].split()
            if len(fields) < 2:
                continue
            address = literal_address(fields[0].split("%", 1)[0])
            if address is None:
                continue
            for name in fields[1:]:
                addresses = table.setdefault(name.lower().rstrip("."), [])
                if address not in addresses:
                    addresses.append(address)
    return table


# --- the sources -------------------------------------------------------------------------------


def lookup_hosts_file(name: str, path: str) -> SourceAnswer:
    try:
        table = read_once(path, read_hosts_file)  # read only: the table is shared by every target
    except OSError as error:
        return SourceAnswer(HOSTS_FILE, "unreadable", detail=f"{path}: {error.strerror or error}")
    addresses = table.get(name.lower().rstrip("."), [])
    if not addresses:
        return SourceAnswer(HOSTS_FILE, "not-found", detail=f"no entry in {path}")
    return SourceAnswer(HOSTS_FILE, "answered", tuple(addresses))


def lookup_dns(name: str, ctx: ProbeContext, lifetime: float) -> SourceAnswer:
    """A and AAAA together (one round trip, no thread), merged into one answer."""
    try:
        config = config_from(ctx.nameservers, ctx.resolv_conf)
    except Exception as error:  # an unusable resolv.conf, whatever the reason
        return SourceAnswer(DNS, "no-nameservers", detail=f"{ctx.resolv_conf}: {error}")
    if not config.servers:
        return SourceAnswer(DNS, "no-nameservers", detail=f"no nameserver in {ctx.resolv_conf}")
    servers = tuple(label(s) for s in config.servers)
    answers = ask(name, config, lifetime)
    a, aaaa = answers["A"], answers["AAAA"]
    addresses = a.addresses + aaaa.addresses
    chain = a.chain or aaaa.chain
    if addresses:
        notes = [f"{t}: {r.outcome}" for t, r in (("A", a), ("AAAA", aaaa)) if r.outcome not in ("answered", "no-data")]
        return SourceAnswer(DNS, "answered", addresses, "; ".join(notes) or None, chain, servers)
    # Neither gave an address: report the more telling of the two outcomes.
    for outcome in ("nxdomain", "servfail", "refused", "timeout", "unreachable", "no-nameservers", "error"):
        for answer in (a, aaaa):
            if answer.outcome == outcome:
                return SourceAnswer(DNS, outcome, (), answer.detail, chain, servers)
    return SourceAnswer(DNS, "no-data", (), None, chain, servers)


def lookup_system(host: str, timeout: float) -> SourceAnswer:
    """getaddrinfo, for nsswitch sources esprobe does not emulate (myhostname, mdns, ldap ...)."""
    result: List[Union[List[Tuple[Any, ...]], OSError]] = []

    def run() -> None:
        try:
            result.append(list(socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)))
        except OSError as error:
            result.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if not result:
        return SourceAnswer(SYSTEM, "timeout", detail=f"getaddrinfo gave no answer within {timeout:g} s")
    outcome = result[0]
    if isinstance(outcome, OSError):
        return SourceAnswer(SYSTEM, "not-found", detail=str(outcome))
    addresses: List[str] = []
    for _family, _type, _proto, _name, sockaddr in outcome:
        address = str(sockaddr[0]).split("%", 1)[0]
        address = address_text(address) or address  # glibc writes a mapped address its own way
        if address not in addresses:
            addresses.append(address)
    return SourceAnswer(SYSTEM, "answered", tuple(addresses))


# --- putting it together -------------------------------------------------------------------------


def _source_kind(nss_source: str) -> str:
    if nss_source == "files":
        return HOSTS_FILE
    if nss_source in ("dns", "resolve"):
        return DNS
    return SYSTEM


def resolve(host: str, ctx: ProbeContext) -> DnsObservation:
    """Resolve *host* as the host would; never raises for a bad name or an unreachable server."""
    literal = literal_address(host)
    if literal is not None:
        # getaddrinfo passes literals straight through (AI_NUMERICHOST): no source is consulted.
        address = ResolvedAddress(literal, family_of(literal), SYSTEM)
        return DnsObservation(host, literal, True, (), (), (address,), hosts_file=ctx.hosts_file)
    try:
        name = to_query_name(host)
    except Exception as error:  # idna raises IDNAError and UnicodeError subclasses
        return DnsObservation(host, host, False, (), (), (), idna_error=str(error), hosts_file=ctx.hosts_file)

    order = read_once(ctx.nsswitch_conf, read_nsswitch_hosts)
    kinds: List[str] = []
    for source in order:
        kind = _source_kind(source)
        if kind not in kinds:
            kinds.append(kind)
    # With --hosts-file or --nameserver the run must be reproducible: never ask getaddrinfo,
    # which would read the real /etc/hosts and resolv.conf.
    if ctx.hosts_file_overridden or ctx.nameservers:
        kinds = [k for k in kinds if k != SYSTEM] or [HOSTS_FILE, DNS]

    answers: List[SourceAnswer] = []
    effective: Optional[SourceAnswer] = None
    started = time.monotonic()
    crosscheck: Optional[Crosscheck] = None
    for kind in kinds:
        if kind == HOSTS_FILE:
            answer = lookup_hosts_file(name, ctx.hosts_file)
        elif kind == DNS:
            if effective is not None:
                # The host uses the earlier answer; DNS is asked only to say whether it agrees. That
                # must not hold up the probe: the answer is collected when the target is done.
                crosscheck = Crosscheck(name, ctx, max(0.05, min(ctx.step_timeout(), CROSSCHECK_BUDGET)))
                continue
            budget = ctx.step_timeout() - (time.monotonic() - started)
            answer = lookup_dns(name, ctx, max(0.05, budget))
        else:
            if effective is not None:
                continue  # only a fallback: the earlier source already answered
            answer = lookup_system(name, max(0.05, ctx.step_timeout()))
        answers.append(answer)
        if effective is None and answer.outcome == "answered":
            effective = answer
    addresses: Tuple[ResolvedAddress, ...] = ()
    if effective is not None:
        addresses = tuple(ResolvedAddress(a, family_of(a), effective.source) for a in effective.addresses)
    return DnsObservation(host, name, False, order, tuple(answers), addresses, hosts_file=ctx.hosts_file,
                          crosscheck=crosscheck)


class Crosscheck:
    """A DNS lookup running in the background, its answer collected later (`result`)."""

    def __init__(self, name: str, ctx: ProbeContext, budget: float) -> None:
        self._answer: Optional[SourceAnswer] = None
        self._budget = budget
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, args=(name, ctx, budget), daemon=True)
        self._thread.start()

    def _run(self, name: str, ctx: ProbeContext, budget: float) -> None:
        self._answer = lookup_dns(name, ctx, budget)

    def result(self) -> SourceAnswer:
        """DNS's answer, waiting at most what is left of the budget."""
        self._thread.join(max(0.0, self._started + self._budget + 0.2 - time.monotonic()))
        if self._answer is None:
            return SourceAnswer(DNS, "timeout", detail=f"no answer within {self._budget:g} s")
        return self._answer


def with_crosscheck(observation: DnsObservation) -> DnsObservation:
    """The observation with the background DNS answer folded in (a no-op without one)."""
    if observation.crosscheck is None:
        return observation
    answer = observation.crosscheck.result()
    return dataclasses.replace(observation, answers=observation.answers + (answer,), crosscheck=None)


def parse_nameserver(text: str) -> Tuple[str, int]:
    """``ADDR[:PORT]`` as given to --nameserver (``[::1]:5353`` for IPv6 with a port)."""
    text = text.strip()
    port_text = "53"
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError("write an IPv6 address with a port as [ADDR]:PORT")
            port_text = rest[1:]
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
    else:
        address = text
    if literal_address(address) is None:
        raise ValueError(f"wants an IP address (ADDR[:PORT]), got {address!r}")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"the port must be a number from 1 to 65535, got {port_text!r}")
    return address, int(port_text)


def addresses_in_order(observation: DnsObservation) -> Sequence[str]:
    return [a.address for a in observation.addresses]
