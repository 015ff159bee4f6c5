"""
A stand-in Kibana: ``/api/status`` in the format and with the anonymous-access rules of the
emulated version, the spaces API, the ``kbn-xsrf`` rule and Boom error envelopes
(Kibana's /api/status and spaces API docs). Credentials are checked by the `FakeElasticsearch` given
at construction, in-process, so users and API keys are shared with it as they are in a real
deployment.

Approximations: the status ``summary`` texts and the set of plugins are representative, not
copied from a build; PKI login through Kibana (delegation) is not modelled; the newest 9.x rule
that hides the status body from users without ``monitor`` is not modelled.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from esprobe.demo.standins.elasticsearch import Authentication, AuthFailure, FakeElasticsearch
from esprobe.demo.standins.server import LoopbackServer, Request, Response, StandIn, TlsConfig

LEVELS = ("available", "degraded", "unavailable", "critical")

_VERSIONS = {"7.17": "7.17.24", "8.8": "8.8.2", "8.15": "8.15.3", "9.x": "9.1.5"}

_LEGACY_STATE = {
    "available": ("green", "Green", "Looking good", "success", "secondary"),
    "degraded": ("yellow", "Yellow", "I'll be back", "warning", "warning"),
    "unavailable": ("red", "Red", "Danger Will Robinson! Danger!", "danger", "danger"),
    "critical": ("red", "Red", "Danger Will Robinson! Danger!", "danger", "danger"),
}

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_KIBANA_HEADERS: Tuple[Tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("cache-control", "private, no-cache, no-store, must-revalidate"),
)


@dataclass(frozen=True)
class Space:
    id: str
    name: str
    description: str = ""
    color: str = "#00bfb3"
    disabled_features: Tuple[str, ...] = ()
    reserved: bool = False

    def document(self) -> Dict[str, Any]:
        doc: Dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description:
            doc["description"] = self.description
        doc["color"] = self.color
        doc["disabledFeatures"] = list(self.disabled_features)
        if self.reserved:
            doc["_reserved"] = True
        return doc


DEFAULT_SPACE = Space("default", "Default", "This is your default space!", reserved=True)


def _parse_version(version: str) -> Tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+|x)", version)
    if match is None:
        raise ValueError(f"cannot read a Kibana version from {version!r}")
    minor = 99 if match.group(2) == "x" else int(match.group(2))
    return int(match.group(1)), minor


@dataclass(frozen=True)
class KibanaRequestRecord:
    """One request to the stand-in Kibana; like `RequestRecord`, never the credential itself."""

    method: str
    target: str
    auth_scheme: Optional[str]
    principal: Optional[str]
    status: int
    connection_id: int
    header_names: Tuple[str, ...] = field(default=())


class FakeKibana(StandIn):
    """
    A stand-in Kibana over TLS or plain HTTP.

    Args:
        elasticsearch: checks credentials (in-process); None means Kibana runs without security.
        version: ``7.17``, ``8.8`` (401 to anonymous ``/api/status``), ``8.15`` / ``9.x``
            (redacted 200 to anonymous), or any ``X.Y``/``X.Y.Z``.
        starting: answer every request 503 ``Kibana server is not ready yet``.
        overall_level: the core overall status level; ``unavailable``/``critical`` make
            ``/api/status`` answer 503.
        base_path / rewrite_base_path: ``server.basePath`` / ``server.rewriteBasePath``; with
            rewriting on, routes live under the base path only.
    """

    def __init__(
        self,
        elasticsearch: Optional[FakeElasticsearch] = None,
        *,
        version: str = "8.15",
        tls: Optional[TlsConfig] = None,
        starting: bool = False,
        allow_anonymous_status: bool = False,
        overall_level: str = "available",
        spaces: Iterable[Space] = (),
        base_path: str = "",
        rewrite_base_path: bool = True,
        name: str = "kibana",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if overall_level not in LEVELS:
            raise ValueError(f"overall_level must be one of {LEVELS}")
        self.elasticsearch = elasticsearch
        self.version = _VERSIONS.get(
            version, version if version.count(".") == 2 else f"{version}.0"
        )
        self._major_minor = _parse_version(self.version)
        self.starting = starting
        self.allow_anonymous_status = allow_anonymous_status
        self.overall_level = overall_level
        self.base_path = base_path.rstrip("/")
        self.rewrite_base_path = rewrite_base_path
        self.name = name
        self.uuid = str(uuid.uuid4())
        self.build_number = 80000 + self._major_minor[1] * 100
        self.build_hash = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        self._since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        self._lock = threading.Lock()
        self._spaces: Dict[str, Space] = {DEFAULT_SPACE.id: DEFAULT_SPACE}
        for space in spaces:
            self._spaces[space.id] = space
        self._log: List[KibanaRequestRecord] = []
        self._server = LoopbackServer(self.handle, tls=tls, host=host, port=port)

    def __repr__(self) -> str:
        return f"FakeKibana(version={self.version!r}, url={self.url!r})"

    @property
    def url(self) -> str:
        """The URL a Beat would configure as ``setup.kibana.host`` (with the base path)."""
        return self._server.url + self.base_path

    @property
    def requests(self) -> Tuple[KibanaRequestRecord, ...]:
        with self._lock:
            return tuple(self._log)

    def add_space(self, space: Space) -> None:
        with self._lock:
            self._spaces[space.id] = space

    @property
    def legacy_status_format(self) -> bool:
        return self._major_minor[0] < 8

    @property
    def anonymous_status_redacted(self) -> bool:
        """Kibana ≥ 8.9 answers anonymous ``/api/status`` with a redacted body instead of 401."""
        return self._major_minor >= (8, 9)

    # -- handling ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        response, principal = self._handle(request)
        authorization = request.header("Authorization")
        scheme = None
        if authorization:
            scheme = authorization.strip().partition(" ")[0].lower()
            scheme = scheme if scheme in ("basic", "apikey", "bearer") else "other"
        with self._lock:
            self._log.append(
                KibanaRequestRecord(
                    request.method,
                    request.target,
                    scheme,
                    principal,
                    response.status,
                    request.peer.connection_id,
                    request.header_names,
                )
            )
        return response

    def _handle(self, request: Request) -> Tuple[Response, Optional[str]]:
        if self.starting:
            # Before Kibana's HTTP routes are up, every request gets this plain answer.
            return (
                Response.text(
                    503,
                    "Kibana server is not ready yet",
                    (("Retry-After", "30"),),
                    "text/html; charset=utf-8",
                ),
                None,
            )
        path = request.path
        if self.base_path and self.rewrite_base_path:
            if path != self.base_path and not path.startswith(self.base_path + "/"):
                return self._boom(404, "Not Found", "Not Found"), None
            path = path[len(self.base_path) :] or "/"
        space_id = "default"
        match = re.match(r"^/s/([a-z0-9_\-]+)(/.*)?$", path)
        if match:
            space_id = match.group(1)
            path = match.group(2) or "/"
        route = self._route_for(request.method, path)
        if route is None:
            return self._boom(404, "Not Found", "Not Found"), None
        auth, failure = self._authenticate(request)
        if path == "/api/status":
            return self._status(request, auth, failure), _principal(auth)
        if path == "/":
            if auth is None and self.elasticsearch is not None:
                next_url = urllib.parse.quote(self.base_path + "/", safe="")
                return Response(
                    302, (("location", f"{self.base_path}/login?next={next_url}"),)
                ), None
            return Response(302, (("location", f"{self.base_path}/spaces/enter"),)), _principal(
                auth
            )
        if failure is not None or (auth is None and self.elasticsearch is not None):
            return self._unauthorized(failure), None
        if (
            request.method not in _SAFE_METHODS
            and request.header("kbn-xsrf") is None
            and request.header("kbn-version") is None
        ):
            return self._boom(
                400, "Bad Request", "Request must contain a kbn-xsrf header."
            ), _principal(auth)
        if path == "/internal/security/me":
            if self._major_minor[0] >= 9 and request.header("x-elastic-internal-origin") is None:
                return (
                    self._boom(
                        400,
                        "Bad Request",
                        f"uri [{request.target}] with method [{request.method.lower()}] exists but is not available "
                        "with the current configuration",
                    ),
                    _principal(auth),
                )
            return self._me(auth), _principal(auth)
        return self._spaces_api(request, path, space_id), _principal(auth)

    def _route_for(self, method: str, path: str) -> Optional[str]:
        if path == "/api/status" and method in ("GET", "HEAD"):
            return "status"
        if path == "/" and method in ("GET", "HEAD"):
            return "root"
        if path == "/internal/security/me" and method == "GET" and self.elasticsearch is not None:
            return "me"
        if path == "/api/spaces/space" and method in ("GET", "POST"):
            return "spaces"
        if re.match(r"^/api/spaces/space/[^/]+$", path) and method in ("GET", "DELETE"):
            return "space"
        return None

    def _authenticate(
        self, request: Request
    ) -> Tuple[Optional[Authentication], Optional[AuthFailure]]:
        if self.elasticsearch is None:
            return None, None
        authorization = request.header("Authorization")
        if not authorization:
            return None, None
        # Kibana passes the Authorization header on to Elasticsearch (_authenticate).
        result = self.elasticsearch.authenticate([("Authorization", authorization)], None)
        if isinstance(result, AuthFailure):
            return None, result
        return result, None

    # -- routes -----------------------------------------------------------------------------

    def _status(
        self, request: Request, auth: Optional[Authentication], failure: Optional[AuthFailure]
    ) -> Response:
        v7 = request.query.get("v7format") in ("", "true")
        v8 = request.query.get("v8format") in ("", "true")
        if v7 and v8:
            return self._boom(
                400, "Bad Request", "provide only one format option: v7format or v8format"
            )
        if failure is not None:
            return self._unauthorized(failure)
        status_code = 503 if self.overall_level in ("unavailable", "critical") else 200
        anonymous = auth is None and self.elasticsearch is not None
        if anonymous and not self.allow_anonymous_status:
            if not self.anonymous_status_redacted:
                return self._unauthorized(None)
            return self._json(status_code, {"status": {"overall": {"level": self.overall_level}}})
        legacy = (self.legacy_status_format and not v8) or v7
        return self._json(status_code, self._legacy_status() if legacy else self._v8_status())

    def _version_doc(self) -> Dict[str, Any]:
        doc: Dict[str, Any] = {
            "number": self.version,
            "build_hash": self.build_hash,
            "build_number": self.build_number,
            "build_snapshot": False,
        }
        if self._major_minor >= (8, 15):
            doc["build_flavor"] = "traditional"
            doc["build_date"] = "2024-10-10T09:31:27.000Z"
        return doc

    def _metrics(self) -> Dict[str, Any]:
        return {
            "last_updated": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "collection_interval_in_millis": 5000,
            "os": {"platform": "linux", "uptime_in_millis": 100000},
            "process": {"pid": 1, "uptime_in_millis": 100000},
            "response_times": {"avg_in_millis": 5, "max_in_millis": 50},
            "concurrent_connections": 1,
            "requests": {"disconnects": 0, "total": 1},
        }

    def _v8_status(self) -> Dict[str, Any]:
        level = self.overall_level
        summary = {
            "available": "All services and plugins are available",
            "degraded": "1 service is degraded: elasticsearch",
            "unavailable": "1 service is unavailable: elasticsearch",
            "critical": "1 service is critical: elasticsearch",
        }[level]
        es_summary = {
            "available": "Elasticsearch is available",
            "degraded": "Elasticsearch is degraded",
            "unavailable": "Unable to retrieve version information from Elasticsearch nodes.",
            "critical": "Elasticsearch is critical",
        }[level]
        return {
            "name": self.name,
            "uuid": self.uuid,
            "version": self._version_doc(),
            "status": {
                "overall": {"level": level, "summary": summary},
                "core": {
                    "elasticsearch": {"level": level, "summary": es_summary},
                    "savedObjects": {
                        "level": "available",
                        "summary": "SavedObjects service has completed migrations and is available",
                    },
                },
                "plugins": {
                    "spaces": {"level": "available", "summary": "All dependencies are available"},
                    "security": {"level": "available", "summary": "All dependencies are available"},
                },
            },
            "metrics": self._metrics(),
        }

    def _legacy_status(self) -> Dict[str, Any]:
        state, title, nickname, icon, colour = _LEGACY_STATE[self.overall_level]
        es_message = (
            "Elasticsearch is available"
            if self.overall_level == "available"
            else "Elasticsearch is not available"
        )
        return {
            "name": self.name,
            "uuid": self.uuid,
            "version": {
                "number": self.version,
                "build_hash": self.build_hash,
                "build_number": self.build_number,
                "build_snapshot": False,
            },
            "status": {
                "overall": {
                    "since": self._since,
                    "state": state,
                    "title": title,
                    "nickname": nickname,
                    "icon": icon,
                    "uiColor": colour,
                },
                "statuses": [
                    {
                        "id": f"core:elasticsearch@{self.version}",
                        "message": es_message,
                        "since": self._since,
                        "state": state,
                        "icon": icon,
                        "uiColor": colour,
                    },
                    {
                        "id": f"core:savedObjects@{self.version}",
                        "message": "SavedObjects service has completed migrations and is available",
                        "since": self._since,
                        "state": "green",
                        "icon": "success",
                        "uiColor": "secondary",
                    },
                ],
            },
            "metrics": self._metrics(),
        }

    def _me(self, auth: Optional[Authentication]) -> Response:
        assert auth is not None
        doc = auth.document()
        provider = (
            {"type": "basic", "name": "basic"}
            if auth.scheme == "basic"
            else {"type": "http", "name": "__http__"}
        )
        doc["authentication_provider"] = provider
        return self._json(200, doc)

    def _spaces_api(self, request: Request, path: str, space_id: str) -> Response:
        with self._lock:
            if space_id not in self._spaces:
                return self._boom(404, "Not Found", f"Saved object [space/{space_id}] not found")
            if path == "/api/spaces/space":
                if request.method == "GET":
                    return self._json(200, [s.document() for s in self._spaces.values()])
                return self._create_space(request)
            wanted = urllib.parse.unquote(path.rsplit("/", 1)[1])
            space = self._spaces.get(wanted)
            if space is None:
                return self._boom(404, "Not Found", "Not Found")
            if request.method == "DELETE":
                if space.reserved:
                    return self._boom(
                        400,
                        "Bad Request",
                        "The default space cannot be deleted because it is reserved.",
                    )
                del self._spaces[wanted]
                return Response(204, _KIBANA_HEADERS)
            return self._json(200, space.document())

    def _create_space(self, request: Request) -> Response:
        try:
            body = json.loads(request.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            return self._boom(400, "Bad Request", "Invalid request payload JSON format")
        if (
            not isinstance(body, Mapping)
            or not isinstance(body.get("id"), str)
            or not isinstance(body.get("name"), str)
        ):
            return self._boom(
                400,
                "Bad Request",
                "[request body.id]: expected value of type [string] but got [undefined]",
            )
        if body["id"] in self._spaces:
            return self._boom(
                409, "Conflict", f"A space with the identifier {body['id']} already exists."
            )
        space = Space(
            body["id"],
            body["name"],
            str(body.get("description") or ""),
            str(body.get("color") or "#00bfb3"),
        )
        self._spaces[space.id] = space
        return self._json(200, space.document())

    # -- envelopes --------------------------------------------------------------------------

    def _json(self, status: int, document: Any) -> Response:
        headers = (("kbn-name", self.name),) + _KIBANA_HEADERS
        return Response.json(status, document, headers, "application/json; charset=utf-8")

    def _boom(self, status: int, error: str, message: str) -> Response:
        return self._json(status, {"statusCode": status, "error": error, "message": message})

    def _unauthorized(self, failure: Optional[AuthFailure]) -> Response:
        if failure is None:
            return self._boom(401, "Unauthorized", "Unauthorized")
        reason = failure.reason_for("/_security/_authenticate")
        if self._major_minor[0] < 8:
            message = f"[security_exception] {reason}"
        else:
            message = (
                f"[security_exception\n\tRoot causes:\n\t\tsecurity_exception: {reason}]: {reason}"
            )
        return self._boom(401, "Unauthorized", message)


def _principal(auth: Optional[Authentication]) -> Optional[str]:
    return auth.username if auth is not None else None


__all__ = ["FakeKibana", "KibanaRequestRecord", "Space", "DEFAULT_SPACE", "LEVELS"]
