"""Builders for the suggestions tests: a fresh programme of the demo organisation (so the
demo's own peers do not compete), peers who have been through something and waiting
participants facing something, made through the real services where one exists."""

from __future__ import annotations

import datetime
from itertools import count
from typing import Any

from django.utils import timezone

from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme, Site
from peerbridge.organisations.services import programme_create
from peerbridge.people.models import Condition, IssueTag, LivedExperience, Person
from peerbridge.people.taxonomy import lived_experience_save
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.models import PeerProfile
from tests.workforce.world import make_profile

_serial = count(1)
Perspective = LivedExperience.Perspective


def fresh_programme(
    *, modalities: tuple[str, ...] = ("telephone", "in_person"), site: str = "st-catherines"
) -> Programme:
    n = next(_serial)
    return programme_create(
        site=Site.objects.get(code=site),
        created_by=None,
        status=Programme.Status.ACTIVE,
        code=f"matching-test-{n}",
        name=f"Matching test {n}",
        condition_area=Programme.ConditionArea.SEVERAL,
        audience=Programme.Audience.BOTH,
        formats=["one_to_one"],
        modalities=list(modalities),
        contact_cadence_days=7,
        peer_pay=Programme.PeerPay.VOLUNTEER,
    )


def condition(lineage: str, programme: Programme) -> Condition:
    """A condition of the demo's taxonomy by its lineage ("Breast cancer > Mastectomy")."""
    node: Condition | None = None
    for name in lineage.split(" > "):
        node = Condition.objects.get(
            organisation_id=programme.site.organisation_id, parent=node, name=name
        )
    assert node is not None
    return node


def issue(programme: Programme, name: str) -> IssueTag:
    return IssueTag.objects.get_or_create(programme=programme, name=name)[0]


def _person(programme: Programme, *, age: int | None, **fields: Any) -> Person:
    n = next(_serial)
    today = timezone.localdate()
    born = None if age is None else today.replace(year=today.year - age) - datetime.timedelta(1)
    person = Person.objects.create(
        organisation_id=programme.site.organisation_id,
        given_name=fields.pop("given_name", f"Test{n}"),
        family_name=fields.pop("family_name", f"Person{n}"),
        date_of_birth=born,
        **fields,
    )
    return person


def _experience(
    person: Person,
    programme: Programme,
    perspective: str,
    *,
    lineage: str | None,
    facets: tuple[str, ...],
    issues: tuple[str, ...],
    since_years: float | None,
    story: str,
    relationship: str = LivedExperience.Relationship.SELF,
) -> LivedExperience:
    node = condition(lineage, programme) if lineage else None
    since = None
    if since_years is not None:
        since = timezone.localdate() - datetime.timedelta(days=int(since_years * 365.25))
    return lived_experience_save(
        person=person,
        programme=programme,
        perspective=perspective,
        relationship=relationship,
        condition=node,
        facets=[condition(f"{lineage} > {f}", programme) for f in facets],
        issues=[issue(programme, name) for name in issues],
        since=since,
        since_kind=LivedExperience.SinceKind.DIAGNOSIS if since else "",
        story=story,
        saved_by=None,
    )


def peer(
    programme: Programme,
    *,
    lineage: str | None = None,
    facets: tuple[str, ...] = (),
    issues: tuple[str, ...] = (),
    age: int | None = 50,
    gender: str = "",
    languages: tuple[str, ...] = ("en",),
    story: str = "",
    since_years: float | None = None,
    status: str = PeerProfile.Status.ACTIVE,
    max_matches: int | None = None,
    alias: str = "",
    **person_fields: Any,
) -> PeerProfile:
    """A peer who may take matches (trained, signed, certified where required)."""
    person = _person(programme, age=age, gender=gender, languages=list(languages), **person_fields)
    profile = make_profile(
        programme, person=person, ready=True, status=status, max_matches=max_matches
    )
    if alias:
        profile.alias = alias
        profile.save(update_fields=["alias"])
    _experience(
        person,
        programme,
        Perspective.BEEN_THROUGH,
        lineage=lineage,
        facets=facets,
        issues=issues,
        since_years=since_years,
        story=story,
    )
    return profile


def participant(
    programme: Programme,
    *,
    lineage: str | None = None,
    facets: tuple[str, ...] = (),
    issues: tuple[str, ...] = (),
    age: int | None = 45,
    gender: str = "",
    languages: tuple[str, ...] = ("en",),
    story: str = "",
    since_years: float | None = None,
    waiting_days: int = 10,
    priority: int = Enrolment.Priority.ROUTINE,
    **person_fields: Any,
) -> Enrolment:
    """A participant on the programme's waiting list."""
    person = _person(programme, age=age, gender=gender, languages=list(languages), **person_fields)
    _experience(
        person,
        programme,
        Perspective.FACING,
        lineage=lineage,
        facets=facets,
        issues=issues,
        since_years=since_years,
        story=story,
    )
    now = timezone.now()
    return Enrolment.objects.create(
        person=person,
        programme=programme,
        status=EnrolmentStatus.WAITING,
        source=Enrolment.Source.STAFF,
        priority=priority,
        received_at=now - datetime.timedelta(days=waiting_days + 5),
        waiting_since=now - datetime.timedelta(days=waiting_days),
    )


def past_match(
    enrolment: Enrolment, profile: PeerProfile, *, status: str, end_reason: str = ""
) -> Match:
    """An earlier match of the participant that is over (history, not a live match)."""
    return Match.objects.create(
        programme=enrolment.programme,
        enrolment=enrolment,
        profile=profile,
        status=status,
        source=Match.Source.MANUAL,
        end_reason=end_reason,
        closed_at=timezone.now(),
    )


CLOSED = (MatchStatus.DECLINED, MatchStatus.COMPLETED, MatchStatus.ENDED)
