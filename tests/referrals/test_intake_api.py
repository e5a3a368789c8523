"""The intake API end to end: a referral walks the closed loop to "enrolled", consent
withdrawal hides it from the referrer at once, and every person endpoint answers only
those who may reach the person."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.core.tokens import token_issue
from peerbridge.organisations import services as organisation_services
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Person
from peerbridge.referrals.models import ContactAttempt, Enrolment
from peerbridge.referrals.services import (
    ReferralDetails,
    enrol_with_consent,
    enrolment_transition,
    referral_create,
)
from tests.conftest import World, client_for, persona_user, programme_payload

API = "/api/v1"
MINE_FIELDS = {
    "id",
    "person_name",
    "programme_name",
    "received_at",
    "referrer_status",
    "decline_reason",
}


def _user(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def _send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    if method == "get":
        return client.get(API + url)
    return getattr(client, method)(
        API + url, data=json.dumps(body), content_type="application/json"
    )


def _referrer_in(programme: Programme) -> Client:
    """The demo referrer works at St Catherine's; let them refer to this programme too."""
    organisation_services.role_grant(
        user=_user("referrer"), role=Role.REFERRER, granted_by=None, programme=programme
    )
    return client_for("referrer")


def _refer(programme: Programme, *, phone: str = "+447700900100", **details: Any) -> Enrolment:
    values = {"given_name": "Alex", "family_name": "Rivers", "phone": phone, **details}
    return referral_create(
        programme=programme,
        details=ReferralDetails(**values),
        source=Enrolment.Source.STAFF,
        referred_by=None,
        contact_scopes=["contact_phone"],
    ).enrolment


def _mine(client: Client) -> list[dict[str, Any]]:
    response = client.get(f"{API}/referrals/mine")
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _statuses(client: Client, enrolment_id: int) -> list[str]:
    return [item["referrer_status"] for item in _mine(client) if item["id"] == enrolment_id]


def test_a_referral_walks_the_closed_loop_and_the_referrer_sees_only_its_status(
    world: World,
) -> None:
    programme = world.programme_a
    referrer = _referrer_in(programme)
    coordinator = client_for("coordinator")
    created = _send(
        referrer,
        "post",
        "/referrals",
        {
            "programme_id": programme.pk,
            "given_name": "Jordan",
            "family_name": "Okafor",
            "date_of_birth": "1988-04-02",
            "phone": "+44 7700 900451",
            "kind": "patient",
            "referral_reason": "Wants support after detox",
            "referrer_organisation": "St Catherine's ward 4",
            "priority": "soon",
            "contact_channels": ["phone"],
            "share_with_referrer": True,
        },
    )
    assert created.status_code == 201, created.content
    referral = created.json()
    assert referral["status"] == "referred" and referral["referrer_status"] == "received"
    assert referral["possible_duplicate_count"] is None  # referrers learn nothing of others
    enrolment = Enrolment.objects.get(pk=referral["id"])
    assert enrolment.source == Enrolment.Source.CLINICIAN
    assert enrolment.referred_by == _user("referrer")
    eid, pid = enrolment.pk, enrolment.person_id

    [mine] = [item for item in _mine(referrer) if item["id"] == eid]
    assert set(mine) == MINE_FIELDS
    assert mine["person_name"] == "Jordan Okafor" and mine["referrer_status"] == "received"

    queue = coordinator.get(f"{API}/programmes/{programme.pk}/intake-queue").json()["items"]
    [row] = [row for row in queue if row["enrolment_id"] == eid]
    assert row["priority"] == "soon" and row["attempts"] == 0 and row["person_id"] == pid

    needed = programme.max_contact_attempts
    for _ in range(needed - 1):
        tried = _send(
            coordinator,
            "post",
            f"/enrolments/{eid}/attempts",
            {"channel": "phone", "outcome": "no_answer", "note": "Rang twice"},
        )
        assert tried.status_code == 201, tried.content
        assert tried.json()["enrolment_status"] == "referred"
    closed = _send(
        coordinator,
        "post",
        f"/enrolments/{eid}/status",
        {"to_status": "unreachable", "reason": "No answer"},
    )
    assert closed.status_code == 422
    assert "to_status" in closed.json()["error"]["fields"]
    queue = coordinator.get(f"{API}/programmes/{programme.pk}/intake-queue").json()["items"]
    [row] = [row for row in queue if row["enrolment_id"] == eid]
    assert row["failed_attempts"] == needed - 1 and row["may_close_unreachable"] is False

    connected = _send(
        coordinator,
        "post",
        f"/enrolments/{eid}/attempts",
        {"channel": "phone", "outcome": "connected"},
    )
    assert connected.status_code == 201
    assert connected.json()["enrolment_status"] == "contacted"
    assert _statuses(referrer, eid) == ["contacted"]

    enrolled = _send(
        coordinator,
        "post",
        f"/enrolments/{eid}/enrol",
        {
            "scopes": ["participation", "contact_phone", "share_with_referrer"],
            "method": "verbal",
        },
    )
    assert enrolled.status_code == 200, enrolled.content
    assert enrolled.json()["status"] == "waiting"

    listed = referrer.get(f"{API}/referrals/mine")
    [mine] = [item for item in listed.json()["items"] if item["id"] == eid]
    assert set(mine) == MINE_FIELDS and mine["referrer_status"] == "enrolled"
    for private in (b"7700", b"detox", b"ward 4", b"1988", b"waiting", b"participation"):
        assert private not in listed.content

    waiting = coordinator.get(f"{API}/programmes/{programme.pk}/waiting-list").json()["items"]
    assert eid in [row["enrolment_id"] for row in waiting]
    detail = coordinator.get(f"{API}/enrolments/{eid}").json()
    assert [change["to_status"] for change in detail["history"]] == [
        "referred",
        "contacted",
        "enrolled",
        "waiting",
    ]
    assert len(detail["attempts"]) == needed
    assert set(detail["consent_scopes"]) == {
        "participation",
        "contact_phone",
        "share_with_referrer",
    }
    assert detail["referral_reason"] == "Wants support after detox"

    withdrawn = _send(
        coordinator,
        "post",
        f"/people/{pid}/consents/withdraw",
        {
            "programme_id": programme.pk,
            "scopes": ["share_with_referrer"],
            "reason": "Asked us to stop",
        },
    )
    assert withdrawn.status_code == 201, withdrawn.content
    assert withdrawn.json()["change"] == "withdrawn"
    assert _statuses(referrer, eid) == []
    history = coordinator.get(f"{API}/people/{pid}/consents").json()
    assert [consent["change"] for consent in history][:2] == ["withdrawn", "given"]


def test_a_referral_closes_unreachable_after_the_programmes_attempts(world: World) -> None:
    programme = world.programme_a
    referrer = _referrer_in(programme)
    enrolment = referral_create(
        programme=programme,
        details=ReferralDetails(given_name="Casey", phone="+447700900452"),
        source=Enrolment.Source.CLINICIAN,
        referred_by=_user("referrer"),
        contact_scopes=["contact_phone", "contact_email"],
        share_with_referrer=True,
    ).enrolment
    coordinator = client_for("coordinator")
    for _ in range(programme.max_contact_attempts):
        attempt = {"channel": "phone", "outcome": "left_message"}
        logged = _send(coordinator, "post", f"/enrolments/{enrolment.pk}/attempts", attempt)
        assert logged.status_code == 201
    queue = coordinator.get(f"{API}/programmes/{programme.pk}/intake-queue").json()["items"]
    [row] = [row for row in queue if row["enrolment_id"] == enrolment.pk]
    assert row["may_close_unreachable"] is True
    closed = _send(
        coordinator,
        "post",
        f"/enrolments/{enrolment.pk}/status",
        {"to_status": "unreachable", "reason": "Three messages, no reply"},
    )
    assert closed.status_code == 200, closed.content
    assert _statuses(referrer, enrolment.pk) == ["unreachable"]


def test_a_declined_referral_shows_the_referrer_only_the_reason_category(world: World) -> None:
    referrer = _referrer_in(world.programme_a)
    enrolment = referral_create(
        programme=world.programme_a,
        details=ReferralDetails(given_name="Robin", phone="+447700900453"),
        source=Enrolment.Source.CLINICIAN,
        referred_by=_user("referrer"),
    ).enrolment
    missing = _send(
        client_for("coordinator"),
        "post",
        f"/enrolments/{enrolment.pk}/status",
        {"to_status": "declined", "reason": "Lives out of area, told them about X"},
    )
    assert missing.status_code == 422 and "decline_reason" in missing.json()["error"]["fields"]
    declined = _send(
        client_for("coordinator"),
        "post",
        f"/enrolments/{enrolment.pk}/status",
        {
            "to_status": "declined",
            "decline_reason": "not_eligible",
            "reason": "Lives out of area, told them about X",
        },
    )
    assert declined.status_code == 200
    listed = referrer.get(f"{API}/referrals/mine")
    [mine] = [item for item in listed.json()["items"] if item["id"] == enrolment.pk]
    assert mine["referrer_status"] == "declined" and mine["decline_reason"] == "not_eligible"
    assert b"out of area" not in listed.content


def test_contacting_by_sms_without_sms_consent_is_refused_with_a_field_error(
    world: World,
) -> None:
    enrolment = _refer(world.programme_a)  # agreed to phone calls only
    refused = _send(
        client_for("coordinator"),
        "post",
        f"/enrolments/{enrolment.pk}/attempts",
        {"channel": "sms", "outcome": "no_answer"},
    )
    assert refused.status_code == 422
    assert list(refused.json()["error"]["fields"]) == ["channel"]
    assert not ContactAttempt.objects.filter(enrolment=enrolment).exists()


def test_referral_source_follows_who_refers_and_how(world: World) -> None:
    body = {"programme_id": world.programme_a.pk, "given_name": "Sky", "phone": "+447700900454"}
    by_session = _send(client_for("coordinator"), "post", "/referrals", body)
    assert by_session.status_code == 201
    assert isinstance(by_session.json()["possible_duplicate_count"], int)
    _token, plain = token_issue(
        user=_user("coordinator"), name="partner", access="read_write", days=1
    )
    by_token = _send(Client(HTTP_AUTHORIZATION=f"Bearer {plain}"), "post", "/referrals", body)
    assert by_token.status_code == 201, by_token.content
    by_referrer = _send(_referrer_in(world.programme_a), "post", "/referrals", body)
    sources = Enrolment.objects.filter(
        pk__in=[r.json()["id"] for r in (by_session, by_token, by_referrer)]
    ).order_by("pk")
    assert [e.source for e in sources] == ["staff", "api", "clinician"]
    # A duplicate is counted for staff, never for the referrer.
    assert by_token.json()["possible_duplicate_count"] >= 1
    assert by_referrer.json()["possible_duplicate_count"] is None


def test_a_referrer_cannot_refer_to_a_programme_outside_their_scope(world: World) -> None:
    body = {"programme_id": world.programme_a.pk, "given_name": "Sky", "phone": "+447700900455"}
    count = Enrolment.objects.count()
    assert _send(client_for("referrer"), "post", "/referrals", body).status_code == 404
    assert Enrolment.objects.count() == count


def test_a_referrer_sees_only_their_own_referrals(world: World) -> None:
    referrer = _referrer_in(world.programme_a)
    other = _refer(world.programme_a)  # referred by staff, not by this referrer
    assert other.pk not in [item["id"] for item in _mine(referrer)]
    assert client_for("coordinator").get(f"{API}/referrals/mine").status_code == 403


def _summary_programme(world: World) -> Programme:
    fields = programme_payload(site_id=world.riverside.pk, code="summary-test")
    fields.pop("site_id")
    return organisation_services.programme_create(
        site=world.riverside, created_by=None, status=Programme.Status.ACTIVE, **fields
    )


def test_the_evaluator_gets_a_suppressed_summary_and_no_person_endpoint(world: World) -> None:
    programme = _summary_programme(world)
    enrolments = [_refer(programme, phone=f"+4477009005{n:02d}") for n in range(8)]
    now = timezone.now()
    for days, enrolment in zip((1, 2, 3, 4, 10), enrolments, strict=False):
        enrol_with_consent(
            enrolment=enrolment, scopes=["participation"], method="verbal", enrolled_by=None
        )
        Enrolment.objects.filter(pk=enrolment.pk).update(
            waiting_since=now - datetime.timedelta(days=days, hours=1)
        )
    evaluator = client_for("evaluator")
    response = evaluator.get(f"{API}/programmes/{programme.pk}/intake-summary")
    assert response.status_code == 200
    summary = response.json()
    assert summary["total"] == 8 and summary["median_days_waiting"] == 3.0
    by_status = {cell["status"]: cell for cell in summary["by_status"]}
    assert by_status["waiting"] == {"status": "waiting", "count": 5, "suppressed": False}
    assert by_status["referred"] == {"status": "referred", "count": None, "suppressed": True}
    assert by_status["declined"]["suppressed"] is True  # zero is under five too
    by_source = {cell["source"]: cell for cell in summary["by_source"]}
    assert by_source["staff"]["count"] == 8
    assert set(summary) == {
        "programme_id",
        "suppression_threshold",
        "total",
        "total_suppressed",
        "by_status",
        "by_source",
        "median_days_waiting",
        "median_suppressed",
    }
    assert b"Alex" not in response.content and b"Rivers" not in response.content

    enrolment = enrolments[0]
    pid, eid = enrolment.person_id, enrolment.pk
    assert evaluator.get(f"{API}/people").status_code == 403
    for method, url, body in [
        ("get", f"/people/{pid}", {}),
        ("patch", f"/people/{pid}", {"preferred_name": "X"}),
        ("get", f"/people/{pid}/duplicates", {}),
        ("post", f"/people/{pid}/merge", {"duplicate_id": pid}),
        ("get", f"/people/{pid}/consents", {}),
        ("post", f"/people/{pid}/consents", _consent_body(programme)),
        ("post", f"/people/{pid}/consents/withdraw", _withdraw_body(programme)),
        ("get", f"/enrolments/{eid}", {}),
    ]:
        status = _send(evaluator, method, url, body).status_code
        assert status in (403, 404), (method, url, status)
    assert evaluator.get(f"{API}/programmes/{programme.pk}/intake-queue").status_code == 403


def _consent_body(programme: Programme) -> dict[str, Any]:
    return {"programme_id": programme.pk, "scopes": ["participation"], "method": "written"}


def _withdraw_body(programme: Programme) -> dict[str, Any]:
    return {"programme_id": programme.pk, "scopes": ["contact_phone"], "reason": "-"}


def test_a_small_summary_hides_every_count(world: World) -> None:
    programme = _summary_programme(world)
    _refer(programme)
    summary = client_for("admin").get(f"{API}/programmes/{programme.pk}/intake-summary").json()
    assert summary["total"] is None and summary["total_suppressed"] is True
    assert all(cell["count"] is None for cell in summary["by_status"] + summary["by_source"])
    assert summary["median_days_waiting"] is None and summary["median_suppressed"] is True


def test_a_peer_cannot_reach_people_of_their_programme(world: World) -> None:
    enrolment = _refer(world.programme_a)
    peer = client_for("peer")
    assert peer.get(f"{API}/people/{enrolment.person_id}").status_code == 404
    assert peer.get(f"{API}/people/{enrolment.person_id}/consents").status_code == 404
    assert peer.get(f"{API}/enrolments/{enrolment.pk}").status_code == 404
    listed = peer.get(f"{API}/people?q=Rivers")
    assert listed.status_code == 200 and listed.json()["count"] == 0


def test_a_coordinator_cannot_reach_a_person_only_in_another_programme(world: World) -> None:
    elsewhere = _refer(world.programme_b, phone="+447700900460", family_name="Elsewhere")
    coordinator = client_for("coordinator")
    pid = elsewhere.person_id
    assert coordinator.get(f"{API}/people/{pid}").status_code == 404
    assert _send(coordinator, "patch", f"/people/{pid}", {"notes": "x"}).status_code == 404
    assert coordinator.get(f"{API}/enrolments/{elsewhere.pk}").status_code == 404
    assert coordinator.get(f"{API}/people?q=Elsewhere").json()["count"] == 0
    assert coordinator.get(f"{API}/programmes/{world.programme_b.pk}/intake-queue").status_code in (
        403,
        404,
    )


def test_a_persons_profile_shows_only_enrolments_the_caller_may_see(world: World) -> None:
    here = _refer(world.programme_a, phone="+447700900461")
    Enrolment.objects.create(
        person=here.person, programme=world.programme_b, source=Enrolment.Source.STAFF
    )
    profile = client_for("coordinator").get(f"{API}/people/{here.person_id}").json()
    assert profile["phone"] == "+447700900461"  # decrypted for staff
    assert [e["programme_id"] for e in profile["enrolments"]] == [world.programme_a.pk]
    admin_view = client_for("admin").get(f"{API}/people/{here.person_id}").json()
    assert len(admin_view["enrolments"]) == 2


def test_duplicates_are_found_by_phone_and_by_name_and_date_of_birth(world: World) -> None:
    born = datetime.date(1979, 5, 17)
    person = _refer(world.programme_a, phone="+447700900470", date_of_birth=born).person
    same_phone = _refer(world.programme_a, phone="+44 7700 900470", given_name="Lee").person
    same_name = _refer(world.programme_a, phone="+447700900471", date_of_birth=born).person
    out_of_scope = _refer(world.programme_b, phone="+447700900470", given_name="Kim").person
    _refer(world.programme_a, phone="+447700900472", given_name="Unrelated")
    response = client_for("coordinator").get(f"{API}/people/{person.pk}/duplicates")
    assert response.status_code == 200
    found = {row["id"]: row["matched_on"] for row in response.json()}
    assert found == {same_phone.pk: ["phone"], same_name.pk: ["name_and_date_of_birth"]}
    assert out_of_scope.pk not in found
    assert client_for("supervisor").get(f"{API}/people/{person.pk}/duplicates").status_code == 403


def test_merge_moves_the_enrolment_and_keeps_the_duplicate_marked_merged(world: World) -> None:
    earlier = _refer(world.programme_a, phone="+447700900480", area="Riverside")
    enrolment_transition(
        enrolment=earlier, to_status="declined", changed_by=None, decline_reason="chose_not"
    )
    current = _refer(world.programme_a, phone="+447700900480")
    coordinator = client_for("coordinator")
    merged = _send(
        coordinator,
        "post",
        f"/people/{current.person_id}/merge",
        {"duplicate_id": earlier.person_id},
    )
    assert merged.status_code == 200, merged.content
    profile = merged.json()
    assert profile["area"] == "Riverside"  # a blank filled from the duplicate
    assert {e["id"] for e in profile["enrolments"]} == {earlier.pk, current.pk}
    duplicate = Person.objects.get(pk=earlier.person_id)
    assert duplicate.merged_into_id == current.person_id
    assert Enrolment.objects.get(pk=earlier.pk).person_id == current.person_id
    assert coordinator.get(f"{API}/people/{earlier.person_id}").status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="people.person",
        object_id=str(earlier.person_id),
        actor=_user("coordinator"),
    ).exists()


def test_merge_refuses_two_open_enrolments_and_people_out_of_reach(world: World) -> None:
    one = _refer(world.programme_a, phone="+447700900481")
    two = _refer(world.programme_a, phone="+447700900481")
    elsewhere = _refer(world.programme_b, phone="+447700900481")
    coordinator = client_for("coordinator")
    url = f"/people/{one.person_id}/merge"
    both_open = _send(coordinator, "post", url, {"duplicate_id": two.person_id})
    assert both_open.status_code == 422 and "duplicate_id" in both_open.json()["error"]["fields"]
    outside = _send(coordinator, "post", url, {"duplicate_id": elsewhere.person_id})
    assert outside.status_code == 404
    assert Person.objects.get(pk=elsewhere.person_id).merged_into_id is None


def test_reads_and_writes_of_a_person_are_audited(world: World) -> None:
    enrolment = _refer(world.programme_a, family_name="Audited")
    coordinator = client_for("coordinator")
    actor = _user("coordinator")
    pid = str(enrolment.person_id)

    def rows(action: str) -> int:
        return AuditEvent.objects.filter(
            actor=actor, action=action, object_type="people.person", object_id=pid
        ).count()

    reads = rows(AuditEvent.Action.READ)
    assert coordinator.get(f"{API}/people/{pid}").status_code == 200
    assert coordinator.get(f"{API}/people?q=Audited").json()["count"] >= 1
    assert coordinator.get(f"{API}/enrolments/{enrolment.pk}").status_code == 200
    assert rows(AuditEvent.Action.READ) == reads + 3

    updates = rows(AuditEvent.Action.UPDATE)
    patched = _send(
        coordinator, "patch", f"/people/{pid}", {"preferred_name": "Ace", "pronouns": "they"}
    )
    assert patched.status_code == 200 and patched.json()["name"] == "Ace Audited"
    assert rows(AuditEvent.Action.UPDATE) == updates + 1
    consented = _send(
        coordinator, "post", f"/people/{pid}/consents", _consent_body(world.programme_a)
    )
    assert consented.status_code == 201
    assert AuditEvent.objects.filter(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        object_type="people.consent",
        object_id=str(consented.json()["id"]),
    ).exists()


def test_an_enrolment_patch_changes_priority_and_next_action(world: World) -> None:
    enrolment = _refer(world.programme_a)
    coordinator = client_for("coordinator")
    url = f"/enrolments/{enrolment.pk}"
    patched = _send(
        coordinator,
        "patch",
        url,
        {"priority": "urgent", "next_action": "Call after 5pm", "next_action_due": "2030-01-02"},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["priority"] == "urgent"
    moved = _send(coordinator, "patch", url, {"next_action_due": "2030-02-03"})
    assert moved.json()["next_action"] == "Call after 5pm"
    assert moved.json()["next_action_due"] == "2030-02-03"
    assert _send(client_for("supervisor"), "patch", url, {"kind": "caregiver"}).status_code == 403


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("coordinator", "/people"),
        ("coordinator", "/programmes/{a}/intake-queue"),
        ("coordinator", "/programmes/{a}/waiting-list"),
        ("referrer", "/referrals/mine"),
    ],
)
def test_list_query_counts_do_not_grow_with_rows(
    world: World, persona: str, url: str, django_assert_max_num_queries: Any
) -> None:
    programme = world.programme_a
    _referrer_in(programme)
    client = client_for(persona)
    url = API + url.format(a=programme.pk)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            enrolment = referral_create(
                programme=programme,
                details=ReferralDetails(given_name=f"Row{i}", phone=f"+4477009007{i:02d}"),
                source=Enrolment.Source.CLINICIAN,
                referred_by=_user("referrer"),
                contact_scopes=["contact_phone"],
                share_with_referrer=True,
            ).enrolment
            if i % 2:
                enrol_with_consent(
                    enrolment=enrolment,
                    scopes=["participation", "share_with_referrer"],
                    method="verbal",
                    enrolled_by=None,
                )

    add(2, 0)
    few = _queries(client, url)
    add(10, 2)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def test_a_person_patch_sets_and_clears_fields(world: World) -> None:
    person = _refer(world.programme_a, date_of_birth=datetime.date(1990, 1, 2)).person
    coordinator = client_for("coordinator")
    url = f"/people/{person.pk}"
    patched = _send(
        coordinator,
        "patch",
        url,
        {
            "latitude": 51.50123,
            "longitude": -0.12,
            "date_of_birth": None,
            "age_band": "25_34",
            "languages": ["es", "en"],
            "preferred_channels": ["sms"],
            "email": " New@Example.org ",
        },
    )
    assert patched.status_code == 200, patched.content
    profile = patched.json()
    assert (profile["latitude"], profile["longitude"]) == (51.50123, -0.12)
    assert profile["date_of_birth"] is None and profile["age_band"] == "25_34"
    assert profile["email"] == "new@example.org" and profile["languages"] == ["es", "en"]
    cleared = _send(coordinator, "patch", url, {"age_band": None, "family_name": None})
    assert cleared.json()["age_band"] is None
    assert cleared.json()["family_name"] == "Rivers"  # null leaves a text field as it is
    half = _send(coordinator, "patch", url, {"latitude": 10, "longitude": None})
    assert half.status_code == 422 and "latitude" in half.json()["error"]["fields"]
    unknown = _send(coordinator, "patch", url, {"languages": ["zz"]})
    assert unknown.status_code == 422 and "languages" in unknown.json()["error"]["fields"]
