"""Payload values as services expect them: enum members become their stored strings."""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """An enum member (also inside a list) to its stored value; anything else as it is."""
    if isinstance(value, list):
        return [getattr(item, "value", item) for item in value]
    return getattr(value, "value", value)


def plain_values(values: dict[str, Any]) -> dict[str, Any]:
    return {key: plain(value) for key, value in values.items()}
