"""Small numbers withheld from anything that leaves the hub (exports, published tables),
so that no child can be picked out of a count.

Inside the hub the dashboard shows exact figures to managers and analysts. Whatever
leaves it withholds small numbers by these rules: the dashboard's downloads
(openmash/metrics/exports.py, written by openmash/extracts/tables.py), its charts and the
board report. As the Government Statistical Service recommends, a withheld figure is
shown as "[c]" (confidential); as in the Department for Education's statistics, counts
from 1 to 4 are withheld (0 is shown: it says nobody, which picks out no one). Where
published counts add up to another published count (a column and its total, open
contacts taken and not taken), a withheld count could be worked out by taking the others
away from the total, so a second count is withheld too (secondary suppression):
`suppress_counts` for one group and its total, `suppress_linked` for counts tied by more
than one sum (openmash/metrics/disclosure.py lists each figure's sums).
"""

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

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


@dataclass(frozen=True)
class Sum(Generic[K]):
    """Counts a reader can add up: `total` is the sum of `parts` (each a count's key)."""

    total: K
    parts: tuple[K, ...]

    @property
    def counts(self) -> tuple[K, ...]:
        return (*self.parts, self.total)


def suppress_linked(
    counts: Mapping[K, int],
    sums: Iterable[Sum[K]],
    *,
    hidden: Collection[K] = (),
    known: Collection[K] = (),
    smallest: int = SMALLEST_SHOWN,
) -> dict[K, int | str]:
    """Counts tied together by `sums`, as they may be published: every key of `counts`
    but the hidden ones, each the count or SUPPRESSED.

    `hidden` counts are published nowhere, but a reader could work them out from those
    that are (what is left of a rate's denominator, open items not yet overdue): they
    are protected like the rest. `known` counts are published elsewhere (the contacts
    received, beside a table of them by day): a reader has them unless they are small,
    and withholding them here would hide nothing.

    Small counts are withheld. Then, for as long as some small count (withheld or hidden)
    can be worked out by taking known counts from a sum, one sum after another, the
    smallest non-zero count shown in the sums that give it away is withheld too. A zero
    hidden count is taken as known: a reader who guesses nobody is right. If only known
    counts could be withheld, the small count is public already and is left (zeros are
    shown, and the totals elsewhere are). Last, a second count that can be worked out
    all the same is shown, since withholding it hides nothing.

    So no withheld count can be worked out by subtraction from what is published here
    and in `known`. The sums are not solved as simultaneous equations, and a reader can
    still bound a withheld count (at least 1, at most its total)."""
    sums = list(sums)
    hidden_keys = set(hidden)
    known_keys = set(known)
    if any(count < 0 for count in counts.values()):
        raise ValueError("A count cannot be negative.")
    order = {key: index for index, key in enumerate(counts)}
    for each in sums:
        missing = [key for key in each.counts if key not in order]
        if missing:
            raise KeyError(f"No count for {missing} in {each}.")
        if counts[each.total] != sum(counts[key] for key in each.parts):
            raise ValueError(f"The counts of {each} do not add up.")
    small = {
        key
        for key, count in counts.items()
        if key not in hidden_keys and is_small(count, smallest=smallest)
    }
    withheld = set(small)
    # Small counts that other publications give away whatever this one withholds.
    public: set[K] = set()
    while True:
        worked_out, given_away = _worked_out(counts, sums, hidden_keys, withheld, public, smallest)
        if given_away is None:
            break
        second = _second(counts, order, hidden_keys, known_keys, withheld, given_away, worked_out)
        if second is None:
            public.add(given_away)
        else:
            withheld.add(second)
    # A second count that can be worked out all the same hides nothing: show it.
    withheld -= {key for key in worked_out if key in withheld and key not in small}
    return {
        key: SUPPRESSED if key in withheld else count
        for key, count in counts.items()
        if key not in hidden_keys
    }


def _worked_out(
    counts: Mapping[K, int],
    sums: list[Sum[K]],
    hidden: set[K],
    withheld: set[K],
    public: set[K],
    smallest: int,
) -> tuple[dict[K, Sum[K]], K | None]:
    """Every withheld or hidden count a reader can work out, taking what they know from
    one sum after another, with the sum it came from; and the first small one, if any
    (the search stops there). `public` counts are taken as known."""
    known = {
        key
        for key, count in counts.items()
        if (key not in hidden and key not in withheld)
        or (key in hidden and count == 0)
        or key in public
    }
    worked_out: dict[K, Sum[K]] = {}
    progress = True
    while progress:
        progress = False
        for each in sums:
            unknown = [key for key in each.counts if key not in known]
            if len(unknown) != 1:
                continue
            [key] = unknown
            worked_out[key] = each
            if is_small(counts[key], smallest=smallest):
                return worked_out, key
            known.add(key)
            progress = True
    return worked_out, None


def _second(
    counts: Mapping[K, int],
    order: Mapping[K, int],
    hidden: set[K],
    known: set[K],
    withheld: set[K],
    given_away: K,
    worked_out: Mapping[K, Sum[K]],
) -> K | None:
    """The count to withhold so that `given_away` can no longer be worked out: the
    smallest non-zero count shown in the sum it came from, or in the sums that the
    counts worked out there came from (and theirs, back to published counts). None if
    every such count is published elsewhere."""
    chain = [worked_out[given_away]]
    for each in chain:
        for key in each.counts:
            if key in worked_out and worked_out[key] not in chain:
                chain.append(worked_out[key])
    keys = {key for each in chain for key in each.counts}
    shown = [
        key
        for key in keys
        if key not in hidden and key not in withheld and key not in known and counts[key] > 0
    ]
    if not shown:
        return None
    return min(shown, key=lambda key: (counts[key], order[key]))


def suppress_counts(
    counts: Mapping[K, int], *, smallest: int = SMALLEST_SHOWN
) -> tuple[dict[K, int | str], int | str]:
    """The counts of one group, and its total, as they may be published.

    Small counts are withheld; if exactly one is, the next smallest non-zero count is
    withheld too (secondary suppression), so that no withheld count equals the total
    less the others. A small total is withheld as well."""
    cells: dict[tuple[bool, K | None], int] = {(False, key): count for key, count in counts.items()}
    total_key: tuple[bool, K | None] = (True, None)
    cells[total_key] = sum(counts.values())
    shown = suppress_linked(
        cells, [Sum(total_key, tuple(key for key in cells if key != total_key))], smallest=smallest
    )
    return {key: shown[(False, key)] for key in counts}, shown[total_key]


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
