"""
Runs steps (the pipeline's, `esprobe.probe.pipeline.STEPS`): every target concurrently (bounded),
its stages in order, each stage guarded, the whole run held to its deadline. What a step is is
defined here; which steps there are, and what each reads, is the pipeline's. Touches the network
only through the steps.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
import traceback
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from esprobe import findings
from esprobe.context import ProbeContext
from esprobe.model import Stage, StageResult, Status, Target, TargetReport, skipped, stage_result
from esprobe.record import record

Results = Mapping[Stage, StageResult]
StepFn = Callable[[Target, ProbeContext, Results], StageResult]


@record
class Step:
    """
    One stage of the pipeline.

    Attributes:
        stage: which stage.
        run: observes (through the network layer) and judges (through ``stages/``).
        needs: the stages whose observations ``run`` reads; each must have passed (a stage that
            does not apply never blocks, and then hands on nothing).
        guards: stages that must have passed too, though ``run`` reads nothing of theirs (the
            hostname check guards every request that may carry credentials).
        not_applicable: returns why the stage does not apply to a target, or None when it does.
        finish: called once the target's other stages are done, to fold in what arrived late
            (the DNS cross-check), or None.
    """

    stage: Stage
    run: StepFn
    needs: Tuple[Stage, ...] = ()
    guards: Tuple[Stage, ...] = ()
    not_applicable: Callable[[Target], Optional[str]] = lambda target: None
    finish: Optional[Callable[[Target, ProbeContext, StageResult], StageResult]] = None

    @property
    def blocked_by(self) -> Tuple[Stage, ...]:
        """Every stage that must have passed before this one runs, in the order a skip names them."""
        return self.needs + self.guards


# Once the deadline passes, stages get this long to come back with their own (more telling)
# timeout findings before the runner cuts them off itself.
_GRACE = 0.5


class _Progress:
    """What a target's probe has produced so far; read by the runner if the deadline cuts it off."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.results: Dict[Stage, StageResult] = {}
        self.current: Optional[Stage] = None
        self.finished = threading.Event()

    def snapshot(self) -> Tuple[Dict[Stage, StageResult], Optional[Stage]]:
        with self.lock:
            return dict(self.results), self.current


def _guarded(step: Step, target: Target, ctx: ProbeContext, results: Dict[Stage, StageResult]) -> StageResult:
    """Run one step; an unexpected exception becomes status ``error`` instead of losing the report."""
    started = time.monotonic()
    try:
        result = step.run(target, ctx, results)
    except Exception as error:  # deliberately broad: this is the bug catcher
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        result = StageResult(
            step.stage,
            Status.ERROR,
            f"esprobe failed inside this stage ({type(error).__name__}); the other stages and targets still ran",
            error_trace=trace,
        )
    elapsed = round((time.monotonic() - started) * 1000, 3)
    return dataclasses.replace(result, duration_ms=elapsed)


def _finished(step: Step, target: Target, ctx: ProbeContext, result: StageResult) -> StageResult:
    """A step's finish hook, guarded like the step itself: a failure there keeps the first result."""
    try:
        assert step.finish is not None
        return step.finish(target, ctx, result)
    except Exception:  # the late part is a nicety; never let it cost the stage's verdict
        return result


def _blocker(step: Step, results: Dict[Stage, StageResult]) -> Optional[Stage]:
    for need in step.blocked_by:
        prior = results.get(need)
        if prior is None or not prior.passed:
            return need
    return None


class StagedProbe:
    """
    One target's stages run in parts (`advance`), then closed (`release`) and reported (`report`):
    what `probe_target` does in one go, for a probe whose first stages open and verify a connection
    ahead of the time its later stages may use it (Kibana's `setup` check, `esprobe.probe.pipeline`).

    *steps* are read once: a worker the deadline abandoned may still be finishing long after its run
    returned, and must keep using the steps its run started with.
    """

    def __init__(self, target: Target, ctx: ProbeContext, steps: Sequence[Step],
                 progress: Optional[_Progress] = None) -> None:
        self.target = target
        self.ctx = ctx
        self.steps = tuple(steps)
        self.progress = progress or _Progress(target)
        self._next = 0
        self._released = False

    def advance(self, until: Optional[Stage] = None) -> None:
        """Run the next steps in order, up to (not including) *until*, or to the end."""
        results = self.progress.results
        while self._next < len(self.steps) and self.steps[self._next].stage is not until:
            step = self.steps[self._next]
            self._next += 1
            reason = step.not_applicable(self.target)
            if reason is not None:
                result = skipped(step.stage, f"not applicable: {reason}", applicable=False)
            else:
                blocker = _blocker(step, results)
                if blocker is not None:
                    result = skipped(step.stage, f"skipped: {blocker.value} did not pass")
                else:
                    with self.progress.lock:
                        self.progress.current = step.stage
                    result = _guarded(step, self.target, self.ctx, results)
            with self.progress.lock:
                results[step.stage] = result
                self.progress.current = None

    def finish(self) -> None:
        """Fold in what arrived late (each step's ``finish``), once every step has run."""
        results = self.progress.results
        for step in self.steps:
            if step.finish is not None and step.stage in results:
                finished = _finished(step, self.target, self.ctx, results[step.stage])
                with self.progress.lock:
                    results[step.stage] = finished

    def release(self) -> None:
        """Close every connection the stages hold and keep light copies of their observations (once)."""
        if self._released:
            return
        self._released = True
        results = self.progress.results
        _close_observations(list(results.values()))
        for stage, result in list(results.items()):
            results[stage] = _detached(result)

    def report(self) -> TargetReport:
        results = self.progress.results
        return TargetReport(self.target, tuple(results[s.stage] for s in self.steps))


def probe_target(target: Target, ctx: ProbeContext, progress: Optional[_Progress] = None, *,
                 steps: Sequence[Step]) -> TargetReport:
    """
    Run every stage for *target* in order; a stage whose needs did not pass is skipped, saying why.

    *steps* (the pipeline's STEPS, or a part of them) is read once (see `StagedProbe`).
    """
    probe = StagedProbe(target, ctx, steps, progress)
    try:
        probe.advance()
        probe.finish()
    finally:
        probe.release()
    return probe.report()


def _close_observations(results: Iterable[StageResult]) -> None:
    """Connections live in observations so that later stages can reuse them; close them all here."""
    for result in reversed(list(results)):
        close = getattr(result.observation, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # closing is best effort; a broken peer must not fail the report
                pass


def _detached(result: StageResult) -> StageResult:
    """
    What the report keeps of an observation once the target is done: a light copy without
    connections, sessions and buffers (`detach()`), so that a run over hundreds of targets does not
    hold hundreds of TLS contexts and HTTP clients until it ends.
    """
    detach = getattr(result.observation, "detach", None)
    if not callable(detach):
        return result
    try:
        return dataclasses.replace(result, observation=detach())
    except Exception:  # keeping the full observation is always correct, only heavier
        return result


def _cut_off(progress: _Progress, ctx: ProbeContext, steps: Sequence[Step]) -> TargetReport:
    """The report of a target the deadline interrupted: finished stages kept, the rest explained."""
    results, current = progress.snapshot()
    stages: List[StageResult] = []
    cut = False
    for step in steps:
        if step.stage in results:
            stages.append(results[step.stage])
        elif not cut:
            cut = True
            running = "was running" if step.stage == current else "had not started"
            finding = findings.make(
                "run-deadline-exceeded",
                f"The run's deadline ({ctx.timeout:g} s x the deadline factor) passed while the {step.stage.value} "
                f"stage {running} for {progress.target.url}.",
            )
            stages.append(stage_result(step.stage, "cut off by the run's deadline", [finding]))
        else:
            stages.append(skipped(step.stage, "not run: the run's deadline had passed"))
    return TargetReport(progress.target, tuple(stages))


def run_probes(targets: Sequence[Target], ctx: ProbeContext, *, concurrency: int,
               steps: Sequence[Step]) -> Tuple[TargetReport, ...]:
    """
    Probe every target with at most *concurrency* at once; return reports in the targets' order.

    Workers are daemon threads so that Ctrl-C or the deadline never waits for a stuck peer:
    every network step is bounded anyway, but the process must be able to leave without them.
    """
    steps = tuple(steps)
    progresses = [_Progress(t) for t in targets]
    reports: List[Optional[TargetReport]] = [None] * len(targets)
    work: "queue.Queue[int]" = queue.Queue()
    for index in range(len(targets)):
        work.put(index)

    def worker() -> None:
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            try:
                if not ctx.deadline.expired:  # else never started: reported as cut off below
                    reports[index] = probe_target(targets[index], ctx, progresses[index], steps=steps)
            finally:
                progresses[index].finished.set()

    workers = [
        threading.Thread(target=worker, daemon=True, name=f"esprobe-{i}")
        for i in range(max(1, min(concurrency, len(targets))))
    ]
    for thread in workers:
        thread.start()
    for progress in progresses:
        progress.finished.wait(max(0.0, ctx.deadline.remaining() + _GRACE))
    return tuple(report if report is not None else _cut_off(progress, ctx, steps)
                 for report, progress in zip(reports, progresses))
