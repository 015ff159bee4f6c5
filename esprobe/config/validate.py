"""
The checks the Beat makes while unpacking a section into its config struct, before it starts:
go-ucfg's type conversions (reify.go), the ``validate`` tags (validator.go) and the structs'
``Validate()`` methods, worded as the Beat words them (``requires value <= 9 accessing
'output.elasticsearch.compression_level'``).

Which fields are checked, and how, is written from upstream:

- ``libbeat/outputs/elasticsearch/config.go`` (compression_level ``min=0, max=9``, bulk_max_size,
  max_retries, escape_html, loadbalance, allow_older_versions, backoff.*, kerberos),
- ``libbeat/outputs/hosts.go`` (hosts ``required``, worker / workers),
- ``libbeat/common/transport/kerberos/config.go`` (auth_type, config_path and realm ``required``;
  Validate),
- ``libbeat/monitoring/report/elasticsearch/config.go`` (compression_level ``min=0, max=9``,
  bulk_max_size ``min=0``, metrics.period, state.period, buffer_size, max_retries, backoff.*),
- ``libbeat/monitoring/report/report.go`` (one reporter namespace, of a registered type),
- elastic-agent-libs ``kibana/client_config.go`` (retry.max_retries, retry.retry_on_status,
  ignoreversion) and ``transport/httpcommon/httpcommon.go`` (ssl, timeout,
  idle_connection_timeout, proxy_disable), shared by all three.

The api_key + username/password rules (the Validate() methods) are judged where credentials are
read (targets.py); the ssl block's own names where it is read (tls.py).
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from esprobe.config import gotext
from esprobe.config.settings import ERROR, MISSING, Reader
from esprobe.config.tree import Node

__all__ = [
    "go_parse_duration",
    "validate_elasticsearch_output",
    "validate_kibana",
    "validate_monitoring",
    "validate_monitoring_reporters",
]

# time.ParseDuration's units (src/time/format.go unitMap), in nanoseconds.
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}
_MAX_DURATION = 2**63 - 1


class DurationError(ValueError):
    """Go's own words, e.g. ``time: invalid duration "abc"``."""


def _go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def go_parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` (src/time/format.go), in nanoseconds. Raises DurationError."""
    orig, s = text, text
    invalid = DurationError(f"time: invalid duration {_go_quote(orig)}")
    negative = False
    if s and s[0] in "+-":
        negative, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if s == "":
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or s[0].isdigit() and s[0].isascii()):
            raise invalid
        i = 0
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        whole, s, pre = s[:i], s[i:], i > 0
        fraction, post = "", False
        if s.startswith("."):
            s = s[1:]
            j = 0
            while j < len(s) and "0" <= s[j] <= "9":
                j += 1
            fraction, s, post = s[:j], s[j:], j > 0
        if not pre and not post:
            raise invalid
        k = 0
        while k < len(s) and not (s[k] == "." or "0" <= s[k] <= "9"):
            k += 1
        if k == 0:
            raise DurationError(f"time: missing unit in duration {_go_quote(orig)}")
        unit, s = s[:k], s[k:]
        if unit not in _UNITS:
            raise DurationError(f"time: unknown unit {_go_quote(unit)} in duration {_go_quote(orig)}")
        scale = _UNITS[unit]
        value = int(whole or "0") * scale
        if fraction:
            value += int(int(fraction) * scale / 10 ** len(fraction))
        total += value
        if total > _MAX_DURATION + (1 if negative else 0):
            raise invalid
    return -total if negative else total


# ---------------------------------------------------------------------------------------------


def _ucfg_type(value: Any) -> str:
    """go-ucfg's type names (types.go typ): a positive integer is normalised to a uint."""
    if isinstance(value, Node):
        return "object"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "uint" if value > 0 else "int"
    return gotext.type_name(value)


class _Checker:
    """Reads raw values of one section and records the Beat's refusal for each bad one."""

    def __init__(self, reader: Reader, section: str) -> None:
        self.reader = reader
        self.prefix = section

    def path(self, name: str) -> str:
        if not name:
            return self.prefix
        return f"{self.prefix}.{name}" if self.prefix else name

    def value(self, name: str) -> Tuple[Any, Optional[str]]:
        value, node, _ = self.reader.resolve(self.path(name))
        if value is MISSING or value is ERROR:
            return MISSING, None
        return value, node.location if node is not None else None

    def refuse(self, name: str, location: Optional[str], shown: str, words: str, fix: str) -> None:
        setting = self.reader.display(self.path(name))
        self.reader.report.add(
            "config-invalid-value",
            f"{setting} is {shown}; the Beat refuses to start: {words}.",
            setting=setting,
            location=location,
            fix=fix,
        )

    def _accessing(self, name: str) -> str:
        return f"accessing '{self.reader.display(self.path(name))}'"

    @staticmethod
    def _shown(value: Any) -> str:
        if isinstance(value, Node):
            return "a list" if value.is_list else "a section"
        if isinstance(value, str):
            return f"'{value}'"
        return f"{gotext.to_string(value)} ({_ucfg_type(value)})"

    # -- go-ucfg conversions (reify.go) -----------------------------------------------------

    def integer(self, name: str, minimum: Optional[int] = None, maximum: Optional[int] = None) -> None:
        value, location = self.value(name)
        if value is MISSING or value is None:
            return  # absent or nil: the default stays, and the validators see the default
        number: Optional[int] = None
        if isinstance(value, bool) or isinstance(value, Node):
            pass
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value)  # cfgFloat.toInt truncates
        elif isinstance(value, str):
            number = gotext.parse_int(value)  # cfgString.toInt: strconv.ParseInt(s, 0, 64)
        if number is None:
            self.refuse(name, location, self._shown(value),
                        f"can not convert '{_ucfg_type(value)}' into 'int' {self._accessing(name)}",
                        f"Write {self.reader.display(self.path(name))} as a whole number.")
            return
        if minimum is not None and number < minimum:
            self.refuse(name, location, str(number), f"requires value >= {minimum} {self._accessing(name)}",
                        f"Use a value of at least {minimum}.")
        elif maximum is not None and number > maximum:
            self.refuse(name, location, str(number), f"requires value <= {maximum} {self._accessing(name)}",
                        f"Use a value of at most {maximum}.")

    def integer_list(self, name: str) -> None:
        value, location = self.value(name)
        if not isinstance(value, Node) or not value.is_list:
            if value is not MISSING and value is not None and not isinstance(value, Node):
                # a single scalar is a one-element list
                self.integer(name)
            return
        for i, _ in enumerate(value.value):
            self.integer(f"{name}.{i}")

    def duration(self, name: str) -> None:
        value, location = self.value(name)
        if value is MISSING or value is None:
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return  # a number counts as seconds (reifyDuration)
        if isinstance(value, Node):
            self.refuse(name, location, self._shown(value), f"type mismatch {self._accessing(name)}",
                        "Write a duration such as 90s, 1m30s or 500ms.")
            return
        text = gotext.to_string(value)
        try:
            go_parse_duration(text)
        except DurationError as err:
            self.refuse(name, location, f"'{text}'", f"{err} {self._accessing(name)}",
                        "Write a duration with a unit (ns, us, ms, s, m, h), such as 90s or 1m30s.")

    def boolean(self, name: str) -> None:
        value, location = self.value(name)
        if value is MISSING or value is None or isinstance(value, bool):
            return
        if isinstance(value, str) and value in ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE",
                                                 "false", "False"):
            return  # cfgString.toBool is strconv.ParseBool
        self.refuse(name, location, self._shown(value),
                    f"can not convert '{_ucfg_type(value)}' into 'bool' {self._accessing(name)}",
                    f"Write {self.reader.display(self.path(name))} as true or false.")

    def section(self, name: str) -> bool:
        """A sub-struct: a scalar there cannot be unpacked (raiseExpectedObject). True when usable."""
        value, location = self.value(name)
        if value is MISSING or value is None:
            return False
        if isinstance(value, Node):
            return True
        setting = self.reader.display(self.path(name))
        self.refuse(name, location, self._shown(value),
                    f"required 'object', but found '{_ucfg_type(value)}' in field '{setting}'",
                    f"{setting} is a section: write its settings under it (e.g. {setting}.enabled: true), "
                    f"or remove it.")
        return False

    def required_string(self, name: str) -> str:
        value, location = self.value(name)
        if value is MISSING or value is None or value == "":
            self.refuse(name, location or self.reader.location(self.path("")), "missing or empty",
                        f"string value is not set {self._accessing(name)}",
                        f"Set {self.reader.display(self.path(name))}.")
            return ""
        return gotext.to_string(value) if not isinstance(value, Node) else ""


def _transport(check: _Checker) -> None:
    """httpcommon.HTTPTransportSettings, inlined into every HTTP client section."""
    check.section("ssl")
    check.duration("timeout")
    check.duration("idle_connection_timeout")
    check.boolean("proxy_disable")


def _kerberos(check: _Checker) -> None:
    if not check.section("kerberos"):
        return
    check.boolean("kerberos.enabled")
    check.boolean("kerberos.enable_krb5_fast")
    value, location = check.value("kerberos.auth_type")
    auth_type = gotext.to_string(value) if value is not MISSING and value is not None else ""
    if value is MISSING or value is None:
        check.refuse("kerberos.auth_type", location or check.reader.location(check.path("kerberos")), "missing",
                     f"missing required field {check._accessing('kerberos.auth_type')}",
                     "Set kerberos.auth_type to password or keytab.")
    elif auth_type not in ("password", "keytab"):
        check.refuse("kerberos.auth_type", location, f"'{auth_type}'",
                     f"invalid authentication type '{auth_type}' {check._accessing('kerberos.auth_type')}",
                     "Set kerberos.auth_type to password or keytab.")
    check.required_string("kerberos.config_path")
    check.required_string("kerberos.realm")
    section = check.reader.display(check.path("kerberos"))
    where = check.reader.location(check.path("kerberos"))
    if auth_type == "password":
        for key in ("username", "password"):
            found, _ = check.value(f"kerberos.{key}")
            if found is MISSING or found in (None, ""):
                check.refuse("kerberos", where, f"set to password authentication without {key}",
                             f"password authentication is selected for Kerberos, but {key} is not configured "
                             f"{check._accessing('kerberos')}", f"Set {section}.{key}.")
                break
    elif auth_type == "keytab":
        found, _ = check.value("kerberos.keytab")
        if found is MISSING or found in (None, ""):
            check.refuse("kerberos", where, "set to keytab authentication without a keytab",
                         "keytab authentication is selected for Kerberos, but path to keytab is not configured "
                         f"{check._accessing('kerberos')}", f"Set {section}.keytab.")


def validate_elasticsearch_output(reader: Reader, section: str = "output.elasticsearch") -> None:
    """elasticsearchConfig, hostWorkerCfg and the transport settings of the output."""
    check = _Checker(reader, section)
    check.integer("compression_level", 0, 9)
    check.integer("bulk_max_size")
    check.integer("max_retries")
    check.integer("worker")
    check.integer("workers")
    for name in ("escape_html", "loadbalance", "allow_older_versions"):
        check.boolean(name)
    check.duration("backoff.init")
    check.duration("backoff.max")
    _transport(check)
    _kerberos(check)


def validate_monitoring(view: Reader) -> None:
    """The monitoring reporter's config struct, on its merged settings (a view named monitoring.elasticsearch)."""
    check = _Checker(view, "")
    check.integer("compression_level", 0, 9)
    check.integer("bulk_max_size", 0)
    check.integer("max_retries")
    check.integer("buffer_size")
    for name in ("metrics.period", "state.period", "backoff.init", "backoff.max"):
        check.duration(name)
    _transport(check)


def validate_kibana(reader: Reader, section: str = "setup.kibana") -> None:
    """kibana.ClientConfig (elastic-agent-libs); findings soften to warnings where setup.kibana is setup-only."""
    check = _Checker(reader, section)
    check.integer("retry.max_retries")
    check.integer_list("retry.retry_on_status")
    check.boolean("ignoreversion")
    _transport(check)


def validate_monitoring_reporters(reader: Reader, cloud_removed: bool) -> List[str]:
    """
    report.go getReporterConfig: every enabled sub-section of ``monitoring`` is a reporter
    namespace (config.Namespace: more than one is an error) and its name must be a registered
    reporter (only ``elasticsearch``). ``monitoring.cloud`` is removed first when cloud.id or
    cloud.auth is set in it (elastic-agent-libs monitoring/cloudid.go). Returns the reporter names.
    """
    names: List[str] = []
    for key in reader.keys("monitoring"):
        if key == "cloud" and cloud_removed:
            continue
        node = reader.node(f"monitoring.{key}")
        if node is None or not node.is_container:
            continue  # a scalar is not a namespace (collectSubObject skips it)
        if node.is_dict and not reader.enabled(f"monitoring.{key}"):
            continue
        names.append(key)
    if len(names) > 1:
        reader.report.add(
            "config-monitoring-reporter-invalid",
            f"monitoring has {len(names)} reporter sections ({', '.join('monitoring.' + n for n in names)}); the "
            "Beat takes exactly one and refuses to start: more than one namespace configured accessing 'monitoring'.",
            setting="monitoring",
            location=reader.location(f"monitoring.{names[1]}"),
            fix="Keep only monitoring.elasticsearch (or set enabled: false in the others).",
        )
    elif names and names[0] != "elasticsearch":
        name = names[0]
        reader.report.add(
            "config-monitoring-reporter-invalid",
            f"monitoring.{name} is the monitoring reporter, but the Beat only has an elasticsearch reporter; it "
            f"refuses to start: unknown reporter type '{name}'.",
            setting=f"monitoring.{name}",
            location=reader.location(f"monitoring.{name}"),
            fix=f"Send monitoring data to Elasticsearch with monitoring.elasticsearch instead of monitoring.{name}.",
        )
    return names
