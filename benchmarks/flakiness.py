"""
Flakiness is a defect (issue #21): run the whole test suite several times, in its own order and in
seeded random orders, while other processes keep every CPU busy, and list every test that failed.

    python benchmarks/flakiness.py                       # 1 run in order + 3 shuffled, under load
    python benchmarks/flakiness.py --shuffled 5 --seed 100 --burners 4
    python benchmarks/flakiness.py --no-load -- -m "not e2e"   # after --: extra pytest arguments

A run in order is `python -m pytest -p no:randomly` (so an installed pytest-randomly cannot reorder
it); a shuffled run adds `-p benchmarks.shuffle` with ESPROBE_SHUFFLE_SEED=<seed>, which the summary
prints so that a failure can be replayed exactly. The load: one busy-looping process per CPU (or
--burners N) for the whole time. Results are printed and written to benchmarks/flakiness.json;
benchmarks/README.md records them. Exit status 1 when any run had a failure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _burn(stop: Any) -> None:
    while not stop.is_set():
        for _ in range(100_000):
            pass


def _failures(junit: Path) -> List[str]:
    """The ids of the tests that failed or errored, from pytest's JUnit XML."""
    if not junit.exists():
        return []
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            failed.append(name)
    return failed


def _totals(junit: Path) -> Dict[str, int]:
    if not junit.exists():
        return {}
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return {}
    return {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}


def run_suite(label: str, seed: Optional[int], extra: List[str], logs: Path) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="esprobe-flaky-") as scratch:
        junit = Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                   f"--junitxml={junit}"]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        if seed is not None:
            command += ["-p", "benchmarks.shuffle"]
            env["ESPROBE_SHUFFLE_SEED"] = str(seed)
        command += extra
        started = time.monotonic()
        done = subprocess.run(command, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        seconds = round(time.monotonic() - started, 1)
        (logs / f"{label}.log").write_text(done.stdout, encoding="utf-8")
        result = {"run": label, "seed": seed, "exit": done.returncode, "seconds": seconds,
                  "failed": _failures(junit), **_totals(junit)}
    summary = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line or " error" in line]
    tail = summary[-1].strip("= ") if summary else "(no summary line)"
    print(f"{label:>12}  seed={seed!s:>5}  exit={done.returncode}  {seconds:7.1f} s  {tail}", flush=True)
    for test in result["failed"]:
        print(f"{'':>14}FAILED {test}", flush=True)
    if done.returncode not in (0, 1):  # 1 = test failures, listed above; anything else: show why
        print(done.stdout[-4000:], flush=True)
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ordered", type=int, default=1, help="runs in the suite's own order (default 1)")
    parser.add_argument("--shuffled", type=int, default=3, help="runs in a seeded random order (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first shuffled run; then +1 (default 1)")
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 1, help="CPU-burning processes")
    parser.add_argument("--no-load", action="store_true", help="no CPU burners")
    parser.add_argument("--output", default=str(HERE / "flakiness.json"), help="where the results go")
    parser.add_argument("--logs", default="", help="directory for each run's pytest output (default: a temp dir)")
    parser.add_argument("pytest_args", nargs="*", help="after --: extra pytest arguments")
    options = parser.parse_args(argv)

    burners = 0 if options.no_load else options.burners
    stop = multiprocessing.Event()
    workers = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(burners)]
    for worker in workers:
        worker.start()
    logs = Path(options.logs or tempfile.mkdtemp(prefix="esprobe-flakiness-"))
    logs.mkdir(parents=True, exist_ok=True)
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {burners} burner(s); logs in {logs}", flush=True)
    runs: List[Dict[str, Any]] = []
    try:
        for index in range(options.ordered):
            runs.append(run_suite(f"ordered-{index + 1}", None, options.pytest_args, logs))
        for index in range(options.shuffled):
            runs.append(run_suite(f"shuffled-{index + 1}", options.seed + index, options.pytest_args, logs))
    finally:
        stop.set()
        for worker in workers:
            worker.join(5)
            if worker.is_alive():
                worker.terminate()

    flaky = sorted({test for run in runs for test in run["failed"]})
    summary = {"python": platform.python_version(), "cpus": os.cpu_count(), "burners": burners,
               "pytest_args": options.pytest_args, "runs": runs, "failed_somewhere": flaky}
    Path(options.output).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"{len(runs)} runs; tests that failed in any: {len(flaky)}", flush=True)
    for test in flaky:
        print(f"  {test}: failed in " + ", ".join(r["run"] for r in runs if test in r["failed"]), flush=True)
    return 1 if flaky or any(r["exit"] != 0 for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
