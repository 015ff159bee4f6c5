"""No secret in any rendering: canary passwords and API keys through every failing and passing path."""

from __future__ import annotations

import base64
import json
from typing import List

from esprobe.model import ConfigInfo, Credentials, Report, Role
from esprobe.render.json import render_json
from esprobe.render.nagios import render_nagios
from esprobe.render.prometheus import render_prometheus
from esprobe.render.table import render_table
from tests.support.schema import validate_report
from tests.support.standins import NOMON_PW, WRITER_PW, api_key, basic, probe, target

WRONG_PW = "Canary-wrong-Pw-0b6d"
USERINFO_PW = "Canary-userinfo-Pw-e271"
KIBANA_PW = "Canary-kibana-Pw-93aa"


def _forms(secret: str) -> List[str]:
    """A secret and the forms in which it could leak (the headers carry base64)."""
    return [secret, base64.b64encode(secret.encode()).decode()]


def test_no_secret_in_any_rendering(make_es, make_kibana, certs, ctx) -> None:
    es = make_es()
    plain = make_es(tls=None)
    kibana = make_kibana(es, "8.15")
    good = es.create_api_key("writer", "good")
    dead = es.create_api_key("writer", "dead")
    es.invalidate_api_key(dead["id"])
    limited = es.create_api_key("writer", "ro", role_descriptors={"ro": {"cluster": ["monitor"]}})
    key = lambda k: f"{k['id']}:{k['api_key']}"  # noqa: E731
    targets = [
        target(es, certs=certs, credentials=basic("writer", WRITER_PW)),
        target(es, certs=certs, credentials=basic("writer", WRONG_PW)),
        target(es, certs=certs, credentials=basic("nomon", NOMON_PW)),
        target(es, certs=certs, credentials=Credentials("basic", "writer", USERINFO_PW, None, "URL userinfo",
                                                        "output.elasticsearch.hosts.0")),
        target(es, certs=certs, credentials=api_key(key(good))),
        target(es, certs=certs, credentials=api_key(good["encoded"])),
        target(es, certs=certs, credentials=api_key(good["api_key"])),
        target(es, certs=certs, credentials=api_key(key(dead))),
        target(es, certs=certs, credentials=api_key(key(limited))),
        target(es, certs=certs, scheme="http", credentials=basic("writer", WRITER_PW)),
        target(plain, credentials=api_key(key(good))),
        target(kibana, role=Role.KIBANA, host="kibana.test", certs=certs, credentials=Credentials(
            "basic", "writer", KIBANA_PW, None, "fallback from output.elasticsearch", "output.elasticsearch.password")),
        target(kibana, role=Role.KIBANA, host="kibana.test", certs=certs,
               credentials=api_key(good["encoded"], "setup.kibana")),
        target(es, certs=certs, client=certs.client),
    ]
    reports = tuple(probe(t, ctx()) for t in targets)
    report = Report("0.1.0", "2026-01-01T00:00:00Z", 1.0, ConfigInfo("/etc/metricbeat/metricbeat.yml", "metricbeat"),
                    (), reports)
    validate_report(json.loads(render_json(report)))  # every shape the three stages produce fits the schema
    rendered = "\n".join([render_json(report), render_table(report), render_nagios(report), render_prometheus(report)])
    secrets = [WRITER_PW, WRONG_PW, NOMON_PW, USERINFO_PW, KIBANA_PW, good["api_key"], dead["api_key"],
               limited["api_key"], good["encoded"], key(good), key(dead)]
    secrets += [f"{user}:{pw}" for user, pw in (("writer", WRITER_PW), ("writer", WRONG_PW), ("nomon", NOMON_PW))]
    leaked = [form for secret in secrets for form in _forms(secret) if form in rendered]
    assert [] == leaked
    # the renderings are not empty of what matters: the findings were produced
    for code in ("auth-wrong-password", "auth-api-key-encoded", "auth-api-key-no-colon", "auth-api-key-invalidated",
                 "privileges-missing-required", "http-plaintext-to-tls", "http-credentials-cleartext"):
        assert code in rendered
    private_key = certs.client.key_pem().decode().splitlines()[1]
    assert private_key not in rendered
