"""Shares are shown with their count, an interval, and never from too few cases."""

from hypothesis import given
from hypothesis import strategies as st

from openmash.core.proportions import MIN_SAMPLE, Proportion


def test_a_share_is_shown_with_its_count_and_interval() -> None:
    assert Proportion(25, 30).text() == "83.3% (25 of 30; 95% interval 66.4% to 92.7%)"
    assert Proportion(1_200, 1_200).text(with_interval=False) == "100.0% (1,200 of 1,200)"


def test_too_few_cases_say_so_instead_of_0_or_100_percent() -> None:
    assert Proportion(1, 1).text() == f"not enough to say (1 of 1; at least {MIN_SAMPLE} needed)"
    assert Proportion(0, 3).text() == f"not enough to say (0 of 3; at least {MIN_SAMPLE} needed)"
    assert Proportion(0, 0).text(none="No decisions yet") == "No decisions yet"


def test_the_interval_at_the_ends_stays_inside_0_and_1() -> None:
    low, high = Proportion(10, 10).interval() or (0, 0)
    assert high == 1.0 and 0.69 < low < 0.73
    low, high = Proportion(0, 10).interval() or (0, 0)
    assert low == 0.0 and 0.27 < high < 0.31


@given(st.integers(0, 5_000), st.integers(1, 5_000))
def test_the_interval_holds_the_share(part: int, whole: int) -> None:
    part = min(part, whole)
    low, high = Proportion(part, whole).interval() or (0, 0)
    assert 0.0 <= low <= part / whole <= high <= 1.0
