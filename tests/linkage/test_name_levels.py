"""Levels added for issue 11's remaining gap: a record written surname first with a short
form or a nickname, and a pupil number as evidence of age. The SQL twins agree with
Splink in test_splink_agreement."""

from datetime import date
from typing import Any

from openmash.linkage.comparisons import (
    Record,
    comparison_record_for_person,
    score_pair,
)
from openmash.linkage.matcher import current_model
from openmash.people.identifiers import upn_check_letter

BORN = date(2015, 3, 7)
SUGGEST = 0.5


def _record(n: int, given: str, family: str, **fields: Any) -> Record:
    return comparison_record_for_person(
        unique_id=n,
        given_names=given,
        family_name=family,
        date_of_birth=fields.pop("date_of_birth", BORN),
        sex=fields.pop("sex", "F"),
        postcode=fields.pop("postcode", "LS6 2AB"),
        **fields,
    )


def _level(left: Record, right: Record, comparison: str = "given_name") -> str:
    _, _, parts = score_pair(current_model(), left, right)
    part = next(p for p in parts if p.comparison.name == comparison)
    return part.comparison.levels[part.level_index].label


def test_it_reads_a_nickname_written_surname_first_as_transposed() -> None:
    left = _record(1, "Samantha", "Ball")
    right = _record(2, "Ball", "Sam")
    assert _level(left, right) == "Names transposed"
    _, probability, _ = score_pair(current_model(), left, right)
    assert probability >= SUGGEST


def test_it_reads_a_formal_name_and_its_nickname_written_surname_first() -> None:
    # Bill is a form of William: the family name of one is the first name of the other.
    left = _record(1, "William", "Dawson", sex="M")
    right = _record(2, "Dawson", "Bill", sex="M")
    assert _level(left, right) == "Names transposed"


def test_it_keeps_twins_apart_when_one_is_written_surname_first() -> None:
    # Surname first, the other twin's first name: one half of a transposition only.
    left = _record(1, "Oliver", "Harper", sex="M")
    right = _record(2, "Harper", "Jack", sex="M")
    assert _level(left, right) == "All other comparisons"
    _, probability, _ = score_pair(current_model(), left, right)
    assert probability < SUGGEST


def test_it_holds_a_pupil_number_against_a_birth_before_pupil_numbers() -> None:
    # A parent and the child named after them at one address, the child's record with a
    # UPN and no date of birth: UPNs were first given in 1999, so the parent born in 1975
    # never had one.
    parent = _record(1, "Hannah", "Campbell", date_of_birth=date(1975, 5, 9))
    body = "123456789012"
    child = _record(
        2, "Hannah", "Campbell", date_of_birth=None, upn=f"{upn_check_letter(body)}{body}"
    )
    assert child["upn"] is not None
    assert _level(parent, child, "upn") == "Pupil number and born before 1982"
    _, probability, _ = score_pair(current_model(), parent, child)
    assert probability < SUGGEST
    # Born in 1982 or later: could have been a pupil; the UPN comparison is silent.
    younger = _record(3, "Hannah", "Campbell", date_of_birth=date(1990, 5, 9))
    assert _level(younger, child, "upn") == "Null"


def test_the_same_pupil_number_outweighs_a_birth_mistyped_a_century_early() -> None:
    # Both records carry the child's UPN; one date of birth was typed 1908 for 2008. The
    # pupil numbers are compared, not held against the mistyped birth.
    body = "123456789012"
    upn = f"{upn_check_letter(body)}{body}"
    right_year = _record(1, "Hannah", "Campbell", date_of_birth=date(2008, 5, 9), upn=upn)
    mistyped = _record(2, "Hannah", "Campbell", date_of_birth=date(1908, 5, 9), upn=upn)
    assert _level(right_year, mistyped, "upn") == "Exact"
    _, probability, _ = score_pair(current_model(), right_year, mistyped)
    assert probability >= SUGGEST
