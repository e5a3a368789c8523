"""Matrix rows for the intake API (referrals/api.py).

Programme A's staff work its intake; the demo referrer works at St Catherine's, so they
refer to programme C (new-mothers) and reach nothing of programme A. Person endpoints
answer 404 to everyone who cannot reach the person (peers, referrers, evaluators),
and 403 to supervisors, who see people but do not change them.

Several areas supply `person_id` and the last one wins, so the bodies here must not
depend on which person it is: merge names an erased record and withdrawal a scope never
given, so those who may act get 422 (authorised, then refused by the service).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import persona_user
from tests.matrix.common import cells, expect

INTAKE = ("coordinator", "leader", "admin")
ENROLMENT_VIEWERS = ("supervisor", *INTAKE)
PERSON_LISTERS = ("peer", "peer_other", *ENROLMENT_VIEWERS)

E = "api/v1/enrolments/<enrolment_id>"
P = "api/v1/people/<person_id>"
PROGRAMME = "api/v1/programmes/<programme_id>"


def _intake_write(status: int) -> dict[str, int]:
    """An intake write on an object of programme A: supervisors see it, so 403."""
    return expect(404, anonymous=401, supervisor=403, **cells(INTAKE, status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("api/v1/referrals", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(("referrer", *INTAKE), 201),
    ),
    ("api/v1/referrals/mine", "GET"): expect(403, anonymous=401, referrer=200),
    (f"{PROGRAMME}/intake-queue", "GET"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(INTAKE, 200),
    ),
    (f"{PROGRAMME}/waiting-list", "GET"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(INTAKE, 200),
    ),
    (f"{PROGRAMME}/intake-summary", "GET"): expect(
        404, anonymous=401, peer=403, **cells(("evaluator", *ENROLMENT_VIEWERS), 200)
    ),
    (E, "GET"): expect(404, anonymous=401, **cells(ENROLMENT_VIEWERS, 200)),
    (E, "PATCH"): _intake_write(200),
    (f"{E}/status", "POST"): _intake_write(200),
    (f"{E}/attempts", "POST"): _intake_write(201),
    (f"{E}/enrol", "POST"): _intake_write(200),
    ("api/v1/people", "GET"): expect(403, anonymous=401, **cells(PERSON_LISTERS, 200)),
    (P, "GET"): expect(404, anonymous=401, **cells(ENROLMENT_VIEWERS, 200)),
    (P, "PATCH"): _intake_write(200),
    (f"{P}/duplicates", "GET"): _intake_write(200),
    (f"{P}/merge", "POST"): _intake_write(422),
    (f"{P}/consents", "GET"): expect(404, anonymous=401, **cells(ENROLMENT_VIEWERS, 200)),
    (f"{P}/consents", "POST"): _intake_write(201),
    (f"{P}/consents/withdraw", "POST"): _intake_write(422),
}

DUPLICATE_NAME = ("Matrix", "Erased")


def arguments(world: Any) -> dict[str, Any]:
    """A referral to programme A from the demo referrer (phone consent, shared with the
    referrer), and an erased record in programme A to name in a merge."""
    from django.utils import timezone

    from peerbridge.people.models import Person
    from peerbridge.referrals.models import Enrolment
    from peerbridge.referrals.services import ReferralDetails, referral_create

    referral = referral_create(
        programme=world.programme_a,
        details=ReferralDetails(given_name="Matrix", family_name="Api", phone="+447700900321"),
        source="clinician",
        referred_by=persona_user("referrer"),
        contact_scopes=["contact_phone"],
        share_with_referrer=True,
    )
    erased = Person.objects.create(
        given_name=DUPLICATE_NAME[0],
        family_name=DUPLICATE_NAME[1],
        organisation=world.programme_a.site.organisation,
        erased_at=timezone.now(),
    )
    Enrolment.objects.create(
        person=erased,
        programme=world.programme_a,
        source=Enrolment.Source.STAFF,
        status="declined",
        decline_reason="other",
    )
    return {"enrolment_id": referral.enrolment.pk, "person_id": referral.enrolment.person_id}


def _erased_id() -> int:
    from peerbridge.people.models import Person

    erased = Person.objects.filter(
        given_name=DUPLICATE_NAME[0], family_name=DUPLICATE_NAME[1]
    ).latest("pk")
    return int(erased.pk)


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/referrals":
        from peerbridge.organisations.models import Programme

        programme = (
            Programme.objects.get(code="new-mothers")
            if persona == "referrer"
            else world.programme_a
        )
        return {
            "programme_id": programme.pk,
            "given_name": "Matrix",
            "family_name": persona,
            "phone": "+447700900999",
            "contact_channels": ["phone"],
            "share_with_referrer": True,
        }
    bodies: dict[tuple[str, str], Any] = {
        (E, "PATCH"): lambda: {"priority": "urgent", "next_action": "Call back on Monday"},
        (f"{E}/status", "POST"): lambda: {"to_status": "declined", "decline_reason": "chose_not"},
        (f"{E}/attempts", "POST"): lambda: {"channel": "in_person", "outcome": "no_answer"},
        (f"{E}/enrol", "POST"): lambda: {"scopes": ["participation"], "method": "verbal"},
        (P, "PATCH"): lambda: {"preferred_name": "Sam"},
        (f"{P}/merge", "POST"): lambda: {"duplicate_id": _erased_id()},
        (f"{P}/consents", "POST"): lambda: {
            "programme_id": world.programme_a.pk,
            "scopes": ["participation", "contact_phone"],
            "method": "written",
        },
        (f"{P}/consents/withdraw", "POST"): lambda: {
            "programme_id": world.programme_a.pk,
            "scopes": ["research"],
            "reason": "Never given",
        },
    }
    make = bodies.get((pattern, method))
    return None if make is None else dict(make())
