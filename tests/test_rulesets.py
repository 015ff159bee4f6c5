"""--beat-version: the Beat -> Go table and the rules each Go version switches on."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from esprobe import rulesets
from esprobe.rulesets import RuleSet, resolve


def _rules(go: str, gomod: str, beat: str = "9.2") -> RuleSet:
    return RuleSet(beat_version=beat, beat_line=beat, go_version=go, gomod_go_line=gomod)


@pytest.mark.parametrize("go,gomod,negative_serial,rsa1024,policies,wildcard_fix,cap,sha1_hint", [
    ("1.18.7", "1.18", False, False, False, False, True, True),
    ("1.22.12", "1.22", False, False, False, False, True, True),
    ("1.23.4", "1.23", True, False, False, False, True, True),
    ("1.24.0", "1.22", False, False, True, False, True, False),  # new toolchain, old go line: old GODEBUGs
    ("1.24.8", "1.24", True, True, True, False, True, False),
    ("1.24.9", "1.24", True, True, True, False, False, False),
    ("1.24.11", "1.24.10", True, True, True, True, False, False),
    ("1.25.3", "1.25", True, True, True, False, False, False),
    ("1.25.5", "1.25", True, True, True, True, False, False),
    ("1.27.3", "1.24", True, True, True, True, False, False),
])
def test_rules_follow_the_toolchain_and_the_go_line(go, gomod, negative_serial, rsa1024, policies, wildcard_fix,
                                                    cap, sha1_hint):
    rules = _rules(go, gomod)
    assert rules.negative_serial_rejected is negative_serial
    assert rules.rsa_min_1024 is rsa1024
    assert rules.certificate_policies_validated is policies
    assert rules.name_constraint_wildcard_fix is wildcard_fix
    assert rules.name_constraint_comparison_cap is cap
    assert rules.sha1_godebug_hint is sha1_hint


def test_every_row_of_the_table_has_sources_and_resolves():
    table = json.loads(resources.files("esprobe").joinpath("data/beat_versions.json").read_text())
    assert table["default"] in rulesets.known_lines()
    for row in table["lines"]:
        assert row["sources"], row["beat"]
        rules = resolve(row["beat"])
        assert (rules.go_version, rules.gomod_go_line, rules.approximated) == (row["go"], row["gomod_go_line"], False)


@pytest.mark.parametrize("asked,line,approximated", [
    ("8.19", "8.19", False), ("8.19.7", "8.19", False), ("9.0.3", "8.19", True), ("9.2", "9.2", False),
    ("9.4.1", "9.2", True), ("10.0", "9.2", True),
])
def test_a_version_without_a_row_takes_the_nearest_older_line(asked, line, approximated):
    rules = resolve(asked)
    assert (rules.beat_line, rules.approximated, rules.beat_version) == (line, approximated, asked)
    assert ("nearest older line" in rules.describe()) is approximated


def test_default_is_the_newest_documented_line():
    assert resolve().beat_line == resolve(rulesets.default_beat_version()).beat_line == "9.2"


@pytest.mark.parametrize("asked", ["9", "nine", "9.2.x", "1.0", ""])
def test_unusable_versions_are_refused_with_a_message(asked):
    with pytest.raises(ValueError, match="--beat-version"):
        resolve(asked or " ")


def test_beats_9_default_to_tls_1_2():
    assert resolve("9.2").default_tls_versions == ("TLSv1.2", "TLSv1.3")
    assert resolve("8.19").default_tls_versions == ("TLSv1.1", "TLSv1.2", "TLSv1.3")
