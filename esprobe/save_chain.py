"""`--save-chain DIR`: the certificate chain each server sent, as PEM files an operator can inspect or trust."""

from __future__ import annotations

import os
import re
from typing import List

from esprobe.model import Report, Stage
from esprobe.net.tls import TlsProbe
from esprobe.x509.facts import pem_from_der


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
        probe = tls.observation if tls is not None else None
        chain = probe.chain if isinstance(probe, TlsProbe) else ()
        if not chain:
            continue
        stem = os.path.join(directory, _file_stem(target.target.id))
        # As sent, without parsing: a certificate only Go can read is saved too.
        pems = [pem_from_der(der) for der in chain]
        try:
            for index, pem in enumerate(pems):
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
