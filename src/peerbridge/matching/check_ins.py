"""Match check-ins: the short questions to each side at the first follow-up (does it feel
comfortable, would you like a change), answered through a link without an account or
recorded by the coordinator after a call.

A link carries a random token; only its digest is stored (core.links), so a database
copy holds no working link. An answer that is not comfortable, or asks for a change, puts
the match's open check-in work item at the top of the coordinator's queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.links import token_lookup, token_new
from peerbridge.core.models import User
from peerbridge.followups.models import Action as RuleAction
from peerbridge.followups.models import WorkItem
from peerbridge.matching.models import WORKING_STATUSES, Match, MatchCheckIn

LINK_DAYS = 14
COMMENT_MAX = 2000
Side = MatchCheckIn.Side


class CheckInUnavailable(Exception):
    """A check-in link that cannot be answered: `reason` is "unknown" (no such link, or
    a newer link replaced it), "expired", "answered" or "closed" (the match has ended)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_side(side: str) -> None:
    if side not in Side.values:
        raise ValidationError({"side": _("Choose the participant or the peer supporter.")})


def _check_working(match: Match) -> None:
    if match.status not in WORKING_STATUSES:
        raise ValidationError({"match": _("Check-ins are for matches that are under way.")})


def _check_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": _("Keep the comment under %(n)d characters.") % {"n": COMMENT_MAX}}
        )
    return comment


@transaction.atomic
def check_in_open(match: Match, *, side: str, actor: User | None) -> tuple[MatchCheckIn, str]:
    """Open one side's check-in and return it with the raw token for its link (shown or
    sent once; only the digest is kept). There is one check-in per match and side:
    calling again gives an unanswered check-in a new link, valid for 14 days, and the
    earlier link stops working. An answered check-in is returned as it is, with no token."""
    _check_side(side)
    match = Match.objects.select_for_update().get(pk=match.pk)
    found = MatchCheckIn.objects.filter(match=match, side=side).first()
    if found is not None and found.answered_at is not None:
        return found, ""
    _check_working(match)
    token, digest = token_new()
    expires_at = timezone.now() + timedelta(days=LINK_DAYS)
    if found is None:
        found = MatchCheckIn.objects.create(
            match=match, side=side, token_hash=digest, expires_at=expires_at
        )
        audit_instance(actor=actor, action=Action.CREATE, instance=found)
    else:
        found.token_hash = digest
        found.expires_at = expires_at
        found.save(update_fields=["token_hash", "expires_at"])
        audit_instance(actor=actor, action=Action.UPDATE, instance=found)
    return found, token


@transaction.atomic
def check_ins_start(match_ids: Iterable[int], *, actor: User | None) -> int:
    """Start both sides' check-ins of these matches, if under way: a row per side that
    has none yet, waiting for an answer, with no link. A link is made only when one is
    sent or shown (check_in_open), so starting never replaces a link already passed on.
    Returns the number started; four queries whatever the number of matches."""
    working = list(
        Match.objects.select_for_update()
        .filter(pk__in=set(match_ids), status__in=WORKING_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not working:
        return 0
    have = set(MatchCheckIn.objects.filter(match_id__in=working).values_list("match_id", "side"))
    made = MatchCheckIn.objects.bulk_create(
        [
            MatchCheckIn(match_id=pk, side=side)
            for pk in working
            for side in Side.values
            if (pk, side) not in have
        ]
    )
    audit_many(
        actor=actor,
        action=Action.CREATE,
        object_type=MatchCheckIn._meta.label_lower,
        object_ids=[row.pk for row in made],
    )
    return len(made)


def _usable(check_in: MatchCheckIn | None) -> MatchCheckIn:
    if check_in is None:
        raise CheckInUnavailable("unknown")
    if check_in.answered_at is not None:
        raise CheckInUnavailable("answered")
    if check_in.expires_at is None or check_in.expires_at <= timezone.now():
        raise CheckInUnavailable("expired")
    if check_in.match.status not in WORKING_STATUSES:
        raise CheckInUnavailable("closed")
    return check_in


def _by_token(token: str, *, lock: bool = False) -> MatchCheckIn:
    """The check-in behind a link, if it can still be answered (else CheckInUnavailable)."""
    digest = token_lookup(token)
    if digest is None:
        raise CheckInUnavailable("unknown")
    rows = MatchCheckIn.objects.select_related("match")
    if lock:
        rows = rows.select_for_update(of=("self",))
    return _usable(rows.filter(token_hash=digest).first())


def check_in_lookup(token: str) -> MatchCheckIn:
    """The check-in behind a link, if it can still be answered (else CheckInUnavailable)."""
    return _by_token(token)


@transaction.atomic
def check_in_answer(
    *, token: str, comfortable: bool, wants_change: bool, comment: str
) -> MatchCheckIn:
    """The answer through a link (no account). A link answers once."""
    comment = _check_comment(comment)
    check_in = _by_token(token, lock=True)
    return _save_answer(
        check_in, comfortable=comfortable, wants_change=wants_change, comment=comment, actor=None
    )


@transaction.atomic
def check_in_record(
    match: Match,
    *,
    side: str,
    comfortable: bool,
    wants_change: bool,
    comment: str,
    actor: User | None,
) -> MatchCheckIn:
    """The coordinator records one side's answer given by phone or in person. It
    replaces an earlier answer of that side; a link still open stops working."""
    _check_side(side)
    comment = _check_comment(comment)
    match = Match.objects.select_for_update().get(pk=match.pk)
    _check_working(match)
    check_in, created = MatchCheckIn.objects.get_or_create(match=match, side=side)
    if created:
        audit_instance(actor=actor, action=Action.CREATE, instance=check_in)
    check_in.match = match
    return _save_answer(
        check_in, comfortable=comfortable, wants_change=wants_change, comment=comment, actor=actor
    )


def _save_answer(
    check_in: MatchCheckIn,
    *,
    comfortable: bool,
    wants_change: bool,
    comment: str,
    actor: User | None,
) -> MatchCheckIn:
    check_in.comfortable = bool(comfortable)
    check_in.wants_change = bool(wants_change)
    check_in.comment = comment
    check_in.answered_at = timezone.now()
    check_in.recorded_by = actor
    check_in.save(
        update_fields=["comfortable", "wants_change", "comment", "answered_at", "recorded_by"]
    )
    audit_instance(actor=actor, action=Action.UPDATE, instance=check_in)
    if not check_in.comfortable or check_in.wants_change:
        _flag_for_attention(check_in, actor=actor)
    return check_in


def _flag_for_attention(check_in: MatchCheckIn, *, actor: User | None) -> None:
    """Mark the match's open check-in work items so the coordinator sees them first.
    The outcome says which side; never what they wrote (that stays encrypted here)."""
    items = WorkItem.objects.select_for_update().filter(
        match_id=check_in.match_id, action=RuleAction.CHECK_IN, status=WorkItem.Status.OPEN
    )
    for item in items:
        sides = set(item.outcome.get("attention_sides", [])) | {check_in.side}
        item.outcome = {**item.outcome, "attention": True, "attention_sides": sorted(sides)}
        item.save(update_fields=["outcome"])
        audit_instance(actor=actor, action=Action.UPDATE, instance=item)


def check_ins_of(match: Match) -> dict[str, MatchCheckIn]:
    """The match's check-ins by side."""
    return {row.side: row for row in MatchCheckIn.objects.filter(match=match)}
