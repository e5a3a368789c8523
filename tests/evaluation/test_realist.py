"""The realist (context-mechanism-outcome) report: which participants count, baseline and
follow-up, context and mechanism bands, the numbers per cell (worked out by hand below),
and small-cell suppression. The builders here are shared with test_realist_pages.py."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from peerbridge.evaluation import realist
from peerbridge.evaluation.realist import Context, ParticipantChange, summarise
from peerbridge.instruments import get_instrument
from peerbridge.organisations.models import Programme, Site
from peerbridge.outcomes.models import Mode, Response
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment
from peerbridge.support.models import Group, GroupMember

_serial = count(1)
MECHANISM_ITEMS = [item.id for item in get_instrument("mech_participant").items]
BASELINE_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FOLLOW_UP_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def new_programme(site: Site, *, condition: str = "hiv") -> Programme:
    n = next(_serial)
    return Programme.objects.create(
        site=site,
        code=f"realist-{n}",
        name=f"Realist test {n}",
        condition_area=condition,
        audience=Programme.Audience.PATIENTS,
        formats=["one_to_one", "group"],
        modalities=["telephone"],
        contact_cadence_days=7,
        peer_pay=Programme.PeerPay.PAID,
    )


def new_enrolment(programme: Programme) -> Enrolment:
    n = next(_serial)
    person = Person.objects.create(given_name="Synthetic", family_name=f"Realist{n}")
    return Enrolment.objects.create(
        person=person, programme=programme, source=Enrolment.Source.STAFF
    )


def respond(
    enrolment: Enrolment,
    instrument: str,
    *,
    at: datetime,
    score: float | None = None,
    answers: dict[str, Any] | None = None,
    status: str = Response.Status.COMPLETE,
    programme: Programme | None = None,
) -> Response:
    return Response.objects.create(
        programme=programme or enrolment.programme,
        person=enrolment.person,
        enrolment=enrolment,
        instrument=instrument,
        version="1.0",
        mode=Mode.PAPER,
        status=status,
        answers=answers or {},
        score=score,
        completed_at=at if status == Response.Status.COMPLETE else None,
    )


def mechanism(enrolment: Enrolment, value: int, *, at: datetime = FOLLOW_UP_AT) -> Response:
    return respond(
        enrolment,
        "mech_participant",
        at=at,
        answers={item: value for item in MECHANISM_ITEMS},
        score=float(value),
    )


def participant(
    programme: Programme,
    before: float,
    after: float,
    *,
    strength: int,
    outcome: str = "phq9",
) -> Enrolment:
    """A participant with a PHQ-9 (or `outcome`) baseline and follow-up and a mechanism
    questionnaire answered `strength` to every item."""
    enrolment = new_enrolment(programme)
    respond(enrolment, outcome, at=BASELINE_AT, score=before)
    respond(enrolment, outcome, at=FOLLOW_UP_AT, score=after)
    mechanism(enrolment, strength)
    return enrolment


def join_group(enrolment: Enrolment, *, status: str = GroupMember.Status.ENROLLED) -> None:
    group = Group.objects.filter(programme=enrolment.programme).first()
    if group is None:
        group = Group.objects.create(
            programme=enrolment.programme,
            name="Living well",
            kind=Group.Kind.MUTUAL_SUPPORT,
            modality=Group.Modality.IN_PERSON,
            capacity=20,
        )
    GroupMember.objects.create(
        group=group,
        enrolment=enrolment,
        status=status,
        enrolled_at=timezone.now() if status != GroupMember.Status.WAITING else None,
    )


# One-to-one, every mechanism strong (all answers 5): PHQ-9 before and after.
ONE_TO_ONE_HIGH = [(20, 10), (18, 12), (15, 9), (12, 10), (10, 4)]
# Group, every mechanism strong (all answers 4): everyone starts at 10 (no spread).
GROUP_HIGH = [(10, 8), (10, 7), (10, 9), (10, 6), (10, 10)]


def hand_world(programme: Programme) -> None:
    """The scene the expected numbers below were worked out for."""
    first = None
    for before, after in ONE_TO_ONE_HIGH:
        enrolment = participant(programme, before, after, strength=5)
        first = first or enrolment
    assert first is not None
    # The earliest is the baseline and the latest the follow-up: a middle one is ignored,
    # and so is an earlier, weaker mechanism questionnaire.
    respond(first, "phq9", at=BASELINE_AT + timedelta(days=30), score=27)
    mechanism(first, 1, at=BASELINE_AT)
    for before, after in GROUP_HIGH:
        join_group(participant(programme, before, after, strength=4))
    # Two one-to-one participants with middling mechanisms; one only waits for a group.
    participant(programme, 9, 9, strength=3)
    join_group(participant(programme, 8, 5, strength=3), status=GroupMember.Status.WAITING)
    # Never counted: no follow-up; no mechanism questionnaire; one only started; a
    # follow-up recorded under another programme; a malformed stored answer.
    lone = new_enrolment(programme)
    respond(lone, "phq9", at=BASELINE_AT, score=12)
    mechanism(lone, 5)
    unexplained = new_enrolment(programme)
    respond(unexplained, "phq9", at=BASELINE_AT, score=12)
    respond(unexplained, "phq9", at=FOLLOW_UP_AT, score=2)
    started = participant(programme, 14, 4, strength=5)
    Response.objects.filter(enrolment=started, instrument="mech_participant").update(
        status=Response.Status.STARTED
    )
    elsewhere = new_enrolment(programme)
    respond(elsewhere, "phq9", at=BASELINE_AT, score=20)
    respond(
        elsewhere,
        "phq9",
        at=FOLLOW_UP_AT,
        score=0,
        programme=Programme.objects.exclude(pk=programme.pk).first(),
    )
    mechanism(elsewhere, 5)
    broken = participant(programme, 20, 0, strength=5)
    Response.objects.filter(enrolment=broken, instrument="mech_participant").update(
        answers={"role_model_1": "five"}
    )


@pytest.fixture
def programme(db: None) -> Programme:
    return new_programme(Site.objects.get(code="riverside"))


def _cell(report: realist.RealistReport, fmt: str, scale: str, band: str) -> realist.Cell:
    (block,) = [b for b in report.contexts if b.context.format == fmt]
    (row,) = [r for r in block.mechanisms if r.scale == scale]
    (cell,) = [c for c in row.cells if c.band == band]
    return cell


def test_the_report_counts_pairs_with_a_mechanism_questionnaire(programme: Programme) -> None:
    hand_world(programme)
    report = realist.realist_report(programme=programme, outcome="phq9")
    assert report.participants == 12
    assert report.wording == "exploratory: shows association, not cause"
    assert report.higher_is_worse is True
    assert [(b.context, b.n) for b in report.contexts] == [
        (Context("Riverside affiliate", "group", "hiv"), 5),
        (Context("Riverside affiliate", "one_to_one", "hiv"), 7),
    ]
    # Every mechanism scale and the overall one, each with its three bands.
    for block in report.contexts:
        assert [row.scale for row in block.mechanisms] == [
            "strength",
            "role_model",
            "acceptance",
            "mutual",
            "tailored",
            "bridge",
            "information",
        ]
        assert all(
            [c.band for c in row.cells] == ["low", "medium", "high"] for row in block.mechanisms
        )


def test_mean_change_and_hedges_g_match_the_hand_computation(programme: Programme) -> None:
    hand_world(programme)
    report = realist.realist_report(programme=programme, outcome="phq9")
    for scale in ("strength", "role_model", "information"):
        cell = _cell(report, "one_to_one", scale, "high")
        # Before 20 18 15 12 10 (mean 15, SD^2 17), after 10 12 9 10 4 (mean 9, SD^2 9):
        # change -6; S_av = sqrt((17 + 9) / 2) = sqrt(13); J = 1 - 3 / (4 * 4 - 1) = 0.8.
        assert cell.n == 5
        assert cell.mean_change == pytest.approx(-6.0)
        assert cell.hedges_g == pytest.approx(0.8 * -6 / math.sqrt(13))
        assert cell.ci_lower is not None and cell.ci_upper is not None
        assert cell.ci_lower < cell.hedges_g < cell.ci_upper
    group = _cell(report, "group", "strength", "high")
    # Everyone in the group started at 10: the change (-2 on average) has no SD at
    # baseline to be standardised by, so no g.
    assert (group.n, group.mean_change, group.hedges_g) == (5, pytest.approx(-2.0), None)


def test_small_cells_are_hidden_with_their_numbers(programme: Programme) -> None:
    hand_world(programme)
    report = realist.realist_report(programme=programme, outcome="phq9")
    for band in ("low", "medium"):  # 0 and 2 participants
        cell = _cell(report, "one_to_one", "strength", band)
        assert (cell.n, cell.mean_change, cell.hedges_g, cell.ci_lower) == (None,) * 4


def test_the_period_keeps_only_responses_completed_in_it(programme: Programme) -> None:
    hand_world(programme)
    # From 1 April only the first participant has two PHQ-9s: the middle one (27), now
    # their baseline, and the follow-up (10).
    (change,) = realist.participant_changes(
        programme=programme, outcome="phq9", start=date(2026, 4, 1), end=None
    )
    assert (change.baseline, change.follow_up) == (27, 10)
    late = realist.realist_report(programme=programme, outcome="phq9", start=date(2026, 4, 1))
    assert late.participants is None and [b.n for b in late.contexts] == [None]
    # Up to 31 May: the same participant's baseline (20) and middle one (27), with the
    # only mechanism questionnaire completed by then (every answer 1: low).
    (early,) = realist.participant_changes(
        programme=programme, outcome="phq9", start=None, end=date(2026, 5, 31)
    )
    assert (early.baseline, early.follow_up, early.bands["strength"]) == (20, 27, "low")
    whole = realist.realist_report(
        programme=programme, outcome="phq9", start=date(2026, 3, 2), end=date(2026, 6, 1)
    )
    assert whole.participants == 12


def test_another_outcome_has_its_own_direction(programme: Programme) -> None:
    for before, after in ONE_TO_ONE_HIGH:
        participant(programme, after, before, strength=2, outcome="brs")
    report = realist.realist_report(programme=programme, outcome="brs")
    assert report.higher_is_worse is False
    assert _cell(report, "one_to_one", "strength", "low").mean_change == pytest.approx(6.0)
    assert realist.realist_report(programme=programme, outcome="phq9").participants is None


@pytest.mark.parametrize(
    ("outcome", "start", "end", "field"),
    [
        ("mech_participant", None, None, "outcome"),
        ("nothing", None, None, "outcome"),
        ("phq9", date(2026, 5, 1), date(2026, 4, 1), "end"),
        ("phq9", date(1900, 1, 1), None, "start"),
        ("phq9", None, date(2999, 1, 1), "end"),
    ],
)
def test_bad_choices_are_field_errors(
    programme: Programme, outcome: str, start: date | None, end: date | None, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        realist.realist_report(programme=programme, outcome=outcome, start=start, end=end)
    assert set(raised.value.message_dict) == {field}


# --- The pure summary: suppression rules -------------------------------------------------

CONTEXT_A = Context("Riverside affiliate", "one_to_one", "hiv")
CONTEXT_B = Context("Riverside affiliate", "group", "hiv")


def _changes(context: Context, strength: str, n: int, start: float = 10) -> list[ParticipantChange]:
    bands = {scale.code: strength for scale in get_instrument("mech_participant").scales}
    return [ParticipantChange(context, bands, start + i, start + i - (i % 3)) for i in range(n)]


def test_one_hidden_band_hides_the_next_smallest_too() -> None:
    changes = [
        *_changes(CONTEXT_A, "high", 6),
        *_changes(CONTEXT_A, "medium", 5),
        *_changes(CONTEXT_A, "low", 2),
    ]
    total, (block,) = summarise(changes, mechanism=get_instrument("mech_participant"))
    assert (total, block.n) == (13, 13)
    overall = block.mechanisms[0]
    assert [(c.band, c.n) for c in overall.cells] == [("low", None), ("medium", None), ("high", 6)]


def test_a_hidden_context_shows_no_cells_and_hides_another() -> None:
    changes = [*_changes(CONTEXT_A, "high", 7), *_changes(CONTEXT_B, "high", 3)]
    total, blocks = summarise(changes, mechanism=get_instrument("mech_participant"))
    assert total == 10
    assert [b.n for b in blocks] == [None, None]  # 3 is small; 7 could then be worked out
    assert all(c.n is None for b in blocks for row in b.mechanisms for c in row.cells)


def test_fewer_than_five_in_all_shows_nothing() -> None:
    total, (block,) = summarise(
        _changes(CONTEXT_A, "high", 4), mechanism=get_instrument("mech_participant")
    )
    assert (total, block.n) == (None, None)


def test_a_participant_without_a_scale_score_is_left_out_of_that_scale() -> None:
    changes = _changes(CONTEXT_A, "high", 6)
    changes.append(ParticipantChange(CONTEXT_A, {"strength": "high"}, 10, 8))
    _total, (block,) = summarise(changes, mechanism=get_instrument("mech_participant"))
    by_scale = {row.scale: row.cells[2].n for row in block.mechanisms}
    assert by_scale["strength"] == 7 and by_scale["bridge"] == 6
