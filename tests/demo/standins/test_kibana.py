"""FakeKibana: /api/status per version, startup 503, spaces, kbn-xsrf, Boom envelopes, delegated auth."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana, Space
from tests.support.standin_clients import Pki, api_key_header

USER = ("kibana_user", "kibana-user-secret")
UNAUTHORIZED = {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}


@pytest.fixture(scope="module")
def es() -> Iterator[FakeElasticsearch]:
    """Kibana only calls its Elasticsearch in-process, so this one never needs to listen."""
    cluster = FakeElasticsearch("8.x")
    cluster.add_user(*USER, roles=["kibana_admin", "monitoring_user"])
    yield cluster


@pytest.fixture
def make_kibana(es: FakeElasticsearch) -> Iterator[Callable[..., FakeKibana]]:
    started: List[FakeKibana] = []

    def make(version: str = "8.15", **options: Any) -> FakeKibana:
        options.setdefault("elasticsearch", es)
        kibana = FakeKibana(version=version, **options).start()
        started.append(kibana)
        return kibana

    yield make
    for kibana in started:
        kibana.stop()


ANONYMOUS_STATUS = [
    ("7.17", "available", 401, UNAUTHORIZED),
    ("8.8", "available", 401, UNAUTHORIZED),
    ("8.15", "available", 200, {"status": {"overall": {"level": "available"}}}),
    ("9.x", "degraded", 200, {"status": {"overall": {"level": "degraded"}}}),
    ("9.x", "unavailable", 503, {"status": {"overall": {"level": "unavailable"}}}),
]


@pytest.mark.parametrize(("version", "level", "status", "body"), ANONYMOUS_STATUS)
def test_anonymous_status_per_version(
    make_kibana, http, version: str, level: str, status: int, body: dict
) -> None:
    """Up to 8.8 anonymous /api/status is a 401 Boom; from 8.9 a redacted body with the overall level."""
    kibana = make_kibana(version, overall_level=level)
    response = http.get(kibana.url + "/api/status")
    assert (status, body) == (response.status_code, response.json())
    assert response.headers["Content-Type"].startswith("application/json")


def test_authenticated_status_v8_format(make_kibana, http) -> None:
    kibana = make_kibana("8.15")
    body = http.get(kibana.url + "/api/status", auth=USER).json()
    assert body["version"]["number"].startswith("8.15.")
    assert {"level": "available", "summary": "All services and plugins are available"} == body[
        "status"
    ]["overall"]
    assert "available" == body["status"]["core"]["elasticsearch"]["level"]
    assert {"name", "uuid", "version", "status", "metrics"} == set(body)


def test_authenticated_status_legacy_format_on_7x(make_kibana, http) -> None:
    """7.x answers the legacy format (state green/yellow/red); ?v8format=true switches to levels."""
    kibana = make_kibana("7.17", overall_level="degraded")
    legacy = http.get(kibana.url + "/api/status", auth=USER).json()
    assert legacy["version"]["number"].startswith("7.17.")
    assert ("yellow", "Yellow") == (
        legacy["status"]["overall"]["state"],
        legacy["status"]["overall"]["title"],
    )
    assert legacy["status"]["statuses"][0]["id"].startswith("core:elasticsearch@7.17.")
    modern = http.get(kibana.url + "/api/status?v8format=true", auth=USER).json()
    assert "degraded" == modern["status"]["overall"]["level"]
    both = http.get(kibana.url + "/api/status?v7format=true&v8format=true", auth=USER)
    assert (400, "Bad Request") == (both.status_code, both.json()["error"])


def test_allow_anonymous_status_gives_full_body(make_kibana, http) -> None:
    kibana = make_kibana("8.8", allow_anonymous_status=True)
    body = http.get(kibana.url + "/api/status").json()
    assert body["version"]["number"].startswith("8.8.")


def test_unavailable_core_answers_503(make_kibana, http) -> None:
    kibana = make_kibana("8.15", overall_level="critical")
    assert 503 == http.get(kibana.url + "/api/status", auth=USER).status_code


def test_starting_kibana_is_not_ready(make_kibana, http) -> None:
    """While starting, every path answers 503 "Kibana server is not ready yet" with Retry-After: 30."""
    kibana = make_kibana("8.15", starting=True)
    for path in ("/api/status", "/api/spaces/space", "/whatever"):
        response = http.get(kibana.url + path, auth=USER)
        assert (503, "Kibana server is not ready yet", "30") == (
            response.status_code,
            response.text,
            response.headers["Retry-After"],
        )


def test_bad_credentials_401_boom(make_kibana, http) -> None:
    """Wrong credentials: a 401 Boom envelope whose message carries Elasticsearch's reason."""
    kibana = make_kibana("8.15")
    response = http.get(kibana.url + "/api/status", auth=("kibana_user", "wrong"))
    body = response.json()
    assert (401, 401, "Unauthorized") == (response.status_code, body["statusCode"], body["error"])
    assert (
        "unable to authenticate user [kibana_user] for REST request [/_security/_authenticate]"
        in body["message"]
    )
    assert "kibana-user-secret" not in response.text


def test_api_key_from_elasticsearch_works_on_kibana(
    make_kibana, http, es: FakeElasticsearch
) -> None:
    """Kibana accepts the API keys of its Elasticsearch (authentication is delegated)."""
    kibana = make_kibana("8.15")
    key = es.create_api_key("kibana_user", "dashboards")
    response = http.get(kibana.url + "/api/status", headers=api_key_header(key["encoded"]))
    assert "summary" in response.json()["status"]["overall"]
    assert ("apikey", "kibana_user") == (
        kibana.requests[-1].auth_scheme,
        kibana.requests[-1].principal,
    )
    es.invalidate_api_key(key["id"])
    assert (
        401
        == http.get(kibana.url + "/api/status", headers=api_key_header(key["encoded"])).status_code
    )


def test_spaces_api(make_kibana, http) -> None:
    """Spaces: list, get, 404 Boom for a missing one, and the /s/<space> prefix."""
    kibana = make_kibana("8.15", spaces=[Space("ops", "Operations")])
    listed = http.get(kibana.url + "/api/spaces/space", auth=USER).json()
    assert ["default", "ops"] == [s["id"] for s in listed]
    default = http.get(kibana.url + "/api/spaces/space/default", auth=USER).json()
    assert {"id": "default", "name": "Default", "_reserved": True} == {
        k: default[k] for k in ("id", "name", "_reserved")
    }
    missing = http.get(kibana.url + "/api/spaces/space/nope", auth=USER)
    assert (404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}) == (
        missing.status_code,
        missing.json(),
    )
    assert 200 == http.get(kibana.url + "/s/ops/api/status", auth=USER).status_code
    assert 2 == len(http.get(kibana.url + "/s/ops/api/spaces/space", auth=USER).json())
    assert 401 == http.get(kibana.url + "/api/spaces/space").status_code


def test_xsrf_header_required_on_post(make_kibana, http) -> None:
    """Non-GET requests need kbn-xsrf (400 Boom otherwise); an unauthenticated POST gets 401 first."""
    kibana = make_kibana("8.15")
    space = {"id": "marketing", "name": "Marketing"}
    assert 401 == http.post(kibana.url + "/api/spaces/space", json=space).status_code
    refused = http.post(kibana.url + "/api/spaces/space", json=space, auth=USER)
    assert (
        400,
        {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "Request must contain a kbn-xsrf header.",
        },
    ) == (
        refused.status_code,
        refused.json(),
    )
    created = http.post(
        kibana.url + "/api/spaces/space", json=space, auth=USER, headers={"kbn-xsrf": "true"}
    )
    assert (200, "marketing") == (created.status_code, created.json()["id"])
    assert 200 == http.get(kibana.url + "/api/spaces/space/marketing", auth=USER).status_code


def test_base_path(make_kibana, http) -> None:
    """With server.basePath (rewritten), routes live under the prefix only; url includes it."""
    kibana = make_kibana("8.15", base_path="/kibana")
    assert kibana.url.endswith("/kibana")
    assert 200 == http.get(kibana.url + "/api/status", auth=USER).status_code
    assert 404 == http.get(kibana.url[: -len("/kibana")] + "/api/status", auth=USER).status_code


@pytest.mark.parametrize(
    ("version", "header", "status"), [("8.15", False, 200), ("9.x", False, 400), ("9.x", True, 200)]
)
def test_internal_security_me(make_kibana, http, version: str, header: bool, status: int) -> None:
    """/internal/security/me needs x-elastic-internal-origin from 9.0 on."""
    kibana = make_kibana(version)
    headers = {"x-elastic-internal-origin": "kibana"} if header else {}
    response = http.get(kibana.url + "/internal/security/me", auth=USER, headers=headers)
    assert status == response.status_code
    if status == 200:
        body = response.json()
        assert ("kibana_user", {"type": "basic", "name": "basic"}) == (
            body["username"],
            body["authentication_provider"],
        )


def test_kibana_over_tls_without_security(certs: Pki, http) -> None:
    """Kibana over TLS with no Elasticsearch security: status is open to everyone."""
    with FakeKibana(None, version="8.15", tls=certs.tls()) as kibana:
        response = http.get(kibana.url + "/api/status")
        assert kibana.url.startswith("https://")
    assert (200, "available") == (
        response.status_code,
        response.json()["status"]["overall"]["level"],
    )


def test_root_redirects_instead_of_serving_an_api(make_kibana, http) -> None:
    """Kibana's / is a browser route: 302 to the login page when anonymous, into the spaces otherwise."""
    kibana = make_kibana("8.15", base_path="/kibana")
    anonymous = http.get(kibana.url + "/", allow_redirects=False)
    assert (302, "/kibana/login?next=%2Fkibana%2F") == (
        anonymous.status_code,
        anonymous.headers["location"],
    )
    signed_in = http.get(kibana.url + "/", auth=USER, allow_redirects=False)
    assert (302, "/kibana/spaces/enter") == (signed_in.status_code, signed_in.headers["location"])
