"""The demo's people (web/demo_people.py), loaded once per session by tests/conftest.py."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from peerbridge.core.crypto import normalise_phone
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Consent, ConsentScope, LivedExperience, Person
from peerbridge.people.selectors import consent_allows
from peerbridge.referrals.models import (
    ContactAttempt,
    DirectoryService,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    NavigationReferral,
)
from peerbridge.web.demo import DEMO_DOMAIN, load_demo
from peerbridge.web.demo_people import PEOPLE_DOMAIN

pytestmark = pytest.mark.django_db
BIG_PROGRAMMES = (
    "recovery-peers",
    "family-and-peer-courses",
    "support-parents",
    "transplant-mentors",
)


def participants() -> QuerySet[Person]:
    ids = Enrolment.objects.values("person_id")
    return Person.objects.filter(pk__in=ids, merged_into__isnull=True)


def facing(lineage: str) -> list[LivedExperience]:
    rows = LivedExperience.objects.filter(perspective=LivedExperience.Perspective.FACING)
    return [
        row for row in rows.select_related("condition__parent") if str(row.condition) == lineage
    ]


def test_the_demo_has_about_300_participants_and_80_peer_supporters() -> None:
    assert participants().count() >= 280
    peers = User.objects.filter(email__endswith=f"@{PEOPLE_DOMAIN}")
    assert peers.count() >= 75
    held = RoleAssignment.objects.filter(user__in=peers, role=Role.PEER_SUPPORTER)
    assert held.values("user").distinct().count() == peers.count()
    assert not any(user.has_usable_password() for user in peers)
    been_through = LivedExperience.objects.filter(
        person__user__in=peers, perspective=LivedExperience.Perspective.BEEN_THROUGH
    )
    assert been_through.count() == peers.count()
    assert been_through.exclude(story="").count() == peers.count()


def test_peer_supporters_are_spread_over_every_programme() -> None:
    peers = RoleAssignment.objects.filter(
        user__email__endswith=f"@{PEOPLE_DOMAIN}", role=Role.PEER_SUPPORTER
    )
    per_programme = Counter(peers.values_list("programme__code", flat=True))
    assert set(per_programme) == set(Programme.objects.values_list("code", flat=True))
    assert min(per_programme.values()) >= 5


@pytest.mark.parametrize("code", BIG_PROGRAMMES)
def test_a_big_programme_has_referrals_in_every_enrolment_status(code: str) -> None:
    held = set(Enrolment.objects.filter(programme__code=code).values_list("status", flat=True))
    assert held == set(EnrolmentStatus.values)


def test_every_enrolment_status_is_in_the_demo_and_reached_through_its_history() -> None:
    assert set(Enrolment.objects.values_list("status", flat=True)) == set(EnrolmentStatus.values)
    last: dict[int, str] = {}
    for change in EnrolmentStatusChange.objects.order_by("changed_at", "pk"):
        last[change.enrolment_id] = change.to_status
    for enrolment in Enrolment.objects.only("pk", "status"):
        assert last[enrolment.pk] == enrolment.status
    unreachable = Enrolment.objects.filter(status=EnrolmentStatus.UNREACHABLE)
    for enrolment in unreachable.select_related("programme"):
        failed = enrolment.contact_attempts.exclude(outcome=ContactAttempt.Outcome.CONNECTED)
        assert failed.count() >= enrolment.programme.max_contact_attempts


def test_participants_speak_several_languages_mostly_english() -> None:
    first = Counter(person.languages[0] for person in participants())
    assert len(first) >= 5
    assert 0.6 <= first["en"] / sum(first.values()) <= 0.8


def test_caregivers_take_part_in_the_caregiver_programmes() -> None:
    kinds = Counter(
        Enrolment.objects.filter(
            programme__code__in=["support-parents", "family-and-peer-courses"]
        ).values_list("programme__code", "kind")
    )
    assert kinds[("support-parents", Enrolment.Kind.PATIENT)] == 0
    assert kinds[("support-parents", Enrolment.Kind.CAREGIVER)] >= 30
    assert kinds[("family-and-peer-courses", Enrolment.Kind.CAREGIVER)] >= 5
    carers = LivedExperience.objects.filter(
        perspective=LivedExperience.Perspective.FACING,
        programme__code="support-parents",
    )
    assert not carers.filter(relationship=LivedExperience.Relationship.SELF).exists()
    assert not carers.filter(condition__isnull=True).exists()


def test_rare_sub_conditions_are_present_and_rare() -> None:
    for lineage, programme, share in [
        ("Transplant > Lung", "transplant-mentors", 0.15),
        ("Child disability > G-tube", "support-parents", 0.15),
    ]:
        found = facing(lineage)
        in_programme = LivedExperience.objects.filter(
            programme__code=programme, perspective=LivedExperience.Perspective.FACING
        ).count()
        assert found and all(row.programme.code == programme for row in found)
        assert len(found) <= in_programme * share
    with_facets = LivedExperience.objects.filter(facets__name="With reconstruction")
    assert with_facets.exists()


def test_ages_are_between_18_and_85() -> None:
    ages = [person.age for person in participants() if person.age is not None]
    assert ages and 18 <= min(ages) and max(ages) <= 85
    banded = participants().filter(date_of_birth__isnull=True)
    assert banded.exists()
    assert set(banded.values_list("age_band", flat=True)) <= set(Person.AgeBand.values) - {
        "",
        Person.AgeBand.UNDER_18,
    }


def test_clinician_referrals_come_from_the_referrer_into_their_hospital_programmes() -> None:
    referrer = User.objects.get(email=f"referrer@{DEMO_DOMAIN}")
    clinician = Enrolment.objects.filter(source=Enrolment.Source.CLINICIAN)
    assert clinician.count() >= 10
    assert set(clinician.values_list("referred_by", flat=True)) == {referrer.pk}
    assert set(clinician.values_list("programme__code", flat=True)) == {
        "new-mothers",
        "cancer-survivor-calls",
    }
    sources = set(Enrolment.objects.values_list("source", flat=True))
    assert {"self", "clinician", "staff"} <= sources


def test_consent_scopes_are_realistic() -> None:
    scopes_by_programme: dict[str, Counter[str]] = {}
    for consent in Consent.objects.select_related("programme"):
        scopes_by_programme.setdefault(consent.programme.code, Counter()).update(consent.scopes)
    assert all(
        counts[ConsentScope.REDISCLOSURE] == 0
        for code, counts in scopes_by_programme.items()
        if code != "recovery-peers"
    )
    assert scopes_by_programme["recovery-peers"][ConsentScope.REDISCLOSURE] > 0
    assert sum(counts[ConsentScope.RESEARCH] for counts in scopes_by_programme.values()) > 50
    assert sum(c[ConsentScope.SHARE_WITH_REFERRER] for c in scopes_by_programme.values()) > 10
    withdrawn = Consent.objects.filter(change=Consent.Change.WITHDRAWN)
    assert withdrawn.exists()
    assert all(ConsentScope.SHARE_WITH_REFERRER not in row.scopes for row in withdrawn)
    for enrolment in Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE):
        assert consent_allows(
            person=enrolment.person,
            programme_id=enrolment.programme_id,
            scope=ConsentScope.PARTICIPATION,
        )


def test_dates_are_spread_over_the_last_120_days() -> None:
    now = timezone.now()
    received = [now - row.received_at for row in Enrolment.objects.all()]
    assert max(received) <= datetime.timedelta(days=121)
    assert max(received) >= datetime.timedelta(days=90)
    assert min(received) >= datetime.timedelta(0)
    waiting = Enrolment.objects.filter(status=EnrolmentStatus.WAITING)
    waits = [(now - row.waiting_since).days for row in waiting if row.waiting_since]
    assert len(waits) == waiting.count() and max(waits) - min(waits) >= 30
    for change in EnrolmentStatusChange.objects.select_related("enrolment")[:500]:
        assert change.enrolment.received_at <= change.changed_at <= now
    assert Enrolment.objects.filter(priority=Enrolment.Priority.URGENT).exists()


def test_the_directory_and_navigation_referrals_cover_every_status() -> None:
    services = DirectoryService.objects.all()
    assert services.count() >= 30
    categories = {category for row in services for category in row.categories}
    assert len(categories) >= 10
    assert len({code for row in services for code in row.languages}) >= 5
    navigations = NavigationReferral.objects.all()
    assert navigations.count() >= 50
    assert set(navigations.values_list("status", flat=True)) == set(
        NavigationReferral.Status.values
    )
    for row in navigations.select_related("enrolment"):
        assert row.enrolment.is_open and row.need in row.service.categories
        assert (
            row.made_at <= (row.connected_at or row.made_at) <= (row.outcome_at or timezone.now())
        )


def test_the_participant_login_takes_part_in_programme_a() -> None:
    person = Person.objects.get(user__email=f"participant.a@{DEMO_DOMAIN}")
    enrolment = person.enrolments.get()
    assert enrolment.programme.code == "recovery-peers"
    assert enrolment.status == EnrolmentStatus.ACTIVE
    assert person.consents.filter(programme=enrolment.programme).count() >= 2
    assert person.experiences.exists() and enrolment.navigation_referrals.exists()


def test_loading_the_demo_again_adds_nothing() -> None:
    models = (
        User,
        Person,
        Enrolment,
        EnrolmentStatusChange,
        ContactAttempt,
        Consent,
        LivedExperience,
        RoleAssignment,
        DirectoryService,
        NavigationReferral,
    )
    before = [model.objects.count() for model in models]
    load_demo()
    assert [model.objects.count() for model in models] == before


def test_no_plaintext_phone_or_email_in_the_person_table() -> None:
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone, email, notes, accessibility_needs FROM {table}")  # noqa: S608
        raw = [value for row in cursor.fetchall() for value in row if value]
    assert raw and all(value.startswith("gAAAAA") for value in raw)
    stored = "\n".join(raw)
    phones = [person.phone for person in participants() if person.phone]
    assert len(phones) >= 250
    assert not any(phone in stored or phone.replace(" ", "") in stored for phone in phones)
    emails = [person.email for person in participants() if person.email]
    assert emails and not any(email in stored for email in emails)
    assert all(
        email.endswith(("@example.org", "@example.net", "@example.com", f"@{DEMO_DOMAIN}"))
        for email in emails
    )


def test_demo_phones_leave_the_ofcom_drama_range_to_the_tests() -> None:
    """Tests hard-code 07700 900xxx numbers; a demo person sharing one would show up in
    their duplicate checks."""
    people = Person.objects.filter(organisation__slug="bridges").exclude(phone="")
    phones = [normalise_phone(person.phone) for person in people]
    assert len(phones) >= 300 and len(set(phones)) == len(phones)
    assert not [phone for phone in phones if phone.startswith(("+447700900", "07700900"))]
    assert all(phone.startswith("+1") and phone[5:9] == "5550" for phone in phones)
