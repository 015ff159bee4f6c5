"""
A stand-in Elasticsearch that answers the calls a Beat (and esprobe) makes as the real one does.

Shapes, status codes, headers and reason strings follow Elasticsearch's REST API docs and real
7.17/8.x/9.x answers; each
flavour (7.17, 8.14, 8.x ≥ 8.15, 9.x, OpenSearch) differs where the real products differ:
``WWW-Authenticate`` wording, 403 role wording, security-disabled answers, ``X-elastic-product``.
Authentication is real: Basic against users added here, ``ApiKey`` against keys created here
(unknown, wrong, expired, invalidated and malformed keys fail with Elasticsearch's texts), and
PKI from the client certificate the TLS layer verified. Authorization uses
`esprobe.demo.standins.privileges`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from cryptography import x509

from esprobe.demo.standins import pki_realm
from esprobe.demo.standins.privileges import (
    BUILTIN_ROLES,
    LimitedPermission,
    Permission,
    RoleDescriptor,
    cluster_privileges_granting,
    glob_match,
    is_cluster_privilege,
    is_index_privilege,
    unknown_cluster_privilege_message,
    unknown_index_privilege_message,
)
from esprobe.demo.standins.server import (
    LoopbackServer,
    PeerInfo,
    Request,
    Response,
    StandIn,
    TlsConfig,
)

FLAVOURS = ("7.17", "8.14", "8.x", "9.x", "opensearch")

_ACTION_MAIN = "cluster:monitor/main"
_ACTION_LICENSE = "cluster:monitor/xpack/license/get"
_ACTION_XPACK = "cluster:monitor/xpack/info"
_ACTION_KEY_CREATE = "cluster:admin/xpack/security/api_key/create"
_ACTION_KEY_GET = "cluster:admin/xpack/security/api_key/get"
_ACTION_KEY_INVALIDATE = "cluster:admin/xpack/security/api_key/invalidate"

_URI = "{uri}"  # placeholder in AuthFailure.reason, filled in by AuthFailure.reason_for
_ANONYMOUS_DENIED = (
    "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
)


@dataclass(frozen=True)
class _Flavour:
    version: str
    lucene: str
    min_wire: str
    min_index: str
    build_hash: str
    build_date: str
    basic_comma: bool  # 8.15+: Basic realm="security", charset="UTF-8"
    content_type: str
    roles_word: str  # 403 text: "effective roles" (8.x+) or "roles" (7.17)
    api_keys_always_on: bool  # 8.x: API key service on by default; 7.x: only with HTTP TLS
    security_off: str  # "no-handler" (8.x+) or "must-enable" (7.x basic licence)
    opensearch: bool = False


_FLAVOUR_FACTS: Mapping[str, _Flavour] = {
    "7.17": _Flavour(
        "7.17.24",
        "8.11.3",
        "6.8.0",
        "6.0.0-beta1",
        "fcf25fff740db6ab3ed5d145c58d70e4c3528ea7",
        "2024-09-05T07:39:11.409526232Z",
        False,
        "application/json; charset=UTF-8",
        "roles",
        False,
        "must-enable",
    ),
    "8.14": _Flavour(
        "8.14.3",
        "9.10.0",
        "7.17.0",
        "7.0.0",
        "d55f984299e0e88dee72ebd8255f7ff130859ad0",
        "2024-07-07T22:04:49.882652950Z",
        False,
        "application/json",
        "effective roles",
        True,
        "no-handler",
    ),
    "8.x": _Flavour(
        "8.15.3",
        "9.11.1",
        "7.17.0",
        "7.0.0",
        "f97532e680b555c3a05e73a74c28afb666923018",
        "2024-10-09T22:08:00.328917561Z",
        True,
        "application/json",
        "effective roles",
        True,
        "no-handler",
    ),
    "9.x": _Flavour(
        "9.1.5",
        "10.2.2",
        "8.19.0",
        "8.0.0",
        "90ee222e7e0136dd8ddbb34015538f3a00c129b7",
        "2025-10-02T22:07:12.966975992Z",
        True,
        "application/json",
        "effective roles",
        True,
        "no-handler",
    ),
    "opensearch": _Flavour(
        "2.11.1",
        "9.7.0",
        "7.10.0",
        "7.0.0",
        "6b1986e964d440be9137eba1413015c31c5a7752",
        "2023-11-29T21:43:10.135035992Z",
        False,
        "application/json; charset=UTF-8",
        "roles",
        False,
        "no-handler",
        opensearch=True,
    ),
}


# --- users, keys, results ------------------------------------------------------------------------


def _digest(secret: str, salt: bytes) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


@dataclass
class _User:
    username: str
    roles: Tuple[str, ...]
    salt: bytes = field(repr=False)
    password_digest: bytes = field(repr=False)
    enabled: bool = True
    full_name: Optional[str] = None
    email: Optional[str] = None
    reserved: bool = False
    metadata: Dict[str, Any] = field(default_factory=dict)
    realm: str = "native"

    def password_ok(self, password: str) -> bool:
        return hmac.compare_digest(_digest(password, self.salt), self.password_digest)

    @property
    def realm_ref(self) -> Dict[str, str]:
        if self.reserved:
            return {"name": "reserved", "type": "reserved"}
        if self.realm == "file":
            return {"name": "default_file", "type": "file"}
        return {"name": "default_native", "type": "native"}


@dataclass
class _ApiKey:
    id: str
    name: str
    owner: str
    owner_realm: Dict[str, str]
    salt: bytes = field(repr=False)
    secret_digest: bytes = field(repr=False)
    created_ms: int = 0
    expiration_ms: Optional[int] = None
    invalidated: bool = False
    role_descriptors: Tuple[RoleDescriptor, ...] = ()
    limited_by: Tuple[str, ...] = ()
    metadata: Dict[str, Any] = field(default_factory=dict)

    def expired(self, now_ms: int) -> bool:
        return self.expiration_ms is not None and self.expiration_ms <= now_ms


@dataclass(frozen=True)
class Authentication:
    """
    Who a request authenticated as.

    Attributes:
        scheme: ``basic``, ``apikey`` or ``pki`` (how the credentials arrived).
        api_key_id / api_key_name: set only for API keys (the user fields then describe the owner).
    """

    username: str
    roles: Tuple[str, ...]
    realm: Mapping[str, str]
    authentication_type: str
    scheme: str
    full_name: Optional[str] = None
    email: Optional[str] = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    api_key_id: Optional[str] = None
    api_key_name: Optional[str] = None

    def document(self) -> Dict[str, Any]:
        """The ``GET /_security/_authenticate`` body."""
        doc: Dict[str, Any] = {
            "username": self.username,
            "roles": list(self.roles),
            "full_name": self.full_name,
            "email": self.email,
            "metadata": dict(self.metadata),
            "enabled": self.enabled,
            "authentication_realm": dict(self.realm),
            "lookup_realm": dict(self.realm),
            "authentication_type": self.authentication_type,
        }
        if self.api_key_id is not None:
            key: Dict[str, Any] = {"id": self.api_key_id}
            if self.api_key_name:
                key["name"] = self.api_key_name
            doc["api_key"] = key
        return doc


@dataclass(frozen=True)
class AuthFailure:
    """
    Why authentication failed, in Elasticsearch's words.

    Attributes:
        reason: the ``reason`` of the 401 ``security_exception``.
        additional: the ``additional_unsuccessful_credentials`` text, when Elasticsearch adds one.
        scheme: how the (failed) credentials arrived, None when there were none.
    """

    reason: str
    additional: Optional[str] = None
    scheme: Optional[str] = None

    def reason_for(self, uri: str) -> str:
        """The reason with the request URI filled in (Elasticsearch quotes the full URI, query included)."""
        return self.reason.replace(_URI, uri)


@dataclass(frozen=True)
class RequestRecord:
    """
    One request as the stand-in saw it. Never holds a credential: only how it was presented.

    Attributes:
        auth_scheme: ``basic``, ``apikey``, ``bearer``, ``pki`` (client certificate and no
            ``Authorization`` header), ``other`` (unknown scheme) or None (nothing).
        principal: the user name that authenticated, None when none did.
        client_certificate: the client presented a certificate on this connection.
    """

    method: str
    path: str
    target: str
    auth_scheme: Optional[str]
    principal: Optional[str]
    status: int
    connection_id: int
    client_certificate: bool
    header_names: Tuple[str, ...]


_ROUTES: Mapping[str, Tuple[str, ...]] = {
    "/": ("GET", "HEAD"),
    "/_security/_authenticate": ("GET",),
    "/_security/user/_has_privileges": ("GET", "POST"),
    "/_security/api_key": ("GET", "POST", "PUT", "DELETE"),
    "/_license": ("GET",),
    "/_xpack": ("GET",),
}

_OPENSEARCH_ROUTES: Mapping[str, Tuple[str, ...]] = {
    "/": ("GET", "HEAD"),
    "/_plugins/_security/authinfo": ("GET",),
    "/_opendistro/_security/authinfo": ("GET",),
}


class FakeElasticsearch(StandIn):
    """
    A stand-in Elasticsearch cluster of one node, served over real TLS (or plain HTTP).

    Use as a context manager (or `start` / `stop`); `url` is where it listens. Test helpers
    (`add_user`, `add_role`, `map_pki`, `create_api_key`, ...) change its state at any time;
    `requests` shows what reached it and `stats` how many connections and handshakes.
    `handle` answers a `Request` in-process and `authenticate` checks credentials, which is
    how `FakeKibana` delegates authentication.
    """

    def __init__(
        self,
        flavour: str = "8.x",
        *,
        security: bool = True,
        tls: Optional[TlsConfig] = None,
        cluster_name: str = "esprobe-sandbox",
        node_name: str = "es01",
        version: Optional[str] = None,
        users: Iterable[Mapping[str, Any]] = (),
        roles: Optional[Mapping[str, Mapping[str, Any]]] = None,
        pki_realm: bool = False,
        pki_username_pattern: str = pki_realm.DEFAULT_USERNAME_PATTERN,
        pki_realm_name: str = "pki1",
        pki_truststore_pem: Optional[bytes] = None,
        token_service: Optional[bool] = None,
        api_key_service: Optional[bool] = None,
        license_type: str = "basic",
        monitoring_enabled: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if flavour not in _FLAVOUR_FACTS:
            raise ValueError(f"flavour must be one of {FLAVOURS}, not {flavour!r}")
        self.flavour = flavour
        self._facts = _FLAVOUR_FACTS[flavour]
        self.version = version or self._facts.version
        self.security = security
        self.tls = tls
        self.cluster_name = cluster_name
        self.node_name = node_name
        self.cluster_uuid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        self.license_uid = str(uuid.uuid4())
        self.license_type = license_type
        self.license_issued_ms = int(time.time() * 1000) - 86_400_000
        self.monitoring_enabled = monitoring_enabled
        self.pki_realm = pki_realm
        self.pki_username_pattern = pki_username_pattern
        self.pki_realm_name = pki_realm_name
        self._pki_truststore = (
            tuple(x509.load_pem_x509_certificates(pki_truststore_pem)) if pki_truststore_pem else ()
        )
        tls_on = tls is not None
        # Token service defaults to "HTTP TLS on"; the API key service did too in 7.x.
        self.token_service = tls_on if token_service is None else token_service
        if api_key_service is None:
            api_key_service = True if self._facts.api_keys_always_on else tls_on
        self.api_key_service = api_key_service
        self._lock = threading.RLock()
        self._users: Dict[str, _User] = {}
        self._roles: Dict[str, RoleDescriptor] = {}
        self._pki_mappings: List[Tuple[str, Tuple[str, ...]]] = []
        self._keys: Dict[str, _ApiKey] = {}
        self._log: List[RequestRecord] = []
        for name, body in (roles or {}).items():
            self.add_role(name, **dict(body))
        for user in users:
            self.add_user(**dict(user))
        self._server = LoopbackServer(self.handle, tls=tls, host=host, port=port)

    def __repr__(self) -> str:
        return f"FakeElasticsearch(flavour={self.flavour!r}, security={self.security}, url={self.url!r})"

    @property
    def requests(self) -> Tuple[RequestRecord, ...]:
        with self._lock:
            return tuple(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # -- test helpers -------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        roles: Sequence[str] = (),
        *,
        enabled: bool = True,
        full_name: Optional[str] = None,
        email: Optional[str] = None,
        reserved: bool = False,
        metadata: Optional[Mapping[str, Any]] = None,
        realm: str = "native",
    ) -> None:
        """Add (or replace) a user. Reserved users (``elastic``, ``kibana_system``...) get ``_reserved`` metadata."""
        salt = secrets.token_bytes(16)
        meta = dict(metadata or {})
        if reserved:
            meta.setdefault("_reserved", True)
        with self._lock:
            self._users[username] = _User(
                username,
                tuple(roles),
                salt,
                _digest(password, salt),
                enabled,
                full_name,
                email,
                reserved,
                meta,
                realm,
            )

    def set_user_enabled(self, username: str, enabled: bool) -> None:
        with self._lock:
            self._users[username].enabled = enabled

    def add_role(
        self,
        name: str,
        cluster: Sequence[str] = (),
        indices: Sequence[Mapping[str, Any]] = (),
        applications: Sequence[Mapping[str, Any]] = (),
        run_as: Sequence[str] = (),
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> RoleDescriptor:
        """Add (or replace) a role; raises ValueError for unknown privileges, as ``PUT _security/role`` would fail."""
        body = {
            "cluster": list(cluster),
            "indices": list(indices),
            "applications": list(applications),
            "run_as": list(run_as),
            "metadata": dict(metadata or {}),
        }
        role = RoleDescriptor.from_json(name, body)
        with self._lock:
            self._roles[name] = role
        return role

    def map_pki(self, dn: str, roles: Sequence[str]) -> None:
        """A ``role_mapping.yml`` entry: certificates whose subject DN equals *dn* get *roles*."""
        with self._lock:
            self._pki_mappings.append((dn, tuple(roles)))

    def create_api_key(
        self,
        owner: str,
        name: str,
        expiration_seconds: Optional[float] = None,
        role_descriptors: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """
        Create an API key owned by *owner* and return what ``POST /_security/api_key`` returns
        (``id``, ``name``, ``api_key``, ``encoded``, and ``expiration`` when one was asked for).
        Without *role_descriptors* the key carries its owner's privileges.
        """
        descriptors = _parse_role_descriptors(role_descriptors or {})
        with self._lock:
            user = self._users.get(owner)
            roles = user.roles if user is not None else ()
            realm = (
                user.realm_ref if user is not None else {"name": "default_native", "type": "native"}
            )
        return self._new_key(
            owner, realm, roles, name, descriptors, expiration_seconds, dict(metadata or {})
        )

    def invalidate_api_key(self, key_id: str) -> None:
        with self._lock:
            self._keys[key_id].invalidated = True

    def expire_api_key(self, key_id: str) -> None:
        with self._lock:
            self._keys[key_id].expiration_ms = _now_ms() - 1000

    def role(self, name: str) -> Optional[RoleDescriptor]:
        with self._lock:
            return self._roles.get(name) or BUILTIN_ROLES.get(name)

    # -- authentication -----------------------------------------------------------------------

    def authenticate(
        self,
        headers: Union[Mapping[str, str], Sequence[Tuple[str, str]]],
        peer: Optional[PeerInfo] = None,
    ) -> Union[Authentication, AuthFailure]:
        """
        Authenticate the credentials in *headers* (and *peer*'s client certificate) as this
        cluster would. The failure reasons that mention the request URI are completed by the
        caller (`unauthorized`), since only it knows the URI.
        """
        authorization = _header(headers, "Authorization")
        if authorization:
            scheme, _, value = authorization.strip().partition(" ")
            scheme = scheme.lower()
            value = value.strip()
            if scheme == "apikey" and value and self.api_key_service and not self._facts.opensearch:
                return self._authenticate_api_key(value)
            if scheme == "basic":
                return self._authenticate_basic(value)
            if scheme == "bearer" and value and self.token_service and not self._facts.opensearch:
                # No tokens are ever issued here, so every bearer token is unknown.
                return AuthFailure(_ANONYMOUS_DENIED, None, "bearer")
        if peer is not None and peer.client_chain and self.pki_realm and not self._facts.opensearch:
            result = self._authenticate_pki(peer)
            if result is not None:
                return result
        return AuthFailure(
            "missing authentication credentials for REST request [{uri}]",
            None,
            _scheme_of(authorization, peer),
        )

    def _authenticate_basic(self, value: str) -> Union[Authentication, AuthFailure]:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return AuthFailure("invalid basic authentication header encoding", None, "basic")
        username, colon, password = decoded.partition(":")
        if not colon:
            return AuthFailure("invalid basic authentication header value", None, "basic")
        with self._lock:
            user = self._users.get(username)
            ok = user is not None and user.enabled and user.password_ok(password)
            if not ok or user is None:
                return AuthFailure(
                    f"unable to authenticate user [{username}] for REST request [{{uri}}]",
                    None,
                    "basic",
                )
            return Authentication(
                username=user.username,
                roles=user.roles,
                realm=user.realm_ref,
                authentication_type="realm",
                scheme="basic",
                full_name=user.full_name,
                email=user.email,
                metadata=dict(user.metadata),
                enabled=user.enabled,
            )

    def _authenticate_api_key(self, value: str) -> Union[Authentication, AuthFailure]:
        def failed(why: str) -> AuthFailure:
            return AuthFailure(_ANONYMOUS_DENIED, f"API key: {why}", "apikey")

        decoded, problem = _java_base64_decode(value)
        if decoded is None:
            return failed(problem or "invalid ApiKey value")
        text = decoded.decode("utf-8", "replace")
        colon = text.find(":")
        if colon < 1:
            # e.g. the already-encoded value pasted into api_key, then encoded again by the Beat
            return failed("invalid ApiKey value")
        key_id, secret = text[:colon], text[colon + 1 :]
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                return failed(f"unable to find apikey with id {key_id}")
            if key.invalidated:
                return failed(f"api key [{key_id}] has been invalidated")
            if not hmac.compare_digest(_digest(secret, key.salt), key.secret_digest):
                return failed(f"invalid credentials for API key [{key_id}]")
            if key.expired(_now_ms()):
                return failed("api key is expired")
            return Authentication(
                username=key.owner,
                roles=(),
                realm={"name": "_es_api_key", "type": "_es_api_key"},
                authentication_type="api_key",
                scheme="apikey",
                api_key_id=key.id,
                api_key_name=key.name,
            )

    def _authenticate_pki(self, peer: PeerInfo) -> Optional[Authentication]:
        if not peer.client_verified:
            return None
        leaf = peer.client_chain[0]
        if self._pki_truststore and not _chains_to(peer.client_chain, self._pki_truststore):
            return None
        dn = pki_realm.subject_dn(leaf)
        principal = pki_realm.username(dn, self.pki_username_pattern)
        if principal is None:
            return None  # "Could not parse principal from Subject DN"
        roles: List[str] = []
        with self._lock:
            for mapped_dn, mapped_roles in self._pki_mappings:
                if pki_realm.same_dn(mapped_dn, dn):
                    roles.extend(r for r in mapped_roles if r not in roles)
        return Authentication(
            username=principal,
            roles=tuple(roles),
            realm={"name": self.pki_realm_name, "type": "pki"},
            authentication_type="realm",
            scheme="pki",
            metadata={"pki_dn": dn},
        )

    def permission(self, auth: Authentication) -> Permission:
        """The effective privileges of *auth* (an API key's are limited by its owner's)."""
        with self._lock:
            if auth.api_key_id is not None:
                key = self._keys[auth.api_key_id]
                owner = Permission(self._resolve_roles(key.limited_by)[0])
                own = Permission(key.role_descriptors) if key.role_descriptors else None
                return LimitedPermission(own, owner)
            return Permission(self._resolve_roles(auth.roles)[0])

    def _resolve_roles(self, names: Iterable[str]) -> Tuple[List[RoleDescriptor], List[str]]:
        found, missing = [], []
        for name in names:
            role = self._roles.get(name) or BUILTIN_ROLES.get(name)
            if role is None:
                missing.append(name)
            else:
                found.append(role)
        return found, missing

    # -- responses shared by routes -----------------------------------------------------------

    def www_authenticate(self) -> List[str]:
        """The ``WWW-Authenticate`` values of a 401, one header line each."""
        if self._facts.opensearch:
            return ['Basic realm="OpenSearch Security"']
        basic = (
            'Basic realm="security", charset="UTF-8"'
            if self._facts.basic_comma
            else 'Basic realm="security" charset="UTF-8"'
        )
        values = [basic]
        if self.token_service:
            values.append('Bearer realm="security"')
        if self.api_key_service:
            values.append("ApiKey")
        return values

    def unauthorized(self, failure: AuthFailure, uri: str) -> Response:
        """The 401 Elasticsearch sends for *failure* on a request to *uri*."""
        www = self.www_authenticate()
        if self._facts.opensearch:
            return Response.text(401, "Unauthorized", tuple(("WWW-Authenticate", v) for v in www))
        reason = failure.reason_for(uri)
        cause: Dict[str, Any] = {"type": "security_exception", "reason": reason}
        if failure.additional is not None:
            cause["additional_unsuccessful_credentials"] = failure.additional
        cause["header"] = {"WWW-Authenticate": www[0] if len(www) == 1 else list(www)}
        body = {"error": dict({"root_cause": [dict(cause)]}, **cause), "status": 401}
        return self._es_json(401, body, extra=tuple(("WWW-Authenticate", v) for v in www))

    def _forbidden(
        self, auth: Authentication, action: str, granting_action: Optional[str] = None
    ) -> Response:
        if self._facts.opensearch:
            reason = (
                f"no permissions for [{action}] and User [name={auth.username}, backend_roles=[], "
                "requestedTenant=null]"
            )
        else:
            if auth.api_key_id is not None:
                subject = f"API key id [{auth.api_key_id}] of user [{auth.username}]"
            else:
                with self._lock:
                    found, missing = self._resolve_roles(auth.roles)
                names = (
                    [r.name for r in found]
                    if self._facts.roles_word == "effective roles"
                    else list(auth.roles)
                )
                subject = (
                    f"user [{auth.username}] with {self._facts.roles_word} [{','.join(names)}]"
                )
                if missing and self._facts.roles_word == "effective roles":
                    subject += f" (assigned roles [{','.join(missing)}] were not found)"
            reason = f"action [{action}] is unauthorized for {subject}"
            granting = cluster_privileges_granting(granting_action or action)
            if granting:
                reason += (
                    f", this action is granted by the cluster privileges [{','.join(granting)}]"
                )
        cause = {"type": "security_exception", "reason": reason}
        return self._es_json(
            403, {"error": dict({"root_cause": [dict(cause)]}, **cause), "status": 403}
        )

    def _error(self, status: int, error_type: str, reason: str, **extra: Any) -> Response:
        cause = dict({"type": error_type, "reason": reason}, **extra)
        return self._es_json(
            status, {"error": dict({"root_cause": [dict(cause)]}, **cause), "status": status}
        )

    def _no_handler(self, request: Request) -> Response:
        return self._es_json(
            400,
            {"error": f"no handler found for uri [{request.target}] and method [{request.method}]"},
        )

    def _es_json(
        self,
        status: int,
        document: Any,
        request: Optional[Request] = None,
        extra: Tuple[Tuple[str, str], ...] = (),
    ) -> Response:
        pretty = False
        if request is not None:
            filter_path = request.query.get("filter_path")
            if filter_path and 200 <= status < 300:
                document = apply_filter_path(document, filter_path)
            pretty = request.query.get("pretty", "false") in ("", "true")
        headers = extra
        if not self._facts.opensearch:
            # Elasticsearch ≥ 7.14 names itself on every response (the clients' product check).
            headers = (("X-elastic-product", "Elasticsearch"),) + headers
        return Response.json(status, document, headers, self._facts.content_type, pretty)

    # -- request handling ---------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request; this is what the HTTP server calls for every request."""
        if self._facts.opensearch:
            response, principal = self._handle_opensearch(request)
        else:
            response, principal = self._handle_elasticsearch(request)
        authorization = request.header("Authorization")
        record = RequestRecord(
            method=request.method,
            path=request.path,
            target=request.target,
            auth_scheme=_scheme_of(authorization, request.peer),
            principal=principal,
            status=response.status,
            connection_id=request.peer.connection_id,
            client_certificate=bool(request.peer.client_chain),
            header_names=request.header_names,
        )
        with self._lock:
            self._log.append(record)
        return response

    def _handle_elasticsearch(self, request: Request) -> Tuple[Response, Optional[str]]:
        methods = _ROUTES.get(request.path)
        if methods is None:
            return self._no_handler(request), None
        if request.method not in methods:
            allowed = ", ".join(methods)
            body = {
                "error": f"Incorrect HTTP method for uri [{request.target}] and method [{request.method}], allowed: "
                         f"[{allowed}]",
                "status": 405,
            }
            return self._es_json(405, body, extra=(("Allow", ",".join(methods)),)), None
        is_security_api = request.path.startswith("/_security/")
        if not self.security:
            if is_security_api:
                if self._facts.security_off == "must-enable":
                    return self._error(
                        500,
                        "exception",
                        f"Security must be explicitly enabled when using a [{self.license_type}] license. "
                        "Enable security by setting [xpack.security.enabled] to [true] in the elasticsearch.yml "
                        "file and restart the node.",
                    ), None
                return self._no_handler(request), None
            return self._route(request, None), None
        result = self.authenticate(request.headers, request.peer)
        if isinstance(result, AuthFailure):
            return self.unauthorized(result, request.target), None
        return self._route(request, result), result.username

    def _route(self, request: Request, auth: Optional[Authentication]) -> Response:
        path, method = request.path, request.method
        permission = self.permission(auth) if auth is not None else None

        def allowed(action: str) -> bool:
            return permission is None or permission.cluster_action(action)

        if path == "/":
            if auth is not None and not allowed(_ACTION_MAIN):
                return self._forbidden(auth, _ACTION_MAIN)
            return self._es_json(200, self.root_document(), request)
        if path == "/_license":
            if auth is not None and not allowed(_ACTION_LICENSE):
                return self._forbidden(auth, _ACTION_LICENSE)
            return self._es_json(
                200,
                self.license_document(human=request.query.get("human", "true") != "false"),
                request,
            )
        if path == "/_xpack":
            if auth is not None and not allowed(_ACTION_XPACK):
                return self._forbidden(auth, _ACTION_XPACK)
            return self._es_json(200, self.xpack_document(), request)
        assert (
            auth is not None and permission is not None
        )  # security APIs only exist with security on
        if path == "/_security/_authenticate":
            return self._es_json(200, auth.document(), request)
        if path == "/_security/user/_has_privileges":
            return self._has_privileges(request, auth, permission)
        if path == "/_security/api_key":
            if method in ("POST", "PUT"):
                return self._create_api_key_route(request, auth, permission)
            if method == "DELETE":
                return self._invalidate_api_keys_route(request, auth, permission)
            return self._get_api_keys_route(request, auth, permission)
        return self._no_handler(request)

    def _handle_opensearch(self, request: Request) -> Tuple[Response, Optional[str]]:
        auth: Optional[Authentication] = None
        if self.security:
            result = self.authenticate(request.headers, request.peer)
            if isinstance(result, AuthFailure):
                return self.unauthorized(result, request.target), None
            auth = result
        methods = _OPENSEARCH_ROUTES.get(request.path)
        if methods is not None and request.path != "/" and not self.security:
            methods = None  # the security plugin is not installed
        if methods is None:
            segments = [s for s in request.path.split("/") if s]
            if (
                len(segments) == 1
                and segments[0][:1] in ("_", "-", "+")
                and request.method in ("GET", "HEAD")
            ):
                name = segments[0]
                return self._error(
                    400,
                    "invalid_index_name_exception",
                    f"Invalid index name [{name}], must not start with '_', '-', or '+'",
                    index_uuid="_na_",
                    index=name,
                ), _name(auth)
            return self._no_handler(request), _name(auth)
        if request.method not in methods:
            return self._no_handler(request), _name(auth)
        if request.path == "/":
            if auth is not None and not self.permission(auth).cluster_action(_ACTION_MAIN):
                return self._forbidden(auth, _ACTION_MAIN), auth.username
            return self._es_json(200, self.root_document(), request), _name(auth)
        assert auth is not None
        return self._es_json(
            200, self._opensearch_authinfo(auth, request.peer), request
        ), auth.username

    # -- documents ------------------------------------------------------------------------------

    def root_document(self) -> Dict[str, Any]:
        """The ``GET /`` body."""
        facts = self._facts
        version: Dict[str, Any] = {}
        if facts.opensearch:
            version["distribution"] = "opensearch"
            version["number"] = self.version
        else:
            version["number"] = self.version
            version["build_flavor"] = "default"
        version.update(
            {
                "build_type": "docker",
                "build_hash": facts.build_hash,
                "build_date": facts.build_date,
                "build_snapshot": False,
                "lucene_version": facts.lucene,
                "minimum_wire_compatibility_version": facts.min_wire,
                "minimum_index_compatibility_version": facts.min_index,
            }
        )
        return {
            "name": self.node_name,
            "cluster_name": self.cluster_name,
            "cluster_uuid": self.cluster_uuid,
            "version": version,
            "tagline": "The OpenSearch Project: https://opensearch.org/"
            if facts.opensearch
            else "You Know, for Search",
        }

    def license_document(self, human: bool = True) -> Dict[str, Any]:
        """The ``GET /_license`` body (``human=False`` drops the formatted dates, as ``?human=false`` does)."""
        lic: Dict[str, Any] = {
            "status": "active",
            "uid": self.license_uid,
            "type": self.license_type,
        }
        if human:
            lic["issue_date"] = _iso(self.license_issued_ms)
        lic["issue_date_in_millis"] = self.license_issued_ms
        if self.license_type != "basic":
            expiry = self.license_issued_ms + 30 * 86_400_000
            if human:
                lic["expiry_date"] = _iso(expiry)
            lic["expiry_date_in_millis"] = expiry
        lic.update(
            {
                "max_nodes": 1000,
                "max_resource_units": None,
                "issued_to": self.cluster_name,
                "issuer": "elasticsearch",
                "start_date_in_millis": -1,
            }
        )
        return {"license": lic}

    def xpack_document(self) -> Dict[str, Any]:
        """The ``GET /_xpack`` body (a representative subset of the features)."""
        paid = self.license_type in ("trial", "platinum", "enterprise")
        features: Dict[str, Dict[str, bool]] = {}
        for feature, needs_paid in (
            ("ccr", True),
            ("enrich", False),
            ("graph", True),
            ("ilm", False),
            ("logstash", True),
            ("ml", True),
            ("monitoring", False),
            ("rollup", False),
            ("security", False),
            ("slm", False),
            ("spatial", False),
            ("sql", False),
            ("transform", False),
            ("watcher", True),
        ):
            available = paid or not needs_paid
            enabled = True
            if feature == "security":
                enabled = self.security
            elif feature == "monitoring":
                enabled = self.monitoring_enabled
            features[feature] = {"available": available, "enabled": enabled}
        lic: Dict[str, Any] = {
            "uid": self.license_uid,
            "type": self.license_type,
            "mode": self.license_type,
            "status": "active",
        }
        if self.license_type != "basic":
            lic["expiry_date_in_millis"] = self.license_issued_ms + 30 * 86_400_000
        return {
            "build": {"hash": self._facts.build_hash, "date": self._facts.build_date},
            "license": lic,
            "features": features,
            "tagline": "You know, for X",
        }

    def _opensearch_authinfo(self, auth: Authentication, peer: PeerInfo) -> Dict[str, Any]:
        return {
            "user": f"User [name={auth.username}, backend_roles=[], requestedTenant=null]",
            "user_name": auth.username,
            "user_requested_tenant": None,
            "remote_address": f"{peer.client_address[0]}:{peer.client_address[1]}",
            "backend_roles": [],
            "custom_attribute_names": [],
            "roles": list(auth.roles),
            "tenants": {auth.username: True},
            "principal": None,
            "peer_certificates": str(len(peer.client_chain)),
            "sso_logout_url": None,
        }

    # -- security APIs ----------------------------------------------------------------------

    def _has_privileges(
        self, request: Request, auth: Authentication, permission: Permission
    ) -> Response:
        body, problem = _json_body(request)
        if problem is not None:
            return self._error(400, "x_content_parse_exception", problem)
        if not isinstance(body, Mapping):
            return self._error(400, "parse_exception", "request body is required")
        unknown = [k for k in body if k not in ("cluster", "index", "application")]
        if unknown:
            return self._error(
                400,
                "x_content_parse_exception",
                f"[has_privileges_request] unknown field [{unknown[0]}]",
            )
        cluster_request = body.get("cluster") or []
        index_request = body.get("index") or []
        app_request = body.get("application") or []
        if not isinstance(cluster_request, list) or not all(
            isinstance(c, str) for c in cluster_request
        ):
            return self._error(
                400, "x_content_parse_exception", "[cluster] must be an array of strings"
            )
        for name in cluster_request:
            if not is_cluster_privilege(name):
                return self._error(
                    400, "illegal_argument_exception", unknown_cluster_privilege_message(name)
                )
        cluster_result = {name: permission.cluster(name) for name in cluster_request}
        index_result: Dict[str, Dict[str, bool]] = {}
        if not isinstance(index_request, list):
            return self._error(
                400, "x_content_parse_exception", "[index] must be an array of objects"
            )
        for entry in index_request:
            if not isinstance(entry, Mapping):
                return self._error(
                    400, "x_content_parse_exception", "[index] must be an array of objects"
                )
            names = entry.get("names")
            names = [names] if isinstance(names, str) else names
            privileges = entry.get("privileges")
            if (
                not names
                or not privileges
                or not isinstance(names, list)
                or not isinstance(privileges, list)
            ):
                return self._error(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: indices and privileges must be provided;",
                )
            allow_restricted = bool(entry.get("allow_restricted_indices", False))
            for privilege in privileges:
                if not isinstance(privilege, str) or not is_index_privilege(privilege):
                    return self._error(
                        400,
                        "illegal_argument_exception",
                        unknown_index_privilege_message(str(privilege)),
                    )
            for name in names:
                slot = index_result.setdefault(str(name), {})
                for privilege in privileges:
                    slot[privilege] = permission.index(str(name), privilege, allow_restricted)
        app_result: Dict[str, Dict[str, Dict[str, bool]]] = {}
        if not isinstance(app_request, list):
            return self._error(
                400, "x_content_parse_exception", "[application] must be an array of objects"
            )
        for entry in app_request:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("application"), str):
                return self._error(
                    400, "x_content_parse_exception", "[application] entries need [application]"
                )
            app = entry["application"]
            for resource in entry.get("resources") or []:
                slot = app_result.setdefault(app, {}).setdefault(str(resource), {})
                for privilege in entry.get("privileges") or []:
                    slot[str(privilege)] = permission.application(
                        app, str(resource), str(privilege)
                    )
        everything = list(cluster_result.values())
        everything += [v for d in index_result.values() for v in d.values()]
        everything += [v for r in app_result.values() for d in r.values() for v in d.values()]
        document = {
            "username": auth.username,
            "has_all_requested": all(everything),
            "cluster": cluster_result,
            "index": index_result,
            "application": app_result,
        }
        return self._es_json(200, document, request)

    def _create_api_key_route(
        self, request: Request, auth: Authentication, permission: Permission
    ) -> Response:
        if not permission.cluster_action(_ACTION_KEY_CREATE):
            return self._forbidden(auth, _ACTION_KEY_CREATE)
        body, problem = _json_body(request)
        if problem is not None:
            return self._error(400, "x_content_parse_exception", problem)
        if not isinstance(body, Mapping):
            return self._error(400, "parse_exception", "request body is required")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return self._error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: api key name is required;",
            )
        expiration_seconds: Optional[float] = None
        if body.get("expiration") is not None:
            expiration_seconds = _parse_time_value(body.get("expiration"))
            if expiration_seconds is None:
                return self._error(
                    400,
                    "parse_exception",
                    f"failed to parse setting [expiration] with value [{body.get('expiration')}] as a time value: "
                    "unit is missing or unrecognized",
                )
        raw_descriptors = body.get("role_descriptors")
        try:
            descriptors = _parse_role_descriptors(raw_descriptors or {})
        except ValueError as error:
            return self._error(400, "illegal_argument_exception", str(error))
        if auth.api_key_id is not None and (
            raw_descriptors is None
            or any(d.cluster or d.indices or d.applications for d in descriptors)
        ):
            return self._error(
                400,
                "illegal_argument_exception",
                "creating derived api keys requires an explicit role descriptor that is empty (has no privileges)",
            )
        with self._lock:
            if auth.api_key_id is not None:
                limited_by = self._keys[auth.api_key_id].limited_by
                realm = self._keys[auth.api_key_id].owner_realm
            else:
                limited_by = auth.roles
                realm = dict(auth.realm)
        created = self._new_key(
            auth.username,
            realm,
            limited_by,
            name,
            descriptors,
            expiration_seconds,
            dict(body.get("metadata") or {}),
        )
        return self._es_json(200, created, request)

    def _invalidate_api_keys_route(
        self, request: Request, auth: Authentication, permission: Permission
    ) -> Response:
        may_any = permission.cluster_action(_ACTION_KEY_INVALIDATE)
        may_own = may_any or permission.cluster_action(_ACTION_KEY_INVALIDATE + "#own")
        if not may_own:
            return self._forbidden(auth, _ACTION_KEY_INVALIDATE, _ACTION_KEY_INVALIDATE + "#own")
        body, problem = _json_body(request)
        if problem is not None:
            return self._error(400, "x_content_parse_exception", problem)
        body = body if isinstance(body, Mapping) else {}
        ids = list(body.get("ids") or [])
        if body.get("id"):
            ids.append(body["id"])
        name = body.get("name")
        owner_only = bool(body.get("owner")) or not may_any
        username = body.get("username")
        if not ids and not name and not body.get("owner") and not username:
            return self._error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: One of [api key id(s), api key name, username, realm name] must be specified if "
                "[owner] flag is false;",
            )
        invalidated, previously = [], []
        with self._lock:
            for key in self._keys.values():
                if ids and key.id not in ids:
                    continue
                if name and not glob_match(str(name), key.name):
                    continue
                if username and key.owner != username:
                    continue
                if owner_only and key.owner != auth.username:
                    continue
                if key.invalidated:
                    previously.append(key.id)
                else:
                    key.invalidated = True
                    invalidated.append(key.id)
        return self._es_json(
            200,
            {
                "invalidated_api_keys": invalidated,
                "previously_invalidated_api_keys": previously,
                "error_count": 0,
            },
            request,
        )

    def _get_api_keys_route(
        self, request: Request, auth: Authentication, permission: Permission
    ) -> Response:
        may_any = permission.cluster_action(_ACTION_KEY_GET)
        if not may_any and not permission.cluster_action(_ACTION_KEY_GET + "#own"):
            return self._forbidden(auth, _ACTION_KEY_GET, _ACTION_KEY_GET + "#own")
        wanted_id = request.query.get("id")
        wanted_name = request.query.get("name")
        owner_only = request.query.get("owner") in ("", "true") or not may_any
        keys = []
        with self._lock:
            for key in self._keys.values():
                if wanted_id and key.id != wanted_id:
                    continue
                if wanted_name and not glob_match(wanted_name, key.name):
                    continue
                if owner_only and key.owner != auth.username:
                    continue
                entry: Dict[str, Any] = {
                    "id": key.id,
                    "name": key.name,
                    "creation": key.created_ms,
                    "invalidated": key.invalidated,
                    "username": key.owner,
                    "realm": key.owner_realm.get("name"),
                    "metadata": dict(key.metadata),
                }
                if key.expiration_ms is not None:
                    entry["expiration"] = key.expiration_ms
                keys.append(entry)
        if wanted_id and not keys:
            return self._error(
                404, "resource_not_found_exception", f"api key with id [{wanted_id}] not found"
            )
        return self._es_json(200, {"api_keys": keys}, request)

    def _new_key(
        self,
        owner: str,
        realm: Mapping[str, str],
        limited_by: Sequence[str],
        name: str,
        descriptors: Tuple[RoleDescriptor, ...],
        expiration_seconds: Optional[float],
        metadata: Dict[str, Any],
    ) -> Dict[str, Any]:
        key_id = secrets.token_urlsafe(15)  # 20 characters, like Elasticsearch's ids
        secret = secrets.token_urlsafe(16)  # 22 characters
        salt = secrets.token_bytes(16)
        now = _now_ms()
        expiration = None if expiration_seconds is None else now + int(expiration_seconds * 1000)
        with self._lock:
            self._keys[key_id] = _ApiKey(
                key_id,
                name,
                owner,
                dict(realm),
                salt,
                _digest(secret, salt),
                now,
                expiration,
                False,
                descriptors,
                tuple(limited_by),
                metadata,
            )
        created: Dict[str, Any] = {"id": key_id, "name": name}
        if expiration is not None:
            created["expiration"] = expiration
        created["api_key"] = secret
        created["encoded"] = base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii")
        return created


# --- helpers ---------------------------------------------------------------------------------------


def _name(auth: Optional[Authentication]) -> Optional[str]:
    return auth.username if auth is not None else None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def _header(
    headers: Union[Mapping[str, str], Sequence[Tuple[str, str]]], name: str
) -> Optional[str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    lowered = name.lower()
    for key, value in items:
        if key.lower() == lowered:
            return value
    return None


def _scheme_of(authorization: Optional[str], peer: Optional[PeerInfo]) -> Optional[str]:
    if authorization:
        scheme = authorization.strip().partition(" ")[0].lower()
        return scheme if scheme in ("basic", "apikey", "bearer") else "other"
    if peer is not None and peer.client_chain:
        return "pki"
    return None


_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _java_base64_decode(value: str) -> Tuple[Optional[bytes], Optional[str]]:
    """
    Decode like Java's basic ``Base64.getDecoder()`` and, on failure, word the error as it does
    (Elasticsearch passes that message on: ``API key: Illegal base64 character 2d``).
    """
    body = value.rstrip("=")
    padding = len(value) - len(body)
    for char in body:
        if char not in _BASE64_ALPHABET:
            return None, f"Illegal base64 character {ord(char):x}"
    if padding > 2 or len(body) % 4 == 1:
        return None, "Last unit does not have enough valid bits"
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4)), None
    except (binascii.Error, ValueError):
        return None, "Last unit does not have enough valid bits"


def _chains_to(chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]) -> bool:
    for cert in chain:
        for anchor in anchors:
            if cert == anchor:
                return True
            try:
                cert.verify_directly_issued_by(anchor)
                return True
            except Exception:  # wrong issuer, unsupported key type...
                continue
    return False


_TIME_UNITS = {
    "nanos": 1e-9,
    "micros": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


def _parse_time_value(value: Any) -> Optional[float]:
    match = re.fullmatch(r"\s*(\d+)\s*(nanos|micros|ms|s|m|h|d)\s*", str(value))
    if match is None:
        return None
    return int(match.group(1)) * _TIME_UNITS[match.group(2)]


def _parse_role_descriptors(raw: Mapping[str, Any]) -> Tuple[RoleDescriptor, ...]:
    if not isinstance(raw, Mapping):
        raise ValueError("[role_descriptors] must be an object")
    out = []
    for name, body in raw.items():
        out.append(
            body if isinstance(body, RoleDescriptor) else RoleDescriptor.from_json(str(name), body)
        )
    return tuple(out)


def _json_body(request: Request) -> Tuple[Any, Optional[str]]:
    if not request.body.strip():
        return None, None
    try:
        return json.loads(request.body.decode("utf-8")), None
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"Failed to parse request body: {error}"


_MISSING = object()


def apply_filter_path(document: Any, filter_path: str) -> Any:
    """
    Elasticsearch's ``filter_path`` (inclusive filters only): comma-separated dotted paths with
    ``*`` wildcards inside a segment and ``**`` for any depth. Nothing matched gives ``{}``.
    """
    paths = [p.split(".") for p in filter_path.split(",") if p and not p.startswith("-")]
    if not paths:
        return document
    result = _filter_node(document, paths)
    return {} if result is _MISSING else result


def _filter_node(node: Any, paths: List[List[str]]) -> Any:
    if any(not p for p in paths):
        return copy.deepcopy(node)
    if isinstance(node, list):
        items = [_filter_node(item, paths) for item in node]
        kept = [i for i in items if i is not _MISSING]
        return kept if kept else _MISSING
    if not isinstance(node, dict):
        return _MISSING
    out = {}
    for key, value in node.items():
        children: List[List[str]] = []
        for path in paths:
            head = path[0]
            if head == "**":
                children.append(path)
                if len(path) > 1 and glob_match(path[1], key):
                    children.append(path[2:])
            elif glob_match(head, key):
                children.append(path[1:])
        if not children:
            continue
        filtered = _filter_node(value, children)
        if filtered is not _MISSING:
            out[key] = filtered
    return out if out else _MISSING


__all__ = [
    "FLAVOURS",
    "AuthFailure",
    "Authentication",
    "FakeElasticsearch",
    "RequestRecord",
    "apply_filter_path",
]
