"""
esprobe's benchmarks: round trips, start-up, curl comparison, CPU per target, scale and memory
(issues #10 and #20). Loopback only.

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
import shutil
import site
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
for proxy_var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    ENV.pop(proxy_var, None)
# Measure esprobe as installed: pip writes bytecode at install time, so a user's run never compiles
# esprobe's modules. A shell with PYTHONDONTWRITEBYTECODE=1 would have every run compile them all
# (about 100 ms more); the bytecode goes to a directory of its own so the checkout stays clean.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "esprobe-bench-pycache")


def _cpu(usage: Any) -> float:
    return float(usage.ru_utime + usage.ru_stime)


# esprobe started as an installed one starts: the `esprobe` command pip writes for setup.cfg's entry
# point (`import re, sys; from esprobe.cli import console_main; sys.exit(console_main())`), with
# site-packages on the path but the .pth files of a development venv not run. An editable install's
# .pth imports a finder (and pathlib) at every interpreter start, 20-50 ms that a user's
# `pip install esprobe` never pays; `python -m esprobe` would add runpy and importlib.util (about
# 3 ms), which the command does not import. The site-packages are this interpreter's (the venv
# running the benchmark, where `pip install .[test]` put esprobe's dependencies): asked under -S,
# `site.getsitepackages()` would name the base interpreter's instead, whose packages (an older
# typing_extensions that imports asyncio, say) are not what a user's install gets.
SITE_PACKAGES = [path for path in site.getsitepackages() if os.path.isdir(path)]
LAUNCH = [PYTHON, "-S", "-c", f"import re, sys; sys.path.extend({SITE_PACKAGES!r}); "
          "from esprobe.cli import console_main; sys.argv[0] = 'esprobe'; sys.exit(console_main())"]


# Another checkout of esprobe (an older commit, say) to measure in the same rounds as this one, for
# before/after figures taken under the same load: ESPROBE_BASELINE=/path/to/checkout run_all.py curl
BASELINE = os.environ.get("ESPROBE_BASELINE")


def _esprobe(*args: str, repo: Optional[str] = None) -> Tuple[float, Dict[str, Any], Any]:
    """Run esprobe (of *repo*, this checkout by default) as its own process; (wall s, JSON report, rusage)."""
    env = ENV if repo is None else {**ENV, "PYTHONPATH": repo}
    started = time.perf_counter()
    process = subprocess.Popen([*LAUNCH, *args, "--format", "json"], cwd=repo or REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = process.stdout.read() if process.stdout else b""
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if process.stderr:
        process.stderr.close()
    return wall, json.loads(out), usage


class Stack:
    """benchmarks/stack.py in its own process, for the duration of a `with`."""

    def __init__(self, rtt_ms: float = 0.0, hosts: int = 0) -> None:
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
    """
    A healthy full probe of one Elasticsearch host and Kibana (basic auth, privileges) behind RTT; with
    ESPROBE_BASELINE, that checkout's run alternates with this one's in every round.
    """
    repos: List[Optional[str]] = [None, BASELINE] if BASELINE else [None]
    probes: Dict[Optional[str], List[float]] = {repo: [] for repo in repos}
    walls: Dict[Optional[str], List[float]] = {repo: [] for repo in repos}
    stages: Dict[str, List[float]] = {}
    with Stack(rtt_ms) as stack:
        for repo in repos:
            _esprobe("-c", stack["config"], "--nameserver", stack["nameserver"], repo=repo)  # warm the OS caches
        for _ in range(runs):
            for repo in repos:
                wall, report, _ = _esprobe("-c", stack["config"], "--nameserver", stack["nameserver"], repo=repo)
                assert report["status"] == "ok", report["status"]
                walls[repo].append(wall)
                probes[repo].append(report["duration_ms"] / 1000)
                if repo is None:
                    for target in report["targets"]:
                        for stage in target["stages"]:
                            stages.setdefault(f"{target['id']}.{stage['stage']}", []).append(stage["duration_ms"])
    rtt = rtt_ms / 1000

    def figures(repo: Optional[str]) -> Dict[str, Any]:
        return {
            "probe_s_median": round(statistics.median(probes[repo]), 3),
            "probe_rtt_multiple": round(statistics.median(probes[repo]) / rtt, 2),
            "process_wall_s_median": round(statistics.median(walls[repo]), 3),
            "process_rtt_multiple": round(statistics.median(walls[repo]) / rtt, 2),
        }

    result: Dict[str, Any] = {"rtt_ms": rtt_ms, "runs": runs, **figures(None),
                              "stage_ms_median": {k: round(statistics.median(v), 1) for k, v in stages.items()}}
    if BASELINE:
        result["baseline"] = {"checkout": BASELINE, **figures(BASELINE)}
    return result


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


def bench_scale(runs: int = 5, hosts: int = 200, rtt_ms: float = 50.0) -> Dict[str, Any]:
    """
    200 endpoints behind the 50 ms relay: wall time, peak RSS and CPU. With ESPROBE_BASELINE, that
    checkout's run alternates with this one's in every round, against the same stack.
    """
    repos: List[Optional[str]] = [None, BASELINE] if BASELINE else [None]
    samples: Dict[Optional[str], Dict[str, List[Any]]] = {
        repo: {"wall": [], "probe": [], "rss": [], "cpu": [], "statuses": []} for repo in repos}
    with Stack(rtt_ms, hosts=hosts) as stack:
        for _ in range(runs):
            for repo in repos:
                wall, report, usage = _esprobe("-c", stack["many"], "--nameserver", stack["nameserver"], repo=repo)
                mine = samples[repo]
                mine["wall"].append(wall)
                mine["probe"].append(report["duration_ms"] / 1000)
                mine["rss"].append(usage.ru_maxrss / 1024)
                mine["cpu"].append(usage.ru_utime + usage.ru_stime)
                mine["statuses"].append(
                    {s: sum(1 for t in report["targets"] if t["status"] == s) for s in ("ok", "warn", "fail")})

    def figures(repo: Optional[str]) -> Dict[str, Any]:
        mine = samples[repo]
        return {
            "process_wall_s_median": round(statistics.median(mine["wall"]), 2),
            "process_wall_s_range": [round(min(mine["wall"]), 2), round(max(mine["wall"]), 2)],
            "probe_s_median": round(statistics.median(mine["probe"]), 2),
            "peak_rss_mb_max": round(max(mine["rss"]), 1),
            "cpu_s_median": round(statistics.median(mine["cpu"]), 2),
            "target_statuses": mine["statuses"],
        }

    result: Dict[str, Any] = {"hosts": hosts, "rtt_ms": rtt_ms, "runs": runs, "concurrency": 64, **figures(None)}
    if BASELINE:
        result["baseline"] = {"checkout": BASELINE, **figures(BASELINE)}
    return result


def bench_dead_host(timeout: float = 2.0, rounds: int = 5) -> Dict[str, Any]:
    """
    One host that accepts TCP and never answers costs --timeout, not more (no CA configured, so the
    OS trust store is loaded in the same run). With ESPROBE_BASELINE, that checkout alternates with this one.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    directory = Path(tempfile.mkdtemp(prefix="esprobe-bench-"))
    config = directory / "dead.yml"
    config.write_text(f'output.elasticsearch.hosts: ["https://127.0.0.1:{port}"]\n')
    config.chmod(0o600)
    repos: List[Optional[str]] = [None, BASELINE] if BASELINE else [None]
    probes: Dict[Optional[str], List[float]] = {repo: [] for repo in repos}
    walls: Dict[Optional[str], List[float]] = {repo: [] for repo in repos}
    codes: Dict[Optional[str], List[str]] = {}
    try:
        # The target is an address, so no name is looked up; a loopback port where nothing listens stands
        # as --nameserver all the same, so that nothing this benchmark runs could ask the machine's DNS.
        for _ in range(rounds):
            for repo in repos:
                wall, report, _ = _esprobe("-c", str(config), "--timeout", str(timeout),
                                           "--nameserver", "127.0.0.1:1", repo=repo)
                probes[repo].append(report["duration_ms"] / 1000)
                walls[repo].append(wall)
                codes[repo] = [f["code"] for t in report["targets"] for s in t["stages"] for f in s["findings"]]
    finally:
        listener.close()

    def figures(repo: Optional[str]) -> Dict[str, Any]:
        return {"probe_s": round(statistics.median(probes[repo]), 2),
                "probe_s_range": [round(min(probes[repo]), 2), round(max(probes[repo]), 2)],
                "process_wall_s": round(statistics.median(walls[repo]), 2), "codes": codes[repo]}

    result: Dict[str, Any] = {"timeout_s": timeout, "rounds": rounds, **figures(None)}
    if BASELINE:
        result["baseline"] = {"checkout": BASELINE, **figures(BASELINE)}
    return result


# --- 5. the curl chain ------------------------------------------------------------------------------


def _curl_chain(stack: Dict[str, Any]) -> List[str]:
    """
    curl doing what esprobe does for one healthy Elasticsearch host: GET /, GET _authenticate and
    POST _has_privileges, all three over one verified TLS connection (``--next`` keeps it open).
    ``--resolve`` spares curl the system resolver; esprobe asks the stand-in DNS server instead.
    """
    origin = f"https://es.bench:{stack['es_port']}"
    common = ["--silent", "--show-error", "--cacert", stack["ca"],
              "--resolve", f"es.bench:{stack['es_port']}:127.0.0.1",
              "--user", f"{stack['username']}:{stack['password']}", "--write-out", "%{num_connects} %{http_code}\\n"]
    body = json.dumps({"cluster": ["monitor", "read_ilm", "read_pipeline"],
                       "index": [{"names": ["metricbeat-*"], "privileges": ["create_doc", "auto_configure"]}]})
    return ["curl", *common, "-o", os.devnull, f"{origin}/", "-o", os.devnull, f"{origin}/_security/_authenticate",
            "--next", *common, "-o", os.devnull, "-H", "Content-Type: application/json", "--data", body,
            f"{origin}/_security/user/_has_privileges"]


def _run_curl(argv: List[str]) -> Tuple[float, float, List[str]]:
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
    out = process.stdout.read() if process.stdout else b""
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, _cpu(usage), out.decode().split()


def bench_curl(rounds: int = 21) -> Dict[str, Any]:
    """
    One healthy Elasticsearch host, no relay: esprobe's whole process beside the curl chain, one
    of each per round, alternating, so that the machine's load hits both alike (issue #20, goal 1).
    """
    if shutil.which("curl") is None:
        return {"skipped": "curl is not installed"}
    with Stack() as stack:
        argv = _curl_chain(stack)
        wall, cpu, answers = _run_curl(argv)  # warm up both, and check that curl did what it should
        assert answers == ["1", "200", "0", "200", "0", "200"], answers  # one connect, three 200s
        probe = ("-c", stack["direct"], "--nameserver", stack["nameserver"])
        _esprobe(*probe)
        if BASELINE:
            _esprobe(*probe, repo=BASELINE)
        curl_walls, curl_cpus, walls, cpus, ratios = [], [], [], [], []
        base_walls: List[float] = []
        base_cpus: List[float] = []
        for _ in range(rounds):
            curl_wall, curl_cpu, _ = _run_curl(argv)
            wall, report, usage = _esprobe(*probe)
            assert report["status"] == "ok", report["status"]
            curl_walls.append(curl_wall)
            curl_cpus.append(curl_cpu)
            walls.append(wall)
            cpus.append(_cpu(usage))
            ratios.append(wall / curl_wall)
            if BASELINE:
                base_wall, _, base_usage = _esprobe(*probe, repo=BASELINE)
                base_walls.append(base_wall)
                base_cpus.append(_cpu(base_usage))
    result: Dict[str, Any] = {
        "rounds": rounds,
        "curl_wall_ms_median": round(statistics.median(curl_walls) * 1000, 1),
        "esprobe_wall_ms_median": round(statistics.median(walls) * 1000, 1),
        "wall_ratio_median_of_rounds": round(statistics.median(ratios), 1),
        "wall_ratio_of_medians": round(statistics.median(walls) / statistics.median(curl_walls), 1),
        "curl_cpu_ms_median": round(statistics.median(curl_cpus) * 1000, 1),
        "esprobe_cpu_ms_median": round(statistics.median(cpus) * 1000, 1),
    }
    if BASELINE:
        result["baseline"] = {
            "checkout": BASELINE,
            "esprobe_wall_ms_median": round(statistics.median(base_walls) * 1000, 1),
            "wall_ratio_of_medians": round(statistics.median(base_walls) / statistics.median(curl_walls), 1),
            "esprobe_cpu_ms_median": round(statistics.median(base_cpus) * 1000, 1),
        }
    return result


# --- 6. CPU per target -------------------------------------------------------------------------------


def bench_cpu_per_target(rounds: int = 5, hosts: int = 200, rtt_ms: float = 50.0) -> Dict[str, Any]:
    """
    What one more healthy target costs esprobe in CPU (handshake, chain verdict, three requests,
    its part of the report): the CPU of a run over *hosts* targets minus that of a run over one
    target behind the same relay, over hosts - 1. The two runs alternate (issue #20, goal 2).
    """

    def measure(stack: Dict[str, Any], repo: Optional[str]) -> Tuple[float, float, float, float]:
        _, one_report, one_usage = _esprobe("-c", stack["one"], "--nameserver", stack["nameserver"], repo=repo)
        wall, report, usage = _esprobe("-c", stack["many"], "--nameserver", stack["nameserver"], repo=repo)
        assert one_report["status"] == "ok" and report["status"] == "ok", (one_report["status"], report["status"])
        return (_cpu(usage) - _cpu(one_usage)) / (hosts - 1), _cpu(one_usage), _cpu(usage), wall

    def summary(samples: List[Tuple[float, float, float, float]]) -> Dict[str, Any]:
        per_target = [sample[0] for sample in samples]
        return {
            "cpu_ms_per_target_median": round(statistics.median(per_target) * 1000, 2),
            "cpu_ms_per_target_range": [round(min(per_target) * 1000, 2), round(max(per_target) * 1000, 2)],
            "one_target_cpu_s_median": round(statistics.median(sample[1] for sample in samples), 3),
            "many_targets_cpu_s_median": round(statistics.median(sample[2] for sample in samples), 2),
            "many_targets_wall_s_median": round(statistics.median(sample[3] for sample in samples), 2),
        }

    with Stack(rtt_ms, hosts=hosts) as stack:
        _esprobe("-c", stack["one"], "--nameserver", stack["nameserver"])
        samples, base_samples = [], []
        for _ in range(rounds):
            samples.append(measure(stack, None))
            if BASELINE:
                base_samples.append(measure(stack, BASELINE))
    result: Dict[str, Any] = {"hosts": hosts, "rtt_ms": rtt_ms, "rounds": rounds, **summary(samples)}
    if BASELINE:
        result["baseline"] = {"checkout": BASELINE, **summary(base_samples)}
    return result


BENCHMARKS = {
    "roundtrips": bench_roundtrips,
    "startup": bench_startup,
    "scale": bench_scale,
    "dead-host": bench_dead_host,
    "curl": bench_curl,
    "cpu-per-target": bench_cpu_per_target,
}


def _table(results: Dict[str, Any]) -> str:
    """The figures the issues set targets for, one line each (whatever of them this run measured)."""
    rows: List[Tuple[str, str, str]] = []
    if "curl" in results and "skipped" not in results["curl"]:
        c = results["curl"]
        rows.append(("one ES host: esprobe process / curl chain (wall)", "<= 10x",
                     f"{c['wall_ratio_median_of_rounds']}x "
                     f"({c['esprobe_wall_ms_median']} vs {c['curl_wall_ms_median']} ms)"))
        rows.append(("one ES host: esprobe process CPU", "", f"{c['esprobe_cpu_ms_median']} ms"))
        if "baseline" in c:
            b = c["baseline"]
            rows.append(("  baseline checkout: process / curl chain (wall)", "",
                         f"{b['wall_ratio_of_medians']}x ({b['esprobe_wall_ms_median']} ms, "
                         f"CPU {b['esprobe_cpu_ms_median']} ms)"))
    if "cpu-per-target" in results:
        t = results["cpu-per-target"]
        rows.append(("CPU per healthy target", "<= 4 ms",
                     f"{t['cpu_ms_per_target_median']} ms (range {t['cpu_ms_per_target_range'][0]}-"
                     f"{t['cpu_ms_per_target_range'][1]})"))
        if "baseline" in t:
            rows.append(("  baseline checkout: CPU per target", "", f"{t['baseline']['cpu_ms_per_target_median']} ms"))
    if "scale" in results:
        s = results["scale"]
        rows.append((f"{s['hosts']} endpoints behind {s['rtt_ms']:g} ms (process wall)", "<= 1.2 s",
                     f"{s['process_wall_s_median']} s (probe {s['probe_s_median']} s, CPU {s['cpu_s_median']} s)"))
        if "baseline" in s:
            b = s["baseline"]
            rows.append(("  baseline checkout: process wall", "",
                         f"{b['process_wall_s_median']} s (probe {b['probe_s_median']} s, CPU {b['cpu_s_median']} s)"))
        rows.append((f"peak RSS, {s['hosts']} endpoints", "<= 80 MB", f"{s['peak_rss_mb_max']} MB"))
    if "roundtrips" in results:
        r = results["roundtrips"]
        before = f" (baseline {r['baseline']['probe_rtt_multiple']} RTT)" if "baseline" in r else ""
        rows.append(("healthy ES + Kibana probe, round trips", "<= 6 RTT", f"{r['probe_rtt_multiple']} RTT{before}"))
    if "startup" in results:
        u = results["startup"]
        rows.append(("--version / --help vs python -c pass", "<= 1.5x", f"{u['version_ratio']}x / {u['help_ratio']}x"))
    if "dead-host" in results:
        d = results["dead-host"]
        before = f" (baseline {d['baseline']['probe_s']} s)" if "baseline" in d else ""
        rows.append(("a dead host", f"<= --timeout ({d['timeout_s']:g} s)", f"{d['probe_s']} s{before}"))
    width = max((len(row[0]) for row in rows), default=0)
    lines = [f"{'figure'.ljust(width)}  {'target':<22}  measured"]
    lines += [f"{name.ljust(width)}  {target:<22}  {measured}" for name, target, measured in rows]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    results: Dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_at_start": [round(x, 1) for x in os.getloadavg()]},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = BENCHMARKS[name]()
        print(json.dumps({name: results[name]}, indent=2), flush=True)
    results["machine"]["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    print(_table(results), flush=True)
    path = HERE / "results.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update(results)
    path.write_text(json.dumps(previous, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
