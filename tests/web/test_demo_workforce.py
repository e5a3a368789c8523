"""The demo's peer workforce: peers at every stage, the persona peers ready to work,
supervision and wellbeing that tell a story, applicants at every stage, valid rows, and
a second load that adds nothing."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable

import pytest
from django.db import models
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.instruments import get_instrument, score
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.people.models import LivedExperience, Person
from peerbridge.web.demo import DEMO_DOMAIN, PROGRAMMES, load_demo
from peerbridge.web.demo_identities import Demo, Taxonomy
from peerbridge.web.demo_workforce import (
    FRAMEWORKS,
    demo_workforce_loaded,
    load_demo_workforce,
    workforce_drawer,
)
from peerbridge.workforce.eligibility import Reason, standings
from peerbridge.workforce.models import (
    AgreementSignature,
    Announcement,
    Certification,
    CertificationFramework,
    CompetencyCheck,
    Decertification,
    PeerApplication,
    PeerProfile,
    Screening,
    SupervisionSession,
    TeamEvent,
    TrainingAttendance,
    TrainingSession,
    WellbeingCheckIn,
    WorkforceAlert,
    WorkforceSettings,
)
from peerbridge.workforce.wellbeing import CHECKIN_PARTS
from tests.conftest import persona_user

pytestmark = pytest.mark.django_db
WORKFORCE_MODELS: tuple[type[models.Model], ...] = (
    WorkforceSettings,
    CertificationFramework,
    PeerApplication,
    Screening,
    PeerProfile,
    AgreementSignature,
    TrainingSession,
    TrainingAttendance,
    CompetencyCheck,
    Certification,
    Decertification,
    SupervisionSession,
    WellbeingCheckIn,
    WorkforceAlert,
    TeamEvent,
    Announcement,
)


def demo_profiles() -> list[PeerProfile]:
    return list(PeerProfile.objects.filter(programme__site__organisation__slug="bridges"))


def profile_of(persona: str, code: str) -> PeerProfile:
    user = persona_user(persona)
    return PeerProfile.objects.select_related("supervisor").get(
        person__user=user, programme__code=code
    )


def last_supervised(profiles: Iterable[PeerProfile]) -> dict[int, datetime.datetime]:
    through = SupervisionSession.peers.through
    last: dict[int, datetime.datetime] = {}
    for profile_id, held in through.objects.filter(
        peerprofile_id__in=[p.pk for p in profiles]
    ).values_list("peerprofile_id", "supervisionsession__held_at"):
        last[profile_id] = max(held, last.get(profile_id, held))
    return last


def supervision_overdue(profiles: list[PeerProfile]) -> dict[int, bool]:
    """Overdue when the last session (else the start) is more than the programme's
    cadence ago, computed from the rows themselves."""
    today = timezone.localdate()
    cadence = dict(
        WorkforceSettings.objects.values_list("programme_id", "supervision_cadence_days")
    )
    last = last_supervised(profiles)
    found = {}
    for profile in profiles:
        held = last.get(profile.pk)
        since = timezone.localdate(held) if held else profile.activated_on or profile.started_on
        found[profile.pk] = today > since + datetime.timedelta(days=cadence[profile.programme_id])
    return found


# ---------------------------------------------------------------------------------------
# Stages


def test_the_demo_workforce_has_every_stage_and_every_blocker() -> None:
    found = standings(demo_profiles())
    stages = Counter(standing.stage for standing in found.values())
    assert {"training", "ready", "available", "decertified"} <= set(stages)
    assert stages["available"] > sum(stages.values()) / 2  # most peers are available
    reasons = {blocker.reason for s in found.values() for blocker in s.match_blockers}
    wanted = {Reason.UNTRAINED, Reason.UNCERTIFIED, Reason.DECERTIFIED, Reason.PAUSED}
    assert wanted | {Reason.BURNT_OUT, Reason.NOT_ACTIVE} <= reasons
    assert 1 <= sum(s.ongoing_training_overdue for s in found.values()) <= 6
    paused = PeerProfile.objects.filter(paused_from__isnull=False)
    assert paused and all(p.paused_until and p.paused_until > timezone.localdate() for p in paused)


def test_every_demo_peer_supporter_has_a_profile_in_their_programme() -> None:
    programmes = Programme.objects.filter(site__organisation__slug="bridges")
    held = set(
        RoleAssignment.objects.filter(
            role=Role.PEER_SUPPORTER, programme__in=programmes, ended_at__isnull=True
        ).values_list("user_id", "programme_id")
    )
    placed = set(PeerProfile.objects.values_list("person__user_id", "programme_id"))
    assert len(held) >= 90
    assert held <= placed
    left = PeerProfile.objects.filter(status=PeerProfile.Status.LEFT)
    assert left.exists()
    assert not {(p.person.user_id, p.programme_id) for p in left} & held


@pytest.mark.parametrize(
    ("persona", "code", "supervisor"),
    [
        ("peer", "recovery-peers", "supervisor.a"),
        ("peer_other", "family-and-peer-courses", "supervisor.b"),
    ],
)
def test_the_persona_peers_are_available_ready_and_supervised(
    persona: str, code: str, supervisor: str
) -> None:
    profile = profile_of(persona, code)
    standing = standings([profile])[profile.pk]
    assert profile.status == PeerProfile.Status.ACTIVE
    assert standing.match_blockers == ()
    assert standing.group_blockers == ()
    assert not standing.ongoing_training_overdue
    assert profile.max_matches >= 5
    assert not profile.is_paused() and not profile.capacity_hold
    assert profile.supervisor is not None
    assert profile.supervisor.email.startswith(f"{supervisor}@")
    assert not supervision_overdue([profile])[profile.pk]


def test_a_ready_peer_waits_to_be_made_available() -> None:
    found = standings(demo_profiles())
    ready = [s for s in found.values() if s.stage == "ready"]
    assert ready
    assert all(s.status == PeerProfile.Status.TRAINING for s in ready)
    assert all([b.reason for b in s.match_blockers] == [Reason.NOT_ACTIVE] for s in ready)


def test_certification_is_required_in_a_and_b_with_one_decertified_and_one_expired() -> None:
    required = dict(
        WorkforceSettings.objects.filter(
            programme__code__in=["recovery-peers", "family-and-peer-courses"]
        ).values_list("programme__code", "required_framework__name")
    )
    assert required == {
        "recovery-peers": FRAMEWORKS[0].name,
        "family-and-peer-courses": FRAMEWORKS[1].name,
    }
    others = WorkforceSettings.objects.exclude(programme__code__in=list(required))
    assert not others.filter(required_framework__isnull=False).exists()
    decertified = Decertification.objects.select_related("certification__programme").get()
    assert decertified.certification.programme.code == "recovery-peers"
    assert decertified.reason and decertified.appeal == Decertification.Appeal.LODGED
    assert decertified.appeal_lodged_on is not None
    assert decertified.supervision_sessions.exists()
    today = timezone.localdate()
    lapsed = [
        s
        for s in standings(demo_profiles()).values()
        if s.certification.expires_on and s.certification.expires_on < today
    ]
    assert lapsed and all(
        (today - s.certification.expires_on).days <= 45
        for s in lapsed
        if s.certification.expires_on
    )


# ---------------------------------------------------------------------------------------
# Supervision and wellbeing


def test_supervision_is_on_time_for_most_and_overdue_for_several() -> None:
    working = [p for p in demo_profiles() if p.status != PeerProfile.Status.LEFT]
    overdue = supervision_overdue(working)
    late = sum(overdue.values())
    assert late >= 5
    assert len(overdue) - late > 3 * late


def test_open_burnout_alerts_match_the_peers_on_hold() -> None:
    held = set(PeerProfile.objects.filter(capacity_hold=True).values_list("pk", flat=True))
    alerted = set(
        WorkforceAlert.objects.filter(
            kind=WorkforceAlert.Kind.BURNOUT, resolved_at__isnull=True
        ).values_list("profile_id", flat=True)
    )
    assert len(held) >= 3 and held == alerted
    for profile_id in held:
        latest = WellbeingCheckIn.objects.filter(
            profile_id=profile_id, kind=WellbeingCheckIn.Kind.CBI
        ).first()
        assert latest is not None and latest.high


def test_struggling_pulses_raise_an_alert() -> None:
    struggling = set(
        WellbeingCheckIn.objects.filter(pulse=WellbeingCheckIn.Pulse.STRUGGLING).values_list(
            "profile_id", flat=True
        )
    )
    alerted = set(
        WorkforceAlert.objects.filter(
            kind=WorkforceAlert.Kind.PULSE_LOW, resolved_at__isnull=True
        ).values_list("profile_id", flat=True)
    )
    assert len(struggling) >= 2 and struggling == alerted


def test_check_in_scores_are_the_instruments_scores_of_the_answers() -> None:
    cbi = get_instrument("cbi")
    rows = list(WellbeingCheckIn.objects.filter(kind=WellbeingCheckIn.Kind.CBI))
    thresholds = dict(WorkforceSettings.objects.values_list("programme_id", "burnout_threshold"))
    programme_of = dict(PeerProfile.objects.values_list("pk", "programme_id"))
    assert len(rows) >= 200
    for row in rows:
        result = score(cbi, row.answers, scales=CHECKIN_PARTS)
        assert (row.work_score, row.client_score) == (result.value("work"), result.value("client"))
        assert row.instrument_version == result.version
        threshold = thresholds[programme_of[row.profile_id]]
        assert row.high == any(
            v is not None and v >= threshold for v in (row.work_score, row.client_score)
        )


# ---------------------------------------------------------------------------------------
# Applicants


def test_applications_cover_every_status_with_their_records() -> None:
    applications = list(
        PeerApplication.objects.filter(programme__site__organisation__slug="bridges")
        .select_related("person")
        .prefetch_related("screenings")
    )
    assert {a.status for a in applications} >= set(PeerApplication.Status.values)
    assert {a.source for a in applications} == set(PeerApplication.Source.values)
    assert len({a.programme_id for a in applications}) >= 3
    for application in applications:
        assert LivedExperience.objects.filter(
            person=application.person,
            programme=application.programme,
            perspective=LivedExperience.Perspective.BEEN_THROUGH,
        ).exists()
        status = application.status
        if status == PeerApplication.Status.SUBMITTED:
            assert not application.screenings.all()
        if status == PeerApplication.Status.SCREENING:
            assert application.screenings.all()
        if status in (PeerApplication.Status.REDIRECTED, PeerApplication.Status.DECLINED):
            assert application.decision_reason and application.decided_by_id
        if status == PeerApplication.Status.REDIRECTED:
            assert application.redirected_to
        if status == PeerApplication.Status.ACCEPTED:
            user = application.person.user
            assert user is not None and not user.has_usable_password()
            assert application.profile.status == PeerProfile.Status.TRAINING
            assert RoleAssignment.objects.filter(
                user=user, role=Role.PEER_SUPPORTER, programme=application.programme
            ).exists()
        else:
            assert application.person.user_id is None


# ---------------------------------------------------------------------------------------
# Valid, audited, loaded once


def test_a_sample_of_every_kind_of_row_is_valid() -> None:
    for model in WORKFORCE_MODELS:
        rows = list(model.objects.order_by("pk"))  # type: ignore[attr-defined]
        assert rows, model
        for row in rows[:: max(1, len(rows) // 12)]:
            row.full_clean()


def test_creations_are_audited() -> None:
    for model in (PeerProfile, PeerApplication, TrainingAttendance, WellbeingCheckIn):
        label = model._meta.label_lower
        created = AuditEvent.objects.filter(object_type=label, action=AuditEvent.Action.CREATE)
        assert created.count() >= model.objects.count(), label


def test_loading_twice_changes_nothing() -> None:
    watched = (*WORKFORCE_MODELS, User, Person, RoleAssignment, LivedExperience, AuditEvent)
    before = [model.objects.count() for model in watched]  # type: ignore[attr-defined]
    load_demo()
    programmes = {spec["letter"]: Programme.objects.get(code=spec["code"]) for spec in PROGRAMMES}
    organisation = programmes["a"].site.organisation
    staff = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=DEMO_DOMAIN)}
    assert demo_workforce_loaded(organisation)
    now = timezone.now()
    drawer = workforce_drawer(timezone.localdate(now))
    taxonomy = Taxonomy(organisation, programmes.values())
    load_demo_workforce(Demo(organisation, programmes, staff, {}, drawer, taxonomy, now))
    assert [model.objects.count() for model in watched] == before  # type: ignore[attr-defined]
