"""
Elasticsearch and Kibana HTTP, the Beat's way: what it sends, and what the answers mean.

Pure: no sockets here (`esprobe.net.es_client` does the exchanges). Headers follow the Beat's wire
format (elastic/beats libbeat/outputs/elasticsearch/config.go); answers are read by the shapes in
the Elasticsearch and Kibana REST API docs (elastic/elasticsearch rest-api-spec). Nothing in
this module returns a credential in any value it
builds for a report: the Authorization header exists only in `request_headers`' result.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from dataclasses import field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, TypedDict
from urllib.parse import quote, urlsplit

from esprobe import __version__
from esprobe.elastic import api_key as api_keys
from esprobe.model import Credentials, Role, Target
from esprobe.record import record

# The Beat sends `Elastic-<beat>/<version> (<GOOS>; <GOARCH>; <commit>; <build time>)`. esprobe
# keeps that shape but puts its own name where the Beat's version and commit go, so that an
# administrator reading Elasticsearch's audit or access logs can tell the probe from the Beat.
USER_AGENT_VERSION = f"esprobe-{__version__}"

# Kibana's client adds this header unless the configuration names it (elastic-agent-libs
# kibana/client_config.go); the config reader already adds it, this covers hand-built targets.
KIBANA_API_VERSION = ("Elastic-Api-Version", "2023-10-31")


_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386", "i386": "386",
           "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def user_agent(beat: str) -> str:
    """The Beat-shaped User-Agent (see `USER_AGENT_VERSION`)."""
    goos = "windows" if sys.platform.startswith("win") else "darwin" if sys.platform == "darwin" else sys.platform
    goos = "linux" if goos.startswith("linux") else goos
    machine = os.uname().machine.lower()  # as platform.machine() reads it, without importing platform
    goarch = _GOARCH.get(machine, machine or "unknown")
    return f"Elastic-{beat or 'Libbeat'}/{USER_AGENT_VERSION} ({goos}; {goarch}; esprobe; unknown)"


def authorization(credentials: Credentials) -> Optional[str]:
    """
    The Authorization header value the Beat sends, or None.

    Basic auth when user name *or* password is non-empty (Go's ``SetBasicAuth``); an API key is
    the raw ``id:key`` the Beat base64-encodes itself; PKI sends no header (the certificate went
    in the TLS handshake).
    """
    if credentials.api_key:
        return "ApiKey " + base64.b64encode(credentials.api_key.encode("utf-8")).decode("ascii")
    if credentials.username or credentials.password:
        pair = f"{credentials.username or ''}:{credentials.password or ''}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return None


def request_headers(target: Target, beat: str) -> List[Tuple[str, str]]:
    """
    Every header the Beat puts on its requests to *target*, credentials included.

    Elasticsearch (``eslegclient``): ``Accept: application/json``, the User-Agent,
    ``X-Elastic-Product-Origin: beats`` unless configured, then the configured headers
    (``Content-Type``/``Accept`` replace the default, others add). Kibana adds ``kbn-xsrf: 1``,
    ``Content-Type: application/json`` and the default ``Elastic-Api-Version``.
    """
    headers: Dict[str, Tuple[str, str]] = {}

    def put(name: str, value: str) -> None:
        headers[name.lower()] = (name, value)

    put("Accept", "application/json")
    put("User-Agent", user_agent(beat))
    configured = {name.lower() for name, _ in target.headers}
    if target.role is Role.KIBANA:
        put("Content-Type", "application/json")
        put("kbn-xsrf", "1")
        if KIBANA_API_VERSION[0].lower() not in configured:
            put(*KIBANA_API_VERSION)
    elif "x-elastic-product-origin" not in configured:
        put("X-Elastic-Product-Origin", "beats")
    for name, value in target.headers:
        put(name, value)
    credential = authorization(target.credentials)
    if credential is not None:
        put("Authorization", credential)
    return list(headers.values())


# --- URLs -----------------------------------------------------------------------------------------


def origin(url: str) -> str:
    """``scheme://host:port`` of *url*: the only place a target's Session may talk to."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}"


def base_url(url: str) -> str:
    """*url* without query and trailing slash; API paths are appended to it (``addToURL``)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}".rstrip("/")


def api_url(target: Target, path: str) -> str:
    return base_url(target.url) + path


def kibana_status_url(target: Target) -> str:
    """``<url>/api/status``: the URL already carries ``path`` and ``/s/<space>`` (the Beat's client URL)."""
    return api_url(target, "/api/status")


def kibana_base_url(target: Target) -> str:
    """Kibana's URL without the ``/s/<space>`` the Beat adds (for calls that are not about a space)."""
    base = base_url(target.url)
    suffix = "/s/" + (target.space_id or "")
    if target.space_id and base.endswith(suffix):
        base = base[: -len(suffix)]
    return base


def kibana_space_url(target: Target, space_id: str) -> str:
    """``GET /api/spaces/space/<id>``, asked outside any space prefix."""
    base = base_url(target.url)
    suffix = "/s/" + space_id
    if base.endswith(suffix):
        base = base[: -len(suffix)]
    return f"{base}/api/spaces/space/{quote(space_id, safe='')}"


def same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, (a.hostname or "").lower(), a.port or _default_port(a.scheme)) == (
        b.scheme,
        (b.hostname or "").lower(),
        b.port or _default_port(b.scheme),
    )


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


# --- answers ----------------------------------------------------------------------------------------


@record
class Answer:
    """
    One HTTP answer as esprobe keeps it.

    Attributes:
        status: the status code.
        reason: the reason phrase.
        headers: every header line, duplicates kept.
        body: the body (at most `esprobe.net.http.MAX_BODY` bytes).
        truncated: the body was longer and was cut.
        url: the URL asked.
    """

    status: int
    reason: str
    headers: Tuple[Tuple[str, str], ...]
    body: bytes = field(repr=False)
    truncated: bool = False
    url: str = ""

    def header(self, name: str) -> Optional[str]:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def header_values(self, name: str) -> List[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def status_line(self) -> str:
        return f"{self.status} {self.reason}".strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Tuple[Any, Optional[str]]:
        """(document, None), or (None, why it is not JSON)."""
        if not self.body.strip():
            return None, "the body is empty"
        if self.truncated:
            # A cut document cannot be whole JSON; parsing 1 MiB of a hostile one would cost seconds and
            # many times its size in memory (1 MiB of "[0," builds a list of half a million items).
            return None, "the body is longer than 1 MiB and was cut off"
        try:
            return json.loads(self.body.decode("utf-8")), None
        except UnicodeDecodeError:
            return None, "the body is not UTF-8 text"
        except ValueError as error:
            return None, f"the body is not valid JSON ({error})"
        except RecursionError:  # "[[[[...": the parser recurses once per level and gives up
            return None, "the body is not valid JSON (it nests too deeply to read)"

    def snippet(self, limit: int = 160) -> str:
        """The start of the body on one line, for messages (the Beat quotes 250 runes)."""
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    @property
    def looks_like_html(self) -> bool:
        content_type = (self.header("Content-Type") or "").lower()
        start = self.body[:512].lstrip().lower()
        return "html" in content_type or start.startswith((b"<!doctype html", b"<html"))


def parse_version(text: Optional[str]) -> Optional[Tuple[int, int, int]]:
    """``8.15.3`` / ``8.0.0-SNAPSHOT`` / ``9.1`` -> a tuple; None when it is not a version."""
    if not isinstance(text, str):
        return None
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


# --- GET / ------------------------------------------------------------------------------------------

ELASTICSEARCH = "elasticsearch"
OPENSEARCH = "opensearch"
KIBANA = "kibana"
UNKNOWN = "unknown"


@record
class ServerIdentity:
    """
    Who answered, as far as the answer tells.

    Attributes:
        product: ``elasticsearch`` | ``opensearch`` | ``kibana`` | ``unknown``.
        version: ``version.number`` as sent, or None.
        evidence: what identified the product (``X-elastic-product header``, ``kbn-name header`` ...).
        cluster_name / node_name / tagline / build_flavor / cluster_uuid: from ``GET /``, when present.
        serverless: ``build_flavor`` is ``serverless`` (its version number means nothing).
        server_header: the ``Server`` header, when there is one (proxies and web servers name themselves).
    """

    product: str
    version: Optional[str] = None
    evidence: str = ""
    cluster_name: Optional[str] = None
    node_name: Optional[str] = None
    tagline: Optional[str] = None
    build_flavor: Optional[str] = None
    cluster_uuid: Optional[str] = None
    serverless: bool = False
    server_header: Optional[str] = None


def _is_kibana_answer(answer: Answer) -> bool:
    return answer.header("kbn-name") is not None or answer.header("kbn-license-sig") is not None


def identify(answer: Answer) -> ServerIdentity:
    """Name the product behind *answer* from its headers and, for a JSON body, its shape."""
    server = answer.header("Server")
    doc, _ = answer.json()
    doc = doc if isinstance(doc, dict) else {}
    version_doc = _object(doc.get("version"))
    number = version_doc.get("number") if isinstance(version_doc.get("number"), str) else None
    common: Dict[str, Any] = {
        "version": number,
        "cluster_name": _str(doc.get("cluster_name")),
        "node_name": _str(doc.get("name")),
        "tagline": _str(doc.get("tagline")),
        "build_flavor": _str(version_doc.get("build_flavor")),
        "cluster_uuid": _str(doc.get("cluster_uuid")),
        "server_header": server,
    }
    common["serverless"] = common["build_flavor"] == "serverless"
    if version_doc.get("distribution") == "opensearch" or "opensearch" in (common["tagline"] or "").lower():
        return ServerIdentity(OPENSEARCH, evidence="version.distribution is opensearch", **common)
    if any(v.lower().startswith("basic realm=\"opensearch") for v in answer.header_values("WWW-Authenticate")):
        return ServerIdentity(OPENSEARCH, evidence="WWW-Authenticate names OpenSearch Security", **common)
    product_header = answer.header("X-elastic-product")
    if product_header is not None and product_header.strip().lower() == "elasticsearch":
        return ServerIdentity(ELASTICSEARCH, evidence="X-elastic-product header", **common)
    if _is_kibana_answer(answer):
        return ServerIdentity(KIBANA, evidence="kbn-name header", **common)
    if number and common["tagline"] == "You Know, for Search":
        # Before 7.14 Elasticsearch sent no product header; its tagline is the signature.
        return ServerIdentity(ELASTICSEARCH, evidence="tagline", **common)
    if (
        isinstance(doc.get("error"), dict)
        and doc.get("status") in (401, 403)
        and doc["error"].get("type") == "security_exception"
    ):
        return ServerIdentity(ELASTICSEARCH, evidence="security_exception error body", **common)
    if isinstance(doc.get("error"), str) and doc["error"].startswith("no handler found for uri"):
        return ServerIdentity(ELASTICSEARCH, evidence="Elasticsearch's no-handler error", **common)
    return ServerIdentity(UNKNOWN, evidence="", **common)


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _object(value: Any) -> Dict[str, Any]:
    """*value* when it is a JSON object, else an empty one (a missing or odd member reads as absent)."""
    return value if isinstance(value, dict) else {}


def _array(value: Any) -> List[Any]:
    """*value* when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


# --- Kibana /api/status ----------------------------------------------------------------------------


@record
class KibanaStatus:
    """
    What Kibana's ``/api/status`` said.

    Attributes:
        version: ``version.number`` (+ ``-SNAPSHOT`` when ``build_snapshot``, as the Beat appends), or None.
        level: 8.x/9.x ``status.overall.level`` (``available`` | ``degraded`` | ``unavailable`` | ``critical``).
        state: 7.x ``status.overall.state`` (``green`` | ``yellow`` | ``red``).
        redacted: the answer is the reduced body Kibana ≥ 8.9 gives callers it does not show details to.
        not_ready: Kibana's plain "server is not ready yet" answer (still starting).
        boom: a Kibana error envelope ``{"statusCode", "error", "message"}``, when that is the body.
    """

    version: Optional[str] = None
    level: Optional[str] = None
    state: Optional[str] = None
    redacted: bool = False
    not_ready: bool = False
    name: Optional[str] = None
    boom: Optional[Mapping[str, Any]] = None

    @property
    def health(self) -> Optional[str]:
        """``level`` for 8.x+, the 7.x ``state`` mapped to the same words."""
        if self.level:
            return self.level
        return {"green": "available", "yellow": "degraded", "red": "unavailable"}.get(self.state or "")


def parse_kibana_status(answer: Answer) -> KibanaStatus:
    if "not ready yet" in answer.text[:200].lower():
        return KibanaStatus(not_ready=True)
    doc, _ = answer.json()
    if not isinstance(doc, dict):
        return KibanaStatus()
    if "statusCode" in doc and "error" in doc:
        return KibanaStatus(boom=doc)
    status = _object(doc.get("status"))
    overall = _object(status.get("overall"))
    version_doc = _object(doc.get("version"))
    number = _str(version_doc.get("number"))
    if number and version_doc.get("build_snapshot") is True:
        number += "-SNAPSHOT"
    redacted = not version_doc and set(doc) == {"status"} and set(status) == {"overall"}
    return KibanaStatus(
        version=number,
        level=_str(overall.get("level")),
        state=_str(overall.get("state")),
        redacted=redacted,
        name=_str(doc.get("name")),
    )


def kibana_error_message(answer: Answer) -> Optional[str]:
    """The ``message`` of a Kibana error envelope, on one line."""
    doc, _ = answer.json()
    if isinstance(doc, dict) and isinstance(doc.get("message"), str):
        return " ".join(doc["message"].split())
    return None


# --- Elasticsearch errors ---------------------------------------------------------------------------


@record
class EsError:
    """
    An Elasticsearch error answer.

    Attributes:
        type: ``security_exception`` ...; None for the plain-string ``error`` of "no handler found".
        reason: the reason text.
        additional: ``additional_unsuccessful_credentials`` (why an API key or token failed), or None.
    """

    status: int
    type: Optional[str]
    reason: str
    additional: Optional[str] = None


def parse_es_error(answer: Answer) -> Optional[EsError]:
    doc, _ = answer.json()
    if not isinstance(doc, dict):
        if answer.status >= 400 and answer.body.strip() and len(answer.body) < 200 and not answer.looks_like_html:
            return EsError(answer.status, None, answer.snippet())  # OpenSearch's plain "Unauthorized"
        return None
    error = doc.get("error")
    if isinstance(error, str):
        return EsError(answer.status, None, error)
    if not isinstance(error, dict):
        return None
    reason = _str(error.get("reason")) or ""
    additional = error.get("additional_unsuccessful_credentials")
    if additional is None:
        causes = error.get("root_cause")
        if isinstance(causes, list) and causes and isinstance(causes[0], dict):
            additional = causes[0].get("additional_unsuccessful_credentials")
    if isinstance(additional, list):
        additional = "; ".join(str(a) for a in additional)
    return EsError(answer.status, _str(error.get("type")), reason, _str(additional))


def security_disabled(answer: Answer) -> bool:
    """
    True for the answers a security API gets when security is off: 8.x/9.x 400 "no handler found",
    7.x basic/trial 500 "Security must be explicitly enabled", 7.x 400 invalid_index_name_exception.
    """
    error = parse_es_error(answer)
    if error is None:
        return False
    if answer.status == 400 and error.type is None and error.reason.startswith("no handler found for uri [/_security"):
        return True
    if answer.status == 500 and "Security must be explicitly enabled" in error.reason:
        return True
    if answer.status == 400 and error.type == "invalid_index_name_exception" and "[_security]" in error.reason:
        return True
    return False


# --- _authenticate --------------------------------------------------------------------------------


@record
class Identity:
    """
    Who Elasticsearch (or Kibana) says the caller is.

    Attributes:
        realm / realm_type: ``authentication_realm`` name and type.
        authentication_type: ``realm`` | ``api_key`` | ``token`` | ``anonymous`` | ``internal``.
        api_key_id / api_key_name: for API keys (7.16+); the user fields then describe the owner.
        pki_dn: ``metadata.pki_dn`` for PKI users.
        provider: Kibana's ``authentication_provider`` type, when Kibana answered.
    """

    username: Optional[str]
    roles: Tuple[str, ...] = ()
    realm: Optional[str] = None
    realm_type: Optional[str] = None
    authentication_type: Optional[str] = None
    api_key_id: Optional[str] = None
    api_key_name: Optional[str] = None
    pki_dn: Optional[str] = None
    provider: Optional[str] = None

    @property
    def is_api_key(self) -> bool:
        return (
            self.authentication_type == "api_key"
            or self.api_key_id is not None
            or (self.realm_type or "").endswith("_api_key")
        )

    @property
    def is_pki(self) -> bool:
        return self.realm_type == "pki"


@record
class AuthObservation:
    """
    What the auth stage learnt, for the privileges stage.

    Attributes:
        identity: who the server says the Beat is; None when security is off or Kibana did not say.
        security_enabled: False when the server runs without security (nothing to authorize then).
    """

    identity: Optional[Identity]
    security_enabled: bool = True


def parse_identity(doc: Any) -> Optional[Identity]:
    """The ``_authenticate`` (or Kibana ``/internal/security/me``) document; None when it is not one."""
    if not isinstance(doc, dict) or not isinstance(doc.get("username"), str):
        return None
    realm = _object(doc.get("authentication_realm"))
    key = _object(doc.get("api_key"))
    metadata = _object(doc.get("metadata"))
    roles = _array(doc.get("roles"))
    provider = _object(doc.get("authentication_provider"))
    return Identity(
        username=doc["username"],
        roles=tuple(str(r) for r in roles),
        realm=_str(realm.get("name")),
        realm_type=_str(realm.get("type")),
        authentication_type=_str(doc.get("authentication_type")),
        api_key_id=_str(key.get("id")),
        api_key_name=_str(key.get("name")),
        pki_dn=_str(metadata.get("pki_dn")),
        provider=_str(provider.get("type")),
    )


# --- api_key shape --------------------------------------------------------------------------------

# The shape of an api_key lives in esprobe.elastic.api_key (the config reader needs it too).
API_KEY_OK = api_keys.OK
API_KEY_ENCODED = api_keys.ENCODED
API_KEY_NO_COLON = api_keys.NO_COLON
api_key_shape = api_keys.shape
api_key_id = api_keys.key_id


# --- privileges ---------------------------------------------------------------------------------

CLUSTER = "cluster"
INDEX = "index"


@record
class Need:
    """
    One privilege the Beat needs on a target.

    Attributes:
        kind: ``cluster`` or ``index``.
        name: the privilege (``monitor``, ``create_doc`` ...).
        index: the index pattern for index privileges, else None.
        required: True when the Beat fails without it in every configuration; False when only some
            configurations need it (*when* says which).
        when: for optional needs, the configurations that need it.
        action / granted_by: the action the Beat's request performs and the privileges Elasticsearch
            names in its 403 for it (for the quote of what the Beat would log).
    """

    kind: str
    name: str
    index: Optional[str] = None
    required: bool = True
    when: str = ""
    action: str = ""
    granted_by: Tuple[str, ...] = ()
    request: str = ""

    @property
    def label(self) -> str:
        """The contract's form: ``cluster:monitor``, ``index:metricbeat-*:create_doc``."""
        return f"{self.kind}:{self.name}" if self.index is None else f"{self.kind}:{self.index}:{self.name}"


class _Action(TypedDict):
    """How a `Need` shows in the Beat's traffic: the fields `Need` takes after *when*."""

    action: str
    granted_by: Tuple[str, ...]
    request: str


_MONITOR = _Action(action="cluster:monitor/main", granted_by=("monitor", "manage", "all"),
                   request="GET / (the connection check)")
_CREATE_DOC = _Action(action="indices:data/write/bulk[s]", granted_by=("create_doc", "create", "index", "write", "all"),
                      request="POST /_bulk")
_READ_ILM = _Action(action="cluster:admin/ilm/get", granted_by=("read_ilm", "manage_ilm", "manage", "all"),
                    request="GET /_ilm/policy/<policy>")
_READ_PIPELINE = _Action(action="cluster:admin/ingest/pipeline/get",
                         granted_by=("read_pipeline", "manage_ingest_pipelines", "manage_pipeline", "manage", "all"),
                         request="GET /_ingest/pipeline/<pipeline>")
_AUTO_CONFIGURE = _Action(action="indices:admin/auto_create",
                          granted_by=("auto_configure", "create_index", "manage", "all"),
                          request="POST /_bulk (first write to a data stream that does not exist yet)")
_VIEW_METADATA = _Action(action="indices:admin/aliases/get", granted_by=("view_index_metadata", "manage", "all"),
                         request="GET /_alias/<alias> (the ILM write-alias check)")
_CREATE_INDEX = _Action(action="indices:admin/create", granted_by=("create_index", "manage", "all"),
                        request="PUT /.monitoring-beats-7-<date> (first document of the day)")

MONITORING_INDEX = ".monitoring-beats-*"


def publishing_needs(version: Optional[Tuple[int, int, int]], beat: str, index_pattern: str) -> List[Need]:
    """
    The writer role of the Beats docs ("Grant privileges and roles needed for publishing"), for a server
    *version*.

    When the version is unknown (GET / was refused, typically for want of ``monitor``), the
    current (8.14+/9.x) list is asked: the 7.x-only alias check is left out rather than reported
    against a cluster that may not need it; a run after ``monitor`` is granted sees the version.
    """
    major_minor = version[:2] if version else None
    needs = [
        Need(CLUSTER, "monitor", **_MONITOR),
        Need(CLUSTER, "read_ilm", required=False,
             when="with index lifecycle management on (the default); not needed with setup.ilm.check_exists: false "
                  "or setup.ilm.enabled: false", **_READ_ILM),
    ]
    if beat == "filebeat":
        needs.append(Need(CLUSTER, "read_pipeline", required=False,
                          when="when modules with ingest pipelines are enabled (the Beat checks that their pipelines "
                               "exist)", **_READ_PIPELINE))
    needs.append(Need(INDEX, "create_doc", index_pattern, **_CREATE_DOC))
    if major_minor is None or major_minor >= (8, 14):
        needs.append(Need(INDEX, "auto_configure", index_pattern, required=False,
                          when="whenever the data stream does not exist yet (first start before `setup`, or after it "
                               "was deleted); Elastic's 8.14+ docs list it as required",
                          **_AUTO_CONFIGURE))
    if major_minor is not None and major_minor < (8, 0):
        needs.append(Need(INDEX, "view_index_metadata", index_pattern, required=False,
                          when="with ILM on 7.x, to check the write alias; not needed with setup.ilm.check_exists: "
                               "false",
                          **_VIEW_METADATA))
    return needs


def monitoring_needs() -> List[Need]:
    """
    Internal collection (``monitoring.elasticsearch``): cluster ``monitor``; ``create_index`` and
    ``create_doc`` on ``.monitoring-beats-*``.
    """
    return [
        Need(CLUSTER, "monitor", **_MONITOR),
        Need(INDEX, "create_index", MONITORING_INDEX, **_CREATE_INDEX),
        Need(INDEX, "create_doc", MONITORING_INDEX, **_CREATE_DOC),
    ]


def has_privileges_body(needs: Sequence[Need]) -> Dict[str, Any]:
    cluster = [n.name for n in needs if n.kind == CLUSTER]
    by_index: Dict[str, List[str]] = {}
    for need in needs:
        if need.kind == INDEX and need.index is not None:
            by_index.setdefault(need.index, []).append(need.name)
    return {
        "cluster": cluster,
        "index": [{"names": [name], "privileges": privileges} for name, privileges in by_index.items()],
    }


def missing_privileges(needs: Sequence[Need], doc: Any) -> Optional[List[Need]]:
    """The needs a ``_has_privileges`` answer says are not held; None when the answer is not one."""
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("cluster", {}), dict)
        or not isinstance(doc.get("index", {}), dict)
    ):
        return None
    cluster = doc.get("cluster") or {}
    index = doc.get("index") or {}
    missing = []
    for need in needs:
        if need.kind == CLUSTER:
            held = cluster.get(need.name)
        else:
            entry = _object(index.get(need.index))
            held = entry.get(need.name)
        if held is not True:
            missing.append(need)
    return missing


# --- Kibana application privileges (what the Beat's `setup` needs in a space) --------------------------

KIBANA_APPLICATION = "kibana-.kibana"

# `<beat> setup --dashboards` imports the Beat's dashboards with their visualizations, saved searches,
# Lens panels and data views through Kibana's saved-objects import, which creates them in bulk.
KIBANA_SETUP_TYPES: Tuple[str, ...] = ("dashboard", "visualization", "search", "lens", "index-pattern")


def kibana_space_resource(space_id: Optional[str]) -> str:
    """The application resource of a Kibana space (``space:default`` without setup.kibana.space.id)."""
    return f"space:{space_id or 'default'}"


def kibana_setup_actions() -> Tuple[str, ...]:
    """The Kibana actions `setup` needs: log in, and create each saved-object type it imports."""
    return ("login:", *(f"saved_object:{kind}/bulk_create" for kind in KIBANA_SETUP_TYPES))


def kibana_has_privileges_body(space_id: Optional[str]) -> Dict[str, Any]:
    return {"application": [{"application": KIBANA_APPLICATION, "privileges": list(kibana_setup_actions()),
                             "resources": [kibana_space_resource(space_id)]}]}


def missing_kibana_actions(space_id: Optional[str], doc: Any) -> Optional[List[str]]:
    """The setup actions a ``_has_privileges`` answer says are not held in the space; None if not such an answer."""
    if not isinstance(doc, dict) or not isinstance(doc.get("application"), dict):
        return None
    granted = _object(_object(doc["application"].get(KIBANA_APPLICATION)).get(kibana_space_resource(space_id)))
    return [action for action in kibana_setup_actions() if granted.get(action) is not True]
