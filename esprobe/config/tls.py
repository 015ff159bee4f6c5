"""
An ``ssl.*`` block -> `TlsSettings`, validated with the Beat's names and error texts
(elastic-agent-libs transport/tlscommon/tls_config.go, types.go). Reading CA/certificate/key files happens here;
a file that cannot be read is recorded in `PemSource.error` for the TLS stage, not as a
config finding.
"""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

from esprobe.config.settings import ERROR, MISSING, Reader
from esprobe.config.source import go_error, read_text
from esprobe.config.tree import Node
from esprobe.model import PemSource, TlsSettings
from esprobe.record import record

__all__ = ["TlsBlock", "read_tls", "VERIFICATION_MODES", "PROTOCOLS", "CIPHER_SUITES", "CURVES", "RENEGOTIATION"]

VERIFICATION_MODES = ("full", "strict", "certificate", "none")
# Integer forms the Beat accepts, in its internal enum order.
_MODE_BY_NUMBER = {0: "full", 1: "none", 2: "certificate", 3: "strict"}

PROTOCOLS = ("TLSv1", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")

# The Beat's own spellings (elastic-agent-libs transport/tlscommon/types.go), including its "POLY1205"
# typo, which is the only spelling it accepts for that suite.
CIPHER_SUITES = (
    "ECDHE-ECDSA-AES-128-CBC-SHA",
    "ECDHE-ECDSA-AES-128-CBC-SHA256",
    "ECDHE-ECDSA-AES-128-GCM-SHA256",
    "ECDHE-ECDSA-AES-256-CBC-SHA",
    "ECDHE-ECDSA-AES-256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-RC4-128-SHA",
    "ECDHE-RSA-3DES-CBC3-SHA",
    "ECDHE-RSA-AES-128-CBC-SHA",
    "ECDHE-RSA-AES-128-CBC-SHA256",
    "ECDHE-RSA-AES-128-GCM-SHA256",
    "ECDHE-RSA-AES-256-CBC-SHA",
    "ECDHE-RSA-AES-256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1205",
    "ECDHE-RSA-RC4-128-SHA",
    "RSA-RC4-128-SHA",
    "RSA-3DES-CBC3-SHA",
    "RSA-AES-128-CBC-SHA",
    "RSA-AES-128-CBC-SHA256",
    "RSA-AES-128-GCM-SHA256",
    "RSA-AES-256-CBC-SHA",
    "RSA-AES-256-GCM-SHA384",
    "TLS-AES-128-GCM-SHA256",
    "TLS-AES-256-GCM-SHA384",
    "TLS-CHACHA20-POLY1305-SHA256",
)

# Newer libs add the hybrid post-quantum groups; accepting them avoids failing a config that a
# current Beat takes.
CURVES = ("P-256", "P-384", "P-521", "X25519", "X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024")

RENEGOTIATION = ("never", "once", "freely")


@record
class TlsBlock:
    """
    One ``ssl`` block as read.

    Attributes:
        settings: the validated settings (defaults when the block is absent).
        configured: the ``ssl`` key exists.
        enabled: configured and ``ssl.enabled`` is not false.
        client_cert: both ``certificate`` and ``key`` are set.
    """

    settings: TlsSettings
    configured: bool
    enabled: bool
    client_cert: bool = False


def is_inline_pem(value: str) -> bool:
    """The Beat's rule: after trimming, a value starting with '-' is PEM, anything else a path."""
    return value.strip().startswith("-")


def _resolve(base_dir: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base_dir, path))


def _pem(setting: str, value: str, base_dir: str, load: bool, what: str) -> PemSource:
    if is_inline_pem(value):
        return PemSource(setting=setting, path=None, data=value.encode("utf-8"))
    path = _resolve(base_dir, value)
    if not load:
        return PemSource(setting=setting, path=path)
    try:
        data = read_text(path)
    except OSError as err:
        op = "read" if isinstance(err, IsADirectoryError) else "open"
        reason = go_error(op, path, err) if err.errno else f"{op} {path}: {err.strerror}"
        prefix = "failed reading CA certificate: " if what == "ca" else ""
        return PemSource(setting=setting, path=path, error=prefix + reason)
    return PemSource(setting=setting, path=path, data=data)


def _relative_path_note(reader: Reader, setting: str, value: str, base_dir: str) -> None:
    """
    elastic-agent-libs opens ssl file settings exactly as written (tlscommon NewPEMReader: os.Open),
    so a relative path is relative to the Beat's working directory, not to its config directory,
    where esprobe looks. With a tar install the Beat runs from its home (= config) directory and
    the two agree; a config under /etc is a deb/rpm install, run by systemd from /: say so there.
    """
    if is_inline_pem(value) or os.path.isabs(value) or not os.path.abspath(base_dir).startswith("/etc/"):
        return
    if getattr(reader, "workdir_known", False):
        return
    reader.report.add(
        "config-ssl-relative-path",
        f"{setting} is the relative path {value!r}: esprobe read {_resolve(base_dir, value)}, but the Beat "
        "opens it relative to its own working directory, which is / when systemd starts it.",
        setting=setting,
    )


def read_tls(reader: Reader, prefix: str, base_dir: str) -> TlsBlock:
    """
    Read ``<prefix>.*`` (e.g. ``output.elasticsearch.ssl``). Invalid names and a certificate
    without key become FAIL findings, as they stop the Beat; *base_dir* anchors relative paths
    (esprobe uses ``path.config``).
    """
    shown = reader.display(prefix)
    configured = reader.has(prefix)
    if not configured:
        return TlsBlock(TlsSettings(prefix=shown), False, False)
    enabled = reader.enabled(prefix)

    mode = _verification_mode(reader, f"{prefix}.verification_mode")
    protocols = _names(reader, f"{prefix}.supported_protocols", PROTOCOLS, "invalid tls version")
    ciphers = _names(reader, f"{prefix}.cipher_suites", CIPHER_SUITES, "invalid tls cipher suite", numeric_ok=True)
    curves = _names(reader, f"{prefix}.curve_types", CURVES, "invalid tls curve type")
    renegotiation = reader.string(f"{prefix}.renegotiation", "never") or "never"
    if renegotiation not in RENEGOTIATION:
        _invalid_name(reader, f"{prefix}.renegotiation", renegotiation, RENEGOTIATION, "invalid tls renegotiation type")
        renegotiation = "never"

    cas: List[PemSource] = []
    for item in reader.string_list(f"{prefix}.certificate_authorities") or []:
        if item.text.strip():
            cas.append(_pem(item.setting, item.text, base_dir, enabled, "ca"))
            _relative_path_note(reader, item.setting, item.text, base_dir)
    d = reader.display

    cert_text = reader.string(f"{prefix}.certificate")
    key_text = reader.string(f"{prefix}.key", secret=is_inline_pem(reader.string(f"{prefix}.key")))
    certificate = key = None
    if cert_text and not key_text:
        reader.report.add(
            "config-ssl-cert-key-pair",
            f"{d(prefix + '.certificate')} is set but {d(prefix + '.key')} is not; the Beat refuses "
            "to start: key file not configured.",
            setting=d(f"{prefix}.key"),
            location=reader.location(f"{prefix}.certificate"),
            prefix=shown,
        )
    elif key_text and not cert_text:
        reader.report.add(
            "config-ssl-cert-key-pair",
            f"{d(prefix + '.key')} is set but {d(prefix + '.certificate')} is not; the Beat refuses "
            "to start: certificate file not configured.",
            setting=d(f"{prefix}.certificate"),
            location=reader.location(f"{prefix}.key"),
            prefix=shown,
        )
    elif cert_text and key_text:
        certificate = _pem(d(f"{prefix}.certificate"), cert_text, base_dir, enabled, "certificate")
        key = _pem(d(f"{prefix}.key"), key_text, base_dir, enabled, "key")
        _relative_path_note(reader, d(f"{prefix}.certificate"), cert_text, base_dir)
        _relative_path_note(reader, d(f"{prefix}.key"), key_text, base_dir)

    passphrase, passphrase_setting = _passphrase(reader, prefix, base_dir, enabled)

    settings = TlsSettings(
        prefix=shown,
        verification_mode=mode,
        certificate_authorities=tuple(cas),
        certificate=certificate,
        key=key,
        key_passphrase=passphrase,
        key_passphrase_setting=passphrase_setting,
        supported_protocols=tuple(protocols),
        cipher_suites=tuple(ciphers),
        curve_types=tuple(curves),
        ca_trusted_fingerprint=reader.string(f"{prefix}.ca_trusted_fingerprint") or None,
        ca_sha256=tuple(i.text for i in reader.string_list(f"{prefix}.ca_sha256") or [] if i.text),
        renegotiation=renegotiation,
    )
    return TlsBlock(settings, True, enabled, client_cert=certificate is not None and key is not None)


def _verification_mode(reader: Reader, path: str) -> str:
    value, node, _ = reader.resolve(path)
    location = node.location if node is not None else None
    setting = reader.display(path)
    if value is MISSING or value is None or value == "" or value is ERROR:
        return "full"  # unset, null or empty means the default; an unresolved variable is reported
    if isinstance(value, Node):
        _wrong_mode_type(reader, setting, location, "object")
        return "full"
    if isinstance(value, bool) or isinstance(value, float):
        _wrong_mode_type(reader, setting, location, "bool" if isinstance(value, bool) else "float64")
        return "full"
    if isinstance(value, int):
        if value in _MODE_BY_NUMBER:
            return _MODE_BY_NUMBER[value]
        reader.report.add(
            "config-ssl-verification-mode",
            f"{setting} is the number {value}; the Beat refuses to start: unsupported verification mode: {value}.",
            setting=setting,
            location=location,
        )
        return "full"
    value = str(value)
    if value in VERIFICATION_MODES:
        return value
    hint_case = " (the match is case-sensitive)" if value.lower() in VERIFICATION_MODES else ""
    reader.report.add(
        "config-ssl-verification-mode",
        f"{setting} is '{value}'{hint_case}; the Beat refuses to start: unknown verification mode "
        f"'{value}' accessing '{setting}'.",
        setting=setting,
        location=location,
    )
    return "full"


def _wrong_mode_type(reader: Reader, setting: str, location: Optional[str], kind: str) -> None:
    reader.report.add(
        "config-ssl-verification-mode",
        f"{setting} is not a string ({kind}); the Beat refuses to start: verification mode is an "
        f"unknown type: {kind}. (YAML reads unquoted yes/no/on/off as booleans.)",
        setting=setting,
        location=location,
    )


def _invalid_name(reader: Reader, path: str, value: str, allowed: Tuple[str, ...], beat_text: str) -> None:
    setting = reader.display(path)
    reader.report.add(
        "config-ssl-invalid-name",
        f"{setting} contains '{value}', which the Beat does not know; it refuses to start: "
        f"{beat_text} '{value}' accessing '{setting}'.",
        setting=setting,
        location=reader.location(path),
        allowed=", ".join(allowed),
    )


def _names(
    reader: Reader, setting: str, allowed: Tuple[str, ...], beat_text: str, numeric_ok: bool = False
) -> List[str]:
    names: List[str] = []
    for item in reader.string_list(setting) or []:
        if item.text in allowed or (numeric_ok and item.text.isdigit()):
            names.append(item.text)
        else:
            _invalid_name(reader, setting, item.text, allowed, beat_text)
    return names


def _passphrase(reader: Reader, prefix: str, base_dir: str, enabled: bool) -> Tuple[Optional[str], Optional[str]]:
    inline = reader.string(f"{prefix}.key_passphrase", secret=True)
    if inline:
        return inline, reader.display(f"{prefix}.key_passphrase")
    path_setting = f"{prefix}.key_passphrase_path"
    path_text = reader.string(path_setting)
    if not path_text:
        return None, None
    path = _resolve(base_dir, path_text)
    if not enabled:
        return None, reader.display(path_setting)
    try:
        data = read_text(path, limit=64 * 1024)
    except OSError as err:
        reason = go_error("open", path, err) if err.errno else f"open {path}: {err.strerror}"
        reader.report.add(
            "config-ssl-passphrase-unreadable",
            f"{reader.display(path_setting)} cannot be read; the Beat cannot load its TLS settings: unable to read "
            f"passphrase_file: {reason}.",
            setting=reader.display(path_setting),
            location=reader.location(path_setting),
        )
        return None, reader.display(path_setting)
    # Used verbatim: a trailing newline written by `echo` becomes part of the passphrase.
    passphrase = data.decode("utf-8", "surrogateescape")
    reader.redactor.add(passphrase, reader.display(path_setting))
    return passphrase, reader.display(path_setting)
