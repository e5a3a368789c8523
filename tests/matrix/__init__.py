"""Rows of the authorization matrix, one module per capability.

Each module defines EXPECTED ((pattern, method) -> persona -> status) and may define
`arguments(world) -> dict` (values for URL parameters it introduces) and
`body(pattern, method, world, persona) -> dict | None` (a request body for its API
operations; None means "not mine"). tests/test_authorization_matrix.py merges them.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def areas() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name != "common"
    ]
