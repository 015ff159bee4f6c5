"""
One check run: read the config the Beat's way, probe every target, assemble the Report. Also what
the command line needs to build a run's options (`CheckOptions`, `parse_nameserver`), so that it
imports one module of the probe's machinery.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import time
from dataclasses import field
from typing import Any, Mapping, Optional, Tuple

from esprobe import __version__
from esprobe.config import load_config
from esprobe.context import DEADLINE_FACTOR, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, Deadline, ProbeContext
from esprobe.findings.order import root_cause_first
from esprobe.model import ConfigInfo, Report, TargetReport
from esprobe.net.resolver import parse_nameserver
from esprobe.probe.pipeline import STEPS
from esprobe.probe.runner import run_probes
from esprobe.record import record
from esprobe.redact import Redactor
from esprobe.rulesets import resolve as resolve_rules
from esprobe.untrusted import clean_report


@record
class CheckOptions:
    """The command line of ``esprobe check``, already parsed and validated."""

    config_paths: Tuple[str, ...] = ()
    overrides: Tuple[str, ...] = ()
    keystore: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    hosts_file: Optional[str] = None
    nameservers: Tuple[Tuple[str, int], ...] = ()
    only: Tuple[str, ...] = ()
    warn_days: int = 30
    crit_days: int = 7
    concurrency: int = DEFAULT_CONCURRENCY
    beat_version: Optional[str] = None  # --beat-version; None = the newest documented Beat release
    strict_perms: bool = True  # the Beat's -strict.perms flag
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    # --service/--pid: how the Beat is really started (a config/service.py BeatInvocation, which the
    # CLI imports only for those flags: this module never does); -c/-E/environ above are then the
    # service's, and load_config follows its working directory, user and root.
    invocation: Any = None


def default_config_paths(cwd: str) -> Tuple[str, ...]:
    """Without -c, the Beat reads ``<beat>.yml`` in its working directory: every such ``*beat.yml`` here."""
    try:
        names = sorted(os.listdir(cwd))
    except OSError:
        return ()
    return tuple(n for n in names if n.endswith("beat.yml") and os.path.isfile(os.path.join(cwd, n)))


def run_check(options: CheckOptions, redactor: Redactor) -> Tuple[Report, object]:
    """Run the whole check. Returns the report and the loaded config (the bundle wants both)."""
    rules = resolve_rules(options.beat_version)
    started_wall = time.time()
    started = time.monotonic()
    # One deadline for the whole run, config reading included: a hostile config (a ${VAR} bomb)
    # costs at most the run's deadline, never the probes' share of it plus however long it takes.
    deadline = Deadline(options.timeout * DEADLINE_FACTOR)
    loaded = load_config(
        options.config_paths,
        options.overrides,
        environ=options.environ,
        keystore_path=options.keystore,
        only=options.only,
        redactor=redactor,
        launch=_launch(options),
        rules=rules,
        strict_perms=options.strict_perms,
        deadline=deadline,
    )
    findings, service = _service_part(options, loaded, redactor)
    ctx = ProbeContext(
        timeout=options.timeout,
        deadline=deadline,
        hosts_file=options.hosts_file or "/etc/hosts",
        hosts_file_overridden=options.hosts_file is not None,
        nameservers=options.nameservers,
        environ=options.environ,
        warn_days=options.warn_days,
        crit_days=options.crit_days,
        beat=loaded.beat,
        rules=rules,
        fs_root=options.invocation.root if options.invocation is not None else "/",
    )
    targets = tuple(_annotated(t, loaded) for t in run_probes(loaded.targets, ctx, concurrency=options.concurrency,
                                                                 steps=STEPS))
    report = Report(
        esprobe_version=__version__,
        started_at=_iso(started_wall),
        duration_ms=round((time.monotonic() - started) * 1000, 3),
        config=ConfigInfo(loaded.path, loaded.beat),
        findings=findings,
        targets=targets,
        timestamp=started_wall,
        service=service,
        warn_days=options.warn_days,
        crit_days=options.crit_days,
        rules=rules,
    )

    # The one point where server text enters what is printed: redacted, escaped, capped.
    return clean_report(report, redactor.redact), loaded


def _launch(options: CheckOptions):  # type: ignore[no-untyped-def]
    if options.invocation is None:
        return None

    return options.invocation.launch()


def _service_part(options: CheckOptions, loaded: Any, redactor: Redactor):  # type: ignore[no-untyped-def]
    """With --service/--pid: the launch's own findings, and the report's ``service`` object."""
    if options.invocation is None:
        return loaded.findings, None
    options.invocation.register_secrets(redactor)
    extra = tuple(
        dataclasses.replace(f, message=redactor.redact(f.message), hint=redactor.redact(f.hint))
        for f in options.invocation.findings(loaded)
    )
    return loaded.findings + extra, options.invocation.report_part(loaded)


def _annotated(report: TargetReport, loaded: Any) -> TargetReport:
    """
    The target's findings root cause first (the one rule in `findings.order`), each finding about a
    setting carrying the ``file:line`` the setting was read from, as config findings do.
    """
    locate = getattr(loaded, "location_of", None)
    stages = []
    for stage in report.stages:
        found = root_cause_first(stage.findings)
        if callable(locate):
            found = tuple(
                f if f.location or not f.setting else dataclasses.replace(f, location=locate(f.setting))
                for f in found
            )
        stages.append(stage if found == stage.findings else dataclasses.replace(stage, findings=found))
    return dataclasses.replace(report, stages=tuple(stages))


def _iso(unix: float) -> str:
    moment = _dt.datetime.fromtimestamp(unix, _dt.timezone.utc).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["CheckOptions", "default_config_paths", "parse_nameserver", "run_check"]
