"""One JSON error shape for the whole API:

{"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from peerbridge.workforce.capacity import CapacityRefused


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def _field_name(location: list[Any]) -> str:
    names = [str(part) for part in location if isinstance(part, str)]
    meaningful = [n for n in names if n not in {"body", "query", "path", "payload", "filters"}]
    return ".".join(meaningful) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_field_name(list(error.get("loc", []))), []).append(
                str(error.get("msg", "Invalid value."))
            )
        return error_response(
            api,
            request,
            status=422,
            code="validation_error",
            message="Some values are not valid.",
            fields=fields,
        )

    @api.exception_handler(DjangoValidationError)
    def _rejected(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = (
            {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"__all__": [str(m) for m in exc.messages]}
        )
        return error_response(
            api,
            request,
            status=422,
            code="validation_error",
            message="Some values are not valid.",
            fields=fields,
        )

    @api.exception_handler(CapacityRefused)
    def _not_eligible(request: HttpRequest, exc: CapacityRefused) -> HttpResponse:
        return error_response(
            api,
            request,
            status=409,
            code="not_eligible",
            message="This peer may not take this work now.",
            fields={
                "peer": [b.detail for b in exc.blockers],
                "reasons": [str(b.reason.value) for b in exc.blockers],
            },
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message="Not found.")

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(
            api,
            request,
            status=403,
            code="forbidden",
            message="You may see this but not change it.",
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=401,
            code="unauthenticated",
            message="Sign in, or send a valid personal access token as a Bearer token.",
        )

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps every parser error in a 400; the body parser's own field errors
        # (NUL characters) are validation errors and keep their fields.
        if isinstance(exc.__cause__, NinjaValidationError):
            return _invalid_input(request, exc.__cause__)
        codes = {400: "bad_request", 403: "forbidden", 405: "method_not_allowed"}
        return error_response(
            api,
            request,
            status=exc.status_code,
            code=codes.get(exc.status_code, "error"),
            message=str(exc),
        )
