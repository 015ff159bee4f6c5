"""
The sample PKI and the sample Beat configs, shared by ``sample_certs/generate.py`` and ``esprobe demo``.

The PKI looks like what ``elasticsearch-certutil`` users end up with (a CA, an intermediate, node,
Kibana and client certificates) plus the broken certificates people meet in real life. Everything
is made in memory at run time and written only where asked: committed certificates would expire,
and a committed "expired" certificate would have to be valid today.

The configs are templates: the committed ``sample_certs/configs/*.yml`` are rendered with the
deb/rpm certificate directory and the standard ports, the demo renders them with its temporary
directory and the ports its stand-ins listen on. Nothing here touches the network.
"""

from __future__ import annotations

import base64
import datetime as _dt
import os
from pathlib import Path
from typing import Dict, List, Mapping, Tuple, TypedDict, Union

from esprobe.demo.standins import pki
from esprobe.record import record

# The sample host names. `.internal` is reserved for private use and never resolves on the
# internet, so a sample config pointed at by mistake goes nowhere. The demo maps them to loopback.
ES_NAME = "es01.example.internal"
ES_SHORT_NAME = "es01"  # the node certificate's CN, but not one of its SANs (see the demo)
KIBANA_NAME = "kibana.example.internal"
DOMAIN = "example.internal"

ES_PORT = 9200
KIBANA_PORT = 5601
CERT_DIR = "/etc/metricbeat/certs"  # where the committed sample configs expect the files

# The role a publishing Beat needs on 8.x (Elastic's "publishing role"), and who has it.
WRITER_ROLE = "metricbeat_writer"
class RoleBody(TypedDict):
    """The body of ``PUT /_security/role/<name>``, as far as the samples use it."""

    cluster: List[str]
    indices: List[Mapping[str, List[str]]]


WRITER_ROLE_BODY = RoleBody(
    cluster=["monitor", "read_ilm", "read_pipeline"],
    indices=[{"names": ["metricbeat-*"], "privileges": ["create_doc", "auto_configure"]}],
)
WRITER_USER = "beats_writer"
PKI_USER_DN = "CN=beats01, OU=monitoring, O=esprobe"  # as Elasticsearch's PKI realm renders it
UNMAPPED_PKI_USER_DN = "CN=beats02, OU=monitoring, O=esprobe"

_DAY = _dt.timedelta(days=1)


@record
class SamplePki:
    """
    Every certificate of the sample PKI, with its key.

    Attributes:
        root / intermediate: the CA (RSA, like certutil's) and the intermediate that signs the
            node, Kibana and client certificates.
        es01 / kibana: server certificates with DNS and IP SANs, issued by the intermediate.
        beats01 / beats02: client certificates for the PKI realm (clientAuth only); the demo maps
            beats01's DN to a role and leaves beats02 unmapped.
        other_ca: the CA of another cluster: trusting it instead of ``root`` is "unknown authority".
        expired / wrong_host / cn_only / self_signed / sha1: broken server certificates for
            es01.example.internal (SHA-1 is signed by the root directly: SHA-1 needs an RSA issuer).
    """

    root: pki.CertAuthority
    intermediate: pki.CertAuthority
    es01: pki.Issued
    kibana: pki.Issued
    beats01: pki.Issued
    beats02: pki.Issued
    other_ca: pki.CertAuthority
    expired: pki.Issued
    wrong_host: pki.Issued
    cn_only: pki.Issued
    self_signed: pki.Issued
    sha1: pki.Issued


def build_sample_pki() -> SamplePki:
    """Make the whole sample PKI in memory (EC P-256 leaves, RSA root: a few tens of milliseconds)."""
    root = pki.CertAuthority.root("esprobe Sample Root CA", key_kind="rsa")
    intermediate = root.intermediate("esprobe Sample Intermediate CA")
    now = pki.utcnow()

    def client(common_name: str) -> pki.Issued:
        return intermediate.issue(
            subject=pki.name(common_name, o="esprobe", ou="monitoring"),
            extended_key_usage=[pki.CLIENT_AUTH],
        )

    return SamplePki(
        root=root,
        intermediate=intermediate,
        # certutil names an instance certificate after the node (CN=es01) and puts the names
        # clients use into the SANs; Go then ignores the CN, which the demo's "wrong host" shows.
        es01=intermediate.issue(
            subject=pki.name(ES_SHORT_NAME, o="esprobe"),
            dns=[ES_NAME, "localhost"],
            ips=["127.0.0.1", "::1"],
        ),
        kibana=intermediate.issue(
            subject=pki.name("kibana", o="esprobe"), dns=[KIBANA_NAME, "localhost"], ips=["127.0.0.1"]
        ),
        beats01=client("beats01"),
        beats02=client("beats02"),
        other_ca=pki.CertAuthority.root("Another Cluster's CA"),
        expired=intermediate.issue(
            ES_NAME, dns=[ES_NAME], not_before=now - 400 * _DAY, not_after=now - 30 * _DAY
        ),
        wrong_host=intermediate.issue("es02.example.internal", dns=["es02.example.internal"]),
        cn_only=intermediate.issue(ES_NAME, san=False),
        self_signed=pki.self_signed(ES_NAME, dns=[ES_NAME, "localhost"], ips=["127.0.0.1"]),
        sha1=root.issue(ES_NAME, dns=[ES_NAME], signature_hash="sha1"),
    )


# What write_sample_pki writes, relative to its directory, and what each file is for. The keys
# are also the list sample_certs/README.md must explain (a test holds the two together).
FILES: Mapping[str, str] = {
    "ca/ca.crt": "the root CA: what `ssl.certificate_authorities` names",
    "ca/ca.key": "its private key, to issue more certificates with openssl",
    "ca/intermediate.crt": "the intermediate CA that signed every certificate below",
    "ca/intermediate.sha256": "the intermediate's SHA-256 fingerprint (hex), for `ssl.ca_trusted_fingerprint`",
    "es01/es01.crt": "Elasticsearch node certificate (CN=es01; SANs es01.example.internal, localhost, "
    "127.0.0.1, ::1), followed by the intermediate",
    "es01/es01.key": "its private key",
    "kibana/kibana.crt": "Kibana certificate (SANs kibana.example.internal, localhost, 127.0.0.1), "
    "followed by the intermediate",
    "kibana/kibana.key": "its private key",
    "clients/beats01.crt": "client certificate CN=beats01 for the PKI realm (clientAuth), followed by "
    "the intermediate",
    "clients/beats01.key": "its private key",
    "clients/beats02.crt": "a second client certificate (CN=beats02); the demo leaves its DN unmapped",
    "clients/beats02.key": "its private key",
    "other-ca/ca.crt": "the CA of another cluster: trusting it instead of ca/ca.crt gives "
    '"certificate signed by unknown authority"',
    "broken/expired.crt": "expired a month ago (es01.example.internal, issued by the intermediate)",
    "broken/expired.key": "its private key",
    "broken/wrong-host.crt": "valid, but issued for es02.example.internal only",
    "broken/wrong-host.key": "its private key",
    "broken/cn-only.crt": "CN=es01.example.internal and no SAN at all: Beats' `full` mode accepts it "
    "through the CN, `strict` mode (and Go) reject it",
    "broken/cn-only.key": "its private key",
    "broken/self-signed.crt": "self-signed and not a CA, as quick-start guides make them: Go trusts it "
    "only when this very certificate is in `certificate_authorities`",
    "broken/self-signed.key": "its private key",
    "broken/sha1.crt": "signed by the root with SHA-1, which Go rejects",
    "broken/sha1.key": "its private key",
    "hosts": "a hosts file mapping the sample names to 127.0.0.1, for `esprobe --hosts-file`",
}

HOSTS_FILE = f"127.0.0.1 {ES_NAME} {ES_SHORT_NAME} {KIBANA_NAME}\n"


def sample_files(sample: SamplePki) -> Dict[str, Tuple[bytes, int]]:
    """Every file of `FILES`: relative path -> (content, mode). Private keys get mode 0600."""
    files: Dict[str, Tuple[bytes, int]] = {}

    def cert(path: str, issued: pki.Issued, *, chain: bool = True) -> None:
        files[f"{path}.crt"] = (issued.chain_pem if chain else issued.cert_pem, 0o644)
        files[f"{path}.key"] = (issued.key_pem(), 0o600)

    files["ca/ca.crt"] = (sample.root.cert_pem, 0o644)
    files["ca/ca.key"] = (sample.root.issued.key_pem(), 0o600)
    files["ca/intermediate.crt"] = (sample.intermediate.cert_pem, 0o644)
    files["ca/intermediate.sha256"] = (sample.intermediate.issued.sha256_hex.encode("ascii") + b"\n", 0o644)
    cert("es01/es01", sample.es01)
    cert("kibana/kibana", sample.kibana)
    cert("clients/beats01", sample.beats01)
    cert("clients/beats02", sample.beats02)
    files["other-ca/ca.crt"] = (sample.other_ca.cert_pem, 0o644)
    cert("broken/expired", sample.expired)
    cert("broken/wrong-host", sample.wrong_host)
    cert("broken/cn-only", sample.cn_only)
    cert("broken/self-signed", sample.self_signed, chain=False)
    cert("broken/sha1", sample.sha1)
    files["hosts"] = (HOSTS_FILE.encode("ascii"), 0o644)
    return files


def write_sample_pki(sample: SamplePki, directory: Union[str, Path]) -> List[Path]:
    """Write every file of `FILES` under *directory* (created if needed); return the paths written."""
    base = Path(directory)
    written = []
    for relative, (content, mode) in sample_files(sample).items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Create with the final mode so a private key is never readable by others, not even briefly.
        descriptor = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(path, mode)  # the umask may have taken bits away; an existing file kept its mode
        written.append(path)
    return written


# --- the sample Beat configs -------------------------------------------------------------------

# Placeholders: {certs} the certificate directory, {es} and {kibana} host:port, {cloud_id} the
# encoded part of cloud.id. `${...}` are the Beat's own variables and stay as they are.
_TEMPLATES: Mapping[str, str] = {
    "basic-auth.yml": """\
# Metricbeat to Elasticsearch over TLS with a user name and password, and to Kibana for its
# dashboards. The password is not in the file: the Beat takes ${ES_PWD} from the environment
# first, then from its keystore (metricbeat keystore add ES_PWD); esprobe does the same.
metricbeat.modules:
  - module: system
    metricsets: ["cpu", "memory"]
    period: 10s

output.elasticsearch:
  hosts: ["https://{es}"]
  username: "beats_writer"
  password: "${ES_PWD}"
  ssl:
    certificate_authorities: ["{certs}/ca/ca.crt"]

setup.kibana:
  host: "https://{kibana}"
  # No credentials here: the Beat uses output.elasticsearch's for Kibana too.
  # Kibana's ssl settings are not inherited, so they are repeated.
  ssl:
    certificate_authorities: ["{certs}/ca/ca.crt"]
""",
    "api-key.yml": """\
# Metricbeat to Elasticsearch and Kibana with an API key. ES_API_KEY holds "<id>:<api_key>", the
# id and api_key fields of the create-API-key answer joined by a colon. Not its "encoded" field:
# the Beat base64-encodes the value itself, so an encoded key would be encoded twice.
metricbeat.modules:
  - module: system
    metricsets: ["cpu", "memory"]
    period: 10s

output.elasticsearch:
  hosts: ["https://{es}"]
  api_key: "${ES_API_KEY}"
  ssl:
    certificate_authorities: ["{certs}/ca/ca.crt"]

setup.kibana:
  host: "https://{kibana}"
  # The API key is used for Kibana too.
  ssl:
    certificate_authorities: ["{certs}/ca/ca.crt"]
""",
    "pki.yml": """\
# Metricbeat to Elasticsearch with a client certificate as its only credential (PKI realm).
# Elasticsearch must ask for client certificates (xpack.security.http.ssl.client_authentication:
# optional), trust their CA, have a PKI realm, and map the certificate's DN to a role, e.g. in
# role_mapping.yml:
#   metricbeat_writer:
#     - "CN=beats01, OU=monitoring, O=esprobe"
metricbeat.modules:
  - module: system
    metricsets: ["cpu", "memory"]
    period: 10s

output.elasticsearch:
  hosts: ["https://{es}"]
  ssl:
    certificate_authorities: ["{certs}/ca/ca.crt"]
    certificate: "{certs}/clients/beats01.crt"
    key: "{certs}/clients/beats01.key"
""",
    "fingerprint.yml": """\
# Metricbeat to Elasticsearch, trusting the server's CA by its SHA-256 fingerprint instead of a
# CA file (what Elasticsearch 8's first start prints). The fingerprint must be that of a CA
# certificate the server sends in its chain: here the intermediate, ca/intermediate.sha256.
metricbeat.modules:
  - module: system
    metricsets: ["cpu", "memory"]
    period: 10s

output.elasticsearch:
  hosts: ["https://{es}"]
  username: "beats_writer"
  password: "${ES_PWD}"
  ssl:
    ca_trusted_fingerprint: "${ES_CA_FINGERPRINT}"
""",
    "cloud-id.yml": """\
# Metricbeat to an Elastic Cloud deployment: cloud.id sets output.elasticsearch.hosts and
# setup.kibana.host, cloud.auth overwrites output.elasticsearch.username and password.
# This cloud.id decodes to "{cloud_id_text}", that is
# https://es01.{domain}:{es_port} and https://kibana.{domain}:{kibana_port}: the sample hosts.
metricbeat.modules:
  - module: system
    metricsets: ["cpu", "memory"]
    period: 10s

cloud.id: "sample-deployment:{cloud_id}"
cloud.auth: "beats_writer:${ES_PWD}"

# Elastic Cloud's certificates chain to public CAs, so a real deployment needs no ssl settings;
# these two point at the sample PKI.
output.elasticsearch.ssl.certificate_authorities: ["{certs}/ca/ca.crt"]
setup.kibana.ssl.certificate_authorities: ["{certs}/ca/ca.crt"]
""",
}

CONFIG_NAMES: Tuple[str, ...] = tuple(_TEMPLATES)

# The environment each sample config needs (names only; the values are the deployment's).
CONFIG_ENVIRONMENT: Mapping[str, Tuple[str, ...]] = {
    "basic-auth.yml": ("ES_PWD",),
    "api-key.yml": ("ES_API_KEY",),
    "pki.yml": (),
    "fingerprint.yml": ("ES_PWD", "ES_CA_FINGERPRINT"),
    "cloud-id.yml": ("ES_PWD",),
}


def cloud_id_text(es_port: int = ES_PORT, kibana_port: int = KIBANA_PORT) -> str:
    """The decoded cloud.id: ``host:port$es_id:port$kibana_id:port`` (elastic-agent-libs cloudid/cloudid.go)."""
    return f"{DOMAIN}:443$es01:{es_port}$kibana:{kibana_port}"


def render_configs(
    cert_dir: str = CERT_DIR, es_port: int = ES_PORT, kibana_port: int = KIBANA_PORT
) -> Dict[str, str]:
    """
    The sample configs: file name -> YAML text. The defaults give the committed
    ``sample_certs/configs/*.yml``; *cert_dir* may be relative (to the Beat's working directory,
    which is where esprobe's ``path.config`` points in the demo).
    """
    text = cloud_id_text(es_port, kibana_port)
    values = {
        "certs": cert_dir.rstrip("/") or "/",
        "es": f"{ES_NAME}:{es_port}",
        "kibana": f"{KIBANA_NAME}:{kibana_port}",
        "cloud_id": base64.b64encode(text.encode("ascii")).decode("ascii"),
        "cloud_id_text": text,
        "domain": DOMAIN,
        "es_port": str(es_port),
        "kibana_port": str(kibana_port),
    }
    rendered = {}
    for name, template in _TEMPLATES.items():
        for key, value in values.items():
            template = template.replace("{" + key + "}", value)
        rendered[name] = template
    return rendered
