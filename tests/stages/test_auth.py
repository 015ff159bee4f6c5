"""The auth stage end to end: each credential method passing, and each way it fails."""

from __future__ import annotations

import base64
from typing import Any, Callable, Dict

import pytest

from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.model import Credentials, Role, Stage, Status
from tests.support.standins import BEATS01_DN_FORM as BEATS01_DN
from tests.support.standins import NOROLES_PW, WRITER_PW, api_key, basic, codes, probe, stage, target

# --- passing ----------------------------------------------------------------------------------------


def test_basic_auth_identifies_the_user(make_es, certs, ctx) -> None:
    report = probe(target(make_es(), certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    auth = stage(report, Stage.AUTH)
    assert Status.OK == auth.status, auth.findings
    assert {"method": "basic", "username": "writer", "realm": "default_native", "authentication_type": "realm",
            "realm_type": "native", "roles": ["metricbeat_writer"]}.items() <= auth.details.items()
    assert "authenticated as writer" in auth.summary


def test_api_key_identifies_key_and_owner(make_es, certs, ctx) -> None:
    es = make_es()
    key = es.create_api_key("writer", "metricbeat-prod")
    report = probe(target(es, certs=certs, credentials=api_key(f"{key['id']}:{key['api_key']}")), ctx())
    auth = stage(report, Stage.AUTH)
    assert Status.OK == auth.status, auth.findings
    assert {"method": "api_key", "username": "writer", "realm": "_es_api_key", "authentication_type": "api_key",
            "api_key_id": key["id"], "api_key_name": "metricbeat-prod"}.items() <= auth.details.items()
    assert ("apikey", "writer") == (es.requests[1].auth_scheme, es.requests[1].principal)
    assert Status.OK == report.status


def test_pki_identifies_the_certificate(make_es, certs, ctx) -> None:
    """Only the client certificate: PKI realm user, the DN in Java's form, the default pattern's user name."""
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    es.map_pki(BEATS01_DN, ["metricbeat_writer"])
    report = probe(target(es, certs=certs, client=certs.client), ctx())
    auth = stage(report, Stage.AUTH)
    assert Status.OK == auth.status, auth.findings
    assert {
        "method": "pki",
        "username": "beats01",
        "realm": "pki1",
        "realm_type": "pki",
        "authentication_type": "realm",
        "pki_dn": BEATS01_DN,
        "pki_username": "beats01",
    }.items() <= auth.details.items()
    assert ("pki", "beats01") == (es.requests[1].auth_scheme, es.requests[1].principal)
    assert Status.OK == report.status


# --- basic failures ---------------------------------------------------------------------------


def test_wrong_password_quotes_the_reason(make_es, certs, ctx) -> None:
    report = probe(target(make_es(), certs=certs, credentials=basic("writer", "not-the-password")), ctx())
    auth = stage(report, Stage.AUTH)
    assert (Status.FAIL, ["auth-wrong-password"]) == (auth.status, codes(auth))
    assert (
        "unable to authenticate user [writer] for REST request [/_security/_authenticate]" in auth.findings[0].message
    )
    assert "output.elasticsearch.password" == auth.findings[0].setting
    assert Status.SKIPPED == stage(report, Stage.PRIVILEGES).status


def test_wrong_userinfo_password_points_at_the_host_url(make_es, certs, ctx) -> None:
    creds = Credentials("basic", "writer", "bad-userinfo-pw", None, "URL userinfo", "output.elasticsearch.hosts.0")
    auth = stage(probe(target(make_es(), certs=certs, credentials=creds), ctx()), Stage.AUTH)
    assert ["auth-wrong-password"] == codes(auth)
    assert "user:password@" in auth.findings[0].message and "user:password@" in auth.findings[0].hint


def test_monitoring_default_user_is_explained(make_es, certs, ctx) -> None:
    """monitoring.* without a user name sends beats_system with an empty password; the finding says so."""
    creds = Credentials(
        "basic", "beats_system", "", None, "monitoring default user", "monitoring.elasticsearch.username"
    )
    auth = stage(probe(target(make_es(), role=Role.MONITORING, certs=certs, credentials=creds), ctx()), Stage.AUTH)
    assert ["auth-wrong-password"] == codes(auth)
    assert "beats_system" in auth.findings[0].message and "monitoring.elasticsearch.username" in auth.findings[0].hint


def test_user_without_roles_warns(make_es, certs, ctx) -> None:
    report = probe(target(make_es(), certs=certs, credentials=basic("noroles", NOROLES_PW)), ctx())
    assert ["auth-no-roles"] == codes(stage(report, Stage.AUTH))
    assert Status.FAIL == stage(report, Stage.PRIVILEGES).status


# --- API key failures -------------------------------------------------------------------------------


def _keys(es: FakeElasticsearch) -> Dict[str, Callable[[], str]]:
    def good() -> Dict[str, Any]:
        return es.create_api_key("writer", "k")

    def expired() -> str:
        key = es.create_api_key("writer", "old", expiration_seconds=60)
        es.expire_api_key(key["id"])
        return f"{key['id']}:{key['api_key']}"

    def invalidated() -> str:
        key = good()
        es.invalidate_api_key(key["id"])
        return f"{key['id']}:{key['api_key']}"

    return {
        "unknown": lambda: "nosuchkeyid0123456789:whatever-secret",
        "expired": expired,
        "invalidated": invalidated,
        "wrong-secret": lambda: good()["id"] + ":not-the-secret",
        "encoded": lambda: good()["encoded"],
        "no-colon": lambda: good()["api_key"],
    }


@pytest.mark.parametrize(
    ("case", "code", "quoted"),
    [
        ("unknown", "auth-api-key-unknown", "unable to find apikey with id nosuchkeyid0123456789"),
        ("expired", "auth-api-key-expired", "api key is expired"),
        ("invalidated", "auth-api-key-invalidated", "has been invalidated"),
        ("wrong-secret", "auth-api-key-wrong-secret", "invalid credentials for API key"),
        ("encoded", "auth-api-key-encoded", "invalid ApiKey value"),
        ("no-colon", "auth-api-key-no-colon", "unable to authenticate with provided credentials"),
    ],
)
def test_api_key_failures(make_es, certs, ctx, case: str, code: str, quoted: str) -> None:
    """Each rejected key gets its own finding quoting additional_unsuccessful_credentials."""
    es = make_es()
    value = _keys(es)[case]()
    auth = stage(probe(target(es, certs=certs, credentials=api_key(value)), ctx()), Stage.AUTH)
    assert (Status.FAIL, [code]) == (auth.status, codes(auth))
    assert quoted in auth.findings[0].message
    assert "output.elasticsearch.api_key" == auth.findings[0].setting


def test_encoded_key_hint_names_only_the_id(make_es, certs, ctx) -> None:
    es = make_es()
    key = es.create_api_key("writer", "k")
    auth = stage(probe(target(es, certs=certs, credentials=api_key(key["encoded"])), ctx()), Stage.AUTH)
    finding = auth.findings[0]
    assert key["id"] in finding.message and key["id"] in finding.hint
    assert key["api_key"] not in finding.message + finding.hint


def test_api_keys_disabled_on_7x_without_tls(make_es, ctx) -> None:
    """7.x turns the API key service on only with HTTPS: the ApiKey header is ignored."""
    es = make_es("7.17", tls=None)
    key = es.create_api_key("writer", "k")
    auth = stage(probe(target(es, credentials=api_key(f"{key['id']}:{key['api_key']}")), ctx()), Stage.AUTH)
    assert ["auth-api-keys-disabled"] == codes(auth)


# --- PKI failures -------------------------------------------------------------------------------------


def test_pki_certificate_without_role_mapping(make_es, certs, ctx) -> None:
    """The certificate authenticates but maps to no role: the DN line to add, and privileges fail."""
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    report = probe(target(es, certs=certs, client=certs.client), ctx())
    auth = stage(report, Stage.AUTH)
    assert (Status.WARN, ["auth-pki-no-roles"]) == (auth.status, codes(auth))
    assert BEATS01_DN in auth.findings[0].message
    assert f'"{BEATS01_DN}"' in auth.findings[0].hint and "role_mapping" in auth.findings[0].hint
    privileges = stage(report, Stage.PRIVILEGES)
    assert Status.FAIL == privileges.status
    assert {"cluster:monitor", "index:metricbeat-*:create_doc"} <= set(privileges.details["missing"])


def test_pki_realm_missing(make_es, certs, ctx) -> None:
    """The certificate is sent but no PKI realm takes it: 401, with the DN and user name it would have."""
    es = make_es(tls=certs.mtls("optional"), pki_realm=False)
    auth = stage(probe(target(es, certs=certs, client=certs.client), ctx()), Stage.AUTH)
    assert (Status.FAIL, ["auth-pki-not-accepted"]) == (auth.status, codes(auth))
    message = auth.findings[0].message
    assert BEATS01_DN in message and "'beats01'" in message and "did not ask" not in message


def test_pki_certificate_never_requested(make_es, certs, ctx) -> None:
    """client_authentication none: the server never asks, so the certificate is never sent."""
    es = make_es(tls=certs.tls(), pki_realm=True)
    report = probe(target(es, certs=certs, client=certs.client), ctx())
    auth = stage(report, Stage.AUTH)
    assert ["auth-pki-not-accepted"] == codes(auth)
    assert "did not ask for a client certificate" in auth.findings[0].message


def test_pki_dn_without_cn(make_es, certs, ctx) -> None:
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    auth = stage(probe(target(es, certs=certs, client=certs.client_no_cn), ctx()), Stage.AUTH)
    assert ["auth-pki-not-accepted"] == codes(auth)
    assert "OU=ops, O=acme" in auth.findings[0].message and "finds no user name" in auth.findings[0].message


# --- security off --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flavour", "said"), [("8.x", "no handler found"), ("7.17", "Security must be explicitly "
                                                                                     "enabled")])
def test_security_disabled(make_es, certs, ctx, flavour: str, said: str) -> None:
    """Security off: a warning (method none) and privileges not applicable."""
    es = make_es(flavour, security=False)
    report = probe(target(es, certs=certs, credentials=basic("writer", WRITER_PW)), ctx())
    auth, privileges = stage(report, Stage.AUTH), stage(report, Stage.PRIVILEGES)
    assert (Status.WARN, ["auth-security-disabled"], "none") == (auth.status, codes(auth), auth.details["method"])
    assert said in auth.findings[0].message and "not checked" in auth.findings[0].message
    assert (Status.SKIPPED, False) == (privileges.status, privileges.applicable)
    assert privileges.summary.startswith("not applicable: security is disabled")


def test_api_key_header_is_base64_of_the_raw_key(make_es, certs, ctx) -> None:
    """What reaches the server is exactly ApiKey base64(id:key): the stand-in authenticates it."""
    es = make_es()
    key = es.create_api_key("writer", "k")
    probe(target(es, certs=certs, credentials=api_key(f"{key['id']}:{key['api_key']}")), ctx())
    assert all(r.principal == "writer" for r in es.requests)
    assert base64.b64encode(f"{key['id']}:{key['api_key']}".encode()).decode() == key["encoded"]


def test_pki_certificate_the_beat_withholds(make_es, certs, ctx) -> None:
    """The server's acceptable-CA list does not lead to the certificate's issuer: Go sends none; auth says so."""
    from esprobe.demo.standins import pki

    foreign = pki.CertAuthority.root("Foreign CA").issue(subject=pki.name("beats01", o="acme"),
                                                          extended_key_usage=[pki.CLIENT_AUTH])
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    report = probe(target(es, certs=certs, client=foreign), ctx())
    auth = stage(report, Stage.AUTH)
    assert ["auth-pki-not-accepted"] == codes(auth)
    assert ["tls-client-cert-not-sent"] == codes(stage(report, Stage.TLS))
    assert "does not send this one" in auth.findings[0].message
    assert "CN=beats01, O=acme" in auth.findings[0].message
