"""Pages for people's rights: see and download everything held (your own, or staff on
someone's behalf), and erasure on request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from peerbridge.core.access import SIGNED_IN, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.people import policies
from peerbridge.people.rights import (
    ERASE_CONFIRMATION,
    access_person_everywhere,
    erasure_preview,
    person_erase,
    person_export,
    readable_sections,
)
from peerbridge.people.selectors import own_person, people_in_scope, person_duplicates


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is this record being erased?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "For example: the person asked in writing. The reason is checked but not "
            "stored, so leave out names."
        ),
    )
    confirm = forms.CharField(
        label=gettext_lazy("Type ERASE to confirm"),
        max_length=20,
        help_text=gettext_lazy("Erasure cannot be undone."),
    )

    def clean_confirm(self) -> str:
        typed = str(self.cleaned_data["confirm"]).strip()
        if typed != ERASE_CONFIRMATION:
            raise ValidationError(_("Type the word ERASE in capital letters."))
        return typed


def _download(export: dict[str, Any], filename: str) -> HttpResponse:
    response = JsonResponse(export, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@view_policy(SIGNED_IN)
@require_safe
@never_cache
def my_data(request: HttpRequest) -> HttpResponse:
    person = own_person(request.user)
    if person is None:
        return render(request, "people/rights/no_record.html")
    export = person_export(person=person, exported_by=acting_user(request))
    return render(
        request,
        "people/rights/my_data.html",
        {"person": person, "sections": readable_sections(export), "export": export},
    )


@view_policy(SIGNED_IN)
@require_safe
@never_cache
def my_data_json(request: HttpRequest) -> HttpResponse:
    person = own_person(request.user)
    if person is None:
        raise Http404
    export = person_export(person=person, exported_by=acting_user(request))
    return _download(export, "peerbridge-my-data.json")


@view_policy(policies.PERSON_EDIT)
@require_safe
@never_cache
def person_export_page(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person_everywhere(
        user=request.user, person_id=person_id, policy=policies.PERSON_EDIT
    )
    export = person_export(person=person, exported_by=acting_user(request))
    can_erase = (
        people_in_scope(user=request.user, policy=policies.PERSON_ERASE)
        .filter(pk=person.pk)
        .exists()
    )
    return render(
        request,
        "people/rights/person_export.html",
        {
            "person": person,
            "sections": readable_sections(export),
            "export": export,
            "can_erase": can_erase,
        },
    )


@view_policy(policies.PERSON_EDIT)
@require_safe
@never_cache
def person_export_json(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person_everywhere(
        user=request.user, person_id=person_id, policy=policies.PERSON_EDIT
    )
    export = person_export(person=person, exported_by=acting_user(request))
    return _download(export, f"peerbridge-person-{person.pk}.json")


@view_policy(policies.PERSON_ERASE)
@require_http_methods(["GET", "POST"])
def person_erase_page(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person_everywhere(
        user=request.user, person_id=person_id, policy=policies.PERSON_ERASE
    )
    form = ErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person_erase(
                person=person, erased_by=acting_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Erased. What is left is below: no names, contact details or notes."),
            )
            return redirect("rights:person_export", person_id=person.pk)
    return render(
        request,
        "people/rights/erase_confirm.html",
        {
            "person": person,
            "form": form,
            "preview": erasure_preview(person=person),
            "possible_duplicates": person_duplicates(
                user=request.user, person=person, policy=policies.PERSON_MERGE
            ),
        },
        status=422 if request.method == "POST" else 200,
    )
