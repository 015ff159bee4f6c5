"""Reports built by hand, with awkward data, for renderer tests that need no sockets."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from esprobe.findings import make
from esprobe.model import (
    ConfigInfo,
    Finding,
    Report,
    Role,
    Severity,
    Stage,
    StageResult,
    Target,
    TargetReport,
    not_applicable,
    skipped,
    stage_result,
)


def cert(
    subject: str = "CN=es1.example.com", days_left: int = 87, not_after: str = "2027-02-24T16:00:00Z"
) -> Dict[str, Any]:
    return {
        "subject": subject, "issuer": "CN=Test CA", "serial": "1a2b", "not_before": "2026-01-01T00:00:00Z",
        "not_after": not_after, "days_left": days_left, "dns_sans": ["es1.example.com"], "ip_sans": [],
        "sha256": "ab" * 32, "key": "EC P-256", "signature_algorithm": "ecdsa-with-SHA256", "is_ca": False,
    }


def target(id: str = "elasticsearch[0]", role: Role = Role.ELASTICSEARCH, url: str = "https://es1.example.com:9200",
           host: str = "es1.example.com", port: int = 9200) -> Target:
    return Target(id=id, role=role, url=url, scheme=url.split(":", 1)[0], host=host, port=port,
                  setting="output.elasticsearch.hosts.0")


def healthy(t: Optional[Target] = None, client_days: Optional[int] = None) -> TargetReport:
    t = t or target()
    client = cert("CN=beats01", days_left=client_days) if client_days is not None else None
    stages = (
        _timed(
            stage_result(
                Stage.DNS,
                "es1 → 127.0.0.1 (hosts file)",
                details={"addresses": [{"address": "127.0.0.1", "family": "ipv4", "source": "hosts-file"}]},
            ),
            1.5,
        ),
        _timed(
            stage_result(
                Stage.TCP,
                "connected",
                details={"attempts": [{"address": "127.0.0.1", "outcome": "connected", "ms": 0.4}]},
            ),
            0.5,
        ),
        _timed(
            stage_result(
                Stage.TLS,
                "TLSv1.3, chain verified",
                details={
                    "protocol": "TLSv1.3",
                    "cipher": "TLS_AES_256_GCM_SHA384",
                    "trust": "configured-ca",
                    "trust_store_path": "/etc/metricbeat/ca.crt",
                    "chain": [cert(), cert("CN=Test CA", 3000)],
                    "client_certificate": client,
                },
            ),
            12.25,
        ),
        _timed(
            stage_result(
                Stage.HOSTNAME,
                "es1.example.com matches DNS SAN",
                details={"name": "es1.example.com", "mode": "full", "matched": True, "matched_by": "dns-san"},
            ),
            0.1,
        ),
        _timed(
            stage_result(
                Stage.HTTP,
                "Elasticsearch 8.15.0",
                details={"status_code": 200, "product": "elasticsearch", "version": "8.15.0"},
            ),
            5.0,
        ),
        _timed(
            stage_result(
                Stage.AUTH,
                "elastic via native",
                details={"method": "basic", "username": "elastic", "realm": "native1", "authentication_type": "realm"},
            ),
            3.0,
        ),
        _timed(stage_result(Stage.PRIVILEGES, "all present", details={"checked": ["monitor"], "missing": []}), 3.0),
    )
    return TargetReport(t, stages)


def _timed(result: StageResult, ms: float) -> StageResult:
    import dataclasses

    return dataclasses.replace(result, duration_ms=ms)


def failing_tls(t: Optional[Target] = None) -> TargetReport:
    t = t or target(id="kibana", role=Role.KIBANA, url="https://kb.example.com:5601", host="kb.example.com", port=5601)
    finding = Finding("tls-unknown-ca", Severity.FAIL,
                      "x509: certificate signed by unknown authority | ûnicôdé", "Set "
                                                                                 "setup.kibana.ssl.certificate_authorities.",
                      "setup.kibana.ssl.certificate_authorities")
    stages = (
        stage_result(Stage.DNS, "ok", details={"addresses": []}),
        stage_result(Stage.TCP, "connected", details={"attempts": []}),
        stage_result(Stage.TLS, "certificate signed by unknown authority", [finding]),
        skipped(Stage.HOSTNAME, "skipped: tls did not pass"),
        skipped(Stage.HTTP, "skipped: tls did not pass"),
        skipped(Stage.AUTH, "skipped: http did not pass"),
        skipped(Stage.PRIVILEGES, "skipped: auth did not pass"),
    )
    return TargetReport(t, stages)


def plain_http() -> TargetReport:
    t = target(id="monitoring[0]", role=Role.MONITORING, url="http://[::1]:9200", host="::1")
    stages = (
        stage_result(
            Stage.DNS, "IP literal", details={"addresses": [{"address": "::1", "family": "ipv6", "source": "system"}]}
        ),
        stage_result(
            Stage.TCP, "connected", details={"attempts": [{"address": "::1", "outcome": "connected", "ms": 0.2}]}
        ),
        not_applicable(Stage.TLS, "the URL is http://"),
        not_applicable(Stage.HOSTNAME, "the URL is http://"),
        stage_result(Stage.HTTP, "ok", details={"status_code": 200, "product": "elasticsearch", "version": "8.15.0"}),
        stage_result(
            Stage.AUTH,
            "credentials sent in clear text",
            [make("tcp-some-addresses-failed", "placeholder warning", setting="monitoring.elasticsearch.hosts.0")],
            details={
                "method": "basic",
                "username": "beats_system",
                "realm": "reserved",
                "authentication_type": "realm",
            },
        ),
        stage_result(Stage.PRIVILEGES, "ok", details={"checked": [], "missing": []}),
    )
    return TargetReport(t, stages)


def report(
    targets: Sequence[TargetReport],
    findings: Sequence[Finding] = (),
    status_path: str = "/etc/metricbeat/metricbeat.yml",
) -> Report:
    return Report(esprobe_version="0.1.0", started_at="2026-11-29T16:00:00Z", duration_ms=412.5,
                  config=ConfigInfo(status_path, "metricbeat"), findings=tuple(findings), targets=tuple(targets),
                  timestamp=1795968000.0)


# Reports of every shape the renderers must handle, by name (tests/render/).
REPORTS = {
    "healthy": report([healthy(client_days=20)]),
    "mixed": report([healthy(), failing_tls(), plain_http()]),
    "config-broken": report(
        [], [Finding("config-credentials-conflict", Severity.FAIL, "cannot set both api_key and username/password",
                     "Remove one.", "output.elasticsearch.api_key", "metricbeat.yml:7")]),
    "empty": report([]),
}
