"""Reading the YAML: yaml.v2 typing, dotted keys, duplicates with file:line, structure errors, strict.perms."""

from __future__ import annotations

import os
import textwrap

import pytest

from esprobe.config import Launch, load_config
from esprobe.config.source import check_file_perms, parse_yaml, yaml_v2_plain
from esprobe.config.tree import to_plain
from tests.support.config import codes, load, only, write

ES = "output.elasticsearch.hosts: ['http://es:9200']\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("y", True),
        ("On", True),
        ("no", False),
        ("N", False),
        ("OFF", False),
        ("~", None),
        ("null", None),
        ("0123", 83),
        ("0x1F", 31),
        ("1_000", 1000),
        ("-0b101", -5),
        ("1.0", 1.0),
        ("1e3", 1000.0),
        ("08", 8.0),
        (".5", 0.5),
        ("2024-01-01", "2024-01-01"),  # timestamps stay strings
        ("localhost:9200", "localhost:9200"),
        ("::1", "::1"),
        ("1:20", "1:20"),  # no sexagesimal numbers in yaml.v2
    ],
)
def test_plain_scalars_are_typed_like_yaml_v2(text, value) -> None:
    """Unquoted scalars follow yaml.v2's YAML 1.1 rules, not PyYAML's."""
    assert value == yaml_v2_plain(text)
    assert type(value) is type(yaml_v2_plain(text))


def test_quoted_scalars_stay_strings() -> None:
    """Quoting keeps '0123' and 'on' as text."""
    loaded = parse_yaml("a: '0123'\nb: \"on\"\nc: 0123\n", "/x.yml")
    assert {"a": "0123", "b": "on", "c": 83} == to_plain(loaded.root)


def test_dotted_and_nested_keys_merge(tmp_path) -> None:
    """Disjoint dotted and nested keys describe one tree."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch.hosts: ["https://es:9200"]
        output:
          elasticsearch:
            username: elastic
        output.elasticsearch.ssl.verification_mode: none
        """,
    )
    es = loaded.effective["output"]["elasticsearch"]
    assert {"hosts": ["https://es:9200"], "username": "elastic", "ssl": {"verification_mode": "none"}} == es
    assert [] == [c for c in codes(loaded) if c.startswith("config-ambiguous")]


@pytest.mark.parametrize(
    "text",
    [
        # dotted key + nested mapping at the top level
        """
        output.elasticsearch.username: a
        output:
          elasticsearch:
            username: b
        """,
        # the same one level down
        """
        output:
          elasticsearch:
            username: a
          elasticsearch.username: b
        """,
    ],
)
def test_same_leaf_dotted_and_nested_is_a_fail_with_both_lines(tmp_path, text) -> None:
    """go-ucfg merges such keys in random order (value or 'duplicate key'): FAIL, both lines named."""
    loaded = load(tmp_path, "output.elasticsearch.protocol: http\n" + textwrap.dedent(text))
    finding = only(loaded, "config-ambiguous-key")
    assert "fail" == finding.severity.value
    assert "output.elasticsearch.username" == finding.setting
    path = str(tmp_path / "metricbeat.yml")
    assert finding.message.count(path + ":") == 2


def test_scalar_and_section_on_one_path_is_a_fail(tmp_path) -> None:
    """A value and a section at the same key cannot both exist."""
    loaded = load(tmp_path, "output.elasticsearch: x\noutput.elasticsearch.hosts: [a]\n")
    assert "config-ambiguous-key" in codes(loaded)


def test_duplicate_yaml_key_warns_and_keeps_the_last(tmp_path) -> None:
    """yaml.v2 silently keeps the last of two equal keys: WARN with both lines."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch:
          hosts: ["http://first:9200"]
          hosts: ["http://second:9200"]
        """,
    )
    finding = only(loaded, "config-duplicate-key")
    assert "warn" == finding.severity.value
    path = str(tmp_path / "metricbeat.yml")
    assert f"{path}:2" in finding.message and f"{path}:3" in finding.message
    assert f"{path}:3" == finding.location
    assert ["http://second:9200"] == [t.url for t in loaded.targets]


def test_scalar_where_a_list_is_expected_is_one_element(tmp_path) -> None:
    """hosts: "es:9200" is the same as hosts: ["es:9200"]."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: es:9200\n")
    assert ["http://es:9200"] == [t.url for t in loaded.targets]


def test_anchors_and_merge_keys(tmp_path) -> None:
    """YAML anchors and '<<' merge keys work as in yaml.v2; explicit keys win over merged ones."""
    loaded = load(
        tmp_path,
        """
        common: &common
          username: shared
          protocol: https
        output.elasticsearch:
          <<: *common
          protocol: http
          hosts: [es]
        """,
    )
    es = loaded.effective["output"]["elasticsearch"]
    assert ("shared", "http") == (es["username"], es["protocol"])
    assert [] == [c for c in codes(loaded) if c == "config-duplicate-key"]


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("output.elasticsearch:\n  hosts: [a\n", "yaml: line", None),
        ("output:\n\thosts: []\n", "yaml: line 2", 2),
        ("- a\n- b\n", "top level", 1),
        ("output:\n  on: {hosts: [a]}\n", "'on'", 2),  # YAML 1.1: 'on' is a boolean key
        ("output:\n  200: x\n", "'200'", 2),
        ("a: &x [*x]\n", "alias", 1),
    ],
)
def test_unusable_yaml_is_a_fail_with_location(tmp_path, text, fragment, line) -> None:
    """Malformed YAML, a non-mapping top level or a non-string key: FAIL naming file:line."""
    loaded = load(tmp_path, text)
    finding = only(loaded, "config-yaml-invalid")
    assert "fail" == finding.severity.value
    assert fragment in finding.message
    assert "config-no-output" not in codes(loaded)  # the cause alone: the output may be in the unparsed text
    if line is not None:
        assert f"{tmp_path / 'metricbeat.yml'}:{line}" == finding.location


def test_missing_and_unreadable_files(tmp_path) -> None:
    """A missing -c file and a directory given as -c are FAILs, not exceptions."""
    missing = load_config([str(tmp_path / "nope.yml")], environ={})
    assert "config-file-missing" in codes(missing)
    assert "no such file or directory" in only(missing, "config-file-missing").message
    directory = load_config([str(tmp_path)], environ={})
    assert "config-file-unreadable" in codes(directory)


def test_empty_file_is_an_empty_config(tmp_path) -> None:
    """An empty file loads (and then lacks an output)."""
    loaded = load(tmp_path, "")
    assert ["config-no-output"] == codes(loaded)


def test_multiple_files_merge_in_order(tmp_path) -> None:
    """Later -c files override earlier ones, arrays merge index-wise, sections merge."""
    first = write(tmp_path, "output.elasticsearch:\n  hosts: [a, b, c]\n  username: one\n", "metricbeat.yml")
    second = write(tmp_path, "output.elasticsearch:\n  hosts: [x]\n  password: two\n", "extra.yml")
    loaded = load_config([str(first), str(second)], environ={})
    assert ["http://x:9200", "http://b:9200", "http://c:9200"] == [t.url for t in loaded.targets]
    assert ("one", "two") == (loaded.targets[0].credentials.username, loaded.targets[0].credentials.password)
    assert (str(first), str(second)) == loaded.files
    assert str(first) == loaded.path


def test_group_writable_config_fails_with_the_beats_message_and_chmod_fix(tmp_path) -> None:
    """strict.perms: a group-writable file fails (the Beat does not start), with the Beat's text and the chmod fix."""
    path = write(tmp_path, ES, mode=0o664)
    loaded = load_config([str(path)], environ={})
    finding = only(loaded, "config-file-permissions")
    assert "fail" == finding.severity.value
    assert (
        f'config file ("{path}") can only be writable by the owner but the permissions are "-rw-rw-r--" '
        f"(to fix the permissions use: 'chmod go-w {path}')"
    ) in finding.message
    assert f"chmod go-w {path}" in finding.hint
    assert str(path) == finding.location


def test_group_writable_config_fails_as_root_too(tmp_path) -> None:
    """The write-bit check does not depend on who runs esprobe."""
    path = write(tmp_path, ES, mode=0o666)
    problems = check_file_perms(str(path))
    assert ["writable"] == [p.kind for p in problems]
    assert '"-rw-rw-rw-"' in problems[0].message


BEAT_UID, OTHER_UID = 998, 1234
ME = "me"  # the file stays owned by whoever runs the test


def _need_chown(owner: object) -> None:
    if owner != ME and os.geteuid() != 0:
        pytest.skip("giving a file to another owner needs root")


@pytest.mark.parametrize(
    ("mode", "owner", "beat_uid", "expected"),
    [
        # mode alone (esprobe's own file, the Beat's user unknown)
        (0o600, ME, None, []),
        (0o644, ME, None, []),
        (0o640, ME, None, []),
        (0o444, ME, None, []),
        (0o755, ME, None, []),
        (0o4755, ME, None, []),  # setuid is not a permission bit for the Beat (Go's FileMode.Perm)
        (0o664, ME, None, [("writable", "fail", "-rw-rw-r--")]),
        (0o620, ME, None, [("writable", "fail", "-rw--w----")]),
        (0o602, ME, None, [("writable", "fail", "-rw-----w-")]),
        (0o777, ME, None, [("writable", "fail", "-rwxrwxrwx")]),
        (0o1777, ME, None, [("writable", "fail", "-rwxrwxrwx")]),  # sticky bit not printed, as Go
        # owners: root always passes; otherwise the Beat's user (known: fail, unknown: esprobe's, warn)
        (0o600, 0, BEAT_UID, []),
        (0o600, BEAT_UID, BEAT_UID, []),
        (0o600, OTHER_UID, BEAT_UID, [("owner", "fail", BEAT_UID)]),
        (0o600, OTHER_UID, None, [("owner", "warn", "esprobe")]),
        (0o664, OTHER_UID, BEAT_UID, [("owner", "fail", BEAT_UID), ("writable", "fail", "-rw-rw-r--")]),
        (0o664, 0, BEAT_UID, [("writable", "fail", "-rw-rw-r--")]),
    ],
)
def test_config_file_strict_perms_table(tmp_path, mode, owner, beat_uid, expected) -> None:
    """The Beat's rule for each config file, one finding per problem, each in the Beat's words naming the file."""
    _need_chown(owner)
    path = write(tmp_path, ES, mode=mode)
    if owner != ME:
        os.chown(path, owner, -1)
    os.chmod(path, mode)  # chown clears setuid
    if owner == OTHER_UID and beat_uid is None and os.geteuid() == OTHER_UID:
        pytest.skip("the test runs as the 'other' user")
    loaded = load_config([str(path)], environ={}, launch=Launch(euid=beat_uid))
    found = [f for f in loaded.findings if f.code == "config-file-permissions"]
    assert len(expected) == len(found), [f.message for f in found]
    for (kind, severity, detail), finding in zip(expected, found):
        assert severity == finding.severity.value
        assert str(path) == finding.location
        if kind == "owner":
            uid = os.geteuid() if detail == "esprobe" else detail
            assert finding.message.startswith(
                f'config file ("{path}") must be owned by the user identifier (uid={uid}) or root. ')
            assert f"chown root {path}" in finding.hint
        else:
            assert finding.message.startswith(
                f'config file ("{path}") can only be writable by the owner but the permissions are "{detail}" ')
            assert "refuses to start" in finding.message
    assert ("fail" if any(e[1] == "fail" for e in expected) else "ok") == (
        "fail" if any(f.severity.value == "fail" for f in loaded.findings) else "ok")


def test_every_config_file_is_checked(tmp_path) -> None:
    """Two -c files: each is judged and named on its own, as the Beat loads each one."""
    first = write(tmp_path, ES, mode=0o600)
    second = write(tmp_path, "output.elasticsearch.username: u\n", "extra.yml", mode=0o660)
    loaded = load_config([str(first), str(second)], environ={})
    assert [str(second)] == [f.location for f in loaded.findings if f.code == "config-file-permissions"]


@pytest.mark.parametrize(
    ("value", "checked"),
    [("false", False), ("0", True), ("FALSE", True), ("False", True), ("f", True), ("", True), ("true", True)],
)
def test_only_the_exact_text_false_in_beat_strict_perms_turns_the_check_off(tmp_path, value, checked) -> None:
    """libbeat compares BEAT_STRICT_PERMS with "false" as a string, not as a Go boolean."""
    path = write(tmp_path, ES, mode=0o666)
    loaded = load_config([str(path)], environ={"BEAT_STRICT_PERMS": value})
    assert checked == ("config-file-permissions" in codes(loaded))


@pytest.mark.parametrize(
    ("env", "text"),
    [({"BEAT_STRICT_PERMS": "false"}, ES), ({}, ES + "strict.perms: false\n")],
)
def test_strict_perms_can_be_switched_off(tmp_path, env, text) -> None:
    """BEAT_STRICT_PERMS=false and strict.perms: false skip the check."""
    path = write(tmp_path, text, mode=0o666)
    loaded = load_config([str(path)], environ=env)
    assert "config-file-permissions" not in codes(loaded)


def test_owner_check_names_the_uid(tmp_path) -> None:
    """A file owned by someone else (neither the user nor root) is reported."""
    path = write(tmp_path, ES)
    problems = check_file_perms(str(path), euid=os.stat(path).st_uid + 12345)
    if os.stat(path).st_uid == 0:
        assert [] == problems  # root-owned files always pass
    else:
        assert ["owner"] == [p.kind for p in problems]
        assert f"(uid={os.stat(path).st_uid + 12345}) or root" in problems[0].message
