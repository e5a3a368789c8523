"""Loads instrument definitions from the TOML data files beside this module."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from peerbridge.instruments.model import (
    Band,
    DefinitionError,
    Instrument,
    Item,
    Option,
    Scale,
)

_PACKAGE = "peerbridge.instruments.definitions"


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
            )
        )
    scales = tuple(
        Scale(
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
        )
        for raw in data["scales"]
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
        scales=scales,
        loinc=dict(data.get("loinc", {})),
    )
    _check(instrument)
    return instrument


def _check(instrument: Instrument) -> None:
    ids = [item.id for item in instrument.items]
    if len(set(ids)) != len(ids):
        raise DefinitionError(f"{instrument.code}: item ids repeat")
    for scale in instrument.scales:
        unknown = (set(scale.items) | scale.reverse) - set(ids)
        if unknown:
            raise DefinitionError(f"{instrument.code}.{scale.code}: unknown items {unknown}")
        if scale.method not in ("sum", "mean"):
            raise DefinitionError(f"{instrument.code}.{scale.code}: method {scale.method}")
        if not 0 < scale.min_answered <= len(scale.items):
            raise DefinitionError(f"{instrument.code}.{scale.code}: min_answered out of range")
