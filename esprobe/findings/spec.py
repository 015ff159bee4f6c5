"""A catalogue entry's shape, apart from the catalogue so that each part can build its entries."""

from __future__ import annotations

from typing import Optional

from esprobe.model import Severity
from esprobe.record import record


@record
class Spec:
    """
    A catalogue entry.

    Attributes:
        code: the stable kebab-case code.
        severity: the default severity; `make` may override it where context decides.
        title: a few words naming the problem (docs headline).
        meaning: what the finding means, in one paragraph (docs).
        hint: what to change; a ``str.format`` template filled by `make`'s keyword arguments.
        setting: the setting concerned, a template too (``{prefix}.verification_mode``), or None.
        beat_says: what the Beat itself logs in this situation, so users can match their logs.
        blocks_later: False for a ``fail`` that is an operator's alarm rather than a broken
            connection (a certificate within --crit-days): the stages after it still run.
    """

    code: str
    severity: Severity
    title: str
    meaning: str
    hint: str
    setting: Optional[str] = None
    beat_says: Optional[str] = None
    blocks_later: bool = True


WARN = Severity.WARN
FAIL = Severity.FAIL
