"""Peer eligibility: standings() in bulk against standing() per peer (issue 4).

    .venv/bin/python -m bench.eligibility --size S|M|L     (200 / 2,000 / 20,000 profiles)

Runs against a throwaway SQLite database in a temporary folder (migrated here). Seeds one
organisation with 8 programmes (7 required modules, 3 required competencies, 3 current
agreement texts each with an older version, a required certification framework for half
of them) and the peer profiles spread over them, each with attendance, competency checks,
signatures, certifications (some expired, refused or decertified), some paused, on hold
or left, and 0 to 5 live capacity reservations. Then measures in one process:
- per_profile: `standing(profile)` once per profile, for at most 500 profiles spread over
  the list, extrapolated to the full size (the baseline of ratio_to_baseline);
- bulk: `standings(profiles)` for every profile at once;
- bulk_queries: SQL statements issued by bulk against per_profile (counted, not timed);
- reserve: `capacity_reserve` for 1,000 match reservations one after another.
It asserts that bulk and per_profile give identical Standings for the measured profiles.
peak_mib is the process's peak resident memory once the method has run (seeding runs
first, in one batch per programme; its own peak is on the `seed:` line).
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.imports import Timing, peak_mib, setup_django, timed

SIZES = {"S": 200, "M": 2_000, "L": 20_000}
BASELINE_PROFILES = 500
QUERY_SAMPLE = 20
PROGRAMMES = 8
RESERVATIONS = 1_000
RESERVE_PEERS = 50
SEED = 20_240_404
DAY = datetime.timedelta(days=1)


@dataclass
class Curriculum:
    """What one programme asks of its peers, as ids the seeding refers to."""

    programme_id: int
    framework_id: int | None
    sessions: dict[int, list[tuple[int, Decimal]]] = field(default_factory=dict)
    refreshers: list[tuple[int, Decimal]] = field(default_factory=list)
    competencies: list[int] = field(default_factory=list)
    old_texts: list[int] = field(default_factory=list)
    current_texts: list[int] = field(default_factory=list)


@dataclass
class World:
    organisation_id: int
    assessor: Any
    leader: Any
    coordinator: Any
    spare_framework_id: int
    curricula: list[Curriculum]


def _programmes(site: Any) -> list[Any]:
    from peerbridge.organisations.models import Programme
    from peerbridge.organisations.services import programme_create

    areas = list(Programme.ConditionArea.values)
    return [
        programme_create(
            site=site,
            created_by=None,
            code=f"bench-{number}",
            name=f"Bench programme {number}",
            condition_area=areas[number % len(areas)],
            audience=Programme.Audience.PATIENTS,
            formats=[Programme.Format.ONE_TO_ONE],
            modalities=[Programme.Modality.TELEPHONE],
            contact_cadence_days=7,
            peer_pay=Programme.PeerPay.PAID,
            status=Programme.Status.ACTIVE,
        )
        for number in range(PROGRAMMES)
    ]


def _frameworks(organisation: Any) -> list[int]:
    """Three frameworks that programmes require (the first for two programmes) and one
    that none requires."""
    from peerbridge.workforce.models import CertificationFramework as Framework

    kinds = [Framework.Kind.STATE, Framework.Kind.NATIONAL, Framework.Kind.PROGRAMME] * 2
    rows = Framework.objects.bulk_create(
        Framework(organisation=organisation, name=f"Bench framework {n}", kind=kinds[n])
        for n in range(4)
    )
    return [row.pk for row in rows]


def _curriculum(programme: Any, framework_id: int | None, period_days: int) -> Curriculum:
    """Settings, 7 required modules (plus a refresher, a staff module and a retired one)
    with sessions, 3 required competencies (plus an optional one) and two versions of
    each agreement."""
    from django.utils import timezone

    from peerbridge.workforce.models import (
        AgreementKind,
        AgreementText,
        Competency,
        TrainingModule,
        TrainingSession,
        WorkforceSettings,
    )

    WorkforceSettings.objects.create(
        programme=programme,
        required_framework_id=framework_id,
        ongoing_training_period_days=period_days,
    )
    now = timezone.now()
    found = Curriculum(programme.pk, framework_id)
    modules = TrainingModule.objects.bulk_create(
        [
            TrainingModule(
                programme=programme, title=f"Module {n}", hours=Decimal(2 + n % 3), order=n
            )
            for n in range(7)
        ]
        + [
            TrainingModule(
                programme=programme, title="Refresher", hours=Decimal("1.5"), required=False
            ),
            TrainingModule(programme=programme, title="For staff", audience="staff"),
            TrainingModule(programme=programme, title="Retired", is_active=False),
        ]
    )
    ages = {modules[n].pk: (700, 300, 60) for n in range(7)}
    ages[modules[7].pk] = (20, 90, 200, 330, 500)
    sessions = TrainingSession.objects.bulk_create(
        TrainingSession(module=module, starts_at=now - age * DAY, trainer="Bench", modality="video")
        for module in modules[:8]
        for age in ages[module.pk]
    )
    hours = {module.pk: module.hours for module in modules}
    for session in sessions:
        pair = (session.pk, hours[session.module_id])
        if session.module_id == modules[7].pk:
            found.refreshers.append(pair)
        else:
            found.sessions.setdefault(session.module_id, []).append(pair)
    found.competencies = [
        row.pk
        for row in Competency.objects.bulk_create(
            Competency(programme=programme, name=f"Competency {n}", required=n < 3, order=n)
            for n in range(4)
        )
        if row.required
    ]
    for version, age, into in (("1", 400, found.old_texts), ("2", 60, found.current_texts)):
        into.extend(
            row.pk
            for row in AgreementText.objects.bulk_create(
                AgreementText(
                    programme=programme,
                    kind=kind,
                    version=version,
                    body="Bench wording.",
                    published_at=now - age * DAY,
                )
                for kind in AgreementKind.values
            )
        )
    return found


def make_world() -> World:
    from peerbridge.core.models import User
    from peerbridge.organisations.services import organisation_create, site_create

    organisation = organisation_create(name="bench", slug="bench", created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name="bench",
        code="bench",
        level="national",
        created_by=None,
    )
    users = [
        User.objects.create_user(email=f"{role}@bench.invalid", password=None)
        for role in ("assessor", "leader", "coordinator")
    ]
    frameworks = _frameworks(organisation)
    required = [frameworks[0], frameworks[0], frameworks[1], frameworks[2]] + [None] * 4
    periods = [365, 180, 730, 365, 365, 90, 365, 540]
    curricula = [
        _curriculum(programme, required[n], periods[n])
        for n, programme in enumerate(_programmes(site))
    ]
    return World(organisation.pk, *users, frameworks[3], curricula)


class Seeder:
    """Seeded synthetic peers, written with bulk_create one programme at a time."""

    def __init__(self, world: World) -> None:
        from django.utils import timezone
        from faker import Faker

        self.world = world
        self.pick = random.Random(SEED)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(SEED)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.person_ids: list[int] = []
        self.done: set[int] = set()
        self.counts: dict[str, int] = {}

    def count(self, name: str, rows: list[Any]) -> list[Any]:
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        return rows

    def run(self, size: int) -> dict[str, int]:
        for number, curriculum in enumerate(self.world.curricula):
            share = size // PROGRAMMES + (number < size % PROGRAMMES)
            self.programme(curriculum, share)
        return self.counts

    def people(self, curriculum: Curriculum, share: int) -> list[int]:
        """About 5% of a programme's peers are already peers in an earlier programme."""
        from peerbridge.people.models import Person

        reused = set(self.pick.sample(self.person_ids, min(share // 20, len(self.person_ids))))
        fresh = Person.objects.bulk_create(
            self.count(
                "people",
                [
                    Person(
                        organisation_id=self.world.organisation_id,
                        given_name=self.fake.first_name(),
                        family_name=self.fake.last_name(),
                    )
                    for _ in range(share - len(reused))
                ],
            )
        )
        new_ids = [person.pk for person in fresh]
        self.person_ids.extend(new_ids)
        return sorted(reused) + new_ids

    def profile(self, curriculum: Curriculum, person_id: int) -> Any:
        from peerbridge.workforce.models import PeerProfile

        pick = self.pick
        status = pick.choices(["active", "training", "left"], weights=[60, 30, 10])[0]
        profile = PeerProfile(
            person_id=person_id,
            programme_id=curriculum.programme_id,
            status=status,
            alias=self.fake.first_name(),
            started_on=self.today - pick.randrange(30, 900) * DAY,
            max_matches=pick.randrange(3, 9),
            max_groups=pick.randrange(1, 3),
            capacity_hold=pick.random() < 0.05,
        )
        roll = pick.random()
        if roll < 0.10:  # paused: back on a day, not sure yet, already back, or later
            profile.paused_from = self.today - pick.randrange(-10, 30) * DAY
            profile.paused_until = pick.choice([self.today + 14 * DAY, None, self.today - DAY])
            profile.pause_reason = PeerProfile.PauseReason.TIME_OFF
        return profile

    def programme(self, curriculum: Curriculum, share: int) -> None:
        from peerbridge.workforce.models import PeerProfile

        person_ids = self.people(curriculum, share)
        profiles = PeerProfile.objects.bulk_create(
            self.count("profiles", [self.profile(curriculum, pk) for pk in person_ids])
        )
        # Most available peers completed their training; most in training have not.
        self.done = {
            p.pk
            for p in profiles
            if self.pick.random() < (0.25 if p.status == PeerProfile.Status.TRAINING else 0.85)
        }
        self.training(curriculum, profiles)
        self.checks(curriculum, profiles)
        self.signatures(curriculum, profiles)
        self.certifications(curriculum, profiles)
        self.reservations(profiles)

    def training(self, curriculum: Curriculum, profiles: list[Any]) -> None:
        from peerbridge.workforce.models import TrainingAttendance

        pick, rows = self.pick, []
        for profile in profiles:
            done = profile.pk in self.done
            for sessions in curriculum.sessions.values():
                if done or pick.random() < 0.7:
                    session_id, hours = pick.choice(sessions)
                    attended = done or pick.random() < 0.9
                    rows.append(
                        TrainingAttendance(
                            session_id=session_id,
                            person_id=profile.person_id,
                            attended=attended,
                            hours=hours if attended else Decimal("0"),
                        )
                    )
            for session_id, hours in pick.sample(curriculum.refreshers, pick.randrange(0, 5)):
                rows.append(
                    TrainingAttendance(
                        session_id=session_id, person_id=profile.person_id, hours=hours
                    )
                )
        TrainingAttendance.objects.bulk_create(self.count("attendance", rows))

    def checks(self, curriculum: Curriculum, profiles: list[Any]) -> None:
        """Peers who completed their training passed each competency, some only at a
        second attempt; others may have no check yet or a newest check of "not yet"."""
        from peerbridge.workforce.models import CompetencyCheck

        pick, rows = self.pick, []
        passed, not_yet = CompetencyCheck.Result.PASSED, CompetencyCheck.Result.NOT_YET
        for profile in profiles:
            done = profile.pk in self.done
            for competency_id in curriculum.competencies:
                roll = pick.random() * (0.95 if done else 1.0)
                if roll < 0.08 and not done:
                    continue
                results = (
                    [passed]
                    if roll < 0.75
                    else [not_yet, passed]
                    if roll < 0.95
                    else [passed, not_yet]
                )
                for step, result in enumerate(results):
                    rows.append(
                        CompetencyCheck(
                            profile_id=profile.pk,
                            competency_id=competency_id,
                            result=result,
                            evidence="Role-play observed.",
                            assessed_by=self.world.assessor,
                            assessed_at=self.now - (200 - 30 * step) * DAY,
                        )
                    )
        CompetencyCheck.objects.bulk_create(self.count("competency_checks", rows))

    def signatures(self, curriculum: Curriculum, profiles: list[Any]) -> None:
        from peerbridge.workforce.models import AgreementSignature

        pick, rows = self.pick, []
        for profile in profiles:
            current_chance = 1.0 if profile.pk in self.done else 0.6
            for old, current in zip(curriculum.old_texts, curriculum.current_texts, strict=True):
                for text_id, chance in ((old, 0.7), (current, current_chance)):
                    if pick.random() < chance:
                        rows.append(
                            AgreementSignature(
                                profile_id=profile.pk, text_id=text_id, signed_name=profile.alias
                            )
                        )
        AgreementSignature.objects.bulk_create(self.count("signatures", rows))

    def certifications(self, curriculum: Curriculum, profiles: list[Any]) -> None:
        """Where a framework is required: certified (some expired), refused, decertified
        (some overturned on appeal, some effective later) or nothing yet. Elsewhere a
        few peers are decertified from a framework the programme does not require."""
        from peerbridge.workforce.models import Certification, Decertification

        pick, rows, decertified = self.pick, [], []
        for profile in profiles:
            roll = pick.random()
            framework = curriculum.framework_id
            if framework is None:
                if roll >= 0.05:
                    continue
                framework = self.world.spare_framework_id
                roll = 0.9
            issued = self.today - pick.randrange(10, 900) * DAY
            certified = Certification(
                person_id=profile.person_id,
                framework_id=framework,
                programme_id=curriculum.programme_id,
                status=Certification.Status.CERTIFIED,
                issued_on=issued,
                expires_on=issued + 730 * DAY,
                decided_by=self.world.leader,
                decided_at=self.now - (self.today - issued).days * DAY,
            )
            if roll < 0.70:
                rows.append(certified)
            elif roll < 0.78:
                certified.status = Certification.Status.NOT_CERTIFIED
                certified.issued_on = certified.expires_on = None
                rows.append(certified)
            elif roll < 0.95:
                later = Certification(
                    person_id=profile.person_id,
                    framework_id=framework,
                    programme_id=curriculum.programme_id,
                    status=Certification.Status.DECERTIFIED,
                    decided_by=self.world.leader,
                    decided_at=certified.decided_at + 5 * DAY,
                )
                rows += [certified, later]
                decertified.append(later)
        Certification.objects.bulk_create(self.count("certifications", rows))
        appeals = list(Decertification.Appeal.values)
        Decertification.objects.bulk_create(
            self.count(
                "decertifications",
                [
                    Decertification(
                        certification=row,
                        reason="Boundaries review.",
                        effective_on=self.today + pick.choice([-20, -20, -20, 15]) * DAY,
                        decided_by=self.world.leader,
                        appeal=pick.choice(appeals),
                    )
                    for row in decertified
                ],
            )
        )

    def reservations(self, profiles: list[Any]) -> None:
        """0 to 5 live reservations per available peer (mostly matches), and some
        released ones; a few peers who left or are in training still hold some."""
        from peerbridge.workforce.models import CapacityReservation, PeerProfile

        pick, rows = self.pick, []
        for profile in profiles:
            if profile.status != PeerProfile.Status.ACTIVE and pick.random() >= 0.1:
                continue
            for number in range(pick.randrange(0, 6) + pick.randrange(0, 3)):
                released = number >= 5 or pick.random() < 0.1
                kind = "match" if pick.random() < 0.8 else "group"
                rows.append(
                    CapacityReservation(
                        profile_id=profile.pk,
                        kind=kind,
                        reference=f"{kind}:{profile.pk}-{number}",
                        reserved_by=self.world.coordinator,
                        released_at=self.now if released else None,
                    )
                )
        CapacityReservation.objects.bulk_create(self.count("reservations", rows))


def line(method: str, rows: int, timing: Timing, per_row_baseline: float, **extra: Any) -> str:
    """One result line; the ratio compares seconds per profile (or per reservation) with
    the baseline's seconds per profile."""
    fields = {
        "method": method,
        "rows": rows,
        "seconds": f"{timing.seconds:.3f}",
        "cpu_seconds": f"{timing.cpu_seconds:.3f}",
        "rows_per_second": f"{rows / timing.seconds:.0f}",
        "peak_mib": f"{peak_mib():.0f}",
        "ratio_to_baseline": f"{timing.seconds / rows / per_row_baseline:.4f}",
        **extra,
    }
    return " ".join(f"{key}={value}" for key, value in fields.items())


def count_queries(run: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def reserve(profiles: list[Any], world: World) -> int:
    """1,000 match reservations, one after another, spread over peers who may take a
    match (their capacity raised so none runs out)."""
    from peerbridge.workforce.capacity import capacity_reserve
    from peerbridge.workforce.models import CapacityReservation

    for number in range(RESERVATIONS):
        capacity_reserve(
            profile=profiles[number % len(profiles)],
            kind=CapacityReservation.Kind.MATCH,
            reference=f"bench:{number}",
            actor=world.coordinator,
        )
    return RESERVATIONS


def measure_reserve(bulk: dict[int, Any], world: World, per_row: float) -> Timing:
    from peerbridge.workforce.models import CapacityReservation, PeerProfile

    eligible = [pk for pk, found in sorted(bulk.items()) if found.may_take_match][:RESERVE_PEERS]
    assert len(eligible) >= 10, f"only {len(eligible)} peers may take a match"
    PeerProfile.objects.filter(pk__in=eligible).update(max_matches=100)
    chosen = list(PeerProfile.objects.filter(pk__in=eligible).order_by("pk"))
    live = CapacityReservation.objects.filter(released_at__isnull=True)
    before = live.count()
    timing, made = timed(lambda: reserve(chosen, world))
    assert live.count() == before + made
    each = f"{timing.seconds / made * 1000:.2f}"
    print(line("reserve", made, timing, per_row, ms_per_reservation=each, peers=len(chosen)))
    return timing.scaled(1 / made)


def measure_queries(profiles: list[Any], sample: list[Any], on: datetime.date) -> tuple[int, float]:
    """Statements issued by one bulk call, and by one standing() call on average."""
    from peerbridge.workforce.eligibility import standing, standings

    size = len(profiles)
    bulk = count_queries(lambda: standings(profiles, on=on))
    few = sample[:QUERY_SAMPLE]
    each = count_queries(lambda: [standing(p, on=on) for p in few]) / len(few)
    print(
        f"method=bulk_queries rows={size} queries={bulk} per_profile_queries_each={each:g} "
        f"per_profile_queries_total={each * size:.0f} "
        f"ratio_to_baseline={bulk / (each * size):.6f}",
        flush=True,
    )
    return bulk, each * size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    size = SIZES[parser.parse_args(argv).size]
    with tempfile.TemporaryDirectory(prefix="peerbridge-bench-") as folder:
        setup_django(Path(folder))
        run(size)


def run(size: int) -> None:
    from django.utils import timezone

    from peerbridge.workforce.eligibility import standing, standings
    from peerbridge.workforce.models import PeerProfile

    seeding, (world, counts) = timed(lambda: seed(size))
    shown = " ".join(f"{name}={rows}" for name, rows in counts.items())
    print(f"seed: {shown} seconds={seeding.seconds:.1f} peak_mib={peak_mib():.0f}", flush=True)

    today = timezone.localdate()
    profiles = list(PeerProfile.objects.order_by("pk"))
    assert len(profiles) == size
    sample = profiles[:: max(1, size // BASELINE_PROFILES)][:BASELINE_PROFILES]
    timing, each = timed(lambda: {p.pk: standing(p, on=today) for p in sample})
    per_row = timing.seconds / len(sample)
    baseline = timing.scaled(size / len(sample))
    print(line("per_profile", size, baseline, per_row, measured_rows=len(sample)), flush=True)

    timing, bulk = timed(lambda: standings(profiles, on=today))
    for pk, alone in each.items():
        assert bulk[pk] == alone, f"profile {pk}: bulk {bulk[pk]} != per_profile {alone}"
    held = sum(s.matches_held + s.groups_held for s in bulk.values())
    print(
        line(
            "bulk",
            size,
            timing,
            per_row,
            identical_to_per_profile=len(each),
            may_take_match=sum(s.may_take_match for s in bulk.values()),
            needs_cover=sum(s.needs_cover for s in bulk.values()),
            live_reservations=held,
        ),
        flush=True,
    )
    queries, baseline_queries = measure_queries(profiles, sample, today)
    reservation = measure_reserve(bulk, world, per_row)
    print(
        f"headline: standings() for {size:,} profiles took {timing.seconds:.2f} s in "
        f"{queries} queries, {baseline.seconds / timing.seconds:.1f}x faster than "
        f"standing() per profile (extrapolated {baseline.seconds:.2f} s, "
        f"{baseline_queries:,.0f} queries); capacity_reserve took "
        f"{reservation.seconds * 1000:.1f} ms per reservation on SQLite"
    )


def seed(size: int) -> tuple[World, dict[str, int]]:
    world = make_world()
    return world, Seeder(world).run(size)


if __name__ == "__main__":
    sys.exit(main())
