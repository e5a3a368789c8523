"""The field types the groups API shares: ids, counts and lengths in their bounds, and
dates and times that must come as ISO 8601 text."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field
from pydantic import BeforeValidator


def text_only(value: Any) -> Any:
    """Dates and times come as ISO 8601 text; a number would read as a Unix time."""
    if value is not None and not isinstance(value, str):
        raise ValueError("Send an ISO 8601 date or date and time as text.")
    return value


Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Count = Annotated[int, Field(ge=1, le=200, strict=True)]
Minutes = Annotated[int, Field(ge=5, le=600, strict=True)]
Moment = Annotated[datetime, BeforeValidator(text_only)]
Day = Annotated[date, BeforeValidator(text_only)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Short = Annotated[str, Field(max_length=300)]
