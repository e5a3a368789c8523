"""Payload values as services expect them: enum members become their stored strings;
dates and times only as ISO 8601 text."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BeforeValidator


def plain(value: Any) -> Any:
    """An enum member (also inside a list) to its stored value; anything else as it is."""
    if isinstance(value, list):
        return [getattr(item, "value", item) for item in value]
    return getattr(value, "value", value)


def plain_values(values: dict[str, Any]) -> dict[str, Any]:
    return {key: plain(value) for key, value in values.items()}


def iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text: a JSON number would otherwise be read as
    a Unix time (or seconds), which nobody means."""
    if value is not None and not isinstance(value, str):
        raise ValueError("Send ISO 8601 text (a date 2026-12-02, a time 09:30).")
    return value


IsoDate = Annotated[date, BeforeValidator(iso_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(iso_text)]
IsoTime = Annotated[time, BeforeValidator(iso_text)]
