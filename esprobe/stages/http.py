"""
HTTP stage: who answers at the target's URL, and would the Beat's first request get through?

Elasticsearch (and monitoring) targets: ``GET <url>`` exactly as the Beat's connection check sends
it, credentials included. Kibana: ``GET <url>/api/status``, from which the Beat's Kibana client
reads the version. A 401/403 is not this stage's failure: the server answered and is identified;
the auth stage judges the credentials. The Session built here is handed on (in the observation)
to the auth and privileges stages, so the whole target costs one connection.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urljoin

from esprobe import findings
from esprobe.context import ProbeContext
from esprobe.elastic import api
from esprobe.model import Finding, Role, Stage, StageResult, Target, skipped, stage_result
from esprobe.net.connect import TcpObservation
from esprobe.net.es_client import Client, Failure, HttpObservation, Outcome, open_client, speaks_tls
from esprobe.net.tls import TlsProbe
from esprobe.record import record

_REDIRECTS = (301, 302, 303, 307, 308)


def _params(target: Target, url: str) -> Dict[str, str]:
    names = target.settings
    return {"prefix": names.section, "hosts_setting": names.hosts, "url": url}


def check_http(target: Target, ctx: ProbeContext, tcp: TcpObservation, tls: Optional[TlsProbe]) -> StageResult:
    """
    Ask the target the Beat's first question over the connection the earlier stages opened: *tcp*,
    and for https *tls* (handed on only when the TLS and hostname stages passed).
    """
    client, why = open_client(target, ctx, tcp, tls)
    if client is None:
        return skipped(Stage.HTTP, f"skipped: {why}")
    url = api.kibana_status_url(target) if target.role is Role.KIBANA else target.url
    params = _params(target, url)
    problems: List[Finding] = []
    if target.scheme == "http" and target.credentials.method in ("basic", "api_key"):
        kind = "an API key" if target.credentials.method == "api_key" else "a user name and password"
        problems.append(
            findings.make(
                "http-credentials-cleartext",
                f"{target.url} is plain http://, so the Beat sends {kind} (from "
                f"{target.credentials.source or 'the configuration'}) "
                "unencrypted with every request.",
                **params,
            )
        )
    outcome, redirect_problems = _ask_following_once(client, url, params)
    problems.extend(redirect_problems)
    if isinstance(outcome, Failure):
        problems.extend(_failure(target, ctx, tcp, outcome, params))
        details: Dict[str, Any] = {"status_code": None, "product": api.UNKNOWN, "version": None, "url": url}
        return stage_result(Stage.HTTP, _failure_summary(outcome), problems, details, HttpObservation(client))
    if outcome.status in _REDIRECTS:
        # Another host (or a second redirect): not followed, and explained unless the Location was missing.
        location = outcome.header("Location")
        if not redirect_problems:
            problems.append(findings.make(
                "http-unexpected-status",
                f"GET {url} answered {outcome.status_line} without a Location header: a redirect to nowhere.",
                **params,
            ))
        details = {"status_code": outcome.status, "product": api.identify(outcome).product, "version": None,
                   "url": url}
        summary = f"{outcome.status_line}: redirected to {_safe_location(location or '(no Location)')}, not followed"
        return stage_result(Stage.HTTP, summary, problems, details, HttpObservation(client, outcome))
    front = _front_refused_client_certificate(target, tls, outcome, url)
    if front is not None:
        details = {"status_code": outcome.status, "product": api.identify(outcome).product, "version": None,
                   "url": url}
        return stage_result(Stage.HTTP, f"{outcome.status_line}: the TLS front wants a client certificate",
                            [*problems, front], details, HttpObservation(client, outcome))
    front_said = _front_answer(target, outcome, url, params)
    if front_said is not None:
        summary, finding = front_said
        answered: Dict[str, Any] = {"status_code": outcome.status, "product": api.identify(outcome).product,
                                    "version": None, "url": url}
        if outcome.header("Server"):
            answered["server"] = outcome.header("Server")
        return stage_result(Stage.HTTP, summary, [*problems, finding], answered, HttpObservation(client, outcome))
    if target.role is Role.KIBANA:
        judged = _judge_kibana(target, outcome, params)
    else:
        judged = _judge_elasticsearch(outcome, params)
    problems.extend(judged.findings)
    judged.details.setdefault("url", url)
    observation = HttpObservation(client, outcome, judged.identity, judged.kibana)
    return stage_result(Stage.HTTP, judged.summary, problems, judged.details, observation)


# nginx (and what is built on it) does not fail the handshake for ssl_verify_client: it asks for the
# certificate, lets the handshake finish, and answers the request with one of these 400 pages.
_NGINX_NO_CERTIFICATE = "No required SSL certificate was sent"
_NGINX_BAD_CERTIFICATE = "The SSL certificate error"


def _front_refused_client_certificate(target: Target, tls: Optional[TlsProbe], answer: api.Answer,
                                      url: str) -> Optional[Finding]:
    """The finding when a TLS front answers 400 for a missing or refused client certificate, else None."""
    if answer.status != 400 or target.tls is None:
        return None
    body = answer.text
    sent = tls is not None and tls.handshake.client_cert_sent
    prefix = target.tls.prefix
    if _NGINX_NO_CERTIFICATE in body:
        why = ("the configured certificate was withheld (see the tls stage)" if target.tls.certificate is not None
               else "none is configured")
        return findings.make(
            "tls-client-cert-required",
            f"GET {url} answered {answer.status_line} '{_NGINX_NO_CERTIFICATE}': the TLS front (nginx) asked for a "
            f"client certificate during the handshake and got none, because {why}. It does not fail the handshake; "
            "it refuses every request instead.",
            prefix=prefix,
        )
    if _NGINX_BAD_CERTIFICATE in body and sent:
        return findings.make(
            "tls-client-cert-rejected",
            f"GET {url} answered {answer.status_line} '{_NGINX_BAD_CERTIFICATE}': the TLS front (nginx) did not accept "
            "the client certificate (its ssl_client_certificate CAs do not include the issuer, or it is expired).",
            prefix=prefix,
        )
    return None


# What the usual fronts answer when they, not Elasticsearch or Kibana, refuse the request.
_PLAIN_TO_TLS = (
    ("nginx", "The plain HTTP request was sent to HTTPS port"),
    ("Apache", "speaking plain HTTP to an SSL-enabled server port"),
)
_NO_UPSTREAM = (
    ("HAProxy", 503, "No server is available to handle this request"),
    ("Apache", 503, "The server is temporarily unable to service your"),
    ("Apache", 502, "The proxy server received an invalid"),
)
_GATEWAY_STATUSES = (502, 503, 504)


def what_the_beat_sends(target: Target) -> str:
    """Why the Beat speaks plain HTTP to *target*: the scheme rule, which an ssl block does not change."""
    if target.ssl_ignored:
        return (f"The Beat sends plain HTTP: {target.url} is http:// (a host without a scheme is http:// unless "
                "protocol: https is set), and its ssl block, ssl.enabled included, does not change the scheme, so "
                "the ssl settings go unused.")
    return f"The Beat sends plain HTTP because the URL is {target.url}."


def _front_answer(target: Target, answer: api.Answer, url: str,
                  params: Dict[str, str]) -> Optional[Tuple[str, Finding]]:
    """(summary, finding) when a front (nginx, HAProxy, Apache) answered in the server's place, else None."""
    text = " ".join(answer.text.split()) if answer.looks_like_html or answer.status >= 400 else ""
    server = answer.header("Server") or ""
    if answer.status == 400:
        for front, words in _PLAIN_TO_TLS:
            if words in text:
                return (f"{answer.status_line}: the {front} front wants https://", findings.make(
                    "http-front-plain-http-to-tls",
                    f"GET {url} answered {answer.status_line} '{words}'{_who(answer)}: the {front} in front of the "
                    f"server speaks TLS on port {target.port}. {what_the_beat_sends(target)}",
                    **params))
    if answer.status in _GATEWAY_STATUSES:
        for front, status, words in _NO_UPSTREAM:
            if answer.status == status and words in text:
                return _no_upstream(front, answer, url, words, params)
        if server.lower().startswith("nginx") or "<center>nginx" in answer.text:
            title = re.search(r"<title>(.*?)</title>", answer.text, re.IGNORECASE | re.DOTALL)
            return _no_upstream("nginx", answer, url, title.group(1).strip() if title else answer.status_line, params)
    return None


def _no_upstream(front: str, answer: api.Answer, url: str, words: str,
                 params: Dict[str, str]) -> Tuple[str, Finding]:
    return (f"{answer.status_line} from the {front} front: no upstream", findings.make(
        "http-front-no-upstream",
        f"GET {url} answered {answer.status_line} '{words}'{_who(answer)}: the {front} proxy in front of the server "
        "answered itself, having no working server behind it to pass the request to.",
        **params))


@record
class _Judged:
    """A verdict on one answer: what the stage reports, and who answered."""

    summary: str
    findings: List[Finding]
    details: Dict[str, Any]
    identity: api.ServerIdentity
    kibana: Optional[api.KibanaStatus] = None


def _ask_following_once(client: Client, url: str, params: Dict[str, str]) -> Tuple[Outcome, List[Finding]]:
    """GET *url*; a redirect on the same origin is followed once, any other is reported, never followed."""
    outcome = client.get(url)
    if not isinstance(outcome, api.Answer) or outcome.status not in _REDIRECTS:
        return outcome, []
    location = outcome.header("Location")
    if not location:
        return outcome, []
    destination = urljoin(url, location.strip())
    if not api.same_origin(url, destination):
        return outcome, [findings.make(
            "http-redirect-other-host",
            f"GET {url} answered {outcome.status_line} with Location: {_safe_location(destination)}. esprobe did not "
            "follow it, so no credentials went there.",
            **params,
        )]
    followed = client.get(destination)
    note = findings.make(
        "http-redirect",
        f"GET {url} answered {outcome.status_line} with Location: {_safe_location(destination)} (same host and port); "
        "esprobe followed it once.",
        **params,
    )
    if isinstance(followed, api.Answer) and followed.status in _REDIRECTS:
        again = followed.header("Location") or "(no Location)"
        return followed, [findings.make(
            "http-redirect-other-host" if not api.same_origin(url, urljoin(destination, again)) else "http-redirect",
            f"GET {url} redirects to {_safe_location(destination)}, which redirects again to {_safe_location(again)}; "
            "esprobe follows one redirect only.",
            severity=findings.FAIL,
            **params,
        )]
    return followed, [note]


def _safe_location(location: str) -> str:
    """A Location for messages: any user:password@ part is masked (it could carry a secret)."""
    return re.sub(r"(//)[^/@]*@", r"\1<userinfo>@", location)


# --- failures ---------------------------------------------------------------------------------


def _failure(target: Target, ctx: ProbeContext, tcp: TcpObservation, failure: Failure,
             params: Dict[str, str]) -> List[Finding]:
    url = failure.url or target.url
    if failure.kind == "timeout":
        return [findings.make("http-timeout", f"GET {url}: {failure.detail}.", **params)]
    if failure.kind in ("eof", "reset", "closed"):
        if target.scheme == "http" and failure.kind != "closed" and _tls_port(target, ctx, tcp):
            return [findings.make(
                "http-plaintext-to-tls",
                f"GET {url}: {failure.detail}; the port answers a TLS handshake, so the server expects https:// "
                "(Elasticsearch logs: received plaintext http traffic on an https channel, closing connection). "
                + what_the_beat_sends(target),
                **params,
            )]
        return [findings.make("http-no-answer", f"GET {url}: {failure.detail}.", **params)]
    if failure.kind == "protocol":
        return [findings.make("http-not-http", f"GET {url}: {failure.detail}.", **params)]
    if failure.kind == "tls":
        return [findings.make("http-tls-error", f"GET {url}: the TLS connection failed: {failure.detail}.", **params)]
    return [findings.make("http-request-invalid", f"GET {url}: {failure.detail}.", **params)]


def _tls_port(target: Target, ctx: ProbeContext, tcp: TcpObservation) -> bool:
    address = tcp.connected_address
    if address is None:
        return False
    return speaks_tls(address, target.port, target.host, ctx.step_timeout())


def _failure_summary(failure: Failure) -> str:
    words = {
        "timeout": "no complete answer in time",
        "eof": "the server closed the connection without answering",
        "reset": "the server reset the connection",
        "protocol": "the answer is not HTTP",
        "tls": "TLS error after the handshake",
        "closed": "the connection was closed",
    }
    return words.get(failure.kind, "the request could not be sent")


# --- Elasticsearch ---------------------------------------------------------------------------


def _judge_elasticsearch(answer: api.Answer, params: Dict[str, str]) -> _Judged:
    identity = api.identify(answer)
    doc, json_problem = answer.json()
    if identity.product == api.UNKNOWN and answer.status == 200 and isinstance(doc, dict) \
            and identity.version and identity.cluster_name is not None:
        # An Elasticsearch older than 7.14 behind something that rewrote the tagline: the document decides.
        identity = dataclasses.replace(identity, product=api.ELASTICSEARCH, evidence="GET / document")
    summary, found, details = _elasticsearch_verdict(answer, identity, doc, json_problem, params)
    return _Judged(summary, found, details, identity)


def _elasticsearch_verdict(answer: api.Answer, identity: api.ServerIdentity, doc: Any, json_problem: Optional[str],
                           params: Dict[str, str]) -> Tuple[str, List[Finding], Dict[str, Any]]:
    details = _details(answer, identity)
    url = params["url"]
    if answer.truncated:
        return (
            f"{answer.status_line}: answer larger than 1 MiB",
            [
                findings.make(
                    "http-answer-truncated",
                    f"GET {url} answered {answer.status_line} with more than 1 "
                    f"MiB{_announced_size(answer)}{_who(answer)}; "
                    "esprobe read the first 1 MiB and stopped.",
                    **params,
                )
            ],
            details,
        )
    if identity.product == api.OPENSEARCH:
        version = f" {identity.version}" if identity.version else ""
        return (f"OpenSearch{version}, not Elasticsearch", [findings.make(
            "http-opensearch",
            f"GET {url} is answered by OpenSearch{version} ({identity.evidence}). The Beat's connection checks "
            "(license, version) fail against it.",
            **params,
        )], details)
    if identity.product == api.KIBANA:
        return ("Kibana answers here, not Elasticsearch", [findings.make(
            "http-not-elasticsearch",
            f"GET {url} is answered by Kibana ({identity.evidence}, {answer.status_line}), not Elasticsearch.",
            **params,
        )], details)
    if answer.status in (401, 403):
        if identity.product == api.ELASTICSEARCH:
            return (f"Elasticsearch answered {answer.status_line}; the auth stage judges the credentials", [], details)
        return (f"{answer.status_line} from an unidentified server", [findings.make(
            "http-unidentified",
            f"GET {url} answered {answer.status_line}{_who(answer)} without showing it is Elasticsearch.",
            **params,
        )], details)
    if answer.status < 200 or answer.status >= 300:
        what = "Elasticsearch" if identity.product == api.ELASTICSEARCH else "the server" + _who(answer)
        return (f"{answer.status_line} to GET /", [findings.make(
            "http-unexpected-status",
            f"GET {url}: {what} answered {answer.status_line}: {answer.snippet() or '(empty body)'}. The Beat's "
            "connection check needs a 2xx answer.",
            **params,
        )], details)
    if identity.product != api.ELASTICSEARCH:
        return (
            "not Elasticsearch",
            [
                findings.make(
                    "http-not-elasticsearch",
                    f"GET {url} answered {answer.status_line} with {_describe_body(answer)}.",
                    **params,
                )
            ],
            details,
        )
    if json_problem is not None or not isinstance(doc, dict):
        return (
            "Elasticsearch's answer is not valid JSON",
            [
                findings.make(
                    "http-invalid-json",
                    f"GET {url}: Elasticsearch ({identity.evidence}) answered {answer.status_line}, but "
                    f"{json_problem or 'the body is not a JSON object'}.",
                    **params,
                )
            ],
            details,
        )
    return _elasticsearch_summary(identity), [], details


def _elasticsearch_summary(identity: api.ServerIdentity) -> str:
    if identity.serverless:
        head = "Elasticsearch serverless (build_flavor serverless: the Beat skips its version check)"
    else:
        head = f"Elasticsearch {identity.version or '(no version)'}"
    if identity.cluster_name:
        head += f", cluster {identity.cluster_name}"
    version = api.parse_version(identity.version)
    if version is not None and version[0] < 8 and not identity.serverless:
        # The verdict needs the Beat's version, which esprobe cannot know (it only has the config).
        head += ("; note: Beats 8.x/9.x refuse an older Elasticsearch unless output.elasticsearch.allow_older_versions "
                 "is true (esprobe cannot tell the Beat's version)")
    return head


def _details(answer: api.Answer, identity: api.ServerIdentity) -> Dict[str, Any]:
    details: Dict[str, Any] = {
        "status_code": answer.status,
        "product": identity.product,
        "version": identity.version,
    }
    for key in ("cluster_name", "tagline", "build_flavor"):
        value = getattr(identity, key)
        if value is not None:
            details[key] = value
    if identity.node_name is not None and identity.product in (api.ELASTICSEARCH, api.OPENSEARCH):
        details["node_name"] = identity.node_name
    if identity.serverless:
        details["serverless"] = True
    if identity.server_header:
        details["server"] = identity.server_header
    return details


def _announced_size(answer: api.Answer) -> str:
    """What the server announced about an over-long body: a flood and a huge document read differently."""
    length = (answer.header("Content-Length") or "").strip()
    if length.isdigit():
        return f" (Content-Length: {length} bytes)"
    if "chunked" in (answer.header("Transfer-Encoding") or "").lower():
        return " (chunked, with no end in the first 1 MiB)"
    return ""


def _who(answer: api.Answer) -> str:
    server = answer.header("Server")
    return f" (Server: {server})" if server else ""


def _describe_body(answer: api.Answer) -> str:
    if answer.looks_like_html:
        match = re.search(rb"<title[^>]*>(.*?)</title>", answer.body[:4096], re.IGNORECASE | re.DOTALL)
        title = " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""
        page = f"an HTML page titled '{title}'" if title else "an HTML page"
        if "welcome to nginx" in title.lower():
            page += " (nginx's default page)"
        return page + _who(answer)
    doc, problem = answer.json()
    if problem is None:
        return f"JSON that is not Elasticsearch's GET / document: {answer.snippet(120)}{_who(answer)}"
    if not answer.body.strip():
        return "an empty body" + _who(answer)
    return f"a non-JSON body: {answer.snippet(120)}{_who(answer)}"


# --- Kibana --------------------------------------------------------------------------------------


def _judge_kibana(target: Target, answer: api.Answer, params: Dict[str, str]) -> _Judged:
    status = api.parse_kibana_status(answer)
    identity = api.identify(answer)
    kibana_shaped = identity.product == api.KIBANA or status.level or status.state or status.boom \
        or status.not_ready or status.redacted
    if identity.product in (api.ELASTICSEARCH, api.OPENSEARCH) or not kibana_shaped:
        summary, found, details = _not_kibana(answer, identity, params)
        return _Judged(summary, found, details, identity)
    identity = api.ServerIdentity(api.KIBANA, version=status.version,
                                    evidence=identity.evidence or "/api/status document",
                                    server_header=identity.server_header)
    summary, found, details = _kibana_verdict(target, answer, status, params)
    return _Judged(summary, found, details, identity, status)


def _not_kibana(answer: api.Answer, identity: api.ServerIdentity,
                params: Dict[str, str]) -> Tuple[str, List[Finding], Dict[str, Any]]:
    details = {"status_code": answer.status, "product": identity.product, "version": identity.version}
    who = {"elasticsearch": "Elasticsearch", "opensearch": "OpenSearch"}.get(identity.product)
    described = f"{who} ({identity.evidence})" if who else _describe_body(answer)
    return ("not Kibana", [findings.make(
        "http-not-kibana", f"GET {params['url']} answered {answer.status_line}: {described}.", **params)], details)


def _kibana_verdict(target: Target, answer: api.Answer, status: api.KibanaStatus,
                    params: Dict[str, str]) -> Tuple[str, List[Finding], Dict[str, Any]]:
    details: Dict[str, Any] = {"status_code": answer.status, "product": api.KIBANA, "version": status.version}
    if status.level:
        details["level"] = status.level
    if status.state:
        details["state"] = status.state
    if status.redacted:
        details["redacted"] = True
    url = params["url"]
    beat_error = f"HTTP GET request to {url} fails: status={answer.status}. Response: {answer.snippet(250)}"
    if status.not_ready:
        return ("Kibana is not ready yet (503)", [findings.make(
            "http-kibana-not-ready",
            f"GET {url} answered {answer.status_line}: Kibana server is not ready yet. The Beat fails: {beat_error}",
            **params,
        )], details)
    if answer.status in (401, 403):
        return (f"Kibana answered {answer.status_line}; the auth stage judges the credentials", [], details)
    if answer.truncated:
        return (
            "answer larger than 1 MiB",
            [
                findings.make(
                    "http-answer-truncated",
                    f"GET {url} answered {answer.status_line} with more than 1 MiB{_announced_size(answer)}; "
                    "esprobe read the first 1 MiB and stopped.",
                    **params,
                )
            ],
            details,
        )
    if answer.status == 503:
        return (
            f"Kibana is {status.health or 'unavailable'} (503)",
            [
                findings.make(
                    "http-kibana-unavailable",
                    f"GET {url}: Kibana reports its overall status as {status.health or 'unavailable'} and answers "
                    f"503; the Beat "
                    f"fails: {beat_error}",
                    **params,
                )
            ],
            details,
        )
    if answer.status < 200 or answer.status >= 300:
        return (
            f"{answer.status_line} to GET /api/status",
            [
                findings.make(
                    "http-unexpected-status",
                    f"GET {url}: Kibana answered {answer.status_line}: {answer.snippet() or '(empty body)'}. The Beat "
                    f"fails: {beat_error}",
                    **params,
                )
            ],
            details,
        )
    if status.redacted:
        if target.credentials.method in ("basic", "api_key"):
            why = (" although credentials were sent: Kibana 9.x hides it from identities without the cluster privilege "
                   "monitor (unless status.statusPageBypassMonitorPrivilege: true in kibana.yml)")
            hint = (
                f"Grant the cluster privilege monitor to the identity in "
                f"`{target.settings.credential}`, "
                "or set status.statusPageBypassMonitorPrivilege: true in kibana.yml."
            )
        else:
            why = (
                " because the Beat sends no credentials to Kibana (Kibana 8.9+ shows anonymous callers only the level)"
            )
            hint = None
        return ("Kibana hides its version (redacted status)", [findings.make(
            "http-kibana-status-redacted",
            f"GET {url} answered {answer.status_line} with only {answer.snippet(120)}: Kibana does not show its "
            f"version to this caller{why}. The Beat fails: error connecting to Kibana: fail to parse kibana version ()",
            hint=hint,
            **params,
        )], details)
    if status.version is None:
        _, problem = answer.json()
        return ("no version in Kibana's status", [findings.make(
            "http-invalid-json" if problem else "http-not-kibana",
            f"GET {url} answered {answer.status_line}, but {problem or 'the answer has no version.number'}; the Beat "
            "reads Kibana's version from it.",
            **params,
        )], details)
    health = status.health
    summary = f"Kibana {status.version}, {status.level or status.state}"
    problems: List[Finding] = []
    if health == "degraded":
        problems.append(findings.make(
            "http-kibana-degraded",
            f"Kibana {status.version} reports its overall status as {status.level or status.state}.",
            **params,
        ))
    return summary, problems, details


__all__ = ["HttpObservation", "check_http"]
