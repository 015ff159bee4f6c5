"""
Which proxy, if any, the Beat's HTTP client goes through for a target. Pure.

Beats (elastic-agent-libs transport/httpcommon/proxy.go, ProxyFunc): ``proxy_disable: true`` means no
proxy at all; else ``proxy_url`` is used for every request and the environment is ignored; else
Go's ``http.ProxyFromEnvironment``: ``HTTPS_PROXY`` for https URLs, ``HTTP_PROXY`` for http ones
(upper case first, then lower case), ``NO_PROXY`` exceptions, and never for ``localhost`` or a
loopback IP. Logstash targets use only SOCKS5 proxies from ``proxy_url``, which esprobe does not
emulate, so they are always direct here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import field
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

from esprobe.ip_text import go_ip
from esprobe.model import Target
from esprobe.record import record


@record
class ProxyRoute:
    """
    The proxy a target's requests go through.

    Attributes:
        url: the proxy URL as configured (may carry userinfo: never shown unredacted).
        scheme / host / port: where to connect (``http`` proxies are supported by esprobe).
        source: ``proxy_url`` or the environment variable that chose it.
        username / password: proxy credentials from the URL's userinfo, sent as Proxy-Authorization.
        connect_headers: ``proxy_headers``, sent on the CONNECT request only.
    """

    url: str = field(repr=False)
    scheme: str
    host: str
    port: int
    source: str
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    connect_headers: Tuple[Tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def display(self) -> str:
        """The proxy as ``scheme://host:port``, without userinfo, for reports."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def supported(self) -> bool:
        return self.scheme == "http"


def _env(environ: Mapping[str, str], *names: str) -> Tuple[Optional[str], Optional[str]]:
    for name in names:
        value = environ.get(name)
        if value:
            return value, name
    return None, None


def _parse(text: str, source: str, headers: Tuple[Tuple[str, str], ...], default_scheme: bool) -> Optional[ProxyRoute]:
    raw = text.strip()
    parts = urlsplit(raw)
    if default_scheme and parts.scheme not in ("http", "https", "socks5", "socks5h"):
        # Go's httpproxy retries an environment value without a known scheme as http://value.
        raw = "http://" + raw
        parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    scheme = parts.scheme or "http"
    default_port = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}.get(scheme, 80)
    return ProxyRoute(
        url=text,
        scheme=scheme,
        host=parts.hostname,
        port=port or default_port,
        source=source,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        connect_headers=headers,
    )


# The proxy variables whose value can hold a password (both spellings are read, as Go and curl read them).
_PROXY_URL_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def register_proxy_secrets(environ: Mapping[str, str], redactor: Any) -> None:
    """
    The password in a proxy variable is a secret, written with a scheme or without one
    (``HTTPS_PROXY=ops:pw@proxy:3128``, which Go reads as http://): registered, with the Basic token
    it makes, no report or bundle shows it.
    """
    for name in _PROXY_URL_VARIABLES:
        for variant in (name, name.lower()):
            value = environ.get(variant)
            route = _parse(value, variant, (), default_scheme=True) if value else None
            if route is None or not route.password:
                continue
            redactor.add(route.password, variant)
            raw = urlsplit(route.url if "://" in route.url else "http://" + route.url.strip()).password
            redactor.add(raw, variant)  # as written, when it is percent-encoded
            redactor.add_basic_auth(route.username or "", route.password, variant)


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Go's httpproxy NO_PROXY rules: ``*``, IPs, CIDRs, domains (with or without a leading dot), ports."""
    host = host.lower().rstrip(".")
    address = go_ip(host)
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            if "/" not in entry:  # an address: net.IP.Equal, for which ::ffff:a.b.c.d is a.b.c.d
                if go_ip(entry) == address:
                    return True
                continue
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and not entry_port.isdigit():
            name, entry_port = entry, ""
        if entry_port and int(entry_port) != port:
            continue
        if name.startswith("*."):
            name = name[1:]
        if name.startswith("."):
            if host.endswith(name):
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def choose_proxy(target: Target, environ: Mapping[str, str]) -> Tuple[Optional[ProxyRoute], str]:
    """
    The route the Beat's requests to *target* take: ``(ProxyRoute, why)`` or ``(None, why)``,
    where *why* says in words how the choice was made (for the report).
    """
    if not target.is_http:
        return None, "Logstash connections go direct (only SOCKS5 proxy_url applies, not emulated)"
    settings = target.proxy
    if settings.disable:
        return None, "proxy_disable is true"
    if settings.url:
        route = _parse(settings.url, "proxy_url", settings.headers, default_scheme=False)
        if route is None:
            return None, "proxy_url cannot be parsed"
        return route, "proxy_url"
    address = go_ip(target.host)
    if address is not None:
        loopback = address.is_loopback  # net.IP.IsLoopback: a mapped 127.x is loopback (Python: from 3.13)
    else:
        # Go compares with "localhost" exactly, before any lower-casing (net/http/httpproxy
        # useProxy): a Beat does proxy https://LOCALHOST:9200 from HTTPS_PROXY.
        loopback = target.host == "localhost"
    if loopback:
        return None, "Go never proxies requests to localhost or loopback addresses"
    if target.scheme == "https":
        value, name = _env(environ, "HTTPS_PROXY", "https_proxy")
    else:
        value, name = _env(environ, "HTTP_PROXY", "http_proxy")
    if value is None or name is None:
        return None, "no proxy configured"
    no_proxy, no_proxy_name = _env(environ, "NO_PROXY", "no_proxy")
    if no_proxy and _bypassed(target.host, target.port, no_proxy):
        return None, f"{no_proxy_name} excludes {target.host}"
    route = _parse(value, name, settings.headers, default_scheme=True)
    if route is None:
        return None, f"{name} cannot be parsed"
    return route, name


@record
class Route:
    """
    The path a target's requests take, decided once per target (by `route_for`).

    Attributes:
        chosen: the proxy the Beat would go through, or None when it goes direct.
        why: how the choice was made, in words, for the report.
    """

    chosen: Optional[ProxyRoute]
    why: str

    @property
    def proxy(self) -> Optional[ProxyRoute]:
        """The proxy esprobe goes through too: the chosen one when esprobe speaks its protocol, else None."""
        return self.chosen if self.chosen is not None and self.chosen.supported else None


def route_for(target: Target, environ: Mapping[str, str]) -> Route:
    """`choose_proxy` as a value, to compute once per target and hand to the stages that need it."""
    chosen, why = choose_proxy(target, environ)
    return Route(chosen, why)
