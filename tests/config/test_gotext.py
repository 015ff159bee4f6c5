"""Go's number rules and go-ucfg's value parser, which decide how -E values and ${VAR} text are typed."""

from __future__ import annotations

import math

import pytest

from esprobe.config import gotext


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0123", 83),  # a leading zero is octal
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("+5", 5),
        ("-12", -12),
        ("9", 9),
        ("08", 8.0),  # not octal, so Go's ParseFloat takes it
        ("1e3", 1000.0),
        (".5", 0.5),
        ("99999999999999999999", 1e20),  # overflows uint64, becomes a float
        ("1__0", "1__0"),
        ("abc", "abc"),
        ("true", True),
        ("on", True),
        ("OFF", False),
        ("On", "On"),  # ucfg's list is exact
        ("yes", "yes"),
        ("null", None),
    ],
)
def test_parse_primitive_types_like_go_ucfg(text, expected) -> None:
    """Primitive typing follows go-ucfg: booleans from a fixed list, numbers through Go's strconv."""
    value = gotext.parse_primitive(text)
    assert expected == value
    assert type(expected) is type(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (1.5, "1.5"),
        (100000.0, "100000"),
        (1000000.0, "1e+06"),
        (123456789.0, "1.23456789e+08"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5, "-2.5"),
        (1e20, "1e+20"),
        (math.inf, "+Inf"),
        (True, "true"),
        (83, "83"),
        (None, "null"),
    ],
)
def test_to_string_formats_like_go_percent_v(value, text) -> None:
    """What lands in a string field is Go's %v rendering, so 1000000.0 becomes 1e+06."""
    assert text == gotext.to_string(value)


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("a,b", gotext.PARSE_DEFAULT, ["a", "b"]),
        ('[a, "b c", 3]', gotext.PARSE_DEFAULT, ["a", "b c", 3]),
        ("{x: 1, y: [true, 'q']}", gotext.PARSE_DEFAULT, {"x": 1, "y": [True, "q"]}),
        ('"0123"', gotext.PARSE_DEFAULT, "0123"),
        ("'a,b'", gotext.PARSE_DEFAULT, "a,b"),
        ('"tab\\there"', gotext.PARSE_DEFAULT, "tab\there"),
        ("  padded  ", gotext.PARSE_DEFAULT, "padded"),
        ("es1:9200,es2:9200", gotext.PARSE_ENV, ["es1:9200", "es2:9200"]),
        ("{a: 1}", gotext.PARSE_ENV, "{a: 1}"),  # no objects from the environment
        ("[x]", gotext.PARSE_ENV, ["x"]),
        ("a,b", gotext.PARSE_NOOP, "a,b"),  # the keystore: no commas, no arrays
        ("[x]", gotext.PARSE_NOOP, "[x]"),
        (" 0123 ", gotext.PARSE_NOOP, 83),  # but trimmed and typed
        ("", gotext.PARSE_DEFAULT, None),
    ],
)
def test_parse_value_modes(text, mode, expected) -> None:
    """parse.Value differs by source: -E and splices get everything, env no objects, keystore only primitives."""
    assert expected == gotext.parse_value(text, mode)


@pytest.mark.parametrize("text", ["[a, b", "{a: 1", '"open', "'open", "{a 1}", "[", "a,,b"])
def test_parse_value_errors(text) -> None:
    """Broken brackets and quotes are errors, not silently strings."""
    with pytest.raises(gotext.ParseError):
        gotext.parse_value(text)
