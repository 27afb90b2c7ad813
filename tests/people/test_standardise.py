from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.people.standardise import (
    day_month_swapped,
    fold,
    given_name_forms,
    name_standard,
    person_standard,
    postcode_parts,
    surname_parts,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Zoë", "zoe"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("SMITH-JONES", "smith jones"),
        ("  de  la Cruz ", "de la cruz"),
        ("Łukasz", "lukasz"),
        ("Anne-Marie.", "anne marie"),
        ("", ""),
    ],
)
def test_it_folds_case_accents_and_punctuation(given: str, expected: str) -> None:
    assert fold(given) == expected


def test_it_compares_double_barrelled_surnames_whole_and_by_part() -> None:
    assert name_standard("Smith-Jones") == name_standard("smith jones") == "smithjones"
    assert surname_parts("Smith-Jones") == ("smith", "jones")
    assert surname_parts("van der Berg") == ("vanderberg",)
    assert surname_parts("St John") == ("stjohn",)


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [("Bill", "william"), ("Peggy", "margaret"), ("Alex", "alexandra"), ("Ted", "edward")],
)
def test_it_knows_common_nicknames(nickname: str, formal: str) -> None:
    assert formal in given_name_forms(nickname)
    assert given_name_forms(nickname)[0] == nickname.lower()


def test_a_name_that_is_not_a_nickname_stands_for_itself() -> None:
    assert given_name_forms("Olivia Louise") == ("olivia",)
    assert given_name_forms("") == ()


def test_it_sees_a_day_month_swap_without_fixing_it() -> None:
    assert day_month_swapped(date(2018, 3, 7), date(2018, 7, 3))
    assert not day_month_swapped(date(2018, 3, 7), date(2018, 3, 7))
    assert not day_month_swapped(date(2018, 3, 7), date(2019, 7, 3))
    assert not day_month_swapped(date(2018, 3, 7), None)
    person = person_standard(given_names="Amy", family_name="Smith", date_of_birth=date(2018, 7, 3))
    assert person.date_of_birth == date(2018, 7, 3)


def test_it_splits_postcodes_and_ignores_invalid_ones() -> None:
    assert postcode_parts("sw1a1aa") == ("SW1A 1AA", "SW1A", "SW1A 1")
    assert postcode_parts("not a postcode") == ("", "", "")


def test_it_matches_only_on_valid_identifiers_but_keeps_what_was_given() -> None:
    person = person_standard(
        given_names="Amy", family_name="Smith", nhs_number="943 476 5919", upn="A123"
    )
    assert person.nhs_number == "9434765919"
    assert person.upn == ""
    assert person.upn_as_given == "A123"
    wrong = person_standard(given_names="Amy", family_name="Smith", nhs_number="943 476 5918")
    assert wrong.nhs_number == "" and wrong.nhs_number_as_given == "943 476 5918"


@given(st.text(max_size=60))
def test_folding_is_idempotent_and_ascii(value: str) -> None:
    folded = fold(value)
    assert fold(folded) == folded
    assert folded.isascii()
    assert folded == folded.strip()


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [("Lizzy", "elizabeth"), ("Bella", "isabella"), ("Josh", "joshua"), ("Jake", "jacob")],
)
def test_name_variants_come_from_the_nicknames_dataset(nickname, formal):
    # Lizzy/Elizabeth took the full 'different first name' penalty with the hand table.
    assert formal in given_name_forms(nickname)


def test_the_areas_own_additions_are_kept_and_come_first():
    assert given_name_forms("Alfie")[:2] == ("alfie", "alfred")
    assert given_name_forms("Zac")[1] == "zachary"
