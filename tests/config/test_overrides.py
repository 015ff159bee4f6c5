"""-E overrides: the Beat's flag syntax and go-ucfg's merge (index-wise arrays, later flags win)."""

from __future__ import annotations

import pytest

from tests.support.config import all_text, codes, load, only

BASE = """
output.elasticsearch:
  hosts: ["http://a:9200", "http://b:9200", "http://c:9200"]
  username: file-user
"""


def _es(loaded):
    return loaded.effective["output"]["elasticsearch"]


@pytest.mark.parametrize(
    ("flags", "key", "expected"),
    [
        (['output.elasticsearch.hosts=["http://x:9200"]'], "hosts", ["http://x:9200", "http://b:9200", "http://c:9200"]),
        (["output.elasticsearch.hosts=x:9200,y:9200"], "hosts", ["x:9200", "y:9200", "http://c:9200"]),
        # go-ucfg pads index 0 with nil and the nil wins the merge (tests/config/test_fidelity_merge.py)
        (["output.elasticsearch.hosts.1=http://z:9200"], "hosts", [None, "http://z:9200", "http://c:9200"]),
        (["output.elasticsearch.username=flag"], "username", "flag"),
        (["output.elasticsearch.username=one", "output.elasticsearch.username=two"], "username", "two"),
        (["output.elasticsearch.username="], "username", "file-user"),  # an empty value is ignored
        (["output.elasticsearch.compression_level=5"], "compression_level", 5),
        (["output.elasticsearch.escape_html"], "escape_html", True),  # no '=' means true
        (['output.elasticsearch.username="0123"'], "username", "0123"),
        (["output.elasticsearch.username='a,b'"], "username", "a,b"),
        (["output.elasticsearch={username: obj, ssl.verification_mode: none}"], "username", "obj"),
    ],
)
def test_override_forms(tmp_path, flags, key, expected) -> None:
    """Each -E form parses and merges like the Beat's flag handling."""
    loaded = load(tmp_path, BASE, overrides=flags)
    assert expected == _es(loaded)[key]


def test_object_override_splits_dotted_keys(tmp_path) -> None:
    """Keys inside an -E object are split at dots too."""
    loaded = load(tmp_path, BASE, overrides=["output.elasticsearch={ssl.verification_mode: none}"])
    assert "none" == _es(loaded)["ssl"]["verification_mode"]


def test_index_wise_merge_reaches_the_targets(tmp_path) -> None:
    """File [a, b, c] + -E ["x"] gives x, b, c: three targets, the first replaced."""
    loaded = load(tmp_path, BASE, overrides=['output.elasticsearch.hosts=["http://x:9200"]'])
    assert ["http://x:9200", "http://b:9200", "http://c:9200"] == [t.url for t in loaded.targets]


def test_overrides_work_without_a_file(tmp_path) -> None:
    """With no -c file, -E alone can describe the output."""
    from esprobe.config import load_config

    loaded = load_config([], ["output.elasticsearch.hosts=[https://es:9200]"], environ={})
    assert ["https://es:9200"] == [t.url for t in loaded.targets]
    assert loaded.path is None and () == loaded.files


@pytest.mark.parametrize(
    "flag",
    ["output.elasticsearch.password=[unclosed", 'output.elasticsearch.password="open', "=value"],
)
def test_bad_override_is_a_fail_without_the_value(tmp_path, flag) -> None:
    """An unparsable -E value is a FAIL naming the setting, never echoing the value."""
    loaded = load(tmp_path, BASE, overrides=[flag])
    finding = only(loaded, "config-override-invalid")
    assert "fail" == finding.severity.value
    assert "unclosed" not in all_text(loaded.findings) and '"open' not in all_text(loaded.findings)
    if not flag.startswith("="):
        assert "output.elasticsearch.password" == finding.setting


def test_override_wins_over_every_file(tmp_path) -> None:
    """-E is merged after all -c files."""
    loaded = load(tmp_path, BASE, overrides=["output.elasticsearch.username=flag"])
    assert "flag" == loaded.targets[0].credentials.username
    assert [] == codes(loaded)
