"""
Go's and go-ucfg's text rules, re-done in Python: number parsing (``strconv``), number
formatting (``fmt %v``), the ``parse.Value`` parser behind ``-E`` and ``${VAR}`` re-typing,
and the string conversion ucfg applies when a value lands in a string field.

Everything here is pure. The Beat's exact quirks matter: a password ``0123`` read from the
environment becomes the number 83, and ``1000000.0`` is written back as ``1e+06``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, List, Optional, Tuple

__all__ = [
    "ParseError",
    "PARSE_DEFAULT",
    "PARSE_ENV",
    "PARSE_NOOP",
    "ParseMode",
    "format_float",
    "go_parse_bool",
    "parse_float",
    "parse_int",
    "parse_primitive",
    "parse_value",
    "to_string",
    "type_name",
]


class ParseError(ValueError):
    """A value could not be parsed; the message is worded like go-ucfg's."""


# ---------------------------------------------------------------------------------------------
# strconv.ParseUint / ParseInt with base 0 (prefixes 0x 0o 0b, a leading 0 means octal,
# underscores allowed between digits).


def _underscore_ok(s: str) -> bool:
    # strconv's underscoreOK: an underscore must sit between digits (a base prefix counts).
    saw = "^"
    i = 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i = 2
        saw = "0"
        hexa = s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def _parse_uint(s: str) -> Optional[int]:
    if not s:
        return None
    original = s
    base = 10
    if s[0] == "0":
        if len(s) >= 3 and s[1].lower() == "b":
            base, s = 2, s[2:]
        elif len(s) >= 3 and s[1].lower() == "o":
            base, s = 8, s[2:]
        elif len(s) >= 3 and s[1].lower() == "x":
            base, s = 16, s[2:]
        else:
            base, s = 8, s[1:]
    n = 0
    underscores = False
    for c in s:
        if c == "_":
            underscores = True
            continue
        d = int(c, 36) if c.isascii() and c.isalnum() else 99
        if d >= base:
            return None
        n = n * base + d
    if underscores and not _underscore_ok(original):
        return None
    if n >= 1 << 64:
        return None
    return n


def parse_int(s: str, *, signed: bool = True) -> Optional[int]:
    """
    ``strconv.ParseInt(s, 0, 64)`` (or ``ParseUint`` when *signed* is false); None on error.
    """
    if not s:
        return None
    negative = False
    body = s
    if signed and s[0] in "+-":
        negative = s[0] == "-"
        body = s[1:]
    value = _parse_uint(body)
    if value is None:
        return None
    if signed:
        if negative:
            if value > 1 << 63:
                return None
            return -value
        if value > (1 << 63) - 1:
            return None
    return value


_DEC_FLOAT = re.compile(r"^[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?$")
_HEX_FLOAT = re.compile(r"^[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+$")
_SPECIAL = re.compile(r"^([+-]?)(inf|infinity)$|^nan$", re.IGNORECASE)


def parse_float(s: str) -> Optional[float]:
    """``strconv.ParseFloat(s, 64)``; None on a syntax or range error."""
    if not s:
        return None
    special = _SPECIAL.match(s)
    if special:
        if s.lower() == "nan":
            return math.nan
        return -math.inf if special.group(1) == "-" else math.inf
    if _HEX_FLOAT.match(s):
        if "_" in s and not _underscore_ok(s.split("p")[0].split("P")[0]):
            return None
        text = s.replace("_", "")
        sign = -1.0 if text[0] == "-" else 1.0
        try:
            value = sign * float.fromhex(text.lstrip("+-"))
        except (ValueError, OverflowError):
            return None
    elif _DEC_FLOAT.match(s):
        if not any(c.isdigit() for c in s.split("e")[0].split("E")[0]):
            return None
        if "_" in s and not _underscore_ok(re.split(r"[eE]", s)[0]):
            return None
        try:
            value = float(s.replace("_", ""))
        except ValueError:
            return None
    else:
        return None
    if math.isinf(value):
        return None  # Go reports ErrRange; callers treat the text as a string
    return value


def go_parse_bool(s: str) -> Optional[bool]:
    """``strconv.ParseBool`` (used when ucfg converts a string into a bool field)."""
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


# ---------------------------------------------------------------------------------------------
# fmt.Sprintf("%v", float64): strconv 'g' with the shortest digits and an exponent threshold of 6.


def format_float(value: float) -> str:
    """Format *value* the way Go's ``%v`` does (``1e+06``, ``1.5``, ``100000``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digit_list = list(digits)
    while len(digit_list) > 1 and digit_list[-1] == 0:
        digit_list.pop()
        exponent += 1
    text = "".join(str(d) for d in digit_list)
    nd = len(text)
    dp = nd + exponent  # position of the decimal point relative to the digits
    exp = dp - 1
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = text[0] + ("." + text[1:] if nd > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{prefix}0.{'0' * (-dp)}{text}"
    if dp >= nd:
        return f"{prefix}{text}{'0' * (dp - nd)}"
    return f"{prefix}{text[:dp]}.{text[dp:]}"


def to_string(value: Any) -> str:
    """
    What ucfg writes into a string field for *value* (``toString``): numbers formatted back,
    booleans as ``true``/``false``, null as ``null``. Objects and arrays are not convertible;
    callers check `type_name` first.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if value is None:
        return "null"
    return str(value)


def type_name(value: Any) -> str:
    """ucfg's type names, as they appear in its conversion errors."""
    if isinstance(value, (dict, list)):
        return "object"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if value is None:
        return "any"
    return "string"


# ---------------------------------------------------------------------------------------------
# go-ucfg parse.ValueWithConfig


class ParseMode:
    """Which parser features are on (go-ucfg ``parse.Config``)."""

    def __init__(self, array: bool, obj: bool, quotes: bool, ignore_commas: bool) -> None:
        self.array = array
        self.obj = obj
        self.quotes = quotes
        self.ignore_commas = ignore_commas


# DefaultConfig: -E values and spliced ``x${X}`` results.
PARSE_DEFAULT = ParseMode(array=True, obj=True, quotes=True, ignore_commas=False)
# EnvConfig: a whole ``${X}`` value found in the environment: arrays and commas, no objects.
PARSE_ENV = ParseMode(array=True, obj=False, quotes=True, ignore_commas=False)
# NoopConfig: a whole ``${X}`` value found in the keystore: only trimming and primitive typing.
PARSE_NOOP = ParseMode(array=False, obj=False, quotes=False, ignore_commas=True)

_TOPLEVEL_STOP = ","
_ARRAY_STOP = ",]"
_KEY_STOP = ":"
_OBJ_VALUE_STOP = ",}"
_MAX_DEPTH = 200


def _ucfg_bool(s: str) -> Optional[bool]:
    if s in ("t", "T", "true", "TRUE", "True", "on", "ON"):
        return True
    if s in ("f", "F", "false", "FALSE", "False", "off", "OFF"):
        return False
    return None


def parse_primitive(content: str) -> Any:
    """go-ucfg's primitive typing: null, booleans, unsigned, signed, float, else the string."""
    if content == "null":
        return None
    b = _ucfg_bool(content)
    if b is not None:
        return b
    n = parse_int(content, signed=False)
    if n is not None:
        return n
    n = parse_int(content)
    if n is not None:
        return n
    f = parse_float(content)
    if f is not None:
        return f
    return content


_GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


def go_unquote(quoted: str) -> str:
    """``strconv.Unquote`` for a double-quoted Go string literal."""
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ParseError("invalid syntax")
    body = quoted[1:-1]
    if "\n" in body:
        raise ParseError("invalid syntax")
    out: List[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == '"':
            raise ParseError("invalid syntax")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ParseError("invalid syntax")
        e = body[i + 1]
        if e in _GO_ESCAPES:
            out.append(_GO_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise ParseError("invalid syntax")
            code = int(digits, 16)
            if e != "x" and (code > 0x10FFFF or 0xD800 <= code <= 0xDFFF):
                raise ParseError("invalid syntax")
            out.append(chr(code))
            i += 2 + width
        elif e in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
                raise ParseError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ParseError("invalid syntax")
    return "".join(out)


class _Parser:
    def __init__(self, text: str, mode: ParseMode) -> None:
        self.input = text
        self.mode = mode
        self.depth = 0

    def skip_ws(self) -> None:
        self.input = self.input.lstrip()

    def expect(self, c: str) -> None:
        if not self.input or self.input[0] != c:
            raise ParseError(f"expected '{c}'")
        self.input = self.input[1:]

    def parse(self) -> Any:
        values: List[Any] = []
        stop = "" if self.mode.ignore_commas else _TOPLEVEL_STOP
        while True:
            values.append(self.value(stop))
            self.skip_ws()
            if not self.input:
                break
            self.expect(",")
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return values

    def value(self, stop: str) -> Any:
        self.skip_ws()
        if not self.input:
            return None
        c = self.input[0]
        if c == "[" and self.mode.array:
            return self.array()
        if c == "{" and self.mode.obj:
            return self.obj()
        if c == '"' and self.mode.quotes:
            return self.dquote()
        if c == "'" and self.mode.quotes:
            return self.squote()
        return self.primitive(stop)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ParseError("value nested too deeply")

    def array(self) -> Any:
        self._enter()
        self.input = self.input[1:]
        values: List[Any] = []
        while True:
            self.skip_ws()
            if not self.input:
                # go-ucfg indexes past the end here (a crash); report it as the missing bracket.
                raise ParseError("array closing ']' missing")
            if self.input[0] == "]":
                self.input = self.input[1:]
                break
            values.append(self.value(_ARRAY_STOP))
            self.skip_ws()
            if not self.input:
                raise ParseError("array closing ']' missing")
            nxt, self.input = self.input[0], self.input[1:]
            if nxt == "]":
                break
            if nxt != ",":
                raise ParseError("array expected ',' or ']'")
        self.depth -= 1
        return values or None

    def obj(self) -> Any:
        self._enter()
        self.input = self.input[1:]
        result: dict = {}
        while True:
            self.skip_ws()
            if not self.input:
                raise ParseError("dictionary expected ',' or '}'")
            if self.input[0] == "}":
                self.input = self.input[1:]
                break
            key = self.key()
            self.skip_ws()
            self.expect(":")
            val = self.value(_OBJ_VALUE_STOP)
            if not self.input:
                raise ParseError("dictionary expected ',' or '}'")
            result[key] = val
            nxt, self.input = self.input[0], self.input[1:]
            if nxt == "}":
                break
            if nxt != ",":
                raise ParseError("dictionary expected ',' or '}'")
        self.depth -= 1
        return result or None

    def key(self) -> str:
        if not self.input:
            raise ParseError("expected key")
        if self.input[0] == '"':
            return self.dquote()
        if self.input[0] == "'":
            return self.squote()
        return self.unquoted(_KEY_STOP)

    def dquote(self) -> str:
        text = self.input
        off = 1
        while True:
            i = text.find('"', off)
            if i < 0:
                raise ParseError('Missing " to close string ')
            if text[i - 1] != "\\":
                break
            off = i + 1
        self.input = text[i + 1 :]
        return go_unquote(text[: i + 1])

    def squote(self) -> str:
        text = self.input
        i = text.find("'", 1)
        if i < 0:
            raise ParseError("missing ' to close string")
        self.input = text[i + 1 :]
        return text[1:i]

    def unquoted(self, stop: str) -> str:
        text = self.input
        idx = min((text.find(c) for c in stop if c in text), default=-1)
        if idx == 0:
            raise ParseError(f"unexpected '{text[0]}'")
        if idx > 0:
            content, self.input = text[:idx], text[idx:]
        else:
            content, self.input = text, ""
        return content.strip()

    def primitive(self, stop: str) -> Any:
        return parse_primitive(self.unquoted(stop))


def parse_value(text: str, mode: ParseMode = PARSE_DEFAULT) -> Any:
    """
    go-ucfg ``parse.ValueWithConfig``: typed primitives, ``[..]`` arrays, ``{..}`` objects,
    quoted strings and top-level comma lists, as *mode* allows.

    Raises:
        ParseError: worded like go-ucfg (``array closing ']' missing when parsing '...'``);
            callers must not echo the text when it may be a secret.
    """
    parser = _Parser(text.strip(), mode)
    try:
        return parser.parse()
    except ParseError as err:
        raise ParseError(str(err)) from None


def parse_typed_text(text: str, mode: ParseMode) -> Tuple[Any, bool]:
    """
    ucfg's ``parseValue`` around `parse_value`: an empty or blank result keeps the original
    (blank) string; otherwise the parsed value. Returns (value, is_null).
    """
    value = parse_value(text, mode)
    if value is None:
        if not text.strip():
            return text, False
        return None, True
    return value, False
