"""
The command line's ``--service``, ``--pid``, ``--root`` and ``--all``: find how the Beat is really
started (config/systemd.py, config/process.py, config/service.py) and run the check with the
service's own flags, environment, working directory and user. Kept apart from cli.py so that
the command line stays thin.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, List, Optional, Sequence, Tuple

from esprobe.config.accounts import in_root
from esprobe.config.layout import KNOWN_BEATS
from esprobe.config.process import ProcessError
from esprobe.config.service import InvocationError, Sourced, from_process, from_unit
from esprobe.config.systemd import UNIT_DIRS, UnitError, read_unit
from esprobe.probe.check import run_check

__all__ = ["LaunchError", "discover_beat_services", "invocation_from_args", "options_for", "run_all"]


class LaunchError(ValueError):
    """The service or process cannot be used; one clear line, exit 3."""


def invocation_from_args(service: Optional[str], pid: Optional[int], root: str) -> Any:
    """The `BeatInvocation` for ``--service NAME`` (under *root*) or ``--pid PID``."""
    try:
        if pid is not None:
            return from_process(pid)
        assert service is not None
        return from_unit(read_unit(service, root), root)
    except (UnitError, ProcessError, InvocationError) as error:
        raise LaunchError(str(error)) from None


def options_for(base: Any, invocation: Any, extra_overrides: Sequence[str] = ()) -> Any:
    """
    The CheckOptions of one Beat: its -c files, its -E flags (then any -E given to esprobe, to try
    a change), its environment; the rest (timeouts, DNS, formats) from esprobe's command line.
    """
    invocation = dataclasses.replace(
        invocation,
        overrides=invocation.overrides + tuple(Sourced(o, "esprobe's own -E") for o in extra_overrides),
    )
    return dataclasses.replace(
        base,
        config_paths=tuple(c.value for c in invocation.config_files),
        overrides=tuple(o.value for o in invocation.overrides),
        environ=dict(invocation.environ),
        invocation=invocation,
    )


def discover_beat_services(root: str) -> Tuple[List[Any], List[str]]:
    """
    Every installed service whose ExecStart runs a Beat: (invocations in name order, problems of
    units that run a Beat but cannot be used). Units of other programs are passed over silently.
    """
    names = set()
    for directory in UNIT_DIRS:
        try:
            entries = os.listdir(in_root(root, directory))
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".service") and not entry.endswith("@.service"):
                names.add(entry)
            elif entry.endswith(".wants"):
                # Enabled instances of templates (filebeat@prod.service) exist only as links here.
                try:
                    wanted = os.listdir(in_root(root, f"{directory}/{entry}"))
                except OSError:
                    continue
                names.update(w for w in wanted if "@" in w and w.endswith(".service") and not w.endswith("@.service"))
    found: List[Any] = []
    problems: List[str] = []
    for name in sorted(names):
        try:
            unit = read_unit(name, root)
        except UnitError as error:
            if name[: -len(".service")] in KNOWN_BEATS:
                problems.append(str(error))
            continue
        if not any(os.path.basename(w) in KNOWN_BEATS for w in unit.exec_start.words):
            continue
        try:
            found.append(from_unit(unit, root))
        except (UnitError, InvocationError) as error:
            problems.append(str(error))
    return found, problems


def run_all(base: Any, extra_overrides: Sequence[str], root: str, redactor: Any) -> Tuple[List[Any], List[str]]:
    """One check per Beat service: (reports in unit-name order, problems of units left out)."""
    invocations, problems = discover_beat_services(root)
    if not invocations:
        where = f" under {root}" if root not in ("", "/") else ""
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise LaunchError(f"no Beat service found{where}{detail}")
    reports = []
    for invocation in invocations:
        report, _ = run_check(options_for(base, invocation, extra_overrides), redactor)
        reports.append(report)
    return reports, problems
