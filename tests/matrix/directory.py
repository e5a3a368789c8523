"""Matrix rows for the resource directory and navigation referrals
(referrals/directory_urls.py and referrals/directory_api.py).

Everyone who connects people to services searches the directory of their organisation
(runners, supervisors, peers, referrers); coordinators, leaders and admins keep it.
Navigation referrals over an enrolment are for programme A's staff: peers hold the
policy for their future matches but reach no enrolment through the programme, so 404.
"""

from __future__ import annotations

from typing import Any

from tests.matrix.common import RUNNERS, api, cells, expect, role_gate

KEEPERS = ("coordinator", "leader", "admin")
SEARCHERS = ("peer", "peer_other", "referrer", *RUNNERS)
VIEW_ONLY = ("peer", "peer_other", "referrer", "supervisor")

S = "directory/<int:service_id>/"
NAV = "enrolments/<int:enrolment_id>/navigation/"
API_S = "api/v1/directory/services/<service_id>"
API_NAV = "api/v1/enrolments/<enrolment_id>/navigation-referrals"


def _api_keep(status: int) -> dict[str, int]:
    """An API write on the directory: viewers may see it but not change it (403)."""
    return expect(404, anonymous=401, **cells(VIEW_ONLY, 403), **cells(KEEPERS, status))


def _navigation_page(status: int) -> dict[str, int]:
    # Peers pass the role gate (NAVIGATION_MANAGE) but reach no enrolment: 404.
    return role_gate({"peer": 404, "peer_other": 404, **cells(RUNNERS, status)})


def _navigation_api(status: int) -> dict[str, int]:
    return expect(404, anonymous=401, **cells(RUNNERS, status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("directory/", "GET"): role_gate(cells(SEARCHERS, 200)),
    ("directory/", "POST"): role_gate(cells(SEARCHERS, 405)),
    ("directory/new/", "GET"): role_gate(cells(KEEPERS, 200)),
    ("directory/new/", "POST"): role_gate(cells(KEEPERS, 422)),
    ("directory/import/", "GET"): role_gate(cells(KEEPERS, 200)),
    ("directory/import/", "POST"): role_gate(cells(KEEPERS, 422)),
    ("directory/export/", "GET"): role_gate(cells(KEEPERS, 200)),
    ("directory/export/", "POST"): role_gate(cells(KEEPERS, 405)),
    (S, "GET"): role_gate(cells(SEARCHERS, 200)),
    (S, "POST"): role_gate(cells(SEARCHERS, 405)),
    (f"{S}edit/", "GET"): role_gate(cells(KEEPERS, 200)),
    (f"{S}edit/", "POST"): role_gate(cells(KEEPERS, 422)),
    (f"{S}retire/", "GET"): role_gate(cells(KEEPERS, 405)),
    (f"{S}retire/", "POST"): role_gate(cells(KEEPERS, 302)),
    (NAV, "GET"): _navigation_page(200),
    (NAV, "POST"): role_gate(cells(("peer", "peer_other", *RUNNERS), 405)),
    (f"{NAV}new/", "GET"): _navigation_page(200),
    (f"{NAV}new/", "POST"): _navigation_page(422),
    ("navigation/<int:navigation_id>/update/", "GET"): _navigation_page(200),
    ("navigation/<int:navigation_id>/update/", "POST"): _navigation_page(422),
    ("api/v1/directory/services", "GET"): api(200),
    ("api/v1/directory/services", "POST"): _api_keep(201),
    (API_S, "GET"): expect(404, anonymous=401, **cells(SEARCHERS, 200)),
    (API_S, "PATCH"): _api_keep(200),
    ("api/v1/directory/export", "GET"): _api_keep(200),
    # The matrix sends JSON, not a file: keepers get past the policy to "choose a file".
    ("api/v1/directory/import", "POST"): _api_keep(422),
    (API_NAV, "GET"): _navigation_api(200),
    # The body asks for a need the service does not meet, so whichever programme A
    # enrolment the matrix uses, staff get past the policy to a 422.
    (API_NAV, "POST"): _navigation_api(422),
    ("api/v1/navigation-referrals/<navigation_id>/status", "POST"): _navigation_api(200),
}


def arguments(world: Any) -> dict[str, Any]:
    """A housing service of the demo organisation, and a navigation referral to it for
    a consenting participant of programme A. (The intake rows give their own
    enrolment_id; any open enrolment of programme A serves these rows.)"""
    from peerbridge.referrals.directory_services import navigation_referral_make
    from tests.conftest import persona_user
    from tests.referrals.directory_world import full_consent, make_enrolment, make_service

    service = make_service(name="Matrix housing advice", categories=["housing"])
    enrolment = make_enrolment(
        world.programme_a, scopes=full_consent(world.programme_a), status="enrolled"
    )
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    referral = navigation_referral_make(
        enrolment=enrolment, service=service, need="housing", made_by=coordinator
    )
    return {
        "service_id": service.pk,
        "enrolment_id": enrolment.pk,
        "navigation_id": referral.pk,
    }


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from tests.referrals.directory_world import bridges, make_service

    if pattern == "api/v1/directory/services" and method == "POST":
        return {
            "organisation_id": bridges().pk,
            "name": f"Matrix food bank ({persona})",
            "categories": ["food"],
            "languages": ["en", "es"],
        }
    if pattern == API_S and method == "PATCH":
        return {"opening_hours": "Mon-Fri 9:00-17:00"}
    if pattern == API_NAV and method == "POST":
        service = make_service(name="Matrix housing only", categories=["housing"])
        return {"service_id": service.pk, "need": "food"}
    if pattern == "api/v1/navigation-referrals/<navigation_id>/status":
        return {"status": "connected"}
    return None
