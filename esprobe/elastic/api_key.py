"""
The shape of an ``api_key`` setting. Pure; shared by the config reader (which warns early) and
the auth stage (which explains Elasticsearch's refusal).

The Beat wants the raw ``id:api_key`` and base64-encodes it itself; the two usual mistakes are the
``encoded`` value of the create-API-key answer (base64 of ``id:api_key``: encoded twice by the
Beat) and a key without its id.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Optional

OK = "ok"
ENCODED = "encoded"  # base64 of id:key: the Beat encodes it a second time
NO_COLON = "no-colon"

_ID_AND_KEY = re.compile(r"[^:\s]+:[^:\s]+")


def decoded(value: str) -> Optional[str]:
    """*value* base64-decoded (standard or URL-safe alphabet, padding optional) as text, or None."""
    padded = value + "=" * (-len(value) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decoder(padded).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
    return None


def shape(api_key: Optional[str]) -> str:
    """Whether *api_key* is the raw ``id:key`` the Beat expects (`OK`), `ENCODED`, or `NO_COLON`."""
    if not api_key or ":" in api_key:
        return OK
    text = decoded(api_key.strip())
    if text is not None and _ID_AND_KEY.fullmatch(text):
        return ENCODED
    return NO_COLON


def key_id(api_key: Optional[str]) -> Optional[str]:
    """The key id (not secret), from ``id:key`` or its encoded form."""
    if not api_key:
        return None
    if ":" in api_key:
        return api_key.split(":", 1)[0] or None
    text = decoded(api_key.strip())
    if text and ":" in text:
        return text.split(":", 1)[0] or None
    return None
