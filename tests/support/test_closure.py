"""Closing a participant's time: the match completed through the lifecycle (capacity
given back), the enrolment completed, the closure recorded, thanks through the outbox
with no health details; refused when it cannot close; the coordinator's page with its
draft summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.notifications.models import Notification
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.support.closure import closure_draft, closure_record
from peerbridge.support.models import Closure, Contact, Goal, GoalRating
from peerbridge.workforce.models import CapacityReservation
from tests.conftest import World, client_for
from tests.followups import world as fw
from tests.matching.world_lifecycle import waiting_enrolment
from tests.support.world import active_match, user_of

M = MatchStatus


def close(enrolment: Enrolment, **changes: Any) -> Closure:
    arguments: dict[str, Any] = {
        "enrolment": enrolment,
        "actor": user_of("coordinator"),
        "summary": "Ten calls; back at work part time.",
        "exit_questionnaire": Closure.ExitQuestionnaire.OFFERED,
        "send_thanks": True,
    }
    return closure_record(**{**arguments, **changes})


def goal(enrolment: Enrolment, text: str, *ratings: tuple[int, int]) -> Goal:
    """A goal with ratings given as (rating, days ago)."""
    made = Goal.objects.create(enrolment=enrolment, text=text)
    for rating, ago in ratings:
        GoalRating.objects.create(
            goal=made,
            rating=rating,
            rated_on=timezone.localdate() - timedelta(days=ago),
            by=GoalRating.By.PARTICIPANT,
        )
    return made


def held(match: Match) -> bool:
    return CapacityReservation.objects.filter(
        reference=match.reference, released_at__isnull=True
    ).exists()


def test_closing_completes_the_match_and_the_enrolment_and_gives_capacity_back(
    world: World,
) -> None:
    match = active_match(world.programme_a)
    assert held(match)
    closure = close(match.enrolment)
    match.refresh_from_db()
    enrolment = Enrolment.objects.get(pk=match.enrolment_id)
    assert match.status == M.COMPLETED and not held(match)
    assert enrolment.status == EnrolmentStatus.COMPLETED
    assert closure.summary == "Ten calls; back at work part time."
    assert closure.exit_questionnaire == Closure.ExitQuestionnaire.OFFERED
    assert closure.closed_by == user_of("coordinator")
    assert AuditEvent.objects.filter(
        action="create", object_type="support.closure", object_id=str(closure.pk)
    ).exists()
    assert list(
        enrolment.status_changes.order_by("changed_at", "pk").values_list("to_status", flat=True)
    )[-1:] == [EnrolmentStatus.COMPLETED]


def test_a_match_at_first_contact_is_made_active_then_completed(world: World) -> None:
    match = active_match(world.programme_a, status=M.FIRST_CONTACT)
    close(match.enrolment, send_thanks=False)
    changes = list(match.status_changes.values_list("to_status", flat=True))
    assert changes[-2:] == [M.ACTIVE, M.COMPLETED]
    assert Enrolment.objects.get(pk=match.enrolment_id).status == EnrolmentStatus.COMPLETED


def test_thanks_go_through_the_outbox_without_health_details(world: World) -> None:
    match = active_match(world.programme_a, given_name="Morwenna")
    closure = close(match.enrolment)
    assert closure.thanks_sent_at is not None
    [queued] = Notification.objects.filter(kind="support_closure_thanks")
    assert queued.channel == "email" and queued.link == "/"
    fw.deliver()
    [email] = fw.mail_to(match.enrolment.person.email)
    text = (email.subject + email.body).lower()
    assert "thank you" in text
    for secret in ("morwenna", world.programme_a.name.lower(), "diagnos", "ten calls"):
        assert secret not in text, secret


def test_no_thanks_unless_asked_or_reachable(world: World) -> None:
    quiet = active_match(world.programme_a)
    assert close(quiet.enrolment, send_thanks=False).thanks_sent_at is None
    unreachable = active_match(world.programme_a)
    person = unreachable.enrolment.person
    person.email, person.phone = "", ""
    person.save(update_fields=["email", "phone"])
    assert close(unreachable.enrolment).thanks_sent_at is None
    assert not Notification.objects.filter(kind="support_closure_thanks").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: active_match(p, status=M.INTRODUCED).enrolment, "first contact"),
        (lambda p: active_match(p, status=M.ACCEPTED).enrolment, "first contact"),
        (lambda p: waiting_enrolment(p), "matched or active"),
    ],
)
def test_closure_is_refused_when_support_has_not_begun(
    world: World, make: Any, message: str
) -> None:
    enrolment = make(world.programme_a)
    status = enrolment.status
    with pytest.raises(ValidationError) as refused:
        close(enrolment)
    assert message in refused.value.message_dict["enrolment"][0]
    assert Enrolment.objects.get(pk=enrolment.pk).status == status
    assert not Closure.objects.filter(enrolment=enrolment).exists()


def test_a_participant_is_closed_once(world: World) -> None:
    match = active_match(world.programme_a)
    close(match.enrolment, send_thanks=False)
    with pytest.raises(ValidationError) as refused:
        close(match.enrolment)
    assert "enrolment" in refused.value.message_dict
    assert Closure.objects.filter(enrolment=match.enrolment).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("summary", ""),
        ("summary", "   "),
        ("summary", "x" * 4001),
        ("summary", "a\x00b"),
        ("summary", 5),
        ("summary", None),
        ("exit_questionnaire", "sent"),
        ("exit_questionnaire", None),
        ("send_thanks", "yes"),
        ("send_thanks", 1),
    ],
)
def test_malformed_closures_are_field_errors_and_change_nothing(
    world: World, field: str, value: Any
) -> None:
    match = active_match(world.programme_a)
    with pytest.raises(ValidationError) as refused:
        close(match.enrolment, **{field: value})
    assert field in refused.value.message_dict
    match.refresh_from_db()
    assert match.status == M.ACTIVE and held(match)


def test_the_draft_counts_contacts_hours_and_goal_progress(world: World) -> None:
    match = active_match(world.programme_a)
    fw.contact(match, minutes=30)
    fw.contact(match, minutes=60)
    fw.contact(match, connected=False)
    goal(match.enrolment, "Walk to the shops", (2, 60), (5, 30), (8, 1))
    goal(match.enrolment, "Sleep better")
    draft = closure_draft(match.enrolment)
    assert (draft.contacts, draft.attempts, draft.minutes, draft.hours) == (2, 1, 90, 1.5)
    walk, sleep = draft.goals
    assert (walk.first, walk.last) == (2, 8)
    assert walk.first_on == timezone.localdate() - timedelta(days=60)
    assert (sleep.first, sleep.last) == (None, None)
    text = draft.text()
    assert text.startswith("2 contacts over 1.5 hours.")
    assert "Walk to the shops: from 2 to 8 of 10" in text
    assert "Sleep better: not rated" in text


# --- The page ------------------------------------------------------------------------


def url(enrolment: Enrolment) -> str:
    return f"/enrolments/{enrolment.pk}/closure/"


def test_the_coordinator_sees_the_draft_and_closes(world: World) -> None:
    match = active_match(world.programme_a)
    fw.contact(match, minutes=45)
    goal(match.enrolment, "Cook a meal again", (3, 20), (7, 2))
    coordinator = client_for("coordinator")
    page = coordinator.get(url(match.enrolment))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Cook a meal again" in text and "0.8" in text  # 45 minutes
    assert "1 contact over 0.8 hours." in page.context["form"].initial["summary"]
    assert AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(match.enrolment.person_id)
    ).exists()
    done = coordinator.post(
        url(match.enrolment),
        {"summary": "Cooking again.", "exit_questionnaire": "declined", "send_thanks": "on"},
    )
    assert done.status_code == 302 and done["Location"] == url(match.enrolment)
    closure = Closure.objects.get(enrolment=match.enrolment)
    assert closure.exit_questionnaire == "declined" and closure.thanks_sent_at is not None
    again = coordinator.get(url(match.enrolment))
    assert "Cooking again." in again.content.decode() and again.context["closed"] == closure


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"summary": "", "exit_questionnaire": "not_used"},
        {"summary": "ok", "exit_questionnaire": "nope"},
        {"summary": "x" * 4001, "exit_questionnaire": "not_used"},
        {"summary": "a\x00b", "exit_questionnaire": "not_used"},
    ],
)
def test_malformed_posts_are_form_errors(world: World, data: dict[str, str]) -> None:
    match = active_match(world.programme_a)
    response = client_for("coordinator").post(url(match.enrolment), data)
    assert response.status_code == 422
    assert response.context["form"].errors
    assert not Closure.objects.filter(enrolment=match.enrolment).exists()


def test_a_refused_closure_is_shown_on_the_form(world: World) -> None:
    match = active_match(world.programme_a, status=M.INTRODUCED)
    page = client_for("coordinator").get(url(match.enrolment))
    assert "first contact has not been confirmed" in page.content.decode()
    posted = client_for("coordinator").post(
        url(match.enrolment), {"summary": "Closing.", "exit_questionnaire": "not_used"}
    )
    assert posted.status_code == 422
    assert "first contact has not been confirmed" in posted.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("peer", 403), ("supervisor", 403), ("participant", 403)]
)
def test_only_those_who_run_the_programme_close(world: World, persona: str, status: int) -> None:
    match = active_match(world.programme_a)
    client = client_for(persona)
    assert client.get(url(match.enrolment)).status_code == status
    posted = client.post(url(match.enrolment), {"summary": "x", "exit_questionnaire": "not_used"})
    assert posted.status_code == status
    assert not Closure.objects.filter(enrolment=match.enrolment).exists()


def test_another_programmes_participant_is_not_found(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_b)
    assert client_for("coordinator").get(url(enrolment)).status_code == 404


@pytest.mark.parametrize("bad", ["0", "999999999", "99999999999999999999999"])
def test_unknown_enrolments_are_not_found(world: World, bad: str) -> None:
    assert client_for("coordinator").get(f"/enrolments/{bad}/closure/").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries(world: World) -> None:
    def measured(goals: int) -> int:
        match = active_match(world.programme_a)
        for n in range(goals):
            fw.contact(match)
            goal(match.enrolment, f"Goal {n}", (1, 9), (4, 1))
        client = client_for("coordinator")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(match.enrolment)).status_code == 200
        return len(queries.captured_queries)

    assert measured(2) == measured(12)


def test_contacts_of_the_enrolment_only_are_counted(world: World) -> None:
    mine, other = active_match(world.programme_a), active_match(world.programme_a)
    fw.contact(other, minutes=120)
    assert closure_draft(mine.enrolment).contacts == 0
    assert Contact.objects.filter(enrolment=other.enrolment).count() == 1
    assert closure_draft(other.enrolment).minutes == 120
