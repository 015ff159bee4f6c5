"""
`esprobe bundle` end to end: the real CLI against the stand-in Elasticsearch and Kibana over TLS,
names resolved through a hosts file and a loopback DNS server, canary secrets everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Callable, List

import pytest
import yaml
from cryptography import x509

from tests.support.bundle import (
    CLOUD_AUTH_PW,
    Pki,
    Scenario,
    Stack,
    leak_forms,
    make_canary_scenario,
    run,
    run_cli,
    write_config,
)
from tests.support.schema import validate_report

EXPECTED_MEMBERS = {
    "report.json",
    "report.txt",
    "config/original.yml",
    "config/original-2.yml",
    "config/effective.yml",
    "certs/elasticsearch[0]/chain.pem",
    "certs/elasticsearch[0]/chain.txt",
    "certs/elasticsearch[0]/client.pem",
    "certs/elasticsearch[0]/client.txt",
    "certs/kibana/chain.pem",
    "certs/kibana/chain.txt",
    "certs/kibana/client.pem",
    "certs/kibana/client.txt",
    "certs/monitoring[0]/chain.pem",
    "certs/monitoring[0]/chain.txt",
    "certs/monitoring[0]/client.pem",
    "certs/monitoring[0]/client.txt",
    "certs/ca/1-ca-bundle.pem.pem",
    "certs/ca/1-ca-bundle.pem.txt",
    "network/dns.txt",
    "network/proxy.txt",
    "environment.txt",
    "manifest.json",
}


@pytest.fixture(scope="module", params=["literal", "env"])
def canary_bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, stack: Stack,
                  bundle_pki: Pki) -> Scenario:
    """One bundle run per variant, shared by the tests that read it (each run costs a full check)."""
    directory = tmp_path_factory.mktemp(f"canary-{request.param}")
    return run(make_canary_scenario(directory, stack, bundle_pki, request.param))


def test_no_secret_in_any_member(canary_bundle: Scenario) -> None:
    """A byte search over every member (and every member name) finds no canary, nor its base64 or URL-encoded form."""
    assert 0 <= canary_bundle.code <= 3, canary_bundle.stderr  # type: ignore[operator]
    members = canary_bundle.members()
    leaks: List[str] = []
    for name, data in members.items():
        haystack = name.encode() + b"\0" + data
        for label, secret in canary_bundle.canaries.items():
            for form in leak_forms(secret):
                if form.encode() in haystack:
                    leaks.append(f"{label} ({form!r}) in {name}")
        for line in canary_bundle.key_lines:
            if line.encode() in haystack:
                leaks.append(f"private key material in {name}")
                break
    assert [] == leaks


def test_no_secret_on_the_streams(canary_bundle: Scenario) -> None:
    """stdout (the report) and stderr carry no canary either."""
    for secret in canary_bundle.canaries.values():
        for form in leak_forms(secret):
            assert form not in canary_bundle.stdout
            assert form not in canary_bundle.stderr


def test_members_and_the_check_really_ran(canary_bundle: Scenario) -> None:
    """The archive holds every part issue 7 lists, and the credentials really authenticated."""
    members = canary_bundle.members()
    assert EXPECTED_MEMBERS == set(members)
    report = json.loads(members["report.json"])
    validate_report(report)
    auth = {t["id"]: next(s for s in t["stages"] if s["stage"] == "auth")["status"] for t in report["targets"]}
    assert {"elasticsearch[0]": "ok", "kibana": "ok", "monitoring[0]": "ok"} == auth
    assert canary_bundle.code == report["exit_code"]
    assert "result:" in members["report.txt"].decode()
    assert "\033[" not in members["report.txt"].decode()


def test_manifest_lists_each_redaction(canary_bundle: Scenario) -> None:
    """Every file with size and sha256; every redaction by file, setting and kind; no values."""
    members = canary_bundle.members()
    manifest = json.loads(members["manifest.json"])
    import hashlib

    listed = {f["name"]: f for f in manifest["files"]}
    assert set(members) - {"manifest.json"} == set(listed)
    for name, entry in listed.items():
        assert len(members[name]) == entry["size"]
        assert hashlib.sha256(members[name]).hexdigest() == entry["sha256"]

    redacted = {(r["file"], r.get("setting"), r["kind"]) for r in manifest["redactions"]}
    original = "config/original.yml"
    # The proxy password is a registered secret: it is replaced as a known value before the shape
    # rules run (so that a password holding "@" cannot be cut in two by the userinfo rule).
    expected = {
        (original, "cloud.auth", "key-name"),
        (original, "setup.kibana.api_key", "key-name"),
        (original, "setup.kibana.password (commented out)", "key-name"),
        (original, "setup.kibana.proxy_url", "known-secret"),
        (original, "setup.kibana.ssl.key", "pem-private-key"),
        ("config/original-2.yml", "setup.kibana.headers.Authorization", "key-name"),
        ("config/effective.yml", "cloud.auth", "key-name"),
        ("config/effective.yml", "output.elasticsearch.password", "key-name"),
        ("config/effective.yml", "setup.kibana.api_key", "key-name"),
        ("config/effective.yml", "setup.kibana.headers.Authorization", "key-name"),
        ("config/effective.yml", "setup.kibana.proxy_url", "known-secret"),
        ("config/effective.yml", "monitoring.elasticsearch.password", "key-name"),
        ("config/effective.yml", "monitoring.elasticsearch.ssl.key_passphrase", "key-name"),
        ("config/effective.yml", "monitoring.elasticsearch.headers.X-Extra-Token", "key-name"),
        ("environment.txt", "monitoring.elasticsearch.headers.X-Extra-Token", "key-name"),
        ("network/proxy.txt", None, "known-secret"),
    }
    if "config password" in canary_bundle.canaries:
        expected.add((original, "monitoring.elasticsearch.password", "key-name"))
    assert expected <= redacted, sorted(expected - redacted)
    assert {"cloud.auth", "keystore:KEY_PASS", "setup.kibana.api_key"} <= set(manifest["secret_settings"])
    assert canary_bundle.code == manifest["report"]["exit_code"]


def test_original_keeps_layout_and_variable_names(canary_bundle: Scenario) -> None:
    """Comments, paths and ${VAR} references stay readable; only values are blanked."""
    original = canary_bundle.members()["config/original.yml"].decode()
    assert "# Canary config: every secret here must be <redacted> in the bundle." in original
    assert "# a path: not a secret" in original
    assert 'key_passphrase: "${KEY_PASS}"   # from the keystore' in original
    assert "cloud.auth: <redacted>" in original
    assert "proxy_url: \"http://proxyuser:<redacted>@127.0.0.1:9\"" in original
    assert "-----BEGIN CERTIFICATE-----" in original  # the inline client certificate is public
    with open(canary_bundle.directory / "metricbeat.yml") as handle:
        assert len(handle.read().splitlines()) == len(original.splitlines())


def test_effective_config_is_what_the_beat_sees(canary_bundle: Scenario) -> None:
    """effective.yml loads as YAML: files merged, cloud.id applied, -E in, secrets blanked, paths kept."""
    effective = yaml.safe_load(canary_bundle.members()["config/effective.yml"])
    es = effective["output"]["elasticsearch"]
    assert 1 == len(es["hosts"]) and es["hosts"][0].startswith("https://es01.test:")  # from cloud.id
    assert ("writer", "<redacted>") == (es["username"], es["password"])
    assert str(canary_bundle.directory / "client.key") == es["ssl"]["key"]
    kibana = effective["setup"]["kibana"]
    assert {"Authorization": "<redacted>", "X-Opaque-Id": "esprobe-bundle-test"} == kibana["headers"]
    assert "<redacted>" == kibana["ssl"]["key"]
    assert kibana["ssl"]["certificate"].startswith("-----BEGIN CERTIFICATE-----\n")
    monitoring = effective["monitoring"]["elasticsearch"]
    assert {"X-Extra-Token": "<redacted>"} == monitoring["headers"]
    assert "<redacted>" == monitoring["ssl"]["key_passphrase"]


def test_certificates(canary_bundle: Scenario, bundle_pki: Pki) -> None:
    """The chain as sent, the client certificate (never a key) and each CA file's certificates."""
    members = canary_bundle.members()
    chain = x509.load_pem_x509_certificates(members["certs/elasticsearch[0]/chain.pem"])
    assert [bundle_pki.server.cert, bundle_pki.intermediate.cert] == chain
    text = members["certs/elasticsearch[0]/chain.txt"].decode()
    for fact in ("Subject:             CN=es01.test", "DNS SANs:            es01.test, kb01.test", "SHA-256 "
                                                                                                   "fingerprint:",
                 "Signature algorithm: ecdsa-with-SHA256", "Key:                 EC P-256", "Extensions:", "Valid:"):
        assert fact in text
    assert "acceptable CAs" in text  # the stand-in asks for a client certificate
    for target in ("elasticsearch[0]", "kibana", "monitoring[0]"):
        client = members[f"certs/{target}/client.pem"]
        assert b"PRIVATE KEY" not in client
        assert bundle_pki.client.cert == x509.load_pem_x509_certificates(client)[0]
    ca = members["certs/ca/1-ca-bundle.pem.pem"]
    assert [bundle_pki.ca.cert] == x509.load_pem_x509_certificates(ca)
    ca_text = members["certs/ca/1-ca-bundle.pem.txt"].decode()
    assert "left out of this bundle: 1 other block(s): PRIVATE KEY" in ca_text
    assert "also named by: monitoring.elasticsearch.ssl.certificate_authorities.0" in ca_text


def test_network_files(canary_bundle: Scenario, stack: Stack) -> None:
    """
    dns.txt: hosts-file matches, DNS answers with the CNAME chain, nameservers, nsswitch;
    proxy.txt: all variables.
    """
    members = canary_bundle.members()
    dns = members["network/dns.txt"].decode()
    hosts = str(canary_bundle.directory / "hosts")
    assert f"hosts file: {hosts} (--hosts-file)" in dns
    assert f"nameservers: {stack.dns.nameserver} (--nameserver" in dns
    assert f"{hosts}:1: 127.0.0.1 es01.test kb01.test" in dns
    assert "CNAME chain: mon.test -> node.test" in dns
    assert "nsswitch.conf" in dns
    proxy = members["network/proxy.txt"].decode()
    for name in ("HTTP_PROXY", "https_proxy", "NO_PROXY", "all_proxy"):
        assert name in proxy
    assert "kibana (https://kb01.test:" in proxy and "proxy_url=http://proxyuser:<redacted>@127.0.0.1:9" in proxy


def test_environment_file(canary_bundle: Scenario) -> None:
    """Versions, OS, trust store, times and the redacted command line."""
    text = canary_bundle.members()["environment.txt"].decode()
    for label in ("esprobe:", "Python:", "OpenSSL (ssl module):", "OpenSSL (pyOpenSSL):", "pyOpenSSL:",
                  "cryptography:", "dnspython:", "OS release:", "kernel:", "OS trust store:",
                  "local time:", "time zone:", "UTC time:", "keystore keys:        KEY_PASS"):
        assert label in text
    assert "-E 'monitoring.elasticsearch.headers.X-Extra-Token=<redacted>'" in text


def test_archive_is_private_and_opens_with_unzip(canary_bundle: Scenario) -> None:
    """Mode 0600, no temporary file left behind, and the standard unzip accepts it."""
    path = canary_bundle.zip_path
    assert 0o600 == stat.S_IMODE(os.stat(path).st_mode)
    assert ["bundle.zip"] == os.listdir(path.parent)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert all(stat.S_IMODE(info.external_attr >> 16) == 0o600 for info in archive.infolist())
    unzip = shutil.which("unzip")
    if unzip is None:
        if os.environ.get("CI") == "true":
            pytest.fail("unzip is not installed: CI must test the archive with the standard tool")
        pytest.skip("UNZIP IS NOT INSTALLED: the archive was not checked with the standard unzip tool")
    result = subprocess.run([unzip, "-t", str(path)], capture_output=True, text=True, timeout=30, check=False)
    assert 0 == result.returncode, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_stdout_is_the_report_and_stderr_names_the_archive(canary_bundle: Scenario) -> None:
    assert canary_bundle.stdout.startswith("esprobe ")
    assert canary_bundle.stdout == canary_bundle.members()["report.txt"].decode()
    assert f"esprobe: support bundle written to {canary_bundle.zip_path}\n" == canary_bundle.stderr


# --- exit codes and failures --------------------------------------------------------------------


def _simple_config(directory: Path, stack: Stack, ca: Path) -> Path:
    return write_config(directory / "metricbeat.yml", f"""
        output.elasticsearch:
          hosts: ["https://es01.test:{stack.es.port}"]
          username: writer
          password: "${{ES_PWD}}"
          ssl.certificate_authorities: ["{ca}"]
    """)


@pytest.fixture
def simple(tmp_path: Path, stack: Stack, bundle_pki: Pki) -> Callable[..., List[str]]:
    """argv (without the sub-command) for a one-target config; *ca* decides whether TLS passes."""
    (tmp_path / "hosts").write_text("127.0.0.1 es01.test\n")

    def make(trusted: bool = True) -> List[str]:
        ca = tmp_path / "ca.crt"
        if trusted:
            ca.write_bytes(bundle_pki.ca.cert_pem)
        else:
            from esprobe.demo.standins import pki

            ca.write_bytes(pki.CertAuthority.root("some other CA").cert_pem)
        config = _simple_config(tmp_path, stack, ca)
        return ["-c", str(config), "--hosts-file", str(tmp_path / "hosts"),
                "--nameserver", stack.dns.nameserver, "--timeout", "3"]

    return make


ENV = {"ES_PWD": CLOUD_AUTH_PW}  # the stand-in's password for "writer"


@pytest.mark.parametrize("trusted", [True, False], ids=["healthy", "unknown-ca"])
def test_exit_code_is_the_checks(tmp_path: Path, simple: Callable[..., List[str]], trusted: bool) -> None:
    """`bundle` exits with the code `check` gives for the same config (2 when TLS fails)."""
    argv = simple(trusted)
    check_code, _, _ = run_cli(["check", *argv], ENV, tmp_path)
    code, _, err = run_cli(["bundle", *argv, "-o", str(tmp_path / "b.zip")], ENV, tmp_path)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        report = json.loads(archive.read("report.json"))
    assert check_code == code == report["exit_code"], err
    if not trusted:
        assert 2 == code
        assert "certs/elasticsearch[0]/chain.pem" in archive.namelist()  # the chain, also when TLS failed


def test_default_name_in_the_working_directory(tmp_path: Path, simple: Callable[..., List[str]]) -> None:
    """Without -o: esprobe-bundle-<host>-<UTC timestamp>.zip in the current directory, mode 0600."""
    work = tmp_path / "work"
    work.mkdir()
    _, _, err = run_cli(["bundle", *simple()], ENV, work)
    names = os.listdir(work)
    assert 1 == len(names), names
    assert names[0].startswith("esprobe-bundle-") and names[0].endswith("Z.zip")
    stamp = names[0][len("esprobe-bundle-"):-len(".zip")].rsplit("-", 1)[1]
    assert 16 == len(stamp) and "T" == stamp[8], stamp  # YYYYmmddTHHMMSSZ
    assert f"written to {work / names[0]}" in err
    assert 0o600 == stat.S_IMODE(os.stat(work / names[0]).st_mode)


def test_output_directory_gets_the_default_name(tmp_path: Path, simple: Callable[..., List[str]]) -> None:
    out = tmp_path / "cases"
    out.mkdir()
    run_cli(["bundle", *simple(), "-o", str(out)], ENV, tmp_path)
    assert 1 == len(list(out.glob("esprobe-bundle-*.zip")))


def _unwritable_directory(tmp_path: Path) -> Path:
    """A directory this process cannot create files in (root ignores mode bits, so use sysfs)."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked
    try:
        fd = os.open("/sys/esprobe-probe", os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError:
        return Path("/sys")
    os.close(fd)
    pytest.skip("no read-only directory available to root here")


@pytest.mark.parametrize("where", ["missing-directory", "parent-is-a-file", "read-only"])
def test_unwritable_output_exits_3(tmp_path: Path, simple: Callable[..., List[str]], where: str) -> None:
    """The reason and the path on stderr, exit 3, nothing on stdout, and no partial file anywhere."""
    if where == "missing-directory":
        target = tmp_path / "no" / "such" / "b.zip"
    elif where == "parent-is-a-file":
        (tmp_path / "plain").write_text("x")
        target = tmp_path / "plain" / "b.zip"
    else:
        target = _unwritable_directory(tmp_path) / "b.zip"
    before = set(os.listdir(target.parent)) if target.parent.is_dir() else None
    code, out, err = run_cli(["bundle", *simple(), "-o", str(target)], ENV, tmp_path)
    assert 3 == code
    assert "" == out
    assert err.startswith(f"esprobe: cannot write the support bundle {target}: "), err
    assert err.count("\n") == 1
    assert not target.exists()
    if before is not None:
        assert before == set(os.listdir(target.parent))


def test_disk_full_leaves_nothing(
    tmp_path: Path, simple: Callable[..., List[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing: exit 3 with the reason, and the temporary file is removed."""
    import errno

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    argv = simple()
    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run_cli(["bundle", *argv, "-o", str(tmp_path / "out.zip")], ENV, tmp_path)
    assert 3 == code
    assert "no space left on the device" in err
    assert not any(name.startswith(".esprobe-bundle-") or name == "out.zip" for name in os.listdir(tmp_path))
