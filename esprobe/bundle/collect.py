"""
What goes into the support bundle besides the report and the config: certificates, name
resolution, proxies and the environment, each as text a support engineer reads without tools.

The builders return text (or PEM bytes); the few files they read (resolv.conf, nsswitch.conf,
os-release, the hosts file) are read here and nowhere else, each bounded. Nothing here redacts:
`esprobe.bundle.write` passes every member through `esprobe.bundle.redact` before it is written.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import shlex
import socket
import ssl
import sys
import time
from importlib import metadata
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from cryptography import x509
from OpenSSL import SSL

from esprobe import __version__
from esprobe.model import PemSource, Stage, StageResult, Target, TargetReport
from esprobe.record import record
from esprobe.untrusted import shown
from esprobe.x509.facts import describe, pem_from_der
from esprobe.x509.system_roots import load_system_roots

RESOLV_CONF = "/etc/resolv.conf"
NSSWITCH_CONF = "/etc/nsswitch.conf"
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
_READ_LIMIT = 1024 * 1024  # system files are small; a huge one is not worth holding in memory

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")

_CERT_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----", re.DOTALL)
_ANY_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_PRIVATE_BLOCK = re.compile(
    rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(.*?)-----END [A-Z0-9 ]*PRIVATE KEY-----", re.DOTALL
)


def _read_text(path: str, limit: int = _READ_LIMIT) -> str:
    """Raises OSError."""
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def _stage(report: TargetReport, stage: Stage) -> Optional[StageResult]:
    for result in report.stages:
        if result.stage is stage:
            return result
    return None


def safe_name(text: str) -> str:
    """A path segment for an archive member: target ids keep their brackets, nothing else odd."""
    cleaned = re.sub(r"[^A-Za-z0-9._\-\[\]]", "_", text).strip(".")
    return cleaned or "_"


# --- certificates ------------------------------------------------------------------------------


def certificate_blocks(data: bytes) -> Tuple[List[bytes], List[str]]:
    """
    The CERTIFICATE blocks of a PEM file (exactly as written), and the types of the other blocks
    left out (``PRIVATE KEY`` ...), for a note: a key never travels, even when it shares the file.
    """
    blocks = [m.group(0) + b"\n" for m in _CERT_BLOCK.finditer(data)]
    others = [m.group(1).decode("ascii") for m in _ANY_BLOCK.finditer(data) if m.group(1) != b"CERTIFICATE"]
    return blocks, others


def private_key_material(data: Optional[bytes]) -> List[str]:
    """
    The base64 body lines of every private key block in *data*: what the final scan of the
    bundle searches for besides the registered secrets (a key file is never registered whole).
    """
    if not data:
        return []
    lines: List[str] = []
    for match in _PRIVATE_BLOCK.finditer(data):
        for raw in match.group(1).splitlines():
            line = raw.strip().decode("ascii", "replace")
            if len(line) >= 16 and ":" not in line:  # skip Proc-Type/DEK-Info headers
                lines.append(line)
    return lines


def _describe_der(der: bytes, now: Optional[_dt.datetime]) -> Tuple[bytes, str]:
    """(PEM, readable text) of one DER certificate; an unparsable one still gets its PEM."""
    pem = pem_from_der(der)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as error:
        return pem, f"(cryptography cannot parse this certificate: {error})\n"
    try:
        return pem, describe(cert, now)
    except Exception as error:
        return pem, f"(cannot describe this certificate: {type(error).__name__}: {error})\n"


def _describe_pem_blocks(blocks: Sequence[bytes], now: Optional[_dt.datetime]) -> List[str]:
    texts: List[str] = []
    for block in blocks:
        try:
            texts.append(describe(x509.load_pem_x509_certificate(block), now))
        except Exception as error:
            texts.append(f"(cannot parse this certificate: {type(error).__name__}: {error})\n")
    return texts


# A certificate's description quotes what its issuer wrote (subject, SAN, extensions): a server
# can put escape sequences there for whoever reads chain.txt with `cat`, and megabytes.
_DESCRIPTION_CHARS = 64 * 1024


def _numbered(texts: Sequence[str], labels: Sequence[str]) -> str:
    parts = []
    for i, (text, label) in enumerate(zip(texts, labels)):
        parts.append(f"--- certificate {i}{label} ---\n{shown(text, _DESCRIPTION_CHARS, newlines=True)}")
    return "\n".join(parts)


def _chain_labels(count: int) -> List[str]:
    return [" (leaf)" if i == 0 else "" for i in range(count)]


def target_certificates(report: TargetReport, now: Optional[_dt.datetime] = None) -> Dict[str, bytes]:
    """
    ``chain.pem`` / ``chain.txt`` (what the server sent, leaf first, also when the TLS stage
    failed) and ``client.pem`` / ``client.txt`` (the configured client certificate, never its
    key), as member names relative to ``certs/<target id>/``. Empty for a target without TLS.
    """
    target = report.target
    if target.tls is None:
        return {}
    files: Dict[str, bytes] = {}
    tls = _stage(report, Stage.TLS)
    probe = tls.observation if tls is not None else None
    chain: Tuple[bytes, ...] = tuple(getattr(probe, "chain", ()) or ())
    handshake = getattr(probe, "handshake", probe)
    head = [f"# {target.id}  {target.url}", f"# {target.tls.prefix}: verification_mode {target.tls.verification_mode}"]
    if tls is not None:
        head.append(f"# tls stage: {tls.status.value}: {tls.summary}")
    protocol = getattr(handshake, "protocol", None)
    if protocol:
        head.append(f"# negotiated: {protocol} {getattr(handshake, 'cipher', '') or ''}".rstrip())
    names = getattr(handshake, "acceptable_ca_names", ()) or ()
    if getattr(handshake, "cert_requested", False):
        head.append("# the server asked for a client certificate; acceptable CAs: "
                    + ("; ".join(shown(str(n), 500) for n in names[:100]) or "(any)"))
    if chain:
        pems, texts = zip(*(_describe_der(der, now) for der in chain))
        files["chain.pem"] = b"".join(pems)
        head.append(f"# the server sent {len(chain)} certificate(s), in this order:")
        files["chain.txt"] = ("\n".join(head) + "\n\n" + _numbered(texts, _chain_labels(len(chain)))).encode("utf-8")
    else:
        head.append("# the server sent no certificate (the TLS stage did not get that far)")
        files["chain.txt"] = ("\n".join(head) + "\n").encode("utf-8")
    if target.tls.certificate is not None:
        pem, text = _pem_source_files(target.tls.certificate, "client certificate", now)
        if pem:
            files["client.pem"] = pem
        files["client.txt"] = text
    return files


def _pem_source_files(source: PemSource, what: str, now: Optional[_dt.datetime]) -> Tuple[bytes, bytes]:
    """(PEM of the certificates only, description) for a configured file or inline PEM."""
    head = [f"# {what}: {source.label}", f"# setting: {source.setting}"]
    if source.data is None:
        head.append(f"# not read: {source.error or 'its ssl block is disabled'}")
        return b"", ("\n".join(head) + "\n").encode("utf-8")
    blocks, others = certificate_blocks(source.data)
    if others:
        head.append(f"# left out of this bundle: {len(others)} other block(s): {', '.join(sorted(set(others)))}")
    if not blocks:
        head.append("# no CERTIFICATE block found")
        return b"", ("\n".join(head) + "\n").encode("utf-8")
    head.append(f"# {len(blocks)} certificate(s):")
    texts = _describe_pem_blocks(blocks, now)
    body = _numbered(texts, [""] * len(texts))
    return b"".join(blocks), ("\n".join(head) + "\n\n" + body).encode("utf-8")


def ca_certificates(targets: Iterable[Target], now: Optional[_dt.datetime] = None) -> Dict[str, bytes]:
    """
    ``<n>-<basename>.pem`` / ``.txt`` (relative to ``certs/ca/``) for every CA the config names,
    once per file however many settings name it; inline PEM gets ``<n>-inline``.
    """
    seen: Dict[str, List[PemSource]] = {}
    order: List[str] = []
    for target in targets:
        if target.tls is None:
            continue
        for source in target.tls.certificate_authorities:
            key = source.path if source.path is not None else f"inline:{source.setting}"
            if key not in seen:
                seen[key] = []
                order.append(key)
            seen[key].append(source)
    files: Dict[str, bytes] = {}
    for n, key in enumerate(order, start=1):
        sources = seen[key]
        first = sources[0]
        stem = f"{n}-{safe_name(os.path.basename(first.path))}" if first.path else f"{n}-inline"
        pem, text = _pem_source_files(first, "CA file" if first.path else "inline CA", now)
        also = sorted({s.setting for s in sources[1:]} - {first.setting})
        if also:
            text = f"# also named by: {', '.join(also)}\n".encode() + text
        if pem:
            files[f"{stem}.pem"] = pem
        files[f"{stem}.txt"] = text
    return files


# --- name resolution ------------------------------------------------------------------------------


def _resolv_conf_lines(path: str) -> List[str]:
    try:
        text = _read_text(path)
    except OSError as error:
        return [f"(cannot read {path}: {error.strerror or error})"]
    keep = []
    for line in text.splitlines():
        bare = line.split("#", 1)[0].split(";", 1)[0].strip()
        if bare.split(" ", 1)[0] in ("nameserver", "search", "domain", "options", "sortlist"):
            keep.append(bare)
    return keep or ["(no nameserver lines)"]


def _nsswitch_hosts_line(path: str) -> str:
    try:
        text = _read_text(path)
    except OSError as error:
        return f"(cannot read {path}: {error.strerror or error}; glibc then uses: files dns)"
    for line in text.splitlines():
        if line.strip().startswith("hosts:"):
            return line.strip()
    return f"(no hosts: line in {path}; glibc then uses: files dns)"


def _hosts_file_matches(path: str, host: str) -> List[str]:
    try:
        text = _read_text(path)
    except OSError:
        return []
    wanted = host.lower().rstrip(".")
    matches = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and any(name.lower().rstrip(".") == wanted for name in fields[1:]):
            matches.append(f"{path}:{number}: {line.strip()}")
    return matches


def dns_text(
    reports: Sequence[TargetReport],
    *,
    hosts_file: str,
    hosts_file_overridden: bool,
    nameservers: Sequence[Tuple[str, int]],
    resolv_conf: str = RESOLV_CONF,
    nsswitch_conf: str = NSSWITCH_CONF,
) -> str:
    """``network/dns.txt``: where names were looked up and what each source answered, per target."""
    lines = ["# esprobe support bundle: name resolution", ""]
    lines.append(f"hosts file: {hosts_file}" + (" (--hosts-file)" if hosts_file_overridden else ""))
    if nameservers:
        shown = ", ".join(f"[{a}]:{p}" if ":" in a else f"{a}:{p}" for a, p in nameservers)
        lines.append(f"nameservers: {shown} (--nameserver; {resolv_conf} not used)")
    lines.append(f"{resolv_conf}:")
    lines.extend(f"  {line}" for line in _resolv_conf_lines(resolv_conf))
    lines.append(f"{nsswitch_conf}: {_nsswitch_hosts_line(nsswitch_conf)}")
    if hosts_file_overridden or nameservers:
        lines.append("(with --hosts-file or --nameserver, esprobe never asks the system resolver)")
    for report in reports:
        target = report.target
        lines += ["", f"== {target.id}  {target.host}  ({target.url})"]
        dns = _stage(report, Stage.DNS)
        if dns is None:
            lines.append("dns stage: not run")
            continue
        lines.append(f"dns stage: {dns.status.value}: {dns.summary}")
        details: Mapping[str, Any] = dns.details or {}
        if details.get("query_name"):
            lines.append(f"query name: {details['query_name']}")
        if details.get("nsswitch_order"):
            lines.append(f"nsswitch order: {', '.join(details['nsswitch_order'])}")
        matches = _hosts_file_matches(hosts_file, str(details.get("query_name") or target.host))
        lines.append("hosts file matches:" + ("" if matches else " (none)"))
        lines.extend(f"  {m}" for m in matches)
        answers = details.get("answers") or []
        if answers:
            lines.append("answers:")
        for answer in answers:
            text = f"  {answer.get('source')}: {answer.get('outcome')}"
            if answer.get("addresses"):
                text += " -> " + ", ".join(answer["addresses"])
            if answer.get("cname_chain"):
                text += "  CNAME chain: " + " -> ".join(answer["cname_chain"])
            if answer.get("nameservers"):
                text += "  (asked " + ", ".join(answer["nameservers"]) + ")"
            if answer.get("detail"):
                text += f"  [{answer['detail']}]"
            lines.append(text)
        addresses = details.get("addresses") or []
        if addresses:
            used = ", ".join(f"{a.get('address')} ({a.get('family')}, {a.get('source')})" for a in addresses)
            lines.append(f"addresses used: {used}")
        if details.get("hosts_file_vs_dns"):
            lines.append(f"note: {details['hosts_file_vs_dns']}")
    return "\n".join(lines) + "\n"


def proxy_text(targets: Sequence[Target], environ: Mapping[str, str]) -> str:
    """``network/proxy.txt``: the proxy variables (both cases) and each target's proxy settings."""
    lines = [
        "# esprobe support bundle: proxies",
        "",
        "environment (used by the Beat unless proxy_url is set or proxy_disable is true):",
    ]
    for name in PROXY_VARIABLES:
        for variant in (name, name.lower()):
            value = environ.get(variant)
            lines.append(f"  {variant}={value}" if value is not None else f"  {variant} (not set)")
    lines += ["", "targets:"]
    for target in targets:
        proxy = target.proxy
        parts = [f"proxy_url={proxy.url}" if proxy.url else "proxy_url (not set)",
                 f"proxy_disable={str(proxy.disable).lower()}"]
        if proxy.headers:
            parts.append("proxy_headers: " + ", ".join(name for name, _ in proxy.headers) + " (values not shown)")
        lines.append(f"  {target.id} ({target.url}): " + "; ".join(parts))
    if not targets:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"


# --- environment -------------------------------------------------------------------------------------


def _version_of(module: str, attribute: str = "__version__") -> str:
    try:
        imported = __import__(module, fromlist=["_"])
        value = getattr(imported, attribute, None)
        if value:
            return str(value)
    except Exception as error:
        return f"(not importable: {type(error).__name__})"
    try:
        return metadata.version(module)
    except Exception:
        return "(unknown)"


def _pyopenssl_openssl() -> str:
    try:
        return SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode("ascii", "replace")
    except Exception as error:
        return f"(unknown: {type(error).__name__})"


def _cryptography_openssl() -> str:
    try:
        # cryptography's private backend module: absent in some releases, so asked for only here
        from cryptography.hazmat.backends.openssl import backend

        return str(backend.openssl_version_text())
    except Exception as error:
        return f"(unknown: {type(error).__name__})"


def _os_release(paths: Sequence[str]) -> str:
    for path in paths:
        try:
            text = _read_text(path, 64 * 1024)
        except OSError:
            continue
        fields: Dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                try:
                    fields[key.strip()] = " ".join(shlex.split(value))
                except ValueError:
                    fields[key.strip()] = value.strip().strip("\"'")
        name = fields.get("PRETTY_NAME") or " ".join(filter(None, (fields.get("NAME"), fields.get("VERSION"))))
        extra = ", ".join(f"{k}={fields[k]}" for k in ("ID", "VERSION_ID", "ID_LIKE") if k in fields)
        return f"{name or '(unnamed)'} ({extra}) from {path}" if extra else f"{name} from {path}"
    return "(no os-release file)"


def _trust_store(environ: Mapping[str, str]) -> List[str]:
    try:
        roots = load_system_roots(environ)
    except Exception as error:
        return [f"OS trust store:       (could not be loaded: {type(error).__name__}: {error})"]
    lines = [f"OS trust store:       {roots.path or '(none found)'} ({len(roots.certs)} certificates, as Go loads it)"]
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if name in environ:
            lines.append(f"{name + ':':<22}{environ[name]}")
    for _path, problem in roots.errors:
        lines.append(f"  unusable: {problem}")
    return lines


def _user() -> str:
    try:
        import pwd  # Unix only: where it is missing the user shows as "?"

        name = pwd.getpwuid(os.geteuid()).pw_name
    except Exception:
        name = "?"
    return f"{name} (uid {os.getuid()}, euid {os.geteuid()})" if hasattr(os, "geteuid") else name


@record
class Clock:
    """When the bundle was made, in UTC and in local time (injectable for tests)."""

    utc: _dt.datetime
    local: _dt.datetime

    @classmethod
    def now(cls) -> Clock:
        utc = _dt.datetime.now(_dt.timezone.utc)
        return cls(utc, utc.astimezone())


def environment_text(
    *,
    environ: Mapping[str, str],
    command_line: str,
    cwd: str,
    clock: Clock,
    keystore: Any = None,
    config_files: Sequence[str] = (),
    os_release: Sequence[str] = OS_RELEASE,
) -> str:
    """``environment.txt``: versions, OS, trust store, time and the (already redacted) command line."""
    uname = platform.uname()
    local = clock.local
    zone = local.tzname() or "?"
    offset = local.strftime("%z")
    lines = [
        "# esprobe support bundle: environment",
        "",
        f"esprobe:              {__version__}",
        f"Python:               {platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        f"OpenSSL (ssl module): {ssl.OPENSSL_VERSION}",
        f"OpenSSL (pyOpenSSL):  {_pyopenssl_openssl()}",
        f"OpenSSL (cryptography): {_cryptography_openssl()}",
        f"pyOpenSSL:            {_version_of('OpenSSL')}",
        f"cryptography:         {_version_of('cryptography')}",
        f"dnspython:            {_version_of('dns.version', 'version')}",
        f"PyYAML:               {_version_of('yaml')}",
        f"idna:                 {_version_of('idna')}",
        f"certifi:              {_version_of('certifi')}",
        f"tabulate:             {_version_of('tabulate')}",
        "",
        f"OS release:           {_os_release(os_release)}",
        f"kernel:               {uname.system} {uname.release} {uname.version} {uname.machine}",
        f"host name:            {socket.gethostname()}",
        f"user:                 {_user()}",
        f"working directory:    {cwd}",
        *_trust_store(environ),
        "",
        f"local time:           {local.isoformat(timespec='seconds')} ({zone}, UTC{offset[:3]}:{offset[3:]})",
        f"time zone:            TZ={environ.get('TZ', '(not set)')}; {_localtime_link()}; "
        f"tzname={'/'.join(time.tzname)}",
        f"UTC time:             {clock.utc.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "",
        "command line (rebuilt from the parsed options; secrets redacted):",
        f"  {command_line}",
    ]
    if config_files:
        lines += ["", "config files read:"] + [f"  {path}" for path in config_files]
    if keystore is not None:
        state = "exists" if keystore.exists else "not found"
        if keystore.error:
            state = f"unusable: {keystore.error}"
        lines += [
            "",
            f"keystore:             {keystore.path} ({state}; chosen by {keystore.source})",
            f"keystore format:      {keystore.version or '-'}",
            f"keystore keys:        {', '.join(keystore.keys) or '(none)'} (names only)",
        ]
    return "\n".join(lines) + "\n"


def _localtime_link() -> str:
    try:
        return f"/etc/localtime -> {os.readlink('/etc/localtime')}"
    except OSError:
        return "/etc/localtime is not a link"
