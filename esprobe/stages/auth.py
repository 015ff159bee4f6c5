"""
Auth stage: do the Beat's credentials work, and who do they make the Beat?

Elasticsearch (and monitoring): ``GET /_security/_authenticate`` with exactly the credentials the
Beat sends (basic, ``ApiKey base64(id:key)``, or only the client certificate of the handshake).
Kibana: the ``/api/status`` answer of the http stage (sent with the credentials) says whether they
were accepted; ``GET /internal/security/me`` says who they belong to. That route is internal: from
9.0 Kibana answers external callers 400 unless they send ``x-elastic-internal-origin: kibana``, so
esprobe sends it there (only there: it is not what the Beat sends). Kibana has no public "who am
I" API, and asking Elasticsearch instead would need another target's connection.

Failures become findings that quote the server's reason; the common mistakes (an encoded or
colon-less API key, userinfo in a host URL, the monitoring default user, credentials copied from
the Elasticsearch output) are named. No credential appears in any message or detail.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple

from cryptography import x509

from esprobe import findings
from esprobe.context import ProbeContext
from esprobe.elastic import api
from esprobe.elastic.api import AuthObservation
from esprobe.elastic.pki_dn import java_dn, pki_username
from esprobe.model import Finding, Role, Stage, StageResult, Target, skipped, stage_result
from esprobe.net.es_client import Failure, HttpObservation, first_cert_pem
from esprobe.net.tls import TlsProbe

AUTHENTICATE = "/_security/_authenticate"
KIBANA_ME = "/internal/security/me"
INTERNAL_ORIGIN = {"x-elastic-internal-origin": "kibana"}


def check_auth(target: Target, ctx: ProbeContext, http: Optional[HttpObservation],
               tls: Optional[TlsProbe]) -> StageResult:
    """
    Judge the Beat's credentials over the http stage's client (*http*); *tls* (None for http://)
    says which client certificate the server asked for and received, for PKI.
    """
    if http is None:
        return skipped(Stage.AUTH, "skipped: the http stage kept no connection")
    if target.role is Role.KIBANA:
        return _kibana(target, ctx, http)
    return _elasticsearch(target, ctx, http, tls)


# --- shared words ----------------------------------------------------------------------------


def _params(target: Target) -> Dict[str, str]:
    names = target.settings
    return {"prefix": names.section, "setting": names.credential}


def _rejected_summary(target: Target, by: str = "Elasticsearch") -> str:
    if target.credentials.method == "none":
        return f"{by} requires credentials and none are configured (401)"
    return f"{by} rejected {_method_words(target)} (401)"


def _method_words(target: Target) -> str:
    credentials = target.credentials
    if credentials.method == "basic":
        return f"user name '{credentials.username or ''}' and password"
    if credentials.method == "api_key":
        key_id = api.api_key_id(credentials.api_key)
        return f"API key (id {key_id})" if key_id else "API key"
    if credentials.method == "pki":
        return "the client certificate"
    return "no credentials"


_KIBANA_FALLBACK = re.compile(r"(?:\S+ \+ )?fallback from (?P<origin>.+?)(?: \((?P<copied>[a-z_, ]+)\))?$")


def _source_note(target: Target) -> str:
    """Where the credentials came from, when that is part of the explanation."""
    source = target.credentials.source or ""
    prefix = target.settings.section
    if source == "URL userinfo":
        return (f" These credentials come from the user:password@ part of `{target.setting}`, which replaces "
                f"{prefix}.username/password for this host.")
    if source.startswith("cloud.auth") or source.startswith("monitoring.cloud.auth"):
        return f" These credentials come from `{source.split(' ')[0]}`."
    fallback = _KIBANA_FALLBACK.match(source)
    if fallback:  # config/targets.py: "[setup.kibana + ]fallback from ORIGIN[ (copied keys)]"
        origin, copied = fallback.group("origin"), fallback.group("copied")
        if copied:
            keys = " and ".join(f"`{prefix}.{key}`" for key in copied.split(", "))
            return (f" The Kibana client took {copied} from {origin}, because {keys} "
                    f"{'is' if ', ' not in copied else 'are'} not set.")
        return (f" The Kibana client got these credentials by falling back to {origin}, because {prefix} "
                "does not set them itself.")
    if source.startswith("monitoring default user"):
        return (
            " No monitoring user name is configured, so the Beat uses beats_system (with an empty password when none "
            "is set)."
        )
    if "(inherited)" in source:
        return f" monitoring.elasticsearch inherits these credentials from output.elasticsearch ({source})."
    return ""


def _details(target: Target, identity: Optional[api.Identity], method: Optional[str] = None) -> Dict[str, Any]:
    details: Dict[str, Any] = {
        "method": method or target.credentials.method,
        "username": identity.username if identity else None,
        "realm": identity.realm if identity else None,
        "authentication_type": identity.authentication_type if identity else None,
    }
    if target.credentials.source:
        details["source"] = target.credentials.source
    if identity is not None:
        details["realm_type"] = identity.realm_type
        details["roles"] = list(identity.roles)
        if identity.api_key_id:
            details["api_key_id"] = identity.api_key_id
        if identity.api_key_name:
            details["api_key_name"] = identity.api_key_name
        if identity.pki_dn:
            details["pki_dn"] = identity.pki_dn
        if identity.provider:
            details["kibana_provider"] = identity.provider
    return details


def _who(identity: api.Identity) -> str:
    if identity.is_api_key:
        name = f" '{identity.api_key_name}'" if identity.api_key_name else ""
        key = f"API key{name} (id {identity.api_key_id})" if identity.api_key_id else "an API key"
        return f"{key} of user {identity.username}"
    realm = f" (realm {identity.realm}, type {identity.realm_type})" if identity.realm else ""
    return f"{identity.username}{realm}"


# --- Elasticsearch ---------------------------------------------------------------------------------


def _elasticsearch(target: Target, ctx: ProbeContext, http: HttpObservation, tls: Optional[TlsProbe]) -> StageResult:
    url = api.api_url(target, AUTHENTICATE)
    outcome = http.client.get(url)
    params = _params(target)
    if isinstance(outcome, Failure):
        return stage_result(Stage.AUTH, "no answer to the identity check", [findings.make(
            "auth-unexpected-answer", f"GET {url}: {outcome.kind}: {outcome.detail}.", **params)],
            _details(target, None), AuthObservation(None))
    if api.security_disabled(outcome):
        return _security_disabled(target, outcome, url)
    if outcome.status == 200:
        doc, _ = outcome.json()
        identity = api.parse_identity(doc)
        if identity is None:
            return stage_result(Stage.AUTH, "unreadable identity answer", [findings.make(
                "auth-unexpected-answer", f"GET {url} answered {outcome.status_line}: {outcome.snippet()}.", **params)],
                _details(target, None), AuthObservation(None))
        return _authenticated(target, ctx.beat, tls, identity)
    if outcome.status == 401:
        by = _who_refused(outcome)
        problems = _rejected(target, ctx.beat, tls, outcome, params, by)
        return stage_result(Stage.AUTH, _rejected_summary(target, by), problems, _details(target, None),
                            AuthObservation(None))
    error = api.parse_es_error(outcome)
    reason = error.reason if error else outcome.snippet()
    code = "auth-forbidden" if outcome.status == 403 else "auth-unexpected-answer"
    return stage_result(Stage.AUTH, f"{outcome.status_line} to the identity check", [findings.make(
        code, f"GET {url} answered {outcome.status_line}: {reason}", **params)], _details(target, None),
        AuthObservation(None))


def _security_disabled(target: Target, answer: api.Answer, url: str) -> StageResult:
    error = api.parse_es_error(answer)
    reason = error.reason if error else answer.snippet()
    sent = (
        "" if target.credentials.method == "none" else f" The {_method_words(target)} the Beat sends are not checked."
    )
    finding = findings.make(
        "auth-security-disabled",
        f"GET {url} answered {answer.status_line}: {reason} — security is disabled on this cluster.{sent}",
    )
    return stage_result(Stage.AUTH, "security is disabled on the server", [finding],
                        _details(target, None, method="none"), AuthObservation(None, security_enabled=False))


def _authenticated(target: Target, beat: str, tls: Optional[TlsProbe], identity: api.Identity) -> StageResult:
    params = _params(target)
    problems: List[Finding] = []
    method = target.credentials.method
    details = _details(target, identity)
    summary = f"authenticated as {_who(identity)}"
    if identity.authentication_type == "anonymous":
        if method == "pki":
            problems.append(
                _pki_not_accepted(
                    target,
                    beat,
                    tls,
                    f"Elasticsearch let the request in as its anonymous user ({identity.username}) instead",
                    severity=findings.WARN,
                )
            )
        else:
            problems.append(findings.make(
                "auth-anonymous",
                f"Elasticsearch accepted the Beat as its anonymous user {identity.username} with roles "
                f"[{', '.join(identity.roles)}]; the Beat sends {_method_words(target)}.",
                **params,
            ))
        summary = f"anonymous access as {identity.username}"
    elif method == "pki" and not identity.is_pki:
        problems.append(
            _pki_not_accepted(target, beat, tls, f"Elasticsearch authenticated the request as {_who(identity)}")
        )
    elif not identity.roles and not identity.is_api_key:
        if identity.is_pki:
            problems.append(_pki_no_roles(target, beat, tls, identity, params))
        else:
            problems.append(findings.make(
                "auth-no-roles", f"{_who(identity)} authenticated but has no roles.", **params))
    if method == "pki":
        dn, username = _predicted_pki(target, tls)
        if dn is not None:
            details.setdefault("pki_dn", dn)
        if username is not None:
            details["pki_username"] = username
    return stage_result(Stage.AUTH, summary, problems, details, AuthObservation(identity))


def _who_refused(answer: api.Answer) -> str:
    """
    Elasticsearch, or the front that answered for it. A reverse proxy with its own authentication
    (nginx auth_basic, say) answers 401 without Elasticsearch's product header or error body; blaming
    Elasticsearch would send the user to the wrong place, so name the front and its challenge.
    """
    if answer.header("X-elastic-product") or api.parse_es_error(answer) is not None:
        return "Elasticsearch"
    challenges = "; ".join(answer.header_values("WWW-Authenticate"))
    server = answer.header("Server")
    front = f"the server in front of Elasticsearch ({server})" if server else "the server in front of Elasticsearch"
    return f"{front}, with WWW-Authenticate: {challenges}," if challenges else front


def _rejected(target: Target, beat: str, tls: Optional[TlsProbe], answer: api.Answer, params: Dict[str, str],
              by: str = "Elasticsearch") -> List[Finding]:
    """The findings for a 401 to the Beat's credentials, by method."""
    error = api.parse_es_error(answer)
    reason = error.reason if error else answer.snippet() or answer.status_line
    additional = error.additional if error else None
    quoted = f"{reason} ({additional})" if additional else reason
    method = target.credentials.method
    source = _source_note(target)
    if method == "none":
        return [findings.make(
            "auth-no-credentials",
            f"{by} requires credentials and the Beat sends none: 401 {quoted}.",
            **params,
        )]
    if method == "pki":
        return [_pki_not_accepted(target, beat, tls, f"Elasticsearch answered 401 {quoted}")]
    if method == "basic":
        code = "auth-wrong-password" if reason.startswith("unable to authenticate user") else "auth-rejected"
        return [findings.make(
            code,
            f"{by} rejected the {_method_words(target)}: 401 {quoted}.{source}",
            hint=_basic_hint(target, params),
            **params,
        )]
    return [_api_key_rejected(target, reason, additional, quoted, params, by)]


def _basic_hint(target: Target, params: Dict[str, str]) -> Optional[str]:
    source = target.credentials.source or ""
    if source == "URL userinfo":
        return (f"Correct or remove the user:password@ part of `{target.setting}`; without it the Beat uses "
                f"{params['prefix']}.username/password.")
    if source.startswith("monitoring default user"):
        return ("Set monitoring.elasticsearch.username and password (beats_system and its password, or a user with the "
                "monitoring privileges), or monitoring.elasticsearch.api_key.")
    if "fallback from" in source:
        return ("Set setup.kibana.username/password (or api_key) for Kibana, or correct the output.elasticsearch "
                "credentials the Kibana client falls back to.")
    return None


def _api_key_rejected(target: Target, reason: str, additional: Optional[str], quoted: str,
                      params: Dict[str, str], by: str = "Elasticsearch") -> Finding:
    api_key = target.credentials.api_key
    shape = api.api_key_shape(api_key)
    key_id = api.api_key_id(api_key)
    said = f"{by} rejected the API key: 401 {quoted}."
    source = _source_note(target)
    if shape == api.API_KEY_ENCODED:
        return findings.make(
            "auth-api-key-encoded",
            f"{said} The configured api_key has no ':' and base64-decodes to '{key_id}:…', so it is the `encoded` "
            f"value; the Beat encodes it a second time.{source}",
            hint=(
                f"Put the decoded form into `{params['prefix']}.api_key`: the key id '{key_id}', a ':', then the key's "
                "`api_key` value (not `encoded`)."
            ),
            **params,
        )
    if shape == api.API_KEY_NO_COLON:
        return findings.make(
            "auth-api-key-no-colon",
            f"{said} The configured api_key has no ':', so it cannot be 'id:api_key'.{source}",
            **params,
        )
    text = (additional or "").lower()
    if reason.startswith("missing authentication credentials"):
        code = "auth-api-keys-disabled"
    elif "unable to find apikey" in text:
        code = "auth-api-key-unknown"
    elif "expired" in text:
        code = "auth-api-key-expired"
    elif "invalidated" in text:
        code = "auth-api-key-invalidated"
    elif "invalid credentials for api key" in text:
        code = "auth-api-key-wrong-secret"
    else:
        code = "auth-api-key-rejected"
    return findings.make(code, f"{said} (key id {key_id}){source}" if key_id else said + source, **params)


# --- PKI -------------------------------------------------------------------------------------------


def _predicted_pki(target: Target, tls: Optional[TlsProbe]) -> Tuple[Optional[str], Optional[str]]:
    """
    The DN Elasticsearch's PKI realm sees in the client certificate, and its user name: the
    certificate the TLS stage presented, else the configured one.
    """
    cert: Optional[x509.Certificate] = tls.client_leaf if tls is not None else None
    if cert is None:
        certificate = target.tls.certificate if target.tls is not None else None
        cert = first_cert_pem(certificate.data if certificate is not None else None)
    if cert is None:
        return None, None
    try:
        dn = java_dn(cert)
    except Exception:  # an exotic subject must not break the stage; the DN is only an explanation
        return None, None
    return dn, pki_username(dn)


def _role_mapping_lines(beat: str, dn: str) -> str:
    """The two ways to map *dn* to the Beat's role, each as paste-ready lines (the DN quoted for YAML and JSON)."""
    role = f"{beat}_writer"
    quoted = json.dumps(dn)
    mapping = json.dumps({"roles": [role], "rules": {"field": {"dn": dn}}, "enabled": True}, separators=(",", ":"))
    return ("in role_mapping.yml:" + findings.snippet(f"{role}:", f"  - {quoted}")
            + "or with the role-mapping API:" + findings.snippet(f"PUT /_security/role_mapping/{beat}-pki", mapping))


def _pki_no_roles(target: Target, beat: str, tls: Optional[TlsProbe], identity: api.Identity,
                  params: Dict[str, str]) -> Finding:
    dn = identity.pki_dn or _predicted_pki(target, tls)[0] or "<the certificate's DN>"
    return findings.make(
        "auth-pki-no-roles",
        f"The PKI realm {identity.realm} authenticated the client certificate as user {identity.username} "
        f"(DN as Elasticsearch sees it: {dn}), but no role mapping gives it a role.",
        hint=f"Map this DN to the Beat's role (use your role's name), {_role_mapping_lines(beat, dn)}",
        **params,
    )


def _pki_not_accepted(target: Target, beat: str, tls: Optional[TlsProbe], what: str,
                      severity: Optional[findings.Severity] = None) -> Finding:
    params = _params(target)
    dn, username = _predicted_pki(target, tls)
    requested = tls.handshake.cert_requested if tls is not None else None
    parts = [f"{what}; the Beat's only credential is the client certificate."]
    sent = tls.handshake.client_cert_sent if tls is not None else None
    if requested is False:
        parts.append("The server did not ask for a client certificate in the TLS handshake "
                     "(xpack.security.http.ssl.client_authentication is none), so the Beat never sends it.")
    elif requested and sent is False:
        parts.append("The server asked for a client certificate but the Beat does not send this one (see the tls "
                     "stage: the server's list of acceptable CAs does not lead to its issuer).")
    if dn is not None:
        parts.append(f"Elasticsearch's PKI realm would see the DN as: {dn}.")
        if username is None:
            parts.append(
                "The default username_pattern CN=(.*?)(?:,|$) finds no user name in it, so the realm refuses it."
            )
        else:
            parts.append(f"The default username_pattern makes the user name '{username}'.")
    hint = ("On Elasticsearch: xpack.security.http.ssl.client_authentication: optional (or required); a PKI realm "
            "(xpack.security.authc.realms.pki.pki1.order: 1) whose truststore or certificate_authorities trusts the CA "
            f"that issued `{params['prefix']}.ssl.certificate`")
    hint += f"; then map the DN to a role, {_role_mapping_lines(beat, dn)}" if dn else "."
    return findings.make("auth-pki-not-accepted", " ".join(parts), hint=hint, severity=severity, **params)


# --- Kibana ------------------------------------------------------------------------------------


def _kibana(target: Target, ctx: ProbeContext, http: HttpObservation) -> StageResult:
    params = _params(target)
    answer = http.answer
    status_code = answer.status if answer is not None else None
    method = target.credentials.method
    if answer is not None and answer.status == 401:
        return stage_result(Stage.AUTH, _rejected_summary(target, "Kibana"),
                            [_kibana_rejected(target, answer, params)], _details(target, None), AuthObservation(None))
    me_url = api.kibana_base_url(target) + KIBANA_ME
    outcome = http.client.get(me_url, headers=INTERNAL_ORIGIN)
    if isinstance(outcome, api.Answer) and outcome.status == 200:
        identity = api.parse_identity(outcome.json()[0])
        if identity is not None:
            details = _details(target, identity)
            summary = f"Kibana accepts the Beat as {_who(identity)}"
            if "fallback from" in (target.credentials.source or ""):
                summary += " (credentials copied from output.elasticsearch)"
            problems: List[Finding] = []
            if identity.authentication_type == "anonymous" and method != "none":
                problems.append(findings.make(
                    "auth-anonymous", f"Kibana treats the Beat as the anonymous user {identity.username}.", **params))
            return stage_result(Stage.AUTH, summary, problems, details, AuthObservation(identity))
    if isinstance(outcome, api.Answer) and outcome.status == 401:
        if method == "none":
            return stage_result(Stage.AUTH, "no credentials for Kibana", [findings.make(
                "auth-no-credentials",
                f"Kibana shows its status to anonymous callers, but GET {me_url} answered 401: Kibana has security on "
                "and the Beat sends no credentials, so loading dashboards fails.",
                **params,
            )], _details(target, None), AuthObservation(None))
        return stage_result(Stage.AUTH, _rejected_summary(target, "Kibana"),
                            [_kibana_rejected(target, outcome, params)], _details(target, None), AuthObservation(None))
    if isinstance(outcome, api.Answer) and outcome.status == 404 and status_code == 200:
        # A 404 does not prove that security is off: a proxy that passes only /api/*, or a Kibana that
        # hides internal routes, answers the same. Say what is known: nothing about the identity.
        return stage_result(Stage.AUTH, f"could not check who Kibana takes the Beat for (GET {KIBANA_ME}: 404)", [
            findings.make(
                "auth-kibana-identity-unchecked",
                f"Kibana answered its status, but GET {me_url} answered 404, so esprobe could not check who Kibana "
                f"takes the Beat for. Kibana may run without security, or something in front of it (a proxy that "
                f"passes only /api/ routes) may hide the route; the {_method_words(target)} the Beat sends are "
                "not confirmed.",
                **params,
            )], _details(target, None), AuthObservation(None))
    # Kibana accepted the credentials for the status call but would not say who they belong to.
    said = outcome.status_line if isinstance(outcome, api.Answer) else f"{outcome.kind}: {outcome.detail}"
    summary = f"Kibana accepts the {_method_words(target)} (it answered the status call; GET {KIBANA_ME}: {said})" + (
        " — copied from output.elasticsearch" if "fallback from" in (target.credentials.source or "") else ""
    )
    return stage_result(Stage.AUTH, summary, [], _details(target, None), AuthObservation(None))


def _kibana_rejected(target: Target, answer: api.Answer, params: Dict[str, str]) -> Finding:
    method = target.credentials.method
    message = api.kibana_error_message(answer) or answer.snippet() or answer.status_line
    reason = _es_reason_in(message) or message
    source = _source_note(target)
    if method == "none":
        return findings.make(
            "auth-no-credentials",
            f"Kibana requires credentials for /api/status (Kibana 8.8 and older ask every caller) and the Beat sends "
            f"none: 401 {reason}. The Beat fails: HTTP GET request to {answer.url} fails: status=401.",
            **params,
        )
    if method == "api_key":
        shape = api.api_key_shape(target.credentials.api_key)
        if shape != api.API_KEY_OK:
            key_id = api.api_key_id(target.credentials.api_key)
            code = "auth-api-key-encoded" if shape == api.API_KEY_ENCODED else "auth-api-key-no-colon"
            shown = f"base64-decodes to '{key_id}:…' (the `encoded` value)" if key_id else "has no ':'"
            return findings.make(
                code, f"Kibana rejected the API key: 401 {reason}. The configured api_key {shown}.{source}", **params
            )
        key_id = api.api_key_id(target.credentials.api_key)
        return findings.make(
            "auth-api-key-rejected",
            f"Kibana rejected the API key (id {key_id}): 401 {reason}. Kibana does not pass on why; "
            f"GET /_security/api_key?id={key_id} on Elasticsearch shows whether it exists, expired or was "
            f"invalidated.{source}",
            **params,
        )
    code = "auth-wrong-password" if method == "basic" and "unable to authenticate user" in reason else "auth-rejected"
    return findings.make(code, f"Kibana rejected the {_method_words(target)}: 401 {reason}.{source}",
                         hint=_basic_hint(target, params), **params)


def _es_reason_in(message: str) -> Optional[str]:
    """Elasticsearch's reason inside Kibana's wrapped security_exception message."""
    match = re.search(
        r"(unable to authenticate[^\],]*\]?(?: for REST request \[[^\]]*\])?|missing authentication "
        r"credentials[^\]]*\])",
        message,
    )
    return match.group(1) if match else None
