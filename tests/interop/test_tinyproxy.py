"""
tinyproxy as the HTTP proxy between the Beat and Elasticsearch: ``proxy_url``, the proxy
environment variables, ``NO_PROXY``, ``proxy_disable``, a proxy that is down, CONNECT refused by
``ConnectPort`` rules, and ``BasicAuth``. Each case checks which path the report says the requests
take (the dns stage's ``details.route``) and which stage fails.

Target names. tinyproxy resolves the target itself with the system resolver, which the tests
cannot point at dnsmasq, and nothing may leave loopback. Through ``proxy_url`` everything is
proxied, so ``localhost`` would do; but from the environment Go never proxies ``localhost`` or a
loopback IP (golang.org/x/net/http/httpproxy ``useProxy``: an exact comparison with "localhost"
and ``net.ParseIP(host).IsLoopback()``). Debian's extra loopback names (``ip6-localhost``) are not
in every /etc/hosts (not on this gVisor machine, for one). So the target is **127.1**: Go's
``net.ParseIP`` rejects that short form, so Go treats it as a host *name* and proxies it, while
tinyproxy's getaddrinfo reads it numerically as 127.0.0.1 without any lookup, on every glibc
system. The server certificate carries ``127.1`` as a DNS name, which is how Go matches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.server import TlsConfig
from tests.support.cli import WRITER_ROLE
from tests.support.interop_probe import Verdict, es_config, run_esprobe
from tests.support.interop_servers import ServerProcess, Servers, free_port

pytestmark = pytest.mark.interop

TARGET = "127.1"  # proxied by Go from the environment, resolved to 127.0.0.1 by tinyproxy (see above)
DIRECT_NAME = "es.interop.test"  # only in esprobe's hosts file: for the cases that must go direct
PROXY_NAME = "proxy.interop.test"
USER = "beats_writer"
PASSWORD = "Interop-Proxy-Writer-2d7c"
PROXY_USER = "pxuser"
PROXY_PASSWORD = "Interop-Px-Secret-61f0"
AFTER_TCP = ("tls", "hostname", "http", "auth", "privileges")


@dataclass
class ProxyLab:
    directory: Path
    ca_file: Path
    hosts_file: Path
    dns: FakeDns
    es: FakeElasticsearch  # https
    plain_es: FakeElasticsearch  # http
    open_proxy: ServerProcess
    deny_proxy: ServerProcess  # ConnectPort 443 only: refuses every CONNECT here before resolving anything
    auth_proxy: ServerProcess  # BasicAuth

    def proxy_url(self, proxy: ServerProcess, userinfo: str = "") -> str:
        return f"http://{userinfo}{PROXY_NAME}:{proxy.port}"

    def probe(self, extra: Sequence[str] = (), environ: Optional[Mapping[str, str]] = None, host: str = TARGET,
              scheme: str = "https") -> Verdict:
        es = self.es if scheme == "https" else self.plain_es
        config = es_config(f"{scheme}://{host}:{es.port}", ca_file=self.ca_file if scheme == "https" else None,
                           username=USER, password_var="ES_PWD", extra=extra)
        return run_esprobe(self.directory, config, hosts_file=self.hosts_file, nameserver=self.dns.nameserver,
                           environ={"ES_PWD": PASSWORD, "PX_PWD": PROXY_PASSWORD, **(environ or {})})


@pytest.fixture(scope="module")
def lab(workdir: Path, dns_stub: FakeDns, servers: Servers) -> Iterator[ProxyLab]:
    ca = pki.CertAuthority.root("interop proxy CA")
    ca_file = workdir / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    hosts_file = workdir / "hosts"  # esprobe's: the proxy's name, and the name of the direct cases
    hosts_file.write_text(f"127.0.0.1 {PROXY_NAME} {DIRECT_NAME} localhost\n")
    leaf = ca.issue(TARGET, dns=[TARGET, "localhost", DIRECT_NAME])
    proxies = [servers.tinyproxy(name, directives) for name, directives in (
        ("open", ()),
        ("deny", ("ConnectPort 443",)),
        ("auth", (f"BasicAuth {PROXY_USER} {PROXY_PASSWORD}",)),
    )]
    with FakeElasticsearch(tls=TlsConfig.from_issued(leaf)) as es, FakeElasticsearch() as plain_es:
        for server in (es, plain_es):
            server.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
            server.add_user(USER, PASSWORD, ["metricbeat_writer"])
        yield ProxyLab(workdir, ca_file, hosts_file, dns_stub, es, plain_es, *proxies)


def _assert_all_ok(verdict: Verdict) -> None:
    assert verdict.code == 0, verdict.explain()
    assert set(verdict.statuses.values()) == {"ok"}, verdict.explain()


# --- through the proxy ------------------------------------------------------------------------------


def test_proxy_url_through_tinyproxy_passes_every_stage(lab: ProxyLab) -> None:
    """proxy_url: the dns stage resolves the proxy, tcp opens a CONNECT tunnel, TLS and HTTP run through it."""
    mark = lab.open_proxy.mark()
    verdict = lab.probe([f"proxy_url: {lab.proxy_url(lab.open_proxy)}"])
    _assert_all_ok(verdict)
    assert verdict.route == {"path": "proxy", "proxy": lab.proxy_url(lab.open_proxy), "source": "proxy_url",
                             "why": "proxy_url"}
    assert verdict.stage("dns")["details"]["query_name"] == PROXY_NAME
    assert f"{TARGET} is resolved by the proxy" in verdict.stage("dns")["summary"]
    assert verdict.stage("tcp")["details"]["tunnel"]["status"] == 200
    assert f"CONNECT {TARGET}:{lab.es.port} HTTP/1.1" in lab.open_proxy.log(since=mark)


def _hosts_file_maps_localhost() -> bool:
    """tinyproxy resolves "localhost" through /etc/hosts; without an entry it would ask real DNS."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return False
    return any("localhost" in line.split("#", 1)[0].split()[1:] for line in lines)


def test_proxy_url_proxies_even_localhost(lab: ProxyLab) -> None:
    """Go's localhost exception is for the environment only: proxy_url sends localhost through the proxy."""
    if not _hosts_file_maps_localhost():
        pytest.skip("/etc/hosts has no localhost entry: tinyproxy would resolve localhost through real DNS")
    mark = lab.open_proxy.mark()
    verdict = lab.probe([f"proxy_url: {lab.proxy_url(lab.open_proxy)}"], host="localhost")
    _assert_all_ok(verdict)
    assert verdict.route["path"] == "proxy"
    assert f"CONNECT localhost:{lab.es.port} HTTP/1.1" in lab.open_proxy.log(since=mark)


@pytest.mark.parametrize(("variable", "value"), [("HTTPS_PROXY", "http://{proxy}"), ("https_proxy", "{proxy}")])
def test_https_proxy_environment_variable(lab: ProxyLab, variable: str, value: str) -> None:
    """HTTPS_PROXY (or https_proxy, also without a scheme, as Go allows) sends https targets through tinyproxy."""
    proxy = f"{PROXY_NAME}:{lab.open_proxy.port}"
    verdict = lab.probe(environ={variable: value.format(proxy=proxy)})
    _assert_all_ok(verdict)
    assert (verdict.route["path"], verdict.route["source"]) == ("proxy", variable)
    assert verdict.stage("tcp")["details"]["tunnel"]["status"] == 200


def test_http_proxy_environment_variable_for_an_http_target(lab: ProxyLab) -> None:
    """HTTP_PROXY and an http:// target: requests go to tinyproxy in absolute form and reach Elasticsearch."""
    mark = lab.open_proxy.mark()
    verdict = lab.probe(environ={"HTTP_PROXY": lab.proxy_url(lab.open_proxy)}, scheme="http")
    assert (verdict.route["path"], verdict.route["source"]) == ("proxy", "HTTP_PROXY")
    assert (verdict.status("tls"), verdict.status("hostname")) == ("skipped", "skipped")
    assert verdict.codes("http") == ["http-credentials-cleartext"], verdict.explain()
    assert verdict.status("auth") == "ok"
    assert f"GET http://{TARGET}:{lab.plain_es.port}/ HTTP/1.1" in lab.open_proxy.log(since=mark)


def test_privileges_are_checked_through_a_proxy_that_closes_after_each_request(lab: ProxyLab) -> None:
    """Through tinyproxy for an http:// target, the privilege check (a POST) is answered like the rest."""
    verdict = lab.probe(environ={"HTTP_PROXY": lab.proxy_url(lab.open_proxy)}, scheme="http")
    assert verdict.status("privileges") == "ok", verdict.explain()


# --- around the proxy ----------------------------------------------------------------------------------


def test_no_proxy_sends_the_target_direct(lab: ProxyLab) -> None:
    """NO_PROXY naming the target's domain: direct, resolved from the hosts file; the proxy sees nothing."""
    mark = lab.deny_proxy.mark()
    verdict = lab.probe(environ={"HTTPS_PROXY": lab.proxy_url(lab.deny_proxy), "NO_PROXY": ".interop.test"},
                        host=DIRECT_NAME)
    _assert_all_ok(verdict)
    assert verdict.route == {"path": "direct", "why": f"NO_PROXY excludes {DIRECT_NAME}"}
    assert "Request" not in lab.deny_proxy.log(since=mark)


def test_proxy_disable_ignores_proxy_url_and_environment(lab: ProxyLab) -> None:
    """proxy_disable: true wins over proxy_url and HTTPS_PROXY: the target is dialled directly."""
    mark = lab.deny_proxy.mark()
    verdict = lab.probe([f"proxy_url: {lab.proxy_url(lab.deny_proxy)}", "proxy_disable: true"],
                        environ={"HTTPS_PROXY": lab.proxy_url(lab.deny_proxy)}, host=DIRECT_NAME)
    _assert_all_ok(verdict)
    assert verdict.route == {"path": "direct", "why": "proxy_disable is true"}
    assert "Request" not in lab.deny_proxy.log(since=mark)


# --- where it fails ---------------------------------------------------------------------------------------


def test_proxy_that_is_down_is_proxy_unreachable(lab: ProxyLab) -> None:
    """Nothing listens at proxy_url: the route says proxy, tcp fails with proxy-unreachable, nothing else runs."""
    down = f"http://{PROXY_NAME}:{free_port()}"
    verdict = lab.probe([f"proxy_url: {down}"])
    assert verdict.code == 2
    assert (verdict.status("dns"), verdict.route["path"], verdict.route["proxy"]) == ("ok", "proxy", down)
    assert (verdict.status("tcp"), verdict.codes("tcp")) == ("fail", ["proxy-unreachable"]), verdict.explain()
    assert "refused" in verdict.messages("tcp")
    assert {verdict.status(s) for s in AFTER_TCP} == {"skipped"}


def test_connect_port_rule_is_proxy_connect_denied(lab: ProxyLab) -> None:
    """tinyproxy with ConnectPort 443 refuses CONNECT to the Elasticsearch port: 403, proxy-connect-denied."""
    mark = lab.deny_proxy.mark()
    verdict = lab.probe([f"proxy_url: {lab.proxy_url(lab.deny_proxy)}"])
    assert verdict.code == 2
    assert verdict.route["path"] == "proxy"
    assert (verdict.status("tcp"), verdict.codes("tcp")) == ("fail", ["proxy-connect-denied"]), verdict.explain()
    assert verdict.stage("tcp")["details"]["tunnel"]["status"] == 403
    assert "403 Access violation" in verdict.messages("tcp")
    assert {verdict.status(s) for s in AFTER_TCP} == {"skipped"}
    assert f"Refused CONNECT method on port {lab.es.port}" in lab.deny_proxy.log(since=mark)


def test_basic_auth_proxy_without_credentials_is_proxy_auth_required(lab: ProxyLab) -> None:
    """tinyproxy's BasicAuth and no userinfo in proxy_url: 407, proxy-auth-required quoting its challenge."""
    verdict = lab.probe([f"proxy_url: {lab.proxy_url(lab.auth_proxy)}"])
    assert verdict.code == 2
    assert (verdict.status("tcp"), verdict.codes("tcp")) == ("fail", ["proxy-auth-required"]), verdict.explain()
    assert verdict.stage("tcp")["details"]["tunnel"]["status"] == 407
    assert 'Basic realm="Tinyproxy"' in verdict.messages("tcp")
    assert {verdict.status(s) for s in AFTER_TCP} == {"skipped"}


def test_basic_auth_proxy_with_credentials_passes(lab: ProxyLab) -> None:
    """The proxy's user and password in proxy_url open the tunnel; the proxy password appears nowhere."""
    verdict = lab.probe([f'proxy_url: "{lab.proxy_url(lab.auth_proxy, PROXY_USER + ":${PX_PWD}@")}"'])
    _assert_all_ok(verdict)
    assert verdict.route["proxy"] == lab.proxy_url(lab.auth_proxy)  # shown without userinfo
    assert PROXY_PASSWORD not in verdict.out + verdict.err
    assert PASSWORD not in verdict.out + verdict.err


def test_basic_auth_proxy_with_wrong_credentials_is_proxy_auth_required(lab: ProxyLab) -> None:
    """Wrong proxy credentials are reported as a proxy authentication problem."""
    verdict = lab.probe([f"proxy_url: {lab.proxy_url(lab.auth_proxy, PROXY_USER + ':wrong-secret@')}"])
    assert verdict.status("tcp") == "fail"
    assert verdict.codes("tcp") == ["proxy-auth-required"], verdict.explain()


def test_upper_case_localhost_is_proxied_from_the_environment(lab: ProxyLab) -> None:
    """Only the exact name 'localhost' escapes the environment's proxy, as in Go."""
    verdict = lab.probe(environ={"HTTPS_PROXY": lab.proxy_url(lab.open_proxy)}, host="LOCALHOST")
    assert verdict.route["path"] == "proxy", verdict.route
