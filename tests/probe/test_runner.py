"""The runner's ordering, skipping, crash capture and deadline, with steps made for the purpose."""

from __future__ import annotations

import threading
import time
from typing import List

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


def test_failed_stage_skips_its_dependants_with_a_reason() -> None:
    """A failing tcp stage skips tls, and the skip names tcp; dns keeps its result."""
    steps = (
        Step(Stage.DNS, _ok(Stage.DNS)),
        Step(Stage.TCP, _fail(Stage.TCP), needs=(Stage.DNS,)),
        Step(Stage.TLS, _ok(Stage.TLS), needs=(Stage.TCP,)),
    )
    report = runner.probe_target(_target(), ProbeContext(), steps=steps)
    assert [s.status for s in report.stages] == [Status.OK, Status.FAIL, Status.SKIPPED]
    assert report.stages[2].summary == "skipped: tcp did not pass"
    assert report.status is Status.FAIL


def test_not_applicable_stage_does_not_block() -> None:
    """No TLS on http:// is 'not applicable', and the http stage after it still runs."""
    steps = (
        Step(Stage.TLS, _ok(Stage.TLS), not_applicable=lambda t: "plain http" if t.scheme == "http" else None),
        Step(Stage.HTTP, _ok(Stage.HTTP), needs=(Stage.TLS,)),
    )
    report = runner.probe_target(_target(scheme="http"), ProbeContext(), steps=steps)
    assert [s.status for s in report.stages] == [Status.SKIPPED, Status.OK]
    assert report.stages[0].summary == "not applicable: plain http"
    assert report.status is Status.OK


def test_crash_becomes_error_and_report_completes() -> None:
    """An exception inside a stage is status error with its trace; the target is unknown, not lost."""
    steps = (
        Step(Stage.DNS, _crash),
        Step(Stage.TCP, _ok(Stage.TCP), needs=(Stage.DNS,)),
    )
    report = runner.probe_target(_target(), ProbeContext(), steps=steps)
    assert report.stages[0].status is Status.ERROR
    assert "ZeroDivisionError: boom" in (report.stages[0].error_trace or "")
    assert report.stages[1].status is Status.SKIPPED
    assert report.status is Status.UNKNOWN


def test_observations_are_closed() -> None:
    """Connections kept in observations for reuse are closed when the target is done."""
    closed: List[str] = []

    class Conn:
        def close(self) -> None:
            closed.append("x")

    def opens(target, ctx, results):  # type: ignore[no-untyped-def]
        return stage_result(Stage.TCP, "connected", observation=Conn())

    steps = (Step(Stage.TCP, opens),)
    runner.probe_target(_target(), ProbeContext(), steps=steps)
    assert closed == ["x"]


def test_deadline_cuts_off_a_stuck_target_and_spares_the_others() -> None:
    """A stage that never returns is cut off at the deadline with run-deadline-exceeded; others finish."""
    release = threading.Event()

    def stuck(target, ctx, results):  # type: ignore[no-untyped-def]
        if target.host == "h1":
            release.wait(30)
        return stage_result(Stage.TLS, "done")

    steps = (
        Step(Stage.DNS, _ok(Stage.DNS)),
        Step(Stage.TLS, stuck, needs=(Stage.DNS,)),
        Step(Stage.HTTP, _ok(Stage.HTTP), needs=(Stage.TLS,)),
    )
    ctx = ProbeContext(timeout=0.2, deadline=Deadline(0.4))
    started = time.monotonic()
    reports = runner.run_probes([_target(0), _target(1), _target(2)], ctx, concurrency=2, steps=steps)
    elapsed = time.monotonic() - started
    release.set()
    # The run left its stuck worker behind on purpose (daemon threads); let it finish here, so that
    # it does not finish inside whichever test runs next.
    for thread in threading.enumerate():
        if thread.name.startswith("esprobe-") and thread is not threading.current_thread():
            thread.join(5)
    assert elapsed < 0.4 + 0.5 + 0.5
    assert [r.status for r in reports] == [Status.OK, Status.FAIL, Status.OK]
    stuck_report = reports[1]
    assert [s.status for s in stuck_report.stages] == [Status.OK, Status.FAIL, Status.SKIPPED]
    assert stuck_report.stages[1].findings[0].code == "run-deadline-exceeded"
    assert "was running" in stuck_report.stages[1].findings[0].message


def test_targets_keep_their_order_under_concurrency() -> None:
    """Reports come back in config order whatever order the probes finish in."""
    # Steps are handed to the run, not monkeypatched into the runner: a worker left over by another
    # test must never see (or lose) this test's steps.
    def slow_first(target, ctx, results):  # type: ignore[no-untyped-def]
        time.sleep(0.2 if target.host == "h0" else 0.0)
        return stage_result(Stage.DNS, target.host)

    steps = (Step(Stage.DNS, slow_first),)
    reports = runner.run_probes([_target(i) for i in range(5)], ProbeContext(), concurrency=5, steps=steps)
    assert [r.stages[0].summary for r in reports] == ["h0", "h1", "h2", "h3", "h4"]
