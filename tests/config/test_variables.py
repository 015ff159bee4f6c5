"""${VAR} expansion: every form, the lookup order, the re-typing of resolved text, and laziness."""

from __future__ import annotations

import pytest

from esprobe.config import write_keystore
from esprobe.config.variables import TemplateSyntaxError, parse_template
from esprobe.redact import Redactor
from tests.support.config import all_text, codes, load, only


def _user(tmp_path, value: str, env=None, keystore=None, overrides=()):
    """Load a config whose output.elasticsearch.username is *value*; return (loaded, username)."""
    if keystore is not None:
        (tmp_path / "data").mkdir(exist_ok=True)
        write_keystore(str(tmp_path / "data" / "metricbeat.keystore"), keystore)
    loaded = load(
        tmp_path,
        f"""
        output.elasticsearch:
          hosts: ["http://es:9200"]
          username: {value}
        """,
        env=env,
        overrides=overrides,
    )
    return loaded, loaded.targets[0].credentials.username if loaded.targets else None


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${U}", {"U": "alice"}, "alice"),
        ("'${U:bob}'", {}, "bob"),
        ("'${U:bob}'", {"U": ""}, "bob"),  # an empty variable counts as missing
        ("'${U:+carol}'", {"U": "x"}, "carol"),
        ("'x${U:+carol}'", {}, "x"),
        ("'${A:${B:nested}}'", {}, "nested"),
        ("'${A:${B:nested}}'", {"B": "fromb"}, "fromb"),
        ("'${ES:http://localhost:9200}'", {}, "http://localhost:9200"),  # further ':' are literal
        ("'pre-${U}-post'", {"U": "mid"}, "pre-mid-post"),
        ("'${${WHICH}}'", {"WHICH": "U", "U": "indirect"}, "indirect"),
        ("'a$$b'", {}, "a$b"),
        ("'$${U}'", {"U": "no"}, "${U}"),  # escaped: a literal ${U}
        ("'lone$ sign'", {}, "lone$ sign"),
        ("'${path.home}'", {}, None),  # a config path: filled below
    ],
)
def test_variable_forms(tmp_path, value, env, expected) -> None:
    """Every ${} form resolves like go-ucfg with the Beats options."""
    loaded, user = _user(tmp_path, value, env=env)
    if expected is None:
        expected = str(tmp_path)  # tar layout: path.home is the config file's directory
    assert expected == user


def test_error_form_fails_with_the_users_text(tmp_path) -> None:
    """${VAR:?text} stops the Beat with the given text when VAR is unset."""
    loaded, _ = _user(tmp_path, "'${U:?set U to the Beat user}'")
    finding = only(loaded, "config-unresolved-variable")
    assert "fail" == finding.severity.value
    assert "set U to the Beat user" in finding.message
    assert "output.elasticsearch.username" == finding.setting


def test_unresolved_variable_names_variable_setting_and_places(tmp_path) -> None:
    """The FAIL names the variable, every setting using it, the line, and where esprobe looked."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch:
          hosts: ["http://es:9200"]
          username: ${ES_USER}
        setup.kibana:
          username: ${ES_USER}
        """,
    )
    finding = only(loaded, "config-unresolved-variable")
    assert "${ES_USER}" in finding.message
    assert "output.elasticsearch.username" in finding.message and "setup.kibana.username" in finding.message
    assert f"{tmp_path / 'metricbeat.yml'}:3" == finding.location
    assert "environment" in finding.message
    assert f"{tmp_path / 'data' / 'metricbeat.keystore'} (not found)" in finding.message
    assert "ES_USER" in finding.hint


def test_unread_settings_do_not_fail(tmp_path) -> None:
    """Resolution is lazy: an unset variable in a setting esprobe never reads is not a finding."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch.hosts: ["http://es:9200"]
        metricbeat.modules:
          - module: system
            hosts: ${NOT_SET_ANYWHERE}
        """,
    )
    assert [] == codes(loaded)
    assert "${NOT_SET_ANYWHERE}" == loaded.effective["metricbeat"]["modules"][0]["hosts"]


def test_environment_wins_over_keystore_and_empty_env_falls_through(tmp_path) -> None:
    """The code consults the environment first; an empty variable falls through to the keystore."""
    loaded, user = _user(tmp_path, "${U}", env={"U": "from-env"}, keystore={"U": "from-keystore"})
    assert "from-env" == user
    shadow = only(loaded, "keystore-env-shadow")
    assert "U" in shadow.message and "from-" not in shadow.message
    loaded, user = _user(tmp_path, "${U}", env={"U": ""})
    assert "from-keystore" == user
    assert "keystore-env-shadow" not in codes(loaded)


def test_equal_env_and_keystore_values_are_not_shadowing(tmp_path) -> None:
    """Only different values are worth a warning."""
    loaded, user = _user(tmp_path, "${U}", env={"U": "same"}, keystore={"U": "same"})
    assert "same" == user and "keystore-env-shadow" not in codes(loaded)


def test_config_path_reference(tmp_path) -> None:
    """${output.elasticsearch.password} refers to another setting from the root."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch:
          hosts: ["http://es:9200"]
          username: elastic
          password: s3cret
        setup.kibana:
          username: ${output.elasticsearch.username}-kb
        """,
    )
    assert "elastic-kb" == [t for t in loaded.targets if t.id == "kibana"][0].credentials.username


def test_env_comma_list_becomes_several_hosts(tmp_path) -> None:
    """A whole ${HOSTS} from the environment is parsed: commas and [..] make arrays."""
    for value in ("es1:9200,es2:9200", "[es1:9200, es2:9200]"):
        loaded = load(tmp_path, "output.elasticsearch.hosts: ${HOSTS}\n", env={"HOSTS": value})
        assert ["http://es1:9200", "http://es2:9200"] == [t.url for t in loaded.targets]


def test_keystore_value_is_not_split(tmp_path) -> None:
    """A keystore value gets no array/comma parsing."""
    (tmp_path / "data").mkdir()
    write_keystore(str(tmp_path / "data" / "metricbeat.keystore"), {"PW": "a,b"})
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], username: u, password: '${PW}'}\n")
    assert "a,b" == loaded.targets[0].credentials.password
    assert [] == codes(loaded)


def test_env_comma_value_in_a_string_field_is_a_type_error(tmp_path) -> None:
    """PW=a,b from the environment is an array, which cannot go into a password."""
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], username: u, password: '${PW}'}\n", env={"PW": "a,b"})
    finding = only(loaded, "config-wrong-type")
    assert "fail" == finding.severity.value
    assert "can not convert 'object' into 'string' accessing 'output.elasticsearch.password'" in finding.message
    assert "a,b" not in all_text(loaded.findings)


@pytest.mark.parametrize(
    ("source", "password"),
    [("env", "0123"), ("keystore", "0123"), ("env", "0x1F"), ("keystore", " padded ")],
)
def test_numeric_looking_secret_is_retyped_and_warned(tmp_path, source, password) -> None:
    """A password 0123 from env or keystore becomes 83; the warning never shows the value."""
    env = {"PW": password} if source == "env" else {}
    if source == "keystore":
        (tmp_path / "data").mkdir()
        write_keystore(str(tmp_path / "data" / "metricbeat.keystore"), {"PW": password})
    redactor = Redactor()
    loaded = load(
        tmp_path,
        "output.elasticsearch: {hosts: [es], username: u, password: '${PW}'}\n",
        env=env,
        redactor=redactor,
    )
    finding = only(loaded, "config-value-retyped")
    assert "warn" == finding.severity.value
    assert "output.elasticsearch.password" == finding.setting
    assert password.strip() not in all_text(loaded.findings)
    expected = {"0123": "83", "0x1F": "31", " padded ": "padded"}[password]
    assert expected == loaded.targets[0].credentials.password
    assert password.strip() in redactor.values()


def test_unquoted_yaml_password_is_retyped(tmp_path) -> None:
    """password: 0123 unquoted is the YAML 1.1 octal number 83."""
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], username: u, password: 0123}\n")
    assert "83" == loaded.targets[0].credentials.password
    finding = only(loaded, "config-value-retyped")
    assert finding.location.endswith("metricbeat.yml:1")
    quoted = load(tmp_path, "output.elasticsearch: {hosts: [es], username: u, password: '0123'}\n")
    assert "0123" == quoted.targets[0].credentials.password and [] == codes(quoted)


def test_dollar_escape_in_a_password_is_warned(tmp_path) -> None:
    """'pa$$word' is sent as 'pa$word'; the user is told why, without the value."""
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], username: u, password: 'pa$$word'}\n")
    assert "pa$word" == loaded.targets[0].credentials.password
    finding = only(loaded, "config-value-retyped")
    assert "'$$'" in finding.message and "pa$" not in finding.message


def test_cyclic_reference_fails(tmp_path) -> None:
    """A setting that refers to itself cannot resolve."""
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], username: '${output.elasticsearch.username}'}\n")
    assert "cyclic" in only(loaded, "config-unresolved-variable").message


@pytest.mark.parametrize("text", ["${", "a${b", "${}", "${:x}", "x${a:${b}"])
def test_broken_syntax_is_rejected_by_the_parser(text) -> None:
    """Unclosed or empty expansions are syntax errors."""
    with pytest.raises(TemplateSyntaxError):
        parse_template(text)


def test_broken_syntax_fails_even_in_unread_settings(tmp_path) -> None:
    """go-ucfg parses every string at load time, so a broken ${ anywhere stops the Beat."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\nunused.setting: 'abc${oops'\n")
    finding = only(loaded, "config-variable-syntax")
    assert "fail" == finding.severity.value
    assert finding.location.endswith("metricbeat.yml:2")


def test_variables_in_overrides_are_expanded(tmp_path) -> None:
    """-E values go through the same expansion."""
    loaded, user = _user(tmp_path, "x", env={"U": "from-flag"}, overrides=["output.elasticsearch.username=${U}"])
    assert "from-flag" == user


def test_unresolved_kibana_only_variable_is_a_warning_unless_dashboards_load(tmp_path) -> None:
    """setup.kibana is read only by 'setup' and dashboard loading: WARN, or FAIL with dashboards on."""
    text = "output.elasticsearch.hosts: [es]\nsetup.kibana.password: '${KB_PW}'\n"
    loaded = load(tmp_path, text)
    finding = only(loaded, "config-unresolved-variable")
    assert "warn" == finding.severity.value and "setup" in finding.message
    loaded = load(tmp_path, text + "setup.dashboards.enabled: true\n")
    assert "fail" == only(loaded, "config-unresolved-variable").severity.value


def test_unresolved_hosts_is_one_finding(tmp_path) -> None:
    """hosts: ${ES_HOSTS} unset is reported as the missing variable, not also as missing hosts."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: '${ES_HOSTS}'\n")
    assert ["config-unresolved-variable"] == codes(loaded)
