"""When a risk flag must be acknowledged: pure functions over plain values, no Django.

A high flag is due a fixed number of minutes after it was raised, at any hour of any
day. A medium or low flag is due after N working days of working time: a working day
is the span between the programme's start and end of the working day on one of its
working weekdays, and the flag is due at the moment when N times that span of working
time has passed since it was raised. A flag raised outside working hours starts
counting at the next working day's start.

When that moment falls exactly at the end of a working day, the deadline is given as
the start of the next working day: the same moment in working time, and "the same
time of day N working days later" as people count. So with working days Monday to
Friday, 09:00 to 17:00 and one working day:
- raised Wednesday 11:30 -> due Thursday 11:30;
- raised Friday 16:00 -> due Monday 16:00 (one hour on Friday, seven on Monday);
- raised Saturday, or Friday 18:00 -> due Tuesday 09:00;
- raised Wednesday 07:00 -> due Thursday 09:00.

Times are compared in the programme's local time zone (wall-clock hours), so a change
to or from summer time does not move the working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
SEVERITIES = (HIGH, MEDIUM, LOW)
ISO_WEEKDAYS = frozenset(range(1, 8))


@dataclass(frozen=True)
class DeadlineRules:
    """A programme's acknowledgement rules as plain values."""

    high_within_minutes: int
    medium_within_working_days: int
    low_within_working_days: int
    working_day_starts: time
    working_day_ends: time
    working_weekdays: frozenset[int]
    zone: tzinfo

    def __post_init__(self) -> None:
        if self.working_day_ends <= self.working_day_starts:
            raise ValueError("The working day must end after it starts.")
        if not self.working_weekdays or not self.working_weekdays <= ISO_WEEKDAYS:
            raise ValueError("Working weekdays are ISO weekdays 1 (Monday) to 7 (Sunday).")
        if self.high_within_minutes < 1:
            raise ValueError("A high flag needs at least a minute.")
        if self.medium_within_working_days < 1 or self.low_within_working_days < 1:
            raise ValueError("Medium and low flags need at least one working day.")

    @property
    def working_day(self) -> timedelta:
        return _on(date(2000, 1, 1), self.working_day_ends) - _on(
            date(2000, 1, 1), self.working_day_starts
        )

    def working_days_for(self, severity: str) -> int:
        if severity == MEDIUM:
            return self.medium_within_working_days
        if severity == LOW:
            return self.low_within_working_days
        raise ValueError(f"No working-day deadline for severity {severity!r}.")


def _on(day: date, at: time) -> datetime:
    """A naive local wall-clock moment."""
    return datetime.combine(day, at)


def _is_working_day(day: date, rules: DeadlineRules) -> bool:
    return day.isoweekday() in rules.working_weekdays


def _next_working_day(day: date, rules: DeadlineRules) -> date:
    """The first working day strictly after `day` (at most a week away)."""
    for step in range(1, 8):
        candidate = day + timedelta(days=step)
        if _is_working_day(candidate, rules):
            return candidate
    raise ValueError("No working day in a week.")  # unreachable: rules have a weekday


def counting_from(local: datetime, rules: DeadlineRules) -> datetime:
    """Where working time starts counting for a moment (naive local time): the moment
    itself inside working hours, else the start of the next working period."""
    day = local.date()
    if _is_working_day(day, rules):
        starts, ends = _on(day, rules.working_day_starts), _on(day, rules.working_day_ends)
        if local < starts:
            return starts
        if local < ends:
            return local
    return _on(_next_working_day(day, rules), rules.working_day_starts)


def add_working_time(local: datetime, amount: timedelta, rules: DeadlineRules) -> datetime:
    """The naive local moment when `amount` of working time has passed after `local`.
    A moment landing exactly at a day's end is given as the next working day's start."""
    cursor = counting_from(local, rules)
    remaining = amount
    while True:
        day_end = _on(cursor.date(), rules.working_day_ends)
        available = day_end - cursor
        if remaining < available:
            return cursor + remaining
        remaining -= available
        cursor = _on(_next_working_day(cursor.date(), rules), rules.working_day_starts)
        if remaining == timedelta(0):
            return cursor


def _local(moment: datetime, zone: tzinfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Give an aware datetime.")
    return moment.astimezone(zone).replace(tzinfo=None)


def _aware(local: datetime, zone: tzinfo) -> datetime:
    return local.replace(tzinfo=zone)


def acknowledge_by(raised_at: datetime, severity: str, rules: DeadlineRules) -> datetime:
    """The moment a flag of `severity` raised at `raised_at` (aware) must be
    acknowledged by: clock time for high, working time for medium and low."""
    if severity == HIGH:
        return raised_at + timedelta(minutes=rules.high_within_minutes)
    days = rules.working_days_for(severity)
    local = add_working_time(_local(raised_at, rules.zone), rules.working_day * days, rules)
    return _aware(local, rules.zone)


def working_time_between(start: datetime, end: datetime, rules: DeadlineRules) -> timedelta:
    """Working time between two aware moments (zero when `end` is not after `start`);
    the inverse of `acknowledge_by` for medium and low flags, used to check it."""
    cursor = counting_from(_local(start, rules.zone), rules)
    stop = _local(end, rules.zone)
    total = timedelta(0)
    while cursor < stop:
        day_end = _on(cursor.date(), rules.working_day_ends)
        total += min(day_end, stop) - cursor
        cursor = _on(_next_working_day(cursor.date(), rules), rules.working_day_starts)
    return total
