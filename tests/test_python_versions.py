"""
The report does not depend on the Python that runs esprobe (issue #21): one fixed scenario, run by the
command line as a user runs it, gives the same JSON apart from timings. Always twice with this
interpreter (the output is deterministic); and when .ci/run names the other interpreter it tests
(ESPROBE_OTHER_PYTHON: a python with esprobe installed), once more with that one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.server import TlsConfig
from tests.support.cli import WRITER_PASSWORD, WRITER_ROLE
from tests.support.paths import REPO
from tests.support.peers import refused_port

OTHER_PYTHON = os.environ.get("ESPROBE_OTHER_PYTHON", "")
# Keys whose values are clocks, not verdicts (and "... in 6 ms" inside a summary).
TIMING_KEYS = {"ms", "generated_at", "started_at", "finished_at", "timestamp"}
MILLISECONDS = re.compile(r"\b\d+(?:\.\d+)? ms\b")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[List[str]]:
    """
    A config with a healthy target and the kinds of trouble whose text Python could shape: a name the
    certificate does not carry, an IPv4-mapped IPv6 address from DNS and as a URL literal, a refused port.
    """
    directory = tmp_path_factory.mktemp("versions")
    ca = pki.CertAuthority.root("esprobe versions test CA")
    server = ca.issue("es.test", dns=["es.test"], ips=["127.0.0.1", "::1"])
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    es = FakeElasticsearch(tls=TlsConfig.from_issued(server))
    es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
    es.add_user("beats_writer", WRITER_PASSWORD, ["metricbeat_writer"])
    zone = Zone(a={"es.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]},
                aaaa={"mapped.test": ["::ffff:127.0.0.1"]})
    with FakeDns(zone) as dns, es:
        hosts = [f"https://es.test:{es.port}", f"https://other.test:{es.port}", f"https://mapped.test:{es.port}",
                 f"https://[::ffff:127.0.0.1]:{es.port}", f"https://es.test:{refused_port()}"]
        config = directory / "metricbeat.yml"
        config.write_text(
            "output.elasticsearch:\n"
            f"  hosts: {json.dumps(hosts)}\n"
            "  username: beats_writer\n"
            '  password: "${ES_PWD}"\n'
            f'  ssl.certificate_authorities: ["{ca_file}"]\n'
        )
        config.chmod(0o600)
        (directory / "hosts").write_text("")
        yield ["-c", str(config), "--format", "json", "--timeout", "3", "--nameserver", dns.nameserver,
               "--hosts-file", str(directory / "hosts")]


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_KEYS and not k.endswith("_ms")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    if isinstance(value, str):
        return MILLISECONDS.sub("N ms", value)
    return value


def _flat(value: Any, path: str = "") -> Dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()}
    return {path: value}


def _differences(a: Any, b: Any) -> List[str]:
    left, right = _flat(a), _flat(b)
    return [f"{k}: {left.get(k)!r} != {right.get(k)!r}" for k in sorted(set(left) | set(right))
            if left.get(k) != right.get(k)]


def _report(python: str, args: List[str]) -> Any:
    env = {"PATH": os.environ.get("PATH", ""), "ES_PWD": WRITER_PASSWORD, "LC_ALL": "C.UTF-8",
           "PYTHONPATH": str(REPO) if python == sys.executable else ""}
    done = subprocess.run([python, "-m", "esprobe", *args], env=env, capture_output=True, text=True, timeout=120,
                          cwd=str(REPO) if python == sys.executable else "/")
    assert done.stdout.startswith("{"), done.stderr
    return _without_timings(json.loads(done.stdout))


def test_the_report_is_the_same_run_after_run(scenario: List[str]) -> None:
    first = _report(sys.executable, scenario)
    assert first["targets"], "the scenario produced no targets"
    differences = _differences(_report(sys.executable, scenario), first)
    assert not differences, "\n".join(differences)


@pytest.mark.skipif(not OTHER_PYTHON, reason="ESPROBE_OTHER_PYTHON not set (.ci/run sets it for its 2nd Python)")
def test_the_report_is_the_same_under_the_other_python(scenario: List[str]) -> None:
    ours = _report(sys.executable, scenario)
    theirs = _report(OTHER_PYTHON, scenario)
    differences = _differences(theirs, ours)
    assert not differences, "\n".join(differences)
