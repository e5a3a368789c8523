"""Applying to be a peer supporter (public page and staff entry), the programme's
applications, screening, and the decision: accept to training, another role, decline."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.people.models import Condition, LivedExperience, Person
from peerbridge.people.services import person_create
from peerbridge.workforce import policies
from peerbridge.workforce.application_forms import ApplicationForm, language_code
from peerbridge.workforce.applications import (
    Answers,
    Applicant,
    Experience,
    access_application,
    application_decide,
    application_submit,
)
from peerbridge.workforce.models import Characteristic, PeerApplication, PeerProfile, Screening
from peerbridge.workforce.selectors import workforce_settings
from peerbridge.workforce.services import profile_open
from tests.conftest import World, client_for, persona_user
from tests.workforce.world_applications import all_ratings, make_application, screen

pytestmark = pytest.mark.django_db


def _user(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def _later() -> Any:
    """A human takes more than a few seconds to fill the form in."""
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=10), tick=True)


def _condition(programme: Programme, name: str = "Test: gambling") -> Condition:
    condition, _created = Condition.objects.get_or_create(
        organisation_id=programme.site.organisation_id, parent=None, name=name
    )
    return condition


def _apply_body(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    body: dict[str, Any] = {
        "given_name": "Amara",
        "family_name": "Osei",
        "email": "Amara.Osei@Example.org",
        "phone": "+44 7700 900321",
        "languages": ["es"],
        "other_languages": "Yoruba",
        "relationship": "self",
        "since": "2019-03-01",
        "since_kind": "event",
        "story": "Sober since 2019.",
        "motivation": "Someone walked with me; I want to walk with someone.",
        "availability": "Weekday evenings",
        "modalities": ["telephone", "video"],
        "references": "My sponsor, 07700 900999",
        "stamp": page.context["form"].initial["stamp"],
        "website": "",
    }
    body.update(changes)
    return body


def _screen_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {f"rating_{name}": 4 for name in all_ratings()}
    body.update(
        readiness="ready", readiness_notes="Stable for years.", role_play="passed", **changes
    )
    return body


# ----------------------------------------------------------------------- public page


def test_public_apply_creates_the_person_their_experience_and_the_application(
    world: World,
) -> None:
    condition = _condition(world.programme_a)
    client = Client()
    url = reverse("workforce:apply", args=[world.programme_a.code])
    body = _apply_body(client, url, condition=condition.pk)
    with _later():
        response = client.post(url, body)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    application = PeerApplication.objects.get(
        programme=world.programme_a, person__given_name="Amara", person__family_name="Osei"
    )
    person = application.person
    assert (application.source, application.status) == ("public", "submitted")
    assert application.created_by is None
    assert application.modalities == ["telephone", "video"]
    assert application.references == "My sponsor, 07700 900999"
    assert person.organisation_id == world.programme_a.site.organisation_id
    assert person.email == "amara.osei@example.org"
    assert person.languages == ["es", "yo"]
    assert person.user is None  # no account until accepted
    experience = LivedExperience.objects.get(person=person, programme=world.programme_a)
    assert experience.perspective == "been_through"
    assert (experience.condition, experience.relationship) == (condition, "self")
    assert experience.story == "Sober since 2019."
    for object_type, object_id in (
        ("people.person", person.pk),
        ("workforce.peerapplication", application.pk),
        ("people.livedexperience", experience.pk),
    ):
        created = AuditEvent.objects.get(
            action="create", object_type=object_type, object_id=str(object_id)
        )
        assert (created.actor_id, created.source_ip) == (None, None)


def test_public_apply_ignores_bots_and_fast_posts(world: World) -> None:
    client = Client()
    url = reverse("workforce:apply", args=[world.programme_a.code])
    before = (Person.objects.count(), PeerApplication.objects.count())
    honeypot = _apply_body(client, url, website="http://spam.example")
    with _later():
        assert client.post(url, honeypot).status_code == 302
    too_fast = _apply_body(client, url)
    assert client.post(url, too_fast).status_code == 302
    forged = _apply_body(client, url, stamp="forged")
    with _later():
        assert client.post(url, forged).status_code == 302
    assert (Person.objects.count(), PeerApplication.objects.count()) == before


@override_settings(SELF_REFERRAL_LIMIT=2)
def test_public_apply_is_rate_limited(world: World) -> None:
    cache.clear()
    client = Client(REMOTE_ADDR="203.0.113.7")
    url = reverse("workforce:apply", args=[world.programme_a.code])
    statuses = []
    for n in range(3):
        body = _apply_body(client, url, email=f"rate-{n}@example.org")
        with _later():
            statuses.append(client.post(url, body).status_code)
    assert statuses == [302, 302, 429]
    cache.clear()


def test_public_apply_shows_field_errors_and_keeps_input(world: World) -> None:
    client = Client()
    url = reverse("workforce:apply", args=[world.programme_a.code])
    body = _apply_body(client, url, email="", motivation="", other_languages="Klingonese")
    with _later():
        response = client.post(url, body)
    assert response.status_code == 422
    assert {"email", "motivation", "other_languages"} <= set(response.context["form"].errors)
    assert b'value="Amara"' in response.content


def test_a_carer_must_name_the_condition_of_the_person_they_care_for(world: World) -> None:
    client = Client()
    url = reverse("workforce:apply", args=[world.programme_a.code])
    body = _apply_body(client, url, relationship="parent", condition="")
    with _later():
        response = client.post(url, body)
    assert response.status_code == 422
    assert "condition" in response.context["form"].errors


def test_closed_or_unknown_programme_has_no_apply_page(world: World) -> None:
    url = f"/apply/{world.programme_a.code}/"
    assert Client().get(url).status_code == 200
    rules = workforce_settings(world.programme_a)
    rules.applications_open = False
    rules.save(update_fields=["applications_open"])
    assert Client().get(url).status_code == 404
    assert Client().post(url, {}).status_code == 404
    rules.applications_open = True
    rules.save(update_fields=["applications_open"])
    Programme.objects.filter(pk=world.programme_a.pk).update(status=Programme.Status.CLOSED)
    assert Client().get(url).status_code == 404
    assert Client().get("/apply/no-such-programme/").status_code == 404


def test_the_service_refuses_a_public_application_to_a_closed_programme(world: World) -> None:
    rules = workforce_settings(world.programme_a)
    rules.applications_open = False
    rules.save(update_fields=["applications_open"])
    with pytest.raises(ValidationError) as refused:
        make_application(world.programme_a, source=PeerApplication.Source.PUBLIC)
    assert "programme_id" in refused.value.message_dict
    # Staff may still enter an application (e.g. from a recruitment event).
    assert make_application(world.programme_a).status == "submitted"


def test_without_a_taxonomy_the_form_asks_only_for_the_story() -> None:
    assert "condition" not in ApplicationForm(conditions=[]).fields


def test_languages_are_read_by_code_or_by_name() -> None:
    assert [language_code(w) for w in ("yo", "Yoruba", "AM", "nonsense")] == [
        "yo",
        "yo",
        "am",
        None,
    ]


# ----------------------------------------------------------------------- staff entry


def test_staff_enter_an_application_for_someone(world: World) -> None:
    client = client_for("coordinator")
    url = reverse("workforce:application_new", args=[world.programme_a.pk])
    assert client.get(url).status_code == 200
    body = {
        "given_name": "Tomas",
        "family_name": "Reyes",
        "email": "tomas.reyes@example.org",
        "languages": ["en"],
        "relationship": "self",
        "motivation": "Met the team at the open day.",
        "modalities": ["in_person"],
    }
    response = client.post(url, body)
    assert response.status_code == 302
    application = PeerApplication.objects.get(person__given_name="Tomas")
    assert response["Location"] == reverse("workforce:application", args=[application.pk])
    assert application.source == "staff"
    assert application.created_by == _user("coordinator")
    created = AuditEvent.objects.get(
        action="create", object_type="workforce.peerapplication", object_id=str(application.pk)
    )
    assert created.actor_id == _user("coordinator").pk


def test_a_supervisor_screens_but_does_not_enter_applications(world: World) -> None:
    url = reverse("workforce:application_new", args=[world.programme_a.pk])
    assert client_for("supervisor").get(url).status_code == 403


# ----------------------------------------------------------------------- list


def _list_url(programme: Programme, query: str = "") -> str:
    return reverse("workforce:applications", args=[programme.pk]) + query


def test_the_list_shows_open_applications_first_with_days_waiting(world: World) -> None:
    old = make_application(world.programme_a)
    new = make_application(world.programme_a)
    decided = make_application(world.programme_a)
    PeerApplication.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=9, hours=1)
    )
    application_decide(
        application=decided, decision="decline", reason="Too soon.", decided_by=_user("leader")
    )
    page = client_for("supervisor").get(_list_url(world.programme_a))
    assert page.status_code == 200
    rows = [(a.pk, waiting) for a, waiting in page.context["rows"]]
    ours = [row for row in rows if row[0] in {old.pk, new.pk, decided.pk}]
    assert ours == [(old.pk, 9), (new.pk, 0), (decided.pk, 0)]
    positions = {pk: i for i, (pk, _w) in enumerate(rows)}
    assert all(
        positions[pk] < positions[decided.pk]
        for pk, _w in rows
        if PeerApplication.objects.get(pk=pk).is_open
    )
    assert str(old.person) in page.content.decode()
    for application in (old, new, decided):
        assert AuditEvent.objects.filter(
            action="read", object_type="people.person", object_id=str(application.person_id)
        ).exists()


def test_the_list_filters_by_status(world: World) -> None:
    open_one = make_application(world.programme_a)
    declined = make_application(world.programme_a)
    application_decide(
        application=declined, decision="decline", reason="Not now.", decided_by=_user("leader")
    )
    page = client_for("coordinator").get(_list_url(world.programme_a, "?status=declined"))
    shown = {a.pk for a, _w in page.context["rows"]}
    assert declined.pk in shown and open_one.pk not in shown
    assert (
        client_for("coordinator").get(_list_url(world.programme_a, "?status=bogus")).status_code
        == 200
    )


def test_the_list_reads_in_a_fixed_number_of_queries(world: World) -> None:
    client = client_for("coordinator")
    url = _list_url(world.programme_a)
    client.get(url)  # warm the session and per-process caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for _ in range(2):
        screen(make_application(world.programme_a), _user("supervisor"))
    few = queries()
    for _ in range(6):
        screen(make_application(world.programme_a), _user("supervisor"))
    assert queries() == few


def test_staff_of_another_programme_do_not_see_its_applications(world: World) -> None:
    theirs = make_application(world.programme_b)
    client = client_for("coordinator")
    assert client.get(_list_url(world.programme_b)).status_code == 404
    assert client.get(reverse("workforce:application", args=[theirs.pk])).status_code == 404
    assert client.get(f"/api/v1/workforce/applications/{theirs.pk}").status_code == 404


# ----------------------------------------------------------------------- detail


def test_the_detail_shows_everything_and_the_decision_form_to_deciders(world: World) -> None:
    condition = _condition(world.programme_a)
    application = make_application(world.programme_a, condition=condition)
    screen(application, _user("supervisor"), value=3)
    url = reverse("workforce:application", args=[application.pk])
    page = client_for("coordinator").get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for shown in (str(application.person), "I want to give back.", "Ten years in recovery."):
        assert shown in text
    assert "Test: gambling" in text and "Calm under pressure" in text
    assert page.context["decision_form"] is not None
    assert AuditEvent.objects.filter(
        action="read",
        object_type="people.person",
        object_id=str(application.person_id),
        actor=_user("coordinator"),
    ).exists()
    as_supervisor = client_for("supervisor").get(url)
    assert as_supervisor.status_code == 200
    assert as_supervisor.context["decision_form"] is None


def test_access_application_hides_outside_scope_and_refuses_without_the_right(
    world: World,
) -> None:
    ours = make_application(world.programme_a)
    theirs = make_application(world.programme_b)
    supervisor = _user("supervisor")
    assert (
        access_application(
            user=supervisor, application_id=ours.pk, policy=policies.APPLICATION_SCREEN
        )
        == ours
    )
    with pytest.raises(PermissionDenied):
        access_application(
            user=supervisor, application_id=ours.pk, policy=policies.APPLICATION_DECIDE
        )
    with pytest.raises(Http404):
        access_application(
            user=_user("coordinator"), application_id=theirs.pk, policy=policies.APPLICATION_SCREEN
        )
    with pytest.raises(Http404):
        access_application(
            user=_user("peer"), application_id=ours.pk, policy=policies.APPLICATION_SCREEN
        )
    with pytest.raises(Http404):
        access_application(user=supervisor, application_id="x", policy=policies.APPLICATION_SCREEN)


# ----------------------------------------------------------------------- screening


def test_screening_records_ratings_and_moves_the_application_on(world: World) -> None:
    application = make_application(world.programme_a)
    client = client_for("supervisor")
    url = reverse("workforce:application_screen", args=[application.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "Readiness: own recovery stable" in form.content.decode()
    response = client.post(url, _screen_body(rating_calm=2, role_play_notes="Kept boundaries."))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "screening"
    screening = Screening.objects.get(application=application)
    assert screening.ratings == {**all_ratings(4), "calm": 2}
    assert (screening.readiness, screening.role_play) == ("ready", "passed")
    assert screening.role_play_notes == "Kept boundaries."
    assert screening.screened_by == _user("supervisor")
    assert AuditEvent.objects.filter(
        action="create", object_type="workforce.screening", object_id=str(screening.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action="update", object_type="workforce.peerapplication", object_id=str(application.pk)
    ).exists()
    detail = client.get(reverse("workforce:application", args=[application.pk]))
    assert detail.context["screenings"][0].average == 3.8


def test_a_bereavement_programme_asks_whether_the_own_loss_is_worked_through(
    world: World,
) -> None:
    Programme.objects.filter(pk=world.programme_a.pk).update(
        condition_area=Programme.ConditionArea.BEREAVEMENT
    )
    application = make_application(world.programme_a)
    page = client_for("coordinator").get(
        reverse("workforce:application_screen", args=[application.pk])
    )
    assert "Readiness: own loss worked through" in page.content.decode()


def test_a_screening_rates_every_characteristic(world: World) -> None:
    application = make_application(world.programme_a)
    body = _screen_body()
    del body["rating_optimism"]
    body["rating_calm"] = 9
    response = client_for("supervisor").post(
        reverse("workforce:application_screen", args=[application.pk]), body
    )
    assert response.status_code == 422
    assert {"rating_optimism", "rating_calm"} <= set(response.context["form"].errors)
    assert not Screening.objects.filter(application=application).exists()
    with pytest.raises(ValidationError) as refused:
        screen_partial = {k: v for k, v in all_ratings().items() if k != "optimism"}
        from peerbridge.workforce.applications import screening_record

        screening_record(
            application=application,
            ratings=screen_partial,
            readiness="ready",
            role_play="not_done",
            screened_by=_user("supervisor"),
        )
    assert "ratings" in refused.value.message_dict


def test_only_open_applications_can_be_screened(world: World) -> None:
    application = make_application(world.programme_a)
    application_decide(
        application=application, decision="decline", reason="No.", decided_by=_user("leader")
    )
    response = client_for("supervisor").post(
        reverse("workforce:application_screen", args=[application.pk]), _screen_body()
    )
    assert response.status_code == 422
    assert "Only open applications can be screened." in response.content.decode()


# ----------------------------------------------------------------------- decisions


def _decide(persona: str, application: PeerApplication, **body: Any) -> Any:
    return client_for(persona).post(
        reverse("workforce:application_decide", args=[application.pk]), body
    )


def test_accepting_opens_training_and_gives_the_applicants_own_record_a_sign_in(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    application = make_application(world.programme_a, email="New.Peer.Accept@Example.org")
    screen(application, _user("supervisor"))
    person = application.person
    people_before = Person.objects.count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide("coordinator", application, decision="accept", reason="Strong.")
    assert response.status_code == 302
    application.refresh_from_db()
    person.refresh_from_db()
    assert application.status == "accepted"
    assert application.decided_by == _user("coordinator") and application.decided_at
    profile = PeerProfile.objects.get(application=application)
    assert (profile.person, profile.programme, profile.status) == (
        person,
        world.programme_a,
        PeerProfile.Status.TRAINING,
    )
    assert Person.objects.count() == people_before  # no second person record
    assert person.user is not None and person.user.email == "new.peer.accept@example.org"
    assert RoleAssignment.objects.filter(
        user=person.user, role=Role.PEER_SUPPORTER, programme=world.programme_a, ended_at=None
    ).exists()
    assert [m.to for m in mail.outbox] == [["new.peer.accept@example.org"]]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    coordinator = _user("coordinator")
    for action, object_type, object_id in (
        ("update", "workforce.peerapplication", application.pk),
        ("create", "workforce.peerprofile", profile.pk),
        ("create", "core.user", person.user.pk),
        ("update", "people.person", person.pk),
        (
            "create",
            "organisations.roleassignment",
            RoleAssignment.objects.get(user=person.user, role=Role.PEER_SUPPORTER).pk,
        ),
    ):
        assert AuditEvent.objects.filter(
            actor=coordinator, action=action, object_type=object_type, object_id=str(object_id)
        ).exists(), (action, object_type)
    page = client_for("coordinator").get(reverse("workforce:application", args=[application.pk]))
    assert reverse("workforce:profile", args=[profile.pk]) in page.content.decode()


def test_accepting_never_links_an_existing_account_by_the_typed_email(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """The email was typed on a form: an account that already uses it may be someone
    else's, who would silently get this peer record. Staff are told to check."""
    user = User.objects.create_user(email="has.account@example.org", password=None)
    application = make_application(world.programme_a, email="Has.Account@example.org")
    mail.outbox.clear()
    with pytest.raises(ValidationError) as refused:
        application_decide(application=application, decision="accept", decided_by=_user("leader"))
    assert "check with the applicant" in refused.value.message_dict["email"][0].lower()
    page = _decide("coordinator", application, decision="accept")
    assert page.status_code == 422
    assert "Check with the applicant" in page.content.decode()
    api = client_for("coordinator").post(
        f"/api/v1/workforce/applications/{application.pk}/decision",
        data=json.dumps({"decision": "accept"}),
        content_type="application/json",
    )
    assert api.status_code == 422 and "email" in api.json()["error"]["fields"]
    application.refresh_from_db()
    application.person.refresh_from_db()
    assert application.status == "submitted" and application.person.user is None
    assert not PeerProfile.objects.filter(person=application.person).exists()
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert mail.outbox == []


def test_accepting_someone_whose_own_record_already_has_the_account_goes_ahead(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """The account is already this person record's own: nothing to check, no invitation."""
    user = User.objects.create_user(email="own.account@example.org", password=None)
    application = make_application(world.programme_a, email="own.account@example.org")
    Person.objects.filter(pk=application.person_id).update(user=user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = application_decide(
            application=application, decision="accept", decided_by=_user("leader")
        )
    assert decided.status == "accepted"
    assert PeerProfile.objects.filter(person=application.person).exists()
    assert RoleAssignment.objects.filter(
        user=user, role=Role.PEER_SUPPORTER, programme=world.programme_a
    ).exists()
    assert mail.outbox == []


def test_accepting_refuses_an_email_whose_account_belongs_to_another_person(
    world: World,
) -> None:
    user = User.objects.create_user(email="taken@example.org", password=None)
    person_create(given_name="Other", family_name="Human", created_by=None, user=user)
    application = make_application(world.programme_a, email="taken@example.org")
    response = _decide("coordinator", application, decision="accept")
    assert response.status_code == 422
    assert "already belongs to another person" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"
    assert not PeerProfile.objects.filter(person=application.person).exists()
    api = client_for("coordinator").post(
        f"/api/v1/workforce/applications/{application.pk}/decision",
        data=json.dumps({"decision": "accept"}),
        content_type="application/json",
    )
    assert api.status_code == 422 and "email" in api.json()["error"]["fields"]


def test_accepting_someone_already_a_peer_of_the_programme_is_refused(world: World) -> None:
    application = make_application(world.programme_a)
    profile_open(person=application.person, programme=world.programme_a, actor=None)
    response = _decide("coordinator", application, decision="accept")
    assert response.status_code == 422
    assert "already a peer supporter of this programme" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"


def test_redirecting_needs_the_role_offered_and_reasons(world: World) -> None:
    application = make_application(world.programme_a)
    refused = _decide("coordinator", application, decision="redirect")
    assert refused.status_code == 422
    assert {"redirected_to", "reason"} <= set(refused.context["decision_form"].errors)
    response = _decide(
        "coordinator",
        application,
        decision="redirect",
        redirected_to="advisory_group",
        reason="Their insight would shape the programme; one-to-one is too soon.",
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.redirected_to) == ("redirected", "advisory_group")
    assert application.decision_reason.startswith("Their insight")
    assert not PeerProfile.objects.filter(application=application).exists()
    assert AuditEvent.objects.filter(
        action="update", object_type="workforce.peerapplication", object_id=str(application.pk)
    ).exists()


def test_declining_needs_reasons_and_a_decision_is_made_once(world: World) -> None:
    application = make_application(world.programme_a)
    assert _decide("leader", application, decision="decline").status_code == 422
    assert _decide("leader", application, decision="decline", reason="Too soon.").status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == ("declined", "Too soon.")
    again = _decide("leader", application, decision="accept")
    assert again.status_code == 422
    assert "already been decided" in again.content.decode()
    application.refresh_from_db()
    assert application.status == "declined"


def test_a_supervisor_may_not_decide(world: World) -> None:
    application = make_application(world.programme_a)
    assert _decide("supervisor", application, decision="decline", reason="x").status_code == 403
    api = client_for("supervisor").post(
        f"/api/v1/workforce/applications/{application.pk}/decision",
        data=json.dumps({"decision": "decline", "reason": "x"}),
        content_type="application/json",
    )
    assert api.status_code == 403


def test_an_applicant_can_apply_again_after_a_decision(world: World) -> None:
    first = make_application(world.programme_a)
    application_decide(
        application=first, decision="decline", reason="Next year.", decided_by=_user("leader")
    )
    again = application_submit(
        programme=world.programme_a,
        applicant=Applicant(given_name="Same", family_name="Person", email="again@example.org"),
        experience=Experience(),
        answers=Answers(motivation="Trying again."),
        source="staff",
        created_by=None,
    )
    assert again.is_open


# ----------------------------------------------------------------------- API


def _post(persona: str, url: str, body: dict[str, Any]) -> Any:
    return client_for(persona).post(url, data=json.dumps(body), content_type="application/json")


def test_the_api_enters_lists_shows_screens_and_decides(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    condition = _condition(world.programme_a)
    base = f"/api/v1/programmes/{world.programme_a.pk}/workforce/applications"
    created = _post(
        "coordinator",
        base,
        {
            "given_name": "Lena",
            "family_name": "Park",
            "email": "lena.park@example.org",
            "languages": ["ko", "en"],
            "relationship": "self",
            "condition_id": condition.pk,
            "motivation": "To give back.",
            "modalities": ["video"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["source"], body["profile_id"]) == ("submitted", "staff", None)
    assert body["experience"]["condition_id"] == condition.pk
    application_id = body["id"]

    listed = client_for("supervisor").get(base + "?status=submitted&page_size=200").json()
    assert application_id in [row["id"] for row in listed["items"]]
    assert {"items", "count", "page", "page_size"} == set(listed)

    screened = _post(
        "supervisor",
        f"/api/v1/workforce/applications/{application_id}/screenings",
        {"ratings": all_ratings(5), "readiness": "ready", "role_play": "passed"},
    )
    assert screened.status_code == 201, screened.content
    assert screened.json()["ratings"] == all_ratings(5)

    shown = client_for("coordinator").get(f"/api/v1/workforce/applications/{application_id}")
    assert shown.json()["status"] == "screening"
    assert len(shown.json()["screenings"]) == 1

    with django_capture_on_commit_callbacks(execute=True):
        decided = _post(
            "leader",
            f"/api/v1/workforce/applications/{application_id}/decision",
            {"decision": "accept"},
        )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "accepted" and decided.json()["profile_id"]
    profile = PeerProfile.objects.get(pk=decided.json()["profile_id"])
    assert profile.person.user is not None


def test_the_api_answers_refusals_in_one_shape(world: World) -> None:
    application = make_application(world.programme_a)
    url = f"/api/v1/workforce/applications/{application.pk}"
    redirect = _post("coordinator", url + "/decision", {"decision": "redirect"})
    assert redirect.status_code == 422
    assert {"redirected_to", "reason"} <= set(redirect.json()["error"]["fields"])
    missing = {k: v for k, v in all_ratings().items() if k != Characteristic.JUDGEMENT}
    partial = _post("supervisor", url + "/screenings", {"ratings": missing, "readiness": "unsure"})
    assert partial.status_code == 422 and "ratings" in partial.json()["error"]["fields"]
    declined = _post("coordinator", url + "/decision", {"decision": "decline", "reason": "No."})
    assert declined.status_code == 200
    again = _post("coordinator", url + "/decision", {"decision": "decline", "reason": "No."})
    assert again.status_code == 422 and "decision" in again.json()["error"]["fields"]
    closed = _post(
        "supervisor", url + "/screenings", {"ratings": all_ratings(), "readiness": "ready"}
    )
    assert closed.status_code == 422
    assert client_for("peer").get(url).status_code == 404
    assert (
        client_for("coordinator").get("/api/v1/workforce/applications/999999999").status_code == 404
    )
    unknown_condition = _post(
        "coordinator",
        f"/api/v1/programmes/{world.programme_a.pk}/workforce/applications",
        {
            "given_name": "X",
            "email": "x@example.org",
            "motivation": "M",
            "condition_id": 999_999_999,
        },
    )
    assert unknown_condition.status_code == 422
    assert "condition_id" in unknown_condition.json()["error"]["fields"]
    other = client_for("coordinator").get(
        f"/api/v1/programmes/{world.programme_b.pk}/workforce/applications"
    )
    assert other.status_code == 404
