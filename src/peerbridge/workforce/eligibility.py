"""The one answer to "may this peer take a new match / facilitate a group?", with the
reasons when not. Matching, groups, capacity reservations, pages and the API all ask
here; nothing else decides.

`standings(profiles)` reads everything a decision needs for any number of peers in a
fixed number of queries (matching scores whole waiting lists against every peer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peerbridge.workforce.models import (
    AgreementKind,
    AgreementSignature,
    AgreementText,
    CapacityReservation,
    Certification,
    Competency,
    CompetencyCheck,
    Decertification,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    WorkforceSettings,
)
from peerbridge.workforce.selectors import settings_for


class Reason(models.TextChoices):
    NOT_ACTIVE = "not_active", gettext_lazy("Not available")
    UNTRAINED = "untrained", gettext_lazy("Training not complete")
    AGREEMENTS_UNSIGNED = "agreements_unsigned", gettext_lazy("Agreements not signed")
    UNCERTIFIED = "uncertified", gettext_lazy("Not certified")
    DECERTIFIED = "decertified", gettext_lazy("Decertified")
    PAUSED = "paused", gettext_lazy("Paused")
    BURNT_OUT = "burnt_out", gettext_lazy("On hold after a high burnout check-in")
    AT_CAPACITY = "at_capacity", gettext_lazy("At capacity")


# Reasons that stop work already under way, not only new work: the peer's current
# matches and groups need review or cover.
NEEDS_COVER = frozenset({Reason.NOT_ACTIVE, Reason.DECERTIFIED, Reason.UNCERTIFIED, Reason.PAUSED})


@dataclass(frozen=True)
class Blocker:
    reason: Reason
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {
            "reason": str(self.reason.value),
            "label": str(self.reason.label),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CertificationState:
    required: str  # the framework's name, "" when the programme requires none
    holds: bool
    detail: str
    expires_on: date | None = None
    decertified: bool = False


@dataclass(frozen=True)
class Standing:
    """Everything known about one peer's readiness and load, on one day."""

    profile_id: int
    on: date
    status: str
    missing_modules: tuple[str, ...]
    missing_competencies: tuple[str, ...]
    unsigned_agreements: tuple[str, ...]
    certification: CertificationState
    paused: bool
    on_hold: bool
    matches_held: int
    groups_held: int
    max_matches: int
    max_groups: int
    training_hours_in_period: Decimal
    training_hours_expected: Decimal
    common_blockers: tuple[Blocker, ...] = field(default=())

    @property
    def trained(self) -> bool:
        return not self.missing_modules and not self.missing_competencies

    @property
    def agreements_signed(self) -> bool:
        return not self.unsigned_agreements

    @property
    def ongoing_training_overdue(self) -> bool:
        return (
            self.status == PeerProfile.Status.ACTIVE
            and self.training_hours_in_period < self.training_hours_expected
        )

    def _capacity(self, held: int, limit: int, noun: str) -> tuple[Blocker, ...]:
        if held < limit:
            return ()
        return (
            Blocker(
                Reason.AT_CAPACITY,
                _("Already %(held)s of %(limit)s %(noun)s.")
                % {"held": held, "limit": limit, "noun": noun},
            ),
        )

    @property
    def match_blockers(self) -> tuple[Blocker, ...]:
        return self.common_blockers + self._capacity(
            self.matches_held, self.max_matches, _("people supported")
        )

    @property
    def group_blockers(self) -> tuple[Blocker, ...]:
        return self.common_blockers + self._capacity(
            self.groups_held, self.max_groups, _("groups facilitated")
        )

    @property
    def may_take_match(self) -> bool:
        return not self.match_blockers

    @property
    def may_facilitate_group(self) -> bool:
        return not self.group_blockers

    @property
    def remaining_matches(self) -> int:
        return 0 if self.common_blockers else max(self.max_matches - self.matches_held, 0)

    @property
    def remaining_groups(self) -> int:
        return 0 if self.common_blockers else max(self.max_groups - self.groups_held, 0)

    @property
    def needs_cover(self) -> bool:
        """Stopped from working (not merely full or on hold) while holding matches or
        groups: those people need review or another peer."""
        stopped = any(b.reason in NEEDS_COVER for b in self.common_blockers)
        return stopped and (self.matches_held + self.groups_held) > 0

    @property
    def stage(self) -> str:
        """Where the peer is on the way to supporting people, for the pipeline pages."""
        if self.status == PeerProfile.Status.LEFT:
            return "left"
        if not self.trained:
            return "training"
        if not self.agreements_signed:
            return "agreements"
        if not self.certification.holds:
            return "decertified" if self.certification.decertified else "certification"
        if self.status == PeerProfile.Status.TRAINING:
            return "ready"
        return "available"


def latest_agreement_texts(programme_ids: Iterable[int]) -> dict[int, dict[str, AgreementText]]:
    """The newest published version of each agreement, per programme: the only version
    whose signature counts (`workforce.agreements` asks peers to sign these)."""
    newest: dict[int, dict[str, AgreementText]] = defaultdict(dict)
    for text in AgreementText.objects.filter(programme_id__in=list(programme_ids)).order_by(
        "-published_at", "-id"
    ):
        newest[text.programme_id].setdefault(text.kind, text)
    return newest


def _decertification_stands(row: Certification, on: date) -> bool:
    try:
        decert: Decertification = row.decertification
    except Decertification.DoesNotExist:
        return True
    return decert.effective_on <= on and decert.appeal != Decertification.Appeal.OVERTURNED


def certification_state(
    rows: Sequence[Certification], *, required: str, required_id: int | None, on: date
) -> CertificationState:
    """Read a person's certification decisions (newest first) for one programme."""
    latest_by_framework: dict[int, Certification] = {}
    for row in rows:
        latest_by_framework.setdefault(row.framework_id, row)
    for row in latest_by_framework.values():
        if row.status == Certification.Status.DECERTIFIED and _decertification_stands(row, on):
            return CertificationState(
                required=required,
                holds=False,
                detail=_("Decertified from %(framework)s.") % {"framework": row.framework.name},
                decertified=True,
            )
    if required_id is None:
        return CertificationState(required="", holds=True, detail="")
    latest = latest_by_framework.get(required_id)
    if latest is None:
        return CertificationState(
            required=required,
            holds=False,
            detail=_("No %(framework)s yet.") % {"framework": required},
        )
    if latest.status == Certification.Status.NOT_CERTIFIED:
        return CertificationState(
            required=required,
            holds=False,
            detail=_("Not certified for %(framework)s.") % {"framework": required},
        )
    if latest.issued_on is not None and latest.issued_on > on:
        return CertificationState(
            required=required,
            holds=False,
            detail=_("%(framework)s starts on %(day)s.")
            % {"framework": required, "day": latest.issued_on.isoformat()},
        )
    if latest.expires_on is not None and latest.expires_on < on:
        return CertificationState(
            required=required,
            holds=False,
            detail=_("%(framework)s expired on %(day)s.")
            % {"framework": required, "day": latest.expires_on.isoformat()},
            expires_on=latest.expires_on,
        )
    return CertificationState(
        required=required, holds=True, detail="", expires_on=latest.expires_on
    )


def _blockers(
    profile: PeerProfile,
    *,
    missing_modules: tuple[str, ...],
    missing_competencies: tuple[str, ...],
    unsigned: tuple[str, ...],
    certification: CertificationState,
    paused: bool,
) -> tuple[Blocker, ...]:
    found: list[Blocker] = []
    if profile.status == PeerProfile.Status.LEFT:
        found.append(Blocker(Reason.NOT_ACTIVE, _("Has left the programme.")))
    elif profile.status == PeerProfile.Status.TRAINING and not (
        missing_modules or missing_competencies or unsigned or not certification.holds
    ):
        found.append(Blocker(Reason.NOT_ACTIVE, _("Ready, but not yet made available.")))
    if missing_modules or missing_competencies:
        parts = [*missing_modules, *missing_competencies]
        found.append(Blocker(Reason.UNTRAINED, _("Still to complete: %s.") % "; ".join(parts)))
    if unsigned:
        found.append(
            Blocker(Reason.AGREEMENTS_UNSIGNED, _("Still to sign: %s.") % "; ".join(unsigned))
        )
    if not certification.holds:
        reason = Reason.DECERTIFIED if certification.decertified else Reason.UNCERTIFIED
        found.append(Blocker(reason, certification.detail))
    if paused:
        back = profile.paused_until
        found.append(
            Blocker(
                Reason.PAUSED,
                _("Paused until %s.") % back.isoformat() if back else _("Paused."),
            )
        )
    if profile.capacity_hold:
        found.append(
            Blocker(Reason.BURNT_OUT, _("New work is on hold until their supervisor reviews."))
        )
    return tuple(found)


def standings(profiles: Iterable[PeerProfile], *, on: date | None = None) -> dict[int, Standing]:
    """Standing of each profile, keyed by profile id, in a fixed number of queries."""
    profiles = list(profiles)
    if not profiles:
        return {}
    day = on or timezone.localdate()
    profile_ids = {p.pk for p in profiles}
    person_ids = {p.person_id for p in profiles}
    programme_ids = {p.programme_id for p in profiles}
    rules: dict[int, WorkforceSettings] = settings_for(programme_ids)
    frameworks = {
        rule.required_framework_id: rule.required_framework.name
        for rule in rules.values()
        if rule.required_framework is not None
    }

    modules: dict[int, list[TrainingModule]] = defaultdict(list)
    for module in TrainingModule.objects.filter(
        programme_id__in=programme_ids,
        required=True,
        is_active=True,
        audience=TrainingModule.Audience.PEERS,
    ):
        modules[module.programme_id].append(module)
    attended = set(
        TrainingAttendance.objects.filter(
            person_id__in=person_ids, attended=True, session__module__programme_id__in=programme_ids
        ).values_list("person_id", "session__module_id")
    )
    # Windows start at local midnight; comparing datetimes (not dates) lets the database
    # use the column as stored, without converting every row to a date.
    zone = timezone.get_current_timezone()
    since = {
        pk: datetime.combine(
            day - timedelta(days=rule.ongoing_training_period_days), time.min, tzinfo=zone
        )
        for pk, rule in rules.items()
    }
    hours_by_person: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for person_id, starts_at, hours in TrainingAttendance.objects.filter(
        person_id__in=person_ids, attended=True, session__starts_at__gte=min(since.values())
    ).values_list("person_id", "session__starts_at", "hours"):
        hours_by_person[person_id].append((starts_at, hours))

    competencies: dict[int, list[Competency]] = defaultdict(list)
    for competency in Competency.objects.filter(programme_id__in=programme_ids, required=True):
        competencies[competency.programme_id].append(competency)
    latest_check: dict[tuple[int, int], str] = {}
    for profile_id, competency_id, outcome in CompetencyCheck.objects.filter(
        profile_id__in=profile_ids
    ).values_list("profile_id", "competency_id", "result"):
        latest_check.setdefault((profile_id, competency_id), outcome)  # newest first

    texts = latest_agreement_texts(programme_ids)
    signed = set(
        AgreementSignature.objects.filter(
            profile_id__in=profile_ids,
            text_id__in=[t.pk for by_kind in texts.values() for t in by_kind.values()],
        ).values_list("profile_id", "text_id")
    )

    certifications: dict[int, list[Certification]] = defaultdict(list)
    for cert in (
        Certification.objects.filter(person_id__in=person_ids)
        .select_related("framework", "decertification")
        .order_by("-decided_at", "-id")
    ):
        certifications[cert.person_id].append(cert)

    load: dict[tuple[int, str], int] = {
        (row["profile_id"], row["kind"]): row["n"]
        for row in CapacityReservation.objects.filter(
            profile_id__in=profile_ids, released_at__isnull=True
        )
        .values("profile_id", "kind")
        .annotate(n=Count("pk"))
    }

    result: dict[int, Standing] = {}
    for profile in profiles:
        rule = rules[profile.programme_id]
        missing_modules = tuple(
            m.title
            for m in modules[profile.programme_id]
            if (profile.person_id, m.pk) not in attended
        )
        missing_competencies = tuple(
            c.name
            for c in competencies[profile.programme_id]
            if latest_check.get((profile.pk, c.pk)) != CompetencyCheck.Result.PASSED
        )
        unsigned = tuple(
            str(AgreementKind(kind).label)
            for kind, text in sorted(texts[profile.programme_id].items())
            if (profile.pk, text.pk) not in signed
        )
        rows = [
            row
            for row in certifications[profile.person_id]
            if row.programme_id == profile.programme_id
            or row.framework_id == rule.required_framework_id
        ]
        certification = certification_state(
            rows,
            required=frameworks.get(rule.required_framework_id, ""),
            required_id=rule.required_framework_id,
            on=day,
        )
        paused = profile.is_paused(day)
        window_start = since[profile.programme_id]
        training_hours = sum(
            (hours for when, hours in hours_by_person[profile.person_id] if when >= window_start),
            Decimal("0"),
        )
        result[profile.pk] = Standing(
            profile_id=profile.pk,
            on=day,
            status=profile.status,
            missing_modules=missing_modules,
            missing_competencies=missing_competencies,
            unsigned_agreements=unsigned,
            certification=certification,
            paused=paused,
            on_hold=profile.capacity_hold,
            matches_held=load.get((profile.pk, CapacityReservation.Kind.MATCH), 0),
            groups_held=load.get((profile.pk, CapacityReservation.Kind.GROUP), 0),
            max_matches=profile.max_matches,
            max_groups=profile.max_groups,
            training_hours_in_period=training_hours,
            training_hours_expected=rule.ongoing_training_hours,
            common_blockers=_blockers(
                profile,
                missing_modules=missing_modules,
                missing_competencies=missing_competencies,
                unsigned=unsigned,
                certification=certification,
                paused=paused,
            ),
        )
    return result


def standing(profile: PeerProfile, *, on: date | None = None) -> Standing:
    return standings([profile], on=on)[profile.pk]


def may_take_match(
    profile: PeerProfile, *, on: date | None = None
) -> tuple[bool, tuple[Blocker, ...]]:
    """Whether the peer may take one more match, and why not."""
    blockers = standing(profile, on=on).match_blockers
    return not blockers, blockers


def may_facilitate_group(
    profile: PeerProfile, *, on: date | None = None
) -> tuple[bool, tuple[Blocker, ...]]:
    """Whether the peer may facilitate one more group, and why not."""
    blockers = standing(profile, on=on).group_blockers
    return not blockers, blockers
