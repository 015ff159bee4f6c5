"""What every probe of a run shares: timeouts, the hard deadline, name-resolution overrides."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import field
from typing import Callable, Mapping, Optional, Tuple

from esprobe.record import record
from esprobe.rulesets import RuleSet
from esprobe.rulesets import resolve as resolve_rules

DEFAULT_TIMEOUT = 5.0
DEFAULT_CONCURRENCY = 64

# The whole run ends within DEADLINE_FACTOR x --timeout (plus start-up and rendering): a target
# needs at most a handful of sequential network steps, and every step is bounded by --timeout.
DEADLINE_FACTOR = 4


class Deadline:
    """A point in monotonic time after which no network step may start or keep waiting."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self._clock())

    @property
    def expired(self) -> bool:
        return self._clock() >= self.at


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


@record
class ProbeContext:
    """
    Settings shared by every target's probe.

    Attributes:
        timeout: the bound of each network step (``--timeout``).
        deadline: the hard end of the whole run.
        hosts_file: the hosts file to read (``--hosts-file``, else ``/etc/hosts``).
        hosts_file_overridden: True when ``--hosts-file`` was given (then the system resolver,
            which would read the real ``/etc/hosts``, is never consulted).
        nameservers: ``(address, port)`` pairs from ``--nameserver``, or empty for resolv.conf's.
        environ: the process environment (proxies, ``SSL_CERT_FILE``/``SSL_CERT_DIR``).
        warn_days / crit_days: certificate expiry thresholds.
        beat: the Beat's name, for the User-Agent the Beat would send.
        now: the clock used for certificate validity, injectable for tests.
        rules: the Beat release whose Go rules the verdicts follow (``--beat-version``).
        fs_root: where the Beat's ``/`` is seen from (``--root``, a container's ``/proc/PID/root``):
            its OS trust store is read there.
    """

    timeout: float = DEFAULT_TIMEOUT
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_TIMEOUT * DEADLINE_FACTOR))
    hosts_file: str = "/etc/hosts"
    hosts_file_overridden: bool = False
    nameservers: Tuple[Tuple[str, int], ...] = ()
    resolv_conf: str = "/etc/resolv.conf"
    nsswitch_conf: str = "/etc/nsswitch.conf"
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    fs_root: str = "/"
    warn_days: int = 30
    crit_days: int = 7
    beat: str = "metricbeat"
    now: Callable[[], _dt.datetime] = _utcnow
    rules: RuleSet = field(default_factory=resolve_rules)

    def step_timeout(self, cap: Optional[float] = None) -> float:
        """The time one network step may take: --timeout, never past the run's deadline."""
        budget = self.timeout if cap is None else min(self.timeout, cap)
        return max(0.0, min(budget, self.deadline.remaining()))
