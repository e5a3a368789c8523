"""Loads instrument definitions from the TOML data files beside this module."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from peerbridge.instruments.model import (
    LICENCE_STATUSES,
    Band,
    ChangeCriteria,
    DefinitionError,
    Instrument,
    Item,
    LicenceStatus,
    Option,
    Scale,
)

_PACKAGE = "peerbridge.instruments.definitions"
_LOINC_CODE = re.compile(r"^(\d{1,7})-(\d)$")
_LOINC_ANSWER_LIST = re.compile(r"^LL\d{1,7}-\d$")
_INSTRUMENT_LOINC_KEYS = frozenset({"panel", "answer_list"})


def instrument_codes() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(_PACKAGE).iterdir()
        if entry.name.endswith(".toml")
    )


@cache
def get_instrument(code: str) -> Instrument:
    if code not in instrument_codes():
        raise KeyError(code)
    text = resources.files(_PACKAGE).joinpath(f"{code}.toml").read_text(encoding="utf-8")
    return parse(tomllib.loads(text))


def _options(raw: list[dict[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option(value=int(o["value"]), label=str(o["label"])) for o in raw)


def _optional_float(raw: dict[str, Any], key: str) -> float | None:
    return None if key not in raw else float(raw[key])


def _change(raw: dict[str, Any]) -> ChangeCriteria:
    unknown = set(raw) - {"reliable_change", "reliability", "sd", "clinical_cutoff"}
    if unknown:
        raise DefinitionError(f"unknown change constants {sorted(unknown)}")
    return ChangeCriteria(
        reliable_change=_optional_float(raw, "reliable_change"),
        reliability=_optional_float(raw, "reliability"),
        sd=_optional_float(raw, "sd"),
        clinical_cutoff=_optional_float(raw, "clinical_cutoff"),
    )


def _scale(raw: dict[str, Any]) -> Scale:
    return Scale(
        code=raw["code"],
        label=raw["label"],
        items=tuple(raw["items"]),
        method=raw["method"],
        reverse=frozenset(raw.get("reverse", ())),
        min_answered=int(raw.get("min_answered", len(raw["items"]))),
        higher_is_worse=bool(raw.get("higher_is_worse", True)),
        bands=tuple(
            Band(code=b["code"], label=b["label"], low=b["low"], high=b.get("high"))
            for b in raw.get("bands", ())
        ),
        change=_change(raw.get("change", {})),
        loinc=str(raw.get("loinc", "")),
    )


def _licence_status(data: dict[str, Any]) -> LicenceStatus:
    # Required, with no default: a file that forgot it must not be enabled as free.
    status = data.get("licence_status")
    for known in LICENCE_STATUSES:
        if status == known:
            return known
    raise DefinitionError(
        f"{data.get('code')}: licence_status {status!r} is not one of {LICENCE_STATUSES}"
    )


def parse(data: dict[str, Any]) -> Instrument:
    """Build and check an instrument from a parsed data file."""
    option_sets = {name: _options(raw) for name, raw in data.get("option_sets", {}).items()}
    items = []
    for raw in data["items"]:
        options = option_sets[raw["options"]] if "options" in raw else ()
        if not options:
            raise DefinitionError(f"item {raw['id']} has no response options")
        items.append(
            Item(
                id=raw["id"],
                text=raw["text"],
                options=options,
                safety_values=frozenset(raw.get("safety_values", ())),
                loinc=str(raw.get("loinc", "")),
            )
        )
    values = [option.value for item in items for option in item.options]
    instrument = Instrument(
        code=data["code"],
        version=str(data["version"]),
        title=data["title"],
        description=data.get("description", ""),
        licence=data["licence"],
        source=data["source"],
        min_value=min(values),
        max_value=max(values),
        items=tuple(items),
        scales=tuple(_scale(raw) for raw in data["scales"]),
        loinc=dict(data.get("loinc", {})),
        licence_status=_licence_status(data),
        wording_included=bool(data.get("wording_included", True)),
    )
    _check(instrument)
    return instrument


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit (the Luhn scheme) of a code's number part."""
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def _check_loinc(where: str, code: str) -> None:
    # A code copied with a typo fails its check digit; a wrong but well-formed code does
    # not, which is why each file says where its codes come from.
    match = _LOINC_CODE.match(code)
    if match is None or loinc_check_digit(match[1]) != int(match[2]):
        raise DefinitionError(f"{where}: {code!r} is not a valid LOINC code")


def _check(instrument: Instrument) -> None:
    ids = [item.id for item in instrument.items]
    if len(set(ids)) != len(ids):
        raise DefinitionError(f"{instrument.code}: item ids repeat")
    for item in instrument.items:
        _check_item(instrument.code, item)
    _check_instrument_loinc(instrument)
    for scale in instrument.scales:
        where = f"{instrument.code}.{scale.code}"
        unknown = (set(scale.items) | scale.reverse) - set(ids)
        if unknown:
            raise DefinitionError(f"{where}: unknown items {unknown}")
        if len(set(scale.items)) != len(scale.items):
            raise DefinitionError(f"{where}: items repeat")
        if scale.method not in ("sum", "mean"):
            raise DefinitionError(f"{where}: method {scale.method}")
        if not 0 < scale.min_answered <= len(scale.items):
            raise DefinitionError(f"{where}: min_answered out of range")
        if scale.loinc:
            _check_loinc(where, scale.loinc)
        low, high = instrument.score_range(scale)
        _check_bands(where, scale.bands, low, high)
        _check_change(where, scale.change, low, high)


def _check_item(code: str, item: Item) -> None:
    if len(item.values) != len(item.options):
        raise DefinitionError(f"{code}.{item.id}: option values repeat")
    if not item.safety_values <= item.values:
        raise DefinitionError(f"{code}.{item.id}: safety values are not answers")
    if item.loinc:
        _check_loinc(f"{code}.{item.id}", item.loinc)


def _check_instrument_loinc(instrument: Instrument) -> None:
    unknown = set(instrument.loinc) - _INSTRUMENT_LOINC_KEYS
    if unknown:
        raise DefinitionError(f"{instrument.code}: unknown LOINC keys {sorted(unknown)}")
    if "panel" in instrument.loinc:
        _check_loinc(instrument.code, instrument.loinc["panel"])
    answer_list = instrument.loinc.get("answer_list")
    if answer_list is not None and not _LOINC_ANSWER_LIST.match(answer_list):
        raise DefinitionError(f"{instrument.code}: {answer_list!r} is not a LOINC answer list")


def _check_bands(where: str, bands: tuple[Band, ...], low: float, high: float) -> None:
    """Bands, in order, cover every score the scale can take, without gaps or overlaps."""
    if not bands:
        return
    if bands[0].low > low:
        raise DefinitionError(f"{where}: no band holds the lowest score {low}")
    for band, following in zip(bands, bands[1:], strict=False):
        if band.high is None or band.high != following.low:
            raise DefinitionError(f"{where}: band {band.code} does not meet {following.code}")
    last = bands[-1].high
    if last is not None and last <= high:
        raise DefinitionError(f"{where}: no band holds the highest score {high}")
    if any(band.high is not None and band.high <= band.low for band in bands):
        raise DefinitionError(f"{where}: a band is empty")


def _check_change(where: str, change: ChangeCriteria, low: float, high: float) -> None:
    if change.reliable_change is not None and not 0 < change.reliable_change <= high - low:
        raise DefinitionError(f"{where}: reliable_change out of range")
    if change.reliability is not None and not 0 < change.reliability < 1:
        raise DefinitionError(f"{where}: reliability must lie between 0 and 1")
    if change.sd is not None and change.sd <= 0:
        raise DefinitionError(f"{where}: sd must be positive")
    if change.clinical_cutoff is not None and not low < change.clinical_cutoff <= high:
        raise DefinitionError(f"{where}: clinical_cutoff out of range")
