"""A programme's starting peer curriculum, competencies and agreements.

Both functions are idempotent: they create what is missing and leave existing rows (and
any edits a programme made to them) alone. Used by the demo and by new programmes.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.workforce.agreements import agreement_publish
from peerbridge.workforce.models import (
    AgreementKind,
    AgreementText,
    Competency,
    TrainingModule,
)
from peerbridge.workforce.training import competency_create, module_create

PEERS = TrainingModule.Audience.PEERS
STAFF = TrainingModule.Audience.STAFF

# (title, objectives, hours, required, audience)
MODULES: tuple[tuple[str, str, str, bool, str], ...] = (
    (
        "Active listening",
        "Listen without fixing; reflect back what you hear; ask open questions; sit with silence.",
        "3",
        True,
        PEERS,
    ),
    (
        "Psychological first aid",
        "Notice distress, offer calm and practical comfort, connect people with help "
        "(look, listen, link).",
        "3",
        True,
        PEERS,
    ),
    (
        "Referrals and navigating services",
        "Know the local services, make a warm referral, help people through forms and "
        "waiting lists.",
        "2",
        True,
        PEERS,
    ),
    (
        "Boundaries and disclosure: telling your own story safely",
        "Share your own experience when it helps the other person, keep the focus on "
        "them, hold kind boundaries.",
        "3",
        True,
        PEERS,
    ),
    (
        "Confidentiality and documentation",
        "What stays private and when it cannot; write short, factual, respectful notes.",
        "2",
        True,
        PEERS,
    ),
    (
        "Risk assessment and escalation",
        "Recognise signs of risk to life or safety, ask directly, and escalate at once "
        "to your supervisor or emergency services.",
        "3",
        True,
        PEERS,
    ),
    (
        "Cultural safety",
        "Understand how culture, identity and past harm shape trust; meet people where "
        "they are without assumptions.",
        "2",
        True,
        PEERS,
    ),
    (
        "Looking after yourself as a peer supporter",
        "Notice your own warning signs, use supervision and your wellbeing plan, rest "
        "without guilt.",
        "2",
        False,
        PEERS,
    ),
    (
        "Working alongside peer supporters",
        "For staff who are not peers: what peer support is and is not, how to refer, "
        "how to respect lived experience and the peer role.",
        "2",
        True,
        STAFF,
    ),
)

# (name, what good looks like)
COMPETENCIES: tuple[tuple[str, str], ...] = (
    (
        "Listening role-play",
        "In a role-play, listens more than talks, reflects feelings and avoids advice "
        "the person did not ask for.",
    ),
    (
        "Recognising risk and escalating",
        "Given a scenario, names the warning signs, asks about safety directly and "
        "escalates the same day.",
    ),
    (
        "Boundaries and safe disclosure",
        "Shares own experience briefly and for the other person's benefit; explains "
        "what they can and cannot do.",
    ),
)

AGREEMENTS: dict[str, str] = {
    AgreementKind.CODE_OF_CONDUCT: (
        "As a peer supporter I will:\n"
        "- treat everyone with respect, kindness and without judgement;\n"
        "- be honest about what I can and cannot do;\n"
        "- keep to the role: I offer my experience and support, not treatment or advice "
        "I am not trained to give;\n"
        "- not lend or borrow money, give gifts of value, or start a romantic or business "
        "relationship with someone I support;\n"
        "- come to supervision and tell my supervisor about anything that worries me;\n"
        "- raise concerns about safety straight away.\n"
        "If I am unsure, I ask. Nobody expects me to know everything."
    ),
    AgreementKind.CONFIDENTIALITY: (
        "What people tell me stays private. I will:\n"
        "- not share anything about the people I support outside the programme, "
        "including on social media;\n"
        "- keep notes short and factual and only in PeerBridge;\n"
        "- only share what is needed, and only with my supervisor or the team.\n"
        "The one exception: if someone is at risk of serious harm, or a child or adult "
        "is at risk, I tell my supervisor at once. Where I can, I tell the person first "
        "that I need to do this."
    ),
    AgreementKind.WELLBEING: (
        "Your wellbeing matters more than any shift. I will look after myself, use "
        "supervision and my wellbeing check-ins, and tell my supervisor early if I am "
        "struggling or think I may relapse or become unwell.\n"
        "If that happens, the programme will:\n"
        "- talk with me privately, with my supervisor, without judgement;\n"
        "- pause my peer work for as long as I need, without my losing my place;\n"
        "- arrange cover for the people I support, so nobody is left without help;\n"
        "- make a plan with me to return, at a pace that suits me.\n"
        "Becoming unwell is not a failure. It is part of the lived experience we share."
    ),
}


@transaction.atomic
def seed_curriculum(programme: Programme) -> None:
    """Create the programme's peer modules (in order), its staff module and its required
    competencies, where missing."""
    have_modules = {
        title.casefold()
        for title in TrainingModule.objects.filter(programme=programme).values_list(
            "title", flat=True
        )
    }
    order: dict[str, int] = {PEERS.value: 0, STAFF.value: 0}
    for title, objectives, hours, required, audience in MODULES:
        order[audience] += 1
        if title.casefold() in have_modules:
            continue
        module_create(
            programme=programme,
            actor=None,
            title=title,
            objectives=objectives,
            hours=Decimal(hours),
            required=required,
            audience=audience,
            order=order[audience],
        )
    have_competencies = {
        name.casefold()
        for name in Competency.objects.filter(programme=programme).values_list("name", flat=True)
    }
    for position, (name, description) in enumerate(COMPETENCIES, start=1):
        if name.casefold() in have_competencies:
            continue
        competency_create(
            programme=programme,
            actor=None,
            name=name,
            description=description,
            required=True,
            order=position,
        )


@transaction.atomic
def seed_agreements(programme: Programme, *, published_by: User | None = None) -> None:
    """Publish version "1" of each agreement, where the programme has none of that kind."""
    have = set(AgreementText.objects.filter(programme=programme).values_list("kind", flat=True))
    for kind in AgreementKind.values:
        if kind in have:
            continue
        agreement_publish(
            programme=programme,
            kind=kind,
            body=AGREEMENTS[kind],
            actor=published_by,
            version="1",
        )
