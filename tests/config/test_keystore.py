"""The Beat's keystore: both on-disk versions, the independent test vector, broken files, permissions."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from esprobe.config import Launch, write_keystore
from esprobe.config.keystore import read_keystore
from esprobe.redact import Redactor
from tests.support.config import all_text, codes, load, only

# elastic-agent-libs keystore/testdata/keystore.v1 and .v2, byte for byte (Apache-2.0).
REFERENCE = Path(__file__).resolve().parent / "testdata"
SALT = bytes(range(64))
NONCE = bytes(range(100, 112))
VECTOR = (
    "v1AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P2RlZmdo"
    "aWprbG1ub8/iMwgPrAxzvCIFYLYxTJi/KAzFe8YSb4TOWjAI8MR+nu7b86CKHFSJQBg97h/LefTJn/yQn14TdbnLijc8EExy"
    "rZbr69S8ePYLFw9yHAbf27erJQFG9A=="
)
CONFIG = "output.elasticsearch: {hosts: [es], username: '${ES_USER}', password: '${ES_PWD}'}\n"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_upstream_test_files_decrypt(tmp_path, version) -> None:
    """elastic-agent-libs' own keystore.v1/.v2 test files hold key 'key' = 'value'."""
    source = REFERENCE / f"upstream-keystore.{version}"
    copy = tmp_path / "ks"
    shutil.copy(source, copy)
    read = read_keystore(str(copy))
    assert {"key": "value"} == dict(read.values)
    assert (version, ("key",), None) == (read.info.version, read.info.keys, read.info.error)


def test_writer_reproduces_the_independent_vector(tmp_path) -> None:
    """With a fixed salt and nonce the writer yields byte-for-byte the reference file."""
    path = write_keystore(str(tmp_path / "ks"), {"ES_PWD": "changeme", "ES_USER": "elastic"}, salt=SALT, nonce=NONCE)
    assert VECTOR == Path(path).read_text()
    assert 0o600 == os.stat(path).st_mode & 0o777
    assert {"ES_PWD": "changeme", "ES_USER": "elastic"} == dict(read_keystore(path).values)


def test_keystore_values_resolve_variables_and_are_secrets(tmp_path) -> None:
    """Variables come from the default keystore ${path.data}/<beat>.keystore; values are registered."""
    (tmp_path / "data").mkdir()
    write_keystore(str(tmp_path / "data" / "metricbeat.keystore"), {"ES_USER": "elastic", "ES_PWD": "changeme"})
    redactor = Redactor()
    loaded = load(tmp_path, CONFIG, redactor=redactor)
    creds = loaded.targets[0].credentials
    assert ("elastic", "changeme", "basic") == (creds.username, creds.password, creds.method)
    assert "changeme" in redactor.values()
    assert loaded.keystore is not None and ("ES_PWD", "ES_USER") == loaded.keystore.keys
    assert "default" == loaded.keystore.source


def test_keystore_path_setting_and_flag(tmp_path) -> None:
    """keystore.path in the config, and --keystore above it, choose the file."""
    write_keystore(str(tmp_path / "cfg.keystore"), {"ES_USER": "from-setting", "ES_PWD": "x"})
    write_keystore(str(tmp_path / "flag.keystore"), {"ES_USER": "from-flag", "ES_PWD": "x"})
    text = CONFIG + f"keystore.path: {tmp_path / 'cfg.keystore'}\n"
    assert "from-setting" == load(tmp_path, text).targets[0].credentials.username
    flagged = load(tmp_path, text, keystore_path=str(tmp_path / "flag.keystore"))
    assert "from-flag" == flagged.targets[0].credentials.username
    assert "--keystore" == flagged.keystore.source


def test_missing_keystore_is_empty_and_named_in_the_failure(tmp_path) -> None:
    """No keystore file is not an error, but an unresolved variable then says where esprobe looked."""
    loaded = load(tmp_path, CONFIG)
    assert loaded.keystore is not None and not loaded.keystore.exists and loaded.keystore.error is None
    finding = [f for f in loaded.findings if f.code == "config-unresolved-variable"][0]
    assert f"{tmp_path / 'data' / 'metricbeat.keystore'} (not found)" in finding.message


def _broken(path: Path, content: bytes) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    os.chmod(path, 0o600)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"v3" + VECTOR[2:].encode(), "doesn't match expected version: 'v1' got 'v3'"),
        (VECTOR[2:].encode(), "doesn't match expected version"),
        (b"", "doesn't match expected version"),
        (b"v1", "corrupt or empty keystore"),
        (b"v1@@@notbase64", "illegal base64 data at input byte 0"),
        (b"v1" + base64.b64encode(b"short"), "missing information in the file for decrypting the keystore"),
        (b"v1" + base64.b64encode(bytes(64) + bytes(12) + b"garbage-with-no-valid-tag"), "message authentication "
                                                                                         "failed"),
    ],
)
def test_broken_keystore_is_reported(tmp_path, content, fragment) -> None:
    """Wrong prefix, bad base64, too short, failed GCM tag: a clear warning each (exit 3 only when a
    variable then cannot be resolved, as issue #5 asks)."""
    _broken(tmp_path / "data" / "metricbeat.keystore", content)
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\n")
    finding = only(loaded, "keystore-invalid")
    assert "warn" == finding.severity.value
    assert not loaded.findings or all(f.severity.value == "warn" for f in loaded.findings)
    assert fragment in finding.message
    assert loaded.keystore.error is not None and fragment in loaded.keystore.error


def test_bad_json_inside_a_valid_envelope(tmp_path) -> None:
    """Decryptable but not the expected JSON is reported too."""
    from esprobe.config.keystore import encrypt

    payload = encrypt(b"not json at all", SALT, NONCE)
    _broken(tmp_path / "data" / "metricbeat.keystore", b"v1" + base64.b64encode(payload))
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\n")
    assert "keystore-invalid" in codes(loaded)


def test_broken_keystore_then_unresolved_variable_fails(tmp_path) -> None:
    """A variable only the (broken) keystore could give is the unresolved-variable FAIL."""
    _broken(tmp_path / "data" / "metricbeat.keystore", b"v1garbage")
    loaded = load(tmp_path, CONFIG)
    assert "keystore-invalid" in codes(loaded)
    unresolved = [f for f in loaded.findings if f.code == "config-unresolved-variable"]
    assert unresolved and "unusable" in unresolved[0].message


@pytest.mark.parametrize("mode", [0o640, 0o400, 0o644])
def test_keystore_mode_other_than_0600_fails(tmp_path, mode) -> None:
    """
    strict.perms wants exactly 0600 (0400 fails too): elastic-agent-libs' FileKeystore refuses
    to load, so the Beat does not start (a fail, exit 3), whoever esprobe runs as.
    """
    path = write_keystore(str(tmp_path / "ks"), {"ES_USER": "u", "ES_PWD": "p"})
    os.chmod(path, mode)
    loaded = load(tmp_path, CONFIG, keystore_path=path)
    finding = only(loaded, "keystore-permissions")
    assert "fail" == finding.severity.value
    assert "can only be writable and readable by the owner" in finding.message
    assert "refuses to start" in finding.message
    assert f"chmod 0600 {path}" in finding.hint
    assert "p" == loaded.targets[0].credentials.password  # still read


@pytest.mark.parametrize(
    ("mode", "owner", "beat_uid", "expected"),
    [
        (0o600, None, None, []),
        (0o4600, None, None, []),  # only the nine permission bits count (Go's FileMode.Perm)
        (0o600, 0, 998, []),
        (0o600, 998, 998, []),
        (0o600, 1234, 998, [("fail", "must be owned by the user identifier (uid=998) or root")]),
        (0o600, 1234, None, [("warn", "must be owned by the user identifier (uid={me}) or root")]),
        (0o640, 1234, 998, [("fail", "must be owned by the user identifier (uid=998) or root"),
                            ("fail", 'but the permissions are "-rw-r-----"')]),
    ],
)
def test_keystore_strict_perms_table(tmp_path, mode, owner, beat_uid, expected) -> None:
    """The same owner rule as config files, in the Beat's words (its keystore says "config file" there too)."""
    if owner is not None and os.geteuid() != 0:
        pytest.skip("giving a file to another owner needs root")
    path = write_keystore(str(tmp_path / "ks"), {"ES_USER": "u", "ES_PWD": "p"})
    if owner is not None:
        os.chown(path, owner, -1)
    os.chmod(path, mode)
    loaded = load(tmp_path, CONFIG, keystore_path=path, launch=Launch(euid=beat_uid))
    found = [f for f in loaded.findings if f.code == "keystore-permissions"]
    assert [(severity, True) for severity, _ in expected] == [
        (f.severity.value, text.format(me=os.geteuid()) in f.message) for (_, text), f in zip(expected, found)
    ] and len(expected) == len(found), [f.message for f in found]
    for (_, text), finding in zip(expected, found):
        prefix = "config file" if "owned" in text else "file"
        assert finding.message.startswith(f'{prefix} ("{path}") ')


def test_keystore_perms_ignored_with_strict_perms_false(tmp_path) -> None:
    """esprobe --strict-perms=false mirrors the Beat's -strict.perms=false: no check at all."""
    path = write_keystore(str(tmp_path / "ks"), {"ES_USER": "u", "ES_PWD": "p"})
    os.chmod(path, 0o644)
    loaded = load(tmp_path, CONFIG, keystore_path=path, strict_perms=False)
    assert "keystore-permissions" not in codes(loaded)
    assert "p" == loaded.targets[0].credentials.password


def test_keystore_value_not_utf8_cannot_be_judged(tmp_path) -> None:
    """Bytes that are not UTF-8: a finding naming the entry (exit 3), never an internal error or the bytes."""
    path = write_keystore(str(tmp_path / "ks"), {"ES_USER": "u", "ES_PWD": b"ab\xff\xfecd"})
    loaded = load(tmp_path, CONFIG, keystore_path=path)
    finding = only(loaded, "keystore-value-not-utf8")
    assert "fail" == finding.severity.value
    assert "ES_PWD" in finding.message
    assert "config-internal-error" not in codes(loaded)


def test_keystore_perms_ignored_without_strict_perms(tmp_path) -> None:
    """BEAT_STRICT_PERMS=false turns the keystore check off as well."""
    path = write_keystore(str(tmp_path / "ks"), {"ES_USER": "u", "ES_PWD": "p"})
    os.chmod(path, 0o644)
    loaded = load(tmp_path, CONFIG, keystore_path=path, env={"BEAT_STRICT_PERMS": "false"})
    assert "keystore-permissions" not in codes(loaded)


def test_env_shadowing_names_only(tmp_path) -> None:
    """Env and keystore both define ES_PWD differently: WARN with the name, never a value."""
    path = write_keystore(str(tmp_path / "ks"), {"ES_USER": "u", "ES_PWD": "keystore-secret"})
    loaded = load(tmp_path, CONFIG, keystore_path=path, env={"ES_PWD": "env-secret"})
    finding = only(loaded, "keystore-env-shadow")
    assert "ES_PWD" in finding.message
    text = all_text(loaded.findings)
    assert "keystore-secret" not in text and "env-secret" not in text
    assert "env-secret" == loaded.targets[0].credentials.password


def test_shadowing_of_an_unused_name_is_silent(tmp_path) -> None:
    """Only names the config actually uses matter."""
    path = write_keystore(str(tmp_path / "ks"), {"OTHER": "a"})
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\n", keystore_path=path, env={"OTHER": "b"})
    assert [] == codes(loaded)
