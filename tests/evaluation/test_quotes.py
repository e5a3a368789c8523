"""Quotes for reports: recorded by runners with field errors for bad input, withdrawn,
audited, and refused to everyone else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.evaluation.models import Quote
from peerbridge.evaluation.quotes import quote_create, quote_withdraw
from peerbridge.referrals.models import Enrolment
from tests.conftest import World, client_for, persona_user

pytestmark = pytest.mark.django_db


def _participant(world: World) -> Enrolment:
    enrolment = Enrolment.objects.filter(programme=world.programme_a).first()
    assert enrolment is not None
    return enrolment


def _url(world: World) -> str:
    return reverse("evaluation:quotes", args=[world.programme_a.pk])


def test_a_coordinator_records_a_quote(world: World) -> None:
    enrolment = _participant(world)
    response = client_for("coordinator").post(
        _url(world),
        {
            "person": enrolment.person_id,
            "speaker": "participant",
            "text": "  Talking to someone who had been there gave me hope.  ",
            "consent_recorded_on": "2024-01-10",
        },
    )
    assert response.status_code == 302
    quote = Quote.objects.get(programme=world.programme_a, person=enrolment.person)
    assert quote.text == "Talking to someone who had been there gave me hope."
    assert AuditEvent.objects.filter(
        action="create", object_type="evaluation.quote", object_id=str(quote.pk)
    ).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"speaker": "neighbour"}, "speaker"),
        ({"consent_recorded_on": "2026-02-31"}, "consent_recorded_on"),
        ({"person": "abc"}, "person"),
        ({"person": "99999999"}, "person"),
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"site": "99999999"}, "site"),
    ],
)
def test_bad_input_shows_field_errors(world: World, data: dict[str, str], field: str) -> None:
    body = {
        "person": str(_participant(world).person_id),
        "speaker": "participant",
        "text": "Fine words.",
        "consent_recorded_on": "2024-01-10",
        **data,
    }
    response = client_for("leader").post(_url(world), body)
    assert response.status_code == 422
    assert field in response.context["form"].errors


def test_consent_in_the_future_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        quote_create(
            programme=world.programme_a,
            person=_participant(world).person,
            speaker="participant",
            text="Words.",
            consent_recorded_on=timezone.localdate() + timedelta(days=2),
            actor=None,
        )
    assert "consent_recorded_on" in caught.value.message_dict


def test_someone_outside_the_programme_cannot_be_quoted(world: World) -> None:
    outsider = Enrolment.objects.filter(programme=world.programme_b).first()
    assert outsider is not None
    with pytest.raises(ValidationError) as caught:
        quote_create(
            programme=world.programme_a,
            person=outsider.person,
            speaker="participant",
            text="Words.",
            consent_recorded_on=date(2024, 1, 1),
            actor=None,
        )
    assert "person" in caught.value.message_dict


def _quote(world: World) -> Quote:
    return quote_create(
        programme=world.programme_a,
        person=_participant(world).person,
        speaker="participant",
        text="Words I agreed to share.",
        consent_recorded_on=date(2024, 1, 1),
        actor=persona_user("leader"),
    )


def test_withdrawing_a_quote(world: World) -> None:
    quote = _quote(world)
    url = reverse("evaluation:quote_withdraw", args=[quote.pk])
    assert client_for("coordinator").post(url).status_code == 302
    quote.refresh_from_db()
    assert quote.withdrawn_at is not None
    # Twice is harmless: a message, no change.
    assert client_for("coordinator").post(url).status_code == 302
    with pytest.raises(ValidationError):
        quote_withdraw(quote=quote, actor=None)


def test_who_may_manage_quotes(world: World) -> None:
    quote = _quote(world)
    withdraw = reverse("evaluation:quote_withdraw", args=[quote.pk])
    for persona in ("participant", "peer", "evaluator", "supervisor"):
        assert client_for(persona).get(_url(world)).status_code == 403
        assert client_for(persona).post(withdraw).status_code == 403
    other = reverse("evaluation:quotes", args=[world.programme_b.pk])
    assert client_for("leader").get(other).status_code == 404
    assert (
        client_for("leader").post(reverse("evaluation:quote_withdraw", args=[0])).status_code == 404
    )
    quote.refresh_from_db()
    assert quote.withdrawn_at is None


def test_the_quotes_page_lists_without_growing_queries(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("leader")
    _quote(world)
    client.get(_url(world))
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(world)).status_code == 200
    for _ in range(10):
        _quote(world)
    with CaptureQueriesContext(connection) as many:
        assert client.get(_url(world)).status_code == 200
    assert len(few) == len(many)
