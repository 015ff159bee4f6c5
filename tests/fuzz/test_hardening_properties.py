"""
Property tests for the classes of issue 18's findings: the ${} lexer (linear, and equal to go-ucfg's
port it replaced), untrusted text (no control character survives, the length is capped), secrets
(no registered secret survives redaction in any encoding, whatever characters it holds), URL
userinfo with '@' and spaces, and -E values nested at any depth.
"""

from __future__ import annotations

import base64
import json
from typing import List, Tuple
from urllib.parse import quote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from esprobe.bundle.redact import KnownSecrets, redact_override, redact_text
from esprobe.config.variables import _lex
from esprobe.redact import REDACTED, Redactor
from esprobe.untrusted import MAX_CHARS, shown


def _quadratic_lex(text: str) -> List[Tuple[str, str]]:
    """The lexer as it was before (a direct port of go-ucfg's): the oracle for the linear one."""
    tokens: List[Tuple[str, str]] = []
    content = text
    off = 0
    depth = 0

    def string_token(s: str) -> None:
        if s:
            tokens.append(("str", s))

    while content:
        specials = "$" if depth == 0 else "$:}"
        idx = -1
        for i in range(off, len(content)):
            if content[i] in specials:
                idx = i
                break
        if idx < 0:
            break
        off = idx + 1
        ch = content[idx]
        if ch == ":":
            if len(content) <= off:
                break
            string_token(content[:idx])
            nxt = content[off]
            if nxt == "+":
                off += 1
                tokens.append(("sep", ":+"))
            elif nxt == "?":
                off += 1
                tokens.append(("sep", ":?"))
            else:
                tokens.append(("sep", ":"))
        elif ch == "}":
            string_token(content[:idx])
            tokens.append(("close", "}"))
            depth -= 1
        else:
            if len(content) <= off:
                break
            nxt = content[off]
            if nxt == "{":
                string_token(content[:idx])
                tokens.append(("open", "${"))
                off += 1
                depth += 1
            elif nxt in "$}":
                content = content[:idx] + content[off:]
                continue
            else:
                continue
        content = content[off:]
        off = 0
    if content:
        tokens.append(("str", content))
    return tokens


@given(st.text(alphabet="${}:?+ab", max_size=60))
@example("$$$${a:+b}$}:")
@example("${a:?$$}}$")
@example("x:$")
def test_linear_lexer_equals_the_port_of_go_ucfg(text: str) -> None:
    assert _lex(text) == _quadratic_lex(text)


def test_lexing_two_million_escapes_is_linear() -> None:
    import time

    started = time.monotonic()
    tokens = _lex("$$" * 1_000_000)
    assert tokens == [("str", "$" * 1_000_000)]
    assert time.monotonic() - started < 5  # quadratic took minutes


@given(st.text(max_size=300))
@example("\x1b]0;title\x07\r\n\x9b31m\u202e")
@example(b"not utf-8: \xff\xfe".decode("utf-8", "surrogateescape"))
def test_shown_leaves_no_control_character_and_caps_the_length(text: str) -> None:
    out = shown(text, 100)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in out)
    out.encode("utf-8")  # printable on any UTF-8 stream: no lone surrogate left
    assert len(out) <= 100 + len(" … (cut by esprobe)")


def test_shown_caps_a_huge_reason_cheaply() -> None:
    assert len(shown("\x1b" * 4_000_000)) <= MAX_CHARS + 30


_SECRET = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=3, max_size=40).filter(
    lambda s: s.strip() == s and len(s.strip()) >= 3 and REDACTED not in s
)


@settings(max_examples=150)
@given(_SECRET)
@example('p@SS "w\\rd" x')
@example("p@SECRET")
def test_no_registered_secret_survives_in_any_written_encoding(secret: str) -> None:
    redactor = Redactor()
    redactor.add(secret, "output.elasticsearch.password")
    forms = [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=True)[1:-1],
        base64.b64encode(secret.encode()).decode(),
        quote(secret, safe=""),
    ]
    for form in forms:
        text = f"before {form} after"
        assert form not in redactor.redact(text)
        clean, _ = redact_text(text, KnownSecrets(redactor), "x.txt")
        assert form not in clean


_PASSWORD = st.text(alphabet="abcXYZ019@ :!%+&=~", min_size=3, max_size=30).filter(
    lambda p: p.strip() == p and "@" in p or " " in p
)


@given(_PASSWORD)
@example("p@SECRET")
@example("a b@c")
def test_userinfo_password_with_at_or_space_is_gone_even_unregistered(password: str) -> None:
    """Not registered (an HTTPS_PROXY value, say): the shape rule alone must take all of it."""
    text = f"HTTPS_PROXY=https://beats:{password}@proxy.example:3128\n"
    clean, _ = redact_text(text, KnownSecrets(Redactor()), "network/proxy.txt")
    assert "beats:" in clean
    tail = password.rsplit("@", 1)[-1]
    for part in password.split("@")[:-1] + ([tail] if "@" not in password else []):
        if len(part) >= 3:
            assert part not in clean.replace("proxy.example", ""), clean


_KEY = st.sampled_from(["password", "pass", "api_key", "token", "passphrase", "secret", "pwd"])


@given(st.lists(st.sampled_from(["a", "b", "kafka", "sasl"]), min_size=0, max_size=4), _KEY,
       st.text(alphabet="abcdefXYZ123", min_size=6, max_size=20))
def test_a_secret_nested_at_any_depth_of_an_override_is_redacted(path: List[str], key: str, value: str) -> None:
    nested: object = {key: value}
    for part in reversed(path):
        nested = {part: nested}
    flag = f"output.kafka={json.dumps(nested)}"
    clean, found = redact_override(flag, KnownSecrets(Redactor()), "environment.txt")
    assert value not in clean, clean
    assert found
