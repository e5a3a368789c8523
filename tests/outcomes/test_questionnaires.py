"""Questionnaires: the schedule's timepoints, opening assessments, answering from a
secret link (resumable), entry from an interview, scoring on save, safety items raising
a risk flag whatever the total, licences, and the playbook scan that opens them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.followups.models import WorkItem
from peerbridge.followups.presets import preset_apply
from peerbridge.followups.scan import scan
from peerbridge.matching.models import Match
from peerbridge.notifications.models import Notification
from peerbridge.outcomes import licences, schedules
from peerbridge.outcomes.models import Assessment, InstrumentLicence, Response
from peerbridge.outcomes.responses import response_save, response_start
from peerbridge.safety.models import OnCallShift, RiskFlag
from tests.conftest import World
from tests.safety.world import client_as, peer_of, set_settings, user_of, working_match

pytestmark = pytest.mark.django_db

# PHQ-9: every item 0 except item 9 ("thoughts that you would be better off dead ...").
LOW_WITH_ITEM_9 = {**{f"q{n}": "0" for n in range(1, 9)}, "q9": "1"}


def qids() -> list[str]:
    from peerbridge.instruments.registry import get_instrument

    return [item.id for item in get_instrument("phq9").items]


def answers(values: list[int]) -> dict[str, str]:
    return {item: str(value) for item, value in zip(qids(), values, strict=True)}


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    for programme in (world.programme_a, world.programme_b):
        OnCallShift.objects.filter(programme=programme).delete()
        set_settings(programme, on_call=None, crisis_resources="Crisis line: 0800 000 111")


def open_assessment(match: Match, codes: tuple[str, ...] = ("phq9",)) -> Assessment:
    return schedules.assessment_create(
        enrolment=match.enrolment, instruments=list(codes), due_on=None, actor=None
    )


def form_data(page: str) -> dict[str, str]:
    """The hidden stamp of the public form on `page`."""
    found = re.search(r'name="stamp" value="([^"]+)"', page)
    assert found is not None
    return {"stamp": found.group(1), "website": ""}


def answer_page(token: str) -> str:
    return reverse("outcomes:answer", args=[token])


def post_answers(
    client: Client, token: str, values: dict[str, str], action: str
) -> tuple[int, str]:
    page = client.get(answer_page(token)).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=False):
        reply = client.post(answer_page(token), {**form_data(page), **values, "action": action})
    return reply.status_code, reply.content.decode()


# --- Timepoints --------------------------------------------------------------------------


def test_a_programme_gets_the_default_timepoints_once(world: World) -> None:
    first = schedules.timepoints_of(world.programme_a)
    again = schedules.timepoints_of(world.programme_a)
    assert [row.code for row in first] == ["baseline", "week4", "week12", "exit", "followup6m"]
    assert [row.pk for row in again] == [row.pk for row in first]
    assert all(row.instruments for row in first)


def test_a_timepoint_refuses_an_unlicensed_or_unknown_questionnaire(world: World) -> None:
    timepoint = schedules.timepoints_of(world.programme_a)[0]
    with pytest.raises(ValidationError) as refused:
        schedules.timepoint_update(
            timepoint=timepoint,
            label="Baseline",
            instruments=["epds", "nonsense"],
            window_days=14,
            is_active=True,
            actor=None,
        )
    assert "epds" in str(refused.value) and "nonsense" in str(refused.value)
    with pytest.raises(ValidationError) as bad_days:
        schedules.timepoint_update(
            timepoint=timepoint,
            label="",
            instruments=["phq9"],
            window_days="ten",
            is_active=True,
            actor=None,
        )
    assert set(bad_days.value.message_dict) == {"label", "window_days"}


# --- Licences ----------------------------------------------------------------------------


def test_a_licensed_questionnaire_is_usable_only_while_its_licence_is_in_force(
    world: World,
) -> None:
    assert not licences.instrument_usable("epds")
    licence = licences.licence_record(
        instrument="epds",
        holder="Riverside Trust",
        reference="RCPsych permission 2026-114",
        valid_until=None,
        actor=user_of("admin"),
    )
    assert licences.instrument_usable("epds")
    # Paper entry needs only the item numbers; on screen the wording must be in the library.
    assert not licences.instrument_usable("epds", needs_wording=True)
    licences.licence_withdraw(licence=licence, actor=None)
    assert not licences.instrument_usable("epds")


def test_a_licence_for_a_free_questionnaire_or_without_details_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        licences.licence_record(
            instrument="phq9", holder="", reference="x" * 300, valid_until=None, actor=None
        )
    assert set(refused.value.message_dict) == {"instrument", "holder", "reference"}


def test_the_licence_page_records_a_licence_and_shows_field_errors(world: World) -> None:
    admin = client_as(user_of("admin"))
    bad = admin.post(reverse("outcomes:licences"), {"instrument": "epds", "holder": ""})
    assert bad.status_code == 422
    assert not InstrumentLicence.objects.exists()
    good = admin.post(
        reverse("outcomes:licences"),
        {"instrument": "wemwbs", "holder": "Riverside Trust", "reference": "Warwick 7781"},
    )
    assert good.status_code == 302
    assert InstrumentLicence.objects.get().instrument == "wemwbs"


# --- Answering from the link --------------------------------------------------------------


def test_item_9_with_a_low_total_raises_a_high_flag_for_the_supervisor(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    token = schedules.link_issue(assessment=assessment, actor=None)
    status, page = post_answers(Client(), token, LOW_WITH_ITEM_9, "finish")
    assert status == 200
    assert "0800 000 111" in page  # the crisis line, at once
    response = Response.objects.get(assessment=assessment)
    assert response.status == Response.Status.COMPLETE
    assert response.score == 1 and response.bands == {"total": "minimal"}
    assert response.safety_items == ["q9"]
    flag = RiskFlag.objects.get(person=match.enrolment.person, source="questionnaire")
    assert flag.severity == "high"
    assert flag.source_reference == f"response:{response.pk}:item:q9"
    supervisor = user_of("supervisor")
    assert flag.assigned_to == supervisor
    assert Notification.objects.filter(user=supervisor, kind="safety_flag_raised").exists()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.COMPLETED
    # The link is spent: it thanks and shows nothing else.
    again = Client().get(answer_page(token))
    assert again.status_code == 404 or "Thank you" in again.content.decode()


def test_answers_are_kept_and_resumed_from_the_same_link(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    token = schedules.link_issue(assessment=assessment, actor=None)
    client = Client()
    status, _page = post_answers(client, token, {"q1": "1", "q2": "2"}, "save")
    assert status == 302
    response = Response.objects.get(assessment=assessment)
    assert response.status == Response.Status.STARTED
    assert response.answers == {"q1": 1, "q2": 2}
    resumed = client.get(answer_page(token)).content.decode()
    assert re.search(r'name="q2" value="2"[^>]*checked', resumed)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.STARTED
    assert not RiskFlag.objects.filter(person=match.enrolment.person).exists()


def test_finishing_with_questions_missing_shows_them_and_completes_nothing(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    token = schedules.link_issue(assessment=assessment, actor=None)
    status, page = post_answers(Client(), token, {"q1": "1"}, "finish")
    assert status == 422
    assert "Please answer this question" in page
    assert not assessment.responses.filter(status=Response.Status.COMPLETE).exists()


def test_an_answer_outside_the_options_is_a_field_error(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    token = schedules.link_issue(assessment=assessment, actor=None)
    status, _page = post_answers(Client(), token, {**answers([0] * 9), "q3": "7"}, "finish")
    assert status == 422
    assert not assessment.responses.exists()


@pytest.mark.parametrize("token", ["nope", "x" * 500, "%00"])
def test_an_unknown_link_is_a_plain_404(token: str, world: World) -> None:
    reply = Client().get(answer_page(token))
    assert reply.status_code == 404
    assert reply["Cache-Control"] == "no-store"


def test_an_expired_link_says_so(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    token = schedules.link_issue(assessment=assessment, actor=None)
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        reply = Client().get(answer_page(token))
    assert reply.status_code == 200
    assert "expired" in reply.content.decode()


def test_two_questionnaires_are_answered_one_after_the_other(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match, ("phq2", "gad2"))
    token = schedules.link_issue(assessment=assessment, actor=None)
    client = Client()
    status, _ = post_answers(client, token, {"q1": "1", "q2": "1"}, "finish")
    assert status == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.STARTED
    status, _ = post_answers(client, token, {"q1": "3", "q2": "2"}, "finish")
    assert status == 200
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.COMPLETED
    scores = dict(Response.objects.filter(assessment=assessment).values_list("instrument", "score"))
    assert scores == {"phq2": 2.0, "gad2": 5.0}


# --- Entry by the peer, and scope --------------------------------------------------------


def test_the_peer_enters_an_interview_and_a_peer_elsewhere_gets_404(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    url = reverse("outcomes:enter", args=[assessment.pk, "phq9"])
    stranger = working_match(world.programme_a, given_name="Alex")
    assert client_as(peer_of(stranger)).get(url).status_code == 404
    reply = client_as(peer_of(match)).post(
        url, {**answers([2, 2, 2, 2, 1, 1, 1, 1, 0]), "mode": "interview", "action": "finish"}
    )
    assert reply.status_code == 302
    response = Response.objects.get(assessment=assessment)
    assert (response.mode, response.score, response.entered_by) == (
        "interview",
        12.0,
        peer_of(match),
    )
    assert response.bands == {"total": "moderate"}
    assert AuditEvent.objects.filter(
        object_type="outcomes.response", object_id=str(response.pk)
    ).exists()


def test_the_participants_questionnaires_page_lists_them(world: World) -> None:
    match = working_match(world.programme_a)
    open_assessment(match)
    page = client_as(peer_of(match)).get(reverse("outcomes:assessments", args=[match.enrolment_id]))
    assert page.status_code == 200
    assert "Ask for a questionnaire" in page.content.decode()


def test_a_completed_response_is_not_changed_and_a_flag_is_raised_once(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    response = response_start(assessment=assessment, instrument="phq9", mode="paper", actor=None)
    response_save(response=response, answers=LOW_WITH_ITEM_9, complete=True, actor=None)
    with pytest.raises(ValidationError):
        response_save(response=response, answers={"q1": "3"}, complete=True, actor=None)
    assert (
        RiskFlag.objects.filter(source_reference__startswith=f"response:{response.pk}:").count()
        == 1
    )


def test_answer_now_opens_the_link_on_this_phone(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    reply = client_as(peer_of(match)).post(reverse("outcomes:answer_now", args=[assessment.pk]))
    assert reply.status_code == 302
    assert reply["Location"].startswith("/q/")
    assert Client().get(reply["Location"]).status_code == 200


# --- The playbook opens them ---------------------------------------------------------------


def test_the_scan_opens_each_timepoint_once_and_closes_the_item_when_answered(
    world: World,
) -> None:
    programme = world.programme_a
    preset_apply(programme=programme, key="questionnaires", actor=None)
    match = working_match(programme)
    today = timezone.localdate()
    scan(today=today)
    scan(today=today)
    opened = Assessment.objects.filter(enrolment=match.enrolment, timepoint__code="baseline")
    assert opened.count() == 1
    item = WorkItem.objects.get(
        enrolment=match.enrolment, rule__timepoint__code="baseline", action="questionnaire"
    )
    assert item.status == WorkItem.Status.OPEN
    assessment = opened.get()
    for code in assessment.instruments:
        from peerbridge.instruments.registry import get_instrument

        instrument = get_instrument(code)
        response = response_start(assessment=assessment, instrument=code, mode="paper", actor=None)
        response_save(
            response=response,
            answers={item.id: item.options[0].value for item in instrument.items},
            complete=True,
            actor=None,
        )
    scan(today=today)
    item.refresh_from_db()
    assert item.status == WorkItem.Status.DONE


def test_windows_that_pass_close_the_assessment(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = open_assessment(match)
    assert schedules.expire_past(today=assessment.closes_on + timedelta(days=1)) >= 1
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.EXPIRED
    assert assessment.link_digest == ""
