"""Safety's message templates exist for every channel and say only that something
needs attention, by when, and where: no name, no summary, no programme in email or SMS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerbridge.notifications.services import render
from peerbridge.safety.alerts import KIND_ESCALATED, KIND_INCIDENT, KIND_RAISED

KINDS = (KIND_RAISED, KIND_ESCALATED, KIND_INCIDENT)
TELL_TALES = {
    "person_name": "Zebedee",
    "kind": "Adverse event",
    "summary": "overdose",
    "programme": "HIV peer navigation",
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", ["email", "sms", "in_app"])
def test_every_safety_kind_has_each_channel(kind: str, channel: str) -> None:
    context = {
        **TELL_TALES,
        "acknowledge_by": timezone.now() + timedelta(hours=1),
        "same_day": True,
        "urgent": True,
    }
    rendered = render(kind, channel, context, link="https://peerbridge.example.org/flags/7/")
    assert rendered is not None
    assert rendered.body
    assert "https://peerbridge.example.org/flags/7/" in rendered.body or channel == "in_app"
    if channel in ("email", "sms"):
        for value in TELL_TALES.values():
            assert value not in rendered.body
            assert value not in rendered.subject
    if channel == "email":
        assert rendered.subject


def test_a_deadline_on_another_day_names_the_day() -> None:
    context = {"acknowledge_by": timezone.now() + timedelta(days=3), "same_day": False}
    rendered = render(KIND_RAISED, "sms", context, link="/flags/7/")
    assert rendered is not None
    due = timezone.localtime(context["acknowledge_by"])  # type: ignore[arg-type]
    assert f"by {due:%H:%M} on " in rendered.body
