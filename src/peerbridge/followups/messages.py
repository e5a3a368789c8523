"""A playbook's messages and check-in links, put in the outbox by the worker.

Whether a person can be reached, and how, is the outbox's rule
(notifications.reach): people who work in the programme are reached in PeerBridge and
at their address; a participant needs an address and their newest consent decision to
include that channel, and an in-app message alone does not count as reaching them (most
have no login, and the coordinator needs to know to call instead). When nobody can be
reached, the work item says why ("no consent", "no address", "no recipient") and the
coordinator sees it in the queue.

A rule's message is the programme's own text. It is shown in PeerBridge (the in-app
message); an email or text message only says that a message is waiting, with a link,
because no email or SMS body carries free text that could hold a health detail. For
someone without a login the link opens the message itself, without an account, for
READ_LINK_DAYS (`message_lookup`). A check-in
message only says that a short question is waiting, with its link. The link carries a
secret, so it travels only in the (encrypted) body, never in the outbox's link column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_instance
from peerbridge.core.links import token_lookup, token_new
from peerbridge.followups.models import Recipient, WorkItem
from peerbridge.matching.check_ins import check_in_open
from peerbridge.matching.models import WORKING_STATUSES, MatchCheckIn
from peerbridge.notifications.models import Channel
from peerbridge.notifications.reach import (
    EXTERNAL,
    REFUSED_NO_ADDRESS,
    REFUSED_NO_CONSENT,
    preference_of,
    preferred_external,
    reachable_channels,
    refusal,
    works_in,
)
from peerbridge.notifications.services import notify
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person

KIND_MESSAGE = "followups_message"
KIND_CHECK_IN = "followups_check_in"
REASON_NO_CONSENT = REFUSED_NO_CONSENT
REASON_NO_ADDRESS = REFUSED_NO_ADDRESS
REASON_NO_RECIPIENT = "no recipient"
# How long the link to read a message (for someone without a login) works.
READ_LINK_DAYS = 30


@dataclass(frozen=True)
class Reach:
    """Whether a person can be reached now outside a page they visit; `reason` when not."""

    reason: str

    @property
    def allowed(self) -> bool:
        return not self.reason


def reach_person(person: Person, *, programme: Programme) -> Reach:
    """Whether the outbox can reach the person in the programme now: by email or text
    message, or, for someone who works in the programme, in PeerBridge."""
    user = person.user if person.user is not None and person.user.is_active else None
    channels = reachable_channels(user=user, person=person, programme=programme)
    if any(channel in EXTERNAL for channel in channels):
        return Reach("")
    if Channel.IN_APP in channels and works_in(user, programme):
        return Reach("")
    preferred = preferred_external(preference_of(user=user, person=person), person)
    refused = {
        refusal(channel, user=user, person=person, programme=programme) for channel in preferred
    }
    # Someone who chose "only in PeerBridge" has not agreed to email or text either.
    if not preferred or REASON_NO_CONSENT in refused:
        return Reach(REASON_NO_CONSENT)
    return Reach(REASON_NO_ADDRESS)


def reach_people(person_ids: Iterable[int], *, programme_id: int) -> dict[int, Reach]:
    """`reach_person` for a few people (the two sides of a match)."""
    ids = list(person_ids)
    programme = Programme.objects.get(pk=programme_id)
    people = Person.objects.filter(pk__in=set(ids)).select_related("user")
    found = {person.pk: reach_person(person, programme=programme) for person in people}
    return {pk: found.get(pk, Reach(REASON_NO_RECIPIENT)) for pk in ids}


def recipient_person_id(item: WorkItem) -> int | None:
    """Who the item's message is for: the participant, or the match's peer."""
    if item.rule.recipient == Recipient.PARTICIPANT:
        return item.enrolment.person_id
    if item.match is not None:
        return item.match.profile.person_id
    return None


def _not_sent(item: WorkItem, reason: str) -> int:
    item.status = WorkItem.Status.FAILED
    item.outcome = {**item.outcome, "reason": reason}
    item.save(update_fields=["status", "outcome"])
    audit_instance(actor=None, action=AuditAction.UPDATE, instance=item)
    return 0


@transaction.atomic
def message_deliver(*, work_item_id: int) -> int:
    """Put a message the scan made due in the outbox (the worker runs this). Consent is
    read now: a person who withdrew it since the scan is not messaged, and the item
    shows it was not sent. Returns the number of outbox rows written."""
    item = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("rule", "enrolment", "match__profile", "programme")
        .filter(pk=work_item_id, status=WorkItem.Status.SENT)
        .first()
    )
    if item is None or item.outcome.get("queued") or item.outcome.get("delivered"):
        return 0
    person_id = recipient_person_id(item)
    person = (
        Person.objects.select_related("user").filter(pk=person_id).first()
        if person_id is not None
        else None
    )
    if person is None:
        return _not_sent(item, REASON_NO_RECIPIENT)
    reach = reach_person(person, programme=item.programme)
    if not reach.allowed:
        return _not_sent(item, reach.reason)
    to_peer = item.rule.recipient != Recipient.PARTICIPANT
    context: dict[str, object] = {"message": item.rule.message}
    link = reverse("matching:my_matches" if to_peer else "web:home")
    if person.user is None or not person.user.is_active:
        # No login to read it in PeerBridge: the email or text carries a link that
        # shows the message without an account (the secret only in the encrypted body).
        token, item.read_token_digest = token_new()
        item.read_until = timezone.now() + timedelta(days=READ_LINK_DAYS)
        context["read_link"] = message_read_url(settings.SITE_URL, token)
        context["read_link_days"] = READ_LINK_DAYS
        link = ""
    rows = notify(
        kind=KIND_MESSAGE,
        programme=item.programme,
        person=person,
        context=context,
        link=link,
        dedupe_key=f"followups:item:{item.pk}",
    )
    item.outcome = {**item.outcome, "queued": True}
    item.save(update_fields=["outcome", "read_token_digest", "read_until"])
    audit_instance(actor=None, action=AuditAction.UPDATE, instance=item)
    return len(rows)


# --- Check-in links -------------------------------------------------------------------


def check_in_person_id(check_in: MatchCheckIn) -> int:
    match = check_in.match
    if check_in.side == MatchCheckIn.Side.PARTICIPANT:
        return match.enrolment.person_id
    return match.profile.person_id


def message_read_url(site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("followups:message_read", args=[token])


def message_lookup(token: str) -> WorkItem | None:
    """The sent message a read link is for, while the link works; None otherwise."""
    digest = token_lookup(token)
    if digest is None:
        return None
    return (
        WorkItem.objects.select_related("rule", "programme")
        .filter(read_token_digest=digest, read_until__gt=timezone.now())
        .first()
    )


def check_in_url(site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("followups:check_in_answer", args=[token])


@transaction.atomic
def check_in_link_deliver(*, check_in_id: int, site_url: str) -> int:
    """Put a fresh check-in link in the outbox (the worker runs this): consent is read
    again, and the earlier link stops working. Returns the number of outbox rows."""
    check_in = (
        MatchCheckIn.objects.select_related(
            "match__enrolment", "match__profile", "match__programme"
        )
        .filter(pk=check_in_id, answered_at__isnull=True)
        .first()
    )
    if check_in is None or check_in.match.status not in WORKING_STATUSES:
        return 0
    person = Person.objects.select_related("user").get(pk=check_in_person_id(check_in))
    programme = check_in.match.programme
    if not reach_person(person, programme=programme).allowed:
        return 0
    _row, token = check_in_open(check_in.match, side=check_in.side, actor=None)
    if not token:
        return 0
    rows = notify(
        kind=KIND_CHECK_IN,
        programme=programme,
        person=person,
        # Not `link`: the outbox keeps that column in plain text, and this one holds a
        # secret; the encrypted body is where it travels.
        context={"check_in_link": check_in_url(site_url, token)},
    )
    return len(rows)
