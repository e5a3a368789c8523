"""Certification: the frameworks an organisation uses, decisions (certified with an
expiry, or not certified with recommendations), decertification with its reasons and
evidence, and appeals. What expires soon is `certification_expiry`.

Whether a decision stops work is answered by `workforce.eligibility`, which reads the
Certification and Decertification rows written here: a decertification stops new
matches and group facilitation from its effective date, and an expired certification
does so the day after it expires. This module only writes the decisions and flags the
work a decertified peer already holds for review.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation
from peerbridge.organisations.selectors import (
    AnyUser,
    access_organisation,
    programmes_in_scope,
)
from peerbridge.people.models import Person
from peerbridge.workforce import policies, services
from peerbridge.workforce.models import (
    CapacityReservation,
    Certification,
    CertificationFramework,
    Decertification,
    PeerProfile,
    SupervisionSession,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import as_pk, workforce_settings

TEXT_MAX = 4000
EARLIEST = date(1990, 1, 1)
AHEAD_YEARS = 10  # how far ahead an issue or effective date may be given
EXPIRY_AHEAD_YEARS = 30  # room for a 20-year validity from an issue date 10 years ahead
FRAMEWORK_EDITABLE = frozenset(
    {
        "name",
        "issuer",
        "kind",
        "validity_months",
        "recertification_hours",
        "recertification_requirements",
        "is_active",
    }
)
Status = Certification.Status
Appeal = Decertification.Appeal


class Decision(models.TextChoices):
    """What a leader may decide about a peer (decertification has its own page)."""

    CERTIFIED = Status.CERTIFIED.value, gettext_lazy("Certified")
    NOT_CERTIFIED = Status.NOT_CERTIFIED.value, gettext_lazy("Not certified")


class AppealStep(models.TextChoices):
    LODGE = "lodge", gettext_lazy("Lodge an appeal")
    DECIDE = "decide", gettext_lazy("Decide the appeal")


class AppealOutcome(models.TextChoices):
    UPHELD = Appeal.UPHELD.value, gettext_lazy("Refuse: the decertification stands")
    OVERTURNED = Appeal.OVERTURNED.value, gettext_lazy("Grant: restore the certification")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _years_ahead(years: int) -> date:
    today = timezone.localdate()
    return add_months(today, 12 * years)


def check_day(day: date, *, name: str, earliest: date = EARLIEST, years: int = AHEAD_YEARS) -> date:
    """Refuse a date outside the range a decision can sensibly carry (a typo such as
    year 9999 would otherwise overflow the expiry arithmetic)."""
    latest = _years_ahead(years)
    if not earliest <= day <= latest:
        raise ValidationError(
            {
                name: _("Give a date between %(first)s and %(last)s.")
                % {"first": earliest.isoformat(), "last": latest.isoformat()}
            }
        )
    return day


def _refuse_own_decision(person_user_id: int | None, decider: User) -> None:
    """Leaders never decide about their own certification: another leader does."""
    if person_user_id is not None and person_user_id == decider.pk:
        raise ValidationError(
            _("You cannot decide about your own certification: ask another leader.")
        )


def _user_of(certification: Certification) -> int | None:
    """The login of the person the decision is about, if they have one."""
    return (
        Person.objects.filter(pk=certification.person_id).values_list("user_id", flat=True).first()
    )


def clean_text(value: str, *, name: str, limit: int = TEXT_MAX, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({name: _("Null characters are not allowed.")})
    if required and not value:
        raise ValidationError({name: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({name: _("Keep this to %(max)d characters.") % {"max": limit}})
    return value


# ---------------------------------------------------------------------------------------
# Frameworks


def _check_name_free(organisation_id: int, name: str, *, exclude: int | None = None) -> None:
    taken = CertificationFramework.objects.filter(organisation_id=organisation_id, name=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError(
            {"name": _("This organisation already has a framework by that name.")}
        )


@transaction.atomic
def framework_create(
    *,
    organisation: Organisation,
    actor: User | None,
    name: str,
    kind: str,
    issuer: str = "",
    validity_months: int | None = None,
    recertification_hours: Decimal = Decimal("0"),
    recertification_requirements: str = "",
    is_active: bool = True,
) -> CertificationFramework:
    name = clean_text(name, name="name", limit=200, required=True)
    _check_name_free(organisation.pk, name)
    framework = CertificationFramework(
        organisation=organisation,
        name=name,
        issuer=clean_text(issuer, name="issuer", limit=200),
        kind=kind,
        validity_months=validity_months,
        recertification_hours=recertification_hours,
        recertification_requirements=clean_text(
            recertification_requirements, name="recertification_requirements"
        ),
        is_active=is_active,
    )
    framework.full_clean()
    framework.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=framework)
    return framework


@transaction.atomic
def framework_update(
    *, framework: CertificationFramework, actor: User | None, **changes: Any
) -> CertificationFramework:
    unknown = set(changes) - FRAMEWORK_EDITABLE
    if unknown:
        raise ValueError(f"Not editable through framework_update: {sorted(unknown)}")
    framework = CertificationFramework.objects.select_for_update().get(pk=framework.pk)
    for name in ("name", "issuer", "recertification_requirements"):
        if name in changes:
            limit = 200 if name != "recertification_requirements" else TEXT_MAX
            changes[name] = clean_text(
                changes[name], name=name, limit=limit, required=name == "name"
            )
    if "name" in changes:
        _check_name_free(framework.organisation_id, changes["name"], exclude=framework.pk)
    for name, value in changes.items():
        setattr(framework, name, value)
    framework.full_clean()
    framework.save()
    audit_instance(actor=actor, action=Action.UPDATE, instance=framework)
    return framework


def frameworks_of(organisation: Organisation) -> QuerySet[CertificationFramework]:
    return CertificationFramework.objects.filter(organisation=organisation).order_by(
        "-is_active", "name", "pk"
    )


def access_framework(*, user: AnyUser, framework_id: Any, policy: Policy) -> CertificationFramework:
    """A framework, authorised through its organisation (404 outside it, 403 inside it
    without the right)."""
    pk = as_pk(framework_id)
    framework = CertificationFramework.objects.filter(pk=pk).select_related("organisation").first()
    if framework is None:
        raise Http404
    access_organisation(user=user, organisation_id=framework.organisation_id, policy=policy)
    return framework


# ---------------------------------------------------------------------------------------
# Decisions


@transaction.atomic
def certification_decide(
    *,
    profile: PeerProfile,
    framework: CertificationFramework,
    status: str,
    decided_by: User,
    issued_on: date | None = None,
    expires_on: date | None = None,
    recommendations: str = "",
) -> Certification:
    """Certify a peer (issued today unless said otherwise; expiring after the
    framework's validity unless said otherwise) or record that they are not certified,
    with recommendations for what to do next."""
    if status not in Decision.values:
        raise ValidationError({"status": _("Choose certified or not certified.")})
    programme = profile.programme
    if framework.organisation_id != programme.site.organisation_id or not framework.is_active:
        raise ValidationError(
            {"framework": _("Choose a framework in use by this programme's organisation.")}
        )
    if profile.status == PeerProfile.Status.LEFT:
        raise ValidationError(_("This peer has left the programme."))
    _refuse_own_decision(profile.person.user_id, decided_by)
    recommendations = clean_text(recommendations, name="recommendations")
    issued: date | None = None
    expires: date | None = None
    if status == Status.CERTIFIED:
        issued = check_day(issued_on or timezone.localdate(), name="issued_on")
        expires = expires_on
        if expires is None and framework.validity_months:
            expires = add_months(issued, framework.validity_months)
        if expires is not None:
            check_day(expires, name="expires_on", years=EXPIRY_AHEAD_YEARS)
            if expires <= issued:
                raise ValidationError(
                    {"expires_on": _("A certification expires after it is issued.")}
                )
    else:
        if not recommendations:
            raise ValidationError(
                {
                    "recommendations": _(
                        "Say what the peer can do next, e.g. retake the course next year."
                    )
                }
            )
    certification = Certification(
        person=profile.person,
        framework=framework,
        programme=programme,
        status=status,
        issued_on=issued,
        expires_on=expires,
        recommendations=recommendations,
        decided_by=decided_by,
    )
    certification.full_clean()
    certification.save()
    audit_instance(actor=decided_by, action=Action.CREATE, instance=certification)
    return certification


def sessions_about(certification: Certification) -> QuerySet[SupervisionSession]:
    """Supervision sessions of the certification's programme the peer took part in:
    the notes a decertification may rest on."""
    return (
        SupervisionSession.objects.filter(
            programme_id=certification.programme_id, peers__person_id=certification.person_id
        )
        .distinct()
        .order_by("-held_at", "-id")
    )


def _is_latest(certification: Certification) -> bool:
    newest = (
        Certification.objects.filter(
            person_id=certification.person_id, framework_id=certification.framework_id
        )
        .order_by("-decided_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return newest == certification.pk


def _decertified_row(certification: Certification, decided_by: User) -> Certification:
    """The row a new decertification hangs on. A certification restored on appeal
    already has its (overturned) decertification, and the model allows one per row, so
    a second decertification is recorded on a new decision row that supersedes it."""
    if not Decertification.objects.filter(certification=certification).exists():
        certification.status = Status.DECERTIFIED
        certification.save(update_fields=["status"])
        audit_instance(actor=decided_by, action=Action.UPDATE, instance=certification)
        return certification
    replacement = Certification.objects.create(
        person_id=certification.person_id,
        framework_id=certification.framework_id,
        programme_id=certification.programme_id,
        status=Status.DECERTIFIED,
        issued_on=certification.issued_on,
        expires_on=certification.expires_on,
        decided_by=decided_by,
    )
    audit_instance(actor=decided_by, action=Action.CREATE, instance=replacement)
    return replacement


@transaction.atomic
def decertify(
    *,
    certification: Certification,
    decided_by: User,
    reason: str,
    evidence: str = "",
    supervision_sessions: Iterable[SupervisionSession] = (),
    effective_on: date | None = None,
) -> Decertification:
    """Withdraw a certification from `effective_on` (today unless said otherwise). From
    that day the peer takes no new matches or groups; the work they hold is flagged for
    review at once."""
    certification = Certification.objects.select_for_update().get(pk=certification.pk)
    if certification.status != Status.CERTIFIED or not _is_latest(certification):
        raise ValidationError(_("Only a peer's current certification can be withdrawn."))
    _refuse_own_decision(_user_of(certification), decided_by)
    reason = clean_text(reason, name="reason", required=True)
    evidence = clean_text(evidence, name="evidence")
    sessions = list(supervision_sessions)
    allowed = set(sessions_about(certification).values_list("pk", flat=True))
    if any(session.pk not in allowed for session in sessions):
        raise ValidationError(
            {"supervision_sessions": _("Choose supervision sessions this peer took part in.")}
        )
    day = check_day(effective_on or timezone.localdate(), name="effective_on")
    if certification.issued_on is not None and day < certification.issued_on:
        raise ValidationError(
            {"effective_on": _("A decertification cannot take effect before the certification.")}
        )
    row = _decertified_row(certification, decided_by)
    decertification = Decertification(
        certification=row, reason=reason, evidence=evidence, effective_on=day, decided_by=decided_by
    )
    decertification.full_clean()
    decertification.save()
    decertification.supervision_sessions.set(sessions)
    audit_instance(actor=decided_by, action=Action.CREATE, instance=decertification)
    flag_work_for_review(certification=row)
    return decertification


def holding_work() -> QuerySet[CapacityReservation, Any]:
    """Ids of the profiles holding a match or group now (a subquery)."""
    return CapacityReservation.objects.filter(released_at__isnull=True).values("profile_id")


def flag_work_for_review(*, certification: Certification) -> list[WorkforceAlert]:
    """A review alert on each of the person's profiles that holds matches or groups
    (`alert_raise` keeps it to one open alert per profile)."""
    holding = PeerProfile.objects.filter(person_id=certification.person_id, pk__in=holding_work())
    return [
        services.alert_raise(
            profile=profile,
            kind=WorkforceAlert.Kind.MATCHES_REVIEW,
            detail=f"certification:{certification.pk}",
        )
        for profile in holding.order_by("pk")
    ]


def _locked_decertification(certification: Certification) -> Decertification:
    decertification = (
        Decertification.objects.select_for_update()
        .filter(certification_id=certification.pk)
        .select_related("certification")
        .first()
    )
    if decertification is None:
        raise ValidationError({"appeal": _("This certification has not been withdrawn.")})
    return decertification


@transaction.atomic
def appeal_lodge(
    *, certification: Certification, lodged_by: User, grounds: str = ""
) -> Decertification:
    """The peer (or a leader for them) appeals a decertification. The decertification
    keeps stopping new work while the appeal is open."""
    decertification = _locked_decertification(certification)
    grounds = clean_text(grounds, name="notes")
    if decertification.appeal != Appeal.NONE:
        raise ValidationError({"appeal": _("An appeal has already been lodged.")})
    decertification.appeal = Appeal.LODGED
    decertification.appeal_lodged_on = timezone.localdate()
    decertification.appeal_notes = grounds
    decertification.save(update_fields=["appeal", "appeal_lodged_on", "appeal_notes"])
    audit_instance(actor=lodged_by, action=Action.UPDATE, instance=decertification)
    return decertification


@transaction.atomic
def appeal_decide(
    *, certification: Certification, decided_by: User, outcome: str, notes: str = ""
) -> Decertification:
    """Refuse the appeal (the decertification stands) or grant it: the certification is
    restored and the review alerts it raised are closed."""
    decertification = _locked_decertification(certification)
    _refuse_own_decision(_user_of(decertification.certification), decided_by)
    notes = clean_text(notes, name="notes")
    if outcome not in AppealOutcome.values:
        raise ValidationError({"outcome": _("Choose to refuse or to grant the appeal.")})
    if decertification.appeal != Appeal.LODGED:
        raise ValidationError({"appeal": _("There is no open appeal to decide.")})
    decertification.appeal = outcome
    decertification.appeal_decided_on = timezone.localdate()
    decertification.appeal_notes = "\n\n".join(
        part for part in (decertification.appeal_notes, notes) if part
    )
    decertification.save(update_fields=["appeal", "appeal_decided_on", "appeal_notes"])
    audit_instance(actor=decided_by, action=Action.UPDATE, instance=decertification)
    if outcome == Appeal.OVERTURNED:
        restored = decertification.certification
        restored.status = Status.CERTIFIED
        restored.save(update_fields=["status"])
        audit_instance(actor=decided_by, action=Action.UPDATE, instance=restored)
        _close_review_alerts(restored, decided_by)
    return decertification


def _close_review_alerts(certification: Certification, actor: User) -> None:
    alerts = WorkforceAlert.objects.filter(
        kind=WorkforceAlert.Kind.MATCHES_REVIEW,
        detail=f"certification:{certification.pk}",
        resolved_at__isnull=True,
    )
    for alert in alerts.order_by("pk"):
        services.alert_resolve(alert=alert, actor=actor, resolution=str(Appeal.OVERTURNED.label))


# ---------------------------------------------------------------------------------------
# Reads


def access_certification(
    *, user: AnyUser, certification_id: Any, policy: Policy, allow_self: bool = False
) -> Certification:
    """A certification decision, through its programme's scope; with `allow_self` the
    peer reaches their own. Reading it is audited as a read of the person."""
    pk = as_pk(certification_id)
    certification = (
        Certification.objects.filter(pk=pk)
        .select_related("person", "framework", "programme", "programme__site")
        .first()
    )
    if certification is None:
        raise Http404
    own = user.is_authenticated and certification.person.user_id == user.pk
    in_scope = programmes_in_scope(user=user, policy=policy).filter(pk=certification.programme_id)
    if not ((allow_self and own) or in_scope.exists()):
        visible = own or (
            programmes_in_scope(user=user, policy=policies.WORKFORCE_VIEW)
            .filter(pk=certification.programme_id)
            .exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=certification.person)
    return certification


@dataclass(frozen=True)
class HistoryEntry:
    """One decision bearing on a peer's standing in a programme. A decision another
    programme took (under the framework this one requires) carries only what
    eligibility reads, unless the reader certifies in that programme: `decision` is
    then None, and its reason, evidence, sessions, recommendations and appeal stay
    with that programme."""

    id: int
    framework_id: int
    framework: str
    status: str
    status_label: str
    issued_on: date | None
    expires_on: date | None
    effective_on: date | None  # when a decertification takes effect
    decision: Certification | None  # the whole decision, for a reader who may see it
    may_certify: bool  # the reader certifies in the decision's programme

    @property
    def decertification(self) -> Decertification | None:
        if self.decision is None:
            return None
        return getattr(self.decision, "decertification", None)

    @property
    def decided_at(self) -> datetime | None:
        return self.decision.decided_at if self.decision is not None else None


def certification_history(profile: PeerProfile, *, user: AnyUser) -> list[HistoryEntry]:
    """The decisions that bear on this peer's standing in the programme (the rows the
    eligibility service reads), newest first, each shown as far as `user` may see it."""
    required_id = workforce_settings(profile.programme).required_framework_id
    relevant = Q(programme_id=profile.programme_id)
    if required_id is not None:
        relevant |= Q(framework_id=required_id)
    rows = list(
        Certification.objects.filter(relevant, person_id=profile.person_id)
        .select_related("framework", "decertification", "decided_by__person")
        .prefetch_related("decertification__supervision_sessions")
        .order_by("-decided_at", "-id")
    )
    certifying = set(
        programmes_in_scope(user=user, policy=policies.CERTIFY)
        .filter(pk__in={row.programme_id for row in rows})
        .values_list("pk", flat=True)
    )
    entries = []
    for row in rows:
        decertification = getattr(row, "decertification", None)
        may_certify = row.programme_id in certifying
        entries.append(
            HistoryEntry(
                id=row.pk,
                framework_id=row.framework_id,
                framework=row.framework.name,
                status=row.status,
                status_label=str(row.get_status_display()),
                issued_on=row.issued_on,
                expires_on=row.expires_on,
                effective_on=decertification.effective_on if decertification else None,
                decision=row if row.programme_id == profile.programme_id or may_certify else None,
                may_certify=may_certify,
            )
        )
    return entries


def profile_for(certification: Certification) -> PeerProfile | None:
    return PeerProfile.objects.filter(
        person_id=certification.person_id, programme_id=certification.programme_id
    ).first()
