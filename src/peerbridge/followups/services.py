"""Writes about playbooks and work items: switching a playbook on or off, completing a
work item with its outcome (a check-in's answers, and ending a match that does not feel
comfortable, with a re-match), and sending a check-in link."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_instance
from peerbridge.core.models import User
from peerbridge.followups.messages import reach_people
from peerbridge.followups.models import Action, Playbook, WorkItem
from peerbridge.followups.selectors import ACTIONABLE
from peerbridge.followups.tasks import send_check_in_link
from peerbridge.matching import lifecycle
from peerbridge.matching.check_ins import check_in_open, check_in_record
from peerbridge.matching.models import (
    MATCH_TRANSITIONS,
    WORKING_STATUSES,
    EndReason,
    Match,
    MatchCheckIn,
    MatchStatus,
)

NOTE_MAX = 2000
CLOSING = (WorkItem.Status.DONE, WorkItem.Status.CANCELLED)


@dataclass(frozen=True)
class CheckInOutcome:
    """What the coordinator heard at the check-in call."""

    side: str
    first_call: bool
    comfortable: bool
    end_match: bool = False


@transaction.atomic
def playbook_set_active(*, playbook: Playbook, is_active: bool, actor: User | None) -> Playbook:
    """Switch a playbook on or off. Off, the scan makes nothing from it; items already
    made stay in the queue."""
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if playbook.is_active != is_active:
        playbook.is_active = is_active
        playbook.save(update_fields=["is_active"])
        audit_instance(actor=actor, action=AuditAction.UPDATE, instance=playbook)
    return playbook


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}}
        )
    if "\x00" in note:
        raise ValidationError({"note": _("The note contains characters that cannot be kept.")})
    return note


def _locked_item(item: WorkItem) -> WorkItem:
    locked = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("rule", "match", "enrolment", "programme")
        .get(pk=item.pk)
    )
    if locked.status not in ACTIONABLE:
        raise ValidationError({"status": _("This item is already closed.")})
    return locked


@transaction.atomic
def work_item_complete(
    *,
    item: WorkItem,
    status: str,
    note: str,
    actor: User | None,
    check_in: CheckInOutcome | None = None,
) -> WorkItem:
    """Close an item as done or no longer needed, with a note. A check-in item done
    records the coordinator's answers (`check_in`); "not comfortable" ends the match as
    not a fit and puts the participant back on the waiting list without this peer, but
    only when the coordinator confirmed it (`end_match`)."""
    if status not in CLOSING:
        raise ValidationError({"status": _("Choose done or no longer needed.")})
    note = _clean_note(note)
    item = _locked_item(item)
    outcome = dict(item.outcome)
    if item.action == Action.CHECK_IN and status == WorkItem.Status.DONE:
        if check_in is None:
            raise ValidationError(
                {"comfortable": _("Say whether the first call happened and how it feels.")}
            )
        outcome |= _record_check_in(item, check_in, note=note, actor=actor)
    item.status = status
    item.outcome = outcome
    item.note = note
    item.completed_at = timezone.now()
    item.completed_by = actor
    item.save(update_fields=["status", "outcome", "note", "completed_at", "completed_by"])
    audit_instance(actor=actor, action=AuditAction.UPDATE, instance=item)
    return item


def _record_check_in(
    item: WorkItem, answer: CheckInOutcome, *, note: str, actor: User | None
) -> dict[str, object]:
    match = item.match
    if match is None:
        raise ValidationError({"status": _("This check-in has no match.")})
    if not answer.comfortable and not answer.end_match:
        raise ValidationError(
            {
                "end_match": _(
                    "It does not feel comfortable: confirm that the match ends so the "
                    "participant can be matched with someone else."
                )
            }
        )
    check_in_record(
        match,
        side=answer.side,
        comfortable=answer.comfortable,
        wants_change=not answer.comfortable,
        comment=note,
        actor=actor,
    )
    match = Match.objects.get(pk=match.pk)
    if (
        answer.first_call
        and MatchStatus.FIRST_CONTACT in MATCH_TRANSITIONS[MatchStatus(match.status)]
    ):
        match = lifecycle.match_confirm_first_contact(match, actor=actor)
    ended = False
    if not answer.comfortable:
        lifecycle.match_end(match, reason=EndReason.NOT_A_FIT, note=note, actor=actor, rematch=True)
        ended = True
    return {
        "side": answer.side,
        "first_call": answer.first_call,
        "comfortable": answer.comfortable,
        "match_ended": ended,
    }


# --- Check-in links -------------------------------------------------------------------


def check_in_reach(match: Match) -> dict[str, bool]:
    """For each side, whether a link may be sent by email or text message (address and
    consent)."""
    people = {
        MatchCheckIn.Side.PARTICIPANT: match.enrolment.person_id,
        MatchCheckIn.Side.PEER: match.profile.person_id,
    }
    reach = reach_people(people.values(), programme_id=match.programme_id)
    return {side: reach[pk].allowed for side, pk in people.items()}


def _link_match(item: WorkItem) -> Match:
    """The match whose check-in a link is for: the item must be an open check-in."""
    if item.action != Action.CHECK_IN or item.match is None:
        raise ValidationError({"side": _("This item has no check-in.")})
    if item.status not in ACTIONABLE:
        raise ValidationError({"side": _("This item is already closed.")})
    return item.match


@transaction.atomic
def check_in_link_send(
    *, item: WorkItem, side: str, site_url: str, actor: User | None
) -> MatchCheckIn:
    """Send one side of the item's match a link to its check-in by email or text message
    (the worker sends it with a fresh link). Refused without an address or consent to
    email or text message."""
    match_id = _link_match(item).pk
    if side not in MatchCheckIn.Side.values:
        raise ValidationError({"side": _("Choose the participant or the peer supporter.")})
    match = Match.objects.select_related("enrolment", "profile").get(pk=match_id)
    if match.status not in WORKING_STATUSES:
        raise ValidationError({"side": _("The match has ended: there is nothing to ask.")})
    if not check_in_reach(match)[side]:
        raise ValidationError(
            {
                "side": _(
                    "They have not agreed to email or text message, or have no address: "
                    "call them instead."
                )
            }
        )
    check_in, _token = check_in_open(match, side=side, actor=actor)
    if check_in.answered_at is not None:
        raise ValidationError({"side": _("They have already answered.")})
    transaction.on_commit(
        partial(send_check_in_link.enqueue, check_in_id=check_in.pk, site_url=site_url)
    )
    return check_in


def check_in_link_make(*, item: WorkItem, side: str, actor: User | None) -> str:
    """A fresh link to one side's check-in, for the coordinator to pass on by text or
    in person. The previous link stops working."""
    check_in, token = check_in_open(_link_match(item), side=side, actor=actor)
    if not token:
        raise ValidationError({"side": _("They have already answered.")})
    return token
