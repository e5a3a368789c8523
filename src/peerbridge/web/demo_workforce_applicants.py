"""Applicants to become peer supporters, at every stage, in several demo programmes:
submitted (online and by staff), being screened (ratings, readiness, role-play),
accepted to training (with a login-less account, the peer supporter role and a place
in training), offered another role, declined, and one withdrawn.

Applicants are new synthetic people in the demo organisation, with what they have been
through recorded as the peers' is."""

from __future__ import annotations

import datetime

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import LivedExperience, Person
from peerbridge.web.demo_cohorts import COHORTS, PEER_STORIES, Rel
from peerbridge.web.demo_identities import Demo, ascii_slug, record_experience, weighted
from peerbridge.web.demo_workforce_peers import Peer, Plan, audit_created
from peerbridge.workforce.models import Characteristic, OtherRole, PeerApplication, Screening

days = datetime.timedelta
Status = PeerApplication.Status
Source = PeerApplication.Source
Readiness = Screening.Readiness
RolePlay = Screening.RolePlay

APPLICANT_LETTERS = ("a", "b", "c", "e", "h")
STAGES: tuple[tuple[str, str], ...] = (
    (Status.SUBMITTED, Source.PUBLIC),
    (Status.SUBMITTED, Source.STAFF),
    (Status.SCREENING, Source.PUBLIC),
    (Status.SCREENING, Source.STAFF),
    (Status.ACCEPTED, Source.PUBLIC),
    (Status.ACCEPTED, Source.STAFF),
    (Status.REDIRECTED, Source.PUBLIC),
    (Status.DECLINED, Source.PUBLIC),
)
EXTRA_STAGES: dict[str, tuple[tuple[str, str], ...]] = {"c": ((Status.WITHDRAWN, Source.PUBLIC),)}
RECEIVED_DAYS_AGO: dict[str, tuple[float, float]] = {
    Status.SUBMITTED: (0.5, 10),
    Status.SCREENING: (8, 25),
    Status.ACCEPTED: (22, 60),
    Status.REDIRECTED: (20, 80),
    Status.DECLINED: (15, 80),
    Status.WITHDRAWN: (10, 40),
}
# What screeners found, by where the application ended up: rating weights (1 concern
# to 5 strength), readiness and role-play outcomes.
SCREENED: dict[str, tuple[dict[int, int], tuple[str, ...], tuple[str, ...]]] = {
    Status.SCREENING: (
        {2: 1, 3: 2, 4: 3, 5: 2},
        (Readiness.READY, Readiness.UNSURE),
        (RolePlay.NOT_DONE, RolePlay.PASSED),
    ),
    Status.ACCEPTED: ({3: 1, 4: 3, 5: 3}, (Readiness.READY,), (RolePlay.PASSED,)),
    Status.REDIRECTED: (
        {2: 2, 3: 3, 4: 3, 5: 1},
        (Readiness.NOT_YET,),
        (RolePlay.NOT_YET, RolePlay.NOT_DONE),
    ),
    Status.DECLINED: (
        {1: 1, 2: 3, 3: 3, 4: 1},
        (Readiness.NOT_YET, Readiness.UNSURE),
        (RolePlay.NOT_YET,),
    ),
    Status.WITHDRAWN: ({3: 1, 4: 2, 5: 1}, (Readiness.READY,), (RolePlay.NOT_DONE,)),
}
READINESS_NOTES: dict[str, str] = {
    Readiness.READY: "Years into their own recovery; speaks about it with perspective.",
    Readiness.NOT_YET: "Their own experience is still very recent; talked about waiting a year.",
    Readiness.UNSURE: "Big changes at home this year; to talk over with the supervisor.",
}
ROLE_PLAY_NOTES: dict[str, str] = {
    RolePlay.PASSED: "Listened well, reflected back, comfortable with silence.",
    RolePlay.NOT_YET: "Told their own story at length; the focus drifted from the other person.",
    RolePlay.NOT_DONE: "",
}
MOTIVATIONS = (
    "Someone was there for me when I needed it most. I would like to be that person for "
    "someone else.",
    "I have been through it and come out the other side; I want people to know it can get better.",
    "I know how lonely the start feels. A call from someone who understood would have "
    "meant a lot to me.",
    "What I learnt the hard way could make someone else's road a little easier.",
)
AVAILABILITY = (
    "Weekday evenings",
    "Tuesday and Thursday mornings",
    "Weekends",
    "Most afternoons",
    "Around part-time work; flexible",
)
REFERENCES = (
    "The volunteer coordinator at the community centre where I help on Saturdays.",
    "A former manager, and my support group's facilitator.",
    "My GP practice's social prescriber knows me well.",
    "",
)
REDIRECTIONS = {
    OtherRole.ADVISORY_GROUP: "Still close to their own experience: a place on the advisory "
    "group for now, and welcome to apply again next year.",
    OtherRole.EVENTS: "Prefers to give time now and then: the events team suits that well.",
    OtherRole.ADVOCACY: "A confident speaker who would rather tell their story to many: "
    "the advocacy group asked for someone like them.",
}
DECLINE_REASONS = (
    "Could not make the training dates this year; welcome to apply for the next intake.",
    "No lived experience in this programme's area; pointed to the volunteer centre.",
)
ACCEPT_REASON = "Ready, with a strong role-play; joins the next training days."
WITHDRAW_REASON = "Withdrew: started a new job and has no time this year."


def load_applicants(demo: Demo) -> list[Peer]:
    """Every stage in each applicant programme; returns the accepted ones as peers in
    training, for the workforce loader to give a place."""
    accepted: list[Peer] = []
    for letter in APPLICANT_LETTERS:
        if letter not in demo.programmes:
            continue
        stages = STAGES + EXTRA_STAGES.get(letter, ())
        drafts = [_draft(demo, letter, status, source) for status, source in stages]
        PeerApplication.objects.bulk_create([application for application, _s in drafts])
        screenings = [screening for _a, mine in drafts for screening in mine]
        Screening.objects.bulk_create(screenings)
        audit_created((application.created_by, application) for application, _s in drafts)
        audit_created((screening.screened_by, screening) for screening in screenings)
        decided = [application for application, _s in drafts if application.decided_by]
        audit_created(((a.decided_by, a) for a in decided), action=Action.UPDATE)
        accepted += [
            _accept(demo, letter, application)
            for application, _s in drafts
            if application.status == Status.ACCEPTED
        ]
    return accepted


def _person(
    demo: Demo, letter: str, created_by: User | None, received: datetime.datetime
) -> Person:
    rng, cohort, programme = demo.rng, COHORTS[letter], demo.programmes[letter]
    caregiver = rng.random() < cohort.caregivers
    lineage = weighted(rng, cohort.conditions)
    gender = demo.drawer.gender(cohort.women, "" if caregiver else lineage)
    fields = demo.drawer.identity(ages=(22, 70), gender=gender)
    fields |= demo.drawer.place(programme, demo.sites)
    fields |= demo.drawer.extras(gender=gender, language=fields["languages"][0])
    if not fields["email"]:  # applying needs an email: it becomes the sign-in
        demo.drawer.emails += 1
        local = ascii_slug(fields["given_name"]) or "friend"
        fields["email"] = (
            f"{local}.{ascii_slug(fields['family_name']) or 'peer'}{demo.drawer.emails}@example.org"
        )
    person = Person(
        organisation=demo.organisation, created_at=received, updated_at=received, **fields
    )
    person.full_clean()
    person.save()
    audit_instance(actor=created_by, action=Action.CREATE, instance=person)
    years = rng.randint(2, 12)
    record_experience(
        demo,
        person=person,
        letter=letter,
        perspective=LivedExperience.Perspective.BEEN_THROUGH,
        relationship=weighted(rng, cohort.relationships) if caregiver else Rel.SELF,
        lineage=lineage,
        since_days=(years * 365, years * 365 + 300),
        story=PEER_STORIES[letter].format(years=years),
        saved_by=created_by,
    )
    return person


def _draft(
    demo: Demo, letter: str, status: str, source: str
) -> tuple[PeerApplication, list[Screening]]:
    """An application walked to `status`, with its screenings (not yet saved)."""
    rng, programme = demo.rng, demo.programmes[letter]
    created_by = demo.coordinator(letter) if source == Source.STAFF else None
    received = demo.days_ago(*RECEIVED_DAYS_AGO[status])
    modalities = list(programme.modalities)
    application = PeerApplication(
        programme=programme,
        person=_person(demo, letter, created_by, received),
        source=source,
        status=status,
        motivation=rng.choice(MOTIVATIONS),
        availability=rng.choice(AVAILABILITY),
        modalities=sorted(rng.sample(modalities, rng.randint(1, len(modalities)))),
        references=rng.choice(REFERENCES),
        received_at=received,
        created_by=created_by,
    )
    screenings = _screenings(demo, letter, application)
    if status not in PeerApplication.OPEN:
        last = screenings[-1].screened_at if screenings else received
        _decide(demo, letter, application, last)
    return application, screenings


def _screenings(demo: Demo, letter: str, application: PeerApplication) -> list[Screening]:
    rng, status = demo.rng, application.status
    if status not in SCREENED:
        return []
    weights, readiness_options, role_plays = SCREENED[status]
    screeners = [demo.staff.get(f"supervisor.{letter}"), demo.coordinator(letter)]
    count = 2 if status != Status.WITHDRAWN and rng.random() < 0.35 else 1
    moment, rows = application.received_at, []
    for screener in [s for s in screeners if s is not None][:count]:
        moment = min(moment + days(rng.uniform(2, 5)), demo.now - days(hours=3))
        readiness, role_play = rng.choice(readiness_options), rng.choice(role_plays)
        rows.append(
            Screening(
                application=application,
                ratings={c.value: weighted(rng, weights) for c in Characteristic},
                readiness=readiness,
                readiness_notes=READINESS_NOTES[readiness],
                role_play=role_play,
                role_play_notes=ROLE_PLAY_NOTES[role_play],
                screened_by=screener,
                screened_at=moment,
            )
        )
    return rows


def _decide(
    demo: Demo, letter: str, application: PeerApplication, after: datetime.datetime
) -> None:
    rng = demo.rng
    application.decided_at = min(after + days(rng.uniform(1, 4)), demo.now - days(hours=1))
    if application.status == Status.WITHDRAWN:
        application.decision_reason = WITHDRAW_REASON
        return
    application.decided_by = demo.staff.get(f"leader.{letter}") or demo.coordinator(letter)
    if application.status == Status.REDIRECTED:
        application.redirected_to = rng.choice(sorted(REDIRECTIONS))
        application.decision_reason = REDIRECTIONS[OtherRole(application.redirected_to)]
    elif application.status == Status.DECLINED:
        application.decision_reason = rng.choice(DECLINE_REASONS)
    else:
        application.decision_reason = ACCEPT_REASON


def _accept(demo: Demo, letter: str, application: PeerApplication) -> Peer:
    """The accepted applicant's own person record gets a login-less account on their
    email (they would be invited to choose a password) and the peer supporter role."""
    person, decider = application.person, application.decided_by
    assert application.decided_at is not None and decider is not None  # noqa: S101
    user = User.objects.create_user(email=person.email, password=None)  # no usable password
    audit_instance(actor=decider, action=Action.CREATE, instance=user)
    person.user = user
    person.updated_at = application.decided_at
    person.save(update_fields=["user", "updated_at"])
    audit_instance(actor=decider, action=Action.UPDATE, instance=person)
    assignment = role_grant(
        user=user, role=Role.PEER_SUPPORTER, granted_by=decider, programme=demo.programmes[letter]
    )
    assignment.started_at = application.decided_at
    assignment.save(update_fields=["started_at"])
    started = application.decided_at.date()
    return Peer(
        letter=letter,
        person=person,
        plan=Plan.ACCEPTED,
        role_start=started,
        application=application,
        started=started,
    )
