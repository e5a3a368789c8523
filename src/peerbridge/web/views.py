"""Home, account, two-factor, API tokens, audit log and the health check."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerbridge.core.access import PUBLIC, SIGNED_IN, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.core.models import ApiToken, User
from peerbridge.core.tokens import token_issue, token_revoke
from peerbridge.organisations import policies
from peerbridge.organisations.selectors import active_assignments
from peerbridge.web import home_views, selectors
from peerbridge.web.forms import ApiTokenForm, AuditSearchForm, OneTimeCodeForm


@view_policy(SIGNED_IN)
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Every role home that applies to the user, the most urgent first (web.home_views)."""
    return home_views.home_page(request)


def _account_context(user: User, token_form: ApiTokenForm) -> dict[str, object]:
    return {
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
        "token_form": token_form,
        "has_second_factor": user_has_device(user, confirmed=True),
        "assignments": active_assignments(user),
    }


@view_policy(SIGNED_IN)
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(request, "web/account.html", _account_context(user, ApiTokenForm()))


@view_policy(SIGNED_IN)
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, plaintext = token_issue(user=user, **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return render(
                request, "web/token_created.html", {"token": token, "plaintext": plaintext}
            )
    return render(request, "web/account.html", _account_context(user, form), status=422)


@view_policy(SIGNED_IN)
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = acting_user(request)
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404
    token_revoke(token=token, revoked_by=user)
    messages.success(request, _("Token revoked. Programs using it can no longer connect."))
    return redirect("web:account")


def _totp_qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@view_policy(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if user_has_device(user, confirmed=True) and not user.is_verified():  # type: ignore[attr-defined]
        return redirect("web:two_factor_verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            recovery = StaticDevice.objects.create(user=user, name="recovery codes")
            codes = [StaticToken.random_token() for _n in range(10)]
            StaticToken.objects.bulk_create(
                [StaticToken(device=recovery, token=code) for code in codes]
            )
            return render(request, "web/two_factor_done.html", {"codes": codes})
        form.add_error("code", _("That code did not match. Check the time on your phone."))
    return render(
        request,
        "web/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _totp_qr_svg(device),
            "secret": base64.b32encode(device.bin_key).decode(),
        },
        status=422 if request.method == "POST" else 200,
    )


@view_policy(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not user_has_device(user, confirmed=True):
        return redirect("web:two_factor_setup")
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(request.GET.get("next") or "web:home")
        form.add_error("code", _("That code did not match."))
    return render(
        request,
        "web/two_factor_verify.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


@view_policy(policies.AUDIT_VIEW)
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events(user=request.user, filters=filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/audit_log.html",
        {"form": form, "page": page},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@view_policy(PUBLIC)
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "time": timezone.now().isoformat()})
