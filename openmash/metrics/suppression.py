"""Small numbers withheld from anything that leaves the hub (exports, published tables),
so that no child can be picked out of a count.

Inside the hub the dashboard shows exact figures to managers and analysts. Whatever
leaves it withholds small numbers by these rules: the dashboard's downloads
(openmash/metrics/exports.py, written by openmash/extracts/tables.py), its charts and the
board report. As the Government Statistical Service recommends, a withheld figure is
shown as "[c]" (confidential); as in the Department for Education's statistics, counts
from 1 to 4 are withheld (0 is shown: it says nobody, which picks out no one). When a
group's total is published and only one of its counts is withheld, the next smallest is
withheld too, or the first could be worked out from the total.
"""

from collections.abc import Hashable, Mapping
from typing import TypeVar

SUPPRESSED = "[c]"
SMALLEST_SHOWN = 5

K = TypeVar("K", bound=Hashable)


def is_small(count: int, *, smallest: int = SMALLEST_SHOWN) -> bool:
    return 0 < count < smallest


def suppress_count(count: int, *, smallest: int = SMALLEST_SHOWN) -> int | str:
    """The count, or SUPPRESSED if it is from 1 to smallest - 1."""
    if count < 0:
        raise ValueError("A count cannot be negative.")
    return SUPPRESSED if is_small(count, smallest=smallest) else count


def suppress_counts(
    counts: Mapping[K, int], *, smallest: int = SMALLEST_SHOWN
) -> tuple[dict[K, int | str], int | str]:
    """The counts of one group, and its total, as they may be published.

    Small counts are withheld; if exactly one is, the next smallest non-zero count is
    withheld too (secondary suppression), so that no withheld count equals the total
    less the others. A small total is withheld as well."""
    shown: dict[K, int | str] = {
        key: suppress_count(count, smallest=smallest) for key, count in counts.items()
    }
    withheld = [key for key, value in shown.items() if value == SUPPRESSED]
    if len(withheld) == 1:
        others = sorted(
            (count, index)
            for index, (key, count) in enumerate(counts.items())
            if shown[key] != SUPPRESSED and count > 0
        )
        if others:
            keys = list(counts)
            shown[keys[others[0][1]]] = SUPPRESSED
    total = sum(counts.values())
    return shown, suppress_count(total, smallest=smallest)


def suppress_rate(
    numerator: int, denominator: int, *, smallest: int = SMALLEST_SHOWN
) -> float | str | None:
    """numerator / denominator as may be published: None if there is nothing to divide
    by, SUPPRESSED if the numerator, the denominator or what is left of it (denominator
    less numerator) is a small count, since each would say how many children."""
    if denominator <= 0:
        return None
    if any(
        is_small(count, smallest=smallest)
        for count in (numerator, denominator, denominator - numerator)
    ):
        return SUPPRESSED
    return numerator / denominator
