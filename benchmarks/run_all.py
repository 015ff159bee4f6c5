"""
esprobe's benchmarks: round trips, start-up, scale and memory (issue #10). Loopback only.

    python benchmarks/run_all.py                 # all of them, results to benchmarks/results.json
    python benchmarks/run_all.py startup scale   # some of them

Each benchmark starts what it needs (the stand-in stack of benchmarks/stack.py in its own process,
behind the latency-injecting relay of benchmarks/relay.py), runs esprobe as a separate process the
way a user would, and reports medians. See benchmarks/README.md for the results and how to read them.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
for proxy_var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    ENV.pop(proxy_var, None)


def _esprobe(*args: str) -> Tuple[float, Dict[str, Any], Any]:
    """Run esprobe as its own process; (wall seconds, JSON report, rusage of that process)."""
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-m", "esprobe", *args, "--format", "json"], cwd=REPO, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = process.stdout.read() if process.stdout else b""
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if process.stderr:
        process.stderr.close()
    return wall, json.loads(out), usage


class Stack:
    """benchmarks/stack.py in its own process, for the duration of a `with`."""

    def __init__(self, rtt_ms: float, hosts: int = 0) -> None:
        self.directory = tempfile.mkdtemp(prefix="esprobe-bench-")
        self.args = [PYTHON, str(HERE / "stack.py"), "--rtt-ms", str(rtt_ms), "--dir", self.directory,
                     "--hosts", str(hosts)]

    def __enter__(self) -> Dict[str, Any]:
        self.process = subprocess.Popen(self.args, cwd=REPO, env=ENV, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        return json.loads(line)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


# --- 1. round trips --------------------------------------------------------------------------------


def bench_roundtrips(runs: int = 7, rtt_ms: float = 100.0) -> Dict[str, Any]:
    """A healthy full probe of one Elasticsearch host and Kibana (basic auth, privileges) behind RTT."""
    with Stack(rtt_ms) as stack:
        _esprobe("-c", stack["config"], "--nameserver", stack["nameserver"])  # warm the OS caches
        walls, probes, stages = [], [], {}
        for _ in range(runs):
            wall, report, _ = _esprobe("-c", stack["config"], "--nameserver", stack["nameserver"])
            assert report["status"] == "ok", report["status"]
            walls.append(wall)
            probes.append(report["duration_ms"] / 1000)
            for target in report["targets"]:
                for stage in target["stages"]:
                    stages.setdefault(f"{target['id']}.{stage['stage']}", []).append(stage["duration_ms"])
    rtt = rtt_ms / 1000
    return {
        "rtt_ms": rtt_ms,
        "runs": runs,
        "probe_s_median": round(statistics.median(probes), 3),
        "probe_rtt_multiple": round(statistics.median(probes) / rtt, 2),
        "process_wall_s_median": round(statistics.median(walls), 3),
        "process_rtt_multiple": round(statistics.median(walls) / rtt, 2),
        "stage_ms_median": {k: round(statistics.median(v), 1) for k, v in stages.items()},
    }


# --- 2. start-up ------------------------------------------------------------------------------------


def _time_command(argv: List[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bench_startup(runs: int = 25) -> Dict[str, Any]:
    """`esprobe --version` and `--help` beside `python -c pass`, interleaved so load changes hit all alike."""
    commands = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "esprobe --version": [PYTHON, "-m", "esprobe", "--version"],
        "esprobe --help": [PYTHON, "-m", "esprobe", "--help"],
    }
    medians: Dict[str, List[float]] = {name: [] for name in commands}
    for _ in range(5):  # rounds of `runs // 5` each, alternating
        for name, argv in commands.items():
            medians[name].append(_time_command(argv, max(1, runs // 5)))
    result = {name: round(statistics.median(values) * 1000, 1) for name, values in medians.items()}
    base = result["python -c pass"]
    heavy = subprocess.run(
        [PYTHON, "-c", "import sys, io; from esprobe.cli import main; from esprobe.environment import Environment; "
         "main(['--help'], Environment(io.StringIO(), io.StringIO(), False, {}, '.')); "
         "print(','.join(m for m in ('requests', 'OpenSSL', 'cryptography', 'dns', 'yaml', 'idna', 'tabulate') "
         "if m in sys.modules))"],
        cwd=REPO, env=ENV, capture_output=True, text=True, check=False).stdout.strip()
    return {
        "ms_median": result,
        "version_ratio": round(result["esprobe --version"] / base, 2),
        "help_ratio": round(result["esprobe --help"] / base, 2),
        "heavy_modules_imported_by_help": heavy or "none",
    }


# --- 3 and 4. scale and memory ----------------------------------------------------------------------


def bench_scale(runs: int = 3, hosts: int = 200, rtt_ms: float = 50.0) -> Dict[str, Any]:
    """200 endpoints behind the 50 ms relay: wall time, peak RSS, and the cost of one dead host."""
    with Stack(rtt_ms, hosts=hosts) as stack:
        walls, probes, rss, cpu, statuses = [], [], [], [], []
        for _ in range(runs):
            wall, report, usage = _esprobe("-c", stack["many"], "--nameserver", stack["nameserver"])
            walls.append(wall)
            probes.append(report["duration_ms"] / 1000)
            rss.append(usage.ru_maxrss / 1024)
            cpu.append(usage.ru_utime + usage.ru_stime)
            statuses.append({s: sum(1 for t in report["targets"] if t["status"] == s) for s in ("ok", "warn", "fail")})
    return {
        "hosts": hosts,
        "rtt_ms": rtt_ms,
        "runs": runs,
        "concurrency": 64,
        "process_wall_s_median": round(statistics.median(walls), 2),
        "probe_s_median": round(statistics.median(probes), 2),
        "peak_rss_mb_max": round(max(rss), 1),
        "cpu_s_median": round(statistics.median(cpu), 2),
        "target_statuses": statuses,
    }


def bench_dead_host(timeout: float = 2.0) -> Dict[str, Any]:
    """One host that accepts TCP and never answers costs --timeout, not more."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    directory = Path(tempfile.mkdtemp(prefix="esprobe-bench-"))
    config = directory / "dead.yml"
    config.write_text(f'output.elasticsearch.hosts: ["https://127.0.0.1:{port}"]\n')
    config.chmod(0o600)
    try:
        wall, report, _ = _esprobe("-c", str(config), "--timeout", str(timeout))
    finally:
        listener.close()
    codes = [f["code"] for t in report["targets"] for s in t["stages"] for f in s["findings"]]
    return {"timeout_s": timeout, "probe_s": round(report["duration_ms"] / 1000, 2), "process_wall_s": round(wall, 2),
            "codes": codes}


BENCHMARKS = {
    "roundtrips": bench_roundtrips,
    "startup": bench_startup,
    "scale": bench_scale,
    "dead-host": bench_dead_host,
}


def main(argv: List[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    results: Dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = BENCHMARKS[name]()
        print(json.dumps({name: results[name]}, indent=2), flush=True)
    path = HERE / "results.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update(results)
    path.write_text(json.dumps(previous, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
