"""Matrix rows for lived experience and needs: the condition taxonomy, programmes' issue
tags and people's lived-experience records (people/taxonomy_urls.py and
people/taxonomy_api.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import RUNNERS, cells, expect, role_gate

# people.policies.TAXONOMY_VIEW: every staff role that records lived experience. The
# peer of programme B works in the same organisation, so reads its taxonomy too.
TAXONOMY_READERS = ("peer", "peer_other", *RUNNERS)
ISSUE_EDITORS = ("coordinator", "leader", "admin")  # ISSUE_TAGS_EDIT
EXPERIENCE_EDITORS = ("coordinator", "leader", "admin")  # PERSON_EDIT
# Outside the organisation's staff (ORGANISATION_VIEW) the organisation is not found.
NOT_IN_ORGANISATION = {"referrer": 404, "participant": 404, "stranger": 404}

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("organisations/<int:organisation_id>/conditions/", "GET"): role_gate(
        cells(TAXONOMY_READERS, 200)
    ),
    # Readers may not add: 403; the admin's empty form is refused.
    ("organisations/<int:organisation_id>/conditions/", "POST"): role_gate(
        {**cells(TAXONOMY_READERS, 403), "admin": 422}
    ),
    ("conditions/<int:condition_id>/edit/", "GET"): role_gate({"admin": 200}),
    ("conditions/<int:condition_id>/edit/", "POST"): role_gate({"admin": 422}),
    # Programme A's issues: its staff read them; the peer of B does not reach A.
    ("programmes/<int:programme_id>/issues/", "GET"): role_gate(
        {**cells(("peer", *RUNNERS), 200), "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/issues/", "POST"): role_gate(
        {"peer": 403, "supervisor": 403, "peer_other": 404, **cells(ISSUE_EDITORS, 422)}
    ),
    ("issues/<int:issue_id>/edit/", "GET"): role_gate(cells(ISSUE_EDITORS, 200)),
    ("issues/<int:issue_id>/edit/", "POST"): role_gate(cells(ISSUE_EDITORS, 422)),
    ("people/<int:person_id>/experience/<int:programme_id>/<perspective>/", "GET"): role_gate(
        cells(EXPERIENCE_EDITORS, 200)
    ),
    ("people/<int:person_id>/experience/<int:programme_id>/<perspective>/", "POST"): role_gate(
        cells(EXPERIENCE_EDITORS, 422)
    ),
    ("api/v1/organisations/<organisation_id>/conditions", "GET"): expect(
        200, anonymous=401, evaluator=403, **NOT_IN_ORGANISATION
    ),
    ("api/v1/organisations/<organisation_id>/conditions", "POST"): expect(
        403, anonymous=401, admin=201, **NOT_IN_ORGANISATION
    ),
    ("api/v1/conditions/<condition_id>", "PATCH"): expect(
        403, anonymous=401, admin=200, **NOT_IN_ORGANISATION
    ),
    ("api/v1/programmes/<programme_id>/issues", "GET"): expect(
        404, anonymous=401, evaluator=403, **cells(("peer", *RUNNERS), 200)
    ),
    ("api/v1/programmes/<programme_id>/issues", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "supervisor", "evaluator"), 403),
        **cells(ISSUE_EDITORS, 201),
    ),
    ("api/v1/issues/<issue_id>", "PATCH"): expect(
        404,
        anonymous=401,
        **cells(("peer", "supervisor", "evaluator"), 403),
        **cells(ISSUE_EDITORS, 200),
    ),
    # A person enrolled in A: staff running A reach them; peers reach only matched
    # participants (none yet), evaluators and referrers never.
    ("api/v1/people/<person_id>/experiences", "GET"): expect(
        404, anonymous=401, **cells(RUNNERS, 200)
    ),
    ("api/v1/people/<person_id>/experiences", "PUT"): expect(
        404, anonymous=401, supervisor=403, **cells(EXPERIENCE_EDITORS, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    """A person enrolled in programme A, a condition of the demo organisation and an
    issue of programme A."""
    from peerbridge.organisations.models import Organisation
    from peerbridge.people.models import Condition, IssueTag, Person
    from peerbridge.referrals.models import Enrolment

    person = Person.objects.create(given_name="Matrix", family_name="Taxonomy")
    Enrolment.objects.create(
        person=person, programme=world.programme_a, source=Enrolment.Source.STAFF
    )
    organisation = Organisation.objects.get(slug="bridges")
    condition = Condition.objects.create(organisation=organisation, name="Matrix condition")
    issue = IssueTag.objects.create(programme=world.programme_a, name="Matrix issue")
    return {
        "person_id": person.pk,
        "condition_id": condition.pk,
        "issue_id": issue.pk,
        "perspective": "facing",
    }


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/organisations/<organisation_id>/conditions" and method == "POST":
        return {"name": f"Matrix {persona}"}
    if pattern == "api/v1/conditions/<condition_id>" and method == "PATCH":
        return {"name": f"Renamed by {persona}"}
    if pattern == "api/v1/programmes/<programme_id>/issues" and method == "POST":
        return {"name": f"Matrix issue {persona}"}
    if pattern == "api/v1/issues/<issue_id>" and method == "PATCH":
        return {"name": f"Renamed by {persona}"}
    if pattern == "api/v1/people/<person_id>/experiences" and method == "PUT":
        return {"programme_id": world.programme_a.pk, "perspective": "facing"}
    return None
