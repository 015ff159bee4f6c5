"""Config -> targets: outputs, credentials, cloud.id, the Kibana fallback, monitoring inheritance, Logstash."""

from __future__ import annotations

import base64

import pytest

from esprobe.config import load_config
from esprobe.config.layout import beat_name, path_defaults
from esprobe.config.tree import to_plain
from esprobe.model import Role
from esprobe.redact import Redactor
from tests.support.config import all_text, codes, load, only, target, urls, write

CLOUD_ID = "prod:" + base64.b64encode(b"eu-west-1.aws.found.io$esid$kbid").decode()


# ---- Elasticsearch ---------------------------------------------------------------------------


def test_es_targets_basic_credentials_and_index_pattern(tmp_path) -> None:
    """Hosts become targets in order; credentials are basic; the index pattern defaults to <beat>-*."""
    loaded = load(
        tmp_path,
        """
        output.elasticsearch:
          hosts: ["https://es1:9200", "es2"]
          protocol: https
          path: /es
          username: beat
          password: secret
          headers: {X-Custom: one}
        """,
    )
    assert ["https://es1:9200/es", "https://es2:9200/es"] == urls(loaded)
    es = target(loaded, "elasticsearch[1]")
    assert (Role.ELASTICSEARCH, "es2", 9200, "/es", "output.elasticsearch.hosts.1") == (
        es.role,
        es.host,
        es.port,
        es.path,
        es.setting,
    )
    assert ("basic", "beat", "secret", "output.elasticsearch") == (
        es.credentials.method,
        es.credentials.username,
        es.credentials.password,
        es.credentials.source,
    )
    assert (("X-Custom", "one"),) == es.headers
    assert "metricbeat-*" == es.index_pattern
    assert [] == codes(loaded)


def test_worker_copies_are_one_target(tmp_path) -> None:
    """worker: 3 duplicates clients, not endpoints; repeated entries collapse too."""
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es, 'http://es:9200', es2], worker: 3}\n")
    assert ["http://es:9200", "http://es2:9200"] == urls(loaded)
    assert ["elasticsearch[0]", "elasticsearch[1]"] == [t.id for t in loaded.targets]


def test_userinfo_replaces_credentials_for_that_host(tmp_path) -> None:
    """user:pass@ in a host entry is stripped from the URL and used as basic auth for that host."""
    redactor = Redactor()
    loaded = load(
        tmp_path,
        "output.elasticsearch: {hosts: ['https://other:p%40ss@es1:9200', es2], username: beat, password: pw}\n",
        redactor=redactor,
    )
    first, second = loaded.targets
    assert ("https://es1:9200", "other", "p@ss", "URL userinfo") == (
        first.url,
        first.credentials.username,
        first.credentials.password,
        first.credentials.source,
    )
    assert ("beat", "pw") == (second.credentials.username, second.credentials.password)
    assert "p@ss" in redactor.values()


def test_api_key_and_password_conflict_fails(tmp_path) -> None:
    """api_key with username/password: the Beat's validation error."""
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], api_key: "
                            "'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw', username: u, password: p}\n")
    finding = only(loaded, "config-auth-conflict")
    assert "cannot set both api_key and username/password" in finding.message
    assert ("fail", "output.elasticsearch.api_key") == (finding.severity.value, finding.setting)


def test_api_key_credentials_and_format_checks(tmp_path) -> None:
    """id:key is used raw; an encoded key (no colon) warns and says which form it is."""
    redactor = Redactor()
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], api_key: 'myid:mykey'}\n", redactor=redactor)
    creds = loaded.targets[0].credentials
    assert ("api_key", "myid:mykey", None) == (creds.method, creds.api_key, creds.username)
    assert "mykey" in redactor.values() and [] == codes(loaded)
    encoded = base64.b64encode(b"myid:mykey").decode()
    loaded = load(tmp_path, f"output.elasticsearch: {{hosts: [es], api_key: '{encoded}'}}\n")
    finding = only(loaded, "config-api-key-format")
    assert "encoded" in finding.message and encoded not in all_text(loaded.findings)
    loaded = load(tmp_path, "output.elasticsearch: {hosts: [es], api_key: 'justonepart'}\n")
    assert "no ':'" in only(loaded, "config-api-key-format").message


def test_missing_hosts_fails(tmp_path) -> None:
    """output.elasticsearch without hosts is the Beat's 'missing required field'."""
    for text in (
        "output.elasticsearch: {username: u}\n",
        "output.elasticsearch: {hosts: []}\n",
        "output.elasticsearch:\n",
    ):
        loaded = load(tmp_path, text)
        finding = only(loaded, "config-missing-hosts")
        assert "missing required field accessing 'output.elasticsearch.hosts'" in finding.message
        assert "output.elasticsearch.hosts" == finding.setting


def test_invalid_host_fails_with_setting(tmp_path) -> None:
    """A host Go cannot parse is a FAIL naming the entry."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['es:notaport', ok]\n")
    finding = only(loaded, "config-invalid-host")
    assert ("fail", "output.elasticsearch.hosts.0") == (finding.severity.value, finding.setting)
    assert ["http://ok:9200"] == urls(loaded)


def test_uppercase_scheme_warns(tmp_path) -> None:
    """HTTPS://es is not https to the Beat."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: ['HTTPS://es:9200']\n")
    assert "http://HTTPS://es:9200" in only(loaded, "config-uppercase-scheme").message
    assert loaded.targets[0].tls is None


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        ("setup.template.pattern: 'custom-*'\n", "custom-*"),
        ("output.elasticsearch.index: 'logs-%{[agent.version]}-%{+yyyy.MM.dd}'\n", "logs-*-*"),
        ("output.elasticsearch.index: 'fixed'\n", "fixed*"),
        ("output.elasticsearch.index: 'a-%{[x]}%{[y]}'\n", "a-*"),
        ("", "metricbeat-*"),
    ],
)
def test_index_pattern(tmp_path, extra, pattern) -> None:
    """setup.template.pattern, else derived from index (%{..} -> *), else <beat>-*."""
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\n" + extra)
    assert pattern == loaded.targets[0].index_pattern


def test_proxy_settings_recorded_and_password_registered(tmp_path) -> None:
    """proxy_url / proxy_disable / proxy_headers land in ProxySettings; the proxy password is a secret."""
    redactor = Redactor()
    loaded = load(
        tmp_path,
        """
        output.elasticsearch:
          hosts: [es]
          proxy_url: http://pu:proxypass@proxy:3128
          proxy_headers: {Proxy-Authorization: Basic abc}
        """,
        redactor=redactor,
    )
    proxy = loaded.targets[0].proxy
    assert ("http://pu:proxypass@proxy:3128", False) == (proxy.url, proxy.disable)
    assert (("Proxy-Authorization", "Basic abc"),) == proxy.headers
    assert "proxypass" in redactor.values() and "Basic abc" in redactor.values()


# ---- outputs and cloud.id ---------------------------------------------------------------------


def test_no_output_and_multiple_outputs(tmp_path) -> None:
    """No output and two enabled outputs are the Beat's start-up errors; a disabled one does not count."""
    assert ["config-no-output"] == codes(load(tmp_path, "metricbeat.modules: []\n"))
    both = load(tmp_path, "output.elasticsearch.hosts: [es]\noutput.logstash.hosts: [ls]\n")
    assert "more than one namespace configured accessing 'output'" in only(both, "config-multiple-outputs").message
    one = load(tmp_path, "output.elasticsearch.hosts: [es]\noutput.logstash: {enabled: false, hosts: [ls]}\n")
    assert [] == codes(one) and ["elasticsearch"] == [t.role.value for t in one.targets]


def test_other_output_warns_unsupported(tmp_path) -> None:
    """A Kafka output is fine for the Beat but not checked by esprobe."""
    loaded = load(tmp_path, "output.kafka.hosts: [k:9092]\n")
    assert ["config-output-unsupported"] == codes(loaded) and () == loaded.targets


def test_cloud_id_overwrites_hosts_and_sets_kibana(tmp_path) -> None:
    """cloud.id replaces output hosts, adds the Kibana target; cloud.auth overwrites user/password."""
    redactor = Redactor()
    loaded = load(
        tmp_path,
        f"""
        cloud.id: "{CLOUD_ID}"
        cloud.auth: "elastic:pa:ss"
        output.elasticsearch:
          hosts: ["https://ignored:9200"]
          username: ignored
        """,
        redactor=redactor,
    )
    es = target(loaded, "elasticsearch[0]")
    kb = target(loaded, "kibana")
    assert "https://esid.eu-west-1.aws.found.io:443" == es.url
    assert "https://kbid.eu-west-1.aws.found.io:443" == kb.url
    assert ("elastic", "pa:ss", "cloud.auth") == (
        es.credentials.username,
        es.credentials.password,
        es.credentials.source,
    )
    assert ("elastic", "pa:ss") == (kb.credentials.username, kb.credentials.password)
    assert "cloud.auth via output.elasticsearch" in kb.credentials.source
    assert "pa:ss" in redactor.values() and "elastic:pa:ss" in redactor.values()
    assert [] == codes(loaded)


def test_cloud_id_without_output_section_enables_es(tmp_path) -> None:
    """cloud.id alone is enough to have an Elasticsearch output."""
    loaded = load(tmp_path, f'cloud.id: "{CLOUD_ID}"\n')
    assert ["elasticsearch[0]", "kibana"] == [t.id for t in loaded.targets]


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ('cloud.auth: "a:b"\noutput.elasticsearch.hosts: [es]\n', "config-cloud-auth-invalid", "cloud.auth specified "
                                                                                               "but cloud.id is empty"),
        (f'cloud.id: "{CLOUD_ID}"\ncloud.auth: nocolon\n', "config-cloud-auth-invalid", "doesn't contain `:`"),
        ('cloud.id: "x:!!!"\n', "config-cloud-id-invalid", "base64 decoding failed"),
        (f'cloud.id: "{CLOUD_ID}"\noutput.logstash.hosts: [ls]\n', "config-cloud-output-conflict", "already have the "
                                                                                                   "logstash output "
                                                                                                   "enabled"),
    ],
)
def test_cloud_errors(tmp_path, text, code, fragment) -> None:
    """cloud.id / cloud.auth problems are FAILs with the Beat's texts."""
    loaded = load(tmp_path, text)
    finding = only(loaded, code)
    assert fragment in finding.message and "fail" == finding.severity.value
    assert "nocolon" not in all_text(loaded.findings) or "cloud.auth" in finding.setting


def test_cloud_auth_with_api_key_conflicts(tmp_path) -> None:
    """cloud.auth writes user/password next to an api_key: the validation error."""
    loaded = load(tmp_path, f'cloud.id: "{CLOUD_ID}"\ncloud.auth: "u:p"\noutput.elasticsearch.api_key: '
                            f'"VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"\n')
    assert "cloud.auth" in only(loaded, "config-auth-conflict").message


# ---- Kibana -----------------------------------------------------------------------------------


def _kibana(tmp_path, kibana_yaml: str, es_yaml: str = "  username: esuser\n  password: espass\n", extra: str = ""):
    loaded = load(
        tmp_path,
        "output.elasticsearch:\n  hosts: [es]\n" + es_yaml + "setup.kibana:\n" + kibana_yaml + extra,
    )
    return loaded, [t for t in loaded.targets if t.role is Role.KIBANA]


def test_kibana_defaults_and_space(tmp_path) -> None:
    """Defaults http://localhost:5601; space.id adds /s/<id> to the path."""
    loaded, (kb,) = _kibana(tmp_path, "  space.id: dev\n  path: /kb\n")
    assert ("http://localhost:5601/kb/s/dev", "/kb/s/dev", "dev", 5601) == (kb.url, kb.path, kb.space_id, kb.port)
    assert ("Elastic-Api-Version", "2023-10-31") in kb.headers
    loaded, (kb,) = _kibana(tmp_path, "  host: 'https://kb:5602/own'\n  space.id: dev\n")
    assert "https://kb:5602/own" == kb.url  # a path in the host suppresses the space path


def test_kibana_included_only_when_configured(tmp_path) -> None:
    """No setup.kibana, no dashboards, no cloud.id: no Kibana target; dashboards alone add it."""
    assert ["elasticsearch[0]"] == [t.id for t in load(tmp_path, "output.elasticsearch.hosts: [es]\n").targets]
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\nsetup.dashboards.enabled: true\n")
    assert "http://localhost:5601" == target(loaded, "kibana").url


def test_kibana_falls_back_to_es_credentials(tmp_path) -> None:
    """Without own credentials Kibana gets output.elasticsearch's, and says so."""
    loaded, (kb,) = _kibana(tmp_path, "  host: kb:5601\n")
    assert ("basic", "esuser", "espass", "fallback from output.elasticsearch") == (
        kb.credentials.method,
        kb.credentials.username,
        kb.credentials.password,
        kb.credentials.source,
    )


def test_kibana_fallback_is_per_field(tmp_path) -> None:
    """Only missing keys are copied: own username + ES password."""
    loaded, (kb,) = _kibana(tmp_path, "  username: kbuser\n")
    assert ("kbuser", "espass") == (kb.credentials.username, kb.credentials.password)
    assert "fallback" in kb.credentials.source and "password" in kb.credentials.source


def test_kibana_api_key_plus_es_password_is_the_gotcha(tmp_path) -> None:
    """setup.kibana.api_key + ES user/password: both end up on the Kibana client (WARN without dashboards)."""
    loaded, _ = _kibana(tmp_path, "  api_key: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'\n")
    finding = only(loaded, "config-auth-conflict")
    assert "warn" == finding.severity.value
    assert "copies username, password" in finding.message
    assert 'setup.kibana.username: ""' in finding.hint
    loaded, _ = _kibana(
        tmp_path, "  api_key: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'\n", extra="setup.dashboards.enabled: true\n"
    )
    assert "fail" == only(loaded, "config-auth-conflict").severity.value


def test_kibana_user_password_plus_es_api_key_conflicts_too(tmp_path) -> None:
    """The reverse: Kibana user/password + ES api_key copied in."""
    loaded, _ = _kibana(tmp_path, "  username: a\n  password: b\n", es_yaml="  api_key: "
                                                                            "'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'\n")
    assert "copies api_key" in only(loaded, "config-auth-conflict").message


def test_explicit_empty_kibana_field_blocks_the_copy(tmp_path) -> None:
    """setup.kibana.username: "" counts as set: nothing is copied for it."""
    loaded, (kb,) = _kibana(tmp_path, "  api_key: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'\n  username: ''\n  "
                                      "password: ''\n")
    assert ("api_key", "setup.kibana") == (kb.credentials.method, kb.credentials.source)
    assert "config-auth-conflict" not in codes(loaded)


def test_no_fallback_when_output_is_not_elasticsearch(tmp_path) -> None:
    """With a Logstash output nothing is copied."""
    loaded = load(tmp_path, "output.logstash.hosts: [ls]\noutput.elasticsearch: {enabled: false, username: u, "
                            "password: p}\nsetup.kibana.host: kb\n")
    assert "none" == target(loaded, "kibana").credentials.method


def test_kibana_ssl_is_not_inherited(tmp_path) -> None:
    """output.elasticsearch.ssl does not apply to Kibana."""
    loaded = load(
        tmp_path,
        "output.elasticsearch: {hosts: ['https://es:9200'], ssl.verification_mode: none}\nsetup.kibana.host: "
        "'https://kb:5601'\n",
    )
    assert "none" == target(loaded, "elasticsearch[0]").tls.verification_mode
    assert ("full", "setup.kibana.ssl") == (
        target(loaded, "kibana").tls.verification_mode,
        target(loaded, "kibana").tls.prefix,
    )


def test_kibana_userinfo_with_api_key_fails(tmp_path) -> None:
    """user:pass@ in setup.kibana.host together with an api_key is refused."""
    loaded, _ = _kibana(
        tmp_path,
        "  host: 'http://u:p@kb:5601'\n  api_key: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'\n",
        extra="setup.dashboards.enabled: true\n",
    )
    assert any("cannot set api_key with username/password in Kibana URL" in f.message for f in loaded.findings)


# ---- monitoring -------------------------------------------------------------------------------

MON_BASE = """
output.elasticsearch:
  hosts: ["https://es1:9200", "https://es2:9200"]
  path: /prefix
  username: beat
  password: outpass
  ssl.verification_mode: certificate
  headers: {X-From: output}
"""


def test_monitoring_inherits_everything_but_path(tmp_path) -> None:
    """monitoring.enabled with no own section reuses the output's settings, without path."""
    loaded = load(tmp_path, MON_BASE + "monitoring.enabled: true\n")
    mons = [t for t in loaded.targets if t.role is Role.MONITORING]
    assert ["https://es1:9200", "https://es2:9200"] == [t.url for t in mons]
    m = mons[0]
    assert ("monitoring[0]", "beat", "outpass", "certificate") == (
        m.id,
        m.credentials.username,
        m.credentials.password,
        m.tls.verification_mode,
    )
    assert "output.elasticsearch (inherited)" == m.credentials.source
    assert (("X-From", "output"),) == m.headers


def test_monitoring_hosts_replace_and_keys_override(tmp_path) -> None:
    """Monitoring hosts replace the output's wholesale; monitoring keys override inherited ones."""
    loaded = load(tmp_path, MON_BASE + "monitoring.elasticsearch:\n  hosts: ['https://mon:9200']\n  password: "
                                       "monpass\n")
    (m,) = [t for t in loaded.targets if t.role is Role.MONITORING]
    assert ("https://mon:9200", "beat", "monpass") == (m.url, m.credentials.username, m.credentials.password)
    assert "monitoring.elasticsearch" == m.credentials.source


def test_monitoring_default_user_is_beats_system(tmp_path) -> None:
    """With a non-ES output only the monitoring section counts, and the user defaults to beats_system."""
    loaded = load(tmp_path, "output.logstash.hosts: [ls]\nmonitoring.elasticsearch:\n  hosts: [mon]\n  password: p\n")
    m = target(loaded, "monitoring[0]")
    assert ("beats_system", "p") == (m.credentials.username, m.credentials.password)
    assert "monitoring.elasticsearch with the monitoring default user" == m.credentials.source
    loaded = load(tmp_path, "output.logstash.hosts: [ls]\nmonitoring.elasticsearch.hosts: [mon]\n")
    m = target(loaded, "monitoring[0]")
    assert ("basic", "beats_system", "", "monitoring default user") == (
        m.credentials.method,
        m.credentials.username,
        m.credentials.password,
        m.credentials.source,
    )


def test_monitoring_api_key_with_inherited_password_fails(tmp_path) -> None:
    """An api_key in monitoring + user/password from the output: the reporter's validation error."""
    loaded = load(tmp_path, MON_BASE + "monitoring.elasticsearch.api_key: "
                                       "'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw'\n")
    finding = only(loaded, "config-auth-conflict")
    assert "for monitoring client" in finding.message and "inherited" in finding.message
    m = target(loaded, "monitoring[0]")
    assert ("api_key", None) == (m.credentials.method, m.credentials.username)


def test_monitoring_enabled_rules(tmp_path) -> None:
    """A section with only cluster_uuid, or enabled: false, does not enable monitoring."""
    for extra in ("monitoring.cluster_uuid: abc\n", "monitoring: {enabled: false, elasticsearch.hosts: [m]}\n", ""):
        loaded = load(tmp_path, MON_BASE + extra)
        assert [] == [t for t in loaded.targets if t.role is Role.MONITORING]


def test_monitoring_without_reporter_fails(tmp_path) -> None:
    """monitoring.enabled with a Logstash output and no monitoring.elasticsearch."""
    loaded = load(tmp_path, "output.logstash.hosts: [ls]\nmonitoring.enabled: true\n")
    assert "No monitoring reporter configured" in only(loaded, "config-monitoring-no-reporter").message


def test_monitoring_cloud_id(tmp_path) -> None:
    """monitoring.cloud.id/auth set the reporter's hosts and credentials."""
    loaded = load(tmp_path, MON_BASE + f'monitoring.cloud.id: "{CLOUD_ID}"\nmonitoring.cloud.auth: "mon:pw"\n')
    m = target(loaded, "monitoring[0]")
    assert ("https://esid.eu-west-1.aws.found.io:443", "mon", "pw", "monitoring.cloud.auth") == (
        m.url,
        m.credentials.username,
        m.credentials.password,
        m.credentials.source,
    )


def test_legacy_xpack_monitoring_warns(tmp_path) -> None:
    """xpack.monitoring.* is not read by 8.x Beats."""
    loaded = load(tmp_path, MON_BASE + "xpack.monitoring.enabled: true\n")
    assert "config-legacy-monitoring" in codes(loaded)


# ---- Logstash ---------------------------------------------------------------------------------


def test_logstash_targets(tmp_path) -> None:
    """host:port with default 5044, scheme tcp, TLS only with an enabled ssl block."""
    loaded = load(tmp_path, "output.logstash:\n  hosts: [ls1, 'ls2:5045', '::1']\n")
    assert ["ls1:5044", "ls2:5045", "[::1]:5044"] == urls(loaded)
    assert {"tcp"} == {t.scheme for t in loaded.targets} and {None} == {t.tls for t in loaded.targets}
    assert ["logstash[0]", "logstash[1]", "logstash[2]"] == [t.id for t in loaded.targets]
    loaded = load(tmp_path, "output.logstash:\n  hosts: [ls1]\n  ssl.certificate_authorities: [/x.pem]\n")
    assert "output.logstash.ssl" == loaded.targets[0].tls.prefix
    loaded = load(tmp_path, "output.logstash:\n  hosts: [ls1]\n  ssl.enabled: false\n")
    assert loaded.targets[0].tls is None


def test_logstash_http_scheme_gotcha(tmp_path) -> None:
    """http://ls:5044 is not a URL to the Logstash output: WARN naming the entry."""
    loaded = load(tmp_path, "output.logstash.hosts: ['http://ls:5044']\n")
    finding = only(loaded, "config-logstash-host-invalid")
    assert ("warn", "output.logstash.hosts.0") == (finding.severity.value, finding.setting)


# ---- selection, naming, layout ------------------------------------------------------------------


def test_only_filters_roles_in_contract_order(tmp_path) -> None:
    """Targets come as elasticsearch, kibana, monitoring; --only keeps the asked roles."""
    text = MON_BASE + "setup.kibana.host: kb\nmonitoring.enabled: true\n"
    loaded = load(tmp_path, text)
    assert ["elasticsearch", "elasticsearch", "kibana", "monitoring", "monitoring"] == [
        t.role.value for t in loaded.targets
    ]
    assert ["kibana"] == [t.id for t in load(tmp_path, text, only=["kibana"]).targets]


@pytest.mark.parametrize(
    ("file_name", "keys", "beat"),
    [
        ("filebeat.yml", [], "filebeat"),
        ("/etc/heartbeat/heartbeat.yml", [], "heartbeat"),
        ("custom.yml", ["filebeat", "output"], "filebeat"),
        ("custom.yml", ["auditbeat"], "auditbeat"),
        ("custom.yml", ["output"], "metricbeat"),
        (None, [], "metricbeat"),
    ],
)
def test_beat_name(file_name, keys, beat) -> None:
    """From the file name, else the Beat's own top-level section, else metricbeat."""
    assert beat == beat_name(file_name, keys)


def test_filebeat_config_uses_filebeat_keystore_and_pattern(tmp_path) -> None:
    """The Beat name picks the default keystore file and index pattern."""
    path = write(tmp_path, "filebeat.inputs: []\noutput.elasticsearch.hosts: [es]\n", "config.yml")
    loaded = load_config([str(path)], environ={})
    assert "filebeat" == loaded.beat
    assert str(tmp_path / "data" / "filebeat.keystore") == loaded.keystore.path
    assert "filebeat-*" == loaded.targets[0].index_pattern


def test_path_defaults_package_and_tar_layouts(tmp_path) -> None:
    """/etc/<beat>/<beat>.yml means the deb/rpm layout; anything else the tar layout."""
    package = to_plain(path_defaults("/etc/metricbeat/metricbeat.yml", "metricbeat"))["path"]
    assert {
        "home": "/usr/share/metricbeat",
        "config": "/etc/metricbeat",
        "data": "/var/lib/metricbeat",
        "logs": "/var/log/metricbeat",
    } == package
    loaded = load(tmp_path, "output.elasticsearch.hosts: [es]\npath.data: /srv/beatdata\n")
    assert str(tmp_path) == loaded.effective["path"]["home"] == loaded.effective["path"]["config"]
    assert "/srv/beatdata/metricbeat.keystore" == loaded.keystore.path


def test_relative_ca_paths_resolve_against_path_config(tmp_path) -> None:
    """path.config anchors relative ssl file paths."""
    loaded = load(
        tmp_path,
        "path.config: /etc/custom\noutput.elasticsearch: {hosts: ['https://es:9200'], ssl.certificate_authorities: "
        "[ca.pem]}\n",
    )
    assert "/etc/custom/ca.pem" == loaded.targets[0].tls.certificate_authorities[0].path
