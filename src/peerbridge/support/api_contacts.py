"""API for contacts (mounted by support/api.py): a match's contacts, logging one, reading
and changing one within its edit window, and amending it after. A change to a locked
contact is a 409 `locked`: POST it as an amendment with a reason. A private note is
null for anyone who may not read it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.errors import ErrorOut
from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDate, IsoDateTime, plain, plain_values
from peerbridge.core.access import acting_user, api_policy
from peerbridge.matching.selectors import access_match
from peerbridge.referrals.models import ServiceCategory
from peerbridge.support import contacts, policies
from peerbridge.support.contact_selectors import (
    NoteReach,
    access_contact,
    audit_contacts,
    match_contacts,
    note_reach,
)
from peerbridge.support.models import Contact, ContactAmendment, Mode, Setting, SupportType

router = Router()


Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Minutes = Annotated[int, Field(ge=0, le=contacts.MINUTES_MAX, strict=True)]
Moment = IsoDateTime
Day = IsoDate
Topic = Annotated[str, Field(min_length=1, max_length=120)]


class ReferralIn(Schema):
    service_id: Id
    need: ServiceCategory
    note: str = Field("", max_length=contacts.NEXT_STEP_MAX)


class ContactChange(Schema):
    """The fields of a contact; a PATCH or an amendment sends only those that change."""

    occurred_at: Moment | None = Field(None, description="ISO 8601 with its time zone.")
    connected: Flag = Field(True, description="False for an attempt that did not connect.")
    duration_minutes: Minutes = 0
    travel_minutes: Minutes = 0
    mode: Mode | None = None
    setting: Setting | None = None
    support_types: list[SupportType] = Field(default_factory=list, max_length=5)
    topics: list[Topic] = Field(
        default_factory=list,
        max_length=contacts.TOPICS_MAX,
        description="The programme's issue tags, or short labels (40 characters).",
    )
    transport_provided: Flag = False
    next_step: str = Field("", max_length=contacts.NEXT_STEP_MAX)
    next_contact_on: Day | None = None
    private_note: str = Field("", max_length=contacts.NOTE_MAX)


class ContactIn(ContactChange):
    occurred_at: Moment | None = Field(None, description="ISO 8601 with its time zone; empty: now.")
    mode: Mode | None = Field(None, description="Required.")
    setting: Setting | None = Field(None, description="Required.")
    navigation_referrals: list[ReferralIn] = Field(
        default_factory=list,
        max_length=contacts.REFERRALS_MAX,
        description="Referrals to directory services made during the contact.",
    )


class AmendmentIn(ContactChange):
    reason: str = Field(..., min_length=1, max_length=contacts.REASON_MAX)


class ContactOut(Schema):
    id: int
    match_id: int
    programme_id: int
    enrolment_id: int
    profile_id: int
    occurred_at: datetime
    connected: bool
    duration_minutes: int
    travel_minutes: int
    mode: str
    setting: str
    support_types: list[str]
    topics: list[str]
    navigation_referral_ids: list[int]
    transport_provided: bool
    next_step: str
    next_contact_on: date | None
    private_note: str | None = Field(
        None, description="Null for anyone but the author, their supervisor and leaders."
    )
    logged_by_id: int | None
    created_at: datetime
    updated_at: datetime
    locked_at: datetime
    locked: bool


class AmendmentOut(Schema):
    id: int
    amended_at: datetime
    amended_by_id: int | None
    reason: str
    changes: dict[str, list[Any]] = Field(
        ..., description="{field: [before, after]}; a private note's values are null unless read."
    )


class ContactDetailOut(ContactOut):
    amendments: list[AmendmentOut]


class ContactPage(Schema):
    items: list[ContactOut]
    count: int
    page: int
    page_size: int


PLAIN_FIELDS = tuple(
    ContactOut.model_fields.keys() - {"navigation_referral_ids", "private_note", "locked"}
)


def _payload(contact: Contact, reach: NoteReach) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in PLAIN_FIELDS} | {
        "navigation_referral_ids": [r.pk for r in contact.navigation_referrals.all()],
        "private_note": contact.private_note if reach.may_read(contact) else None,
        "locked": contact.locked_at <= timezone.now(),
    }


def _amendment(amendment: ContactAmendment, shows_note: bool) -> dict[str, Any]:
    try:
        changes = json.loads(amendment.changes or "{}")
    except ValueError:
        changes = {}
    if not shows_note and "private_note" in changes:
        changes["private_note"] = [None, None]
    return {
        "id": amendment.pk,
        "amended_at": amendment.amended_at,
        "amended_by_id": amendment.amended_by_id,
        "reason": amendment.reason,
        "changes": changes,
    }


def _detail(contact: Contact, reach: NoteReach) -> dict[str, Any]:
    shows_note = reach.may_read(contact)
    amendments = contact.amendments.order_by("amended_at", "pk")
    trail = [_amendment(amendment, shows_note) for amendment in amendments]
    return _payload(contact, reach) | {"amendments": trail}


def _change_values(payload: ContactChange) -> dict[str, Any]:
    return plain_values(payload.model_dump(exclude_unset=True, exclude={"reason"}))


@router.get("/matches/{match_id}/contacts", response=ContactPage)
@api_policy(policies.CONTACT_VIEW)
def list_contacts(
    request: HttpRequest, match_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """The match's contacts, newest first; each one listed is audited as read."""
    match = access_match(request.user, match_id, policies.CONTACT_VIEW)
    reach = note_reach(request.user, match)
    page = paginate(match_contacts(match), pagination)
    audit_contacts(request.user, page["items"])
    return {**page, "items": [_payload(contact, reach) for contact in page["items"]]}


@router.post("/matches/{match_id}/contacts", response={201: ContactDetailOut})
@api_policy(policies.CONTACT_LOG)
def log_contact(request: HttpRequest, match_id: int, payload: ContactIn) -> Status[dict[str, Any]]:
    """Log a contact or an attempt in a match under way (introduced, first contact or
    active). The first one that connected confirms first contact on the match."""
    match = access_match(request.user, match_id, policies.CONTACT_LOG)
    data = _change_values(payload)
    if data.get("occurred_at") is None:
        data.pop("occurred_at", None)
    data["navigation_referrals"] = [
        {"service_id": r.service_id, "need": plain(r.need), "note": r.note}
        for r in payload.navigation_referrals
    ]
    contact = contacts.contact_log(match=match, actor=acting_user(request), data=data)
    return Status(201, _detail(contact, note_reach(request.user, match)))


@router.get("/contacts/{contact_id}", response=ContactDetailOut)
@api_policy(policies.CONTACT_VIEW)
def get_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    contact = access_contact(request.user, contact_id, policies.CONTACT_VIEW)
    return _detail(contact, note_reach(request.user, contact.match))


def _locked_error(contact: Contact) -> Status[dict[str, Any]]:
    return Status(
        409,
        {
            "error": {
                "code": "locked",
                "message": (
                    "This contact is locked: POST the change with a reason to "
                    f"/api/v1/contacts/{contact.pk}/amendments."
                ),
                "fields": {},
            }
        },
    )


@router.patch("/contacts/{contact_id}", response={200: ContactDetailOut, 409: ErrorOut})
@api_policy(policies.CONTACT_LOG)
def update_contact(
    request: HttpRequest, contact_id: int, payload: ContactChange
) -> dict[str, Any] | Status[dict[str, Any]]:
    """Change a contact within its edit window (its author, or staff who log over the
    programme); after the window, 409 `locked`."""
    contact = access_contact(request.user, contact_id, policies.CONTACT_LOG)
    try:
        contact = contacts.contact_edit(
            contact, actor=acting_user(request), data=_change_values(payload)
        )
    except contacts.ContactLocked:
        return _locked_error(contact)
    return _detail(contact, note_reach(request.user, contact.match))


@router.post("/contacts/{contact_id}/amendments", response={201: ContactDetailOut})
@api_policy(policies.CONTACT_LOG)
def amend_contact(
    request: HttpRequest, contact_id: int, payload: AmendmentIn
) -> Status[dict[str, Any]]:
    """Amend a locked contact: send the fields that change and why. The amendment keeps
    what each field was and became."""
    contact = access_contact(request.user, contact_id, policies.CONTACT_LOG)
    contacts.contact_amend(
        contact, actor=acting_user(request), data=_change_values(payload), reason=payload.reason
    )
    contact.refresh_from_db()
    return Status(201, _detail(contact, note_reach(request.user, contact.match)))
