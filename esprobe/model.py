"""Frozen value types shared by every part of esprobe: what a target is, what a stage found."""

from __future__ import annotations

import enum
import re
from dataclasses import field
from typing import Any, Iterable, Mapping, Optional, Tuple

from esprobe.exit_codes import EXIT_FOR_STATUS
from esprobe.record import record
from esprobe.rulesets import RuleSet


class Status(str, enum.Enum):
    """Outcome of one stage, one target or the whole run. The ``str`` values are the JSON contract."""

    OK = "ok"
    WARN = "warn"  # the Beat gets through, but something needs attention
    FAIL = "fail"  # the Beat will not get through this stage
    SKIPPED = "skipped"  # not run: an earlier stage failed, or it does not apply
    ERROR = "error"  # esprobe itself failed inside the stage (a bug)
    UNKNOWN = "unknown"  # only for targets and runs: esprobe could not judge

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Status.OK: 0,
    Status.SKIPPED: 0,
    Status.WARN: 1,
    Status.FAIL: 2,
    Status.ERROR: 3,
    Status.UNKNOWN: 3,
}


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe of *statuses* (``OK`` for none); a skip never outranks ``OK``."""
    result = Status.OK
    for status in statuses:
        if status.severity > result.severity:
            result = status
    return result


class Stage(str, enum.Enum):
    """The per-target stages, in the order docs/report-contract.md fixes."""

    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HOSTNAME = "hostname"
    HTTP = "http"
    AUTH = "auth"
    PRIVILEGES = "privileges"


STAGE_ORDER: Tuple[Stage, ...] = tuple(Stage)


class Role(str, enum.Enum):
    """Why the Beat talks to a target."""

    ELASTICSEARCH = "elasticsearch"
    KIBANA = "kibana"
    MONITORING = "monitoring"
    LOGSTASH = "logstash"


class Severity(str, enum.Enum):
    WARN = "warn"
    FAIL = "fail"


_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@record
class Finding:
    """
    One thing esprobe noticed, worded for whoever has to fix the Beat.

    Attributes:
        code: stable kebab-case id listed in docs/findings.md; never renamed.
        severity: ``warn`` (the Beat still gets through) or ``fail``.
        message: what was observed, in one or two sentences, without advice.
        hint: what to change, naming the setting.
        setting: the Beat setting concerned (``output.elasticsearch.ssl.certificate_authorities``),
            or None when no single setting is to blame.
        location: ``file:line`` in the Beat's YAML where the setting was read, when known.
        blocking: for a ``fail``, whether it stops the stages that build on this one. An operator's
            alarm (a certificate within --crit-days) fails the run but not the connection, so the
            later stages still run; see `blocks`.
    """

    code: str
    severity: Severity
    message: str
    hint: str = ""
    setting: Optional[str] = None
    location: Optional[str] = None
    blocking: bool = True

    def __post_init__(self) -> None:
        if not _KEBAB.match(self.code):  # pip asserts the same of its references
            raise ValueError(f"finding code {self.code!r} is not kebab-case")

    @property
    def status(self) -> Status:
        return Status.FAIL if self.severity is Severity.FAIL else Status.WARN

    @property
    def blocks(self) -> bool:
        """True for a failure that stops later stages (a warning never does)."""
        return self.severity is Severity.FAIL and self.blocking


@record
class StageResult:
    """
    The outcome of one stage against one target.

    Attributes:
        stage: which stage produced this result.
        status: the verdict.
        summary: one line a person reads first.
        findings: why the status is not ``ok``; the worst finding sets the status (see
            `stage_result`), so an ``ok`` stage has none.
        details: docs/report-contract.md's ``details`` keys for this stage, plain JSON-able data.
        duration_ms: wall time spent in the stage.
        observation: what the network layer saw, handed to the next stage; never rendered.
        error_trace: formatted traceback, only when status is ``error``.
    """

    stage: Stage
    status: Status
    summary: str
    findings: Tuple[Finding, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    observation: Any = field(default=None, repr=False, compare=False)
    error_trace: Optional[str] = field(default=None, repr=False)
    applicable: bool = True  # False for a skip because the stage does not apply (no TLS on http://)

    @property
    def passed(self) -> bool:
        """
        True when later stages may build on this one: it passed, it does not apply, or it failed only
        on findings that do not block (the connection works; an alarm such as a near expiry fired).
        """
        if self.status in (Status.OK, Status.WARN) or not self.applicable:
            return True
        return self.status is Status.FAIL and bool(self.findings) and not any(f.blocks for f in self.findings)


def stage_result(
    stage: Stage,
    summary: str,
    findings: Iterable[Finding] = (),
    details: Optional[Mapping[str, Any]] = None,
    observation: Any = None,
) -> StageResult:
    """Build a result whose status follows from its findings: the worst finding decides."""
    found = tuple(findings)
    status = worst(f.status for f in found)
    return StageResult(stage, status, summary, found, dict(details or {}), observation=observation)


def skipped(
    stage: Stage, why: str, details: Optional[Mapping[str, Any]] = None, *, applicable: bool = True
) -> StageResult:
    """A stage not run: *why* says whether an earlier stage blocked it or it does not apply."""
    return StageResult(stage, Status.SKIPPED, why, details=dict(details or {}), applicable=applicable)


def not_applicable(stage: Stage, why: str, details: Optional[Mapping[str, Any]] = None) -> StageResult:
    return skipped(stage, f"not applicable: {why}", details, applicable=False)


# --------------------------------------------------------------------------------------------
# What the configuration yields: targets with their TLS settings and credentials.


@record
class PemSource:
    """
    One PEM input as the Beat reads it: a file path or inline PEM (a value starting with ``-``).

    Attributes:
        setting: where it was configured, e.g. ``output.elasticsearch.ssl.certificate_authorities.0``.
        path: the file path, or None for inline PEM.
        data: the bytes read, or None when they could not be read (see *error*).
        error: why the file could not be read, worded like the Beat's error, or None.
    """

    setting: str
    path: Optional[str]
    data: Optional[bytes] = field(default=None, repr=False)
    error: Optional[str] = None

    @property
    def label(self) -> str:
        return self.path if self.path is not None else f"inline PEM in {self.setting}"


@record
class TlsSettings:
    """
    The ``ssl.*`` block of one output or endpoint, validated the Beat's way.

    Attributes:
        prefix: the settings prefix, e.g. ``output.elasticsearch.ssl``; findings name keys under it.
        verification_mode: ``full`` | ``strict`` | ``certificate`` | ``none``.
        certificate_authorities: configured CA entries; empty means the OS trust store.
        certificate / key: the client certificate and its key, both or neither.
        key_passphrase: the passphrase (from ``key_passphrase``, else read verbatim from
            ``key_passphrase_path``), or None.
        supported_protocols: names as configured (``TLSv1.2``); empty means the Beat's defaults.
        cipher_suites: the Beat's cipher names as configured; empty means Go's defaults.
        curve_types: the Beat's curve names as configured.
        ca_trusted_fingerprint: hex SHA-256 of a CA certificate, exactly as configured.
        ca_sha256: base64 SHA-256 SPKI pins.
        renegotiation: ``never`` | ``once`` | ``freely``.
    """

    prefix: str
    verification_mode: str = "full"
    certificate_authorities: Tuple[PemSource, ...] = ()
    certificate: Optional[PemSource] = None
    key: Optional[PemSource] = field(default=None, repr=False)
    key_passphrase: Optional[str] = field(default=None, repr=False)
    key_passphrase_setting: Optional[str] = None
    supported_protocols: Tuple[str, ...] = ()
    cipher_suites: Tuple[str, ...] = ()
    curve_types: Tuple[str, ...] = ()
    ca_trusted_fingerprint: Optional[str] = None
    ca_sha256: Tuple[str, ...] = ()
    renegotiation: str = "never"


@record
class Credentials:
    """
    What the Beat sends to authenticate, already resolved (fallbacks and userinfo applied).

    Attributes:
        method: ``basic`` | ``api_key`` | ``pki`` | ``none``; ``pki`` only when a client
            certificate is the sole credential.
        username / password: sent as HTTP basic auth when either is non-empty.
        api_key: the raw ``id:key`` value the Beat base64-encodes itself.
        source: where the credentials came from, for the report
            (``output.elasticsearch``, ``URL userinfo``, ``cloud.auth``,
            ``fallback from output.elasticsearch``, ``monitoring default user``).
        setting: the setting of the credential the Beat sends (its password, API key or client
            certificate, wherever it came from), or None when it sends none.
        field_settings: ``(field, setting)`` for each of ``username``/``password``/``api_key``
            read from somewhere other than the target's own section (Kibana's per-field fallback
            to output.elasticsearch, URL userinfo, cloud.auth, monitoring's inheritance).
    """

    method: str = "none"
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    api_key: Optional[str] = field(default=None, repr=False)
    source: str = ""
    setting: Optional[str] = None
    field_settings: Tuple[Tuple[str, str], ...] = ()


# The section of the Beat's config each role is read from, and its hosts setting.
SECTION: Mapping[Role, str] = {
    Role.ELASTICSEARCH: "output.elasticsearch",
    Role.KIBANA: "setup.kibana",
    Role.MONITORING: "monitoring.elasticsearch",
    Role.LOGSTASH: "output.logstash",
}
_HOSTS_KEY: Mapping[Role, str] = {Role.KIBANA: "host"}


@record
class SettingNames:
    """
    The names of the Beat settings that configure one target: what findings name as the setting
    to change. Built by `Target.settings`, the one place that knows them.

    Attributes:
        section: ``output.elasticsearch`` | ``setup.kibana`` | ``monitoring.elasticsearch`` |
            ``output.logstash``.
        hosts: the host entry the target came from (``output.elasticsearch.hosts.0``), else the
            role's hosts setting.
        ssl: the ``ssl`` block the target's TLS settings were read from.
        username / password / api_key: where each credential field was read from (the target's
            own section unless it came from elsewhere, e.g. Kibana's fallback to the output's).
        credential: the setting of the credential the Beat sends; when it sends none, the
            setting to add (``<section>.username``).
        proxy_url / proxy_disable: the proxy settings of the section.
    """

    section: str
    hosts: str
    ssl: str
    username: str
    password: str
    api_key: str
    credential: str
    proxy_url: str
    proxy_disable: str


@record
class ProxySettings:
    """``proxy_url`` / ``proxy_disable`` / ``proxy_headers`` as configured (HTTP targets only)."""

    url: Optional[str] = field(default=None, repr=False)  # may carry userinfo: redacted when shown
    disable: bool = False
    headers: Tuple[Tuple[str, str], ...] = field(default=(), repr=False)


@record
class Target:
    """
    One endpoint a Beat talks to, as resolved from its configuration.

    Attributes:
        id: stable id such as ``elasticsearch[0]`` or ``kibana``.
        role: why the Beat talks to it.
        url: the URL the Beat builds (port always explicit, no userinfo); for Logstash
            ``host:port``.
        scheme: ``http`` | ``https`` | ``tcp`` (Logstash).
        host: the host name or IP literal (IPv6 without brackets), as the Beat dials it.
        port: the TCP port.
        path: the URL path (``""`` when none).
        tls: the TLS settings when the connection uses TLS, else None.
        credentials: what the Beat would send.
        headers: custom headers from the config.
        proxy: proxy settings for HTTP targets.
        setting: the config setting this target came from (``output.elasticsearch.hosts.0``).
        index_pattern: for Elasticsearch targets, the index pattern the privileges are checked on.
        space_id: for Kibana, ``setup.kibana.space.id`` or None.
        ssl_ignored: an enabled ``ssl`` block is configured, but the URL is http:// (a scheme-less
            host without ``protocol: https``): the Beat sends plain HTTP and ignores the ssl settings.
        uninherited_ssl: for Kibana, the output's ``ssl`` prefix when that block is configured and
            ``setup.kibana`` has no ``ssl`` of its own: Kibana's client does not take the output's.
        privileges_via: for Kibana, the Elasticsearch host to ask (``_has_privileges``) for the Kibana
            privileges of the Beat's ``setup`` in the space: the output's first host with Kibana's
            credentials (Kibana authenticates them against its Elasticsearch), or None.
    """

    id: str
    role: Role
    url: str
    scheme: str
    host: str
    port: int
    path: str = ""
    tls: Optional[TlsSettings] = None
    credentials: Credentials = field(default_factory=Credentials)
    headers: Tuple[Tuple[str, str], ...] = field(default=(), repr=False)
    proxy: ProxySettings = field(default_factory=ProxySettings)
    setting: str = ""
    index_pattern: Optional[str] = None
    space_id: Optional[str] = None
    query: str = ""
    ssl_ignored: bool = False
    uninherited_ssl: Optional[str] = None
    privileges_via: Optional["Target"] = field(default=None, repr=False)

    @property
    def settings(self) -> SettingNames:
        """The names of this target's settings, for findings (see `SettingNames`)."""
        section = SECTION[self.role]
        fields = dict(self.credentials.field_settings)
        username = fields.get("username", f"{section}.username")
        password = fields.get("password", f"{section}.password")
        api_key = fields.get("api_key", f"{section}.api_key")
        ssl = self.tls.prefix if self.tls is not None else f"{section}.ssl"
        credential = self.credentials.setting or {
            "api_key": api_key,
            "basic": password,
            "pki": (self.tls.certificate.setting if self.tls is not None and self.tls.certificate is not None
                    else f"{ssl}.certificate"),
        }.get(self.credentials.method, username)
        return SettingNames(
            section=section,
            hosts=self.setting or f"{section}.{_HOSTS_KEY.get(self.role, 'hosts')}",
            ssl=ssl,
            username=username,
            password=password,
            api_key=api_key,
            credential=credential,
            proxy_url=f"{section}.proxy_url",
            proxy_disable=f"{section}.proxy_disable",
        )

    @property
    def is_http(self) -> bool:
        return self.role is not Role.LOGSTASH


# --------------------------------------------------------------------------------------------
# What a run yields.


@record
class TargetReport:
    target: Target
    stages: Tuple[StageResult, ...]

    @property
    def status(self) -> Status:
        statuses = [s.status for s in self.stages]
        overall = worst(statuses)
        return Status.UNKNOWN if overall is Status.ERROR else overall

    @property
    def up(self) -> bool:
        """The Beat gets through: no stage is blocked, whatever alarms (expiry thresholds) fired."""
        return all(s.passed or (s.status is Status.SKIPPED and not s.applicable) for s in self.stages) and not any(
            s.status is Status.ERROR for s in self.stages)


@record
class ConfigInfo:
    path: Optional[str]
    beat: str


@record
class Report:
    """The whole run: what the JSON contract serialises and every renderer views."""

    esprobe_version: str
    started_at: str  # ISO 8601 UTC, second precision, "Z" suffix
    duration_ms: float
    config: ConfigInfo
    findings: Tuple[Finding, ...]
    targets: Tuple[TargetReport, ...]
    timestamp: float = 0.0  # the start as a Unix time, for Prometheus
    warn_days: int = 30
    crit_days: int = 7
    rules: Optional[RuleSet] = None  # the Beat/Go rules the verdicts follow (--beat-version)
    # How the Beat is started, with provenance (--service/--pid; see config/service.py), as
    # plain JSON-able data; None when esprobe read -c/-E from its own command line.
    service: Optional[Mapping[str, Any]] = None

    @property
    def status(self) -> Status:
        overall = worst([f.status for f in self.findings] + [t.status for t in self.targets])
        if self.config_unusable:
            return Status.UNKNOWN
        return Status.UNKNOWN if overall is Status.ERROR else overall

    @property
    def config_unusable(self) -> bool:
        """A config-level ``fail`` finding means the Beat would refuse to start: exit 3."""
        return any(f.severity is Severity.FAIL for f in self.findings)

    @property
    def exit_code(self) -> int:
        return EXIT_FOR_STATUS[self.status.value]
