"""Seed data for the condition taxonomy and issue tags: the demo programmes' conditions,
and a starting point for a new organisation. Seeding is idempotent."""

from __future__ import annotations

from django.db import transaction

from peerbridge.organisations.models import Organisation, Programme
from peerbridge.people.models import Condition, IssueTag
from peerbridge.people.taxonomy import LINEAGE_SEPARATOR

# condition -> sub-condition -> facets
TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "Breast cancer": {
        "Mastectomy": ("With reconstruction", "Without reconstruction"),
        "Lumpectomy": (),
    },
    "Gynaecological cancer": {"Ovarian cancer": (), "Uterine cancer": ()},
    "Prostate cancer": {},
    "Transplant": {"Heart": (), "Liver": (), "Lung": (), "Kidney": ()},
    "Cystic fibrosis": {},
    "Child disability": {
        "G-tube": (),
        "Cognitive delay": (),
        "Autism": (),
        "Cerebral palsy": (),
        "Rare genetic condition": (),
    },
    "Substance use": {"Alcohol": (), "Opioids": (), "Stimulants": ()},
    "Mental illness": {
        "Depression": (),
        "Bipolar disorder": (),
        "Psychosis": (),
        "Anxiety": (),
    },
    "HIV": {"Newly diagnosed": (), "Long-term": ()},
    "Diabetes": {"Type 1": (), "Type 2": ()},
    "Perinatal": {"Postnatal depression": (), "Premature birth": ()},
    "Obesity and weight": {"Bariatric surgery": ("Gastric sleeve", "Gastric bypass")},
}

ISSUE_TAGS: dict[str, tuple[str, ...]] = {
    "recovery-peers": (
        "Relapse prevention",
        "Cravings and triggers",
        "Housing",
        "Money worries",
        "Returning to work",
        "Education and training",
        "Family relationships",
        "Legal problems",
        "Stigma",
        "Sleep",
    ),
    "family-and-peer-courses": (
        "Medication adherence",
        "Stigma",
        "Disclosure",
        "Crisis planning",
        "Family relationships",
        "Caring for myself as a carer",
        "Housing",
        "Returning to work",
        "Sleep",
    ),
    "new-mothers": (
        "Feeding",
        "Sleep",
        "Low mood",
        "Partner support",
        "Baby in neonatal care",
        "Isolation",
        "Returning to work",
        "Money worries",
    ),
    "support-parents": (
        "School and services",
        "Feeding",
        "Sleep",
        "Waiting for a diagnosis",
        "Brothers and sisters",
        "Respite",
        "Equipment and home adaptations",
        "Behaviour",
        "Money worries",
    ),
    "transplant-mentors": (
        "Rejection after transplant",
        "Waiting for a donor",
        "Medication adherence",
        "Fear of infection",
        "Returning to work",
        "Body image",
        "Caring for the patient",
        "Money worries",
    ),
    "cancer-survivor-calls": (
        "Fear of recurrence",
        "Body image",
        "Treatment side effects",
        "Talking to family",
        "Intimacy",
        "Returning to work",
        "Sleep",
        "Money worries",
    ),
    "weight-mentors": (
        "Body image",
        "Emotional eating",
        "Physical activity",
        "Life after bariatric surgery",
        "Stigma",
        "Motivation",
        "Sleep",
    ),
    "hiv-peer-navigation": (
        "Disclosure",
        "Stigma",
        "Medication adherence",
        "Getting to appointments",
        "Housing",
        "Money worries",
        "Substance use",
        "Mental health",
    ),
}


@transaction.atomic
def seed_taxonomy(organisation: Organisation) -> dict[str, Condition]:
    """Add the TAXONOMY conditions the organisation lacks (running it again adds
    nothing). Returns every seeded node by lineage, "Breast cancer > Mastectomy"."""
    seeded: dict[str, Condition] = {}

    def add(name: str, parent: Condition | None, above: str) -> tuple[Condition, str]:
        condition, _created = Condition.objects.get_or_create(
            organisation=organisation, parent=parent, name=name
        )
        lineage = f"{above}{LINEAGE_SEPARATOR}{name}" if above else name
        seeded[lineage] = condition
        return condition, lineage

    for name, subconditions in TAXONOMY.items():
        top, top_lineage = add(name, None, "")
        for sub_name, facets in subconditions.items():
            sub, sub_lineage = add(sub_name, top, top_lineage)
            for facet in facets:
                add(facet, sub, sub_lineage)
    return seeded


@transaction.atomic
def seed_issue_tags(programme: Programme) -> dict[str, IssueTag]:
    """Add the programme's ISSUE_TAGS it lacks (by its code); idempotent."""
    seeded: dict[str, IssueTag] = {}
    for name in ISSUE_TAGS.get(programme.code, ()):
        seeded[name], _created = IssueTag.objects.get_or_create(programme=programme, name=name)
    return seeded
