"""
`esprobe --service`, `--pid` and `--all` end to end against the loopback stack: a unit tree written
under a temporary --root, and a real process started by the test, read through the real /proc.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from esprobe.config import write_keystore
from esprobe.x509.system_roots import clear_cache
from tests.support.cli import WRITER_PASSWORD, WRITER_ROLE, Stack, start_stack
from tests.support.schema import validate_report

BEAT_GID = 997
BEAT_UID = 998


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for stack in start_stack(tmp_path_factory.mktemp("cli-service")):
        # The same writer may also ship filebeat's data.
        stack.es.add_role("filebeat_writer", cluster=WRITER_ROLE["cluster"],
                          indices=[{**WRITER_ROLE["indices"][0], "names": ["filebeat-*"]}])
        stack.es.add_user("beats_writer", WRITER_PASSWORD, ["metricbeat_writer", "filebeat_writer", "kibana_admin"])
        yield stack


def put(root: Path, path: str, text: str, mode: int = 0o644, uid: int = 0, gid: int = 0) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)
    os.chown(target, uid, gid)
    return target


def unit(beat: str, user: str = "") -> str:
    """The shape of the deb/rpm unit Elastic ships."""
    return (
        "[Service]\n"
        + (f"User={user}\nGroup={user}\n" if user else "")
        + 'Environment="BEAT_LOG_OPTS="\n'
        f'Environment="BEAT_CONFIG_OPTS=-c /etc/{beat}/{beat}.yml"\n'
        f'Environment="BEAT_PATH_OPTS=--path.home /usr/share/{beat} --path.config /etc/{beat} '
        f'--path.data /var/lib/{beat} --path.logs /var/log/{beat}"\n'
        f"EnvironmentFile=-/etc/default/{beat}\n"
        f"ExecStart=/usr/share/{beat}/bin/{beat} --environment systemd "
        "$BEAT_LOG_OPTS $BEAT_CONFIG_OPTS $BEAT_PATH_OPTS\n"
    )


def config(stack: Stack, beat: str, ca: str) -> str:
    return (
        "output.elasticsearch:\n"
        f'  hosts: ["https://es.test:{stack.es.port}"]\n'
        "  username: beats_writer\n"
        '  password: "${ES_PWD}"\n'
        f'  ssl.certificate_authorities: ["{ca}"]\n'
    )


@pytest.fixture()
def root(tmp_path: Path, stack: Stack) -> Path:
    """An installed metricbeat (User=metricbeat, password in the keystore) and filebeat (root, env file)."""
    tmp_path.chmod(0o755)
    put(tmp_path, "/etc/passwd",
        f"root:x:0:0::/root:/bin/sh\nmetricbeat:x:{BEAT_UID}:{BEAT_GID}::/nonexistent:/bin/false\n")
    put(tmp_path, "/etc/group", f"root:x:0:\nmetricbeat:x:{BEAT_GID}:\n")
    put(tmp_path, "/usr/lib/systemd/system/metricbeat.service", unit("metricbeat", "metricbeat"))
    put(tmp_path, "/etc/metricbeat/metricbeat.yml", config(stack, "metricbeat", "/etc/metricbeat/ca.crt"),
        0o640, 0, BEAT_GID)
    (tmp_path / "etc/metricbeat").chmod(0o750)
    os.chown(tmp_path / "etc/metricbeat", 0, BEAT_GID)
    shutil.copy(stack.ca_file, tmp_path / "etc/metricbeat/ca.crt")
    (tmp_path / "etc/metricbeat/ca.crt").chmod(0o644)
    keystore = tmp_path / "var/lib/metricbeat/metricbeat.keystore"
    keystore.parent.mkdir(parents=True)
    write_keystore(str(keystore), {"ES_PWD": WRITER_PASSWORD})
    os.chown(keystore, BEAT_UID, BEAT_GID)
    put(tmp_path, "/lib/systemd/system/filebeat.service", unit("filebeat"))
    put(tmp_path, "/etc/filebeat/filebeat.yml", config(stack, "filebeat", "ca.crt"), 0o600)
    put(tmp_path, "/etc/default/filebeat", f"ES_PWD='{WRITER_PASSWORD}'\n", 0o600)
    put(tmp_path, "/etc/systemd/system/filebeat.service.d/cwd.conf", "[Service]\nWorkingDirectory=/etc/filebeat\n")
    shutil.copy(stack.ca_file, tmp_path / "etc/filebeat/ca.crt")
    put(tmp_path, "/usr/lib/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n")
    return tmp_path


def test_service_under_a_root_probes_as_the_unit_runs_it(stack: Stack, root: Path) -> None:
    # esprobe's own environment has the wrong password: the service's keystore must be what counts.
    result = stack.run("--service", "metricbeat", "--root", str(root), "--format", "json",
                       environ={"ES_PWD": "esprobe-has-the-wrong-one"})
    document = json.loads(result.out)
    validate_report(document)
    assert (result.code, document["status"]) == (0, "ok"), (result.err, document["findings"])
    service = document["service"]
    assert service["user"] == {"name": "metricbeat", "uid": BEAT_UID,
                               "origin": "User= at /usr/lib/systemd/system/metricbeat.service:2"}
    assert service["config_files"][0]["path"] == "/etc/metricbeat/metricbeat.yml"
    assert service["keystore"]["path"] == "/var/lib/metricbeat/metricbeat.keystore"
    assert service["variables"] == [{
        "name": "ES_PWD", "source": "keystore", "origin": "keystore /var/lib/metricbeat/metricbeat.keystore",
        "settings": ["output.elasticsearch.password"]}]
    assert WRITER_PASSWORD not in result.out


def test_env_file_and_working_directory_of_a_drop_in(stack: Stack, root: Path) -> None:
    result = stack.run("--service", "filebeat.service", "--root", str(root), "--format", "json", environ={})
    document = json.loads(result.out)
    assert result.code == 0, (document["findings"], [
        (t["id"], s["stage"], s["summary"]) for t in document["targets"] for s in t["stages"] if s["status"] != "ok"])
    service = document["service"]
    assert service["working_directory"] == {"path": "/etc/filebeat",
                                            "origin": "/etc/systemd/system/filebeat.service.d/cwd.conf:2"}
    assert service["variables"][0]["origin"] == "EnvironmentFile /etc/default/filebeat:1"
    assert service["files"] == ["/lib/systemd/system/filebeat.service",
                                "/etc/systemd/system/filebeat.service.d/cwd.conf", "/etc/default/filebeat"]
    table = stack.run("--service", "filebeat", "--root", str(root), environ={})
    assert "as service filebeat.service runs it:" in table.out
    assert WRITER_PASSWORD not in table.out


def test_files_the_service_user_cannot_read(stack: Stack, root: Path) -> None:
    (root / "etc/metricbeat/ca.crt").chmod(0o600)  # root-only: fine for esprobe, not for User=metricbeat
    # strict.perms for the Beat's user: the keystore must be owned by it or root (another user here).
    os.chown(root / "var/lib/metricbeat/metricbeat.keystore", 1234, 1234)
    result = stack.run("--service", "metricbeat", "--root", str(root), "--format", "json")
    document = json.loads(result.out)
    found = {(f["code"], f.get("location")) for f in document["findings"]}
    assert ("service-file-unreadable", "/etc/metricbeat/ca.crt") in found
    assert ("service-file-unreadable", "/var/lib/metricbeat/metricbeat.keystore") in found
    assert ("keystore-permissions", "/var/lib/metricbeat/metricbeat.keystore") in found
    assert result.code == 3


def test_all_beats_in_every_format(stack: Stack, root: Path) -> None:
    put(root, "/etc/default/filebeat", "ES_PWD=not-the-filebeat-password\n", 0o600)
    result = stack.run("--all", "--root", str(root), "--format", "json")
    documents = json.loads(result.out)
    assert isinstance(documents, list)
    for document in documents:
        validate_report(document)
    assert [(d["service"]["name"], d["status"]) for d in documents] == [
        ("filebeat.service", "fail"), ("metricbeat.service", "ok")]
    assert result.code == 2

    prometheus = stack.run("--all", "--root", str(root), "--format", "prometheus")
    assert ('esprobe_run_status{beat="filebeat",config="/etc/filebeat/filebeat.yml",service="filebeat.service"} 2'
            in prometheus.out)
    assert ('esprobe_run_status{beat="metricbeat",config="/etc/metricbeat/metricbeat.yml",'
            'service="metricbeat.service"} 0' in prometheus.out)
    assert prometheus.out.count("# TYPE esprobe_run_status gauge") == 1

    nagios = stack.run("--all", "--root", str(root), "--format", "nagios")
    first, *long_output = nagios.out.splitlines()
    assert first.startswith("ESPROBE CRITICAL - filebeat.service CRITICAL: ")
    assert "(1/2 Beats ok)" in first
    assert any(line.startswith("metricbeat.service: OK") for line in long_output)
    assert any(line.startswith("filebeat.service: CRITICAL") for line in long_output)
    assert nagios.code == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--service", "nope"], "no unit nope.service in "),
        (["--service", "nginx"], "nginx is not a Beat"),
        (["--service", "metricbeat", "-c", "x.yml"], "-c cannot be combined"),
        (["--service", "metricbeat", "--pid", "1"], "exclude one another"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(stack: Stack, root: Path, args: list, message: str) -> None:
    result = stack.run(*args, "--root", str(root)) if "--pid" not in args else stack.run(*args)
    assert result.code == 3
    assert result.out == ""
    assert message in result.err and result.err.count("\n") == 1, result.err


def test_all_without_any_beat(stack: Stack, tmp_path: Path) -> None:
    put(tmp_path, "/etc/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n")
    result = stack.run("--all", "--root", str(tmp_path))
    assert (result.code, result.err) == (3, f"esprobe: error: no Beat service found under {tmp_path}\n")


MIMIC = "import sys, time\nsys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)\n"


def test_pid_of_a_running_beat(stack: Stack, tmp_path: Path) -> None:
    """
    The process has the right password in its environment and runs from the directory of its
    config and CA file (both given relatively); esprobe runs elsewhere with the wrong password.
    """
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(stack.ca_file, work / "ca.crt")
    put(work, "/mb.yml", config(stack, "metricbeat", "ca.crt"), 0o600)
    script = tmp_path / "mimic.py"
    script.write_text(MIMIC)
    argv = [str(tmp_path / "bin" / "metricbeat"), str(script), "-e", "-c", "mb.yml",
            "-E", "output.elasticsearch.compression_level=1"]
    process = subprocess.Popen(argv, executable=sys.executable, cwd=work, stdout=subprocess.PIPE,
                               env={"ES_PWD": WRITER_PASSWORD, "PATH": "/usr/bin:/bin"})
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        result = stack.run("--pid", str(process.pid), "--format", "json", environ={"ES_PWD": "wrong"})
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    document = json.loads(result.out)
    validate_report(document)
    assert (result.code, document["status"]) == (0, "ok"), [
        (t["id"], s["stage"], s["summary"]) for t in document["targets"] for s in t["stages"] if s["status"] != "ok"]
    service = document["service"]
    assert (service["kind"], service["name"]) == ("process", f"pid {process.pid}")
    assert service["config_files"][0]["path"] == str(work / "mb.yml")
    assert service["working_directory"] == {"path": str(work), "origin": f"/proc/{process.pid}/cwd"}
    assert service["variables"][0]["origin"] == f"/proc/{process.pid}/environ"
    assert service["overrides"] == [{"flag": "-E output.elasticsearch.compression_level=1",
                                     "origin": f"-E in /proc/{process.pid}/cmdline"}]
    assert WRITER_PASSWORD not in result.out


def test_bundle_holds_the_unit_drop_ins_and_env_files_redacted(stack: Stack, root: Path, tmp_path: Path) -> None:
    put(root, "/etc/default/filebeat",
        f"ES_PWD='{WRITER_PASSWORD}'\nSHIPPER_API_TOKEN=tok-Unrelated-9f3e\nTZ=UTC\n", 0o600)
    target = tmp_path / "case.zip"
    result = stack.run("bundle", "--service", "filebeat", "--root", str(root), "-o", str(target), environ={})
    assert result.code == 0, result.err
    with zipfile.ZipFile(target) as archive:
        members = {name: archive.read(name).decode() for name in archive.namelist()}
    assert members["service/lib/systemd/system/filebeat.service"] == unit("filebeat")
    assert members["service/etc/systemd/system/filebeat.service.d/cwd.conf"].startswith("[Service]\nWorkingDirectory=")
    env_file = members["service/etc/default/filebeat"]
    assert env_file.splitlines() == ["ES_PWD=<redacted>", "SHIPPER_API_TOKEN=<redacted>", "TZ=UTC"]
    assert "output.elasticsearch" in members["config/original.yml"]  # read through --root
    for name, text in members.items():
        assert WRITER_PASSWORD not in text and "tok-Unrelated-9f3e" not in text, name


def test_a_password_passed_on_exec_start_never_shows(stack: Stack, root: Path) -> None:
    """systemd expands ${ES_PWD} into the -E flag; the report shows the flag, never the value."""
    put(root, "/etc/filebeat/filebeat.yml", config(stack, "filebeat", "ca.crt").replace('"${ES_PWD}"', "unused"),
        0o600)
    put(root, "/etc/systemd/system/filebeat.service.d/pw.conf",
        "[Service]\nExecStart=\nExecStart=/usr/share/filebeat/bin/filebeat $BEAT_CONFIG_OPTS $BEAT_PATH_OPTS "
        "-E output.elasticsearch.password=${ES_PWD}\n")
    for fmt in ("json", "table"):
        result = stack.run("--service", "filebeat", "--root", str(root), "--format", fmt, environ={})
        assert result.code == 0, result.out
        assert WRITER_PASSWORD not in result.out
    document = json.loads(stack.run("--service", "filebeat", "--root", str(root), "--format", "json").out)
    assert document["service"]["overrides"][0] == {
        "flag": "-E output.elasticsearch.password=<redacted>",
        "origin": "-E in ExecStart= at /etc/systemd/system/filebeat.service.d/pw.conf:3"}


def test_the_os_trust_store_is_the_one_under_the_root(stack: Stack, root: Path) -> None:
    """No certificate_authorities: the Beat trusts its own OS store, i.e. the image's or container's."""
    without_ca = config(stack, "filebeat", "unused").replace('  ssl.certificate_authorities: ["unused"]\n', "")
    put(root, "/etc/filebeat/filebeat.yml", without_ca, 0o600)
    result = stack.run("--service", "filebeat", "--root", str(root), "--format", "json", environ={})
    document = json.loads(result.out)
    tls = document["targets"][0]["stages"][2]
    assert (tls["stage"], tls["status"]) == ("tls", "fail")  # the image has no store at all
    put(root, "/etc/ssl/certs/ca-certificates.crt", stack.ca_file.read_text())
    clear_cache()  # one esprobe process reads a store once; this test runs two in one
    result = stack.run("--service", "filebeat", "--root", str(root), "--format", "json", environ={})
    tls = json.loads(result.out)["targets"][0]["stages"][2]
    assert (tls["status"], tls["details"]["trust"]) == ("ok", "os-store"), tls["summary"]
    assert tls["details"]["trust_store_path"] == str(root / "etc/ssl/certs/ca-certificates.crt")


def test_a_variable_the_service_does_not_define(stack: Stack, root: Path) -> None:
    """esprobe's own environment has ES_PWD; the service has not: the Beat would not start."""
    put(root, "/etc/default/filebeat", "OTHER=1\n", 0o600)
    result = stack.run("--service", "filebeat", "--root", str(root), "--format", "json")
    finding = next(f for f in json.loads(result.out)["findings"] if f["code"] == "config-unresolved-variable")
    assert "in the environment filebeat.service runs with" in finding["message"]
    assert result.code == 3


def test_a_secret_inside_an_object_flag_is_hidden_too(stack: Stack, root: Path, tmp_path: Path) -> None:
    """An -E whose value is an object holds its secrets by name at any depth, read or not by the config."""
    put(root, "/etc/systemd/system/filebeat.service.d/kafka.conf",
        "[Service]\nEnvironment=\"BEAT_LOG_OPTS=-E output.kafka={\\\"password\\\":\\\"Kafka-Never-Read-88bb\\\"}\"\n")
    result = stack.run("--service", "filebeat", "--root", str(root), "--format", "json", environ={})
    overrides = json.loads(result.out)["service"]["overrides"]
    assert any("output.kafka" in o["flag"] for o in overrides), overrides
    for fmt in ("json", "table", "nagios", "prometheus"):
        result = stack.run("--service", "filebeat", "--root", str(root), "--format", fmt, environ={})
        assert "Kafka-Never-Read-88bb" not in result.out + result.err, fmt
    target = tmp_path / "case.zip"
    stack.run("bundle", "--service", "filebeat", "--root", str(root), "-o", str(target), environ={})
    with zipfile.ZipFile(target) as archive:
        for name in archive.namelist():
            assert b"Kafka-Never-Read-88bb" not in archive.read(name), name


def test_a_secret_flag_the_config_never_reads_is_hidden_too(stack: Stack, root: Path, tmp_path: Path) -> None:
    put(root, "/etc/systemd/system/filebeat.service.d/token.conf",
        "[Service]\nEnvironment=BEAT_LOG_OPTS=-E\\sshipper.api_token=Tok-Never-Read-77aa\n")
    for fmt in ("json", "table", "nagios", "prometheus"):
        result = stack.run("--service", "filebeat", "--root", str(root), "--format", fmt, environ={})
        assert "Tok-Never-Read-77aa" not in result.out, fmt
    target = tmp_path / "case.zip"
    stack.run("bundle", "--service", "filebeat", "--root", str(root), "-o", str(target), environ={})
    with zipfile.ZipFile(target) as archive:
        for name in archive.namelist():
            assert b"Tok-Never-Read-77aa" not in archive.read(name), name
