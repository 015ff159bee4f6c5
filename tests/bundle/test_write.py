"""The final scan for secrets and the atomic, private write of the archive."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, List, Tuple
from urllib.parse import quote

import pytest

from esprobe.bundle import write as bundle_write
from esprobe.bundle.collect import Clock, certificate_blocks, private_key_material
from esprobe.bundle.write import (
    BundleError,
    default_bundle_name,
    find_leak,
    scan_needles,
    write_zip_atomically,
)
from esprobe.demo.standins import pki
from esprobe.model import PemSource, Role, Target, TlsSettings
from esprobe.redact import Redactor
from tests.support.bundle import run_cli

SECRET = "Canary-Scan-Secret-0a9b"
CLOCK = Clock(_dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=_dt.timezone.utc),
              _dt.datetime(2026, 3, 4, 6, 6, 7, tzinfo=_dt.timezone(_dt.timedelta(hours=1))))


def needles(*secrets: str) -> List[Tuple[bytes, str]]:
    redactor = Redactor()
    for secret in secrets:
        redactor.add(secret, "output.elasticsearch.password")

    class Empty:
        targets: Tuple[Any, ...] = ()

    return scan_needles(redactor, Empty(), Empty())


@pytest.mark.parametrize(
    "planted",
    [SECRET, base64.b64encode(SECRET.encode()).decode(), quote(SECRET + " /x", safe=""), f"x{SECRET}y"],
    ids=["plain", "base64", "url-encoded", "inside-text"],
)
def test_scan_finds_every_form(planted: str) -> None:
    members = [("report.txt", b"all fine"), ("environment.txt", f"oops {planted}\n".encode())]
    secrets = (SECRET, SECRET + " /x")
    assert ("environment.txt", "output.elasticsearch.password") == find_leak(members, needles(*secrets))


def test_scan_checks_member_names_and_passes_clean_members() -> None:
    assert ("certs/" + SECRET + "/chain.txt", "output.elasticsearch.password") == find_leak(
        [("certs/" + SECRET + "/chain.txt", b"")], needles(SECRET))
    assert find_leak([("report.txt", b"<redacted>")], needles(SECRET)) is None


def test_scan_looks_for_private_key_files(tmp_path: Path) -> None:
    """A key file is never registered whole, so the scan searches for its body lines."""
    issued = pki.CertAuthority.root("scan CA").issue("es.test")
    key_pem = issued.key_pem()
    tls = TlsSettings(prefix="output.elasticsearch.ssl",
                      certificate=PemSource("output.elasticsearch.ssl.certificate", "/c.crt", issued.cert_pem),
                      key=PemSource("output.elasticsearch.ssl.key", "/c.key", key_pem))
    target = Target("elasticsearch[0]", Role.ELASTICSEARCH, "https://es.test:9200", "https", "es.test", 9200, tls=tls)

    class Loaded:
        targets = (target,)

    class Report:
        targets: Tuple[Any, ...] = ()

    found = scan_needles(Redactor(), Report(), Loaded())
    body_line = key_pem.decode().splitlines()[1]
    assert (body_line.encode(), "private key in output.elasticsearch.ssl.key") in found
    assert ("x", "private key in output.elasticsearch.ssl.key") == find_leak(
        [("x", b"..." + body_line.encode())], found
    )


def test_certificate_blocks_leave_keys_out() -> None:
    issued = pki.CertAuthority.root("blocks CA").issue("es.test")
    mixed = issued.key_pem() + b"junk\n" + issued.cert_pem + issued.key_pem(fmt="sec1")
    blocks, others = certificate_blocks(mixed)
    assert [issued.cert_pem] == blocks
    assert ["PRIVATE KEY", "EC PRIVATE KEY"] == others
    assert len(private_key_material(mixed)) >= 2


def test_leak_refuses_to_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If redaction ever let a secret through, no archive is written and the CLI exits 3 naming the setting."""
    real_collect = bundle_write.collect_members

    def leaky(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        members, redactions = real_collect(*args, **kwargs)
        return members + [("debug.txt", f"the password is {SECRET}".encode())], redactions

    monkeypatch.setattr(bundle_write, "collect_members", leaky)
    config = tmp_path / "metricbeat.yml"
    config.write_text(f'output.elasticsearch:\n  hosts: ["http://127.0.0.1:9"]\n  password: "{SECRET}"\n  username: '
                      f'u\n')
    config.chmod(0o600)
    target = tmp_path / "b.zip"
    code, out, err = run_cli(["bundle", "-c", str(config), "--timeout", "0.5", "--hosts-file", os.devnull,
                              "--nameserver", "127.0.0.1:9", "-o", str(target)], {}, tmp_path)
    assert 3 == code
    assert "" == out
    assert "refusing to write the support bundle" in err and "output.elasticsearch.password" in err
    assert "debug.txt" in err
    assert SECRET not in err
    assert ["metricbeat.yml"] == sorted(os.listdir(tmp_path))


def test_atomic_write_is_private_and_complete(tmp_path: Path) -> None:
    members = [("a.txt", b"one"), ("dir/b.txt", b"two" * 1000)]
    path = tmp_path / "x.zip"
    write_zip_atomically(str(path), members, CLOCK)
    assert 0o600 == stat.S_IMODE(os.stat(path).st_mode)
    with zipfile.ZipFile(path) as archive:
        assert {"a.txt": b"one", "dir/b.txt": b"two" * 1000} == {n: archive.read(n) for n in archive.namelist()}
        assert (2026, 3, 4, 6, 6, 6) == archive.getinfo("a.txt").date_time  # local time, 2-second resolution
    assert ["x.zip"] == os.listdir(tmp_path)


def test_atomic_write_replaces_only_when_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure half-way leaves an existing file as it was and no temporary file."""
    path = tmp_path / "x.zip"
    path.write_bytes(b"previous")

    def broken(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(BundleError, match=r"cannot write the support bundle .*x\.zip: no space left on the device"):
        write_zip_atomically(str(path), [("a.txt", b"one")], CLOCK)
    assert b"previous" == path.read_bytes()
    assert ["x.zip"] == os.listdir(tmp_path)


def test_parent_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(BundleError, match="is not a directory"):
        write_zip_atomically(str(tmp_path / "f" / "x.zip"), [], CLOCK)


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [("beats01", "esprobe-bundle-beats01-20260304T050607Z.zip"),
     ("web 01/x", "esprobe-bundle-web_01_x-20260304T050607Z.zip"),
     ("", "esprobe-bundle-host-20260304T050607Z.zip")],
)
def test_default_name(hostname: str, expected: str) -> None:
    assert expected == default_bundle_name(CLOCK, hostname)


def _plain_http_config(tmp_path: Path) -> List[str]:
    config = tmp_path / "metricbeat.yml"
    config.write_text('output.elasticsearch:\n  hosts: ["http://127.0.0.1:9"]\n')
    config.chmod(0o600)
    return ["bundle", "-c", str(config), "--timeout", "0.5", "--hosts-file", os.devnull,
            "--nameserver", "127.0.0.1:9", "-o", str(tmp_path / "b.zip")]


def test_target_without_tls_gets_no_certs(tmp_path: Path) -> None:
    """An http:// target has no chain to show: no certs directory at all."""
    code, _, err = run_cli(_plain_http_config(tmp_path), {}, tmp_path)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        names = archive.namelist()
        report = archive.read("report.json")
    assert code == json.loads(report)["exit_code"], err
    assert not [n for n in names if n.startswith("certs/")]
    assert "network/dns.txt" in names


def test_a_failing_section_costs_a_note_not_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug while collecting one file leaves a note in its place; the rest of the bundle is written."""

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("resolver details had an unexpected shape")

    monkeypatch.setattr(bundle_write, "dns_text", broken)
    code, _, err = run_cli(_plain_http_config(tmp_path), {}, tmp_path)
    assert code in (0, 1, 2), err
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        note = archive.read("network/dns.txt").decode()
        assert "report.json" in archive.namelist()
    assert "esprobe could not collect network/dns.txt: RuntimeError: resolver details had an unexpected shape" in note
