"""Request ids: one per request, echoed in the X-Request-ID header, on every log line
and on every audit row written while the request is handled."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9-]{8,36}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source_ip: str | None
    route: str


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else str(uuid.uuid4())
        token = current_request.set(
            RequestContext(
                request_id=request_id,
                source_ip=request.META.get("REMOTE_ADDR") or None,
                route=request.path[:120],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request.get()
        record.request_id = context.request_id if context else "-"
        return True
