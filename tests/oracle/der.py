"""A few DER primitives for building certificates `cryptography` will not build (test-only)."""

from __future__ import annotations

from typing import List, Tuple


def header(data: bytes, offset: int) -> Tuple[int, int, int]:
    """(tag, header length, content length) of the TLV at *offset*."""
    tag = data[offset]
    first = data[offset + 1]
    if first < 0x80:
        return tag, 2, first
    count = first & 0x7F
    length = int.from_bytes(data[offset + 2:offset + 2 + count], "big")
    return tag, 2 + count, length


def tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def content(element: bytes) -> bytes:
    _, size, length = header(element, 0)
    return element[size:size + length]


def children(element: bytes) -> List[bytes]:
    """The TLVs inside a constructed element (whole, header included)."""
    body = content(element)
    out, offset = [], 0
    while offset < len(body):
        _, size, length = header(body, offset)
        out.append(body[offset:offset + size + length])
        offset += size + length
    return out


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def integer(value: int) -> bytes:
    if value == 0:
        return tlv(0x02, b"\x00")
    size = (value.bit_length() + 8) // 8 if value > 0 else ((-value - 1).bit_length() + 8) // 8
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def octet_string(value: bytes) -> bytes:
    return tlv(0x04, value)


def bit_string(value: bytes) -> bytes:
    return tlv(0x03, b"\x00" + value)


BOOLEAN_TRUE = tlv(0x01, b"\xff")


def extension(dotted: str, value: bytes, critical: bool = False) -> bytes:
    """One Extension: extnID, critical (only when true, as DER wants), extnValue (*value* is the inner DER)."""
    return seq(oid(dotted), *((BOOLEAN_TRUE,) if critical else ()), octet_string(value))


def extension_oid(ext: bytes) -> bytes:
    return children(ext)[0]


def ext_critical(ext: bytes) -> bytes:
    """The same extension marked critical."""
    parts = children(ext)
    if len(parts) == 3:
        return ext
    return seq(parts[0], BOOLEAN_TRUE, parts[1])
