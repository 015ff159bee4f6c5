"""Host strings -> endpoints: libbeat's MakeURL, cloud.id decoding and Logstash addresses."""

from __future__ import annotations

import base64

import pytest

from esprobe.config import urls


@pytest.mark.parametrize(
    ("raw", "protocol", "path", "url", "host", "port"),
    [
        ("es:9200", "", "", "http://es:9200", "es", 9200),
        ("es", "", "", "http://es:9200", "es", 9200),  # the port is always explicit
        ("https://es", "", "", "https://es:9200", "es", 9200),
        ("es", "https", "", "https://es:9200", "es", 9200),  # protocol fills a missing scheme
        ("http://es:9201", "https", "", "http://es:9201", "es", 9201),  # the entry's scheme wins
        ("[::1]", "", "", "http://[::1]:9200", "::1", 9200),
        ("[::1]:9201", "", "", "http://[::1]:9201", "::1", 9201),
        ("https://[fe80::1]:9243", "", "", "https://[fe80::1]:9243", "fe80::1", 9243),
        ("es", "", "es", "http://es:9200/es", "es", 9200),  # a leading slash is added
        ("es", "", "/prefix/", "http://es:9200/prefix/", "es", 9200),
        ("es/custom", "", "/other", "http://es:9200/custom", "es", 9200),  # the entry's path wins
        ("es:9200?pretty=true", "", "/p", "http://es:9200/p?pretty=true", "es", 9200),  # query kept
        ("https://u:p@es:9200", "", "", "https://es:9200", "es", 9200),  # userinfo stripped
        ("HTTPS://es:9200", "", "", "http://HTTPS://es:9200", "HTTPS", 80),  # upper case is no scheme
        ("", "", "", "http://localhost:9200", "localhost", 9200),
        ("http://", "", "", "http://localhost:9200", "localhost", 9200),
        ("es.example.com:443", "https", "", "https://es.example.com:443", "es.example.com", 443),
    ],
)
def test_make_url_table(raw, protocol, path, url, host, port) -> None:
    """MakeURL builds scheme://host:port[path][?query] exactly like libbeat (bare IPv6: test_fidelity_urls.py)."""
    built = urls.make_url(protocol, path, raw, 9200)
    assert (url, host, port) == (built.url, built.host, built.port)


def test_make_url_userinfo_is_returned_decoded() -> None:
    """Userinfo replaces the configured credentials, so it is handed back percent-decoded."""
    built = urls.make_url("", "", "https://user:p%40ss@es", 9200)
    assert ("user", "p@ss") == (built.username, built.password)
    assert "p@ss" not in built.url and "user" not in built.url


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("es:abc", 'invalid port ":abc" after host'),
        ("http://[::1", "missing ']' in host"),
        ("http://es:9200/%zz", "invalid URL escape"),
        ("http://es\n:9200", "invalid control character"),
    ],
)
def test_make_url_errors_are_gos(raw, fragment) -> None:
    """Entries Go's url.Parse rejects raise with Go's wording."""
    with pytest.raises(urls.URLError) as err:
        urls.make_url("", "", raw, 9200)
    assert fragment in str(err.value)


def test_make_url_error_does_not_echo_a_password() -> None:
    """A parse error on an entry with userinfo never repeats the password."""
    with pytest.raises(urls.URLError) as err:
        urls.make_url("", "", "https://elastic:hunter2@es:badport", 9200)
    assert "hunter2" not in str(err.value)


def _cloud(decoded: str, label: str = "my-deployment:") -> str:
    return label + base64.b64encode(decoded.encode()).decode()


@pytest.mark.parametrize(
    ("cloud_id", "es", "kibana"),
    [
        (
            _cloud("us-east-1.aws.found.io$abc$def"),
            "https://abc.us-east-1.aws.found.io:443",
            "https://def.us-east-1.aws.found.io:443",
        ),
        (_cloud("us-east-1.aws.found.io$abc$def", label=""), "https://abc.us-east-1.aws.found.io:443", "https://def.us-east-1.aws.found.io:443"),
        (_cloud("host.io:9243$es$kb"), "https://es.host.io:9243", "https://kb.host.io:9243"),
        (_cloud("host.io$es:9200$kb:9300"), "https://es.host.io:9200", "https://kb.host.io:9300"),
        (_cloud("host.io$es$kb$extra$parts"), "https://es.host.io:443", "https://kb.host.io:443"),
        (_cloud("host.io$es$kb", label="a:b:c:"), "https://es.host.io:443", "https://kb.host.io:443"),
    ],
)
def test_cloud_id_decoding(cloud_id, es, kibana) -> None:
    """The label is ignored, ports default to 443 and a part's own port wins."""
    decoded = urls.decode_cloud_id(cloud_id)
    assert (es, kibana) == (decoded.es_url, decoded.kibana_url)


@pytest.mark.parametrize(
    ("cloud_id", "fragment"),
    [
        ("label:not*base64", "base64 decoding failed on not*base64"),
        ("label:" + base64.b64encode(b"host$es").decode(), "Expected at least 3 parts in host$es"),
        ("label:" + base64.urlsafe_b64encode(b"h\xfb\xff$e$k").decode(), "base64 decoding failed"),
        ("label:" + base64.b64encode(b"host$es$kb").decode().rstrip("="), "base64 decoding failed"),
    ],
)
def test_cloud_id_errors(cloud_id, fragment) -> None:
    """Bad base64 (URL-safe or unpadded too) and fewer than 3 parts fail with the Beat's text."""
    with pytest.raises(ValueError) as err:
        urls.decode_cloud_id(cloud_id)
    assert fragment in str(err.value)
    assert f"invalid cloud id '{cloud_id}'" in str(err.value)


def test_cloud_auth_splits_at_first_colon() -> None:
    """The password may contain colons; only the first one separates."""
    assert ("elastic", "pa:ss") == urls.split_cloud_auth("elastic:pa:ss")
    with pytest.raises(ValueError, match="doesn't contain `:`"):
        urls.split_cloud_auth("elastic")


@pytest.mark.parametrize(
    ("raw", "host", "port"),
    [
        ("ls", "ls", "5044"),
        ("ls:5045", "ls", "5045"),
        ("10.0.0.5", "10.0.0.5", "5044"),
        ("::1", "::1", "5044"),  # a bare IPv6 address gets the default port
        ("[::1]:5045", "::1", "5045"),
        # The scheme gotcha: Go's SplitHostPort refuses "http://ls:5044" (too many colons), so the
        # whole string is taken as a bare IPv6 address: the Beat dials "[http://ls:5044]:5044".
        ("http://ls:5044", "http://ls:5044", "5044"),
    ],
)
def test_logstash_address(raw, host, port) -> None:
    """Logstash hosts are host[:port] with default 5044 and the bare-IPv6 rule."""
    assert (host, port) == urls.logstash_address(raw)


@pytest.mark.parametrize(
    ("path", "space", "joined"),
    [("", "dev", "/s/dev"), ("/kb", "dev", "/kb/s/dev"), ("/kb/", "dev", "/kb/s/dev"), ("kb", "a/../b", "/kb/s/b")],
)
def test_kibana_space_path(path, space, joined) -> None:
    """The space path is Go's path.Join(path, "s", id), cleaned."""
    assert joined == urls.join_space_path(path, space)
