"""Small numbers withheld from exports."""

import random

import pytest

from openmash.metrics.suppression import (
    SUPPRESSED,
    Sum,
    suppress_count,
    suppress_counts,
    suppress_linked,
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


# --- Counts tied by more than one sum ---------------------------------------------------


def test_it_withholds_a_total_split_two_ways_as_a_group_would() -> None:
    counts = {"open": 20, "taken": 18, "not_taken": 2}

    shown = suppress_linked(counts, [Sum("open", ("taken", "not_taken"))])

    assert shown == {"open": 20, "taken": SUPPRESSED, "not_taken": SUPPRESSED}


def test_it_follows_one_sum_into_another() -> None:
    # 15 = 12 + 3, and 12 = 7 + 5: with 3 withheld, 12 goes; 7 and 5 would give 12
    # back, so the smaller goes too.
    counts = {"all": 15, "early_help": 12, "social_care": 3, "north": 7, "south": 5}

    shown = suppress_linked(
        counts,
        [
            Sum("all", ("early_help", "social_care")),
            Sum("early_help", ("north", "south")),
        ],
    )

    assert shown == {
        "all": 15,
        "early_help": SUPPRESSED,
        "social_care": SUPPRESSED,
        "north": 7,
        "south": SUPPRESSED,
    }


def test_it_protects_a_small_count_no_table_shows() -> None:
    # 10 of 12 decided had no further action: the 2 that did not are a count too.
    shown = suppress_linked(
        {"decided": 12, "nfa": 10, "rest": 2}, [Sum("decided", ("nfa", "rest"))], hidden={"rest"}
    )

    assert shown == {"decided": 12, "nfa": SUPPRESSED}


def test_it_takes_a_hidden_zero_as_known() -> None:
    # Finished = in time + late + finished without a deadline (none): in time goes.
    shown = suppress_linked(
        {"finished": 12, "within": 10, "late": 2, "undated": 0},
        [Sum("finished", ("within", "late", "undated"))],
        hidden={"undated"},
    )

    assert shown == {"finished": 12, "within": SUPPRESSED, "late": SUPPRESSED}


def test_it_does_not_withhold_a_count_published_elsewhere() -> None:
    # The days add up to the contacts received, which another table shows.
    counts = {"received": 19, "monday": 3, "tuesday": 7, "wednesday": 9}

    shown = suppress_linked(
        counts, [Sum("received", ("monday", "tuesday", "wednesday"))], known={"received"}
    )

    assert shown == {"received": 19, "monday": SUPPRESSED, "tuesday": SUPPRESSED, "wednesday": 9}


def test_it_leaves_a_count_that_only_other_tables_could_hide() -> None:
    # Received and decided are both published elsewhere: the 3 open are public anyway.
    shown = suppress_linked(
        {"received": 8, "decided": 5, "open": 3},
        [Sum("received", ("decided", "open"))],
        known={"received", "decided"},
    )

    assert shown == {"received": 8, "decided": 5, "open": SUPPRESSED}


def test_it_shows_a_second_count_that_can_be_worked_out_all_the_same() -> None:
    # Open = overdue + not yet overdue (hidden), a row and a column each. Police's 2 not
    # yet overdue withhold its 8 overdue; the overdue total goes with it. Health's 9 of 9
    # can be worked out whatever is withheld, so it shows.
    counts = {
        "police open": 10,
        "health open": 9,
        "open": 19,
        "police overdue": 8,
        "health overdue": 9,
        "overdue": 17,
        "police not due": 2,
        "health not due": 0,
        "not due": 2,
    }

    shown = suppress_linked(
        counts,
        [
            Sum("open", ("police open", "health open")),
            Sum("overdue", ("police overdue", "health overdue")),
            Sum("not due", ("police not due", "health not due")),
            Sum("police open", ("police overdue", "police not due")),
            Sum("health open", ("health overdue", "health not due")),
            Sum("open", ("overdue", "not due")),
        ],
        hidden={"police not due", "health not due", "not due"},
    )

    assert shown == {
        "police open": 10,
        "health open": 9,
        "open": 19,
        "police overdue": SUPPRESSED,
        "health overdue": 9,
        "overdue": SUPPRESSED,
    }


def test_it_refuses_counts_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        suppress_linked({"total": 5, "a": 3, "b": 3}, [Sum("total", ("a", "b"))])


def _worked_out_by_a_reader(
    counts: dict[str, int], sums: list[Sum[str]], shown: dict[str, int | str]
) -> set[str]:
    """What a reader of `shown` can work out, subtracting one sum at a time (a hidden
    zero guessed right)."""
    known = {key for key, value in shown.items() if value != SUPPRESSED}
    known |= {key for key, count in counts.items() if key not in shown and count == 0}
    while True:
        found = set()
        for each in sums:
            unknown = [key for key in (each.total, *each.parts) if key not in known]
            if len(unknown) == 1:
                found.add(unknown[0])
        if not found:
            return known
        known |= found


@pytest.mark.parametrize("seed", range(40))
def test_no_small_count_of_a_two_way_table_can_be_worked_out(seed: int) -> None:
    # Rows by columns, with row, column and grand totals, and each row's count of
    # something else hidden (what is left of a rate's denominator).
    chooser = random.Random(seed)
    rows, columns = chooser.randint(1, 5), chooser.randint(1, 4)
    counts: dict[str, int] = {}
    for row in range(rows):
        for column in range(columns):
            counts[f"{row},{column}"] = chooser.choice([0, 1, 2, 3, 4, 5, 7, 9, 12, 20])
    sums = []
    for row in range(rows):
        parts = tuple(f"{row},{column}" for column in range(columns))
        counts[f"row {row}"] = sum(counts[part] for part in parts)
        counts[f"rest {row}"] = chooser.choice([0, 2, 6])
        counts[f"out of {row}"] = counts[f"row {row}"] + counts[f"rest {row}"]
        sums.append(Sum(f"row {row}", parts))
        sums.append(Sum(f"out of {row}", (f"row {row}", f"rest {row}")))
    for column in range(columns):
        parts = tuple(f"{row},{column}" for row in range(rows))
        counts[f"column {column}"] = sum(counts[part] for part in parts)
        sums.append(Sum(f"column {column}", parts))
    counts["all"] = sum(counts[f"row {row}"] for row in range(rows))
    sums.append(Sum("all", tuple(f"row {row}" for row in range(rows))))
    sums.append(Sum("all", tuple(f"column {column}" for column in range(columns))))
    hidden = {f"rest {row}" for row in range(rows)}

    shown = suppress_linked(counts, sums, hidden=hidden)

    assert set(shown) == set(counts) - hidden
    assert all(
        value in (count, SUPPRESSED)
        for value, count in zip(shown.values(), (counts[key] for key in shown), strict=True)
    )
    known = _worked_out_by_a_reader(counts, sums, shown)
    assert not [key for key in known if 0 < counts[key] < 5], (counts, shown)
    # Nothing withheld that a reader can work out anyway.
    assert not [key for key in known if shown.get(key) == SUPPRESSED]
