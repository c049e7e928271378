"""Capabilities plug in by module name: the sweep's steps, message observers, listeners."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType


def import_modules(names: Iterable[str]) -> list[ModuleType]:
    """Import each named module; a module absent from this build is skipped, any other
    import error (a bug in a module that is there) propagates."""
    modules: list[ModuleType] = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules
