"""
The one redaction point. Every value that is a secret is registered here as soon as the config
reader meets it; every renderer, log line and file esprobe writes passes through `Redactor.redact`.
"""

from __future__ import annotations

import base64
import re
import threading
from typing import Dict, Iterable, List, Tuple

REDACTED = "<redacted>"

# Secrets shorter than this are not searched for inside longer text: a one-character password
# would otherwise blank out every occurrence of that letter. They are still blanked when a whole
# value equals them (see `redact_value`).
_MIN_SUBSTRING = 3


class Redactor:
    """
    A registry of secret values and the setting each came from.

    Besides each value itself, the forms in which it could leak are registered too: the
    base64 of an ``id:key`` API key (the header value), and the base64 basic-auth token.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: Dict[str, str] = {}  # value -> setting name (first one wins)
        self._pattern: "re.Pattern[str] | None" = None

    def add(self, value: object, setting: str) -> None:
        """Register *value* (from *setting*) as a secret. Empty values are ignored."""
        if value is None:
            return
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        if not text.strip():
            return
        with self._lock:
            for form in _leak_forms(text):
                self._secrets.setdefault(form, setting)
            self._pattern = None

    def add_basic_auth(self, username: str, password: str, setting: str) -> None:
        """The ``Authorization: Basic`` token is itself a secret once a password is in it."""
        if password:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.add(token, setting)

    @property
    def settings(self) -> Tuple[str, ...]:
        """The settings that held secrets, for manifests (never the values)."""
        with self._lock:
            return tuple(sorted(set(self._secrets.values())))

    def values(self) -> Tuple[str, ...]:
        with self._lock:
            return tuple(self._secrets)

    def setting_for(self, value: str) -> "str | None":
        """The setting a registered secret came from (for manifests), or None if unknown."""
        with self._lock:
            return self._secrets.get(value)

    def redact(self, text: str) -> str:
        """Replace every registered secret in *text* by ``<redacted>``."""
        pattern = self._compiled()
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)

    def redact_bytes(self, data: bytes) -> bytes:
        return self.redact(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def redact_value(self, value: object) -> object:
        """Redact a whole value (used on config trees): an exact match of a short secret counts too."""
        if isinstance(value, str):
            with self._lock:
                exact = value in self._secrets
            return REDACTED if exact else self.redact(value)
        return value

    def _compiled(self) -> "re.Pattern[str] | None":
        with self._lock:
            if self._pattern is None:
                candidates: List[str] = [s for s in self._secrets if len(s) >= _MIN_SUBSTRING]
                if not candidates:
                    return None
                # Longest first, so that a secret containing another is replaced whole.
                candidates.sort(key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(c) for c in candidates))
            return self._pattern


def _leak_forms(text: str) -> Iterable[str]:
    yield text
    stripped = text.strip()
    if stripped != text:
        yield stripped
    # The Beat sends api_key as base64(id:key); a pasted already-encoded key is sent re-encoded.
    yield base64.b64encode(text.encode()).decode()
    # URL-encoded forms appear in URLs with userinfo.
    from urllib.parse import quote

    quoted = quote(text, safe="")
    if quoted != text:
        yield quoted
