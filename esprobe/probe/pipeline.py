"""
The stages of one target, in the contract's order: what each needs, when it applies, and the glue
that hands the network layer's observation to the stage's pure judgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Tuple

from esprobe.context import ProbeContext
from esprobe.model import Stage, StageResult, Target

Results = Mapping[Stage, StageResult]
StepFn = Callable[[Target, ProbeContext, Results], StageResult]


@dataclass(frozen=True)
class Step:
    """
    One stage of the pipeline.

    Attributes:
        stage: which stage.
        run: observes (through the network layer) and judges (through ``stages/``).
        needs: stages that must have passed; a stage that does not apply never blocks.
        not_applicable: returns why the stage does not apply to a target, or None when it does.
        finish: called once the target's other stages are done, to fold in what arrived late
            (the DNS cross-check), or None.
    """

    stage: Stage
    run: StepFn
    needs: Tuple[Stage, ...] = ()
    not_applicable: Callable[[Target], Optional[str]] = lambda target: None
    finish: Optional[Callable[[Target, ProbeContext, StageResult], StageResult]] = None


def _route(target: Target, ctx: ProbeContext):  # type: ignore[no-untyped-def]
    """The proxy the Beat's requests take, if esprobe can follow them there (pure and cheap)."""
    from esprobe.config.proxy import choose_proxy

    route, why = choose_proxy(target, ctx.environ)
    return (route if route is not None and route.supported else None), route, why


def _dns(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    import dataclasses

    from esprobe import findings
    from esprobe.net.resolver import resolve
    from esprobe.stages.dns import judge_dns, judge_proxied_dns, route_details

    route, chosen, why = _route(target, ctx)
    if route is not None:
        return judge_proxied_dns(target, route, resolve(route.host, ctx), resolv_conf=ctx.resolv_conf)
    result = judge_dns(target, resolve(target.host, ctx), resolv_conf=ctx.resolv_conf)
    if not target.is_http:
        return result
    details = dict(result.details)
    details["route"] = route_details(None, why)
    if chosen is not None:  # a proxy esprobe cannot speak: say so, and probe directly
        note = findings.make(
            "proxy-unsupported",
            f"The Beat would go through the {chosen.scheme} proxy {chosen.display} ({chosen.source}); esprobe "
            "probes the target directly instead.",
            proxy_setting=chosen.source if chosen.source != "proxy_url" else "proxy_url")
        result = dataclasses.replace(result, findings=result.findings + (note,))
        if result.status.severity < note.status.severity:
            result = dataclasses.replace(result, status=note.status)
    return dataclasses.replace(result, details=details)


def _dns_finish(target: Target, ctx: ProbeContext, result: StageResult) -> StageResult:
    """Fold the background DNS cross-check into the dns stage's result, keeping its timing."""
    import dataclasses

    from esprobe.net.resolver import with_crosscheck
    from esprobe.stages.dns import judge_dns

    observation = result.observation
    if observation is None or getattr(observation, "crosscheck", None) is None or result.details.get("route", {}).get("path") == "proxy":
        return result
    judged = judge_dns(target, with_crosscheck(observation), resolv_conf=ctx.resolv_conf)
    details = dict(judged.details)
    if "route" in result.details:
        details["route"] = result.details["route"]
    findings = judged.findings + tuple(f for f in result.findings if f.code.startswith("proxy-"))
    return dataclasses.replace(result, summary=judged.summary, details=details, findings=findings)


def _tcp(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    import dataclasses

    from esprobe.net.connect import connect_all
    from esprobe.stages.tcp import judge_proxied_tcp, judge_tcp

    dns = results[Stage.DNS].observation
    addresses = [a.address for a in dns.addresses]
    route, _, _ = _route(target, ctx)
    if route is None:
        return judge_tcp(target, connect_all(addresses, target.port, ctx.step_timeout()))
    from esprobe.net.tunnel import open_tunnel

    observation = dataclasses.replace(connect_all(addresses, route.port, ctx.step_timeout()), proxy=route)
    if observation.sock is not None and target.scheme == "https":
        tunnel = open_tunnel(observation.sock, route, target.host, target.port, ctx.step_timeout())
        observation = dataclasses.replace(observation, tunnel=tunnel)
    return judge_proxied_tcp(target, route, observation)


def _no_tls(target: Target) -> Optional[str]:
    if target.tls is not None:
        return None
    if target.scheme == "http":
        return "the URL is http://, so the Beat does not use TLS"
    return "no ssl settings, so the Beat does not use TLS"


def _no_name_check(target: Target) -> Optional[str]:
    reason = _no_tls(target)
    if reason is None and target.tls is not None and target.tls.verification_mode in ("certificate", "none"):
        return f"verification_mode is {target.tls.verification_mode}, so the Beat does not check the host name"
    return reason


def _not_http(target: Target) -> Optional[str]:
    return None if target.is_http else "Logstash speaks the Beats (Lumberjack) protocol, not HTTP"


def _tls(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from esprobe.stages.tls import check_tls

    return check_tls(target, ctx, results)


def _hostname(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from cryptography import x509

    from esprobe.stages.hostname import judge_hostname

    tls = results[Stage.TLS].observation
    return judge_hostname(target, x509.load_der_x509_certificate(tls.chain[0]))


def _http(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from esprobe.stages.http import check_http

    return check_http(target, ctx, results)


def _auth(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from esprobe.stages.auth import check_auth

    return check_auth(target, ctx, results)


def _privileges(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from esprobe.stages.privileges import check_privileges

    return check_privileges(target, ctx, results)


STEPS: Tuple[Step, ...] = (
    Step(Stage.DNS, _dns, finish=_dns_finish),
    Step(Stage.TCP, _tcp, needs=(Stage.DNS,)),
    Step(Stage.TLS, _tls, needs=(Stage.TCP,), not_applicable=_no_tls),
    Step(Stage.HOSTNAME, _hostname, needs=(Stage.TLS,), not_applicable=_no_name_check),
    # Credentials travel only over a connection whose TLS verification (chain and name) passed.
    Step(Stage.HTTP, _http, needs=(Stage.TCP, Stage.TLS, Stage.HOSTNAME), not_applicable=_not_http),
    Step(Stage.AUTH, _auth, needs=(Stage.HTTP,), not_applicable=_not_http),
    Step(Stage.PRIVILEGES, _privileges, needs=(Stage.AUTH,), not_applicable=_not_http),
)
