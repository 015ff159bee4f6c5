"""From a Beat's YAML to verdicts: the three credential methods of the issue, for Elasticsearch and Kibana."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest

from esprobe.config import load_config
from esprobe.model import Role, Stage, Status, TargetReport
from esprobe.redact import Redactor
from tests.support.standins import BEATS01_DN_FORM, WRITER_PW, probe, stage


def _yaml(certs, es_port: int, kibana_port: int, auth: str, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    client_crt, client_key = certs.client.write(tmp_path, "client", chain=True)
    ssl_common = f"certificate_authorities: ['{certs.ca_file}']"
    blocks = {
        "basic": "  username: writer\n  password: ${pwd}\n",
        "api_key": "  api_key: ${key}\n",
        "pki": f"  ssl.certificate: {client_crt}\n  ssl.key: {client_key}\n",
    }
    text = (
        "output.elasticsearch:\n"
        f"  hosts: ['https://es.test:{es_port}']\n"
        f"  ssl.{ssl_common}\n"
        + blocks[auth]
        + "setup.kibana:\n"
        f"  host: 'https://kibana.test:{kibana_port}'\n"
        f"  ssl.{ssl_common}\n"
    )
    path = tmp_path / "metricbeat.yml"
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("method", ["basic", "api_key", "pki"])
def test_each_method_from_the_beats_yaml(make_es, make_kibana, certs, ctx, tmp_path: Path, method: str) -> None:
    """Who the Beat authenticates as and whether it may publish, read from the config the Beat reads."""
    es = make_es(tls=certs.mtls("optional"), pki_realm=True)
    es.map_pki(BEATS01_DN_FORM, ["metricbeat_writer"])
    kibana = make_kibana(es, "8.15")
    key = es.create_api_key("writer", "from-config")
    environ: Dict[str, str] = {"pwd": WRITER_PW, "key": f"{key['id']}:{key['api_key']}"}
    loaded = load_config([str(_yaml(certs, es.port, kibana.port, method, tmp_path))], environ=environ,
                         redactor=Redactor())
    assert [] == [f for f in loaded.findings if f.severity.value == "fail"]
    reports: List[TargetReport] = [probe(t, ctx(beat=loaded.beat)) for t in loaded.targets]
    by_role = {r.target.role: r for r in reports}
    es_auth = stage(by_role[Role.ELASTICSEARCH], Stage.AUTH)
    expected_user = "beats01" if method == "pki" else "writer"
    assert (method, expected_user) == (es_auth.details["method"], es_auth.details["username"])
    assert Status.OK == stage(by_role[Role.ELASTICSEARCH], Stage.PRIVILEGES).status
    kibana_auth = stage(by_role[Role.KIBANA], Stage.AUTH)
    if method == "pki":
        # setup.kibana has no client certificate and nothing to fall back to: Kibana 8.15 hides its version.
        assert ["http-kibana-status-redacted"] == [f.code for f in stage(by_role[Role.KIBANA], Stage.HTTP).findings]
    else:
        assert (Status.OK, "writer") == (kibana_auth.status, kibana_auth.details["username"])
        assert "fallback from output.elasticsearch" == kibana_auth.details["source"]
