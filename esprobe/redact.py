"""
The one redaction point. Every value that is a secret is registered here as soon as the config
reader meets it; every renderer, log line and file esprobe writes passes through `Redactor.redact`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Callable, Dict, Iterable, List, Sequence, Tuple
from urllib.parse import quote, quote_plus

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
        self._searchable: "Tuple[str, ...] | None" = None

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
            self._searchable = None

    def add_basic_auth(self, username: str, password: str, setting: str) -> None:
        """The ``Authorization: Basic`` token is itself a secret once a password is in it."""
        if password:
            token = base64.b64encode(f"{username}:{password}".encode("utf-8", "surrogateescape")).decode()
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
        if not text:
            return text
        return replace_all(text, self._candidates())

    def redact_bytes(self, data: bytes) -> bytes:
        return self.redact(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def redact_value(self, value: object) -> object:
        """Redact a whole value (used on config trees): an exact match of a short secret counts too."""
        if isinstance(value, str):
            with self._lock:
                exact = value in self._secrets
            return REDACTED if exact else self.redact(value)
        return value

    def _candidates(self) -> Tuple[str, ...]:
        with self._lock:
            if self._searchable is None:
                self._searchable = tuple(s for s in self._secrets if len(s) >= _MIN_SUBSTRING)
            return self._searchable


def replace_all(text: str, needles: Iterable[str], on_match: "Callable[[str, int], None] | None" = None) -> str:
    """
    Replace every occurrence of every needle by ``<redacted>``; overlapping matches become one.
    *on_match*, if given, hears of each occurrence: the needle and where in *text* it starts.

    Plain substring search rather than one regular expression: compiling an alternation of a
    secret of megabytes (a hostile config's password) costs minutes, finding it costs linear time.
    """
    spans: List[Tuple[int, int]] = []
    for needle in needles:
        start = text.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            if on_match is not None:
                on_match(needle, start)
            start = text.find(needle, start + 1)
    if not spans:
        return text
    spans.sort()
    out: List[str] = []
    done = 0
    cover_start, cover_end = spans[0]
    for begin, end in spans[1:]:
        if begin < cover_end:  # overlapping: one replacement covers both
            cover_end = max(cover_end, end)
            continue
        out += [text[done:cover_start], REDACTED]
        done = cover_end
        cover_start, cover_end = begin, end
    out += [text[done:cover_start], REDACTED, text[cover_end:]]
    return "".join(out)


def _leak_forms(text: str) -> Iterable[str]:
    yield text
    stripped = text.strip()
    if stripped != text:
        yield stripped
    # As a JSON string literal writes it (a password with '"' or '\\' in a JSON report or body),
    # with and without non-ASCII escaped.
    for ascii_only in (False, True):
        escaped = json.dumps(text, ensure_ascii=ascii_only)[1:-1]
        if escaped != text:
            yield escaped
    raw = text.encode("utf-8", "surrogateescape")
    # The Beat sends api_key as base64(id:key); a pasted already-encoded key is sent re-encoded.
    yield base64.b64encode(raw).decode()
    # URL-encoded forms appear in URLs with userinfo (quote's, a userinfo's and a form's).
    for quoted in (quote(raw, safe=""), quote(raw, safe="!$&'()*+,;=:~"), quote_plus(raw, safe="")):
        if quoted != text:
            yield quoted


# --- which settings hold secrets, by name (one rule for the config, -E values and the bundle) ---

# A value under these names is a secret wherever it appears in the name ...
_SECRET_ANYWHERE = ("password", "passwd", "passphrase", "secret")
# ... and under these when they are the last word (``cloud.auth``, ``bearer_token``, ``x-api-key``).
_SECRET_LAST_WORD = {"token", "tokens", "auth", "authorization", "apikey", "cookie", "pwd", "pass", "pw"}
_SECRET_LAST_TWO = {"api_key", "private_key", "credentials_json", "access_key"}
# ``key_passphrase_path``, ``bearer_token_file``: the value names a file, it is not the secret.
_PATH_LIKE = re.compile(r"(^|_)(path|paths|file|files|dir|directory)$")


# A header whose name says it carries a credential (Authorization, X-Api-Key, Cookie, ...): its value
# is kept out of every report and bundle.
_SECRET_HEADER = re.compile(r"auth|token|key|cookie|secret|passw", re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    """True when an HTTP header called *name* carries a credential (the config and the bundle agree)."""
    return bool(_SECRET_HEADER.search(name))


_HEADER_MAPS = ("headers", "proxy_headers")


def is_secret_setting(path: Sequence[str]) -> bool:
    """
    *path* is a setting split in segments (``("output", "elasticsearch", "headers", "Cookie")``): its
    last name is secret by `is_secret_name`, or it is a header under a header map that `is_secret_header` flags.
    """
    if not path:
        return False
    if is_secret_name(path[-1]):
        return True
    return (len(path) >= 2 and normal_setting_name(path[-2].rsplit(".", 1)[-1]) in _HEADER_MAPS
            and is_secret_header(path[-1]))


def normal_setting_name(name: str) -> str:
    """A setting's name as the secret rules compare it: unquoted, lower case, '-' as '_'."""
    return name.strip().strip("\"'").lower().replace("-", "_")


def is_secret_name(name: str) -> bool:
    """
    True when a setting called *name* (the last segment, e.g. ``password`` or ``auth``) holds a
    secret. ``key``, ``certificate`` and ``*_path`` settings hold paths or public data and are not
    secrets by name; inline PEM private keys are caught by their shape instead.
    """
    n = normal_setting_name(name.rsplit(".", 1)[-1])
    if not n or _PATH_LIKE.search(n):
        return False
    if any(word in n for word in _SECRET_ANYWHERE):
        return True
    words = n.split("_")
    return words[-1] in _SECRET_LAST_WORD or "_".join(words[-2:]) in _SECRET_LAST_TWO
