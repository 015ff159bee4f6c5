"""The bundle's redaction rules, without any I/O: by setting name, by value shape, by known value."""

from __future__ import annotations

import base64
import textwrap
from typing import List, Set, Tuple

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from esprobe.bundle.redact import (
    API_KEY,
    AUTHORIZATION_HEADER,
    KEY_NAME,
    KNOWN_SECRET,
    PEM_PRIVATE_KEY,
    URL_USERINFO,
    KnownSecrets,
    Redaction,
    is_secret_name,
    redact_override,
    redact_text,
    redact_tree,
    redact_yaml_text,
)
from esprobe.redact import REDACTED, Redactor

KNOWN = "Known-Secret-Qx81"
FAKE_KEY = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCanaryKeyBody0123"


def known(*values: str) -> KnownSecrets:
    redactor = Redactor()
    for value in values:
        redactor.add(value, "output.elasticsearch.password")
    return KnownSecrets(redactor)


def kinds(found: List[Redaction]) -> Set[Tuple[str, str]]:
    return {(r.kind, r.setting or "") for r in found}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("output.elasticsearch.password", True),
        ("key_passphrase", True),
        ("api_key", True),
        ("auth", True),  # cloud.auth
        ("Authorization", True),
        ("Proxy-Authorization", True),
        ("X-Api-Key", True),
        ("token", True),
        ("bearer_token", True),
        ("client_secret", True),
        ("secret_access_key", True),
        ("passwd", True),
        ("key", False),  # ssl.key: a path, or inline PEM caught by its shape
        ("certificate", False),
        ("certificate_authorities", False),
        ("key_passphrase_path", False),
        ("bearer_token_file", False),
        ("api_key_path", False),
        ("username", False),
        ("hosts", False),
        ("proxy_url", False),  # its userinfo is caught by shape
        ("verification_mode", False),
        ("client_authentication", False),
        ("ca_trusted_fingerprint", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    """Secrets by name include cloud.auth and headers; settings that hold paths are not secrets."""
    assert secret == is_secret_name(name)


# (yaml as written, expected text, expected (kind, setting) set)
YAML_CASES = [
    pytest.param(
        """\
        output.elasticsearch:
          hosts: ["https://es:9200"]
          username: beats
          password: "s3cr#t x" # the real one
          api_key: "id:key"
          ssl.key: /etc/beat/client.key
          ssl.key_passphrase_path: /etc/beat/pass
        """,
        """\
        output.elasticsearch:
          hosts: ["https://es:9200"]
          username: beats
          password: <redacted> # the real one
          api_key: <redacted>
          ssl.key: /etc/beat/client.key
          ssl.key_passphrase_path: /etc/beat/pass
        """,
        {(KEY_NAME, "output.elasticsearch.password"), (KEY_NAME, "output.elasticsearch.api_key")},
        id="nested-with-comment-and-paths-kept",
    ),
    pytest.param(
        """\
        output.elasticsearch.password: plain text value # comment
        cloud.auth: 'elastic:pw'
        setup.kibana: {host: "k:5601", password: "flow", username: u}
        """,
        """\
        output.elasticsearch.password: <redacted> # comment
        cloud.auth: <redacted>
        setup.kibana: {host: "k:5601", password: <redacted>, username: u}
        """,
        {(KEY_NAME, "output.elasticsearch.password"), (KEY_NAME, "cloud.auth"), (KEY_NAME, "setup.kibana.password")},
        id="dotted-and-flow",
    ),
    pytest.param(
        """\
        output.elasticsearch:
          password: "${ES_PWD}"
          #password: "old-one"
          # password: ${OLD}
        """,
        """\
        output.elasticsearch:
          password: "${ES_PWD}"
          #password: <redacted>
          # password: ${OLD}
        """,
        {(KEY_NAME, "output.elasticsearch.password (commented out)")},
        id="variable-reference-kept-commented-value-redacted",
    ),
    pytest.param(
        """\
        output.elasticsearch.headers:
          Authorization: "ApiKey abc"
          X-Custom-Token: t0k
          X-Opaque-Id: beats
        """,
        """\
        output.elasticsearch.headers:
          Authorization: <redacted>
          X-Custom-Token: <redacted>
          X-Opaque-Id: beats
        """,
        {
            (KEY_NAME, "output.elasticsearch.headers.Authorization"),
            (KEY_NAME, "output.elasticsearch.headers.X-Custom-Token"),
        },
        id="headers",
    ),
    pytest.param(
        """\
        ssl.key: |
          -----BEGIN EC PRIVATE KEY-----
          Proc-Type: 4,ENCRYPTED
          MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49
          -----END EC PRIVATE KEY-----
        ssl.certificate: /etc/c.crt
        """,
        """\
        ssl.key: |
          <redacted>



        ssl.certificate: /etc/c.crt
        """,
        {(PEM_PRIVATE_KEY, "ssl.key")},
        id="inline-pem-block-keeps-line-numbers",
    ),
    pytest.param(
        """\
        key: "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"
        """,
        """\
        key: "<redacted>\\n"
        """,
        {(PEM_PRIVATE_KEY, "key")},
        id="inline-pem-quoted",
    ),
    pytest.param(
        """\
        token: >-
          first
          second
        password:
          on the next line
        secret:
          nested: x
          list:
            - a
        after: 1
        """,
        """\
        token: >-
          <redacted>

        password:
          <redacted>
        secret:
          nested: <redacted>
          list:
            - <redacted>
        after: 1
        """,
        {(KEY_NAME, "token"), (KEY_NAME, "password"), (KEY_NAME, "secret.nested"), (KEY_NAME, "secret.list")},
        id="block-scalars-and-secret-parents",
    ),
    pytest.param(
        """\
        hosts:
        - host: a
          password: one
        - password: &pw two
        x: "multi
          password: three"
        """,
        """\
        hosts:
        - host: a
          password: <redacted>
        - password: &pw <redacted>
        x: "multi
          password: <redacted>"
        """,
        {(KEY_NAME, "hosts.password"), (KEY_NAME, "x.password (inside a multi-line value)")},
        id="lists-anchors-and-inside-values",
    ),
    pytest.param(
        """\
        output.elasticsearch.hosts: ["https://beats:pa55@es:9200"]
        output.elasticsearch.proxy_url: socks5://u:p%40ss@proxy:1080
        note: "Authorization: Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="
        """,
        """\
        output.elasticsearch.hosts: ["https://beats:<redacted>@es:9200"]
        output.elasticsearch.proxy_url: socks5://u:<redacted>@proxy:1080
        note: "Authorization: <redacted>"
        """,
        {
            (URL_USERINFO, "output.elasticsearch.hosts"),
            (URL_USERINFO, "output.elasticsearch.proxy_url"),
            (AUTHORIZATION_HEADER, "note"),
        },
        id="shapes-in-yaml",
    ),
    pytest.param(
        f"""\
        output.elasticsearch:
          hosts: [es]
        # an old note: {KNOWN}
        """,
        """\
        output.elasticsearch:
          hosts: [es]
        # an old note: <redacted>
        """,
        {(KNOWN_SECRET, "output.elasticsearch.hosts")},
        id="known-value-anywhere",
    ),
    pytest.param(
        """\
        output.elasticsearch:
          password: [unclosed
        : broken yaml {{{
          api_key: still-found
          : : not a value of api_key
        """,
        """\
        output.elasticsearch:
          password: <redacted>
        : broken yaml {{{
          api_key: <redacted>
          : : not a value of api_key
        """,
        {(KEY_NAME, "output.elasticsearch.password"), (KEY_NAME, "output.elasticsearch.api_key")},
        id="yaml-the-parser-rejects",
    ),
]


@pytest.mark.parametrize(("written", "expected", "redactions"), YAML_CASES)
def test_yaml_as_written(written: str, expected: str, redactions: Set[Tuple[str, str]]) -> None:
    """The original config keeps its layout and comments; each secret becomes <redacted> and is listed."""
    out, found = redact_yaml_text(textwrap.dedent(written), known(KNOWN), "config/original.yml")
    assert textwrap.dedent(expected) == out
    assert redactions == kinds(found)
    assert all(r.file == "config/original.yml" and r.line for r in found)


@pytest.mark.parametrize(
    "written", [pytest.param(p.values[0], id=p.id) for p in YAML_CASES if p.id != "yaml-the-parser-rejects"]
)
def test_redacted_yaml_stays_valid(written: str) -> None:
    """A redacted config that was valid YAML still is, so a support engineer can load it."""
    written = textwrap.dedent(written)
    yaml.safe_load(written)  # the case itself is valid
    yaml.safe_load(redact_yaml_text(written, known(), "f")[0])


def test_yaml_line_numbers_point_at_the_secret() -> None:
    """The manifest's line number is the line in the file as the user has it."""
    text = "a: 1\n\nout:\n  x: |\n    y\n  password: p\n"
    _, found = redact_yaml_text(text, known(), "f")
    assert [(KEY_NAME, "out.password", 6)] == [(r.kind, r.setting, r.line) for r in found]


def test_every_repeat_of_a_known_secret_is_recorded_at_its_own_line() -> None:
    """The manifest names each line a secret was cut from, not the first one once per repeat."""
    text = f"one\nsaw {KNOWN}\nthree\nand {KNOWN} again\n"
    out, found = redact_text(text, known(KNOWN), "log.txt")
    assert KNOWN not in out
    assert [(KNOWN_SECRET, 2), (KNOWN_SECRET, 4)] == [(r.kind, r.line) for r in found]


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Authorization: Basic dXNlcjpwdw==", "Authorization: <redacted>", AUTHORIZATION_HEADER),
        ('{"authorization": "Bearer eyJhbGciOi.x.y"}', '{"authorization": "<redacted>"}', AUTHORIZATION_HEADER),
        ("sent Basic ZWxhc3RpYzpjaGFuZ2VtZQ== to es", f"sent Basic {REDACTED} to es", AUTHORIZATION_HEADER),
        ("with ApiKey VnVhQ2ZHY0JDZGJr9", f"with ApiKey {REDACTED}", AUTHORIZATION_HEADER),
        ("https://elastic:pw@es:9200/", f"https://elastic:{REDACTED}@es:9200/", URL_USERINFO),
        ("HTTPS_PROXY=http://u:p%3Ass@proxy:3128", f"HTTPS_PROXY=http://u:{REDACTED}@proxy:3128", URL_USERINFO),
        ("key VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw.", f"key {REDACTED}.", API_KEY),
        ("enc VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==", f"enc {REDACTED}", API_KEY),
        (f"x -----BEGIN RSA PRIVATE KEY-----\n{FAKE_KEY}\n-----END RSA PRIVATE KEY----- y",
         f"x {REDACTED}\n\n y", PEM_PRIVATE_KEY),
        (f"truncated -----BEGIN PRIVATE KEY-----\n{FAKE_KEY}", f"truncated {REDACTED}\n", PEM_PRIVATE_KEY),
        (f"password was {KNOWN}!", f"password was {REDACTED}!", KNOWN_SECRET),
        (base64.b64encode(KNOWN.encode()).decode(), REDACTED, KNOWN_SECRET),
    ],
)
def test_shapes_and_known_values(text: str, expected: str, kind: str) -> None:
    """Each shape rule blanks the credential and leaves the words around it."""
    out, found = redact_text(text, known(KNOWN), "report.txt")
    assert expected == out
    assert kind in {r.kind for r in found}


@pytest.mark.parametrize(
    "text",
    [
        "uses basic authentication and Bearer tokens",
        "policy metricbeat-ilm-policy:some-other-lowercase-name",
        "sha256 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "address fe80::1ff:fe23:4567:890a and https://es.example:9200/_security",
        "mailto user@example.com, ssh://git@github.com/elastic/beats",
        "Subject: CN=es01,O=Example; Authority Information Access: caIssuers=URI:http://pki.example/ca.crt",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0VSVElGSUNBVEUgYm9keSBoZXJl\n-----END CERTIFICATE-----",
    ],
)
def test_public_text_is_left_alone(text: str) -> None:
    """The shape rules must not eat host names, fingerprints, DNs or certificates."""
    out, found = redact_text(text, known(KNOWN), "report.txt")
    assert text == out
    assert [] == found


def test_short_secret_only_as_a_whole_value() -> None:
    """A two-letter password is blanked where it is a whole value, not inside every word."""
    secrets = known("ab")
    tree, found = redact_tree({"note": "about", "x": "ab", "n": 7}, secrets, "f")
    assert {"note": "about", "x": REDACTED, "n": 7} == tree
    assert [(KNOWN_SECRET, "x")] == [(r.kind, r.setting) for r in found]


def test_tree_by_name_shape_and_value() -> None:
    """The effective config: secret names blank whole subtrees; unresolved ${VAR} stays as written."""
    tree = {
        "output": {"elasticsearch": {
            "password": 12345,  # YAML read it as a number: still a secret
            "api_key": "${MISSING}",
            "hosts": ["https://u:pw@es:9200"],
            "headers": {"X-Auth-Token": "t", "X-Opaque-Id": "beat"},
            "ssl": {"key": "/etc/k.key", "key_passphrase": "pp"},
        }},
        "secret_stuff": {"a": ["x", "y"], "b": None},
        "note": KNOWN,
    }
    out, found = redact_tree(tree, known(KNOWN), "config/effective.yml")
    es = out["output"]["elasticsearch"]
    assert REDACTED == es["password"]
    assert "${MISSING}" == es["api_key"]
    assert [f"https://u:{REDACTED}@es:9200"] == es["hosts"]
    assert {"X-Auth-Token": REDACTED, "X-Opaque-Id": "beat"} == es["headers"]
    assert {"key": "/etc/k.key", "key_passphrase": REDACTED} == es["ssl"]
    assert {"a": [REDACTED, REDACTED], "b": None} == out["secret_stuff"]
    assert REDACTED == out["note"]
    assert {
        (KEY_NAME, "output.elasticsearch.password"),
        (URL_USERINFO, "output.elasticsearch.hosts[0]"),
        (KEY_NAME, "output.elasticsearch.headers.X-Auth-Token"),
        (KEY_NAME, "output.elasticsearch.ssl.key_passphrase"),
        (KEY_NAME, "secret_stuff.a[0]"),
        (KEY_NAME, "secret_stuff.a[1]"),
        (KNOWN_SECRET, "note"),
    } == kinds(found)


@pytest.mark.parametrize(
    ("flag", "expected", "kind"),
    [
        ("output.elasticsearch.password=hunter22", f"output.elasticsearch.password={REDACTED}", KEY_NAME),
        ("cloud.auth=elastic:pw", f"cloud.auth={REDACTED}", KEY_NAME),
        ("output.elasticsearch.hosts=[\"https://u:p@es:9200\"]", f"output.elasticsearch.hosts=[\"https://u:{REDACTED}@es:9200\"]",
         URL_USERINFO),
        (f"setup.kibana.host={KNOWN}", f"setup.kibana.host={REDACTED}", KNOWN_SECRET),
    ],
)
def test_overrides(flag: str, expected: str, kind: str) -> None:
    """-E values are redacted by their key's name, then by shape and known value."""
    out, found = redact_override(flag, known(KNOWN), "environment.txt")
    assert expected == out
    assert kind in {r.kind for r in found}


def test_override_naming_a_variable_is_kept() -> None:
    out, found = redact_override("output.elasticsearch.password=${ES_PWD}", known(), "environment.txt")
    assert "output.elasticsearch.password=${ES_PWD}" == out
    assert [] == found


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(before=_TEXT, after=_TEXT, yaml_like=st.booleans())
def test_planted_secret_never_survives(before: str, after: str, yaml_like: bool) -> None:
    """Whatever surrounds a registered secret, redaction never raises and never lets it through."""
    secrets = known(KNOWN)
    text = before + KNOWN + after
    out, _ = (redact_yaml_text if yaml_like else redact_text)(text, secrets, "f")
    assert KNOWN not in out
    assert base64.b64encode(KNOWN.encode()).decode() not in out
