"""Household evidence (issue 11): twins, a parent and child of the same name, siblings.

The household comparison's levels have fixed weights; each is a SQL condition for Splink
and a Python twin for the live matcher, and the two must agree."""

import json
from datetime import date
from typing import Any

import pandas as pd
import pytest

from openmash.linkage.comparisons import (
    COMPARISONS,
    comparison_record_for_person,
    match_model_from_splink,
    score_pair,
)
from openmash.linkage.training import DEFAULT_MODEL, linker_for

HOME = {"postcode": "LS6 2AB", "family_name": "Harper"}
BORN = date(2015, 3, 7)
AUTO_LINK = 0.999
SUGGEST = 0.5


def _person(n: int, **fields: Any) -> dict[str, Any]:
    record = comparison_record_for_person(unique_id=n, **{**HOME, **fields})
    for column in ("given_forms", "family_parts", "aliases"):
        record[column] = list(record[column]) if record[column] is not None else None
    return record


# (left, right, expected household level, lowest probability, below this probability)
CASES: list[tuple[dict[str, Any], dict[str, Any], str, float, float]] = [
    # A first name mistyped (not a recognised name) at the same home and birthday, or
    # twins a typing error apart: kept below automatic linking, for a person to decide.
    (
        {"given_names": "Oliver", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Olivr", "date_of_birth": BORN, "sex": "M"},
        "Twin look, first names alike",
        SUGGEST,
        AUTO_LINK,
    ),
    # Twins a short edit apart whose names are two different recognised names, neither a
    # form of the other: two people, not even suggested.
    (
        {"given_names": "Jake", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Jack", "date_of_birth": BORN, "sex": "M"},
        "Twin look, two different recognised first names",
        0.0,
        SUGGEST,
    ),
    (
        {"given_names": "Anne", "date_of_birth": BORN, "sex": "F"},
        {"given_names": "Joanne", "date_of_birth": BORN, "sex": "F"},
        "Twin look, two different recognised first names",
        0.0,
        SUGGEST,
    ),
    (
        {"given_names": "Jake", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "James", "date_of_birth": BORN, "sex": "M", "postcode": "LS6 4QT"},
        "Twin look, two different recognised first names",
        0.0,
        SUGGEST,
    ),
    # One name spelt two ways (sounding alike, one edit or two letters swapped apart) is
    # not two names: still suggested.
    (
        {"given_names": "Jacob", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Jakob", "date_of_birth": BORN, "sex": "M"},
        "Twin look, first names alike",
        SUGGEST,
        AUTO_LINK,
    ),
    (
        {"given_names": "Michael", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Micheal", "date_of_birth": BORN, "sex": "M"},
        "Twin look, first names alike",
        SUGGEST,
        AUTO_LINK,
    ),
    # Spelt with another first letter but spoken the same: one name, still suggested.
    (
        {"given_names": "Katherine", "date_of_birth": BORN, "sex": "F"},
        {"given_names": "Catherine", "date_of_birth": BORN, "sex": "F"},
        "Twin look, first names alike",
        SUGGEST,
        AUTO_LINK,
    ),
    (
        {"given_names": "Philip", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Filip", "date_of_birth": BORN, "sex": "M"},
        "Twin look, first names alike",
        SUGGEST,
        AUTO_LINK,
    ),
    # The same with a shared valid NHS number: the identifier lifts it.
    (
        {"given_names": "Jake", "date_of_birth": BORN, "sex": "M", "nhs_number": "9434765919"},
        {"given_names": "Jack", "date_of_birth": BORN, "sex": "M", "nhs_number": "9434765919"},
        "An identifier agrees",
        AUTO_LINK,
        1.01,
    ),
    # Twins with unrelated first names: not even suggested.
    (
        {"given_names": "Amira", "date_of_birth": BORN, "sex": "F"},
        {"given_names": "Jayden", "date_of_birth": BORN, "sex": "F"},
        "Twin look, first names differ",
        0.0,
        SUGGEST,
    ),
    # A first-name typo with a day mistyped too: still suggested.
    (
        {"given_names": "Isabella", "date_of_birth": BORN, "sex": "F"},
        {"given_names": "Isabela", "date_of_birth": date(2015, 3, 8), "sex": "F"},
        "Twin look, first names alike, date nearly the same",
        SUGGEST,
        AUTO_LINK,
    ),
    # A parent and the child named after them, one date of birth missing.
    (
        {"given_names": "Sebastian", "date_of_birth": date(1990, 5, 2), "sex": "M"},
        {"given_names": "Sebastian", "sex": "M"},
        "Same names at one address, a date of birth missing",
        SUGGEST,
        AUTO_LINK,
    ),
    # The same with a valid NHS number on each that agrees: the identifier lifts it.
    (
        {
            "given_names": "Sebastian",
            "date_of_birth": date(1990, 5, 2),
            "sex": "M",
            "nhs_number": "9434765919",
        },
        {"given_names": "Sebastian", "sex": "M", "nhs_number": "9434765919"},
        "An identifier agrees",
        AUTO_LINK,
        1.01,
    ),
    # Twins recorded one of them surname first.
    (
        {"given_names": "Harper", "family_name": "Liam", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Leah", "date_of_birth": BORN, "sex": "M"},
        "Twin look, written surname first, first names alike",
        0.0,
        AUTO_LINK,
    ),
    # Siblings whose names share a form, born apart (not twelve years).
    (
        {"given_names": "Emily", "date_of_birth": BORN, "sex": "F"},
        {"given_names": "Amelia", "date_of_birth": date(2019, 3, 7), "sex": "F"},
        "Sibling look, first names alike",
        0.0,
        AUTO_LINK,
    ),
    # A mistyped first name, one record at a nearby postcode.
    (
        {"given_names": "Oliver", "date_of_birth": BORN, "sex": "M"},
        {"given_names": "Olivr", "date_of_birth": BORN, "sex": "M", "postcode": "LS6 4QT"},
        "Twin look, first names alike, postcode nearby or unknown",
        SUGGEST,
        AUTO_LINK,
    ),
    # Nothing of a household: no household evidence.
    (
        {"given_names": "Maya", "family_name": "Okafor", "date_of_birth": BORN, "sex": "F"},
        {"given_names": "Maya", "family_name": "Okafor", "date_of_birth": BORN, "sex": "F"},
        "All other comparisons",
        AUTO_LINK,
        1.01,
    ),
]


@pytest.fixture(scope="module")
def model() -> Any:
    return match_model_from_splink(json.loads(DEFAULT_MODEL.read_text()), version="default")


@pytest.mark.parametrize(("left", "right", "level", "lowest", "below"), CASES)
def test_household_evidence_puts_each_case_in_its_band(
    model: Any, left: dict[str, Any], right: dict[str, Any], level: str, lowest: float, below: float
) -> None:
    _, probability, parts = score_pair(model, _person(1, **left), _person(2, **right))
    household = parts[-1]
    assert household.comparison.name == "household"
    assert household.comparison.levels[household.level_index].label == level
    assert lowest <= probability < below


def test_a_parent_and_child_of_the_same_name_twelve_years_apart_is_no_match(model: Any) -> None:
    parent = _person(1, given_names="Sebastian", date_of_birth=date(1990, 5, 2), sex="M")
    child = _person(2, given_names="Sebastian", date_of_birth=date(2016, 1, 20), sex="M")
    _, probability, parts = score_pair(model, parent, child)
    assert parts[2].comparison.levels[parts[2].level_index].label == "12 or more years apart"
    assert probability < SUGGEST


def test_the_household_levels_agree_with_splink(model: Any) -> None:
    left = [_person(n, **case[0]) for n, case in enumerate(CASES)]
    right = [_person(n, **case[1]) for n, case in enumerate(CASES)]
    linker = linker_for(pd.DataFrame(left), DEFAULT_MODEL)
    scored = linker.inference.score_pairs(left, right).as_pandas_dataframe()
    scored = scored[scored["unique_id_l"] == scored["unique_id_r"]].set_index("unique_id_l")
    for n in range(len(CASES)):
        weight, _, _ = score_pair(model, left[n], right[n])
        assert abs(weight - float(scored.loc[n, "match_weight"])) < 1e-6, CASES[n]


def test_the_household_weights_are_fixed_not_trained() -> None:
    settings = json.loads(DEFAULT_MODEL.read_text())
    spec = next(c for c in settings["comparisons"] if c["output_column_name"] == "household")
    for level in spec["comparison_levels"]:
        if not level.get("is_null_level"):
            assert level["fix_m_probability"] and level["fix_u_probability"]
    household = next(c for c in COMPARISONS if c.name == "household")
    assert household.levels[0].is_null  # an agreeing identifier: no household evidence


def test_the_household_shortcut_gives_the_levels_own_answer() -> None:
    from dataclasses import replace

    from openmash.linkage.comparisons import HOUSEHOLD_LEVELS
    from openmash.linkage.synthetic import synthetic_records
    from openmash.linkage.training import comparison_frame

    household = next(c for c in COMPARISONS if c.name == "household")
    assert len(household.levels) == HOUSEHOLD_LEVELS
    plain = replace(household, shortcut=None)
    frame = comparison_frame(synthetic_records(3000, seed=13))
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    by_household: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_household.setdefault(str(row["postcode_outward"]), []).append(row)
    pairs = [(rows[n], rows[(n * 7919) % len(rows)]) for n in range(len(rows))]
    pairs += [
        (group[i], group[j])
        for group in by_household.values()
        for i in range(len(group))
        for j in range(i + 1, len(group))
    ][:20000]
    levels = [household.level_of(a, b) for a, b in pairs]
    assert levels == [plain.level_of(a, b) for a, b in pairs]
    assert len(set(levels)) > 5  # the pairs reach many levels


def test_a_recognised_given_name_is_told_from_a_mistyped_one() -> None:
    from openmash.people.standardise import given_name_known

    assert given_name_known("joanne") and given_name_known("jake")
    assert given_name_known("bill")  # a nickname from the dataset is a name too
    assert not given_name_known("olivr")
    assert not given_name_known("")
    assert _person(1, given_names="Anne")["given_known"] is True
    assert _person(1, given_names="Annne")["given_known"] is False
    assert _person(1, given_names="")["given_known"] is None
