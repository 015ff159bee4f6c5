"""
What the Beat refuses while unpacking its sections, in its own words (issue #16, rule 4).

Expectations come from the upstream code named in each table's comment:

- go-ucfg reify.go: ``reifyInt`` (cfgString.toInt is strconv.ParseInt(s, 0, 64), cfgFloat.toInt
  truncates, a bool or a section cannot convert: "can not convert '<type>' into 'int'"),
  ``reifyBool`` (strconv.ParseBool), ``reifyDuration`` (a number is seconds, text goes through
  time.ParseDuration, a section is "type mismatch"), a scalar where a struct is expected is
  "required 'object', but found '<type>' in field '<path>'" (error.go raiseExpectedObject);
  types.go: a positive integer from YAML is a "uint".
- go-ucfg validator.go: ``min``/``max`` ("requires value >= N" / "<= N"), ``required`` on a
  []string runs on each element ("string value is not set"), but not on a nil element.
- Go src/time/format.go ``ParseDuration`` for the duration texts.
- libbeat/outputs/elasticsearch/config.go, libbeat/outputs/hosts.go,
  libbeat/common/transport/kerberos/config.go, libbeat/monitoring/report/elasticsearch/config.go,
  libbeat/monitoring/report/report.go, elastic-agent-libs kibana/client_config.go and
  transport/httpcommon/httpcommon.go for which field has which type and tag.
"""

from __future__ import annotations

import pytest

from esprobe.config.validate import DurationError, go_parse_duration
from tests.support.config import codes, load, urls

SECOND = 10**9

# ---- Go's time.ParseDuration (src/time/format.go) --------------------------------------------

DURATIONS = [
    ("90s", 90 * SECOND), ("1m30s", 90 * SECOND), ("1.5h", 5400 * SECOND), ("500ms", SECOND // 2),
    ("-1s", -SECOND), ("+2m", 120 * SECOND), ("0", 0), ("1us", 1000), ("1µs", 1000), ("1μs", 1000),
    (".5s", SECOND // 2), ("1.s", SECOND), ("1h1m1s1ms1us1ns", 3661 * SECOND + 1_001_001),
]
BAD_DURATIONS = [
    ("abc", 'time: invalid duration "abc"'),
    ("30", 'time: missing unit in duration "30"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("", 'time: invalid duration ""'),
    (".", 'time: invalid duration "."'),
    ("-", 'time: invalid duration "-"'),
    ("1h-1m", 'time: unknown unit "h-" in duration "1h-1m"'),  # the unit runs to the next digit or dot
    ("1.5.5s", 'time: missing unit in duration "1.5.5s"'),
    ("true", 'time: invalid duration "true"'),
]


@pytest.mark.parametrize(("text", "nanoseconds"), DURATIONS)
def test_go_parse_duration(text, nanoseconds) -> None:
    assert nanoseconds == go_parse_duration(text)


@pytest.mark.parametrize(("text", "words"), BAD_DURATIONS)
def test_go_parse_duration_errors(text, words) -> None:
    with pytest.raises(DurationError) as err:
        go_parse_duration(text)
    assert words == str(err.value)


# ---- output.elasticsearch (elasticsearch/config.go, outputs/hosts.go, httpcommon, kerberos) ----

ES = 'output.elasticsearch:\n  hosts: ["https://es:9200"]\n'
OUT = "output.elasticsearch"

ES_VALUES = [
    # (extra YAML lines under output.elasticsearch, the Beat's words or None when it accepts)
    ("compression_level: 10", f"requires value <= 9 accessing '{OUT}.compression_level'"),
    ("compression_level: -1", f"requires value >= 0 accessing '{OUT}.compression_level'"),
    ("compression_level: 9", None),
    ("compression_level: 0", None),
    ("compression_level: '5'", None),  # a quoted number parses (ParseInt)
    ("compression_level: 0x9", None),  # base 0: hex is fine
    ("compression_level: 9.9", None),  # truncated to 9
    ("compression_level: 10.5", f"requires value <= 9 accessing '{OUT}.compression_level'"),
    ("compression_level: abc", f"can not convert 'string' into 'int' accessing '{OUT}.compression_level'"),
    ("compression_level: true", f"can not convert 'bool' into 'int' accessing '{OUT}.compression_level'"),
    ("compression_level: [1]", f"can not convert 'object' into 'int' accessing '{OUT}.compression_level'"),
    ("bulk_max_size: lots", f"can not convert 'string' into 'int' accessing '{OUT}.bulk_max_size'"),
    ("bulk_max_size: -5", None),  # no min on the output's bulk_max_size
    ("max_retries: x", f"can not convert 'string' into 'int' accessing '{OUT}.max_retries'"),
    ("worker: two", f"can not convert 'string' into 'int' accessing '{OUT}.worker'"),
    ("worker: 0", None),  # hostWorkerCfg has no min in current Beats
    ("worker: 1.5", None),
    ("workers: x", f"can not convert 'string' into 'int' accessing '{OUT}.workers'"),
    ("timeout: abc", f'time: invalid duration "abc" accessing \'{OUT}.timeout\''),
    ("timeout: 30", None),  # a number is seconds
    ("timeout: '30'", f'time: missing unit in duration "30" accessing \'{OUT}.timeout\''),
    ("timeout: 1d", f'time: unknown unit "d" in duration "1d" accessing \'{OUT}.timeout\''),
    ("timeout: 1m30s", None),
    ("timeout: true", f'time: invalid duration "true" accessing \'{OUT}.timeout\''),
    ("timeout: {a: 1}", f"type mismatch accessing '{OUT}.timeout'"),
    ("idle_connection_timeout: 1x",
     f'time: unknown unit "x" in duration "1x" accessing \'{OUT}.idle_connection_timeout\''),
    ("backoff.init: soon", f'time: invalid duration "soon" accessing \'{OUT}.backoff.init\''),
    ("backoff.max: 60s", None),
    ("escape_html: 'yes'", f"can not convert 'string' into 'bool' accessing '{OUT}.escape_html'"),
    ("escape_html: yes", None),  # YAML 1.1: an unquoted yes is a boolean
    ("escape_html: 't'", None),  # strconv.ParseBool
    ("escape_html: 1", f"can not convert 'uint' into 'bool' accessing '{OUT}.escape_html'"),
    ("loadbalance: 0", f"can not convert 'int' into 'bool' accessing '{OUT}.loadbalance'"),
    ("allow_older_versions: maybe", f"can not convert 'string' into 'bool' accessing '{OUT}.allow_older_versions'"),
    ("proxy_disable: nope", f"can not convert 'string' into 'bool' accessing '{OUT}.proxy_disable'"),
    ("ssl: true", f"required 'object', but found 'bool' in field '{OUT}.ssl'"),
    ("ssl: 'on'", f"required 'object', but found 'string' in field '{OUT}.ssl'"),
    ("ssl: ~", None),
    ("kerberos: true", f"required 'object', but found 'bool' in field '{OUT}.kerberos'"),
    ("kerberos: {auth_type: password, config_path: /etc/krb5.conf, realm: R, username: u, password: p}", None),
    ("kerberos: {auth_type: token, config_path: /k, realm: R}",
     f"invalid authentication type 'token' accessing '{OUT}.kerberos.auth_type'"),
    ("kerberos: {config_path: /k, realm: R}", f"missing required field accessing '{OUT}.kerberos.auth_type'"),
    ("kerberos: {auth_type: password, config_path: /k, realm: R, password: p}",
     "password authentication is selected for Kerberos, but username is not configured"),
    ("kerberos: {auth_type: password, config_path: /k, realm: R, username: u}",
     "password authentication is selected for Kerberos, but password is not configured"),
    ("kerberos: {auth_type: keytab, config_path: /k, realm: R}",
     "keytab authentication is selected for Kerberos, but path to keytab is not configured"),
    ("kerberos: {auth_type: keytab, keytab: /k.tab, config_path: /k}",
     f"string value is not set accessing '{OUT}.kerberos.realm'"),
    ("kerberos: {auth_type: keytab, keytab: /k.tab, realm: R}",
     f"string value is not set accessing '{OUT}.kerberos.config_path'"),
]


@pytest.mark.parametrize(("extra", "words"), ES_VALUES)
def test_elasticsearch_output_values(tmp_path, extra, words) -> None:
    loaded = load(tmp_path, ES + f"  {extra}\n")
    refused = [f for f in loaded.findings if f.code == "config-invalid-value"]
    if words is None:
        assert refused == [], [f.message for f in refused]
        return
    (finding,) = refused
    assert "fail" == finding.severity.value
    assert f"the Beat refuses to start: {words}" in finding.message
    assert finding.location and finding.location.startswith(str(tmp_path / "metricbeat.yml") + ":")


HOST_ENTRIES = [
    # (hosts, refused element or None, target URLs) -- outputs/hosts.go: `required` on each element
    ('[""]', f"{OUT}.hosts.0", []),
    ('["https://es:9200", ""]', f"{OUT}.hosts.1", ["https://es:9200"]),
    ('[~, "https://es:9200"]', None, ["http://localhost:9200", "https://es:9200"]),  # nil: no validator
    ('""', f"{OUT}.hosts", []),  # a single string is wrapped (castArr): the error names the scalar's own path
]


@pytest.mark.parametrize(("hosts", "refused", "expected"), HOST_ENTRIES)
def test_empty_host_string_is_refused_but_a_nil_is_localhost(tmp_path, hosts, refused, expected) -> None:
    loaded = load(tmp_path, f"output.elasticsearch.hosts: {hosts}\n")
    found = [f for f in loaded.findings if f.code == "config-invalid-value"]
    if refused is None:
        assert found == []
    else:
        (finding,) = found
        assert (refused, "fail") == (finding.setting, finding.severity.value)
        assert f"string value is not set accessing '{refused}'" in finding.message
    assert expected == urls(loaded)


# ---- monitoring reporter (report/elasticsearch/config.go, report/report.go) ---------------------

MON = "output.logstash.hosts: ['ls:5044']\nmonitoring.elasticsearch:\n  hosts: ['https://mon:9200']\n"
M = "monitoring.elasticsearch"

MONITORING_VALUES = [
    ("compression_level: 10", f"requires value <= 9 accessing '{M}.compression_level'"),
    ("bulk_max_size: -1", f"requires value >= 0 accessing '{M}.bulk_max_size'"),
    ("bulk_max_size: 0", None),
    ("metrics.period: abc", f'time: invalid duration "abc" accessing \'{M}.metrics.period\''),
    ("state.period: 1y", f'time: unknown unit "y" in duration "1y" accessing \'{M}.state.period\''),
    ("buffer_size: big", f"can not convert 'string' into 'int' accessing '{M}.buffer_size'"),
    ("max_retries: 3", None),
    ("ssl: true", f"required 'object', but found 'bool' in field '{M}.ssl'"),
    ("timeout: 10", None),
]


@pytest.mark.parametrize(("extra", "words"), MONITORING_VALUES)
def test_monitoring_reporter_values(tmp_path, extra, words) -> None:
    loaded = load(tmp_path, MON + f"  {extra}\n")
    refused = [f for f in loaded.findings if f.code == "config-invalid-value"]
    if words is None:
        assert refused == [], [f.message for f in refused]
        return
    (finding,) = refused
    assert f"the Beat refuses to start: {words}" in finding.message


def test_inherited_bad_value_is_reported_once_at_its_line(tmp_path) -> None:
    """The reporter inherits output.elasticsearch: one bad line, one finding (at that line)."""
    text = ES + "  compression_level: 12\nmonitoring.enabled: true\n"
    loaded = load(tmp_path, text)
    refused = [f for f in loaded.findings if f.code == "config-invalid-value"]
    assert [f"{OUT}.compression_level"] == [f.setting for f in refused]


REPORTERS = [
    # (monitoring YAML, the Beat's words or None) -- report.go: the enabled sub-sections are a Namespace
    ("monitoring.elasticsearch.hosts: ['https://m:9200']\nmonitoring.logstash.hosts: ['ls:5044']\n",
     "more than one namespace configured accessing 'monitoring'"),
    ("monitoring.logstash.hosts: ['ls:5044']\n", "unknown reporter type 'logstash'"),
    ("monitoring.elasticsearch.hosts: ['https://m:9200']\nmonitoring.logstash: {enabled: false, hosts: [x]}\n", None),
    ("monitoring.elasticsearch.hosts: ['https://m:9200']\nmonitoring.cluster_uuid: abc\n", None),
    # monitoring.cloud is removed only when cloud.id or cloud.auth is set in it (monitoring/cloudid.go)
    ("monitoring.elasticsearch.hosts: ['https://m:9200']\nmonitoring.cloud: {other: 1}\n",
     "more than one namespace configured accessing 'monitoring'"),
    ("monitoring.enabled: false\nmonitoring.elasticsearch.hosts: ['https://m:9200']\nmonitoring.logstash.hosts: [x]\n",
     None),
    ("monitoring.kafka.hosts: ['k:9092']\n", "unknown reporter type 'kafka'"),
]


@pytest.mark.parametrize(("text", "words"), REPORTERS)
def test_monitoring_reporters(tmp_path, text, words) -> None:
    loaded = load(tmp_path, "output.logstash.hosts: ['ls:5044']\n" + text)
    refused = [f for f in loaded.findings if f.code == "config-monitoring-reporter-invalid"]
    if words is None:
        assert refused == []
        return
    (finding,) = refused
    assert "fail" == finding.severity.value and words in finding.message
    assert [] == [t for t in loaded.targets if t.role.value == "monitoring"]


def test_monitoring_cloud_id_is_not_a_reporter(tmp_path) -> None:
    """With monitoring.cloud.id set, 'cloud' is removed before the reporter is chosen."""
    import base64

    cloud_id = "x:" + base64.b64encode(b"example.test$es$kb").decode()
    loaded = load(tmp_path, f"output.logstash.hosts: ['ls:5044']\nmonitoring.cloud.id: '{cloud_id}'\n"
                            "monitoring.elasticsearch.username: u\n")
    assert "config-monitoring-reporter-invalid" not in codes(loaded)
    assert ["https://es.example.test:443"] == urls(loaded, "monitoring")


# ---- setup.kibana (elastic-agent-libs kibana/client_config.go): a Kibana problem, not a refusal ---

K = "setup.kibana"
KIBANA_VALUES = [
    (f"{K}.timeout: abc", f"{K}.timeout", f'time: invalid duration "abc" accessing \'{K}.timeout\''),
    (f"{K}.ssl: true", f"{K}.ssl", f"required 'object', but found 'bool' in field '{K}.ssl'"),
    (f"{K}.retry.max_retries: many", f"{K}.retry.max_retries", "can not convert 'string' into 'int'"),
    (f"{K}.retry.retry_on_status: [502, oops]", f"{K}.retry.retry_on_status.1", "can not convert 'string' into 'int'"),
    (f"{K}.ignoreversion: perhaps", f"{K}.ignoreversion", "can not convert 'string' into 'bool'"),
    (f"{K}.idle_connection_timeout: 5parsecs", f"{K}.idle_connection_timeout", 'time: unknown unit "parsecs"'),
]


@pytest.mark.parametrize("dashboards", [False, True])
@pytest.mark.parametrize(("line", "setting", "words"), KIBANA_VALUES)
def test_kibana_values_fail_only_kibana(tmp_path, line, setting, words, dashboards) -> None:
    """'<beat> setup' reads setup.kibana; only with setup.dashboards.enabled does the Beat itself stop."""
    extra = "setup.dashboards.enabled: true\n" if dashboards else ""
    loaded = load(tmp_path, ES + f"{K}.host: 'http://kb:5601'\n{line}\n{extra}")
    (finding,) = [f for f in loaded.findings if f.code == "config-invalid-value"]
    assert (setting, "fail" if dashboards else "warn") == (finding.setting, finding.severity.value)
    assert words in finding.message
    assert ["https://es:9200"] == urls(loaded, "elasticsearch")


@pytest.mark.parametrize(("line", "setting"), [
    (f"{K}.headers: [a, b]", f"{K}.headers"),
    (f"{K}.username: {{a: 1}}", f"{K}.username"),
    (f"{K}.space.id: [x]", f"{K}.space.id"),
])
def test_kibana_type_error_does_not_refuse_elasticsearch(tmp_path, line, setting) -> None:
    """A type error inside setup.kibana is a warning naming the setting; the Elasticsearch targets stay."""
    loaded = load(tmp_path, ES + f"{K}.host: 'http://kb:5601'\n{line}\n")
    (finding,) = [f for f in loaded.findings if f.code == "config-wrong-type"]
    assert (setting, "warn") == (finding.setting, finding.severity.value)
    assert "'<beat> setup' fails" in finding.message
    assert not any(f.severity.value == "fail" for f in loaded.findings)
    assert ["https://es:9200"] == urls(loaded, "elasticsearch")


# ---- setup.kibana credentials from output.elasticsearch -------------------------------------------
# (libbeat/cmd/instance/beat.go InitKibanaConfig: username, password and api_key are copied one by
#  one, only when setup.kibana lacks the key entirely (HasField: an explicit "" blocks the copy),
#  only from an enabled elasticsearch output; elastic-agent-libs kibana/client_config.go Validate
#  then refuses api_key together with username/password)

KB_FALLBACK = [
    # (output.elasticsearch extra, setup.kibana extra, environment, (method, username, password, api_key), conflict)
    ("username: u\n  password: p\n", "", {}, ("basic", "u", "p", None), False),
    ("username: u\n  password: p\n", "  username: ''\n", {}, ("basic", "", "p", None), False),
    ("username: u\n  password: p\n", "  username: k\n  password: kp\n", {}, ("basic", "k", "kp", None), False),
    ("api_key: 'id:secret'\n", "  username: k\n  password: kp\n", {}, ("api_key", "k", "kp", "id:secret"), True),
    ("username: u\n  password: p\n", "  api_key: 'id:secret'\n", {}, ("api_key", "u", "p", "id:secret"), True),
    ("username: u\n  password: p\n", "  api_key: 'id:secret'\n  username: ''\n  password: ''\n", {},
     ("api_key", "", "", "id:secret"), False),
    ("username: u\n  password: '${ES_PW}'\n", "", {"ES_PW": "from-env"}, ("basic", "u", "from-env", None), False),
    ("enabled: false\n  username: u\n  password: p\noutput.logstash.hosts: ['ls:5044']\n", "", {},
     ("none", None, None, None), False),
]


@pytest.mark.parametrize(("es", "kb", "env", "expected", "conflict"), KB_FALLBACK)
def test_kibana_takes_the_outputs_credentials_key_by_key(tmp_path, es, kb, env, expected, conflict) -> None:
    text = f"output.elasticsearch:\n  hosts: ['https://es:9200']\n  {es}setup.kibana:\n  host: 'https://kb:5601'\n{kb}"
    loaded = load(tmp_path, text, env=env)
    (kibana,) = [t for t in loaded.targets if t.role.value == "kibana"]
    creds = kibana.credentials
    method, username, password, api_key = expected
    assert method == creds.method
    if method == "basic":
        assert (username, password) == (creds.username, creds.password)
    if method == "api_key":
        assert api_key == creds.api_key
    conflicts = [f for f in loaded.findings
                 if f.code == "config-auth-conflict" and (f.setting or "").startswith("setup.kibana")]
    assert bool(conflicts) == conflict
    assert all(f.severity.value == "warn" for f in conflicts)  # setup only: dashboards do not load at start
