"""
The command line on configs the Beat refuses or reads surprisingly (issue #16), end to end against
the loopback stand-ins: exit 3 with the Beat's words, file:line and setting; the order-dependent
and hole cases are warnings, not refusals; --beat-version picks the net/url rules.
"""

from __future__ import annotations

import base64
import json
from typing import Iterator

import pytest

from tests.support.cli import Stack, start_stack
from tests.support.schema import validate_report


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("fidelity"))


def _healthy_lines(stack: Stack) -> str:
    return stack.healthy_config().read_text()


@pytest.mark.parametrize(("line", "setting", "words"), [
    # libbeat/outputs/elasticsearch/config.go: compression_level `validate:"min=0, max=9"`
    ("output.elasticsearch.compression_level: 12", "output.elasticsearch.compression_level",
     "requires value <= 9 accessing 'output.elasticsearch.compression_level'"),
    # httpcommon.HTTPTransportSettings: timeout is a time.Duration
    ("output.elasticsearch.timeout: abc", "output.elasticsearch.timeout",
     "time: invalid duration \"abc\" accessing 'output.elasticsearch.timeout'"),
    # tlscommon.Config is a struct: a bool cannot be unpacked into it
    ("output.elasticsearch.ssl: true", "output.elasticsearch.ssl",
     "required 'object', but found 'bool' in field 'output.elasticsearch.ssl'"),
    # monitoring/report/report.go: only the elasticsearch reporter exists
    ("monitoring.logstash.hosts: ['ls:5044']", "monitoring.logstash", "unknown reporter type 'logstash'"),
])
def test_refused_settings_exit_3_with_the_beats_words(stack: Stack, line: str, setting: str, words: str) -> None:
    base = _healthy_lines(stack)
    if line.startswith("output.elasticsearch.ssl:"):
        base = base.replace(f'  ssl.certificate_authorities: ["{stack.ca_file}"]\n', "", 1)
    config = stack.config(base + line + "\n", "refused.yml")
    result = stack.run("-c", str(config), "--format", "json")
    document = json.loads(result.out)
    validate_report(document)
    assert (result.code, document["status"]) == (3, "unknown")
    (finding,) = [f for f in document["findings"] if f["setting"] == setting]
    assert words in finding["message"]
    assert finding["location"].startswith(str(config) + ":")
    assert "Traceback" not in result.out + result.err


def test_list_spelled_twice_is_a_warning_and_still_probed(stack: Stack) -> None:
    """go-ucfg never refuses a list written dotted and nested: exit 1 (warn), the target is checked."""
    text = _healthy_lines(stack) + f'output.elasticsearch.hosts: ["https://es.test:{stack.es.port}"]\n'
    text = text.replace(f'  hosts: ["https://es.test:{stack.es.port}"]',
                        f'  hosts: ["https://es.test:{stack.es.port}/"]')
    result = stack.run("-c", str(stack.config(text, "twice.yml")), "--format", "json")
    document = json.loads(result.out)
    assert [f["code"] for f in document["findings"]] == ["config-nondeterministic-merge"]
    assert result.code == 1
    assert document["targets"][0]["status"] == "ok"


def test_index_addressed_override_probes_what_the_beat_would(stack: Stack) -> None:
    """-E hosts.1=... wipes element 0: the Beat talks to localhost:9200, and so does esprobe."""
    config = stack.healthy_config()
    result = stack.run("-c", str(config), "--format", "json", "--only", "elasticsearch",
                       "-E", f"output.elasticsearch.hosts.1=https://es.test:{stack.es.port}")
    document = json.loads(result.out)
    assert [t["url"] for t in document["targets"]] == ["http://localhost:9200", f"https://es.test:{stack.es.port}"]
    (finding,) = [f for f in document["findings"] if f["code"] == "config-override-hole"]
    assert f"-E 'output.elasticsearch.hosts=[\"https://es.test:{stack.es.port}\"" in finding["hint"]


def test_beat_version_picks_the_url_rules(stack: Stack) -> None:
    """[127.0.0.1] is refused by Beats built with the CVE-2025-47912 fix, accepted by older ones."""
    text = "output.elasticsearch.hosts: ['http://[127.0.0.1]:9']\n"
    config = stack.config(text, "brackets.yml")
    new = json.loads(stack.run("-c", str(config), "--format", "json", "--beat-version", "9.2").out)
    assert "invalid IP-literal" in " ".join(f["message"] for f in new["findings"])
    assert new["targets"] == []
    old = json.loads(stack.run("-c", str(config), "--format", "json", "--beat-version", "8.15",
                               "--timeout", "1").out)
    assert [t["url"] for t in old["targets"]] == ["http://127.0.0.1:9"]


def test_cloud_id_with_an_empty_kibana_part_fails_kibana_without_a_crash(stack: Stack) -> None:
    cloud_id = "x:" + base64.b64encode(b"es.test$es$").decode()
    config = stack.config(f"cloud.id: '{cloud_id}'\nsetup.kibana: {{}}\n", "cloud.yml")
    result = stack.run("-c", str(config), "--format", "json", "--only", "kibana", "--timeout", "1")
    document = json.loads(result.out)
    (kibana,) = document["targets"]
    assert kibana["url"] == "https://.es.test:443"
    dns = kibana["stages"][0]
    assert (dns["stage"], dns["status"]) == ("dns", "fail")
    assert [f["setting"] for f in document["findings"] if f["code"] == "config-cloud-id-empty-part"] == ["cloud.id"]
    assert "Traceback" not in result.out + result.err
