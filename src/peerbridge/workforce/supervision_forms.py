"""Forms for certification (frameworks, decisions, decertification, appeals) and
supervision (assigning a supervisor, recording a session). Few required fields: the
services check the rules and say which field is wrong."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerbridge.core.models import User
from peerbridge.workforce.certification import TEXT_MAX, AppealOutcome, AppealStep, Decision
from peerbridge.workforce.models import (
    CertificationFramework,
    PeerProfile,
    SupervisionSession,
)
from peerbridge.workforce.supervision import NOTES_MAX

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _text_area(label: Any, *, limit: int = TEXT_MAX, required: bool = False, **extra: Any) -> Any:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
        **extra,
    )


class FrameworkForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CertificationFramework
        fields = [
            "name",
            "issuer",
            "kind",
            "validity_months",
            "recertification_hours",
            "recertification_requirements",
            "is_active",
        ]
        widgets = {"recertification_requirements": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service checks the name per organisation and says so on the field."""


class PeerChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.person)


class SupervisorChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class SessionChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        held = timezone.localtime(obj.held_at)
        return f"{held:%Y-%m-%d} · {obj.get_format_display()} · {obj.get_kind_display()}"


class CertificationDecisionForm(forms.Form):
    framework = forms.ModelChoiceField(
        label=_("Certification"), queryset=CertificationFramework.objects.none()
    )
    status = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    issued_on = forms.DateField(
        label=_("Issued on"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty for today."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty to use the framework's validity."),
    )
    recommendations = _text_area(
        _("Recommendations"),
        help_text=_("Required when not certified: what to do next, e.g. retake the course."),
    )

    def __init__(
        self, *args: Any, frameworks: QuerySet[CertificationFramework], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["framework"]).queryset = frameworks


class DecertificationForm(forms.Form):
    reason = _text_area(_("Reason"), required=True)
    evidence = _text_area(
        _("Evidence"),
        help_text=_("Incidents, fidelity observations or other records the decision rests on."),
    )
    supervision_sessions = SessionChoiceField(
        label=_("Supervision sessions the decision rests on"),
        queryset=SupervisionSession.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    effective_on = forms.DateField(
        label=_("Effective from"), required=False, widget=DATE, help_text=_("Empty for today.")
    )

    def __init__(self, *args: Any, sessions: QuerySet[SupervisionSession], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            "forms.ModelMultipleChoiceField[Any]", self.fields["supervision_sessions"]
        ).queryset = sessions


class AppealForm(forms.Form):
    """Lodging asks only for the grounds; deciding also for the outcome."""

    step = forms.ChoiceField(choices=AppealStep.choices, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Decision on the appeal"), choices=AppealOutcome.choices, widget=forms.RadioSelect
    )
    notes = _text_area(_("Notes on the decision"))

    def __init__(self, *args: Any, step: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("step", step)
        if step != AppealStep.DECIDE:
            del self.fields["outcome"]
            self.fields["notes"].label = _("Why you appeal (optional)")


class SupervisorForm(forms.Form):
    supervisor = SupervisorChoiceField(
        label=_("Supervisor"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No supervisor"),
    )

    def __init__(self, *args: Any, choices: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["supervisor"]).queryset = choices


class SessionForm(forms.Form):
    peers = PeerChoiceField(
        label=_("Peer supporters"),
        queryset=PeerProfile.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=SupervisionSession.Format.choices,
        widget=forms.RadioSelect,
        initial=SupervisionSession.Format.INDIVIDUAL,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=SupervisionSession.Kind.choices,
        widget=forms.RadioSelect,
        initial=SupervisionSession.Kind.CLINICAL,
    )
    held_at = forms.DateTimeField(
        label=_("Held"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=5, max_value=480, initial=60
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=SupervisionSession.Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = _text_area(
        _("Notes"),
        limit=NOTES_MAX,
        help_text=_("Kept encrypted; read only by those who supervise in the programme."),
    )
    agreed_actions = _text_area(_("Agreed actions"), limit=NOTES_MAX)

    def __init__(self, *args: Any, peers: QuerySet[PeerProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelMultipleChoiceField[Any]", self.fields["peers"]).queryset = peers
        if not self.is_bound:
            self.initial.setdefault(
                "held_at", timezone.localtime().replace(second=0, microsecond=0)
            )
