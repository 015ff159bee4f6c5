"""load_config never raises, every FAIL names what to fix, and no secret reaches a finding."""

from __future__ import annotations

import base64
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import esprobe.config as config_module
from esprobe.config import load_config, write_keystore
from esprobe.findings import catalogue
from esprobe.model import Severity
from esprobe.redact import Redactor
from tests.support.config import all_text, load

# The number of examples comes from the active profile (tests/conftest.py): more under `tox -e fuzz`.
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_KEYS = st.sampled_from(
    [
        "output.elasticsearch",
        "output.elasticsearch.hosts",
        "output.elasticsearch.ssl",
        "output.elasticsearch.ssl.verification_mode",
        "output.logstash",
        "hosts",
        "ssl",
        "username",
        "password",
        "api_key",
        "cloud.id",
        "cloud.auth",
        "setup.kibana",
        "monitoring",
        "monitoring.elasticsearch",
        "enabled",
        "certificate_authorities",
        "path.config",
        "keystore.path",
        "0",
        "on",
        "a.b",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["${X}", "${X:d}", "${", "$$", "${A:${B}}", "https://u:p@h:9200", "[a,", "0123", "::1", "-----BEGIN"]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=4)),
    max_leaves=20,
)


@SETTINGS
@given(text=st.text(max_size=400))
def test_any_text_loads_without_raising(tmp_path_factory, text) -> None:
    """Arbitrary file content yields a LoadedConfig, never an exception."""
    directory = tmp_path_factory.mktemp("any")
    path = directory / "metricbeat.yml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    loaded = load_config([str(path)], environ={})
    assert all(f.code in catalogue() for f in loaded.findings)
    assert "config-internal-error" not in [f.code for f in loaded.findings]


@SETTINGS
@given(tree=st.dictionaries(_KEYS, _VALUES, max_size=6), flags=st.lists(st.text(max_size=40), max_size=3))
def test_any_settings_tree_loads_without_raising(tmp_path_factory, tree, flags) -> None:
    """Structured but nonsensical settings, and arbitrary -E strings, become findings."""
    directory = tmp_path_factory.mktemp("tree")
    path = directory / "metricbeat.yml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    loaded = load_config([str(path)], flags, environ={"X": "1,2", "B": "b"})
    codes = [f.code for f in loaded.findings]
    assert "config-internal-error" not in codes, [f.message for f in loaded.findings]
    for finding in loaded.findings:
        if finding.severity is Severity.FAIL:
            assert finding.setting or finding.location, finding


@SETTINGS
@given(data=st.binary(max_size=300))
def test_any_bytes_load_without_raising(tmp_path_factory, data) -> None:
    """Binary garbage (bad UTF-8, NULs) is a finding too."""
    directory = tmp_path_factory.mktemp("bytes")
    path = directory / "metricbeat.yml"
    path.write_bytes(data)
    assert load_config([str(path)], environ={}) is not None


@SETTINGS
@given(data=st.binary(max_size=200))
def test_any_keystore_bytes_load_without_raising(tmp_path_factory, data) -> None:
    """A keystore file with any content never breaks loading."""
    directory = tmp_path_factory.mktemp("ks")
    (directory / "ks").write_bytes(data)
    os.chmod(directory / "ks", 0o600)
    (directory / "metricbeat.yml").write_text("output.elasticsearch.hosts: ['${H}']\n")
    loaded = load_config([str(directory / "metricbeat.yml")], environ={}, keystore_path=str(directory / "ks"))
    assert loaded.keystore is not None


def test_internal_errors_become_a_finding(tmp_path, monkeypatch) -> None:
    """Even a bug inside the reader returns a LoadedConfig with a FAIL, secrets redacted."""

    def broken(*args, **kwargs):
        raise RuntimeError("boom with hunter2-secret")

    monkeypatch.setattr(config_module, "_load", broken)
    redactor = Redactor()
    redactor.add("hunter2-secret", "test")
    loaded = load_config([str(tmp_path / "x.yml")], environ={}, redactor=redactor)
    (finding,) = loaded.findings
    assert "config-internal-error" == finding.code and "hunter2-secret" not in finding.message


def test_fail_findings_name_their_setting(tmp_path) -> None:
    """Every setting-level FAIL carries the setting; file-level ones carry the file location."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch:
          hosts: ['es:bad', ok]
          api_key: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'
          username: '${MISSING_USER}'
          password: p
          ssl.verification_mode: Strict
          ssl.supported_protocols: [SSLv3]
          ssl.certificate: client.crt
          ssl.key_passphrase_path: /nonexistent
        other.value: 'broken ${'
        cloud.auth: nocolon
        """,
    )
    fails = [f for f in loaded.findings if f.severity is Severity.FAIL]
    assert len(fails) >= 8
    for finding in fails:
        assert finding.setting, finding
        assert finding.setting in finding.message or finding.code == "config-variable-syntax", finding


# Every secret below is a canary: long and unlike anything esprobe prints on its own (paths such as
# pytest-683, ports, line numbers), so finding one in the output can only mean it leaked.
CANARY = "cnry7q-"
_MIN_SECRET = 10


def test_no_secret_reaches_any_finding(tmp_path) -> None:
    """Passwords, keys, cloud.auth, userinfo, proxy, keystore and env values never appear in findings."""
    encoded_key = base64.b64encode(f"keyid123:{CANARY}apikeysecret987".encode()).decode()
    (tmp_path / "data").mkdir()
    write_keystore(str(tmp_path / "data" / "metricbeat.keystore"),
                   {"KS_PW": f"{CANARY}keystorepw0123", "SHADOW": f"{CANARY}shadowks"})
    (tmp_path / "pass.txt").write_text(f"{CANARY}passphrase-from-file\n")
    # A bare number with a leading 0 is an octal int to yaml.v2: the Beat's password is then its
    # decimal digits. Neither form may leak; both are long enough not to occur by chance.
    octal, decimal = "07654321076", str(0o7654321076)
    secrets = [
        octal,
        decimal,
        encoded_key,
        *(CANARY + name for name in (
            "apikeysecret987", "cloudpassword42", "userinfopw55", "proxysecret66", "keystorepw0123",
            "envsecret77", "shadowenv88", "shadowks", "passphrase-from-file", "inline-passphrase", "flagsecret99",
        )),
    ]
    assert all(len(secret) >= _MIN_SECRET and secret not in str(tmp_path) for secret in secrets)
    loaded = load(
        tmp_path,
        f"""
        cloud.id: "x:{base64.b64encode(b'h.io$e$k').decode()}"
        cloud.auth: "elastic:{CANARY}cloudpassword42"
        output.elasticsearch:
          hosts: ['https://user:{CANARY}userinfopw55@es:9200', 'HTTPS://user:{CANARY}userinfopw55@es2:9200']
          api_key: '{encoded_key}'
          password: {octal}
          proxy_url: http://p:{CANARY}proxysecret66@proxy:3128
          ssl:
            verification_mode: wrong
            key_passphrase: {CANARY}inline-passphrase
            certificate: c.pem
        setup.kibana:
          password: '${{KS_PW}}'
          api_key: '${{ENV_KEY}}'
          username: '${{SHADOW}}'
        monitoring.elasticsearch:
          password: '${{ENV_KEY}},x'
        """,
        env={"ENV_KEY": f"{CANARY}envsecret77", "SHADOW": f"{CANARY}shadowenv88"},
        overrides=[f'output.elasticsearch.username="{CANARY}flagsecret99', "setup.kibana.space.id=${UNSET_THING}"],
    )
    text = all_text(loaded.findings)
    assert len(loaded.findings) >= 8
    for secret in secrets:
        assert secret not in text, secret
