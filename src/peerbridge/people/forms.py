from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _


class MembershipForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"))
    given_name = forms.CharField(
        label=_("Given name"),
        max_length=120,
        required=False,
        help_text=_("Only needed when the person has no PeerBridge account yet."),
    )
    family_name = forms.CharField(label=_("Family name"), max_length=120, required=False)

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = roles


class EndMembershipForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ConsentTextForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=20)
    body = forms.CharField(
        label=_("Wording"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Plain words. Staff read this out or show it when they take consent."),
    )
