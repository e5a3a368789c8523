"""Physiological and behavioural measures of a participant: the table of kinds (units,
plausible ranges, physiological or behavioural), recording and removing a measure, and
the reads that list them.

Each kind stores one unit. A kind measured in more than one unit (HbA1c in mmol/mol or
in %) converts what was entered into the stored unit, after checking it against the
plausible range of the unit it was entered in. Values outside a plausible range are
refused: they are typing errors far more often than real results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.organisations.selectors import AnyUser
from peerbridge.outcomes import policies
from peerbridge.outcomes.models import Measure, MeasureKind, MeasureSource
from peerbridge.outcomes.selectors import outcome_enrolments
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.selectors import as_pk

K = MeasureKind
CENT = Decimal("0.01")
# Below this a viral load is reported as "undetectable" (the usual assay limit).
UNDETECTABLE_BELOW = Decimal(50)
# HbA1c: IFCC (mmol/mol) = (DCCT/NGSP % - 2.15) * 10.929 (the IFCC-NGSP master equation).
HBA1C_SLOPE, HBA1C_OFFSET = Decimal("10.929"), Decimal("2.15")


class Category(StrEnum):
    PHYSIOLOGICAL = "physiological"
    BEHAVIOURAL = "behavioural"


CATEGORY_LABELS: dict[Category, StrOrPromise] = {
    Category.PHYSIOLOGICAL: gettext_lazy("Health measures"),
    Category.BEHAVIOURAL: gettext_lazy("Care and treatment"),
}


def _same(value: Decimal) -> Decimal:
    return value


def _percent_to_mmol(value: Decimal) -> Decimal:
    return (value - HBA1C_OFFSET) * HBA1C_SLOPE


def _mmol_to_percent(value: Decimal) -> Decimal:
    return value / HBA1C_SLOPE + HBA1C_OFFSET


@dataclass(frozen=True)
class Unit:
    """A unit a kind may be entered in, its plausible range, and how a value in it
    becomes the kind's stored unit (and back, for showing it)."""

    code: str
    low: Decimal
    high: Decimal
    to_stored: Callable[[Decimal], Decimal] = _same
    from_stored: Callable[[Decimal], Decimal] = _same


@dataclass(frozen=True)
class Bounds:
    label: StrOrPromise
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class KindSpec:
    kind: MeasureKind
    category: Category
    units: tuple[Unit, ...]  # the first is the stored unit
    whole: bool = False  # counts and days: whole numbers only
    second: Bounds | None = None  # the second number of a pair (diastolic pressure)
    usual: Decimal | None = None  # the value most entries have (a count of 1)
    # Which way is better, for words on the progress page (None: neither).
    higher_is_better: bool | None = None

    @property
    def stored_unit(self) -> Unit:
        return self.units[0]

    @property
    def label(self) -> str:
        return str(self.kind.label)

    def unit(self, code: str | None) -> Unit | None:
        if not code:
            return self.stored_unit
        return next((unit for unit in self.units if unit.code == code), None)


def _d(value: int | str) -> Decimal:
    return Decimal(value)


def _one(code: str, low: int | str, high: int | str) -> tuple[Unit, ...]:
    return (Unit(code, _d(low), _d(high)),)


PH, BE = Category.PHYSIOLOGICAL, Category.BEHAVIOURAL
COUNT = "count"
KINDS: dict[str, KindSpec] = {
    spec.kind.value: spec
    for spec in (
        KindSpec(K.VIRAL_LOAD, PH, _one("copies/mL", 0, 10_000_000), whole=True),
        KindSpec(K.CD4, PH, _one("cells/mm3", 0, 3000), whole=True, higher_is_better=True),
        KindSpec(
            K.HBA1C,
            PH,
            (
                Unit("mmol/mol", _d(20), _d(200)),
                Unit("%", _d(3), _d(20), _percent_to_mmol, _mmol_to_percent),
            ),
            higher_is_better=False,
        ),
        KindSpec(K.WEIGHT, PH, _one("kg", 2, 400)),
        KindSpec(
            K.BLOOD_PRESSURE,
            PH,
            _one("mmHg", 50, 300),
            whole=True,
            second=Bounds(gettext_lazy("Diastolic (lower number)"), _d(20), _d(200)),
        ),
        KindSpec(K.APPOINTMENT_KEPT, BE, _one(COUNT, 1, 100), whole=True, usual=_d(1)),
        KindSpec(K.APPOINTMENT_MISSED, BE, _one(COUNT, 1, 100), whole=True, usual=_d(1)),
        KindSpec(K.ADHERENCE, BE, _one("%", 0, 100), higher_is_better=True),
        KindSpec(K.PRESCRIPTION_COLLECTED, BE, _one(COUNT, 1, 100), whole=True, usual=_d(1)),
        KindSpec(K.ADMISSION, BE, _one(COUNT, 1, 100), whole=True, usual=_d(1)),
        KindSpec(K.BED_DAYS, BE, _one("days", 0, 365), whole=True),
    )
}
if set(KINDS) != set(K.values):
    raise RuntimeError("every kind of measure needs a row in KINDS")

UNIT_CODES: tuple[str, ...] = tuple(
    dict.fromkeys(unit.code for spec in KINDS.values() for unit in spec.units)
)


def spec_of(kind: str) -> KindSpec:
    return KINDS[kind]


# --- Validation -------------------------------------------------------------------


def _number(value: object) -> Decimal | None:
    """A finite decimal from a Decimal, int, float or text; None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def _in_bounds(
    value: object, low: Decimal, high: Decimal, *, whole: bool, unit: str
) -> tuple[Decimal | None, str | None]:
    """The checked number, or an error message in plain words."""
    number = _number(value)
    if number is None:
        return None, _("Give a number.")
    if whole and number != number.to_integral_value():
        return None, _("Give a whole number.")
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        return None, _("Give at most two decimal places.")
    if not low <= number <= high:
        message = _("Give a value from %(low)s to %(high)s %(unit)s.") % {
            "low": _plain(low),
            "high": _plain(high),
            "unit": unit,
        }
        return None, message
    return number, None


def _clean_kind(kind: object, errors: dict[str, list[str]]) -> KindSpec | None:
    kind = getattr(kind, "value", kind)
    if not isinstance(kind, str) or kind not in KINDS:
        errors.setdefault("kind", []).append(_("Choose what was measured."))
        return None
    return KINDS[kind]


def _clean_values(
    spec: KindSpec, value: object, value_2: object, unit_code: object, errors: dict[str, list[str]]
) -> tuple[Decimal | None, Decimal | None]:
    unit = spec.unit(unit_code) if unit_code is None or isinstance(unit_code, str) else None
    if unit is None:
        choices = ", ".join(u.code for u in spec.units)
        errors.setdefault("unit", []).append(
            _("%(kind)s is measured in %(units)s.") % {"kind": spec.label, "units": choices}
        )
        return None, None
    number, problem = _in_bounds(value, unit.low, unit.high, whole=spec.whole, unit=unit.code)
    if problem:
        errors.setdefault("value", []).append(problem)
    second: Decimal | None = None
    if spec.second is None:
        if value_2 not in (None, ""):
            errors.setdefault("value_2", []).append(_("This measure has one number only."))
    elif value_2 in (None, ""):
        errors.setdefault("value_2", []).append(_("Give the lower number too."))
    else:
        bounds = spec.second
        second, problem = _in_bounds(
            value_2, bounds.low, bounds.high, whole=spec.whole, unit=unit.code
        )
        if problem:
            errors.setdefault("value_2", []).append(problem)
        elif number is not None and second is not None and number <= second:
            errors.setdefault("value_2", []).append(
                _("The lower number (diastolic) must be below the upper number (systolic).")
            )
    stored = None if number is None else unit.to_stored(number).quantize(CENT, ROUND_HALF_UP)
    return stored, second


def _clean_day(enrolment: Enrolment, measured_on: object, errors: dict[str, list[str]]) -> None:
    if isinstance(measured_on, datetime) or not isinstance(measured_on, date):
        errors.setdefault("measured_on", []).append(_("Give the date it was measured."))
    elif measured_on > timezone.localdate():
        errors.setdefault("measured_on", []).append(_("The date cannot be in the future."))
    elif measured_on < timezone.localdate(enrolment.received_at):
        errors.setdefault("measured_on", []).append(
            _("The date cannot be before the referral was received (%(day)s).")
            % {"day": timezone.localdate(enrolment.received_at).isoformat()}
        )


def _clean_source(source: object, errors: dict[str, list[str]]) -> str:
    source = getattr(source, "value", source)
    if not isinstance(source, str) or source not in MeasureSource.values:
        errors.setdefault("source", []).append(_("Say where the measure came from."))
        return ""
    return source


# --- Services ---------------------------------------------------------------------


def may_record_measures(user: AnyUser, enrolment: Enrolment) -> bool:
    return outcome_enrolments(user, policies.MEASURE_RECORD).filter(pk=enrolment.pk).exists()


@transaction.atomic
def measure_record(
    *,
    enrolment: Enrolment,
    actor: User,
    kind: Any,
    value: Any,
    measured_on: Any,
    source: Any,
    value_2: Any = None,
    unit: Any = None,
) -> Measure:
    """Record one measure of the participant, in the kind's stored unit (`unit` is the
    unit it was given in; empty: the stored unit). Every field is checked and all the
    problems are raised together."""
    if not may_record_measures(actor, enrolment):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    spec = _clean_kind(kind, errors)
    number, second = (None, None)
    if spec is not None:
        number, second = _clean_values(spec, value, value_2, unit, errors)
    _clean_day(enrolment, measured_on, errors)
    source = _clean_source(source, errors)
    if errors or spec is None or number is None:
        raise ValidationError(errors)
    measure = Measure.objects.create(
        programme_id=enrolment.programme_id,
        enrolment=enrolment,
        kind=spec.kind.value,
        value=number,
        value_2=second,
        unit=spec.stored_unit.code,
        measured_on=measured_on,
        source=source,
        recorded_by=actor,
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=measure)
    return measure


@transaction.atomic
def measure_delete(*, measure: Measure, actor: User) -> None:
    """Withdraw a measure entered in error: it leaves every list, report and export;
    the row and the audit log keep that it existed and who withdrew it."""
    if not may_record_measures(actor, measure.enrolment):
        raise PermissionDenied
    measure.withdrawn_at = timezone.now()
    measure.withdrawn_by = actor
    measure.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=measure)


# --- Selectors --------------------------------------------------------------------


def access_measure(user: AnyUser, measure_id: Any, policy: Policy) -> Measure:
    """A measure of an enrolment the user reaches under `policy`: 404 outside their
    reach, 403 when they see it but may not do this. The read is audited."""
    pk = as_pk(measure_id)
    rows = Measure.objects.select_related("enrolment", "enrolment__person")
    measure = rows.filter(
        pk=pk, enrolment__in=outcome_enrolments(user, policy).values("pk")
    ).first()
    if measure is None:
        viewers = outcome_enrolments(user, policies.MEASURE_VIEW).values("pk")
        if (
            policy is not policies.MEASURE_VIEW
            and rows.filter(pk=pk, enrolment__in=viewers).exists()
        ):
            raise PermissionDenied
        raise Http404
    audit_instance(actor=user, action=Action.READ, instance=measure.enrolment.person)
    audit_instance(actor=user, action=Action.READ, instance=measure)
    return measure


def enrolment_measures(enrolment: Enrolment) -> QuerySet[Measure]:
    """The enrolment's measures, newest first (one query whatever their number)."""
    return Measure.objects.filter(enrolment=enrolment).order_by("-measured_on", "-pk")


def audit_measures(user: AnyUser, measures: list[Measure]) -> None:
    audit_many(
        actor=user,
        action=Action.READ,
        object_type=Measure._meta.label_lower,
        object_ids=[measure.pk for measure in measures],
    )


# --- Showing a measure --------------------------------------------------------------


def _shown(number: Decimal) -> str:
    return _plain(number.quantize(CENT, ROUND_HALF_UP))


def measure_text(measure: Measure) -> str:
    """The measure in words and its unit: "120/80 mmHg", "Undetectable (under 50
    copies/mL)", "53 mmol/mol (7%)"."""
    spec = KINDS.get(measure.kind)
    value = Decimal(measure.value)
    if spec is None:
        return f"{_shown(value)} {measure.unit}"
    if spec.kind == K.VIRAL_LOAD and value < UNDETECTABLE_BELOW:
        return _("Undetectable (under %(limit)s copies/mL)") % {"limit": UNDETECTABLE_BELOW}
    if spec.second is not None and measure.value_2 is not None:
        return f"{_shown(value)}/{_shown(Decimal(measure.value_2))} {measure.unit}"
    if spec.kind == K.HBA1C:
        percent = spec.units[1].from_stored(value).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return f"{_shown(value)} {measure.unit} ({_plain(percent)}%)"
    if measure.unit == COUNT:
        return _shown(value)
    return f"{_shown(value)} {measure.unit}"
