"""A programme's questionnaire schedule and the assessments it opens.

The timepoints (baseline, 4 weeks, 12 weeks, exit, 6-month follow-up) say which
questionnaires and how long each window stays open. When a timepoint falls due for a
participant is a playbook rule's business (followups: "ask for a questionnaire N days
after an event"); the scan calls `assessments_open` with what is due, which opens one
assessment per participant and timepoint however often it runs, and sends the
participant a link when they can be reached. A participant who cannot use a link
completes it in an interview with their peer or a staff member, or on paper."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.links import token_lookup, token_new
from peerbridge.core.models import User
from peerbridge.instruments.registry import instrument_codes
from peerbridge.notifications.services import notify
from peerbridge.organisations.models import Programme
from peerbridge.outcomes.licences import instrument_usable, licences_in_force
from peerbridge.outcomes.models import Assessment, Respondent, Timepoint
from peerbridge.referrals.models import Enrolment

Area = Programme.ConditionArea
LINK_MIN_DAYS = 3  # a link sent late in its window still lasts this long
OPEN_STATUSES = (Assessment.Status.OPEN, Assessment.Status.STARTED)

# Short, free questionnaires by the programme's condition focus: the PHQ-9 and GAD-7
# where mood is the focus, the two-item screens and resilience elsewhere.
MOOD = ("phq9", "gad7", "brs")
GENERAL = ("phq2", "gad2", "brs")
BY_AREA: dict[str, tuple[str, ...]] = {
    Area.MENTAL_HEALTH: MOOD,
    Area.NEW_MOTHERHOOD: ("phq9", "gad7"),
    Area.SUBSTANCE_USE: MOOD,
    Area.BEREAVEMENT: MOOD,
}
MECHANISMS = "mech_participant"


@dataclass(frozen=True)
class TimepointSpec:
    code: str
    label: str
    window_days: int
    with_mechanisms: bool = False


DEFAULT_TIMEPOINTS = (
    TimepointSpec("baseline", gettext_noop("Baseline"), 14),
    TimepointSpec("week4", gettext_noop("4 weeks"), 14),
    TimepointSpec("week12", gettext_noop("12 weeks"), 14, with_mechanisms=True),
    TimepointSpec("exit", gettext_noop("End of the programme"), 21, with_mechanisms=True),
    TimepointSpec("followup6m", gettext_noop("6-month follow-up"), 30),
)


def default_instruments(programme: Programme, *, with_mechanisms: bool = False) -> list[str]:
    codes = list(BY_AREA.get(programme.condition_area, GENERAL))
    if with_mechanisms and MECHANISMS in instrument_codes():
        codes.append(MECHANISMS)
    return codes


def timepoints_of(programme: Programme) -> list[Timepoint]:
    """The programme's timepoints, made with the defaults on first read."""
    found = list(Timepoint.objects.filter(programme=programme))
    if found:
        return found
    Timepoint.objects.bulk_create(
        [
            Timepoint(
                programme=programme,
                code=spec.code,
                label=_(spec.label),
                instruments=default_instruments(programme, with_mechanisms=spec.with_mechanisms),
                window_days=spec.window_days,
                position=position,
            )
            for position, spec in enumerate(DEFAULT_TIMEPOINTS)
        ],
        ignore_conflicts=True,
    )
    made = list(Timepoint.objects.filter(programme=programme))
    audit_many(
        actor=None,
        action=Action.CREATE,
        object_type=Timepoint._meta.label_lower,
        object_ids=[timepoint.pk for timepoint in made],
    )
    return made


def clean_instruments(value: object, *, field: str = "instruments") -> list[str]:
    """A list of questionnaire codes the deployment may use, in order, without repeats."""
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        raise ValidationError({field: _("Choose questionnaires from the library.")})
    codes = list(dict.fromkeys(value))
    if not codes:
        raise ValidationError({field: _("Choose at least one questionnaire.")})
    licensed = licences_in_force()
    unusable = [code for code in codes if not instrument_usable(code, licensed=licensed)]
    if unusable:
        raise ValidationError(
            {
                field: _("Not available here (unknown, or licence not recorded): %(codes)s")
                % {"codes": ", ".join(sorted(unusable))}
            }
        )
    return codes


def timepoint_update(
    *,
    timepoint: Timepoint,
    label: object,
    instruments: object,
    window_days: object,
    is_active: bool,
    actor: User | None,
) -> Timepoint:
    """A leader changes a timepoint: its name, questionnaires, window and whether it is
    in use. Assessments already open keep the questionnaires they were opened with."""
    errors: dict[str, str] = {}
    text = label.strip() if isinstance(label, str) else ""
    if not text or len(text) > 100:
        errors["label"] = _("Give the timepoint a name (up to 100 characters).")
    try:
        codes = clean_instruments(instruments)
    except ValidationError as error:
        errors.update({key: str(value[0]) for key, value in error.message_dict.items()})
        codes = []
    days = window_days if isinstance(window_days, int) and not isinstance(window_days, bool) else 0
    if not 1 <= days <= 180:
        errors["window_days"] = _("Give a whole number of days between 1 and 180.")
    if errors:
        raise ValidationError(errors)
    timepoint.label = text
    timepoint.instruments = codes
    timepoint.window_days = days
    timepoint.is_active = bool(is_active)
    timepoint.save(update_fields=["label", "instruments", "window_days", "is_active"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=timepoint)
    return timepoint


# --- Assessments ------------------------------------------------------------------------


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _link_expiry(assessment: Assessment) -> datetime:
    return max(_end_of(assessment.closes_on), timezone.now() + timedelta(days=LINK_MIN_DAYS))


@dataclass(frozen=True)
class Due:
    """One participant's timepoint, as the playbook scan found it due."""

    enrolment_id: int
    due_on: date


@transaction.atomic
def assessments_open(*, timepoint: Timepoint, due: Iterable[Due]) -> list[Assessment]:
    """Open one assessment per participant due at `timepoint` (none twice), send each
    participant who can be reached their link, and return the assessments opened now."""
    wanted = {row.enrolment_id: row for row in due}
    if not wanted or not timepoint.is_active or timepoint.respondent != Respondent.PARTICIPANT:
        return []
    licensed = licences_in_force()
    codes = [code for code in timepoint.instruments if instrument_usable(code, licensed=licensed)]
    if not codes:
        return []
    existing = set(
        Assessment.objects.filter(timepoint=timepoint, enrolment_id__in=wanted).values_list(
            "enrolment_id", flat=True
        )
    )
    enrolments = Enrolment.objects.filter(pk__in=set(wanted) - existing).values_list(
        "pk", "person_id"
    )
    stamp = timezone.now()
    new = [
        Assessment(
            programme_id=timepoint.programme_id,
            person_id=person_id,
            enrolment_id=pk,
            timepoint=timepoint,
            instruments=codes,
            due_on=wanted[pk].due_on,
            closes_on=wanted[pk].due_on + timedelta(days=timepoint.window_days),
            created_at=stamp,
        )
        for pk, person_id in enrolments
    ]
    Assessment.objects.bulk_create(new, ignore_conflicts=True)
    opened = list(
        Assessment.objects.filter(timepoint=timepoint, created_at=stamp).select_related(
            "person", "programme"
        )
    )
    audit_many(
        actor=None,
        action=Action.CREATE,
        object_type=Assessment._meta.label_lower,
        object_ids=[assessment.pk for assessment in opened],
    )
    for assessment in opened:
        link_send(assessment=assessment, actor=None)
    return opened


@transaction.atomic
def assessment_create(
    *,
    enrolment: Enrolment,
    instruments: object,
    due_on: date | None,
    window_days: int = 14,
    actor: User | None,
) -> Assessment:
    """Staff or a peer ask for questionnaires outside the schedule (e.g. before an
    interview)."""
    codes = clean_instruments(instruments)
    if not enrolment.is_open:
        raise ValidationError(
            {"enrolment": _("This participant's time in the programme has ended.")}
        )
    day = due_on or timezone.localdate()
    assessment = Assessment.objects.create(
        programme=enrolment.programme,
        person=enrolment.person,
        enrolment=enrolment,
        instruments=codes,
        due_on=day,
        closes_on=day + timedelta(days=window_days),
        created_by=actor,
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=assessment)
    return assessment


def link_issue(*, assessment: Assessment, actor: User | None) -> str:
    """A new secret link for the assessment (an older one stops working); the token
    itself is returned once and never stored."""
    if assessment.is_done:
        raise ValidationError({"assessment": _("This questionnaire is no longer open.")})
    token, digest = token_new()
    assessment.link_digest = digest
    assessment.link_expires_at = _link_expiry(assessment)
    assessment.save(update_fields=["link_digest", "link_expires_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=assessment)
    return token


def link_path(token: str) -> str:
    return reverse("outcomes:answer", args=[token])


def link_send(*, assessment: Assessment, actor: User | None) -> bool:
    """Send the participant a fresh link by email or text message, where they agreed
    to be contacted that way. Returns whether a message was queued."""
    token = link_issue(assessment=assessment, actor=actor)
    sent = notify(
        kind="outcomes_questionnaire_due",
        programme=assessment.programme,
        context={"closes_on": assessment.closes_on},
        person=assessment.person,
        link=link_path(token),
    )
    return any(row.channel != "in_app" for row in sent)


class AssessmentUnavailable(Exception):
    """A link that cannot be answered: `reason` is "unknown", "expired" or "done"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def assessment_by_token(token: str) -> Assessment:
    digest = token_lookup(token)
    found = (
        Assessment.objects.select_related("programme", "person", "enrolment", "timepoint")
        .filter(link_digest=digest)
        .first()
        if digest
        else None
    )
    if found is None:
        raise AssessmentUnavailable("unknown")
    if found.is_done:
        raise AssessmentUnavailable("done")
    if found.link_expires_at is None or found.link_expires_at <= timezone.now():
        raise AssessmentUnavailable("expired")
    return found


def expire_past(*, today: date | None = None) -> int:
    """Close the windows that have passed: open assessments become "window closed"
    (the answers given so far stay). The worker runs this daily."""
    day = today or timezone.localdate()
    ids = list(
        Assessment.objects.filter(status__in=OPEN_STATUSES, closes_on__lt=day).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        return 0
    count = Assessment.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).update(
        status=Assessment.Status.EXPIRED, link_digest=""
    )
    audit_many(
        actor=None,
        action=Action.UPDATE,
        object_type=Assessment._meta.label_lower,
        object_ids=ids,
    )
    return count


def assessment_decline(*, assessment: Assessment, actor: User | None) -> Assessment:
    """The participant would rather not answer this time."""
    if assessment.is_done:
        raise ValidationError({"assessment": _("This questionnaire is no longer open.")})
    assessment.status = Assessment.Status.DECLINED
    assessment.link_digest = ""
    assessment.save(update_fields=["status", "link_digest"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=assessment)
    return assessment
