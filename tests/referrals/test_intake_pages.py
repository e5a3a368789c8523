"""The intake pages: self-referral, clinician referral with its closed loop, the queue."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Consent, Person
from peerbridge.referrals.forms import SelfReferralForm
from peerbridge.referrals.models import Enrolment
from tests.conftest import client_for

NEW_MOTHERS = "new-mothers"


def _later() -> Any:
    """A human takes more than a few seconds to fill the form in."""
    return time_machine.travel(
        timezone.now() + datetime.timedelta(seconds=10), tick=True
    )  # the demo referrer works at St Catherine's, home of programme C


def _self_referral_body(client: Client, url: str, **changes: str) -> dict[str, Any]:
    page = client.get(url)
    stamp = page.context["form"].initial["stamp"]
    body: dict[str, Any] = {
        "given_name": "Rosa",
        "family_name": "Marin",
        "kind": "patient",
        "phone": "+44 7700 900777",
        "contact_channels": ["phone", "sms"],
        "language": "es",
        "agree": "on",
        "stamp": stamp,
        "website": "",
    }
    body.update(changes)
    return body


@pytest.mark.django_db
def test_self_referral_creates_a_referral_and_confirms(world: Any) -> None:
    client = Client()
    url = reverse("referrals:self_referral", args=[world.programme_a.code])
    body = _self_referral_body(client, url)
    with _later():
        response = client.post(url, body)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    enrolment = Enrolment.objects.get(programme=world.programme_a, person__given_name="Rosa")
    assert (enrolment.status, enrolment.source) == ("referred", "self")
    assert enrolment.person.languages == ["es"]
    consent = Consent.objects.get(person=enrolment.person)
    assert (consent.method, sorted(consent.scopes)) == ("online", ["contact_phone", "contact_sms"])
    # The public page's audit rows do not tie the new person to an address.
    created = AuditEvent.objects.get(
        action="create", object_type="people.person", object_id=str(enrolment.person_id)
    )
    assert (created.actor_id, created.source_ip) == (None, None)


@pytest.mark.django_db
def test_self_referral_ignores_bots_and_fast_posts(world: Any) -> None:
    client = Client()
    url = reverse("referrals:self_referral", args=[world.programme_a.code])
    before = Person.objects.count()
    honeypot = _self_referral_body(client, url, website="http://spam.example")
    with _later():
        assert client.post(url, honeypot).status_code == 302
    too_fast = _self_referral_body(client, url)
    assert client.post(url, too_fast).status_code == 302
    assert Person.objects.count() == before


@pytest.mark.django_db
def test_self_referral_shows_field_errors_and_keeps_input(world: Any) -> None:
    client = Client()
    url = reverse("referrals:self_referral", args=[world.programme_a.code])
    body = _self_referral_body(client, url, phone="", contact_channels=[])
    response = client.post(url, body)
    assert response.status_code == 422
    assert "contact_channels" in response.context["form"].errors
    assert b'value="Rosa"' in response.content


@pytest.mark.django_db
@override_settings(SELF_REFERRAL_LIMIT=2)
def test_self_referral_is_rate_limited(world: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client(REMOTE_ADDR="203.0.113.9")
    url = reverse("referrals:self_referral", args=[world.programme_a.code])
    statuses = []
    for n in range(3):
        body = _self_referral_body(client, url, phone=f"+44 7700 90010{n}")
        with _later():
            statuses.append(client.post(url, body).status_code)
    assert statuses == [302, 302, 429]


@pytest.mark.django_db
def test_closed_or_unknown_programme_has_no_self_referral_page(world: Any) -> None:
    Programme.objects.filter(pk=world.programme_a.pk).update(self_referral_open=False)
    assert Client().get(f"/refer/{world.programme_a.code}/").status_code == 404
    assert Client().get("/refer/no-such-programme/").status_code == 404


def test_form_stamp_rejects_tampering() -> None:
    form = SelfReferralForm({"stamp": "forged", "website": ""})
    assert form.looks_automated()


def _refer(client: Client, programme: Programme, **changes: Any) -> Any:
    body = {
        "programme": programme.pk,
        "given_name": "Kemal",
        "family_name": "Arslan",
        "kind": "patient",
        "phone": "+44 7700 900555",
        "contact_channels": ["phone"],
        "priority": 0,
        "share_with_referrer": "on",
        "referral_reason": "Low mood after discharge",
    }
    body.update(changes)
    return client.post(reverse("referrals:referral_create"), body)


@pytest.mark.django_db
def test_referrer_sees_only_the_closed_loop_status_of_own_referrals() -> None:
    programme = Programme.objects.get(code=NEW_MOTHERS)
    referrer = client_for("referrer")
    assert _refer(referrer, programme).status_code == 302
    enrolment = Enrolment.objects.get(person__given_name="Kemal", programme=programme)
    page = referrer.get(reverse("referrals:my_referrals"))
    assert page.status_code == 200
    assert enrolment.pk in [e.pk for e in page.context["referrals"]]
    assert "Received" in page.content.decode()
    assert "Low mood" not in page.content.decode()  # the reason is not shown back
    # The referrer cannot open the enrolment or the person's record.
    assert referrer.get(f"/enrolments/{enrolment.pk}/").status_code == 403
    assert referrer.get(f"/people/{enrolment.person_id}/").status_code == 403


@pytest.mark.django_db
def test_referrer_cannot_refer_into_a_programme_outside_their_scope(world: Any) -> None:
    response = _refer(client_for("referrer"), world.programme_a)
    assert response.status_code == 422
    assert "programme" in response.context["form"].errors


@pytest.mark.django_db
def test_coordinator_works_the_queue_to_enrolment_and_withdrawal_hides_status() -> None:
    programme = Programme.objects.get(code=NEW_MOTHERS)
    _refer(client_for("referrer"), programme)
    enrolment = Enrolment.objects.get(person__given_name="Kemal", programme=programme)
    coordinator = Client()
    coordinator.force_login(User.objects.get(email="coordinator.c@demo.peerbridge.test"))
    queue = coordinator.get(f"/programmes/{programme.pk}/intake/")
    assert enrolment.pk in [row.enrolment.pk for row in queue.context["rows"]]
    base = f"/enrolments/{enrolment.pk}/"
    assert coordinator.post(base + "attempts/", {"channel": "sms", "outcome": "no_answer"})
    assert enrolment.contact_attempts.count() == 0  # no consent to text: refused
    coordinator.post(base + "attempts/", {"channel": "phone", "outcome": "connected"})
    enrolment.refresh_from_db()
    assert enrolment.status == "contacted"
    response = coordinator.post(
        base + "enrol/",
        {
            "scopes": ["participation", "contact_phone", "share_with_referrer"],
            "method": "verbal",
            "given_by": "self",
            "add_to_waiting_list": "on",
        },
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == "waiting"
    referrer = client_for("referrer")
    page = referrer.get(reverse("referrals:my_referrals")).content.decode()
    assert "Enrolled" in page
    coordinator.post(base + "consent/withdraw/", {"scopes": ["share_with_referrer"]})
    shown = referrer.get(reverse("referrals:my_referrals")).context["referrals"]
    assert enrolment.pk not in [e.pk for e in shown]


@pytest.mark.django_db
def test_unreachable_only_after_the_programmes_attempts(world: Any) -> None:
    coordinator = client_for("coordinator")
    body = {"given_name": "Ola", "phone": "+44 7700 900321", "contact_channels": ["phone"]}
    response = _refer(coordinator, world.programme_a, **body)
    enrolment = Enrolment.objects.get(person__given_name="Ola")
    assert response.status_code == 302
    base = f"/enrolments/{enrolment.pk}/"
    close = {"to_status": "unreachable", "reason": "No answer"}
    for _attempt in range(world.programme_a.max_contact_attempts):
        coordinator.post(base + "status/", close)
        enrolment.refresh_from_db()
        assert enrolment.status == "referred"
        coordinator.post(base + "attempts/", {"channel": "phone", "outcome": "no_answer"})
    coordinator.post(base + "status/", close)
    enrolment.refresh_from_db()
    assert enrolment.status == "unreachable"
    assert [c.to_status for c in enrolment.status_changes.all()] == ["referred", "unreachable"]


@pytest.mark.django_db
def test_queue_reads_are_audited_per_person_and_queries_do_not_grow(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    coordinator = client_for("coordinator")
    for n in range(3):
        _refer(coordinator, world.programme_a, given_name=f"Q{n}", phone=f"+44 7700 90020{n}")
    url = f"/programmes/{world.programme_a.pk}/intake/"
    coordinator.get(url)
    with django_assert_max_num_queries(20):
        response = coordinator.get(url)
    shown = {row.enrolment.person_id for row in response.context["rows"]}
    audited = set(
        AuditEvent.objects.filter(action="read", object_type="people.person").values_list(
            "object_id", flat=True
        )
    )
    assert {str(pk) for pk in shown} <= audited


@pytest.mark.django_db
def test_peer_and_evaluator_cannot_see_intake_people(world: Any) -> None:
    coordinator = client_for("coordinator")
    _refer(coordinator, world.programme_a, given_name="Hidden")
    person = Person.objects.get(given_name="Hidden")
    for persona, status in (("peer", 404), ("evaluator", 403), ("peer_other", 404)):
        assert client_for(persona).get(f"/people/{person.pk}/").status_code == status
    enrolment = person.enrolments.get()
    for persona in ("peer", "evaluator"):
        assert client_for(persona).get(f"/enrolments/{enrolment.pk}/").status_code == 403


@pytest.mark.django_db
def test_duplicate_is_flagged_and_merge_keeps_history(world: Any) -> None:
    admin = client_for("admin")
    _refer(admin, world.programme_a, given_name="Dup", phone="+44 7700 900999")
    _refer(admin, world.programme_b, given_name="Dup2", phone="+447700900999")
    first = Person.objects.get(given_name="Dup")
    second = Person.objects.get(given_name="Dup2")
    detail = admin.get(f"/enrolments/{first.enrolments.get().pk}/")
    assert [d.person.pk for d in detail.context["duplicates"]] == [second.pk]
    queue = admin.get(f"/programmes/{world.programme_a.pk}/intake/")
    assert first.pk in queue.context["duplicates"]
    admin.post(f"/people/{first.pk}/merge/", {"duplicate_id": second.pk})
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert Enrolment.objects.filter(person=first).count() == 2
    assert AuditEvent.objects.filter(
        action="update", object_type="people.person", object_id=str(second.pk)
    ).exists()


@pytest.mark.django_db
def test_a_queue_of_thousands_pages_and_checks_duplicates_in_bounded_queries(world: Any) -> None:
    """After a big import the queue still answers (SQLite refuses very deep OR trees)."""
    from peerbridge.core.models import User as Account
    from peerbridge.referrals.imports import import_commit, import_preview

    header = "given_name,family_name,date_of_birth,phone,email\n"
    lines = [
        f"P{n},Queue,1980-01-{1 + n % 28:02d},+1 212 555 {n:04d},p{n}@example.net"
        for n in range(1500)
    ]
    coordinator = Account.objects.get(email="coordinator.a@demo.peerbridge.test")
    batch = import_preview(
        programme=world.programme_a,
        uploaded_by=coordinator,
        filename="big.csv",
        data=(header + "\n".join(lines)).encode(),
    )
    assert import_commit(batch=batch, committed_by=coordinator) == 1500
    client = client_for("coordinator")
    response = client.get(f"/programmes/{world.programme_a.pk}/intake/?page=2")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 50
    assert response.context["queue"].count >= 1500
    assert client.get(f"/programmes/{world.programme_a.pk}/intake/?page=x").status_code == 200


@pytest.mark.django_db
def test_person_page_queries_do_not_grow_with_consents(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    from peerbridge.people.services import consent_record

    admin = client_for("admin")
    _refer(admin, world.programme_a, given_name="Many", phone="+44 7700 900447")
    person = Person.objects.get(given_name="Many")
    for _n in range(8):
        consent_record(
            person=person,
            programme=world.programme_a,
            scopes=["participation"],
            method="verbal",
            recorded_by=None,
        )
    with django_assert_max_num_queries(25):
        assert admin.get(f"/people/{person.pk}/").status_code == 200
