"""The demo: one organisation, its sites, the eight programme models of the domain brief
(programmes A to G of Joo et al., seed 004, and an HIV peer programme after seed 000),
and synthetic staff for every role. Running it twice adds nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext_lazy
from faker import Faker

from peerbridge.core.models import User
from peerbridge.organisations import services as organisation_services
from peerbridge.organisations.models import Organisation, Programme, RoleAssignment, Site
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Person
from peerbridge.people.services import person_create
from peerbridge.web.demo_evaluation import load_demo_evaluation_for
from peerbridge.web.demo_matching import load_demo_matching_for
from peerbridge.web.demo_outcomes import load_demo_outcomes_for
from peerbridge.web.demo_people import load_demo_people
from peerbridge.web.demo_support import load_demo_support_for
from peerbridge.web.demo_workforce import load_demo_workforce_for

DEMO_PASSWORD = "peerbridge-demo"  # noqa: S105  (printed for the demo; DEBUG only)
DEMO_DOMAIN = "demo.peerbridge.test"
P = Programme

SITES: list[tuple[str, str | None, str, str]] = [
    # code, parent code, name, level
    ("national", None, "Bridges national office", Site.Level.NATIONAL),
    ("north", "national", "Northern region", Site.Level.REGIONAL),
    ("south", "national", "Southern region", Site.Level.REGIONAL),
    ("riverside", "north", "Riverside affiliate", Site.Level.LOCAL),
    ("lakeside", "north", "Lakeside affiliate", Site.Level.LOCAL),
    ("harbour", "south", "Harbour City affiliate", Site.Level.LOCAL),
    ("st-catherines", "harbour", "St Catherine's Hospital", Site.Level.SERVICE),
    ("university-hospital", "south", "University Hospital transplant centre", Site.Level.SERVICE),
]

PROGRAMMES: list[dict[str, Any]] = [
    {
        "letter": "a",
        "site": "riverside",
        "code": "recovery-peers",
        "name": "Recovery peer counselling",
        "summary": "One-to-one peer counselling in person, with 12-step meetings around the "
        "clock and navigation to housing, income and education.",
        "condition_area": P.ConditionArea.SUBSTANCE_USE,
        "condition_detail": "Drugs and alcohol",
        "audience": P.Audience.PATIENTS,
        "formats": ["one_to_one", "group"],
        "modalities": ["in_person", "telephone"],
        "duration_weeks": None,
        "contact_cadence_days": 7,
        "peer_pay": P.PeerPay.PAID,
    },
    {
        "letter": "b",
        "site": "national",
        "code": "family-and-peer-courses",
        "name": "Family and peer education courses",
        "summary": "Peer-taught structured courses and support groups for people living with "
        "mental illness and their families, run by state and local affiliates with certified "
        "teachers, a signed code of conduct and fidelity reports.",
        "condition_area": P.ConditionArea.MENTAL_HEALTH,
        "condition_detail": "Mental illness",
        "audience": P.Audience.BOTH,
        "formats": ["group"],
        "modalities": ["in_person", "video"],
        "duration_weeks": 12,
        "contact_cadence_days": 7,
        "peer_pay": P.PeerPay.VOLUNTEER,
    },
    {
        "letter": "c",
        "site": "st-catherines",
        "code": "new-mothers",
        "name": "New mothers' mentors",
        "summary": "Mothers meet their mentor before leaving hospital, then have twelve weeks of "
        "telephone support, with community groups. Mentors watch for signs of depression and "
        "refer to nurses.",
        "condition_area": P.ConditionArea.NEW_MOTHERHOOD,
        "condition_detail": "After delivery",
        "audience": P.Audience.PATIENTS,
        "formats": ["one_to_one", "group"],
        "modalities": ["telephone", "in_person"],
        "duration_weeks": 12,
        "contact_cadence_days": 7,
        "peer_pay": P.PeerPay.VOLUNTEER,
    },
    {
        "letter": "d",
        "site": "national",
        "code": "support-parents",
        "name": "Parent to parent support",
        "summary": "A trained volunteer Support Parent calls a parent of a child with a "
        "disability. Matches are checked at one to two weeks; the support parent is reminded "
        "at three weeks; a new match is offered when one does not work. Rare conditions are "
        "matched on issues (a G-tube, cognitive delay).",
        "condition_area": P.ConditionArea.CHILD_DISABILITY,
        "condition_detail": "Children with disabilities, including rare conditions",
        "audience": P.Audience.CAREGIVERS,
        "formats": ["one_to_one"],
        "modalities": ["telephone"],
        "duration_weeks": None,
        "contact_cadence_days": 14,
        "peer_pay": P.PeerPay.VOLUNTEER,
    },
    {
        "letter": "e",
        "site": "university-hospital",
        "code": "transplant-mentors",
        "name": "Transplant and cancer mentors",
        "summary": "Hospital-based mentors by telephone or in person for patients and "
        "caregivers, matched on issues such as rejection across age and gender. Readiness is "
        "judged; peers not yet ready are offered other roles.",
        "condition_area": P.ConditionArea.SEVERAL,
        "condition_detail": "Heart, liver and lung transplant; breast, uterine and ovarian "
        "cancer; cystic fibrosis",
        "audience": P.Audience.BOTH,
        "formats": ["one_to_one"],
        "modalities": ["telephone", "in_person"],
        "duration_weeks": None,
        "contact_cadence_days": 14,
        "peer_pay": P.PeerPay.VOLUNTEER,
    },
    {
        "letter": "f",
        "site": "st-catherines",
        "code": "cancer-survivor-calls",
        "name": "Cancer survivors' calls",
        "summary": "Survivors call newly diagnosed patients, matched on surgery, then "
        "reconstruction or not and its type, then age. Family caregiver groups; a volunteer "
        "can sit with a patient before a biopsy.",
        "condition_area": P.ConditionArea.CANCER,
        "condition_detail": "Breast cancer and others",
        "audience": P.Audience.BOTH,
        "formats": ["one_to_one", "group"],
        "modalities": ["telephone", "in_person"],
        "duration_weeks": None,
        "contact_cadence_days": 7,
        "peer_pay": P.PeerPay.VOLUNTEER,
    },
    {
        "letter": "g",
        "site": "national",
        "code": "weight-mentors",
        "name": "Weight loss groups and mentors",
        "summary": "Peer group meetings and activities, with a weight loss mentor.",
        "condition_area": P.ConditionArea.WEIGHT,
        "condition_detail": "Overweight and obesity",
        "audience": P.Audience.PATIENTS,
        "formats": ["group", "one_to_one"],
        "modalities": ["in_person"],
        "duration_weeks": None,
        "contact_cadence_days": 7,
        "peer_pay": P.PeerPay.VOLUNTEER,
    },
    {
        "letter": "h",
        "site": "lakeside",
        "code": "hiv-peer-navigation",
        "name": "HIV peer navigation",
        "summary": "Stipended peers living with HIV give informational, instrumental, "
        "emotional, affiliational and appraisal support, across clinic and community, for "
        "six months after diagnosis or re-engagement in care.",
        "condition_area": P.ConditionArea.HIV,
        "condition_detail": "People living with HIV",
        "audience": P.Audience.PATIENTS,
        "formats": ["one_to_one", "group"],
        "modalities": ["in_person", "telephone", "text"],
        "duration_weeks": 26,
        "contact_cadence_days": 7,
        "peer_pay": P.PeerPay.STIPEND,
    },
]

PROGRAMME_ROLES = [
    ("leader", Role.PROGRAMME_LEADER),
    ("coordinator", Role.COORDINATOR),
    ("supervisor", Role.SUPERVISOR),
    ("peer", Role.PEER_SUPPORTER),
    ("peer2", Role.PEER_SUPPORTER),
    ("participant", Role.PARTICIPANT),
]
ON_CALL_LABEL = gettext_lazy("Supervisor, on call")
SITE_ROLES = [
    ("admin", Role.ORG_ADMIN, "national"),
    ("evaluator", Role.EVALUATOR, "national"),
    ("referrer", Role.REFERRER, "st-catherines"),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    scope: str


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _account(email: str, faker: Faker) -> User:
    # Draw the name whether or not the account exists, so every run hands out the same
    # names to the same logins.
    given, family = faker.first_name(), faker.last_name()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None)
        user.password = _demo_password_hash()  # one hash for every demo login: Argon2 is slow
        user.save(update_fields=["password"])
    if not Person.objects.filter(user=user).exists():
        person_create(given_name=given, family_name=family, created_by=None, user=user)
    return user


def _grant(
    user: User, role: str, *, site: Site | None = None, programme: Programme | None = None
) -> None:
    held = RoleAssignment.objects.filter(
        user=user, role=role, site=site, programme=programme, ended_at__isnull=True
    )
    if not held.exists():
        organisation_services.role_grant(
            user=user, role=role, granted_by=None, site=site, programme=programme
        )


def _sites(organisation: Organisation) -> dict[str, Site]:
    sites: dict[str, Site] = {}
    for code, parent_code, name, level in SITES:
        site = Site.objects.filter(organisation=organisation, code=code).first()
        if site is None:
            site = organisation_services.site_create(
                organisation=organisation,
                parent=sites[parent_code] if parent_code else None,
                name=name,
                code=code,
                level=level,
                created_by=None,
            )
        sites[code] = site
    return sites


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    faker = Faker("en_US")
    faker.seed_instance(2026)
    organisation = Organisation.objects.filter(slug="bridges").first()
    if organisation is None:
        organisation = organisation_services.organisation_create(
            name="Bridges Peer Support Network", slug="bridges", created_by=None
        )
    sites = _sites(organisation)
    logins: list[DemoLogin] = []
    staff: dict[str, User] = {}
    programmes: dict[str, Programme] = {}
    for local, role, site_code in SITE_ROLES:
        user = staff[local] = _account(_email(local), faker)
        _grant(user, role, site=sites[site_code])
        logins.append(DemoLogin(user.email, str(Role(role).label), sites[site_code].name))
    for spec in PROGRAMMES:
        values = {k: v for k, v in spec.items() if k not in {"letter", "site"}}
        programme = Programme.objects.filter(code=spec["code"]).first()
        if programme is None:
            programme = organisation_services.programme_create(
                site=sites[spec["site"]],
                created_by=None,
                status=Programme.Status.ACTIVE,
                **values,
            )
        programmes[spec["letter"]] = programme
        for prefix, role in PROGRAMME_ROLES:
            local = f"{prefix}.{spec['letter']}"
            user = staff[local] = _account(_email(local), faker)
            _grant(user, role, programme=programme)
            logins.append(DemoLogin(user.email, str(Role(role).label), programme.name))
    load_demo_people(organisation=organisation, programmes=programmes, staff=staff, sites=sites)
    load_demo_workforce_for(
        organisation=organisation, programmes=programmes, staff=staff, sites=sites
    )
    load_demo_matching_for(
        organisation=organisation, programmes=programmes, staff=staff, sites=sites
    )
    # An on-call supervisor per programme, on this week's rota (named after the other
    # logins, so their names stay as they were).
    for letter, programme in programmes.items():
        user = staff[f"oncall.{letter}"] = _account(_email(f"oncall.{letter}"), faker)
        _grant(user, Role.SUPERVISOR, programme=programme)
        logins.append(DemoLogin(user.email, str(ON_CALL_LABEL), programme.name))
    load_demo_support_for(
        organisation=organisation, programmes=programmes, staff=staff, sites=sites
    )
    load_demo_outcomes_for(programmes=programmes)
    load_demo_evaluation_for(programmes=programmes, staff=staff)
    return logins
