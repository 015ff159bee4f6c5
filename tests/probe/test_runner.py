"""The runner's ordering, skipping, crash capture and deadline, with steps made for the purpose."""

from __future__ import annotations

import threading
import time
from typing import List

import pytest

from esprobe.context import Deadline, ProbeContext
from esprobe.findings import make
from esprobe.model import Role, Stage, Status, Target, stage_result
from esprobe.probe import runner
from esprobe.probe.pipeline import Step


def _target(i: int = 0, scheme: str = "https") -> Target:
    return Target(id=f"elasticsearch[{i}]", role=Role.ELASTICSEARCH, url=f"{scheme}://h{i}:9200", scheme=scheme,
                  host=f"h{i}", port=9200)


def _ok(stage: Stage):  # type: ignore[no-untyped-def]
    return lambda target, ctx, results: stage_result(stage, f"{stage.value} fine")


def _fail(stage: Stage):  # type: ignore[no-untyped-def]
    def run(target, ctx, results):  # type: ignore[no-untyped-def]
        return stage_result(stage, "broken", [make("tcp-refused", "refused.", setting="x", port=1, proxy_setting="p")])

    return run


def _crash(target, ctx, results):  # type: ignore[no-untyped-def]
    raise ZeroDivisionError("boom")


def test_failed_stage_skips_its_dependants_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing tcp stage skips tls, and the skip names tcp; dns keeps its result."""
    monkeypatch.setattr(runner, "STEPS", (
        Step(Stage.DNS, _ok(Stage.DNS)),
        Step(Stage.TCP, _fail(Stage.TCP), needs=(Stage.DNS,)),
        Step(Stage.TLS, _ok(Stage.TLS), needs=(Stage.TCP,)),
    ))
    report = runner.probe_target(_target(), ProbeContext())
    assert [s.status for s in report.stages] == [Status.OK, Status.FAIL, Status.SKIPPED]
    assert report.stages[2].summary == "skipped: tcp did not pass"
    assert report.status is Status.FAIL


def test_not_applicable_stage_does_not_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TLS on http:// is 'not applicable', and the http stage after it still runs."""
    monkeypatch.setattr(runner, "STEPS", (
        Step(Stage.TLS, _ok(Stage.TLS), not_applicable=lambda t: "plain http" if t.scheme == "http" else None),
        Step(Stage.HTTP, _ok(Stage.HTTP), needs=(Stage.TLS,)),
    ))
    report = runner.probe_target(_target(scheme="http"), ProbeContext())
    assert [s.status for s in report.stages] == [Status.SKIPPED, Status.OK]
    assert report.stages[0].summary == "not applicable: plain http"
    assert report.status is Status.OK


def test_crash_becomes_error_and_report_completes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside a stage is status error with its trace; the target is unknown, not lost."""
    monkeypatch.setattr(runner, "STEPS", (
        Step(Stage.DNS, _crash),
        Step(Stage.TCP, _ok(Stage.TCP), needs=(Stage.DNS,)),
    ))
    report = runner.probe_target(_target(), ProbeContext())
    assert report.stages[0].status is Status.ERROR
    assert "ZeroDivisionError: boom" in (report.stages[0].error_trace or "")
    assert report.stages[1].status is Status.SKIPPED
    assert report.status is Status.UNKNOWN


def test_observations_are_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections kept in observations for reuse are closed when the target is done."""
    closed: List[str] = []

    class Conn:
        def close(self) -> None:
            closed.append("x")

    def opens(target, ctx, results):  # type: ignore[no-untyped-def]
        return stage_result(Stage.TCP, "connected", observation=Conn())

    monkeypatch.setattr(runner, "STEPS", (Step(Stage.TCP, opens),))
    runner.probe_target(_target(), ProbeContext())
    assert closed == ["x"]


def test_deadline_cuts_off_a_stuck_target_and_spares_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage that never returns is cut off at the deadline with run-deadline-exceeded; others finish."""
    release = threading.Event()

    def stuck(target, ctx, results):  # type: ignore[no-untyped-def]
        if target.host == "h1":
            release.wait(30)
        return stage_result(Stage.TLS, "done")

    monkeypatch.setattr(runner, "STEPS", (
        Step(Stage.DNS, _ok(Stage.DNS)),
        Step(Stage.TLS, stuck, needs=(Stage.DNS,)),
        Step(Stage.HTTP, _ok(Stage.HTTP), needs=(Stage.TLS,)),
    ))
    ctx = ProbeContext(timeout=0.2, deadline=Deadline(0.4))
    started = time.monotonic()
    reports = runner.run_probes([_target(0), _target(1), _target(2)], ctx, concurrency=2)
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 0.4 + 0.5 + 0.5
    assert [r.status for r in reports] == [Status.OK, Status.FAIL, Status.OK]
    stuck_report = reports[1]
    assert [s.status for s in stuck_report.stages] == [Status.OK, Status.FAIL, Status.SKIPPED]
    assert stuck_report.stages[1].findings[0].code == "run-deadline-exceeded"
    assert "was running" in stuck_report.stages[1].findings[0].message


def test_targets_keep_their_order_under_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports come back in config order whatever order the probes finish in."""
    def slow_first(target, ctx, results):  # type: ignore[no-untyped-def]
        time.sleep(0.2 if target.host == "h0" else 0.0)
        return stage_result(Stage.DNS, target.host)

    monkeypatch.setattr(runner, "STEPS", (Step(Stage.DNS, slow_first),))
    reports = runner.run_probes([_target(i) for i in range(5)], ProbeContext(), concurrency=5)
    assert [r.stages[0].summary for r in reports] == ["h0", "h1", "h2", "h3", "h4"]
