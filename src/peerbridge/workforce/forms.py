"""Forms for the lead workforce pages: the programme's workforce rules."""

from __future__ import annotations

from typing import Any

from django import forms

from peerbridge.workforce.models import CertificationFramework, WorkforceSettings


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkforceSettings
        fields = [
            "applications_open",
            "supervision_cadence_days",
            "checkin_cadence_days",
            "burnout_threshold",
            "ongoing_training_hours",
            "ongoing_training_period_days",
            "default_max_matches",
            "default_max_groups",
            "required_framework",
        ]

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["required_framework"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = CertificationFramework.objects.filter(
                organisation_id=organisation_id, is_active=True
            )
