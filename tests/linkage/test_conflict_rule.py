"""The rule of identifier conflicts: when two records sharing an NHS number or UPN
disagree beyond what a typo explains (openmash.linkage.conflict_rule)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.linkage.conflict_rule import (
    Identity,
    dates_disagree,
    details_disagree,
    first_names_disagree,
    names_close,
)

BORN = date(2015, 3, 12)


@pytest.mark.parametrize(
    ("first", "second", "disagree"),
    [
        (BORN, BORN, False),
        (BORN, date(2015, 12, 3), False),  # day and month swapped
        (BORN, date(2015, 3, 13), False),  # one digit of the day
        (BORN, date(2015, 8, 12), False),  # one digit of the month
        (BORN, date(2016, 3, 12), False),  # year one out (and one digit)
        (date(2009, 3, 12), date(2010, 3, 12), False),  # year one out, two digits
        (BORN, date(2005, 3, 12), False),  # one digit of the year
        (BORN, date(2015, 3, 21), False),  # neighbouring digits transposed
        (BORN, date(2015, 3, 14), False),  # one digit
        (BORN, date(2015, 4, 13), True),  # two digits, not neighbours swapped
        (BORN, date(2017, 3, 12), False),  # one digit of the year (2015 -> 2017)
        (BORN, date(2013, 11, 30), True),
        (date(2014, 3, 9), date(2016, 11, 21), True),  # Maya and Ellie
        (BORN, None, False),  # unknown never disagrees
        (None, None, False),
    ],
)
def test_dates_of_birth_disagree_only_beyond_a_typo(
    first: date | None, second: date | None, disagree: bool
) -> None:
    assert dates_disagree(first, second) is disagree
    assert dates_disagree(second, first) is disagree


@pytest.mark.parametrize(
    ("first", "second", "close"),
    [
        ("amy", "amy", True),
        ("jon", "john", True),  # one edit
        ("catherine", "katherine", True),
        ("mohammed", "muhammad", True),  # two edits in a long name
        ("sam", "samantha", True),  # shortened
        ("s", "sam", True),  # initial
        ("bill", "william", True),  # nickname
        ("bill", "will", True),  # both forms of William
        ("amy", "amelia", True),  # the nicknames dataset
        ("lizzy", "elizabeth", True),
        ("ellie", "maya", False),
        ("jake", "james", False),  # twins' names: two edits in a short name
        ("joe", "josh", False),
        ("ella", "ellie", False),
        ("anne", "joanne", False),
        ("oliver", "olivia", False),
        ("katherine", "olivia", False),
        ("", "amy", False),
    ],
)
def test_names_are_close_for_typos_nicknames_and_short_forms_only(
    first: str, second: str, close: bool
) -> None:
    assert names_close(first, second) is close
    assert names_close(second, first) is close


def _person(given: str, family: str = "Harper", born: date | None = BORN) -> Identity:
    return Identity(given_names=given, family_name=family, date_of_birth=born)


def test_ellie_and_maya_disagree_on_both_names_and_date_of_birth() -> None:
    ellie = _person("Ellie", "Harper", date(2016, 11, 21))
    maya = _person("Maya", "Okafor", date(2014, 3, 9))

    disagreement = details_disagree(ellie, maya)

    assert disagreement
    assert disagreement.reasons == ["date_of_birth", "first_name"]


@pytest.mark.parametrize(
    ("first", "second", "conflict"),
    [
        # A surname change alone, with the same first name and date of birth: same child.
        (_person("Ellie", "Harper"), _person("Ellie", "Okafor"), False),
        # The same first name, family name changed and a typo in the date of birth.
        (_person("Ellie", "Harper"), _person("Elie", "Okafor", date(2015, 3, 13)), False),
        # A middle name used as the first name.
        (_person("Mary Ellen"), _person("Ellen"), False),
        # Names written the wrong way round.
        (_person("Harper", "Ellie"), _person("Ellie", "Harper"), False),
        # A child not yet named when first recorded.
        (_person("Baby"), _person("Ellie"), False),
        (_person("Unborn"), _person("Maya", "Okafor"), False),
        # Missing details never disagree.
        (_person(""), _person("Maya", "Okafor", None), False),
        (_person("Ellie", "Harper", None), _person("Ellie", "Okafor", None), False),
        # Twins, or a sibling's number: the same surname and date of birth, another child.
        (_person("Jake"), _person("James"), True),
        # Another child altogether.
        (_person("Ellie", "Harper"), _person("Maya", "Okafor"), True),
        # The same name, born years apart: a namesake holding the number in error.
        (_person("Ellie"), _person("Ellie", "Harper", date(2011, 7, 30)), True),
    ],
)
def test_records_conflict_only_when_names_or_dates_disagree_beyond_a_typo(
    first: Identity, second: Identity, conflict: bool
) -> None:
    assert bool(details_disagree(first, second)) is conflict
    assert bool(details_disagree(second, first)) is conflict


def test_a_known_as_name_agrees_with_the_given_name() -> None:
    known_as = Identity(given_names="Wei", family_name="Chen", other_names="William")
    assert not first_names_disagree(known_as, _person("William", "Chen"))


NAMES = st.sampled_from(["Ellie", "Maya", "Jake", "Olivia", "Amy", "Sam", "Katherine", ""])
FAMILIES = st.sampled_from(["Harper", "Okafor", "Smith", "Smith-Jones", ""])
DATES = st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 1, 1)))


@given(NAMES, FAMILIES, DATES, NAMES, FAMILIES, DATES)
def test_the_rule_is_symmetric_and_a_record_never_conflicts_with_itself(
    g1: str, f1: str, d1: date | None, g2: str, f2: str, d2: date | None
) -> None:
    first, second = _person(g1, f1, d1), _person(g2, f2, d2)
    assert details_disagree(first, second) == details_disagree(second, first)
    assert not details_disagree(first, first)


@given(NAMES, FAMILIES, DATES, FAMILIES)
def test_a_surname_change_alone_is_never_a_conflict(
    given_name: str, family: str, born: date | None, new_family: str
) -> None:
    assert not details_disagree(
        _person(given_name, family, born), _person(given_name, new_family, born)
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 1, 1)), st.integers(1, 9))
def test_one_mistyped_digit_of_the_day_is_a_typo(born: date, step: int) -> None:
    # Change the last digit of the day, if the result is a real date.
    day = born.day - born.day % 10 + (born.day % 10 + step) % 10
    try:
        typo = born.replace(day=day)
    except ValueError:
        return
    assert not dates_disagree(born, typo)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 1, 1)),
    st.integers(min_value=800, max_value=3000),
)
def test_dates_more_than_two_years_apart_with_several_digits_changed_disagree(
    born: date, days: int
) -> None:
    other = born + timedelta(days=days)
    digits = f"{born:%d%m%Y}", f"{other:%d%m%Y}"
    changed = sum(a != b for a, b in zip(*digits, strict=True))
    if changed >= 3:
        assert dates_disagree(born, other)
