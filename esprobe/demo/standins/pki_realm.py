"""
The stand-in Elasticsearch's PKI realm: who a client certificate is, as the real server decides it.

Written from the server's behaviour, apart from the probe's own PKI code (``esprobe.elastic``), so
that the probe and its stand-in can disagree and a test then shows which of them is wrong:

* the subject DN is the string Java's ``X500Principal.toString()`` gives for the certificate
  (Elasticsearch's ``PkiRealm`` reads ``getSubjectX500Principal().toString()``): the RDNs of the
  encoded subject last to first, joined by ``", "``; the values of a multi-valued RDN joined by
  ``" + "``; attribute types by the JDK's keyword table (``sun.security.x509.AVAKeyword``, the
  keyword registered last for an OID wins), other types as ``OID.<dotted>``; values of the string
  types the JDK decodes as they are, quoted when the JDK quotes them; other values as ``#`` and
  the upper-case hex of their DER encoding;
* the user name is group 1 of ``username_pattern`` (default ``CN=(.*?)(?:,|$)``, compiled
  case-insensitively) found anywhere in that string; no match or an empty group means no user;
* a ``role_mapping.yml`` DN matches when both parse to the same normalised DN, the way the UnboundID
  LDAP SDK compares them without a schema: attribute types and values in lower case, values with
  outer spaces trimmed and inner runs of spaces collapsed, the values of a multi-valued RDN unordered.

This module reads the certificate's DER itself (it does not go through a parsed ``x509.Name``),
as the JDK does.
"""

from __future__ import annotations

import re
from typing import FrozenSet, List, Optional, Tuple

from cryptography import x509

DEFAULT_USERNAME_PATTERN = r"CN=(.*?)(?:,|$)"

# sun.security.x509.AVAKeyword, as X500Principal.toString() (the JDK's DEFAULT style) uses it. Where
# the JDK registers two keywords for one OID, the later one is the one printed (S/ST -> ST,
# DNQUALIFIER/DNQ -> DNQ, EMAIL/EMAILADDRESS -> EMAILADDRESS).
_KEYWORD_BY_OID = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "1.3.6.1.4.1.42.2.11.2.1": "IP",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "2.5.4.46": "DNQ",
    "2.5.4.4": "SURNAME",
    "2.5.4.42": "GIVENNAME",
    "2.5.4.43": "INITIALS",
    "2.5.4.44": "GENERATION",
    "1.2.840.113549.1.9.1": "EMAILADDRESS",
    "0.9.2342.19200300.100.1.1": "UID",
    "2.5.4.5": "SERIALNUMBER",
}

# DerValue.getAsString(): the string types the JDK turns into text, with the charset it decodes
# them with. Every other type (BIT STRING, OCTET STRING, VisibleString, ...) is printed as hex.
_STRING_TAGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "ascii",  # PrintableString
    0x14: "latin-1",  # T61String (the JDK reads it as ISO-8859-1)
    0x16: "ascii",  # IA5String
    0x1B: "ascii",  # GeneralString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}

# The JDK's quoting of a DEFAULT-style value: these characters force quotes around the value...
_FORCES_QUOTES = frozenset(',+=\n<>#;\\"')
# ...and only characters of ASN.1 PrintableString (plus those above) take part in the rules at all.
_PRINTABLE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "abcdefghijklmnopqrstuvwxyz" "0123456789" " '()+,-./:=?"
)


class DerError(ValueError):
    """The certificate's bytes are not the DER this module expects."""


# --- the subject DN, as X500Principal.toString() --------------------------------------------------


def subject_dn(cert: x509.Certificate) -> str:
    """The subject of *cert* as Elasticsearch's PKI realm sees it (``X500Principal.toString()``)."""
    return dn_of_name_der(_subject_der(cert.tbs_certificate_bytes))


def dn_of_name_der(name_der: bytes) -> str:
    """``X500Principal.toString()`` of a DER-encoded X.501 ``Name``."""
    tag, body, rest = _read(name_der)
    if tag != 0x30 or rest:
        raise DerError("a Name is one SEQUENCE")
    rdns: List[str] = []
    for rdn_tag, rdn_body, _ in _items(body):
        if rdn_tag != 0x31:
            raise DerError("an RDN is a SET")
        rdns.append(" + ".join(_attribute(ava_tag, ava_body) for ava_tag, ava_body, _ in _items(rdn_body)))
    return ", ".join(reversed(rdns))


def _subject_der(tbs: bytes) -> bytes:
    """The encoded subject: TBSCertificate is [0] version?, serial, signature, issuer, validity, subject."""
    tag, body, _ = _read(tbs)
    if tag != 0x30:
        raise DerError("TBSCertificate is a SEQUENCE")
    fields = [encoded for field_tag, _, encoded in _items(body, keep_encoding=True) if field_tag != 0xA0]
    if len(fields) < 5:
        raise DerError("TBSCertificate too short")
    return fields[4]


def _attribute(tag: int, body: bytes) -> str:
    if tag != 0x30:
        raise DerError("an AttributeTypeAndValue is a SEQUENCE")
    parts = list(_items(body, keep_encoding=True))
    if len(parts) != 2 or parts[0][0] != 0x06:
        raise DerError("an AttributeTypeAndValue is an OID and a value")
    oid = _oid_text(parts[0][1])
    keyword = _KEYWORD_BY_OID.get(oid, "OID." + oid)
    value_tag, value_body, value_encoding = parts[1]
    charset = _STRING_TAGS.get(value_tag)
    if charset is None:
        return f"{keyword}=#{value_encoding.hex().upper()}"
    return f"{keyword}={_quoted(value_body.decode(charset, errors='replace'))}"


def _quoted(value: str) -> str:
    """
    A value as the JDK writes it in DEFAULT style: in double quotes when it holds one of
    ``,+=<>#;\\"`` or a newline, starts or ends with a space or newline, or has two of them in a
    row; ``"`` and ``\\`` get a backslash; a value already wrapped in quotes is left as it is.
    Characters outside PrintableString (and the specials) are copied and reset the space run.
    """
    wrapped = len(value) > 1 and value.startswith('"') and value.endswith('"')
    inner = value[1:-1] if wrapped else value
    out: List[str] = []
    needs_quotes = False
    after_space = False
    for position, char in enumerate(inner):
        if char not in _PRINTABLE and char not in _FORCES_QUOTES:
            out.append(char)
            after_space = False
            continue
        white = char in " \n"
        if char in _FORCES_QUOTES or (white and (after_space or (position == 0 and not wrapped))):
            needs_quotes = True
        if char in '"\\':
            out.append("\\")
        out.append(char)
        after_space = white
    text = "".join(out)
    if text.endswith((" ", "\n")):
        needs_quotes = True
    if wrapped:
        return f'"{text}"'
    return f'"{text}"' if needs_quotes else text


# --- DER, just enough for a certificate's subject ----------------------------------------------------


def _read(data: bytes) -> Tuple[int, bytes, bytes]:
    """(tag, contents, what follows) of the first element of *data*."""
    tag, start, end = _header(data)
    return tag, data[start:end], data[end:]


def _header(data: bytes) -> Tuple[int, int, int]:
    if len(data) < 2:
        raise DerError("truncated element")
    tag, first = data[0], data[1]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers do not occur in a Name")
    if first < 0x80:
        start, length = 2, first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            raise DerError("bad length")
        start, length = 2 + count, int.from_bytes(data[2 : 2 + count], "big")
    if start + length > len(data):
        raise DerError("element runs past its container")
    return tag, start, start + length


def _items(data: bytes, keep_encoding: bool = False) -> List[Tuple[int, bytes, bytes]]:
    """The elements of a constructed value's contents: (tag, contents, full encoding)."""
    found = []
    while data:
        tag, start, end = _header(data)
        found.append((tag, data[start:end], data[:end] if keep_encoding else b""))
        data = data[end:]
    return found


def _oid_text(body: bytes) -> str:
    if not body:
        raise DerError("empty OID")
    arcs: List[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])


# --- the user name -----------------------------------------------------------------------------


def username(dn: str, pattern: str = DEFAULT_USERNAME_PATTERN) -> Optional[str]:
    """
    The principal the realm takes from *dn*: group 1 of the first match of *pattern* (compiled
    case-insensitively, as the realm setting is), or None when nothing matches or the group is
    empty. Java's regex dialect and Python's agree on the patterns people write here (the default
    and ``EMAILADDRESS=(.*?)(?:,|$)``); a pattern without a group makes Elasticsearch throw, and
    the stand-in simply finds no user.
    """
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None
    found = compiled.search(dn)
    if found is None or compiled.groups < 1:
        return None
    return found.group(1) or None


# --- role_mapping.yml DNs ------------------------------------------------------------------------

_Rdn = FrozenSet[Tuple[str, str]]


def same_dn(left: str, right: str) -> bool:
    """Whether two DN strings name the same entry by UnboundID's schema-less normalisation."""
    a, b = _normalised(left), _normalised(right)
    return a is not None and a == b


def _normalised(dn: str) -> Optional[Tuple[_Rdn, ...]]:
    """The DN as a tuple of RDNs (sets of (type, value)), or None when it does not parse."""
    rdns: List[_Rdn] = []
    current: List[Tuple[str, str]] = []
    text, position = dn.strip(), 0
    if not text:
        return ()
    while True:
        equals = text.find("=", position)
        if equals < 0:
            return None
        attribute = text[position:equals].strip().lower()
        if not attribute:
            return None
        value, position = _dn_value(text, equals + 1)
        if value is None:
            return None
        current.append((attribute, " ".join(value.split()).lower()))
        if position >= len(text):
            rdns.append(frozenset(current))
            return tuple(rdns)
        separator = text[position]
        position += 1
        if separator in ",;":
            rdns.append(frozenset(current))
            current = []
        # "+" continues the same RDN


def _dn_value(text: str, position: int) -> Tuple[Optional[str], int]:
    """One attribute value (quoted, or up to an unescaped separator) and where the next part starts."""
    while position < len(text) and text[position] == " ":
        position += 1
    chars: List[str] = []
    if position < len(text) and text[position] == '"':
        position += 1
        while position < len(text) and text[position] != '"':
            if text[position] == "\\":
                position += 1
            if position >= len(text):
                return None, position
            chars.append(text[position])
            position += 1
        if position >= len(text):
            return None, position
        position += 1
        while position < len(text) and text[position] == " ":
            position += 1
        if position < len(text) and text[position] not in ",;+":
            return None, position
        return "".join(chars), position
    raw: List[int] = []
    while position < len(text) and text[position] not in ",;+":
        char = text[position]
        if char == "\\":
            pair = text[position + 1 : position + 3]
            if re.fullmatch(r"[0-9A-Fa-f]{2}", pair):
                raw.append(int(pair, 16))
                position += 3
                continue
            if position + 1 >= len(text):
                return None, position
            raw.extend(text[position + 1].encode("utf-8"))
            position += 2
            continue
        raw.extend(char.encode("utf-8"))
        position += 1
    return bytes(raw).decode("utf-8", errors="replace"), position
