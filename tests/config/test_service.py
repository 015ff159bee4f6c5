"""From a unit or a running process to the Beat's invocation: flags, paths, user, readability."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from esprobe.config.accounts import Account, check_read_access, lookup_user
from esprobe.config.process import ProcessError, parse_nul_list, parse_status_ids, read_process
from esprobe.config.service import InvocationError, from_process, from_unit, parse_beat_flags
from esprobe.config.systemd import UnitError, read_unit

# The deb/rpm unit Elastic ships (dev-tools/packaging/templates/linux/systemd.unit.tmpl), for metricbeat.
ELASTIC_UNIT = """\
[Unit]
Description=Metricbeat is a lightweight shipper for metrics.
Wants=network-online.target
After=network-online.target

[Service]
User=metricbeat
Group=metricbeat
UMask=0027
Environment="GODEBUG='madvdontneed=1'"
Environment="BEAT_LOG_OPTS="
Environment="BEAT_CONFIG_OPTS=-c /etc/metricbeat/metricbeat.yml"
Environment="BEAT_PATH_OPTS=--path.home /usr/share/metricbeat --path.config /etc/metricbeat \\
--path.data /var/lib/metricbeat --path.logs /var/log/metricbeat"
EnvironmentFile=-/etc/default/metricbeat
ExecStart=/usr/share/metricbeat/bin/metricbeat --environment systemd \\
  $BEAT_LOG_OPTS $BEAT_CONFIG_OPTS $BEAT_PATH_OPTS
Restart=always

[Install]
WantedBy=multi-user.target
"""


def write(root: Path, path: str, text: str, mode: int = 0o644) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)
    return target


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    tmp_path.chmod(0o755)  # an image's / is searchable by everyone
    write(tmp_path, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
          "metricbeat:x:998:997::/nonexistent:/usr/sbin/nologin\nother:x:1000:1000::/home/other:/bin/sh\n")
    write(tmp_path, "/etc/group", "root:x:0:\nmetricbeat:x:997:\nadm:x:4:metricbeat\n")
    return tmp_path


@pytest.mark.parametrize(
    "args, field, expected",
    [
        (["-c", "a.yml", "--c=b.yml", "-cc.yml"], "config_files", ("a.yml", "b.yml", "c.yml")),
        (["-E", "a=1", "-E=b=2", "-Ec=3", "--E", "d=4"], "overrides", ("a=1", "b=2", "c=3", "d=4")),
        (["-path.home", "/h", "--path.data=/d"], "paths", {"home": "/h", "data": "/d"}),
        (["--strict.perms=false"], "strict_perms", False),
        (["-strict.perms"], "strict_perms", True),
        (["-e", "-d", "publisher,elasticsearch"], "debug_selectors", ("publisher", "elasticsearch")),
        (["-ev"], "log_to_stderr", True),
        (["--environment", "systemd"], "environment", "systemd"),
        (["run", "-e"], "subcommand", "run"),
        (["test", "output"], "subcommand", "test"),
        (["--bogus", "-c", "x.yml"], "unknown", ("--bogus",)),
        (["-c"], "unknown", ("-c (no value)",)),
        (["--", "-c", "x.yml"], "config_files", ()),
    ],
)
def test_beat_flags(args: List[str], field: str, expected: object) -> None:
    assert getattr(parse_beat_flags(args), field) == expected


def test_the_elastic_unit(root: Path) -> None:
    write(root, "/usr/lib/systemd/system/metricbeat.service", ELASTIC_UNIT)
    write(root, "/etc/default/metricbeat", 'BEAT_LOG_OPTS="-e -d \\"publisher\\""\nES_PWD=s3cret\n')
    invocation = from_unit(read_unit("metricbeat", str(root)), str(root))
    unit_line = "ExecStart= at /usr/lib/systemd/system/metricbeat.service:16"
    assert invocation.argv == (
        "/usr/share/metricbeat/bin/metricbeat", "--environment", "systemd", "-e", "-d", "publisher",
        "-c", "/etc/metricbeat/metricbeat.yml", "--path.home", "/usr/share/metricbeat",
        "--path.config", "/etc/metricbeat",
        "--path.data", "/var/lib/metricbeat", "--path.logs", "/var/log/metricbeat",
    )
    assert [(c.value, c.origin) for c in invocation.config_files] == [
        ("/etc/metricbeat/metricbeat.yml", f"-c /etc/metricbeat/metricbeat.yml in {unit_line}")]
    assert [o.value for o in invocation.overrides] == [
        "path.home=/usr/share/metricbeat", "path.config=/etc/metricbeat", "path.data=/var/lib/metricbeat",
        "path.logs=/var/log/metricbeat"]
    assert (invocation.account.name, invocation.account.uid, invocation.account.groups) == ("metricbeat", 998,
                                                                                            frozenset({997, 4}))
    assert invocation.env_origins["ES_PWD"] == "EnvironmentFile /etc/default/metricbeat:2"
    assert invocation.environ["USER"] == "metricbeat"
    assert invocation.working_directory.value == "/"
    assert invocation.files == ("/usr/lib/systemd/system/metricbeat.service", "/etc/default/metricbeat")


def test_relative_config_follows_path_config_then_home_then_workdir(root: Path) -> None:
    def configs(exec_start: str, workdir: str = "") -> List[str]:
        extra = f"WorkingDirectory={workdir}\n" if workdir else ""
        write(root, "/etc/systemd/system/fb.service", f"[Service]\n{extra}ExecStart={exec_start}\n")
        return [c.value for c in from_unit(read_unit("fb", str(root)), str(root)).config_files]

    assert configs("/opt/fb/filebeat -c fb.yml --path.config /etc/fb --path.home /opt/fb") == ["/etc/fb/fb.yml"]
    assert configs("/opt/fb/filebeat -c fb.yml --path.home /opt/fb") == ["/opt/fb/fb.yml"]
    assert configs("/opt/fb/filebeat -c fb.yml", "/srv") == ["/srv/fb.yml"]
    assert configs("/opt/fb/filebeat") == ["/filebeat.yml"]  # the default -c, from / under systemd
    invocation = from_unit(read_unit("fb", str(root)), str(root))
    assert invocation.home_default == "/opt/fb"  # path.home defaults to the binary's directory


@pytest.mark.parametrize(
    "exec_start, message",
    [
        ("/usr/bin/nginx -g daemon", "nginx is not a Beat"),
        ("/usr/share/metricbeat/bin/metricbeat test output", "runs 'metricbeat test', not the Beat itself"),
    ],
)
def test_not_a_beat(root: Path, exec_start: str, message: str) -> None:
    write(root, "/etc/systemd/system/x.service", f"[Service]\nExecStart={exec_start}\n")
    with pytest.raises(InvocationError, match=message):
        from_unit(read_unit("x", str(root)), str(root))


def test_unknown_user_is_refused(root: Path) -> None:
    write(root, "/etc/systemd/system/x.service", "[Service]\nUser=ghost\nExecStart=/usr/bin/metricbeat\n")
    with pytest.raises(UnitError, match="User=ghost .* does not exist"):
        from_unit(read_unit("x", str(root)), str(root))


# --- readability as another user ------------------------------------------------------------


@pytest.mark.parametrize(
    "dir_mode, file_mode, owner, group, readable, blocked",
    [
        (0o755, 0o644, 0, 0, True, None),
        (0o755, 0o600, 0, 0, False, "/etc/mb/ca.pem"),
        (0o755, 0o640, 0, 997, True, None),  # the user's primary group
        (0o755, 0o640, 0, 4, True, None),  # a supplementary group from /etc/group
        (0o755, 0o044, 998, 0, False, "/etc/mb/ca.pem"),  # owner bits apply to the owner, even when others may
        (0o750, 0o644, 0, 0, False, "/etc/mb"),  # a directory on the way
        (0o711, 0o644, 0, 0, True, None),  # search (x) is enough on directories
    ],
)
def test_read_access_for_another_user(root: Path, dir_mode: int, file_mode: int, owner: int, group: int,
                                      readable: bool, blocked: object) -> None:
    ca = write(root, "/etc/mb/ca.pem", "x", file_mode)
    os.chown(ca, owner, group)
    (root / "etc/mb").chmod(dir_mode)
    account = lookup_user("metricbeat", str(root))
    assert account is not None
    access = check_read_access("/etc/mb/ca.pem", account, str(root))
    assert (access.readable, access.blocked_at) == (readable, blocked), access.why
    assert check_read_access("/etc/mb/ca.pem", Account("root", 0, 0, "/", "/bin/sh"), str(root)).readable


# --- /proc ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, items",
    [(b"a\0b c\0", ("a", "b c")), (b"a\0\0", ("a", "")), (b"", ()), (b"no-nul", ("no-nul",))],
)
def test_nul_lists(data: bytes, items: tuple) -> None:
    assert parse_nul_list(data) == items


def test_status_ids_are_the_effective_ones() -> None:
    assert parse_status_ids("Name:\tx\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n") == (2, 6)
    with pytest.raises(ProcessError):
        parse_status_ids("Name:\tx\n")


MIMIC = "import sys, time\nsys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)\n"


@pytest.fixture()
def beat_like(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """
    A real process whose /proc looks like a Beat's: argv[0] is .../bin/metricbeat (the interpreter
    runs under that name), -c relative to its cwd, -E flags, and an environment of its own.
    """
    script = tmp_path / "mimic.py"
    script.write_text(MIMIC)
    (tmp_path / "work").mkdir()
    argv = [str(tmp_path / "bin" / "metricbeat"), str(script), "-e", "-c", "metricbeat.yml",
            "-E", "output.elasticsearch.hosts=['http://127.0.0.1:9']", "--strict.perms=false"]
    env: Dict[str, str] = {"ES_PWD": "only-in-the-process", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(argv, executable=sys.executable, cwd=tmp_path / "work", env=env,
                               stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    try:
        yield process
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def test_a_running_process_read_through_proc(beat_like: subprocess.Popen, tmp_path: Path) -> None:
    process = read_process(beat_like.pid)
    assert process.environ == {"ES_PWD": "only-in-the-process", "PATH": "/usr/bin:/bin"}
    assert (process.cwd, process.root, process.uid) == (str(tmp_path / "work"), "/", os.geteuid())
    invocation = from_process(beat_like.pid)
    assert invocation.beat == "metricbeat"
    assert [c.value for c in invocation.config_files] == [str(tmp_path / "work" / "metricbeat.yml")]
    assert [(o.value, o.origin) for o in invocation.overrides] == [
        ("output.elasticsearch.hosts=['http://127.0.0.1:9']", f"-E in /proc/{beat_like.pid}/cmdline"),
        ("strict.perms=false", f"--strict.perms in /proc/{beat_like.pid}/cmdline"),
    ]
    assert invocation.flags.log_to_stderr
    assert invocation.environ["ES_PWD"] == "only-in-the-process"


def test_a_process_that_is_gone(beat_like: subprocess.Popen) -> None:
    pid = beat_like.pid
    beat_like.kill()
    beat_like.wait()
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(ProcessError, match=f"process {pid} does not exist"):
        from_process(pid)


def test_a_process_that_is_not_a_beat() -> None:
    with pytest.raises(InvocationError, match="is not a Beat"):
        from_process(os.getpid())


WRAPPER = """#!/usr/bin/env bash

# Script to run Metricbeat in foreground with the same path settings that
# the init script / systemd unit file would do.

exec /usr/share/metricbeat/bin/metricbeat \\
  -path.home /usr/share/metricbeat \\
  -path.config /etc/metricbeat \\
  -path.data /var/lib/metricbeat \\
  -path.logs /var/log/metricbeat \\
  "$@"
"""


def test_the_packages_usr_bin_wrapper_adds_its_path_flags(root: Path) -> None:
    write(root, "/usr/bin/metricbeat", WRAPPER, 0o755)
    write(root, "/etc/systemd/system/mb.service", "[Service]\nExecStart=metricbeat -c custom.yml --path.data /d\n")
    invocation = from_unit(read_unit("mb", str(root)), str(root))
    assert invocation.argv[:3] == ("/usr/share/metricbeat/bin/metricbeat", "-path.home", "/usr/share/metricbeat")
    assert [c.value for c in invocation.config_files] == ["/etc/metricbeat/custom.yml"]  # against -path.config
    assert invocation.flags.paths["data"] == "/d"  # the unit's own flag comes later and wins
    assert invocation.home_default == "/usr/share/metricbeat/bin"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to start a process another user cannot read, and setpriv to be that user")
def test_a_process_of_another_user_says_root_is_needed(beat_like: subprocess.Popen) -> None:
    """esprobe run as nobody against root's Beat: /proc/PID/environ is closed to it; one line, exit 3."""
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": os.environ.get("PATH", "")}
    probe = subprocess.run([*as_nobody, "-c", "import esprobe.cli"], capture_output=True, text=True, timeout=60,
                           cwd="/", env=env)
    if probe.returncode != 0:  # e.g. a pyenv interpreter under /root, which nobody may not run
        pytest.skip(f"this Python cannot run as nobody: {(probe.stderr.strip().splitlines() or ['?'])[-1]}")
    result = subprocess.run([*as_nobody, "-m", "esprobe", "--pid", str(beat_like.pid), "--nameserver", "127.0.0.1:9",
                             "--debug"],  # an internal error then shows its traceback in the assertion
                            capture_output=True, text=True, timeout=60, cwd="/", env=env)
    assert result.returncode == 3, result.stderr
    assert result.stderr == (f"esprobe: error: cannot read /proc/{beat_like.pid}/environ: permission denied; "
                             "run esprobe as root or as the process's user\n")
    assert result.stdout == ""


def test_secret_named_flags_are_masked_in_the_service_block() -> None:
    from esprobe.config.service import _mask_argv

    argv = ["/bin/metricbeat", "-E", "custom.api_token=t0k", "-Eoutput.x.password=p", "--E=a.secret=s",
            "-E", "output.elasticsearch.hosts=[a]", "-c", "password=not-a-flag-value"]
    assert _mask_argv(argv) == ["/bin/metricbeat", "-E", "custom.api_token=<redacted>",
                                "-Eoutput.x.password=<redacted>", "--E=a.secret=<redacted>",
                                "-E", "output.elasticsearch.hosts=[a]", "-c", "password=not-a-flag-value"]


def test_group_and_supplementary_groups_of_the_unit(root: Path) -> None:
    write(root, "/etc/group", "root:x:0:\nmetricbeat:x:997:\nadm:x:4:metricbeat\nssl-cert:x:111:\nlogs:x:112:\n")
    write(root, "/etc/systemd/system/mb.service",
          "[Service]\nUser=metricbeat\nGroup=ssl-cert\nSupplementaryGroups=logs\nExecStart=/usr/bin/metricbeat\n")
    account = from_unit(read_unit("mb", str(root)), str(root)).account
    assert (account.gid, account.groups) == (111, frozenset({111, 4, 112}))  # 997 was only the passwd primary
    write(root, "/etc/systemd/system/mb.service",
          "[Service]\nUser=metricbeat\nGroup=nogroup\nExecStart=/usr/bin/metricbeat\n")
    with pytest.raises(UnitError, match="the group nogroup"):
        from_unit(read_unit("mb", str(root)), str(root))
