"""Organisations, sites, programmes and roles: services, pages and API."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings

from peerbridge.core.models import ApiToken, User
from peerbridge.core.tokens import TOKEN_PREFIX, token_issue
from peerbridge.organisations import policies, services
from peerbridge.organisations.models import Programme, RoleAssignment, Site
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import access_programme, may_grant, programmes_in_scope
from peerbridge.people.models import Person
from peerbridge.people.services import membership_grant
from tests.conftest import World, client_for, persona_user


def _user(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def test_sites_form_a_tree_of_any_depth(world: World) -> None:
    deep = services.site_create(
        organisation=world.riverside.organisation,
        parent=world.riverside,
        name="Clinic",
        code="clinic",
        level=Site.Level.SERVICE,
        created_by=None,
    )
    assert deep.path == f"{world.riverside.path}{deep.pk}/"
    assert deep.ancestor_ids()[0] == world.national.pk
    assert Site.objects.filter(path__startswith=world.national.path).count() == 9


def test_a_coordinator_edits_cadence_through_the_page(world: World) -> None:
    client = client_for("coordinator")
    url = f"/programmes/{world.programme_a.pk}/edit/"
    form = client.get(url).context["form"]
    data = {**form.initial, "contact_cadence_days": 10, "duration_weeks": ""}
    response = client.post(url, data)
    assert response.status_code == 302
    world.programme_a.refresh_from_db()
    assert world.programme_a.contact_cadence_days == 10
    assert b"At least every 10 days" in client.get(response["Location"]).content


def test_programme_validation_reports_every_bad_field(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.programme_update(
            programme=world.programme_a,
            updated_by=_user("coordinator"),
            formats=[],
            modalities=["fax"],
            contact_cadence_days=0,
        )
    assert set(caught.value.message_dict) == {"formats", "modalities", "contact_cadence_days"}


def test_scope_follows_the_site_tree(world: World) -> None:
    admin_programmes = programmes_in_scope(user=_user("admin"), policy=policies.PROGRAMME_VIEW)
    referrer_programmes = programmes_in_scope(
        user=_user("referrer"), policy=policies.PROGRAMME_VIEW
    )
    assert admin_programmes.count() == 8
    assert set(referrer_programmes.values_list("code", flat=True)) == {
        "new-mothers",
        "cancer-survivor-calls",
    }


def test_peer_of_another_programme_gets_404_not_403(world: World) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        access_programme(
            user=_user("peer_other"),
            programme_id=world.programme_a.pk,
            policy=policies.PROGRAMME_VIEW,
        )


def test_a_leader_grants_programme_roles_but_not_admin(world: World) -> None:
    leader = _user("leader")
    assert may_grant(user=leader, role=Role.PEER_SUPPORTER, programme=world.programme_a)
    assert not may_grant(user=leader, role=Role.ORG_ADMIN, programme=world.programme_a)
    assert not may_grant(user=leader, role=Role.PEER_SUPPORTER, programme=world.programme_b)
    response = client_for("leader").post(
        "/api/v1/memberships",
        data=json.dumps(
            {
                "email": "x@example.org",
                "role": "org_admin",
                "given_name": "X",
                "programme_id": world.programme_a.pk,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422 and "role" in response.json()["error"]["fields"]


def test_role_history_keeps_a_former_participant_who_becomes_a_peer(world: World) -> None:
    participant = _user("participant")
    before = RoleAssignment.objects.get(user=participant, role=Role.PARTICIPANT)
    services.role_end(assignment=before, ended_by=_user("leader"), reason="completed")
    services.role_grant(
        user=participant,
        role=Role.PEER_SUPPORTER,
        granted_by=_user("leader"),
        programme=world.programme_a,
    )
    history = (
        client_for("leader").get(f"/api/v1/programmes/{world.programme_a.pk}/memberships").json()
    )
    mine = [row for row in history if row["user_id"] == participant.pk]
    assert [row["role"] for row in mine] == ["peer_supporter", "participant"]
    assert mine[1]["ended_at"] is not None and mine[1]["end_reason"] == "completed"
    with pytest.raises(ValidationError):
        services.role_grant(
            user=participant,
            role=Role.PEER_SUPPORTER,
            granted_by=None,
            programme=world.programme_a,
        )


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
@pytest.mark.django_db(transaction=True)
def test_a_new_member_is_invited_by_email_through_the_worker() -> None:
    from peerbridge.web.demo import load_demo

    load_demo()
    programme = Programme.objects.get(code="recovery-peers")
    leader = User.objects.get(email="leader.a@demo.peerbridge.test")
    membership_grant(
        granted_by=leader,
        email="New.Peer@Example.org",
        role=Role.PEER_SUPPORTER,
        given_name="Nia",
        family_name="Okafor",
        programme=programme,
        site_url="http://testserver/",
    )
    person = Person.objects.get(user__email="new.peer@example.org")
    assert str(person) == "Nia Okafor"
    assert mail.outbox == []  # queued, not sent in the request
    call_command("worker", "--batch", "--interval", "0.1")
    # The worker's daily jobs may send the demo's playbook emails too: find the invitation.
    invitations = [m for m in mail.outbox if m.to == ["new.peer@example.org"]]
    assert len(invitations) == 1
    assert "/accounts/password/reset/" in invitations[0].body


def test_personal_access_tokens_are_hashed_scoped_and_revocable(world: World) -> None:
    coordinator = _user("coordinator")
    token, plaintext = token_issue(user=coordinator, name="sheet", access="read", days=30)
    stored = ApiToken.objects.get(pk=token.pk)
    secret = plaintext.removeprefix(f"{TOKEN_PREFIX}{token.prefix}_")
    assert len(secret) >= 40 and secret not in stored.secret_hash
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert client_for("anonymous").get("/api/v1/programmes", **auth).status_code == 200
    patch = client_for("anonymous").patch(
        f"/api/v1/programmes/{world.programme_a.pk}",
        data="{}",
        content_type="application/json",
        **auth,
    )
    assert patch.status_code == 403
    client_for("coordinator").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert client_for("anonymous").get("/api/v1/programmes", **auth).status_code == 401
    bogus = {"HTTP_AUTHORIZATION": "Bearer pb_nothing_here"}
    assert client_for("anonymous").get("/api/v1/programmes", **bogus).status_code == 401


def test_an_expired_token_is_refused(world: World) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    _token, plaintext = token_issue(user=_user("coordinator"), name="x", access="read", days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = client_for("anonymous").get(
            "/api/v1/programmes", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
        )
    assert response.status_code == 401


def test_api_lists_are_paginated(world: World) -> None:
    body = client_for("admin").get("/api/v1/programmes", {"page": 2, "page_size": 3}).json()
    assert body["count"] == 8 and body["page"] == 2 and len(body["items"]) == 3


def test_the_programme_list_page_does_not_query_per_programme(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("admin")
    client.get("/programmes/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/programmes/").status_code == 200
        return len(captured)

    before = queries()
    for number in range(5):
        services.programme_create(
            site=world.riverside,
            created_by=None,
            code=f"extra-{number}",
            name=f"Extra {number}",
            condition_area="hiv",
            audience="patients",
            formats=["group"],
            modalities=["video"],
            contact_cadence_days=7,
            peer_pay="paid",
        )
    assert queries() == before
