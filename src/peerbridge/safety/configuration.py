"""A programme's safety settings (acknowledgement deadlines, working hours and days, the
default on-call person, crisis resources) and its on-call rota.

The settings row is created with its defaults the first time it is read: the deadline
of every flag is computed from it, so a programme always has one. The rota holds
shifts that never overlap within a programme, so "who is on call now" has one answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.safety.deadlines import ISO_WEEKDAYS, DeadlineRules
from peerbridge.safety.models import OnCallShift, SafetySettings

DEFAULT_WEEKDAYS = [1, 2, 3, 4, 5]
CRISIS_MAX = 4000
SHIFT_MAX = timedelta(days=31)
SHIFT_HORIZON = timedelta(days=2 * 366)
# Who may be on call and handle flags: supervisors (clinical or peer), leaders, admins.
HANDLER_ROLES = frozenset({Role.SUPERVISOR, Role.PROGRAMME_LEADER, Role.ORG_ADMIN})
# The settings a leader changes, in the order the settings form shows them.
SETTINGS_FIELDS = (
    "high_within_minutes",
    "medium_within_working_days",
    "low_within_working_days",
    "working_day_starts",
    "working_day_ends",
    "working_weekdays",
    "on_call",
    "crisis_resources",
)
SETTINGS_EDITABLE = frozenset(SETTINGS_FIELDS)


# ---------------------------------------------------------------------------------------
# Who holds a role over a programme


def _active_roles(roles: set[str] | frozenset[str]) -> QuerySet[RoleAssignment]:
    now = timezone.now()
    return RoleAssignment.objects.filter(role__in=roles, started_at__lte=now).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now)
    )


def holders(programme: Programme, roles: set[str] | frozenset[str]) -> QuerySet[User]:
    """Active logins holding one of `roles` over the programme now: in the programme
    itself, or in a site whose subtree holds it."""
    scope = Q(programme_id=programme.pk) | Q(site_id__in=programme.site.ancestor_ids())
    held = _active_roles(roles).filter(scope).values("user_id")
    return User.objects.filter(pk__in=held, is_active=True).order_by("pk")


def programme_leaders(programme: Programme) -> list[User]:
    """The leaders to escalate to: programme leaders, else organisation admins."""
    leaders = list(holders(programme, {Role.PROGRAMME_LEADER}).select_related("person"))
    if leaders:
        return leaders
    return list(holders(programme, {Role.ORG_ADMIN}).select_related("person"))


def on_call_choices(programme: Programme) -> QuerySet[User]:
    """Who may be on call for the programme (and be handed a flag)."""
    return holders(programme, HANDLER_ROLES).select_related("person")


def is_handler(user: User, programme: Programme) -> bool:
    return on_call_choices(programme).filter(pk=user.pk).exists()


# ---------------------------------------------------------------------------------------
# Settings


def safety_settings(programme: Programme) -> SafetySettings:
    """The programme's safety settings, created with the defaults on first read."""
    found = SafetySettings.objects.filter(programme_id=programme.pk).first()
    if found is not None:
        return found
    with transaction.atomic():
        found, created = SafetySettings.objects.get_or_create(
            programme=programme, defaults={"working_weekdays": list(DEFAULT_WEEKDAYS)}
        )
    if created:
        audit_instance(actor=None, action=Action.CREATE, instance=found)
    return found


def rules_for(row: SafetySettings) -> DeadlineRules:
    """The settings as the deadline calculator's plain values, in the programme's
    local time zone (the deployment's TIME_ZONE)."""
    weekdays = row.working_weekdays or DEFAULT_WEEKDAYS
    return DeadlineRules(
        high_within_minutes=row.high_within_minutes,
        medium_within_working_days=row.medium_within_working_days,
        low_within_working_days=row.low_within_working_days,
        working_day_starts=_as_time(row.working_day_starts),
        working_day_ends=_as_time(row.working_day_ends),
        working_weekdays=frozenset(int(day) for day in weekdays),
        zone=timezone.get_default_timezone(),
    )


def _as_time(value: object) -> time:
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def _weekdays_error(value: object) -> str:
    if not isinstance(value, list) or not value:
        return _("Choose at least one working day.")
    if not all(isinstance(day, int) and not isinstance(day, bool) for day in value):
        return _("Give working days as ISO weekday numbers, 1 = Monday to 7 = Sunday.")
    if not set(value) <= ISO_WEEKDAYS:
        return _("Give working days as ISO weekday numbers, 1 = Monday to 7 = Sunday.")
    if len(set(value)) != len(value):
        return _("Give each working day once.")
    return ""


def _settings_errors(row: SafetySettings, data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "working_weekdays" in data:
        found = _weekdays_error(row.working_weekdays)
        if found:
            errors["working_weekdays"] = found
    starts, ends = row.working_day_starts, row.working_day_ends
    if not isinstance(starts, time):
        errors["working_day_starts"] = _("Give a time of day, for example 09:00.")
    if not isinstance(ends, time):
        errors["working_day_ends"] = _("Give a time of day, for example 17:00.")
    elif isinstance(starts, time) and ends <= starts:
        errors["working_day_ends"] = _("The working day must end after it starts.")
    on_call = row.on_call
    if on_call is not None and not is_handler(on_call, row.programme):
        errors["on_call"] = _("Choose a supervisor or leader of this programme.")
    crisis = row.crisis_resources
    if not isinstance(crisis, str):
        errors["crisis_resources"] = _("Give the crisis resources as text.")
    elif len(crisis) > CRISIS_MAX:
        errors["crisis_resources"] = _("Keep the crisis resources under 4000 characters.")
    return errors


@transaction.atomic
def settings_update(
    *, programme: Programme, data: Mapping[str, Any], actor: User | None
) -> SafetySettings:
    """Change the programme's deadlines, working hours and days, default on-call person
    or crisis resources (leaders). Deadlines of flags already raised stay as they were."""
    unknown = sorted(set(data) - SETTINGS_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This cannot be changed here.")] for name in unknown})
    safety_settings(programme)
    row = SafetySettings.objects.select_for_update().get(programme=programme)
    for name, value in data.items():
        setattr(row, name, value)
    if isinstance(row.crisis_resources, str):
        lines = [line.strip() for line in row.crisis_resources.splitlines()]
        row.crisis_resources = "\n".join(line for line in lines if line)
    errors = _settings_errors(row, data)
    if errors:
        raise ValidationError(errors)
    row.updated_at = timezone.now()
    row.full_clean()
    row.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return row


# ---------------------------------------------------------------------------------------
# The on-call rota


def shift_now(programme: Programme, now: datetime | None = None) -> OnCallShift | None:
    """The rota shift covering `now` whose person can still sign in."""
    moment = now or timezone.now()
    return (
        OnCallShift.objects.filter(
            programme=programme, starts_at__lte=moment, ends_at__gt=moment, user__is_active=True
        )
        .select_related("user__person")
        .order_by("starts_at", "pk")
        .first()
    )


def on_call_now(programme: Programme, now: datetime | None = None) -> User | None:
    """Who is on call: the rota's shift covering now, else the settings' default."""
    shift = shift_now(programme, now)
    if shift is not None:
        return shift.user
    default = safety_settings(programme).on_call
    if default is not None and default.is_active:
        return default
    return None


def rota(programme: Programme, *, now: datetime | None = None) -> list[OnCallShift]:
    """Shifts that have not ended yet, soonest first."""
    moment = now or timezone.now()
    return list(
        OnCallShift.objects.filter(programme=programme, ends_at__gt=moment)
        .select_related("user__person")
        .order_by("starts_at", "pk")
    )


def _shift_errors(
    programme: Programme, user: User | None, starts_at: Any, ends_at: Any
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if user is None or not is_handler(user, programme):
        errors["user"] = _("Choose a supervisor or leader of this programme.")
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        errors["starts_at"] = _("Give the start as a date and time.")
    if not isinstance(ends_at, datetime) or timezone.is_naive(ends_at):
        errors["ends_at"] = _("Give the end as a date and time.")
    if errors.keys() & {"starts_at", "ends_at"}:
        return errors
    now = timezone.now()
    if ends_at <= starts_at:
        errors["ends_at"] = _("The shift must end after it starts.")
    elif ends_at - starts_at > SHIFT_MAX:
        errors["ends_at"] = _("A shift lasts at most 31 days.")
    elif ends_at <= now:
        errors["ends_at"] = _("This shift is already over.")
    elif starts_at > now + SHIFT_HORIZON:
        errors["starts_at"] = _("Plan shifts at most two years ahead.")
    return errors


@transaction.atomic
def shift_add(
    *,
    programme: Programme,
    user: User | None,
    starts_at: datetime,
    ends_at: datetime,
    actor: User | None,
) -> OnCallShift:
    """Put someone on call from `starts_at` until `ends_at`; shifts of one programme
    never overlap (checked under a lock on the programme's settings row)."""
    errors = _shift_errors(programme, user, starts_at, ends_at)
    if errors:
        raise ValidationError(errors)
    safety_settings(programme)
    SafetySettings.objects.select_for_update().get(programme=programme)
    clash = OnCallShift.objects.filter(
        programme=programme, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists()
    if clash:
        raise ValidationError(
            {"starts_at": _("Another shift covers part of this time: change or remove it first.")}
        )
    shift = OnCallShift(programme=programme, user=user, starts_at=starts_at, ends_at=ends_at)
    shift.full_clean()
    shift.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=shift)
    return shift


@transaction.atomic
def shift_remove(*, shift: OnCallShift, actor: User | None) -> OnCallShift | None:
    """Take a shift off the rota: a future shift is removed, a shift under way ends now;
    a past shift stays (it records who was on call)."""
    now = timezone.now()
    row = OnCallShift.objects.select_for_update().filter(pk=shift.pk).first()
    if row is None:
        return None
    if row.ends_at <= now:
        raise ValidationError(_("This shift is over: it stays on the record."))
    if row.starts_at > now:
        audit_instance(actor=actor, action=Action.DELETE, instance=row)
        row.delete()
        return None
    row.ends_at = now
    row.save(update_fields=["ends_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return row
