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
    """

    stage: Stage
    run: StepFn
    needs: Tuple[Stage, ...] = ()
    not_applicable: Callable[[Target], Optional[str]] = lambda target: None


def _dns(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from esprobe.net.resolver import resolve
    from esprobe.stages.dns import judge_dns

    return judge_dns(target, resolve(target.host, ctx), resolv_conf=ctx.resolv_conf)


def _tcp(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    from esprobe.net.connect import connect_all
    from esprobe.stages.tcp import judge_tcp

    dns = results[Stage.DNS].observation
    addresses = [a.address for a in dns.addresses]
    return judge_tcp(target, connect_all(addresses, target.port, ctx.step_timeout()))


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
    Step(Stage.DNS, _dns),
    Step(Stage.TCP, _tcp, needs=(Stage.DNS,)),
    Step(Stage.TLS, _tls, needs=(Stage.TCP,), not_applicable=_no_tls),
    Step(Stage.HOSTNAME, _hostname, needs=(Stage.TLS,), not_applicable=_no_name_check),
    # Credentials travel only over a connection whose TLS verification (chain and name) passed.
    Step(Stage.HTTP, _http, needs=(Stage.TCP, Stage.TLS, Stage.HOSTNAME), not_applicable=_not_http),
    Step(Stage.AUTH, _auth, needs=(Stage.HTTP,), not_applicable=_not_http),
    Step(Stage.PRIVILEGES, _privileges, needs=(Stage.AUTH,), not_applicable=_not_http),
)
