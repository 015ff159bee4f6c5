"""Clients for testing the stand-in servers: the PKI they share, HTTPS sessions, openssl s_client, waiting."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import requests

from esprobe.demo.standins import pki
from esprobe.demo.standins.server import TlsConfig


@dataclass(frozen=True)
class Pki:
    ca: pki.CertAuthority
    intermediate: pki.CertAuthority
    server: pki.Issued
    client: pki.Issued  # subject /C=US/O=acme/OU=ops/CN=beats01, issued by the intermediate
    foreign_client: pki.Issued  # same subject, issued by an unrelated CA
    ca_file: Path
    client_files: Tuple[Path, Path]
    foreign_files: Tuple[Path, Path]

    def tls(self, **options: object) -> TlsConfig:
        return TlsConfig.from_issued(self.server, **options)  # type: ignore[arg-type]

    def mtls(self, client_auth: str = "optional", **options: object) -> TlsConfig:
        return self.tls(client_auth=client_auth, client_ca_pem=self.ca.cert_pem, **options)


def session(certs: Pki, cert: Optional[Tuple[Path, Path]] = None) -> requests.Session:
    """A requests session trusting the test CA; the environment (CA bundle, proxies) is ignored."""
    s = requests.Session()
    s.trust_env = False
    s.verify = str(certs.ca_file)
    if cert is not None:
        s.cert = (str(cert[0]), str(cert[1]))
    return s


def api_key_header(encoded: str) -> dict:
    return {"Authorization": f"ApiKey {encoded}"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def eventually(predicate, timeout: float = 2.0) -> bool:  # type: ignore[no-untyped-def]
    """Poll *predicate* until true; server threads update counters just after the client sees the result."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def openssl_client(port: int, context=None, host: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    """A connected, handshaken pyOpenSSL client (blocking socket with a 5 s receive timeout)."""
    import socket
    import struct

    from OpenSSL import SSL

    raw = socket.create_connection((host, port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
    conn = SSL.Connection(context or SSL.Context(SSL.TLS_CLIENT_METHOD), raw)
    conn.set_connect_state()
    try:
        conn.do_handshake()
    except Exception:
        raw.close()
        raise
    return conn, raw
