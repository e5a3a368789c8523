"""The demo workforce's history, per programme: training intakes, refresher and staff
sessions with who came, competency checks, signed agreements, supervision sessions (on
time for most, overdue for a few) and the one decertification with its appeal. Then
wellbeing and the team calendar (demo_workforce_wellbeing).

Rows are built in memory from each peer's planned dates and bulk inserted."""

from __future__ import annotations

import datetime
from decimal import Decimal
from random import Random

from django.utils import timezone

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.people.models import Person
from peerbridge.web.demo_identities import Demo, weighted
from peerbridge.web.demo_workforce_peers import (
    MODULE_SPACING_DAYS,
    TRAINING_DAYS,
    Intakes,
    Peer,
    Plan,
    at,
    audit_created,
)
from peerbridge.web.demo_workforce_wellbeing import load_team, load_wellbeing
from peerbridge.workforce.models import (
    AgreementSignature,
    AgreementText,
    Competency,
    CompetencyCheck,
    Decertification,
    PeerProfile,
    SupervisionSession,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
    WorkforceSettings,
)
from peerbridge.workforce.selectors import workforce_settings

days = datetime.timedelta
Modality = TrainingSession.Modality
Topic = SupervisionSession.Topic

SESSION_TIMES = {Modality.IN_PERSON: (10, 0), Modality.VIDEO: (18, 30), Modality.SELF_PACED: (9, 0)}
MODALITY_WEIGHTS = {Modality.IN_PERSON: 5, Modality.VIDEO: 4, Modality.SELF_PACED: 1}
VIDEO_LOCATION = "Video call: the link comes with the invitation"
ONLINE_LOCATION = "Online course: open it from your training page"
EXTERNAL_TRAINERS = ("Regional peer training institute", "Community health college")
PASSED_EVIDENCE = (
    "Role-play with the trainer: listened more than talked, reflected feelings back and "
    "gave no advice that was not asked for.",
    "Scenario of a low, withdrawn participant: named the warning signs, asked about safety "
    "directly and said they would call the supervisor the same day.",
    "Told part of their own story in two sentences, then turned back to the person; "
    "explained clearly what a peer can and cannot do.",
)
NOT_YET_EVIDENCE = (
    "Moved to advice early in the role-play; to practise reflecting first and try again next week."
)
GROUP_NOTES = (
    "Went round the caseloads; two people are close to finishing and ready to close well.",
    "Talked through a hard first call and what each of us says when someone goes quiet.",
    "Practised telling a short piece of our story and handing the focus back.",
    "Shared what works in the groups and what to change before the next course.",
    "Reviewed how last month's safety concern was escalated; it went as agreed.",
)
INDIVIDUAL_NOTES = (
    "Checked in on workload and rest; keeping one evening a week free of peer work.",
    "Talked about a participant who keeps cancelling; agreed how to offer a last call.",
    "Went over boundaries after a participant asked to meet outside the programme.",
    "Looked back on the first months as a peer and what support helps most.",
)
ACTIONS = (
    "Call the supervisor after any call that leaves you shaken.",
    "Read the housing section of the service directory before the next session.",
    "Book the next self-care refresher.",
    "Bring one situation to the next group supervision.",
    "",
)
GROUP_TOPICS = (Topic.CASELOAD, Topic.TEAM, Topic.SKILLS, Topic.BOUNDARIES, Topic.RISK)
INDIVIDUAL_TOPICS = (Topic.WELLBEING, Topic.CASELOAD, Topic.BOUNDARIES, Topic.RISK)
DECERTIFICATION_REASON = (
    "Met a participant privately and lent them money after supervision had agreed a plan "
    "to keep to the programme's boundaries."
)
DECERTIFICATION_EVIDENCE = (
    "The participant's own account to the coordinator; the supervision notes in which the "
    "boundary plan was agreed."
)
APPEAL_GROUNDS = "The peer asks that the board hear their account before the decision stands."


def load_history(demo: Demo, letter: str, peers: list[Peer], intakes: Intakes) -> None:
    """Everything that happened to the programme's peers, then wellbeing and the team."""
    _training(demo, letter, peers, intakes)
    _competency_checks(demo, letter, peers)
    _signatures(demo, letter, peers)
    sessions = _supervision(demo, letter, peers)
    _decertifications(demo, letter, peers, sessions)
    load_wellbeing(demo, letter, peers)
    load_team(demo, letter, peers, intakes)


# ---------------------------------------------------------------------------------------
# Training


def _trainers(demo: Demo, letter: str) -> list[str]:
    users = [demo.staff.get(f"{role}.{letter}") for role in ("supervisor", "coordinator")]
    names = [
        f"{person.given_name} {person.family_name}".strip()
        for person in Person.objects.filter(user__in=[user for user in users if user]).order_by(
            "pk"
        )
    ]
    faker = demo.drawer.fakers["en_GB"]
    names.append(f"{faker.name()} ({demo.rng.choice(EXTERNAL_TRAINERS)})")
    return names


def _session(
    demo: Demo, letter: str, module: TrainingModule, day: datetime.date, trainers: list[str]
) -> TrainingSession:
    modality = weighted(demo.rng, MODALITY_WEIGHTS)
    location = {
        Modality.IN_PERSON: f"{demo.programmes[letter].site.name}, training room",
        Modality.VIDEO: VIDEO_LOCATION,
    }.get(modality, ONLINE_LOCATION)
    return TrainingSession(
        module=module,
        starts_at=at(day, *SESSION_TIMES[modality]),
        trainer=demo.rng.choice(trainers),
        modality=modality,
        location=location,
        created_by=demo.coordinator(letter),
    )


def _courses(
    demo: Demo,
    letter: str,
    course: list[TrainingModule],
    starts: set[datetime.date],
    trainers: list[str],
) -> dict[datetime.date, list[TrainingSession]]:
    """Each intake: the required modules in order, the optional ones after them."""
    return {
        start: [
            _session(demo, letter, module, start + days(MODULE_SPACING_DAYS * i), trainers)
            for i, module in enumerate(course)
        ]
        for start in sorted(starts)
    }


def _refreshers(
    demo: Demo, letter: str, modules: list[TrainingModule], trainers: list[str]
) -> list[TrainingSession]:
    """Ongoing training through the past year and the coming weeks: the optional
    modules and the longest required ones again."""
    today, rng = demo.now.date(), demo.rng
    offered = sorted(modules, key=lambda m: (m.required, -m.hours, m.order))[:4]
    if not offered:
        return []
    past = [today - days(20 + 48 * j + rng.randint(0, 10)) for j in range(7)]
    coming = [today + days(rng.randint(8, 16)), today + days(rng.randint(35, 50))]
    return [
        _session(demo, letter, offered[j % len(offered)], day, trainers)
        for j, day in enumerate(past + coming)
    ]


def _staff_sessions(
    demo: Demo, letter: str, modules: list[TrainingModule], trainers: list[str]
) -> list[TrainingSession]:
    today, rng = demo.now.date(), demo.rng
    return [
        _session(demo, letter, module, today + days(offset), trainers)
        for module in modules
        for offset in (-rng.randint(50, 90), rng.randint(15, 35))
    ]


def _training(demo: Demo, letter: str, peers: list[Peer], intakes: Intakes) -> None:
    programme = demo.programmes[letter]
    modules = list(
        TrainingModule.objects.filter(programme=programme, is_active=True).order_by("order", "pk")
    )
    peer_modules = [m for m in modules if m.audience == TrainingModule.Audience.PEERS]
    course = [m for m in peer_modules if m.required] + [m for m in peer_modules if not m.required]
    trainers = _trainers(demo, letter)
    starts = {peer.intake for peer in peers if peer.intake} | {intakes.current, intakes.upcoming}
    courses = _courses(demo, letter, course, starts, trainers)
    refreshers = _refreshers(demo, letter, peer_modules, trainers)
    staff = _staff_sessions(
        demo, letter, [m for m in modules if m.audience == TrainingModule.Audience.STAFF], trainers
    )
    sessions = [s for run in courses.values() for s in run] + refreshers + staff
    TrainingSession.objects.bulk_create(sessions)
    coordinator = demo.coordinator(letter)
    audit_created((coordinator, session) for session in sessions)
    rows = _staff_attendance(demo, letter, staff)
    rules = workforce_settings(programme)
    for peer in peers:
        came = _intake_attendance(demo, peer, courses.get(peer.intake) if peer.intake else None)
        came += _ongoing(demo, peer, came, refreshers, rules)
        rows += [_attendance(demo, letter, peer.person.pk, s, attended) for s, attended in came]
    TrainingAttendance.objects.bulk_create(rows)
    audit_created((coordinator, row) for row in rows)


def _attendance(
    demo: Demo, letter: str, person_id: int, session: TrainingSession, attended: bool
) -> TrainingAttendance:
    hours = session.credit_hours if attended else Decimal("0")
    return TrainingAttendance(
        session=session,
        person_id=person_id,
        attended=attended,
        hours=hours,
        recorded_by=demo.coordinator(letter),
        recorded_at=session.starts_at + days(hours=float(session.credit_hours) + 1),
    )


def _staff_attendance(
    demo: Demo, letter: str, sessions: list[TrainingSession]
) -> list[TrainingAttendance]:
    users = [demo.staff.get(f"{role}.{letter}") for role in ("leader", "coordinator", "supervisor")]
    people = list(
        Person.objects.filter(user__in=[u for u in users if u]).values_list("pk", flat=True)
    )
    return [
        _attendance(demo, letter, person_id, session, True)
        for session in sessions
        if session.starts_at < demo.now
        for person_id in people
    ]


def _intake_attendance(
    demo: Demo, peer: Peer, course: list[TrainingSession] | None
) -> list[tuple[TrainingSession, bool]]:
    """The intake's sessions the peer came to (or missed)."""
    rng, now = demo.rng, demo.now
    if not course:
        return []
    if peer.plan in Plan.trained():
        return [(s, True) for s in course if s.module.required or rng.random() < 0.6]
    started = peer.started or now.date()
    held = [s for s in course if s.starts_at < now and s.starts_at.date() >= started]
    return [(s, peer.plan != Plan.TRAINING or rng.random() > 0.2) for s in held]


def _ongoing(
    demo: Demo,
    peer: Peer,
    came: list[tuple[TrainingSession, bool]],
    refreshers: list[TrainingSession],
    rules: WorkforceSettings,
) -> list[tuple[TrainingSession, bool]]:
    """Refresher sessions since the peer became available: enough hours in the
    programme's period for most, one at most for those whose ongoing training is
    overdue."""
    rng, now = demo.rng, demo.now
    if peer.activated is None:
        return []
    open_to = [
        s
        for s in refreshers
        if peer.activated < s.starts_at.date()
        and s.starts_at < now
        and (peer.left is None or s.starts_at.date() < peer.left)
    ]
    rng.shuffle(open_to)
    if peer.plan == Plan.HOURS_SHORT:
        return [(s, True) for s in open_to[:1]]
    # A few days inside the period, so the hours still count on the day after loading.
    since = now.date() - days(rules.ongoing_training_period_days - 5)
    hours = sum((s.credit_hours for s, ok in came if ok and s.starts_at.date() > since), Decimal(0))
    wanted, at_least = rules.ongoing_training_hours + rng.choice((0, 2, 4)), rng.randint(0, 2)
    chosen: list[TrainingSession] = []
    for session in open_to:
        if hours >= wanted and len(chosen) >= at_least:
            break
        chosen.append(session)
        hours += session.credit_hours
    return [(s, True) for s in chosen]


# ---------------------------------------------------------------------------------------
# Competency checks and agreements


def _competency_checks(demo: Demo, letter: str, peers: list[Peer]) -> None:
    rng, programme = demo.rng, demo.programmes[letter]
    competencies = list(
        Competency.objects.filter(programme=programme, required=True).order_by("order", "pk")
    )
    rows: list[CompetencyCheck] = []
    for peer in peers:
        profile, trained_on = peer.profile, peer.trained_on
        if profile is None or trained_on is None:
            continue
        assessor = profile.supervisor or demo.coordinator(letter)
        if peer.plan in Plan.trained():
            for index, competency in enumerate(competencies):
                day = trained_on + days(rng.randint(0, 4))
                if rng.random() < 0.15:  # not yet at the first try
                    rows.append(_check(profile, assessor, competency, day - days(7), index, False))
                rows.append(_check(profile, assessor, competency, day, index, True))
        elif peer.plan == Plan.TRAINING and competencies:
            passed = rng.random() < 0.5
            day = trained_on - days(TRAINING_DAYS - 5)
            rows.append(_check(profile, assessor, competencies[0], day, 0, passed))
    CompetencyCheck.objects.bulk_create(rows)
    audit_created((check.assessed_by, check) for check in rows)


def _check(
    profile: PeerProfile,
    assessor: User,
    competency: Competency,
    day: datetime.date,
    index: int,
    passed: bool,
) -> CompetencyCheck:
    return CompetencyCheck(
        profile=profile,
        assessed_by=assessor,
        competency=competency,
        result=CompetencyCheck.Result.PASSED if passed else CompetencyCheck.Result.NOT_YET,
        evidence=PASSED_EVIDENCE[index % len(PASSED_EVIDENCE)] if passed else NOT_YET_EVIDENCE,
        assessed_at=at(day, 15),
    )


def _signatures(demo: Demo, letter: str, peers: list[Peer]) -> None:
    rng, now = demo.rng, demo.now
    newest: dict[str, AgreementText] = {}
    for text in AgreementText.objects.filter(programme=demo.programmes[letter]).order_by(
        "-published_at", "-id"
    ):
        newest.setdefault(text.kind, text)
    texts = [newest[kind] for kind in sorted(newest)]
    rows: list[tuple[User | None, AgreementSignature]] = []
    for peer in peers:
        if peer.profile is None or peer.started is None:
            continue
        count = {
            Plan.UNSIGNED: 1,
            Plan.TRAINING: rng.randint(0, 2),
            Plan.ACCEPTED: rng.randint(0, 1),
        }.get(peer.plan, len(texts))
        first_day = max(day for day in (peer.intake, peer.started) if day is not None)
        name = f"{peer.person.given_name} {peer.person.family_name}".strip()
        for text in texts[:count]:
            signed = min(at(first_day + days(rng.randint(0, 8)), 19), now - days(hours=2))
            signed = max(signed, text.published_at)
            rows.append(
                (
                    peer.user,
                    AgreementSignature(
                        profile=peer.profile, text=text, signed_name=name, signed_at=signed
                    ),
                )
            )
    AgreementSignature.objects.bulk_create([signature for _actor, signature in rows])
    audit_created(rows)


# ---------------------------------------------------------------------------------------
# Supervision


def _choose_overdue(rng: Random, peers: list[Peer], cadence: int, today: datetime.date) -> None:
    """One available peer a programme whose supervision is overdue, and a few more."""
    fits = [
        peer
        for peer in peers
        if not peer.persona
        and peer.activated is not None
        and peer.activated <= today - days(cadence + 40)
        and peer.plan in Plan.working() - {Plan.PAUSED}
        and peer.left is None
    ]
    chosen = [peer for peer in fits if rng.random() < 0.1]
    available = [peer for peer in fits if peer.plan == Plan.AVAILABLE and peer not in chosen]
    if available:
        chosen.append(rng.choice(available))
    for peer in chosen:
        peer.last_supervised = today - days(cadence + rng.randint(4, 25))


def _attends(rng: Random, peer: Peer, day: datetime.date, *, latest: bool) -> bool:
    if not peer.in_team_on(day):
        return False
    if peer.last_supervised is not None and day > peer.last_supervised:
        return False
    return latest or rng.random() < 0.8


def _meeting(
    demo: Demo, letter: str, supervisor: User, day: datetime.date, *, group: bool
) -> SupervisionSession:
    rng = demo.rng
    held = at(day, 14 if group else rng.choice((10, 11, 16)))
    topics = GROUP_TOPICS if group else INDIVIDUAL_TOPICS
    return SupervisionSession(
        programme=demo.programmes[letter],
        supervisor=supervisor,
        held_at=held,
        duration_minutes=rng.choice((60, 75, 90) if group else (30, 45, 60)),
        format=SupervisionSession.Format.GROUP if group else SupervisionSession.Format.INDIVIDUAL,
        kind=SupervisionSession.Kind.PEER
        if group and rng.random() < 0.5
        else SupervisionSession.Kind.CLINICAL,
        topics=sorted(rng.sample(topics, rng.randint(1, 3))),
        notes=rng.choice(GROUP_NOTES if group else INDIVIDUAL_NOTES),
        agreed_actions=rng.choice(ACTIONS),
        recorded_at=held + days(hours=3),
    )


def _supervision(
    demo: Demo, letter: str, peers: list[Peer]
) -> list[tuple[SupervisionSession, list[Peer]]]:
    """Group supervision at the programme's cadence over the last six months, with
    individual sessions between. Peers are supervised from the day they start; all were
    at the latest group session except the few whose supervision is overdue (and anyone
    paused)."""
    rng, today = demo.rng, demo.now.date()
    lead = demo.staff.get(f"supervisor.{letter}")
    working = [p for p in peers if p.started is not None and p.profile is not None]
    if lead is None or not working:
        return []
    cadence = workforce_settings(demo.programmes[letter]).supervision_cadence_days
    _choose_overdue(rng, working, cadence, today)
    held: list[tuple[SupervisionSession, list[Peer]]] = []
    day, latest = today - days(rng.randint(1, max(2, cadence // 3))), True
    while day >= today - days(180):
        present = [peer for peer in working if _attends(rng, peer, day, latest=latest)]
        if present:
            held.append((_meeting(demo, letter, lead, day, group=True), present))
        day, latest = day - days(cadence + rng.randint(-2, 2)), False
    for peer in working:
        supervisor = (peer.profile.supervisor if peer.profile else None) or lead
        if peer.last_supervised is not None:
            day = peer.last_supervised
        elif rng.random() < 0.5:
            day = today - days(rng.randint(cadence + 3, 150))
        else:
            continue
        if peer.in_team_on(day):
            held.append((_meeting(demo, letter, supervisor, day, group=False), [peer]))
    SupervisionSession.objects.bulk_create([session for session, _peers in held])
    through = SupervisionSession.peers.through
    through.objects.bulk_create(
        [
            through(supervisionsession_id=session.pk, peerprofile_id=peer.profile.pk)
            for session, present in held
            for peer in present
            if peer.profile is not None
        ]
    )
    audit_created((session.supervisor, session) for session, _peers in held)
    return held


def _decertifications(
    demo: Demo,
    letter: str,
    peers: list[Peer],
    sessions: list[tuple[SupervisionSession, list[Peer]]],
) -> None:
    """The decertified peer: the decision, the supervision notes it rests on, and the
    appeal the peer lodged, still open."""
    rng, today = demo.rng, demo.now.date()
    leader = demo.staff[f"leader.{letter}"]
    for peer in peers:
        certification = peer.certification
        if certification is None or certification.issued_on is None:
            continue
        effective = max(today - days(rng.randint(8, 25)), certification.issued_on + days(1))
        decertification = Decertification(
            certification=certification,
            reason=DECERTIFICATION_REASON,
            evidence=DECERTIFICATION_EVIDENCE,
            effective_on=effective,
            decided_by=leader,
            decided_at=at(effective, 16),
            appeal=Decertification.Appeal.LODGED,
            appeal_lodged_on=min(effective + days(rng.randint(2, 7)), today),
            appeal_notes=APPEAL_GROUNDS,
        )
        decertification.full_clean()
        decertification.save()
        notes = [
            session
            for session, present in sessions
            if peer in present and timezone.localdate(session.held_at) <= effective
        ][:2]
        decertification.supervision_sessions.set(notes)
        audit_instance(actor=leader, action=Action.CREATE, instance=decertification)
        audit_instance(actor=peer.user, action=Action.UPDATE, instance=decertification)
