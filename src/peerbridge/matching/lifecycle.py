"""The match (dyad) lifecycle: proposed > offered > accepted or declined > introduced >
first contact > active > completed, or ended early, or cancelled before it began.

Every change locks the match row, checks MATCH_TRANSITIONS, writes a MatchStatusChange
(reason code, encrypted note, actor), stamps the stage's time, audits, and keeps the
participant's enrolment in step through `referrals.services.enrolment_transition`. A
live match holds one unit of the peer's capacity ("match:<id>") through
`workforce.capacity`; every way out of a live match gives it back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.matching.models import (
    EXCLUDING_END_REASONS,
    GOOD_END_REASONS,
    LIVE_MATCH_STATUSES,
    MATCH_TRANSITIONS,
    BatchRun,
    DeclineReason,
    EndReason,
    Match,
    MatchSettings,
    MatchStatus,
    MatchStatusChange,
)
from peerbridge.referrals.models import TRANSITIONS as ENROLMENT_TRANSITIONS
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.referrals.services import enrolment_transition
from peerbridge.workforce.capacity import capacity_release, capacity_reserve
from peerbridge.workforce.models import CapacityReservation, PeerProfile

M = MatchStatus
E = EnrolmentStatus
NOTE_MAX = 2000
REASONS_MAX = 20
REASON_TEXT_MAX = 300
# Ended for reasons that say nothing against the pair: the peer may be suggested again
# to a returning participant (continuity).
STAGE_TIMES: dict[str, str] = {
    M.OFFERED: "offered_at",
    M.ACCEPTED: "accepted_at",
    M.INTRODUCED: "introduced_at",
    M.FIRST_CONTACT: "first_contact_at",
    M.ACTIVE: "active_at",
    M.DECLINED: "closed_at",
    M.COMPLETED: "closed_at",
    M.ENDED: "closed_at",
    M.CANCELLED: "closed_at",
}


# ---------------------------------------------------------------------------------------
# Reads the services need


def offer_response_days(programme_id: int) -> int:
    """Days a peer has to answer an offer: the programme's setting, or the default when
    the programme never saved its matching settings (read only, never created here)."""
    found = MatchSettings.objects.filter(programme_id=programme_id).first() or MatchSettings()
    return int(found.offer_response_days)


def _earlier_matches(enrolment: Enrolment) -> Q:
    """Matches of the same person in the same programme: a returning participant keeps
    their history across enrolments."""
    return Q(enrolment__person_id=enrolment.person_id, programme_id=enrolment.programme_id)


def excluded_profiles(enrolment: Enrolment) -> frozenset[int]:
    """Peers never to suggest again to this participant: those who declined them, and
    those whose match ended as not a fit or for safety."""
    rows = Match.objects.filter(_earlier_matches(enrolment)).filter(
        Q(status=M.DECLINED) | Q(status=M.ENDED, end_reason__in=sorted(EXCLUDING_END_REASONS))
    )
    return frozenset(rows.values_list("profile_id", flat=True))


def previous_good_profiles(enrolment: Enrolment) -> frozenset[int]:
    """Peers of earlier matches that went well (completed, or ended for reasons that
    say nothing against the pair): a returning participant may continue with them."""
    rows = Match.objects.filter(_earlier_matches(enrolment)).filter(
        Q(status=M.COMPLETED) | Q(status=M.ENDED, end_reason__in=sorted(GOOD_END_REASONS))
    )
    return frozenset(rows.values_list("profile_id", flat=True)) - excluded_profiles(enrolment)


def last_ended_match(enrolment: Enrolment) -> Match | None:
    return (
        Match.objects.filter(enrolment_id=enrolment.pk, status=M.ENDED)
        .order_by("-closed_at", "-id")
        .first()
    )


# ---------------------------------------------------------------------------------------
# The one way a status changes


def _locked(match: Match) -> Match:
    """The match re-read under a row lock: two people acting on one match at once are
    served one after the other, the second seeing the first's change."""
    return (
        Match.objects.select_for_update()
        .select_related("programme", "profile", "enrolment")
        .get(pk=match.pk)
    )


def _refuse_transition(match: Match, to_status: str) -> None:
    if to_status in MATCH_TRANSITIONS[M(match.status)]:
        return
    raise ValidationError(
        {
            "status": _("A match that is %(now)s cannot become %(next)s.")
            % {"now": M(match.status).label.lower(), "next": M(to_status).label.lower()}
        },
        code="invalid_transition",
    )


def _clean_note(note: str, *, field: str = "note") -> str:
    if not isinstance(note, str):
        raise ValidationError({field: _("Write the note as text.")})
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({field: _("Keep the note under %(n)s characters.") % {"n": NOTE_MAX}})
    if "\x00" in note:
        raise ValidationError({field: _("The note contains characters that cannot be kept.")})
    return note


def _change(
    match: Match,
    to_status: str,
    *,
    actor: User | None,
    reason: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Match:
    """Record one validated change on a locked match: history row, status, stage time,
    audit. The caller has checked the transition and the inputs."""
    now = timezone.now()
    MatchStatusChange.objects.create(
        match=match,
        from_status=match.status,
        to_status=to_status,
        reason=reason,
        note=note,
        changed_at=now,
        changed_by=actor,
    )
    match.status = to_status
    match.status_changed_at = now
    setattr(match, STAGE_TIMES[to_status], at or now)
    fields = ["status", "status_changed_at", STAGE_TIMES[to_status]]
    if to_status == M.OFFERED:
        match.respond_by = now + timedelta(days=offer_response_days(match.programme_id))
        fields.append("respond_by")
    if to_status == M.DECLINED:
        match.decline_reason = reason
        fields.append("decline_reason")
    if to_status == M.ENDED:
        match.end_reason = reason
        fields.append("end_reason")
    match.save(update_fields=fields)
    audit_instance(actor=actor, action=Action.UPDATE, instance=match)
    return match


def _release(match: Match, *, actor: User | None) -> None:
    capacity_release(
        profile=match.profile,
        kind=CapacityReservation.Kind.MATCH,
        reference=match.reference,
        actor=actor,
    )


def _enrolment_to(
    match: Match, to_status: str, *, actor: User | None, reason: str = ""
) -> Enrolment:
    """Move the participant's enrolment with the match, when its path allows it."""
    enrolment = Enrolment.objects.select_for_update().get(pk=match.enrolment_id)
    if to_status == enrolment.status or to_status not in ENROLMENT_TRANSITIONS[E(enrolment.status)]:
        return enrolment
    enrolment = enrolment_transition(
        enrolment=enrolment, to_status=to_status, changed_by=actor, reason=reason
    )
    match.enrolment = enrolment
    return enrolment


# ---------------------------------------------------------------------------------------
# Creating a match


def _clean_reasons(reasons: Sequence[str]) -> list[str]:
    if isinstance(reasons, str) or not isinstance(reasons, Sequence):
        raise ValidationError({"reasons": _("Give the reasons as a list of sentences.")})
    if len(reasons) > REASONS_MAX:
        raise ValidationError({"reasons": _("Give at most %(n)s reasons.") % {"n": REASONS_MAX}})
    cleaned = []
    for reason in reasons:
        if not isinstance(reason, str) or len(reason) > REASON_TEXT_MAX or "\x00" in reason:
            raise ValidationError(
                {
                    "reasons": _("Each reason is a sentence of at most %(n)s characters.")
                    % {"n": REASON_TEXT_MAX}
                }
            )
        if reason.strip():
            cleaned.append(reason.strip())
    return cleaned


def _clean_score(score: float | None) -> float | None:
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise ValidationError({"score": _("The score is a number from 0 to 100.")})
    if not 0 <= score <= 100:
        raise ValidationError({"score": _("The score is a number from 0 to 100.")})
    return float(score)


def _creation_errors(
    *,
    enrolment: Enrolment,
    profile: PeerProfile,
    source: str,
    batch: BatchRun | None,
    allow_excluded: bool,
    note: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if source not in Match.Source.values:
        errors["source"] = _("Say how the match was made.")
    if enrolment.status != E.WAITING:
        errors["enrolment"] = _(
            "Only a participant on the waiting list can be matched; this one is %(status)s."
        ) % {"status": enrolment.get_status_display().lower()}
    elif Match.objects.filter(enrolment=enrolment, status__in=sorted(LIVE_MATCH_STATUSES)).exists():
        errors["enrolment"] = _("This participant already has a match under way.")
    if profile.programme_id != enrolment.programme_id:
        errors["peer"] = _("This peer supports people in another programme.")
    elif profile.person_id == enrolment.person_id:
        errors["peer"] = _("A person cannot be matched with themself.")
    elif profile.pk in excluded_profiles(enrolment):
        if not allow_excluded:
            errors["peer"] = _(
                "This peer declined this participant before, or their match ended as not a "
                "fit or for safety. Choose another peer, or override with a note saying why."
            )
        elif not note:
            errors["note"] = _("Say why this peer is matched again despite the earlier outcome.")
    if batch is not None and batch.programme_id != enrolment.programme_id:
        errors["batch"] = _("This batch run belongs to another programme.")
    return errors


@transaction.atomic
def match_create(
    *,
    enrolment: Enrolment,
    profile: PeerProfile,
    source: str,
    actor: User | None,
    score: float | None = None,
    reasons: Sequence[str] = (),
    batch: BatchRun | None = None,
    offer: bool = True,
    allow_excluded: bool = False,
    note: str = "",
) -> Match:
    """Propose (and by default offer) a peer to a waiting participant, holding one unit
    of the peer's capacity in the same transaction. Refused when the participant is not
    waiting or already has a live match, the peer is of another programme or was
    excluded for this participant (unless `allow_excluded` with a note), or the peer may
    not take a match now (CapacityRefused, a ValidationError on "peer")."""
    note = _clean_note(note)
    cleaned_reasons = _clean_reasons(reasons)
    cleaned_score = _clean_score(score)
    # The enrolment's row lock serialises two coordinators matching the same person.
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    errors = _creation_errors(
        enrolment=enrolment,
        profile=profile,
        source=source,
        batch=batch,
        allow_excluded=allow_excluded,
        note=note,
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    match = Match(
        programme_id=enrolment.programme_id,
        enrolment=enrolment,
        profile=profile,
        status=M.PROPOSED,
        status_changed_at=now,
        source=source,
        batch=batch,
        score=cleaned_score,
        reasons=cleaned_reasons,
        previous=last_ended_match(enrolment),
        note=note,
        created_by=actor,
        created_at=now,
    )
    try:
        with transaction.atomic():
            match.save()
    except IntegrityError:
        raise ValidationError(
            {"enrolment": _("This participant already has a match under way.")}
        ) from None
    MatchStatusChange.objects.create(
        match=match,
        from_status="",
        to_status=M.PROPOSED,
        reason=source,
        note=note,
        changed_at=now,
        changed_by=actor,
    )
    capacity_reserve(
        profile=profile, kind=CapacityReservation.Kind.MATCH, reference=match.reference, actor=actor
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=match)
    if offer:
        match = _change(match, M.OFFERED, actor=actor)
    return match


# ---------------------------------------------------------------------------------------
# Moving a match along


@transaction.atomic
def match_offer(match: Match, *, actor: User | None) -> Match:
    """Send a proposed match to the peer, who has the programme's days to answer."""
    match = _locked(match)
    _refuse_transition(match, M.OFFERED)
    return _change(match, M.OFFERED, actor=actor)


@transaction.atomic
def match_accept(match: Match, *, actor: User | None) -> Match:
    """The peer (or a coordinator for them) accepts: the participant is matched."""
    match = _locked(match)
    _refuse_transition(match, M.ACCEPTED)
    enrolment = Enrolment.objects.select_for_update().get(pk=match.enrolment_id)
    if enrolment.status != E.WAITING:
        raise ValidationError(
            {
                "status": _(
                    "The participant is no longer waiting (now %(status)s): cancel this offer."
                )
                % {"status": enrolment.get_status_display().lower()}
            }
        )
    match = _change(match, M.ACCEPTED, actor=actor)
    _enrolment_to(match, E.MATCHED, actor=actor)
    return match


@transaction.atomic
def match_decline(match: Match, *, reason: str, note: str, actor: User | None) -> Match:
    """The peer declines, with a reason; their capacity is given back and they are not
    suggested to this participant again."""
    note = _clean_note(note)
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose why the offer is declined.")})
    match = _locked(match)
    _refuse_transition(match, M.DECLINED)
    match = _change(match, M.DECLINED, actor=actor, reason=reason, note=note)
    _release(match, actor=actor)
    return match


@transaction.atomic
def match_introduce(match: Match, *, actor: User | None) -> Match:
    """The coordinator has introduced the two."""
    match = _locked(match)
    _refuse_transition(match, M.INTRODUCED)
    return _change(match, M.INTRODUCED, actor=actor)


@transaction.atomic
def match_confirm_first_contact(
    match: Match, *, actor: User | None, on: datetime | None = None
) -> Match:
    """The first call or meeting happened (`on`, default now)."""
    match = _locked(match)
    _refuse_transition(match, M.FIRST_CONTACT)
    if on is not None:
        if timezone.is_naive(on):
            on = timezone.make_aware(on)
        if on > timezone.now() + timedelta(minutes=5):
            raise ValidationError({"on": _("First contact cannot be in the future.")})
        since = match.introduced_at or match.accepted_at
        if since is not None and on < since - timedelta(days=1):
            raise ValidationError(
                {"on": _("First contact cannot be before the peer accepted the match.")}
            )
    return _change(match, M.FIRST_CONTACT, actor=actor, at=on)


@transaction.atomic
def match_activate(match: Match, *, actor: User | None) -> Match:
    """Support is under way: the participant's enrolment becomes active."""
    match = _locked(match)
    _refuse_transition(match, M.ACTIVE)
    match = _change(match, M.ACTIVE, actor=actor)
    _enrolment_to(match, E.ACTIVE, actor=actor)
    return match


@transaction.atomic
def match_complete(match: Match, *, actor: User | None, note: str = "") -> Match:
    """The match ran its course: capacity given back, and the participant's enrolment
    completed when its path allows."""
    note = _clean_note(note)
    match = _locked(match)
    _refuse_transition(match, M.COMPLETED)
    match = _change(match, M.COMPLETED, actor=actor, note=note)
    _release(match, actor=actor)
    _enrolment_to(match, E.COMPLETED, actor=actor)
    return match


@transaction.atomic
def match_end(
    match: Match, *, reason: str, note: str, actor: User | None, rematch: bool = True
) -> Match:
    """End a match early, with a reason. Capacity is given back. A participant who
    withdrew leaves the programme; otherwise `rematch` puts them back on the waiting
    list, where not a fit and safety keep this peer from being suggested again."""
    note = _clean_note(note)
    if reason not in EndReason.values:
        raise ValidationError({"reason": _("Choose why the match ended.")})
    if reason == EndReason.OTHER and not note:
        raise ValidationError({"note": _("Say in a few words why the match ended.")})
    match = _locked(match)
    _refuse_transition(match, M.ENDED)
    match = _change(match, M.ENDED, actor=actor, reason=reason, note=note)
    _release(match, actor=actor)
    if reason == EndReason.PARTICIPANT_WITHDREW:
        _enrolment_to(match, E.WITHDRAWN, actor=actor, reason=note or str(EndReason(reason).label))
    elif rematch:
        _enrolment_to(match, E.WAITING, actor=actor, reason=str(EndReason(reason).label))
    return match


@transaction.atomic
def match_cancel(match: Match, *, actor: User | None, note: str = "") -> Match:
    """Withdraw a proposal or an offer before the peer accepts; capacity given back."""
    note = _clean_note(note)
    match = _locked(match)
    _refuse_transition(match, M.CANCELLED)
    match = _change(match, M.CANCELLED, actor=actor, note=note)
    _release(match, actor=actor)
    return match
