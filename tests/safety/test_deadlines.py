"""Acknowledgement deadlines: clock time for high flags, working time for medium and low
(pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.safety.deadlines import (
    HIGH,
    LOW,
    MEDIUM,
    DeadlineRules,
    acknowledge_by,
    counting_from,
    working_time_between,
)

LONDON = ZoneInfo("Europe/London")


def rules(
    *,
    high: int = 60,
    medium: int = 1,
    low: int = 3,
    starts: time = time(9),
    ends: time = time(17),
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5}),
    zone: ZoneInfo | type[UTC] = UTC,
) -> DeadlineRules:
    return DeadlineRules(
        high_within_minutes=high,
        medium_within_working_days=medium,
        low_within_working_days=low,
        working_day_starts=starts,
        working_day_ends=ends,
        working_weekdays=weekdays,
        zone=zone,  # type: ignore[arg-type]
    )


def wall(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A naive local wall-clock moment, as the working-time arithmetic sees it."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


def at(day: int, hour: int, minute: int = 0, *, month: int = 3, zone: object = UTC) -> datetime:
    """A moment in March 2026 (Monday 2, Friday 6, Saturday 7, Sunday 8, Monday 9)."""
    return datetime(2026, month, day, hour, minute, tzinfo=zone)  # type: ignore[arg-type]


# (raised, severity, expected) with Monday-Friday 09:00-17:00, medium 1 day, low 3 days.
CASES = [
    # High: clock time, any hour of any day.
    (at(4, 11, 30), HIGH, at(4, 12, 30)),
    (at(7, 23, 30), HIGH, at(8, 0, 30)),  # Saturday night
    (at(6, 16, 45), HIGH, at(6, 17, 45)),  # past the end of the working day
    # Medium, inside working hours: the same time the next working day.
    (at(4, 11, 30), MEDIUM, at(5, 11, 30)),  # Wednesday -> Thursday
    (at(2, 9, 0), MEDIUM, at(3, 9, 0)),  # at the start of the day
    (at(2, 16, 59), MEDIUM, at(3, 16, 59)),
    # Friday afternoon carries over the weekend.
    (at(6, 16, 0), MEDIUM, at(9, 16, 0)),  # Friday 16:00 -> Monday 16:00
    (at(6, 9, 0), MEDIUM, at(9, 9, 0)),
    # Outside working hours: counting starts at the next working day's start.
    (at(7, 10, 0), MEDIUM, at(10, 9, 0)),  # Saturday -> Tuesday 09:00
    (at(8, 23, 0), MEDIUM, at(10, 9, 0)),  # Sunday night -> Tuesday 09:00
    (at(6, 18, 0), MEDIUM, at(10, 9, 0)),  # Friday evening -> Tuesday 09:00
    (at(6, 17, 0), MEDIUM, at(10, 9, 0)),  # exactly at the end of Friday
    (at(4, 7, 0), MEDIUM, at(5, 9, 0)),  # Wednesday early -> Thursday 09:00
    (at(4, 20, 0), MEDIUM, at(6, 9, 0)),  # Wednesday evening -> Friday 09:00
    # Low: three working days.
    (at(2, 10, 0), LOW, at(5, 10, 0)),  # Monday -> Thursday
    (at(4, 10, 0), LOW, at(9, 10, 0)),  # Wednesday -> Monday
    (at(7, 12, 0), LOW, at(12, 9, 0)),  # Saturday -> Thursday 09:00
]


@pytest.mark.parametrize(("raised", "severity", "expected"), CASES)
def test_deadline_by_severity_and_working_time(
    raised: datetime, severity: str, expected: datetime
) -> None:
    assert acknowledge_by(raised, severity, rules()) == expected


def test_a_custom_high_deadline_is_minutes_of_clock_time() -> None:
    assert acknowledge_by(at(7, 3, 0), HIGH, rules(high=15)) == at(7, 3, 15)


def test_working_days_include_the_weekend_when_the_programme_works_then() -> None:
    every_day = rules(weekdays=frozenset(range(1, 8)))
    assert acknowledge_by(at(7, 10, 0), MEDIUM, every_day) == at(8, 10, 0)


def test_a_programme_working_three_days_a_week() -> None:
    # Tuesday, Wednesday and Thursday only: Thursday 15:00 + 1 day -> Tuesday 15:00.
    three = rules(weekdays=frozenset({2, 3, 4}))
    assert acknowledge_by(at(5, 15, 0), MEDIUM, three) == at(10, 15, 0)
    assert acknowledge_by(at(2, 12, 0), MEDIUM, three) == at(4, 9, 0)  # Monday -> Wed 09:00


def test_a_short_working_day_counts_its_own_length() -> None:
    mornings = rules(starts=time(8, 30), ends=time(12, 30))
    assert acknowledge_by(at(6, 11, 30), MEDIUM, mornings) == at(9, 11, 30)
    assert acknowledge_by(at(6, 13, 0), MEDIUM, mornings) == at(10, 8, 30)


def test_several_working_days_cross_two_weekends() -> None:
    assert acknowledge_by(at(6, 12, 0), MEDIUM, rules(medium=6)) == at(16, 12, 0)


def test_local_hours_are_the_programmes_time_zone() -> None:
    # Friday 21:00 UTC is 16:00 in New York -> due Monday 16:00 New York time, which is
    # 20:00 UTC because summer time began on Sunday 8 March.
    new_york = ZoneInfo("America/New_York")
    local = rules(zone=new_york)  # type: ignore[arg-type]
    raised = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    due = acknowledge_by(raised, MEDIUM, local)
    assert due.astimezone(new_york).replace(tzinfo=None) == wall(2026, 3, 9, 16, 0)
    assert due == datetime(2026, 3, 9, 20, 0, tzinfo=UTC)


def test_a_summer_time_change_does_not_move_the_working_day() -> None:
    # The UK clocks go forward on Sunday 29 March 2026: Friday 16:00 GMT -> Monday 16:00 BST.
    london = rules(zone=LONDON)  # type: ignore[arg-type]
    raised = datetime(2026, 3, 27, 16, 0, tzinfo=LONDON)
    due = acknowledge_by(raised, MEDIUM, london)
    assert due == datetime(2026, 3, 30, 16, 0, tzinfo=LONDON)
    elapsed = due.astimezone(UTC) - raised.astimezone(UTC)
    assert elapsed == timedelta(days=3) - timedelta(hours=1)


def test_counting_starts_at_the_next_working_period() -> None:
    standard = rules()
    saturday = wall(2026, 3, 7, 12)
    assert counting_from(saturday, standard) == wall(2026, 3, 9, 9)
    assert counting_from(wall(2026, 3, 9, 10), standard) == wall(2026, 3, 9, 10)
    assert counting_from(wall(2026, 3, 9, 17), standard) == wall(2026, 3, 10, 9)


@pytest.mark.parametrize(
    "broken",
    [
        {"starts": time(17), "ends": time(9)},
        {"starts": time(9), "ends": time(9)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({0, 1})},
        {"weekdays": frozenset({8})},
        {"high": 0},
        {"medium": 0},
    ],
)
def test_rules_that_cannot_give_a_deadline_are_refused(broken: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        rules(**broken)  # type: ignore[arg-type]


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        acknowledge_by(datetime(2026, 3, 2, 10, 0), MEDIUM, rules())  # noqa: DTZ001


def test_an_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError):
        acknowledge_by(at(2, 10), "urgent", rules())


moments = st.datetimes(
    min_value=wall(2025, 1, 1, 0), max_value=wall(2028, 12, 31, 0), timezones=st.just(UTC)
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(
    raised=moments,
    days=st.integers(min_value=1, max_value=20),
    weekdays=st.frozensets(st.integers(min_value=1, max_value=7), min_size=1),
    start_hour=st.integers(min_value=0, max_value=12),
    length=st.integers(min_value=1, max_value=11),
)
def test_the_deadline_is_exactly_n_working_days_of_working_time(
    raised: datetime, days: int, weekdays: frozenset[int], start_hour: int, length: int
) -> None:
    some = rules(
        medium=days,
        starts=time(start_hour),
        ends=time(start_hour + length),
        weekdays=weekdays,
    )
    due = acknowledge_by(raised, MEDIUM, some)
    assert due > raised
    assert working_time_between(raised, due, some) == timedelta(hours=length) * days
    local = due.astimezone(UTC)
    assert local.isoweekday() in weekdays
    assert time(start_hour) <= local.time() < time(start_hour + length)
    # Nothing earlier would do: a minute before, less working time has passed (unless
    # the deadline is a day's start, the same moment in working time as the last end).
    if local.time() != time(start_hour):
        earlier = working_time_between(raised, due - timedelta(minutes=1), some)
        assert earlier < timedelta(hours=length) * days
