"""Figures as the page shows them."""

import pytest

from openmash.metrics.figures import Series, SeriesPoint, Workload
from openmash.metrics.numbers import percent
from openmash.metrics.presenters import NO_FIGURE, _series, _workload, days, hours


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (hours(0.25), "0.3"),
        (hours(1234.56), "1,234.6"),
        (hours(None), NO_FIGURE),
        (days(3.0), "0.13"),
        (days(60.0), "2.50"),
        (percent(4 / 7), "57.1%"),
        (percent(0.0005), "0.1%"),
        (percent(None), NO_FIGURE),
    ],
)
def test_it_rounds_as_people_do(shown: str, expected: str) -> None:
    assert shown == expected


def test_it_describes_a_backlog_by_its_last_point_not_an_average() -> None:
    from datetime import date

    backlog = Series(
        "day", (SeriesPoint(date(2026, 10, 5), 3), SeriesPoint(date(2026, 10, 6), 5)), is_level=True
    )
    summary, tables = _series("Backlog", backlog)
    assert summary == "5 open at the end of the period"
    assert [cell.text for cell in tables[0].head] == ["At the end of", "Contacts open"]


def test_it_describes_the_screeners_load_without_naming_them() -> None:
    summary, tables = _workload("Open", Workload(held=(5, 2, 1, 1), unassigned=3))
    rows = {row[0].text: row[1].text for row in tables[0].rows}
    assert summary == "12 open contacts"
    assert rows["Most held by one screener"] == "5"
    assert rows["Median held per screener"] == "1.5"
    assert rows["Average held per screener"] == "2.3"
    assert rows["Not taken by anyone"] == "3"
