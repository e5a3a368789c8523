"""A playbook's messages: who may be emailed, and sending one through the worker.

A message goes by email only to a person with an address who agreed to be contacted by
email in the programme (their newest consent decision). Otherwise the work item says
why it was not sent, and the coordinator sees it in the queue. The message is the
rule's own text: it names no condition, and the subject line says nothing either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_instance
from peerbridge.followups.models import Recipient, WorkItem
from peerbridge.matching.check_ins import check_in_open
from peerbridge.matching.models import WORKING_STATUSES, MatchCheckIn
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.workforce.models import PeerProfile

REASON_NO_CONSENT = "no consent"
REASON_NO_EMAIL = "no email"
REASON_NO_RECIPIENT = "no recipient"


@dataclass(frozen=True)
class Reach:
    """Whether a person can be emailed now; `reason` when not."""

    address: str
    reason: str

    @property
    def allowed(self) -> bool:
        return not self.reason


def email_address(person: Person) -> str:
    """The person's own address, or their sign-in address when they have no other."""
    if person.is_erased:
        return ""
    own = (person.email or "").strip()
    if own:
        return own
    user = person.user
    return user.email if user is not None and user.is_active else ""


def reach_by_email(person_ids: Iterable[int], *, programme_id: int) -> dict[int, Reach]:
    """For each person: their address and whether they may be emailed in the programme.
    Participants need email among their consent scopes; the programme's own peer
    supporters (in training or available) get work emails at their address, as staff do.
    Three queries whatever the number of people."""
    ids = sorted(set(person_ids))
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("user")}
    team = set(
        PeerProfile.objects.filter(person_id__in=ids, programme_id=programme_id)
        .exclude(status=PeerProfile.Status.LEFT)
        .values_list("person_id", flat=True)
    )
    newest: dict[int, Consent] = {}
    for consent in Consent.objects.filter(person_id__in=ids, programme_id=programme_id).order_by(
        "person_id", "-recorded_at", "-id"
    ):
        newest.setdefault(consent.person_id, consent)
    found: dict[int, Reach] = {}
    for pk in ids:
        person = people.get(pk)
        address = email_address(person) if person is not None else ""
        decision = newest.get(pk)
        if pk in team:
            found[pk] = Reach(address, "" if address else REASON_NO_EMAIL)
        elif decision is None or ConsentScope.CONTACT_EMAIL not in decision.scopes:
            found[pk] = Reach(address, REASON_NO_CONSENT)
        elif not address:
            found[pk] = Reach("", REASON_NO_EMAIL)
        else:
            found[pk] = Reach(address, "")
    return found


def recipient_person_id(item: WorkItem) -> int | None:
    """Who the item's message is for: the participant, or the match's peer."""
    if item.rule.recipient == Recipient.PARTICIPANT:
        return item.enrolment.person_id
    if item.match is not None:
        return item.match.profile.person_id
    return None


@transaction.atomic
def message_deliver(*, work_item_id: int) -> int:
    """Send a queued message (the worker runs this). Consent is read again: a person who
    withdrew it since the scan is not emailed, and the item shows it was not sent."""
    item = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("rule", "enrolment", "match__profile")
        .filter(pk=work_item_id, status=WorkItem.Status.SENT)
        .first()
    )
    if item is None or item.outcome.get("delivered"):
        return 0
    person_id = recipient_person_id(item)
    reach = (
        reach_by_email([person_id], programme_id=item.programme_id)[person_id]
        if person_id is not None
        else Reach("", REASON_NO_RECIPIENT)
    )
    if not reach.allowed:
        item.status = WorkItem.Status.FAILED
        item.outcome = {**item.outcome, "reason": reach.reason}
        item.save(update_fields=["status", "outcome"])
        audit_instance(actor=None, action=AuditAction.UPDATE, instance=item)
        return 0
    sent = send_mail(
        subject=_("A message from your peer support programme"),
        message=item.rule.message,
        from_email=None,
        recipient_list=[reach.address],
    )
    item.outcome = {**item.outcome, "delivered": True}
    item.save(update_fields=["outcome"])
    audit_instance(actor=None, action=AuditAction.UPDATE, instance=item)
    return sent


# --- Check-in links -------------------------------------------------------------------


def check_in_person_id(check_in: MatchCheckIn) -> int:
    match = check_in.match
    if check_in.side == MatchCheckIn.Side.PARTICIPANT:
        return match.enrolment.person_id
    return match.profile.person_id


def check_in_url(site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("followups:check_in_answer", args=[token])


@transaction.atomic
def check_in_link_deliver(*, check_in_id: int, site_url: str) -> int:
    """Send a fresh check-in link (the worker runs this): consent is read again."""
    check_in = (
        MatchCheckIn.objects.select_related("match__enrolment", "match__profile")
        .filter(pk=check_in_id, answered_at__isnull=True)
        .first()
    )
    if check_in is None or check_in.match.status not in WORKING_STATUSES:
        return 0
    person_id = check_in_person_id(check_in)
    reach = reach_by_email([person_id], programme_id=check_in.match.programme_id)[person_id]
    if not reach.allowed:
        return 0
    _row, token = check_in_open(check_in.match, side=check_in.side, actor=None)
    if not token:
        return 0
    return send_mail(
        subject=_("How is it going?"),
        message=_(
            "Hello,\n\nYour peer support programme would like to know how things are going. "
            "Two short questions, no account needed (the link works once, for 14 days):"
            "\n%(link)s\n\nThank you."
        )
        % {"link": check_in_url(site_url, token)},
        from_email=None,
        recipient_list=[reach.address],
    )
