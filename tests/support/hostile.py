"""Running esprobe's CLI against hostile loopback peers, and the time limits those runs are held to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from tests.support.cli import Stack

HOSTILE = "hostile.test"
TIMEOUT = 1.0  # --timeout for every run here
# A stage bounded by --timeout may overrun it by this much (scheduling, closing, judging).
SLACK = 0.5


@dataclass
class Run:
    """One in-process run of `esprobe --format json` and what it cost."""

    code: int
    document: Dict[str, Any]
    out: str
    err: str
    elapsed: float
    peak_bytes: Optional[int]  # tracemalloc's peak while the probes ran, when measured

    def target(self, host: str) -> Dict[str, Any]:
        return next(t for t in self.document["targets"] if t["host"] == host)

    @property
    def hostile(self) -> Dict[str, Any]:
        return self.target(HOSTILE)

    @property
    def healthy(self) -> Dict[str, Any]:
        return self.target("es.test")

    def stage(self, name: str, host: str = HOSTILE) -> Dict[str, Any]:
        return next(s for s in self.target(host)["stages"] if s["stage"] == name)

    def codes(self, name: str, host: str = HOSTILE) -> List[str]:
        return [f["code"] for f in self.stage(name, host)["findings"]]

    def message(self, name: str, code: str, host: str = HOSTILE) -> str:
        return next(f["message"] for f in self.stage(name, host)["findings"] if f["code"] == code)

    def seconds(self, host: str = HOSTILE) -> float:
        """Time the target's stages took, from the report."""
        return sum(s["duration_ms"] for s in self.target(host)["stages"]) / 1000


def hostile_config(stack: Stack, port: int, scheme: str = "https", name: str = "hostile.yml") -> Path:
    """The healthy Elasticsearch first, the hostile peer second, one output, shared credentials."""
    return stack.config(
        "output.elasticsearch:\n"
        f'  hosts: ["https://es.test:{stack.es.port}", "{scheme}://{HOSTILE}:{port}"]\n'
        "  username: beats_writer\n"
        '  password: "${ES_PWD}"\n'
        f'  ssl.certificate_authorities: ["{stack.ca_file}"]\n',
        name,
    )


RunAgainst = Callable[..., Run]
