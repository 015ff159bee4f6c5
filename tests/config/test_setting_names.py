"""
Target.settings, table-driven: the one place that names a target's settings, for every role and
for every place a credential can come from (own section, Kibana's per-field fallback to the
output's, URL userinfo, cloud.auth, monitoring's inheritance), read from real configs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from esprobe.model import Credentials, Role, SettingNames, Target, TlsSettings
from tests.support.config import load, target

ES = "output.elasticsearch"
KB = "setup.kibana"
MON = "monitoring.elasticsearch"

# id, config, target id, expected names (only the fields named here are checked)
ROWS = [
    ("es-basic", f"""
        {ES}:
          hosts: ["https://es1:9200", "https://es2:9200"]
          username: writer
          password: secret
     """, "elasticsearch[1]",
     dict(section=ES, hosts=f"{ES}.hosts.1", ssl=f"{ES}.ssl", username=f"{ES}.username",
          password=f"{ES}.password", api_key=f"{ES}.api_key", credential=f"{ES}.password",
          proxy_url=f"{ES}.proxy_url", proxy_disable=f"{ES}.proxy_disable")),
    ("es-api-key", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          api_key: "id:key"
     """, "elasticsearch[0]", dict(credential=f"{ES}.api_key")),
    ("es-no-credentials", f"""
        {ES}:
          hosts: ["https://es1:9200"]
     """, "elasticsearch[0]", dict(credential=f"{ES}.username")),
    ("es-userinfo", f"""
        {ES}:
          hosts: ["https://u:p@es1:9200"]
          username: other
          password: other-secret
     """, "elasticsearch[0]",
     dict(username=f"{ES}.hosts.0", password=f"{ES}.hosts.0", credential=f"{ES}.hosts.0")),
    ("kibana-own", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          username: writer
          password: secret
        {KB}:
          host: "https://kb:5601"
          username: kuser
          password: kpass
     """, "kibana",
     dict(section=KB, hosts=f"{KB}.host", ssl=f"{KB}.ssl", username=f"{KB}.username",
          password=f"{KB}.password", credential=f"{KB}.password", proxy_url=f"{KB}.proxy_url")),
    ("kibana-falls-back-for-everything", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          username: writer
          password: secret
        {KB}:
          host: "https://kb:5601"
     """, "kibana",
     dict(section=KB, username=f"{ES}.username", password=f"{ES}.password", credential=f"{ES}.password")),
    ("kibana-falls-back-for-the-password-only", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          username: writer
          password: secret
        {KB}:
          host: "https://kb:5601"
          username: kuser
     """, "kibana",
     dict(username=f"{KB}.username", password=f"{ES}.password", api_key=f"{KB}.api_key",
          credential=f"{ES}.password")),
    ("kibana-empty-password-blocks-the-fallback", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          username: writer
          password: secret
        {KB}:
          host: "https://kb:5601"
          username: kuser
          password: ""
     """, "kibana", dict(username=f"{KB}.username", password=f"{KB}.password", credential=f"{KB}.username")),
    ("monitoring-inherits-the-output-credentials", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          username: writer
          password: secret
        monitoring:
          enabled: true
     """, "monitoring[0]",
     dict(section=MON, hosts=f"{MON}.hosts.0", username=f"{ES}.username", password=f"{ES}.password",
          credential=f"{ES}.password", proxy_url=f"{MON}.proxy_url")),
    ("monitoring-own-password", f"""
        {ES}:
          hosts: ["https://es1:9200"]
          username: writer
          password: secret
        monitoring:
          enabled: true
          elasticsearch:
            password: monpass
     """, "monitoring[0]",
     dict(username=f"{ES}.username", password=f"{MON}.password", credential=f"{MON}.password")),
    ("logstash", """
        output.logstash:
          hosts: ["ls:5044"]
     """, "logstash[0]", dict(section="output.logstash", hosts="output.logstash.hosts.0", ssl="output.logstash.ssl")),
]


@pytest.mark.parametrize(("config", "target_id", "expected"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_settings_name_where_each_value_was_read(tmp_path: Path, config: str, target_id: str,
                                                  expected: Dict[str, str]) -> None:
    loaded = load(tmp_path, config)
    names = target(loaded, target_id).settings
    assert {key: getattr(names, key) for key in expected} == expected


def test_cloud_auth_names_cloud_auth(tmp_path: Path) -> None:
    cloud_id = "mycluster:" + __import__("base64").b64encode(b"example.com$es-uuid$kb-uuid").decode()
    loaded = load(tmp_path, f"""
        cloud.id: "{cloud_id}"
        cloud.auth: "elastic:secret"
    """)
    names = target(loaded, "elasticsearch[0]").settings
    assert (names.username, names.password, names.credential) == ("cloud.auth", "cloud.auth", "cloud.auth")


@pytest.mark.parametrize(("role", "hosts", "method", "credential"), [
    (Role.ELASTICSEARCH, f"{ES}.hosts", "none", f"{ES}.username"),
    (Role.KIBANA, f"{KB}.host", "basic", f"{KB}.password"),
    (Role.MONITORING, f"{MON}.hosts", "api_key", f"{MON}.api_key"),
    (Role.ELASTICSEARCH, f"{ES}.hosts", "pki", f"{ES}.ssl.certificate"),
])
def test_hand_built_targets_get_the_role_defaults(role: Role, hosts: str, method: str, credential: str) -> None:
    """A target built without a config (as tests and the stand-ins do) still names real settings."""
    tls = TlsSettings(prefix=f"{hosts.rsplit('.', 1)[0]}.ssl")
    built = Target(id="t", role=role, url="https://h:1", scheme="https", host="h", port=1, tls=tls,
                   credentials=Credentials(method))
    names = built.settings
    assert isinstance(names, SettingNames)
    assert (names.hosts, names.credential) == (hosts, credential)
