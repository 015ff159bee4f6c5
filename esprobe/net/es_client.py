"""
The HTTP client of the http, auth and privileges stages: one per target, over the connection the
tcp (and tls) stages opened and verified.

Network boundary code. It opens the target's `ReusedConnection` (`esprobe.net.http`), sends
the Beat's headers (`esprobe.elastic.api.request_headers`) and turns every exchange into data: an
`api.Answer`, or a `Failure` saying why there was none. Nothing here raises for a bad peer.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import field
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple, Union

from cryptography import x509

from esprobe.context import ProbeContext
from esprobe.elastic import api
from esprobe.model import Target
from esprobe.net.connect import TcpObservation
from esprobe.net.http import HttpFailure, ReusedConnection, Stream
from esprobe.net.tls import DEFAULT_PROTOCOLS, HandshakeSettings, TlsProbe, cipher_list, handshake
from esprobe.record import record


@record
class Failure:
    """
    An exchange that produced no answer.

    Attributes:
        kind: ``timeout`` | ``reset`` | ``eof`` (closed without answering) | ``protocol`` (not HTTP) |
            ``tls`` | ``closed`` (gone, and not reopened) | ``error`` (esprobe could not send it).
        detail: the words of the library or the peer.
        url: what was asked.
    """

    kind: str
    detail: str
    url: str = ""


Outcome = Union[api.Answer, Failure]


class Client:
    """
    Sends requests for one target over its connection; never anywhere else.

    Attributes:
        connection: the target's `ReusedConnection`.
    """

    def __init__(self, connection: ReusedConnection, timeout: Callable[[], float]) -> None:
        self.connection = connection
        self._timeout = timeout

    def get(self, url: str, headers: Optional[Mapping[str, str]] = None) -> Outcome:
        return self._send("GET", url, None, headers)

    def post_json(self, url: str, document: Any, headers: Optional[Mapping[str, str]] = None) -> Outcome:
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        extra = {"Content-Type": "application/json"}
        extra.update(headers or {})
        return self._send("POST", url, body, extra)

    def _send(self, method: str, url: str, body: Optional[bytes], headers: Optional[Mapping[str, str]]) -> Outcome:
        try:
            answer = self.connection.request(method, url, body, headers, timeout=self._timeout())
        except HttpFailure as failure:
            return Failure(failure.kind, failure.detail, url)
        except UnicodeEncodeError:
            # http.client sends the head as Latin-1, like Go would refuse such a header value.
            return Failure("error", "a header value (from the configured headers) is not Latin-1 text", url)
        except (ValueError, OSError) as error:
            return Failure("error", f"{type(error).__name__}: {error}", url)
        return api.Answer(
            status=answer.status,
            reason=answer.reason or "",
            headers=answer.headers,
            body=answer.body,
            truncated=answer.truncated,
            url=url,
        )

    def close(self) -> None:
        self.connection.close()


@record
class HttpObservation:
    """
    What the http stage saw, and the client the auth and privileges stages reuse.

    Attributes:
        client: the target's client (over the verified connection); closed by the runner.
        answer: the answer judged (after a same-origin redirect was followed), or None.
        identity: who answered.
        kibana: Kibana's status, for Kibana targets.
    """

    client: Client
    answer: Optional[api.Answer] = None
    identity: api.ServerIdentity = field(default_factory=lambda: api.ServerIdentity(api.UNKNOWN))
    kibana: Optional[api.KibanaStatus] = None

    @property
    def version(self) -> Optional[Tuple[int, int, int]]:
        if self.identity.serverless:
            return None
        return api.parse_version(self.identity.version)

    def close(self) -> None:
        self.client.close()

    def detach(self) -> None:
        """Nothing of it is needed once the target is done (the client and answers are heavy)."""
        return None


def open_client(target: Target, ctx: ProbeContext, tcp: TcpObservation,
                tls: Optional[TlsProbe]) -> Tuple[Optional[Client], str]:
    """
    A `Client` over the connection of the earlier stages, or (None, why not).

    For ``https`` the connection is the TLS stage's verified one (*tls*, handed on only when that
    stage passed); if it has to be reopened, `TlsProbe.reopen` does it and refuses a server that
    presents another certificate. For ``http`` a closed connection is reopened to the same address.
    """
    sock = tcp.sock
    if sock is None:
        return None, "no open connection from the tcp stage"
    tls_connection = None
    reopen: Optional[Callable[[], Stream]] = None
    if target.scheme == "https":
        if tls is None:
            return None, ("the TLS stage did not pass, so nothing is sent "
                          "(credentials never go over an unverified connection)")
        tls_connection = tls.connection
        if tls_connection is None:
            return None, "the TLS stage kept no open connection"
        # The TLS stage may have handshaken again on a new socket (to see what the Beat sees when Go
        # withholds the client certificate): the connection's own socket is the one to use.
        if isinstance(tls.sock, socket.socket):
            sock = tls.sock
        reopen = lambda: tls.reopen(ctx.step_timeout())  # noqa: E731
    else:
        address, port = tcp.connected_address, tcp.port
        if address is not None:
            reopen = lambda: _plain_reopen(address, port, ctx.step_timeout())  # noqa: E731
    stream = Stream(sock, tls_connection)
    # Plain http through a proxy: the socket leads to the proxy, and requests go in absolute form.
    # (https through a proxy is a tunnel the tcp stage opened: a direct connection from here.)
    proxy = tcp.proxy if tcp.tunnel is None else None
    connection = ReusedConnection(stream, reopen, ctx.step_timeout(), base_url=api.origin(target.url),
                                  headers=api.request_headers(target, ctx.beat), proxy=proxy)
    return Client(connection, ctx.step_timeout), ""


def _plain_reopen(address: str, port: int, timeout: float) -> Stream:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(max(timeout, 0.001))
        sock.connect((address, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as error:
        sock.close()
        raise HttpFailure("closed", "the server closed the connection and reconnecting failed: "
                                    f"{error.strerror or error}") from None
    return Stream(sock)


def speaks_tls(address: str, port: int, host: str, timeout: float) -> bool:
    """
    True when *address*:*port* answers a TLS ClientHello with TLS (a handshake or a TLS alert).
    Used only to explain an ``http://`` target whose server closed without answering; no
    credentials and no HTTP request are sent on this connection.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(max(timeout, 0.001))
        sock.connect((address, port))
    except OSError:
        sock.close()
        return False
    settings = HandshakeSettings(
        server_name=None if esapi_is_ip(host) else host,
        min_version=DEFAULT_PROTOCOLS[0],
        max_version=DEFAULT_PROTOCOLS[-1],
        cipher_list=cipher_list(()),
        curves=None,
    )
    observation = handshake(sock, settings, max(timeout, 0.001))
    try:
        return bool(observation.ok or observation.error_kind == "alert")
    finally:
        observation.close()
        try:
            sock.close()
        except OSError:
            pass


def esapi_is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def first_cert_pem(data: Optional[bytes]) -> Optional[x509.Certificate]:
    """The first certificate of PEM *data* (a client certificate file), or None."""
    if not data:
        return None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        return None
    return certs[0] if certs else None


__all__: Sequence[str] = ("Client", "Failure", "HttpObservation", "Outcome", "open_client", "speaks_tls",
                          "first_cert_pem")
