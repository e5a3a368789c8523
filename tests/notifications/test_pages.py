"""The inbox, the preferences page and a programme's outbox page."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from peerbridge.core.models import AuditEvent, User
from peerbridge.notifications.context import unread_count
from peerbridge.notifications.models import Channel, Notification, Preference
from peerbridge.notifications.reach import preference_of
from peerbridge.people.models import Person
from tests.conftest import World, client_for
from tests.notifications.world import TEST_KIND, queued, sent_in_app, user_for

Status = Notification.Status
SECRET_SUBJECT = "Subject only the recipient may read"
SECRET_BODY = "Body only the recipient may read"

pytestmark = pytest.mark.django_db


def _message(user: User, **fields: Any) -> Notification:
    """An in-app message whose subject and body only the recipient may read."""
    defaults = {"subject": SECRET_SUBJECT, "body": SECRET_BODY, "link": "/messages/preferences/"}
    return sent_in_app(user, **{**defaults, **fields})


def _clear_inbox(user: User) -> None:
    Notification.objects.filter(user=user).update(status=Status.CANCELLED)


# --- Inbox --------------------------------------------------------------------------


def test_the_inbox_shows_my_messages_newest_first_with_unread_marked() -> None:
    user = user_for("peer")
    _clear_inbox(user)
    _message(user, subject="Older and read", read=True, minutes_ago=30)
    _message(user, subject="Newer and unread", minutes_ago=5)
    _message(user_for("coordinator"), subject="Someone else's message")

    response = client_for("peer").get("/messages/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Newer and unread") < page.index("Older and read")
    assert page.count("badge warn") == 1
    assert "Someone else&#x27;s message" not in page and "Someone else's message" not in page
    assert "Mark all read" in page


def test_marking_one_message_read() -> None:
    user = user_for("peer")
    message = _message(user)

    response = client_for("peer").post(f"/messages/{message.pk}/read/", {"page": "2"})

    assert response.status_code == 302 and response.url == "/messages/?page=2"
    message.refresh_from_db()
    assert message.read_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="notifications.notification",
        object_id=str(message.pk),
    ).exists()


def test_opening_a_message_marks_it_read_and_goes_to_its_page() -> None:
    message = _message(user_for("peer"), link="/messages/preferences/")

    response = client_for("peer").post(f"/messages/{message.pk}/read/", {"open": "1"})

    assert response.status_code == 302 and response.url == "/messages/preferences/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_a_message_with_an_unsafe_link_is_not_followed() -> None:
    message = _message(user_for("peer"), link="//elsewhere.example/")

    response = client_for("peer").post(f"/messages/{message.pk}/read/", {"open": "1"})

    assert response.status_code == 302 and response.url.startswith("/messages/")


def test_someone_elses_message_is_not_found() -> None:
    message = _message(user_for("coordinator"))

    response = client_for("peer").post(f"/messages/{message.pk}/read/")

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


@pytest.mark.parametrize(
    "path", ["/messages/abc/read/", "/messages/-1/read/", "/messages/1.5/read/"]
)
def test_a_malformed_message_id_is_not_found(path: str) -> None:
    assert client_for("peer").post(path).status_code == 404


def test_an_email_row_is_not_in_the_inbox() -> None:
    user = user_for("peer")
    email = _message(user, channel=Channel.EMAIL)

    assert client_for("peer").post(f"/messages/{email.pk}/read/").status_code == 404


def test_mark_all_read_marks_only_mine() -> None:
    mine = [_message(user_for("peer")) for _ in range(3)]
    theirs = _message(user_for("coordinator"))

    response = client_for("peer").post("/messages/read-all/")

    assert response.status_code == 302
    assert Notification.objects.filter(pk__in=[m.pk for m in mine], read_at=None).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("page", ["abc", "0", "-3", "99999", "1" * 30])
def test_odd_page_numbers_show_a_page(page: str) -> None:
    assert client_for("peer").get(f"/messages/?page={page}").status_code == 200


def _inbox_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/messages/").status_code == 200
    return len(queries)


def test_the_inbox_answers_in_the_same_number_of_queries_for_2_or_12_messages() -> None:
    user = user_for("peer")
    _clear_inbox(user)
    client = client_for("peer")
    for _ in range(2):
        _message(user)
    _inbox_queries(client)  # warm the session and caches
    few = _inbox_queries(client)
    for _ in range(10):
        _message(user)
    many = _inbox_queries(client)
    assert few == many


def test_the_unread_count_is_lazy_and_counts_my_unread_messages() -> None:
    user = user_for("peer")
    _clear_inbox(user)
    _message(user)
    _message(user, read=True)
    request = RequestFactory().get("/")
    request.user = user

    with CaptureQueriesContext(connection) as queries:
        found = unread_count(request)
    assert len(queries) == 0
    assert str(found["unread_message_count"]) == "1"


def test_no_unread_count_for_visitors() -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert unread_count(request) == {}


# --- Preferences --------------------------------------------------------------------


def test_preferences_show_the_defaults_before_anything_is_saved() -> None:
    user = user_for("stranger")
    Preference.objects.filter(user=user).delete()

    response = client_for("stranger").get("/messages/preferences/")

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["channels"] == "email"
    assert "daily_digest" not in form.fields  # no work role: no daily summary


def test_staff_choose_channels_quiet_hours_and_the_daily_summary() -> None:
    user = user_for("coordinator")

    response = client_for("coordinator").post(
        "/messages/preferences/",
        {"channels": "sms,email", "quiet_from": "21:30", "quiet_until": "07:00"},
    )

    assert response.status_code == 302
    saved = preference_of(user=user, person=Person.objects.filter(user=user).first())
    assert saved is not None
    assert saved.channels == ["sms", "email"]
    assert (saved.quiet_from, saved.quiet_until) == (time(21, 30), time(7, 0))
    assert saved.daily_digest is False  # the box was not ticked
    assert AuditEvent.objects.filter(
        object_type="notifications.preference", object_id=str(saved.pk)
    ).exists()


def test_only_in_peerbridge_is_saved_and_shown_again() -> None:
    client = client_for("participant")
    assert client.post("/messages/preferences/", {"channels": "in_app"}).status_code == 302

    again = client.get("/messages/preferences/")

    assert again.context["form"].initial["channels"] == "in_app"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channels": "email", "quiet_from": "22:00"}, "quiet_until"),
        ({"channels": "email", "quiet_until": "07:00"}, "quiet_from"),
        ({"channels": "email", "quiet_from": "22:00", "quiet_until": "22:00"}, "quiet_until"),
        ({"channels": "email", "quiet_from": "25:99", "quiet_until": "07:00"}, "quiet_from"),
        ({"channels": "fax"}, "channels"),
        ({}, "channels"),
    ],
)
def test_preferences_show_field_errors(data: dict[str, str], field: str) -> None:
    response = client_for("peer").post("/messages/preferences/", data)

    assert response.status_code == 422
    assert field in response.context["form"].errors


# --- A programme's outbox -----------------------------------------------------------


def test_the_outbox_shows_delivery_state_and_never_what_a_message_said(world: World) -> None:
    coordinator = user_for("coordinator")
    queued(
        channel=Channel.EMAIL,
        programme=world.programme_a,
        user=coordinator,
        subject=SECRET_SUBJECT,
        body=SECRET_BODY,
        status=Status.FAILED,
        attempts=8,
        last_error="SMTPServerDisconnected",
    )

    response = client_for("coordinator").get(
        f"/programmes/{world.programme_a.pk}/outbox/?status=failed"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "SMTPServerDisconnected" in page and TEST_KIND in page
    assert SECRET_SUBJECT not in page and SECRET_BODY not in page
    assert coordinator.email not in page


def test_the_outbox_ignores_unknown_filters(world: World) -> None:
    response = client_for("leader").get(
        f"/programmes/{world.programme_a.pk}/outbox/?status=nope&channel=%00&page=x"
    )
    assert response.status_code == 200


def test_the_outbox_of_another_programme_is_not_found(world: World) -> None:
    url = f"/programmes/{world.programme_b.pk}/outbox/"
    assert client_for("coordinator").get(url).status_code == 404
    assert client_for("admin").get(url).status_code == 200  # the organisation's admin


def test_a_peer_may_not_see_the_outbox(world: World) -> None:
    assert client_for("peer").get(f"/programmes/{world.programme_a.pk}/outbox/").status_code == 403


def _outbox_queries(client: Client, world: World) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/programmes/{world.programme_a.pk}/outbox/").status_code == 200
    return len(queries)


def test_the_outbox_answers_in_the_same_number_of_queries_for_2_or_12_rows(world: World) -> None:
    coordinator = user_for("coordinator")
    Notification.objects.filter(programme=world.programme_a).delete()
    client = client_for("coordinator")
    for _ in range(2):
        queued(channel=Channel.EMAIL, programme=world.programme_a, user=coordinator)
    _outbox_queries(client, world)
    few = _outbox_queries(client, world)
    for _ in range(10):
        queued(channel=Channel.SMS, programme=world.programme_a, user=coordinator)
    assert _outbox_queries(client, world) == few
