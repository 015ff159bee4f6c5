"""
go-ucfg's merge and normalisation, case by case (issue #16, rules 1-3).

Every expectation is written from the upstream code named in the comment of its table, not from
running esprobe:

- go-ucfg ucfg.go ``fields.setAt``: an index-addressed set pads the new list with cfgNil.
- go-ucfg merge.go ``mergeConfigMergeArr`` / ``mergeValues``: lists merge index by index; a value
  that is not a sub-config (a scalar, a nil) replaces the old one, except that a nil merged onto a
  section or list leaves it (cfgNil.toConfig is an empty config); a cfgDynamic (``${VAR}``) is
  resolved by toConfig, so a list from a variable merges like a literal one.
- go-ucfg reify.go ``reifyPrimitive``: a nil element unpacks to the zero value ("") without
  validation; libbeat/common/url.go ``MakeURL`` turns an empty host into localhost.
- go-ucfg merge.go ``normalizeMapInto`` / ``normalizeSetField``: keys are visited in Go map
  order; a key meeting an existing non-nil value fails with "duplicate key" unless both are
  sub-configs (sections or lists), which are merged.
- go-ucfg flag/util.go ``FlagValue.Set`` -> cfgutil Collector: each -E is merged into the
  previous ones with the same merge.
- elastic-agent-libs config/config.go ``configOpts``: the -E merge resolves ${VAR} with
  ResolveEnv only (the keystore is loaded later, libbeat/cmd/instance/beat.go).
"""

from __future__ import annotations

from typing import Dict, List, Optional

import pytest

from tests.support.config import codes, load, only, urls, write

THREE = """
output.elasticsearch:
  hosts: ["http://a:9200", "http://b:9200", "http://c:9200"]
"""


def _hosts(loaded) -> Optional[list]:
    return loaded.effective["output"]["elasticsearch"].get("hosts")


# ---- rule 1: index-addressed -E leaves nil holes that clobber --------------------------------
# (go-ucfg ucfg.go fields.setAt + merge.go mergeConfigMergeArr/mergeValues; reify.go reifyPrimitive;
#  libbeat/common/url.go MakeURL for the empty host)

HOLES = [
    # (file, flags, effective hosts, target URLs, wiped indexes reported)
    (THREE, ["output.elasticsearch.hosts.1=http://z:9200"],
     [None, "http://z:9200", "http://c:9200"], ["http://localhost:9200", "http://z:9200", "http://c:9200"], [0]),
    (THREE, ["output.elasticsearch.hosts.2=http://z:9200"],
     [None, None, "http://z:9200"], ["http://localhost:9200", "http://z:9200"], [0, 1]),
    (THREE, ["output.elasticsearch.hosts.0=http://z:9200"],
     ["http://z:9200", "http://b:9200", "http://c:9200"], ["http://z:9200", "http://b:9200", "http://c:9200"], []),
    (THREE, ["output.elasticsearch.hosts.3=http://z:9200"],
     [None, None, None, "http://z:9200"], ["http://localhost:9200", "http://z:9200"], [0, 1, 2]),
    # the second flag's padding wipes the first flag's element 0, then the file's
    (THREE, ["output.elasticsearch.hosts.0=http://x:9200", "output.elasticsearch.hosts.1=http://y:9200"],
     [None, "http://y:9200", "http://c:9200"], ["http://localhost:9200", "http://y:9200", "http://c:9200"], [0]),
    # a whole list merges index-wise and leaves no hole
    (THREE, ['output.elasticsearch.hosts=["http://x:9200"]'],
     ["http://x:9200", "http://b:9200", "http://c:9200"], ["http://x:9200", "http://b:9200", "http://c:9200"], []),
    # nothing to lose: no finding, but the hole still reads as localhost
    ("output.elasticsearch.username: u\n", ["output.elasticsearch.hosts.1=http://z:9200"],
     [None, "http://z:9200"], ["http://localhost:9200", "http://z:9200"], []),
    # a null in the file is nothing to lose either
    ('output.elasticsearch.hosts: [~, "http://b:9200"]\n', ["output.elasticsearch.hosts.1=http://z:9200"],
     [None, "http://z:9200"], ["http://localhost:9200", "http://z:9200"], []),
    # a later index leaves earlier -E work alone when it is a whole list
    (THREE, ['output.elasticsearch.hosts=["http://x:9200", "http://y:9200"]'],
     ["http://x:9200", "http://y:9200", "http://c:9200"], ["http://x:9200", "http://y:9200", "http://c:9200"], []),
]


@pytest.mark.parametrize(("text", "flags", "hosts", "target_urls", "wiped"), HOLES)
def test_index_addressed_override_leaves_holes(tmp_path, text, flags, hosts, target_urls, wiped) -> None:
    """The nil padding of hosts.N=... replaces earlier scalars; a nil host is localhost:9200."""
    loaded = load(tmp_path, text, overrides=flags)
    assert hosts == _hosts(loaded)
    assert target_urls == urls(loaded, "elasticsearch")
    holes = [f for f in loaded.findings if f.code == "config-override-hole"]
    if not wiped:
        assert holes == []
        return
    (finding,) = holes
    assert ("warn", "output.elasticsearch.hosts") == (finding.severity.value, finding.setting)
    for index in wiped:
        assert f"index {index} (" in finding.message
    assert finding.hint.startswith("Give the whole list in one flag: -E 'output.elasticsearch.hosts=[")


def test_hole_fix_gives_the_list_the_user_meant(tmp_path) -> None:
    """The fix is the file's list with the flag's element put in: one flag, no holes."""
    loaded = load(tmp_path, THREE, overrides=["output.elasticsearch.hosts.1=http://z:9200"])
    hint = only(loaded, "config-override-hole").hint
    assert """-E 'output.elasticsearch.hosts=["http://a:9200", "http://z:9200", "http://c:9200"]'""" in hint
    fixed = load(tmp_path, THREE, overrides=['output.elasticsearch.hosts=["http://a:9200", "http://z:9200", '
                                             '"http://c:9200"]'])
    assert ["http://a:9200", "http://z:9200", "http://c:9200"] == urls(fixed)


def test_hole_over_a_section_keeps_the_section(tmp_path) -> None:
    """mergeValues: nil.toConfig is an empty config, so a section under a hole survives untouched."""
    text = """
    filebeat.inputs:
      - {type: log, paths: [/a]}
      - {type: log, paths: [/b]}
    output.elasticsearch.hosts: ["http://es:9200"]
    """
    loaded = load(tmp_path, text, name="filebeat.yml", overrides=["filebeat.inputs.1.enabled=false"])
    inputs = loaded.effective["filebeat"]["inputs"]
    assert {"type": "log", "paths": ["/a"]} == inputs[0]
    assert {"type": "log", "paths": ["/b"], "enabled": False} == inputs[1]
    assert "config-override-hole" not in codes(loaded)


def test_hole_between_files_clobbers_too(tmp_path) -> None:
    """Two -c files merge with the same go-ucfg merge: a dotted index in the second punches a hole."""
    from esprobe.config import load_config

    first = write(tmp_path, THREE, "metricbeat.yml")
    second = write(tmp_path, "output.elasticsearch.hosts.1: http://z:9200\n", "extra.yml")
    loaded = load_config([str(first), str(second)], environ={})
    assert ["http://localhost:9200", "http://z:9200", "http://c:9200"] == urls(loaded)
    finding = only(loaded, "config-override-hole")
    assert str(second) in finding.message


# ---- rule 2: -E lists merge into lists from ${VAR} expansion ----------------------------------
# (go-ucfg merge.go mergeValues -> types.go cfgDynamic.toConfig resolves the reference with the
#  config and ResolveEnv; parse.EnvConfig splits "a,b" into a list; elastic-agent-libs
#  config/config.go configOpts has no keystore resolver)

VAR_LISTS = [
    # (hosts line, environment, flags, target URLs)
    ("${HOSTS}", {"HOSTS": "http://a:9200,http://b:9200"}, ['output.elasticsearch.hosts=["http://x:9200"]'],
     ["http://x:9200", "http://b:9200"]),
    ("${HOSTS}", {"HOSTS": "[http://a:9200, http://b:9200, http://c:9200]"},
     ['output.elasticsearch.hosts=["http://x:9200", "http://y:9200"]'],
     ["http://x:9200", "http://y:9200", "http://c:9200"]),
    # not resolvable at merge time: the flag's list replaces the reference
    ("${HOSTS}", {}, ['output.elasticsearch.hosts=["http://x:9200"]'], ["http://x:9200"]),
    # a single value is not a list (toConfig fails): the flag replaces it
    ("${HOSTS}", {"HOSTS": "http://a:9200"}, ['output.elasticsearch.hosts=["http://x:9200"]'], ["http://x:9200"]),
    # a default that is a list (a splice, parsed with the full parser)
    ("'${HOSTS:http://d:9200,http://e:9200}'", {}, ['output.elasticsearch.hosts=["http://x:9200"]'],
     ["http://x:9200", "http://e:9200"]),
    # an index-addressed flag over a list from the environment: the hole clobbers as in a literal list
    ("${HOSTS}", {"HOSTS": "http://a:9200,http://b:9200,http://c:9200"}, ["output.elasticsearch.hosts.1=http://z:9200"],
     ["http://localhost:9200", "http://z:9200", "http://c:9200"]),
    # no flag: the variable's list as such
    ("${HOSTS}", {"HOSTS": "http://a:9200,http://b:9200"}, [], ["http://a:9200", "http://b:9200"]),
]


@pytest.mark.parametrize(("hosts", "env", "flags", "expected"), VAR_LISTS)
def test_override_list_merges_into_a_variable_list(tmp_path, hosts, env, flags, expected) -> None:
    loaded = load(tmp_path, f"output.elasticsearch.hosts: {hosts}\n", overrides=flags, env=env)
    assert expected == urls(loaded)


def test_override_list_merges_into_a_config_reference(tmp_path) -> None:
    """${other.list} refers to a list in the config: toConfig resolves it, and -E merges index-wise."""
    text = """
    my.hosts: ["http://a:9200", "http://b:9200"]
    output.elasticsearch.hosts: ${my.hosts}
    """
    loaded = load(tmp_path, text, overrides=['output.elasticsearch.hosts=["http://x:9200"]'])
    assert ["http://x:9200", "http://b:9200"] == urls(loaded)


# ---- rule 3: dotted and nested spellings in one file -----------------------------------------
# (go-ucfg merge.go normalizeMapInto visits Go map keys in random order; normalizeSetField fails with
#  duplicate key only when the old value or the new one is not a sub-config)

NORMALISATION: List[tuple] = [
    # (yaml, expected code or None, severity, setting, both outcomes shown)
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput: {elasticsearch: {hosts: ["http://b:9200"]}}\n',
     "config-nondeterministic-merge", "warn", "output.elasticsearch.hosts", ('["http://b:9200"]', '["http://a:9200"]')),
    ('output: {elasticsearch: {hosts: ["http://b:9200"]}}\noutput.elasticsearch.hosts: ["http://a:9200"]\n',
     "config-nondeterministic-merge", "warn", "output.elasticsearch.hosts", ('["http://a:9200"]', '["http://b:9200"]')),
    # different lengths: each order merges index-wise over the other
    ('output.elasticsearch.hosts: ["http://a:9200", "http://b:9200"]\n'
     'output: {elasticsearch: {hosts: ["http://x:9200"]}}\n',
     "config-nondeterministic-merge", "warn", "output.elasticsearch.hosts",
     ('["http://x:9200", "http://b:9200"]', '["http://a:9200", "http://b:9200"]')),
    # the same list twice: both orders agree, nothing to say
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput: {elasticsearch: {hosts: ["http://a:9200"]}}\n',
     None, None, None, None),
    # a scalar leaf reached by a dotted key: one order fails with duplicate key
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput.elasticsearch.username: a\n'
     'output: {elasticsearch: {username: b}}\n',
     "config-ambiguous-key", "fail", "output.elasticsearch.username", None),
    ('output: {elasticsearch: {username: b}}\noutput.elasticsearch.username: a\n'
     'output.elasticsearch.hosts: ["http://a:9200"]\n',
     "config-ambiguous-key", "fail", "output.elasticsearch.username", None),
    # two sections meeting: merged both ways, never an error
    ('output.elasticsearch: {hosts: ["http://a:9200"], username: a}\noutput: {elasticsearch: {username: b}}\n',
     "config-nondeterministic-merge", "warn", "output.elasticsearch.username", ('"b"', '"a"')),
    # disjoint leaves: deterministic
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput: {elasticsearch: {username: b}}\n', None, None, None, None),
    # one level down, inside a nested mapping
    ('output:\n  elasticsearch.hosts: ["http://a:9200"]\n  elasticsearch: {hosts: ["http://b:9200"]}\n',
     "config-nondeterministic-merge", "warn", "output.elasticsearch.hosts", ('["http://b:9200"]', '["http://a:9200"]')),
    # a list against a scalar at the same key: one order fails
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput: {elasticsearch: {hosts: "http://b:9200"}}\n',
     "config-ambiguous-key", "fail", "output.elasticsearch.hosts", None),
    # a null never replaces a value: both orders agree
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput: {elasticsearch: {hosts: ~}}\n', None, None, None, None),
    # three spellings of one list: never an error, several results
    ('output.elasticsearch.hosts: ["http://a:9200"]\noutput.elasticsearch: {hosts: ["http://b:9200"]}\n'
     'output: {elasticsearch: {hosts: ["http://c:9200"]}}\n',
     "config-nondeterministic-merge", "warn", "output.elasticsearch.hosts", None),
    # indexes set one by one, in any order: the padding nils are missing keys, never a conflict
    ('output.elasticsearch.hosts: ["http://a:9200"]\nfilebeat.inputs.2.paths: [/c]\nfilebeat.inputs.0.paths: [/a]\n'
     'filebeat.inputs.1.paths: [/b]\n', None, None, None, None),
    # a key through a scalar: one order walks through the value, the other meets a section with a scalar
    ('output.elasticsearch.hosts: ["http://a:9200"]\nsetup.kibana: x\nsetup.kibana.host: kb\n',
     "config-ambiguous-key", "fail", "setup.kibana.host", None),
]


@pytest.mark.parametrize(("text", "code", "severity", "setting", "outcomes"), NORMALISATION)
def test_dotted_and_nested_spellings(tmp_path, text, code, severity, setting, outcomes) -> None:
    loaded = load(tmp_path, text)
    found = [f for f in loaded.findings if f.code in ("config-nondeterministic-merge", "config-ambiguous-key")]
    if code is None:
        assert found == []
        return
    (finding,) = found
    assert (code, severity, setting) == (finding.code, finding.severity.value, finding.setting)
    if outcomes is not None:
        first, second = outcomes
        assert f"{first} or {second}" in finding.message


def test_nondeterministic_list_is_not_a_refusal(tmp_path) -> None:
    """A list spelled twice never stops the Beat: targets are built from the order as written."""
    loaded = load(tmp_path, NORMALISATION[0][0])
    assert not any(f.severity.value == "fail" for f in loaded.findings)
    assert ["http://b:9200"] == urls(loaded)


def test_nondeterministic_section_never_shows_a_secret(tmp_path) -> None:
    """The outcomes are printed, but values under secret-looking keys are not."""
    text = ('output.elasticsearch: {hosts: ["http://a:9200"], password: first-secret}\n'
            'output: {elasticsearch: {password: second-secret}}\n')
    loaded = load(tmp_path, text)
    message = only(loaded, "config-nondeterministic-merge").message
    assert "first-secret" not in message and "second-secret" not in message


def test_nondeterministic_section_never_shows_a_secret_header(tmp_path) -> None:
    """A Cookie header is secret by the tool's one rule, though its name holds none of the secret words."""
    text = ('output.elasticsearch.headers: {Cookie: "session=AAAA1111secret"}\n'
            'output.elasticsearch: {headers: {Cookie: "session=BBBB2222secret"}}\n')
    loaded = load(tmp_path, text)
    message = only(loaded, "config-nondeterministic-merge").message
    assert "AAAA1111secret" not in message and "BBBB2222secret" not in message


OVERRIDE_OBJECTS: Dict[str, Optional[str]] = {
    # an -E object is normalised like a YAML mapping (go-ucfg flag/value.go NewFlagKeyValue -> ucfg.NewFrom)
    "output.elasticsearch={hosts.0: http://x:9200, hosts: [http://y:9200]}": "config-ambiguous-key",
    "output.elasticsearch={ssl.verification_mode: none, ssl: {enabled: true}}": None,
    "output.elasticsearch={hosts: [http://x:9200], username: u}": None,
}


@pytest.mark.parametrize(("flag", "code"), list(OVERRIDE_OBJECTS.items()))
def test_override_objects_are_normalised_like_files(tmp_path, flag, code) -> None:
    loaded = load(tmp_path, THREE, overrides=[flag])
    found = [c for c in codes(loaded) if c in ("config-ambiguous-key", "config-nondeterministic-merge")]
    assert ([code] if code else []) == found
