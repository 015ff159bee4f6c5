"""The stand-in stack for probing targets directly: certificates made at test time, the stand-in
Elasticsearch and Kibana over real TLS (and plain HTTP), targets built as the config reader builds
them, and a hosts file that maps the test names to 127.0.0.1. Probes run the real pipeline.
The fixtures (certs, ctx, make_es, make_kibana) are in tests/conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

from esprobe.context import ProbeContext
from esprobe.demo.standins import pki
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.server import TlsConfig
from esprobe.model import Credentials, PemSource, Role, Stage, StageResult, Target, TargetReport, TlsSettings
from esprobe.probe.pipeline import STEPS
from esprobe.probe.runner import probe_target

# Canary secrets: every one of them must stay out of every rendering (see test_secrets.py).
WRITER_PW = "Canary-writer-Pw-8c1e"
ELASTIC_PW = "Canary-elastic-Pw-44b0"
NOMON_PW = "Canary-nomon-Pw-91d7"
NOCREATE_PW = "Canary-nocreate-Pw-2aa3"
MINIMAL_PW = "Canary-minimal-Pw-7e52"
MONITOR_PW = "Canary-monitor-Pw-c3f9"
NOROLES_PW = "Canary-noroles-Pw-5d18"

# How Elasticsearch's PKI realm writes the test client certificate's subject (Java's X500Principal form).
BEATS01_DN_FORM = "CN=beats01, OU=ops, O=acme, C=US"

WRITER_ROLE = {
    "cluster": ["monitor", "read_ilm", "read_pipeline"],
    "indices": [{"names": ["metricbeat-*", "filebeat-*"],
                 "privileges": ["create_doc", "auto_configure", "view_index_metadata"]}],
}


@dataclass(frozen=True)
class Certs:
    ca: pki.CertAuthority
    server: pki.Issued
    client: pki.Issued  # /C=US/O=acme/OU=ops/CN=beats01, issued by the intermediate
    client_no_cn: pki.Issued  # /O=acme/OU=ops only: the default username_pattern finds nothing
    ca_file: Path

    def tls(self, **options: Any) -> TlsConfig:
        return TlsConfig.from_issued(self.server, **options)

    def mtls(self, client_auth: str = "optional", **options: Any) -> TlsConfig:
        return self.tls(client_auth=client_auth, client_ca_pem=self.ca.cert_pem, **options)


def populate(es: FakeElasticsearch) -> FakeElasticsearch:
    es.add_role("metricbeat_writer", **WRITER_ROLE)
    es.add_role("writer_no_monitor", cluster=["read_ilm"],
                indices=[{"names": ["metricbeat-*"], "privileges": ["create_doc", "auto_configure"]}])
    es.add_role("writer_no_create_doc", cluster=["monitor", "read_ilm"],
                indices=[{"names": ["metricbeat-*"], "privileges": ["auto_configure", "view_index_metadata"]}])
    es.add_role(
        "writer_minimal", cluster=["monitor"], indices=[{"names": ["metricbeat-*"], "privileges": ["create_doc"]}]
    )
    es.add_role("beats_monitoring", cluster=["monitor"],
                indices=[{"names": [".monitoring-beats-*"], "privileges": ["create_index", "create_doc"]}])
    es.add_user("elastic", ELASTIC_PW, roles=["superuser"], reserved=True)
    es.add_user("writer", WRITER_PW, roles=["metricbeat_writer"])
    es.add_user("nomon", NOMON_PW, roles=["writer_no_monitor"])
    es.add_user("nocreate", NOCREATE_PW, roles=["writer_no_create_doc"])
    es.add_user("minimal", MINIMAL_PW, roles=["writer_minimal"])
    es.add_user("monitor_user", MONITOR_PW, roles=["beats_monitoring"])
    es.add_user("noroles", NOROLES_PW, roles=[])
    return es


_PREFIX = {Role.ELASTICSEARCH: "output.elasticsearch", Role.KIBANA: "setup.kibana",
           Role.MONITORING: "monitoring.elasticsearch"}


def basic(username: str, password: str, source: str = "output.elasticsearch",
          setting: str = "output.elasticsearch.password") -> Credentials:
    return Credentials("basic", username, password, None, source, setting)


def api_key(value: str, prefix: str = "output.elasticsearch") -> Credentials:
    return Credentials("api_key", None, None, value, prefix, f"{prefix}.api_key")


def tls_settings(certs: Certs, prefix: str, client: Optional[pki.Issued] = None) -> TlsSettings:
    ca = PemSource(f"{prefix}.certificate_authorities.0", str(certs.ca_file), certs.ca.cert_pem)
    if client is None:
        return TlsSettings(prefix=prefix, certificate_authorities=(ca,))
    return TlsSettings(
        prefix=prefix,
        certificate_authorities=(ca,),
        certificate=PemSource(f"{prefix}.certificate", "/etc/metricbeat/client.crt", client.chain_pem),
        key=PemSource(f"{prefix}.key", "/etc/metricbeat/client.key", client.key_pem()),
    )


def target(server: Any, *, role: Role = Role.ELASTICSEARCH, credentials: Optional[Credentials] = None,
           host: str = "es.test", scheme: Optional[str] = None, client: Optional[pki.Issued] = None,
           certs: Optional[Certs] = None, path: str = "", space: Optional[str] = None,
           index_pattern: str = "metricbeat-*", port: Optional[int] = None) -> Target:
    """A target as the config reader builds it for *server* (a stand-in, or anything with .port and .tls)."""
    prefix = _PREFIX[role]
    if scheme is None:
        scheme = (
            "https"
            if getattr(server, "tls", None) is not None or getattr(getattr(server, "server", None), "tls", None)
            else "http"
        )
    port = port or server.port
    url = f"{scheme}://{host}:{port}{path}"
    tls = tls_settings(certs, f"{prefix}.ssl", client) if scheme == "https" and certs is not None else None
    creds = credentials or Credentials()
    if client is not None and creds.method == "none":
        creds = Credentials("pki", source="client certificate", setting=f"{prefix}.ssl.certificate")
    return Target(
        id="kibana" if role is Role.KIBANA else f"{role.value}[0]",
        role=role, url=url, scheme=scheme, host=host, port=port, path=path, tls=tls, credentials=creds,
        setting=f"{prefix}.host" if role is Role.KIBANA else f"{prefix}.hosts.0",
        index_pattern=index_pattern if role is Role.ELASTICSEARCH else None,
        space_id=space,
        headers=(("Elastic-Api-Version", "2023-10-31"),) if role is Role.KIBANA else (),
    )


def probe(t: Target, context: ProbeContext) -> TargetReport:
    return probe_target(t, context, steps=STEPS)


def stage(report: TargetReport, which: Stage) -> StageResult:
    for result in report.stages:
        if result.stage is which:
            return result
    raise AssertionError(f"no {which} stage")


def codes(result: StageResult) -> List[str]:
    return [f.code for f in result.findings]
