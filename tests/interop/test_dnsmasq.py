"""
dnsmasq as the nameserver (``--nameserver``): A, AAAA and CNAME records for the test names,
NXDOMAIN for the others, and the hosts file consulted first as nsswitch's ``files dns`` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.server import TlsConfig
from tests.support.cli import WRITER_ROLE
from tests.support.interop_probe import Verdict, es_config, run_esprobe
from tests.support.interop_servers import ServerProcess, Servers

pytestmark = pytest.mark.interop

DOMAIN = "interop.test"
USER = "beats_writer"
PASSWORD = "Interop-Dns-Writer-93ab"
# The certificate names these; deep.interop.test (a CNAME to a CNAME) deliberately not.
CERT_NAMES = [f"es.{DOMAIN}", f"dual.{DOMAIN}", f"alias.{DOMAIN}", f"both.{DOMAIN}"]
RECORDS = [
    f"--host-record=es.{DOMAIN},127.0.0.1",
    f"--host-record=dual.{DOMAIN},127.0.0.1,::1",
    f"--cname=alias.{DOMAIN},es.{DOMAIN}",
    f"--cname=deep.{DOMAIN},alias.{DOMAIN}",
    f"--host-record=both.{DOMAIN},127.0.0.2",  # the hosts file says 127.0.0.1
]


@dataclass
class Resolving:
    directory: Path
    ca_file: Path
    hosts_file: Path
    dnsmasq: ServerProcess
    es: FakeElasticsearch

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.dnsmasq.port}"

    def probe(self, host: str) -> Verdict:
        config = es_config(f"https://{host}:{self.es.port}", ca_file=self.ca_file, username=USER,
                           password_var="ES_PWD")
        return run_esprobe(self.directory, config, hosts_file=self.hosts_file, nameserver=self.nameserver,
                           environ={"ES_PWD": PASSWORD})


@pytest.fixture(scope="module")
def resolving(workdir: Path, servers: Servers) -> Iterator[Resolving]:
    ca = pki.CertAuthority.root("interop dns CA")
    ca_file = workdir / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    hosts_file = workdir / "hosts"
    hosts_file.write_text(f"127.0.0.1 hosts.{DOMAIN} both.{DOMAIN}\n")
    dnsmasq = servers.dnsmasq(DOMAIN, RECORDS)
    with FakeElasticsearch(tls=TlsConfig.from_issued(ca.issue(dns=[*CERT_NAMES, f"hosts.{DOMAIN}"]))) as es:
        es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
        es.add_user(USER, PASSWORD, ["metricbeat_writer"])
        yield Resolving(workdir, ca_file, hosts_file, dnsmasq, es)


def _addresses(verdict: Verdict) -> list:
    return [(a["address"], a["family"], a["source"]) for a in verdict.stage("dns")["details"]["addresses"]]


def _dns_answer(verdict: Verdict) -> dict:
    return next(a for a in verdict.stage("dns")["details"]["answers"] if a["source"] == "dns")


def test_a_record_from_dnsmasq_passes_every_stage(resolving: Resolving) -> None:
    """A name only dnsmasq knows (one A record): resolved from DNS, and the whole probe passes."""
    verdict = resolving.probe(f"es.{DOMAIN}")
    assert verdict.code == 0, verdict.explain()
    assert set(verdict.statuses.values()) == {"ok"}
    assert _addresses(verdict) == [("127.0.0.1", "ipv4", "dns")]
    assert _dns_answer(verdict)["nameservers"] == [resolving.nameserver]
    assert f"query[A] es.{DOMAIN}" in resolving.dnsmasq.log()  # dnsmasq really was asked


def test_a_and_aaaa_records_are_both_tried(resolving: Resolving) -> None:
    """A and AAAA: both addresses come from DNS and tcp tries both; the server listens on IPv4 only."""
    verdict = resolving.probe(f"dual.{DOMAIN}")
    assert _addresses(verdict) == [("127.0.0.1", "ipv4", "dns"), ("::1", "ipv6", "dns")]
    attempts = {a["address"]: a["outcome"] for a in verdict.stage("tcp")["details"]["attempts"]}
    assert attempts["127.0.0.1"] == "connected"
    assert attempts["::1"] != "connected"
    assert (verdict.status("tcp"), verdict.codes("tcp")) == ("warn", ["tcp-some-addresses-failed"])
    assert verdict.code == 1, verdict.explain()


def test_cname_chain_is_followed_and_reported(resolving: Resolving) -> None:
    """A CNAME to a CNAME to an A record: the chain is in the details and in the summary."""
    verdict = resolving.probe(f"deep.{DOMAIN}")
    assert verdict.status("dns") == "ok"
    assert _addresses(verdict) == [("127.0.0.1", "ipv4", "dns")]
    assert _dns_answer(verdict)["cname_chain"] == [f"deep.{DOMAIN}", f"alias.{DOMAIN}", f"es.{DOMAIN}"]
    assert f"via CNAME deep.{DOMAIN} → alias.{DOMAIN} → es.{DOMAIN}" in verdict.stage("dns")["summary"]


def test_certificate_must_name_the_configured_name_not_the_cname_target(resolving: Resolving) -> None:
    """Go checks the certificate against the name in the config: alias (named) passes, deep (not named) fails."""
    alias, deep = resolving.probe(f"alias.{DOMAIN}"), resolving.probe(f"deep.{DOMAIN}")
    assert alias.code == 0, alias.explain()
    assert _dns_answer(alias)["cname_chain"] == [f"alias.{DOMAIN}", f"es.{DOMAIN}"]
    assert (deep.status("hostname"), deep.codes("hostname")) == ("fail", ["hostname-mismatch"]), deep.explain()
    assert deep.stage("hostname")["details"]["name"] == f"deep.{DOMAIN}"


def test_hosts_file_wins_over_dns_and_the_difference_is_shown(resolving: Resolving) -> None:
    """The hosts file says 127.0.0.1, dnsmasq 127.0.0.2: the Beat uses the hosts file; esprobe says both."""
    verdict = resolving.probe(f"both.{DOMAIN}")
    assert verdict.code == 0, verdict.explain()
    assert _addresses(verdict) == [("127.0.0.1", "ipv4", "hosts-file")]
    assert _dns_answer(verdict)["addresses"] == ["127.0.0.2"]
    assert "127.0.0.2" in verdict.stage("dns")["details"]["hosts_file_vs_dns"]


def test_name_only_in_the_hosts_file(resolving: Resolving) -> None:
    """dnsmasq answers NXDOMAIN for it, the hosts file knows it: resolved from the hosts file, passes."""
    verdict = resolving.probe(f"hosts.{DOMAIN}")
    assert verdict.code == 0, verdict.explain()
    assert _addresses(verdict) == [("127.0.0.1", "ipv4", "hosts-file")]
    assert _dns_answer(verdict)["outcome"] == "nxdomain"


def test_unknown_name_is_nxdomain(resolving: Resolving) -> None:
    """A name neither dnsmasq nor the hosts file knows: dns-nxdomain naming the nameserver, nothing else runs."""
    verdict = resolving.probe(f"missing.{DOMAIN}")
    assert verdict.code == 2
    assert (verdict.status("dns"), verdict.codes("dns")) == ("fail", ["dns-nxdomain"]), verdict.explain()
    assert resolving.nameserver in verdict.messages("dns")
    assert {verdict.status(s) for s in ("tcp", "tls", "hostname", "http", "auth", "privileges")} == {"skipped"}
