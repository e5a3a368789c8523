"""Forms for intake pages. Short on purpose: people refer themselves from a phone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.core.public_forms import PublicFormProtection
from peerbridge.organisations.models import Programme
from peerbridge.people.models import (
    COMMON_LANGUAGES,
    CONTACT_SCOPE_FOR_CHANNEL,
    Consent,
    ConsentScope,
    Person,
    language_choices,
    language_name,
)
from peerbridge.referrals.models import ContactAttempt, DeclineReason, Enrolment, EnrolmentStatus
from peerbridge.referrals.services import ReferralDetails


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(name)
    return field


FORM_STAMP_SALT = "peerbridge.self-referral"


class PersonDetailsForm(forms.Form):
    given_name = forms.CharField(label=_("First name"), max_length=120)
    family_name = forms.CharField(label=_("Last name"), max_length=120, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_channels = forms.MultipleChoiceField(
        label=_("Agreed ways to be contacted"),
        choices=Person.Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    preferred_times = forms.CharField(label=_("Best times to call"), max_length=120, required=False)
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=(), required=False, initial="en"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        _choice_field(self, "language").choices = language_choices()

    def details(self) -> ReferralDetails:
        data = self.cleaned_data
        return ReferralDetails(
            given_name=data["given_name"],
            family_name=data["family_name"],
            date_of_birth=data["date_of_birth"],
            phone=data["phone"],
            email=data["email"] or "",
            languages=[data["language"]] if data.get("language") else [],
            preferred_channels=list(data["contact_channels"]),
            preferred_times=data["preferred_times"],
        )

    def contact_scopes(self) -> list[str]:
        return [
            CONTACT_SCOPE_FOR_CHANNEL[Person.Channel(c)]
            for c in self.cleaned_data["contact_channels"]
        ]


class SelfReferralForm(PersonDetailsForm, PublicFormProtection):
    """The public page, with the honeypot and time stamp every public form carries."""

    stamp_salt = FORM_STAMP_SALT

    kind = forms.ChoiceField(
        label=_("I am asking for support"),
        choices=[
            (Enrolment.Kind.PATIENT, _("for myself")),
            (Enrolment.Kind.CAREGIVER, _("as a family member or carer")),
        ],
        widget=forms.RadioSelect,
        initial=Enrolment.Kind.PATIENT,
    )
    referral_reason = forms.CharField(
        label=_("Anything you would like us to know (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agree = forms.BooleanField(
        label=_("I agree that the programme may contact me in the ways I ticked above."),
    )

    field_order = [
        "given_name",
        "family_name",
        "kind",
        "phone",
        "email",
        "contact_channels",
        "preferred_times",
        "language",
        "date_of_birth",
        "referral_reason",
        "agree",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_channels"].label = _("How may we contact you?")
        self.fields["contact_channels"].required = True
        self.fields["date_of_birth"].help_text = _("Optional. It helps us avoid duplicates.")


class ClinicianReferralForm(PersonDetailsForm):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    kind = forms.ChoiceField(
        label=_("Taking part as"), choices=Enrolment.Kind.choices, initial="patient"
    )
    referral_reason = forms.CharField(
        label=_("Reason for referral"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    referrer_organisation = forms.CharField(
        label=_("Your service or clinic"), max_length=200, required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Enrolment.Priority.choices, coerce=int, initial=0
    )
    share_with_referrer = forms.BooleanField(
        label=_("The person agreed that the programme tells me how the referral goes."),
        required=False,
    )

    field_order = ["programme", "given_name", "family_name", "kind", "date_of_birth"]

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"] = forms.ModelChoiceField(label=_("Programme"), queryset=programmes)
        self.fields["contact_channels"].label = _("The person agreed to be contacted by")


class ContactAttemptForm(forms.Form):
    channel = forms.ChoiceField(label=_("How"), choices=ContactAttempt.Channel.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ContactAttempt.Outcome.choices)
    note = forms.CharField(
        label=_("Note (private)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=EnrolmentStatus.choices)
    decline_reason = forms.ChoiceField(
        label=_("Reason category (the referrer sees this)"),
        choices=[("", "—"), *DeclineReason.choices],
        required=False,
    )
    reason = forms.CharField(label=_("Reason (private)"), max_length=500, required=False)

    def __init__(self, *args: Any, enrolment: Enrolment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "to_status").choices = enrolment.allowed_next()


class EnrolmentUpdateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Enrolment
        fields = ["priority", "kind", "next_action", "next_action_due"]
        widgets = {"next_action_due": forms.DateInput(attrs={"type": "date"})}


class EnrolForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("The person agrees to"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ConsentScope.PARTICIPATION],
    )
    method = forms.ChoiceField(label=_("How consent was given"), choices=Consent.Method.choices)
    given_by = forms.ChoiceField(
        label=_("Given by"), choices=Consent.GivenBy.choices, initial=Consent.GivenBy.SELF
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200, required=False)
    add_to_waiting_list = forms.BooleanField(
        label=_("Add to the waiting list for a peer match"), required=False, initial=True
    )

    def __init__(self, *args: Any, programme: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not programme.needs_redisclosure_consent:
            _choice_field(self, "scopes").choices = [
                choice for choice in ConsentScope.choices if choice[0] != ConsentScope.REDISCLOSURE
            ]


class ConsentWithdrawForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("Withdraw"), choices=ConsentScope.choices, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)

    def __init__(self, *args: Any, granted: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "scopes").choices = [c for c in ConsentScope.choices if c[0] in granted]


class PersonForm(forms.ModelForm):  # type: ignore[type-arg]
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    preferred_channels = forms.MultipleChoiceField(
        label=_("Preferred ways to be contacted"),
        choices=Person.Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = [
            "given_name",
            "family_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "age_band",
            "gender",
            "gender_described",
            "languages",
            "cultural_background",
            "area",
            "phone",
            "email",
            "preferred_channels",
            "preferred_times",
            "accessibility_needs",
            "notes",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "accessibility_needs": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "email": forms.EmailInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = list(dict.fromkeys([*COMMON_LANGUAGES, *(self.instance.languages or [])]))
        _choice_field(self, "languages").choices = [(code, language_name(code)) for code in known]
