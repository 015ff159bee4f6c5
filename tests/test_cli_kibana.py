"""
Issue #17, point 6, against the loopback stack: Kibana does not inherit the output's ssl settings,
and the Kibana privileges of the Beat's `setup` are asked of Elasticsearch (_has_privileges with the
Kibana application privileges of the space), with Kibana's credentials.
"""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from esprobe.demo.standins.kibana import Space
from tests.support.cli import WRITER_PASSWORD, Stack, start_stack
from tests.support.schema import validate_report

SETUP_PASSWORD = "Kibana-setup-canary-91ab"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for stack in start_stack(tmp_path_factory.mktemp("cli-kibana")):
        stack.kibana.add_space(Space("marketing", "Marketing"))
        # A user whose Kibana role lets it build dashboards in the marketing space only, and one with
        # no Kibana privileges at all.
        stack.es.add_role("marketing_dashboards", applications=[{
            "application": "kibana-.kibana", "resources": ["space:marketing"],
            "privileges": ["feature_dashboard.all", "feature_visualize.all", "feature_discover.all",
                           "feature_indexPatterns.all"]}])
        stack.es.add_user("marketing_setup", SETUP_PASSWORD, ["marketing_dashboards"])
        stack.es.add_user("no_kibana", SETUP_PASSWORD, ["metricbeat_writer"])
        yield stack


def _config(stack: Stack, *kibana: str, output_ssl: bool = True, kibana_ssl: bool = True) -> str:
    lines = ["output.elasticsearch:", f'  hosts: ["https://es.test:{stack.es.port}"]',
             "  username: beats_writer", '  password: "${ES_PWD}"']
    if output_ssl:
        lines.append(f'  ssl.certificate_authorities: ["{stack.ca_file}"]')
    lines += ["setup.kibana:", f'  host: "https://kibana.test:{stack.kibana.port}"']
    if kibana_ssl:
        lines.append(f'  ssl.certificate_authorities: ["{stack.ca_file}"]')
    lines += [f"  {line}" for line in kibana]
    return str(stack.config("\n".join(lines) + "\n"))


def _kibana(stack: Stack, config: str, **environ: str) -> dict:
    result = stack.run("-c", config, "--format", "json", environ={"ES_PWD": WRITER_PASSWORD, **environ})
    document = json.loads(result.out)
    validate_report(document)
    return next(t for t in document["targets"] if t["id"] == "kibana")


def _stage(target: dict, name: str) -> dict:
    return next(s for s in target["stages"] if s["stage"] == name)


def test_kibana_does_not_inherit_the_outputs_ssl(stack: Stack) -> None:
    kibana = _kibana(stack, _config(stack, kibana_ssl=False, output_ssl=True),
                     SSL_CERT_FILE=str(stack.directory / "no-such-bundle.pem"))
    tls = _stage(kibana, "tls")
    codes = [f["code"] for f in tls["findings"]]
    assert codes[0] == "tls-kibana-ssl-not-inherited", codes
    assert tls["status"] == "fail"
    note = tls["findings"][0]
    assert "output.elasticsearch.ssl is configured, but the Beat's Kibana client does not inherit it" in note["message"]
    assert "setup.kibana.ssl" in note["hint"]


def test_no_note_when_setup_kibana_has_its_own_ssl(stack: Stack) -> None:
    kibana = _kibana(stack, _config(stack))
    assert kibana["status"] == "ok", [(s["stage"], s["summary"]) for s in kibana["stages"]]
    privileges = _stage(kibana, "privileges")
    # the setup privileges were asked of Elasticsearch, for the default space
    assert "kibana:space:default:saved_object:dashboard/bulk_create" in privileges["details"]["checked"]
    assert privileges["details"]["missing"] == []


def test_setup_privileges_missing_in_the_space_are_named(stack: Stack) -> None:
    config = _config(stack, "username: no_kibana", 'password: "${KB_PWD}"')
    stack.es.clear_requests()
    kibana = _kibana(stack, config, KB_PWD=SETUP_PASSWORD)
    # Kibana's own credentials went to Elasticsearch's _has_privileges (over the verified connection)
    assert any(r.path == "/_security/user/_has_privileges" and r.principal == "no_kibana" for r in stack.es.requests)
    privileges = _stage(kibana, "privileges")
    assert privileges["status"] == "warn"
    [finding] = [f for f in privileges["findings"] if f["code"] == "privileges-kibana-setup-missing"]
    assert "saved_object:dashboard/bulk_create" in finding["message"] and "space:default" in finding["message"]
    assert finding["setting"] == "setup.kibana.password"  # the credentials setting, as for the output
    assert '"resources":["space:default"]' in finding["hint"]
    assert "kibana:space:default:login:" in privileges["details"]["missing"]


def test_setup_privileges_follow_the_space(stack: Stack) -> None:
    """A role for the marketing space is enough there, and not in the default space."""
    marketing = _config(stack, "username: marketing_setup", 'password: "${KB_PWD}"', "space.id: marketing")
    in_marketing = _stage(_kibana(stack, marketing, KB_PWD=SETUP_PASSWORD), "privileges")
    assert in_marketing["status"] == "ok", in_marketing
    assert in_marketing["details"]["missing"] == []
    default = _config(stack, "username: marketing_setup", 'password: "${KB_PWD}"')
    in_default = _stage(_kibana(stack, default, KB_PWD=SETUP_PASSWORD), "privileges")
    assert [f["code"] for f in in_default["findings"]] == ["privileges-kibana-setup-missing"]


def test_setup_privileges_unchecked_when_elasticsearch_cannot_be_asked(stack: Stack) -> None:
    """The output's host fails its TLS check: Kibana's credentials do not go there, and the report says so."""
    kibana = _kibana(stack, _config(stack, output_ssl=False), SSL_CERT_FILE=str(stack.directory / "none.pem"))
    privileges = _stage(kibana, "privileges")
    [finding] = [f for f in privileges["findings"] if f["code"] == "privileges-check-failed"]
    assert "could not ask https://es.test" in finding["message"] and "its tls stage" in finding["message"]


def test_setup_privileges_asked_over_one_connection_verified_before_kibanas_credentials(stack: Stack) -> None:
    """
    The connection to Elasticsearch is opened and verified alongside Kibana's own stages; Kibana's
    credentials go over it only afterwards: its `GET /` and `_has_privileges`, on that one connection.
    """
    config = _config(stack, "username: marketing_setup", 'password: "${KB_PWD}"', "space.id: marketing")
    stack.es.clear_requests()
    kibana = _kibana(stack, config, KB_PWD=SETUP_PASSWORD)
    assert _stage(kibana, "privileges")["status"] == "ok"
    asked = [r for r in stack.es.requests if r.principal == "marketing_setup"]
    assert [(r.method, r.path) for r in asked] == [("GET", "/"), ("POST", "/_security/user/_has_privileges")]
    assert len({r.connection_id for r in asked}) == 1


def test_kibanas_credentials_never_reach_elasticsearch_when_kibanas_own_auth_fails(stack: Stack) -> None:
    """The Elasticsearch connection was opened early, but a Kibana that refuses the identity stops it there."""
    config = _config(stack, "username: marketing_setup", 'password: "${KB_PWD}"')
    stack.es.clear_requests()
    kibana = _kibana(stack, config, KB_PWD="not-" + SETUP_PASSWORD)
    assert _stage(kibana, "auth")["status"] == "fail"
    assert _stage(kibana, "privileges")["status"] == "skipped"
    # Only the output's own identity spoke to Elasticsearch: no request carried Kibana's (wrong) password.
    assert stack.es.requests and {r.principal for r in stack.es.requests} == {"beats_writer"}
