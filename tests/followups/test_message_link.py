"""A playbook message to a participant without a login: the email says only that a
message is waiting and carries a link that shows it without an account, for a limited
time; the token is stored only as a digest, and each read is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.test import Client

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.links import token_digest
from peerbridge.core.models import AuditEvent
from peerbridge.followups.messages import READ_LINK_DAYS
from peerbridge.followups.models import WorkItem
from peerbridge.followups.scan import scan
from tests.followups import world as w

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/message/(?P<token>[A-Za-z0-9_-]+)/")


def travel(day: int, hour: int = 10) -> Any:
    return time_machine.travel(w.moment(day, hour, start=START), tick=False)


def _sent_message(django_capture_on_commit_callbacks: Any) -> tuple[WorkItem, str, str]:
    """A hello message to a participant (no login) who agreed to email: the item, the
    email's body and the token from its link."""
    programme = w.quiet_programme()
    with travel(0):
        playbook = w.playbook_with(programme, w.hello_rule(offset_days=2))
        enrolment = w.participant(programme, email="reader@example.org", consent_email=True)
        w.accepted_match(enrolment, w.peer(programme))
    mail.outbox.clear()
    with travel(2), django_capture_on_commit_callbacks(execute=True):
        scan()
    with travel(2):
        w.deliver()
    [sent] = w.mail_to("reader@example.org")
    item = WorkItem.objects.get(rule__playbook=playbook)
    found = LINK.search(sent.body)
    assert found is not None, sent.body
    return item, sent.body, found["token"]


def test_the_email_links_to_the_message_and_the_link_shows_it(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    item, body, token = _sent_message(django_capture_on_commit_callbacks)
    assert item.rule.message not in body
    assert item.read_token_digest == token_digest(token)
    assert token not in item.read_token_digest
    with travel(3):
        response = Client().get(f"/message/{token}/")
    assert response.status_code == 200
    assert item.rule.message in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert AuditEvent.objects.filter(
        action=AuditAction.READ,
        object_type="followups.workitem",
        object_id=str(item.pk),
    ).exists()


def test_the_link_stops_working_after_its_days(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    item, _body, token = _sent_message(django_capture_on_commit_callbacks)
    assert item.read_until is not None
    with time_machine.travel(item.read_until - timedelta(minutes=1), tick=False):
        assert Client().get(f"/message/{token}/").status_code == 200
    with time_machine.travel(item.read_until + timedelta(minutes=1), tick=False):
        gone = Client().get(f"/message/{token}/")
    assert gone.status_code == 404
    assert item.rule.message not in gone.content.decode()
    assert (item.read_until - w.moment(2, 10, start=START)).days == READ_LINK_DAYS


def test_unknown_overlong_or_posted_tokens_get_no_message(db: None) -> None:
    client = Client()
    assert client.get("/message/not-a-token/").status_code == 404
    assert client.get("/message/" + "x" * 500 + "/").status_code == 404
    assert client.post("/message/not-a-token/").status_code == 405
