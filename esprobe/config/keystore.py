"""
The Beat's file keystore (elastic/beats libbeat/keystore/file_keystore.go): ``v1``/``v2`` prefix + base64(salt[64] ||
nonce[12] || AES-256-GCM ciphertext+tag), key = PBKDF2-HMAC-SHA512(empty password, salt,
10000 rounds), plaintext = ``{"NAME":{"value":"<base64 bytes>"}}``.

`read_keystore` never raises: every problem becomes `KeystoreInfo.error` plus a problem kind.
`write_keystore` exists for tests and ``esprobe demo``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import field
from types import ModuleType
from typing import Dict, List, Mapping, Optional, Tuple, Union

from esprobe.config.source import go_error, read_text
from esprobe.lazy import load
from esprobe.record import record

__all__ = ["KeystoreInfo", "KeystoreRead", "read_keystore", "write_keystore", "decrypt", "encrypt"]

SALT_LEN = 64
NONCE_LEN = 12
ITERATIONS = 10000
VERSIONS = ("v1", "v2")  # v2 is what FIPS builds write; the byte layout is the same


@record
class KeystoreInfo:
    """
    What esprobe found at the keystore location (never the values).

    Attributes:
        path: the absolute path used.
        exists: whether the file exists (a missing keystore is an empty one, not an error).
        version: ``v1`` or ``v2`` when the prefix was readable, else None.
        keys: the secret names it holds, sorted.
        error: why it could not be used, worded like the Beat, or None.
        source: how the path was chosen: ``--keystore``, ``keystore.path`` or ``default``.
    """

    path: str
    exists: bool
    version: Optional[str] = None
    keys: Tuple[str, ...] = ()
    error: Optional[str] = None
    source: str = "default"


@record
class KeystoreRead:
    """
    `read_keystore`'s result.

    Attributes:
        info: the public summary.
        values: name -> secret text; empty when the keystore is missing or broken.
        problem: ``unreadable`` | ``version`` | ``corrupt`` | ``decrypt`` | ``json`` | None.
    """

    info: KeystoreInfo
    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    problem: Optional[str] = None
    not_utf8: Tuple[str, ...] = ()  # names whose value is not UTF-8 (kept with U+FFFD in its place)


def encrypt(plaintext: bytes, salt: Optional[bytes] = None, nonce: Optional[bytes] = None) -> bytes:
    """The encrypted payload (before base64): salt || nonce || ciphertext+tag (see keystore_cipher.py)."""
    return _cipher().encrypt(plaintext, salt, nonce)


def decrypt(payload: bytes) -> bytes:
    """Decrypt salt || nonce || ciphertext+tag; ValueError worded like the Beat (see keystore_cipher.py)."""
    return _cipher().decrypt(payload)


def _cipher() -> ModuleType:
    # AES-GCM and PBKDF2 (~5 ms of imports) only once a keystore file exists: most hosts have none.
    return load("esprobe.config.keystore_cipher")


def serialize(secrets: Mapping[str, Union[str, bytes]]) -> bytes:
    """Go's json.Encoder output for the secrets map: sorted keys, compact, trailing newline."""
    doc = {}
    for name in sorted(secrets):
        value = secrets[name]
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        doc[name] = {"value": base64.b64encode(raw).decode("ascii")}
    # Go escapes <, > and & in JSON strings; base64 and typical names never contain them.
    return (json.dumps(doc, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")


def write_keystore(
    path: str,
    secrets: Mapping[str, Union[str, bytes]],
    *,
    version: str = "v1",
    salt: Optional[bytes] = None,
    nonce: Optional[bytes] = None,
) -> str:
    """
    Write a keystore the Beat can read, mode 0600, via ``<path>.tmp`` and a rename as the Beat
    does. Returns the absolute path.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown keystore version {version!r}")
    payload = encrypt(serialize(secrets), salt, nonce)
    content = version.encode("ascii") + base64.b64encode(payload)
    absolute = os.path.abspath(path)
    tmp = absolute + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, absolute)
    return absolute


def _b64_error(text: bytes) -> str:
    # Go: "illegal base64 data at input byte N" (N = the first bad position).
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for i, c in enumerate(text):
        if c not in alphabet and c != ord("="):
            return f"illegal base64 data at input byte {i}"
    return f"illegal base64 data at input byte {max(len(text) - len(text) % 4 - 1, 0)}"


def read_keystore(path: str, source: str = "default") -> KeystoreRead:
    """Read and decrypt the keystore at *path*. Never raises."""
    absolute = os.path.abspath(path)

    def broken(problem: str, error: str, version: Optional[str] = None) -> KeystoreRead:
        return KeystoreRead(KeystoreInfo(absolute, True, version, (), error, source), {}, problem)

    try:
        raw = read_text(absolute)
    except FileNotFoundError:
        return KeystoreRead(KeystoreInfo(absolute, False, None, (), None, source))
    except OSError as err:
        if err.errno:
            message = go_error("open", absolute, err)
        else:
            message = f"open {absolute}: {err.strerror}"
        return broken("unreadable", message)
    except ValueError:  # a NUL byte in the path: Go's open fails with EINVAL
        return broken("unreadable", f"open {absolute!r}: invalid argument")
    if len(raw) == 0:
        # The Beat compares the first two bytes of an empty buffer with "v1" and fails.
        return broken("version", "keystore format doesn't match expected version: 'v1' got ''")
    prefix = raw[:2].decode("latin-1")
    if prefix not in VERSIONS:
        shown = prefix if prefix.isprintable() else repr(prefix)
        return broken("version", f"keystore format doesn't match expected version: 'v1' got '{shown}'")
    if len(raw) <= 2:
        return broken("corrupt", "corrupt or empty keystore", prefix)
    body = raw[2:]
    try:
        payload = base64.b64decode(body.replace(b"\r", b"").replace(b"\n", b""), validate=True)
    except (binascii.Error, ValueError):
        return broken("corrupt", f"could not decrypt the keystore: {_b64_error(body)}", prefix)
    try:
        plaintext = decrypt(payload)
    except ValueError as err:
        return broken("decrypt", f"could not decrypt the keystore: {err}", prefix)
    try:
        doc = json.loads(plaintext.decode("utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("the keystore content is not a JSON object")
        values: Dict[str, str] = {}
        not_utf8: List[str] = []
        for name, entry in doc.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
                raise ValueError(f"the keystore entry for {name} has no value")
            raw_value = base64.b64decode(entry["value"], validate=True)
            try:
                values[name] = raw_value.decode("utf-8")
            except UnicodeDecodeError:
                # The Beat would send these bytes as they are; esprobe's text cannot hold them,
                # so the value is kept recognisable but flagged (a finding says it cannot be judged).
                values[name] = raw_value.decode("utf-8", "replace")
                not_utf8.append(name)
    except (ValueError, UnicodeDecodeError, binascii.Error) as err:
        return broken("json", f"the keystore content is not valid: {str(err)[:200]}", prefix)
    info = KeystoreInfo(absolute, True, prefix, tuple(sorted(values)), None, source)
    return KeystoreRead(info, values, not_utf8=tuple(sorted(not_utf8)))
