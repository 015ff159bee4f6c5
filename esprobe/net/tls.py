"""
The TLS handshake, with pyOpenSSL, on the socket the tcp stage opened.

Network boundary code. The handshake itself verifies nothing (``VERIFY_NONE``): esprobe needs the
whole chain the server sent, whatever it is, and judges it afterwards the way Go and Beats do
(`esprobe.x509.beats_verdict`, `esprobe.x509.hostname_rules`). Everything else is set the way the Beat sets
it: protocol range, cipher suites, curves, SNI, the client certificate.

Nothing here raises for a bad peer: every failure comes back as data in `TlsObservation`.
"""

from __future__ import annotations

import dataclasses
import select
import socket
import threading
import time
from dataclasses import field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from cryptography import x509
from OpenSSL import SSL, crypto
from OpenSSL._util import lib as _lib  # pyOpenSSL exposes no setter for a curve *list*

from esprobe.net.connect import TcpObservation, reconnect
from esprobe.net.http import HttpFailure, Stream
from esprobe.record import record

# The Beat's protocol names (elastic-agent-libs transport/tlscommon/types.go) -> OpenSSL's version
# constants, filled lazily.
PROTOCOL_ORDER = ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
PROTOCOL_ALIASES = {"TLSv1": "TLSv1.0"}

# Beats 7.6 - 8.x offer TLS 1.1 - 1.3 by default; 9.x (elastic-agent-libs 0.18+) 1.2 - 1.3. esprobe
# offers the wider 8.x range and warns when a server settles for less than 1.2 (see stages/tls.py).
DEFAULT_PROTOCOLS = ("TLSv1.1", "TLSv1.3")

# The Beat's cipher names (elastic-agent-libs transport/tlscommon/types.go) -> OpenSSL's names.
# TLS 1.3 suites are not configurable in Go, so listing them changes nothing; they map to None here.
BEATS_CIPHERS = {
    "ECDHE-ECDSA-AES-128-CBC-SHA": "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-ECDSA-AES-128-CBC-SHA256": "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES-128-GCM-SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES-256-CBC-SHA": "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-ECDSA-AES-256-GCM-SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-RC4-128-SHA": "ECDHE-ECDSA-RC4-SHA",
    "ECDHE-RSA-3DES-CBC3-SHA": "ECDHE-RSA-DES-CBC3-SHA",
    "ECDHE-RSA-AES-128-CBC-SHA": "ECDHE-RSA-AES128-SHA",
    "ECDHE-RSA-AES-128-CBC-SHA256": "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES-128-GCM-SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES-256-CBC-SHA": "ECDHE-RSA-AES256-SHA",
    "ECDHE-RSA-AES-256-GCM-SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1205": "ECDHE-RSA-CHACHA20-POLY1305",  # sic: the Beat's only spelling
    "ECDHE-RSA-RC4-128-SHA": "ECDHE-RSA-RC4-SHA",
    "RSA-RC4-128-SHA": "RC4-SHA",
    "RSA-3DES-CBC3-SHA": "DES-CBC3-SHA",
    "RSA-AES-128-CBC-SHA": "AES128-SHA",
    "RSA-AES-128-CBC-SHA256": "AES128-SHA256",
    "RSA-AES-128-GCM-SHA256": "AES128-GCM-SHA256",
    "RSA-AES-256-CBC-SHA": "AES256-SHA",
    "RSA-AES-256-GCM-SHA384": "AES256-GCM-SHA384",
    "TLS-AES-128-GCM-SHA256": None,
    "TLS-AES-256-GCM-SHA384": None,
    "TLS-CHACHA20-POLY1305-SHA256": None,
}

# OpenSSL's suite names -> the IANA names Go and the Beat's logs print (TLS 1.2 and older; TLS 1.3
# suites have the same name in both).
OPENSSL_TO_IANA = {
    "ECDHE-ECDSA-AES128-SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "ECDHE-ECDSA-AES128-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-SHA": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-RC4-SHA": "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "ECDHE-RSA-DES-CBC3-SHA": "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "ECDHE-RSA-AES128-SHA": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "ECDHE-RSA-AES128-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-SHA": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-RC4-SHA": "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "RC4-SHA": "TLS_RSA_WITH_RC4_128_SHA",
    "DES-CBC3-SHA": "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "AES128-SHA": "TLS_RSA_WITH_AES_128_CBC_SHA",
    "AES128-SHA256": "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "AES128-GCM-SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "AES256-SHA": "TLS_RSA_WITH_AES_256_CBC_SHA",
    "AES256-GCM-SHA384": "TLS_RSA_WITH_AES_256_GCM_SHA384",
}

# What Go (1.22+) offers for TLS 1.0-1.2 when `cipher_suites` is empty: ECDHE with AEAD first, then
# ECDHE CBC-SHA; no RSA key exchange, no 3DES, no CBC-SHA256, no RC4.
GO_DEFAULT_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"
)

BEATS_CURVES = {"P-256": "P-256", "P-384": "P-384", "P-521": "P-521", "X25519": "X25519"}

# Go has no security level: it accepts SHA-1 handshake signatures, 1024-bit RSA and TLS 1.0/1.1
# when asked to. OpenSSL's default level 2 would refuse some of those before esprobe could judge.
_SECLEVEL = "@SECLEVEL=0"


@record
class ClientIdentity:
    """The client certificate chain and key, already parsed (see `load_client_identity`)."""

    chain: Tuple[Any, ...]  # cryptography x509.Certificate, leaf first
    key: Any = field(repr=False)  # cryptography private key


@record
class HandshakeSettings:
    """What the handshake needs, derived from the target's `TlsSettings`."""

    server_name: Optional[str]  # SNI; None for IP literals (Go never sends an IP as SNI)
    min_version: str
    max_version: str
    cipher_list: str  # OpenSSL syntax, for TLS 1.0-1.2
    curves: Optional[str]  # OpenSSL groups list, or None for the defaults
    identity: Optional[ClientIdentity] = None
    send_identity: bool = True  # False to handshake as Go does when it withholds the certificate
    sha1_signatures: bool = True  # Go offers SHA-1 handshake signatures unless GODEBUG tlssha1=0 (go line >= 1.25)


@record
class TlsObservation:
    """
    What the handshake showed.

    Attributes:
        ok: the handshake completed (and no alert followed it).
        error_kind: when not ok: ``timeout`` | ``reset`` | ``eof`` | ``alert`` | ``plaintext``
            (the peer answered in plain text) | ``oversized`` (a handshake message beyond the
            client's limit) | ``protocol`` | ``error``.
        error: the OpenSSL/OS words, for the report.
        alert: the alert name when the peer sent one (``certificate required``, ``handshake failure``...).
        after_handshake: True when the failure arrived only after the handshake completed (TLS 1.3
            rejecting the client certificate).
        protocol / cipher: as negotiated (``TLSv1.3``, ``TLS_AES_256_GCM_SHA384``).
        chain: DER certificates as the server sent them, leaf first.
        cert_requested: the server sent a CertificateRequest.
        acceptable_cas: DER-encoded distinguished names from that request (may be empty).
        acceptable_ca_names: the same names as readable text (RFC 4514 order).
        client_cert_sent: esprobe presented a client certificate in this handshake.
        refused_server: the handshake was ended by esprobe inside it, because the server's chain
            fails the Beat's verification (as Go does, before any client certificate is sent).
        peer_bytes: the first bytes the peer sent when it did not speak TLS (for diagnosis).
        peer_bytes_skipped: how many of the peer's bytes come before ``peer_bytes``: 0, or 5 when
            OpenSSL had already consumed them as a would-be record header (the peer answered in
            the same instant as the ClientHello left, before esprobe could peek).
        handshake_ms: time from ClientHello to a finished handshake.
        connection: the live pyOpenSSL connection when ok, for the HTTP stages; closed by the runner.
        sock: the socket under that connection (pyOpenSSL has no public getter for it).
    """

    ok: bool
    error_kind: Optional[str] = None
    error: Optional[str] = None
    alert: Optional[str] = None
    after_handshake: bool = False
    protocol: Optional[str] = None
    cipher: Optional[str] = None
    chain: Tuple[bytes, ...] = ()
    cert_requested: bool = False
    acceptable_cas: Tuple[bytes, ...] = ()
    acceptable_ca_names: Tuple[str, ...] = ()
    client_cert_sent: bool = False
    refused_server: bool = False  # esprobe ended the handshake itself: the server failed the Beat's verdict
    peer_bytes: bytes = b""
    peer_bytes_skipped: int = 0
    handshake_ms: float = 0.0
    connection: Any = field(default=None, repr=False, compare=False)
    sock: Optional[socket.socket] = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        if self.connection is None:
            return
        if self.sock is not None and self.sock.fileno() < 0:
            # The socket is closed already: the http stage's client closes it when the target is
            # done (or when the server says "Connection: close"). OpenSSL still holds the old
            # descriptor NUMBER, which another thread may have been given for a new connection by
            # now: a close_notify written there would land in a stranger's stream. Let go.
            return
        try:
            self.connection.shutdown()
        except Exception:  # a peer that already left makes shutdown fail; nothing to do
            pass
        try:
            self.connection.sock_shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        try:
            self.connection.close()
        except Exception:
            pass


def protocol_range(names: Sequence[str]) -> Tuple[str, str]:
    """Only the lowest and highest listed version matter: Go gets MinVersion and MaxVersion."""
    listed = [PROTOCOL_ALIASES.get(n, n) for n in names] or list(DEFAULT_PROTOCOLS)
    ranks = sorted(PROTOCOL_ORDER.index(n) for n in listed if n in PROTOCOL_ORDER)
    if not ranks:
        ranks = [PROTOCOL_ORDER.index(n) for n in DEFAULT_PROTOCOLS]
    return PROTOCOL_ORDER[ranks[0]], PROTOCOL_ORDER[ranks[-1]]


def cipher_list(names: Sequence[str]) -> str:
    """OpenSSL cipher string for the Beat's `cipher_suites` (Go's defaults when empty)."""
    mapped = [BEATS_CIPHERS.get(n) for n in names]
    chosen = [m for m in mapped if m]
    if not chosen:
        # Empty list, or TLS 1.3 names only: Go then has its defaults for TLS <= 1.2... except that
        # listing only TLS 1.3 names leaves Go with no usable TLS 1.2 suite at all.
        if names and all(n in BEATS_CIPHERS for n in names):
            return "NULL-NONE-NO-SUCH-SUITE:" + _SECLEVEL  # nothing for TLS <= 1.2, like Go
        return GO_DEFAULT_CIPHERS + ":" + _SECLEVEL
    return ":".join(chosen) + ":" + _SECLEVEL


def curve_list(names: Sequence[str]) -> Optional[str]:
    mapped = [BEATS_CURVES[n] for n in names if n in BEATS_CURVES]
    return ":".join(mapped) if mapped else None


def _version_constant(name: str) -> int:
    return {
        "TLSv1.0": SSL.TLS1_VERSION,
        "TLSv1.1": SSL.TLS1_1_VERSION,
        "TLSv1.2": SSL.TLS1_2_VERSION,
        "TLSv1.3": SSL.TLS1_3_VERSION,
    }[name]


_CONTEXTS: Dict[Tuple[Any, ...], Any] = {}
_CONTEXTS_LOCK = threading.Lock()


def _context(settings: HandshakeSettings):  # type: ignore[no-untyped-def]
    """
    The SSL context for *settings*, shared by every handshake with the same settings: a run over
    many hosts of one cluster builds it once (SNI and the state callback are per connection).
    """
    key = (settings.min_version, settings.max_version, settings.cipher_list, settings.curves,
           settings.identity if settings.send_identity else None, settings.sha1_signatures)
    with _CONTEXTS_LOCK:
        ctx = _CONTEXTS.get(key)
        if ctx is None:
            if len(_CONTEXTS) >= 32:  # bounded: settings come from one config
                _CONTEXTS.clear()
            ctx = _CONTEXTS[key] = _new_context(settings)
        return ctx


def _new_context(settings: HandshakeSettings):  # type: ignore[no-untyped-def]
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    ctx.set_min_proto_version(_version_constant(settings.min_version))
    ctx.set_max_proto_version(_version_constant(settings.max_version))
    ctx.set_cipher_list(settings.cipher_list.encode())
    ctx.set_options(SSL.OP_NO_TICKET)  # one connection per target: nothing to resume
    if settings.curves:
        _set_curves(ctx, settings.curves)
    _set_signature_algorithms(ctx, settings.sha1_signatures)
    if settings.identity is not None and settings.send_identity:
        ctx.use_certificate(crypto.X509.from_cryptography(settings.identity.chain[0]))
        for extra in settings.identity.chain[1:]:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(extra))
        ctx.use_privatekey(crypto.PKey.from_cryptography_key(settings.identity.key))
    return ctx


def _watch_states(connection, on_state: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """Record the handshake's states (a CertificateRequest shows as one) on this connection only."""

    def info(conn: Any, where: int, ret: int) -> None:
        try:
            on_state(conn.get_state_string().decode("ascii", "replace"))
        except Exception:  # a callback must never raise into OpenSSL
            pass

    connection.set_info_callback(info)


# Go's client signature_algorithms (crypto/tls defaultSupportedSignatureAlgorithms, without the
# ML-DSA schemes OpenSSL does not know): a server whose certificate chain is signed with anything
# else (MD5, SHA-224, DSA) finds no certificate to send a Beat and fails the handshake, so
# esprobe must offer exactly these to see what the Beat sees.
GO_SIGNATURE_ALGORITHMS = ("rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256", "ed25519", "rsa_pss_rsae_sha384",
                           "rsa_pss_rsae_sha512", "rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512",
                           "ecdsa_secp384r1_sha384", "ecdsa_secp521r1_sha512")
GO_SHA1_SIGNATURE_ALGORITHMS = ("rsa_pkcs1_sha1", "ecdsa_sha1")


def _set_signature_algorithms(ctx, sha1: bool) -> None:  # type: ignore[no-untyped-def]
    names = GO_SIGNATURE_ALGORITHMS + (GO_SHA1_SIGNATURE_ALGORITHMS if sha1 else ())
    if _lib.SSL_CTX_set1_sigalgs_list(ctx._context, ":".join(names).encode()) != 1:
        # an OpenSSL that knows fewer names: try again without the ones it refuses, one by one
        usable = [n for n in names if _lib.SSL_CTX_set1_sigalgs_list(ctx._context, n.encode()) == 1]
        _lib.SSL_CTX_set1_sigalgs_list(ctx._context, ":".join(usable).encode())


def _set_curves(ctx, curves: str) -> None:  # type: ignore[no-untyped-def]
    if _lib.SSL_CTX_set1_curves_list(ctx._context, curves.encode()) != 1:
        raise ValueError(f"OpenSSL rejected the curve list {curves!r}")


def _wait(sock: socket.socket, readable: bool, deadline: float) -> bool:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    if readable:
        ready, _, _ = select.select([sock], [], [], remaining)
    else:
        _, ready, _ = select.select([], [sock], [], remaining)
    return bool(ready)


def _peek_plaintext(sock: socket.socket) -> bytes:
    try:
        return sock.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return b""


def _peek_first(sock: socket.socket) -> Tuple[bytes, Optional[OSError]]:
    """
    The peer's first bytes, left in the socket for OpenSSL, or the socket's error: a pending reset is
    reported (and cleared) by the first recv, peek or not, so it must not be swallowed here.
    """
    try:
        return sock.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT), None
    except (BlockingIOError, InterruptedError):
        return b"", None
    except OSError as error:
        return b"", error


def _classify(error: BaseException) -> Tuple[str, str, Optional[str]]:
    """(kind, words, alert) for an OpenSSL or OS error during or right after the handshake."""
    if isinstance(error, SSL.ZeroReturnError):
        return "eof", "the server closed the TLS connection", None
    if isinstance(error, SSL.SysCallError):
        code = error.args[0] if error.args else None
        if code in (-1, 0) or "Unexpected EOF" in str(error):
            return "eof", "the server closed the connection without a word", None
        if code in (104, 32):  # ECONNRESET, EPIPE
            return "reset", "the server reset the connection", None
        return "error", f"{error}", None
    if isinstance(error, SSL.Error):
        reasons = [str(part[2]) for part in (error.args[0] if error.args and isinstance(error.args[0], list) else [])]
        text = "; ".join(reasons) or str(error)
        lowered = text.lower()
        if (
            "wrong version number" in lowered
            or "record layer failure" in lowered
            or "packet length too long" in lowered
        ):
            return "plaintext", text, None
        if "excessive message size" in lowered:
            # A handshake message over OpenSSL's limit (100 KiB for the certificate message): a
            # hostile or absurd certificate chain. Its own kind, so the finding can say so.
            return "oversized", text, None
        for marker in ("alert ", "alert_"):
            if marker in lowered:
                alert = lowered.split(marker, 1)[1].replace("_", " ").strip()
                return "alert", text, alert
        if "unsupported protocol" in lowered or "no protocols available" in lowered:
            return "protocol", text, None
        return "protocol", text, None
    if isinstance(error, ConnectionResetError):
        return "reset", "the server reset the connection", None
    if isinstance(error, OSError):
        return "error", error.strerror or str(error), None
    return "error", f"{type(error).__name__}: {error}", None


def handshake(sock: socket.socket, settings: HandshakeSettings, timeout: float,
              accept_server: Optional[Callable[[Tuple[bytes, ...]], bool]] = None) -> TlsObservation:
    """
    Handshake on *sock* (already connected). The socket is owned by the result from now on.

    *accept_server*, when given, judges the server's chain (DER, as sent) inside the handshake,
    the way Go's client verifies the server before it sends its own certificate: when it says
    no, the handshake ends there and no client certificate ever leaves this machine.
    """
    states: List[str] = []
    deadline = time.monotonic() + timeout
    try:
        ctx = _context(settings)
    except Exception as error:  # a key or curve OpenSSL refuses: a settings problem, told as data
        return TlsObservation(False, "settings", f"{type(error).__name__}: {error}")
    connection = SSL.Connection(ctx, sock)
    _watch_states(connection, states.append)
    judged: Dict[str, Any] = {}
    if accept_server is not None:
        connection.set_verify(SSL.VERIFY_PEER, _verify_callback(accept_server, judged))
    sock.setblocking(False)
    if settings.server_name:
        connection.set_tlsext_host_name(settings.server_name.encode("ascii", "replace"))
    connection.set_connect_state()
    started = time.monotonic()
    # The peer's first bytes, peeked before OpenSSL consumes them: when the peer does not speak TLS,
    # OpenSSL eats its first five bytes as a record header, and the report should show what it said
    # ("SSH-2.0-...", not ".0-..."). Peeked until something arrives; a server may talk first.
    first_bytes, peek_error = _peek_first(sock)
    while True:
        if peek_error is not None:  # the peek took the socket's pending error (a reset): it is the verdict
            kind, words, alert = _classify(peek_error)
            return _failed(connection, sock, kind, words, states, alert=alert)
        try:
            connection.do_handshake()
            break
        except SSL.WantReadError:
            if not _wait(sock, True, deadline):
                return _failed(connection, sock, "timeout", f"no handshake within {timeout:g} s", states)
            if not first_bytes:
                first_bytes, peek_error = _peek_first(sock)
        except SSL.WantWriteError:
            if not _wait(sock, False, deadline):
                return _failed(connection, sock, "timeout", f"no handshake within {timeout:g} s", states)
        except Exception as error:  # SSL.Error and OSError: the peer's doing, reported as data
            if judged.get("accepted") is False:
                failed = _failed(connection, sock, "refused", "esprobe ended the handshake: the server's "
                                 "certificate fails the Beat's verification", states)
                return _replace(failed, chain=judged["chain"], refused_server=True, client_cert_sent=False)
            kind, words, alert = _classify(error)
            peer, skipped = first_bytes, 0
            if not peer and kind in ("plaintext", "eof", "protocol"):
                peer, skipped = _peek_plaintext(sock), (5 if kind == "plaintext" else 0)
            return _failed(connection, sock, kind, words, states, alert=alert, peer_bytes=peer,
                           peer_bytes_skipped=skipped if peer else 0)
    handshake_ms = (time.monotonic() - started) * 1000
    observation = _observed(connection, states, settings, handshake_ms, sock)
    if observation.cert_requested and observation.protocol == "TLSv1.3":
        # TLS 1.3 servers judge the client certificate after the client considers the handshake
        # done: the verdict (an alert, or session tickets) arrives about one round trip later.
        late = _await_post_handshake(connection, sock, deadline, budget=max(0.25, 3 * handshake_ms / 1000))
        if late is not None:
            kind, words, alert = _classify(late)
            observation.close()
            return _replace(observation, ok=False, error_kind=kind, error=words, alert=alert,
                            after_handshake=True, connection=None)
    return observation


def _verify_callback(accept_server: Callable[[Tuple[bytes, ...]], bool],  # type: ignore[no-untyped-def]
                     judged: Dict[str, Any]):
    """OpenSSL's verify callback: every depth passes; at the leaf (called last) the Beat's verdict decides."""

    def callback(connection: Any, cert: Any, errno: int, depth: int, ok: int) -> bool:
        if depth != 0:
            return True
        if "accepted" not in judged:
            try:
                chain = _peer_chain_der(connection) or (crypto.dump_certificate(crypto.FILETYPE_ASN1, cert),)
            except Exception:
                chain = ()
            judged["chain"] = chain
            try:
                judged["accepted"] = bool(accept_server(chain)) if chain else True
            except Exception:  # a judging bug must not pass for a refused server; judge after the handshake
                judged["accepted"] = True
        return judged["accepted"]

    return callback


def _replace(observation: TlsObservation, **changes: Any) -> TlsObservation:
    return dataclasses.replace(observation, **changes)


def _await_post_handshake(connection, sock: socket.socket, deadline: float, budget: float) -> Optional[BaseException]:  # type: ignore[no-untyped-def]
    until = min(deadline, time.monotonic() + budget)
    while time.monotonic() < until:
        if not _wait(sock, True, until):
            return None
        try:
            connection.recv(1, socket.MSG_PEEK)
            return None  # application data already: the server is happy
        except SSL.WantReadError:
            continue  # a session ticket or nothing yet: keep listening until the budget runs out
        except Exception as error:  # an alert or a closed connection: the certificate was refused
            return error
    return None


def _peer_chain_der(connection) -> Tuple[bytes, ...]:  # type: ignore[no-untyped-def]
    """The chain as the server sent it, as DER bytes: OpenSSL's own copy, never re-read by cryptography
    (which refuses certificates Go reads, such as version 2 ones)."""
    return tuple(crypto.dump_certificate(crypto.FILETYPE_ASN1, c) for c in connection.get_peer_cert_chain() or [])


def _observed(connection, states: List[str], settings: HandshakeSettings, handshake_ms: float,  # type: ignore[no-untyped-def]
              sock: socket.socket) -> TlsObservation:
    chain = _peer_chain_der(connection)
    cas = connection.get_client_ca_list() or []
    requested = any("certificate request" in s for s in states)
    return TlsObservation(
        ok=True,
        protocol=connection.get_protocol_version_name(),
        cipher=_iana_cipher(connection),
        chain=chain,
        cert_requested=requested,
        acceptable_cas=tuple(name.der() for name in cas),
        acceptable_ca_names=tuple(_name_text(name) for name in cas),
        client_cert_sent=requested and settings.identity is not None and settings.send_identity,
        handshake_ms=round(handshake_ms, 3),
        connection=connection,
        sock=sock,
    )


def _name_text(name) -> str:  # type: ignore[no-untyped-def]
    """An X509Name as RFC 4514 text (last RDN first), for reports."""
    parts = []
    for key, value in reversed(name.get_components()):
        text = value.decode("utf-8", "replace")
        for special in ("\\", ",", "+", '"', "<", ">", ";"):
            text = text.replace(special, "\\" + special)
        parts.append(f"{key.decode('ascii', 'replace')}={text}")
    return ",".join(parts)


def _failed(connection: Any, sock: socket.socket, kind: str, words: str, states: List[str], *,
            alert: Optional[str] = None, peer_bytes: bytes = b"", peer_bytes_skipped: int = 0) -> TlsObservation:
    """A failed handshake, with whatever it had already shown (in TLS 1.2 the server's chain and
    CertificateRequest arrive before a client-certificate failure)."""
    requested = any("certificate request" in s for s in states)
    chain: Tuple[bytes, ...] = ()
    cas: Tuple[Any, ...] = ()
    try:
        chain = _peer_chain_der(connection)
        cas = tuple(connection.get_client_ca_list() or [])
    except Exception:  # nothing was received: nothing to show
        pass
    try:
        sock.close()
    except OSError:
        pass
    return TlsObservation(False, kind, words, alert=alert, chain=chain, cert_requested=requested,
                          acceptable_cas=tuple(n.der() for n in cas),
                          acceptable_ca_names=tuple(_name_text(n) for n in cas), peer_bytes=peer_bytes,
                          peer_bytes_skipped=peer_bytes_skipped)


def _iana_cipher(connection) -> Optional[str]:  # type: ignore[no-untyped-def]
    """The cipher's standard (IANA) name, as Go and the Beat's logs print it (TLS 1.3 names already are)."""
    name = connection.get_cipher_name()
    return OPENSSL_TO_IANA.get(name, name)


@record
class TlsProbe:
    """
    The TLS stage's connection and what it showed, for the hostname and http stages.

    Attributes:
        handshake: what the handshake showed (its ``connection`` is live when the stage kept it).
        settings: the settings it was made with, to open an identical connection again; None once
            detached.
        tcp: the tcp stage's observation: the path to reconnect along; None once detached.
        host / port: where the connection goes.
        client_leaf: the client certificate the server received, or None.
        certificates: the server's chain, parsed once (leaf first); empty when it could not be parsed.
    """

    handshake: TlsObservation
    settings: Optional[HandshakeSettings]
    tcp: Optional[TcpObservation] = field(default=None, repr=False)
    host: str = ""
    port: int = 0
    client_leaf: Optional[x509.Certificate] = field(default=None, repr=False)
    certificates: Tuple[x509.Certificate, ...] = field(default=(), repr=False)

    @property
    def connection(self) -> Any:
        return self.handshake.connection

    @property
    def sock(self) -> Optional[socket.socket]:
        """The socket under the kept connection (a second handshake may have used a new one)."""
        return self.handshake.sock

    @property
    def chain(self) -> Tuple[bytes, ...]:
        return self.handshake.chain

    @property
    def leaf(self) -> Optional[x509.Certificate]:
        """The server's certificate, parsed, or None."""
        return self.certificates[0] if self.certificates else None

    def reopen(self, timeout: float) -> Stream:
        """
        A fresh TCP + TLS connection with the same settings, for when the server closed the first.
        Refuses unless the server presents the very same leaf certificate: credentials may only
        travel over a connection whose verification passed.
        """
        sock = None
        if self.settings is not None and self.tcp is not None:
            sock = reconnect(self.tcp, self.host, self.port, timeout)
        if sock is None or self.settings is None:
            raise HttpFailure("closed", f"could not reconnect to {self.host}:{self.port}")
        again = handshake(sock, self.settings, timeout)
        if not again.ok or not again.chain or again.chain[0] != self.handshake.chain[0]:
            again.close()
            sock.close()
            raise HttpFailure("closed", "the server presented a different certificate on reconnect; credentials "
                                        "withheld")
        return Stream(sock, again.connection)

    def close(self) -> None:
        self.handshake.close()

    def detach(self) -> "TlsProbe":
        """What the report (and the support bundle) keeps: what the handshake showed, no connection."""
        shown = dataclasses.replace(self.handshake, connection=None, sock=None)
        return dataclasses.replace(self, handshake=shown, settings=None, tcp=None)
