"""The JSON renderer is pure: Report in, text out, valid against the committed schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from esprobe.render.json import render_json
from tests.support.factories import REPORTS
from tests.support.schema import validate_report


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_json_validates_against_the_schema(name: str) -> None:
    """Every JSON report the renderers produce validates against the committed schema."""
    document = json.loads(render_json(REPORTS[name]))
    validate_report(document)


def test_json_carries_exit_code_and_status_consistently() -> None:
    document = json.loads(render_json(REPORTS["mixed"]))
    assert (document["status"], document["exit_code"]) == ("fail", 2)
    assert [t["status"] for t in document["targets"]] == ["ok", "fail", "warn"]
    assert document["targets"][2]["stages"][2]["summary"].startswith("not applicable")
    config_broken = json.loads(render_json(REPORTS["config-broken"]))
    assert (config_broken["status"], config_broken["exit_code"]) == ("unknown", 3)
    assert config_broken["findings"][0]["location"] == "metricbeat.yml:7"


def test_schema_rejects_a_broken_report() -> None:
    """The schema is not vacuous: a missing details key, a bad status or a stray stage fail it."""
    document = json.loads(render_json(REPORTS["healthy"]))
    del document["targets"][0]["stages"][2]["details"]["trust"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report(document)
    document = json.loads(render_json(REPORTS["healthy"]))
    document["targets"][0]["stages"][0]["stage"] = "credentials"
    with pytest.raises(jsonschema.ValidationError):
        validate_report(document)
    document = json.loads(render_json(REPORTS["healthy"]))
    document["exit_code"] = 2
    with pytest.raises(jsonschema.ValidationError):
        validate_report(document)
