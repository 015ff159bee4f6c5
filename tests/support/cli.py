"""Running esprobe's command line in-process against a loopback stack: FakeDns, Elasticsearch, Kibana."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional

from esprobe.cli import main
from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from esprobe.demo.standins.server import TlsConfig
from esprobe.environment import Environment

WRITER_PASSWORD = "Cli-canary-Writer-5f2d"
WRITER_ROLE = {
    "cluster": ["monitor", "read_ilm", "read_pipeline"],
    "indices": [{"names": ["metricbeat-*"], "privileges": ["create_doc", "auto_configure", "view_index_metadata"]}],
}


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@dataclass
class Stack:
    """A healthy Elastic stack on loopback that answers for es.test and kibana.test."""

    directory: Path
    dns: FakeDns
    es: FakeElasticsearch
    kibana: FakeKibana
    ca: pki.CertAuthority
    ca_file: Path
    started: List[object] = field(default_factory=list)

    @property
    def nameserver(self) -> str:
        return self.dns.nameserver

    def config(self, text: str, name: str = "metricbeat.yml") -> Path:
        path = self.directory / name
        path.write_text(text)
        path.chmod(0o600)
        return path

    def healthy_config(self, **extra: str) -> Path:
        lines = [
            "output.elasticsearch:",
            f'  hosts: ["https://es.test:{self.es.port}"]',
            "  username: beats_writer",
            '  password: "${ES_PWD}"',
            f'  ssl.certificate_authorities: ["{self.ca_file}"]',
            "setup.kibana:",
            f'  host: "https://kibana.test:{self.kibana.port}"',
            f'  ssl.certificate_authorities: ["{self.ca_file}"]',
        ]
        lines += [f"{k}: {v}" for k, v in extra.items()]
        return self.config("\n".join(lines) + "\n")

    def run(self, *args: str, environ: Optional[Mapping[str, str]] = None, isatty: bool = False) -> CliResult:
        """`esprobe <args> --nameserver <the FakeDns>` in-process; ES_PWD set unless *environ* says otherwise."""
        out, err = io.StringIO(), io.StringIO()
        base: Dict[str, str] = {"ES_PWD": WRITER_PASSWORD, "PATH": os.environ.get("PATH", "")}
        env = Environment(out, err, isatty, {**base, **(environ or {})}, str(self.directory))
        argv = list(args)
        if args and args[0] != "demo":
            argv += ["--nameserver", self.nameserver]
        code = main(argv, env)
        return CliResult(code, out.getvalue(), err.getvalue())


def start_stack(directory: Path) -> Iterator[Stack]:
    ca = pki.CertAuthority.root("esprobe cli test CA")
    server = ca.issue("es.test", dns=["es.test", "kibana.test"], ips=["127.0.0.1"])
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    es = FakeElasticsearch(tls=TlsConfig.from_issued(server))
    es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
    es.add_user("beats_writer", WRITER_PASSWORD, ["metricbeat_writer", "kibana_admin"])
    kibana = FakeKibana(es, tls=TlsConfig.from_issued(server))
    dns = FakeDns(Zone(a={"es.test": ["127.0.0.1"], "kibana.test": ["127.0.0.1"]}))
    with dns, es, kibana:
        yield Stack(directory, dns, es, kibana, ca, ca_file)
