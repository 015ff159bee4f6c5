"""FakeElasticsearch over real TLS: shapes, headers, reason strings and credentials per flavour."""

from __future__ import annotations

import base64
import json
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests

from esprobe.demo.standins.elasticsearch import FakeElasticsearch, apply_filter_path
from esprobe.demo.standins.server import TlsConfig
from tests.support.standin_clients import Pki, api_key_header, b64, session

ELASTIC = ("elastic", "elastic-secret-pw")
WRITER = ("beats_writer", "writer-secret-pw")
NOMON = ("nomon", "nomon-secret-pw")


def _populate(es: FakeElasticsearch) -> FakeElasticsearch:
    es.add_user(*ELASTIC, roles=["superuser"], reserved=True)
    es.add_role(
        "metricbeat_writer",
        cluster=["monitor", "read_ilm"],
        indices=[{"names": ["metricbeat-*"], "privileges": ["create_doc", "view_index_metadata"]}],
    )
    es.add_role("noop")
    es.add_user(*WRITER, roles=["metricbeat_writer"], full_name="Beats Writer")
    es.add_user(*NOMON, roles=["noop", "ghost"])
    return es


@pytest.fixture
def make_es(certs: Pki) -> Iterator[Callable[..., FakeElasticsearch]]:
    started: List[FakeElasticsearch] = []

    def make(flavour: str = "8.x", *, tls: Any = "default", **options: Any) -> FakeElasticsearch:
        config: Optional[TlsConfig] = certs.tls() if tls == "default" else tls
        es = _populate(FakeElasticsearch(flavour, tls=config, **options)).start()
        started.append(es)
        return es

    yield make
    for es in started:
        es.stop()


def www_lines(response: requests.Response) -> List[str]:
    return response.raw.headers.getlist("WWW-Authenticate")


# --- GET / --------------------------------------------------------------------------------------

ROOT_CASES = [
    # flavour, version prefix, content type, product header, build_flavor, min wire
    ("7.17", "7.17.", "application/json; charset=UTF-8", True, "default", "6.8.0"),
    ("8.14", "8.14.", "application/json", True, "default", "7.17.0"),
    ("8.x", "8.15.", "application/json", True, "default", "7.17.0"),
    ("9.x", "9.", "application/json", True, "default", "8.19.0"),
    ("opensearch", "2.", "application/json; charset=UTF-8", False, None, "7.10.0"),
]


@pytest.mark.parametrize(
    ("flavour", "prefix", "content_type", "product", "build_flavor", "min_wire"), ROOT_CASES
)
def test_root_shape_and_headers_per_flavour(
    make_es,
    http,
    flavour: str,
    prefix: str,
    content_type: str,
    product: bool,
    build_flavor: Optional[str],
    min_wire: str,
) -> None:
    """GET / answers the info document of the flavour, with X-elastic-product except on OpenSearch."""
    es = make_es(flavour, cluster_name="prod")
    response = http.get(es.url + "/", auth=ELASTIC)
    assert 200 == response.status_code
    assert content_type == response.headers["Content-Type"]
    assert product == ("X-elastic-product" in response.headers)
    if product:
        assert "Elasticsearch" == response.headers["X-Elastic-Product"]
    body = response.json()
    assert ["name", "cluster_name", "cluster_uuid", "version", "tagline"] == list(body)
    assert "prod" == body["cluster_name"]
    version = body["version"]
    assert version["number"].startswith(prefix)
    assert build_flavor == version.get("build_flavor")
    assert min_wire == version["minimum_wire_compatibility_version"]
    if flavour == "opensearch":
        assert "opensearch" == version["distribution"]
        assert body["tagline"].startswith("The OpenSearch Project")
    else:
        assert "distribution" not in version
        assert "You Know, for Search" == body["tagline"]


def test_head_root_and_keep_alive_log(make_es, http) -> None:
    """HEAD / answers without a body; the log shows both requests on one connection and no secret."""
    es = make_es()
    assert 200 == http.head(es.url + "/", auth=ELASTIC).status_code
    assert 200 == http.get(es.url + "/", auth=ELASTIC).status_code
    first, second = es.requests
    assert ("HEAD", "GET") == (first.method, second.method)
    assert first.connection_id == second.connection_id
    assert ("basic", "elastic") == (second.auth_scheme, second.principal)
    assert 1 == es.stats.connections
    logged = repr(es.requests) + repr(es)
    assert ELASTIC[1] not in logged and b64(":".join(ELASTIC)) not in logged


# --- 401 --------------------------------------------------------------------------------------------

WWW_CASES = [
    ("7.17", True, ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]),
    ("7.17", False, ['Basic realm="security" charset="UTF-8"']),
    ("8.14", True, ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]),
    ("8.x", True, ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]),
    ("8.x", False, ['Basic realm="security", charset="UTF-8"', "ApiKey"]),
    ("9.x", True, ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]),
]


@pytest.mark.parametrize(("flavour", "tls_on", "expected"), WWW_CASES)
def test_missing_credentials_401_per_flavour(
    make_es, http, flavour: str, tls_on: bool, expected: List[str]
) -> None:
    """No credentials: 401 security_exception naming the full URI, one WWW-Authenticate line per scheme."""
    es = make_es(flavour, tls="default" if tls_on else None)
    response = http.get(es.url + "/_security/_authenticate?pretty=true")
    assert 401 == response.status_code
    assert expected == www_lines(response)
    assert "Elasticsearch" == response.headers["X-elastic-product"]
    error = response.json()["error"]
    reason = (
        "missing authentication credentials for REST request [/_security/_authenticate?pretty=true]"
    )
    assert reason == error["reason"] == error["root_cause"][0]["reason"]
    assert "security_exception" == error["type"]
    # one value is a string in the JSON mirror, several an array
    assert (expected[0] if len(expected) == 1 else expected) == error["header"]["WWW-Authenticate"]
    assert 401 == response.json()["status"]
    assert (None, None) == (es.requests[-1].auth_scheme, es.requests[-1].principal)


@pytest.mark.parametrize(
    ("user", "password"),
    [("elastic", "wrong"), ("nobody", "whatever")],
)
def test_wrong_password_or_unknown_user_401(make_es, http, user: str, password: str) -> None:
    """Bad basic credentials: "unable to authenticate user [<u>] for REST request [<uri>]"."""
    es = make_es()
    response = http.get(es.url + "/", auth=(user, password))
    assert 401 == response.status_code
    assert (
        f"unable to authenticate user [{user}] for REST request [/]"
        == response.json()["error"]["reason"]
    )
    assert "additional_unsuccessful_credentials" not in response.json()["error"]


def test_disabled_user_cannot_authenticate(make_es, http) -> None:
    es = make_es()
    es.set_user_enabled("beats_writer", False)
    assert 401 == http.get(es.url + "/", auth=WRITER).status_code


def _api_key_cases(es: FakeElasticsearch) -> Dict[str, tuple]:
    good = es.create_api_key("beats_writer", "good")
    expired = es.create_api_key("beats_writer", "expired", expiration_seconds=3600)
    es.expire_api_key(expired["id"])
    dead = es.create_api_key("beats_writer", "dead")
    es.invalidate_api_key(dead["id"])
    raw = f"{good['id']}:{good['api_key']}"
    standard = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    first_illegal = next(
        c for c in raw if c not in standard
    )  # ':' unless the base64url id has '-'/'_' first
    return {
        "unknown-id": (
            b64("nosuchkeyid1234567890:secret"),
            "API key: unable to find apikey with id nosuchkeyid1234567890",
        ),
        "wrong-secret": (
            b64(good["id"] + ":not-the-secret"),
            f"API key: invalid credentials for API key [{good['id']}]",
        ),
        "expired": (expired["encoded"], "API key: api key is expired"),
        "invalidated": (dead["encoded"], f"API key: api key [{dead['id']}] has been invalidated"),
        "double-encoded": (b64(good["encoded"]), "API key: invalid ApiKey value"),
        "unencoded-id-colon-key": (
            raw,
            f"API key: Illegal base64 character {ord(first_illegal):x}",
        ),
        "plain-id-colon-secret": ("abcdef:ghijkl", "API key: Illegal base64 character 3a"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown-id",
        "wrong-secret",
        "expired",
        "invalidated",
        "double-encoded",
        "unencoded-id-colon-key",
        "plain-id-colon-secret",
    ],
)
def test_bad_api_keys_401_with_additional_reason(make_es, http, case: str) -> None:
    """Every unusable API key gets the anonymous-not-allowed 401 plus additional_unsuccessful_credentials."""
    es = make_es()
    header_value, additional = _api_key_cases(es)[case]
    response = http.get(es.url + "/", headers=api_key_header(header_value))
    assert 401 == response.status_code
    error = response.json()["error"]
    assert (
        "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
        == error["reason"]
    )
    assert additional == error["additional_unsuccessful_credentials"]
    assert additional == error["root_cause"][0]["additional_unsuccessful_credentials"]
    assert "apikey" == es.requests[-1].auth_scheme
    assert header_value not in repr(es.requests)


def test_api_key_header_ignored_when_service_off(make_es, http) -> None:
    """7.x without HTTP TLS has no API key service: the header is not even read (missing credentials)."""
    es = make_es("7.17", tls=None)
    key = es.create_api_key("beats_writer", "k")
    response = http.get(es.url + "/", headers=api_key_header(key["encoded"]))
    assert 401 == response.status_code
    assert (
        "missing authentication credentials for REST request [/]"
        == response.json()["error"]["reason"]
    )


# --- _authenticate ------------------------------------------------------------------------------


def test_authenticate_native_and_reserved_users(make_es, http) -> None:
    """Basic auth: the documented shape, native realm for ordinary users, reserved realm and metadata for elastic."""
    es = make_es()
    doc = http.get(es.url + "/_security/_authenticate", auth=WRITER).json()
    assert {
        "username": "beats_writer",
        "roles": ["metricbeat_writer"],
        "full_name": "Beats Writer",
        "email": None,
        "metadata": {},
        "enabled": True,
        "authentication_realm": {"name": "default_native", "type": "native"},
        "lookup_realm": {"name": "default_native", "type": "native"},
        "authentication_type": "realm",
    } == doc
    elastic = http.get(es.url + "/_security/_authenticate", auth=ELASTIC).json()
    assert {"name": "reserved", "type": "reserved"} == elastic["authentication_realm"]
    assert {"_reserved": True} == elastic["metadata"]


def test_authenticate_api_key(make_es, http) -> None:
    """An API key authenticates as its owner with no roles, the _es_api_key realm and an api_key object."""
    es = make_es()
    key = es.create_api_key("beats_writer", "metricbeat-host1")
    doc = http.get(
        es.url + "/_security/_authenticate", headers=api_key_header(key["encoded"])
    ).json()
    assert "beats_writer" == doc["username"]
    assert [] == doc["roles"]
    assert (
        {"name": "_es_api_key", "type": "_es_api_key"}
        == doc["authentication_realm"]
        == doc["lookup_realm"]
    )
    assert "api_key" == doc["authentication_type"]
    assert {"id": key["id"], "name": "metricbeat-host1"} == doc["api_key"]
    assert base64.b64decode(key["encoded"]).decode() == f"{key['id']}:{key['api_key']}"


def test_authenticate_pki_with_role_mapping(make_es, certs: Pki) -> None:
    """PKI: user name from the CN, pki_dn in Java form, roles from a mapping written with other case and spacing."""
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    es.map_pki("cn=beats01,ou=OPS,  o=acme, c=us", ["metricbeat_writer"])
    with session(certs, certs.client_files) as client:
        doc = client.get(es.url + "/_security/_authenticate").json()
        root = client.get(es.url + "/")
    assert {
        "username": "beats01",
        "roles": ["metricbeat_writer"],
        "full_name": None,
        "email": None,
        "metadata": {"pki_dn": "CN=beats01, OU=ops, O=acme, C=US"},
        "enabled": True,
        "authentication_realm": {"name": "pki1", "type": "pki"},
        "lookup_realm": {"name": "pki1", "type": "pki"},
        "authentication_type": "realm",
    } == doc
    assert 200 == root.status_code
    assert ("pki", "beats01", True) == (
        es.requests[-1].auth_scheme,
        es.requests[-1].principal,
        es.requests[-1].client_certificate,
    )


@pytest.mark.parametrize(
    ("pki_realm", "pattern", "with_cert"),
    [(False, None, True), (True, None, False), (True, r"EMAILADDRESS=(.*?)(?:,|$)", True)],
    ids=["realm-off", "no-certificate", "pattern-does-not-match"],
)
def test_pki_not_used_gives_missing_credentials(
    make_es, certs: Pki, pki_realm: bool, pattern: Optional[str], with_cert: bool
) -> None:
    """Without the realm, without a certificate, or when the pattern finds no user name, nothing authenticates."""
    options: Dict[str, Any] = {"pki_realm": pki_realm}
    if pattern:
        options["pki_username_pattern"] = pattern
    es = make_es(tls=certs.mtls("optional"), **options)
    with session(certs, certs.client_files if with_cert else None) as client:
        response = client.get(es.url + "/_security/_authenticate")
    assert 401 == response.status_code
    assert response.json()["error"]["reason"].startswith("missing authentication credentials")


def test_basic_header_wins_over_client_certificate(make_es, certs: Pki) -> None:
    """With both a certificate and an Authorization header, the header's credentials are used."""
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    with session(certs, certs.client_files) as client:
        doc = client.get(es.url + "/_security/_authenticate", auth=WRITER).json()
    assert ("beats_writer", "native") == (doc["username"], doc["authentication_realm"]["type"])


# --- _has_privileges ------------------------------------------------------------------------------

WRITER_QUERY = {
    "cluster": ["monitor", "read_ilm", "manage"],
    "index": [
        {
            "names": ["metricbeat-*"],
            "privileges": ["create_doc", "auto_configure", "view_index_metadata"],
        },
        {"names": ["logs-*"], "privileges": ["create_doc"]},
    ],
    "application": [{"application": "kibana-.kibana", "privileges": ["all"], "resources": ["*"]}],
}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_has_privileges_mixed_answer(make_es, http, method: str) -> None:
    """The answer is keyed exactly as asked, with per-privilege booleans and has_all_requested."""
    es = make_es()
    response = http.request(
        method, es.url + "/_security/user/_has_privileges", auth=WRITER, json=WRITER_QUERY
    )
    assert 200 == response.status_code
    assert {
        "username": "beats_writer",
        "has_all_requested": False,
        "cluster": {"monitor": True, "read_ilm": True, "manage": False},
        "index": {
            "metricbeat-*": {
                "create_doc": True,
                "auto_configure": False,
                "view_index_metadata": True,
            },
            "logs-*": {"create_doc": False},
        },
        "application": {"kibana-.kibana": {"*": {"all": False}}},
    } == response.json()


def test_has_privileges_all_true_for_superuser(make_es, http) -> None:
    es = make_es()
    body = http.post(
        es.url + "/_security/user/_has_privileges", auth=ELASTIC, json=WRITER_QUERY
    ).json()
    assert body["has_all_requested"] is True
    assert (
        {}
        == http.post(
            es.url + "/_security/user/_has_privileges", auth=ELASTIC, json={"cluster": ["monitor"]}
        ).json()["application"]
    )


def test_has_privileges_of_api_key_is_limited_by_descriptors(make_es, http) -> None:
    """An API key with role descriptors has only what they and the owner both grant; username is the owner."""
    es = make_es()
    key = es.create_api_key(
        "beats_writer",
        "narrow",
        role_descriptors={
            "wide_index": {
                "cluster": ["monitor"],
                "indices": [{"names": ["*"], "privileges": ["create_doc", "auto_configure"]}],
            }
        },
    )
    body = http.post(
        es.url + "/_security/user/_has_privileges",
        headers=api_key_header(key["encoded"]),
        json=WRITER_QUERY,
    ).json()
    assert "beats_writer" == body["username"]
    assert {"monitor": True, "read_ilm": False, "manage": False} == body[
        "cluster"
    ]  # read_ilm: owner yes, key no
    # auto_configure: key yes, owner no; view_index_metadata: owner yes, key no
    assert {"create_doc": True, "auto_configure": False, "view_index_metadata": False} == body[
        "index"
    ]["metricbeat-*"]
    assert {"create_doc": False} == body["index"]["logs-*"]


def test_has_privileges_unknown_privilege_400(make_es, http) -> None:
    es = make_es()
    response = http.post(
        es.url + "/_security/user/_has_privileges", auth=WRITER, json={"cluster": ["monitr"]}
    )
    assert 400 == response.status_code
    assert response.json()["error"]["reason"].startswith("unknown cluster privilege [monitr]")


# --- 403 --------------------------------------------------------------------------------------------

FORBIDDEN_CASES = [
    (
        "8.x",
        "action [cluster:monitor/main] is unauthorized for user [nomon] with effective roles [noop] "
        "(assigned roles [ghost] were not found), this action is granted by the cluster privileges "
        "[monitor,manage,all]",
    ),
    (
        "7.17",
        "action [cluster:monitor/main] is unauthorized for user [nomon] with roles [noop,ghost], "
        "this action is granted by the cluster privileges [monitor,manage,all]",
    ),
    (
        "opensearch",
        "no permissions for [cluster:monitor/main] and User [name=nomon, backend_roles=[], requestedTenant=null]",
    ),
]


@pytest.mark.parametrize(("flavour", "reason"), FORBIDDEN_CASES)
def test_root_without_monitor_403(make_es, http, flavour: str, reason: str) -> None:
    """GET / needs monitor; the 403 names the subject, its roles and the privileges that would grant it."""
    es = make_es(flavour)
    response = http.get(es.url + "/", auth=NOMON)
    assert 403 == response.status_code
    assert {
        "error": {
            "root_cause": [{"type": "security_exception", "reason": reason}],
            "type": "security_exception",
            "reason": reason,
        },
        "status": 403,
    } == response.json()


def test_api_key_403_names_key_and_owner(make_es, http) -> None:
    es = make_es()
    key = es.create_api_key(
        "beats_writer",
        "no-monitor",
        role_descriptors={"r": {"indices": [{"names": ["x"], "privileges": ["read"]}]}},
    )
    response = http.get(es.url + "/", headers=api_key_header(key["encoded"]))
    assert 403 == response.status_code
    assert (
        f"action [cluster:monitor/main] is unauthorized for API key id [{key['id']}] of user [beats_writer], "
        "this action is granted by the cluster privileges [monitor,manage,all]"
    ) == response.json()["error"]["reason"]


# --- API keys over REST -----------------------------------------------------------------------------


def test_create_use_and_invalidate_api_key_over_rest(make_es, http) -> None:
    """POST creates (id, name, expiration, api_key, encoded), the key works, DELETE invalidates it."""
    es = make_es()
    created = http.post(
        es.url + "/_security/api_key", auth=ELASTIC, json={"name": "beats", "expiration": "1d"}
    ).json()
    assert ["id", "name", "expiration", "api_key", "encoded"] == list(created)
    assert 20 == len(created["id"]) and 22 == len(created["api_key"])
    assert base64.b64decode(created["encoded"]).decode() == f"{created['id']}:{created['api_key']}"
    assert 200 == http.get(es.url + "/", headers=api_key_header(created["encoded"])).status_code
    plain = http.put(es.url + "/_security/api_key", auth=ELASTIC, json={"name": "no-expiry"}).json()
    assert "expiration" not in plain
    gone = http.delete(
        es.url + "/_security/api_key", auth=ELASTIC, json={"ids": [created["id"]]}
    ).json()
    assert {
        "invalidated_api_keys": [created["id"]],
        "previously_invalidated_api_keys": [],
        "error_count": 0,
    } == gone
    after = http.get(es.url + "/", headers=api_key_header(created["encoded"]))
    assert (
        f"API key: api key [{created['id']}] has been invalidated"
        == after.json()["error"]["additional_unsuccessful_credentials"]
    )


def test_create_api_key_needs_manage_own_api_key(make_es, http) -> None:
    es = make_es()
    response = http.post(es.url + "/_security/api_key", auth=WRITER, json={"name": "x"})
    assert 403 == response.status_code
    assert response.json()["error"]["reason"].endswith(
        "this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"
    )


def test_create_api_key_validates_body(make_es, http) -> None:
    es = make_es()
    assert 400 == http.post(es.url + "/_security/api_key", auth=ELASTIC, json={}).status_code
    bad = http.post(
        es.url + "/_security/api_key", auth=ELASTIC, json={"name": "x", "expiration": "1 fortnight"}
    )
    assert 400 == bad.status_code and "expiration" in bad.json()["error"]["reason"]


# --- security disabled --------------------------------------------------------------------------------


def test_security_disabled_8x_no_handler(make_es, http) -> None:
    """8.x with xpack.security.enabled=false: / answers anyone; security APIs are "no handler found" 400s."""
    es = make_es("8.x", security=False, tls=None)
    assert 200 == http.get(es.url + "/").status_code
    response = http.get(es.url + "/_security/_authenticate?pretty")
    assert 400 == response.status_code
    assert {
        "error": "no handler found for uri [/_security/_authenticate?pretty] and method [GET]"
    } == response.json()
    assert "WWW-Authenticate" not in response.headers
    assert (
        400
        == http.post(
            es.url + "/_security/user/_has_privileges", json={"cluster": ["monitor"]}
        ).status_code
    )
    features = http.get(es.url + "/_xpack").json()["features"]
    assert {"available": True, "enabled": False} == features["security"]


def test_security_disabled_717_must_be_enabled(make_es, http) -> None:
    """7.x basic licence without security: the security APIs answer 500 "Security must be explicitly enabled"."""
    es = make_es("7.17", security=False, tls=None)
    response = http.get(es.url + "/_security/_authenticate")
    assert 500 == response.status_code
    error = response.json()["error"]
    assert "exception" == error["type"]
    assert error["reason"].startswith(
        "Security must be explicitly enabled when using a [basic] license."
    )
    assert 200 == http.get(es.url + "/").status_code


# --- licence, xpack, routing ------------------------------------------------------------------------


def test_license_human_false_drops_dates(make_es, http) -> None:
    es = make_es(cluster_name="prod")
    lic = http.get(es.url + "/_license?human=false", auth=ELASTIC).json()["license"]
    assert ("active", "basic", "prod", "elasticsearch") == (
        lic["status"],
        lic["type"],
        lic["issued_to"],
        lic["issuer"],
    )
    assert "issue_date" not in lic and isinstance(lic["issue_date_in_millis"], int)
    assert "issue_date" in http.get(es.url + "/_license", auth=ELASTIC).json()["license"]
    assert 403 == http.get(es.url + "/_license", auth=NOMON).status_code


@pytest.mark.parametrize("enabled", [True, False])
def test_xpack_filter_path_monitoring(make_es, http, enabled: bool) -> None:
    """?filter_path=features.monitoring.enabled trims the document to that one value."""
    es = make_es(monitoring_enabled=enabled)
    response = http.get(es.url + "/_xpack?filter_path=features.monitoring.enabled", auth=ELASTIC)
    assert {"features": {"monitoring": {"enabled": enabled}}} == response.json()


def test_unknown_path_and_wrong_method(make_es, http) -> None:
    """Unknown paths are 400 "no handler found" (before authentication); a wrong method is 405 with Allow."""
    es = make_es()
    unknown = http.get(es.url + "/_nope/x?a=1")
    assert 400 == unknown.status_code
    assert {"error": "no handler found for uri [/_nope/x?a=1] and method [GET]"} == unknown.json()
    wrong = http.post(es.url + "/_license", auth=ELASTIC)
    assert 405 == wrong.status_code
    assert (
        "Incorrect HTTP method for uri [/_license] and method [POST], allowed: [GET]"
        == wrong.json()["error"]
    )
    assert "GET" == wrong.headers["Allow"]


# --- OpenSearch ----------------------------------------------------------------------------------------


def test_opensearch_401_is_plain_text(make_es, http) -> None:
    es = make_es("opensearch")
    response = http.get(es.url + "/")
    assert (401, "Unauthorized") == (response.status_code, response.text)
    assert ['Basic realm="OpenSearch Security"'] == www_lines(response)
    assert "X-elastic-product" not in response.headers


def test_opensearch_authinfo(make_es, http) -> None:
    es = make_es("opensearch")
    body = http.get(es.url + "/_plugins/_security/authinfo", auth=WRITER).json()
    assert ("beats_writer", ["metricbeat_writer"]) == (body["user_name"], body["roles"])
    assert 400 == http.get(es.url + "/_security/_authenticate", auth=WRITER).status_code


# --- pure helpers ---------------------------------------------------------------------------------------

DOC = {"a": {"b": 1, "c": {"d": 2}}, "list": [{"x": 1, "y": 2}, {"x": 3}], "e": 5}


@pytest.mark.parametrize(
    ("filter_path", "expected"),
    [
        ("a.b", {"a": {"b": 1}}),
        ("a.c.d,e", {"a": {"c": {"d": 2}}, "e": 5}),
        ("list.x", {"list": [{"x": 1}, {"x": 3}]}),
        ("a.*", {"a": {"b": 1, "c": {"d": 2}}}),
        ("**.d", {"a": {"c": {"d": 2}}}),
        ("nothing", {}),
    ],
)
def test_apply_filter_path(filter_path: str, expected: dict) -> None:
    assert expected == apply_filter_path(json.loads(json.dumps(DOC)), filter_path)
