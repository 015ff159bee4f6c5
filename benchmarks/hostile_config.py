"""
Hostile configs, measured (issue 18): wall time and peak RSS of one `esprobe` process per config,
against the run's deadline (4 x --timeout) and 300 MB.

    python benchmarks/hostile_config.py [--timeout 2]

Each case runs `esprobe -c <case> --format json` as its own process, with --nameserver aimed at a
loopback stand-in; the peak RSS is read by resource.getrusage inside that process. Exit 1 when a
case passes its deadline (plus interpreter start-up) or 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from esprobe.demo.standins.dns import FakeDns, Zone  # noqa: E402

MAX_RSS_MB = 300
START_UP = 4.0

_MEASURE = (
    "import resource, sys\n"
    "from esprobe.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write('\\nMAXRSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    "sys.exit(code)\n"
)

HEAD = "output.elasticsearch:\n  hosts: ['http://127.0.0.1:9']\n  username: u\n"


def doubling_bomb() -> str:
    lines = [HEAD + "  password: '${e0}'"]
    lines += [f"e{i}: '${{e{i + 1}}}${{e{i + 1}}}'" for i in range(20)]
    return "\n".join(lines) + "\ne20: '" + "A" * 64 + "'\n"


def wide_bomb() -> str:
    """Every one of 200 settings reads the same bomb: the bound is paid once, not 200 times."""
    lines = [HEAD + "  password: '${e0}'"]
    lines += [f"s{i}: '${{e0}}'" for i in range(200)]
    lines += [f"e{i}: '${{e{i + 1}}}${{e{i + 1}}}${{e{i + 1}}}'" for i in range(16)]
    return "\n".join(lines) + "\ne16: 'B'\n"


def chain(links: int) -> str:
    lines = [HEAD + "  password: '${c0}'"]
    lines += [f"c{i}: '${{c{i + 1}}}x'" for i in range(links)]
    return "\n".join(lines) + f"\nc{links}: end\n"


def dollars() -> str:
    return HEAD + "  password: '" + "$$" * 1_000_000 + "'\n"


def flat(size: int = 15_000_000) -> str:
    lines, total, i = [HEAD.rstrip("\n")], 0, 0
    while total < size:
        line = f"k{i}: value-number-{i}"
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines) + "\n"


def many_hosts(count: int = 5000) -> str:
    hosts = ", ".join(f'"http://127.0.0.1:{1 + i}"' for i in range(count))
    return f"output.elasticsearch:\n  hosts: [{hosts}]\n  password: pw\n"


CASES: Dict[str, Callable[[], str]] = {
    "doubling-bomb-20": doubling_bomb,
    "wide-bomb-200-readers": wide_bomb,
    "chain-70": lambda: chain(70),
    "chain-150": lambda: chain(150),
    "dollars-2M": dollars,
    "flat-15MB": flat,
    "hosts-5000": many_hosts,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    deadline = 4 * args.timeout
    failed: List[str] = []
    with tempfile.TemporaryDirectory() as directory, FakeDns(Zone()) as dns:
        for name, build in CASES.items():
            path = Path(directory) / f"{name}.yml"
            path.write_text(build())
            path.chmod(0o600)
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", _MEASURE, "-c", str(path), "--format", "json", "--timeout",
                 f"{args.timeout:g}", "--nameserver", dns.nameserver],
                capture_output=True, text=True, timeout=600, cwd=str(REPO),
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            seconds = time.monotonic() - started
            rss_mb = int(done.stderr.rsplit("MAXRSS ", 1)[1].split()[0]) / 1024
            codes = sorted({f["code"] for f in json.loads(done.stdout)["findings"]}) if done.stdout else []
            ok = seconds <= deadline + START_UP and rss_mb <= MAX_RSS_MB
            if not ok:
                failed.append(name)
            print(json.dumps({"case": name, "exit": done.returncode, "seconds": round(seconds, 2),
                              "peak_rss_mb": round(rss_mb, 1), "deadline_s": deadline, "findings": codes,
                              "ok": ok}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
