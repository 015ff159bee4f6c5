"""How esprobe's own HTTP client shapes a request: URL escapes, and the header fields Go's transport refuses."""

from __future__ import annotations

from typing import Optional

import pytest

from esprobe.net.http import _header_problem, requoted


@pytest.mark.parametrize("url, expected", [
    ("https://es:9200/", "https://es:9200/"),
    ("https://es:9200/_security/_authenticate", "https://es:9200/_security/_authenticate"),
    ("https://es:9200/a%2Fb/%7euser?x=%41&y=1", "https://es:9200/a%2Fb/~user?x=A&y=1"),  # unreserved undone
    ("https://es:9200/with space/é", "https://es:9200/with%20space/%C3%A9"),
    ("https://es:9200/100%", "https://es:9200/100%25"),  # a % that starts no escape is escaped itself
    ("https://es:9200/%zz/a b", "https://es:9200/%25zz/a%20b"),
    ("https://[::1]:9200/api/spaces/space/a%20b", "https://[::1]:9200/api/spaces/space/a%20b"),
])
def test_requoted(url: str, expected: str) -> None:
    assert expected == requoted(url)


@pytest.mark.parametrize("name, value, problem", [
    ("Accept", "application/json", None),
    ("X-Elastic-Product-Origin", "beats", None),
    ("X-Tab", "a\tb", None),
    ("X-Leading", "  spaced", None),
    ("X-Utf8", "é", None),
    ("Bad Name", "x", 'net/http: invalid header field name "Bad Name"'),
    ("", "x", 'net/http: invalid header field name ""'),
    ("X:Colon", "x", 'net/http: invalid header field name "X:Colon"'),
    ('X"Quote\n\x01', "x", 'net/http: invalid header field name "X\\"Quote\\n\\x01"'),
    ("X-Newline", "a\r\nInjected: yes", 'net/http: invalid header field value for "X-Newline"'),
    ("X-Nul", "a\x00", 'net/http: invalid header field value for "X-Nul"'),
    ("X-Del", "a\x7f", 'net/http: invalid header field value for "X-Del"'),
])
def test_header_fields_go_refuses(name: str, value: str, problem: Optional[str]) -> None:
    assert problem == _header_problem(name, value)
