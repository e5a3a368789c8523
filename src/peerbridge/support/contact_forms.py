"""Forms for contacts: the quick log (one phone screen), editing within the window,
amending after it with a reason, and the programme's support settings."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.matching.models import Match
from peerbridge.people.models import IssueTag
from peerbridge.referrals.directory_selectors import services_for_navigation
from peerbridge.referrals.models import DirectoryService, ServiceCategory
from peerbridge.support import contacts
from peerbridge.support.models import Contact, Mode, Setting, SupportSettings, SupportType

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def local_minute_now() -> str:
    return timezone.localtime().strftime(LOCAL_MINUTE)


class ContactForm(forms.Form):
    """A contact's fields. `topics` offers the programme's issue tags; `other_topics`
    takes short free labels separated by commas. The private note appears only for
    someone who may keep one."""

    occurred_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        error_messages={"required": _("Give the date and time of the contact.")},
    )
    mode = forms.ChoiceField(
        label=_("How"),
        choices=Mode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how.")},
    )
    connected = forms.BooleanField(
        label=_("We spoke or met"),
        required=False,
        help_text=_("Untick for an attempt that did not connect."),
    )
    duration_minutes = forms.IntegerField(
        label=_("How long (minutes)"),
        required=False,
        min_value=0,
        max_value=contacts.MINUTES_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    setting = forms.ChoiceField(
        label=_("Where"),
        choices=Setting.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose where.")},
    )
    support_types = forms.MultipleChoiceField(
        label=_("Support given"),
        choices=SupportType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_topics = forms.CharField(
        label=_("Other topics"),
        required=False,
        max_length=400,
        help_text=_("Short words, separated by commas."),
    )
    next_step = forms.CharField(
        label=_("Next step"),
        required=False,
        max_length=contacts.NEXT_STEP_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_contact_on = forms.DateField(
        label=_("Next contact"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    transport_provided = forms.BooleanField(label=_("I provided transport"), required=False)
    travel_minutes = forms.IntegerField(
        label=_("Travel (minutes)"),
        required=False,
        min_value=0,
        max_value=contacts.MINUTES_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    private_note = forms.CharField(
        label=_("Private note"),
        required=False,
        max_length=contacts.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Read only by you, your supervisor and the programme's leaders."),
    )

    def __init__(self, *args: Any, match: Match, keeps_note: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.match = match
        tags = list(
            IssueTag.objects.filter(programme_id=match.programme_id, is_active=True)
            .order_by("name")
            .values_list("name", flat=True)
        )
        topics = cast(forms.MultipleChoiceField, self.fields["topics"])
        topics.choices = [(name, name) for name in tags]
        self.tag_names = set(tags)
        if not keeps_note:
            del self.fields["private_note"]

    def topic_list(self) -> list[str]:
        chosen = list(self.cleaned_data.get("topics") or [])
        others = [part.strip() for part in (self.cleaned_data.get("other_topics") or "").split(",")]
        return chosen + [part for part in others if part]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as contacts' services take them."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "occurred_at": data["occurred_at"],
            "connected": bool(data.get("connected")),
            "duration_minutes": data.get("duration_minutes") or 0,
            "travel_minutes": data.get("travel_minutes") or 0,
            "mode": data["mode"],
            "setting": data["setting"],
            "support_types": list(data.get("support_types") or []),
            "topics": self.topic_list(),
            "transport_provided": bool(data.get("transport_provided")),
            "next_step": data.get("next_step") or "",
            "next_contact_on": data.get("next_contact_on"),
        }
        if "private_note" in self.fields:
            values["private_note"] = data.get("private_note") or ""
        return values

    def changed_values(self) -> dict[str, Any]:
        """Only the values the person changed on the form: a time shown to the minute
        and sent back unchanged does not rewrite the stored seconds (nor show as an
        amendment)."""
        changed = set(self.changed_data)
        if changed & {"topics", "other_topics"}:
            changed.add("topics")
        return {name: value for name, value in self.service_data().items() if name in changed}


class ContactLogForm(ContactForm):
    """The quick log: the contact, an optional navigation referral made during it, and
    whether the peer is worried about the participant's safety."""

    referral_service: forms.ModelChoiceField[DirectoryService] = forms.ModelChoiceField(
        label=_("Referred to a service"),
        queryset=None,
        required=False,
        empty_label="—",
    )
    referral_need = forms.ChoiceField(
        label=_("For"),
        required=False,
        choices=[("", "—"), *ServiceCategory.choices],
    )
    worried = forms.BooleanField(label=_("I am worried about their safety"), required=False)

    def __init__(self, *args: Any, match: Match, keeps_note: bool, **kwargs: Any) -> None:
        super().__init__(*args, match=match, keeps_note=keeps_note, **kwargs)
        services = cast("forms.ModelChoiceField[DirectoryService]", self.fields["referral_service"])
        services.queryset = services_for_navigation(enrolment=match.enrolment)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("referral_service") and not data.get("referral_need"):
            self.add_error("referral_need", _("Choose the need the service meets."))
        if data.get("referral_need") and not data.get("referral_service"):
            self.add_error("referral_service", _("Choose the service."))
        return data

    def service_data(self) -> dict[str, Any]:
        values = super().service_data()
        service = self.cleaned_data.get("referral_service")
        if service is not None:
            values["navigation_referrals"] = [
                {"service": service, "need": self.cleaned_data["referral_need"]}
            ]
        return values


def initial_from(contact: Contact, *, keeps_note: bool, tag_names: set[str]) -> dict[str, Any]:
    """A stored contact as a form's initial values."""
    initial: dict[str, Any] = {name: getattr(contact, name) for name in contacts.EDITABLE}
    # To the minute the form shows, so that sending it back unchanged is no change.
    initial["occurred_at"] = timezone.localtime(contact.occurred_at).replace(
        second=0, microsecond=0
    )
    initial["topics"] = [t for t in contact.topics if t in tag_names]
    initial["other_topics"] = ", ".join(t for t in contact.topics if t not in tag_names)
    if not keeps_note:
        initial.pop("private_note")
    return initial


class ContactAmendForm(ContactForm):
    """A change to a locked contact, with the reason kept in the trail."""

    reason = forms.CharField(
        label=_("Why is it changing?"),
        max_length=contacts.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the contact is being changed.")},
    )


class SupportSettingsForm(forms.Form):
    edit_window_hours = forms.IntegerField(
        label=SupportSettings._meta.get_field("edit_window_hours").verbose_name,
        min_value=1,
        max_value=24 * 30,
        help_text=_("After this, a change to a contact is an amendment with a reason."),
    )
    stall_grace_days = forms.IntegerField(
        label=SupportSettings._meta.get_field("stall_grace_days").verbose_name,
        min_value=0,
        max_value=90,
    )
    count_attempts_as_contact = forms.BooleanField(
        label=SupportSettings._meta.get_field("count_attempts_as_contact").verbose_name,
        required=False,
    )
