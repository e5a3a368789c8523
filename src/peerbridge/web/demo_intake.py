"""Participants for the demo: each referral is walked to its enrolment status by the
intake services (referral, contact attempts, consent, validated transitions), so every
enrolment has its history. The services stamp "now", so the moments are spread over
the last 120 days afterwards, from the same seed."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from random import Random
from typing import Any

from peerbridge.core.audit import Action, audit_instance
from peerbridge.people.models import Consent, ConsentScope, LivedExperience, Person
from peerbridge.people.services import consent_record, consent_withdraw, person_update
from peerbridge.referrals.models import (
    ContactAttempt,
    Enrolment,
    EnrolmentStatusChange,
)
from peerbridge.referrals.services import (
    ReferralDetails,
    contact_attempt_log,
    enrol_with_consent,
    enrolment_transition,
    enrolment_update,
    referral_create,
)
from peerbridge.web.demo_cohorts import (
    CLINICIAN_LETTERS,
    COHORTS,
    DECLINE_REASONS,
    FACING_STORIES,
    FAILED_OUTCOMES,
    NEXT_ACTIONS,
    RECEIVED_DAYS_AGO,
    REFERRAL_REASONS,
    STATUS_WEIGHTS,
    WITHDRAWN_REASONS,
    Rel,
    S,
)
from peerbridge.web.demo_identities import Demo, contact_scopes, record_experience, weighted

Perspective = LivedExperience.Perspective
# Plain columns a referral form does not ask, which staff complete later: written for
# all the walks in one bulk update at the end.
COMPLETED_LATER = (
    "site",
    "latitude",
    "longitude",
    "pronouns",
    "gender_described",
    "cultural_background",
)


@dataclass(frozen=True)
class Step:
    kind: str  # "attempt", "enrol", "move" or "withdraw_share"
    outcome: str = ""
    channel: str = ""
    to_status: str = ""
    reason: str = ""
    decline_reason: str = ""
    wait: bool = True


@dataclass
class Walk:
    """One enrolment's way to its status, and the moments its rows were written at."""

    letter: str
    enrolment: Enrolment
    received_at: datetime.datetime
    enrol_scopes: list[str]
    change_times: list[datetime.datetime] = field(default_factory=list)
    consent_times: list[datetime.datetime] = field(default_factory=list)
    attempt_times: list[datetime.datetime] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # COMPLETED_LATER


def _attempts(
    rng: Random, channels: list[str], *, failures: int, connect: bool, in_person: bool = False
) -> list[Step]:
    steps = [
        Step("attempt", outcome=weighted(rng, FAILED_OUTCOMES), channel=rng.choice(channels))
        for _ in range(failures)
    ]
    if connect:
        channel = ContactAttempt.Channel.IN_PERSON if in_person else rng.choice(channels)
        steps.append(Step("attempt", outcome=ContactAttempt.Outcome.CONNECTED, channel=channel))
    return steps


def _intake(rng: Random, target: str, channels: list[str], letter: str, limit: int) -> list[Step]:
    """Contact attempts up to "contacted" (or "unreachable", or still "referred")."""
    unreachable = Step("move", to_status=S.UNREACHABLE, reason="No answer to repeated calls.")
    if target == S.REFERRED:
        return _attempts(rng, channels, failures=rng.choice([0, 0, 1, limit - 1]), connect=False)
    if target == S.UNREACHABLE:
        failures = limit + rng.choice([0, 0, 1])
        return [*_attempts(rng, channels, failures=failures, connect=False), unreachable]
    if target == S.DECLINED and rng.random() < 0.25:
        return []  # declined straight from the referral
    if rng.random() < 0.06:  # closed as unreachable, then they called back
        lost = _attempts(rng, channels, failures=limit, connect=False)
        return [*lost, unreachable, *_attempts(rng, channels, failures=0, connect=True)]
    in_person = letter == "c" and rng.random() < 0.4  # mentors meet mothers on the ward
    failures = rng.choice([0, 0, 0, 1, 1, 2])
    return _attempts(rng, channels, failures=failures, connect=True, in_person=in_person)


def _after_contact(rng: Random, target: str, letter: str) -> list[Step]:
    """From "contacted" on to the target status."""
    matched, active = Step("move", to_status=S.MATCHED), Step("move", to_status=S.ACTIVE)
    rematch = Step("move", to_status=S.WAITING, reason="The match did not work out.")
    if target == S.WITHDRAWN:
        stage = weighted(rng, {S.CONTACTED: 30, S.WAITING: 35, S.MATCHED: 10, S.ACTIVE: 25})
        withdraw = Step("move", to_status=S.WITHDRAWN, reason=rng.choice(WITHDRAWN_REASONS))
        return [*_after_contact(rng, stage, letter), withdraw]
    if target == S.DECLINED:
        return [Step("move", to_status=S.DECLINED, decline_reason=weighted(rng, DECLINE_REASONS))]
    if target == S.ENROLLED:
        return [Step("enrol", wait=False)]
    paths: dict[str, list[Step]] = {
        S.CONTACTED: [],
        S.WAITING: [Step("enrol")],
        S.MATCHED: [Step("enrol"), matched],
        S.ACTIVE: [Step("enrol"), matched, active],
        S.COMPLETED: [Step("enrol"), matched, active, Step("move", to_status=S.COMPLETED)],
    }
    path = paths[target]
    if target == S.WAITING and rng.random() < 0.1:
        path += [matched, rematch]
    if target == S.ACTIVE and letter == "d" and rng.random() < 0.2:
        path += [rematch, matched, active]  # support parents: a new match is offered
    return path


def _plan(rng: Random, target: str, walk: Walk, channels: list[str]) -> list[Step]:
    programme = walk.enrolment.programme
    limit = programme.max_contact_attempts
    steps = _intake(rng, target, channels, walk.letter, limit)
    if target not in (S.REFERRED, S.UNREACHABLE):
        steps += _after_contact(rng, target, walk.letter)
    enrols = any(step.kind == "enrol" for step in steps)
    if enrols and ConsentScope.SHARE_WITH_REFERRER in walk.enrol_scopes and rng.random() < 0.2:
        steps.append(Step("withdraw_share"))
    return steps


def _moments(demo: Demo, received: datetime.datetime, count: int) -> list[datetime.datetime]:
    """`count` moments after the referral, in order, all before now."""
    span = max((demo.now - received).total_seconds() - 3600, 0)
    last = demo.rng.uniform(0.4, 0.97)
    fractions = sorted(demo.rng.uniform(0.02, last) for _ in range(count))
    return [received + datetime.timedelta(seconds=span * fraction) for fraction in fractions]


def _refer(demo: Demo, letter: str) -> tuple[Enrolment, bool, dict[str, Any]]:
    """A new referral at "referred", with contact consent and the lived experience the
    person is facing. Returns the enrolment, whether they let the referrer see it, and
    the details to complete later."""
    rng, cohort, programme = demo.rng, COHORTS[letter], demo.programmes[letter]
    sources = {"self": 30, "clinician": 45, "staff": 25}
    source = weighted(rng, sources if letter in CLINICIAN_LETTERS else {"self": 55, "staff": 45})
    referred_by = {"clinician": demo.staff["referrer"], "staff": demo.coordinator(letter)}
    caregiver = rng.random() < cohort.caregivers
    lineage = weighted(rng, cohort.conditions)
    gender = demo.drawer.gender(0.7 if caregiver else cohort.women, "" if caregiver else lineage)
    fields = demo.drawer.identity(ages=cohort.ages, gender=gender)
    details = demo.drawer.place(programme, demo.sites)
    fields["area"] = details.pop("area")
    details |= demo.drawer.extras(gender=gender, language=fields["languages"][0])
    shares = source == "clinician" and rng.random() < 0.85
    result = referral_create(
        programme=programme,
        details=ReferralDetails(**fields),
        source=source,
        referred_by=referred_by.get(source),
        kind=Enrolment.Kind.CAREGIVER if caregiver else Enrolment.Kind.PATIENT,
        referral_reason=rng.choice(REFERRAL_REASONS[letter]) if source != "self" else "",
        referrer_organisation="St Catherine's Hospital" if source == "clinician" else "",
        priority=weighted(rng, {0: 70, 1: 22, 2: 8}),
        contact_scopes=contact_scopes(fields["preferred_channels"]),
        share_with_referrer=shares,
        consent_method=Consent.Method.ONLINE if source == "self" else Consent.Method.VERBAL,
    )
    person = result.enrolment.person
    record_experience(
        demo,
        person=person,
        letter=letter,
        perspective=Perspective.FACING,
        relationship=weighted(rng, cohort.relationships) if caregiver else Rel.SELF,
        lineage=lineage,
        since_days=cohort.since_days,
        story=rng.choice(FACING_STORIES) if source == "self" else "",
        saved_by=referred_by.get(source),
    )
    return result.enrolment, shares, details


def _enrol_scopes(rng: Random, enrolment: Enrolment, shares: bool) -> list[str]:
    """What the person agrees to at enrolment: taking part, the contact they chose, and
    (for many) sharing with the referrer, research and, where it applies, redisclosure."""
    scopes = [ConsentScope.PARTICIPATION, *contact_scopes(enrolment.person.preferred_channels)]
    if shares and rng.random() < 0.95:
        scopes.append(ConsentScope.SHARE_WITH_REFERRER)
    if rng.random() < 0.65:
        scopes.append(ConsentScope.RESEARCH)
    if enrolment.programme.needs_redisclosure_consent and rng.random() < 0.75:
        scopes.append(ConsentScope.REDISCLOSURE)
    return scopes


def _take(demo: Demo, walk: Walk, step: Step, at: datetime.datetime) -> None:
    """One step through the intake services, noting when it happened."""
    enrolment, actor = walk.enrolment, demo.coordinator(walk.letter)
    if step.kind == "attempt":
        reopens = enrolment.status in (S.REFERRED, S.UNREACHABLE)
        contact_attempt_log(
            enrolment=enrolment,
            channel=step.channel,
            outcome=step.outcome,
            attempted_by=actor,
            attempted_at=at,
        )
        walk.attempt_times.append(at)
        if step.outcome == ContactAttempt.Outcome.CONNECTED and reopens:
            enrolment.status = S.CONTACTED
            walk.change_times.append(at)
    elif step.kind == "enrol":
        walk.enrolment = enrol_with_consent(
            enrolment=enrolment,
            scopes=walk.enrol_scopes,
            method=weighted(demo.rng, {"verbal": 50, "written": 30, "online": 20}),
            enrolled_by=actor,
            add_to_waiting_list=step.wait,
        )
        walk.consent_times.append(at)
        walk.change_times += [at, at + datetime.timedelta(minutes=5)][: 1 + step.wait]
    elif step.kind == "move":
        walk.enrolment = enrolment_transition(
            enrolment=enrolment,
            to_status=step.to_status,
            changed_by=actor,
            reason=step.reason,
            decline_reason=step.decline_reason,
        )
        walk.change_times.append(at)
    else:
        consent_withdraw(
            person=enrolment.person,
            programme=enrolment.programme,
            scopes=[ConsentScope.SHARE_WITH_REFERRER],
            reason="Asked that the clinic is no longer updated.",
            recorded_by=actor,
        )
        walk.consent_times.append(at)


def _follow(demo: Demo, walk: Walk, steps: list[Step]) -> Walk:
    for step, at in zip(steps, _moments(demo, walk.received_at, len(steps)), strict=True):
        _take(demo, walk, step, at)
    status = walk.enrolment.status
    if status in NEXT_ACTIONS:
        enrolment_update(
            enrolment=walk.enrolment,
            updated_by=demo.coordinator(walk.letter),
            next_action=NEXT_ACTIONS[status],
            next_action_due=demo.now.date() + datetime.timedelta(days=demo.rng.randint(-5, 10)),
        )
    return walk


def _walk(demo: Demo, letter: str, target: str) -> Walk:
    enrolment, shares, details = _refer(demo, letter)
    received = demo.days_ago(*RECEIVED_DAYS_AGO[target])
    walk = Walk(letter, enrolment, received, _enrol_scopes(demo.rng, enrolment, shares))
    walk.details = details
    walk.change_times.append(received)
    walk.consent_times.append(received)  # every referral records how they may be contacted
    channels = list(enrolment.person.preferred_channels)
    return _follow(demo, walk, _plan(demo.rng, target, walk, channels))


def _targets(rng: Random, count: int) -> list[str]:
    """Every status at least once, the rest in realistic proportions."""
    rest = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()), k=count - len(S))
    targets = [str(status) for status in [*S.values, *rest]]
    rng.shuffle(targets)
    return targets


def load_participants(demo: Demo) -> list[Walk]:
    return [
        _walk(demo, letter, target)
        for letter, cohort in COHORTS.items()
        for target in _targets(demo.rng, cohort.participants)
    ]


def enrol_participant_login(demo: Demo) -> Walk | None:
    """The demo participant login (participant.a) takes part in programme A, so their
    own pages have something to show. Their person record exists already, so the
    enrolment is opened here as referral_create would, then walked by the services."""
    user = demo.staff.get("participant.a")
    person = Person.objects.filter(user=user).first() if user else None
    if person is None or person.enrolments.exists():
        return None
    programme, coordinator = demo.programmes["a"], demo.coordinator("a")
    person.organisation = demo.organisation  # not a field person_update changes
    person.save(update_fields=["organisation"])
    channels = [Person.Channel.PHONE, Person.Channel.EMAIL]
    person_update(
        person=person,
        updated_by=coordinator,
        date_of_birth=demo.drawer.birth_date(41),
        gender=Person.Gender.NOT_SAID,
        languages=["en", "es"],
        phone=demo.drawer.phones.pop(),
        email=user.email if user else "",
        preferred_channels=channels,
        preferred_times="After 6pm",
        **demo.drawer.place(programme, demo.sites),
    )
    enrolment = Enrolment(person=person, programme=programme, source=Enrolment.Source.SELF)
    enrolment.full_clean()
    enrolment.save()
    EnrolmentStatusChange.objects.create(enrolment=enrolment, to_status=S.REFERRED)
    audit_instance(actor=user, action=Action.CREATE, instance=enrolment)
    consent_record(
        person=person,
        programme=programme,
        scopes=contact_scopes(channels),
        method=Consent.Method.ONLINE,
        recorded_by=user,
    )
    record_experience(
        demo,
        person=person,
        letter="a",
        perspective=Perspective.FACING,
        relationship=Rel.SELF,
        lineage="Substance use > Alcohol",
        since_days=(90, 200),
        story=FACING_STORIES[0],
        saved_by=user,
    )
    scopes = [ConsentScope.PARTICIPATION, *contact_scopes(channels), ConsentScope.RESEARCH]
    walk = Walk("a", enrolment, demo.days_ago(60, 70), [*scopes, ConsentScope.REDISCLOSURE])
    walk.change_times.append(walk.received_at)
    walk.consent_times.append(walk.received_at)
    connected = Step("attempt", outcome=ContactAttempt.Outcome.CONNECTED, channel="phone")
    moves = [Step("move", to_status=S.MATCHED), Step("move", to_status=S.ACTIVE)]
    return _follow(demo, walk, [connected, Step("enrol"), *moves])


def backdate(walks: list[Walk]) -> None:
    """Put each walk's status changes and consents at the moments planned for them (the
    services said "now"; contact attempts were given their moment already). Each walk's
    person is new to its programme, so those rows are the walk's own, in order."""
    by_enrolment = {walk.enrolment.pk: walk for walk in walks}
    changes: dict[int, list[EnrolmentStatusChange]] = defaultdict(list)
    consents: dict[int, list[Consent]] = defaultdict(list)
    rows = EnrolmentStatusChange.objects.filter(enrolment_id__in=list(by_enrolment))
    for change in rows.only("pk", "enrolment_id", "to_status").order_by("pk"):
        changes[change.enrolment_id].append(change)
    person_ids = [walk.enrolment.person_id for walk in walks]
    for consent in Consent.objects.filter(person_id__in=person_ids).only("pk", "person_id"):
        consents[consent.person_id].append(consent)
    people = []
    for pk, walk in by_enrolment.items():
        enrolment = walk.enrolment
        for change, at in zip(changes[pk], walk.change_times, strict=True):
            change.changed_at = at
        in_order = sorted(consents[enrolment.person_id], key=lambda consent: consent.pk)
        for consent, at in zip(in_order, walk.consent_times, strict=True):
            consent.recorded_at = at
        waits = [change.changed_at for change in changes[pk] if change.to_status == S.WAITING]
        enrolment.received_at = walk.received_at
        enrolment.status_changed_at = walk.change_times[-1]
        enrolment.waiting_since = waits[-1] if waits else None
        enrolment.updated_at = max(walk.change_times + walk.consent_times + walk.attempt_times)
        people.append(Person(pk=enrolment.person_id, created_at=walk.received_at))
        for name, value in walk.details.items():
            setattr(people[-1], name, value)
    _bulk(EnrolmentStatusChange, [row for rows in changes.values() for row in rows], "changed_at")
    _bulk(Consent, [row for rows in consents.values() for row in rows], "recorded_at")
    timing = ["received_at", "status_changed_at", "waiting_since", "updated_at"]
    _bulk(Enrolment, [walk.enrolment for walk in walks], *timing)
    _bulk(Person, [p for p in people if not p.site_id], "created_at")
    _bulk(Person, [p for p in people if p.site_id], "created_at", *COMPLETED_LATER)


def _bulk(model: Any, rows: list[Any], *fields: str) -> None:
    model.objects.bulk_update(rows, list(fields), batch_size=500)
