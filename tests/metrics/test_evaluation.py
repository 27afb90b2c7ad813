"""Before and after: the statistics against published examples, the comparison on
contacts made through the services, the sentence, the pages and their errors."""

import statistics
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse

from openmash.area.calendar import LONDON
from openmash.metrics.evaluation import (
    MEASURES,
    RESAMPLES,
    before_after_compare,
    bootstrap_difference,
    newcombe_difference,
    percentile,
    turnaround_by_initial_level,
    wilson_interval,
)
from openmash.metrics.filters import MetricFilter
from tests.conftest import signed_in
from tests.metrics.conftest import EARLY_HELP, LATER, NFA, WEEK_END, WEEK_START, Hub

# Two fortnights: amber contacts decided in 20 to 31 hours before, 5 to 16 after.
BEFORE = MetricFilter(start=date(2026, 9, 7), end=date(2026, 9, 20), now=LATER)
AFTER = MetricFilter(start=date(2026, 9, 21), end=date(2026, 10, 4), now=LATER)


# --- Statistics ---------------------------------------------------------------------


def test_it_works_out_wilson_intervals_as_published() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", table I.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(1, 29) == pytest.approx((0.0061, 0.1718), abs=1e-4)


def test_it_works_out_newcombes_interval_for_a_difference_of_shares() -> None:
    # Newcombe (1998), "Interval estimation for the difference between independent
    # proportions", example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    low, high = newcombe_difference(48, 80, 56, 70)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    # Example (d): 10/10 - 0/20, method 10: 0.6791 to 1.0000.
    assert newcombe_difference(0, 20, 10, 10) == pytest.approx((0.6791, 1.0), abs=1e-4)


def test_it_interpolates_percentiles_as_the_database_does() -> None:
    values = [2.0, 2.0, 3.0, 4.5, 10.0, 142.0]
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    assert percentile(values, 0.9) == pytest.approx(
        statistics.quantiles(values, n=10, method="inclusive")[8]
    )


def test_the_bootstrap_is_repeatable_and_finds_a_real_shift() -> None:
    before = [20.0 + (n % 12) for n in range(60)]
    after = [value - 15 for value in before]
    first = bootstrap_difference(before, after, "median")
    assert first == bootstrap_difference(before, after, "median")
    assert first is not None
    low, high = first
    assert low <= -15 <= high
    assert high < 0
    same = bootstrap_difference(before, before, "p90")
    assert same is not None and same[0] <= 0 <= same[1]
    assert bootstrap_difference([1.0], after, "median") is None
    assert RESAMPLES == 2_000


# --- On contacts made through the services ------------------------------------------


def _decided_fortnights(hub: Hub) -> None:
    """Twelve amber contacts, six in each fortnight, each decided some hours after
    arriving: 20 to 31 hours before, 5 to 16 after; one in each stepped down."""
    for index in range(12):
        after = index >= 6
        day = (AFTER if after else BEFORE).start + timedelta(days=index % 6)
        received = datetime(day.year, day.month, day.day, 9, tzinfo=LONDON)
        name = f"P{index}"
        hub.receive(name, received, "2A")
        hub.take(name, received + timedelta(minutes=5))
        hub.rate(name, "amber", received + timedelta(minutes=10))
        hub.enquire(name, [], received + timedelta(minutes=10))
        took = (5 if after else 20) + 2 * (index % 6)
        outcome = EARLY_HELP if index % 6 == 0 else NFA
        hub.decide(name, outcome, received + timedelta(hours=took))


@pytest.mark.django_db
def test_it_compares_median_turnaround_before_and_after(hub: Hub) -> None:
    _decided_fortnights(hub)
    comparison = before_after_compare("decision_median", BEFORE, AFTER)
    # Before 20, 22, ... 30: median 25; after 5 ... 15: median 10.
    assert (comparison.before.value, comparison.after.value) == pytest.approx((25.0, 10.0))
    assert (comparison.before.count, comparison.after.count) == (6, 6)
    assert comparison.difference == pytest.approx(-15.0)
    assert comparison.low is not None and comparison.high is not None
    assert comparison.low <= -14.99 and -15.01 <= comparison.high < 0
    assert comparison.sentence.startswith(
        "Median turnaround for contacts fell from 25.0 hours to 10.0 hours "
        "(difference \N{MINUS SIGN}15.0 hours, 95% CI \N{MINUS SIGN}"
    )
    assert comparison.sentence.endswith("): the change is unlikely to be chance.")


@pytest.mark.django_db
def test_it_compares_a_share_with_newcombes_interval(hub: Hub) -> None:
    _decided_fortnights(hub)
    comparison = before_after_compare(
        "no_further_action",
        MetricFilter(start=BEFORE.start, end=BEFORE.end, rag="amber", now=LATER),
        MetricFilter(start=AFTER.start, end=AFTER.end, rag="amber", now=LATER),
        rag_label="Amber",
    )
    assert (comparison.before.numerator, comparison.before.count) == (5, 6)
    assert comparison.difference == 0
    assert (comparison.low, comparison.high) == pytest.approx(newcombe_difference(5, 6, 5, 6))
    # 6 decided in each period: too few for a share (issue 16), so no comparison is drawn.
    assert comparison.sentence == (
        "The share of children decided in amber contacts with no further action cannot be "
        "compared: there is not enough to say from the before period and the after period "
        "(at least 10 are needed): before not enough to say (5 of 6), after not enough to "
        "say (5 of 6)."
    )


@pytest.mark.django_db
def test_it_says_when_there_is_nothing_to_compare(week: Hub) -> None:
    empty = MetricFilter(start=date(2026, 8, 3), end=date(2026, 8, 9), now=LATER)
    the_week = MetricFilter(start=WEEK_START, end=WEEK_END, now=LATER)
    comparison = before_after_compare("decision_median", empty, the_week)
    assert comparison.difference is None
    assert comparison.sentence == (
        "Median turnaround for contacts cannot be compared: there is nothing to measure in "
        "the before period."
    )


@pytest.mark.django_db
def test_every_measure_compares_the_week_with_itself(week: Hub) -> None:
    the_week = MetricFilter(start=WEEK_START, end=WEEK_END, now=LATER)
    for key in MEASURES:
        comparison = before_after_compare(key, the_week, the_week)
        assert comparison.difference in (0, None), key
        assert comparison.sentence, key


@pytest.mark.django_db
def test_it_lays_out_turnaround_by_initial_level_of_need(week: Hub) -> None:
    empty = MetricFilter(start=date(2026, 8, 3), end=date(2026, 8, 9), now=LATER)
    the_week = MetricFilter(start=WEEK_START, end=WEEK_END, now=LATER)
    table = turnaround_by_initial_level(empty, the_week)
    after = {row.key: (row.after.count, row.after.median, row.after.mean) for row in table.rows}
    # Level of the first decision: C 1 (2 hours); B, I and G 2 (10, 2 and 3 hours; I and
    # G were amended later); A 4 (4.5 hours).
    assert after["1"] == (1, pytest.approx(2 / 24), pytest.approx(2 / 24))
    assert after["2"] == (3, pytest.approx(3 / 24), pytest.approx(5 / 24))
    assert after["3"] == (0, None, None)
    assert after["4"] == (1, pytest.approx(4.5 / 24), pytest.approx(4.5 / 24))
    assert [row.label for row in table.rows][:2] == ["Universal", "Additional needs (early help)"]
    assert table.overall.after.count == 5
    assert table.overall.before.count == 0
    assert table.overall.median_difference is None


# --- The pages ------------------------------------------------------------------------

URL = reverse("metrics:evaluation")


def _dates(prefix: str, day: date) -> dict[str, str]:
    return {
        f"{prefix}_day": str(day.day),
        f"{prefix}_month": str(day.month),
        f"{prefix}_year": str(day.year),
    }


def _periods(before: MetricFilter = BEFORE, after: MetricFilter = AFTER) -> dict[str, str]:
    return {
        **_dates("before_start", before.start),
        **_dates("before_end", before.end),
        **_dates("after_start", after.start),
        **_dates("after_end", after.end),
    }


@pytest.mark.django_db
def test_the_page_shows_both_values_the_difference_and_the_sentence(hub: Hub) -> None:
    _decided_fortnights(hub)
    response = signed_in(hub.users["manager"]).get(
        URL, {"measure": "decision_median", "rag": "amber", **_periods()}
    )
    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert page.sentence in html
    assert page.sentence.startswith("Median turnaround for amber contacts fell from 25.0 hours")
    cells = [[cell.text for cell in row] for row in page.table.rows]
    assert cells[0][2:] == ["25.0 hours", "6 timed"]
    assert cells[1][2:] == ["10.0 hours", "6 timed"]
    assert cells[2][2] == "\N{MINUS SIGN}15.0 hours"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"before_end_day": "31", "before_end_month": "2"}, "before_end", "must be a real date"),
        ({"before_end_day": ""}, "before_end", "must include a day"),
        (
            {**_dates("after_start", date(2026, 9, 15))},
            "after_start",
            "The after period must start after the before period ends",
        ),
        (
            {**_dates("after_end", date(2026, 9, 1))},
            "after_end",
            "The after period must end on or after the day it starts",
        ),
        ({"measure": "shoe_size"}, "measure", "Choose an indicator"),
    ],
)
def test_it_explains_each_mistake_beside_its_field_and_keeps_what_was_typed(
    hub: Hub, sent: dict[str, str], field: str, message: str
) -> None:
    data = {"measure": "decision_median", **_periods(), **sent}
    response = signed_in(hub.users["analyst"]).get(URL, data)
    assert response.status_code == 200
    assert response.context["page"] is None
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'href="#id_{field}' in html
    for name, value in sent.items():
        if value and name != "measure":
            assert f'name="{name}"' in html and f'value="{value}"' in html


@pytest.mark.django_db
def test_the_london_table_page_shows_a_row_per_level_of_need(week: Hub) -> None:
    empty = MetricFilter(start=date(2026, 8, 3), end=date(2026, 8, 9))
    the_week = MetricFilter(start=WEEK_START, end=WEEK_END)
    response = signed_in(week.users["manager"]).get(
        reverse("metrics:evaluation-london"), _periods(empty, the_week)
    )
    assert response.status_code == 200
    rows = response.context["page"].table.rows
    assert [row[0].text for row in rows] == [
        "Universal",
        "Additional needs (early help)",
        "Complex needs",
        "Acute (child protection)",
        "All levels",
    ]
    assert [cell.text for cell in rows[1]][4:7] == ["0.13", "0.21", "3"]
