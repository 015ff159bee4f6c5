"""The bundle tests' scenario: canary secrets everywhere a Beat's config can hold one, and running the CLI."""

from __future__ import annotations

import base64
import io
import os
import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import quote

from esprobe.cli import main
from esprobe.config.keystore import write_keystore
from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from esprobe.environment import Environment

# Canary secrets: distinct, unusual strings; none may appear anywhere in a bundle.
CLOUD_AUTH_PW = "Canary-CloudAuth-Pw-77e1"
CONFIG_PW = "Canary-Config-Pw-4d2e"
ENV_PW = "Canary-Env-Pw-1b7f"
KEYSTORE_PASSPHRASE = "Canary-Keystore-Passphrase-c0de"
FILE_PASSPHRASE = "Canary-File-Passphrase-e9a4"
INLINE_PASSPHRASE = "Canary-Inline-Passphrase-5a5a"
PROXY_PW = "Canary-Proxy-Pw-5e2c"
HEADER_TOKEN = "Canary-Header-Tok3n-99ff"
OVERRIDE_TOKEN = "Canary-Override-Tok3n-31aa"

MONITOR_ROLE = {
    "cluster": ["monitor"],
    "indices": [{"names": [".monitoring-beats-*"], "privileges": ["create_index", "create_doc"]}],
}


@dataclass(frozen=True)
class Pki:
    ca: pki.CertAuthority
    intermediate: pki.CertAuthority
    server: pki.Issued
    client: pki.Issued


@dataclass
class Stack:
    """The stand-ins, running for the whole module."""

    es: FakeElasticsearch
    kibana: FakeKibana
    dns: FakeDns
    api_key: str  # "id:key" of a real key on the stand-in, owned by the Kibana user


def _indent(text: bytes, spaces: int) -> str:
    return textwrap.indent(text.decode("ascii"), " " * spaces).rstrip("\n")


@dataclass
class Scenario:
    """One bundle run: its inputs and what came out."""

    directory: Path
    argv: List[str]
    environ: Dict[str, str]
    canaries: Dict[str, str] = field(default_factory=dict)  # name -> secret
    key_lines: List[str] = field(default_factory=list)  # base64 body lines of every private key
    code: Optional[int] = None
    stdout: str = ""
    stderr: str = ""

    @property
    def zip_path(self) -> Path:
        return self.directory / "out" / "bundle.zip"

    def members(self) -> Dict[str, bytes]:
        with zipfile.ZipFile(self.zip_path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def key_body_lines(pem: bytes) -> List[str]:
    lines = []
    for line in pem.decode("ascii").splitlines():
        if line and not line.startswith("-----") and ":" not in line and len(line) >= 16:
            lines.append(line)
    return lines


def leak_forms(secret: str) -> List[str]:
    """The secret and the forms it could travel in: base64 (header values) and URL-encoded."""
    forms = [secret, base64.b64encode(secret.encode()).decode(), quote(secret, safe="")]
    return list(dict.fromkeys(forms))


def run_cli(argv: Sequence[str], environ: Dict[str, str], cwd: Path) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(out, err, stdout_isatty=False, environ=environ, cwd=str(cwd)))
    return code, out.getvalue(), err.getvalue()


def write_config(path: Path, text: str, blocks: Optional[Dict[str, str]] = None) -> Path:
    """Write dedented YAML; *blocks* are multi-line texts put in after dedenting (PEM)."""
    text = textwrap.dedent(text).lstrip("\n")
    for marker, block in (blocks or {}).items():
        text = text.replace(marker, block)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def make_canary_scenario(d: Path, stack: Stack, bundle_pki: Pki, monitoring_password: str) -> Scenario:
    """
    Write the canary config into *d*, with the monitoring password *monitoring_password*
    ``literal`` (in the YAML) or ``env`` (``${ES_PWD}``); every other secret is the same in both.
    """
    (d / "out").mkdir()
    client = bundle_pki.client
    # A CA file that wrongly carries the CA's private key too: the key must not travel.
    ca_key = bundle_pki.ca.issued.key_pem()
    (d / "ca-bundle.pem").write_bytes(bundle_pki.ca.cert_pem + ca_key)
    (d / "client.crt").write_bytes(client.chain_pem)
    file_key = client.key_pem(passphrase=FILE_PASSPHRASE.encode())
    (d / "client.key").write_bytes(file_key)
    mon_key = client.key_pem(passphrase=KEYSTORE_PASSPHRASE.encode())
    (d / "monitoring.key").write_bytes(mon_key)
    (d / "passphrase.txt").write_text(FILE_PASSPHRASE)
    for name in ("client.key", "monitoring.key", "passphrase.txt"):
        os.chmod(d / name, 0o600)
    inline_key = client.key_pem()  # unencrypted, pasted into the YAML
    hosts = d / "hosts"
    hosts.write_text("127.0.0.1 es01.test kb01.test\n127.0.0.1 kibana.test # the Kibana VIP\n")
    keystore = write_keystore(str(d / "metricbeat.keystore"), {"KEY_PASS": KEYSTORE_PASSPHRASE})

    es_port, kb_port = stack.es.port, stack.kibana.port
    cloud_id = "canary-deploy:" + base64.b64encode(f"test$es01:{es_port}$kb01:{kb_port}".encode()).decode()
    if monitoring_password == "literal":
        mon_user, mon_pw_yaml = "mon_literal", f'"{CONFIG_PW}"'
    else:
        mon_user, mon_pw_yaml = "mon_env", '"${ES_PWD}"'
    config = write_config(d / "metricbeat.yml", f"""
        # Canary config: every secret here must be <redacted> in the bundle.
        cloud.id: "{cloud_id}"
        cloud.auth: "writer:{CLOUD_AUTH_PW}"

        output.elasticsearch:
          ssl:
            certificate_authorities: ["{d}/ca-bundle.pem"]
            certificate: "{d}/client.crt"
            key: "{d}/client.key"            # a path: not a secret
            key_passphrase_path: {d}/passphrase.txt

        setup.kibana:
          api_key: "{stack.api_key}"
          #password: "{CONFIG_PW}-old"
          proxy_url: "http://proxyuser:{PROXY_PW}@127.0.0.1:9"
          proxy_disable: true
          ssl.certificate_authorities: ["{d}/ca-bundle.pem"]
          ssl.certificate: |
        @CLIENT_CERT@
          ssl.key: |
        @INLINE_KEY@

        monitoring:
          enabled: true
          elasticsearch:
            hosts: ["https://mon.test:{es_port}"]
            username: {mon_user}
            password: {mon_pw_yaml}
            ssl:
              certificate_authorities: ["{d}/ca-bundle.pem"]
              certificate: {d}/client.crt
              key: {d}/monitoring.key
              key_passphrase: "${{KEY_PASS}}"   # from the keystore
    """, {"@CLIENT_CERT@": _indent(client.cert_pem, 4), "@INLINE_KEY@": _indent(inline_key, 4)})
    second = write_config(d / "headers.yml", f"""
        setup.kibana.headers:
          Authorization: "Bearer {HEADER_TOKEN}"
          X-Opaque-Id: esprobe-bundle-test
    """)
    argv = [
        "bundle", "-c", str(config), "-c", str(second), "--keystore", keystore,
        "--hosts-file", str(hosts), "--nameserver", stack.dns.nameserver, "--timeout", "3",
        "-E", f"monitoring.elasticsearch.headers.X-Extra-Token={OVERRIDE_TOKEN}",
        "-o", str(d / "out" / "bundle.zip"),
    ]
    api_secret = stack.api_key.split(":", 1)[1]
    canaries = {
        "cloud.auth password": CLOUD_AUTH_PW,
        "keystore value / key_passphrase": KEYSTORE_PASSPHRASE,
        "key_passphrase_path contents": FILE_PASSPHRASE,
        "proxy_url password": PROXY_PW,
        "Authorization header token": HEADER_TOKEN,
        "-E header token": OVERRIDE_TOKEN,
        "api_key secret": api_secret,
        "api_key id:key": stack.api_key,
        "commented-out password": f"{CONFIG_PW}-old",
    }
    if monitoring_password == "literal":
        canaries["config password"] = CONFIG_PW
    else:
        canaries["environment ${ES_PWD}"] = ENV_PW
    return Scenario(
        directory=d,
        argv=argv,
        environ={"ES_PWD": ENV_PW, "PATH": "/usr/bin:/bin"},
        canaries=canaries,
        key_lines=key_body_lines(inline_key) + key_body_lines(file_key) + key_body_lines(mon_key)
        + key_body_lines(ca_key),
    )


def run(scenario: Scenario) -> Scenario:
    scenario.code, scenario.stdout, scenario.stderr = run_cli(scenario.argv, scenario.environ, scenario.directory)
    return scenario
