"""
The one place outside ``cli.py`` where a module is loaded when first needed rather than at the top.

A healthy run must not pay for machinery only an unusual input needs: the keystore's AES-GCM and
PBKDF2 (only when a keystore file exists) and the third-party ``idna`` codec (only for a host name
that is not ASCII). Each such dependency has exactly one caller of `load`, next to the code that
needs it, with a one-line reason; every other import stays at the top of its module.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def load(name: str) -> ModuleType:
    """The module *name*, imported now if this is its first use (then cached in sys.modules)."""
    return importlib.import_module(name)
