"""Two-factor: a user who has enrolled a device must use it at every sign-in, and a
deployment may require enrolment for the roles that see participants."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django_otp import user_has_device

from peerbridge.organisations.selectors import user_roles

_EXEMPT_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz")


def second_factor_required(user: object) -> bool:
    required = set(settings.REQUIRE_SECOND_FACTOR_FOR_ROLES)
    return bool(required and user_roles(user) & required)  # type: ignore[arg-type]


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            enrolled = user_has_device(user, confirmed=True)
            if enrolled or second_factor_required(user):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "second_factor_required",
                                "message": "Complete two-factor sign-in first.",
                                "fields": {},
                            }
                        },
                        status=403,
                    )
                target = "web:two_factor_verify" if enrolled else "web:two_factor_setup"
                return redirect(target)
        return self.get_response(request)
