"""Every definition file loads, says its licence, and is checked on load: a definition
with a gap between bands, a mistyped LOINC code or no licence status is refused."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import pytest

from peerbridge.instruments import get_instrument, instrument_codes
from peerbridge.instruments.model import DefinitionError
from peerbridge.instruments.registry import loinc_check_digit, parse

FREE = {
    "cbi",
    "phq9",
    "phq2",
    "gad7",
    "gad2",
    "qpr15",
    "barc10",
    "brs",
    "gbo",
    "mech_participant",
    "mech_peer",
}
LICENSED = {"wemwbs", "epds"}
# Free to use, but the item wording is a placeholder until taken from the published form.
PLACEHOLDER_WORDING = {"qpr15", "barc10", "wemwbs", "epds"}


def _raw(code: str) -> dict[str, Any]:
    path = resources.files("peerbridge.instruments.definitions").joinpath(f"{code}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_every_expected_definition_is_there() -> None:
    assert set(instrument_codes()) == FREE | LICENSED


@pytest.mark.parametrize("code", sorted(FREE | LICENSED))
def test_every_definition_loads_with_its_code_and_a_version(code: str) -> None:
    instrument = get_instrument(code)
    assert instrument.code == code
    assert instrument.version == "1.0"
    assert instrument.title and instrument.licence and instrument.source
    assert instrument.scales and instrument.items


@pytest.mark.parametrize("code", sorted(LICENSED))
def test_licensed_instruments_report_that_they_need_a_licence(code: str) -> None:
    instrument = get_instrument(code)
    assert instrument.licence_status == "licence_required"
    assert instrument.needs_licence
    assert not instrument.wording_included
    # No copyrighted wording is shipped: every item and answer is a placeholder.
    assert all("wording under licence" in item.text for item in instrument.items)
    assert all(
        "wording under licence" in option.label
        for item in instrument.items
        for option in item.options
    )


@pytest.mark.parametrize("code", sorted(FREE))
def test_free_instruments_need_no_licence(code: str) -> None:
    instrument = get_instrument(code)
    assert instrument.licence_status == "free"
    assert not instrument.needs_licence


@pytest.mark.parametrize("code", sorted(FREE | LICENSED))
def test_wording_is_flagged_where_it_is_a_placeholder(code: str) -> None:
    instrument = get_instrument(code)
    assert instrument.wording_included is (code not in PLACEHOLDER_WORDING)
    placeholders = ["(wording" in item.text for item in instrument.items]
    assert all(placeholders) if code in PLACEHOLDER_WORDING else not any(placeholders)


@pytest.mark.parametrize(
    ("code", "panel", "scores", "items"),
    [
        ("phq9", "44249-1", {"total": "44261-6"}, {"q1": "44250-9", "q9": "44260-8"}),
        ("phq2", "55757-9", {"total": "55758-7"}, {"q1": "44250-9"}),
        ("gad7", "69737-5", {"total": "70274-6"}, {}),
        ("epds", None, {"total": "99046-5"}, {}),
        ("gad2", None, {}, {}),
        ("brs", None, {}, {}),
    ],
)
def test_loinc_codes_are_the_confirmed_ones(
    code: str, panel: str | None, scores: dict[str, str], items: dict[str, str]
) -> None:
    instrument = get_instrument(code)
    assert instrument.loinc.get("panel") == panel
    assert {s.code: s.loinc for s in instrument.scales if s.loinc} == scores
    assert {i.id: i.loinc for i in instrument.items if i.loinc} == items


def test_the_phq_answer_list_is_loinc_ll358_3() -> None:
    assert get_instrument("phq9").loinc["answer_list"] == "LL358-3"
    assert get_instrument("phq2").loinc["answer_list"] == "LL358-3"


@pytest.mark.parametrize(
    ("number", "digit"),
    [("44261", 6), ("44260", 8), ("44249", 1), ("55757", 9), ("70274", 6), ("99046", 5)],
)
def test_loinc_check_digit(number: str, digit: int) -> None:
    assert loinc_check_digit(number) == digit


@pytest.mark.parametrize(
    ("code", "higher_is_worse"),
    [
        ("phq9", True),
        ("phq2", True),
        ("gad7", True),
        ("gad2", True),
        ("epds", True),
        ("qpr15", False),
        ("barc10", False),
        ("brs", False),
        ("gbo", False),
        ("wemwbs", False),
    ],
)
def test_direction_of_each_scale(code: str, higher_is_worse: bool) -> None:
    assert {s.higher_is_worse for s in get_instrument(code).scales} == {higher_is_worse}


def _mutated(code: str, change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw(code))
    change(data)
    return data


@pytest.mark.parametrize(
    ("code", "mutation", "message"),
    [
        ("cbi", lambda d: d.pop("licence_status"), "licence_status"),
        ("phq9", lambda d: d.update(licence_status="maybe"), "licence_status"),
        ("phq9", lambda d: d["scales"][0].update(loinc="44261-7"), "LOINC"),
        ("phq9", lambda d: d["items"][8].update(loinc="4426O-8"), "LOINC"),
        ("phq9", lambda d: d["loinc"].update(panel="44249-2"), "LOINC"),
        ("phq9", lambda d: d["loinc"].update(answer_list="358-3"), "answer list"),
        ("phq9", lambda d: d["loinc"].update(total="44261-6"), "LOINC keys"),
        ("phq9", lambda d: d["scales"][0]["bands"][1].update(low=6), "does not meet"),
        ("phq9", lambda d: d["scales"][0]["bands"][0].update(low=1), "lowest"),
        ("phq9", lambda d: d["scales"][0]["bands"][-1].update(high=27), "highest"),
        ("phq9", lambda d: d["items"][8].update(safety_values=[4]), "safety"),
        ("phq9", lambda d: d["scales"][0]["change"].update(clinical_cutoff=28), "cutoff"),
        ("phq9", lambda d: d["scales"][0]["change"].update(reliable_change=0), "reliable"),
        ("phq9", lambda d: d["scales"][0]["change"].update(rci=1.96), "unknown change"),
        ("qpr15", lambda d: d["scales"][0]["change"].update(reliability=1.0), "reliability"),
        ("qpr15", lambda d: d["scales"][0]["change"].update(sd=0), "sd"),
        ("gad7", lambda d: d["scales"][0].update(items=["q1", "q1"]), "repeat"),
    ],
)
def test_broken_definitions_are_refused(code: str, mutation: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse(_mutated(code, mutation))


@pytest.mark.parametrize("code", sorted(FREE | LICENSED))
def test_the_files_parse_again_unchanged(code: str) -> None:
    assert parse(_raw(code)) == get_instrument(code)
