"""Before and after: one indicator in two periods (say, before and after a change to how
the hub works), the difference, its 95% confidence interval and a sentence saying what
it means; and the London evaluation's table, turnaround by the initial level of need.

How sure the difference is:
- a median or 90th percentile: a percentile bootstrap. Each period's per-contact times
  (hours, nothing else: one list per period) are resampled with replacement 2,000 times
  with a fixed seed, so the same figures always give the same interval;
- a share (decided in time, no further action...): Newcombe's hybrid score interval
  for a difference of two proportions, from each share's Wilson interval (Newcombe 1998,
  method 10), which behaves well for small counts and shares near 0 or 1;
- contacts a day: a bootstrap of the days (their mean), which allows for busy and quiet
  days rather than assuming contacts arrive evenly.

Everything returned is an aggregate: values, counts, differences and intervals.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from math import sqrt

import numpy as np

from openmash.area.models import LevelOfNeed
from openmash.core.proportions import MIN_SAMPLE, Proportion
from openmash.metrics.aggregates import HoursBetween
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.outcomes import conversion_to_social_care, step_down_to_early_help
from openmash.metrics.indicators.quality import decisions_amended, nfa_by_source, re_referrals
from openmash.metrics.indicators.timeliness import (
    Timing,
    check_timing,
    check_turnaround,
    decision_timing,
    decision_turnaround,
    hand_on_timing,
    rag_rating_timing,
    screening_timing,
)
from openmash.metrics.indicators.volume import contacts_per_day
from openmash.metrics.numbers import (
    half_up,
    hours,
    long_day,
    one_place,
    percent,
    rounded,
    share,
    signed,
    whole,
)
from openmash.metrics.reuse import reused

CONFIDENCE = 0.95
Z = 1.959963984540054  # the standard normal's 97.5th percentile
RESAMPLES = 2_000
SEED = 20_260_905  # any fixed number: the same figures always give the same interval
# Resampled values held in memory at once (resamples x values), to bound memory.
BOOTSTRAP_CHUNK = 2_000_000


class MeasureKind(StrEnum):
    MEDIAN = "median"
    P90 = "p90"
    SHARE = "share"
    PER_DAY = "per_day"


@dataclass(frozen=True)
class Measure:
    """One figure an indicator gives that can be compared between two periods.

    `subject` names it in a sentence, with {contacts} for "contacts" or "red contacts"."""

    key: str
    label: str
    indicator: str
    kind: MeasureKind
    subject: str
    timing: Callable[[MetricFilter], Timing] | None = None
    # (numerator, denominator) of a share.
    share: Callable[[MetricFilter], tuple[int, int]] | None = None


def _decided_in_time(f: MetricFilter) -> tuple[int, int]:
    overall = decision_turnaround(f).overall
    return overall.within or 0, overall.due


def _checks_in_time(f: MetricFilter) -> tuple[int, int]:
    overall = check_turnaround(f).overall
    return overall.within or 0, overall.due


def _no_further_action(f: MetricFilter) -> tuple[int, int]:
    overall = nfa_by_source(f).overall
    return overall.numerator, overall.denominator


def _conversion(f: MetricFilter) -> tuple[int, int]:
    overall = conversion_to_social_care(f).overall
    return overall.numerator, overall.denominator


def _step_down(f: MetricFilter) -> tuple[int, int]:
    figures = step_down_to_early_help(f)
    return figures.stepped_down, figures.decided


def _re_referrals(f: MetricFilter) -> tuple[int, int]:
    rate = re_referrals(f)
    return rate.numerator, rate.denominator


def _amended(f: MetricFilter) -> tuple[int, int]:
    figures = decisions_amended(f)
    return figures.amended, figures.decided


MEASURES: dict[str, Measure] = {
    measure.key: measure
    for measure in (
        Measure(
            "decision_median",
            "Turnaround: median time to the MASH decision",
            "decision_turnaround",
            MeasureKind.MEDIAN,
            "Median turnaround for {contacts}",
            timing=decision_timing,
        ),
        Measure(
            "decision_p90",
            "Turnaround: 90th percentile of the time to the MASH decision",
            "decision_turnaround",
            MeasureKind.P90,
            "The 90th percentile of turnaround for {contacts}",
            timing=decision_timing,
        ),
        Measure(
            "decision_in_time",
            "Turnaround: share decided within timescale",
            "decision_turnaround",
            MeasureKind.SHARE,
            "The share of {contacts} decided within timescale",
            share=_decided_in_time,
        ),
        Measure(
            "screening_median",
            "Time to screening: median",
            "time_to_screening",
            MeasureKind.MEDIAN,
            "Median time to screening for {contacts}",
            timing=screening_timing,
        ),
        Measure(
            "rag_rating_median",
            "Time to RAG rating: median",
            "time_to_rag_rating",
            MeasureKind.MEDIAN,
            "Median time to a RAG rating for {contacts}",
            timing=rag_rating_timing,
        ),
        Measure(
            "check_median",
            "Agency check turnaround: median",
            "check_turnaround",
            MeasureKind.MEDIAN,
            "Median agency check turnaround for {contacts}",
            timing=check_timing,
        ),
        Measure(
            "check_in_time",
            "Agency check turnaround: share answered within timescale",
            "check_turnaround",
            MeasureKind.SHARE,
            "The share of agency checks on {contacts} answered within timescale",
            share=_checks_in_time,
        ),
        Measure(
            "hand_on_median",
            "Hand-on: median time for the team to respond",
            "hand_on_response",
            MeasureKind.MEDIAN,
            "Median time for a team to respond to a hand-on for {contacts}",
            timing=hand_on_timing,
        ),
        Measure(
            "contacts_per_day",
            "Contacts received a day",
            "contacts_per_day",
            MeasureKind.PER_DAY,
            "The number of {contacts} received a day",
        ),
        Measure(
            "no_further_action",
            "No further action: share of decided children",
            "nfa_by_source",
            MeasureKind.SHARE,
            "The share of children decided in {contacts} with no further action",
            share=_no_further_action,
        ),
        Measure(
            "conversion",
            "Conversion to an assessment or strategy discussion",
            "conversion_to_social_care",
            MeasureKind.SHARE,
            "The share of children decided in {contacts} going to an assessment or strategy discussion",
            share=_conversion,
        ),
        Measure(
            "step_down",
            "Step-down to early help: share of decided children",
            "step_down_to_early_help",
            MeasureKind.SHARE,
            "The share of children decided in {contacts} stepped down to early help",
            share=_step_down,
        ),
        Measure(
            "re_referrals",
            "Re-referrals within 12 months",
            "re_referrals",
            MeasureKind.SHARE,
            "The share of {contacts} that were re-referrals",
            share=_re_referrals,
        ),
        Measure(
            "decisions_amended",
            "Decisions amended",
            "decisions_amended",
            MeasureKind.SHARE,
            "The share of decided {contacts} whose decision was amended",
            share=_amended,
        ),
    )
}


# --- Statistics (plain numbers in, plain numbers out) ----------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """As the database's percentile_cont: linear interpolation between the nearest ranks."""
    return float(np.quantile(np.asarray(values, dtype=float), fraction))


def _order_statistics(
    ordered: np.ndarray, rank: np.ndarray, draws: np.ndarray, wanted: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The `wanted` order statistics (0-based, lowest first) of each row of `draws` (indexes
    into the data), as values: what sorting each resample would give, without sorting it.

    `ordered` is the data sorted and `rank[i]` the place of data[i] in it, so a resample's
    k-th smallest value is ordered[t] for the smallest t with more than k draws ranked at or
    below t. Each row's draws are counted by rank within a window around the statistics
    wanted (a resample's median lies within a few times sqrt(n) places of the data's); a
    row whose statistic falls outside the window (vanishingly rare) is partitioned whole.
    Ties do not matter: tied values are equal, whichever place each holds."""
    size = len(ordered)
    rows = draws.shape[0]
    spread = 8 * int(np.ceil(np.sqrt(size))) + 2
    low, high = max(0, wanted[0] - spread), min(size, wanted[1] + spread + 1)
    width = high - low
    # Column 0 counts the draws ranked below the window, 1..width those in it, width + 1
    # those above it.
    column = (np.clip(rank - low, -1, width) + 1).astype(np.intp)
    counts = np.bincount(
        (column[draws] + (np.arange(rows, dtype=np.intp) * (width + 2))[:, None]).ravel(),
        minlength=rows * (width + 2),
    ).reshape(rows, width + 2)
    running = np.cumsum(counts, axis=1)
    figures = []
    for k in wanted:
        place = np.argmax(running > k, axis=1)  # the first column holding the k-th draw
        outside = (place == 0) | (place == width + 1)
        values = ordered[np.clip(place - 1 + low, 0, size - 1)]
        for row in np.flatnonzero(outside):
            values[row] = np.partition(ordered[rank[draws[row]]], k)[k]
        figures.append(values)
    return figures[0], figures[1]


def _quantiles_of_rows(
    data: np.ndarray, ordered: np.ndarray, rank: np.ndarray, draws: np.ndarray, fraction: float
) -> np.ndarray:
    """np.quantile(data[draws], fraction, axis=1), to the last bit: numpy's default
    ("linear") method, its virtual index and its interpolation, from the two order
    statistics either side."""
    size = draws.shape[1]
    index = (size - 1) * fraction
    below = int(np.floor(index))
    above = min(below + 1, size - 1)
    gamma = index - below
    a, b = _order_statistics(ordered, rank, draws, (below, above))
    difference = b - a
    if gamma >= 0.5:
        return b - difference * (1 - gamma)
    return a + difference * gamma


def bootstrap_difference(
    before: Sequence[float],
    after: Sequence[float],
    statistic: str,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float] | None:
    """The 95% percentile-bootstrap interval of statistic(after) - statistic(before), where
    statistic is "median", "p90" or "mean"; None if either has fewer than 2 values.

    The same draws as resampling each period's values and asking numpy for each
    resample's quantile, and the same interval to the last bit (tests/metrics/
    test_evaluation.py compares them), but each resample's median or 90th percentile
    comes from counting its draws by rank rather than sorting them: several times
    faster on a year of contacts."""
    if len(before) < 2 or len(after) < 2:
        return None
    rng = np.random.default_rng(seed)

    def resampled(values: Sequence[float]) -> np.ndarray:
        data = np.asarray(values, dtype=float)
        size = len(data)
        order = np.argsort(data, kind="stable")
        ordered = data[order]
        rank = np.empty(size, dtype=np.intp)
        rank[order] = np.arange(size)
        chunk = max(1, BOOTSTRAP_CHUNK // size)
        figures = []
        for first in range(0, resamples, chunk):
            draws = rng.integers(0, size, size=(min(chunk, resamples - first), size))
            if statistic == "mean":
                figures.append(data[draws].mean(axis=1))
            else:
                fraction = 0.5 if statistic == "median" else 0.9
                figures.append(_quantiles_of_rows(data, ordered, rank, draws, fraction))
        return np.concatenate(figures)

    differences = resampled(after) - resampled(before)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return float(low), float(high)


def bootstrap_difference_reused(
    before: Sequence[float], after: Sequence[float], statistic: str
) -> tuple[float, float] | None:
    """bootstrap_difference(before, after, statistic), reused while both lists of values
    are the same to the last bit (openmash/metrics/reuse.py): a period that gains or loses
    a contact, or whose times change, is resampled again."""
    inputs = (
        statistic,
        str(RESAMPLES),
        str(SEED),
        np.asarray(before, dtype=float).tobytes(),
        np.asarray(after, dtype=float).tobytes(),
    )
    return reused("bootstrap", inputs, lambda: bootstrap_difference(before, after, statistic))


def wilson_interval(successes: int, n: int, *, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson 1927)."""
    if n <= 0:
        raise ValueError("A proportion needs at least one item.")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(
    before_successes: int, before_n: int, after_successes: int, after_n: int, *, z: float = Z
) -> tuple[float, float]:
    """The 95% interval of after - before, two independent proportions: Newcombe's hybrid
    score interval (method 10) from the two Wilson intervals."""
    p1, p2 = before_successes / before_n, after_successes / after_n
    l1, u1 = wilson_interval(before_successes, before_n, z=z)
    l2, u2 = wilson_interval(after_successes, after_n, z=z)
    difference = p2 - p1
    low = difference - sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = difference + sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return low, high


# --- Comparing two periods -------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigure:
    start: date
    end: date
    value: float | None
    count: int  # the items the value is of: contacts timed, the share's denominator, days
    numerator: int | None = None  # a share's

    @property
    def period_text(self) -> str:
        return f"{long_day(self.start)} to {long_day(self.end)}"


@dataclass(frozen=True)
class Comparison:
    measure: Measure
    rag_label: str  # "" for every contact
    before: PeriodFigure
    after: PeriodFigure
    difference: float | None
    low: float | None  # the 95% interval of the difference (None: too few to work out)
    high: float | None
    method: str
    sentence: str

    @property
    def is_unlikely_chance(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    def shown(self, value: float | None) -> str:
        return figure_text(self.measure.kind, value)

    def shown_difference(self, value: float | None) -> str:
        return difference_text(self.measure.kind, value)

    @property
    def shown_change(self) -> str:
        """The change as the page shows it: the shown after less the shown before, so that
        13.6 to 12.5 is a change of -1.1, never a -1.0 from the unrounded figures."""
        return change_text(self.measure.kind, self.before.value, self.after.value)

    def counted(self, figure: PeriodFigure) -> str:
        """A period's figure with what it is of: a share with its count ("45.0% (9 of 20)",
        or not enough to say below the minimum sample); other figures as shown."""
        if self.measure.kind == MeasureKind.SHARE:
            return share(figure.numerator or 0, figure.count)
        return self.shown(figure.value)

    @property
    def too_few(self) -> list[str]:
        """The periods ("before", "after") whose share rests on fewer than MIN_SAMPLE cases."""
        if self.measure.kind != MeasureKind.SHARE:
            return []
        return [
            name
            for name, figure in (("before", self.before), ("after", self.after))
            if figure.count and not Proportion(figure.numerator or 0, figure.count).enough
        ]


def figure_text(kind: MeasureKind, value: float | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    if kind == MeasureKind.SHARE:
        return percent(value)
    if kind == MeasureKind.PER_DAY:
        return f"{one_place(value)} a day"
    return f"{hours(value)} hours"


# The decimal places a figure of each kind is shown to (a share in percentage points).
SHOWN_PLACES = 1


def change_text(kind: MeasureKind, before: float | None, after: float | None) -> str:
    """`after` less `before`, each first rounded as it is shown (a share as a percentage
    to one place, other figures to one place), so the change agrees with the figures
    beside it."""
    if before is None or after is None:
        return "\N{EN DASH}"
    scale = 100 if kind == MeasureKind.SHARE else 1
    shown = half_up(after * scale, SHOWN_PLACES) - half_up(before * scale, SHOWN_PLACES)
    return difference_text(kind, shown / scale)


def difference_text(kind: MeasureKind, value: float | None, *, unit: bool = True) -> str:
    if value is None:
        return "\N{EN DASH}"
    if kind == MeasureKind.SHARE:
        number = signed(rounded(value * 100, 1))
        return f"{number} percentage points" if unit else number
    number = signed(one_place(value))
    if not unit:
        return number
    return f"{number} a day" if kind == MeasureKind.PER_DAY else f"{number} hours"


def _sentence(comparison: Comparison, contacts: str) -> str:
    measure, before, after = comparison.measure, comparison.before, comparison.after
    subject = measure.subject.format(contacts=contacts)
    for name, figure in (("before", before), ("after", after)):
        if figure.value is None:
            return (
                f"{subject} cannot be compared: there is nothing to measure in the {name} period."
            )
    kind = measure.kind
    if comparison.too_few:
        periods = " and ".join(f"the {name} period" for name in comparison.too_few)
        return (
            f"{subject} cannot be compared: there is not enough to say from {periods} "
            f"(at least {MIN_SAMPLE} are needed): before {comparison.counted(before)}, "
            f"after {comparison.counted(after)}."
        )
    first, second = comparison.counted(before), comparison.counted(after)
    if figure_text(kind, before.value) == figure_text(kind, after.value):
        moved = f"stayed at {figure_text(kind, after.value)} (before {first}, after {second})"
    else:
        verb = "rose" if (after.value or 0) > (before.value or 0) else "fell"
        moved = f"{verb} from {first} to {second}"
    difference = comparison.shown_change
    if comparison.low is None or comparison.high is None:
        return (
            f"{subject} {moved} (difference {difference}): there are too few to work out "
            "how sure that is."
        )
    interval = (
        f"95% CI {difference_text(kind, comparison.low, unit=False)} to "
        f"{difference_text(kind, comparison.high, unit=False)}"
    )
    verdict = (
        "the change is unlikely to be chance"
        if comparison.is_unlikely_chance
        else "the change could be chance (the interval includes no change)"
    )
    return f"{subject} {moved} (difference {difference}, {interval}): {verdict}."


def _period_values(measure: Measure, f: MetricFilter) -> tuple[PeriodFigure, list[float]]:
    """The period's figure, and the values the bootstrap resamples (if it is one)."""
    if measure.kind == MeasureKind.SHARE:
        assert measure.share is not None
        numerator, denominator = measure.share(f)
        value = numerator / denominator if denominator else None
        return PeriodFigure(f.start, f.end, value, denominator, numerator), []
    if measure.kind == MeasureKind.PER_DAY:
        days = [float(point.count) for point in contacts_per_day(f).points]
        value = sum(days) / len(days) if days else None
        return PeriodFigure(f.start, f.end, value, len(days)), days
    assert measure.timing is not None
    values = [float(value) for value in measure.timing(f).hours()]
    fraction = 0.5 if measure.kind == MeasureKind.MEDIAN else 0.9
    value = percentile(values, fraction) if values else None
    return PeriodFigure(f.start, f.end, value, len(values)), values


def before_after_compare(
    measure_key: str, before: MetricFilter, after: MetricFilter, *, rag_label: str = ""
) -> Comparison:
    """The measure in both periods (each a MetricFilter: its period, and the same optional
    filters), the difference (after less before) and its 95% confidence interval.
    `rag_label` names the RAG rating filtered on in the sentence ("Red")."""
    measure = MEASURES[measure_key]
    first, before_values = _period_values(measure, before)
    second, after_values = _period_values(measure, after)
    difference = None if first.value is None or second.value is None else second.value - first.value
    interval: tuple[float, float] | None = None
    if difference is None:
        method = ""
    elif measure.kind == MeasureKind.SHARE:
        method = "Newcombe's hybrid score interval for a difference of two proportions"
        assert first.numerator is not None and second.numerator is not None
        interval = newcombe_difference(first.numerator, first.count, second.numerator, second.count)
    else:
        statistic = {MeasureKind.MEDIAN: "median", MeasureKind.P90: "p90"}.get(measure.kind, "mean")
        what = "days" if measure.kind == MeasureKind.PER_DAY else "times"
        method = f"Bootstrap: each period's {what} resampled {whole(RESAMPLES)} times"
        interval = bootstrap_difference_reused(before_values, after_values, statistic)
    low, high = interval if interval is not None else (None, None)
    comparison = Comparison(measure, rag_label, first, second, difference, low, high, method, "")
    contacts = f"{rag_label.lower()} contacts" if rag_label else "contacts"
    return replace(comparison, sentence=_sentence(comparison, contacts))


# --- The London evaluation's table -------------------------------------------------------

NO_LEVEL = "No level of need recorded"


@dataclass(frozen=True)
class TurnaroundDays:
    median: float | None
    mean: float | None
    count: int


@dataclass(frozen=True)
class LevelRow:
    key: str
    label: str
    before: TurnaroundDays
    after: TurnaroundDays
    median_low: float | None = None  # the 95% bootstrap interval of the medians' difference
    median_high: float | None = None

    @property
    def median_difference(self) -> float | None:
        if self.before.median is None or self.after.median is None:
            return None
        return self.after.median - self.before.median

    @property
    def mean_difference(self) -> float | None:
        if self.before.mean is None or self.after.mean is None:
            return None
        return self.after.mean - self.before.mean


@dataclass(frozen=True)
class LevelTable:
    before: MetricFilter
    after: MetricFilter
    rows: tuple[LevelRow, ...]
    overall: LevelRow


def _days_by_initial_level(f: MetricFilter) -> dict[str, list[float]]:
    """Days (of 24 hours) from receipt to the first decision of every contact received in
    the period and decided by its end, by the level of need of that first decision: one
    query, of (level, time) pairs only."""
    timing = decision_timing(f)
    rows = timing.items.filter(timing.finished).values_list(
        "first_level_of_need", HoursBetween(timing.start, timing.end)
    )
    by_level: dict[str, list[float]] = {}
    for level, hours_taken in rows:
        by_level.setdefault("" if level is None else str(level), []).append(hours_taken / 24)
    return by_level


def _summary(values: Sequence[float]) -> TurnaroundDays:
    if not values:
        return TurnaroundDays(None, None, 0)
    return TurnaroundDays(percentile(values, 0.5), sum(values) / len(values), len(values))


def _level_row(key: str, label: str, before: list[float], after: list[float]) -> LevelRow:
    interval = bootstrap_difference_reused(before, after, "median")
    low, high = interval if interval is not None else (None, None)
    return LevelRow(key, label, _summary(before), _summary(after), low, high)


def turnaround_by_initial_level(before: MetricFilter, after: MetricFilter) -> LevelTable:
    """The London evaluation's table: for each level of need (the area's labels), the
    turnaround in days before and after, median and mean, how many contacts, and the
    differences. "Initial" is the level of the first decision (not an amendment)."""
    first, second = _days_by_initial_level(before), _days_by_initial_level(after)
    levels = [(str(level.number), level.label) for level in LevelOfNeed.objects.order_by("number")]
    if "" in first or "" in second:
        levels.append(("", NO_LEVEL))
    rows = tuple(
        _level_row(key, label, first.get(key, []), second.get(key, [])) for key, label in levels
    )
    every_before = [value for values in first.values() for value in values]
    every_after = [value for values in second.values() for value in values]
    return LevelTable(
        before, after, rows, _level_row("all", "All levels", every_before, every_after)
    )
