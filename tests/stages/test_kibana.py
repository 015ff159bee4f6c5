"""Kibana end to end: /api/status by version, the Beat's credentials through Kibana, the space check."""

from __future__ import annotations

from typing import Any

import pytest

from esprobe.demo.standins.kibana import Space
from esprobe.model import Credentials, Role, Stage, Status
from tests.support.standins import WRITER_PW, api_key, basic, codes, probe, stage, target

KIBANA_CREDS = basic("writer", WRITER_PW, "setup.kibana", "setup.kibana.password")


NO_CREDENTIALS = Credentials()


def _kibana_target(kibana: Any, certs: Any, credentials: Credentials = NO_CREDENTIALS, space: Any = None) -> Any:
    path = f"/s/{space}" if space else ""
    return target(kibana, role=Role.KIBANA, host="kibana.test", certs=certs, credentials=credentials, path=path,
                  space=space)


@pytest.mark.parametrize(
    ("version", "number", "health_key", "health"),
    [("7.17", "7.17.24", "state", "green"), ("8.8", "8.8.2", "level", "available"),
     ("8.15", "8.15.3", "level", "available"), ("9.x", "9.1.5", "level", "available")],
)
def test_status_and_identity_per_version(make_es, make_kibana, certs, ctx, version: str, number: str,
                                         health_key: str, health: str) -> None:
    """
    With credentials every version shows its version; Kibana names the user (9.x only with the
    internal-origin header).
    """
    kibana = make_kibana(make_es(), version)
    report = probe(_kibana_target(kibana, certs, KIBANA_CREDS), ctx())
    http, auth, privileges = (stage(report, s) for s in (Stage.HTTP, Stage.AUTH, Stage.PRIVILEGES))
    assert (Status.OK, "kibana", number, health) == (http.status, http.details["product"], http.details["version"],
                                                    http.details[health_key])
    assert (Status.OK, "writer", "basic") == (auth.status, auth.details["username"], auth.details["kibana_provider"])
    assert Status.OK == privileges.status and "default space" in privileges.summary
    me = [r for r in kibana.requests if r.target == "/internal/security/me"]
    assert 1 == len(me) and 200 == me[0].status and "x-elastic-internal-origin" in me[0].header_names
    status_call = [r for r in kibana.requests if r.target == "/api/status"][0]
    assert {"kbn-xsrf", "elastic-api-version", "authorization"} <= set(status_call.header_names)


def test_kibana_88_without_credentials_is_401(make_es, make_kibana, certs, ctx) -> None:
    report = probe(_kibana_target(make_kibana(make_es(), "8.8"), certs), ctx())
    http, auth = stage(report, Stage.HTTP), stage(report, Stage.AUTH)
    assert (Status.OK, 401) == (http.status, http.details["status_code"])
    assert (Status.FAIL, ["auth-no-credentials"]) == (auth.status, codes(auth))
    assert "status=401" in auth.findings[0].message


def test_kibana_815_without_credentials_is_redacted(make_es, make_kibana, certs, ctx) -> None:
    """8.9+: the anonymous status answer hides the version, and the Beat fails to parse it."""
    http = stage(probe(_kibana_target(make_kibana(make_es(), "8.15"), certs), ctx()), Stage.HTTP)
    assert (Status.FAIL, ["http-kibana-status-redacted"], True) == (http.status, codes(http), http.details["redacted"])
    assert "fail to parse kibana version ()" in http.findings[0].message
    assert "no credentials" in http.findings[0].message


@pytest.mark.parametrize(
    ("options", "code"),
    [({"starting": True}, "http-kibana-not-ready"), ({"overall_level": "unavailable"}, "http-kibana-unavailable"),
     ({"overall_level": "degraded"}, "http-kibana-degraded")],
)
def test_kibana_health(make_es, make_kibana, certs, ctx, options: Any, code: str) -> None:
    http = stage(probe(_kibana_target(make_kibana(make_es(), "8.15", **options), certs, KIBANA_CREDS), ctx()),
                 Stage.HTTP)
    assert [code] == codes(http)
    assert (Status.WARN if code == "http-kibana-degraded" else Status.FAIL) == http.status


@pytest.mark.parametrize(
    ("source", "said"),
    [("fallback from output.elasticsearch",
      "falling back to output.elasticsearch, because setup.kibana does not set them itself."),
     ("setup.kibana + fallback from output.elasticsearch (password)",
      "took password from output.elasticsearch, because `setup.kibana.password` is not set."),
     ("setup.kibana + fallback from cloud.auth via output.elasticsearch (username, password)",
      "took username, password from cloud.auth via output.elasticsearch, because `setup.kibana.username` and "
      "`setup.kibana.password` are not set.")],
)
def test_fallback_credentials_rejected_says_where_they_came_from(
    make_es, make_kibana, certs, ctx, source: str, said: str
) -> None:
    credentials = Credentials("basic", "writer", "wrong-fallback-pw", None, source, "output.elasticsearch.password")
    auth = stage(probe(_kibana_target(make_kibana(make_es(), "8.15"), certs, credentials), ctx()), Stage.AUTH)
    assert (Status.FAIL, ["auth-wrong-password"]) == (auth.status, codes(auth))
    finding = auth.findings[0]
    assert "unable to authenticate user [writer]" in finding.message
    assert said in finding.message and "setup.kibana.username" in finding.hint
    assert f"({source})" not in finding.message  # the source is said once, in words
    assert source == auth.details["source"]


def test_fallback_credentials_accepted_are_named(make_es, make_kibana, certs, ctx) -> None:
    creds = Credentials("basic", "writer", WRITER_PW, None, "fallback from output.elasticsearch",
                        "output.elasticsearch.password")
    auth = stage(probe(_kibana_target(make_kibana(make_es(), "8.15"), certs, creds), ctx()), Stage.AUTH)
    assert Status.OK == auth.status and "copied from output.elasticsearch" in auth.summary


def test_kibana_api_keys(make_es, make_kibana, certs, ctx) -> None:
    es = make_es()
    kibana = make_kibana(es, "8.15")
    key = es.create_api_key("writer", "kb")
    good = stage(probe(_kibana_target(kibana, certs, api_key(f"{key['id']}:{key['api_key']}", "setup.kibana")), ctx()),
                 Stage.AUTH)
    assert (Status.OK, key["id"], "api_key") == (good.status, good.details["api_key_id"], good.details["method"])
    encoded = stage(probe(_kibana_target(kibana, certs, api_key(key["encoded"], "setup.kibana")), ctx()), Stage.AUTH)
    assert ["auth-api-key-encoded"] == codes(encoded)
    es.invalidate_api_key(key["id"])
    dead = stage(probe(_kibana_target(kibana, certs, api_key(f"{key['id']}:{key['api_key']}", "setup.kibana")), ctx()),
                 Stage.AUTH)
    assert ["auth-api-key-rejected"] == codes(dead) and f"id={key['id']}" in dead.findings[0].message


def test_space_exists_or_not(make_es, make_kibana, certs, ctx) -> None:
    kibana = make_kibana(make_es(), "8.15", spaces=[Space("dev", "Development")])
    ok = stage(probe(_kibana_target(kibana, certs, KIBANA_CREDS, space="dev"), ctx()), Stage.PRIVILEGES)
    assert (Status.OK, ["space:dev"], []) == (ok.status, ok.details["checked"], ok.details["missing"])
    assert "Development" in ok.summary
    missing = stage(probe(_kibana_target(kibana, certs, KIBANA_CREDS, space="nope"), ctx()), Stage.PRIVILEGES)
    assert (Status.FAIL, ["privileges-kibana-space-missing"], ["space:nope"]) == (
        missing.status, codes(missing), missing.details["missing"])
    asked = [r.target for r in kibana.requests if "/api/" in r.target]
    assert ["/s/dev/api/status", "/api/spaces/space/dev", "/s/nope/api/status", "/api/spaces/space/nope"] == asked


def test_kibana_without_security(make_kibana, certs, ctx) -> None:
    report = probe(_kibana_target(make_kibana(None, "8.15"), certs, KIBANA_CREDS), ctx())
    auth = stage(report, Stage.AUTH)
    # a 404 from /internal/security/me says nothing certain: "could not check", never "security is off"
    assert (Status.WARN, ["auth-kibana-identity-unchecked"], "basic") == (
        auth.status, codes(auth), auth.details["method"])
    assert "security is off" not in auth.findings[0].message
    assert Status.OK == stage(report, Stage.HTTP).status
