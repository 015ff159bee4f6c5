"""Catalogue entries for the path through an HTTP proxy (reported in the dns and tcp stages)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

SPECS: Tuple[Spec, ...] = (
    Spec(
        "proxy-unsupported",
        WARN,
        "Proxy kind not tested",
        "The Beat would go through a proxy esprobe cannot speak (HTTPS or SOCKS5 proxy). esprobe probes the target "
        "directly instead, so its verdict may differ from the Beat's.",
        "Check the proxy itself separately (curl --proxy ...); esprobe supports plain http:// proxies.",
        "{proxy_setting}",
    ),
    Spec(
        "proxy-unreachable",
        FAIL,
        "Proxy unreachable",
        "The Beat's requests go through a proxy, and the proxy does not accept connections (refused, timed out or "
        "unreachable). The target itself was not tried: the Beat never contacts it directly.",
        "Check the proxy address in {proxy_source} and that the proxy runs; if the target should be reached "
        "directly, set `{proxy_disable}: true` or list the host in NO_PROXY.",
        "{proxy_setting}",
        "proxyconnect tcp: dial tcp <proxy>: connect: connection refused",
    ),
    Spec(
        "proxy-auth-required",
        FAIL,
        "Proxy wants credentials",
        "The proxy answered the CONNECT request with 407 Proxy Authentication Required: it wants credentials the "
        "Beat did not send, or refuses the ones it sent.",
        "Put the proxy's user and password in the proxy URL ({proxy_source}: http://user:password@proxy:port), or "
        "ask the proxy administrators to let this host through.",
        "{proxy_setting}",
        "Proxy Authentication Required",
    ),
    Spec(
        "proxy-connect-denied",
        FAIL,
        "Proxy refused the tunnel",
        "The proxy refused to open a tunnel (CONNECT) to the target, typically because its rules do not allow that "
        "host or port (many proxies allow CONNECT to port 443 only).",
        "Ask the proxy administrators to allow CONNECT to {authority}, or bypass the proxy for it "
        "(`{proxy_disable}: true`, or NO_PROXY).",
        "{proxy_setting}",
        "Forbidden",
    ),
    Spec(
        "proxy-no-answer",
        FAIL,
        "Proxy did not answer",
        "The proxy accepted the connection but gave no HTTP answer to the CONNECT request (timed out, closed, or spoke "
        "something else than HTTP).",
        "Check that {proxy_source} names an HTTP proxy, and its logs for this request.",
        "{proxy_setting}",
    ),
)
