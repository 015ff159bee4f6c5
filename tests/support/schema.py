"""The committed JSON Schema, loaded once; every JSON report a test produces is checked against it."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jsonschema

from tests.support.paths import REPO

SCHEMA_PATH = REPO / "esprobe" / "schema" / "report.schema.json"


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def validate_report(document: Any) -> None:
    """Raise jsonschema.ValidationError unless *document* is a valid esprobe report."""
    _validator().validate(document)
