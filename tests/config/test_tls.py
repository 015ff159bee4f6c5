"""ssl.* -> TlsSettings: the Beat's names and errors, inline PEM vs paths, certificate/key pairing, passphrase."""

from __future__ import annotations

import pytest

from esprobe.demo.standins.pki import CertAuthority
from esprobe.redact import Redactor
from tests.support.config import all_text, codes, load, only


def _tls(tmp_path, ssl_yaml: str, hosts: str = "[https://es:9200]", **kwargs):
    loaded = load(tmp_path, f"output.elasticsearch:\n  hosts: {hosts}\n  ssl:\n{ssl_yaml}", **kwargs)
    return loaded, (loaded.targets[0].tls if loaded.targets else None)


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("full", "full"),
        ("strict", "strict"),
        ("certificate", "certificate"),
        ("none", "none"),
        ("''", "full"),
        ("null", "full"),
        ("3", "strict"),
        ("1", "none"),
    ],
)
def test_verification_modes(tmp_path, value, mode) -> None:
    """The four names, empty/null as full, and the Beat's integer forms."""
    loaded, tls = _tls(tmp_path, f"    verification_mode: {value}\n")
    assert mode == tls.verification_mode
    assert [] == codes(loaded)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Full", "unknown verification mode 'Full'"),
        ("NONE", "unknown verification mode 'NONE'"),
        ("off", "unknown type: bool"),  # YAML 1.1 boolean
        ("7", "unsupported verification mode: 7"),
        ("[full]", "unknown type: object"),
    ],
)
def test_bad_verification_mode_is_a_fail_naming_the_setting(tmp_path, value, fragment) -> None:
    """verification_mode is matched exactly; anything else stops the Beat."""
    loaded, tls = _tls(tmp_path, f"    verification_mode: {value}\n")
    finding = only(loaded, "config-ssl-verification-mode")
    assert "fail" == finding.severity.value
    assert fragment in finding.message
    assert "output.elasticsearch.ssl.verification_mode" == finding.setting
    assert finding.location.endswith("metricbeat.yml:4")


@pytest.mark.parametrize(
    ("key", "good", "bad", "beat_text"),
    [
        ("supported_protocols", ["TLSv1.2", "TLSv1.3"], "TLSv1_2", "invalid tls version 'TLSv1_2'"),
        (
            "cipher_suites",
            ["ECDHE-RSA-AES-128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1205"],
            "ECDHE-RSA-CHACHA20-POLY1305",
            "invalid tls cipher suite",
        ),
        ("curve_types", ["P-256", "X25519"], "secp256r1", "invalid tls curve type 'secp256r1'"),
    ],
)
def test_name_lists(tmp_path, key, good, bad, beat_text) -> None:
    """Protocol, cipher and curve names are the Beat's own spellings (including its POLY1205 typo)."""
    loaded, tls = _tls(tmp_path, f"    {key}: [{', '.join(good)}]\n")
    assert tuple(good) == getattr(tls, key)
    assert [] == codes(loaded)
    loaded, tls = _tls(tmp_path, f"    {key}: [{good[0]}, {bad}]\n")
    finding = only(loaded, "config-ssl-invalid-name")
    assert beat_text in finding.message and f"output.elasticsearch.ssl.{key}" == finding.setting
    assert (good[0],) == getattr(tls, key)


def test_renegotiation(tmp_path) -> None:
    """never/once/freely; anything else is the Beat's error."""
    _, tls = _tls(tmp_path, "    renegotiation: freely\n")
    assert "freely" == tls.renegotiation
    loaded, _ = _tls(tmp_path, "    renegotiation: always\n")
    assert "invalid tls renegotiation type 'always'" in only(loaded, "config-ssl-invalid-name").message


def test_certificate_authorities_files_and_inline(tmp_path) -> None:
    """Entries are paths (relative ones under path.config) or inline PEM (leading '-')."""
    ca = CertAuthority.root()
    pem = ca.cert_pem.decode()
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text(pem)
    inline = "|\n" + "".join("        " + line + "\n" for line in pem.splitlines())
    loaded, tls = _tls(tmp_path, f"    certificate_authorities:\n      - certs/ca.pem\n      - {inline}")
    first, second = tls.certificate_authorities
    assert (str(tmp_path / "certs" / "ca.pem"), pem.encode(), None) == (first.path, first.data, first.error)
    assert (None, None) == (second.path, second.error)
    assert second.data.strip() == pem.encode().strip()
    assert "output.elasticsearch.ssl.certificate_authorities.1" == second.setting
    assert [] == codes(loaded)


def test_unreadable_ca_is_recorded_for_the_tls_stage_not_as_a_config_fail(tmp_path) -> None:
    """A missing CA file becomes PemSource.error in the Beat's words; no config finding."""
    loaded, tls = _tls(tmp_path, "    certificate_authorities: [/nonexistent/ca.pem]\n")
    (source,) = tls.certificate_authorities
    assert "failed reading CA certificate: open /nonexistent/ca.pem: no such file or directory" == source.error
    assert [] == codes(loaded)


def test_a_single_ca_string_is_a_list(tmp_path) -> None:
    """certificate_authorities: path (no list) works like a one-element list."""
    _, tls = _tls(tmp_path, "    certificate_authorities: /etc/ca.pem\n")
    assert ["/etc/ca.pem"] == [c.path for c in tls.certificate_authorities]


@pytest.mark.parametrize(
    ("ssl_yaml", "fragment", "setting"),
    [
        ("    certificate: client.crt\n", "key file not configured", "output.elasticsearch.ssl.key"),
        ("    key: client.key\n", "certificate file not configured", "output.elasticsearch.ssl.certificate"),
    ],
)
def test_certificate_without_key_fails(tmp_path, ssl_yaml, fragment, setting) -> None:
    """certificate and key go together, with the Beat's texts."""
    loaded, tls = _tls(tmp_path, ssl_yaml)
    finding = only(loaded, "config-ssl-cert-key-pair")
    assert fragment in finding.message and setting == finding.setting and "fail" == finding.severity.value
    assert tls.certificate is None


def test_client_certificate_is_pki_credentials(tmp_path) -> None:
    """With only a client certificate, the credentials are 'pki'."""
    ca = CertAuthority.root()
    leaf = ca.issue("beat")
    cert, key = leaf.write(tmp_path, "client")
    loaded, tls = _tls(tmp_path, f"    certificate: {cert}\n    key: {key}\n")
    assert tls.certificate.data == cert.read_bytes() and tls.key.data == key.read_bytes()
    assert "pki" == loaded.targets[0].credentials.method


def test_inline_key_is_a_secret(tmp_path) -> None:
    """An inline private key in the config is registered for redaction."""
    ca = CertAuthority.root()
    leaf = ca.issue("beat")
    key_pem = leaf.key_pem().decode()
    block = "|\n" + "".join("      " + line + "\n" for line in key_pem.splitlines())
    cert_block = "|\n" + "".join("      " + line + "\n" for line in leaf.cert_pem.decode().splitlines())
    redactor = Redactor()
    _, tls = _tls(tmp_path, f"    certificate: {cert_block}    key: {block}", redactor=redactor)
    assert tls.key.path is None
    assert redactor.redact(key_pem) != key_pem


def test_passphrase_inline_and_from_file_verbatim(tmp_path) -> None:
    """key_passphrase wins; key_passphrase_path is read verbatim, trailing newline included."""
    (tmp_path / "pass.txt").write_bytes(b"from-file\n")
    redactor = Redactor()
    _, tls = _tls(tmp_path, "    key_passphrase_path: pass.txt\n", redactor=redactor)
    assert "from-file\n" == tls.key_passphrase
    assert "output.elasticsearch.ssl.key_passphrase_path" == tls.key_passphrase_setting
    assert "from-file" in redactor.values()
    _, tls = _tls(tmp_path, "    key_passphrase: inline-pass\n    key_passphrase_path: pass.txt\n")
    assert "inline-pass" == tls.key_passphrase


def test_unreadable_passphrase_file_fails(tmp_path) -> None:
    """The Beat cannot load its TLS settings without the passphrase file."""
    loaded, _ = _tls(tmp_path, "    key_passphrase_path: /nonexistent/pass\n")
    finding = only(loaded, "config-ssl-passphrase-unreadable")
    assert "unable to read passphrase_file: open /nonexistent/pass: no such file or directory" in finding.message


def test_fingerprint_and_pins_are_recorded_raw(tmp_path) -> None:
    """ca_trusted_fingerprint and ca_sha256 are kept as written for the TLS stage."""
    _, tls = _tls(tmp_path, "    ca_trusted_fingerprint: 'AB:cd'\n    ca_sha256: pin1\n")
    assert ("AB:cd", ("pin1",)) == (tls.ca_trusted_fingerprint, tls.ca_sha256)


def test_ssl_block_with_http_urls_warns(tmp_path) -> None:
    """ssl on http:// hosts is silently unused by the Beat: WARN, and no TLS on those targets."""
    loaded, tls = _tls(tmp_path, "    verification_mode: none\n", hosts="[es1, 'https://es2:9200']")
    finding = only(loaded, "config-ssl-ignored")
    assert "http://es1:9200" in finding.message and "es2" not in finding.message
    assert tls is None
    assert "none" == loaded.targets[1].tls.verification_mode


def test_disabled_ssl_block_on_https_uses_defaults(tmp_path) -> None:
    """https always means TLS; with ssl.enabled: false Go's defaults apply (full verification)."""
    loaded, tls = _tls(tmp_path, "    enabled: false\n    verification_mode: none\n")
    assert "full" == tls.verification_mode and () == tls.certificate_authorities
    assert "config-ssl-ignored" not in codes(loaded)


def test_https_without_ssl_block_still_has_tls(tmp_path) -> None:
    """No ssl block + https: default TLS settings (system roots)."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['https://es:9200']\n")
    tls = loaded.targets[0].tls
    assert tls is not None and "output.elasticsearch.ssl" == tls.prefix and "full" == tls.verification_mode
    assert "key" not in all_text(loaded.findings)


def test_each_bad_name_in_one_line_is_reported(tmp_path) -> None:
    """Two unknown names written on one line are two findings."""
    loaded, _ = _tls(tmp_path, "    cipher_suites: [BAD-ONE, BAD-TWO]\n")
    assert 2 == codes(loaded).count("config-ssl-invalid-name")


def test_inherited_ssl_problem_is_reported_once(tmp_path) -> None:
    """monitoring inherits output.elasticsearch.ssl: the bad value is one finding, at its line."""
    loaded = load(
        tmp_path,
        "output.elasticsearch: {hosts: ['https://es:9200'], ssl.verification_mode: Full}\nmonitoring.enabled: true\n",
    )
    assert 1 == codes(loaded).count("config-ssl-verification-mode")
    assert "monitoring[0]" in [t.id for t in loaded.targets]


def test_relative_ssl_path_under_etc_warns(tmp_path, monkeypatch) -> None:
    """A deb/rpm config (/etc/<beat>) with a relative ssl path: the Beat, run by systemd from /, would
    not find the file where esprobe does, so a warning says so; elsewhere (tar) nothing is said."""
    import esprobe.config.tls as tls_module

    reports = []

    class Report:
        def add(self, code, message, **kwargs):  # type: ignore[no-untyped-def]
            reports.append((code, message, kwargs))

    class Reader:
        report = Report()

    tls_module._relative_path_note(Reader(), "output.elasticsearch.ssl.certificate_authorities.0", "certs/ca.pem",
                                   "/etc/metricbeat")
    tls_module._relative_path_note(Reader(), "output.elasticsearch.ssl.certificate_authorities.0", "certs/ca.pem",
                                   str(tmp_path))
    tls_module._relative_path_note(Reader(), "output.elasticsearch.ssl.certificate_authorities.0", "/etc/ca.pem",
                                   "/etc/metricbeat")
    assert [code for code, _, _ in reports] == ["config-ssl-relative-path"]
    assert "/etc/metricbeat/certs/ca.pem" in reports[0][1]
