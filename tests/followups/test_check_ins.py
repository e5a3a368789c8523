"""Match check-ins: links answered once, without an account; expired and replaced
links; the coordinator's recorded answers; an uncomfortable answer puts the check-in
item at the top of the queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from peerbridge.core.links import token_digest
from peerbridge.core.models import AuditEvent
from peerbridge.followups.models import Action, Event, Rule, WorkItem
from peerbridge.followups.scan import scan
from peerbridge.matching import lifecycle
from peerbridge.matching.check_ins import (
    CheckInUnavailable,
    check_in_answer,
    check_in_open,
    check_in_record,
)
from peerbridge.matching.models import EndReason, MatchCheckIn
from peerbridge.notifications.models import Notification
from tests.conftest import client_for
from tests.followups import world as w


@pytest.fixture
def match(db: None) -> Any:
    programme = w.programme("recovery-peers")
    return w.new_match(programme)


def _answer_form(client: Client, token: str) -> dict[str, str]:
    page = client.get(f"/check-in/{token}/")
    assert page.status_code == 200
    return {"stamp": page.context["form"].initial["stamp"], "website": ""}


def test_the_link_is_stored_as_a_digest_and_answers_once(match: Any) -> None:
    check_in, token = check_in_open(match, side="participant", actor=None)
    assert check_in.token_hash == token_digest(token) and token not in check_in.token_hash
    assert check_in.expires_at is not None
    assert check_in.expires_at - timezone.now() > timedelta(days=13)
    answered = check_in_answer(token=token, comfortable=True, wants_change=False, comment="Fine")
    assert answered.answered_at is not None and answered.recorded_by is None
    with pytest.raises(CheckInUnavailable) as again:
        check_in_answer(token=token, comfortable=False, wants_change=True, comment="")
    assert again.value.reason == "answered"
    same, no_token = check_in_open(match, side="participant", actor=None)
    assert same.pk == check_in.pk and no_token == ""


def test_opening_again_replaces_the_link(match: Any) -> None:
    first, old = check_in_open(match, side="peer", actor=None)
    second, new = check_in_open(match, side="peer", actor=None)
    assert first.pk == second.pk and old != new
    assert MatchCheckIn.objects.filter(match=match).count() == 1
    with pytest.raises(CheckInUnavailable) as replaced:
        check_in_answer(token=old, comfortable=True, wants_change=False, comment="")
    assert replaced.value.reason == "unknown"
    check_in_answer(token=new, comfortable=True, wants_change=False, comment="")


def test_an_expired_link_cannot_be_answered(match: Any) -> None:
    _row, token = check_in_open(match, side="participant", actor=None)
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        with pytest.raises(CheckInUnavailable) as late:
            check_in_answer(token=token, comfortable=True, wants_change=False, comment="")
        assert late.value.reason == "expired"
        page = Client().get(f"/check-in/{token}/")
    assert page.status_code == 410
    assert "expired" in page.content.decode()


def test_a_link_to_an_ended_match_says_so(match: Any) -> None:
    _row, token = check_in_open(match, side="participant", actor=None)
    lifecycle.match_end(match, reason=EndReason.PEER_UNAVAILABLE, note="", actor=None)
    page = Client().get(f"/check-in/{token}/")
    assert page.status_code == 410 and "ended" in page.content.decode()
    with pytest.raises(ValidationError):
        check_in_open(match, side="peer", actor=None)


def test_the_public_page_takes_the_answer_without_an_account(match: Any) -> None:
    _row, token = check_in_open(match, side="participant", actor=None)
    client = Client()
    form = _answer_form(client, token)
    page = client.get(f"/check-in/{token}/")
    assert page["Referrer-Policy"] == "same-origin" and page["Cache-Control"] == "no-store"
    assert str(match.enrolment.person) not in page.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        done = client.post(
            f"/check-in/{token}/",
            {**form, "comfortable": "no", "wants_change": "yes", "comment": "Not a good fit."},
        )
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    stored = MatchCheckIn.objects.get(match=match, side="participant")
    assert stored.comfortable is False and stored.wants_change is True
    assert stored.comment == "Not a good fit."
    assert AuditEvent.objects.filter(
        object_type="matching.matchcheckin", object_id=str(stored.pk), action="update"
    ).exists()
    used = client.get(f"/check-in/{token}/")
    assert used.status_code == 410 and "already been answered" in used.content.decode()


def test_a_bot_posting_at_once_saves_nothing(match: Any) -> None:
    _row, token = check_in_open(match, side="participant", actor=None)
    client = Client()
    form = _answer_form(client, token)
    page = client.post(f"/check-in/{token}/", {**form, "comfortable": "yes", "wants_change": "no"})
    assert page.status_code == 200
    assert MatchCheckIn.objects.get(match=match, side="participant").answered_at is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"comfortable": "maybe", "wants_change": "no"},
        {"comfortable": "yes", "wants_change": "no", "comment": "x" * 5000},
        {"comfortable": "yes", "wants_change": ["perhaps"]},
    ],
)
def test_malformed_answers_are_refused_with_form_errors(match: Any, data: dict[str, Any]) -> None:
    _row, token = check_in_open(match, side="peer", actor=None)
    page = Client().post(f"/check-in/{token}/", data)
    assert page.status_code == 422
    assert MatchCheckIn.objects.get(match=match, side="peer").answered_at is None


@pytest.mark.parametrize("token", ["not-a-token", "x" * 300, "%00", "..%2F"])
def test_unknown_links_are_not_found(db: None, token: str) -> None:
    assert Client().get(f"/check-in/{token}/").status_code == 404
    assert Client().post(f"/check-in/{token}/", {"comfortable": "yes"}).status_code == 404


def test_an_uncomfortable_answer_puts_the_check_in_item_first(db: None) -> None:
    programme = w.programme("recovery-peers")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        playbook = w.playbook_with(
            programme,
            w.check_rule(),
            Rule(
                title="Earlier task",
                event=Event.MATCH_ACCEPTED,
                offset_days=1,
                action=Action.WORK_ITEM,
            ),
        )
        match = w.new_match(programme)
    with time_machine.travel(start + timedelta(days=8), tick=False):
        scan()
        check_item = WorkItem.objects.get(
            rule__playbook=playbook, action=Action.CHECK_IN, match=match
        )
        coordinator = client_for("coordinator")
        order = [i.pk for i in coordinator.get("/followups/").context["items"]]
        assert order.index(check_item.pk) > 0  # the earlier task comes first
        check_in_record(
            match, side="peer", comfortable=True, wants_change=True, comment="", actor=None
        )
        check_item.refresh_from_db()
        assert check_item.outcome == {"attention": True, "attention_sides": ["peer"]}
        order = [i.pk for i in coordinator.get("/followups/").context["items"]]
        assert order[0] == check_item.pk


def test_the_coordinator_can_email_or_show_a_link(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    programme = w.programme("recovery-peers")
    playbook = w.playbook_with(
        programme,
        w.check_rule(offset_days=0),
    )
    enrolment = w.participant(programme, email="pat@example.org", consent_email=True)
    profile = w.peer(programme)
    w.accepted_match(enrolment, profile)
    scan()
    item = WorkItem.objects.get(rule__playbook=playbook, enrolment=enrolment)
    client = client_for("coordinator")
    url = f"/followups/items/{item.pk}/check-in-link/"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"side": "participant", "how": "email"})
    assert sent.status_code == 302
    # The link is in the outbox's encrypted body only, never its plain link column.
    assert list(Notification.objects.filter(kind="followups_check_in").values("link")) == [
        {"link": ""}
    ]
    w.deliver()
    [email] = w.mail_to("pat@example.org")
    assert "Pat" not in email.body  # no name, only the question and the link
    link = email.body.split("http://testserver", 1)[1].split()[0]
    assert Client().get(link).status_code == 200
    # The programme's own peer supporter gets work email at their sign-in address.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        emailed = client.post(url, {"side": "peer", "how": "email"})
    assert emailed.status_code == 302
    w.deliver()
    assert len(w.mail_to(profile.person.user.email)) == 1
    # A participant without email consent is not emailed: the coordinator calls them.
    other = w.participant(programme, email="no-consent@example.org", consent_email=False)
    w.accepted_match(other, w.peer(programme))
    scan()
    other_item = WorkItem.objects.get(rule__playbook=playbook, enrolment=other)
    refused = client.post(
        f"/followups/items/{other_item.pk}/check-in-link/",
        {"side": "participant", "how": "email"},
        follow=True,
    )
    assert "call them instead" in refused.content.decode()
    shown = client.post(url, {"side": "peer", "how": "show"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    peer_link = shown.context["link"].split("http://testserver", 1)[1]
    assert Client().get(peer_link).status_code == 200
