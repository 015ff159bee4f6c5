"""
The stages of one target, in the order of docs/report-contract.md: what each reads, when it applies, and the glue
that hands the network layer's observations to the stage's judgement.

The stage contract: a step's function receives the target, the run's context and the results so
far, takes out exactly the typed observations listed in its ``needs`` (with `_observed`), and calls
its stage with them. No stage sees another stage's result, and no network module sees any.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Optional, Tuple, Type, TypeVar

from esprobe.config.proxy import Route, route_for
from esprobe.context import ProbeContext
from esprobe.elastic.api import AuthObservation
from esprobe.model import Role, Stage, StageResult, Target, TargetReport
from esprobe.net.connect import TcpObservation, connect_all
from esprobe.net.es_client import HttpObservation
from esprobe.net.resolver import DnsObservation, resolve, with_crosscheck
from esprobe.net.tls import TlsProbe
from esprobe.net.tunnel import open_tunnel
from esprobe.probe.runner import Results, StagedProbe, Step
from esprobe.record import record
from esprobe.stages.auth import check_auth
from esprobe.stages.dns import judge_direct_dns, judge_dns, judge_proxied_dns
from esprobe.stages.hostname import judge_hostname
from esprobe.stages.http import check_http
from esprobe.stages.privileges import check_kibana_setup, check_privileges, with_kibana_setup
from esprobe.stages.tcp import judge_proxied_tcp, judge_tcp
from esprobe.stages.tls import check_tls, prefetch_trust


@record
class Resolved:
    """
    What the dns step hands on: the path the target's requests take (decided once per target)
    and the answer for the name dialled (the target's, or the proxy's).
    """

    route: Route
    dns: DnsObservation
    # A Kibana target's connection to the Elasticsearch host its `setup` privileges are asked of,
    # opened alongside its own stages; None for every other target.
    setup: Optional["_SetupConnection"] = None

    def close(self) -> None:
        if self.setup is not None:
            self.setup.close()

    def detach(self) -> "Resolved":
        return self if self.setup is None else dataclasses.replace(self, setup=None)


_O = TypeVar("_O")


def _observed(results: Results, stage: Stage, kind: Type[_O]) -> Optional[_O]:
    """The observation *stage* handed on, when it is a *kind*; None when the stage did not apply."""
    result = results.get(stage)
    observation = result.observation if result is not None else None
    return observation if isinstance(observation, kind) else None


def _required(results: Results, stage: Stage, kind: Type[_O]) -> _O:
    """The observation of a stage that passed and always hands one on."""
    observation = _observed(results, stage, kind)
    if observation is None:
        raise LookupError(f"the {stage.value} stage passed without its {kind.__name__}")
    return observation


# --- the steps ------------------------------------------------------------------------------------


def _dns(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    prefetch_trust(target, ctx)  # the OS trust store, if the tls stage will want it, loads meanwhile
    via = target.privileges_via if target.role is Role.KIBANA else None
    setup = _SetupConnection(via, target.space_id, ctx) if via is not None else None
    try:
        return _resolved(target, ctx, setup)
    except BaseException:
        if setup is not None:
            setup.close()
        raise


def _resolved(target: Target, ctx: ProbeContext, setup: Optional[_SetupConnection]) -> StageResult:
    route = route_for(target, ctx.environ)
    proxy = route.proxy
    if proxy is not None:
        dns = resolve(proxy.host, ctx)
        result = judge_proxied_dns(target, proxy, dns, resolv_conf=ctx.resolv_conf)
    else:
        dns = resolve(target.host, ctx)
        result = judge_direct_dns(target, route, dns, resolv_conf=ctx.resolv_conf)
    return dataclasses.replace(result, observation=Resolved(route, dns, setup))


def _dns_finish(target: Target, ctx: ProbeContext, result: StageResult) -> StageResult:
    """Fold the background DNS cross-check into the dns stage's result, keeping its timing."""
    resolved = result.observation
    if not isinstance(resolved, Resolved) or resolved.dns.crosscheck is None or resolved.route.proxy is not None:
        return result
    judged = judge_dns(target, with_crosscheck(resolved.dns), resolv_conf=ctx.resolv_conf)
    details = dict(judged.details)
    if "route" in result.details:
        details["route"] = result.details["route"]
    findings = judged.findings + tuple(f for f in result.findings if f.code.startswith("proxy-"))
    return dataclasses.replace(result, summary=judged.summary, details=details, findings=findings)


def _tcp(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    resolved = _required(results, Stage.DNS, Resolved)
    addresses = [a.address for a in resolved.dns.addresses]
    proxy = resolved.route.proxy
    if proxy is None:
        return judge_tcp(target, connect_all(addresses, target.port, ctx.step_timeout()))
    observation = dataclasses.replace(connect_all(addresses, proxy.port, ctx.step_timeout()), proxy=proxy)
    if observation.sock is not None and target.scheme == "https":
        tunnel = open_tunnel(observation.sock, proxy, target.host, target.port, ctx.step_timeout())
        observation = dataclasses.replace(observation, tunnel=tunnel)
    return judge_proxied_tcp(target, proxy, observation)


def _no_tls(target: Target) -> Optional[str]:
    if target.tls is not None:
        return None
    if target.scheme == "http":
        return "the URL is http://, so the Beat does not use TLS"
    return "no ssl settings, so the Beat does not use TLS"


def _not_http(target: Target) -> Optional[str]:
    return None if target.is_http else "Logstash speaks the Beats (Lumberjack) protocol, not HTTP"


def _tls(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    return check_tls(target, ctx, _required(results, Stage.TCP, TcpObservation))


def _hostname(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    return judge_hostname(target, _required(results, Stage.TLS, TlsProbe).leaf)


def _http(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    tcp = _required(results, Stage.TCP, TcpObservation)
    return check_http(target, ctx, tcp, _observed(results, Stage.TLS, TlsProbe))


def _auth(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    http = _observed(results, Stage.HTTP, HttpObservation)
    return check_auth(target, ctx, http, _observed(results, Stage.TLS, TlsProbe))


def _privileges(target: Target, ctx: ProbeContext, results: Results) -> StageResult:
    http = _observed(results, Stage.HTTP, HttpObservation)
    resolved = _observed(results, Stage.DNS, Resolved)
    setup = resolved.setup if resolved is not None else None
    if setup is not None:
        # Kibana's http and auth stages passed (this step needs them): its credentials may now go to
        # Elasticsearch, at the same time as Kibana answers its own privileges question.
        setup.ask()
    result = check_privileges(target, ctx, http, _observed(results, Stage.AUTH, AuthObservation))
    if target.role is Role.KIBANA:
        result = with_kibana_setup(result, target, setup.answer() if setup is not None else None)
    return result


class _SetupConnection:
    """
    Kibana's application privileges live in Elasticsearch: `setup`'s are asked of the output's first
    host (*via*, carrying Kibana's credentials) with that host's own stages. Those up to hostname send
    no credentials, so they run in the background from the moment Kibana's probe starts, and the
    connection is verified by the time Kibana's auth has passed; then `ask` sends the requests (every
    stage up to http, so they go only over a connection that passed its checks, then
    `_has_privileges` for the space). When Kibana's own stages fail, nothing more is sent and `close`
    closes the connection.
    """

    def __init__(self, via: Target, space_id: Optional[str], ctx: ProbeContext) -> None:
        def ask(es: Target, ctx: ProbeContext, results: Results) -> StageResult:
            return check_kibana_setup(es, space_id, _required(results, Stage.HTTP, HttpObservation))

        ask_step = Step(Stage.PRIVILEGES, ask, needs=(Stage.HTTP, Stage.TLS), guards=(Stage.HOSTNAME,))
        self._probe = StagedProbe(via, ctx, (*STEPS[:5], ask_step))
        self._lock = threading.Lock()
        self._opened = False
        self._closed = False
        self._opening = threading.Thread(target=self._open, daemon=True, name="esprobe-setup-open")
        self._asking: Optional[threading.Thread] = None
        self._opening.start()

    def _open(self) -> None:
        try:
            self._probe.advance(until=Stage.HTTP)
        finally:
            with self._lock:
                self._opened = True
                abandoned = self._closed and self._asking is None
            if abandoned:
                self._probe.release()

    def ask(self) -> None:
        """Send Kibana's credentials over the verified connection, in the background: only once Kibana's auth passed."""
        with self._lock:
            if self._closed:
                return
            self._asking = threading.Thread(target=self._ask, daemon=True, name="esprobe-setup-ask")
            self._asking.start()

    def _ask(self) -> None:
        self._opening.join()
        try:
            self._probe.advance()
            self._probe.finish()
        finally:
            self._probe.release()

    def answer(self) -> TargetReport:
        assert self._asking is not None, "answer() before ask()"
        self._asking.join()
        return self._probe.report()

    def close(self) -> None:
        """Kibana's probe is done: close the connection, now or (still opening) as soon as it is open."""
        with self._lock:
            self._closed = True
            abandoned = self._opened and self._asking is None
        if abandoned:
            self._probe.release()


STEPS: Tuple[Step, ...] = (
    Step(Stage.DNS, _dns, finish=_dns_finish),
    Step(Stage.TCP, _tcp, needs=(Stage.DNS,)),
    Step(Stage.TLS, _tls, needs=(Stage.TCP,), not_applicable=_no_tls),
    # Whether the name is checked at all (verification_mode) is the hostname stage's own judgement.
    Step(Stage.HOSTNAME, _hostname, needs=(Stage.TLS,), not_applicable=_no_tls),
    # Credentials travel only over a connection whose TLS verification (chain and name) passed.
    Step(Stage.HTTP, _http, needs=(Stage.TCP, Stage.TLS), guards=(Stage.HOSTNAME,), not_applicable=_not_http),
    Step(Stage.AUTH, _auth, needs=(Stage.HTTP, Stage.TLS), not_applicable=_not_http),
    Step(Stage.PRIVILEGES, _privileges, needs=(Stage.AUTH, Stage.HTTP), not_applicable=_not_http),
)
