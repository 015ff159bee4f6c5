"""
esprobe's own DNS messages (esprobe/net/dnswire.py) against dnspython, the library they replaced:
the same query bytes, and the same reading of answers, refusals and malformed messages.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from esprobe.ip_text import address_text
from esprobe.net import dnswire
from esprobe.net.dnsquery import _parse

Records = Sequence[Tuple[str, str, Sequence[str]]]  # (owner, type, rdatas)


def _pair(qname: str, rdtype: str, answers: Records = (), rcode: int = 0) -> Tuple[dns.message.Message, bytes]:
    query = dns.message.make_query(qname, rdtype, use_edns=0, payload=1232)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    for owner, kind, rdatas in answers:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", kind, *rdatas))
    return query, response.to_wire()


def _dnspython_reading(response: dns.message.Message, rdtype: str) -> Tuple[str, List[str], List[str]]:
    """What esprobe read through dnspython before: outcome text, addresses (as Go writes them), CNAME chain."""
    rcode = response.rcode()
    if rcode != dns.rcode.NOERROR:
        return dns.rcode.to_text(rcode), [], []
    chain: List[str] = []
    addresses: List[str] = []
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            if not chain:
                chain.append(rrset.name.to_text(omit_final_dot=True))
            chain.extend(r.target.to_text(omit_final_dot=True) for r in rrset)
        elif rrset.rdtype == dns.rdatatype.from_text(rdtype):
            addresses.extend(address_text(r.address) or r.address for r in rrset)
    return "NOERROR", addresses, chain


@pytest.mark.parametrize("name", ["es.bench.", "a.", "node199.es.bench.", "xn--bcher-kva.example.test.", "."])
@pytest.mark.parametrize("rdtype", ["A", "AAAA"])
def test_query_bytes_are_dnspythons(name: str, rdtype: str) -> None:
    expected = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    expected.id = 0xBEEF
    assert expected.to_wire() == dnswire.query(name, rdtype, 0xBEEF)


@pytest.mark.parametrize("name", ["a..b.", "x" * 64 + ".test.", ".".join(["abcdefghi"] * 26) + "."])
def test_unencodable_names_refused(name: str) -> None:
    with pytest.raises(ValueError):
        dnswire.query(name, "A", 1)


ANSWERS = [
    ("es.bench.", "A", [("es.bench.", "A", ["127.0.0.1", "127.0.0.2"])], 0),
    ("es.bench.", "A", [("es.bench.", "A", ["127.0.0.1"]), ("ES.bench.", "A", ["127.0.0.3", "127.0.0.1"])], 0),
    ("es.bench.", "A", [("es.bench.", "CNAME", ["x.y."]), ("x.y.", "CNAME", ["Z\\.q.w\\032e."]),
                        ("Z\\.q.w\\032e.", "A", ["10.0.0.1"])], 0),
    ("es.bench.", "AAAA", [("es.bench.", "AAAA", ["::ffff:1.2.3.4", "::1", "fe80::1:0:0:5", "2001:db8::", "::",
                                                   "::2", "1:0:0:1:0:0:0:1"])], 0),
    ("es.bench.", "AAAA", [("es.bench.", "A", ["127.0.0.1"])], 0),  # no-data for AAAA
    ("es.bench.", "A", [], 3), ("es.bench.", "A", [], 2), ("es.bench.", "A", [], 5), ("es.bench.", "A", [], 4),
    ("es.bench.", "A", [], 1), ("es.bench.", "A", [], 9),
]


@pytest.mark.parametrize("qname, rdtype, answers, rcode", ANSWERS)
def test_answers_read_as_dnspython_read_them(qname: str, rdtype: str, answers: Records, rcode: int) -> None:
    query, wire = _pair(qname, rdtype, answers, rcode)
    old = dns.message.from_wire(wire)
    mine = dnswire.parse(wire)
    outcome, addresses, chain = _dnspython_reading(old, rdtype)
    assert (outcome, addresses, chain) == (dnswire.rcode_text(mine.rcode), *dnswire.addresses_and_chain(mine, rdtype))
    assert query.is_response(old) == dnswire.is_response_to(mine, query.id, qname, rdtype)
    answer = _parse(mine, rdtype)
    assert answer.addresses == tuple(addresses) and answer.chain == tuple(chain)


def test_extended_rcode_from_the_opt_record() -> None:
    query = dns.message.make_query("es.bench.", "A", use_edns=0)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.BADVERS)
    wire = response.to_wire()
    assert dns.message.from_wire(wire).rcode() == dnswire.parse(wire).rcode == 16
    assert "BADVERS" == dnswire.rcode_text(16)


def test_answer_to_another_question_or_id_is_not_a_response() -> None:
    query, wire = _pair("other.bench.", "A", [("other.bench.", "A", ["127.0.0.9"])])
    mine = dnswire.parse(wire)
    assert not dnswire.is_response_to(mine, query.id, "es.bench.", "A")
    assert not dnswire.is_response_to(mine, query.id ^ 1, "other.bench.", "A")
    assert not dnswire.is_response_to(mine, query.id, "other.bench.", "AAAA")
    assert dnswire.is_response_to(mine, query.id, "OTHER.bench.", "A")  # names compare without case
    assert not dnswire.is_response_to(dnswire.parse(query.to_wire()), query.id, "other.bench.", "A")  # QR unset


def _malformed() -> List[bytes]:
    _, good = _pair("es.bench.", "A", [("es.bench.", "A", ["127.0.0.1"])])
    loop = bytearray(good)
    loop[12:14] = b"\xc0\x0c"  # the question's name points at itself
    return [b"", good[:11], good[:20], good[:-1], good + b"\x00", bytes(loop),
            good[:12] + b"\x40" + good[13:],  # a label type that does not exist
            good[:4] + b"\x00\x05" + good[6:]]  # five questions announced, one present


@pytest.mark.parametrize("wire", _malformed(), ids=range(len(_malformed())))
def test_malformed_messages_refused_by_both(wire: bytes) -> None:
    with pytest.raises(dns.exception.DNSException):
        dns.message.from_wire(wire)
    with pytest.raises(dnswire.BadMessage):
        dnswire.parse(wire)
