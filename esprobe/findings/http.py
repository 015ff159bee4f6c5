"""Catalogue entries for the http stage (see esprobe/findings/__init__.py)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

# Hint templates may use: {prefix} (output.elasticsearch, setup.kibana, monitoring.elasticsearch),
# {hosts_setting} (the hosts / host setting of the target), {url} (the URL asked).

SPECS: Tuple[Spec, ...] = (
    Spec(
        code="http-plaintext-to-tls",
        severity=FAIL,
        title="http:// sent to a TLS port",
        meaning=(
            "The URL uses http://, but the server on that port speaks TLS: it closed the connection without "
            "answering the plain-text request (Elasticsearch logs 'received plaintext http traffic on an https "
            "channel, closing connection')."
        ),
        hint=(
            "Use https:// in `{hosts_setting}` (or set `{prefix}.protocol: https`), and give the Beat the CA of the "
            "server certificate in `{prefix}.ssl.certificate_authorities`."
        ),
        setting="{hosts_setting}",
        beat_says='Get "http://<host>:<port>": EOF',
    ),
    Spec(
        code="http-front-plain-http-to-tls",
        severity=FAIL,
        title="A TLS front answered: plain HTTP sent to its HTTPS port",
        meaning=(
            "A proxy in front of the server (nginx: '400 The plain HTTP request was sent to HTTPS port'; Apache: "
            "'400 Bad Request ... You're speaking plain HTTP to an SSL-enabled server port') speaks TLS on this port, "
            "and the Beat sent plain HTTP. A host without a scheme is http:// unless `protocol: https` is set: an "
            "`ssl` block, even with `ssl.enabled: true`, does not change the scheme, so its settings go unused."
        ),
        hint=(
            "Write https:// in `{hosts_setting}` (or set `{prefix}.protocol: https`), and give the Beat the CA of the "
            "front's certificate in `{prefix}.ssl.certificate_authorities`."
        ),
        setting="{hosts_setting}",
        beat_says='Get "http://<host>:<port>": 400 Bad Request (the front\'s page)',
    ),
    Spec(
        code="http-front-no-upstream",
        severity=FAIL,
        title="The proxy in front has no working upstream",
        meaning=(
            "A proxy in front of Elasticsearch or Kibana answered for it, saying it has no server to pass the request "
            "to (HAProxy: '503 Service Unavailable ... No server is available to handle this request'; nginx: "
            "'502 Bad Gateway', '503', '504 Gateway Time-out'; Apache: '503 Service Unavailable' or '502 Proxy "
            "Error'). The Beat's address and TLS are fine; what is behind the proxy is down or unreachable from it."
        ),
        hint=(
            "Check the proxy's backend for `{url}` (HAProxy `server` lines and their health checks, nginx "
            "`proxy_pass`/`upstream`, Apache `ProxyPass`) and that Elasticsearch or Kibana runs where it points; the "
            "proxy's error log names the address it tried."
        ),
        setting="{hosts_setting}",
        beat_says='Get "<url>": 503 Service Unavailable (or 502 Bad Gateway, 504 Gateway Time-out)',
    ),
    Spec(
        code="http-no-answer",
        severity=FAIL,
        title="Connection closed without an answer",
        meaning="The server accepted the connection (and the TLS handshake) but closed or reset it instead of "
                "answering the request.",
        hint=(
            "Check the server's log at the time of the probe, and whatever sits in front of it (load balancer, "
            "proxy) for `{url}`."
        ),
        setting="{hosts_setting}",
        beat_says='Get "<url>": EOF (or: read: connection reset by peer)',
    ),
    Spec(
        code="http-timeout",
        severity=FAIL,
        title="No answer in time",
        meaning="The request was sent but no complete answer arrived within the timeout.",
        hint=(
            "Check that the server is healthy and not overloaded, and that nothing between (firewall, proxy) holds "
            "the connection; the Beat's own limit is `{prefix}.timeout` (90 s by default)."
        ),
        setting="{hosts_setting}",
        beat_says="context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    ),
    Spec(
        code="http-not-http",
        severity=FAIL,
        title="The answer is not HTTP",
        meaning="Something answered on this port, but not with HTTP: another protocol listens there.",
        hint="Check the port in `{hosts_setting}`: Elasticsearch's HTTP port is 9200 by default (9300 is its transport "
             "port), Kibana's 5601.",
        setting="{hosts_setting}",
        beat_says="net/http: HTTP/1.x transport connection broken: malformed HTTP response",
    ),
    Spec(
        code="http-tls-error",
        severity=FAIL,
        title="TLS error after the handshake",
        meaning=(
            "The TLS handshake had completed, but the server ended the connection with a TLS alert when the request "
            "was sent; with TLS 1.3 this is how a server refuses the client certificate."
        ),
        hint=(
            "If the alert is about a certificate, check `{prefix}.ssl.certificate` against the server's "
            "client_authentication and certificate_authorities settings."
        ),
        setting="{prefix}.ssl.certificate",
        beat_says="remote error: tls: <alert>",
    ),
    Spec(
        code="http-request-invalid",
        severity=FAIL,
        title="The request cannot be sent",
        meaning="A configured header value cannot be sent in an HTTP request (for example it is not Latin-1 text).",
        hint="Fix the values in `{prefix}.headers`.",
        setting="{prefix}.headers",
    ),
    Spec(
        code="http-not-elasticsearch",
        severity=FAIL,
        title="Not Elasticsearch",
        meaning=(
            "The server answered GET / but not as Elasticsearch does (no X-elastic-product header, no "
            "Elasticsearch document): a web server's page, a proxy, Kibana, or another service listens at this URL."
        ),
        hint=(
            "Point `{hosts_setting}` at Elasticsearch's HTTP port (9200 by default), including `{prefix}.path` when a "
            "proxy serves Elasticsearch under a path."
        ),
        setting="{hosts_setting}",
        beat_says="Connection marked as failed because the onConnect callback failed: could not connect to a "
                  "compatible version of Elasticsearch",
    ),
    Spec(
        code="http-not-kibana",
        severity=FAIL,
        title="Not Kibana",
        meaning="The server answered GET <url>/api/status but not as Kibana does: Elasticsearch, a web server or a "
                "proxy listens at this URL.",
        hint="Point `{hosts_setting}` at Kibana (port 5601 by default), with `{prefix}.path` set to Kibana's "
             "server.basePath if it has one.",
        setting="{hosts_setting}",
        beat_says="error connecting to Kibana: fail to get the Kibana version: HTTP GET request to <url>/api/status "
                  "fails",
    ),
    Spec(
        code="http-opensearch",
        severity=FAIL,
        title="OpenSearch, not Elasticsearch",
        meaning=(
            "The server is OpenSearch. Beats check the license (GET /_license) and the version of Elasticsearch on "
            "connect; OpenSearch fails those checks, so the Beat never publishes to it."
        ),
        hint=(
            "Send to Elasticsearch, or use a shipper made for OpenSearch; point `{hosts_setting}` at an "
            "Elasticsearch cluster."
        ),
        setting="{hosts_setting}",
        beat_says="could not connect to a compatible version of Elasticsearch",
    ),
    Spec(
        code="http-unexpected-status",
        severity=FAIL,
        title="Unexpected HTTP status",
        meaning="The request the Beat sends first got an error status, so the Beat's connection check fails.",
        hint="Check `{hosts_setting}` and `{prefix}.path`, and the server's (or proxy's) log for this request.",
        setting="{hosts_setting}",
        beat_says="<status code> <status text>: <body>",
    ),
    Spec(
        code="http-answer-truncated",
        severity=FAIL,
        title="Answer too large",
        meaning="The answer was larger than esprobe reads (1 MiB); Elasticsearch and Kibana answer these requests with "
                "a few kB.",
        hint="Check what really listens at `{url}`: this is not the answer Elasticsearch or Kibana gives.",
        setting="{hosts_setting}",
    ),
    Spec(
        code="http-invalid-json",
        severity=FAIL,
        title="Answer is not valid JSON",
        meaning="The server says it is Elasticsearch or Kibana, but the body of its answer is not valid JSON, so the "
                "Beat cannot read the version from it.",
        hint="Check proxies between the Beat and the server (they may rewrite or cut bodies), and the server's log.",
        setting="{hosts_setting}",
        beat_says="failed to parse JSON response",
    ),
    Spec(
        code="http-unidentified",
        severity=WARN,
        title="Server not identified",
        meaning=(
            "The server refused the request (401/403) without showing it is Elasticsearch or Kibana; a proxy that "
            "asks for its own credentials may sit in front."
        ),
        hint="Check what listens at `{url}`; the auth stage shows what it says to the Beat's credentials.",
        setting="{hosts_setting}",
    ),
    Spec(
        code="http-redirect",
        severity=WARN,
        title="Redirected on the same server",
        meaning=(
            "The server answered with a redirect to another path on the same host and port. The Beat follows it, but "
            "on every request, and Go turns a redirected POST (the bulk request) into a GET for 301/302/303."
        ),
        hint="Put the final path into `{hosts_setting}` or `{prefix}.path` so that no redirect is needed.",
        setting="{hosts_setting}",
    ),
    Spec(
        code="http-redirect-other-host",
        severity=FAIL,
        title="Redirected to another server",
        meaning=(
            "The server answered with a redirect to another host, port or scheme. esprobe does not follow it: "
            "credentials must only go to the configured host. The Beat would follow it without its Authorization "
            "header (Go drops it for another host), so the target refuses it, and bulk POSTs become GETs."
        ),
        hint="Put the URL the redirect points to into `{hosts_setting}` directly, if that server is the one meant.",
        setting="{hosts_setting}",
    ),
    Spec(
        code="http-credentials-cleartext",
        severity=WARN,
        title="Credentials sent without TLS",
        meaning=(
            "The URL is http://, so the Beat sends its credentials (the Authorization header) unencrypted; anyone "
            "on the path can read and reuse them."
        ),
        hint="Enable TLS on the server and use https:// in `{hosts_setting}`, with "
             "`{prefix}.ssl.certificate_authorities` set.",
        setting="{hosts_setting}",
    ),
    Spec(
        code="http-kibana-not-ready",
        severity=FAIL,
        title="Kibana is still starting",
        meaning=(
            "Kibana answered 503 'Kibana server is not ready yet': it is starting, migrating saved objects, or "
            "cannot reach its Elasticsearch. The Beat's Kibana client retries a few times, then fails."
        ),
        hint="Wait for Kibana to finish starting; if it stays like this, read Kibana's log (Elasticsearch connection, "
             "saved-object migrations).",
        setting="{hosts_setting}",
        beat_says="fail to get the Kibana version: HTTP GET request to <url>/api/status fails: status=503. Response: "
                  "Kibana server is not ready yet",
    ),
    Spec(
        code="http-kibana-unavailable",
        severity=FAIL,
        title="Kibana reports itself unavailable",
        meaning="Kibana's status is unavailable or critical, so /api/status answers 503 and the Beat's Kibana client "
                "fails.",
        hint="Read Kibana's status page and log; usually Kibana cannot reach Elasticsearch.",
        setting="{hosts_setting}",
        beat_says="fail to get the Kibana version: HTTP GET request to <url>/api/status fails: status=503",
    ),
    Spec(
        code="http-kibana-degraded",
        severity=WARN,
        title="Kibana is degraded",
        meaning="Kibana answers, but reports its overall status as degraded (yellow); loading dashboards may fail.",
        hint="Read Kibana's status page (/status) for the service that is degraded.",
        setting="{hosts_setting}",
    ),
    Spec(
        code="http-kibana-status-redacted",
        severity=FAIL,
        title="Kibana hides its version",
        meaning=(
            "Kibana answered /api/status with only its overall level. Kibana 8.9+ does that for callers it does not "
            "show details to: anonymous callers, and in the newest 9.x callers without the cluster privilege "
            "monitor. The Beat reads Kibana's version from this answer and fails."
        ),
        hint=(
            "Give the Beat credentials for Kibana (`{prefix}.username`/`password` or `{prefix}.api_key`); or set "
            "status.allowAnonymous: true in kibana.yml."
        ),
        setting="{prefix}.username",
        beat_says="error connecting to Kibana: fail to parse kibana version ()",
    ),
)
