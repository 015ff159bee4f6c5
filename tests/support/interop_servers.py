"""
Starting and stopping real third-party servers for the interop tests: nginx, openssl s_server,
dnsmasq, tinyproxy, HAProxy and Apache httpd.

Each server runs in the foreground in its own process group, on 127.0.0.1 and an ephemeral port,
with every file it writes (config, logs, pid file, temp dirs) under the test's own directory. It
is stopped by signalling its whole process group, so nginx workers go with their master.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Mapping, Optional, Sequence

import pytest

# Where Debian puts the binaries; a non-root PATH often lacks the sbin directories.
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def require_binary(binary: str, package: str, environ: Optional[Mapping[str, str]] = None) -> str:
    """
    The path of *binary*, or end the test: a loud skip naming the Debian *package* on a
    developer machine, a failure under CI (``CI=true``) so that CI always runs these tests.
    """
    environ = os.environ if environ is None else environ
    found = shutil.which(binary)
    if found is None:
        found = next((f"{d}/{binary}" for d in _SBIN if os.access(f"{d}/{binary}", os.X_OK)), None)
    if found is not None:
        return found
    reason = (f"INTEROP TEST NOT RUN: `{binary}` is not installed; install the Debian package "
              f"`{package}` (apt-get install {package}, as .ci/run does) to probe a real {binary}")
    if environ.get("CI") == "true":
        pytest.fail(f"{reason}. CI=true: the interop tests must run in CI, so this is a failure.", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """An ephemeral TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One foreground server process (and its children) with its output in *log_path*."""

    _running: List["ServerProcess"] = []

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, port: int) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.port = port
        with open(log_path, "wb") as log:
            # A session of its own: the process group is then the pid, and killpg reaches the
            # workers nginx forks as well as the master.
            self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        ServerProcess._running.append(self)
        try:
            self._wait_until_listening()
        except BaseException:
            self.stop()
            raise

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} before listening on "
                                   f"127.0.0.1:{self.port}:\n{self.log()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not listen on 127.0.0.1:{self.port} within {START_TIMEOUT} s:\n"
                           f"{self.log()[-2000:]}")

    def log(self, since: int = 0) -> str:
        """What the server wrote to stdout and stderr so far, from offset *since* (see `mark`)."""
        try:
            return self.log_path.read_text(errors="replace")[since:]
        except OSError:
            return ""

    def mark(self) -> int:
        """The current end of the log: ``log(since=mark)`` is then what one test caused."""
        return len(self.log())

    def stop(self) -> None:
        """Terminate the process group, then kill whatever is left of it. Idempotent."""
        if self in ServerProcess._running:
            ServerProcess._running.remove(self)
        pgid = self.process.pid
        _signal_group(pgid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        # Children (nginx workers) may outlive a master that has exited: make sure.
        _signal_group(pgid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(STOP_TIMEOUT)

    @classmethod
    def stop_all(cls) -> None:
        """Stop every server still running (the session's safety net)."""
        for server in list(cls._running):
            server.stop()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


# --- nginx -----------------------------------------------------------------------------------------


def nginx_server_block(port: int, cert: Path, key: Path, upstream_port: int, directives: Sequence[str] = ()) -> str:
    """An HTTPS server on 127.0.0.1:*port* that proxies everything to a plain-http upstream."""
    lines = "\n".join(f"        {d}" for d in directives)
    return f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
{lines}
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
        }}
    }}"""


def start_nginx(directory: Path, server_blocks: Sequence[str], wait_port: int) -> ServerProcess:
    """One nginx master (with one worker) serving *server_blocks*; everything it writes stays in *directory*."""
    binary = require_binary("nginx", "nginx")
    directory.mkdir(parents=True, exist_ok=True)
    temp_dirs = "\n".join(f"    {kind}_temp_path {directory / kind};" for kind in
                          ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root nginx would switch its workers to www-data, which need not exist here.
    user = "user root;" if AS_ROOT else ""
    config = f"""
daemon off;
{user}
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} info;
events {{ worker_connections 64; }}
http {{
    access_log {directory / "access.log"};
{temp_dirs}
{"".join(server_blocks)}
}}
"""
    path = directory / "nginx.conf"
    path.write_text(config)
    # -e: the error log nginx opens before it has read its config (its default is under /var/log).
    argv = [binary, "-c", str(path), "-p", str(directory), "-e", str(directory / "error.log")]
    return ServerProcess("nginx", argv, directory / "nginx.out", wait_port)


# --- openssl s_server ------------------------------------------------------------------------------


def start_s_server(directory: Path, name: str, cert: Path, key: Path, options: Sequence[str] = ()) -> ServerProcess:
    """``openssl s_server -www`` (answers every request with an HTML status page) with extra *options*."""
    binary = require_binary("openssl", "openssl")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [binary, "s_server", "-accept", f"127.0.0.1:{port}", "-www", "-quiet",
            "-cert", str(cert), "-key", str(key), *options]
    return ServerProcess(f"openssl s_server ({name})", argv, directory / f"s_server-{name}.out", port)


# --- dnsmasq ---------------------------------------------------------------------------------------


def start_dnsmasq(directory: Path, domain: str, records: Sequence[str]) -> ServerProcess:
    """
    dnsmasq answering only from *records* (dnsmasq options such as ``--host-record=...``):
    NXDOMAIN for other names under *domain*, no upstream servers, no /etc/hosts, no system config.
    """
    binary = require_binary("dnsmasq", "dnsmasq-base")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts", "--no-resolv",
            "--no-poll", f"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
            f"--pid-file={directory / 'dnsmasq.pid'}", "--log-facility=-", "--log-queries",
            f"--local=/{domain}/", *records]
    if AS_ROOT:  # dnsmasq drops to "nobody"/"dip" otherwise, which need not exist here
        argv += ["--user=root", "--group=root"]
    # dnsmasq answers over TCP on the same port, which is what readiness is checked on.
    return ServerProcess("dnsmasq", argv, directory / "dnsmasq.out", port)


# --- tinyproxy -------------------------------------------------------------------------------------


def start_tinyproxy(directory: Path, name: str, directives: Sequence[str] = ()) -> ServerProcess:
    """A tinyproxy HTTP proxy (CONNECT included) for 127.0.0.1 clients; *directives* add rules."""
    binary = require_binary("tinyproxy", "tinyproxy-bin")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Allow 127.0.0.1",
        "Timeout 10",
        "MaxClients 16",
        "LogLevel Info",
        "DisableViaHeader Yes",
    ]
    if AS_ROOT:  # tinyproxy switches to its User/Group when started as root
        lines += ["User root", "Group root"]
    lines += list(directives)
    path = directory / f"tinyproxy-{name}.conf"
    path.write_text("\n".join(lines) + "\n")
    # -d: stay in the foreground and log to stdout (no LogFile, no PidFile).
    return ServerProcess(f"tinyproxy ({name})", [binary, "-d", "-c", str(path)],
                         directory / f"tinyproxy-{name}.out", port)


# --- HAProxy and Apache httpd, as TLS fronts ---------------------------------------------------------


def start_haproxy(directory: Path, port: int, cert: Path, key: Path, upstream_port: int,
                  bind_options: str = "") -> ServerProcess:
    """
    HAProxy terminating TLS on 127.0.0.1:*port* for one health-checked backend server on *upstream_port*;
    *bind_options* extend the bind line (``verify required ca-file <path>``).
    """
    binary = require_binary("haproxy", "haproxy")
    directory.mkdir(parents=True, exist_ok=True)
    pem = directory / "haproxy.pem"  # HAProxy wants certificate and key in one file
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    config = directory / f"haproxy-{port}.cfg"
    config.write_text(f"""global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend front
    bind 127.0.0.1:{port} ssl crt {pem} {bind_options}
    default_backend back
backend back
    server upstream 127.0.0.1:{upstream_port} check inter 1s
""")
    return ServerProcess(f"haproxy ({port})", [binary, "-f", str(config), "-db"], directory / f"haproxy-{port}.out",
                         port)


def start_apache(directory: Path, port: int, cert: Path, key: Path, upstream_port: int,
                 directives: Sequence[str] = ()) -> ServerProcess:
    """
    Apache httpd (mod_ssl, mod_proxy_http) terminating TLS on 127.0.0.1:*port*, proxying to *upstream_port*;
    *directives* go into the virtual host (``SSLVerifyClient require`` ...).
    """
    binary = require_binary("apache2", "apache2")
    modules = "/usr/lib/apache2/modules"
    directory.mkdir(parents=True, exist_ok=True)
    directory = directory / str(port)  # one server root (pid file, logs) per instance
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "httpd.conf"
    extra = "\n".join(f"    {d}" for d in directives)
    # Apache refuses to serve as root; its workers only proxy, the root parent reads the key at start.
    user = "User nobody\nGroup nogroup" if AS_ROOT else ""
    loads = "\n".join(f"LoadModule {name}_module {modules}/mod_{name}.so"
                      for name in ("mpm_event", "authz_core", "ssl", "socache_shmcb", "proxy", "proxy_http"))
    config.write_text(f"""ServerRoot {directory}
DefaultRuntimeDir {directory}
PidFile {directory / "httpd.pid"}
ErrorLog {directory / "error.log"}
ServerName localhost
Listen 127.0.0.1:{port}
{loads}
{user}
<VirtualHost 127.0.0.1:{port}>
    SSLEngine on
    SSLCertificateFile {cert}
    SSLCertificateKeyFile {key}
    ProxyPass / http://127.0.0.1:{upstream_port}/
{extra}
</VirtualHost>
""")
    return ServerProcess("apache2", [binary, "-f", str(config), "-DFOREGROUND"], directory / "apache2.out", port)


class Servers:
    """The real servers of one test module, started in its directory and all stopped at its end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._started: List[ServerProcess] = []

    def _track(self, server: ServerProcess) -> ServerProcess:
        self._started.append(server)
        return server

    def nginx(self, server_blocks: Sequence[str], wait_port: int) -> ServerProcess:
        return self._track(start_nginx(self.directory / "nginx", server_blocks, wait_port))

    def s_server(self, name: str, cert: Path, key: Path, options: Sequence[str] = ()) -> ServerProcess:
        return self._track(start_s_server(self.directory / "s_server", name, cert, key, options))

    def dnsmasq(self, domain: str, records: Sequence[str]) -> ServerProcess:
        return self._track(start_dnsmasq(self.directory / "dnsmasq", domain, records))

    def tinyproxy(self, name: str, directives: Sequence[str] = ()) -> ServerProcess:
        return self._track(start_tinyproxy(self.directory / "tinyproxy", name, directives))

    def haproxy(self, port: int, cert: Path, key: Path, upstream_port: int, bind_options: str = "") -> ServerProcess:
        return self._track(start_haproxy(self.directory / "haproxy", port, cert, key, upstream_port, bind_options))

    def apache(self, port: int, cert: Path, key: Path, upstream_port: int,
               directives: Sequence[str] = ()) -> ServerProcess:
        return self._track(start_apache(self.directory / "apache2", port, cert, key, upstream_port, directives))

    def stop_all(self) -> None:
        while self._started:
            self._started.pop().stop()
