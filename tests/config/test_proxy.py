"""The proxy path: Go's choice of proxy (pure, table-driven), then CONNECT through a real loopback proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest

from esprobe.config.proxy import choose_proxy
from esprobe.context import Deadline, ProbeContext
from esprobe.demo.standins import pki
from esprobe.demo.standins.server import LoopbackServer, Response, TlsConfig
from esprobe.model import PemSource, ProxySettings, Role, Stage, Status, Target, TlsSettings
from esprobe.probe import runner
from esprobe.probe.pipeline import STEPS
from tests.support.peers import ConnectProxy, refused_port

NO_PROXY_SETTINGS = ProxySettings()


def _target(url: str = "https://es.example.com:9200", role: Role = Role.ELASTICSEARCH,
            proxy: ProxySettings = NO_PROXY_SETTINGS) -> Target:
    scheme, rest = url.split("://")
    host, _, port = rest.rpartition(":")
    return Target(id="elasticsearch[0]", role=role, url=url, scheme=scheme, host=host.strip("[]"), port=int(port),
                  proxy=proxy)


@pytest.mark.parametrize(
    ("url", "proxy", "environ", "expected"),
    [
        ("https://es.example.com:9200", ProxySettings(), {}, None),
        ("https://es.example.com:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://es.example.com:9200", ProxySettings(), {"https_proxy": "p:3128"}, "http://p:3128"),
        (
            "https://es.example.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://up:1", "https_proxy": "http://low:2"},
            "http://up:1",
        ),
        ("https://es.example.com:9200", ProxySettings(), {"HTTP_PROXY": "http://p:3128"}, None),
        ("http://es.example.com:9200", ProxySettings(), {"HTTP_PROXY": "http://p:3128"}, "http://p:3128"),
        (
            "https://es.example.com:9200",
            ProxySettings(url="http://cfg:8080"),
            {"HTTPS_PROXY": "http://env:1"},
            "http://cfg:8080",
        ),
        (
            "https://es.example.com:9200",
            ProxySettings(url="http://cfg:8080", disable=True),
            {"HTTPS_PROXY": "http://p:1"},
            None,
        ),
        ("https://es.example.com:9200", ProxySettings(disable=True), {"HTTPS_PROXY": "http://p:1"}, None),
        ("https://localhost:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1"}, None),
        ("https://LOCALHOST:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1"}, "http://p:1"),
        ("https://127.0.0.5:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1"}, None),
        ("https://[::1]:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1"}, None),
        # IPv4-mapped addresses are their IPv4 address to Go (net.IP.To4), on every Python
        ("https://[::ffff:127.0.0.1]:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1"}, None),
        ("https://[::ffff:10.0.0.1]:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.1"},
         None),
        ("https://10.0.0.1:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "::ffff:10.0.0.1"},
         None),
        ("https://[::ffff:10.0.0.1]:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"},
         None),
        ("https://[::ffff:10.0.0.1]:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.2"},
         "http://p:1"),
        ("https://127.0.0.5:9200", ProxySettings(url="http://cfg:8080"), {}, "http://cfg:8080"),
        ("https://es.example.com:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, None),
        (
            "https://es.example.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"},
            None,
        ),
        ("https://example.com:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, None),
        (
            "https://example.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"},
            "http://p:1",
        ),
        (
            "https://es.example.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"},
            None,
        ),
        (
            "https://es.example.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://p:1", "no_proxy": "es.example.com:9201"},
            "http://p:1",
        ),
        (
            "https://es.example.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://p:1", "no_proxy": "es.example.com:9200"},
            None,
        ),
        ("https://10.1.2.3:9200", ProxySettings(), {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, None),
        (
            "https://myexample.com:9200",
            ProxySettings(),
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"},
            "http://p:1",
        ),
    ],
)
def test_choose_proxy_follows_go(url: str, proxy: ProxySettings, environ: dict, expected: Optional[str]) -> None:
    route, why = choose_proxy(_target(url, proxy=proxy), environ)
    assert (route.display if route else None) == expected, why


def test_logstash_is_never_http_proxied() -> None:
    route, why = choose_proxy(_target("tcp://ls.example.com:5044", role=Role.LOGSTASH), {"HTTPS_PROXY": "http://p:1"})
    assert route is None and "Logstash" in why


def test_proxy_credentials_come_from_the_url() -> None:
    route, _ = choose_proxy(_target(proxy=ProxySettings(url="http://us%40r:p%3Ass@cfg:8080")), {})
    assert route is not None and (route.username, route.password) == ("us@r", "p:ss")
    assert "p:ss" not in route.display and "p:ss" not in repr(route)


# --- through a real proxy ------------------------------------------------------------------------------

HOST = "es.internal.test"


@pytest.fixture(scope="module")
def es_server():  # type: ignore[no-untyped-def]
    root = pki.CertAuthority.root()
    leaf = root.issue(dns=[HOST])
    with LoopbackServer(lambda r: Response.json(200, {"ok": True}), tls=TlsConfig.from_issued(leaf)) as server:
        yield server, root


def _probe(tmp_path: Path, port: int, ca: bytes, proxy: ProxySettings, environ: Optional[dict] = None):  # type: ignore[no-untyped-def]
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 proxy.test\n")  # the target's name is NOT here: only the proxy knows it
    (tmp_path / "nsswitch.conf").write_text("hosts: files\n")
    tls = TlsSettings(
        prefix="output.elasticsearch.ssl",
        certificate_authorities=(PemSource("output.elasticsearch.ssl.certificate_authorities.0", None, ca),),
    )
    target = Target(id="elasticsearch[0]", role=Role.ELASTICSEARCH, url=f"https://{HOST}:{port}", scheme="https",
                    host=HOST, port=port, tls=tls, proxy=proxy, setting="output.elasticsearch.hosts.0")
    ctx = ProbeContext(timeout=3, deadline=Deadline(12), hosts_file=str(hosts), hosts_file_overridden=True,
                       nameservers=(("127.0.0.1", 1),), nsswitch_conf=str(tmp_path / "nsswitch.conf"),
                       environ=environ or {})
    return runner.probe_target(target, ctx, steps=STEPS[:4])


def _stage(report, which):  # type: ignore[no-untyped-def]
    return next(s for s in report.stages if s.stage is which)


def test_https_through_proxy_url(tmp_path: Path, es_server: Any) -> None:
    """proxy_url: dns resolves the proxy, tcp opens a CONNECT tunnel, TLS to the target runs through it."""
    server, root = es_server
    with ConnectProxy({HOST: "127.0.0.1"}) as proxy:
        report = _probe(tmp_path, server.port, root.cert_pem,
                        ProxySettings(url=f"http://proxy.test:{proxy.port}"))
    dns, tcp, tls = (_stage(report, s) for s in (Stage.DNS, Stage.TCP, Stage.TLS))
    assert dns.details["route"]["path"] == "proxy"
    assert f"{HOST} is resolved by the proxy" in dns.summary
    assert tcp.status is Status.OK and f"CONNECT {HOST}:{server.port} → 200" in tcp.summary
    assert tls.status is Status.OK, tls.findings
    assert proxy.requests == [f"CONNECT {HOST}:{server.port} HTTP/1.1"]


def test_https_through_environment_proxy(tmp_path: Path, es_server: Any) -> None:
    """HTTPS_PROXY is honoured by default, and the route says so."""
    server, root = es_server
    with ConnectProxy({HOST: "127.0.0.1"}) as proxy:
        report = _probe(tmp_path, server.port, root.cert_pem, ProxySettings(),
                        environ={"HTTPS_PROXY": f"proxy.test:{proxy.port}"})
    assert _stage(report, Stage.DNS).details["route"]["source"] == "HTTPS_PROXY"
    assert _stage(report, Stage.TLS).status is Status.OK


def test_proxy_disable_goes_direct(tmp_path: Path, es_server: Any) -> None:
    """proxy_disable: the target is resolved and dialled directly (and here its name is unknown)."""
    server, root = es_server
    with ConnectProxy({HOST: "127.0.0.1"}) as proxy:
        report = _probe(tmp_path, server.port, root.cert_pem, ProxySettings(disable=True),
                        environ={"HTTPS_PROXY": f"http://proxy.test:{proxy.port}"})
    dns = _stage(report, Stage.DNS)
    assert dns.details["route"] == {"path": "direct", "why": "proxy_disable is true"}
    assert dns.status is Status.FAIL
    assert proxy.requests == []


def test_proxy_refusing_connections(tmp_path: Path, es_server: Any) -> None:
    """A proxy that is down: proxy-unreachable, and the target is never tried directly."""
    server, root = es_server
    report = _probe(tmp_path, server.port, root.cert_pem, ProxySettings(url=f"http://proxy.test:{refused_port()}"))
    assert [f.code for f in _stage(report, Stage.TCP).findings] == ["proxy-unreachable"]
    assert _stage(report, Stage.TLS).status is Status.SKIPPED


def test_proxy_denying_connect(tmp_path: Path, es_server: Any) -> None:
    """A proxy whose rules forbid the port: proxy-connect-denied with its status line."""
    server, root = es_server
    with ConnectProxy({HOST: "127.0.0.1"}, denied_ports=(server.port,)) as proxy:
        report = _probe(tmp_path, server.port, root.cert_pem, ProxySettings(url=f"http://proxy.test:{proxy.port}"))
    tcp = _stage(report, Stage.TCP)
    assert [f.code for f in tcp.findings] == ["proxy-connect-denied"]
    assert "403 Forbidden" in tcp.findings[0].message


def test_proxy_wanting_credentials(tmp_path: Path, es_server: Any) -> None:
    """407 without credentials; with the right userinfo in proxy_url the tunnel opens; the secret stays out."""
    server, root = es_server
    with ConnectProxy({HOST: "127.0.0.1"}, credentials="pxuser:pxs3cr3t-canary") as proxy:
        refused = _probe(tmp_path, server.port, root.cert_pem, ProxySettings(url=f"http://proxy.test:{proxy.port}"))
        allowed = _probe(tmp_path, server.port, root.cert_pem,
                         ProxySettings(url=f"http://pxuser:pxs3cr3t-canary@proxy.test:{proxy.port}"))
    assert [f.code for f in _stage(refused, Stage.TCP).findings] == ["proxy-auth-required"]
    assert _stage(allowed, Stage.TLS).status is Status.OK
    assert "pxs3cr3t-canary" not in repr(allowed) + repr(refused)


def test_plain_http_through_proxy_uses_absolute_form(tmp_path: Path) -> None:
    """http:// through proxy_url: requests go to the proxy in absolute form and reach Elasticsearch."""
    from esprobe.demo.standins.elasticsearch import FakeElasticsearch
    from esprobe.model import Credentials

    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 proxy.test\n")
    (tmp_path / "nsswitch.conf").write_text("hosts: files\n")
    with FakeElasticsearch() as es, ConnectProxy({HOST: "127.0.0.1"}, credentials="px:px-Canary-77") as proxy:
        es.add_user("writer", "Writer-Canary-91", ["superuser"])
        target = Target(
            id="elasticsearch[0]",
            role=Role.ELASTICSEARCH,
            url=f"http://{HOST}:{es.port}",
            scheme="http",
            host=HOST,
            port=es.port,
            setting="output.elasticsearch.hosts.0",
            credentials=Credentials("basic", "writer", "Writer-Canary-91", source="output.elasticsearch"),
            proxy=ProxySettings(url=f"http://px:px-Canary-77@proxy.test:{proxy.port}"),
            index_pattern="metricbeat-*",
        )
        ctx = ProbeContext(timeout=3, deadline=Deadline(12), hosts_file=str(hosts), hosts_file_overridden=True,
                           nameservers=(("127.0.0.1", 1),), nsswitch_conf=str(tmp_path / "nsswitch.conf"))
        report = runner.probe_target(target, ctx, steps=STEPS)
    statuses = {s.stage: s.status for s in report.stages}
    # credentials over http:// are a warning wherever they go; through the proxy they do arrive
    assert [f.code for f in _stage(report, Stage.HTTP).findings] == ["http-credentials-cleartext"]
    assert statuses[Stage.AUTH] is Status.OK
    assert proxy.requests[0] == f"GET http://{HOST}:{es.port}/ HTTP/1.1"
    assert "through it" in _stage(report, Stage.TCP).summary
