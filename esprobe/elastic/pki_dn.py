"""
Distinguished names the way Elasticsearch's PKI realm sees them.

Elasticsearch takes a client certificate's subject as Java's ``X500Principal.toString()``
renders it, pulls the user name out of that string with ``username_pattern`` (``find()``
semantics, case-insensitive), and matches role mappings by comparing DNs case- and
space-insensitively. This module reproduces those three steps in pure Python so the auth
stage can predict the user name and the sandbox can authenticate with it.
(tests/elastic/test_pki_dn.py has the verified examples.)
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from cryptography import x509

DEFAULT_USERNAME_PATTERN = r"CN=(.*?)(?:,|$)"

# OID -> keyword used by Java's X500Principal.toString() (its "DEFAULT" format). Any other
# attribute type is written as ``OID.<dotted oid>``; e.g. businessCategory in EV certificates
# shows up as ``OID.2.5.4.15=...`` in keytool output.
_JAVA_KEYWORDS = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
    "1.2.840.113549.1.9.1": "EMAILADDRESS",
    # Also in Java's keyword table (from the JDK's AVAKeyword list; not re-verified locally):
    "2.5.4.12": "T",
    "2.5.4.46": "DNQ",
    "2.5.4.4": "SURNAME",
    "2.5.4.42": "GIVENNAME",
    "2.5.4.43": "INITIALS",
    "2.5.4.44": "GENERATION",
    "2.5.4.5": "SERIALNUMBER",
    "1.3.6.1.4.1.42.2.11.2.1": "IP",
}

# Characters that make Java wrap a value in double quotes.
_JAVA_SPECIALS = ',+=\n<>#;\\"'
# ASN.1 PrintableString characters; Java only applies its quoting rules to these (and to the
# specials above); any other character is copied as it is.
_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


def java_dn(cert: x509.Certificate) -> str:
    """
    The certificate subject as Java's ``X500Principal.toString()`` prints it.

    RDNs come in reverse of their encoding order, joined by ``", "``; the attributes of a
    multi-valued RDN are joined by ``" + "``. This is the string Elasticsearch stores in
    ``metadata.pki_dn`` and matches ``username_pattern`` against.
    """
    return java_dn_of_name(cert.subject)


def java_dn_of_name(subject: x509.Name) -> str:
    """`java_dn` for a bare ``x509.Name``."""
    rdns = []
    for rdn in reversed(list(subject.rdns)):
        rdns.append(" + ".join(_java_ava(attribute) for attribute in rdn))
    return ", ".join(rdns)


def _java_ava(attribute: x509.NameAttribute) -> str:
    oid = attribute.oid.dotted_string
    keyword = _JAVA_KEYWORDS.get(oid, "OID." + oid)
    value = attribute.value
    tag = _tag(attribute)
    if isinstance(value, bytes) or (tag is not None and tag not in _JAVA_TEXT_TAGS):
        # Values Java does not read as text (a BIT STRING unique identifier, a VisibleString) are
        # printed as '#' and the upper-case hex of their DER encoding.
        return f"{keyword}=#{_der_hex(attribute, tag)}"
    return f"{keyword}={_java_quote(value)}"


# DerValue.getAsString(): UTF8String, PrintableString, T61String, IA5String, GeneralString,
# UniversalString, BMPString. Any other type is not text to Java.
_JAVA_TEXT_TAGS = frozenset({12, 19, 20, 22, 27, 28, 30})


def _tag(attribute: x509.NameAttribute) -> Optional[int]:
    """The ASN.1 tag cryptography read the value with (it keeps it privately), when it says."""
    tag = getattr(getattr(attribute, "_type", None), "value", None)
    return tag if isinstance(tag, int) else None


def _der_hex(attribute: x509.NameAttribute, tag: Optional[int]) -> str:
    # cryptography keeps the content octets as encoded (a BIT STRING's leading unused-bits
    # octet included); the text types that reach here (VisibleString, NumericString) are ASCII.
    value = attribute.value
    content = value if isinstance(value, bytes) else value.encode("ascii", "replace")
    tag_value = 4 if tag is None else tag  # OCTET STRING when unknown
    length = len(content)
    if length < 0x80:
        header = bytes([tag_value, length])
    else:
        encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([tag_value, 0x80 | len(encoded)]) + encoded
    return (header + content).hex().upper()


def _java_quote(value: str) -> str:
    """
    Quote *value* when Java would.

    Java quotes a value that contains one of ``,+=<>#;\\"`` or a newline, starts or ends with
    whitespace, or has two whitespace characters in a row; inside the quotes ``"`` and ``\\``
    get a backslash. A value that already starts and ends with ``"`` is left alone.
    """
    length = len(value)
    already_quoted = length > 1 and value[0] == '"' and value[-1] == '"'
    out: List[str] = []
    quote = False
    previous_white = False
    for index, char in enumerate(value):
        if already_quoted and index in (0, length - 1):
            out.append(char)
            continue
        if char in _PRINTABLE or char in _JAVA_SPECIALS:
            if not quote and ((index == 0 and char in " \n") or char in _JAVA_SPECIALS):
                quote = True
            if char in " \n":
                if not quote and previous_white:
                    quote = True
                previous_white = True
            else:
                if char in '"\\':
                    out.append("\\")
                previous_white = False
            out.append(char)
        else:
            previous_white = False
            out.append(char)
    if out and out[-1] in " \n":
        quote = True
    text = "".join(out)
    if quote and not already_quoted:
        return f'"{text}"'
    return text


def pki_username(dn: str, pattern: str = DEFAULT_USERNAME_PATTERN) -> Optional[str]:
    """
    The user name Elasticsearch's PKI realm extracts from *dn*, or None.

    Like the realm: the pattern is compiled case-insensitively and applied with ``find()``
    (the first match anywhere), group 1 is the user name, and an empty group means "no user".
    An invalid pattern or one without a group also yields None.
    """
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, TypeError):
        return None
    if compiled.groups < 1 or not isinstance(dn, str):
        return None
    match = compiled.search(dn)
    if match is None:
        return None
    username = match.group(1)
    return username or None


# --- role-mapping comparison ---------------------------------------------------------------

NormalizedDn = Tuple[Tuple[Tuple[str, str], ...], ...]

_TYPE_ALIASES = {
    "2.5.4.3": "cn",
    "2.5.4.6": "c",
    "2.5.4.7": "l",
    "2.5.4.8": "st",
    "2.5.4.10": "o",
    "2.5.4.11": "ou",
    "2.5.4.9": "street",
    "0.9.2342.19200300.100.1.25": "dc",
    "0.9.2342.19200300.100.1.1": "uid",
    "1.2.840.113549.1.9.1": "emailaddress",
    "e": "emailaddress",
    "email": "emailaddress",
    "s": "st",
}


def normalize_dn(dn: str) -> Optional[NormalizedDn]:
    """
    A comparable form of a DN string, or None when it cannot be parsed.

    Role mappings match DNs case- and space-insensitively (Elasticsearch compares UnboundID's
    normalized strings): attribute types and values are lower-cased, spaces around separators
    are dropped and runs of inner spaces collapse to one. Both ``,`` and ``;`` separate RDNs.
    """
    if not isinstance(dn, str):
        return None
    try:
        rdns = _parse_dn(dn)
    except ValueError:
        return None
    return tuple(tuple(sorted(rdn)) for rdn in rdns)


def dn_matches(a: str, b: str) -> bool:
    """True when two DN strings name the same subject by role-mapping rules."""
    left, right = normalize_dn(a), normalize_dn(b)
    return left is not None and left == right


def _parse_dn(dn: str) -> List[List[Tuple[str, str]]]:
    text = dn.strip()
    if not text:
        return []
    rdns: List[List[Tuple[str, str]]] = [[]]
    index, length = 0, len(text)
    while index < length:
        # attribute type
        equals = text.find("=", index)
        if equals < 0:
            raise ValueError("attribute without '='")
        attr_type = text[index:equals].strip().lower()
        if not attr_type:
            raise ValueError("empty attribute type")
        if attr_type.startswith("oid."):
            attr_type = attr_type[4:]
        attr_type = _TYPE_ALIASES.get(attr_type, attr_type)
        index = equals + 1
        while index < length and text[index] == " ":
            index += 1
        value, index = _parse_value(text, index)
        rdns[-1].append((attr_type, _normalize_value(value)))
        if index >= length:
            break
        separator = text[index]
        index += 1
        if separator in ",;":
            rdns.append([])
        elif separator != "+":
            raise ValueError(f"unexpected {separator!r}")
    if not rdns[-1]:
        raise ValueError("trailing separator")
    return rdns


def _parse_value(text: str, index: int) -> Tuple[str, int]:
    out: List[str] = []
    length = len(text)
    if index < length and text[index] == '"':
        index += 1
        while index < length and text[index] != '"':
            if text[index] == "\\" and index + 1 < length:
                index += 1
            out.append(text[index])
            index += 1
        if index >= length:
            raise ValueError("unterminated quote")
        index += 1
        while index < length and text[index] == " ":
            index += 1
        return "".join(out), index
    while index < length and text[index] not in ",;+":
        char = text[index]
        if char == "\\" and index + 1 < length:
            pair = text[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(chr(int(pair, 16)))
                index += 3
                continue
            out.append(text[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out), index


def _normalize_value(value: str) -> str:
    return " ".join(value.split()).lower()
