"""Queueing messages: which channels a recipient gets, what the rows hold (a path; the
bodies an absolute link, as plain text), idempotence, and urgent messages."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.notifications.models import Channel, Notification, Preference
from peerbridge.notifications.reach import reachable_channels
from peerbridge.notifications.services import SMS_MAX, notify, notify_many
from peerbridge.people.models import ConsentScope, Person
from peerbridge.people.services import person_create
from tests.conftest import World, persona_user
from tests.notifications.world import TEST_KIND, participant

Status = Notification.Status
SITE = "https://peerbridge.example.org"

pytestmark = [
    pytest.mark.usefixtures("test_kind_templates", "clean_outbox"),
    pytest.mark.django_db,
]


def _coordinator(*, phone: str = "") -> User:
    """The coordinator persona, with a person record carrying `phone`."""
    user = persona_user("coordinator")
    assert user is not None
    person = Person.objects.filter(user=user).first() or person_create(
        given_name="Coordinator", family_name="A", created_by=None, user=user
    )
    person.phone = phone
    person.save()
    return user


@override_settings(SITE_URL=SITE)
def test_staff_get_an_in_app_message_at_once_and_an_email_to_send(world: World) -> None:
    user = _coordinator()

    rows = notify(
        kind=TEST_KIND,
        programme=world.programme_a,
        context={"who": "Sam"},
        user=user,
        link="/messages/",
    )

    by_channel = {row.channel: row for row in rows}
    assert set(by_channel) == {Channel.IN_APP, Channel.EMAIL}
    in_app, email = by_channel[Channel.IN_APP], by_channel[Channel.EMAIL]
    assert (in_app.status, in_app.sent_at is not None) == (Status.SENT, True)
    assert in_app.body == "Sam asked you to look at this."
    assert in_app.subject == "Something needs your attention"
    assert (email.status, email.sent_at) == (Status.PENDING, None)
    assert f"{SITE}/messages/" in email.body
    assert email.link == "/messages/"  # the row keeps the path


def test_bodies_are_plain_text_not_html(world: World) -> None:
    user = _coordinator()
    [in_app, _email] = notify(
        kind=TEST_KIND, programme=world.programme_a, context={"who": "O'Brien & <Co>"}, user=user
    )
    assert in_app.body == "O'Brien & <Co> asked you to look at this."


def test_a_dedupe_key_queues_once_per_channel(world: World) -> None:
    user = _coordinator()
    first = notify(
        kind=TEST_KIND, programme=world.programme_a, context={}, user=user, dedupe_key="t:1"
    )
    again = notify(
        kind=TEST_KIND, programme=world.programme_a, context={}, user=user, dedupe_key="t:1"
    )
    assert len(first) == 2 and again == []
    assert Notification.objects.filter(dedupe_key="t:1").count() == 2


@pytest.mark.parametrize("link", ["https://elsewhere.example/", "//elsewhere.example/", "flags/"])
def test_a_link_must_be_a_path_inside_peerbridge(world: World, link: str) -> None:
    with pytest.raises(ValueError):
        notify(
            kind=TEST_KIND, programme=world.programme_a, context={}, user=_coordinator(), link=link
        )


def test_a_message_for_later_waits_in_the_outbox_on_every_channel(world: World) -> None:
    later = timezone.now() + timezone.timedelta(days=1)
    rows = notify(
        kind=TEST_KIND,
        programme=world.programme_a,
        context={},
        user=_coordinator(),
        not_before=later,
    )
    assert {(r.channel, r.status, r.next_attempt_at) for r in rows} == {
        (Channel.IN_APP, Status.PENDING, later),
        (Channel.EMAIL, Status.PENDING, later),
    }


def test_a_participant_is_only_emailed_with_consent(world: World) -> None:
    agreed = participant(world.programme_a, scopes=(ConsentScope.CONTACT_EMAIL,))
    refused = participant(world.programme_a, scopes=(ConsentScope.PARTICIPATION,))

    [row] = notify(kind=TEST_KIND, programme=world.programme_a, context={}, person=agreed)

    assert (row.channel, row.person, row.user) == (Channel.EMAIL, agreed, None)
    assert notify(kind=TEST_KIND, programme=world.programme_a, context={}, person=refused) == []


def test_a_text_message_is_one_short_line(world: World) -> None:
    person = participant(world.programme_a, channels=("sms",))
    [row] = notify(
        kind=TEST_KIND, programme=world.programme_a, context={}, person=person, link="/messages/"
    )
    assert row.channel == Channel.SMS
    assert "\n" not in row.body and len(row.body) <= SMS_MAX
    assert row.body.endswith("/messages/")


def test_the_first_reachable_channel_in_the_persons_order_is_used(world: World) -> None:
    no_email_consent = participant(
        world.programme_a, scopes=(ConsentScope.CONTACT_SMS,), channels=("email", "sms")
    )
    [row] = notify(kind=TEST_KIND, programme=world.programme_a, context={}, person=no_email_consent)
    assert row.channel == Channel.SMS


def test_in_app_only_is_a_choice_for_ordinary_messages(world: World) -> None:
    user = _coordinator(phone="+44 7700 900777")
    Preference.objects.update_or_create(user=user, defaults={"channels": ["in_app"]})
    Preference.objects.filter(person__user=user).update(channels=["in_app"])

    assert reachable_channels(user=user, person=None, programme=world.programme_a) == [
        Channel.IN_APP
    ]


def test_an_urgent_message_reaches_staff_on_every_channel_they_have(world: World) -> None:
    user = _coordinator(phone="+44 7700 900777")
    Preference.objects.update_or_create(user=user, defaults={"channels": ["in_app"]})

    rows = notify(kind=TEST_KIND, programme=world.programme_a, context={}, user=user, urgent=True)

    assert sorted(r.channel for r in rows) == sorted([Channel.IN_APP, Channel.EMAIL, Channel.SMS])


def test_an_urgent_message_still_needs_a_participants_consent(world: World) -> None:
    person = participant(
        world.programme_a, scopes=(ConsentScope.CONTACT_SMS,), channels=("email", "sms")
    )
    rows = notify(
        kind=TEST_KIND, programme=world.programme_a, context={}, person=person, urgent=True
    )
    assert [r.channel for r in rows] == [Channel.SMS]


def test_notify_many_reaches_each_login_once(world: World) -> None:
    users = [persona_user("coordinator"), persona_user("leader")]
    assert all(users)
    first = notify_many(
        kind=TEST_KIND,
        programme=world.programme_a,
        users=[u for u in users if u],
        context={},
        dedupe_prefix="team:1",
    )
    again = notify_many(
        kind=TEST_KIND,
        programme=world.programme_a,
        users=[u for u in users if u],
        context={},
        dedupe_prefix="team:1",
    )
    assert {r.user for r in first if r.channel == Channel.IN_APP} == set(users)
    assert again == []


def test_nobody_to_reach_queues_nothing(world: World) -> None:
    assert notify(kind=TEST_KIND, programme=world.programme_a, context={}) == []


def test_a_kind_without_templates_queues_nothing(world: World) -> None:
    assert (
        notify(kind="notifications_no_such_kind", programme=None, context={}, user=_coordinator())
        == []
    )
