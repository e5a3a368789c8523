"""The authorization matrix: every route, every method, every persona.

EXPECTED must name every route the resolver knows (web pages and API operations); a
route without a declared policy, or missing from this table, fails the suite. Each cell
is the status the persona must get: 200/201 allowed, 302 sent to sign in (or onward),
401 API without credentials, 403 role not allowed, 404 outside scope, 405 wrong method,
422 allowed but the (deliberately empty) form is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from peerbridge.core.access import all_routes, undeclared_routes
from peerbridge.core.checks import check_every_route_declares_a_policy
from peerbridge.core.tokens import token_issue
from peerbridge.organisations.models import Organisation, RoleAssignment
from tests.conftest import PERSONAS, client_for, persona_user, programme_payload
from tests.matrix import areas
from tests.matrix.common import (
    PROGRAMME_A_VIEWERS,
    RUNNERS,
    api,
    cells,
    expect,
    role_gate,
    same,
    signed_in,
)

# (pattern, method) -> persona -> status. Web patterns ("*" methods) list GET and POST.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("", "GET"): signed_in(200),
    ("", "POST"): signed_in(405),
    ("healthz", "GET"): same(200),
    ("healthz", "POST"): same(405),
    ("accounts/login/", "GET"): expect(302, anonymous=200),
    ("accounts/login/", "POST"): expect(302, anonymous=200),
    ("accounts/logout/", "GET"): same(405),
    ("accounts/logout/", "POST"): same(302),
    ("accounts/password/reset/", "GET"): same(200),
    ("accounts/password/reset/", "POST"): same(200),
    ("accounts/password/reset/sent/", "GET"): same(200),
    ("accounts/password/reset/sent/", "POST"): same(405),
    ("accounts/password/reset/<uidb64>/<token>/", "GET"): same(200),
    ("accounts/password/reset/<uidb64>/<token>/", "POST"): same(200),
    ("accounts/password/reset/complete/", "GET"): same(200),
    ("accounts/password/reset/complete/", "POST"): same(405),
    ("accounts/password/change/", "GET"): signed_in(200),
    ("accounts/password/change/", "POST"): signed_in(200),
    ("accounts/", "GET"): signed_in(200),
    ("accounts/", "POST"): signed_in(405),
    ("accounts/tokens/", "GET"): signed_in(405),
    ("accounts/tokens/", "POST"): signed_in(422),
    ("accounts/tokens/<int:token_id>/revoke/", "GET"): signed_in(405),
    ("accounts/tokens/<int:token_id>/revoke/", "POST"): expect(404, anonymous=302, coordinator=302),
    ("accounts/two-factor/", "GET"): signed_in(200),
    ("accounts/two-factor/", "POST"): signed_in(422),
    ("accounts/two-factor/verify/", "GET"): same(302),
    ("accounts/two-factor/verify/", "POST"): same(302),
    ("audit/", "GET"): role_gate({"admin": 200}),
    ("audit/", "POST"): role_gate({"admin": 405}),
    ("programmes/", "GET"): role_gate(
        cells(("peer", "peer_other", "referrer", "evaluator", *RUNNERS), 200)
    ),
    ("programmes/", "POST"): role_gate(
        cells(("peer", "peer_other", "referrer", "evaluator", *RUNNERS), 405)
    ),
    ("programmes/new/", "GET"): role_gate({"admin": 200}),
    ("programmes/new/", "POST"): role_gate({"admin": 422}),
    ("programmes/<int:programme_id>/", "GET"): role_gate(
        {**cells(PROGRAMME_A_VIEWERS, 200), "peer_other": 404, "referrer": 404}
    ),
    ("programmes/<int:programme_id>/", "POST"): role_gate(
        cells(("peer", "peer_other", "referrer", "evaluator", *RUNNERS), 405)
    ),
    ("programmes/<int:programme_id>/edit/", "GET"): role_gate(
        cells(("coordinator", "leader", "admin"), 200)
    ),
    ("programmes/<int:programme_id>/edit/", "POST"): role_gate(
        cells(("coordinator", "leader", "admin"), 422)
    ),
    ("programmes/<int:programme_id>/staff/", "GET"): role_gate(cells(RUNNERS, 200)),
    ("programmes/<int:programme_id>/staff/", "POST"): role_gate(cells(RUNNERS, 405)),
    ("organisations/<int:organisation_id>/", "GET"): role_gate(cells(("evaluator", *RUNNERS), 200)),
    ("organisations/<int:organisation_id>/", "POST"): role_gate(
        cells(("evaluator", *RUNNERS), 405)
    ),
    ("organisations/<int:organisation_id>/edit/", "GET"): role_gate({"admin": 200}),
    ("organisations/<int:organisation_id>/edit/", "POST"): role_gate({"admin": 422}),
    ("sites/<int:site_id>/", "GET"): role_gate(
        {"evaluator": 200, "admin": 200, "supervisor": 404, "coordinator": 404, "leader": 404}
    ),
    ("sites/<int:site_id>/", "POST"): role_gate(cells(("evaluator", *RUNNERS), 405)),
    ("sites/<int:site_id>/edit/", "GET"): role_gate({"admin": 200}),
    ("sites/<int:site_id>/edit/", "POST"): role_gate({"admin": 422}),
    ("sites/<int:site_id>/new/", "GET"): role_gate({"admin": 200}),
    ("sites/<int:site_id>/new/", "POST"): role_gate({"admin": 422}),
    ("programmes/<int:programme_id>/staff/add/", "GET"): role_gate({"leader": 200, "admin": 200}),
    ("programmes/<int:programme_id>/staff/add/", "POST"): role_gate({"leader": 422, "admin": 422}),
    ("sites/<int:site_id>/staff/add/", "GET"): role_gate({"leader": 404, "admin": 200}),
    ("sites/<int:site_id>/staff/add/", "POST"): role_gate({"leader": 404, "admin": 422}),
    ("memberships/<int:assignment_id>/end/", "GET"): role_gate({"leader": 200, "admin": 200}),
    ("memberships/<int:assignment_id>/end/", "POST"): role_gate({"leader": 302, "admin": 302}),
    # API: the session client; anonymous callers get 401.
    ("api/v1/openapi.json", "GET"): same(200),
    ("api/v1/openapi.json", "POST"): same(200),
    ("api/v1/", "GET"): same(404),
    ("api/v1/", "POST"): same(404),
    ("api/v1/organisations", "GET"): api(200),
    ("api/v1/organisations/<organisation_id>", "GET"): expect(
        404, anonymous=401, **cells(("evaluator", *RUNNERS), 200)
    ),
    ("api/v1/organisations/<organisation_id>", "PATCH"): expect(
        404,
        anonymous=401,
        **cells(("evaluator", "supervisor", "coordinator", "leader"), 403),
        admin=200,
    ),
    ("api/v1/sites", "GET"): api(200),
    ("api/v1/sites", "POST"): expect(404, anonymous=401, evaluator=403, admin=201),
    ("api/v1/sites/<site_id>", "GET"): expect(404, anonymous=401, evaluator=200, admin=200),
    ("api/v1/sites/<site_id>", "PATCH"): expect(404, anonymous=401, evaluator=403, admin=200),
    ("api/v1/programmes", "GET"): api(200),
    ("api/v1/programmes", "POST"): expect(404, anonymous=401, evaluator=403, admin=201),
    ("api/v1/programmes/<programme_id>", "GET"): expect(
        404, anonymous=401, **cells(PROGRAMME_A_VIEWERS, 200)
    ),
    ("api/v1/programmes/<programme_id>", "PATCH"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(("coordinator", "leader", "admin"), 200),
    ),
    ("api/v1/programmes/<programme_id>/staff", "GET"): expect(
        404, anonymous=401, peer=403, evaluator=403, **cells(RUNNERS, 200)
    ),
    ("api/v1/programmes/<programme_id>/memberships", "GET"): expect(
        404, anonymous=401, peer=403, evaluator=403, **cells(RUNNERS, 200)
    ),
    ("api/v1/memberships", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        leader=201,
        admin=201,
    ),
    ("api/v1/memberships/<membership_id>/end", "POST"): expect(
        404, anonymous=401, leader=200, admin=200
    ),
}

AREAS = areas()
for _area in AREAS:
    assert not set(_area.EXPECTED) & set(EXPECTED), _area.__name__
    EXPECTED.update(_area.EXPECTED)


def _route_keys() -> list[tuple[str, str]]:
    keys = []
    for route in all_routes():
        methods = ("GET", "POST") if route.methods == ("*",) else route.methods
        keys.extend((route.pattern, method) for method in methods)
    return keys


def test_every_route_declares_a_policy() -> None:
    assert undeclared_routes() == []
    assert check_every_route_declares_a_policy() == []


def test_matrix_names_every_route_and_method() -> None:
    keys = set(_route_keys())
    assert keys - set(EXPECTED) == set(), "routes missing from the matrix"
    assert set(EXPECTED) - keys == set(), "matrix rows for routes that no longer exist"


def test_an_undeclared_route_is_caught() -> None:
    found = undeclared_routes("tests.undeclared_urls")
    assert [route.pattern for route in found] == ["forgotten/"]


def _arguments(world: Any) -> dict[str, Any]:
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    token, _plain = token_issue(user=coordinator, name="matrix", access="read", days=1)
    ending = RoleAssignment.objects.get(
        user__email="peer2.a@demo.peerbridge.test", programme=world.programme_a
    )
    arguments: dict[str, Any] = {
        "programme_id": world.programme_a.pk,
        "organisation_id": Organisation.objects.get(slug="bridges").pk,
        "site_id": world.riverside.pk,
        "assignment_id": ending.pk,
        "membership_id": ending.pk,
        "token_id": token.pk,
        "uidb64": "MQ",
        "token": "not-a-token",
    }
    for area in AREAS:
        if hasattr(area, "arguments"):
            arguments.update(area.arguments(world))
    return arguments


def _url(pattern: str, arguments: dict[str, Any]) -> str:
    url = "/" + pattern
    for name, value in arguments.items():
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
    assert "<" not in url, url
    return url


def _body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any]:
    if not pattern.startswith("api/") or method == "GET":
        return {}
    for area in AREAS:
        if hasattr(area, "body"):
            found = area.body(pattern, method, world, persona)
            if found is not None:
                return dict(found)
    if pattern == "api/v1/sites":
        return {"parent_id": world.riverside.pk, "name": "Matrix", "code": "m", "level": "local"}
    if pattern == "api/v1/programmes":
        return programme_payload(
            site_id=world.riverside.pk, code=f"matrix-{persona}", name="Matrix"
        )
    if pattern == "api/v1/memberships":
        return {
            "email": f"new-{persona}@example.org",
            "role": "peer_supporter",
            "given_name": "New",
            "programme_id": world.programme_a.pk,
        }
    return {}


def _request(client: Any, method: str, url: str, body: dict[str, Any], api: bool) -> Any:
    send: Callable[..., Any] = getattr(client, method.lower())
    if method == "GET":
        return send(url)
    if api:
        return send(url, data=json.dumps(body), content_type="application/json")
    return send(url, data=body)


@pytest.mark.parametrize(("pattern", "method"), sorted(EXPECTED))
def test_persona_reaches_only_what_it_should(world: Any, pattern: str, method: str) -> None:
    arguments = _arguments(world)
    url = _url(pattern, arguments)
    got: dict[str, int] = {}
    for persona in PERSONAS:
        client = client_for(persona)
        with transaction.atomic():
            body = _body(pattern, method, world, persona)
            response = _request(client, method, url, body, pattern.startswith("api/"))
            got[persona] = response.status_code
            transaction.set_rollback(True)
    assert got == EXPECTED[(pattern, method)]
