"""A peer's wellbeing: burnout check-ins (the Copenhagen Burnout Inventory's work- and
client-related parts), the one-tap pulse, the hold a high score puts on new matches and
the supervisor's review that lifts it, alerts, and pausing (time off, with a return date).

A high check-in never changes `max_matches`: it sets `capacity_hold`, which the
eligibility service reads as "burnt out" (capacity for new matches zero) until a person
lifts it. Alerts hold ids only ("check-in 123"), never scores or what a peer wrote:
the scores reach the peer and those who supervise the programme, never coordinators.
Alerts are raised and resolved through `services.alert_raise` / `services.alert_resolve`
(one open alert of a kind per peer); burnout and struggling alerts are the supervisors'
to resolve, cover and matches-review alerts also the coordinators'.

A pause the programme imposed for review is ended or replaced by its staff only.

Services (writes, audited) come first, then selectors (reads that authorise as they
fetch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.instruments import Instrument, Item, Scale, get_instrument, score
from peerbridge.instruments.scoring import IncompleteAnswers
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce import policies, services
from peerbridge.workforce.models import (
    CapacityReservation,
    PeerProfile,
    WellbeingCheckIn,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import (
    access_profile,
    as_pk,
    own_profiles,
    profiles_in_scope,
    settings_for,
    workforce_settings,
)

INSTRUMENT = "cbi"
# The parts of the CBI a peer answers at a check-in: burnout from the peer work and from
# working with the people they support (the personal part is not asked).
CHECKIN_PARTS: tuple[str, ...] = ("work", "client")
NOTE_MAX = 500  # WorkforceAlert.resolution
# A pause's return date lies at most this far ahead (about two years).
RETURN_HORIZON = timedelta(days=731)
# Alerts only those who supervise the programme see the scores of and resolve.
SUPERVISOR_ALERTS = frozenset({WorkforceAlert.Kind.BURNOUT, WorkforceAlert.Kind.PULSE_LOW})
_CHECKIN_DETAIL = re.compile(r"^check-in (\d+)$")


def cbi() -> Instrument:
    return get_instrument(INSTRUMENT)


def checkin_parts() -> list[tuple[Scale, list[Item]]]:
    """Each part asked at a check-in, with its items, from the instrument definition."""
    instrument = cbi()
    return [(instrument.scale(code), instrument.items_of((code,))) for code in CHECKIN_PARTS]


# ---------------------------------------------------------------------------------------
# Services


def _lock(profile: PeerProfile) -> PeerProfile:
    locked = PeerProfile.objects.select_for_update().get(pk=profile.pk)
    if locked.status == PeerProfile.Status.LEFT:
        raise ValidationError(_("This peer has left the programme."))
    return locked


def _clean_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int]:
    """Answers as item id -> option value, only for the check-in's items; a skipped
    question is absent or None. Every problem is reported against its item."""
    asked = {item.id: item for item in instrument.items_of(CHECKIN_PARTS)}
    problems: dict[str, str] = {}
    clean: dict[str, int] = {}
    for key, value in answers.items():
        item = asked.get(key) if isinstance(key, str) else None
        if item is None:
            problems[str(key)[:40]] = _("This is not a question of the check-in.")
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int) or value not in item.values:
            problems[key] = _("Choose one of the answers.")
        else:
            clean[key] = value
    if problems:
        raise ValidationError(problems)
    return clean


def _too_few_message(scale: Scale) -> str:
    if scale.code == "work":
        return _("Answer at least %(n)s of the %(total)s questions about your peer work.") % {
            "n": scale.min_answered,
            "total": len(scale.items),
        }
    return _("Answer at least %(n)s of the %(total)s questions about the people you support.") % {
        "n": scale.min_answered,
        "total": len(scale.items),
    }


def checkin_detail(checkin: WellbeingCheckIn) -> str:
    """An alert's detail pointing at the check-in that raised it (an id, never scores)."""
    return f"check-in {checkin.pk}"


def checkin_id_of(alert: WorkforceAlert) -> int | None:
    found = _CHECKIN_DETAIL.match(alert.detail)
    return int(found.group(1)) if found else None


def _hold_new_matches(profile: PeerProfile, actor: User | None) -> None:
    if profile.capacity_hold:
        return
    profile.capacity_hold = True
    profile.capacity_hold_since = timezone.now()
    profile.save(update_fields=["capacity_hold", "capacity_hold_since"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=profile)


@transaction.atomic
def cbi_checkin_record(
    *, profile: PeerProfile, answers: Mapping[str, object], actor: User | None
) -> WellbeingCheckIn:
    """Record a burnout check-in: the raw answers, the instrument's version and the
    work- and client-related scores. A score at or above the programme's threshold holds
    new matches until the supervisor reviews, and alerts them."""
    instrument = cbi()
    given = _clean_answers(instrument, answers)
    try:
        result = score(instrument, given, scales=CHECKIN_PARTS)
    except IncompleteAnswers as refused:  # _clean_answers has already checked each one
        raise ValidationError(dict(refused.problems)) from refused
    too_few = {
        code: _too_few_message(instrument.scale(code))
        for code in CHECKIN_PARTS
        if result.value(code) is None
    }
    if too_few:
        raise ValidationError(too_few)
    locked = _lock(profile)
    threshold = workforce_settings(locked.programme).burnout_threshold
    work, client = result.value("work"), result.value("client")
    high = any(value is not None and value >= threshold for value in (work, client))
    checkin = WellbeingCheckIn(
        profile=locked,
        kind=WellbeingCheckIn.Kind.CBI,
        answers=given,
        instrument_version=result.version,
        work_score=work,
        client_score=client,
        high=high,
    )
    checkin.full_clean()
    checkin.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=checkin)
    if high:
        _hold_new_matches(locked, actor)
        services.alert_raise(
            profile=locked, kind=WorkforceAlert.Kind.BURNOUT, detail=checkin_detail(checkin)
        )
        profile.capacity_hold = True
        profile.capacity_hold_since = locked.capacity_hold_since
    return checkin


@transaction.atomic
def pulse_record(*, profile: PeerProfile, value: object, actor: User | None) -> WellbeingCheckIn:
    """A one-tap "how are you doing" (1 struggling to 5 great). Struggling alerts the
    supervisor; it does not hold new matches."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in range(1, 6):
        raise ValidationError({"value": _("Choose how you are doing, from 1 to 5.")})
    locked = _lock(profile)
    checkin = WellbeingCheckIn.objects.create(
        profile=locked, kind=WellbeingCheckIn.Kind.PULSE, pulse=value
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=checkin)
    if value == WellbeingCheckIn.Pulse.STRUGGLING:
        services.alert_raise(
            profile=locked, kind=WorkforceAlert.Kind.PULSE_LOW, detail=checkin_detail(checkin)
        )
    return checkin


def _note(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: _("Write a short note of what was agreed or done.")})
    if len(text) > NOTE_MAX:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": NOTE_MAX}})
    return text


def _resolve_open(profile: PeerProfile, kind: str, actor: User | None, resolution: str) -> None:
    for alert in profile.alerts.filter(kind=kind, resolved_at__isnull=True):
        services.alert_resolve(alert=alert, actor=actor, resolution=resolution)


@transaction.atomic
def hold_release(*, profile: PeerProfile, actor: User | None, note: str) -> PeerProfile:
    """The supervisor has reviewed a high check-in with the peer: new matches may come
    again. The note of what was agreed resolves the open burnout alerts."""
    text = _note(note, "note")
    locked = _lock(profile)
    if not locked.capacity_hold:
        raise ValidationError(_("New matches are not on hold for this peer."))
    locked.capacity_hold = False
    locked.capacity_hold_since = None
    locked.save(update_fields=["capacity_hold", "capacity_hold_since"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    _resolve_open(locked, WorkforceAlert.Kind.BURNOUT, actor, text)
    return locked


def alert_close(*, alert: WorkforceAlert, actor: User | None, resolution: str) -> WorkforceAlert:
    """Close an alert (fetched through `access_alert`) with a note of what was done,
    through `services.alert_resolve`. Resolving a burnout alert does not lift the hold
    on new matches: that is the supervisor's review (`hold_release`)."""
    text = _note(resolution, "resolution")
    if alert.resolved_at is not None:
        raise ValidationError(_("This alert is already resolved."))
    return services.alert_resolve(alert=alert, actor=actor, resolution=text)


def _live_load(profile: PeerProfile) -> dict[str, int]:
    return {
        row["kind"]: row["n"]
        for row in CapacityReservation.objects.filter(profile=profile, released_at__isnull=True)
        .values("kind")
        .annotate(n=Count("pk"))
    }


@transaction.atomic
def pause_start(
    *,
    profile: PeerProfile,
    actor: User | None,
    reason: str,
    paused_from: date | None = None,
    paused_until: date | None = None,
    by_staff: bool = False,
) -> PeerProfile:
    """Pause a peer from today (or a later day) until a return date (or until they
    resume). A peer pauses themself; only the programme pauses for review. People the
    peer supports surface for cover (an alert) while the pause lasts."""
    if reason not in PeerProfile.PauseReason.values:
        raise ValidationError({"reason": _("Choose a reason for the pause.")})
    if reason == PeerProfile.PauseReason.REVIEW and not by_staff:
        raise ValidationError({"reason": _("Only the programme pauses a peer for review.")})
    today = timezone.localdate()
    start = paused_from or today
    if start < today:
        raise ValidationError({"paused_from": _("A pause starts today or later.")})
    if start > today + timedelta(days=366):
        raise ValidationError({"paused_from": _("A pause starts within the next year.")})
    if paused_until is not None and paused_until <= start:
        raise ValidationError({"paused_until": _("The return date comes after the pause starts.")})
    if paused_until is not None and paused_until > today + RETURN_HORIZON:
        raise ValidationError({"paused_until": _("A return date lies within the next two years.")})
    locked = _lock(profile)
    if under_review(locked, today) and not by_staff:
        raise PermissionDenied  # only the programme changes a pause for review
    locked.paused_from, locked.paused_until, locked.pause_reason = start, paused_until, reason
    locked.full_clean()
    locked.save(update_fields=["paused_from", "paused_until", "pause_reason"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    load = _live_load(locked)
    if sum(load.values()):
        detail = (
            f"matches={load.get(CapacityReservation.Kind.MATCH, 0)} "
            f"groups={load.get(CapacityReservation.Kind.GROUP, 0)} from={start.isoformat()}"
        )
        if paused_until is not None:
            detail += f" until={paused_until.isoformat()}"
        services.alert_raise(profile=locked, kind=WorkforceAlert.Kind.COVER, detail=detail)
    return locked


@transaction.atomic
def pause_end(*, profile: PeerProfile, actor: User | None, by_staff: bool = False) -> PeerProfile:
    """Back now: a running pause ends today (its dates stay as a record); a planned one is
    called off. Open cover alerts are resolved. A pause for review is the programme's
    to end (`by_staff`)."""
    locked = _lock(profile)
    today = timezone.localdate()
    if locked.paused_from is None or (
        locked.paused_until is not None and locked.paused_until <= today
    ):
        raise ValidationError(_("This peer is not paused."))
    if under_review(locked, today) and not by_staff:
        raise PermissionDenied
    if locked.paused_from > today:
        locked.paused_from, locked.paused_until, locked.pause_reason = None, None, ""
    else:
        locked.paused_until = today
    locked.save(update_fields=["paused_from", "paused_until", "pause_reason"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=locked)
    _resolve_open(locked, WorkforceAlert.Kind.COVER, actor, _("Back from the pause."))
    return locked


def under_review(profile: PeerProfile, on: date | None = None) -> bool:
    """Whether the peer's running or planned pause is the programme's, for review."""
    day = on or timezone.localdate()
    return (
        profile.pause_reason == PeerProfile.PauseReason.REVIEW
        and profile.paused_from is not None
        and (profile.paused_until is None or profile.paused_until > day)
    )


# ---------------------------------------------------------------------------------------
# Selectors


def access_own_profile(*, user: AnyUser, profile_id: object) -> PeerProfile:
    """The peer's own profile, for what only they may do (check in, pulse). Staff who
    can see the profile get 403; anyone else 404."""
    pk = as_pk(profile_id)
    profile = own_profiles(user).filter(pk=pk).first()
    if profile is None:
        if profiles_in_scope(user=user, policy=policies.WORKFORCE_VIEW).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=profile.person)
    return profile


def access_self_or_managed(*, user: AnyUser, profile_id: object) -> PeerProfile:
    """The profile for pausing and capacity: the peer themself or its programme's
    coordinators, leaders and admins."""
    return access_profile(
        user=user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE, allow_self=True
    )


def _in_scope(user: AnyUser, profile: PeerProfile, policy: Policy) -> bool:
    return programmes_in_scope(user=user, policy=policy).filter(pk=profile.programme_id).exists()


def manages(user: AnyUser, profile: PeerProfile) -> bool:
    return _in_scope(user, profile, policies.WORKFORCE_MANAGE)


def supervises(user: AnyUser, profile: PeerProfile) -> bool:
    return _in_scope(user, profile, policies.SUPERVISE)


def is_self(user: AnyUser, profile: PeerProfile) -> bool:
    return user.is_authenticated and profile.person.user_id == user.pk


def sees_answers(user: AnyUser, profile: PeerProfile) -> bool:
    """Raw check-in answers: the peer and their own supervisor only."""
    return user.is_authenticated and user.pk in (profile.person.user_id, profile.supervisor_id)


def alerts_in_scope(*, user: AnyUser) -> QuerySet[WorkforceAlert]:
    programmes = programmes_in_scope(user=user, policy=policies.ALERT_RESOLVE)
    return WorkforceAlert.objects.filter(profile__programme__in=programmes).select_related(
        "profile", "profile__person", "profile__programme"
    )


def _supervised(user: AnyUser, programme_ids: set[int]) -> set[int]:
    if not programme_ids:
        return set()
    return set(
        programmes_in_scope(user=user, policy=policies.SUPERVISE)
        .filter(pk__in=programme_ids)
        .values_list("pk", flat=True)
    )


def access_alert(*, user: AnyUser, alert_id: object) -> WorkforceAlert:
    """An alert to resolve: 404 outside the user's programmes; 403 for a burnout or
    struggling alert to someone who does not supervise the programme."""
    pk = as_pk(alert_id)
    alert = alerts_in_scope(user=user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    if alert.kind in SUPERVISOR_ALERTS and not supervises(user, alert.profile):
        raise PermissionDenied
    audit_instance(actor=user, action=Action.READ, instance=alert.profile.person)
    return alert


@dataclass(frozen=True)
class AlertView:
    """An alert as one user sees it: whether they may resolve it, and (for those who
    supervise the programme only) the check-in behind a burnout or struggling alert."""

    alert: WorkforceAlert
    may_resolve: bool
    checkin: WellbeingCheckIn | None


def alert_views(*, user: AnyUser, alerts: list[WorkforceAlert]) -> list[AlertView]:
    """Alerts (already fetched in the user's ALERT_RESOLVE scope, with their profiles)
    as the user may see them, in at most two queries."""
    supervised = _supervised(user, {a.profile.programme_id for a in alerts})
    wanted = {
        a.pk: checkin_id_of(a)
        for a in alerts
        if a.kind in SUPERVISOR_ALERTS and a.profile.programme_id in supervised
    }
    ids = {pk for pk in wanted.values() if pk is not None}
    found = {row.pk: row for row in WellbeingCheckIn.objects.filter(pk__in=ids)} if ids else {}
    views = []
    for alert in alerts:
        checkin = found.get(wanted.get(alert.pk) or 0)
        if checkin is not None and checkin.profile_id != alert.profile_id:
            checkin = None
        may_resolve = (
            alert.kind not in SUPERVISOR_ALERTS or alert.profile.programme_id in supervised
        )
        views.append(AlertView(alert, may_resolve, checkin))
    return views


def checkins_of(profile: PeerProfile, *, limit: int | None = None) -> list[WellbeingCheckIn]:
    rows = profile.checkins.order_by("-completed_at", "-id")
    return list(rows[:limit] if limit else rows)


def latest_cbi(profiles: list[PeerProfile]) -> dict[int, WellbeingCheckIn]:
    """Each profile's newest burnout check-in, in one query."""
    found: dict[int, WellbeingCheckIn] = {}
    for row in WellbeingCheckIn.objects.filter(
        profile__in=profiles, kind=WellbeingCheckIn.Kind.CBI
    ).order_by("profile_id", "-completed_at", "-id"):
        found.setdefault(row.profile_id, row)
    return found


def checkin_due_on(
    profile: PeerProfile, last: WellbeingCheckIn | None, *, cadence_days: int
) -> date | None:
    """When the next burnout check-in is due: the last one plus the programme's cadence;
    at once for an available peer who never checked in. None while not supporting
    people."""
    if profile.status != PeerProfile.Status.ACTIVE:
        return None
    if last is None:
        return profile.activated_on or timezone.localdate()
    return timezone.localdate(last.completed_at) + timedelta(days=cadence_days)


@dataclass(frozen=True)
class CheckInDue:
    due_on: date | None
    last: WellbeingCheckIn | None

    @property
    def is_due(self) -> bool:
        return self.due_on is not None and self.due_on <= timezone.localdate()


def checkins_due(profiles: list[PeerProfile]) -> dict[int, CheckInDue]:
    last = latest_cbi(profiles)
    rules = settings_for({p.programme_id for p in profiles})
    result = {}
    for profile in profiles:
        cadence = rules[profile.programme_id].checkin_cadence_days
        result[profile.pk] = CheckInDue(
            checkin_due_on(profile, last.get(profile.pk), cadence_days=cadence),
            last.get(profile.pk),
        )
    return result


@dataclass(frozen=True)
class WellbeingPanel:
    """What staff see of a peer's wellbeing on the profile page."""

    profile: PeerProfile
    may_review: bool
    may_resolve: bool
    alerts: list[AlertView]
    checkins: list[WellbeingCheckIn]


def wellbeing_panel(*, user: AnyUser, profile: PeerProfile) -> WellbeingPanel:
    """For the lead's profile page: the hold, open alerts and recent scores (the caller
    has already fetched the profile through `access_profile`). Scores reach only the
    peer and those who supervise the programme; coordinators see that an alert is open
    and resolve the cover and matches-review ones."""
    may_review = supervises(user, profile)
    may_resolve = may_review or manages(user, profile)
    alerts = []
    if may_resolve:
        open_alerts = list(profile.alerts.filter(resolved_at__isnull=True))
        for alert in open_alerts:
            alert.profile = profile
        alerts = alert_views(user=user, alerts=open_alerts)
    checkins = checkins_of(profile, limit=6) if may_review or is_self(user, profile) else []
    return WellbeingPanel(profile, may_review, may_resolve, alerts, checkins)
