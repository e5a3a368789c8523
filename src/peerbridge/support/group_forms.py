"""Forms for the group pages: a group's details, its status, facilitators, members,
sessions (one, or a weekly or fortnightly run) and recording a session as held.

Forms check the shape of what was typed; the services check the whole object and their
errors are shown on the same fields (`show_service_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.support.group_selectors import programme_professionals
from peerbridge.support.group_sessions import NOTE_MAX, RHYTHM_DAYS, TOPIC_MAX
from peerbridge.support.groups import GROUP_FIELDS
from peerbridge.support.models import Attendance, Group, GroupMember
from peerbridge.workforce.eligibility import standings
from peerbridge.workforce.models import PeerProfile

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
RHYTHM_LABELS = {"weekly": _("Every week"), "fortnightly": _("Every two weeks")}
RHYTHMS = [(name, RHYTHM_LABELS[name]) for name in RHYTHM_DAYS]


class StaffChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name) if isinstance(obj, User) else str(obj)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of group"), choices=Group.Kind.choices)
    description = forms.CharField(
        label=_("What it offers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    modality = forms.ChoiceField(
        label=_("How it meets"), choices=Group.Modality.choices, widget=forms.RadioSelect
    )
    place = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=300,
        help_text=_("For a group that meets in person: the address and room."),
    )
    online_link = forms.CharField(
        label=_("Online link"),
        required=False,
        max_length=200,
        widget=forms.URLInput,
        help_text=_("For an online or hybrid group: the link people join by."),
    )
    moderator = StaffChoice(
        label=_("Moderator"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Required for an online or hybrid group: a staff member of the programme."),
    )
    schedule = forms.CharField(
        label=_("When it meets"),
        required=False,
        max_length=200,
        help_text=_("For example: Tuesdays 18:00-19:30"),
    )
    starts_on = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500)
    session_count = forms.IntegerField(
        label=_("Number of sessions"),
        required=False,
        min_value=1,
        max_value=200,
        help_text=_("Required for a structured course."),
    )
    completion_sessions = forms.IntegerField(
        label=_("Sessions needed to complete"),
        required=False,
        min_value=1,
        max_value=200,
        help_text=_("For a course, empty means all of them."),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["moderator"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = programme_professionals(programme)

    @classmethod
    def initial_from(cls, group: Group) -> dict[str, Any]:
        return {name: getattr(group, name) for name in GROUP_FIELDS}

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in GROUP_FIELDS}


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Group.Status.choices)


class FacilitatorForm(forms.Form):
    peer = forms.ModelChoiceField(
        label=_("Peer supporter"),
        queryset=PeerProfile.objects.none(),
        required=False,
        help_text=_("Peers who may not facilitate now show why."),
    )
    professional = StaffChoice(
        label=_("Or a professional co-facilitator"),
        queryset=User.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, group: Group, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profiles = list(
            PeerProfile.objects.filter(programme_id=group.programme_id)
            .exclude(status=PeerProfile.Status.LEFT)
            .select_related("person")
            .order_by("person__given_name", "person__family_name", "pk")
        )
        blockers = {pk: s.group_blockers for pk, s in standings(profiles).items()}
        labels = {
            p.pk: str(p.person)
            + (f" ({'; '.join(b.detail for b in blockers[p.pk])})" if blockers.get(p.pk) else "")
            for p in profiles
        }
        peer = self.fields["peer"]
        if isinstance(peer, forms.ModelChoiceField):
            peer.queryset = PeerProfile.objects.filter(pk__in=[p.pk for p in profiles])
            peer.label_from_instance = lambda obj: labels.get(obj.pk, str(obj))  # type: ignore[method-assign]
        professional = self.fields["professional"]
        if isinstance(professional, forms.ModelChoiceField):
            professional.queryset = programme_professionals(group.programme)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("peer")) == bool(cleaned.get("professional")):
            raise forms.ValidationError(_("Choose one peer supporter or one professional."))
        return cleaned


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a participant by name"), required=False, max_length=100)

    def search(self) -> str:
        return str(self.cleaned_data.get("q") or "") if self.is_valid() else ""


class MemberAddForm(forms.Form):
    enrolment = forms.ModelChoiceField(
        label=_("Participant"),
        queryset=Enrolment.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a participant of this programme.")},
    )

    def __init__(self, *args: Any, group: Group, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrolment"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = Enrolment.objects.filter(programme_id=group.programme_id)


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=MOMENT)
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=5, max_value=600, initial=90
    )
    topic = forms.CharField(label=_("Topic"), required=False, max_length=TOPIC_MAX)


class GenerateForm(forms.Form):
    first_starts_at = forms.DateTimeField(label=_("First session"), widget=MOMENT)
    rhythm = forms.ChoiceField(
        label=_("How often"), choices=RHYTHMS, widget=forms.RadioSelect, initial="weekly"
    )
    count = forms.IntegerField(
        label=_("How many sessions"),
        required=False,
        min_value=1,
        max_value=200,
        help_text=_("For a course, empty means the sessions still to plan."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=5, max_value=600, initial=90
    )


class RecordForm(forms.Form):
    """Attendance for each member (one radio group each) and the session notes."""

    notes = forms.CharField(
        label=_("Session notes"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen by the group's facilitators and the programme's staff."),
    )

    def __init__(
        self,
        *args: Any,
        members: list[GroupMember],
        marks: dict[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        for member in members:
            self.fields[self.key(member)] = forms.ChoiceField(
                label=str(member.enrolment.person),
                choices=Attendance.Status.choices,
                widget=forms.RadioSelect,
                initial=marks.get(member.pk, ""),
                error_messages={"required": _("Choose attended, absent or sent apologies.")},
            )
        self.order_fields([*(self.key(m) for m in members), "notes"])

    @staticmethod
    def key(member: GroupMember) -> str:
        return f"member_{member.pk}"

    def arguments(self) -> dict[str, Any]:
        return {
            "attendance": {m.pk: self.cleaned_data[self.key(m)] for m in self.members},
            "notes": self.cleaned_data.get("notes") or "",
        }
