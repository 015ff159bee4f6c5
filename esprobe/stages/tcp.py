"""TCP stage: does each resolved address accept a connection on the target's port?"""

from __future__ import annotations

from typing import List

from esprobe import findings
from esprobe.config.proxy import ProxyRoute
from esprobe.model import Finding, Stage, StageResult, Target, stage_result
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
    proxy_setting = target.settings.proxy_url
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


def judge_proxied_tcp(target: Target, route: ProxyRoute, obs: TcpObservation) -> StageResult:
    """The connection to the proxy, then (for https) the CONNECT tunnel to the target."""
    names = target.settings
    params = {
        "proxy_source": "proxy_url" if route.source == "proxy_url" else f"the {route.source} environment variable",
        "proxy_setting": names.proxy_url if route.source == "proxy_url" else route.source,
        "proxy_disable": names.proxy_disable,
        "authority": f"{target.host}:{target.port}",
    }
    details = {
        "attempts": [{"address": a.address, "outcome": a.outcome, "ms": a.ms} for a in obs.attempts],
        "route": {"path": "proxy", "proxy": route.display, "source": route.source},
    }
    connected = [a for a in obs.attempts if a.outcome == "connected"]
    if not connected:
        words = ", ".join(f"{_endpoint(a.address, obs.port)} {_WORDS[a.outcome]}" for a in obs.attempts) or "no address"
        finding = findings.make("proxy-unreachable", f"The proxy {route.display} ({route.source}): {words}.", **params)
        return stage_result(Stage.TCP, f"proxy {route.display} unreachable", [finding], details, obs)
    first = connected[0]
    summary = f"connected to proxy {route.display} at {_endpoint(first.address, obs.port)}"
    tunnel = obs.tunnel
    if tunnel is None:  # plain http: requests go to the proxy in absolute form, no tunnel
        return stage_result(Stage.TCP, summary + f"; requests to {target.host} go through it", (), details, obs)
    details["tunnel"] = {"status": tunnel.status, "reason": tunnel.reason, "ms": tunnel.ms}
    if tunnel.ok:
        return stage_result(Stage.TCP, summary + f"; CONNECT {target.host}:{target.port} → {tunnel.status}",
                            (), details, obs)
    if tunnel.status in (407, 401):  # 407 is the rule; some proxies (tinyproxy) answer 401 to bad credentials
        wanted = ", ".join(v for k, v in tunnel.headers if k.lower() == "proxy-authenticate") or "credentials"
        sent = "with" if route.username is not None else "without"
        finding = findings.make("proxy-auth-required",
                                f"The proxy {route.display} answered 407 to CONNECT {target.host}:{target.port} "
                                f"(sent {sent} credentials; it asks for {wanted}).", **params)
    elif tunnel.status is not None:
        finding = findings.make("proxy-connect-denied",
                                f"The proxy {route.display} refused CONNECT {target.host}:{target.port}: "
                                f"{tunnel.status} {tunnel.reason}.", **params)
    else:
        finding = findings.make(
            "proxy-no-answer", f"The proxy {route.display} gave no HTTP answer to CONNECT ({tunnel.reason}).", **params
        )
    return stage_result(
        Stage.TCP, summary + f"; CONNECT refused ({tunnel.status or tunnel.reason})", [finding], details, obs
    )
