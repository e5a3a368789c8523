"""Matrix rows for people's rights: export and erasure (people/rights_urls.py and
people/rights_api.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate, signed_in

EXPORTERS = ("coordinator", "leader", "admin")  # people.policies.PERSON_EDIT
ERASERS = ("leader", "admin")  # people.policies.PERSON_ERASE

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # Every signed-in user sees their own data; the stranger has no person record.
    ("me/data/", "GET"): signed_in(200),
    ("me/data/", "POST"): signed_in(405),
    ("me/data/export.json", "GET"): expect(200, anonymous=302, stranger=404),
    ("me/data/export.json", "POST"): signed_in(405),
    ("people/<int:person_id>/export/", "GET"): role_gate(cells(EXPORTERS, 200)),
    ("people/<int:person_id>/export/", "POST"): role_gate(cells(EXPORTERS, 405)),
    ("people/<int:person_id>/export.json", "GET"): role_gate(cells(EXPORTERS, 200)),
    ("people/<int:person_id>/export.json", "POST"): role_gate(cells(EXPORTERS, 405)),
    ("people/<int:person_id>/erase/", "GET"): role_gate(cells(ERASERS, 200)),
    ("people/<int:person_id>/erase/", "POST"): role_gate(cells(ERASERS, 422)),
    ("api/v1/me/export", "GET"): expect(200, anonymous=401, stranger=404),
    # The supervisor sees the person but may not export them; peers, referrers,
    # evaluators and participants do not reach them at all.
    ("api/v1/people/<person_id>/export", "GET"): expect(
        404, anonymous=401, supervisor=403, **cells(EXPORTERS, 200)
    ),
    ("api/v1/people/<person_id>/erase", "POST"): expect(
        404, anonymous=401, supervisor=403, coordinator=403, **cells(ERASERS, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    """A person enrolled in programme A (the same shape intake's matrix rows use)."""
    from peerbridge.people.models import Person
    from peerbridge.referrals.models import Enrolment

    person = Person.objects.create(given_name="Matrix", family_name="Rights")
    Enrolment.objects.create(
        person=person, programme=world.programme_a, source=Enrolment.Source.STAFF
    )
    return {"person_id": person.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/people/<person_id>/erase" and method == "POST":
        return {"reason": "The person asked in writing.", "confirm": "ERASE"}
    return None
