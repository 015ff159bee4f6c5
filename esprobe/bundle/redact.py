"""
Redaction for the support bundle: secrets found by setting name, by the shape of the value and
by the values the `Redactor` registered, each replacement recorded (names, never values).

Pure functions over text and plain trees. Three layers, because each alone has leaked in other
tools' bundles (elastic-agent redacted only YAML, and only by key name):

1. key name: ``password``, ``api_key``, ``key_passphrase``, ``cloud.auth``, ``Authorization``
   headers ... (a ``key:`` holding a *path* is not a secret; inline PEM is caught by layer 2);
2. value shape: PEM private key blocks, ``Authorization`` header values, URL userinfo,
   ``id:key`` API keys (plain or base64);
3. known values: everything `esprobe.redact.Redactor` registered while reading the config,
   with their base64 and URL-encoded forms.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from esprobe.config.tree import parse_override, to_plain
from esprobe.record import record
from esprobe.redact import REDACTED, Redactor, is_secret_name, is_secret_setting, replace_all

# The kinds the manifest names.
KEY_NAME = "key-name"
PEM_PRIVATE_KEY = "pem-private-key"
URL_USERINFO = "url-userinfo"
AUTHORIZATION_HEADER = "authorization-header"
API_KEY = "api-key"
KNOWN_SECRET = "known-secret"

# Redactor.redact ignores registered secrets shorter than this inside longer text (a one-letter
# password would blank every such letter); the bundle uses the same floor so that its own
# replacements and the final scan agree with the one redaction point.
MIN_SUBSTRING = 3


@record
class Redaction:
    """
    One replacement made in one bundle file.

    Attributes:
        file: the archive member, e.g. ``config/original.yml``.
        kind: ``key-name`` | ``pem-private-key`` | ``url-userinfo`` | ``authorization-header`` |
            ``api-key`` | ``known-secret``.
        setting: the setting (or, in JSON, the key path) where it was found, when known.
        line: the 1-based line in the member, when the member is line-oriented.
        source: for ``known-secret``, the setting the secret was registered from.
    """

    file: str
    kind: str
    setting: Optional[str] = None
    line: Optional[int] = None
    source: Optional[str] = None


# --- layer 1: names (the rule itself is esprobe.redact.is_secret_name, shared with the config) --

def _split_dotted(key: str) -> List[str]:
    return [part for part in key.strip().strip("\"'").split(".") if part]


# --- layer 2: shapes ---------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")
# A whole block; when the END line is missing (truncated paste) everything after BEGIN goes.
_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
)

# ``Authorization: Basic ...`` as a header line, a YAML/JSON pair or a Python repr.
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?)([^\r\n\"',}]+)"
)
# A credential after its scheme word, where no header name is in sight (``Basic dXNlcjpwdw==``).
_AUTH_SCHEME = re.compile(r"\b(Basic|Bearer|ApiKey)[ \t]+([A-Za-z0-9+/=._~-]{8,})")

# scheme://user:password@host -- the user name stays, it helps and is not a secret. As in Go's
# url.Parse, the userinfo ends at the LAST '@' before the path: a password may hold '@' (and, as
# people paste them, spaces), so the password runs greedily to the last '@' of the line's authority.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#@:\"'<>]*):([^\r\n/?#\"'<>]*)@")

# An Elasticsearch API key as the Beat's ``api_key`` takes it: ``id:key``, both random base64url.
_ID_KEY = re.compile(r"(?<![A-Za-z0-9_+/=-])([A-Za-z0-9_-]{16,64}):([A-Za-z0-9_-]{16,64})(?![A-Za-z0-9_+/=-])")
# Its encoded form (the header value): base64 of ``id:key``.
_BASE64_TOKEN = re.compile(r"(?<![A-Za-z0-9_+/=-])([A-Za-z0-9+/]{20,}={0,2})(?![A-Za-z0-9_+/=-])")
_DECODED_ID_KEY = re.compile(r"[A-Za-z0-9_-]{8,}:[A-Za-z0-9_-]{8,}")


def _looks_random(part: str) -> bool:
    """Random base64url has both cases; ``metricbeat-ilm-policy`` or a hex digest has not."""
    return any(c.isupper() for c in part) and any(c.islower() for c in part)


def _decodes_to_id_key(token: str) -> bool:
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False
    return bool(_DECODED_ID_KEY.fullmatch(text))


def _basic_token(token: str) -> bool:
    """A Basic credential decodes to ``user:password``."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in raw


def _token_like(token: str) -> bool:
    return any(c.isdigit() or c in "+/=._~-" for c in token)


Record = Callable[[str, str, int, Optional[str]], None]  # (kind, text searched, offset, source)


def _sub(pattern: re.Pattern[str], text: str, kind: str, record: Record,
         replace: Callable[[re.Match[str]], Optional[str]]) -> str:
    def one(match: re.Match[str]) -> str:
        replacement = replace(match)
        if replacement is None:
            return match.group(0)
        record(kind, text, match.start(), None)
        return replacement

    return pattern.sub(one, text)


def _shape_passes(text: str, record: Record) -> str:
    # The newlines stay, so that line numbers after the block still match the input.
    text = _sub(_PEM_BLOCK, text, PEM_PRIVATE_KEY, record, lambda m: REDACTED + "\n" * m.group(0).count("\n"))
    text = _sub(
        _AUTH_HEADER, text, AUTHORIZATION_HEADER, record,
        lambda m: None if not m.group(2).strip() or m.group(2).startswith(REDACTED) else m.group(1) + REDACTED,
    )

    def scheme(m: re.Match[str]) -> Optional[str]:
        word, token = m.group(1), m.group(2)
        if token == REDACTED:
            return None
        if word == "Basic" and not _basic_token(token):
            return None
        if word != "Basic" and not _token_like(token):
            return None
        return f"{word} {REDACTED}"

    text = _sub(_AUTH_SCHEME, text, AUTHORIZATION_HEADER, record, scheme)
    text = _sub(
        _USERINFO, text, URL_USERINFO, record,
        lambda m: None if m.group(3) in ("", REDACTED) else f"{m.group(1)}{m.group(2)}:{REDACTED}@",
    )
    text = _sub(
        _ID_KEY, text, API_KEY, record,
        lambda m: REDACTED if _looks_random(m.group(1)) and _looks_random(m.group(2)) else None,
    )
    text = _sub(_BASE64_TOKEN, text, API_KEY, record, lambda m: REDACTED if _decodes_to_id_key(m.group(1)) else None)
    return text


# --- layer 3: known values ----------------------------------------------------------------------


class KnownSecrets:
    """The Redactor's values, searched longest first as `Redactor.redact` does."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.values = frozenset(redactor.values())
        self.searchable = tuple(sorted((v for v in self.values if len(v) >= MIN_SUBSTRING), key=len, reverse=True))

    def sub(self, text: str, record: Record) -> str:
        if not self.searchable or not text:
            return text

        def one(needle: str, start: int) -> None:
            record(KNOWN_SECRET, text, start, self.redactor.setting_for(needle))

        return replace_all(text, self.searchable, one)

    def is_exact(self, value: object) -> bool:
        """A whole value equal to a registered secret counts, however short (`Redactor.redact_value`)."""
        return isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) in self.values


# --- free text -------------------------------------------------------------------------------------


def redact_text(
    text: str,
    known: KnownSecrets,
    file: str,
    *,
    lines: bool = True,
    setting_at_line: Optional[Callable[[int], Optional[str]]] = None,
    setting: Optional[str] = None,
) -> Tuple[str, List[Redaction]]:
    """
    Apply the shape rules and the known values to *text* (any format).

    Args:
        known: the registered secrets.
        file: the member name recorded in each `Redaction`.
        lines: record line numbers (off for single values such as JSON strings).
        setting_at_line: names the setting a line belongs to, when the caller knows it.
        setting: the setting the whole text belongs to (JSON key path, ``-E`` key).
    """
    found: List[Redaction] = []

    def record(kind: str, searched: str, offset: int, source: Optional[str]) -> None:
        # Every pass keeps the line count (a PEM block keeps its newlines), so a line number
        # in a pass's input is the line in the output too.
        line = searched.count("\n", 0, offset) + 1 if lines else None
        where = setting
        if where is None and setting_at_line is not None and line is not None:
            where = setting_at_line(line)
        found.append(Redaction(file, kind, where, line, source))

    # Known values first: a password that holds '@', a space or a quote would otherwise be cut in
    # two by a shape rule (userinfo ends at an '@'), and the half left over matches nothing.
    out = _shape_passes(known.sub(text, record), record)
    return out, found


# --- YAML text, line by line -------------------------------------------------------------------

_KEY_LINE = re.compile(
    r"""^(?P<indent>[ \t]*)(?P<dash>(?:-[ \t]+)*)"""
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#"'{}\[\],:&*!|>%@`-][^#:]*?|-[^\s#:][^#:]*?)"""
    r"""[ \t]*:(?=[ \t]|$)(?P<rest>.*)$"""
)
_DASH_ONLY = re.compile(r"^(?P<indent>[ \t]*)(?P<dash>(?:-[ \t]+|-$)+)(?P<rest>.*)$")
_COMMENT = re.compile(r"^(?P<indent>[ \t]*)#(?P<body>.*)$")
_BLOCK_INDICATOR = re.compile(r"^[|>][0-9+-]*$")
_VARIABLE_ONLY = re.compile(r"""^(["']?)\$\{[A-Za-z0-9_.\-]+\}\1$""")
_PROPERTIES = re.compile(r"^((?:[&!][^\s]*[ \t]+)*)(.*)$", re.DOTALL)
_FLOW_PAIR = re.compile(
    r"""(?P<pre>[{,][ \t]*)(?P<q>["']?)(?P<key>[^"'{}\[\],:\s]+)(?P=q)[ \t]*:[ \t]*"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,}\]]*)"""
)


def _split_value(rest: str) -> Tuple[str, str, str, bool]:
    """``rest`` after ``key:`` -> (leading space, value, trailing space + comment, terminated)."""
    body = rest.lstrip(" \t")
    lead = rest[: len(rest) - len(body)]
    if body.startswith('"'):
        i = 1
        while i < len(body):
            if body[i] == "\\":
                i += 2
                continue
            if body[i] == '"':
                return lead, body[: i + 1], body[i + 1 :], True
            i += 1
        return lead, body, "", False
    if body.startswith("'"):
        i = 1
        while i < len(body):
            if body[i] == "'":
                if body[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return lead, body[: i + 1], body[i + 1 :], True
            i += 1
        return lead, body, "", False
    comment = re.search(r"[ \t]#", body)
    if body.startswith("#"):
        return lead, "", body, True
    value = body[: comment.start()] if comment else body
    stripped = value.rstrip(" \t")
    return lead, stripped, body[len(stripped) :], True


@record(frozen=False)
class _Frame:
    column: int
    path: Tuple[str, ...]
    secret: bool


@record(frozen=False)
class _Content:
    """Lines more indented than *column* belong to the value of the key line above."""

    column: int
    setting: str
    secret: bool
    first_pending: bool  # a block scalar's first line still has to become <redacted>


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


class _YamlRedactor:
    def __init__(self, file: str, known: KnownSecrets) -> None:
        self.file = file
        self.known = known
        self.found: List[Redaction] = []
        self.stack: List[_Frame] = []
        self.content: Optional[_Content] = None
        self.in_pem = False
        self.settings: List[Optional[str]] = []

    # -- helpers --
    def _record(self, kind: str, setting: Optional[str], line_no: int) -> None:
        self.found.append(Redaction(self.file, kind, setting, line_no))

    def _parent(self, column: int) -> Optional[_Frame]:
        for frame in reversed(self.stack):
            if frame.column < column:
                return frame
        return None

    def _setting(self) -> Optional[str]:
        return ".".join(self.stack[-1].path) if self.stack else None

    # -- PEM blocks spanning lines --
    def _pem(self, line: str, line_no: int) -> str:
        if self.in_pem:
            end = _PEM_END.search(line)
            if end is None:
                return ""
            self.in_pem = False
            rest = line[end.end() :]  # a closing quote, say
            return line[: _indent_of(line)] + rest if rest.strip() else ""
        begin = _PEM_BEGIN.search(line)
        if begin is None:
            return line
        if _PEM_END.search(line, begin.end()):
            return line  # one-line block (quoted with \n escapes): the whole-text pass takes it
        self.in_pem = True
        self._record(PEM_PRIVATE_KEY, self._setting(), line_no)
        return line[: begin.start()] + REDACTED

    # -- one key line --
    def _key_line(
        self, match: re.Match[str], line_no: int, detached: Optional[Tuple[str, int, str]] = None
    ) -> str:
        """
        *detached* is (text before the match, column, note) for a ``key: value`` that is not
        live YAML structure: a commented-out setting, or one inside another key's multi-line
        value. It is read like a live one, but it neither opens a scope nor owns the lines below.
        """
        indent, dash, key, rest = match.group("indent", "dash", "key", "rest")
        live = detached is None
        column = len(indent) + len(dash) if detached is None else detached[1]
        parent = self._parent(column)
        path = (parent.path if parent else ()) + tuple(_split_dotted(key) or [key])
        secret = bool(parent and parent.secret) or is_secret_setting(path)
        setting = ".".join(path) + ("" if detached is None else detached[2])
        if live:
            while self.stack and self.stack[-1].column >= column:
                self.stack.pop()
            self.stack.append(_Frame(column, path, secret))
        lead, value, tail, terminated = _split_value(rest)
        before = (detached[0] if detached else "") + match.group(0)[: match.start("rest")]
        if live:
            block = bool(_BLOCK_INDICATOR.match(value))
            self.content = _Content(column, setting, secret, block) if value else None
        if not secret:
            if value.startswith("{"):
                value = self._flow(value, path, line_no)
            return before + lead + value + tail
        untouched = before + rest
        if value == "" or _BLOCK_INDICATOR.match(value) or _VARIABLE_ONLY.match(value):
            return untouched
        props, bare = _PROPERTIES.match(value).groups()  # type: ignore[union-attr]
        if not bare:
            return untouched
        self._record(KEY_NAME, setting, line_no)
        # An unterminated quoted value goes on below; those lines are blanked (see `line`), and
        # an unquoted <redacted> keeps the file valid YAML. Inside another value, the quote or
        # bracket that closes that value stays.
        closing = ""
        if detached is not None and bare[:1] not in ("'", '"', "[", "{"):
            closing = re.search(r"[\"'\]})]*$", bare).group(0)  # type: ignore[union-attr]
        return before + lead + props + REDACTED + closing + (tail if terminated else "")

    def _flow(self, value: str, path: Tuple[str, ...], line_no: int) -> str:
        def one(m: re.Match[str]) -> str:
            inner = path + (m.group("key"),)
            written = m.group("value").strip()
            if not is_secret_setting(inner) or not written or _VARIABLE_ONLY.match(written):
                return m.group(0)
            self._record(KEY_NAME, ".".join(inner), line_no)
            return m.group(0)[: m.start("value") - m.start(0)] + REDACTED

        return _FLOW_PAIR.sub(one, value)

    def line(self, line: str, line_no: int) -> str:
        if line.endswith("\r\n"):
            body, newline = line[:-2], "\r\n"
        else:
            body, newline = line.rstrip("\n"), "\n" if line.endswith("\n") else ""
        if self.in_pem:
            self.settings.append(self._setting())
            return self._pem(body, line_no) + newline
        stripped = body.strip()
        if stripped in ("---", "...") or stripped.startswith("--- "):
            self.stack.clear()
            self.content = None
            self.settings.append(None)
            return line
        indent = _indent_of(body)
        content = self.content
        if content is not None and (not stripped or indent > content.column):
            self.settings.append(content.setting)
            if content.secret:
                if not stripped:
                    return line
                if content.first_pending:
                    content.first_pending = False
                    self._record(KEY_NAME, content.setting, line_no)
                    return body[:indent] + REDACTED + newline
                return newline  # the key line already says <redacted>; keep the line count
            return self._pem(self._inside_value(body, line_no), line_no) + newline
        if stripped:
            self.content = None
        out = self._structure(body, line_no)
        self.settings.append(self._setting())
        return self._pem(out, line_no) + newline

    def _inside_value(self, body: str, line_no: int) -> str:
        """A ``password: x`` inside a multi-line string or flow collection is redacted all the same."""
        if self.in_pem or _PEM_BEGIN.search(body):
            return body
        match = _KEY_LINE.match(body)
        if match is None or not is_secret_name(match.group("key")):
            return body
        return self._key_line(match, line_no, ("", _indent_of(body), " (inside a multi-line value)"))

    def _structure(self, body: str, line_no: int) -> str:
        if not body.strip():
            return body
        comment = _COMMENT.match(body)
        if comment is not None:
            # Commented-out settings (``#password: old-one``) are read like live ones.
            inner = comment.group("body")
            hashes = len(inner) - len(inner.lstrip("#"))
            match = _KEY_LINE.match(inner[hashes:])
            if match is None:
                return body
            prefix = comment.group("indent") + "#" + inner[:hashes]
            return self._key_line(match, line_no, (prefix, len(comment.group("indent")), " (commented out)"))
        match = _KEY_LINE.match(body)
        if match is not None:
            return self._key_line(match, line_no)
        # A scalar or list item on its own line: secret when the enclosing key is.
        dash = _DASH_ONLY.match(body)
        indent = _indent_of(body)
        column = indent + (len(dash.group("dash")) if dash else 0)
        # A list may sit at its key's own indentation; a scalar must be indented below it.
        parent = self._parent(indent + 1 if dash else indent)
        if parent is not None and parent.secret:
            self._record(KEY_NAME, ".".join(parent.path), line_no)
            keep = body[:column]
            return keep + REDACTED
        return body


def redact_yaml_text(text: str, known: KnownSecrets, file: str) -> Tuple[str, List[Redaction]]:
    """
    Redact a Beat YAML file as written, line by line, so that comments, layout and line numbers
    stay as the user has them. Never parses the YAML, so a file the parser rejects is redacted
    just the same; the shape and known-value passes then run over the whole text.
    """
    walker = _YamlRedactor(file, known)
    out_lines = [walker.line(line, n) for n, line in enumerate(text.splitlines(keepends=True), start=1)]
    settings = walker.settings

    def setting_at(line: int) -> Optional[str]:
        return settings[line - 1] if 0 < line <= len(settings) else None

    out, more = redact_text("".join(out_lines), known, file, setting_at_line=setting_at)
    return out, walker.found + more


# --- plain trees (the effective config, the JSON report) -----------------------------------------


def redact_tree(
    tree: Any,
    known: KnownSecrets,
    file: str,
    *,
    by_name: bool = True,
) -> Tuple[Any, List[Redaction]]:
    """
    A copy of *tree* (dicts, lists, scalars) with secrets replaced.

    With *by_name* (config trees), every value under a secret setting name is replaced whole;
    strings everywhere get the shape and known-value rules.
    """
    found: List[Redaction] = []

    def walk(node: Any, path: Tuple[str, ...], secret: bool) -> Any:
        where = _dotted(path) or None
        if isinstance(node, dict):
            out: Dict[Any, Any] = {}
            for key, value in node.items():
                name = str(key)
                inner = path + (name,)
                shown: Any = key
                if isinstance(key, str):
                    # A secret in a key (a header name, a keystore name) is as visible as in a value.
                    shown, more = redact_text(key, known, file, lines=False, setting=where)
                    found.extend(more)
                out[shown] = walk(value, inner, secret or (by_name and is_secret_setting(inner)))
            return out
        if isinstance(node, (list, tuple)):
            return [walk(item, path + (str(i),), secret) for i, item in enumerate(node)]
        if node is None or node == "":
            return node
        if secret:
            if isinstance(node, str) and _VARIABLE_ONLY.match(node):
                return node  # an unresolved ${VAR} is left as written: a name, not a secret
            found.append(Redaction(file, KEY_NAME, where))
            return REDACTED
        if known.is_exact(node):
            found.append(Redaction(file, KNOWN_SECRET, where, source=known.redactor.setting_for(str(node))))
            return REDACTED
        if isinstance(node, str):
            text, more = redact_text(node, known, file, lines=False, setting=where)
            found.extend(more)
            return text
        return node

    return walk(tree, (), False), found


def _dotted(path: Iterable[str]) -> str:
    out = ""
    for part in path:
        if part.isdigit() and out:
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def redact_override(flag: str, known: KnownSecrets, file: str) -> Tuple[str, List[Redaction]]:
    """
    One ``-E key=value`` as typed: the value goes when the key names a secret; a mapping or list
    value (``-E 'output.kafka={"password": "X"}'``) is read the way the config reader reads it and
    redacted by key at every depth, with the same name rules as the config; then the text rules.
    """
    key, sep, value = flag.partition("=")
    found: List[Redaction] = []
    if sep and value.strip() and is_secret_setting(_split_dotted(key)) and not _VARIABLE_ONLY.match(value.strip()):
        found.append(Redaction(file, KEY_NAME, key.strip()))
        flag = f"{key}={REDACTED}"
    elif sep and value.strip()[:1] in ("{", "["):
        nested = _redact_nested_value(key, flag, known, file)
        if nested is not None:
            flag, more = nested
            found.extend(more)
    text, more = redact_text(flag, known, file, lines=False, setting=key.strip() or None)
    return text, found + more


def _redact_nested_value(key: str, flag: str, known: KnownSecrets, file: str) -> Optional[Tuple[str, List[Redaction]]]:
    """``key=<value written as JSON, secrets by name replaced>``, or None when nothing is secret by name."""
    try:
        override = parse_override(flag, [], [])
    except Exception:  # the flag is shown through the text rules only, as before
        return None
    if override.node is None or override.error is not None:
        return None
    tree, found = redact_tree(to_plain(override.node), known, file)
    if not any(r.kind == KEY_NAME for r in found):
        return None
    value: Any = tree
    for part in _split_dotted(key):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return f"{key}={json.dumps(value, ensure_ascii=False, separators=(',', ':'))}", found


_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=(?P<value>[^\n]*)")


def redact_assignments(text: str, known: KnownSecrets, file: str) -> Tuple[str, List[Redaction]]:
    """
    A unit, drop-in or environment file: the rest of the line after ``NAME=`` when NAME names a
    secret (``ES_PASSWORD=``, ``Environment="API_KEY=..."``, ``-E output.elasticsearch.password=``),
    then the shape rules and the known values over the whole text. Cutting to the end of the line
    may take more than the value; in a support bundle that errs on the right side.
    """
    found: List[Redaction] = []
    out_lines: List[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(("#", ";")):
            out_lines.append(line)
            continue
        for match in _ASSIGNMENT.finditer(line):
            name = match.group("name")
            if is_secret_name(name) and match.group("value").strip():
                line = line[: match.start("value")] + REDACTED
                found.append(Redaction(file, KEY_NAME, name, number))
                break
        out_lines.append(line)
    clean, more = redact_text("\n".join(out_lines), known, file)
    return clean, found + more
