"""Writes about training: a programme's curriculum (modules in order), sessions spread
over weeks, who attended, and competency checks with evidence. Staff who are not peers
attend the programme's staff modules; their attendance is recorded the same way.

Reads live in `workforce.training_selectors`; whether a peer's training is complete is
answered by `workforce.eligibility`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.workforce.models import (
    Competency,
    CompetencyCheck,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.training_selectors import PEERS, competencies_of, expected_people

MODULE_EDITABLE = frozenset(
    {"title", "objectives", "hours", "required", "order", "audience", "is_active"}
)
# How far from today a session may be scheduled or recorded, either way.
SESSION_REACH = timedelta(days=5 * 365)


def _one_line(value: str) -> str:
    return " ".join(value.split())


# ---------------------------------------------------------------------------------------
# Writes: modules, sessions, competencies


def _check_title_free(programme: Programme, title: str, *, module_id: int | None = None) -> None:
    taken = TrainingModule.objects.filter(programme=programme, title__iexact=title)
    if module_id is not None:
        taken = taken.exclude(pk=module_id)
    if taken.exists():
        raise ValidationError({"title": _("The programme already has a module with this title.")})


@transaction.atomic
def module_create(
    *,
    programme: Programme,
    actor: User | None,
    title: str,
    objectives: str = "",
    hours: Decimal = Decimal("2"),
    required: bool = True,
    audience: str = PEERS,
    order: int | None = None,
) -> TrainingModule:
    """Add a module to the programme's curriculum (last in its audience's order unless
    an order is given)."""
    title = _one_line(title)
    _check_title_free(programme, title)
    if order is None:
        highest = TrainingModule.objects.filter(programme=programme, audience=audience).aggregate(
            n=Max("order")
        )["n"]
        order = (highest or 0) + 1
    module = TrainingModule(
        programme=programme,
        title=title,
        objectives=objectives.strip(),
        hours=hours,
        required=required,
        audience=audience,
        order=order,
    )
    module.full_clean()
    module.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=module)
    return module


@transaction.atomic
def module_update(*, module: TrainingModule, actor: User | None, **changes: Any) -> TrainingModule:
    """Change a module; `is_active=False` retires it (kept for the records, no longer
    required or offered)."""
    unknown = set(changes) - MODULE_EDITABLE
    if unknown:
        raise ValueError(f"Not editable through module_update: {sorted(unknown)}")
    module = (
        TrainingModule.objects.select_for_update().select_related("programme").get(pk=module.pk)
    )
    if "title" in changes:
        changes["title"] = _one_line(changes["title"])
        _check_title_free(module.programme, changes["title"], module_id=module.pk)
    if "objectives" in changes:
        changes["objectives"] = changes["objectives"].strip()
    for name, value in changes.items():
        setattr(module, name, value)
    module.full_clean()
    module.save(update_fields=list(changes) or None)
    audit_instance(actor=actor, action=Action.UPDATE, instance=module)
    return module


def _session_start(starts_at: datetime) -> datetime:
    """The start as an aware time within five years of now, either way (a date far out
    is a typing slip, and one at the calendar's edge cannot be stored)."""
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    now = timezone.now()
    if not now - SESSION_REACH <= starts_at <= now + SESSION_REACH:
        raise ValidationError({"starts_at": _("Choose a start within five years of today.")})
    return starts_at


@transaction.atomic
def session_schedule(
    *,
    module: TrainingModule,
    actor: User | None,
    starts_at: datetime,
    trainer: str,
    modality: str,
    hours: Decimal | None = None,
    location: str = "",
) -> TrainingSession:
    """Put a session of the module in the calendar (or record one already held)."""
    if not module.is_active:
        raise ValidationError(
            {"module": _("This module is retired: bring it back into use to schedule it.")}
        )
    starts_at = _session_start(starts_at)
    session = TrainingSession(
        module=module,
        starts_at=starts_at,
        hours=hours,
        trainer=_one_line(trainer),
        modality=modality,
        location=location.strip(),
        created_by=actor,
    )
    session.full_clean()
    session.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=session)
    return session


@transaction.atomic
def competency_create(
    *,
    programme: Programme,
    actor: User | None,
    name: str,
    description: str = "",
    required: bool = True,
    order: int | None = None,
) -> Competency:
    name = _one_line(name)
    if Competency.objects.filter(programme=programme, name__iexact=name).exists():
        raise ValidationError({"name": _("The programme already has this competency.")})
    if order is None:
        order = (competencies_of(programme).aggregate(n=Max("order"))["n"] or 0) + 1
    competency = Competency(
        programme=programme,
        name=name,
        description=description.strip(),
        required=required,
        order=order,
    )
    competency.full_clean()
    competency.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=competency)
    return competency


@transaction.atomic
def competency_check_record(
    *,
    profile: PeerProfile,
    competency: Competency,
    actor: User,
    result: str,
    evidence: str,
) -> CompetencyCheck:
    """An assessor's check of one competency, with what they observed. The newest check
    of each competency is the one that counts."""
    if competency.programme_id != profile.programme_id:
        raise ValidationError({"competency": _("Choose a competency of this programme.")})
    if profile.status == PeerProfile.Status.LEFT:
        raise ValidationError({"competency": _("This peer has left the programme.")})
    if profile.person.user_id is not None and profile.person.user_id == actor.pk:
        raise ValidationError({"competency": _("Someone else assesses your competency.")})
    evidence = evidence.strip()
    if not evidence:
        raise ValidationError({"evidence": _("Say what you observed.")})
    check = CompetencyCheck(
        profile=profile,
        competency=competency,
        result=result,
        evidence=evidence,
        assessed_by=actor,
        assessed_at=timezone.now(),
    )
    check.full_clean()
    check.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=check)
    return check


# ---------------------------------------------------------------------------------------
# Writes: attendance


@transaction.atomic
def attendance_record(
    *,
    session: TrainingSession,
    actor: User | None,
    person_ids: Iterable[int],
    attended: bool = True,
    hours: Decimal | None = None,
) -> list[TrainingAttendance]:
    """Record that these people came (or did not) to the session. Hours default to
    the session's credit hours."""
    wanted = dict.fromkeys((int(pk) for pk in person_ids), attended)
    _lock_attendance(session)
    return _attendance_apply(session=session, actor=actor, wanted=wanted, hours=hours)


@transaction.atomic
def attendance_save_roster(
    *, session: TrainingSession, actor: User | None, present: Iterable[int]
) -> list[TrainingAttendance]:
    """The attendance screen: everyone ticked attended; anyone recorded before and no
    longer ticked did not."""
    present_ids = {int(pk) for pk in present}
    _lock_attendance(session)
    recorded = set(
        TrainingAttendance.objects.filter(session=session).values_list("person_id", flat=True)
    )
    wanted = dict.fromkeys(present_ids, True) | dict.fromkeys(recorded - present_ids, False)
    return _attendance_apply(session=session, actor=actor, wanted=wanted, hours=None)


def _lock_attendance(session: TrainingSession) -> None:
    """One attendance save per session at a time: a second save (another coordinator, a
    double submit) waits, then reads the rows the first added instead of adding them
    again."""
    TrainingSession.objects.select_for_update().filter(pk=session.pk).values_list(
        "pk", flat=True
    ).first()


def _attendance_hours(
    came: bool, row: TrainingAttendance | None, hours: Decimal | None, credit: Decimal
) -> Decimal:
    if not came:
        return Decimal("0")
    if hours is not None:
        return hours
    if row is not None and row.attended:
        return row.hours
    return credit


def _attendance_apply(
    *,
    session: TrainingSession,
    actor: User | None,
    wanted: dict[int, bool],
    hours: Decimal | None,
) -> list[TrainingAttendance]:
    """Create or change the attendance rows in a fixed number of queries."""
    if not wanted:
        return []
    existing = {
        row.person_id: row
        for row in TrainingAttendance.objects.filter(session=session, person_id__in=list(wanted))
    }
    unknown = set(wanted) - set(expected_people(session.module)) - set(existing)
    if unknown:
        raise ValidationError(
            {"person_ids": _("Not expected at this session: %s.") % ", ".join(map(str, unknown))}
        )
    if any(wanted.values()) and session.starts_at > timezone.now():
        raise ValidationError(
            {"session": _("This session has not started yet: record attendance after it.")}
        )
    now, created, changed = timezone.now(), [], []
    for person_id, came in sorted(wanted.items()):
        row = existing.get(person_id)
        value = _attendance_hours(came, row, hours, session.credit_hours)
        if row is not None and row.attended == came and row.hours == value:
            continue
        if row is None:
            row = TrainingAttendance(session=session, person_id=person_id)
            created.append(row)
        else:
            changed.append(row)
        row.attended, row.hours, row.recorded_by, row.recorded_at = came, value, actor, now
        # The session and people were checked above; skip a query per row for each.
        row.full_clean(exclude=["session", "person", "recorded_by"], validate_constraints=False)
    TrainingAttendance.objects.bulk_create(created)
    TrainingAttendance.objects.bulk_update(
        changed, ["attended", "hours", "recorded_by", "recorded_at"]
    )
    kind = TrainingAttendance._meta.label_lower
    audit_many(
        actor=actor, action=Action.CREATE, object_type=kind, object_ids=[r.pk for r in created]
    )
    audit_many(
        actor=actor, action=Action.UPDATE, object_type=kind, object_ids=[r.pk for r in changed]
    )
    return created + changed
