"""
The stand-in Elastic stack the benchmarks probe, run in its own process so that its CPU time is
not charged to esprobe: Elasticsearch and Kibana over TLS, a DNS server, each behind a relay that
adds the round-trip time under test. Each relay is a process of its own (benchmarks/relay.py).

    python benchmarks/stack.py --rtt-ms 100 --dir /tmp/esprobe-bench   # prints one JSON line, then serves
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from relay import relay_process

from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from esprobe.demo.standins.server import TlsConfig

PASSWORD = "bench-writer-password"
WRITER_CLUSTER = ["monitor", "read_ilm", "read_pipeline"]
WRITER_INDICES = [{"names": ["metricbeat-*"], "privileges": ["create_doc", "auto_configure", "view_index_metadata"]}]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rtt-ms", type=float, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--hosts", type=int, default=0, help="also write a config naming this many ES hosts")
    args = parser.parse_args()
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    ca = pki.CertAuthority.root("esprobe bench CA")
    server = ca.issue("es.bench", dns=["es.bench", "kibana.bench", "*.es.bench"], ips=["127.0.0.1"])
    (directory / "ca.crt").write_bytes(ca.cert_pem)
    es = FakeElasticsearch(tls=TlsConfig.from_issued(server))
    es.add_role("metricbeat_writer", cluster=WRITER_CLUSTER, indices=WRITER_INDICES)
    es.add_user("beats_writer", PASSWORD, ["metricbeat_writer", "kibana_admin"])
    kibana = FakeKibana(es, tls=TlsConfig.from_issued(server))
    names = {"es.bench": ["127.0.0.1"], "kibana.bench": ["127.0.0.1"]}
    names.update({f"node{i}.es.bench": ["127.0.0.1"] for i in range(args.hosts)})
    dns = FakeDns(Zone(a=names))
    rtt = args.rtt_ms / 1000
    with dns, es, kibana, relay_process(es.port, rtt) as es_relay_port, \
            relay_process(kibana.port, rtt) as kb_relay_port:
        ca_file = directory / "ca.crt"
        config = directory / "metricbeat.yml"
        config.write_text(
            f'output.elasticsearch:\n  hosts: ["https://es.bench:{es_relay_port}"]\n  username: beats_writer\n'
            f'  password: "{PASSWORD}"\n  ssl.certificate_authorities: ["{ca_file}"]\n'
            f'setup.kibana:\n  host: "https://kibana.bench:{kb_relay_port}"\n'
            f'  ssl.certificate_authorities: ["{ca_file}"]\n')
        config.chmod(0o600)
        many = directory / "many.yml"
        hosts = ", ".join(f'"https://node{i}.es.bench:{es_relay_port}"' for i in range(args.hosts))
        many.write_text(
            f"output.elasticsearch:\n  hosts: [{hosts}]\n  username: beats_writer\n  password: \"{PASSWORD}\"\n"
            f'  ssl.certificate_authorities: ["{ca_file}"]\n')
        many.chmod(0o600)
        # One host behind the same relay as `many` (its CPU, minus this one's, is what the targets cost)
        # and one Elasticsearch host with no relay at all (what the curl chain is compared against).
        one = directory / "one.yml"
        one.write_text(
            f'output.elasticsearch:\n  hosts: ["https://node0.es.bench:{es_relay_port}"]\n  username: beats_writer\n'
            f'  password: "{PASSWORD}"\n  ssl.certificate_authorities: ["{ca_file}"]\n')
        one.chmod(0o600)
        direct = directory / "direct.yml"
        direct.write_text(
            f'output.elasticsearch:\n  hosts: ["https://es.bench:{es.port}"]\n  username: beats_writer\n'
            f'  password: "{PASSWORD}"\n  ssl.certificate_authorities: ["{ca_file}"]\n')
        direct.chmod(0o600)
        print(json.dumps({"config": str(config), "many": str(many), "one": str(one), "direct": str(direct),
                          "ca": str(ca_file), "username": "beats_writer", "password": PASSWORD,
                          "nameserver": dns.nameserver, "es_port": es.port, "es_relay": es_relay_port,
                          "kibana_relay": kb_relay_port, "rtt_ms": args.rtt_ms}), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
