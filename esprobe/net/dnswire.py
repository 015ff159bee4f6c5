"""
DNS messages for A and AAAA questions, built and read by hand (RFC 1035, with RFC 6891's OPT).

Pure code, no I/O: `esprobe.net.dnsquery` does the asking. A stub resolver's needs are small (one
question, the answer section's addresses and CNAMEs, the response code), and a general DNS library
costs more to import and to run than all of them: on a run over hundreds of targets, building and
reading these messages was the largest part of the dns stage. What is read follows dnspython's
reading, which this replaced: records grouped by owner, class and type in order of first
appearance, duplicates dropped, names shown with dnspython's escapes, a malformed message refused;
addresses are written as Go writes them (`esprobe.ip_text`).
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Dict, List, Set, Tuple

from esprobe.ip_text import go_ip_string
from esprobe.record import record

TYPES = {"A": 1, "AAAA": 28}
CNAME = 5
OPT = 41
IN = 1
QR = 0x8000
RD = 0x0100
TC = 0x0200
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: no fragmented UDP

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
RCODE_TEXT = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
    7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 11: "DSOTYPENI", 16: "BADVERS", 17: "BADKEY",
    18: "BADTIME", 19: "BADMODE", 20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE",
}

# Characters a name's text form escapes with a backslash (as dnspython writes it).
_ESCAPED = frozenset(b'"().;\\@$')


class BadMessage(ValueError):
    """Not a DNS message esprobe can read (short, a bad pointer, a record past the end ...)."""


def query(name: str, rdtype: str, query_id: int) -> bytes:
    """A recursive query for *name* (absolute, ASCII) and *rdtype*, with an EDNS0 OPT record."""
    header = struct.pack("!HHHHHH", query_id, RD, 1, 0, 0, 1)
    opt = b"\x00" + struct.pack("!HHIH", OPT, EDNS_PAYLOAD, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", TYPES[rdtype], IN) + opt


def encode_name(name: str) -> bytes:
    """*name* in wire form; ValueError for an empty label inside it or one over 63 bytes, or a name over 255."""
    text = name[:-1] if name.endswith(".") else name
    out = bytearray()
    if text:
        for label in text.split("."):
            raw = label.encode("ascii")
            if not raw:
                raise ValueError(f"the name {name!r} has an empty label")
            if len(raw) > 63:
                raise ValueError(f"a label of {name!r} is longer than 63 bytes")
            out += bytes((len(raw),)) + raw
    out += b"\x00"
    if len(out) > 255:
        raise ValueError(f"the name {name!r} is longer than 255 bytes")
    return bytes(out)


@record
class Record:
    name: Tuple[bytes, ...]  # labels, as sent
    rdclass: int
    rdtype: int
    rdata: Tuple[bytes, ...]  # A/AAAA: the address bytes; CNAME: the target's labels


@record
class Response:
    id: int
    flags: int
    rcode: int  # with the extended bits of an OPT record
    questions: Tuple[Tuple[Tuple[bytes, ...], int, int], ...]
    answer: Tuple[Tuple[Tuple[bytes, ...], int, int, Tuple[Tuple[bytes, ...], ...]], ...]  # rrsets

    @property
    def truncated(self) -> bool:
        return bool(self.flags & TC)


def _name(wire: bytes, offset: int) -> Tuple[Tuple[bytes, ...], int]:
    """The name at *offset* (pointers followed, forward ones included, loops refused) and where it ends."""
    labels: List[bytes] = []
    end = -1
    hops = 0
    length = 1
    while True:
        if offset >= len(wire):
            raise BadMessage("a name runs past the end of the message")
        count = wire[offset]
        if count >= 0xC0:
            if offset + 1 >= len(wire):
                raise BadMessage("a name runs past the end of the message")
            target = ((count & 0x3F) << 8) | wire[offset + 1]
            if end < 0:
                end = offset + 2
            hops += 1
            if hops > 127 or target >= len(wire):
                raise BadMessage("a compression pointer is out of bounds or loops")
            offset = target
            continue
        if count > 63:
            raise BadMessage("a label type that is not defined")
        offset += 1
        if count == 0:
            break
        label = wire[offset: offset + count]
        if len(label) < count:
            raise BadMessage("a label runs past the end of the message")
        length += count + 1
        if length > 255:
            raise BadMessage("a name longer than 255 bytes")
        labels.append(label)
        offset += count
    return tuple(labels), (end if end >= 0 else offset)


def _canonical(labels: Tuple[bytes, ...]) -> Tuple[bytes, ...]:
    return tuple(label.lower() for label in labels)


def parse(wire: bytes) -> Response:
    """*wire* read as a response; `BadMessage` when it is not a well-formed DNS message."""
    if len(wire) < 12:
        raise BadMessage("shorter than a DNS header")
    query_id, flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!HHHHHH", wire)
    offset = 12
    questions = []
    for _ in range(qdcount):
        name, offset = _name(wire, offset)
        if offset + 4 > len(wire):
            raise BadMessage("a question runs past the end of the message")
        rdtype, rdclass = struct.unpack_from("!HH", wire, offset)
        offset += 4
        questions.append((name, rdtype, rdclass))
    groups: Dict[Tuple[Tuple[bytes, ...], int, int], List[Tuple[bytes, ...]]] = {}
    owners: Dict[Tuple[Tuple[bytes, ...], int, int], Tuple[bytes, ...]] = {}
    seen: Dict[Tuple[Tuple[bytes, ...], int, int], Set[Tuple[bytes, ...]]] = {}
    rcode = flags & 0x000F
    opt_seen = False
    for section in range(3):
        for _ in range((ancount, nscount, arcount)[section]):
            name, offset = _name(wire, offset)
            if offset + 10 > len(wire):
                raise BadMessage("a record runs past the end of the message")
            rdtype, rdclass, ttl, rdlength = struct.unpack_from("!HHIH", wire, offset)
            offset += 10
            end = offset + rdlength
            if end > len(wire):
                raise BadMessage("a record's data runs past the end of the message")
            if rdtype == OPT:
                if section != 2 or opt_seen or name:
                    raise BadMessage("an OPT record out of place")
                opt_seen = True
                rcode |= ((ttl >> 24) & 0xFF) << 4
            elif section == 0:
                rdata = _rdata(wire, offset, end, rdtype)
                key = (_canonical(name), rdclass, rdtype)
                if key not in groups:
                    groups[key], owners[key], seen[key] = [], name, set()
                canonical = _canonical(rdata) if rdtype == CNAME else rdata
                if canonical not in seen[key]:
                    seen[key].add(canonical)
                    groups[key].append(rdata)
            offset = end
    if offset != len(wire):
        raise BadMessage("bytes after the last record")
    answer = tuple((owners[key], key[1], key[2], tuple(rdatas)) for key, rdatas in groups.items())
    return Response(query_id, flags, rcode, tuple(questions), answer)


def _rdata(wire: bytes, offset: int, end: int, rdtype: int) -> Tuple[bytes, ...]:
    if rdtype == CNAME:
        target, stop = _name(wire, offset)
        if stop != end:
            raise BadMessage("a CNAME's data is not one name")
        return target
    if rdtype == TYPES["A"] and end - offset != 4:
        raise BadMessage("an A record that is not 4 bytes")
    if rdtype == TYPES["AAAA"] and end - offset != 16:
        raise BadMessage("an AAAA record that is not 16 bytes")
    return (wire[offset:end],)


def is_response_to(response: Response, query_id: int, name: str, rdtype: str) -> bool:
    """Whether *response* answers the question esprobe asked (its id, QR, opcode and question)."""
    if not response.flags & QR or response.id != query_id or (response.flags >> 11) & 0xF != 0:
        return False
    if response.rcode in (FORMERR, SERVFAIL, NOTIMP, REFUSED) and not response.questions:
        return True  # such answers may leave the question out
    asked = (_canonical(_name(encode_name(name), 0)[0]), TYPES[rdtype], IN)
    return all((_canonical(q[0]), q[1], q[2]) == asked for q in response.questions) and bool(response.questions)


def name_text(labels: Tuple[bytes, ...]) -> str:
    """A name as dnspython prints it without the final dot: special characters escaped."""
    if not labels:
        return "."
    return ".".join(_label_text(label) for label in labels)


def _label_text(label: bytes) -> str:
    out = []
    for byte in label:
        if byte in _ESCAPED:
            out.append("\\" + chr(byte))
        elif 0x20 < byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def address_text(rdtype: int, data: bytes) -> str:
    """The address as the Beat writes it (an IPv4-mapped IPv6 address as its IPv4 address)."""
    return go_ip_string(ipaddress.IPv4Address(data) if rdtype == TYPES["A"] else ipaddress.IPv6Address(data))


def rcode_text(rcode: int) -> str:
    return RCODE_TEXT.get(rcode, str(rcode))


def addresses_and_chain(response: Response, rdtype: str) -> Tuple[List[str], List[str]]:
    """The addresses of type *rdtype* in the answer section, and the CNAME chain that led there."""
    wanted = TYPES[rdtype]
    chain: List[str] = []
    addresses: List[str] = []
    for owner, _rdclass, record_type, rdatas in response.answer:
        if record_type == CNAME:
            if not chain:
                chain.append(name_text(owner))
            chain.extend(name_text(target) for target in rdatas)
        elif record_type == wanted:
            addresses.extend(address_text(wanted, data[0]) for data in rdatas)
    return addresses, chain


