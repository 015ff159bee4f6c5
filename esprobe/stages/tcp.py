"""TCP stage: does each resolved address accept a connection on the target's port?"""

from __future__ import annotations

from typing import List

from esprobe import findings
from esprobe.model import Finding, Role, Stage, StageResult, Target, stage_result
from esprobe.net.connect import TcpAttempt, TcpObservation

_CODES = {
    "refused": "tcp-refused",
    "timeout": "tcp-timeout",
    "unreachable": "tcp-unreachable",
    "error": "tcp-error",
}

_WORDS = {
    "refused": "refused the connection",
    "timeout": "did not answer",
    "unreachable": "is unreachable",
    "error": "failed",
}


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def judge_tcp(target: Target, obs: TcpObservation) -> StageResult:
    details = {
        "attempts": [{"address": a.address, "outcome": a.outcome, "ms": a.ms} for a in obs.attempts],
    }
    failed = [a for a in obs.attempts if a.outcome != "connected"]
    connected = [a for a in obs.attempts if a.outcome == "connected"]
    if connected:
        first = connected[0]
        summary = f"connected to {_endpoint(first.address, obs.port)} in {first.ms:.0f} ms"
        problems: List[Finding] = []
        if failed:
            # The Beat gets through on the good address, so one warning tells the whole story.
            summary += f"; {len(failed)} of {len(obs.attempts)} addresses failed"
            problems.append(
                findings.make(
                    "tcp-some-addresses-failed",
                    f"{len(failed)} of {len(obs.attempts)} addresses of {target.host} did not accept a "
                    f"connection on port {obs.port}: "
                    + ", ".join(f"{_endpoint(a.address, obs.port)} {_WORDS[a.outcome]}" for a in failed)
                    + ".",
                    setting=target.setting,
                )
            )
        return stage_result(Stage.TCP, summary, problems, details, obs)
    problems = [_failure(target, obs.port, a) for a in failed]
    if not obs.attempts:
        summary = "no address to connect to"
    elif len(failed) == 1:
        summary = f"{_endpoint(failed[0].address, obs.port)} {_WORDS[failed[0].outcome]}"
    else:
        summary = f"none of {len(failed)} addresses accepted a connection on port {obs.port}"
    return stage_result(Stage.TCP, summary, problems, details, obs)


def _failure(target: Target, port: int, attempt: TcpAttempt) -> Finding:
    proxy_setting = _proxy_setting(target)
    message = f"{_endpoint(attempt.address, port)} {_WORDS[attempt.outcome]}"
    if attempt.detail:
        message += f" ({attempt.detail})"
    return findings.make(
        _CODES[attempt.outcome],
        message + ".",
        setting=target.setting,
        port=port,
        proxy_setting=proxy_setting,
    )


def _proxy_setting(target: Target) -> str:
    prefix = {
        Role.ELASTICSEARCH: "output.elasticsearch",
        Role.KIBANA: "setup.kibana",
        Role.MONITORING: "monitoring.elasticsearch",
        Role.LOGSTASH: "output.logstash",
    }[target.role]
    return f"{prefix}.proxy_url"
