"""Writes on risk flags: raising one (from a contact, a group session, a questionnaire
answer or by staff), acknowledging, adding a note, reassigning and resolving it.

Every step is a FlagEvent in the flag's trail and an audit row. A resolved flag is
closed for good: nothing about it changes after that."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.matching.models import WORKING_STATUSES, Match
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment
from peerbridge.safety import alerts
from peerbridge.safety.configuration import (
    is_handler,
    on_call_now,
    programme_leaders,
    rules_for,
    safety_settings,
)
from peerbridge.safety.deadlines import acknowledge_by
from peerbridge.safety.models import FlagEvent, RiskFlag, Severity
from peerbridge.support.models import Contact, GroupSession
from peerbridge.workforce.models import PeerProfile

SUMMARY_MAX = 4000
NOTE_MAX = 4000
Source = RiskFlag.Source
Status = RiskFlag.Status

# What was done about a flag, recorded when it is resolved.
ACTIONS: dict[str, object] = {
    "called_participant": gettext_lazy("Called the participant"),
    "safety_plan_reviewed": gettext_lazy("Safety plan reviewed"),
    "crisis_team_contacted": gettext_lazy("Crisis team contacted"),
    "emergency_services_called": gettext_lazy("Emergency services called"),
    "clinician_informed": gettext_lazy("GP or clinician informed"),
    "referred_on": gettext_lazy("Referred on to another service"),
    "supported_peer": gettext_lazy("Debriefed and supported the peer supporter"),
    "no_further_action": gettext_lazy("No further action needed"),
}
ACTION_CHOICES = [(code, label) for code, label in ACTIONS.items()]


# ---------------------------------------------------------------------------------------
# Raising


def _text(value: object, *, field: str, limit: int, required: bool, missing: str = "") -> str:
    if not isinstance(value, str):
        raise ValidationError({field: _("Give this as text.")})
    text = value.strip()
    if required and not text:
        raise ValidationError({field: missing or _("This is required.")})
    if len(text) > limit:
        raise ValidationError({field: _("Keep this under %(n)s characters.") % {"n": limit}})
    return text


def _required_text(
    errors: dict[str, str], value: object, *, field: str, limit: int, missing: str
) -> str:
    """Required text; when it is not fit, "" and the reason added to `errors`, so it is
    reported with the form's other errors."""
    try:
        return _text(value, field=field, limit=limit, required=True, missing=missing)
    except ValidationError as error:
        errors.update({k: str(v[0]) for k, v in error.message_dict.items()})
        return ""


def _enrolment_for(person: Person, programme: Programme) -> Enrolment | None:
    """The person's enrolment in the programme: the open one, else the newest."""
    enrolments = Enrolment.objects.filter(person=person, programme=programme)
    return (
        enrolments.filter(status__in=OPEN_STATUSES).order_by("-received_at", "-pk").first()
        or enrolments.order_by("-received_at", "-pk").first()
    )


def _check_links(
    *,
    programme: Programme,
    person: Person,
    source: str,
    enrolment: Enrolment | None,
    contact: Contact | None,
    group_session: GroupSession | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if source not in Source.values:
        errors["source"] = _("Choose where the flag comes from.")
    if source == Source.CONTACT and contact is None:
        errors["contact"] = _("A flag from a contact names the contact.")
    if source == Source.GROUP_SESSION and group_session is None:
        errors["group_session"] = _("A flag from a group session names the session.")
    if contact is not None and (
        source != Source.CONTACT
        or contact.programme_id != programme.pk
        or contact.enrolment.person_id != person.pk
    ):
        errors["contact"] = _("This contact is not with this person in this programme.")
    if group_session is not None and (
        source != Source.GROUP_SESSION or group_session.group.programme_id != programme.pk
    ):
        errors["group_session"] = _("This session is not in this programme.")
    if enrolment is not None and (
        enrolment.programme_id != programme.pk or enrolment.person_id != person.pk
    ):
        errors["enrolment"] = _("This enrolment is not this person's in this programme.")
    in_programme = (
        Enrolment.objects.filter(person=person, programme=programme).exists()
        or PeerProfile.objects.filter(person=person, programme=programme).exists()
    )
    if not in_programme:
        errors["person"] = _("Choose a participant or peer supporter of this programme.")
    return errors


def _supervisor_of(profile: PeerProfile | None, programme: Programme) -> User | None:
    supervisor = profile.supervisor if profile is not None else None
    if supervisor is None or not supervisor.is_active or not is_handler(supervisor, programme):
        return None
    return supervisor


def _peer_profiles(
    *,
    programme: Programme,
    person: Person,
    enrolment: Enrolment | None,
    contact: Contact | None,
    raised_by: User | None,
) -> list[PeerProfile]:
    """The peers whose supervisor should hear first, nearest first: the peer of the
    contact, the peer raising it, the participant's current peer, the flagged peer."""
    profiles: list[PeerProfile] = []
    if contact is not None:
        profiles.append(contact.profile)
    in_programme = PeerProfile.objects.filter(programme=programme).select_related("supervisor")
    if raised_by is not None:
        profiles += list(in_programme.filter(person__user_id=raised_by.pk))
    if enrolment is not None:
        peers = Match.objects.filter(enrolment=enrolment, status__in=WORKING_STATUSES).values(
            "profile_id"
        )
        profiles += list(in_programme.filter(pk__in=peers))
    profiles += list(in_programme.filter(person=person))
    return profiles


def choose_assignees(
    *,
    programme: Programme,
    person: Person,
    enrolment: Enrolment | None = None,
    contact: Contact | None = None,
    raised_by: User | None = None,
) -> list[User]:
    """Who acknowledges a new flag: the on-call shift covering now, else the default
    on-call person, else the peer's supervisor, else the programme's leaders (else the
    organisation's admins). The first is the assignee; several means all are asked."""
    on_call = on_call_now(programme)
    if on_call is not None:
        return [on_call]
    for profile in _peer_profiles(
        programme=programme,
        person=person,
        enrolment=enrolment,
        contact=contact,
        raised_by=raised_by,
    ):
        supervisor = _supervisor_of(profile, programme)
        if supervisor is not None:
            return [supervisor]
    return programme_leaders(programme)


def _event(
    flag: RiskFlag, kind: str, *, by: User | None, to: User | None = None, note: str = ""
) -> FlagEvent:
    return FlagEvent.objects.create(flag=flag, kind=kind, by=by, to=to, note=note)


@transaction.atomic
def flag_raise(
    *,
    programme: Programme,
    person: Person,
    severity: str,
    summary: str,
    source: str,
    raised_by: User | None,
    enrolment: Enrolment | None = None,
    contact: Contact | None = None,
    group_session: GroupSession | None = None,
    source_reference: str = "",
) -> RiskFlag:
    """Raise a risk flag about `person`, due for acknowledgement by the programme's
    deadline for `severity`, assigned and notified at once (urgently when high)."""
    errors: dict[str, str] = {}
    if severity not in Severity.values:
        errors["severity"] = _("Choose how serious it is.")
    text = _required_text(
        errors, summary, field="summary", limit=SUMMARY_MAX, missing=_("Say briefly what happened.")
    )
    if not isinstance(source_reference, str) or len(source_reference) > 80:
        errors["source_reference"] = _("Keep the reference under 80 characters.")
    errors.update(
        _check_links(
            programme=programme,
            person=person,
            source=source,
            enrolment=enrolment,
            contact=contact,
            group_session=group_session,
        )
    )
    if errors:
        raise ValidationError(errors)
    if enrolment is None:
        enrolment = contact.enrolment if contact is not None else _enrolment_for(person, programme)
    now = timezone.now()
    assignees = choose_assignees(
        programme=programme,
        person=person,
        enrolment=enrolment,
        contact=contact,
        raised_by=raised_by,
    )
    flag = RiskFlag.objects.create(
        programme=programme,
        person=person,
        enrolment=enrolment,
        severity=severity,
        source=source,
        contact=contact,
        group_session=group_session,
        source_reference=source_reference,
        summary=text,
        raised_by=raised_by,
        raised_at=now,
        assigned_to=assignees[0] if assignees else None,
        acknowledge_by=acknowledge_by(now, severity, rules_for(safety_settings(programme))),
    )
    _event(flag, FlagEvent.Kind.RAISED, by=raised_by)
    for user in assignees:
        _event(flag, FlagEvent.Kind.NOTIFIED, by=raised_by, to=user)
    alerts.send_flag_to_acknowledge(flag, assignees, dedupe=f"flag:{flag.pk}:raised")
    audit_instance(actor=raised_by, action=Action.CREATE, instance=flag)
    return flag


# ---------------------------------------------------------------------------------------
# Handling


def may_handle(user: User, flag: RiskFlag) -> bool:
    """The assignee, the leader it was escalated to, or any supervisor, leader or admin
    over the programme acknowledges, reassigns and resolves."""
    if not user.is_active:
        return False
    if user.pk in {flag.assigned_to_id, flag.escalated_to_id}:
        return True
    return is_handler(user, flag.programme)


def _locked(flag: RiskFlag) -> RiskFlag:
    """The flag as it is now, under a row lock; a resolved flag refuses every change."""
    row = RiskFlag.objects.select_for_update().select_related("programme__site").get(pk=flag.pk)
    if row.status == Status.RESOLVED:
        raise ValidationError(_("This flag is resolved: it can no longer change."))
    return row


def _refuse_unless_handler(user: User, flag: RiskFlag) -> None:
    if not may_handle(user, flag):
        raise ValidationError(
            _("Only the person it was sent to, a supervisor or a leader can do this.")
        )


def _acknowledge(row: RiskFlag, actor: User, now: object) -> None:
    row.status = Status.ACKNOWLEDGED
    row.acknowledged_at = now  # type: ignore[assignment]
    row.acknowledged_by = actor
    _event(row, FlagEvent.Kind.ACKNOWLEDGED, by=actor)


@transaction.atomic
def flag_acknowledge(*, flag: RiskFlag, actor: User, note: str = "") -> RiskFlag:
    """Say the flag is seen and being handled: it stops counting towards escalation."""
    row = _locked(flag)
    _refuse_unless_handler(actor, row)
    text = _text(note, field="note", limit=NOTE_MAX, required=False)
    if row.status != Status.OPEN:
        raise ValidationError(_("This flag is already acknowledged."))
    _acknowledge(row, actor, timezone.now())
    row.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    if text:
        _event(row, FlagEvent.Kind.NOTE, by=actor, note=text)
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return row


@transaction.atomic
def flag_note(*, flag: RiskFlag, actor: User, note: str) -> FlagEvent:
    """Add to the trail (anyone who may see the flag; the caller checked that)."""
    row = _locked(flag)
    text = _text(note, field="note", limit=NOTE_MAX, required=True, missing=_("Write the note."))
    event = _event(row, FlagEvent.Kind.NOTE, by=actor, note=text)
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return event


@transaction.atomic
def flag_reassign(*, flag: RiskFlag, actor: User, to: User | None, note: str = "") -> RiskFlag:
    """Hand the flag to another supervisor or leader of the programme, who is asked to
    acknowledge it by the same deadline."""
    row = _locked(flag)
    _refuse_unless_handler(actor, row)
    text = _text(note, field="note", limit=NOTE_MAX, required=False)
    if to is None or not to.is_active or not is_handler(to, row.programme):
        raise ValidationError({"to": _("Choose a supervisor or leader of this programme.")})
    if to.pk == row.assigned_to_id:
        raise ValidationError({"to": _("The flag is already with this person.")})
    row.assigned_to = to
    row.save(update_fields=["assigned_to"])
    event = _event(row, FlagEvent.Kind.NOTIFIED, by=actor, to=to, note=text)
    if row.status == Status.OPEN:
        alerts.send_flag_to_acknowledge(row, [to], dedupe=f"flag:{row.pk}:assigned:{event.pk}")
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return row


def _actions_error(actions: object) -> str:
    if not isinstance(actions, list | tuple) or not actions:
        return _("Choose at least one action taken.")
    if not all(isinstance(a, str) for a in actions) or not set(actions) <= set(ACTIONS):
        return _("Choose actions from the list.")
    if len(set(actions)) != len(actions):
        return _("Choose each action once.")
    if "no_further_action" in actions and len(actions) > 1:
        return _("'No further action' cannot go with other actions.")
    return ""


@transaction.atomic
def flag_resolve(
    *, flag: RiskFlag, actor: User, actions: Sequence[str], resolution: str
) -> RiskFlag:
    """Close the flag with the actions taken and what was done. Resolving a flag no one
    acknowledged acknowledges it too."""
    row = _locked(flag)
    _refuse_unless_handler(actor, row)
    errors: dict[str, str] = {}
    found = _actions_error(list(actions) if isinstance(actions, list | tuple) else actions)
    if found:
        errors["actions"] = found
    text = _required_text(
        errors, resolution, field="resolution", limit=NOTE_MAX, missing=_("Say what was done.")
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if row.status == Status.OPEN:
        _acknowledge(row, actor, now)
    row.status = Status.RESOLVED
    row.resolved_at = now
    row.resolved_by = actor
    row.actions = [code for code in ACTIONS if code in set(actions)]
    row.resolution = text
    row.save()
    _event(row, FlagEvent.Kind.RESOLVED, by=actor)
    audit_instance(actor=actor, action=Action.UPDATE, instance=row)
    return row


def action_labels(flag: RiskFlag) -> list[str]:
    return [str(ACTIONS[code]) for code in flag.actions or [] if code in ACTIONS]
