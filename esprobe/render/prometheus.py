"""
The Prometheus text exposition format, for node_exporter's textfile collector.

State as gauges with few labels (role, url, stage, subject); never error strings as labels, so
the number of series stays bounded. No client-side timestamps (the collector forbids them).
Every series carries ``beat`` and ``config`` (the config file's path), so that the files of two
Beats on one host can sit in one textfile directory without their series colliding.
"""

from __future__ import annotations

import datetime as _dt
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from esprobe.model import Report, Status, TargetReport

# esprobe_stage_status values: docs/report-contract.md (from issue #6).
_STAGE_VALUE = {Status.OK: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3, Status.SKIPPED: 3}

_METRICS: Tuple[Tuple[str, str], ...] = (
    ("esprobe_target_up", "1 when the Beat gets through to the target: no stage blocked (warnings and expiry "
     "alarms allowed), else 0."),
    ("esprobe_target_status", "Target outcome: 0 ok, 1 warn, 2 fail, 3 unknown."),
    ("esprobe_stage_status", "Stage outcome: 0 ok, 1 warn, 2 fail, 3 error or not judged (skipped after a failure); "
     "stages that do not apply are omitted."),
    ("esprobe_stage_duration_seconds", "Wall time of the stage."),
    ("esprobe_certificate_expiry_timestamp_seconds", "notAfter of each certificate the server sent, and of the "
     "client certificate, as a Unix time."),
    ("esprobe_certificate_expiry_seconds", "Seconds from the run's start until notAfter of each certificate (negative "
     "once expired); --warn-days and --crit-days alarms show in esprobe_target_status, not in esprobe_target_up."),
    ("esprobe_config_problems", "Configuration findings by severity (fail means the Beat would not start)."),
    ("esprobe_run_status", "The run's exit code: 0 ok, 1 warn, 2 fail, 3 unknown."),
    ("esprobe_run_duration_seconds", "Wall time of the whole run."),
    ("esprobe_last_run_timestamp_seconds", "When the run started, as a Unix time."),
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Mapping[str, str]) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs.items()) + "}"


def _value(number: float) -> str:
    if float(number).is_integer():
        return str(int(number))
    return repr(float(number))


def _timestamp(iso: object) -> Optional[float]:
    if not isinstance(iso, str):
        return None
    try:
        moment = _dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return None
    return moment.timestamp()


def _cert_series(target: TargetReport, base: Dict[str, str]) -> Iterable[Tuple[Dict[str, str], float]]:
    seen = set()
    for stage in target.stages:
        if stage.stage.value != "tls" or not stage.details:
            continue
        certs = list(stage.details.get("chain") or [])
        client = stage.details.get("client_certificate")
        if client:
            certs.append(client)
        for cert in certs:
            if not isinstance(cert, Mapping):
                continue
            when = _timestamp(cert.get("not_after"))
            subject = str(cert.get("subject", ""))
            if when is None or subject in seen:
                continue
            seen.add(subject)
            yield {**base, "subject": subject}, when


def _add_samples(samples: Dict[str, List[str]], report: Report, extra: Mapping[str, str]) -> None:
    """
    The series of one report. Each carries ``beat`` and ``config`` first (two Beats on one host must
    not collide in one textfile directory), then *extra* labels (``service`` with --all).
    """
    extra = {"beat": report.config.beat, "config": report.config.path or "", **extra}
    for target in report.targets:
        base = {**extra, "role": target.target.role.value, "url": target.target.url}
        status = target.status
        up = 1 if target.up else 0
        samples["esprobe_target_up"].append(f"esprobe_target_up{_labels(base)} {up}")
        samples["esprobe_target_status"].append(
            f"esprobe_target_status{_labels(base)} {min(status.severity, 3)}"
        )
        for stage in target.stages:
            if stage.status is Status.SKIPPED and not stage.applicable:
                continue
            labels = _labels({**base, "stage": stage.stage.value})
            samples["esprobe_stage_status"].append(f"esprobe_stage_status{labels} {_STAGE_VALUE[stage.status]}")
            if stage.status is not Status.SKIPPED:
                samples["esprobe_stage_duration_seconds"].append(
                    f"esprobe_stage_duration_seconds{labels} {_value(round(stage.duration_ms / 1000, 6))}"
                )
        for cert_labels, when in _cert_series(target, base):
            samples["esprobe_certificate_expiry_timestamp_seconds"].append(
                f"esprobe_certificate_expiry_timestamp_seconds{_labels(cert_labels)} {_value(when)}"
            )
            samples["esprobe_certificate_expiry_seconds"].append(
                f"esprobe_certificate_expiry_seconds{_labels(cert_labels)} {_value(round(when - report.timestamp))}"
            )
    run = _labels(dict(extra))
    for severity in ("warn", "fail"):
        count = sum(1 for f in report.findings if f.severity.value == severity)
        samples["esprobe_config_problems"].append(
            f"esprobe_config_problems{_labels({**extra, 'severity': severity})} {count}"
        )
    samples["esprobe_run_status"].append(f"esprobe_run_status{run} {report.exit_code}")
    samples["esprobe_run_duration_seconds"].append(
        f"esprobe_run_duration_seconds{run} {_value(round(report.duration_ms / 1000, 6))}"
    )
    samples["esprobe_last_run_timestamp_seconds"].append(
        f"esprobe_last_run_timestamp_seconds{run} {_value(round(report.timestamp, 3))}"
    )


def _exposition(samples: Dict[str, List[str]]) -> str:
    lines: List[str] = []
    for name, help_text in _METRICS:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(samples[name])
    return "\n".join(lines) + "\n"


def render_prometheus(report: Report) -> str:
    samples: Dict[str, List[str]] = {name: [] for name, _ in _METRICS}
    _add_samples(samples, report, {})
    return _exposition(samples)


def render_prometheus_many(reports: Sequence[Report]) -> str:
    """``--all``: one exposition, every series labelled with its ``beat`` and ``service``."""
    samples: Dict[str, List[str]] = {name: [] for name, _ in _METRICS}
    for report in reports:
        service = report.service or {}
        _add_samples(samples, report, {"service": str(service.get("name", ""))})
    return _exposition(samples)
