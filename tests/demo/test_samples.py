"""The sample PKI has the properties its files claim, and the sample configs are what they say."""

from __future__ import annotations

import datetime as dt
import importlib.util
import stat
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from esprobe.config import load_config
from esprobe.demo import samples
from esprobe.model import Severity
from esprobe.x509.beats_verdict import judge_chain
from esprobe.x509.hostname_rules import match_full, match_strict
from tests.support.paths import REPO

NOW = dt.datetime.now(dt.timezone.utc)


def _sent_chain(issued) -> List[x509.Certificate]:  # type: ignore[no-untyped-def]
    """What a server using this certificate file sends: the leaf and its intermediates."""
    return x509.load_pem_x509_certificates(issued.chain_pem)


def _verdict(sample: samples.SamplePki, name: str, roots: Optional[List[x509.Certificate]] = None) -> Optional[str]:
    """The finding code a Beat in full mode, trusting the sample root, gets for certificate *name*."""
    roots = [sample.root.cert] if roots is None else roots
    return judge_chain(_sent_chain(getattr(sample, name)), roots, mode="full", now=NOW).finding_code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("es01", None),
        ("kibana", None),
        ("expired", "tls-cert-expired"),
        ("wrong_host", None),  # the chain is fine: the name is what is wrong
        ("cn_only", None),
        ("self_signed", "tls-self-signed"),
        ("sha1", "tls-weak-signature"),
    ],
)
def test_server_certificates_get_the_verdict_their_file_describes(
    sample_pki: samples.SamplePki, name: str, code: Optional[str]
) -> None:
    """Each server certificate, trusted through ca/ca.crt, gets exactly the chain verdict FILES promises."""
    assert _verdict(sample_pki, name) == code


def _not_after(cert: x509.Certificate) -> dt.datetime:
    """``not_valid_after_utc`` where cryptography has it (42+), the naive UTC form before."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=dt.timezone.utc)


_PROPERTIES: Dict[str, Callable[[x509.Certificate], bool]] = {
    "expired": lambda c: _not_after(c) < NOW,
    "sha1": lambda c: isinstance(c.signature_hash_algorithm, hashes.SHA1),
    "cn_only": lambda c: not any(isinstance(e.value, x509.SubjectAlternativeName) for e in c.extensions),
    "self_signed": lambda c: c.issuer == c.subject
    and not c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca,
}


@pytest.mark.parametrize("name", sorted(_PROPERTIES))
def test_broken_certificates_are_broken_the_way_they_are_named(sample_pki: samples.SamplePki, name: str) -> None:
    """Expired is expired, SHA-1 is SHA-1, CN-only has no SAN, self-signed is its own non-CA issuer."""
    cert = getattr(sample_pki, name).cert
    assert _PROPERTIES[name](cert)
    assert not _PROPERTIES[name](sample_pki.es01.cert)  # the healthy twin does not have the flaw


@pytest.mark.parametrize(
    ("host", "matched"),
    [("es01.example.internal", True), ("ES01.example.internal.", True), ("localhost", True),
     ("127.0.0.1", True), ("::1", True), ("es01", False), ("kibana.example.internal", False)],
)
def test_node_certificate_names(sample_pki: samples.SamplePki, host: str, matched: bool) -> None:
    """The node certificate covers its SANs, and not its CN es01, which Go ignores once SANs exist."""
    cert = sample_pki.es01.cert
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "es01"
    assert match_full(cert, host).matched is matched


def test_cn_only_passes_full_mode_through_the_cn_and_fails_strict(sample_pki: samples.SamplePki) -> None:
    """broken/cn-only.crt is the certificate Beats' full mode accepts and strict mode rejects."""
    full = match_full(sample_pki.cn_only.cert, samples.ES_NAME)
    assert (full.matched, full.matched_by) == (True, "common-name")
    assert not match_strict(sample_pki.cn_only.cert, samples.ES_NAME).matched


def test_wrong_host_certificate_does_not_name_the_node(sample_pki: samples.SamplePki) -> None:
    result = match_full(sample_pki.wrong_host.cert, samples.ES_NAME)
    assert not result.matched
    assert result.error == "x509: certificate is valid for es02.example.internal, not es01.example.internal"


def test_trust_other_ca_is_unknown_authority_and_fingerprint_of_intermediate_works(
    sample_pki: samples.SamplePki,
) -> None:
    """other-ca/ca.crt does not vouch for the node; ca/intermediate.sha256 alone does."""
    assert _verdict(sample_pki, "es01", [sample_pki.other_ca.cert]) == "tls-unknown-ca"
    by_fingerprint = judge_chain(
        _sent_chain(sample_pki.es01), [], mode="full", now=NOW,
        ca_trusted_fingerprint=sample_pki.intermediate.issued.sha256_hex,
    )
    assert by_fingerprint.ok


@pytest.mark.parametrize("name", ["beats01", "beats02"])
def test_client_certificates_are_for_client_auth_only(sample_pki: samples.SamplePki, name: str) -> None:
    cert = getattr(sample_pki, name).cert
    usages = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert usages == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.issuer == sample_pki.intermediate.cert.subject


def test_write_sample_pki_writes_exactly_the_listed_files_with_private_keys_private(
    sample_pki: samples.SamplePki, tmp_path: Path
) -> None:
    written = samples.write_sample_pki(sample_pki, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(samples.FILES)
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if path.suffix == ".key" else 0o644), path
    fingerprint = (tmp_path / "ca/intermediate.sha256").read_text().strip()
    assert fingerprint == sample_pki.intermediate.cert.fingerprint(hashes.SHA256()).hex()


def test_sample_certs_readme_explains_every_file_and_config() -> None:
    readme = (REPO / "sample_certs" / "README.md").read_text(encoding="utf-8")
    missing = [name for name in [*samples.FILES, *samples.CONFIG_NAMES] if f"`{name}`" not in readme]
    assert missing == []


# --- the sample configs ----------------------------------------------------------------------------


def test_committed_configs_are_the_rendered_templates() -> None:
    """sample_certs/configs/ and the templates the demo uses cannot drift apart (generate.py --committed)."""
    directory = REPO / "sample_certs" / "configs"
    committed = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.yml")}
    assert committed == samples.render_configs()


_VALUES = {"ES_PWD": "Canary-sample-Pw-1", "ES_API_KEY": "keyid:Canary-sample-key", "ES_CA_FINGERPRINT": "ab" * 32}

_EXPECTED = {  # config -> (target id, URL, credentials method) for each target it yields
    "basic-auth.yml": [("elasticsearch[0]", "https://es01.example.internal:9200", "basic"),
                       ("kibana", "https://kibana.example.internal:5601", "basic")],
    "api-key.yml": [("elasticsearch[0]", "https://es01.example.internal:9200", "api_key"),
                    ("kibana", "https://kibana.example.internal:5601", "api_key")],
    "pki.yml": [("elasticsearch[0]", "https://es01.example.internal:9200", "pki")],
    "fingerprint.yml": [("elasticsearch[0]", "https://es01.example.internal:9200", "basic")],
    "cloud-id.yml": [("elasticsearch[0]", "https://es01.example.internal:9200", "basic"),
                     ("kibana", "https://kibana.example.internal:5601", "basic")],
}


@pytest.mark.parametrize("name", samples.CONFIG_NAMES)
def test_committed_config_loads_without_config_failures(name: str) -> None:
    """Given the variables it documents, each committed config loads with the targets it describes."""
    environ = {var: _VALUES[var] for var in samples.CONFIG_ENVIRONMENT[name]}
    loaded = load_config([str(REPO / "sample_certs" / "configs" / name)], environ=environ)
    assert [f.code for f in loaded.findings if f.severity is Severity.FAIL] == []
    assert [(t.id, t.url, t.credentials.method) for t in loaded.targets] == _EXPECTED[name]
    assert all(t.tls is not None and t.tls.verification_mode == "full" for t in loaded.targets)


def test_config_without_its_variable_is_a_config_failure() -> None:
    """The environment the table names is really needed: without ES_PWD the Beat would not start."""
    loaded = load_config([str(REPO / "sample_certs" / "configs" / "basic-auth.yml")], environ={})
    assert "config-unresolved-variable" in [f.code for f in loaded.findings if f.severity is Severity.FAIL]


def test_fingerprint_config_reads_the_fingerprint_from_the_environment() -> None:
    loaded = load_config([str(REPO / "sample_certs" / "configs" / "fingerprint.yml")],
                         environ={"ES_PWD": "x", "ES_CA_FINGERPRINT": "ab" * 32})
    tls = loaded.targets[0].tls
    assert tls is not None and tls.ca_trusted_fingerprint == "ab" * 32 and tls.certificate_authorities == ()


# --- sample_certs/generate.py ----------------------------------------------------------------------


def _generate_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sample_certs_generate", REPO / "sample_certs" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generate_writes_the_pki_and_configs_pointing_at_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pki"
    assert _generate_module().main([str(target)]) == 0
    for relative in samples.FILES:
        assert (target / relative).is_file(), relative
    basic = (target / "configs" / "basic-auth.yml").read_text(encoding="utf-8")
    assert f'["{target}/ca/ca.crt"]' in basic
    loaded = load_config([str(target / "configs" / "pki.yml")], environ={})
    tls = loaded.targets[0].tls
    assert tls is not None and tls.certificate is not None and tls.certificate.error is None
    assert "ES_CA_FINGERPRINT=" in capsys.readouterr().out


def test_generate_into_an_unusable_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path under a regular file cannot be created, even by root: exit 1 and a clear line, no traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert _generate_module().main([str(blocker / "pki")]) == 1
    assert "cannot write to" in capsys.readouterr().err
