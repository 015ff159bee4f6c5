"""The text builders of the bundle, on files the tests write (no network)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from esprobe.bundle.collect import Clock, dns_text, environment_text, proxy_text, safe_name
from esprobe.bundle.redact import KnownSecrets, redact_text
from esprobe.config.keystore import KeystoreInfo
from esprobe.model import ProxySettings, Role, Target
from esprobe.redact import Redactor

PROXY_PW = "Canary-Env-Proxy-Pw-2f2f"


def test_proxy_text_shows_both_cases_and_hides_userinfo() -> None:
    environ = {"HTTPS_PROXY": f"http://ops:{PROXY_PW}@proxy.example:3128", "no_proxy": "localhost,.internal"}
    target = Target("elasticsearch[0]", Role.ELASTICSEARCH, "https://es:9200", "https", "es", 9200,
                    proxy=ProxySettings(url="socks5://u:Canary-Target-Proxy-Pw@p:1080", disable=False,
                                        headers=(("Proxy-Authorization", "Basic abc"),)))
    text, found = redact_text(proxy_text([target], environ), KnownSecrets(Redactor()), "network/proxy.txt")
    assert "  HTTPS_PROXY=http://ops:<redacted>@proxy.example:3128" in text
    assert "  https_proxy (not set)" in text
    assert "  no_proxy=localhost,.internal" in text
    assert "proxy_url=socks5://u:<redacted>@p:1080" in text
    assert "proxy_headers: Proxy-Authorization (values not shown)" in text
    assert PROXY_PW not in text and "Canary-Target-Proxy-Pw" not in text and "Basic abc" not in text
    assert 2 == len([r for r in found if r.kind == "url-userinfo"])


def test_dns_text_reads_resolv_conf_and_nsswitch(tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("# generated\nnameserver 192.0.2.53 # primary\nsearch corp.example\noptions ndots:2\n")
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("passwd: files\nhosts:      files myhostname dns\n")
    text = dns_text([], hosts_file="/etc/hosts", hosts_file_overridden=False, nameservers=(),
                    resolv_conf=str(resolv), nsswitch_conf=str(nsswitch))
    assert "  nameserver 192.0.2.53\n  search corp.example\n  options ndots:2\n" in text
    assert f"{nsswitch}: hosts:      files myhostname dns" in text
    assert "--nameserver" not in text


def test_dns_text_without_the_files(tmp_path: Path) -> None:
    text = dns_text([], hosts_file="/etc/hosts", hosts_file_overridden=False, nameservers=(("::1", 5353),),
                    resolv_conf=str(tmp_path / "nope"), nsswitch_conf=str(tmp_path / "nope2"))
    assert "nameservers: [::1]:5353 (--nameserver" in text
    assert "(cannot read " in text
    assert "glibc then uses: files dns" in text


def test_environment_text(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.4"\nID="rhel"\nPRETTY_NAME="RHEL 9.4 (Plow)"\n')
    clock = Clock(_dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=_dt.timezone.utc),
                  _dt.datetime(2026, 1, 2, 4, 4, 5, tzinfo=_dt.timezone(_dt.timedelta(hours=1), "CET")))
    keystore = KeystoreInfo("/var/lib/metricbeat/metricbeat.keystore", True, "v2", ("ES_PWD", "KIBANA_PW"))
    environ = {
        "SSL_CERT_FILE": str(tmp_path / "none.pem"),
        "SSL_CERT_DIR": str(tmp_path / "nodir"),
        "TZ": "Europe/Paris",
    }
    text = environment_text(environ=environ,
                            command_line="esprobe bundle -c x.yml", cwd="/root", clock=clock,
                            keystore=keystore, os_release=(str(tmp_path / "missing"), str(release)))
    assert f"OS release:           RHEL 9.4 (Plow) (ID=rhel, VERSION_ID=9.4) from {release}" in text
    assert "local time:           2026-01-02T04:04:05+01:00 (CET, UTC+01:00)" in text
    assert "UTC time:             2026-01-02T03:04:05Z" in text
    assert "TZ=Europe/Paris" in text
    assert f"SSL_CERT_FILE:        {tmp_path / 'none.pem'}" in text
    assert "OS trust store:       (none found) (0 certificates" in text
    assert "keystore keys:        ES_PWD, KIBANA_PW (names only)" in text
    assert "  esprobe bundle -c x.yml" in text
    for label in ("OpenSSL (ssl module): OpenSSL", "OpenSSL (pyOpenSSL):  OpenSSL", "pyOpenSSL:            2",
                  "dnspython:            2", "kernel:               Linux"):
        assert label in text


def test_safe_member_names() -> None:
    assert "elasticsearch[0]" == safe_name("elasticsearch[0]")
    assert "ca_bundle.pem" == safe_name("ca bundle.pem")
    assert "_" == safe_name("..")
    assert "a_b" == safe_name("a/b")
