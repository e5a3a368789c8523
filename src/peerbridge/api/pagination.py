from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase


class Pages(PaginationBase):
    """`?page=2&page_size=20` in; `{"items": [...], "count": 123, "page": 2}` out."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int = Field(default_factory=lambda: settings.API_PAGE_SIZE, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        return paginate(queryset, pagination)


def paginate(rows: Any, pagination: Any) -> dict[str, Any]:
    """One page of a queryset or a list, in the Pages output shape."""
    offset = (pagination.page - 1) * pagination.page_size
    return {
        "items": list(rows[offset : offset + pagination.page_size]),
        "count": len(rows) if isinstance(rows, list) else rows.count(),
        "page": pagination.page,
        "page_size": pagination.page_size,
    }
