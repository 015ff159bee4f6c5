"""Pure request building and answer reading (esprobe.elastic.api): table-driven, no sockets."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Optional, Tuple

import pytest

from esprobe.elastic import api
from esprobe.model import Credentials, Role, Target

NO_CREDENTIALS = Credentials()


def _target(role: Role = Role.ELASTICSEARCH, credentials: Credentials = NO_CREDENTIALS,
            headers: Tuple[Tuple[str, str], ...] = (), url: str = "https://es.test:9200") -> Target:
    return Target(id="t", role=role, url=url, scheme="https", host="es.test", port=9200, credentials=credentials,
                  headers=headers)


def _headers(target: Target, beat: str = "metricbeat") -> Dict[str, str]:
    return {name.lower(): value for name, value in api.request_headers(target, beat)}


def _answer(status: int = 200, body: Any = b"", headers: Tuple[Tuple[str, str], ...] = ()) -> api.Answer:
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return api.Answer(status, "OK" if status == 200 else "Error", headers, body)


# --- what the Beat sends ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "authorization"),
    [
        (Credentials("basic", "writer", "pw"), "Basic " + base64.b64encode(b"writer:pw").decode()),
        (Credentials("basic", "", "only-password"), "Basic " + base64.b64encode(b":only-password").decode()),
        (Credentials("basic", "user-only", ""), "Basic " + base64.b64encode(b"user-only:").decode()),
        (Credentials("api_key", api_key="id1:secret1"), "ApiKey " + base64.b64encode(b"id1:secret1").decode()),
        (Credentials("pki"), None),
        (Credentials("none"), None),
    ],
)
def test_authorization_header_as_the_beat_builds_it(credentials: Credentials, authorization: Optional[str]) -> None:
    """Basic when user name or password is set; ApiKey is base64 of the raw id:key; PKI and none send nothing."""
    assert authorization == _headers(_target(credentials=credentials)).get("authorization")


def test_elasticsearch_default_headers() -> None:
    """Accept JSON, the Beat-shaped User-Agent and X-Elastic-Product-Origin: beats; no Kibana headers."""
    headers = _headers(_target())
    assert "application/json" == headers["accept"]
    assert "beats" == headers["x-elastic-product-origin"]
    assert headers["user-agent"].startswith(f"Elastic-metricbeat/{api.USER_AGENT_VERSION} (")
    assert "kbn-xsrf" not in headers and "elastic-api-version" not in headers


def test_configured_headers_replace_accept_and_product_origin() -> None:
    """Configured Accept and X-Elastic-Product-Origin replace the defaults; other headers are added."""
    headers = _headers(_target(headers=(("accept", "text/plain"), ("X-Elastic-Product-Origin", "custom"),
                                        ("X-Team", "ops"))))
    assert ("text/plain", "custom", "ops") == (
        headers["accept"],
        headers["x-elastic-product-origin"],
        headers["x-team"],
    )
    names = [name.lower() for name, _ in api.request_headers(_target(headers=(("accept", "text/plain"),)), "x")]
    assert 1 == names.count("accept")


def test_kibana_headers() -> None:
    """Kibana gets kbn-xsrf: 1, JSON content type and the default Elastic-Api-Version, unless configured."""
    headers = _headers(_target(Role.KIBANA))
    assert ("1", "application/json", "2023-10-31") == (headers["kbn-xsrf"], headers["content-type"],
                                                      headers["elastic-api-version"])
    assert "x-elastic-product-origin" not in headers
    assert "2099-01-01" == _headers(_target(Role.KIBANA, headers=(("Elastic-Api-Version", "2099-01-01"),)))[
        "elastic-api-version"]


@pytest.mark.parametrize(
    ("url", "path", "expected"),
    [
        ("https://es.test:9200", "/_security/_authenticate", "https://es.test:9200/_security/_authenticate"),
        ("https://es.test:9200/", "/x", "https://es.test:9200/x"),
        ("https://es.test:9200/es?pretty", "/x", "https://es.test:9200/es/x"),
        ("https://kb.test:5601/kb/s/dev", "/api/status", "https://kb.test:5601/kb/s/dev/api/status"),
    ],
)
def test_api_url_appends_to_the_path_without_query(url: str, path: str, expected: str) -> None:
    assert expected == api.api_url(_target(url=url), path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://kb.test:5601/s/dev", "https://kb.test:5601/api/spaces/space/dev"),
        ("https://kb.test:5601/kb/s/dev", "https://kb.test:5601/kb/api/spaces/space/dev"),
        ("https://kb.test:5601/kb", "https://kb.test:5601/kb/api/spaces/space/dev"),
    ],
)
def test_space_url_is_asked_outside_the_space_prefix(url: str, expected: str) -> None:
    assert expected == api.kibana_space_url(_target(Role.KIBANA, url=url), "dev")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://es.test:9200/", "https://ES.test:9200/other", True),
        ("https://es.test:9200/", "https://es.test:9201/", False),
        ("https://es.test:9200/", "http://es.test:9200/", False),
        ("https://es.test:443/", "https://es.test/", True),
        ("https://es.test:9200/", "https://evil.test:9200/", False),
    ],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same == api.same_origin(a, b)


# --- api_key shapes -------------------------------------------------------------------------------

_ENCODED = base64.b64encode(b"VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw").decode()


@pytest.mark.parametrize(
    ("value", "shape", "key_id"),
    [
        ("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw", api.API_KEY_OK, "VuaCfGcBCdbkQm-e5aOx"),
        (_ENCODED, api.API_KEY_ENCODED, "VuaCfGcBCdbkQm-e5aOx"),
        (_ENCODED.rstrip("="), api.API_KEY_ENCODED, "VuaCfGcBCdbkQm-e5aOx"),
        ("ui2lp2axTNmsyakw9tvNnw", api.API_KEY_NO_COLON, None),
        ("", api.API_KEY_OK, None),
    ],
)
def test_api_key_shape(value: str, shape: str, key_id: Optional[str]) -> None:
    assert (shape, key_id) == (api.api_key_shape(value), api.api_key_id(value))


# --- identification ---------------------------------------------------------------------------------

_ES_ROOT = {"name": "n", "cluster_name": "c", "version": {"number": "8.15.3", "build_flavor": "default"},
            "tagline": "You Know, for Search"}
_OS_ROOT = {"name": "n", "cluster_name": "c", "version": {"distribution": "opensearch", "number": "2.11.1"},
            "tagline": "The OpenSearch Project: https://opensearch.org/"}


@pytest.mark.parametrize(
    ("answer", "product", "version"),
    [
        (_answer(200, _ES_ROOT, (("X-elastic-product", "Elasticsearch"),)), "elasticsearch", "8.15.3"),
        (_answer(200, _ES_ROOT), "elasticsearch", "8.15.3"),  # before 7.14: no header, the tagline tells
        (_answer(200, _OS_ROOT), "opensearch", "2.11.1"),
        (
            _answer(401, b"Unauthorized", (("WWW-Authenticate", 'Basic realm="OpenSearch Security"'),)),
            "opensearch",
            None,
        ),
        (_answer(302, b"", (("kbn-name", "kibana"), ("location", "/spaces/enter"))), "kibana", None),
        (_answer(401, {"error": {"type": "security_exception", "reason": "x"}, "status": 401}), "elasticsearch", None),
        (
            _answer(200, b"<!DOCTYPE html><title>Welcome to nginx!</title>", (("Server", "nginx/1.25"),)),
            "unknown",
            None,
        ),
        (_answer(200, {"status": "ok"}), "unknown", None),
    ],
)
def test_identify(answer: api.Answer, product: str, version: Optional[str]) -> None:
    identity = api.identify(answer)
    assert (product, version) == (identity.product, identity.version)


def test_serverless_is_noticed() -> None:
    doc = dict(_ES_ROOT, version={"number": "8.11.0", "build_flavor": "serverless"})
    assert api.identify(_answer(200, doc, (("X-elastic-product", "Elasticsearch"),))).serverless


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            _answer(
                200,
                {"version": {"number": "7.17.24", "build_snapshot": False}, "status": {"overall": {"state": "green"}}},
            ),
            ("7.17.24", None, "green", False, "available"),
        ),
        (
            _answer(
                200,
                {"version": {"number": "8.15.3", "build_snapshot": True}, "status": {"overall": {"level": "degraded"}}},
            ),
            ("8.15.3-SNAPSHOT", "degraded", None, False, "degraded"),
        ),
        (_answer(200, {"status": {"overall": {"level": "available"}}}), (None, "available", None, True, "available")),
        (_answer(503, b"Kibana server is not ready yet"), (None, None, None, False, None)),
    ],
)
def test_kibana_status(answer: api.Answer, expected: tuple) -> None:
    status = api.parse_kibana_status(answer)
    assert expected == (status.version, status.level, status.state, status.redacted, status.health)


def test_kibana_not_ready_and_boom() -> None:
    assert api.parse_kibana_status(_answer(503, b"Kibana server is not ready yet")).not_ready
    boom = api.parse_kibana_status(
        _answer(401, {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"})
    )
    assert boom.boom is not None and not boom.redacted


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "disabled"),
    [
        (_answer(400, {"error": "no handler found for uri [/_security/_authenticate] and method [GET]"}), True),
        (
            _answer(
                500,
                {
                    "error": {
                        "type": "exception",
                        "reason": "Security must be explicitly enabled when using a [basic] license.",
                    },
                    "status": 500,
                },
            ),
            True,
        ),
        (
            _answer(
                400,
                {
                    "error": {
                        "type": "invalid_index_name_exception",
                        "reason": "Invalid index name [_security], must not start with '_'",
                    }
                },
            ),
            True,
        ),
        (_answer(400, {"error": "no handler found for uri [/other] and method [GET]"}), False),
        (_answer(401, {"error": {"type": "security_exception", "reason": "missing"}}), False),
        (_answer(500, b"<html>oops</html>", (("Content-Type", "text/html"),)), False),
    ],
)
def test_security_disabled(answer: api.Answer, disabled: bool) -> None:
    assert disabled == api.security_disabled(answer)


def test_parse_es_error_reads_additional_credentials() -> None:
    cause = {"type": "security_exception", "reason": "unable to authenticate with provided credentials",
             "additional_unsuccessful_credentials": "API key: api key is expired"}
    error = api.parse_es_error(_answer(401, {"error": dict(cause, root_cause=[cause]), "status": 401}))
    assert error is not None and "API key: api key is expired" == error.additional


def test_parse_identity_api_key_and_pki() -> None:
    key = api.parse_identity({"username": "owner", "roles": [], "authentication_realm": {"name": "_es_api_key",
                                "type": "_es_api_key"}, "authentication_type": "api_key",
                                "api_key": {"id": "k1", "name": "beats"}})
    assert key is not None and key.is_api_key and ("k1", "beats") == (key.api_key_id, key.api_key_name)
    pki_user = api.parse_identity({"username": "beats01", "roles": ["r"], "metadata": {"pki_dn": "CN=beats01"},
                                     "authentication_realm": {"name": "pki1", "type": "pki"}})
    assert pki_user is not None and pki_user.is_pki and "CN=beats01" == pki_user.pki_dn
    assert api.parse_identity({"error": "x"}) is None


# --- privileges ---------------------------------------------------------------------------------


def _labels(needs: List[api.Need], required: Optional[bool] = None) -> List[str]:
    return [n.label for n in needs if required is None or n.required == required]


@pytest.mark.parametrize(
    ("version", "beat", "required", "optional"),
    [
        ((7, 17, 24), "metricbeat", ["cluster:monitor", "index:mb-*:create_doc"],
         ["cluster:read_ilm", "index:mb-*:view_index_metadata"]),
        ((8, 5, 0), "metricbeat", ["cluster:monitor", "index:mb-*:create_doc"], ["cluster:read_ilm"]),
        ((8, 15, 3), "metricbeat", ["cluster:monitor", "index:mb-*:create_doc"],
         ["cluster:read_ilm", "index:mb-*:auto_configure"]),
        ((9, 1, 5), "filebeat", ["cluster:monitor", "index:mb-*:create_doc"],
         ["cluster:read_ilm", "cluster:read_pipeline", "index:mb-*:auto_configure"]),
        (None, "metricbeat", ["cluster:monitor", "index:mb-*:create_doc"],
         ["cluster:read_ilm", "index:mb-*:auto_configure"]),
    ],
)
def test_publishing_needs_follow_the_server_version(version: Optional[Tuple[int, int, int]], beat: str,
                                                    required: List[str], optional: List[str]) -> None:
    """monitor and create_doc always fail when missing; the rest depend on the version and the configuration."""
    needs = api.publishing_needs(version, beat, "mb-*")
    assert (required, optional) == (_labels(needs, True), _labels(needs, False))


def test_monitoring_needs_and_request_body() -> None:
    needs = api.monitoring_needs()
    assert [
        "cluster:monitor",
        "index:.monitoring-beats-*:create_index",
        "index:.monitoring-beats-*:create_doc",
    ] == _labels(needs)
    assert {
        "cluster": ["monitor"],
        "index": [{"names": [".monitoring-beats-*"], "privileges": ["create_index", "create_doc"]}],
    } == api.has_privileges_body(needs)


def test_missing_privileges_reads_the_answer() -> None:
    needs = api.publishing_needs((8, 15, 0), "metricbeat", "mb-*")
    doc = {"cluster": {"monitor": True, "read_ilm": False}, "index": {"mb-*": {"create_doc": True}}}
    missing = api.missing_privileges(needs, doc)
    assert missing is not None
    assert ["cluster:read_ilm", "index:mb-*:auto_configure"] == _labels(missing)
    assert api.missing_privileges(needs, ["not", "a", "dict"]) is None
