"""
The keystore's cryptography: PBKDF2-HMAC-SHA512 key derivation and AES-256-GCM, as
libbeat/keystore/file_keystore.go does it. Apart from keystore.py so that a run without a
keystore file never imports it (keystore.py loads it through esprobe.lazy on first use).
"""

from __future__ import annotations

import hashlib
import os
from typing import Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from esprobe.config.keystore import ITERATIONS, NONCE_LEN, SALT_LEN


def _derive(salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", b"", salt, ITERATIONS, dklen=32)


def encrypt(plaintext: bytes, salt: Optional[bytes] = None, nonce: Optional[bytes] = None) -> bytes:
    """The encrypted payload (before base64): salt || nonce || ciphertext+tag."""
    salt = os.urandom(SALT_LEN) if salt is None else salt
    nonce = os.urandom(NONCE_LEN) if nonce is None else nonce
    if len(salt) != SALT_LEN or len(nonce) != NONCE_LEN:
        raise ValueError("salt must be 64 bytes and nonce 12 bytes")
    return salt + nonce + AESGCM(_derive(salt)).encrypt(nonce, plaintext, None)


def decrypt(payload: bytes) -> bytes:
    """
    Decrypt salt || nonce || ciphertext+tag.

    Raises:
        ValueError: worded like the Beat (``missing information ...``, ``cipher: message
            authentication failed``).
    """
    if len(payload) < SALT_LEN + NONCE_LEN + 1:
        raise ValueError("missing information in the file for decrypting the keystore")
    salt, nonce, body = payload[:SALT_LEN], payload[SALT_LEN : SALT_LEN + NONCE_LEN], payload[SALT_LEN + NONCE_LEN :]
    try:
        return AESGCM(_derive(salt)).decrypt(nonce, body, None)
    except (InvalidTag, ValueError):
        raise ValueError("could not decrypt keystore data: cipher: message authentication failed") from None
