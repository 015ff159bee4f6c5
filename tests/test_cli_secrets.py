"""
Secrets never leave (issue #5): canary secrets in every credential setting — from the config, the
environment and the Beat's keystore — run through every output format, in passing and failing
scenarios; none may appear on stdout, stderr or in a file esprobe writes, in plain or encoded form.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from esprobe.config.keystore import write_keystore
from esprobe.demo.standins import pki
from tests.support.cli import WRITER_PASSWORD, Stack, start_stack
from tests.support.peers import refused_port
from tests.support.schema import validate_report

KEYSTORE_PW = "Ks-Canary-pw-0b7e19"  # the writer's password, only in the keystore
API_SECRET = "ApiKey-Canary-secret-5c2a"
PASSPHRASE = "Passphrase-Canary-d41f"
CLOUD_PW = "Cloud-Canary-pw-8e03"
PROXY_PW = "Proxy-Canary-pw-37aa"
ENV_PW = "Env-Canary-pw-19c4"
HEADER_TOKEN = "Header-Canary-token-6b21"

CANARIES = [KEYSTORE_PW, API_SECRET, PASSPHRASE, CLOUD_PW, PROXY_PW, ENV_PW, HEADER_TOKEN]


def _forms(secret: str) -> List[str]:
    return [secret, base64.b64encode(secret.encode()).decode(), urllib.parse.quote(secret, safe="")]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for stack in start_stack(tmp_path_factory.mktemp("secrets")):
        stack.es.add_user("ks_writer", KEYSTORE_PW, ["metricbeat_writer", "kibana_admin"])
        stack.es.add_role("beats_mon", cluster=["monitor"],
                          indices=[{"names": [".monitoring-beats-*"], "privileges": ["create_index", "create_doc"]}])
        stack.es.add_user("mon_user", WRITER_PASSWORD, ["beats_mon"])
        yield stack


def _scenarios(stack: Stack) -> Dict[str, Path]:
    directory = stack.directory
    (directory / "data").mkdir(exist_ok=True)
    keystore = write_keystore(str(directory / "data" / "metricbeat.keystore"), {"ES_PWD": KEYSTORE_PW})
    client = stack.ca.issue("beats01", key_kind="rsa", extended_key_usage=[pki.CLIENT_AUTH])
    (directory / "client.crt").write_bytes(client.cert_pem)
    key = directory / "client.key"
    key.write_bytes(client.key_pem("pkcs8", PASSPHRASE.encode()))
    passphrase_file = directory / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE)
    es, kb, ca = stack.es.port, stack.kibana.port, stack.ca_file
    cloud_id = "demo:" + base64.b64encode(b"cloud.invalid.test$es$kb").decode()
    return {
        # passing: the password comes from the keystore, and Kibana falls back to it
        "keystore": stack.config(
            f'output.elasticsearch:\n  hosts: ["https://es.test:{es}"]\n  username: ks_writer\n  password: '
            f'"${{ES_PWD}}"\n'
            f'  ssl.certificate_authorities: ["{ca}"]\n  headers:\n    X-Trace: "{HEADER_TOKEN}"\n'
            f'setup.kibana:\n  host: "https://kibana.test:{kb}"\n  ssl.certificate_authorities: ["{ca}"]\n'
            f'keystore.path: "{keystore}"\n',
            "keystore.yml",
        ),
        # failing: an unknown API key
        "api-key": stack.config(
            f'output.elasticsearch:\n  hosts: ["https://es.test:{es}"]\n  api_key: "nosuchid:{API_SECRET}"\n'
            f'  ssl.certificate_authorities: ["{ca}"]\n',
            "apikey.yml",
        ),
        # passing TLS with an encrypted client key (passphrase inline and from a file)
        "passphrase": stack.config(
            f'output.elasticsearch:\n  hosts: ["https://es.test:{es}"]\n  username: beats_writer\n'
            f'  password: "{WRITER_PASSWORD}"\n  ssl:\n    certificate_authorities: ["{ca}"]\n'
            f'    certificate: "{directory / "client.crt"}"\n    key: "{key}"\n    key_passphrase: "{PASSPHRASE}"\n'
            f'monitoring.elasticsearch:\n  hosts: ["https://es.test:{es}"]\n  username: mon_user\n'
            f'  ssl.key_passphrase_path: "{passphrase_file}"\n',
            "passphrase.yml",
        ),
        # failing: cloud.id names hosts that do not exist, with cloud.auth credentials
        "cloud": stack.config(f'cloud.id: "{cloud_id}"\ncloud.auth: "elastic:{CLOUD_PW}"\n', "cloud.yml"),
        # failing: a proxy (with credentials in its URL) that is down
        "proxy": stack.config(
            f'output.elasticsearch:\n  hosts: ["https://es.test:{es}"]\n  username: beats_writer\n'
            f'  password: "{WRITER_PASSWORD}"\n  proxy_url: "http://px:{PROXY_PW}@127.0.0.1:{refused_port()}"\n'
            f'  ssl.certificate_authorities: ["{ca}"]\n',
            "proxy.yml",
        ),
        # failing: monitoring credentials from the environment, wrong
        "environment": stack.config(
            f'output.elasticsearch:\n  hosts: ["https://es.test:{es}"]\n  username: beats_writer\n'
            f'  password: "{WRITER_PASSWORD}"\n  ssl.certificate_authorities: ["{ca}"]\n'
            f'monitoring.elasticsearch:\n  username: beats_system\n  password: "${{MON_PW}}"\n',
            "environment.yml",
        ),
    }


EXPECTED_EXIT = {"keystore": 0, "api-key": 2, "passphrase": 0, "cloud": 2, "proxy": 2, "environment": 2}


@pytest.mark.parametrize("fmt", ["table", "json", "nagios", "prometheus"])
@pytest.mark.parametrize("scenario", sorted(EXPECTED_EXIT))
def test_no_canary_in_any_output(stack: Stack, scenario: str, fmt: str) -> None:
    config = _scenarios(stack)[scenario]
    output = stack.directory / f"out-{scenario}-{fmt}.txt"
    environ = {"MON_PW": ENV_PW, "ES_PWD": ""}  # ES_PWD empty: the keystore value must be used
    printed = stack.run("-c", str(config), "--format", fmt, environ=environ)
    written = stack.run("-c", str(config), "--format", fmt, "--output", str(output), environ=environ)
    assert printed.code == EXPECTED_EXIT[scenario], printed.out + printed.err
    assert written.code == printed.code
    texts = {"stdout": printed.out, "stderr": printed.err + written.err, "file": output.read_text()}
    for where, text in texts.items():
        for canary in CANARIES:
            for form in _forms(canary):
                assert form not in text, f"{scenario}/{fmt}: a canary ({canary[:6]}…) leaked to {where}"
    if fmt == "json":
        validate_report(json.loads(printed.out))


def test_keystore_password_authenticates(stack: Stack) -> None:
    """Done-when of issue #5: ${ES_PWD} from the keystore authenticates against the stand-in."""
    config = _scenarios(stack)["keystore"]
    result = stack.run("-c", str(config), "--format", "json", environ={"ES_PWD": ""})
    document = json.loads(result.out)
    auth = next(s for s in document["targets"][0]["stages"] if s["stage"] == "auth")
    assert auth["status"] == "ok" and auth["details"]["username"] == "ks_writer"
    kibana = next(t for t in document["targets"] if t["id"] == "kibana")
    assert kibana["status"] == "ok"
