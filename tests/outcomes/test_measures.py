"""Measures: the table of kinds, recording with range, unit and date checks (every
problem on its field), HbA1c converted to the stored unit, who may record and remove,
and the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.outcomes.measures import (
    KINDS,
    Category,
    measure_delete,
    measure_record,
    measure_text,
)
from peerbridge.outcomes.models import Measure, MeasureKind
from peerbridge.referrals.models import Enrolment
from tests.conftest import World
from tests.support.world import active_match, participant_user_of, peer_user_of, user_of

pytestmark = pytest.mark.django_db


def _record(enrolment: Enrolment, **values: Any) -> Measure:
    fields: dict[str, Any] = {"measured_on": timezone.localdate(), "source": "clinic_record"}
    fields |= values
    return measure_record(enrolment=enrolment, actor=user_of("coordinator"), **fields)


def _errors(enrolment: Enrolment, **values: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        _record(enrolment, **values)
    return caught.value.message_dict


@pytest.fixture
def today() -> Iterator[date]:
    """Tomorrow at noon (after the demo's roles began), with the clock stopped."""
    moment = (timezone.now() + timedelta(days=1)).replace(hour=12, minute=0, second=0)
    with time_machine.travel(moment, tick=False):
        yield timezone.localdate()


@pytest.fixture
def enrolment(world: World, today: date) -> Enrolment:
    return active_match(world.programme_a).enrolment


# ------------------------------------------------------------------------- the table


def test_every_kind_has_a_row_with_a_category_and_a_stored_unit() -> None:
    assert set(KINDS) == set(MeasureKind.values)
    physiological = {k for k, spec in KINDS.items() if spec.category == Category.PHYSIOLOGICAL}
    assert physiological == {"viral_load", "cd4", "hba1c", "weight", "blood_pressure"}
    assert KINDS["hba1c"].stored_unit.code == "mmol/mol"
    assert [u.code for u in KINDS["hba1c"].units] == ["mmol/mol", "%"]
    assert KINDS["blood_pressure"].second is not None


# ---------------------------------------------------------------- recording and ranges


@pytest.mark.parametrize(
    ("kind", "value", "unit"),
    [
        ("viral_load", 0, "copies/mL"),
        ("viral_load", 10_000_000, "copies/mL"),
        ("cd4", 3000, "cells/mm3"),
        ("weight", Decimal("2"), "kg"),
        ("weight", Decimal("400"), "kg"),
        ("weight", Decimal("72.45"), "kg"),
        ("adherence", 100, "%"),
        ("bed_days", 365, "days"),
        ("bed_days", 0, "days"),
        ("appointment_kept", 1, "count"),
        ("admission", 2, "count"),
        ("prescription_collected", 1, "count"),
    ],
)
def test_values_at_the_edges_of_the_plausible_range_are_kept(
    enrolment: Enrolment, kind: str, value: Any, unit: str
) -> None:
    measure = _record(enrolment, kind=kind, value=value)
    assert (measure.kind, Decimal(measure.value), measure.unit) == (kind, Decimal(value), unit)
    assert measure.programme_id == enrolment.programme_id


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("viral_load", 10_000_001, "from 0 to 10000000 copies/mL"),
        ("viral_load", -1, "from 0 to 10000000"),
        ("viral_load", Decimal("12.5"), "whole number"),
        ("cd4", 3001, "from 0 to 3000 cells/mm3"),
        ("hba1c", 19, "from 20 to 200 mmol/mol"),
        ("hba1c", 201, "from 20 to 200"),
        ("weight", Decimal("1.99"), "from 2 to 400 kg"),
        ("weight", Decimal("400.01"), "from 2 to 400 kg"),
        ("weight", Decimal("70.123"), "two decimal places"),
        ("adherence", Decimal("100.5"), "from 0 to 100 %"),
        ("bed_days", 366, "from 0 to 365 days"),
        ("appointment_missed", 0, "from 1 to 100"),
        ("admission", Decimal("1.5"), "whole number"),
        ("weight", "seventy", "Give a number"),
        ("weight", True, "Give a number"),
        ("weight", None, "Give a number"),
        ("weight", "NaN", "Give a number"),
        ("weight", float("inf"), "Give a number"),
    ],
)
def test_implausible_values_are_refused_on_the_value_field(
    enrolment: Enrolment, kind: str, value: Any, message: str
) -> None:
    errors = _errors(enrolment, kind=kind, value=value)
    assert list(errors) == ["value"]
    assert message in errors["value"][0]
    assert not Measure.objects.filter(enrolment=enrolment).exists()


def test_hba1c_in_percent_is_converted_to_mmol_per_mol(enrolment: Enrolment) -> None:
    measure = _record(enrolment, kind="hba1c", value=Decimal("6.5"), unit="%")
    same = _record(enrolment, kind="hba1c", value=48)
    # (6.5 - 2.15) * 10.929 = 47.54 (the IFCC-NGSP master equation).
    assert (Decimal(measure.value), measure.unit) == (Decimal("47.54"), "mmol/mol")
    assert (Decimal(same.value), same.unit) == (Decimal("48.00"), "mmol/mol")
    assert measure_text(measure) == "47.54 mmol/mol (6.5%)"


def test_hba1c_in_percent_is_checked_against_the_percent_range(enrolment: Enrolment) -> None:
    low = _errors(enrolment, kind="hba1c", value=Decimal("2.9"), unit="%")
    high = _errors(enrolment, kind="hba1c", value=Decimal("20.1"), unit="%")
    kept = _record(enrolment, kind="hba1c", value=3, unit="%")
    assert "from 3 to 20 %" in low["value"][0]
    assert "from 3 to 20 %" in high["value"][0]
    assert Decimal(kept.value) == Decimal("9.29")


def test_a_unit_the_kind_is_not_measured_in_is_refused(enrolment: Enrolment) -> None:
    errors = _errors(enrolment, kind="weight", value=80, unit="lb")
    wrong_type = _errors(enrolment, kind="cd4", value=500, unit=5)
    assert "kg" in errors["unit"][0]
    assert list(wrong_type) == ["unit"]


def test_blood_pressure_needs_two_numbers_with_systolic_above_diastolic(
    enrolment: Enrolment,
) -> None:
    measure = _record(enrolment, kind="blood_pressure", value=128, value_2=82)
    missing = _errors(enrolment, kind="blood_pressure", value=128)
    upside_down = _errors(enrolment, kind="blood_pressure", value=80, value_2=120)
    equal = _errors(enrolment, kind="blood_pressure", value=90, value_2=90)
    low = _errors(enrolment, kind="blood_pressure", value=49, value_2=19)
    high = _errors(enrolment, kind="blood_pressure", value=301, value_2=201)
    extra = _errors(enrolment, kind="weight", value=80, value_2=3)
    assert (measure.value, measure.value_2, measure.unit) == (128, 82, "mmHg")
    assert measure_text(measure) == "128/82 mmHg"
    assert "lower number" in missing["value_2"][0]
    assert "below the upper number" in upside_down["value_2"][0]
    assert "below the upper number" in equal["value_2"][0]
    assert set(low) == set(high) == {"value", "value_2"}
    assert "from 20 to 200" in low["value_2"][0]
    assert "one number" in extra["value_2"][0]


def test_viral_load_under_50_reads_as_undetectable(enrolment: Enrolment) -> None:
    low = _record(enrolment, kind="viral_load", value=40)
    detected = _record(enrolment, kind="viral_load", value=50)
    assert measure_text(low) == "Undetectable (under 50 copies/mL)"
    assert measure_text(detected) == "50 copies/mL"


def test_the_date_cannot_be_in_the_future_or_before_the_referral(
    enrolment: Enrolment, today: date
) -> None:
    received = timezone.localdate(enrolment.received_at)
    future = _errors(enrolment, kind="weight", value=80, measured_on=today + timedelta(1))
    early = _errors(enrolment, kind="weight", value=80, measured_on=received - timedelta(1))
    not_a_date = _errors(enrolment, kind="weight", value=80, measured_on="2026-06-01")
    kept = _record(enrolment, kind="weight", value=80, measured_on=received)
    assert "future" in future["measured_on"][0]
    assert "before the referral" in early["measured_on"][0]
    assert list(not_a_date) == ["measured_on"]
    assert kept.measured_on == received


def test_every_problem_is_reported_at_once(enrolment: Enrolment, today: date) -> None:
    errors = _errors(enrolment, kind="temperature", value=1, measured_on=None, source="rumour")
    second = _errors(enrolment, kind="cd4", value=-5, measured_on=today + timedelta(3), source="")
    assert set(errors) == {"kind", "measured_on", "source"}
    assert set(second) == {"value", "measured_on", "source"}


# --------------------------------------------------------------- who records, audit


def test_peer_records_for_their_participant_and_the_write_is_audited(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    measure = measure_record(
        enrolment=match.enrolment,
        actor=peer,
        kind="appointment_kept",
        value=1,
        measured_on=timezone.localdate(),
        source="peer_observed",
    )
    assert measure.recorded_by == peer
    assert AuditEvent.objects.filter(
        actor=peer, action="create", object_type="outcomes.measure", object_id=str(measure.pk)
    ).exists()


def test_participant_other_peer_and_supervisor_of_another_programme_cannot_record(
    world: World,
) -> None:
    match = active_match(world.programme_a)
    others = [participant_user_of(match.enrolment), user_of("peer_other")]
    for actor in others:
        with pytest.raises(PermissionDenied):
            measure_record(
                enrolment=match.enrolment,
                actor=actor,
                kind="weight",
                value=80,
                measured_on=timezone.localdate(),
                source="self_report",
            )
    assert not Measure.objects.filter(enrolment=match.enrolment).exists()


def test_removing_a_measure_is_audited_and_refused_to_the_participant(world: World) -> None:
    match = active_match(world.programme_a)
    measure = measure_record(
        enrolment=match.enrolment,
        actor=peer_user_of(match),
        kind="weight",
        value=80,
        measured_on=timezone.localdate(),
        source="self_report",
    )
    with pytest.raises(PermissionDenied):
        measure_delete(measure=measure, actor=participant_user_of(match.enrolment))
    pk = measure.pk
    measure_delete(measure=measure, actor=user_of("coordinator"))
    assert not Measure.objects.filter(pk=pk).exists()  # gone from every list
    kept = Measure.every.get(pk=pk)  # but withdrawn, not deleted
    assert kept.withdrawn_at is not None and kept.withdrawn_by == user_of("coordinator")
    assert AuditEvent.objects.filter(
        action="update", object_type="outcomes.measure", object_id=str(pk)
    ).exists()
