"""Work the figures pages reuse (ADR 0032): the bootstrap gives numpy's interval to the
last bit, is reused only for the very same values, and a new decision shows at once;
figures several indicators share are worked out once per page, and only within it."""

from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import numpy as np
import pytest
from django.core.cache import caches

from openmash.area.calendar import LONDON
from openmash.metrics import evaluation
from openmash.metrics.evaluation import (
    BOOTSTRAP_CHUNK,
    CONFIDENCE,
    RESAMPLES,
    SEED,
    before_after_compare,
    bootstrap_difference,
    bootstrap_difference_reused,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS, indicators_compute, registry, timeliness
from openmash.metrics.indicators.timeliness import decision_turnaround
from openmash.metrics.reuse import CACHE
from tests.conftest import signed_in
from tests.metrics.conftest import LATER, NFA, WEEK_END, WEEK_START, Hub
from tests.metrics.test_evaluation import AFTER, BEFORE, URL, _decided_fortnights, _periods


@pytest.fixture(autouse=True)
def nothing_reused() -> None:
    caches[CACHE].clear()


def _bootstrap_by_sorting(
    before: list[float], after: list[float], statistic: str
) -> tuple[float, float]:
    """The bootstrap as first written: each resample's values gathered and numpy asked
    for their quantile. The faster one must give the same interval, bit for bit."""
    rng = np.random.default_rng(SEED)

    def resampled(values: list[float]) -> np.ndarray:
        data = np.asarray(values, dtype=float)
        size = len(data)
        chunk = max(1, BOOTSTRAP_CHUNK // size)
        figures = []
        for first in range(0, RESAMPLES, chunk):
            draws = data[rng.integers(0, size, size=(min(chunk, RESAMPLES - first), size))]
            if statistic == "mean":
                figures.append(draws.mean(axis=1))
            else:
                fraction = 0.5 if statistic == "median" else 0.9
                figures.append(np.quantile(draws, fraction, axis=1))
        return np.concatenate(figures)

    differences = resampled(after) - resampled(before)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    return float(low), float(high)


@pytest.mark.parametrize("statistic", ["median", "p90", "mean"])
@pytest.mark.parametrize("size", [2, 3, 7, 30, 101, 1_500])
def test_the_bootstrap_gives_the_interval_numpy_gives_to_the_last_bit(
    statistic: str, size: int
) -> None:
    rng = np.random.default_rng(size)
    # Times to the minute, so many are tied, as turnaround times are; and whole hours.
    before = list(np.round(rng.gamma(2.0, 20.0, size) * 60) / 60)
    after = [float(value) for value in rng.integers(1, 90, size + 3)]
    assert bootstrap_difference(before, after, statistic) == _bootstrap_by_sorting(
        before, after, statistic
    )


def test_it_reuses_a_bootstrap_only_while_the_values_are_the_same() -> None:
    before = [20.0 + (n % 12) for n in range(60)]
    after = [value - 15 for value in before]
    with mock.patch.object(
        evaluation, "bootstrap_difference", wraps=evaluation.bootstrap_difference
    ) as worked_out:
        first = bootstrap_difference_reused(before, after, "median")
        assert bootstrap_difference_reused(before, after, "median") == first
        assert worked_out.call_count == 1
        # One more value, one value changed, the periods swapped, another statistic:
        # each worked out again.
        bootstrap_difference_reused(before, [*after, 9.0], "median")
        bootstrap_difference_reused(before, [*after[:-1], after[-1] + 0.001], "median")
        bootstrap_difference_reused(after, before, "median")
        bootstrap_difference_reused(before, after, "p90")
        assert worked_out.call_count == 5
    assert first == bootstrap_difference(before, after, "median")


def _decide_another(hub: Hub, name: str, hours: int) -> None:
    """An amber contact received on the after period's first day, decided `hours` later."""
    received = datetime(AFTER.start.year, AFTER.start.month, AFTER.start.day, 11, tzinfo=LONDON)
    hub.receive(name, received, "2A")
    hub.take(name, received + timedelta(minutes=5))
    hub.rate(name, "amber", received + timedelta(minutes=10))
    hub.enquire(name, [], received + timedelta(minutes=10))
    hub.decide(name, NFA, received + timedelta(hours=hours))


def _interval_row(response: Any) -> list[str]:
    return [cell.text for cell in response.context["page"].table.rows[3]]


@pytest.mark.django_db
def test_the_before_and_after_page_shows_a_new_decision_at_once(hub: Hub) -> None:
    _decided_fortnights(hub)
    manager = signed_in(hub.users["manager"])
    query = {"measure": "decision_median", **_periods()}
    first = manager.get(URL, query)
    assert manager.get(URL, query).context["page"] == first.context["page"]

    _decide_another(hub, "Late one", hours=60)
    second = manager.get(URL, query)

    cells = [[cell.text for cell in row] for row in second.context["page"].table.rows]
    assert cells[1][3] == "7 timed"
    # The interval is the one worked out afresh from the new figures, not the one kept.
    caches[CACHE].clear()
    fresh = before_after_compare("decision_median", BEFORE, AFTER)
    assert _interval_row(second)[2] == (
        f"{fresh.shown_difference(fresh.low)} to {fresh.shown_difference(fresh.high)}"
    )
    assert _interval_row(second) != _interval_row(first)


@pytest.mark.django_db
def test_the_london_table_shows_a_new_decision_at_once(hub: Hub) -> None:
    _decided_fortnights(hub)
    manager = signed_in(hub.users["manager"])
    url = "/metrics/before-and-after/by-level-of-need/"
    first = manager.get(url, _periods()).context["page"].table.rows[-1]
    _decide_another(hub, "Late one", hours=60)
    second = manager.get(url, _periods()).context["page"].table.rows[-1]
    # All levels: after, 7 contacts now, and the interval of the medians moved with them.
    assert second[6].text == "7"
    assert second[8].text != first[8].text


@pytest.mark.django_db
def test_figures_several_indicators_share_are_worked_out_once_per_page(week: Hub) -> None:
    f = MetricFilter(start=WEEK_START, end=WEEK_END, now=LATER)
    with mock.patch.object(
        timeliness, "_duration_tables", wraps=timeliness._duration_tables
    ) as tables:
        figures = indicators_compute(
            f, ["decision_turnaround", "check_turnaround", "deadline_breaches"]
        )
        # The deadlines missed are the two turnaround tables turned round: not worked
        # out again.
        assert tables.call_count == 2
        assert figures["deadline_breaches"].decision_times is figures["decision_turnaround"]
        assert figures["deadline_breaches"].check_times is figures["check_turnaround"]
        # Outside a page's figures, nothing is kept: each call asks the database again.
        decision_turnaround(f)
        decision_turnaround(f)
        assert tables.call_count == 4
        indicators_compute(f, ["decision_turnaround"])
        assert tables.call_count == 5
    assert figures["decision_turnaround"] == decision_turnaround(f)


@pytest.mark.django_db
def test_the_whole_dashboard_starts_its_longest_shared_work_first(
    week: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = MetricFilter(start=WEEK_START, end=WEEK_END, now=LATER)
    started_first = list(registry._STARTED_FIRST)
    assert started_first  # the contacts' timings, the checks' and the arrivals

    figures = indicators_compute(f)

    # Only the indicators come back, in their order, and the same figures as without.
    assert list(figures) == list(INDICATORS)
    monkeypatch.setattr(registry, "_STARTED_FIRST", [])
    assert indicators_compute(f) == figures
