from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.people.identifiers import (
    gp_practice_is_valid,
    nhs_number_check_digit,
    nhs_number_is_valid,
    postcode_is_valid,
    postcode_normal,
    school_urn_is_valid,
    upn_check_letter,
    upn_is_valid,
)


def test_it_accepts_a_valid_nhs_number_with_spaces() -> None:
    assert nhs_number_is_valid("943 476 5919")


def test_it_rejects_a_wrong_nhs_check_digit() -> None:
    assert not nhs_number_is_valid("9434765918")


def test_it_rejects_nhs_numbers_whose_check_would_be_ten() -> None:
    # 100000005: weighted sum 10 -> check 11-10 = 1... find one whose check is 10.
    first_nine = next(
        f"{n:09d}" for n in range(10**8, 10**9) if nhs_number_check_digit(f"{n:09d}") is None
    )
    assert not any(nhs_number_is_valid(first_nine + str(d)) for d in range(10))


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_every_generated_nhs_number_is_valid(number: int) -> None:
    first_nine = f"{number:09d}"
    check = nhs_number_check_digit(first_nine)
    if check is not None:
        assert nhs_number_is_valid(first_nine + str(check))
        assert not nhs_number_is_valid(first_nine + str((check + 1) % 10))


def test_it_accepts_a_valid_upn_and_rejects_a_wrong_check_letter() -> None:
    assert upn_is_valid("H801200001001")
    assert not upn_is_valid("A801200001001")


def test_it_accepts_a_temporary_upn_ending_in_a_letter() -> None:
    body = "80120000100A"
    assert upn_is_valid(upn_check_letter(body) + body)


def test_it_rejects_upns_of_the_wrong_shape() -> None:
    assert not upn_is_valid("H80120000100")
    assert not upn_is_valid("I801200001001")


def test_it_normalises_and_validates_postcodes() -> None:
    assert postcode_normal(" sw1a1aa ") == "SW1A 1AA"
    for good in ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB"]:
        assert postcode_is_valid(good), good
    for bad in ["", "12345", "SW1A", "QX1 1AA", "SW1A 1AAA", "S 1AA"]:
        assert not postcode_is_valid(bad), bad


ARABIC_INDIC_ZERO, FULL_WIDTH_ZERO = 0x0660, 0xFF10


def other_script(text: str, zero: int) -> str:
    """The text with its digits written in another script's digits, from its zero."""
    return text.translate({ord("0") + n: zero + n for n in range(10)})


@pytest.mark.parametrize("zero", [ARABIC_INDIC_ZERO, FULL_WIDTH_ZERO])
@pytest.mark.parametrize(
    ("check", "valid"),
    [
        (nhs_number_is_valid, "9434765919"),
        (school_urn_is_valid, "100000"),
        (gp_practice_is_valid, "A12345"),
    ],
)
def test_it_refuses_digits_of_other_scripts(
    check: Callable[[str], bool], valid: str, zero: int
) -> None:
    assert check(valid)
    assert not check(other_script(valid, zero))


def test_it_refuses_a_upn_with_digits_of_other_scripts() -> None:
    body = "123456789012"
    upn = upn_check_letter(body) + body
    arabic_indic = upn[0] + other_script(body, ARABIC_INDIC_ZERO)
    assert upn_is_valid(upn)
    assert not upn_is_valid(arabic_indic)
