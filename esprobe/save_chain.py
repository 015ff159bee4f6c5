"""`--save-chain DIR`: the certificate chain each server sent, as PEM files an operator can inspect or trust."""

from __future__ import annotations

import os
import re
from typing import List

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from esprobe.model import Report, Stage


class SaveChainError(Exception):
    """DIR cannot be written."""


def _file_stem(target_id: str) -> str:
    """``elasticsearch[0]`` -> ``elasticsearch-0``: a name every shell and file system takes as it is."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", target_id).strip("-") or "target"


def save_chains(report: Report, directory: str) -> List[str]:
    """
    Write ``<target>.chain.pem`` (leaf first, as sent) and ``<target>.<n>.pem`` for each target whose
    server sent certificates; return one line per target saying what was written (or why not).
    """
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise SaveChainError(f"--save-chain {directory}: {error.strerror or error}") from None
    said: List[str] = []
    for target in report.targets:
        tls = next((s for s in target.stages if s.stage is Stage.TLS), None)
        chain = tuple(getattr(tls.observation, "chain", ()) or ()) if tls is not None else ()
        if not chain:
            continue
        stem = os.path.join(directory, _file_stem(target.target.id))
        pems = []
        for der in chain:
            try:
                pems.append(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
            except ValueError:  # unparsable: kept as sent would not be PEM; the tls stage reports it
                pems.append(b"")
        try:
            for index, pem in enumerate(pems):
                if pem:
                    with open(f"{stem}.{index}.pem", "wb") as handle:
                        handle.write(pem)
            with open(f"{stem}.chain.pem", "wb") as handle:
                handle.write(b"".join(pems))
        except OSError as error:
            raise SaveChainError(f"--save-chain {directory}: {error.strerror or error}") from None
        said.append(f"{target.target.id}: {len(chain)} certificate(s) the server sent written to {stem}.chain.pem")
    if not said:
        said.append(f"--save-chain {directory}: no server sent a certificate chain (no TLS handshake got that far)")
    return said
