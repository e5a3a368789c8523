"""The incident log: boundary incidents, adverse events and incidents in online groups
(seed 003: unmoderated online groups harmed heavy users). Staff and peers log them;
supervisors and leaders close them with the outcome. A high-severity incident tells
the programme's leaders at once.

Staff over the programme see its log; whoever reported an incident sees their own
report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment
from peerbridge.safety import alerts, policies
from peerbridge.safety.configuration import programme_leaders
from peerbridge.safety.models import Incident, Severity
from peerbridge.safety.selectors import is_staff_over, peer_enrolment_ids, staff_programme_ids
from peerbridge.support.models import Facilitator, Group, GroupSession
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.selectors import as_pk

Kind = Incident.Kind
Category = Incident.Category
TEXT_MAX = 4000
# Incidents may be logged late, but not from the future (a little clock skew allowed).
EARLIEST = timedelta(days=5 * 366)
SKEW = timedelta(minutes=10)

CATEGORIES: dict[str, tuple[str, ...]] = {
    Kind.BOUNDARY: (
        Category.DUAL_RELATIONSHIP,
        Category.MONEY_OR_GIFTS,
        Category.OUT_OF_HOURS,
        Category.OVERSHARING,
        Category.CONFIDENTIALITY,
        Category.OTHER,
    ),
    Kind.ADVERSE_EVENT: (
        Category.HARM_TO_PARTICIPANT,
        Category.HARM_TO_PEER,
        Category.PEER_RELAPSE,
        Category.DEATH,
        Category.OTHER,
    ),
    Kind.ONLINE_GROUP: (
        Category.HARMFUL_CONTENT,
        Category.HARASSMENT,
        Category.HEAVY_USE,
        Category.CONFIDENTIALITY,
        Category.OTHER,
    ),
}
ONLINE = (Group.Modality.ONLINE, Group.Modality.HYBRID)
FIELDS = frozenset(
    {
        "kind",
        "category",
        "severity",
        "occurred_at",
        "profile",
        "enrolment",
        "group",
        "group_session",
        "description",
        "immediate_action",
    }
)
RELATED = (
    "programme",
    "profile__person",
    "enrolment__person",
    "group",
    "group_session",
    "reported_by__person",
    "closed_by__person",
)


# ---------------------------------------------------------------------------------------
# Reads


def incidents_in_scope(
    user: AnyUser, policy: Policy = policies.INCIDENT_VIEW
) -> QuerySet[Incident]:
    if not user.is_authenticated:
        return Incident.objects.none()
    scope = Q(reported_by_id=user.pk)
    programme_ids = staff_programme_ids(user, policy)
    if programme_ids:
        scope |= Q(programme_id__in=programme_ids)
    return Incident.objects.filter(scope).select_related(*RELATED)


def audit_incidents_read(user: AnyUser, incidents: list[Incident]) -> None:
    person_ids: set[int] = set()
    for incident in incidents:
        if incident.profile_id is not None and incident.profile is not None:
            person_ids.add(incident.profile.person_id)
        if incident.enrolment_id is not None and incident.enrolment is not None:
            person_ids.add(incident.enrolment.person_id)
    if person_ids:
        audit_many(
            actor=user,
            action=Action.READ,
            object_type="people.person",
            object_ids=sorted(person_ids),
        )


def access_incident(
    user: AnyUser, incident_id: Any, policy: Policy = policies.INCIDENT_VIEW
) -> Incident:
    """Fetch an incident: 404 outside reach; 403 to close it without the right."""
    pk = as_pk(incident_id)
    incident = incidents_in_scope(user).filter(pk=pk).first()
    if incident is None:
        raise Http404
    if policy is policies.INCIDENT_CLOSE and not is_staff_over(
        user, incident.programme_id, policies.INCIDENT_CLOSE
    ):
        raise PermissionDenied
    audit_incidents_read(user, [incident])
    audit_instance(actor=user, action=Action.READ, instance=incident)
    return incident


def programme_incidents(
    programme: Programme,
    *,
    group_id: int | None = None,
    kind: str = "",
    status: str = "",
) -> QuerySet[Incident]:
    """The programme's log, newest first, narrowed by group, kind and status."""
    rows = Incident.objects.filter(programme=programme).select_related(*RELATED)
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    if kind in Kind.values:
        rows = rows.filter(kind=kind)
    if status in Incident.Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("-occurred_at", "-pk")


@dataclass(frozen=True)
class IncidentChoices:
    """What a reporter may link an incident to."""

    profiles: QuerySet[PeerProfile]
    enrolments: QuerySet[Enrolment]
    groups: QuerySet[Group]
    sessions: QuerySet[GroupSession]


def incident_choices(user: AnyUser, programme: Programme) -> IncidentChoices:
    """Staff link any peer, participant, group or session of the programme; a peer
    links themself, their matched participants and the groups they facilitate."""
    profiles = PeerProfile.objects.filter(programme=programme).select_related("person")
    enrolments = Enrolment.objects.filter(programme=programme).select_related("person")
    groups = Group.objects.filter(programme=programme)
    if is_staff_over(user, programme.pk, policies.INCIDENT_LOG):
        profiles = profiles.exclude(status=PeerProfile.Status.LEFT)
        enrolments = enrolments.filter(status__in=OPEN_STATUSES)
    else:
        profiles = profiles.filter(person__user_id=user.pk or 0)
        enrolments = enrolments.filter(pk__in=peer_enrolment_ids(user))
        facilitated = Facilitator.objects.filter(removed_at__isnull=True).filter(
            Q(user_id=user.pk) | Q(profile__person__user_id=user.pk)
        )
        groups = groups.filter(Q(pk__in=facilitated.values("group_id")) | Q(moderator_id=user.pk))
    sessions = GroupSession.objects.filter(group__in=groups).select_related("group")
    return IncidentChoices(
        profiles=profiles.order_by("person__given_name", "pk"),
        enrolments=enrolments.order_by("person__given_name", "pk"),
        groups=groups.order_by("name", "pk"),
        sessions=sessions.order_by("group__name", "number", "pk"),
    )


# ---------------------------------------------------------------------------------------
# Writes


def _text_errors(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, required in (("description", True), ("immediate_action", False)):
        value = data.get(name, "")
        if not isinstance(value, str):
            errors[name] = _("Give this as text.")
        elif required and not value.strip():
            errors[name] = _("Say what happened.")
        elif len(value) > TEXT_MAX:
            errors[name] = _("Keep this under 4000 characters.")
    return errors


def _when_error(value: object) -> str:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        return _("Give the date and time it happened.")
    now = timezone.now()
    if value > now + SKEW:
        return _("This is in the future.")
    if value < now - EARLIEST:
        return _("Log incidents from the last five years.")
    return ""


def _link_errors(programme: Programme, data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    kind = data.get("kind")
    profile, enrolment = data.get("profile"), data.get("enrolment")
    group, session = data.get("group"), data.get("group_session")
    if profile is not None and profile.programme_id != programme.pk:
        errors["profile"] = _("Choose a peer supporter of this programme.")
    if enrolment is not None and enrolment.programme_id != programme.pk:
        errors["enrolment"] = _("Choose a participant of this programme.")
    if group is not None and group.programme_id != programme.pk:
        errors["group"] = _("Choose a group of this programme.")
    if kind == Kind.ONLINE_GROUP and group is None:
        errors["group"] = _("Name the online group it happened in.")
    elif kind == Kind.ONLINE_GROUP and getattr(group, "modality", "") not in ONLINE:
        errors["group"] = _("This group does not meet online.")
    if session is not None and (group is None or session.group_id != group.pk):
        errors["group_session"] = _("Choose a session of the group named above.")
    return errors


def _errors(programme: Programme, data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - FIELDS)
    for name in unknown:
        errors[name] = _("This cannot be given here.")
    kind, category = data.get("kind"), data.get("category")
    if kind not in Kind.values:
        errors["kind"] = _("Choose what kind of incident it was.")
    elif category not in CATEGORIES[str(kind)]:
        errors["category"] = _("Choose what happened from the list for this kind.")
    if data.get("severity") not in Severity.values:
        errors["severity"] = _("Choose how serious it is.")
    when = _when_error(data.get("occurred_at"))
    if when:
        errors["occurred_at"] = when
    errors.update(_text_errors(data))
    if "kind" not in errors:
        errors.update(_link_errors(programme, data))
    return errors


@transaction.atomic
def incident_log(
    *, programme: Programme, reported_by: User | None, data: Mapping[str, Any]
) -> Incident:
    """Log an incident; a high-severity one is sent to the programme's leaders."""
    errors = _errors(programme, data)
    if errors:
        raise ValidationError(errors)
    incident = Incident(
        programme=programme,
        kind=data["kind"],
        category=data["category"],
        severity=data["severity"],
        occurred_at=data["occurred_at"],
        profile=data.get("profile"),
        enrolment=data.get("enrolment"),
        group=data.get("group"),
        group_session=data.get("group_session"),
        description=data["description"].strip(),
        immediate_action=str(data.get("immediate_action", "")).strip(),
        reported_by=reported_by,
        reported_at=timezone.now(),
    )
    incident.full_clean()
    incident.save()
    audit_instance(actor=reported_by, action=Action.CREATE, instance=incident)
    if incident.severity == Severity.HIGH:
        alerts.send_incident_reported(incident, programme_leaders(programme))
    return incident


@transaction.atomic
def incident_close(*, incident: Incident, actor: User, outcome: object) -> Incident:
    """Close an incident with its outcome (supervisors and leaders; the caller checked)."""
    row = Incident.objects.select_for_update().get(pk=incident.pk)
    if row.status == Incident.Status.CLOSED:
        raise ValidationError(_("This incident is already closed."))
    if not isinstance(outcome, str) or not outcome.strip():
        raise ValidationError({"outcome": _("Say how it ended: what was decided and done.")})
    if len(outcome) > TEXT_MAX:
        raise ValidationError({"outcome": _("Keep this under 4000 characters.")})
    row.status = Incident.Status.CLOSED
    row.outcome = outcome.strip()
    row.closed_by = actor
    row.closed_at = timezone.now()
    row.save(update_fields=["status", "outcome", "closed_by", "closed_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return row
