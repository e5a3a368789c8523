"""The demo's peer workforce (issue 4): each programme's workforce rules, curriculum,
agreements and certification frameworks; a profile for every demo peer supporter, at
every stage (in training, ready and waiting to be made available, available, paused,
on hold after a high burnout check-in, decertified, certification expired, left);
applicants at every stage; and the history behind it all (training, supervision,
wellbeing check-ins, team events) from demo_workforce_history.

Loaded once by load_demo() after the demo's people. Seeded, so two loads build the same
workforce; bulk inserts, audited with audit_many per actor. No capacity is reserved:
that is matching's work."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from random import Random

from django.utils import timezone

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation, Programme, RoleAssignment, Site
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Person
from peerbridge.web.demo_cohorts import SEED
from peerbridge.web.demo_identities import Demo, Drawer, Taxonomy
from peerbridge.web.demo_workforce_applicants import load_applicants
from peerbridge.web.demo_workforce_history import load_history
from peerbridge.web.demo_workforce_peers import (
    TRAINING_DAYS,
    Intakes,
    Peer,
    Plan,
    at,
    audit_created,
)
from peerbridge.workforce.certification import add_months, framework_create
from peerbridge.workforce.curriculum_seed import seed_agreements, seed_curriculum
from peerbridge.workforce.models import (
    AgreementText,
    Certification,
    CertificationFramework,
    PeerProfile,
    WorkforceSettings,
)
from peerbridge.workforce.selectors import workforce_settings

day_delta = datetime.timedelta


@dataclass(frozen=True)
class Rules:
    """A programme's workforce rules: supervision every `cadence_days`, default capacity,
    ongoing training hours a year."""

    cadence_days: int
    max_matches: int
    max_groups: int
    ongoing_hours: int = 6


# One-to-one programmes support about five people at once; the course programme (B)
# and the weight groups (G) facilitate groups. Supervision is fortnightly, monthly for
# the telephone volunteers (D), the hospital mentors (E) and the weight groups (G).
RULES: dict[str, Rules] = {
    "a": Rules(14, 5, 1, ongoing_hours=10),
    "b": Rules(14, 2, 2),
    "c": Rules(14, 4, 1),
    "d": Rules(30, 3, 0),
    "e": Rules(30, 4, 0),
    "f": Rules(14, 5, 1),
    "g": Rules(30, 3, 2),
    "h": Rules(14, 6, 1),
}
DEFAULT_RULES = Rules(14, 5, 1)


@dataclass(frozen=True)
class Framework:
    letter: str  # the programme that requires it
    name: str
    issuer: str
    kind: str
    validity_months: int
    hours: Decimal
    requirements: str


FRAMEWORKS = (
    Framework(
        "a",
        "State peer recovery specialist certification",
        "State board for addiction and recovery professionals",
        CertificationFramework.Kind.STATE,
        24,
        Decimal("20"),
        "20 hours of continuing training every two years, 6 of them on ethics and "
        "boundaries, and a supervisor's attestation.",
    ),
    Framework(
        "b",
        "National peer group facilitator credential",
        "National family and peer education alliance",
        CertificationFramework.Kind.NATIONAL,
        36,
        Decimal("12"),
        "Co-teach at least one course a year and attend the annual refresher day.",
    ),
)

# Peers at the less common stages, by programme. The newest peers take the training
# stages, the longest-serving those that need years behind them; the rest are available.
SPECIAL: dict[str, tuple[Plan, ...]] = {
    "a": (Plan.DECERTIFIED, Plan.READY, Plan.BURNOUT, Plan.TRAINING, Plan.HOURS_SHORT),
    "b": (Plan.EXPIRED, Plan.NOT_CERTIFIED, Plan.TRAINING, Plan.PAUSED, Plan.PULSE_LOW),
    "c": (Plan.BURNOUT, Plan.UNSIGNED, Plan.TRAINING),
    "d": (Plan.PULSE_LOW, Plan.TRAINING, Plan.HOURS_SHORT),
    "e": (Plan.PAUSED, Plan.TRAINING),
    "f": (Plan.BURNOUT, Plan.PULSE_LOW),
    "g": (Plan.LEFT, Plan.TRAINING),
    "h": (Plan.BURNOUT, Plan.HOURS_SHORT, Plan.PAUSED),
}
RECENT = (Plan.TRAINING, Plan.READY, Plan.UNSIGNED, Plan.NOT_CERTIFIED)
LONG_SERVING = (Plan.EXPIRED, Plan.HOURS_SHORT, Plan.LEFT)
MIN_INTAKE = {Plan.HOURS_SHORT: 3, Plan.LEFT: 2, Plan.DECERTIFIED: 1}
PERSONA_PREFIXES = ("peer", "peer2")  # demo logins peer.X and peer2.X: always available
NOT_CERTIFIED_ADVICE = (
    "Co-teach two more courses alongside a certified teacher, then come to the next assessment day."
)
LEFT_REASON = "Left the programme."


# ---------------------------------------------------------------------------------------
# Entry points


def demo_workforce_loaded(organisation: Organisation) -> bool:
    """The workforce is loaded once: its first certification framework marks it."""
    return CertificationFramework.objects.filter(
        organisation=organisation, name=FRAMEWORKS[0].name
    ).exists()


def workforce_drawer(today: datetime.date) -> Drawer:
    """A drawer for the workforce's new people (applicants) that cannot meet anyone the
    demo's people loader drew: its own seeds, other fictional area codes (555-01xx
    numbers stay reserved for drama), a separate run of email numbers."""
    drawer = Drawer(today)
    drawer.rng = Random(SEED + 4)  # noqa: S311  (seeded demo data, not security)
    for offset, faker in enumerate(drawer.fakers.values()):
        faker.seed_instance(SEED + 400 + offset)
    areas = (303, 313, 410, 512, 614, 702)
    drawer.phones = [f"+1 {area} 555 01{n:02d}" for area in areas for n in range(100)]
    drawer.rng.shuffle(drawer.phones)
    drawer.emails = 5000
    return drawer


def load_demo_workforce_for(
    *,
    organisation: Organisation,
    programmes: dict[str, Programme],
    staff: dict[str, User],
    sites: dict[str, Site],
) -> None:
    """Called by load_demo(): build the demo's context and load the workforce once."""
    if demo_workforce_loaded(organisation):
        return
    now = timezone.now()
    demo = Demo(
        organisation,
        programmes,
        staff,
        sites,
        workforce_drawer(timezone.localdate(now)),
        Taxonomy(organisation, programmes.values()),
        now,
    )
    load_demo_workforce(demo)


def load_demo_workforce(demo: Demo) -> None:
    """Everything about the demo's peer workforce, once."""
    if demo_workforce_loaded(demo.organisation):
        return
    frameworks = _frameworks(demo)
    for letter, programme in demo.programmes.items():
        _rules(demo, letter, frameworks.get(letter))
        seed_curriculum(programme)
        seed_agreements(programme, published_by=demo.staff.get(f"leader.{letter}"))
    peers = _roster(demo) + load_applicants(demo)
    months = {letter: framework.validity_months or 0 for letter, framework in frameworks.items()}
    for letter, programme in demo.programmes.items():
        intakes = Intakes.draw(demo.rng, demo.now.date())
        mine = [peer for peer in peers if peer.letter == letter]
        for peer in mine:
            _dates(demo, peer, intakes, months.get(letter, 0))
        _backdate_agreements(programme, mine)
        _profiles(demo, letter, mine)
        _certifications(demo, letter, mine, frameworks.get(letter))
        load_history(demo, letter, mine, intakes)
    _end_roles_of_leavers(demo, peers)


# ---------------------------------------------------------------------------------------
# Rules, frameworks, agreements


def _frameworks(demo: Demo) -> dict[str, CertificationFramework]:
    return {
        spec.letter: framework_create(
            organisation=demo.organisation,
            actor=demo.staff.get("admin"),
            name=spec.name,
            kind=spec.kind,
            issuer=spec.issuer,
            validity_months=spec.validity_months,
            recertification_hours=spec.hours,
            recertification_requirements=spec.requirements,
        )
        for spec in FRAMEWORKS
        if spec.letter in demo.programmes
    }


def _rules(demo: Demo, letter: str, framework: CertificationFramework | None) -> None:
    spec, programme = RULES.get(letter, DEFAULT_RULES), demo.programmes[letter]
    rules: WorkforceSettings = workforce_settings(programme)
    rules.applications_open = True
    rules.supervision_cadence_days = spec.cadence_days
    rules.ongoing_training_hours = Decimal(spec.ongoing_hours)
    rules.burnout_threshold = 50
    rules.default_max_matches = spec.max_matches
    rules.default_max_groups = spec.max_groups
    rules.required_framework = framework
    rules.updated_at = demo.now
    rules.full_clean()
    rules.save()
    audit_instance(actor=demo.staff.get(f"leader.{letter}"), action=Action.UPDATE, instance=rules)


def _backdate_agreements(programme: Programme, peers: list[Peer]) -> None:
    """The seeded version 1 of each agreement was in force before the first peer
    started, so every peer signed the version that counts today."""
    starts = [peer.started for peer in peers if peer.started is not None]
    if not starts:
        return
    published = at(min(starts) - day_delta(days=14), 9)
    AgreementText.objects.filter(programme=programme, version="1").update(published_at=published)


# ---------------------------------------------------------------------------------------
# Who the peers are, and their stage


def _roster(demo: Demo) -> list[Peer]:
    """The demo's peer supporters (login-less peers and the peer.X, peer2.X logins),
    each given a stage: a few at the programme's special stages, the rest available."""
    letter_of = {programme.pk: letter for letter, programme in demo.programmes.items()}
    held = (
        RoleAssignment.objects.filter(
            role=Role.PEER_SUPPORTER, programme__in=list(demo.programmes.values())
        )
        .filter(ended_at__isnull=True)
        .order_by("programme_id", "user__email")
    )
    # Anyone who already has a place in the programme keeps it as it is.
    placed = set(
        PeerProfile.objects.filter(programme__in=list(demo.programmes.values())).values_list(
            "person__user_id", "programme_id"
        )
    )
    people = {
        person.user_id: person
        for person in Person.objects.filter(user_id__in=held.values("user_id")).select_related(
            "user"
        )
    }
    personas = {
        demo.staff[f"{prefix}.{letter}"].pk: rank
        for letter in demo.programmes
        for rank, prefix in enumerate(PERSONA_PREFIXES, start=1)
        if f"{prefix}.{letter}" in demo.staff
    }
    peers: list[Peer] = []
    for assignment in held:
        person = people.get(assignment.user_id)
        programme_id = assignment.programme_id
        if person is None or programme_id is None or (person.user_id, programme_id) in placed:
            continue
        peers.append(
            Peer(
                letter=letter_of[programme_id],
                person=person,
                persona=personas.get(assignment.user_id, 0),
                role_start=timezone.localdate(assignment.started_at),
            )
        )
    for letter in demo.programmes:
        _assign_plans(demo.rng, letter, [p for p in peers if p.letter == letter and not p.persona])
    return peers


def _assign_plans(rng: Random, letter: str, peers: list[Peer]) -> None:
    pool = sorted(peers, key=lambda peer: (peer.role_start, peer.person.pk), reverse=True)
    special = SPECIAL.get(letter, ())
    for plan in [plan for plan in special if plan in RECENT]:
        if pool:
            pool.pop(0).plan = plan
    for plan in [plan for plan in special if plan in LONG_SERVING]:
        if pool:
            pool.pop().plan = plan
    rng.shuffle(pool)
    for plan in [plan for plan in special if plan not in RECENT and plan not in LONG_SERVING]:
        if pool:
            pool.pop().plan = plan


def _intake_index(peer: Peer, intakes: Intakes) -> int:
    if peer.plan in RECENT:
        return 0
    if peer.persona:
        return peer.persona
    later = [k for k, start in enumerate(intakes.past) if start >= (peer.role_start or start)]
    return min(max(max(later, default=0), MIN_INTAKE.get(peer.plan, 0)), len(intakes.past) - 1)


def _dates(demo: Demo, peer: Peer, intakes: Intakes, months: int) -> None:
    """When the peer started, trained, was certified, became available (and left)."""
    rng, today = demo.rng, demo.now.date()
    if peer.plan in (Plan.TRAINING, Plan.ACCEPTED):
        peer.intake = intakes.current
        if peer.started is None:
            peer.started = intakes.current - day_delta(days=rng.randint(5, 25))
        return
    if peer.plan == Plan.EXPIRED and months:
        peer.periods = _lapsed_periods(rng, today, months)
        first = peer.periods[0][0] - day_delta(days=TRAINING_DAYS + 3)
        peer.intake = next((s for s in intakes.past if s <= first), intakes.past[-1])
    else:
        peer.intake = intakes.past[_intake_index(peer, intakes)]
    peer.started = peer.intake - day_delta(days=rng.randint(5, 25))
    if peer.plan == Plan.UNSIGNED:
        return
    trained = peer.intake + day_delta(days=TRAINING_DAYS)
    ready = trained + day_delta(days=rng.randint(2, 10))
    if months and peer.plan != Plan.NOT_CERTIFIED:
        if not peer.periods:
            peer.periods = _periods(
                rng, first=trained + day_delta(days=3), today=today, months=months
            )
        ready = peer.periods[0][0]
    if peer.plan in Plan.working() or peer.plan == Plan.LEFT:
        peer.activated = min(ready + day_delta(days=rng.randint(0, 10)), today)
    if peer.plan == Plan.LEFT:  # long-serving (MIN_INTAKE): left long after starting
        peer.left = today - day_delta(days=rng.randint(20, 90))


def _periods(
    rng: Random, *, first: datetime.date, today: datetime.date, months: int
) -> list[tuple[datetime.date, datetime.date]]:
    """Certification periods (issued, expires), oldest first: the first soon after
    training, each renewed in the weeks before it ran out, the latest still running."""
    issued = min(first + day_delta(days=rng.randint(0, 14)), today - day_delta(days=1))
    periods = [(issued, add_months(issued, months))]
    while periods[-1][1] <= today:
        issued = periods[-1][1] - day_delta(days=rng.randint(0, 21))
        periods.append((issued, add_months(issued, months)))
    return periods


def _lapsed_periods(
    rng: Random, today: datetime.date, months: int
) -> list[tuple[datetime.date, datetime.date]]:
    """Two periods, the latest run out last month and not renewed."""
    expires = today - day_delta(days=rng.randint(12, 40))
    issued = add_months(expires, -months)
    older_expires = issued + day_delta(days=rng.randint(0, 21))
    return [(add_months(older_expires, -months), older_expires), (issued, expires)]


# ---------------------------------------------------------------------------------------
# Profiles and certification


def _supervisors(demo: Demo, letter: str) -> list[User]:
    programme = demo.programmes[letter]
    users = [
        assignment.user
        for assignment in RoleAssignment.objects.filter(
            role=Role.SUPERVISOR, programme=programme, ended_at__isnull=True
        )
        .select_related("user")
        .order_by("user__email")
    ]
    return list(dict.fromkeys(users))


def _availability(rng: Random) -> list[dict[str, object]]:
    days = sorted(rng.sample(range(7), rng.randint(1, 3)))
    windows: list[dict[str, object]] = []
    for day in days:
        start = rng.choice((9, 10, 13, 14, 17, 18))
        windows.append(
            {"day": day, "start": f"{start:02d}:00", "end": f"{start + rng.randint(2, 3):02d}:00"}
        )
    return windows


def _status(plan: Plan) -> str:
    if plan == Plan.LEFT:
        return PeerProfile.Status.LEFT
    if plan in Plan.working():
        return PeerProfile.Status.ACTIVE
    return PeerProfile.Status.TRAINING


def _profile(demo: Demo, peer: Peer, rules: Rules, supervisors: list[User]) -> PeerProfile:
    rng, today, programme = demo.rng, demo.now.date(), demo.programmes[peer.letter]
    own = demo.staff.get(f"supervisor.{peer.letter}")
    supervisor = own if peer.persona and own else (rng.choice(supervisors) if supervisors else own)
    matches = max(rules.max_matches, 5) if peer.persona else rules.max_matches
    if not peer.persona and rng.random() < 0.3:
        matches = max(1, matches + rng.choice((-1, 1)))
    modalities = list(programme.modalities)
    if not peer.persona and len(modalities) > 1 and rng.random() < 0.4:
        modalities = rng.sample(modalities, len(modalities) - 1)
    started = peer.started or today
    profile = PeerProfile(
        person=peer.person,
        programme=programme,
        application=peer.application,
        status=_status(peer.plan),
        alias=(peer.person.preferred_name or peer.person.given_name)[:60],
        started_on=started,
        activated_on=peer.activated,
        left_on=peer.left,
        supervisor=supervisor,
        max_matches=matches,
        max_groups=rules.max_groups,
        availability=_availability(rng),
        modalities=modalities,
        created_at=at(started, 9),
    )
    if peer.plan == Plan.PAUSED:
        profile.paused_from = today - day_delta(days=rng.randint(3, 20))
        profile.paused_until = today + day_delta(days=rng.randint(7, 45))
        profile.pause_reason = rng.choice(
            [PeerProfile.PauseReason.TIME_OFF, PeerProfile.PauseReason.UNWELL]
        )
    return profile


def _profiles(demo: Demo, letter: str, peers: list[Peer]) -> None:
    rules, supervisors = RULES.get(letter, DEFAULT_RULES), _supervisors(demo, letter)
    for peer in peers:
        peer.profile = _profile(demo, peer, rules, supervisors)
    PeerProfile.objects.bulk_create([peer.profile for peer in peers if peer.profile])
    audit_created(
        [(peer.opened_by(demo), peer.profile) for peer in peers if peer.profile is not None]
    )


def _certifications(
    demo: Demo, letter: str, peers: list[Peer], framework: CertificationFramework | None
) -> None:
    if framework is None:
        return
    leader, programme = demo.staff[f"leader.{letter}"], demo.programmes[letter]
    rows: list[Certification] = []
    for peer in peers:
        for issued, expires in peer.periods:
            rows.append(
                Certification(
                    person=peer.person,
                    framework=framework,
                    programme=programme,
                    status=Certification.Status.CERTIFIED,
                    issued_on=issued,
                    expires_on=expires,
                    decided_by=leader,
                    decided_at=at(issued, 11),
                )
            )
        if peer.plan == Plan.NOT_CERTIFIED and peer.intake is not None:
            rows.append(
                Certification(
                    person=peer.person,
                    framework=framework,
                    programme=programme,
                    status=Certification.Status.NOT_CERTIFIED,
                    recommendations=NOT_CERTIFIED_ADVICE,
                    decided_by=leader,
                    decided_at=at(peer.intake + day_delta(days=TRAINING_DAYS + 7), 11),
                )
            )
        if peer.plan == Plan.DECERTIFIED and peer.periods:
            rows[-1].status = Certification.Status.DECERTIFIED
            peer.certification = rows[-1]
    Certification.objects.bulk_create(rows)
    audit_created([(leader, row) for row in rows])


def _end_roles_of_leavers(demo: Demo, peers: list[Peer]) -> None:
    """A peer who left no longer holds the peer supporter role in that programme."""
    for peer in peers:
        if peer.plan != Plan.LEFT or peer.left is None or peer.person.user_id is None:
            continue
        coordinator = demo.coordinator(peer.letter)
        assignment = RoleAssignment.objects.get(
            user_id=peer.person.user_id,
            role=Role.PEER_SUPPORTER,
            programme=demo.programmes[peer.letter],
            ended_at__isnull=True,
        )
        assignment.ended_at = at(peer.left, 17)
        assignment.ended_by = coordinator
        assignment.end_reason = LEFT_REASON
        assignment.save(update_fields=["ended_at", "ended_by", "end_reason"])
        audit_instance(actor=coordinator, action=Action.UPDATE, instance=assignment)
