"""Forms for the resource directory and navigation referrals. They turn posted strings
into values; the services hold the rules, so pages and the API refuse the same things."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from peerbridge.organisations.models import Organisation
from peerbridge.people.models import is_language_code
from peerbridge.referrals.hsds_reading import MAX_UPLOAD_BYTES
from peerbridge.referrals.models import DirectoryService, NavigationReferral, ServiceCategory

SERVICE_FORM_FIELDS = [
    "name",
    "provider",
    "description",
    "eligibility",
    "area",
    "address",
    "opening_hours",
    "phone",
    "email",
    "url",
]


def _form_field(field: models.Field[Any, Any]) -> forms.Field:
    """Model fields as form fields; web addresses typed without a scheme get https."""
    extra: dict[str, Any] = {"assume_scheme": "https"} if isinstance(field, models.URLField) else {}
    return cast(forms.Field, field.formfield(**extra))


class LanguageCodesField(forms.CharField):
    """ISO 639 codes typed as a list: "es, en" becomes ["es", "en"]."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        codes = [code.strip().lower() for code in text.replace(";", ",").split(",")]
        return [code for code in codes if code]

    def validate(self, value: Any) -> None:
        unknown = [code for code in value if not is_language_code(code)]
        if unknown:
            raise ValidationError(
                _("Not ISO 639 language codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


class DirectoryServiceForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label=_("Needs it meets"),
        choices=ServiceCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = LanguageCodesField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_("ISO 639 codes separated by commas, for example en, es, vi."),
    )
    field_order = ["organisation", "name", "provider", "description", "categories"]

    def __init__(
        self, *args: Any, organisations: QuerySet[Organisation] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                DirectoryService, fields=SERVICE_FORM_FIELDS, formfield_callback=_form_field
            )
        )
        if organisations is not None:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Directory of"), queryset=organisations
            )
        self.order_fields(self.field_order)
        self.fields["description"].widget.attrs["rows"] = 4
        self.fields["phone"].widget.input_type = "tel"

    @staticmethod
    def initial_for(service: DirectoryService) -> dict[str, Any]:
        initial = forms.model_to_dict(service, fields=SERVICE_FORM_FIELDS)
        initial.update(categories=service.categories, languages=service.languages)
        return initial


class DirectorySearchForm(forms.Form):
    """The search page's GET form; every filter may be left empty."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    need = forms.ChoiceField(label=_("Need"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    area = forms.CharField(label=_("Area"), required=False, max_length=200)

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
        any_need: list[tuple[str, Any]] = [("", _("Any need"))]
        any_language: list[tuple[str, Any]] = [("", _("Any language"))]
        cast(forms.ChoiceField, self.fields["need"]).choices = any_need + list(
            ServiceCategory.choices
        )
        cast(forms.ChoiceField, self.fields["language"]).choices = any_language + languages


class HsdsImportForm(forms.Form):
    file = forms.FileField(
        label=_("HSDS file"),
        help_text=_("A ZIP of Open Referral HSDS CSV files, or a single services.csv."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file (nothing is imported)"), required=False, initial=True
    )

    def __init__(
        self, *args: Any, organisations: QuerySet[Organisation] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Directory of"), queryset=organisations
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is too large."))
        return upload


class NavigationReferralForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=DirectoryService.objects.none())
    need = forms.ChoiceField(label=_("Need"), choices=ServiceCategory.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept private to the programme team."),
    )

    def __init__(self, *args: Any, services: QuerySet[DirectoryService], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services  # type: ignore[type-arg]


class NavigationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("What happened"))
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "—"), *NavigationReferral.Outcome.choices],
        help_text=_("Needed when you record the outcome."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, next_statuses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = next_statuses
