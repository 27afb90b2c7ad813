"""Small numbers withheld from exports."""

import pytest

from openmash.metrics.suppression import (
    SUPPRESSED,
    suppress_count,
    suppress_counts,
    suppress_rate,
)


@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (1, SUPPRESSED), (4, SUPPRESSED), (5, 5), (1234, 1234)]
)
def test_it_withholds_counts_from_1_to_4(count: int, shown: object) -> None:
    assert suppress_count(count) == shown


def test_it_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress_count(-1)


def test_it_withholds_a_second_count_when_only_one_is_small() -> None:
    shown, total = suppress_counts({"2A": 40, "6": 3, "3A": 12, "1A": 0, "8": 25})
    # 3 alone would be the total (80) less the rest; 12, the next smallest, goes too.
    assert shown == {"2A": 40, "6": SUPPRESSED, "3A": SUPPRESSED, "1A": 0, "8": 25}
    assert total == 80


def test_it_needs_no_second_count_when_two_are_small() -> None:
    shown, total = suppress_counts({"red": 2, "amber": 4, "green": 30})
    assert shown == {"red": SUPPRESSED, "amber": SUPPRESSED, "green": 30}
    assert total == 36


def test_it_withholds_a_small_total() -> None:
    shown, total = suppress_counts({"red": 3, "amber": 0})
    assert (shown, total) == ({"red": SUPPRESSED, "amber": 0}, SUPPRESSED)


def test_it_shows_a_group_with_no_small_counts_as_it_is() -> None:
    assert suppress_counts({"a": 5, "b": 0, "c": 9}) == ({"a": 5, "b": 0, "c": 9}, 14)


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [
        (10, 40, 0.25),
        (0, 40, 0.0),
        (40, 40, 1.0),
        (3, 40, SUPPRESSED),  # three children
        (37, 40, SUPPRESSED),  # three children, by subtraction
        (0, 3, SUPPRESSED),
        (0, 0, None),
    ],
)
def test_it_withholds_rates_that_say_how_many_children(
    numerator: int, denominator: int, shown: object
) -> None:
    assert suppress_rate(numerator, denominator) == shown
