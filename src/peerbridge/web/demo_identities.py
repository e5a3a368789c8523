"""Seeded drawing of the demo's synthetic people: names in several languages (Faker),
ages, unique fictional phones (North American 555-01xx) and emails on example
domains, places; plus the lookups every loader step shares (the condition
taxonomy by lineage, the issue tags) and their lived experience."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from random import Random
from typing import Any, TypeVar

from faker import Faker

from peerbridge.core.models import User
from peerbridge.organisations.models import Organisation, Programme, Site
from peerbridge.people.models import (
    CONTACT_SCOPE_FOR_CHANNEL,
    Condition,
    IssueTag,
    LivedExperience,
    Person,
)
from peerbridge.people.taxonomy import lived_experience_save
from peerbridge.people.taxonomy_seed import seed_issue_tags, seed_taxonomy
from peerbridge.web.demo_cohorts import (
    ACCESS_NEEDS,
    BACKGROUNDS,
    COHORTS,
    LANGUAGES,
    LOCAL_SITES,
    MEN_ONLY,
    PHONE_AREAS,
    REGIONAL_SITES,
    SECOND_LANGUAGES,
    SEED,
    TIMES,
    TOWN_OF_SITE,
    TOWNS,
    WOMEN_ONLY,
    Rel,
)

T = TypeVar("T")


def weighted(rng: Random, weights: Mapping[T, float] | Iterable[tuple[T, float]]) -> T:
    pairs: list[tuple[T, float]] = (
        list(weights.items()) if isinstance(weights, Mapping) else list(weights)
    )
    return rng.choices([item for item, _weight in pairs], [weight for _item, weight in pairs])[0]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _age_band(age: int) -> str:
    floors = [(75, "75_plus"), (65, "65_74"), (55, "55_64"), (45, "45_54"), (35, "35_44")]
    floors += [(25, "25_34"), (18, "18_24")]
    return next(band for floor, band in floors if age >= floor)


def contact_scopes(channels: Iterable[str]) -> list[str]:
    return [CONTACT_SCOPE_FOR_CHANNEL[Person.Channel(channel)] for channel in channels]


class Drawer:
    """Seeded draws of synthetic people, with unique fictional phones and emails."""

    def __init__(self, today: datetime.date) -> None:
        self.rng = Random(SEED)  # noqa: S311  (seeded demo data, not security)
        self.today = today
        locales = sorted({locale for _weight, group in LANGUAGES.values() for locale in group})
        self.fakers = {locale: Faker(locale) for locale in locales}
        for offset, faker in enumerate(self.fakers.values()):
            faker.seed_instance(SEED + offset)
        self.phones = [f"+1 {area} 555 01{n:02d}" for area in PHONE_AREAS for n in range(100)]
        self.rng.shuffle(self.phones)
        self.emails = 0

    def birth_date(self, age: int) -> datetime.date:
        birthday = self.today.replace(year=self.today.year - age, day=min(self.today.day, 28))
        return birthday - datetime.timedelta(days=self.rng.randint(1, 360))

    def gender(self, women: float, lineage: str = "") -> str:
        if lineage.startswith(MEN_ONLY):
            return Person.Gender.MAN
        if lineage.startswith(WOMEN_ONLY):
            return Person.Gender.WOMAN
        draw = self.rng.random()
        if draw < 0.04:
            others = [Person.Gender.NON_BINARY, Person.Gender.SELF_DESCRIBED]
            return self.rng.choice([*others, Person.Gender.NOT_SAID])
        return Person.Gender.WOMAN if draw < 0.04 + women * 0.96 else Person.Gender.MAN

    def identity(self, *, ages: tuple[int, int], gender: str) -> dict[str, Any]:
        """The fields of a referral (ReferralDetails) for one synthetic person."""
        rng = self.rng
        language = weighted(rng, {code: spec[0] for code, spec in LANGUAGES.items()})
        locale = rng.choice(LANGUAGES[language][1])
        faker = self.fakers[locale]
        names: dict[str, Callable[[], str]] = {
            Person.Gender.WOMAN: faker.first_name_female,
            Person.Gender.MAN: faker.first_name_male,
        }
        first_name = names.get(gender, faker.first_name)
        given, family = first_name(), faker.last_name()
        languages = [language] if language == "en" or rng.random() < 0.35 else [language, "en"]
        if language == "en" and rng.random() < 0.1:
            languages.append(rng.choice(SECOND_LANGUAGES))
        adopted = language == "zh" and rng.random() < 0.3  # an English name used day to day
        age = rng.randint(*ages)
        fields: dict[str, Any] = {
            "given_name": given,
            "family_name": family,
            "preferred_name": self.fakers["en_GB"].first_name() if adopted else "",
            "gender": gender,
            "languages": languages,
            "preferred_times": rng.choice(TIMES),
            "accessibility_needs": rng.choice(ACCESS_NEEDS) if rng.random() < 0.08 else "",
        }
        if rng.random() < 0.1:
            fields["age_band"] = _age_band(age)
        else:
            fields["date_of_birth"] = self.birth_date(age)
        return fields | self._contact(given, family)

    def _contact(self, given: str, family: str) -> dict[str, Any]:
        rng = self.rng
        has_phone = rng.random() < 0.92
        has_email = not has_phone or rng.random() < 0.7
        phone = self.phones.pop() if has_phone else ""
        email = ""
        if has_email:
            self.emails += 1
            local = f"{ascii_slug(given) or 'friend'}.{ascii_slug(family) or 'peer'}{self.emails}"
            email = f"{local}@{rng.choice(['example.org', 'example.net', 'example.com'])}"
        channels: list[str] = []
        if phone:
            channels.append(Person.Channel.PHONE)
            if rng.random() < 0.5:
                channels.append(Person.Channel.SMS)
        if email and (not phone or rng.random() < 0.5):
            channels.append(Person.Channel.EMAIL)
        return {"phone": phone, "email": email, "preferred_channels": channels}

    def place(self, programme: Programme, sites: Mapping[str, Site]) -> dict[str, Any]:
        """Where the person lives: a local site for national programmes, a town for the
        area, and for most of them rough coordinates."""
        code = programme.site.code
        if code not in TOWN_OF_SITE and code not in REGIONAL_SITES:
            code = self.rng.choice(LOCAL_SITES)
        town = TOWN_OF_SITE.get(code) or self.rng.choice(sorted(TOWNS))
        letters, latitude, longitude = TOWNS[town]
        place: dict[str, Any] = {
            "site": sites.get(code, programme.site),
            "area": f"{letters}{self.rng.randint(1, 12)}, {town}",
        }
        if self.rng.random() < 0.6:
            place["latitude"] = Decimal(f"{latitude + self.rng.uniform(-0.05, 0.05):.5f}")
            place["longitude"] = Decimal(f"{longitude + self.rng.uniform(-0.05, 0.05):.5f}")
        return place

    def extras(self, *, gender: str, language: str) -> dict[str, Any]:
        """What a referral form does not ask: pronouns, background, own words on gender."""
        pronouns = {"woman": "she/her", "man": "he/him", "non_binary": "they/them"}.get(gender)
        background = BACKGROUNDS.get(language, "")
        return {
            "pronouns": pronouns if pronouns and self.rng.random() < 0.55 else "",
            "gender_described": "Genderqueer" if gender == Person.Gender.SELF_DESCRIBED else "",
            "cultural_background": background if self.rng.random() < 0.6 else "",
        }


class Taxonomy:
    """The organisation's conditions by lineage, and each programme's issue tags."""

    def __init__(self, organisation: Organisation, programmes: Iterable[Programme]) -> None:
        seed_taxonomy(organisation)
        nodes = Condition.objects.filter(organisation=organisation).select_related("parent__parent")
        self.by_lineage = {str(node): node for node in nodes}
        self.issues: dict[int, list[IssueTag]] = {}
        for programme in programmes:
            seed_issue_tags(programme)
            tags = IssueTag.objects.filter(programme=programme, is_active=True).order_by("pk")
            self.issues[programme.pk] = list(tags)

    def resolve(self, lineage: str) -> tuple[Condition | None, list[Condition]]:
        """The most specific node known for the lineage; a facet goes in the facets,
        under its sub-condition."""
        parts = lineage.split(" > ")
        for depth in range(len(parts), 0, -1):
            node = self.by_lineage.get(" > ".join(parts[:depth]))
            if node is not None:
                if depth == Condition.MAX_DEPTH and node.parent is not None:
                    return node.parent, [node]
                return node, []
        return None, []

    def some_issues(self, rng: Random, programme: Programme) -> list[IssueTag]:
        """One to three issues, the programme's first-listed ones the most common."""
        tags = self.issues.get(programme.pk, [])
        chosen: list[IssueTag] = []
        for _ in range(min(len(tags), rng.choice([1, 1, 2, 2, 3]))):
            left = [tag for tag in tags if tag not in chosen]
            chosen.append(rng.choices(left, [1 / (rank + 1) for rank in range(len(left))])[0])
        return chosen


@dataclass
class Demo:
    """What every loader step needs: the demo's organisation, programmes by letter,
    staff by login name (the part before the @, e.g. "coordinator.a"), sites by code."""

    organisation: Organisation
    programmes: dict[str, Programme]
    staff: dict[str, User]
    sites: dict[str, Site]
    drawer: Drawer
    taxonomy: Taxonomy
    now: datetime.datetime

    @property
    def rng(self) -> Random:
        return self.drawer.rng

    def coordinator(self, letter: str) -> User:
        return self.staff[f"coordinator.{letter}"]

    def days_ago(self, low: float, high: float) -> datetime.datetime:
        return self.now - datetime.timedelta(days=self.rng.uniform(low, high))


def record_experience(
    demo: Demo,
    *,
    person: Person,
    letter: str,
    perspective: str,
    relationship: str,
    lineage: str,
    since_days: tuple[int, int],
    story: str,
    saved_by: User | None,
) -> LivedExperience:
    """What a peer has been through or a participant is facing, through the service;
    a lineage the taxonomy lacks is recorded at the nearest level it has."""
    programme = demo.programmes[letter]
    condition, facets = demo.taxonomy.resolve(lineage)
    if condition is None:
        relationship = Rel.SELF  # a caregiver's record needs the care recipient's condition
    return lived_experience_save(
        person=person,
        programme=programme,
        perspective=perspective,
        relationship=relationship,
        condition=condition,
        facets=facets,
        issues=demo.taxonomy.some_issues(demo.rng, programme),
        since=demo.now.date() - datetime.timedelta(days=demo.rng.randint(*since_days)),
        since_kind=COHORTS[letter].since_kind,
        story=story,
        saved_by=saved_by,
    )
