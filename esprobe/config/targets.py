"""
The merged config -> `Target`s, the Beat's way: the single active output, ``cloud.id`` /
``cloud.auth`` rewriting, Elasticsearch hosts through MakeURL, the Kibana endpoint with its
per-field credential fallback, the monitoring reporter's inheritance, and Logstash addresses
(elastic/beats libbeat/outputs/elasticsearch/config.go, libbeat/cmd/instance/beat.go,
libbeat/monitoring/report/elasticsearch/config.go, libbeat/outputs/logstash/config.go).
"""

from __future__ import annotations

import re
from typing import Any, Callable, List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from esprobe.config import urls
from esprobe.config.settings import ERROR, Item, Reader
from esprobe.config.tls import TlsBlock, read_tls
from esprobe.config.tree import Node, find, merge, split_path
from esprobe.config.validate import (
    validate_elasticsearch_output,
    validate_kibana,
    validate_monitoring,
    validate_monitoring_reporters,
)
from esprobe.elastic import api_key as api_keys
from esprobe.model import Credentials, ProxySettings, Role, Severity, Target, TlsSettings
from esprobe.record import record
from esprobe.redact import is_secret_header

__all__ = ["CloudState", "apply_cloud", "build_targets", "active_outputs", "index_pattern"]

ES = "output.elasticsearch"
KIBANA = "setup.kibana"
LOGSTASH = "output.logstash"
MONITORING_ES = "monitoring.elasticsearch"

# Kibana's client starts from this header map; user headers are merged into it.
_KIBANA_DEFAULT_HEADERS = (("Elastic-Api-Version", "2023-10-31"),)
_ANY_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*://")


@record(frozen=False)
class CloudState:
    """What ``cloud.*`` and ``monitoring.cloud.*`` changed, for credential sources."""

    cloud_id: bool = False
    cloud_auth: bool = False
    monitoring_cloud_auth: bool = False
    failed: bool = False


# ---------------------------------------------------------------------------------------------
# Outputs and cloud.id


def active_outputs(reader: Reader) -> List[str]:
    """The enabled ``output.*`` sections (go-ucfg Namespace: a disabled section does not count)."""
    return [
        name
        for name in reader.keys("output")
        if reader.is_section(f"output.{name}") and reader.enabled(f"output.{name}")
    ]


def _set(root: Node, path: str, node: Node) -> None:
    """Replace the value at *path*, creating sections on the way (go-ucfg SetChild)."""
    comps = split_path(path)
    current = root
    for comp in comps[:-1]:
        nxt = current.value.get(comp) if current.is_dict else None
        if nxt is None or not nxt.is_dict:
            nxt = Node({}, node.location)
            current.value[comp] = nxt
        current = nxt
    current.value[comps[-1]] = node


def _cloud_decode(
    reader: Reader, id_setting: str, auth_setting: str
) -> Optional[Tuple[urls.CloudID, Optional[Tuple[str, str]]]]:
    cloud_id = reader.string(id_setting)
    cloud_auth = reader.string(auth_setting, secret=True)
    if not cloud_id and not cloud_auth:
        return None
    if cloud_auth:
        _register_split(reader, cloud_auth, auth_setting)
    if not cloud_id:
        reader.report.add(
            "config-cloud-auth-invalid",
            f"{auth_setting} is set but {id_setting} is empty; the Beat refuses to start: "
            f"{auth_setting} specified but {id_setting} is empty. Please specify both.",
            setting=auth_setting,
            location=reader.location(auth_setting),
            fix=f"Set {id_setting} as well, or remove {auth_setting}.",
        )
        return None
    try:
        decoded = urls.decode_cloud_id(cloud_id)
    except ValueError as err:
        reader.report.add(
            "config-cloud-id-invalid",
            f"{id_setting} cannot be decoded; the Beat refuses to start: {err}.",
            setting=id_setting,
            location=reader.location(id_setting),
        )
        return None
    auth: Optional[Tuple[str, str]] = None
    if cloud_auth:
        try:
            auth = urls.split_cloud_auth(cloud_auth)
        except ValueError as err:
            reader.report.add(
                "config-cloud-auth-invalid",
                f"{auth_setting} has no ':' between user name and password; the Beat refuses to start: {err}.",
                setting=auth_setting,
                location=reader.location(auth_setting),
                fix=f"Write {auth_setting} as 'user:password'.",
            )
            return None
    return decoded, auth


def _empty_cloud_parts(reader: Reader, setting: str, cloud: urls.CloudID, kibana: bool) -> None:
    """
    An empty id in the decoded cloud.id gives a host starting with a dot (elastic-agent-libs
    cloudid/cloudid.go builds "<id>.<host>:<port>" without checking): the Beat takes it, and Go's
    resolver refuses the name, so that endpoint fails; say so on cloud.id.
    """
    parts = [("Elasticsearch", cloud.es_url, "monitoring.elasticsearch.hosts" if setting.startswith("monitoring")
              else f"{ES}.hosts")]
    if kibana:
        parts.append(("Kibana", cloud.kibana_url, f"{KIBANA}.host"))
    for what, url, endpoint in parts:
        host = url.split("://", 1)[1].rsplit(":", 1)[0]
        if not host.startswith("."):
            continue
        is_kibana = what == "Kibana"
        dashboards = is_kibana and reader.boolean("setup.dashboards.enabled", False)
        consequence = (
            ("the Beat refuses to start (setup.dashboards.enabled is true)" if dashboards
             else "'<beat> setup' and dashboard loading fail")
            if is_kibana else "the output never connects"
        )
        reader.report.add(
            "config-cloud-id-empty-part",
            f"{setting} has an empty {what} id, so the Beat sets {endpoint} to {url}: a name that starts with a dot, "
            f"which Go's resolver refuses (lookup {host}: no such host); {consequence}.",
            setting=setting,
            location=reader.location(setting),
            severity=Severity.FAIL if dashboards else None,
            endpoint=endpoint,
        )


def _register_split(reader: Reader, cloud_auth: str, setting: str) -> None:
    if ":" in cloud_auth:
        user, password = cloud_auth.split(":", 1)
        reader.redactor.add(password, setting)
        reader.redactor.add_basic_auth(user, password, setting)


def apply_cloud(reader: Reader) -> CloudState:
    """
    ``cloud.id`` / ``cloud.auth`` overwrite output.elasticsearch.hosts, setup.kibana.host and
    output.elasticsearch.username/password; ``monitoring.cloud.*`` does the same for
    monitoring.elasticsearch. Mutates the reader's tree.
    """
    state = CloudState()
    root = reader.root
    decoded = _cloud_decode(reader, "cloud.id", "cloud.auth")
    if reader.has("cloud.id") and reader.string("cloud.id") and decoded is None:
        state.failed = True
    if decoded is not None:
        outputs = active_outputs(reader)
        others = [o for o in outputs if o != "elasticsearch"]
        if len(outputs) == 1 and others:
            reader.report.add(
                "config-cloud-output-conflict",
                f"cloud.id is set and output.{others[0]} is enabled; the Beat refuses to start: The "
                f"cloud.id setting enables the Elasticsearch output, but you already have the "
                f"{others[0]} output enabled in the config.",
                location=reader.location("cloud.id"),
                output=others[0],
            )
            state.failed = True
        elif len(outputs) <= 1:
            cloud, auth = decoded
            _empty_cloud_parts(reader, "cloud.id", cloud, kibana=True)
            where = reader.location("cloud.id") or "cloud.id"
            _set(root, f"{ES}.hosts", Node([Node(cloud.es_url, where)], where))
            _set(root, f"{KIBANA}.host", Node(cloud.kibana_url, where))
            state.cloud_id = True
            if auth is not None:
                auth_where = reader.location("cloud.auth") or "cloud.auth"
                _set(root, f"{ES}.username", Node(auth[0], auth_where))
                _set(root, f"{ES}.password", Node(auth[1], auth_where))
                state.cloud_auth = True
    mon = _cloud_decode(reader, "monitoring.cloud.id", "monitoring.cloud.auth")
    if mon is not None:
        cloud, auth = mon
        _empty_cloud_parts(reader, "monitoring.cloud.id", cloud, kibana=False)
        where = reader.location("monitoring.cloud.id") or "monitoring.cloud.id"
        _set(root, f"{MONITORING_ES}.hosts", Node([Node(cloud.es_url, where)], where))
        if auth is not None:
            auth_where = reader.location("monitoring.cloud.auth") or "monitoring.cloud.auth"
            _set(root, f"{MONITORING_ES}.username", Node(auth[0], auth_where))
            _set(root, f"{MONITORING_ES}.password", Node(auth[1], auth_where))
            state.monitoring_cloud_auth = True
    return state


# ---------------------------------------------------------------------------------------------
# Shared pieces


def check_api_key(reader: Reader, setting: str, api_key: str, location: Optional[str]) -> None:
    """Register the key (whole and its secret half) and warn when it is not ``id:key``."""
    if not api_key:
        return
    if ":" in api_key:
        reader.redactor.add(api_key.split(":", 1)[1], setting)
        return
    if api_keys.shape(api_key) == api_keys.ENCODED:
        decoded = api_keys.decoded(api_key.strip()) or ""
        reader.redactor.add(decoded, setting)
        reader.redactor.add(decoded.split(":", 1)[1], setting)
        message = (
            f"{setting} has no ':' and base64-decodes to 'id:key', so it is the 'encoded' form; "
            "the Beat base64-encodes the value again and Elasticsearch will reject it."
        )
    else:
        message = (
            f"{setting} has no ':'; the Beat expects 'id:api_key' and base64-encodes it itself, "
            "so Elasticsearch will most likely reject it."
        )
    reader.report.add("config-api-key-format", message, setting=setting, location=location)


def read_proxy(reader: Reader, section: str) -> ProxySettings:
    """proxy_url / proxy_disable / proxy_headers under *section* ("" for a view of the section itself)."""

    def key(name: str) -> str:
        return f"{section}.{name}" if section else name

    url = reader.string(key("proxy_url"))
    if url:
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            reader.redactor.add(password, reader.display(key("proxy_url")))
            reader.redactor.add(unquote(password), reader.display(key("proxy_url")))
    return ProxySettings(
        url=url or None,
        disable=reader.boolean(key("proxy_disable"), False),
        headers=tuple(_headers(reader, key("proxy_headers"))),
    )


def _headers(reader: Reader, setting: str) -> List[Tuple[str, str]]:
    pairs = reader.string_map(setting)
    for name, value in pairs:
        if is_secret_header(name):
            reader.redactor.add(value, reader.display(f"{setting}.{name}"))
    return pairs


def _tls_for(scheme: str, block: TlsBlock) -> Optional[TlsSettings]:
    # An https URL always uses TLS: a missing or disabled ssl block means Go's defaults
    # (system roots, full verification), not plain text.
    if scheme != "https":
        return None
    if block.enabled:
        return block.settings
    return TlsSettings(prefix=block.settings.prefix)


def _method(username: str, password: str, api_key: str, tls: Optional[TlsSettings]) -> str:
    if api_key:
        return "api_key"
    if username or password:
        return "basic"
    if tls is not None and tls.certificate is not None and tls.key is not None:
        return "pki"
    return "none"


def build_url(
    reader: Reader, item: Item, protocol: str, path: str, default_port: int, severity: Optional[Severity] = None,
    wrap: str = "",
) -> Optional[urls.BuiltURL]:
    """
    MakeURL under the net/url rules of the Beat's Go release. When the verdict depends on the Go
    release, say which rules applied: an error names them, an entry only older Go accepts warns.
    None (and a finding) when the Beat cannot build the URL.
    """
    rules = reader.url_rules or urls.newest()
    try:
        built = urls.make_url(protocol, path, item.text, default_port, rules)
    except urls.URLError as err:
        try:
            urls.make_url(protocol, path, item.text, default_port, urls.GO_LEGACY)
            why = f"{err} (under the {rules.label}; Beats built with the {urls.GO_LEGACY.label} accepted it)"
        except urls.URLError:
            why = str(err)
        _invalid_host(reader, item, wrap + why, severity)
        return None
    try:
        urls.make_url(protocol, path, item.text, default_port, urls.GO_STRICT)
    except urls.URLError as err:
        reader.report.add(
            "config-host-go-version",
            f"{item.setting} is accepted by this Beat ({rules.label}) as {built.url}, but Beats built with "
            f"the {urls.GO_STRICT.label} refuse it: {err}.",
            setting=item.setting,
            location=item.location,
        )
    if built.fragment:
        reader.report.add(
            "config-url-fragment",
            f"{item.setting} ends with '#{built.fragment}'; the Beat keeps it ({built.url}), so the API paths its "
            "client appends to that text become part of the fragment and every request goes to the URL's path.",
            setting=item.setting,
            location=item.location,
        )
    return built


def _empty_host(reader: Reader, item: Item) -> bool:
    """An explicit "" in a hosts list fails the `required` validator on each element (go-ucfg reify.go)."""
    if item.null or item.text != "":
        return False
    reader.report.add(
        "config-invalid-value",
        f"{item.setting} is an empty string; the Beat refuses to start: string value is not set accessing "
        f"'{item.setting}'.",
        setting=item.setting,
        location=item.location,
        fix=f"Remove the empty element from {item.setting.rsplit('.', 1)[0]} or write a host in it.",
    )
    return True


def _warn_scheme(reader: Reader, item: Item, built: urls.BuiltURL) -> None:
    if built.scheme_was_guessed and _ANY_SCHEME.match(item.text):
        reader.report.add(
            "config-uppercase-scheme",
            f"{item.setting} starts with '{item.text.split('://')[0]}://', which the Beat does not "
            f"recognise as a scheme (only lower case counts); it builds {built.url} instead.",
            setting=item.setting,
            location=item.location,
        )


def _invalid_host(reader: Reader, item: Item, error: str, severity: Optional[Severity] = None) -> None:
    reader.report.add(
        "config-invalid-host",
        f"{item.setting} cannot be used: {error}.",
        setting=item.setting,
        location=item.location,
        severity=severity,
    )


def _missing_hosts(reader: Reader, path: str) -> None:
    value, _, _ = reader.resolve(path)
    if value is ERROR:
        return  # an unresolved ${VAR} in hosts is reported as such
    setting = reader.display(path)
    if setting in reader.too_long:
        return  # reported as too long to read, which is not missing
    reader.report.add(
        "config-missing-hosts",
        f"{setting} is missing or empty; the Beat refuses to start: missing required field accessing '{setting}'.",
        setting=setting,
        location=reader.location(path.rsplit(".", 1)[0]),
    )


@record(frozen=False)
class _Auth:
    username: str = ""
    password: str = ""
    api_key: str = ""
    source: str = ""
    setting: Optional[str] = None
    fields: Tuple[Tuple[str, str], ...] = ()  # (field, setting) for fields read outside the section


def _credentials(auth: _Auth, tls: Optional[TlsSettings]) -> Credentials:
    method = _method(auth.username, auth.password, auth.api_key, tls)
    if method == "api_key":
        return Credentials("api_key", None, None, auth.api_key, auth.source, auth.setting, auth.fields)
    if method == "basic":
        return Credentials("basic", auth.username, auth.password, None, auth.source, auth.setting, auth.fields)
    if method == "pki":
        setting = tls.certificate.setting if tls and tls.certificate else None
        return Credentials("pki", None, None, None, "client certificate", setting)
    return Credentials("none", None, None, None, "", None)


def _apply_userinfo(reader: Reader, item: Item, built: urls.BuiltURL, auth: _Auth) -> _Auth:
    """Userinfo in a host entry replaces username and password for that host (eslegclient)."""
    if built.username is None:
        return auth
    password = built.password or ""
    if password:
        reader.redactor.add(password, item.setting)
    reader.redactor.add_basic_auth(built.username, password, item.setting)
    userinfo = (("username", item.setting), ("password", item.setting))
    kept = tuple(pair for pair in auth.fields if pair[0] == "api_key")
    return _Auth(built.username, password, auth.api_key, "URL userinfo", item.setting, userinfo + kept)


# ---------------------------------------------------------------------------------------------
# Elasticsearch


def _es_auth(reader: Reader, section: str, cloud_auth: bool) -> _Auth:
    username = reader.string(f"{section}.username")
    password = reader.string(f"{section}.password", secret=True)
    api_key = reader.string(f"{section}.api_key", secret=True)
    if username or password:
        reader.redactor.add_basic_auth(username, password, reader.display(f"{section}.password"))
    check_api_key(reader, reader.display(f"{section}.api_key"), api_key, reader.location(f"{section}.api_key"))
    source = "cloud.auth" if cloud_auth and not api_key else reader.display(section)
    if api_key:
        setting = reader.display(f"{section}.api_key")
    elif password:
        setting = "cloud.auth" if cloud_auth else reader.display(f"{section}.password")
    elif username:
        setting = "cloud.auth" if cloud_auth else reader.display(f"{section}.username")
    else:
        setting = None
    fields = (("username", "cloud.auth"), ("password", "cloud.auth")) if cloud_auth else ()
    return _Auth(username, password, api_key, source, setting, fields)


def elasticsearch_targets(reader: Reader, base_dir: str, cloud: CloudState, pattern: str) -> List[Target]:
    validate_elasticsearch_output(reader, ES)
    items = reader.string_list(f"{ES}.hosts", keep_nulls=True)
    if not items:
        _missing_hosts(reader, f"{ES}.hosts")
        items = []
    protocol = reader.string(f"{ES}.protocol")
    path = reader.string(f"{ES}.path")
    auth = _es_auth(reader, ES, cloud.cloud_auth)
    if auth.api_key and (auth.username or auth.password):
        origin = "cloud.auth" if cloud.cloud_auth else f"{ES}.username/password"
        reader.report.add(
            "config-auth-conflict",
            f"{ES}.api_key is set together with a user name/password (from {origin}); the Beat "
            f"refuses to start: cannot set both api_key and username/password accessing '{ES}'.",
            setting=f"{ES}.api_key",
            location=reader.location(f"{ES}.api_key"),
            fix=f"Keep either {ES}.api_key or {origin}, not both.",
        )
    block = read_tls(reader, f"{ES}.ssl", base_dir)
    headers = _headers(reader, f"{ES}.headers")
    reader.string_map(f"{ES}.parameters")
    proxy = read_proxy(reader, ES)
    return _http_targets(reader, items, Role.ELASTICSEARCH, protocol, path, auth, block, headers, proxy, ES,
                         index_pattern=pattern)


def _http_targets(reader: Reader, items: Sequence[Any], role: Role, protocol: str, path: str, auth: "_Auth",
                  block: Any, headers: Sequence[Tuple[str, str]], proxy: ProxySettings, section: str,
                  index_pattern: Optional[str] = None) -> List[Target]:
    """
    One target per distinct host URL of an Elasticsearch-like section (the output, or the monitoring
    reporter read through a view with *section* ""), built with MakeURL, URL userinfo applied.
    """
    targets: List[Target] = []
    seen: set = set()
    plain_http: List[str] = []
    for item in items:
        if _empty_host(reader, item):
            continue
        built = build_url(reader, item, protocol, path, 9200)
        if built is None:
            continue
        _warn_scheme(reader, item, built)
        if built.scheme not in ("http", "https"):
            _invalid_host(
                reader, item, f"the scheme '{built.scheme}' is not http or https (unsupported protocol scheme)",
                Severity.WARN,
            )
            continue
        host_auth = _apply_userinfo(reader, item, built, auth)
        tls = _tls_for(built.scheme, block)
        if built.scheme != "https":
            plain_http.append(built.url)
        key = (built.url, host_auth.username, host_auth.password, host_auth.api_key)
        if key in seen:
            continue  # worker copies and repeated entries are the same endpoint
        seen.add(key)
        targets.append(
            Target(
                id=f"{role.value}[{len(targets)}]",
                role=role,
                url=built.url,
                scheme=built.scheme,
                host=built.host,
                port=built.port,
                path=built.path,
                tls=tls,
                credentials=_credentials(host_auth, tls),
                headers=tuple(headers),
                ssl_ignored=bool(block.enabled and built.scheme != "https"),
                proxy=proxy,
                setting=item.setting,
                index_pattern=index_pattern,
                query=built.query,
            )
        )
    if block.enabled and plain_http:
        _ssl_ignored(reader, section, plain_http)
    return targets


def _ssl_ignored(reader: Reader, section: str, urls_: Sequence[str]) -> None:
    shown = reader.display(section)
    ssl_path = f"{section}.ssl" if section else "ssl"
    reader.report.add(
        "config-ssl-ignored",
        f"{shown}.ssl is configured but {', '.join(dict.fromkeys(urls_))} use{'s' if len(urls_) == 1 else ''} "
        "http://, so the Beat sends to them unencrypted and ignores the ssl settings.",
        setting=f"{shown}.ssl",
        location=reader.location(ssl_path),
        section=shown,
    )


def index_pattern(reader: Reader, beat: str) -> str:
    """setup.template.pattern, else derived from output.elasticsearch.index, else ``<beat>-*``."""
    pattern = reader.string("setup.template.pattern")
    if pattern:
        return pattern
    index = reader.string(f"{ES}.index")
    if index:
        derived = re.sub(r"%\{[^}]*\}", "*", index)
        if not derived.endswith("*"):
            derived += "*"
        return re.sub(r"\*+", "*", derived)
    return f"{beat}-*"


# ---------------------------------------------------------------------------------------------
# Kibana


def wants_kibana(reader: Reader, cloud: CloudState) -> bool:
    return reader.has(KIBANA) or reader.boolean("setup.dashboards.enabled", False) or cloud.cloud_id


def kibana_target(reader: Reader, base_dir: str, cloud: CloudState, es_active: bool) -> Optional[Target]:
    validate_kibana(reader, KIBANA)
    protocol = reader.string(f"{KIBANA}.protocol", "http")
    host = reader.string(f"{KIBANA}.host", "localhost:5601")
    path = reader.string(f"{KIBANA}.path")
    space = reader.string(f"{KIBANA}.space.id")
    effective_path = urls.join_space_path(path, space) if space else path
    dashboards = reader.boolean("setup.dashboards.enabled", False)
    severity = Severity.FAIL if dashboards else Severity.WARN

    username = reader.string(f"{KIBANA}.username")
    password = reader.string(f"{KIBANA}.password", secret=True)
    api_key = reader.string(f"{KIBANA}.api_key", secret=True)
    check_api_key(reader, f"{KIBANA}.api_key", api_key, reader.location(f"{KIBANA}.api_key"))
    values = {"username": username, "password": password, "api_key": api_key}
    copied: List[str] = []
    # libbeat InitKibanaConfig: each field separately, only when setup.kibana lacks the key entirely (an explicit
    # empty string blocks the copy), only from an enabled elasticsearch output.
    if es_active:
        for name in ("username", "password", "api_key"):
            if reader.has(f"{KIBANA}.{name}"):
                continue
            es_value = reader.string(f"{ES}.{name}", secret=name != "username")
            if es_value:
                values[name] = es_value
                copied.append(name)
    own = [n for n in ("username", "password", "api_key") if values[n] and n not in copied]
    es_origin = "cloud.auth via output.elasticsearch" if cloud.cloud_auth else "output.elasticsearch"
    if copied and own:
        source = f"{KIBANA} + fallback from {es_origin} ({', '.join(copied)})"
    elif copied:
        source = f"fallback from {es_origin}"
    else:
        source = KIBANA
    credential_field = "api_key" if values["api_key"] else "password" if values["password"] else "username"
    setting_base = ES if credential_field in copied else KIBANA
    auth = _Auth(
        values["username"], values["password"], values["api_key"], source, f"{setting_base}.{credential_field}",
        tuple((name, f"{ES}.{name}") for name in copied),
    )
    if auth.username or auth.password:
        reader.redactor.add_basic_auth(auth.username, auth.password, f"{setting_base}.password")
    if auth.api_key and (auth.username or auth.password) and own:
        # (When every field was copied, output.elasticsearch itself conflicts and says so.)
        _kibana_conflict(reader, copied, own, severity, dashboards)

    block = read_tls(reader, f"{KIBANA}.ssl", base_dir)
    headers = dict(_KIBANA_DEFAULT_HEADERS)
    headers.update(_headers(reader, f"{KIBANA}.headers"))
    proxy = read_proxy(reader, KIBANA)
    item = Item(host, f"{KIBANA}.host", reader.location(f"{KIBANA}.host"))
    built = build_url(reader, item, protocol, effective_path, 5601, severity, "invalid Kibana host: ")
    if built is None:
        return None
    _warn_scheme(reader, item, built)
    if built.username is not None:
        if auth.api_key and (built.username or built.password):
            reader.report.add(
                "config-auth-conflict",
                f"{KIBANA}.host carries a user name/password and {KIBANA}.api_key is set too; the "
                "Kibana client fails: cannot set api_key with username/password in Kibana URL.",
                setting=f"{KIBANA}.host",
                location=item.location,
                severity=severity,
                fix=f"Remove the user:password@ part from {KIBANA}.host or remove the api_key.",
            )
        auth = _apply_userinfo(reader, item, built, auth)
    tls = _tls_for(built.scheme, block)
    if block.enabled and built.scheme != "https":
        _ssl_ignored(reader, KIBANA, [built.url])
    return Target(
        id="kibana",
        role=Role.KIBANA,
        url=built.url,
        scheme=built.scheme,
        host=built.host,
        port=built.port,
        path=built.path,
        tls=tls,
        credentials=_credentials(auth, tls),
        headers=tuple(headers.items()),
        proxy=proxy,
        setting=f"{KIBANA}.host",
        space_id=space or None,
        query=built.query,
        uninherited_ssl=f"{ES}.ssl" if not block.configured and reader.has(f"{ES}.ssl") else None,
    )


def _kibana_conflict(reader: Reader, copied: List[str], own: List[str], severity: Severity, dashboards: bool) -> None:
    when = (
        "the Beat refuses to start because setup.dashboards.enabled is true"
        if dashboards
        else "'<beat> setup' (dashboards) will fail"
    )
    if copied:
        detail = (
            f"{KIBANA} sets {', '.join(own) or 'nothing'} itself and the Beat copies "
            f"{', '.join(copied)} from {ES} because {KIBANA} lacks those keys"
        )
        blockers = " and ".join(f'{KIBANA}.{n}: ""' for n in copied)
        fix = f"Block the copy with {blockers}, or set matching credentials of one kind in {KIBANA}."
    else:
        detail = f"{KIBANA} sets api_key and username/password"
        fix = f"Keep either {KIBANA}.api_key or {KIBANA}.username/password."
    reader.report.add(
        "config-auth-conflict",
        f"{detail}, so the Kibana client has both an API key and a user name/password; {when}: "
        "cannot set both api_key and username/password.",
        setting=f"{KIBANA}.api_key",
        location=reader.location(f"{KIBANA}.api_key") or reader.location(KIBANA),
        severity=severity,
        fix=fix,
    )


# ---------------------------------------------------------------------------------------------
# Monitoring


def monitoring_enabled(reader: Reader) -> bool:
    if not reader.is_section("monitoring"):
        return False
    keys = reader.keys("monitoring")
    if keys == ["cluster_uuid"]:
        return False
    return reader.enabled("monitoring")


def monitoring_targets(reader: Reader, base_dir: str, es_active: bool, cloud: CloudState) -> List[Target]:
    if reader.has("xpack.monitoring") and reader.is_section("xpack.monitoring") and reader.enabled("xpack.monitoring"):
        reader.report.add(
            "config-legacy-monitoring",
            "xpack.monitoring.* is set; 8.x Beats no longer read it (7.x deprecated it), so this "
            "monitoring configuration has no effect there.",
            location=reader.location("xpack.monitoring"),
        )
    if not monitoring_enabled(reader):
        return []
    cloud_removed = bool(reader.string("monitoring.cloud.id") or reader.string("monitoring.cloud.auth"))
    reporters = validate_monitoring_reporters(reader, cloud_removed)
    if len(reporters) > 1 or (reporters and reporters[0] != "elasticsearch"):
        return []
    mon_node = find(reader.root, split_path(MONITORING_ES))
    es_node = find(reader.root, split_path(ES))
    if mon_node is not None and mon_node.is_dict and es_active and es_node is not None and es_node.is_dict:
        merged = merge(es_node, mon_node)
        mon_hosts = mon_node.value.get("hosts")
        if mon_hosts is not None and mon_hosts.value not in (None, []):
            merged.value["hosts"] = mon_hosts  # mergeHosts: monitoring hosts replace wholesale
        inherited = True
    elif mon_node is not None and (mon_node.is_dict or mon_node.value is None):
        merged = mon_node if mon_node.is_dict else Node({}, mon_node.location)
        inherited = False
    elif es_active and es_node is not None and es_node.is_dict:
        merged = es_node
        inherited = True
    else:
        reader.report.add(
            "config-monitoring-no-reporter",
            "monitoring is enabled but there is no monitoring.elasticsearch section and the "
            "output is not Elasticsearch; the Beat refuses to start: No monitoring reporter configured.",
            location=reader.location("monitoring"),
        )
        return []
    view = reader.view(merged, MONITORING_ES)
    validate_monitoring(view)
    items = view.string_list("hosts", keep_nulls=True)
    if not items:
        _missing_hosts(view, "hosts")
        return []
    protocol = view.string("protocol")
    own = lambda name: reader.has(f"{MONITORING_ES}.{name}")  # noqa: E731
    username = view.string("username") if view.has("username") else "beats_system"
    password = view.string("password", secret=True)
    api_key = view.string("api_key", secret=True)
    check_api_key(view, view.display("api_key"), api_key, view.location("api_key"))
    if api_key and username and password:
        reader.report.add(
            "config-auth-conflict",
            f"The monitoring reporter has an api_key and a user name/password"
            f"{' (inherited from ' + ES + ')' if inherited and not (own('username') and own('password')) else ''}; "
            "the Beat refuses to start: cannot set both api_key and username/password for monitoring client.",
            setting=f"{MONITORING_ES}.api_key",
            location=view.location("api_key"),
            fix=f'Set {MONITORING_ES}.username: "" and password: "" next to the api_key, or drop the api_key.',
        )
    if api_key:
        username = password = ""  # the reporter clears them when an API key is set
    if password:
        reader.redactor.add_basic_auth(username, password, f"{MONITORING_ES}.password")
    source = _monitoring_source(reader, view, own, inherited, cloud, api_key, username, password)
    block = read_tls(view, "ssl", base_dir)
    headers = _headers(view, "headers")
    proxy = read_proxy(view, "")
    fields: Tuple[Tuple[str, str], ...] = ()
    if cloud.monitoring_cloud_auth:
        fields = (("username", "monitoring.cloud.auth"), ("password", "monitoring.cloud.auth"))
    elif inherited:
        fields = tuple((name, f"{ES}.{name}") for name in ("username", "password", "api_key")
                       if not own(name) and view.has(name))
    auth = _Auth(username, password, api_key, source[0], source[1], fields)
    # The reporter has no `path` setting: output.elasticsearch.path is not applied to monitoring.
    return _http_targets(view, items, Role.MONITORING, protocol, "", auth, block, headers, proxy, "")


def _monitoring_source(
    reader: Reader,
    view: Reader,
    own: Callable[[str], bool],
    inherited: bool,
    cloud: CloudState,
    api_key: str,
    username: str,
    password: str,
) -> Tuple[str, Optional[str]]:
    if api_key:
        field_name = "api_key"
    elif password:
        field_name = "password"
    elif username:
        field_name = "username"
    else:
        return "", None
    default_user = field_name != "api_key" and not view.has("username")
    if cloud.monitoring_cloud_auth and field_name != "api_key":
        return "monitoring.cloud.auth", "monitoring.cloud.auth"
    if field_name == "username" and default_user:
        return "monitoring default user", f"{MONITORING_ES}.username"
    if own(field_name):
        origin, setting = MONITORING_ES, f"{MONITORING_ES}.{field_name}"
    elif inherited:
        origin = "cloud.auth" if cloud.cloud_auth and field_name != "api_key" else ES
        origin, setting = f"{origin} (inherited)", f"{ES}.{field_name}"
    else:
        origin, setting = MONITORING_ES, f"{MONITORING_ES}.{field_name}"
    if default_user:
        origin += " with the monitoring default user"
    return origin, setting


# ---------------------------------------------------------------------------------------------
# Logstash


def logstash_targets(reader: Reader, base_dir: str) -> List[Target]:
    items = reader.string_list(f"{LOGSTASH}.hosts", keep_nulls=True)
    if not items:
        _missing_hosts(reader, f"{LOGSTASH}.hosts")
        return []
    block = read_tls(reader, f"{LOGSTASH}.ssl", base_dir)
    proxy_url = reader.string(f"{LOGSTASH}.proxy_url")
    if proxy_url:
        try:
            password = urlsplit(proxy_url).password
        except ValueError:
            password = None
        if password:
            reader.redactor.add(password, f"{LOGSTASH}.proxy_url")
    tls = block.settings if block.enabled else None
    targets: List[Target] = []
    seen: set = set()
    for item in items:
        if _empty_host(reader, item):
            continue
        host, port = urls.logstash_address(item.text)
        if _ANY_SCHEME.match(item.text):
            # libbeat/outputs/logstash fullAddress: net.SplitHostPort fails on "http://ls:5044" (too
            # many colons), so the string is taken for a bare IPv6 address and joined with 5044.
            dialled = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            reader.report.add(
                "config-logstash-host-invalid",
                f"{item.setting} is '{urls.mask_userinfo(item.text)}': the Logstash output does not understand "
                f"URL schemes. Go's host/port split turns it into the address "
                f"'{urls.mask_userinfo(dialled)}' (host '{urls.mask_userinfo(host)}', port '{port}'), which no "
                "resolver looks up, so the Beat never connects.",
                setting=item.setting,
                location=item.location,
            )
        if not port.isdigit() or (host.startswith("[") and host.endswith("]")) or not host:
            if not _ANY_SCHEME.match(item.text):
                reader.report.add(
                    "config-logstash-host-invalid",
                    f"{item.setting} is '{item.text}', which the Beat turns into an address it cannot dial.",
                    setting=item.setting,
                    location=item.location,
                )
            continue
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if address in seen:
            continue
        seen.add(address)
        creds = Credentials("none")
        if tls is not None and tls.certificate is not None and tls.key is not None:
            creds = Credentials("pki", source="client certificate", setting=tls.certificate.setting)
        targets.append(
            Target(
                id=f"logstash[{len(targets)}]",
                role=Role.LOGSTASH,
                url=address,
                scheme="tcp",
                host=host,
                port=int(port),
                tls=tls,
                credentials=creds,
                setting=item.setting,
            )
        )
    return targets


# ---------------------------------------------------------------------------------------------


def build_targets(reader: Reader, beat: str, base_dir: str, cloud: CloudState) -> List[Target]:
    """Every target in contract order: elasticsearch[i], kibana, monitoring[i], logstash[i]."""
    outputs = active_outputs(reader)
    if not outputs:
        reader.report.add(
            "config-no-output",
            "No enabled output is configured; the Beat refuses to start: No outputs are defined. "
            "Please define one under the output section.",
            location=reader.location("output"),
        )
    elif len(outputs) > 1:
        reader.report.add(
            "config-multiple-outputs",
            f"{len(outputs)} outputs are enabled ({', '.join('output.' + o for o in outputs)}); the Beat "
            "refuses to start: more than one namespace configured accessing 'output'.",
            location=reader.location("output"),
            outputs=", ".join("output." + o for o in outputs),
        )
    es_active = "elasticsearch" in outputs
    targets: List[Target] = []
    if es_active:
        targets.extend(elasticsearch_targets(reader, base_dir, cloud, index_pattern(reader, beat)))
    if wants_kibana(reader, cloud):
        kibana = kibana_target(reader, base_dir, cloud, es_active and len(outputs) == 1)
        if kibana is not None:
            targets.append(kibana)
    targets.extend(monitoring_targets(reader, base_dir, es_active and len(outputs) == 1, cloud))
    if "logstash" in outputs:
        targets.extend(logstash_targets(reader, base_dir))
    for name in outputs:
        if name not in ("elasticsearch", "logstash"):
            reader.report.add(
                "config-output-unsupported",
                f"The enabled output is output.{name}; esprobe does not check it.",
                setting=f"output.{name}",
                location=reader.location(f"output.{name}"),
            )
    return targets
