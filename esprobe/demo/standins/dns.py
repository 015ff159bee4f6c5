"""
A tiny authoritative-and-recursive-looking DNS server on loopback, for tests, the demo and benchmarks.

It answers A, AAAA and CNAME from a dict, NXDOMAIN for unknown names, SERVFAIL or REFUSED for
names told to, and stays silent for names told to (so that clients time out). UDP and TCP.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


@dataclass
class Zone:
    """
    What the server knows. Names are absolute or relative, compared case-insensitively without
    the final dot.

    Attributes:
        a / aaaa: name -> addresses.
        cname: name -> target name.
        servfail / refused / silent: names answered with SERVFAIL, REFUSED, or not at all.
        nodata: names that exist but have no address records.
    """

    a: Dict[str, List[str]] = field(default_factory=dict)
    aaaa: Dict[str, List[str]] = field(default_factory=dict)
    cname: Dict[str, str] = field(default_factory=dict)
    servfail: Set[str] = field(default_factory=set)
    refused: Set[str] = field(default_factory=set)
    silent: Set[str] = field(default_factory=set)
    nodata: Set[str] = field(default_factory=set)


def _key(name: str) -> str:
    return name.lower().rstrip(".")


class _Answerer:
    def __init__(self, zone: Zone, truncate_udp_over: int = 0) -> None:
        self.zone = zone
        self.truncate_udp_over = truncate_udp_over
        self.queries: List[Tuple[str, str]] = []
        self.lock = threading.Lock()

    def answer_udp(self, wire: bytes) -> Optional[bytes]:
        """Over UDP, an answer larger than the limit is cut to its header with TC set, as servers do."""
        reply = self.answer(wire)
        if reply is not None and self.truncate_udp_over and len(reply) > self.truncate_udp_over:
            message = dns.message.from_wire(reply)
            message.answer = []
            message.flags |= 0x0200
            return message.to_wire()
        return reply

    def answer(self, wire: bytes) -> Optional[bytes]:

        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        question = query.question[0]
        name = _key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self.lock:
            self.queries.append((name, rdtype))
        zone = self.zone
        if name in zone.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= 0x0080  # RA: pretend to recurse, as a site resolver does
        if name in zone.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire(max_size=65535)
        if name in zone.refused:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire(max_size=65535)
        current, hops = name, 0
        owner = question.name
        while current in zone.cname and hops < 8:
            target = zone.cname[current]
            target_name = dns.name.from_text(target)
            response.answer.append(dns.rrset.from_text(owner, 60, "IN", "CNAME", target_name.to_text()))
            owner, current, hops = target_name, _key(target), hops + 1
        table = zone.a if rdtype == "A" else zone.aaaa if rdtype == "AAAA" else {}
        known = current in zone.a or current in zone.aaaa or current in zone.nodata or hops > 0
        if current in table:
            response.answer.append(dns.rrset.from_text_list(owner, 60, "IN", rdtype, table[current]))
        elif not known:
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire(max_size=65535)


class FakeDns:
    """
    ``with FakeDns(zone) as server:`` listens on 127.0.0.1 (UDP and TCP, same port);
    ``server.nameserver`` is the ``ADDR:PORT`` text for ``--nameserver``.
    """

    def __init__(self, zone: Zone, host: str = "127.0.0.1", truncate_udp_over: int = 0) -> None:
        self.answerer = _Answerer(zone, truncate_udp_over)
        answerer = self.answerer

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = answerer.answer_udp(data)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(5)
                try:
                    length = int.from_bytes(sock.recv(2), "big")
                    data = b""
                    while len(data) < length:
                        chunk = sock.recv(length - len(data))
                        if not chunk:
                            return
                        data += chunk
                except OSError:
                    return
                reply = answerer.answer(data)
                if reply is not None:
                    sock.sendall(len(reply).to_bytes(2, "big") + reply)

        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        # UDP queries are answered one after another: an answer is a table look-up, and a thread per
        # query (socketserver's threading mix-in) cost more than the answer under a benchmark's load.
        class UdpServer(socketserver.UDPServer):
            address_family = family

        class TcpServer(socketserver.ThreadingTCPServer):
            address_family = family
            daemon_threads = True
            allow_reuse_address = True

        # UDP and TCP on the same port: take a free UDP port, and try again if TCP has it in use.
        for attempt in range(20):
            self._udp = UdpServer((host, 0), Udp)
            port = self._udp.server_address[1]
            try:
                self._tcp = TcpServer((host, port), Tcp)
                break
            except OSError:
                self._udp.server_close()
                if attempt == 19:
                    raise
        self.host, self.port = host, port
        self._threads: List[threading.Thread] = []

    @property
    def nameserver(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def queries(self) -> List[Tuple[str, str]]:
        with self.answerer.lock:
            return list(self.answerer.queries)

    def start(self) -> "FakeDns":
        for server in (self._udp, self._tcp):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "FakeDns":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
