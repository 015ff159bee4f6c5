"""
A and AAAA for one name, asked together on one UDP socket, the way a stub resolver does.

Network boundary code. `esprobe.net.dnswire` builds and reads the messages; the asking is done
here so that both questions go out at once without a thread per question (a run over hundreds of
targets would otherwise start hundreds of threads just for DNS), and so that every wait is
bounded by one deadline. Search domains and ndots follow resolv.conf; a truncated answer is asked again over TCP.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from esprobe.ip_text import address_text
from esprobe.net import dnswire
from esprobe.record import record

RECORD_TYPES = ("A", "AAAA")


@record
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


@record
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


def _parse(response: dnswire.Response, rdtype: str) -> RecordAnswer:
    rcode = response.rcode
    if rcode == dnswire.NXDOMAIN:
        return RecordAnswer("nxdomain", detail="NXDOMAIN")
    if rcode == dnswire.SERVFAIL:
        return RecordAnswer("servfail", detail="SERVFAIL")
    if rcode == dnswire.REFUSED:
        return RecordAnswer("refused", detail="REFUSED")
    if rcode != dnswire.NOERROR:
        return RecordAnswer("error", detail=dnswire.rcode_text(rcode))
    addresses, chain = dnswire.addresses_and_chain(response, rdtype)
    return RecordAnswer("answered" if addresses else "no-data", tuple(addresses), chain=tuple(chain))


def _query_ids(count: int) -> List[int]:
    """Distinct random message ids (an off-path spoofer has to guess them)."""
    ids: List[int] = []
    while len(ids) < count:
        candidate = int.from_bytes(os.urandom(2), "big")
        if candidate not in ids:
            ids.append(candidate)
    return ids


def _read_exactly(sock: socket.socket, count: int, deadline: float) -> bytes:
    data = b""
    while len(data) < count:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection mid-answer")
        data += chunk
    return data


def _over_tcp(name: str, rdtype: str, server: Tuple[str, int], deadline: float) -> RecordAnswer:
    """The same question over TCP, for an answer too large for UDP."""
    query_id = _query_ids(1)[0]
    message = dnswire.query(name, rdtype, query_id)
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.connect(server)
            sock.sendall(struct.pack("!H", len(message)) + message)
            (length,) = struct.unpack("!H", _read_exactly(sock, 2, deadline))
            response = dnswire.parse(_read_exactly(sock, length, deadline))
    except socket.timeout:
        return RecordAnswer("timeout", detail="no answer over TCP within the timeout")
    except (OSError, EOFError, ValueError) as error:
        return RecordAnswer("error", detail=f"TCP: {type(error).__name__}: {error}")
    if not dnswire.is_response_to(response, query_id, name, rdtype):
        return RecordAnswer("error", detail="TCP: the answer does not respond to the question asked")
    return _parse(response, rdtype)


def _ask_server(name: str, server: Tuple[str, int], deadline: float) -> Dict[str, RecordAnswer]:
    """Both questions to one server on one UDP socket; unanswered ones come back as timeouts."""
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    pending: Dict[int, str] = {}
    answers: Dict[str, RecordAnswer] = {}
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            sock.connect(server)  # a connected socket only hears from this server, and sees ICMP refusals
            for rdtype, query_id in zip(RECORD_TYPES, _query_ids(len(RECORD_TYPES))):
                message = dnswire.query(name, rdtype, query_id)
                pending[query_id] = rdtype
                sock.send(message)
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
                response = dnswire.parse(wire)
            except dnswire.BadMessage:
                continue  # not a DNS message: keep listening for the real answers
            asked = pending.get(response.id)
            if asked is None or not dnswire.is_response_to(response, response.id, name, asked):
                continue
            del pending[response.id]
            if response.truncated:  # TC: ask again over TCP
                answers[asked] = _over_tcp(name, asked, server, deadline)
            else:
                answers[asked] = _parse(response, asked)
    for rdtype in pending.values():
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
    return read_once(resolv_conf, parse_resolv_conf)


# A run over many hosts reads resolv.conf, the hosts file and nsswitch.conf once, not once per target
# (200 targets opened the last two 400 times, issue #20). A file whose modification time, size or
# inode changes is read again. The Beat is no fresher: Go keeps /etc/hosts for 5 s and then re-reads
# it only when its modification time or size changed (net/hosts.go, readHosts).
_Read = TypeVar("_Read")
_READ_FILES: Dict[Tuple[str, str], Tuple[Tuple[int, int, int], Any]] = {}
_READ_FILES_LOCK = threading.Lock()


def read_once(path: str, reader: Callable[[str], _Read]) -> _Read:
    """*reader*(*path*), remembered while the file stays the same (shared: callers must not change it)."""
    try:
        status = os.stat(path)
    except OSError:
        return reader(path)  # absent or unreachable: the reader says so (an error or its default)
    stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
    key = (reader.__name__, path)
    with _READ_FILES_LOCK:
        known = _READ_FILES.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    value = reader(path)
    with _READ_FILES_LOCK:
        _READ_FILES[key] = (stamp, value)
    return value


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
