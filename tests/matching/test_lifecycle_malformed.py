"""Bad input to the lifecycle API and pages: bad ids, bodies that are not JSON objects,
wrong types and out-of-range values get a 4xx in the one error shape (or a form error),
never a 500, and change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.matching.models import Match, MatchStatus, MatchStatusChange
from peerbridge.workforce.models import CapacityReservation
from tests.conftest import World, client_for
from tests.matching.world_lifecycle import offered, ready_peer, waiting_enrolment, walk_to
from tests.workforce.world_wellbeing import client_of

pytestmark = pytest.mark.django_db

API = "/api/v1"
M = MatchStatus

MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    -1,
    0,
    10**30,
    3.5,
    float("inf"),
    True,
    [],
    {},
    ["nested", ["list"]],
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "1; DROP TABLE core_user",
    "2026-02-30",
    "2026-01-01T10:00:00",
]


def _state() -> tuple[int, ...]:
    return (
        Match.objects.count(),
        MatchStatusChange.objects.count(),
        CapacityReservation.objects.filter(released_at=None).count(),
    )


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


Write = tuple[Callable[[], Client], str, dict[str, Any]]


def _writes(world: World) -> list[Write]:
    """(client maker, url, a valid body) for each API write that takes a body. Each
    starts from a match at the status the write needs, made inside the rolled-back
    block by `_send`."""
    return [
        (lambda: client_for("coordinator"), "create", {"source": "manual", "score": 50.0}),
        (lambda: client_for("coordinator"), f"{M.OFFERED}:decline", {"reason": "no_room"}),
        (lambda: client_for("coordinator"), f"{M.INTRODUCED}:first-contact", {"on": None}),
        (lambda: client_for("coordinator"), f"{M.ACTIVE}:complete", {"note": "Done."}),
        (
            lambda: client_for("coordinator"),
            f"{M.ACTIVE}:end",
            {"reason": "not_a_fit", "note": "x", "rematch": False},
        ),
        (lambda: client_for("coordinator"), f"{M.OFFERED}:cancel", {"note": "x"}),
    ]


def _url_and_body(world: World, target: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if target == "create":
        ids = {
            "enrolment_id": waiting_enrolment(world.programme_a).pk,
            "profile_id": ready_peer(world.programme_a).pk,
        }
        return f"{API}/matches", {**ids, **body}
    status, action = target.split(":")
    match = walk_to(status, world.programme_a)
    return f"{API}/matches/{match.pk}/{action}", body


def _send(
    world: World, client: Callable[[], Client], target: str, body: dict[str, Any], raw: Any
) -> tuple[Any, bool]:
    """Send inside a rolled-back block; `raw(full_body)` gives the text to send. Also
    say whether the request changed anything."""
    with transaction.atomic():
        url, full = _url_and_body(world, target, body)
        before = _state()
        response = client().post(url, data=raw(full), content_type="application/json")
        changed = _state() != before
        transaction.set_rollback(True)
    return response, changed


def test_every_field_of_every_write_rejects_malformed_values(world: World) -> None:
    for client, target, valid in _writes(world):
        response, _changed = _send(world, client, target, valid, json.dumps)
        assert response.status_code in (200, 201), (target, response.content[:300])
        fields = list(valid)
        if target == "create":
            fields += ["enrolment_id", "profile_id", "reasons", "offer", "allow_excluded"]
        for field in fields:
            for value in MALFORMED_VALUES:

                def raw(full: dict[str, Any], field: str = field, value: Any = value) -> str:
                    return json.dumps({**full, field: value}, allow_nan=True)

                response, changed = _send(world, client, target, valid, raw)
                if response.status_code < 400:
                    continue  # some values are legal for some fields (an empty note)
                _assert_error_shape(response)
                assert not changed, (target, field, value)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", "\x00", json.dumps({"reason": "\x00"})]
)
def test_writes_reject_bodies_that_are_not_the_right_object(world: World, raw: str) -> None:
    for client, target, valid in _writes(world):
        response, changed = _send(world, client, target, valid, lambda _full: raw)
        if target.endswith(("complete", "cancel", "first-contact")) and raw.startswith('{"'):
            continue  # an unknown field next to optional ones is ignored
        _assert_error_shape(response)
        assert not changed


@pytest.mark.parametrize("bad", ["x", "0", "-1", "1.5", str(10**30), "%00"])
def test_bad_match_ids_are_404_or_422_never_500(world: World, bad: str) -> None:
    coordinator = client_for("coordinator")
    for suffix in ("", "/accept", "/offer", "/decline", "/end", "/cancel"):
        method = coordinator.get if not suffix else coordinator.post
        response = method(
            f"{API}/matches/{bad}{suffix}",
            **({} if not suffix else {"data": "{}", "content_type": "application/json"}),
        )
        assert response.status_code in (404, 422), (suffix, response.status_code)
        _assert_error_shape(response)


@pytest.mark.parametrize(
    "query",
    [
        "?programme_id=x",
        "?programme_id=0",
        f"?programme_id={10**30}",
        "?status=nope",
        "?page=0",
        "?page=x",
        "?page_size=100000",
    ],
)
def test_bad_list_filters_are_422(query: str) -> None:
    response = client_for("coordinator").get(f"{API}/matches{query}")
    assert response.status_code == 422
    _assert_error_shape(response)


def test_missing_ids_in_the_body_are_404(world: World) -> None:
    profile = ready_peer(world.programme_a)
    response = client_for("coordinator").post(
        f"{API}/matches",
        data=json.dumps({"enrolment_id": 2**62, "profile_id": profile.pk}),
        content_type="application/json",
    )
    assert response.status_code == 404
    _assert_error_shape(response)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(["reason", "note", "rematch", "on"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=30),
            st.sampled_from(["not_a_fit", "safety", "other", "2026-01-01T00:00:00Z"]),
        ),
    )
)
def test_random_end_and_first_contact_payloads_never_cause_a_server_error(
    world: World, payload: dict[str, Any]
) -> None:
    with transaction.atomic():
        match = walk_to(M.INTRODUCED, world.programme_a)
        client = client_for("coordinator")
        for action in ("end", "first-contact"):
            response = client.post(
                f"{API}/matches/{match.pk}/{action}",
                data=json.dumps(payload),
                content_type="application/json",
            )
            assert response.status_code < 500, response.content[:300]
            if response.status_code >= 400:
                _assert_error_shape(response)
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------- pages


def test_pages_with_bad_form_values_answer_422_and_change_nothing(world: World) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    client = client_for("coordinator")
    before = _state()
    for name, data in [
        ("match_end", {"reason": "nope"}),
        ("match_end", {"reason": "other", "note": "x" * 5000}),
        ("match_end", {"reason": ["not_a_fit", "safety"], "note": "\x00"}),
        ("match_complete", {"note": "x" * 5000}),
        ("match_first_contact", {"on": "2026-02-30"}),
        ("match_decline", {"reason": ""}),
        ("match_cancel", {"note": "x" * 5000}),
    ]:
        response = client.post(reverse(f"matching:{name}", args=[match.pk]), data)
        assert response.status_code == 422, (name, data)
    assert _state() == before
    assert Match.objects.get(pk=match.pk).status == M.ACTIVE


def test_page_filters_tolerate_nonsense(world: World) -> None:
    url = reverse("matching:programme_matches", args=[world.programme_a.pk])
    client = client_for("coordinator")
    for query in ("?status=\x00", "?page=-1", "?page=99999", "?status=" + "x" * 5000):
        assert client.get(url + query).status_code == 200, query


def test_a_peer_posting_to_an_unknown_match_gets_404(world: World) -> None:
    match = offered(world.programme_a)
    client = client_of(match.profile)
    url = reverse("matching:match_accept", args=[match.pk + 10_000])
    assert client.post(url).status_code == 404
    assert client.get(f"/matching/matches/{10**25}/").status_code == 404
