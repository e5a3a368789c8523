"""The demo's resource directory (about 40 services in the demo towns, across needs and
languages) and navigation referrals from participants to those services, in every
status of the closed loop. Services and providers are invented; phone numbers are in
Ofcom's drama range (01632 960xxx) and addresses on example domains."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

from django.utils.text import slugify

from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation
from peerbridge.referrals.directory_services import (
    navigation_referral_connected,
    navigation_referral_make,
    navigation_referral_outcome,
    service_create,
)
from peerbridge.referrals.models import DirectoryService, Enrolment, NavigationReferral

Nav = NavigationReferral.Status


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # "{town}" is filled in
    provider: str
    needs: tuple[str, ...]
    eligibility: str
    description: str
    hours: str


SERVICES = (
    ServiceSpec(
        "{town} Housing Advice Centre",
        "{town} Council",
        ("housing",),
        "Anyone living in {town} who is homeless or at risk",
        "Tenancy advice, homelessness applications and emergency accommodation.",
        "Mon-Fri 09:00-17:00",
    ),
    ServiceSpec(
        "{town} Community Food Bank",
        "{town} Churches Together",
        ("food",),
        "With a voucher from any agency",
        "Three days of emergency food; deliveries for people who cannot travel.",
        "Mon, Wed, Fri 10:00-14:00",
    ),
    ServiceSpec(
        "{town} Money Advice Project",
        "{town} Money Advice Project",
        ("income", "legal"),
        "Adults on a low income",
        "Benefits checks, debt plans and help with forms.",
        "Tue-Thu 10:00-16:00",
    ),
    ServiceSpec(
        "Back to Work {town}",
        "{town} Employment Partnership",
        ("employment", "income"),
        "Adults out of work for six months or more",
        "Coaching, CV help and paid placements.",
        "Mon-Fri 09:30-16:30",
    ),
    ServiceSpec(
        "{town} Community Transport",
        "{town} Volunteer Drivers",
        ("transport",),
        "People who cannot use buses because of illness or disability",
        "Door-to-door rides to hospital and clinic appointments; book two days ahead.",
        "Mon-Sat 08:00-18:00",
    ),
    ServiceSpec(
        "{town} Law Centre Drop-in",
        "{town} Law Centre",
        ("legal",),
        "Anyone",
        "Free advice on housing, benefits, immigration and employment law.",
        "Wed 13:00-17:00",
    ),
    ServiceSpec(
        "{town} Talking Therapies",
        "{town} Health Trust",
        ("mental_health",),
        "Adults registered with a local GP; self-referral welcome",
        "Short courses of talking therapy for low mood and anxiety.",
        "Mon-Fri 08:00-20:00",
    ),
    ServiceSpec(
        "{town} Recovery Hub",
        "{town} Health Trust",
        ("substance_use", "social"),
        "Adults who use alcohol or drugs, and their families",
        "Detox planning, prescribing, groups and mutual aid.",
        "Mon-Fri 09:00-19:00, Sat 10:00-13:00",
    ),
    ServiceSpec(
        "{town} Carers' Centre",
        "{town} Carers' Network",
        ("caregiving", "social"),
        "Unpaid carers of any age",
        "Carer assessments, short breaks and a monthly carers' café.",
        "Mon-Fri 09:00-17:00",
    ),
    ServiceSpec(
        "{town} Family Hub",
        "{town} Council",
        ("childcare",),
        "Families with children under 19",
        "Parenting groups, stay-and-play and help with nursery places.",
        "Mon-Fri 08:30-17:00",
    ),
    ServiceSpec(
        "{town} Sexual Health and HIV Clinic",
        "{town} Health Trust",
        ("medical",),
        "Anyone, no referral needed",
        "Testing, treatment, PrEP and HIV care.",
        "Mon-Fri 08:30-19:00",
    ),
    ServiceSpec(
        "{town} Walk and Talk Group",
        "Friends of {town} Parks",
        ("social",),
        "Anyone",
        "A gentle hour's walk with a cup of tea afterwards.",
        "Sat 10:00-11:30",
    ),
    ServiceSpec(
        "{town} Evening Crisis Café",
        "{town} Wellbeing Collective",
        ("crisis", "mental_health"),
        "Adults in emotional distress",
        "A calm place to talk instead of going to A&E.",
        "Every day 18:00-23:00",
    ),
    ServiceSpec(
        "{town} Baby Bank",
        "{town} Family Network",
        ("childcare", "food"),
        "Families referred by a midwife, health visitor or support worker",
        "Clothes, cots, prams and formula for babies and toddlers.",
        "Thu 10:00-15:00",
    ),
    ServiceSpec(
        "{town} Adult Learning Service",
        "{town} College",
        ("employment",),
        "Adults 19 and over",
        "Free English, maths and digital skills courses.",
        "Term time, Mon-Thu 09:00-21:00",
    ),
    ServiceSpec(
        "{town} Equipment Loan Store",
        "{town} Health Trust",
        ("caregiving", "other"),
        "People with a therapist's assessment",
        "Wheelchairs, bath seats and feeding pumps on loan.",
        "Mon-Fri 09:00-16:00",
    ),
    ServiceSpec(
        "{town} Parent Carer Forum",
        "{town} Parent Carers",
        ("caregiving", "childcare", "social"),
        "Parents and carers of disabled children",
        "Coffee mornings, sibling days and help with school plans.",
        "Second Tuesday of the month, 10:00-12:00",
    ),
    ServiceSpec(
        "{town} Infant Feeding Team",
        "{town} Health Trust",
        ("childcare", "medical"),
        "New parents",
        "Breastfeeding and bottle-feeding support at home or in clinic.",
        "Every day 09:00-17:00",
    ),
    ServiceSpec(
        "{town} Healthy Weight Service",
        "{town} Health Trust",
        ("medical", "social"),
        "Adults referred by their GP",
        "Twelve-week groups with a dietitian and an activity coach.",
        "Mon and Thu 17:30-19:30",
    ),
    ServiceSpec(
        "{town} Family Legal Advice",
        "{town} Law Centre",
        ("legal", "childcare"),
        "Parents facing care proceedings or school exclusions",
        "Advice and representation.",
        "By appointment",
    ),
)
SERVICE_LANGUAGES = (
    ["en"],
    ["en"],
    ["en"],
    ["en", "es"],
    ["en", "pl"],
    ["en", "ar", "fr"],
    ["en", "zh"],
    ["en", "pt", "es"],
)
STREETS = ("Mill Lane", "Quay Street", "Station Road", "Chapel Walk", "Market Place")
# The needs a programme's participants are most often referred on for, by programme code.
NEEDS = {
    "recovery-peers": ("housing", "income", "employment", "substance_use", "legal", "social"),
    "family-and-peer-courses": ("mental_health", "caregiving", "social", "employment", "crisis"),
    "new-mothers": ("childcare", "food", "mental_health", "income", "medical"),
    "support-parents": ("caregiving", "childcare", "transport", "income", "other", "legal"),
    "transplant-mentors": ("transport", "income", "caregiving", "medical", "mental_health"),
    "cancer-survivor-calls": ("transport", "mental_health", "caregiving", "medical", "social"),
    "weight-mentors": ("medical", "social", "food"),
    "hiv-peer-navigation": ("medical", "housing", "income", "transport", "food", "mental_health"),
}
OUTCOMES = dict(zip(NavigationReferral.Outcome.values, (45, 25, 15, 15), strict=True))


def load_directory(
    *, organisation: Organisation, created_by: User, rng: Random, towns: Sequence[str]
) -> list[DirectoryService]:
    """Each kind of service in two of the towns: about 40 services."""
    phones = [f"+44 1632 960{n:03d}" for n in range(1000)]
    rng.shuffle(phones)
    services = []
    for spec in SERVICES:
        for town in sorted(rng.sample(list(towns), 2)):
            name = spec.name.format(town=town)
            slug = slugify(name)
            services.append(
                service_create(
                    organisation=organisation,
                    created_by=created_by,
                    hsds_id=f"demo-{slug}",
                    name=name,
                    provider=spec.provider.format(town=town),
                    description=spec.description,
                    categories=list(spec.needs),
                    eligibility=spec.eligibility.format(town=town),
                    languages=list(rng.choice(SERVICE_LANGUAGES)),
                    area=town if rng.random() < 0.7 else f"{town} and nearby villages",
                    address=f"{rng.randint(2, 180)} {rng.choice(STREETS)}, {town}",
                    opening_hours=spec.hours,
                    phone=phones.pop(),
                    email=f"hello@{slug}.example.org",
                    url=f"https://{slug}.example.org",
                )
            )
    return services


@dataclass(frozen=True)
class NavigationCandidate:
    """An open enrolment that may be referred on: consent to share is checked by the
    service; `since` is when it reached its status, `made_by` who refers."""

    enrolment: Enrolment
    since: datetime.datetime
    made_by: User
    weight: int = 1


def _service_for(
    rng: Random, services: list[DirectoryService], need: str, enrolment: Enrolment
) -> DirectoryService:
    """A service meeting the need, in the person's language and town where one exists."""
    person = enrolment.person
    offering = [service for service in services if need in service.categories]
    spoken = [s for s in offering if person.languages and person.languages[0] in s.languages]
    nearby = [s for s in spoken or offering if s.area.split(" and ")[0] in person.area]
    return rng.choice(nearby or spoken or offering)


def _refer_on(
    rng: Random,
    candidate: NavigationCandidate,
    status: str,
    services: list[DirectoryService],
    now: datetime.datetime,
) -> NavigationReferral:
    """One navigation referral taken to `status` by the services, then put at plausible
    moments between the enrolment's last change and now."""
    enrolment, actor = candidate.enrolment, candidate.made_by
    need = rng.choice(NEEDS.get(enrolment.programme.code, ("social",)))
    service = _service_for(rng, services, need, enrolment)
    referral = navigation_referral_make(
        enrolment=enrolment, service=service, need=need, made_by=actor
    )
    if status != Nav.MADE:
        referral = navigation_referral_connected(referral=referral, recorded_by=actor)
    if status == Nav.OUTCOME:
        outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
        referral = navigation_referral_outcome(
            referral=referral, outcome=outcome, recorded_by=actor
        )
    moment = candidate.since + (now - candidate.since) * rng.uniform(0.1, 0.5)
    referral.made_at = moment
    if referral.connected_at is not None:
        moment = referral.connected_at = moment + (now - moment) * rng.uniform(0.2, 0.6)
    if referral.outcome_at is not None:
        referral.outcome_at = moment + (now - moment) * rng.uniform(0.3, 0.9)
    return referral


def load_navigation(
    *,
    candidates: list[NavigationCandidate],
    services: list[DirectoryService],
    rng: Random,
    now: datetime.datetime,
    count: int = 60,
    pinned: Sequence[tuple[NavigationCandidate, str]] = (),
) -> list[NavigationReferral]:
    """About `count` navigation referrals in every status (the `pinned` ones first),
    from candidates drawn by weight; some people are referred on more than once."""
    statuses = [Nav.MADE, Nav.CONNECTED, Nav.OUTCOME]
    statuses += rng.choices(statuses, [30, 30, 40], k=max(count - len(pinned) - 3, 0))
    weights = [candidate.weight for candidate in candidates]
    planned = [*pinned, *((rng.choices(candidates, weights)[0], s) for s in statuses)]
    made = [_refer_on(rng, candidate, status, services, now) for candidate, status in planned]
    NavigationReferral.objects.bulk_update(made, ["made_at", "connected_at", "outcome_at"])
    return made
