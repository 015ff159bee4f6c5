"""How the Beat is started, beyond -c and -E: what a service unit or a running process adds."""

from __future__ import annotations

from typing import Optional, Tuple

from esprobe.record import record


@record
class Launch:
    """
    What esprobe knows of how the Beat is started, beyond -c and -E (see config/service.py).

    Attributes:
        cwd: the Beat's working directory (relative paths; ssl files are opened from it), or None
            for esprobe's own.
        home: ``path.home`` when no setting gives it (the binary's directory), or None for
            esprobe's guess from the config file's place.
        beat: the Beat's name from its binary, or None to guess from the config.
        euid: the user the Beat runs as, for the strict.perms ownership rule (None: esprobe's).
        override_origins: where each ``-E`` came from, in the order of the overrides.
        root: the directory the Beat's ``/`` is seen from.
    """

    cwd: Optional[str] = None
    home: Optional[str] = None
    beat: Optional[str] = None
    euid: Optional[int] = None
    override_origins: Tuple[Optional[str], ...] = ()
    root: str = "/"
    environment_of: Optional[str] = None  # "metricbeat.service", "pid 42": whose environment ${VAR} used
