"""Contacts: the one-to-one work a peer logs in a match, or an attempt that did not
connect.

`contact_log` records one, with navigation referrals made during it (through the
referrals app, which checks the participant's consent); the first contact that connected
confirms first contact on an introduced match through the match lifecycle. Within the
programme's edit window the author (or staff who log over the programme) may change a
contact with `contact_edit`; after it the contact is locked and `contact_amend` keeps
what each changed field was and became, with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.matching import lifecycle
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.people.models import IssueTag
from peerbridge.referrals.directory_selectors import services_for_navigation
from peerbridge.referrals.directory_services import navigation_referral_make
from peerbridge.referrals.models import DirectoryService, NavigationReferral, ServiceCategory
from peerbridge.support.configuration import support_settings
from peerbridge.support.contact_selectors import (
    CONTACT_STATUSES,
    NoteReach,
    may_change,
    may_log,
    note_reach,
)
from peerbridge.support.models import Contact, ContactAmendment, Mode, Setting, SupportType
from peerbridge.support.stalls import last_contacts_refresh

MINUTES_MAX = 24 * 60
NEXT_STEP_MAX = 1000
NOTE_MAX = 4000
REASON_MAX = 1000
TOPICS_MAX = 8
TOPIC_MAX = 40
REFERRALS_MAX = 5
NEXT_CONTACT_HORIZON = timedelta(days=366)
# A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = timedelta(minutes=5)

EDITABLE = (
    "occurred_at",
    "connected",
    "duration_minutes",
    "travel_minutes",
    "mode",
    "setting",
    "support_types",
    "topics",
    "transport_provided",
    "next_step",
    "next_contact_on",
    "private_note",
)
DEFAULTS: dict[str, Any] = {
    "connected": True,
    "duration_minutes": 0,
    "travel_minutes": 0,
    "support_types": [],
    "topics": [],
    "transport_provided": False,
    "next_step": "",
    "next_contact_on": None,
    "private_note": "",
}


class ContactLocked(Exception):
    """The contact's edit window has passed: a change is now an amendment."""

    def __init__(self, contact: Contact) -> None:
        super().__init__(f"contact {contact.pk} is locked")
        self.contact = contact


# ---------------------------------------------------------------------------------------
# Checking a contact's values


class _Cleaner:
    """Cleans a whole contact's values, collecting every field's error. `previous`
    holds the stored values: a date that was valid when given (a next contact now
    passed) is not refused again when something else changes."""

    def __init__(self, match: Match, previous: Mapping[str, Any] | None = None) -> None:
        self.match = match
        self.previous = previous or {}
        self.errors: dict[str, list[str]] = {}
        self.now = timezone.now()

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def unchanged(self, field: str, value: Any) -> bool:
        return field in self.previous and self.previous[field] == value

    def clean(self, values: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(EDITABLE)
        for field in sorted(unknown):
            self.fail(field, _("This is not a field of a contact."))
        cleaned = {
            "occurred_at": self.occurred_at(values.get("occurred_at")),
            "connected": self.flag("connected", values.get("connected")),
            "duration_minutes": self.minutes("duration_minutes", values.get("duration_minutes")),
            "travel_minutes": self.minutes("travel_minutes", values.get("travel_minutes")),
            "mode": self.choice("mode", values.get("mode"), Mode.values, _("Choose how.")),
            "setting": self.choice(
                "setting", values.get("setting"), Setting.values, _("Choose where.")
            ),
            "support_types": self.support_types(values.get("support_types")),
            "topics": self.topics(values.get("topics")),
            "transport_provided": self.flag("transport_provided", values.get("transport_provided")),
            "next_step": self.text("next_step", values.get("next_step"), NEXT_STEP_MAX),
            "next_contact_on": self.next_contact_on(values.get("next_contact_on")),
            "private_note": self.text("private_note", values.get("private_note"), NOTE_MAX),
        }
        self.attempt_rules(cleaned)
        return cleaned

    def occurred_at(self, value: object) -> datetime | None:
        if not isinstance(value, datetime):
            self.fail("occurred_at", _("Give the date and time of the contact."))
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if self.unchanged("occurred_at", value):
            return value
        if value > self.now + CLOCK_SLACK:
            self.fail("occurred_at", _("A contact cannot be in the future."))
        elif value < self.match.created_at.replace(second=0, microsecond=0):
            self.fail("occurred_at", _("A contact cannot be before the match was made."))
        return value

    def flag(self, field: str, value: object) -> bool:
        if not isinstance(value, bool):
            self.fail(field, _("Answer yes or no."))
            return False
        return value

    def minutes(self, field: str, value: object) -> int:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, _("Give a whole number of minutes."))
            return 0
        if not 0 <= value <= MINUTES_MAX:
            self.fail(field, _("Give between 0 and %(max)d minutes.") % {"max": MINUTES_MAX})
        return value

    def choice(self, field: str, value: Any, allowed: list[str], message: str) -> str:
        value = getattr(value, "value", value)
        if not isinstance(value, str) or value not in allowed:
            self.fail(field, message)
            return ""
        return value

    def support_types(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.fail("support_types", _("Choose from the five types of support."))
            return []
        chosen = {getattr(v, "value", v) for v in value}
        if chosen - set(SupportType.values):
            self.fail("support_types", _("Choose from the five types of support."))
        return [kind for kind in SupportType.values if kind in chosen]

    def topics(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.fail("topics", _("Give the topics as a list of short labels."))
            return []
        tags = {
            name.casefold(): name
            for name in IssueTag.objects.filter(
                programme_id=self.match.programme_id, is_active=True
            ).values_list("name", flat=True)
        }
        topics: list[str] = []
        for raw in value:
            label = " ".join(raw.split())
            if not label or label.casefold() in {t.casefold() for t in topics}:
                continue
            if "\x00" in label:
                self.fail("topics", _("A topic contains characters that cannot be kept."))
                continue
            if label.casefold() in tags:
                topics.append(tags[label.casefold()])
            elif len(label) > TOPIC_MAX:
                self.fail(
                    "topics",
                    _("Keep each topic under %(n)d characters: %(topic)s")
                    % {"n": TOPIC_MAX, "topic": label[:TOPIC_MAX] + "…"},
                )
            else:
                topics.append(label)
        if len(topics) > TOPICS_MAX:
            self.fail("topics", _("Choose at most %(n)d topics.") % {"n": TOPICS_MAX})
        return topics

    def text(self, field: str, value: object, limit: int) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(field, _("Write this as text."))
            return ""
        value = value.strip()
        if len(value) > limit:
            self.fail(field, _("Keep this under %(n)d characters.") % {"n": limit})
        if "\x00" in value:
            self.fail(field, _("This contains characters that cannot be kept."))
        return value

    def next_contact_on(self, value: object) -> date | None:
        if value is None:
            return None
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail("next_contact_on", _("Give a date."))
            return None
        if self.unchanged("next_contact_on", value):
            return value
        today = timezone.localdate()
        if value < today:
            self.fail("next_contact_on", _("The next contact cannot be in the past."))
        elif value > today + NEXT_CONTACT_HORIZON:
            self.fail("next_contact_on", _("Plan the next contact within a year."))
        return value

    def attempt_rules(self, cleaned: dict[str, Any]) -> None:
        if cleaned["connected"]:
            return
        if cleaned["duration_minutes"]:
            self.fail("duration_minutes", _("An attempt that did not connect lasts 0 minutes."))
        if cleaned["support_types"]:
            self.fail("support_types", _("An attempt that did not connect gave no support."))

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _check_note(cleaned: dict[str, Any], reach: NoteReach, *, before: str = "") -> None:
    if cleaned["private_note"] != before and not reach.may_write:
        raise ValidationError(
            {
                "private_note": _(
                    "Private notes are kept by the peer, their supervisor and leaders only."
                )
            }
        )


# ---------------------------------------------------------------------------------------
# Navigation referrals made during a contact


def _referral_requests(match: Match, value: Any) -> list[tuple[DirectoryService, str, str]]:
    """[{service_id, need, note?}] checked against the programme's directory."""
    field = "navigation_referrals"
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > REFERRALS_MAX:
        raise ValidationError(
            {field: _("Give at most %(n)d referrals as a list.") % {"n": REFERRALS_MAX}}
        )
    services = services_for_navigation(enrolment=match.enrolment)
    wanted: list[tuple[DirectoryService, str, str]] = []
    for entry in value:
        if not isinstance(entry, Mapping):
            raise ValidationError({field: _("Give each referral as a service and a need.")})
        service = entry.get("service")
        if not isinstance(service, DirectoryService):
            service_id = entry.get("service_id")
            if isinstance(service_id, bool) or not isinstance(service_id, int):
                raise ValidationError({field: _("Choose a service from the directory.")})
            service = services.filter(pk=service_id).first()
            if service is None:
                raise ValidationError({field: _("There is no such service in the directory.")})
        need = getattr(entry.get("need"), "value", entry.get("need"))
        if need not in ServiceCategory.values:
            raise ValidationError({field: _("Choose the need the service meets.")})
        note = entry.get("note") or ""
        if not isinstance(note, str) or len(note) > NEXT_STEP_MAX or "\x00" in note:
            raise ValidationError({field: _("Keep the referral note short text.")})
        wanted.append((service, str(need), note))
    return wanted


def _make_referrals(
    match: Match, actor: User, wanted: list[tuple[DirectoryService, str, str]]
) -> list[NavigationReferral]:
    made = []
    for service, need, note in wanted:
        try:
            made.append(
                navigation_referral_make(
                    enrolment=match.enrolment, service=service, need=need, made_by=actor, note=note
                )
            )
        except ValidationError as error:
            raise ValidationError({"navigation_referrals": error.messages}) from None
    return made


# ---------------------------------------------------------------------------------------
# Writing


def _confirm_first_contact(match: Match, contact: Contact, actor: User) -> None:
    """The first contact that connected confirms first contact on an introduced match."""
    match.refresh_from_db(fields=["status", "first_contact_at"])
    if not contact.connected or match.first_contact_at is not None:
        return
    if match.status != MatchStatus.INTRODUCED:
        return
    try:
        lifecycle.match_confirm_first_contact(match, actor=actor, on=contact.occurred_at)
    except ValidationError as error:
        raise ValidationError({"occurred_at": error.messages}) from None


def _locked_match(match: Match) -> Match:
    return (
        Match.objects.select_for_update()
        .select_related("programme", "enrolment", "enrolment__person", "profile__person")
        .get(pk=match.pk)
    )


@transaction.atomic
def contact_log(*, match: Match, actor: User, data: Mapping[str, Any]) -> Contact:
    """Log a contact (or an attempt) in a match under way, by its peer or by staff who
    log over the programme. `data` holds the EDITABLE fields (missing ones take their
    defaults; `occurred_at` defaults to now) and optionally `navigation_referrals`:
    [{"service_id" or "service", "need", "note"}]."""
    match = _locked_match(match)
    if not may_log(actor, match):
        raise PermissionDenied
    if match.status not in CONTACT_STATUSES:
        raise ValidationError(
            {"match": _("Contacts are logged once the two have been introduced, until the end.")}
        )
    values = {"occurred_at": timezone.now(), **DEFAULTS, **data}
    wanted_referrals = values.pop("navigation_referrals", None)
    cleaner = _Cleaner(match)
    cleaned = cleaner.clean(values)
    cleaner.raise_errors()
    _check_note(cleaned, note_reach(actor, match))
    wanted = _referral_requests(match, wanted_referrals)
    now = timezone.now()
    window = timedelta(hours=support_settings(match.programme).edit_window_hours)
    contact = Contact(
        match=match,
        programme_id=match.programme_id,
        enrolment_id=match.enrolment_id,
        profile_id=match.profile_id,
        logged_by=actor,
        created_at=now,
        updated_at=now,
        locked_at=now + window,
        **cleaned,
    )
    contact.save()
    made = _make_referrals(match, actor, wanted)
    if made:
        contact.navigation_referrals.set(made)
    audit_instance(actor=actor, action=Action.CREATE, instance=contact)
    last_contacts_refresh([match.pk])
    _confirm_first_contact(match, contact, actor)
    return contact


def _locked_contact(contact: Contact) -> Contact:
    return (
        Contact.objects.select_for_update()
        .select_related("match", "match__programme", "match__profile", "match__profile__person")
        .get(pk=contact.pk)
    )


def _stored(contact: Contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in EDITABLE}


def _cleaned_change(contact: Contact, actor: User, data: Mapping[str, Any]) -> dict[str, Any]:
    if not may_change(actor, contact):
        raise PermissionDenied
    stored = _stored(contact)
    cleaner = _Cleaner(contact.match, previous=stored)
    cleaned = cleaner.clean({**stored, **data})
    cleaner.raise_errors()
    _check_note(cleaned, note_reach(actor, contact.match), before=contact.private_note)
    return cleaned


@transaction.atomic
def contact_edit(contact: Contact, *, actor: User, data: Mapping[str, Any]) -> Contact:
    """Change a contact within its edit window (the author, or staff who log over the
    programme). After the window: ContactLocked, and the change is an amendment."""
    contact = _locked_contact(contact)
    if timezone.now() >= contact.locked_at:
        raise ContactLocked(contact)
    cleaned = _cleaned_change(contact, actor, data)
    for name, value in cleaned.items():
        setattr(contact, name, value)
    contact.updated_at = timezone.now()
    contact.save(update_fields=[*EDITABLE, "updated_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=contact)
    last_contacts_refresh([contact.match_id])
    _confirm_first_contact(contact.match, contact, actor)
    return contact


def _as_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@transaction.atomic
def contact_amend(
    contact: Contact, *, actor: User, data: Mapping[str, Any], reason: str
) -> ContactAmendment:
    """Change a locked contact: the amendment keeps {field: [before, after]} and why."""
    contact = _locked_contact(contact)
    if timezone.now() < contact.locked_at:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("This contact can still be edited: change it directly.")},
            code="not_locked",
        )
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": _("Say why the contact is being changed.")})
    if len(reason) > REASON_MAX or "\x00" in reason:
        raise ValidationError(
            {"reason": _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}}
        )
    cleaned = _cleaned_change(contact, actor, data)
    stored = _stored(contact)
    changes = {
        name: [_as_json(stored[name]), _as_json(value)]
        for name, value in cleaned.items()
        if value != stored[name]
    }
    if not changes:
        raise ValidationError({NON_FIELD_ERRORS: _("Nothing was changed.")})
    now = timezone.now()
    amendment = ContactAmendment.objects.create(
        contact=contact,
        reason=reason,
        changes=json.dumps(changes, sort_keys=True),
        amended_by=actor,
        amended_at=now,
    )
    for name in changes:
        setattr(contact, name, cleaned[name])
    contact.updated_at = now
    contact.save(update_fields=[*changes, "updated_at"])
    audit_instance(actor=actor, action=Action.CREATE, instance=amendment)
    audit_instance(actor=actor, action=Action.UPDATE, instance=contact)
    last_contacts_refresh([contact.match_id])
    _confirm_first_contact(contact.match, contact, actor)
    return amendment
