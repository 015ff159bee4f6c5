"""
Issue 18 in the support bundle: passwords with '@' or spaces in URL userinfo (hosts, proxy_url,
HTTPS_PROXY), secrets nested in -E mappings and under names such as ``pass``, ``-o`` over an
existing file or a symlink, and server text in certificate descriptions.
"""

from __future__ import annotations

import datetime as _dt
import zipfile
from pathlib import Path
from typing import Dict

import pytest

from esprobe.bundle.collect import _describe_der, _numbered
from esprobe.demo.standins import pki
from tests.support.bundle import run_cli, write_config

AT_PASSWORD = "p@SECRET-at-3c1"  # userinfo ends at the LAST '@': 'SECRET-at-3c1@' leaked
SPACE_PASSWORD = "two words@and-9d2"
PROXY_PASSWORD = "pr@xy-pw-77e"
ENV_PROXY_PASSWORD = "env pr@xy-0b5"
NESTED = "Nested-Kafka-Pw-41c"
PASS_NAME = "Pass-Named-Value-5e8"


def _members(path: Path) -> Dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_userinfo_passwords_with_at_and_spaces_leave_no_trace(tmp_path: Path, nameserver: str) -> None:
    config = write_config(tmp_path / "metricbeat.yml", f"""
        output.elasticsearch:
          hosts: ["https://beats:{AT_PASSWORD}@es.test:9", "https://beats:{SPACE_PASSWORD}@es.test:10"]
          proxy_url: "http://proxyuser:{PROXY_PASSWORD}@proxy.test:3128"
        """)
    out = tmp_path / "case.zip"
    code, _, err = run_cli(
        ["bundle", "-c", str(config), "-o", str(out), "--timeout", "0.5", "--nameserver", nameserver],
        {"HTTPS_PROXY": f"http://envuser:{ENV_PROXY_PASSWORD}@proxy.test:3128"}, tmp_path,
    )
    assert out.exists(), err
    members = _members(out)
    for name in ("config/original.yml", "config/effective.yml", "network/proxy.txt"):
        assert name in members
    for name, data in members.items():
        text = data.decode("utf-8", "replace")
        for secret in (AT_PASSWORD, SPACE_PASSWORD, PROXY_PASSWORD, ENV_PROXY_PASSWORD):
            for piece in {secret, *secret.split("@"), *secret.split(" ")}:
                if len(piece) >= 5:
                    assert piece not in text, (name, piece)
    assert "beats:<redacted>@es.test" in members["config/original.yml"].decode()
    assert "envuser:<redacted>@proxy.test" in members["network/proxy.txt"].decode()


def test_a_proxy_variable_without_a_scheme_keeps_its_password(tmp_path: Path, nameserver: str) -> None:
    """Go reads HTTPS_PROXY=user:pw@host as http://user:pw@host and sends the password: it is a secret too."""
    config = write_config(tmp_path / "metricbeat.yml", 'output.elasticsearch.hosts: ["https://es.test:9"]\n')
    out = tmp_path / "case.zip"
    password = "Schemeless-Proxy-Pw-41"
    code, stdout, err = run_cli(
        ["bundle", "-c", str(config), "-o", str(out), "--timeout", "0.5", "--nameserver", nameserver],
        {"HTTPS_PROXY": f"ops:{password}@proxy.test:3128", "http_proxy": f"ops:{password}@proxy.test:3128"},
        tmp_path,
    )
    assert out.exists(), err
    assert password not in stdout + err
    members = _members(out)
    assert "network/proxy.txt" in members
    for name, data in members.items():
        assert password.encode() not in data, name


def test_secrets_nested_in_overrides_are_redacted_by_key(tmp_path: Path, nameserver: str) -> None:
    config = write_config(tmp_path / "metricbeat.yml", 'output.elasticsearch.hosts: ["http://es.test:9"]\n')
    out = tmp_path / "case.zip"
    run_cli(
        ["bundle", "-c", str(config), "-o", str(out), "--timeout", "0.5", "--nameserver", nameserver,
         "-E", f'output.kafka={{"hosts":["k:9092"],"sasl":{{"mechanism":"PLAIN"}},"password":"{NESTED}"}}',
         "-E", f"queue.mem.pass={PASS_NAME}"],
        {}, tmp_path,
    )
    environment = _members(out)["environment.txt"].decode()
    assert NESTED not in environment and PASS_NAME not in environment
    assert '"password":"<redacted>"' in environment and "k:9092" in environment
    assert "queue.mem.pass=<redacted>" in environment


def test_bundle_refuses_an_existing_file_unless_force(tmp_path: Path, nameserver: str) -> None:
    config = write_config(tmp_path / "metricbeat.yml", 'output.elasticsearch.hosts: ["http://es.test:9"]\n')
    out = tmp_path / "case.zip"
    out.write_bytes(b"precious")
    argv = ["bundle", "-c", str(config), "-o", str(out), "--timeout", "0.5", "--nameserver", nameserver]
    code, _, err = run_cli(argv, {}, tmp_path)
    assert code == 3 and "already there" in err and "--force" in err
    assert out.read_bytes() == b"precious"
    code, _, err = run_cli([*argv, "--force"], {}, tmp_path)
    assert zipfile.is_zipfile(out), err


def test_bundle_never_follows_a_symlink(tmp_path: Path, nameserver: str) -> None:
    """A symlink at -o (to a directory, or to a file): refused; with --force the link itself is replaced."""
    config = write_config(tmp_path / "metricbeat.yml", 'output.elasticsearch.hosts: ["http://es.test:9"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not yours")
    for link_name, points_to in (("to-dir.zip", elsewhere), ("to-file.zip", victim)):
        link = tmp_path / link_name
        link.symlink_to(points_to)
        argv = ["bundle", "-c", str(config), "-o", str(link), "--timeout", "0.5", "--nameserver", nameserver]
        code, _, err = run_cli(argv, {}, tmp_path)
        assert code == 3 and "symbolic link" in err, err
        assert list(elsewhere.iterdir()) == [] and victim.read_bytes() == b"not yours"
        run_cli([*argv, "--force"], {}, tmp_path)
        assert not link.is_symlink() and zipfile.is_zipfile(link)
        assert list(elsewhere.iterdir()) == [] and victim.read_bytes() == b"not yours"


def test_certificate_descriptions_show_escapes_not_control_characters() -> None:
    """A subject or SAN with ESC/BEL/CR/LF, as a hostile server's certificate may carry (chain.txt)."""
    ca = pki.CertAuthority.root("esprobe escapes CA")
    issued = ca.issue("evil\x1b]0;owned\x07\x1b[2J\rforged\nline.test", dns=["san\x1b[31m.test"])
    from cryptography.hazmat.primitives.serialization import Encoding

    _, text = _describe_der(issued.cert.public_bytes(Encoding.DER), _dt.datetime.now(_dt.timezone.utc))
    out = _numbered([text], [" (leaf)"])
    assert not any(c in out for c in "\x1b\x07\r")
    assert "\\x1b" in out
    assert len(_numbered(["A" * 1_000_000], [""])) < 70_000


@pytest.mark.parametrize("written", [
    lambda s: s,
    lambda s: repr(s)[1:-1],
    lambda s: __import__("json").dumps(s)[1:-1],
    lambda s: __import__("json").dumps(s, ensure_ascii=True)[1:-1],
    lambda s: __import__("base64").b64encode(s.encode()).decode(),
    lambda s: __import__("urllib.parse").parse.quote(s, safe=""),
    lambda s: __import__("urllib.parse").parse.quote_plus(s, safe=""),
    lambda s: __import__("yaml").dump(s, default_style='"', allow_unicode=True).strip()[1:-1],
], ids=["raw", "repr", "json", "json-ascii", "base64", "url", "url-plus", "yaml"])
def test_final_scan_catches_a_known_secret_in_any_encoding_written(written) -> None:  # type: ignore[no-untyped-def]
    from esprobe.bundle.write import find_leak, scan_needles
    from esprobe.redact import Redactor

    secret = 'p@ss "q\\uo\'te" é\x1b end'
    redactor = Redactor()
    redactor.add(secret, "output.elasticsearch.password")

    class Empty:
        targets = ()

    members = [("report.txt", b"clean"), ("environment.txt", f"leak: {written(secret)}\n".encode())]
    assert find_leak(members, scan_needles(redactor, Empty(), Empty())) == ("environment.txt",
                                                                            "output.elasticsearch.password")
