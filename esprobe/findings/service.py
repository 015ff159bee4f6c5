"""Catalogue entries for how the Beat is started: its systemd unit, its process, its user (issue #19)."""

from __future__ import annotations

from typing import Tuple

from esprobe.findings.spec import FAIL, WARN, Spec

SPECS: Tuple[Spec, ...] = (
    Spec(
        code="service-file-unreadable",
        severity=FAIL,
        title="The Beat's user cannot read a file the Beat opens",
        meaning=(
            "The service runs as another user than the one running esprobe (User= in the unit, or the "
            "process's uid). That user cannot open a file the Beat needs (a config file, a CA file, the "
            "client certificate or key, the keystore): the file's mode or owner, or a directory on the way "
            "that it cannot enter, stops it. The Beat then fails where esprobe, run as root, succeeds."
        ),
        hint="Give the Beat's user read access to {file} (chgrp it to the Beat's group and chmod g+r, and "
        "make the directories on the way searchable), or run the service as a user that can read it.",
        beat_says="open <file>: permission denied",
    ),
    Spec(
        code="service-unit-ignored",
        severity=WARN,
        title="systemd ignores part of the unit",
        meaning=(
            "A line of the unit, a drop-in or an environment file cannot be used as written (a word of "
            "Environment= that is not NAME=VALUE, a relative EnvironmentFile=, a bad variable name): "
            "systemd logs it and goes on without it, so the Beat does not get that setting."
        ),
        hint="Fix {where}; 'systemd-analyze verify <unit>' shows the same complaint.",
    ),
    Spec(
        code="service-unknown-flag",
        severity=WARN,
        title="The Beat's command line has a flag esprobe does not know",
        meaning=(
            "ExecStart= or the process's command line passes a flag that is not one of libbeat's. If the "
            "Beat does not know it either it refuses to start ('unknown flag'); if it does (a Beat-specific "
            "flag), esprobe ignored it and may read the config differently from the Beat."
        ),
        hint="Check the flag in {where}.",
        beat_says="Error: unknown flag: --<flag>",
    ),
)
