"""Calendar invitations: one event, METHOD:REQUEST, a stable UID, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from peerbridge.notifications.calendar import ics_event

START = datetime(2026, 6, 1, 10, 30, tzinfo=ZoneInfo("Europe/London"))


def _parse(text: str) -> Calendar:
    return Calendar.from_ical(text)


def test_an_invitation_holds_one_event_to_accept() -> None:
    text = ics_event(
        uid="contact-12",
        starts_at=START,
        ends_at=START + timedelta(minutes=45),
        summary="Call with your peer supporter",
        location="By phone",
        description="Your peer supporter will call you.",
    )
    calendar = _parse(text)
    [event] = calendar.walk("VEVENT")

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "contact-12@peerbridge"
    assert event.decoded("DTSTART") == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 6, 1, 10, 15, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Call with your peer supporter"
    assert str(event["LOCATION"]) == "By phone"
    assert str(event["DESCRIPTION"]) == "Your peer supporter will call you."
    assert "DTSTAMP" in event
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert "\r\n" in text  # RFC 5545 line endings


def test_a_uid_already_carrying_the_domain_keeps_one() -> None:
    text = ics_event(
        uid="group-session-3@peerbridge",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        summary="Group session",
        sequence=2,
    )
    [event] = _parse(text).walk("VEVENT")
    assert str(event["UID"]) == "group-session-3@peerbridge"
    assert int(event["SEQUENCE"]) == 2
    assert "LOCATION" not in event and "DESCRIPTION" not in event


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "summary"),
    [
        (START.replace(tzinfo=None), START.replace(tzinfo=None) + timedelta(hours=1), "Call"),
        (START, START, "Call"),
        (START, START - timedelta(hours=1), "Call"),
        (START, START + timedelta(hours=1), "  "),
    ],
)
def test_an_invitation_refuses_impossible_times(
    starts_at: datetime, ends_at: datetime, summary: str
) -> None:
    with pytest.raises(ValueError):
        ics_event(uid="contact-1", starts_at=starts_at, ends_at=ends_at, summary=summary)
