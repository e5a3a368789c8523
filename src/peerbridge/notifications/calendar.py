"""Calendar invitations: one event in an iCalendar file (RFC 5545), sent with
METHOD:REQUEST so mail programs offer to add it to the calendar.

The summary and description travel in an email attachment, so they follow the email
rule: no condition, programme name, participant's name, note or answer ("Call with your
peer supporter", not the participant's name). Times are written in UTC, which every
calendar reads and shows in its own time zone. The UID is stable for one contact or
session (`contact-12`), so sending it again updates the event instead of adding one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//PeerBridge//Notifications//EN"
UID_DOMAIN = "peerbridge"


def _utc(moment: datetime, name: str) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError(f"{name} must be timezone-aware.")
    return moment.astimezone(UTC)


def _organiser() -> vCalAddress | None:
    _name, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    if "@" not in address:
        return None
    organiser = vCalAddress(f"mailto:{address}")
    organiser.params["cn"] = vText("PeerBridge")
    return organiser


def ics_event(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str = "",
    description: str = "",
    sequence: int = 0,
) -> str:
    """An iCalendar text with one VEVENT; `uid` names the contact or session (the
    domain is added: `contact-12@peerbridge`). Raise `sequence` when sending a changed
    time for the same uid, so calendars replace the event."""
    start, end = _utc(starts_at, "starts_at"), _utc(ends_at, "ends_at")
    if end <= start:
        raise ValueError("ends_at must be after starts_at.")
    if not uid.strip() or not summary.strip():
        raise ValueError("An invitation needs a uid and a summary.")
    event = _event(uid, summary, description, sequence)
    event.add("dtstart", start)
    event.add("dtend", end)
    if location.strip():
        event.add("location", location.strip())
    return _calendar(event)


def ics_day_event(*, uid: str, day: date, summary: str, description: str = "") -> str:
    """An iCalendar text with one all-day VEVENT on `day` (a planned contact has a day
    but no time)."""
    if not uid.strip() or not summary.strip():
        raise ValueError("An invitation needs a uid and a summary.")
    event = _event(uid, summary, description, 0)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    return _calendar(event)


def _event(uid: str, summary: str, description: str, sequence: int) -> Event:
    event = Event()
    bare = uid.strip().removesuffix(f"@{UID_DOMAIN}")
    event.add("uid", f"{bare}@{UID_DOMAIN}")
    event.add("dtstamp", timezone.now())
    event.add("summary", summary.strip())
    if description.strip():
        event.add("description", description.strip())
    event.add("status", "CONFIRMED")
    event.add("sequence", max(0, sequence))
    organiser = _organiser()
    if organiser is not None:
        event.add("organizer", organiser)
    return event


def _calendar(event: Event) -> str:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical.decode("utf-8")
