"""The JSON report's encoder writes what json.dumps(indent=2, ensure_ascii=False) writes, character for character."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest

from esprobe.render.json import dumps_indented, render_json
from tests.support.factories import failing_tls, healthy, plain_http, report


class Word(str, enum.Enum):
    OK = "ok"


class Number(enum.IntEnum):
    THREE = 3


CASES = [
    {}, [], (), "", "plain", None, True, False, 0, -7, 10**30, 1.5, -0.0, 1e300, float("nan"), float("inf"),
    float("-inf"), Number.THREE, Word.OK, (1, "two", None),
    "é ü 中 \u2028 \u200b \x00 \x1b[31m \" \\ \t\n",
    {"a": [], "b": {}, "c": [1, [2, {}], {"d": None}], "e": [[[]]]},
    {1: "int key", 2.5: "float key", False: "bool key", None: "null key", "é": "text key"},
    [{"nested": {"deeper": [{"x": [True, {"y": ()}]}]}}],
]


@pytest.mark.parametrize("value", CASES, ids=repr)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert json.dumps(value, indent=2, ensure_ascii=False) == dumps_indented(value)


def test_whole_report_same_text_as_json_dumps() -> None:
    text = render_json(report([healthy(), failing_tls(), plain_http()]))
    assert json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n" == text


@pytest.mark.parametrize("value", [{"set": {1}}, [object()], {(1, 2): "tuple key"}], ids=repr)
def test_refuses_what_json_cannot_hold(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value, indent=2)
    with pytest.raises(TypeError):
        dumps_indented(value)
