"""
Issue #17 on the command line, against loopback peers: bad input in one line, explain, --save-chain,
the bundle's one path option, the paste-ready fingerprint line, root cause first, file:line.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Iterator, List

import pytest
from cryptography import x509

from esprobe.cli import main
from esprobe.demo.standins import pki
from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.demo.standins.elasticsearch import FakeElasticsearch
from esprobe.demo.standins.server import TlsConfig
from esprobe.environment import Environment
from tests.support.cli import WRITER_PASSWORD, WRITER_ROLE, CliResult, Stack, start_stack
from tests.support.schema import validate_report


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("cli-report"))


def _run_in(cwd: Path, *args: str) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Environment(out, err, False, {"PATH": os.environ.get("PATH", "")}, str(cwd)))
    return CliResult(code, out.getvalue(), err.getvalue())


# --- point 8: bad input, one clear line, exit 3 ---------------------------------------------------------


def test_a_directory_as_config_is_one_line(stack: Stack, tmp_path: Path) -> None:
    result = stack.run("-c", str(tmp_path))
    assert (result.code, result.out) == (3, "")
    assert result.err == (f"esprobe: error: -c {tmp_path}: is a directory; give the Beat's YAML file, e.g. "
                          f"-c {tmp_path / 'metricbeat.yml'}\n")


def test_two_beat_configs_in_the_working_directory_ask_which(tmp_path: Path) -> None:
    for beat in ("filebeat", "metricbeat"):
        (tmp_path / f"{beat}.yml").write_text("output.elasticsearch.hosts: ['http://127.0.0.1:1']\n")
    result = _run_in(tmp_path, "--nameserver", "127.0.0.1:1")
    assert (result.code, result.out) == (3, "")
    assert result.err == (f"esprobe: error: filebeat.yml and metricbeat.yml are both in {tmp_path}: which one? "
                          "use -c PATH\n")


def test_no_config_in_the_working_directory(tmp_path: Path) -> None:
    result = _run_in(tmp_path, "--nameserver", "127.0.0.1:1")
    assert (result.code, result.out) == (3, "")
    assert result.err.startswith("esprobe: error: no config file: give the Beat's config with -c PATH")
    assert len(result.err.splitlines()) == 1


def test_a_missing_hosts_file_is_an_error_not_a_warning(stack: Stack) -> None:
    result = stack.run("-c", str(stack.healthy_config()), "--hosts-file", str(stack.directory / "no-hosts"))
    assert (result.code, result.out) == (3, "")
    assert result.err == f"esprobe: error: --hosts-file {stack.directory / 'no-hosts'}: no such file\n"


@pytest.mark.parametrize("value, words", [
    ("bogus:xx", "wants an IP address (ADDR[:PORT]), got 'bogus'"),
    ("127.0.0.1:xx", "the port must be a number from 1 to 65535, got 'xx'"),
    ("127.0.0.1:70000", "the port must be a number from 1 to 65535, got '70000'"),
    ("[::1]x", "write an IPv6 address with a port as [ADDR]:PORT"),
])
def test_a_bad_nameserver_is_one_line(stack: Stack, value: str, words: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, False, {"ES_PWD": WRITER_PASSWORD}, str(stack.directory))
    code = main(["-c", str(stack.healthy_config()), "--nameserver", value], env)
    assert (code, out.getvalue()) == (3, "")
    assert err.getvalue() == f"esprobe: error: --nameserver {value}: {words}\n"


def test_with_output_an_unusable_config_still_says_why_on_stderr(stack: Stack) -> None:
    config = stack.config('output.elasticsearch:\n  hosts: ["https://es.test:9200"]\n  api_key: "id:key"\n'
                          '  username: someone\n', "conflict.yml")
    target = stack.directory / "report.json"
    result = stack.run("-c", str(config), "--format", "json", "--output", str(target))
    assert (result.code, result.out) == (3, "")
    validate_report(json.loads(target.read_text()))
    [line] = result.err.splitlines()
    assert line.startswith("esprobe: error: config-auth-conflict: ")


def test_bundle_output_is_the_zip_and_the_report_goes_to_stdout(stack: Stack) -> None:
    archive = stack.directory / "case.zip"
    result = stack.run("bundle", "-c", str(stack.healthy_config()), "--output", str(archive))
    assert result.code == 0
    assert zipfile.is_zipfile(archive)
    assert result.out.startswith("esprobe ") and "result: ok" in result.out
    assert result.err == f"esprobe: support bundle written to {archive}\n"


# --- point 9: explain ----------------------------------------------------------------------------------


def test_explain_prints_the_catalogue_entry_offline(tmp_path: Path) -> None:
    result = _run_in(tmp_path, "explain", "tls-fingerprint-not-ca")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("tls-fingerprint-not-ca — ")
    for label in ("severity", "meaning", "leads to", "what to do"):
        assert re.search(rf"^{label}\s", result.out, re.M), label
    assert "tls-unknown-ca" in result.out  # what it leads to, from the ordering rule
    listing = _run_in(tmp_path, "explain")
    assert listing.code == 0 and "tls-unknown-ca" in listing.out and "auth-wrong-password" in listing.out
    unknown = _run_in(tmp_path, "explain", "tls-unkown-ca")
    assert (unknown.code, unknown.out) == (3, "")
    assert "did you mean tls-unknown-ca" in unknown.err


# --- point 3: paste-ready fingerprint line and --save-chain; point 2 and 4 on a real run ----------------


@pytest.fixture(scope="module")
def intermediate_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Elasticsearch whose certificate an intermediate CA issued; the server sends leaf and intermediate."""
    directory = tmp_path_factory.mktemp("intermediate")
    root = pki.CertAuthority.root("esprobe paste-test root")
    middle = root.intermediate("esprobe paste-test intermediate")
    server = middle.issue("es.test", dns=["es.test"])
    other = pki.CertAuthority.root("some other CA")
    ca_file = directory / "other-ca.crt"
    ca_file.write_bytes(other.cert_pem)
    es = FakeElasticsearch(tls=TlsConfig.from_issued(server))
    es.add_role("metricbeat_writer", cluster=WRITER_ROLE["cluster"], indices=WRITER_ROLE["indices"])
    es.add_user("beats_writer", WRITER_PASSWORD, ["metricbeat_writer"])
    dns = FakeDns(Zone(a={"es.test": ["127.0.0.1"]}))
    with dns, es:
        yield Stack(directory, dns, es, None, middle, ca_file)  # type: ignore[arg-type]


def _es_config(stack: Stack, *ssl: str) -> Path:
    lines: List[str] = ["output.elasticsearch:", f'  hosts: ["https://es.test:{stack.es.port}"]',
                        "  username: beats_writer", '  password: "${ES_PWD}"']
    return stack.config("\n".join(lines + [f"  {line}" for line in ssl]) + "\n")


def test_unknown_ca_prints_the_fingerprint_line_and_pasting_it_works(intermediate_stack: Stack) -> None:
    stack = intermediate_stack
    config = _es_config(stack, f'ssl.certificate_authorities: ["{stack.ca_file}"]')
    result = stack.run("-c", str(config))
    assert result.code == 2
    expected = f'output.elasticsearch.ssl.ca_trusted_fingerprint: "{stack.ca.issued.sha256_hex}"'
    lines = result.out.splitlines()
    [line] = [line for line in lines if "ca_trusted_fingerprint: " in line and line.strip().startswith("output.")]
    assert line.strip() == expected  # on a line of its own, whole
    # Pasting it (here with -E, the Beat's own syntax for one setting) is the fix.
    key, _, value = expected.partition(": ")
    fixed = stack.run("-c", str(config), "-E", f"{key}={value.strip(chr(34))}", "--format", "json")
    document = json.loads(fixed.out)
    assert fixed.code == 0, [(s["stage"], s["summary"]) for s in document["targets"][0]["stages"]]


def test_save_chain_writes_what_the_server_sent(intermediate_stack: Stack, tmp_path: Path) -> None:
    stack = intermediate_stack
    config = _es_config(stack, f'ssl.certificate_authorities: ["{stack.ca_file}"]')
    result = stack.run("-c", str(config), "--format", "json", "--save-chain", str(tmp_path / "chains"))
    assert result.code == 2
    assert f"esprobe: elasticsearch[0]: 2 certificate(s) the server sent written to {tmp_path / 'chains'}" in result.err
    chain = x509.load_pem_x509_certificates((tmp_path / "chains" / "elasticsearch-0.chain.pem").read_bytes())
    assert [c.subject.rfc4514_string() for c in chain] == [
        "CN=es.test,O=esprobe", "CN=esprobe paste-test intermediate,O=esprobe"]
    middle = x509.load_pem_x509_certificate((tmp_path / "chains" / "elasticsearch-0.1.pem").read_bytes())
    assert middle == stack.ca.issued.cert


def test_fingerprint_of_the_node_certificate_comes_before_unknown_authority(intermediate_stack: Stack) -> None:
    """Root cause first on a real run: the fingerprint names the leaf, which is why no CA is trusted."""
    stack = intermediate_stack
    leaf = x509.load_pem_x509_certificates(stack.es.tls.cert_chain_pem)[0]  # type: ignore[union-attr]
    from cryptography.hazmat.primitives import hashes

    config = _es_config(stack, f'ssl.ca_trusted_fingerprint: "{leaf.fingerprint(hashes.SHA256()).hex()}"',
                        f'ssl.certificate_authorities: ["{stack.ca_file}"]')
    result = stack.run("-c", str(config), "--format", "json")
    tls = next(s for s in json.loads(result.out)["targets"][0]["stages"] if s["stage"] == "tls")
    codes = [f["code"] for f in tls["findings"]]
    assert "tls-fingerprint-not-ca" in codes and "tls-unknown-ca" in codes
    assert codes.index("tls-fingerprint-not-ca") < codes.index("tls-unknown-ca")
    table = stack.run("-c", str(config)).out
    assert table.index("! tls-fingerprint-not-ca:") < table.index("✗ tls-unknown-ca:")


def test_target_findings_carry_file_and_line(stack: Stack) -> None:
    config = stack.healthy_config()
    result = stack.run("-c", str(config), "--format", "json", environ={"ES_PWD": "not-the-password"})
    auth = next(s for s in json.loads(result.out)["targets"][0]["stages"] if s["stage"] == "auth")
    [finding] = auth["findings"]
    assert finding["setting"] == "output.elasticsearch.password"
    assert finding["location"] == f"{config}:4"
    assert f"(setting: output.elasticsearch.password, at {config}:4)" in stack.run(
        "-c", str(config), environ={"ES_PWD": "not-the-password"}).out


def test_verbose_shows_facts_for_a_passing_run(stack: Stack) -> None:
    result = stack.run("-c", str(stack.healthy_config()), "-v")
    assert result.code == 0
    for fact in ("addresses: 127.0.0.1 (dns)", "tried: 127.0.0.1 connected", "server certificate: CN=es.test",
                 "issuer: CN=esprobe cli test CA", "days left)", "sha256: ", "identity: beats_writer by basic"):
        assert fact in result.out, fact


def test_a_missing_privilege_prints_the_role_to_paste_unbroken(stack: Stack) -> None:
    """Point 3 on a real run: the role body of a missing privilege is a whole line, valid JSON, pasteable."""
    stack.es.add_role("short_writer", cluster=["monitor", "read_ilm", "read_pipeline"],
                      indices=[{"names": ["metricbeat-*"], "privileges": ["create_doc"]}])
    stack.es.add_user("short", "Short-writer-canary-3c9d", ["short_writer"])
    config = stack.config("\n".join([
        "output.elasticsearch:", f'  hosts: ["https://es.test:{stack.es.port}"]', "  username: short",
        '  password: "${SHORT_PWD}"', f'  ssl.certificate_authorities: ["{stack.ca_file}"]']) + "\n", "short.yml")
    result = stack.run("-c", str(config), environ={"SHORT_PWD": "Short-writer-canary-3c9d"})
    lines = result.out.splitlines()
    put = next(i for i, line in enumerate(lines) if line.strip() == "PUT /_security/role/metricbeat_writer")
    body = json.loads(lines[put + 1])  # the next line, whole
    assert "auto_configure" in body["indices"][0]["privileges"]  # the whole role the Beat needs, missing one included
