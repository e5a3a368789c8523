"""Matrix rows for applications to be a peer supporter: the public apply page, staff
entry, the programme's applications, one application, screening and the decision.

`application_id` is an open application in programme A, made for each test."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import RUNNERS, cells, expect, role_gate, same

MANAGERS = ("coordinator", "leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("apply/<slug:programme_code>/", "GET"): same(200),
    ("apply/<slug:programme_code>/", "POST"): same(422),
    ("apply/<slug:programme_code>/thanks/", "GET"): same(200),
    ("apply/<slug:programme_code>/thanks/", "POST"): same(405),
    ("programmes/<int:programme_id>/workforce/applications/", "GET"): role_gate(
        cells(RUNNERS, 200)
    ),
    ("programmes/<int:programme_id>/workforce/applications/", "POST"): role_gate(
        cells(RUNNERS, 405)
    ),
    ("programmes/<int:programme_id>/workforce/applications/new/", "GET"): role_gate(
        cells(MANAGERS, 200)
    ),
    ("programmes/<int:programme_id>/workforce/applications/new/", "POST"): role_gate(
        cells(MANAGERS, 422)
    ),
    ("workforce/applications/<int:application_id>/", "GET"): role_gate(cells(RUNNERS, 200)),
    ("workforce/applications/<int:application_id>/", "POST"): role_gate(cells(RUNNERS, 405)),
    ("workforce/applications/<int:application_id>/screen/", "GET"): role_gate(cells(RUNNERS, 200)),
    ("workforce/applications/<int:application_id>/screen/", "POST"): role_gate(cells(RUNNERS, 422)),
    ("workforce/applications/<int:application_id>/decide/", "GET"): role_gate(cells(MANAGERS, 405)),
    ("workforce/applications/<int:application_id>/decide/", "POST"): role_gate(
        cells(MANAGERS, 422)
    ),
    ("api/v1/programmes/<programme_id>/workforce/applications", "GET"): expect(
        404, anonymous=401, peer=403, evaluator=403, **cells(RUNNERS, 200)
    ),
    ("api/v1/programmes/<programme_id>/workforce/applications", "POST"): expect(
        404, anonymous=401, peer=403, evaluator=403, supervisor=403, **cells(MANAGERS, 201)
    ),
    ("api/v1/workforce/applications/<application_id>", "GET"): expect(
        404, anonymous=401, **cells(RUNNERS, 200)
    ),
    ("api/v1/workforce/applications/<application_id>/screenings", "POST"): expect(
        404, anonymous=401, **cells(RUNNERS, 201)
    ),
    ("api/v1/workforce/applications/<application_id>/decision", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(MANAGERS, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from peerbridge.workforce.models import WorkforceSettings
    from peerbridge.workforce.selectors import workforce_settings
    from tests.workforce.world_applications import make_application

    # The apply page exists only while the programme takes applications.
    WorkforceSettings.objects.filter(pk=workforce_settings(world.programme_a).pk).update(
        applications_open=True
    )
    return {
        "programme_code": world.programme_a.code,
        "application_id": make_application(world.programme_a).pk,
    }


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/programmes/<programme_id>/workforce/applications" and method == "POST":
        return {
            "given_name": "Matrix",
            "family_name": "Applicant",
            "email": f"matrix-applicant-{persona}@example.org",
            "motivation": "To give back.",
        }
    if pattern == "api/v1/workforce/applications/<application_id>/screenings":
        from tests.workforce.world_applications import all_ratings

        return {"ratings": all_ratings(), "readiness": "ready", "role_play": "not_done"}
    if pattern == "api/v1/workforce/applications/<application_id>/decision":
        return {"decision": "decline", "reason": "Matrix decision."}
    return None
