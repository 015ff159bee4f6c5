"""
Host strings as the Beat's Go release parses them, cloud.id with empty parts, Logstash addresses
with a scheme, and names Go's resolver refuses (issue #16, rules 5-7).

Expectations come from:

- Go src/net/url/url.go ``parseHost``: before Go 1.24.8 / 1.25.2 anything goes in brackets and the
  port starts at the LAST colon; the CVE-2025-47912 fix requires an IPv6 address in brackets
  (netip.ParseAddr; IPv4 is an "invalid IP-literal"); Go 1.26's urlstrictcolons (go.dev/issue/75223)
  starts an http(s) port at the FIRST colon, other schemes keep the last (go.dev/issue/78077).
  ``URL.String`` escapes the host with encodeHost (a zone's '%' becomes %25) and keeps the
  fragment. Which Beat has which Go: esprobe/data/beat_versions.json (esprobe.rulesets).
- libbeat/common/url.go ``MakeURL`` (elastic-agent-libs kibana/url.go is the same algorithm).
- elastic-agent-libs cloudid/cloudid.go ``decodeCloudID``: "<id>.<host>:<port>" without checks.
- libbeat/outputs/logstash ``fullAddress`` + Go src/net/ipsock.go ``SplitHostPort`` /
  ``JoinHostPort``.
- Go src/net/dnsclient.go ``isDomainName``: what the resolver refuses without asking.
"""

from __future__ import annotations

import base64

import pytest

from esprobe.config import urls
from esprobe.config.urls import GO_LEGACY, GO_STRICT, UrlRules
from esprobe.net.resolver import go_refuses_name
from esprobe.rulesets import resolve
from tests.support.config import codes, load, only
from tests.support.config import urls as target_urls

# The rules of the newest Beat esprobe documents: brackets checked, colons not yet strict (Go 1.24).
BRACKETS_ONLY = UrlRules(True, False, "net/url of Go 1.24.11")

URL_RULES = [
    # (raw, protocol, rules, URL or None, Go's error (a part of it) or None)
    ("a:9200,b:9200", "", GO_LEGACY, "http://[a:9200,b:9200]:9200", None),
    ("a:9200,b:9200", "", BRACKETS_ONLY, "http://[a:9200,b:9200]:9200", None),
    ("a:9200,b:9200", "", GO_STRICT, None, 'invalid port ":9200,b:9200" after host'),
    ("::1", "", GO_LEGACY, "http://[::1]:9200", None),
    ("::1", "", BRACKETS_ONLY, "http://[::1]:9200", None),
    ("::1", "", GO_STRICT, None, 'invalid port "::1" after host'),
    ("2001:db8::1", "https", GO_LEGACY, "https://[2001:db8::1]:9200", None),
    ("2001:db8::1", "https", GO_STRICT, None, 'invalid port ":db8::1" after host'),
    ("http://[1.2.3.4]:9200", "", GO_LEGACY, "http://1.2.3.4:9200", None),  # SplitHostPort drops the brackets
    ("http://[1.2.3.4]:9200", "", BRACKETS_ONLY, None, "invalid IP-literal"),
    ("http://[es.local]:9200", "", BRACKETS_ONLY, None, 'invalid host: ParseAddr("es.local"): unexpected character'),
    ("http://[es]:9200", "", BRACKETS_ONLY, None, 'invalid host: ParseAddr("es"): unable to parse IP'),
    ("http://[01.2.3.4]", "", BRACKETS_ONLY, None, "IPv4 field has octet with leading zero"),
    ("http://[::1]:9200", "", GO_STRICT, "http://[::1]:9200", None),
    ("https://[fe80::1%25eth0]:9200", "", GO_STRICT, "https://[fe80::1%25eth0]:9200", None),
    ("[fe80::1%25en0]", "", BRACKETS_ONLY, "http://[fe80::1%25en0]:9200", None),
    ("http://x[y]:9200", "", GO_STRICT, None, "invalid IP-literal"),
    ("http://x[y]:9200", "", GO_LEGACY, "http://x[y]:9200:9200", None),  # SplitHostPort fails: port appended
    ("ftp://a:1,b:2", "", GO_STRICT, "ftp://[a:1,b:2]:9200", None),  # other schemes keep the last colon
    ("http://es:9200/#frag", "", GO_STRICT, "http://es:9200/#frag", None),
    ("es:9200#x", "", GO_STRICT, "http://es:9200#x", None),
    ("https://es/p?q=1#f", "", GO_STRICT, "https://es:9200/p?q=1#f", None),
    ("http://es:9200/%zz", "", GO_LEGACY, None, 'invalid URL escape "%zz"'),
    ("http://es:9200#%zz", "", GO_STRICT, None, 'invalid URL escape "%zz"'),
    ("http://bücher.example", "", GO_STRICT, "http://b%C3%BCcher.example:9200", None),
]


@pytest.mark.parametrize(("raw", "protocol", "rules", "url", "error"), URL_RULES)
def test_make_url_under_each_go_release(raw, protocol, rules, url, error) -> None:
    if error is None:
        assert url == urls.make_url(protocol, "", raw, 9200, rules).url
        return
    with pytest.raises(urls.URLError) as err:
        urls.make_url(protocol, "", raw, 9200, rules)
    assert error in str(err.value)


def test_zone_id_is_dialled_unescaped() -> None:
    built = urls.make_url("", "", "https://[fe80::1%25eth0]:9200", 9200, GO_STRICT)
    assert ("fe80::1%eth0", 9200) == (built.host, built.port)


@pytest.mark.parametrize(("beat", "brackets", "colons"), [("8.15", False, False), ("8.19", True, False),
                                                          ("9.2", True, False)])
def test_rules_follow_the_beat_version(beat, brackets, colons) -> None:
    """The Beat -> Go table decides (esprobe/data/beat_versions.json)."""
    rules = UrlRules.from_ruleset(resolve(beat))
    assert (brackets, colons) == (rules.ipv6_brackets, rules.strict_colons)
    assert rules.label.startswith("net/url of Go ")


def test_bracketed_ipv4_under_a_beat_with_the_fix_names_the_rule(tmp_path) -> None:
    """Refused by this Beat's Go, accepted by older ones: the message says which rules applied."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['http://[10.0.0.1]:9200']\n", rules=resolve("9.2"))
    finding = only(loaded, "config-invalid-host")
    assert "invalid IP-literal" in finding.message and "Go 1.24.11" in finding.message
    assert "accepted it" in finding.message and [] == target_urls(loaded)


def test_bracketed_ipv4_under_an_old_beat_is_accepted(tmp_path) -> None:
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['http://[10.0.0.1]:9200']\n", rules=resolve("8.15"))
    assert ["http://10.0.0.1:9200"] == target_urls(loaded)
    assert "config-host-go-version" in codes(loaded)


def test_comma_list_in_one_host_warns_about_newer_go(tmp_path) -> None:
    """Go 1.24 accepts 'a:9200,b:9200' (as one unresolvable host); Go 1.26 refuses it: a warning says so."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['a:9200,b:9200']\n", rules=resolve("9.2"))
    finding = only(loaded, "config-host-go-version")
    assert "invalid port" in finding.message and "http://[a:9200,b:9200]:9200" in finding.message
    assert ["http://[a:9200,b:9200]:9200"] == target_urls(loaded)


def test_strict_rules_refuse_a_bare_ipv6_host(tmp_path) -> None:
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['::1']\n", url_rules=GO_STRICT)
    assert 'invalid port "::1" after host' in only(loaded, "config-invalid-host").message


def test_fragment_is_kept_and_warned(tmp_path) -> None:
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['https://es:9200/#x']\n")
    assert ["https://es:9200/#x"] == target_urls(loaded)
    assert "config-url-fragment" in codes(loaded)


# ---- cloud.id with an empty part (elastic-agent-libs cloudid/cloudid.go) ------------------------

def _cloud(decoded: str) -> str:
    return "label:" + base64.b64encode(decoded.encode()).decode()


CLOUD = [
    # (decoded cloud.id, extra YAML, ES URL, Kibana URL, parts reported empty, severity)
    ("example.test$es$", "", "https://es.example.test:443", "https://.example.test:443", ["Kibana"], "warn"),
    ("example.test$$kb", "", "https://.example.test:443", "https://kb.example.test:443", ["Elasticsearch"], "warn"),
    ("example.test$$", "", "https://.example.test:443", "https://.example.test:443", ["Elasticsearch", "Kibana"],
     "warn"),
    ("example.test:9243$es$", "", "https://es.example.test:9243", "https://.example.test:9243", ["Kibana"], "warn"),
    ("example.test$es$", "setup.dashboards.enabled: true\n", "https://es.example.test:443",
     "https://.example.test:443", ["Kibana"], "fail"),
    ("example.test$es$kb", "", "https://es.example.test:443", "https://kb.example.test:443", [], None),
]


@pytest.mark.parametrize(("decoded", "extra", "es", "kibana", "empty", "severity"), CLOUD)
def test_cloud_id_with_an_empty_part(tmp_path, decoded, extra, es, kibana, empty, severity) -> None:
    loaded = load(tmp_path, f"cloud.id: '{_cloud(decoded)}'\n{extra}")
    assert [es] == target_urls(loaded, "elasticsearch")
    assert [kibana] == target_urls(loaded, "kibana")
    found = [f for f in loaded.findings if f.code == "config-cloud-id-empty-part"]
    assert [p for p in ("Elasticsearch", "Kibana") if any(f"empty {p} id" in f.message for f in found)] == empty
    assert all(f.setting == "cloud.id" and f.severity.value == severity for f in found)


def test_monitoring_cloud_id_with_an_empty_elasticsearch_part(tmp_path) -> None:
    loaded = load(tmp_path, "output.logstash.hosts: ['ls:5044']\n"
                            f"monitoring.cloud.id: '{_cloud('example.test$$kb')}'\n")
    finding = only(loaded, "config-cloud-id-empty-part")
    assert ("monitoring.cloud.id", "warn") == (finding.setting, finding.severity.value)
    assert ["https://.example.test:443"] == target_urls(loaded, "monitoring")


# ---- Go's resolver refuses some names without asking (src/net/dnsclient.go isDomainName) ---------

NAMES = [
    (".example.test", "empty"), ("a..b", "empty"), ("", "empty"), ("example.test.", None),
    ("http://ls:5044", "cannot appear"), ("a:9200,b:9200", "cannot appear"), ("es_1.local", None),
    ("xn--bcher-kva.example", None), ("-es.local", "'-'"), ("es-.local", "'-'"), ("a" * 64 + ".x", "63"),
    ("localhost", None),
]


@pytest.mark.parametrize(("name", "why"), NAMES)
def test_names_go_refuses_to_look_up(name, why) -> None:
    answer = go_refuses_name(name)
    assert (answer is None) if why is None else (why in answer)


# ---- Logstash hosts with a scheme (logstash fullAddress + net.SplitHostPort/JoinHostPort) ---------

LOGSTASH = [
    # (host, address the Beat dials or None when it builds no address, finding expected)
    ("http://ls:5044", "[http://ls:5044]:5044", True),  # too many colons -> taken for IPv6 -> joined with 5044
    ("tcp://[::1]:5044", "[tcp://[::1]:5044]:5044", True),
    ("https://ls", None, True),  # SplitHostPort succeeds: host 'https', port '//ls'
    ("ls:5044", "ls:5044", False),
    ("ls", "ls:5044", False),
    ("[::1]:5045", "[::1]:5045", False),
]


@pytest.mark.parametrize(("host", "address", "warned"), LOGSTASH)
def test_logstash_host_with_a_scheme(tmp_path, host, address, warned) -> None:
    loaded = load(tmp_path, f"output.logstash.hosts: ['{host}']\n")
    assert ([address] if address else []) == target_urls(loaded, "logstash")
    found = [f for f in loaded.findings if f.code == "config-logstash-host-invalid"]
    assert bool(found) == warned
    if warned and address:
        assert "does not understand URL schemes" in found[0].message and address in found[0].message


def test_logstash_empty_host_is_refused(tmp_path) -> None:
    loaded = load(tmp_path, "output.logstash.hosts: ['ls:5044', '']\n")
    finding = only(loaded, "config-invalid-value")
    assert "string value is not set accessing 'output.logstash.hosts.1'" in finding.message
