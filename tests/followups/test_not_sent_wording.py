"""Why a playbook message was not sent, in words a coordinator can act on."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from peerbridge.core.models import User
from peerbridge.followups.messages import (
    REASON_NO_ADDRESS,
    REASON_NO_CONSENT,
    REASON_NO_RECIPIENT,
)
from peerbridge.followups.models import WorkItem
from peerbridge.followups.wording import not_sent_reason

WORDS = {
    REASON_NO_ADDRESS: "No email address or mobile number on record: call them instead",
    REASON_NO_CONSENT: "They have not agreed to be contacted this way",
    REASON_NO_RECIPIENT: "Nobody to send it to",
}


@pytest.mark.parametrize(("reason", "words"), WORDS.items())
def test_each_reason_has_its_words(reason: str, words: str) -> None:
    item = WorkItem(status=WorkItem.Status.FAILED, outcome={"reason": reason})
    assert not_sent_reason(item) == words


@pytest.mark.parametrize("outcome", [{}, {"reason": "something new"}, {"reason": 3}])
def test_an_unknown_reason_still_says_to_reach_them_another_way(outcome: object) -> None:
    item = WorkItem(status=WorkItem.Status.FAILED, outcome=outcome)
    assert not_sent_reason(item) == "It could not be sent: reach them another way"


def test_nothing_is_said_when_the_message_did_not_fail() -> None:
    item = WorkItem(status=WorkItem.Status.SENT, outcome={"reason": REASON_NO_ADDRESS})
    assert not_sent_reason(item) == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("reason", "words"), WORDS.items())
def test_the_item_page_shows_the_reason_in_words(reason: str, words: str) -> None:
    item = WorkItem.objects.filter(programme__code="family-and-peer-courses").first()
    assert item is not None, "the demo gives programme B work items"
    WorkItem.objects.filter(pk=item.pk).update(
        status=WorkItem.Status.FAILED, outcome={"reason": reason}
    )
    client = Client()
    client.force_login(User.objects.get(email="coordinator.b@demo.peerbridge.test"))
    page = client.get(reverse("followups:item", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Message not sent" in html
    assert words in html
