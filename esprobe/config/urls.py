"""
How the Beat turns host strings into endpoints: libbeat's ``MakeURL`` on top of Go's
``net/url`` (docs/beats-config.md, "Host URLs by Go release"), ``cloud.id`` decoding
(elastic-agent-libs cloudid/cloudid.go) and Logstash's ``host[:port]`` rule (elastic/beats
libbeat/outputs/logstash). Pure functions; errors are worded like Go's.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import TYPE_CHECKING, List, Optional, Tuple
from urllib.parse import unquote

from esprobe.record import record
from esprobe.rulesets import resolve

if TYPE_CHECKING:
    from esprobe.rulesets import RuleSet

__all__ = [
    "BuiltURL",
    "CloudID",
    "GO_LEGACY",
    "GO_STRICT",
    "GoURL",
    "URLError",
    "UrlRules",
    "newest",
    "decode_cloud_id",
    "logstash_address",
    "make_url",
    "parse_go_url",
    "split_host_port",
]

# libbeat's scheme detection: lower-case only, so "HTTPS://es" gets "http://" prepended.
_HAS_SCHEME = re.compile(r"^([a-z][a-z0-9+\-.]*)://")
_SCHEME_CHARS = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*$")


class URLError(ValueError):
    """A host string the Beat cannot parse; the text is Go's (``parse "...": ...``)."""


@record
class GoURL:
    """The parts of a URL as Go's ``url.Parse`` splits them."""

    scheme: str
    username: Optional[str]
    password: Optional[str]
    host: str  # as written, with brackets and port
    path: str
    query: Optional[str]
    fragment: Optional[str]


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    if port[0] != ":":
        return False
    return all("0" <= c <= "9" for c in port[1:])


_USERINFO_OK = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:%@]*$")


def _unescape(text: str, what: str, shown: str) -> str:
    # Go rejects a '%' not followed by two hex digits.
    for m in re.finditer(r"%", text):
        seg = text[m.start() + 1 : m.start() + 3]
        if len(seg) != 2 or not re.fullmatch(r"[0-9A-Fa-f]{2}", seg):
            bad = text[m.start() : m.start() + 3]
            raise URLError(f'parse "{shown}": invalid URL escape "{bad}"')
    return unquote(text)


@record
class UrlRules:
    """
    Which ``net/url`` host rules the Beat's Go release applies (src/net/url/url.go parseHost).

    Attributes:
        ipv6_brackets: the CVE-2025-47912 fix (Go 1.24.8 / 1.25.2): brackets must hold an IPv6
            address; ``[1.2.3.4]`` is an ``invalid IP-literal``, ``[es]`` an ``invalid host``.
        strict_colons: Go 1.26's ``urlstrictcolons`` (go.dev/issue/75223; on when the Beat's
            go.mod says go 1.26 or later): in an http(s) URL the port starts at the FIRST colon,
            so ``a:9200,b:9200`` and an unbracketed ``::1`` fail with ``invalid port``. With it,
            esprobe also refuses a ``[`` that does not open the host (CVE-2026-25679, fixed in
            the same period; esprobe does not track its exact patch releases).
        label: how the report names the rules that applied.
    """

    ipv6_brackets: bool
    strict_colons: bool
    label: str

    @classmethod
    def from_ruleset(cls, rules: "RuleSet") -> "UrlRules":
        return cls(rules.url_strict_ipv6_brackets, rules.url_strict_colons, f"net/url of Go {rules.go_version} "
                   f"({'Beat ' + rules.beat_version})")


GO_STRICT = UrlRules(True, True, "net/url of Go 1.26 or later")
GO_LEGACY = UrlRules(False, False, "net/url of Go before 1.24.8 / 1.25.2")


def newest() -> UrlRules:
    """The rules of the newest Beat release esprobe documents (what applies without --beat-version)."""
    return UrlRules.from_ruleset(resolve(None))


def _bracketed_host(host: str, shown: str) -> str:
    """The strict rule for ``[...]``: an IPv6 address (zone allowed), never IPv4 (netip.ParseAddr)."""
    end = host.rfind("]")
    inner = host[1:end]
    zone = inner.find("%25")
    address = inner if zone < 0 else inner[:zone]
    address = _unescape(address, "host", shown)
    zoned = address + (_unescape(inner[zone:], "zone", shown) if zone >= 0 else "")
    why = _netip_error(zoned)
    if why is not None:
        raise URLError(f'parse "{shown}": invalid host: ParseAddr({_go_quote(zoned)}): {why}')
    if isinstance(ipaddress.ip_address(address), ipaddress.IPv4Address):
        raise URLError(f'parse "{shown}": invalid IP-literal')
    return host


def _go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _netip_error(s: str) -> Optional[str]:
    """
    Why Go's ``netip.ParseAddr`` rejects *s*, or None (src/net/netip/netip.go: the first '.', ':'
    or '%' picks IPv4, IPv6 or the missing-address error). IPv4 errors are Go's words; for IPv6
    only the fact is exact, the detail is Python's.
    """
    for c in s:
        if c == "%":
            return "missing IPv6 address"
        if c == ":":
            try:
                ipaddress.IPv6Address(s.split("%", 1)[0])
                return None
            except ValueError as err:
                return str(err)
        if c == ".":
            return _ipv4_error(s)
    return "unable to parse IP"


def _ipv4_error(s: str) -> Optional[str]:
    # netip parseIPv4: digits and dots only, no empty field, no leading zero, <= 255, exactly 4 fields.
    fields = 0
    value = -1
    digits = 0
    for i, c in enumerate(s):
        if "0" <= c <= "9":
            if digits == 1 and value == 0:
                return "IPv4 field has octet with leading zero"
            value = (0 if value < 0 else value) * 10 + int(c)
            digits += 1
            if value > 255:
                return "IPv4 field has value >255"
        elif c == ".":
            if digits == 0:
                return f"IPv4 field must have at least one digit (at {_go_quote(s[i:])})"
            if fields == 3:
                return "IPv4 address too long"
            fields += 1
            value, digits = -1, 0
        else:
            return f"unexpected character (at {_go_quote(s[i:])})"
    if digits == 0:
        return f"IPv4 field must have at least one digit (at {_go_quote('')})"
    if fields < 3:
        return "IPv4 address too short"
    return None


def parse_go_url(raw: str, shown: Optional[str] = None, rules: Optional[UrlRules] = None) -> GoURL:
    """
    The subset of Go's ``url.Parse`` the Beat relies on (the input always has a scheme here).

    *shown* replaces *raw* in error messages (so that a password in userinfo is not echoed).
    """
    shown = raw if shown is None else shown
    rules = rules if rules is not None else newest()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise URLError(f'parse "{shown}": net/url: invalid control character in URL')
    rest, hash_sign, fragment = raw.partition("#")
    colon = rest.find(":")
    if colon <= 0 or not _SCHEME_CHARS.match(rest[:colon]):
        raise URLError(f'parse "{shown}": missing protocol scheme')
    scheme = rest[:colon].lower()
    rest = rest[colon + 1 :]
    query: Optional[str] = None
    if "?" in rest:
        rest, _, query = rest.partition("?")
    username = password = None
    host = ""
    if rest.startswith("//"):
        authority, slash, path_rest = rest[2:].partition("/")
        path = slash + path_rest
        at = authority.rfind("@")
        if at >= 0:
            userinfo, authority = authority[:at], authority[at + 1 :]
            if not _USERINFO_OK.match(userinfo):
                raise URLError(f'parse "{shown}": net/url: invalid userinfo')
            user, has_colon, pw = userinfo.partition(":")
            username = _unescape(user, "userinfo", shown)
            password = _unescape(pw, "userinfo", shown) if has_colon else None
        host = authority
        if rules.strict_colons and host.rfind("[") > 0:
            raise URLError(f'parse "{shown}": invalid IP-literal')
        if host.startswith("["):
            end = host.rfind("]")
            if end < 0:
                raise URLError(f"parse \"{shown}\": missing ']' in host")
            if not _valid_optional_port(host[end + 1 :]):
                raise URLError(f'parse "{shown}": invalid port "{host[end + 1:]}" after host')
            if rules.ipv6_brackets:
                _bracketed_host(host, shown)
        else:
            first, last = host.find(":"), host.rfind(":")
            # Since go.dev/issue/78077 only http and https keep the first-colon rule.
            i = first if rules.strict_colons and scheme in ("http", "https") else last
            if i >= 0 and not _valid_optional_port(host[i:]):
                raise URLError(f'parse "{shown}": invalid port "{host[i:]}" after host')
        host = _unescape(host, "host", shown)
    else:
        path = rest
    _unescape(path, "path", shown)
    if hash_sign:
        _unescape(fragment, "fragment", shown)
    return GoURL(scheme, username, password, host, path, query, fragment if hash_sign else None)


def split_host_port(hostport: str) -> Tuple[str, str]:
    """Go's ``net.SplitHostPort``. Raises ValueError with Go's reason."""
    i = hostport.rfind(":")
    if i < 0:
        raise ValueError("missing port in address")
    j = k = 0
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ValueError("missing ']' in address")
        if end + 1 == len(hostport):
            raise ValueError("missing port in address")
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise ValueError("too many colons in address")
            raise ValueError("missing port in address")
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise ValueError("too many colons in address")
    if "[" in hostport[j:]:
        raise ValueError("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise ValueError("unexpected ']' in address")
    return host, hostport[i + 1 :]


@record
class BuiltURL:
    """
    One endpoint as ``MakeURL`` builds it.

    Attributes:
        url: the URL without userinfo (what the Beat requests; userinfo is stripped by the
            connection code and sent as basic auth instead).
        scheme: lower-case scheme.
        host: the host as dialled (IPv6 without brackets).
        port: the port; when the URL carries an empty port, the scheme's default (80/443).
        path: the URL path ("" when none).
        query: the query string, or "" when none.
        username / password: from userinfo, or None when the host had no userinfo.
        scheme_was_guessed: True when the entry had no (lower-case) scheme and *protocol* or
            ``http`` was put in front.
    """

    url: str
    scheme: str
    host: str
    port: int
    path: str
    query: str
    username: Optional[str] = None
    password: Optional[str] = None
    scheme_was_guessed: bool = False
    fragment: str = ""


def mask_userinfo(raw: str) -> str:
    """
    *raw* with any ``user:password@`` reduced to ``user:<redacted>@`` for messages. As Go's
    url.Parse, the userinfo runs to the LAST '@' of the authority: a password may hold '@'.
    """
    return re.sub(r"(//[^/@?#:]*:)[^/?#]*@", r"\1<redacted>@", raw)


_HOST_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:[]<>\"")


def escape_host(host: str) -> str:
    """Go's ``escape(host, encodeHost)`` as URL.String applies it: a zone's ``%`` becomes ``%25``."""
    return "".join(c if c in _HOST_SAFE else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in host)


def make_url(
    protocol: str, default_path: str, raw: str, default_port: int, rules: Optional[UrlRules] = None
) -> BuiltURL:
    """
    libbeat ``common.MakeURL`` (libbeat/common/url.go; elastic-agent-libs kibana/url.go is the same
    algorithm): scheme from the entry or *protocol* (default ``http``), empty host -> ``localhost``,
    port always explicit (default *default_port*), bare IPv6 bracketed, the entry's own path wins
    over *default_path*, query and fragment kept (it ends with ``URL.String()``, which escapes a
    zone's ``%`` as ``%25``), parsed with the *rules* of the Beat's Go release.

    Raises:
        URLError: Go's parse error.
    """
    scheme = protocol or "http"
    guessed = not _HAS_SCHEME.match(raw)
    text = f"{scheme}://{raw}" if guessed else raw
    parsed = parse_go_url(text, mask_userinfo(text), rules)
    host = parsed.host
    port = str(default_port)
    if host == "":
        host = "localhost"
    else:
        try:
            host, port = split_host_port(host)
        except ValueError:
            pass
        if host.count(":") > 1 and "]" not in host:
            host = f"[{host}]"
    path = parsed.path or default_path
    if path and not path.startswith("/"):
        path = "/" + path  # Go's URL.String adds the slash when there is a host
    url = f"{parsed.scheme}://{escape_host(host)}:{port}{path}"
    if parsed.query is not None and parsed.query != "":
        url += "?" + parsed.query
    if parsed.fragment:
        url += "#" + parsed.fragment
    dial_host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if port.isdigit():
        port_number = int(port)
    else:  # "es:" leaves an empty port: Go's HTTP client then uses the scheme's default
        port_number = 443 if parsed.scheme == "https" else 80
    return BuiltURL(
        url=url,
        scheme=parsed.scheme,
        host=dial_host,
        port=port_number,
        path=path,
        query=parsed.query or "",
        username=parsed.username,
        password=parsed.password,
        scheme_was_guessed=guessed,
        fragment=parsed.fragment or "",
    )


def join_space_path(path: str, space_id: str) -> str:
    """Go's ``path.Join(path, "s", space)`` (cleaned), with the leading slash URL.String adds."""
    parts = [p for p in (path, "s", space_id) if p]
    joined = "/".join(parts)
    absolute = joined.startswith("/")
    stack: List[str] = []
    for seg in joined.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if stack and stack[-1] != "..":
                stack.pop()
            elif not absolute:
                stack.append(seg)
            continue
        stack.append(seg)
    return "/" + "/".join(stack)


# ---------------------------------------------------------------------------------------------
# cloud.id


@record
class CloudID:
    es_url: str
    kibana_url: str


def _go_std_b64(text: str) -> bytes:
    # Go's StdEncoding skips CR and LF, needs padding and the standard alphabet.
    cleaned = text.replace("\r", "").replace("\n", "")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
    for i, c in enumerate(cleaned):
        if c not in alphabet:
            raise ValueError(f"illegal base64 data at input byte {i}")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        good = len(cleaned) - len(cleaned) % 4
        raise ValueError(f"illegal base64 data at input byte "
                         f"{good if len(cleaned) % 4 else max(good - 4, 0)}") from None


def _port_from(word: str, default: str) -> Tuple[str, str]:
    idx = word.rfind(":")
    if idx >= 0:
        return word[:idx], word[idx + 1 :]
    return word, default


def decode_cloud_id(cloud_id: str) -> CloudID:
    """
    Decode ``cloud.id`` the Beat's way: text after the last ``:``, standard base64, split on
    ``$`` (at least 3 parts), ports default to 443.

    Raises:
        ValueError: with the Beat's wording.
    """
    encoded = cloud_id[cloud_id.rfind(":") + 1 :]
    try:
        decoded = _go_std_b64(encoded).decode("utf-8", "replace")
    except ValueError as err:
        raise ValueError(f"invalid cloud id '{cloud_id}': base64 decoding failed on {encoded}: {err}") from None
    words = decoded.split("$")
    if len(words) < 3:
        raise ValueError(f"invalid cloud id '{cloud_id}': Expected at least 3 parts in {decoded}")
    host, port = _port_from(words[0], "443")
    es_id, es_port = _port_from(words[1], port)
    kb_id, kb_port = _port_from(words[2], port)
    return CloudID(f"https://{es_id}.{host}:{es_port}", f"https://{kb_id}.{host}:{kb_port}")


def split_cloud_auth(cloud_auth: str) -> Tuple[str, str]:
    """``user:password`` split at the first colon (the password may contain colons)."""
    idx = cloud_auth.find(":")
    if idx < 0:
        raise ValueError("cloud.auth setting doesn't contain `:` to split between username and password")
    return cloud_auth[:idx], cloud_auth[idx + 1 :]


# ---------------------------------------------------------------------------------------------
# Logstash


def logstash_address(host: str, default_port: int = 5044) -> Tuple[str, str]:
    """
    The Logstash output's ``fullAddress``: SplitHostPort if it works, else a string with a
    colon is a bare IPv6 address, else ``host:5044``. Returns (host, port) as dialled.
    """
    try:
        return split_host_port(host)
    except ValueError:
        pass
    if ":" in host:
        return host, str(default_port)
    return host, str(default_port)
