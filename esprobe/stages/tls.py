"""
TLS stage: handshake on the tcp stage's connection with the Beat's settings, then the Beat's verdict
on the chain (`esprobe.x509.beats_verdict`), the client certificate and the expiry thresholds.

`check_tls` is the glue (it calls the network layer); everything after the handshake is judged
from observations by pure functions in this module and in `esprobe.x509` (beats_verdict, client_identity).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from cryptography import x509

from esprobe import findings
from esprobe.context import ProbeContext
from esprobe.model import Finding, Severity, Stage, StageResult, Target, TlsSettings, stage_result
from esprobe.net.connect import TcpObservation, reconnect
from esprobe.net.resolver import literal_address, to_query_name
from esprobe.net.tls import (
    BEATS_CIPHERS,
    OPENSSL_TO_IANA,
    PROTOCOL_ALIASES,
    PROTOCOL_ORDER,
    ClientIdentity,
    HandshakeSettings,
    TlsObservation,
    TlsProbe,
    cipher_list,
    curve_list,
    handshake,
    protocol_range,
)
from esprobe.record import record
from esprobe.rulesets import RuleSet
from esprobe.rulesets import resolve as resolve_rules
from esprobe.x509 import go_parse
from esprobe.x509.beats_verdict import ChainVerdict, chain_findings, judge_chain, server_certificate_setting
from esprobe.x509.client_identity import LoadedIdentity, go_would_send, lacks_client_auth, load_identity
from esprobe.x509.facts import cert_facts
from esprobe.x509.hostname_rules import match_full, match_strict
from esprobe.x509.system_roots import go_append_certs_from_pem, load_system_roots, prefetch_system_roots

# --- trust material -----------------------------------------------------------------------------


@record
class Trust:
    roots: Tuple[x509.Certificate, ...]
    are_system: bool
    path: Optional[str]
    system_error: Optional[str] = None
    problems: Tuple[Finding, ...] = ()


@functools.lru_cache(maxsize=64)
def _parsed_cas(data: bytes, negative_serial_rejected: bool = True) -> Tuple[x509.Certificate, ...]:
    """A CA file's certificates, parsed once per run however many targets name it."""
    return tuple(go_append_certs_from_pem(data, negative_serial_rejected=negative_serial_rejected))


def prefetch_trust(target: Target, ctx: ProbeContext) -> None:
    """
    For a target that will trust the OS store (TLS, no certificate_authorities): start loading it now,
    in the background, so that its cost overlaps the target's DNS, TCP and handshake.
    """
    if target.tls is not None and not target.tls.certificate_authorities:
        prefetch_system_roots(ctx.environ, root=ctx.fs_root)


def _load_trust(tls: TlsSettings, ctx: ProbeContext) -> Trust:
    if not tls.certificate_authorities:
        system = load_system_roots(ctx.environ, root=ctx.fs_root)
        return Trust(tuple(system.certs), True, system.path, system.go_error)
    roots: List[x509.Certificate] = []
    problems: List[Finding] = []
    for source in tls.certificate_authorities:
        if source.data is None:
            problems.append(findings.make(
                "tls-ca-unreadable",
                f"The Beat cannot read {source.label}: {source.error or 'unreadable'}.",
                prefix=tls.prefix, setting=source.setting))
            continue
        found = _parsed_cas(source.data, ctx.rules.negative_serial_rejected)
        if not found:
            problems.append(findings.make(
                "tls-ca-not-certificate",
                f'The Beat would refuse its TLS settings: "file is not a certificate adding {source.label} to the '
                f'list of known CAs" — no usable CERTIFICATE block in it.',
                prefix=tls.prefix, setting=source.setting))
        roots.extend(found)
    labels = [s.label for s in tls.certificate_authorities]
    return Trust(tuple(roots), False, ", ".join(labels), problems=tuple(problems))


def _load_identity(tls: TlsSettings) -> Tuple[Optional[LoadedIdentity], List[Finding]]:
    if tls.certificate is None or tls.key is None:
        return None, []
    unreadable = [s for s in (tls.certificate, tls.key) if s.data is None]
    if unreadable:
        return None, [findings.make(
            "tls-client-files-unreadable",
            "; ".join(f"cannot read {s.label}: {s.error or 'unreadable'}" for s in unreadable) + ".",
            prefix=tls.prefix, setting=unreadable[0].setting)]
    loaded = load_identity(tls.certificate.data or b"", tls.key.data or b"", tls.key_passphrase)
    if loaded.error:
        return loaded, [findings.make(
            "tls-client-identity-invalid",
            f'The Beat cannot load its client certificate and key: "{loaded.error}".',
            prefix=tls.prefix,
            setting=f"{tls.prefix}.key_passphrase" if "passphrase" in loaded.error or "decrypt" in loaded.error
            else f"{tls.prefix}.key")]
    return loaded, []


def handshake_settings(target: Target, identity: Optional[LoadedIdentity],
                       rules: Optional[RuleSet] = None) -> HandshakeSettings:
    """The handshake the Beat makes for *target* (SNI, versions, suites, curves, signature algorithms, certificate)."""
    tls = target.tls
    assert tls is not None
    low, high = protocol_range(tls.supported_protocols)
    server_name: Optional[str] = None
    if literal_address(target.host) is None:  # Go never sends an IP literal as SNI
        try:
            server_name = to_query_name(target.host).rstrip(".")
        except Exception:  # an unencodable name failed the dns stage already; send no SNI
            server_name = None
    client = None
    if identity is not None and identity.key is not None:
        client = ClientIdentity(identity.chain, identity.key)
    sha1 = (rules or resolve_rules()).tls_sha1_handshake_signatures
    return HandshakeSettings(
        server_name,
        low,
        high,
        cipher_list(tls.cipher_suites),
        curve_list(tls.curve_types),
        client,
        sha1_signatures=sha1,
    )


# --- the stage ------------------------------------------------------------------------------------


def check_tls(target: Target, ctx: ProbeContext, tcp: TcpObservation) -> StageResult:
    """Handshake on the tcp stage's connection and judge what the server showed, the Beat's way."""
    tls = target.tls
    assert tls is not None
    prefetch_trust(target, ctx)
    identity, identity_problems = _load_identity(tls)
    settings = handshake_settings(target, identity, ctx.rules)
    assert tcp.sock is not None, "the tcp stage passed, so it kept a connection"
    accept = _server_acceptance(target, tls, ctx) if identity is not None and identity.key is not None else None
    observation = handshake(tcp.sock, settings, ctx.step_timeout(), accept_server=accept)
    # The trust store is needed only once the server's certificates are in (with a client certificate,
    # `accept` loads it then, inside the handshake): an OS store still loading overlaps the handshake
    # instead of coming on top of --timeout.
    trust = _load_trust(tls, ctx)

    def retry(changed: HandshakeSettings) -> Optional[TlsObservation]:
        """Another handshake on a new connection, to isolate a cause; None when no time is left."""
        timeout = ctx.step_timeout()
        if timeout <= 0.05:
            return None
        sock = reconnect(tcp, target.host, target.port, timeout)
        if sock is None:
            return None
        # a retry that may present the certificate judges the server inside the handshake too
        return handshake(sock, changed, ctx.step_timeout(), accept_server=accept if changed.send_identity else None)

    now = ctx.now()
    problems: List[Finding] = [*trust.problems, *identity_problems]
    params = _params(target, tls, settings)
    if (identity is not None and identity.key is not None and observation.cert_requested
            and not go_would_send(identity.chain, observation.acceptable_cas)):
        # esprobe presented the certificate; the Beat would not have. Judge what the Beat would see.
        observation, withheld = _as_go_would(settings, observation, identity, retry, params)
        problems += withheld
    if not observation.chain:
        if not any(f.code == "tls-client-cert-not-sent" for f in problems):
            problems += _handshake_failure(target, tls, settings, observation, identity, retry, params)
        return _result(target, tls, settings, observation, trust, identity, problems, now, None, tcp, [])

    loaded, parse_problem = _parse_chain(observation.chain, ctx.rules.negative_serial_rejected)
    if parse_problem:
        problems.append(findings.make("tls-cert-unparsable", parse_problem, **params, subject="the server certificate",
                                      server_cert=server_certificate_setting(target)))
        return _result(target, tls, settings, observation, trust, identity, problems, now, None, tcp, loaded)
    presented = tuple(cert for cert in loaded if cert is not None)

    verdict = judge_chain(
        presented,
        trust.roots,
        mode=tls.verification_mode,
        now=now.astimezone(),  # Go prints the time in the Beat host's offset
        ca_trusted_fingerprint=tls.ca_trusted_fingerprint,
        ca_sha256=tls.ca_sha256,
        roots_are_system=trust.are_system,
        system_roots_error=trust.system_error,
        server_name=target.host if tls.verification_mode == "strict" else None,
        rules=ctx.rules,
    )
    problems += chain_findings(verdict, tls, target)
    if trust.are_system and not trust.roots and tls.verification_mode != "none" and not verdict.ok:
        problems.append(_empty_store_note(tls, trust))
    if (not observation.ok and not observation.refused_server
            and not any(f.code == "tls-client-cert-not-sent" for f in problems)):
        # a failure after the server's certificate arrived: a refused client certificate, typically
        problems += _handshake_failure(target, tls, settings, observation, identity, retry, params)
    problems += _client_cert_problems(tls, identity, observation, now, params)
    problems += _expiry(presented, identity, now, ctx, tls, target)
    if observation.ok and observation.protocol in ("TLSv1", "TLSv1.0", "TLSv1.1"):
        problems.append(findings.make("tls-old-protocol", f"The server negotiated {observation.protocol}.", **params))
    return _result(target, tls, settings, observation, trust, identity, problems, now, verdict, tcp, loaded)


def _server_acceptance(target: Target, tls: TlsSettings,
                       ctx: ProbeContext) -> Optional[Callable[[Tuple[bytes, ...]], bool]]:
    """
    The Beat's verdict on the server, for use inside the handshake: Go verifies the server (its
    own check in strict mode, Beats' callback otherwise) before it sends the client certificate,
    so a server that fails never sees the Beat's certificate, and neither may it see esprobe's.
    """
    if tls.verification_mode == "none":
        return None

    def accept(chain: Tuple[bytes, ...]) -> bool:
        loaded, problem = _parse_chain(chain, ctx.rules.negative_serial_rejected)
        if problem or any(cert is None for cert in loaded):
            return False
        presented = tuple(cert for cert in loaded if cert is not None)
        trust = _load_trust(tls, ctx)
        verdict = judge_chain(presented, trust.roots, mode=tls.verification_mode, now=ctx.now().astimezone(),
                              ca_trusted_fingerprint=tls.ca_trusted_fingerprint, ca_sha256=tls.ca_sha256,
                              roots_are_system=trust.are_system, system_roots_error=trust.system_error,
                              server_name=target.host if tls.verification_mode == "strict" else None,
                              rules=ctx.rules)
        if not verdict.ok or verdict.hostname_first:
            return False
        if tls.verification_mode == "full":
            return match_full(presented[0], target.host).matched
        if tls.verification_mode == "strict":
            return match_strict(presented[0], target.host).matched
        return True

    return accept


def _params(target: Target, tls: TlsSettings, settings: HandshakeSettings) -> Dict[str, Any]:
    return {
        "prefix": tls.prefix,
        "url": target.url,
        "hosts_setting": target.settings.hosts,
        "offered": f"{settings.min_version} to {settings.max_version}",
    }


def _parse_chain(chain: Sequence[bytes],
                 negative_serial_rejected: bool = True) -> Tuple[List[Optional[x509.Certificate]], Optional[str]]:
    """
    The server's chain parsed once: each certificate (None where cryptography cannot read it), and
    the error Go would stop at, the first in order, or None when Go reads them all.
    """
    parsed: List[Optional[x509.Certificate]] = []
    problem: Optional[str] = None
    for der in chain:
        # Go's parser first: it decides; cryptography only reads
        go_problem = go_parse.parse_error(der, negative_serial_rejected=negative_serial_rejected)
        if go_problem and problem is None:
            problem = f"tls: failed to parse certificate from server: {go_problem}"
        # a stand-in where cryptography refuses what Go reads (v2, an explicit v1)
        parsed.append(go_parse.load(der))
    return parsed, problem


def _empty_store_note(tls: TlsSettings, trust: Trust) -> Finding:
    return findings.make(
        "tls-os-trust-store-empty",
        "No CA is configured, so the Beat uses the OS trust store, and esprobe found no certificate in it "
        f"({trust.path or 'none of the files and directories Go looks at exists'}). certifi's Mozilla bundle "
        "(`python3 -m certifi` prints its path) can serve as one: copy it to /etc/ssl/certs/ca-certificates.crt "
        "or point SSL_CERT_FILE at it for the Beat.",
        prefix=tls.prefix, server_cert="the server's certificate", subject="", issuer="",
    )


# --- client certificate ------------------------------------------------------------------------


def _as_go_would(settings: HandshakeSettings, observation: TlsObservation, identity: LoadedIdentity,
                 retry: Callable[[HandshakeSettings], Optional[TlsObservation]],
                 params: Dict[str, Any]) -> Tuple[TlsObservation, List[Finding]]:
    """
    esprobe always presents the configured certificate; Go withholds it when the server's
    acceptable-CA list does not name its issuer. Handshake again without it, as the Beat would,
    and keep that connection (or its failure) as the observation.
    """
    accepted = "; ".join(observation.acceptable_ca_names) or "(none)"
    issuer = identity.chain[0].issuer.rfc4514_string()
    again = retry(dataclasses.replace(settings, send_identity=False))
    message = (
        f"The server accepts client certificates issued by {accepted}; the configured certificate was issued by "
        f"{issuer}, so the Beat sends no certificate at all."
    )
    if again is None or not again.ok:
        observation.close()
        words = f" Without it the server ends the handshake ({_failure_words(again)})." if again is not None else ""
        failed = dataclasses.replace(observation, ok=False, error_kind="alert", error="client certificate withheld",
                                     connection=None, client_cert_sent=False)
        return failed, [findings.make("tls-client-cert-not-sent", message + words, **params)]
    observation.close()
    return again, [findings.make(
        "tls-client-cert-not-sent",
        message + " The server lets the connection through without one, so PKI authentication cannot happen.",
        severity=Severity.WARN, **params)]


def _client_cert_problems(tls, identity, observation, now, params) -> List[Finding]:  # type: ignore[no-untyped-def]
    if identity is None or identity.leaf is None or identity.key is None:
        return []
    leaf = identity.leaf
    out: List[Finding] = []
    requested = observation.cert_requested
    if not (leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc):
        when = leaf.not_valid_after_utc if now > leaf.not_valid_after_utc else leaf.not_valid_before_utc
        state = "expired on" if now > leaf.not_valid_after_utc else "is not valid before"
        out.append(
            findings.make(
                "tls-client-cert-expired",
                f"The client certificate {leaf.subject.rfc4514_string()} {state} {when:%Y-%m-%d %H:%M} UTC"
                + (
                    "."
                    if requested
                    else "; this server does not ask for a client certificate, so it does not matter here."
                ),
                severity=Severity.FAIL if requested else Severity.WARN,
                **params,
            )
        )
    if requested and lacks_client_auth(leaf):
        out.append(findings.make(
            "tls-client-cert-no-client-auth",
            f"The client certificate {leaf.subject.rfc4514_string()} lists extended key usages without clientAuth.",
            **params))
    for note in identity.notes:
        out.append(findings.make("tls-client-identity-invalid", f"The client key loads, but {note}.",
                                 severity=Severity.WARN, prefix=tls.prefix, setting=f"{tls.prefix}.key"))
    return out


def _expiry(presented, identity, now, ctx, tls, target) -> List[Finding]:  # type: ignore[no-untyped-def]
    out: List[Finding] = []
    certificates = [(c, "server") for c in presented]
    if identity is not None and identity.leaf is not None:
        certificates.append((identity.leaf, "client"))
    for cert, whose in certificates:
        left = cert.not_valid_after_utc - now
        days = left.days
        if left.total_seconds() < 0:
            continue  # already expired: the chain verdict (or the client check) says so
        subject = cert.subject.rfc4514_string() or "(empty subject)"
        what = "the client certificate" if whose == "client" else "a certificate the server sends"
        message = f"{subject}, {what}, expires on {cert.not_valid_after_utc:%Y-%m-%d} ({days} days left)."
        setting = f"{tls.prefix}.certificate" if whose == "client" else None
        if days < ctx.crit_days:
            out.append(findings.make("tls-cert-expires-critical", message, subject=subject, setting=setting))
        elif days < ctx.warn_days:
            out.append(findings.make("tls-cert-expires-soon", message, subject=subject, setting=setting))
    return out


# --- handshake failures ------------------------------------------------------------------------

_ALERT_WORDS = {
    "certificate required": "remote error: tls: certificate required",
    "handshake failure": "remote error: tls: handshake failure",
    "protocol version": "remote error: tls: protocol version not supported",
    "bad certificate": "remote error: tls: bad certificate",
    "unknown ca": "remote error: tls: unknown certificate authority",
    "certificate unknown": "remote error: tls: bad certificate",
    "unsupported certificate": "remote error: tls: bad certificate",
    "certificate expired": "remote error: tls: bad certificate",
    "unrecognized name": "remote error: tls: unrecognized name",
    "insufficient security": "remote error: tls: insufficient security level",
}

_CLIENT_CERT_ALERTS = {"certificate required", "bad certificate", "unknown ca", "certificate unknown",
                       "unsupported certificate", "certificate expired", "access denied", "decrypt error",
                       "certificate revoked"}


def _failure_words(observation: Optional[TlsObservation]) -> str:
    if observation is None:
        return "no answer"
    if observation.alert:
        return _ALERT_WORDS.get(observation.alert, f"remote error: tls: {observation.alert}")
    return {"eof": "EOF", "reset": "read: connection reset by peer", "timeout": "i/o timeout",
            "oversized": "tls: handshake message of length <n> bytes exceeds maximum of 262144 bytes"}.get(
        observation.error_kind or "", observation.error or "handshake failed")


def _handshake_failure(target, tls, settings, observation, identity, retry, params) -> List[Finding]:  # type: ignore[no-untyped-def]
    kind, alert = observation.error_kind, observation.alert or ""
    sent = observation.client_cert_sent
    beat = _failure_words(observation)
    late = " (after the handshake had seemed to succeed, as TLS 1.3 servers do)" if observation.after_handshake else ""
    if kind == "settings":
        return [findings.make("tls-settings-rejected", f"OpenSSL refused the settings: {observation.error}.", **params)]
    if kind == "timeout":
        return [findings.make("tls-handshake-timeout",
                              f"{target.host}:{target.port} accepted the connection but no TLS handshake completed: "
                              f"{observation.error}.", **params)]
    if kind == "plaintext":
        shown = _plaintext_sample(observation.peer_bytes, observation.peer_bytes_skipped)
        return [findings.make("tls-plaintext-peer",
                              f'The Beat would log "tls: first record does not look like a TLS handshake": the server '
                              f"answered {shown}.", **params)]
    if kind == "oversized":
        # OpenSSL gives no length; Go's limit for the certificate message is 256 KiB (OpenSSL's 100 KiB,
        # and pyOpenSSL cannot raise it), so a chain between the two would pass in the Beat.
        return [findings.make(
            "tls-handshake-failure",
            f"The server sent a TLS handshake message larger than a client accepts (OpenSSL: {observation.error}), "
            "typically a certificate chain padded with far too many or far too large certificates. The Beat refuses "
            "a certificate message over 262144 bytes: \"tls: handshake message of length <n> bytes exceeds maximum "
            "of 262144 bytes\"; esprobe's limit is 102400 bytes.",
            hint=f"Make the server behind {params['url']} send only its own certificate and its intermediates "
                 "(Elasticsearch: `xpack.security.http.ssl.certificate`), not a bundle of CA certificates.",
            **params)]
    wants_cert = observation.cert_requested or alert in ("certificate required",)
    if (
        wants_cert
        and not sent
        and (alert in _CLIENT_CERT_ALERTS or alert == "handshake failure" or kind in ("eof", "reset"))
    ):
        if tls.certificate is not None or tls.key is not None:
            return []  # a client certificate is configured but unusable: its own finding says why
        return [findings.make("tls-client-cert-required",
                              f'The server asked for a client certificate and none is configured; the Beat would log '
                              f'"{beat}"{late}.', **params)]
    if sent and (alert in _CLIENT_CERT_ALERTS or kind in ("eof", "reset")):
        leaf = identity.leaf if identity is not None else None
        who = leaf.subject.rfc4514_string() if leaf is not None else "the configured certificate"
        return [findings.make("tls-client-cert-rejected",
                              f'The server refused the client certificate {who}: the Beat would log "{beat}"{late}.',
                              **params)]
    if alert == "protocol version" or (kind == "protocol" and "version" in (observation.error or "").lower()):
        return [_protocol_mismatch(settings, observation, retry, params, beat)]
    if alert in ("handshake failure", "insufficient security") or (
        kind == "protocol" and "cipher" in (observation.error or "").lower()
    ):
        # Offer (almost) everything on a new connection: if the server then agrees, the suites were the
        # problem, and the suite it picks says which one to allow.
        widened = retry(dataclasses.replace(settings, cipher_list="ALL:@SECLEVEL=0", min_version=settings.min_version,
                                            max_version=settings.max_version))
        if widened is not None and widened.ok:
            cipher = widened.cipher or "a suite"
            widened.close()
            beat_name = _beats_cipher_name(cipher)
            if tls.cipher_suites:
                offered = f"none of the configured cipher suites ({', '.join(tls.cipher_suites)})"
            else:
                offered = (
                    "none of Go's default suites (ECDHE only; Go 1.22 dropped RSA key exchange and 3DES from its "
                    "defaults)"
                )
            said = f"the server accepts {cipher}" + (f" (`{beat_name}` in the Beat's names)" if beat_name else
                                                      ", which the Beat cannot offer")
            return [findings.make("tls-no-shared-cipher",
                                  f'The Beat would log "{beat}": {offered} is acceptable to the server; offered '
                                  f"everything, {said}.", cipher=beat_name or cipher, **params)]
        return [findings.make("tls-handshake-failure", f'The Beat would log "{beat}" ({observation.error}).', **params)]
    if alert == "unrecognized name":
        return [
            findings.make(
                "tls-sni-rejected",
                f'The server does not serve the name {settings.server_name!r}; the Beat would log "{beat}".',
                **params,
            )
        ]
    if kind in ("eof", "reset"):
        return [findings.make("tls-handshake-closed",
                              f'{observation.error}; the Beat would log "{beat}".', **params)]
    return [findings.make("tls-handshake-failure", f'The Beat would log "{beat}" ({observation.error}).', **params)]


_GO_VERSION_CODES = {"TLSv1": "301", "TLSv1.0": "301", "TLSv1.1": "302", "TLSv1.2": "303", "TLSv1.3": "304"}


def _protocol_mismatch(settings, observation, retry, params, beat) -> Finding:  # type: ignore[no-untyped-def]
    server_versions = "unknown"
    widened = retry(dataclasses.replace(settings, min_version="TLSv1.0", max_version="TLSv1.3"))
    if widened is not None and widened.ok:
        server_versions = widened.protocol or "unknown"
        widened.close()
        version = PROTOCOL_ALIASES.get(server_versions, server_versions)
        if version in PROTOCOL_ORDER and PROTOCOL_ORDER.index(version) < PROTOCOL_ORDER.index(settings.min_version):
            # A server below the Beat's minimum answers with its own version, and Go itself aborts
            # (no alert from the server): these are the words in the Beat's log.
            beat = f"tls: server selected unsupported protocol version {_GO_VERSION_CODES[version]}"
    return findings.make(
        "tls-protocol-mismatch",
        f'The Beat would log "{beat}": it offers {settings.min_version} to {settings.max_version}, and the server '
        f"settles on {server_versions} when offered everything.",
        server_versions=server_versions, **params)


def _beats_cipher_name(cipher: str) -> Optional[str]:
    """The Beat's name for a suite OpenSSL negotiated (given by its OpenSSL or IANA name), if it has one."""
    for beats_name, openssl_name in BEATS_CIPHERS.items():
        if openssl_name and cipher in (openssl_name, _iana(openssl_name)):
            return beats_name
    return None


def _iana(openssl_name: str) -> str:
    return OPENSSL_TO_IANA.get(openssl_name, openssl_name)


def _plaintext_sample(data: bytes, skipped: int = 0) -> str:
    """
    How the peer answered, for the message: "in plain text: '...'" or "with binary data ...".
    *skipped*: bytes OpenSSL consumed before *data* could be seen (shown as "…" when not restorable).
    """
    if not data:
        return "in plain text"
    sample = data[:60]
    # Random or binary bytes are not "plain text": show them as hex so nobody hunts for a text server.
    readable = sum(1 for byte in sample if 32 <= byte < 127 or byte in (9, 10, 13))
    if readable < 0.8 * len(sample):
        which = f"bytes after the first {skipped}" if skipped else "first bytes"
        return f"with binary data that is not TLS ({which}: {sample[:16].hex(' ')})"
    text = sample.decode("latin-1")
    printable = "".join(ch if 32 <= ord(ch) < 127 else " " for ch in text).strip()
    if skipped:
        # OpenSSL has consumed five bytes as a would-be record header: "HTTP/" can be told back.
        printable = ("HTTP/" if printable[:3].replace(".", "").isdigit() else "…") + printable
    return f"in plain text: {printable!r}" if printable else "in plain text"


# --- the result ---------------------------------------------------------------------------------


def _trust_kind(tls: TlsSettings, verdict: Optional[ChainVerdict]) -> str:
    if tls.verification_mode == "none":
        return "none"
    if verdict is not None and verdict.trust in ("configured-ca", "os-store", "fingerprint", "none"):
        return str(verdict.trust)
    return "configured-ca" if tls.certificate_authorities else "os-store"


# What a Kibana connection without setup.kibana.ssl fails on when the output's ssl settings would have helped.
_NEEDS_THE_OUTPUTS_SSL = ("tls-unknown-ca", "tls-self-signed", "tls-missing-intermediate", "tls-client-cert-required",
                          "tls-system-roots-error", "tls-os-trust-store-empty")


def _not_inherited(target: Target, problems: Sequence[Finding]) -> List[Finding]:
    """Say that Kibana does not take the output's ssl block, when that is why it failed."""
    if target.uninherited_ssl is None or not any(f.code in _NEEDS_THE_OUTPUTS_SSL for f in problems):
        return []
    return [findings.make(
        "tls-kibana-ssl-not-inherited",
        f"setup.kibana has no ssl settings, so the Kibana connection uses the OS trust store and no client "
        f"certificate: {target.uninherited_ssl} is configured, but the Beat's Kibana client does not inherit it.",
        inherited=target.uninherited_ssl)]


def _result(target, tls, settings, observation, trust, identity, problems, now, verdict, tcp,  # type: ignore[no-untyped-def]
            loaded) -> StageResult:
    problems = [*problems, *_not_inherited(target, problems)]
    chain_facts = []
    for cert in loaded:
        if cert is None:  # an unparsable certificate is reported by its finding; skip its facts
            continue
        try:
            chain_facts.append(cert_facts(cert, now))
        except Exception:  # likewise a certificate whose facts cannot be read
            continue
    client = None
    if identity is not None and identity.leaf is not None:
        client = cert_facts(identity.leaf, now)
    details: Dict[str, Any] = {
        "protocol": observation.protocol,
        "cipher": observation.cipher,
        "trust": _trust_kind(tls, verdict),
        "trust_store_path": trust.path,
        "chain": chain_facts,
        "client_certificate": client,
        "verification_mode": tls.verification_mode,
        "sni": settings.server_name,
        "offered_protocols": [settings.min_version, settings.max_version],
        "client_certificate_requested": observation.cert_requested,
        "acceptable_client_cas": list(observation.acceptable_ca_names),
        "client_certificate_sent": observation.client_cert_sent,
        "handshake_ms": observation.handshake_ms,
    }
    if verdict is not None and verdict.beat_error:
        details["beat_error"] = verdict.beat_error
    keep = observation.ok and not any(f.blocks for f in problems)  # an expiry alarm keeps the connection
    if not keep:
        # Credentials will not travel on it; keep what it showed (the chain) for the bundle.
        observation.close()
        observation = dataclasses.replace(observation, connection=None)
    result = stage_result(Stage.TLS, _summary(observation, problems, details), problems, details)
    parsed = tuple(loaded) if all(cert is not None for cert in loaded) else ()
    probe = TlsProbe(observation, settings, tcp, target.host, target.port,
                     identity.leaf if identity is not None and observation.client_cert_sent else None, parsed)
    return dataclasses.replace(result, observation=probe)


def _summary(observation: TlsObservation, problems: Sequence[Finding], details: Dict[str, Any]) -> str:
    failures = [f for f in problems if f.severity is Severity.FAIL]
    if failures:
        first = failures[0]
        return f"{first.code}: {first.message}"
    if not observation.ok and not observation.refused_server:
        return observation.error or "handshake failed"
    trust = {"configured-ca": "the configured CAs", "os-store": "the OS trust store",
             "fingerprint": "ca_trusted_fingerprint", "none": "nothing (verification_mode: none)"}[details["trust"]]
    verb = "accepted without checks" if details["trust"] == "none" else f"chain verified against {trust}"
    if observation.refused_server:  # the chain is fine; the name is not (the hostname stage says how)
        return (f"{verb}; esprobe ended the handshake there, as the Beat would (the host name check fails), "
                "so no client certificate was sent")
    return f"{observation.protocol}, {observation.cipher}; {verb}"
