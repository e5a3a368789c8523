"""Raising a risk flag: from a contact, by staff for anyone in the programme, from a
group session; the crisis resources at once after a high flag; who the flag goes to;
the message they get; what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.notifications.models import Notification
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.safety import services
from peerbridge.safety.configuration import safety_settings, shift_add
from peerbridge.safety.models import FlagEvent, OnCallShift, RiskFlag
from tests.conftest import World, client_for
from tests.matching.world_lifecycle import waiting_enrolment
from tests.safety.world import (
    SUMMARY,
    client_as,
    contact_in,
    flag_about,
    group_with_session,
    peer_of,
    raise_flag,
    set_settings,
    user_of,
    working_match,
)

pytestmark = pytest.mark.django_db

RAISE = {"severity": "medium", "summary": "Sounded very low and talked about giving up."}


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    """Start each test with an empty rota and no default on-call person."""
    for programme in (world.programme_a, world.programme_b):
        OnCallShift.objects.filter(programme=programme).delete()
        set_settings(programme, on_call=None, crisis_resources="")


# ---------------------------------------------------------------------------------------
# From a contact


def test_peer_raises_a_flag_from_their_contact_and_lands_on_the_flag(world: World) -> None:
    match = working_match(world.programme_a)
    contact = contact_in(match)
    response = client_as(peer_of(match)).post(
        reverse("safety:flag_raise_contact", args=[contact.pk]), RAISE
    )
    flag = RiskFlag.objects.get(contact=contact)
    assert response.status_code == 302
    assert response["Location"] == reverse("safety:flag", args=[flag.pk])
    assert flag.source == RiskFlag.Source.CONTACT
    assert flag.person_id == match.enrolment.person_id
    assert flag.enrolment_id == match.enrolment_id
    assert flag.raised_by == peer_of(match)
    assert flag.summary == RAISE["summary"]
    assert flag.status == RiskFlag.Status.OPEN
    kinds = list(flag.events.values_list("kind", flat=True))
    assert kinds == [FlagEvent.Kind.RAISED, FlagEvent.Kind.NOTIFIED]


def test_the_raise_form_shows_three_severities_with_what_each_sets_in_motion(
    world: World,
) -> None:
    match = working_match(world.programme_a)
    contact = contact_in(match)
    page = client_as(peer_of(match)).get(reverse("safety:flag_raise_contact", args=[contact.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count('type="radio" name="severity"') == 3
    assert "must respond within 60 minutes" in text
    assert "crisis numbers" in text.lower()


def test_high_flag_takes_the_peer_to_the_crisis_resources_at_once(world: World) -> None:
    set_settings(
        world.programme_a,
        crisis_resources="Crisis line (24 hours): 988\nSamaritans: 116 123\nwww.example.org",
    )
    match = working_match(world.programme_a)
    contact = contact_in(match)
    response = client_as(peer_of(match)).post(
        reverse("safety:flag_raise_contact", args=[contact.pk]),
        {"severity": "high", "summary": "Talked about a plan to end their life tonight."},
        follow=True,
    )
    flag = RiskFlag.objects.get(contact=contact)
    text = response.content.decode()
    assert response.redirect_chain[0][0] == (
        reverse("safety:crisis", args=[world.programme_a.pk]) + f"?flag={flag.pk}"
    )
    assert 'href="tel:988"' in text
    assert 'href="tel:116123"' in text
    assert "www.example.org" in text
    assert flag.assigned_to is not None
    assert f"Your flag was sent to {flag.assigned_to.display_name}" in text
    assert f"who must respond by {timezone.localtime(flag.acknowledge_by):%H:%M}" in text
    assert flag.acknowledge_by == flag.raised_at + timedelta(hours=1)


def test_medium_and_low_flags_land_on_the_flag_page(world: World) -> None:
    match = working_match(world.programme_a)
    for severity in ("medium", "low"):
        contact = contact_in(match)
        response = client_as(peer_of(match)).post(
            reverse("safety:flag_raise_contact", args=[contact.pk]),
            {"severity": severity, "summary": "Worried about sleep and appetite."},
        )
        flag = RiskFlag.objects.get(contact=contact)
        assert response["Location"] == reverse("safety:flag", args=[flag.pk])


def test_another_peer_cannot_raise_a_flag_from_someone_elses_contact(world: World) -> None:
    contact = contact_in(working_match(world.programme_a))
    stranger = working_match(world.programme_a, given_name="Sam")
    for client in (client_as(peer_of(stranger)), client_for("peer_other")):
        assert client.get(reverse("safety:flag_raise_contact", args=[contact.pk])).status_code in (
            403,
            404,
        )
        response = client.post(reverse("safety:flag_raise_contact", args=[contact.pk]), RAISE)
        assert response.status_code in (403, 404)
    assert not RiskFlag.objects.filter(contact=contact).exists()


def test_staff_raise_from_a_contact_too(world: World) -> None:
    contact = contact_in(working_match(world.programme_a))
    response = client_for("coordinator").post(
        reverse("safety:flag_raise_contact", args=[contact.pk]), RAISE
    )
    assert response.status_code == 302
    assert RiskFlag.objects.get(contact=contact).raised_by == user_of("coordinator")


def test_an_empty_form_shows_the_errors_and_raises_nothing(world: World) -> None:
    contact = contact_in(working_match(world.programme_a))
    response = client_for("coordinator").post(
        reverse("safety:flag_raise_contact", args=[contact.pk]),
        {"severity": "extreme", "summary": "   "},
    )
    assert response.status_code == 422
    assert response.context["form"].errors.keys() == {"severity", "summary"}
    assert not RiskFlag.objects.filter(contact=contact).exists()


# ---------------------------------------------------------------------------------------
# By staff, for anyone in the programme


def test_staff_raise_a_flag_about_a_participant_chosen_from_the_programme(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_a, given_name="Quinn")
    url = reverse("safety:flag_raise", args=[world.programme_a.pk])
    coordinator = client_for("coordinator")
    page = coordinator.get(url)
    assert f'value="e{enrolment.pk}"' in page.content.decode()
    response = coordinator.post(url, {**RAISE, "person": f"e{enrolment.pk}"})
    flag = RiskFlag.objects.get(person=enrolment.person)
    assert response["Location"] == reverse("safety:flag", args=[flag.pk])
    assert flag.source == RiskFlag.Source.STAFF
    assert flag.enrolment == enrolment


def test_staff_raise_a_flag_about_a_peer_supporter(world: World) -> None:
    match = working_match(world.programme_a)
    url = reverse("safety:flag_raise", args=[world.programme_a.pk])
    response = client_for("supervisor").post(
        url, {**RAISE, "person": f"p{match.profile.pk}", "severity": "low"}
    )
    assert response.status_code == 302
    flag = RiskFlag.objects.get(person=match.profile.person)
    assert flag.enrolment is None


def test_a_peer_chooses_only_among_their_own_participants(world: World) -> None:
    mine = working_match(world.programme_a)
    other = waiting_enrolment(world.programme_a, given_name="Avery")
    url = reverse("safety:flag_raise", args=[world.programme_a.pk])
    peer = client_as(peer_of(mine))
    text = peer.get(url).content.decode()
    assert f'value="e{mine.enrolment_id}"' in text
    assert f'value="e{other.pk}"' not in text
    response = peer.post(url, {**RAISE, "person": f"e{other.pk}"})
    assert response.status_code == 422
    assert not RiskFlag.objects.filter(person=other.person).exists()


def test_someone_outside_the_programme_cannot_raise_there(world: World) -> None:
    url = reverse("safety:flag_raise", args=[world.programme_a.pk])
    assert client_for("peer_other").get(url).status_code == 404
    assert client_for("participant").get(url).status_code == 403


# ---------------------------------------------------------------------------------------
# From a group session


def test_a_facilitator_raises_a_flag_about_a_member_of_their_session(world: World) -> None:
    match = working_match(world.programme_a)
    member = waiting_enrolment(world.programme_a, given_name="Kit")
    session = group_with_session(world.programme_a, facilitator=match.profile, members=[member])
    url = reverse("safety:flag_raise_session", args=[session.pk])
    facilitator = client_as(peer_of(match))
    text = facilitator.get(url).content.decode()
    assert f'value="e{member.pk}"' in text
    response = facilitator.post(url, {**RAISE, "person": f"e{member.pk}"})
    flag = RiskFlag.objects.get(group_session=session)
    assert response["Location"] == reverse("safety:flag", args=[flag.pk])
    assert flag.source == RiskFlag.Source.GROUP_SESSION
    assert flag.person == member.person


def test_a_peer_who_does_not_facilitate_the_group_cannot_raise_from_it(world: World) -> None:
    session = group_with_session(world.programme_a)
    outsider = working_match(world.programme_a)
    url = reverse("safety:flag_raise_session", args=[session.pk])
    assert client_as(peer_of(outsider)).get(url).status_code == 404
    assert client_for("coordinator").get(url).status_code == 200


# ---------------------------------------------------------------------------------------
# Who the flag goes to


def test_the_on_call_shift_covering_now_gets_the_flag(world: World) -> None:
    leader = user_of("leader")
    set_settings(world.programme_a, on_call=user_of("admin"))
    now = timezone.now()
    shift_add(
        programme=world.programme_a,
        user=leader,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        actor=None,
    )
    flag = raise_flag(working_match(world.programme_a))
    assert flag.assigned_to == leader


def test_without_a_shift_the_default_on_call_person_gets_it(world: World) -> None:
    set_settings(world.programme_a, on_call=user_of("leader"))
    flag = raise_flag(working_match(world.programme_a))
    assert flag.assigned_to == user_of("leader")


def test_without_anyone_on_call_the_peers_supervisor_gets_it(world: World) -> None:
    match = working_match(world.programme_a)  # supervised by persona "supervisor"
    flag = raise_flag(match, contact=contact_in(match))
    assert flag.assigned_to == user_of("supervisor")


def test_a_flag_raised_by_staff_goes_to_the_participants_peers_supervisor(world: World) -> None:
    match = working_match(world.programme_a)
    flag = raise_flag(match, raised_by=user_of("coordinator"))
    assert flag.assigned_to == user_of("supervisor")


def test_without_a_supervisor_the_programme_leaders_get_it(world: World) -> None:
    match = working_match(world.programme_a)
    match.profile.supervisor = None
    match.profile.save(update_fields=["supervisor"])
    flag = raise_flag(match)
    assert flag.assigned_to == user_of("leader")
    notified = flag.events.filter(kind=FlagEvent.Kind.NOTIFIED)
    assert user_of("leader").pk in set(notified.values_list("to_id", flat=True))


def test_without_leaders_the_organisations_admins_get_it(world: World) -> None:
    match = working_match(world.programme_a)
    match.profile.supervisor = None
    match.profile.save(update_fields=["supervisor"])
    RoleAssignment.objects.filter(role=Role.PROGRAMME_LEADER, programme=world.programme_a).update(
        ended_at=timezone.now() - timedelta(minutes=1)
    )
    flag = raise_flag(match)
    assert flag.assigned_to == user_of("admin")


def test_a_supervisor_who_lost_the_role_is_passed_over(world: World) -> None:
    match = working_match(world.programme_a)
    RoleAssignment.objects.filter(user=user_of("supervisor"), role=Role.SUPERVISOR).update(
        ended_at=timezone.now() - timedelta(minutes=1)
    )
    flag = raise_flag(match)
    assert flag.assigned_to == user_of("leader")


# ---------------------------------------------------------------------------------------
# The message, the deadline, the audit


def test_the_assignee_is_told_without_names_or_the_summary(world: World) -> None:
    match = working_match(world.programme_a, given_name="Rowan")
    flag = raise_flag(match, severity="high")
    rows = Notification.objects.filter(kind="safety_flag_raised", user=flag.assigned_to)
    assert {row.dedupe_key for row in rows} == {f"flag:{flag.pk}:raised"}
    email = rows.get(channel="email")
    assert "needs acknowledgement by" in email.body
    assert reverse("safety:flag", args=[flag.pk]) in email.body
    for secret in ("Rowan", SUMMARY, world.programme_a.name):
        assert secret not in email.body
        assert secret not in email.subject
    in_app = rows.get(channel="in_app")
    assert "Rowan" in in_app.body
    assert SUMMARY not in in_app.body


def test_high_flags_are_due_within_the_hour_medium_after_a_working_day(world: World) -> None:
    set_settings(world.programme_a, high_within_minutes=30)
    match = working_match(world.programme_a)
    wednesday_11 = timezone.make_aware(timezone.datetime(2026, 3, 4, 11, 0))  # noqa: DTZ001
    with time_machine.travel(wednesday_11, tick=False):
        high = raise_flag(match, severity="high")
        medium = raise_flag(match, severity="medium")
    assert high.acknowledge_by == wednesday_11 + timedelta(minutes=30)
    assert medium.acknowledge_by == wednesday_11 + timedelta(days=1)


def test_raising_is_audited(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a))
    assert AuditEvent.objects.filter(
        action="create", object_type="safety.riskflag", object_id=str(flag.pk)
    ).exists()


# ---------------------------------------------------------------------------------------
# What the service refuses


def test_summary_severity_and_membership_are_checked(world: World) -> None:
    match = working_match(world.programme_a)
    outsider = waiting_enrolment(world.programme_b)
    cases = [
        ({"summary": "  "}, "summary"),
        ({"severity": "extreme"}, "severity"),
        ({"person": outsider.person}, "person"),
        ({"source": "rumour"}, "source"),
        ({"source": RiskFlag.Source.CONTACT}, "contact"),
        ({"source": RiskFlag.Source.GROUP_SESSION}, "group_session"),
        ({"enrolment": outsider}, "enrolment"),
        ({"summary": "x" * (services.SUMMARY_MAX + 1)}, "summary"),
    ]
    for change, field in cases:
        arguments = {
            "programme": world.programme_a,
            "person": match.enrolment.person,
            "severity": "medium",
            "summary": "Worried.",
            "source": RiskFlag.Source.STAFF,
            "raised_by": None,
            **change,
        }
        with pytest.raises(ValidationError) as refused:
            services.flag_raise(**arguments)  # type: ignore[arg-type]
        assert field in refused.value.message_dict, (change, refused.value.message_dict)
    assert not RiskFlag.objects.filter(person=match.enrolment.person).exists()


def test_a_contact_from_another_match_is_refused(world: World) -> None:
    match = working_match(world.programme_a)
    other_contact = contact_in(working_match(world.programme_a, given_name="Lee"))
    with pytest.raises(ValidationError) as refused:
        services.flag_raise(
            programme=world.programme_a,
            person=match.enrolment.person,
            severity="low",
            summary="Worried.",
            source=RiskFlag.Source.CONTACT,
            contact=other_contact,
            raised_by=None,
        )
    assert "contact" in refused.value.message_dict


def test_a_questionnaire_answer_raises_a_flag_without_a_person_raising_it(world: World) -> None:
    match = working_match(world.programme_a)
    flag = services.flag_raise(
        programme=world.programme_a,
        person=match.enrolment.person,
        severity="high",
        summary="PHQ-9 item 9 answered above 0.",
        source=RiskFlag.Source.QUESTIONNAIRE,
        raised_by=None,
        source_reference="response:12:item:phq9_9",
    )
    assert flag.enrolment == match.enrolment
    assert flag.assigned_to == user_of("supervisor")
    assert flag.source_reference == "response:12:item:phq9_9"


def test_flags_about_someone_in_the_programme_who_is_only_a_peer(world: World) -> None:
    match = working_match(world.programme_a)
    flag = flag_about(world.programme_a, match.profile.person, raised_by=user_of("supervisor"))
    assert flag.person == match.profile.person
    assert flag.enrolment is None
    assert safety_settings(world.programme_a).working_weekdays == [1, 2, 3, 4, 5]
