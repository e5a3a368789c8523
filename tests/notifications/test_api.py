"""The API for my messages and my notification preferences, with malformed input."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peerbridge.core.models import User
from peerbridge.notifications.models import Notification
from peerbridge.notifications.reach import preference_of
from peerbridge.people.models import Person
from tests.conftest import client_for
from tests.notifications.world import sent_in_app, user_for

Status = Notification.Status
MESSAGES = "/api/v1/me/messages"
PREFERENCES = "/api/v1/me/notification-preferences"

pytestmark = pytest.mark.django_db


def _only(user: User) -> None:
    Notification.objects.filter(user=user).update(status=Status.CANCELLED)


def _put(client: Client, body: Any, *, raw: str | None = None) -> Any:
    return client.put(
        PREFERENCES,
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
    )


def _error_fields(response: Any) -> dict[str, list[str]]:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    fields: dict[str, list[str]] = error["fields"]
    return fields


def test_my_messages_newest_first_with_unread_flag() -> None:
    user = user_for("peer")
    _only(user)
    older = sent_in_app(user, read=True, minutes_ago=10)
    newer = sent_in_app(user)
    sent_in_app(user_for("coordinator"))

    body = client_for("peer").get(MESSAGES).json()

    assert body["count"] == 2
    assert [(m["id"], m["unread"]) for m in body["items"]] == [(newer.pk, True), (older.pk, False)]
    assert body["items"][0]["link"] == "/messages/"
    unread = client_for("peer").get(f"{MESSAGES}?unread=true").json()
    assert [m["id"] for m in unread["items"]] == [newer.pk]


def test_marking_a_message_read_and_all_read() -> None:
    user = user_for("peer")
    _only(user)
    first, second, third = (sent_in_app(user) for _ in range(3))
    client = client_for("peer")

    response = client.post(f"{MESSAGES}/{first.pk}/read")

    assert response.status_code == 200 and response.json()["unread"] is False
    assert client.post(f"{MESSAGES}/read-all").json() == {"marked": 2}
    assert client.post(f"{MESSAGES}/read-all").json() == {"marked": 0}
    assert not Notification.objects.filter(pk__in=[second.pk, third.pk], read_at=None).exists()


def test_someone_elses_message_is_not_found() -> None:
    theirs = sent_in_app(user_for("coordinator"))

    response = client_for("peer").post(f"{MESSAGES}/{theirs.pk}/read")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("message_id", ["abc", "1.5", "99999999999999999999999"])
def test_a_malformed_message_id_is_refused_with_the_error_shape(message_id: str) -> None:
    response = client_for("peer").post(f"{MESSAGES}/{message_id}/read")

    assert response.status_code in {404, 422}
    assert "error" in response.json()


@pytest.mark.parametrize(
    "query", ["page=0", "page=abc", "page_size=1000", "unread=perhaps", "page=-1"]
)
def test_malformed_list_parameters_are_refused(query: str) -> None:
    response = client_for("peer").get(f"{MESSAGES}?{query}")

    assert response.status_code == 422
    assert _error_fields(response)


def test_the_message_list_answers_in_constant_queries() -> None:
    user = user_for("peer")
    _only(user)
    client = client_for("peer")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MESSAGES).status_code == 200
        return len(queries)

    for _ in range(2):
        sent_in_app(user)
    count()
    few = count()
    for _ in range(10):
        sent_in_app(user)
    assert count() == few


def test_preferences_read_the_defaults_then_what_was_saved() -> None:
    client = client_for("coordinator")

    first = client.get(PREFERENCES).json()
    assert set(first) == {"channels", "quiet_from", "quiet_until", "daily_digest", "saved"}

    response = _put(
        client,
        {"channels": ["sms"], "quiet_from": "22:00", "quiet_until": "07:30", "daily_digest": False},
    )

    assert response.status_code == 200
    assert response.json() == {
        "channels": ["sms"],
        "quiet_from": "22:00:00",
        "quiet_until": "07:30:00",
        "daily_digest": False,
        "saved": True,
    }
    user = user_for("coordinator")
    saved = preference_of(user=user, person=Person.objects.filter(user=user).first())
    assert saved is not None and saved.quiet_until == time(7, 30)


def test_no_channels_means_only_in_peerbridge() -> None:
    client = client_for("participant")

    response = _put(client, {"channels": []})

    assert response.status_code == 200 and response.json()["channels"] == []
    assert client.get(PREFERENCES).json()["channels"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["email", "email"]}, "channels"),
        ({"channels": ["fax"]}, "channels"),
        ({"channels": "email"}, "channels"),
        ({"channels": ["email", "sms", "email"]}, "channels"),
        ({}, "channels"),
        ({"channels": ["email"], "quiet_from": "22:00"}, "quiet_until"),
        ({"channels": ["email"], "quiet_until": "07:00"}, "quiet_from"),
        ({"channels": ["email"], "quiet_from": "22:00", "quiet_until": "22:00"}, "quiet_until"),
        ({"channels": ["email"], "quiet_from": "25:00", "quiet_until": "07:00"}, "quiet_from"),
        ({"channels": ["email"], "quiet_from": 2200, "quiet_until": "07:00"}, "quiet_from"),
        (
            {"channels": ["email"], "quiet_from": "22:00+01:00", "quiet_until": "07:00"},
            "quiet_from",
        ),
        ({"channels": ["email"], "daily_digest": "yes"}, "daily_digest"),
        ({"channels": ["email\u0000"]}, "channels"),
    ],
)
def test_malformed_preferences_are_refused_with_field_errors(
    body: dict[str, Any], field: str
) -> None:
    response = _put(client_for("peer"), body)

    assert response.status_code == 422, response.content
    assert any(name.startswith(field) for name in _error_fields(response)), response.json()


@pytest.mark.parametrize("raw", ["{not json", "[]", "null", "42", '"text"'])
def test_a_body_that_is_not_a_json_object_is_refused(raw: str) -> None:
    response = _put(client_for("peer"), None, raw=raw)

    assert response.status_code in {400, 422}
    assert "error" in response.json()


def test_visitors_must_sign_in() -> None:
    response = Client().get(MESSAGES)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
