from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from peerbridge.core.models import ApiToken, AuditEvent
from peerbridge.core.tasks import send_password_email


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email leaves through the worker, and the page that
    follows is the same whether or not the address has an account."""

    def save(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        if request is None:
            raise ValueError("The reset form needs the request to build its link.")
        site_url = request.build_absolute_uri("/")
        for user in self.get_users(self.cleaned_data["email"]):
            send_password_email.enqueue(user_id=user.pk, kind="reset", site_url=site_url)


class OneTimeCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from your authenticator app, or a recovery code"),
        regex=r"^[0-9a-z]{6,16}$",
        max_length=16,
        error_messages={"invalid": _("Enter the 6 digits your app shows, or a recovery code.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().lower()


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    access = forms.ChoiceField(label=_("Access"), choices=ApiToken.Access.choices)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=90)


class AuditSearchForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any"))] + AuditEvent.Action.choices
    )
    object_type = forms.CharField(label=_("Record type"), required=False, max_length=60)
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    actor = forms.IntegerField(label=_("Actor (user id)"), required=False, min_value=1)
    request_id = forms.CharField(label=_("Request id"), required=False, max_length=36)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
