"""
The demo's small world, all on loopback: the sample PKI and configs in a temporary directory, a
stand-in Elasticsearch and Kibana over real TLS, a DNS server and a hosts file for the sample names.

`esprobe demo` and the tests under tests/demo run esprobe against it exactly as a user would, through
`esprobe.cli.main`, with ``--hosts-file`` and ``--nameserver`` pointing at the site so that nothing
leaves the machine.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from esprobe.demo import samples
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.kibana import FakeKibana
from esprobe.demo.standins.server import TlsConfig
from esprobe.environment import Environment
from esprobe.record import record

# The command line's entry point, `esprobe.cli.main`: argv and an Environment in, an exit status out.
EntryPoint = Callable[[Sequence[str], Environment], int]

CERTS = "certs"  # the PKI's directory inside the site, as the configs name it (relative)

# A read-only role descriptor: enough to connect and authenticate, not to publish.
_READ_ONLY_DESCRIPTOR = {
    "read_only": {
        "cluster": ["monitor"],
        "indices": [{"names": ["metricbeat-*"], "privileges": ["read", "view_index_metadata"]}],
    }
}


@record
class RunResult:
    """What one in-process ``esprobe`` run printed and returned."""

    argv: Sequence[str]
    exit_code: int
    stdout: str
    stderr: str


class DemoSite:
    """
    ``with DemoSite(main) as site:`` writes the files, starts the servers; leaving removes everything.
    *main* is the command line's entry point (`esprobe.cli.main`), handed in by whoever runs the
    site: the demo is started by that command line, so it must not import it back.

    Attributes:
        directory: the temporary directory: the sample configs at the top, the PKI under
            ``certs/``, the ``hosts`` file; runs use it as their working directory.
        values: what the scenarios' environment variables may hold, by name: ``password``,
            ``wrong-password``, ``api-key``, ``encoded-api-key``, ``read-only-api-key``,
            ``ca-fingerprint``. Made fresh for every site.
        timeout: the ``--timeout`` of every run.
    """

    def __init__(self, main: EntryPoint, *, timeout: float = 3.0) -> None:
        self.main = main
        self.timeout = timeout
        self.directory = ""
        self.values: Dict[str, str] = {}
        self.pki: Optional[samples.SamplePki] = None
        self.es: Optional[FakeElasticsearch] = None
        self.kibana: Optional[FakeKibana] = None
        self.dns: Optional[FakeDns] = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> "DemoSite":
        """Build and start everything; on any failure, undo what was done and re-raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="esprobe-demo-")
        self.pki = sample = samples.build_sample_pki()
        samples.write_sample_pki(sample, os.path.join(self.directory, CERTS))

        es = FakeElasticsearch(
            "8.x",
            tls=TlsConfig.from_issued(sample.es01, client_auth="optional", client_ca_pem=sample.root.cert_pem),
            cluster_name="esprobe-demo",
            node_name="es01",
            pki_realm=True,
        )
        self.es = es
        es.add_role(samples.WRITER_ROLE, **samples.WRITER_ROLE_BODY)
        password = secrets.token_urlsafe(12)
        # kibana_admin: the sample configs send the same user to Kibana, whose `setup` privileges are checked too.
        es.add_user(samples.WRITER_USER, password, [samples.WRITER_ROLE, "kibana_admin"])
        es.map_pki(samples.PKI_USER_DN, [samples.WRITER_ROLE])  # beats02 stays unmapped on purpose
        key = es.create_api_key(samples.WRITER_USER, "metricbeat")
        read_only = es.create_api_key(
            samples.WRITER_USER, "metricbeat-read-only", role_descriptors=_READ_ONLY_DESCRIPTOR
        )
        es.start()
        self.kibana = FakeKibana(es, version="8.15", tls=TlsConfig.from_issued(sample.kibana)).start()

        # The hosts file answers first; the DNS server knows the same names, so that whatever
        # order nsswitch.conf gives, they resolve to loopback and no query leaves the machine.
        zone = Zone(a={samples.ES_NAME: ["127.0.0.1"], samples.KIBANA_NAME: ["127.0.0.1"]})
        self.dns = FakeDns(zone).start()

        self.values = {
            "password": password,
            "wrong-password": "changeme",
            "api-key": f"{key['id']}:{key['api_key']}",
            "encoded-api-key": key["encoded"],
            "read-only-api-key": f"{read_only['id']}:{read_only['api_key']}",
            "ca-fingerprint": sample.intermediate.issued.sha256_hex,
        }
        self._write("hosts", samples.HOSTS_FILE)
        for name, text in samples.render_configs(CERTS, es.port, self.kibana.port).items():
            self._write(name, text)

    def _write(self, name: str, text: str) -> None:
        path = os.path.join(self.directory, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        # The Beat (and esprobe) refuse group/other-writable configs; a loose umask must not matter.
        os.chmod(path, 0o644)

    def stop(self) -> None:
        """Stop every server and remove the directory; safe to call twice or after a failed start."""
        for server in (self.kibana, self.es, self.dns):
            if server is not None:
                try:
                    server.stop()
                except Exception:  # stopping is best effort; the directory must still go
                    pass
        self.kibana = self.es = self.dns = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = ""

    def __enter__(self) -> "DemoSite":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- running esprobe against it -----------------------------------------------------------

    @property
    def es_port(self) -> int:
        assert self.es is not None, "the site is not started"
        return self.es.port

    @property
    def kibana_port(self) -> int:
        assert self.kibana is not None, "the site is not started"
        return self.kibana.port

    def common_args(self) -> List[str]:
        """The options every run gets: the site's name resolution and a short timeout."""
        assert self.dns is not None, "the site is not started"
        # Absolute: the CLI joins -c paths with its Environment's cwd, but not --hosts-file.
        hosts = os.path.join(self.directory, "hosts")
        return ["--hosts-file", hosts, "--nameserver", self.dns.nameserver, "--timeout", f"{self.timeout:g}"]

    def environment(self, variables: Mapping[str, str]) -> Dict[str, str]:
        """
        The environment of a run: *variables* maps a variable name to one of `values`' names.
        Nothing is inherited from the caller's environment: a proxy variable there would send
        the run's requests off the machine, and a stray ES_PWD would change the verdicts.
        """
        return {name: self.values[value] for name, value in variables.items()}

    def run(self, argv: Sequence[str], environ: Mapping[str, str], *, color: bool = False) -> RunResult:
        """Run ``esprobe <argv> <common args>`` in-process in the site's directory."""
        full = [*argv, *self.common_args()]
        out, err = io.StringIO(), io.StringIO()
        env = Environment(out, err, stdout_isatty=color, environ=dict(environ), cwd=self.directory)
        code = self.main(full, env)
        return RunResult(tuple(full), code, out.getvalue(), err.getvalue())
