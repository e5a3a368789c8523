"""Matrix rows for the inbox, notification preferences and a programme's outbox.

Every signed-in person has an inbox and preferences of their own (a stranger with no
role too). `notification_id`/`message_id` is an in-app message to persona "peer": anyone
else gets 404. The outbox is for admins, leaders and coordinators of the programme."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import api, cells, expect, role_gate, signed_in

OUTBOX_STAFF = ("coordinator", "leader", "admin")
OUTBOX = "programmes/<int:programme_id>/outbox/"
READ = "messages/<int:notification_id>/read/"
API_ME = "api/v1/me"

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("messages/", "GET"): signed_in(200),
    ("messages/", "POST"): signed_in(405),
    ("messages/preferences/", "GET"): signed_in(200),
    ("messages/preferences/", "POST"): signed_in(422),
    ("messages/read-all/", "GET"): signed_in(405),
    ("messages/read-all/", "POST"): signed_in(302),
    (READ, "GET"): signed_in(405),
    (READ, "POST"): expect(404, anonymous=302, peer=302),
    (OUTBOX, "GET"): role_gate(cells(OUTBOX_STAFF, 200)),
    (OUTBOX, "POST"): role_gate(cells(OUTBOX_STAFF, 405)),
    # API
    (f"{API_ME}/messages", "GET"): api(200),
    (f"{API_ME}/messages/read-all", "POST"): api(200),
    (f"{API_ME}/messages/<message_id>/read", "POST"): expect(404, anonymous=401, peer=200),
    (f"{API_ME}/notification-preferences", "GET"): api(200),
    (f"{API_ME}/notification-preferences", "PUT"): api(200),
}


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.notifications.models import Channel, Notification
    from tests.conftest import persona_user

    message = Notification.objects.create(
        kind="matrix_message",
        channel=Channel.IN_APP,
        programme=world.programme_a,
        user=persona_user("peer"),
        subject="Matrix message",
        body="Something needs your attention.",
        link="/messages/",
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
    )
    return {"notification_id": message.pk, "message_id": message.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == f"{API_ME}/notification-preferences" and method == "PUT":
        return {
            "channels": ["email", "sms"],
            "quiet_from": "22:00",
            "quiet_until": "07:00",
            "daily_digest": True,
        }
    return None
