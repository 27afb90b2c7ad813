"""The board report withholds counts that add up to another count it publishes together,
wherever in the report each is shown: no withheld count is a published total less the
rest (openmash.metrics.suppression.suppress_linked).

Each month here is March 2026, built through the real services; March 2025 has nothing.
"""

from datetime import date

import pytest

from openmash.metrics.figures import Series, SeriesPoint
from openmash.metrics.numbers import NO_FIGURE
from openmash.metrics.presenters import Table
from openmash.metrics.suppression import SUPPRESSED
from openmash.value.board_report import (
    BoardReport,
    Month,
    board_report_build,
    days_published,
    outcomes_published,
)
from openmash.value.services import board_report_html
from tests.factories import a_decision
from tests.value.conftest import LATER, Hub, at
from tests.value.test_board_report import closed

MARCH = Month(2026, 3)
EARLY_HELP = a_decision("early_help", "Eastbridge early help hub", level=2)


def received(hub: Hub, days: dict[int, int]) -> None:
    """`days`: how many contacts came in on each day of March 2026 (each at 09:00 on)."""
    for day, count in days.items():
        for number in range(count):
            hub.receive(
                f"mar-{day}-{number}", at(day, 9, number, month=3), number=day * 10 + number
            )


def drawn(report: BoardReport, title: str, series: str) -> dict[str, str]:
    """Each category of a chart (a day of the month, an outcome) and its figure as the
    report publishes it; a figure withheld is not drawn either."""
    chart = next(each.chart for each in report.charts if each.title.startswith(title))
    assert chart is not None
    line = next(each for each in chart.series if each.key == series)
    for value, text in zip(line.values, line.texts, strict=True):
        assert (value is None) == (text in (SUPPRESSED, NO_FIGURE))
    return dict(zip(chart.categories, line.texts, strict=True))


def days_drawn(report: BoardReport, series: str = "this_year") -> dict[int, str]:
    return {
        int(day): text for day, text in drawn(report, "Contacts received each day", series).items()
    }


def table(report: BoardReport, caption: str) -> dict[str, list[str]]:
    tables: list[Table] = [
        report.outcome_table,
        report.value_comparison,
        *report.value_tables,
    ]
    found = next(each for each in tables if each.caption.startswith(caption))
    return {row[0].text: [cell.text for cell in row[1:]] for row in found.rows}


def headline(report: BoardReport, key: str) -> tuple[str, str]:
    row = next(each for each in report.headlines if each.key == key)
    return row.now, row.change


@pytest.mark.django_db
def test_it_withholds_the_only_small_day_with_the_next_smallest(hub: Hub) -> None:
    # 15 contacts: 6 on the 3rd, 7 on the 10th and 2 on the 15th. The 15th alone withheld
    # would be 15 less 6 and 7, so the 3rd (the next smallest) is withheld too.
    received(hub, {3: 6, 10: 7, 15: 2})
    report = board_report_build(MARCH, now=LATER)
    html = board_report_html(report)
    days = days_drawn(report)
    assert (days[3], days[10], days[15]) == (SUPPRESSED, "7", SUPPRESSED)
    assert {text for day, text in days.items() if day not in (3, 10, 15)} == {"0"}
    # No records last year: no flat line at zero for it (issue 16), and the summary says so.
    assert (
        "15 contacts were received in March 2026. None were recorded in March 2025, so no "
        "line is drawn for it." in html
    )
    assert headline(report, "contacts_received")[0] == "15"


@pytest.mark.django_db
def test_it_shows_the_rest_when_two_small_days_are_withheld(hub: Hub) -> None:
    # 9 contacts: 6 on the 3rd, 2 on the 10th and 1 on the 15th. The two small days
    # withheld add up to 3, which says neither.
    received(hub, {3: 6, 10: 2, 15: 1})
    report = board_report_build(MARCH, now=LATER)
    days = days_drawn(report)
    assert (days[3], days[10], days[15]) == ("6", SUPPRESSED, SUPPRESSED)
    assert "9 contacts were received in March 2026" in board_report_html(report)


@pytest.mark.django_db
def test_it_withholds_a_small_month_in_the_summary_as_in_the_headlines(hub: Hub) -> None:
    received(hub, {3: 2, 10: 1})
    report = board_report_build(MARCH, now=LATER)
    html = board_report_html(report)
    days = days_drawn(report)
    assert (days[3], days[10]) == (SUPPRESSED, SUPPRESSED)
    assert f"{SUPPRESSED} contacts were received in March 2026" in html
    assert headline(report, "contacts_received")[0] == SUPPRESSED


@pytest.fixture
def one_small_outcome(hub: Hub) -> BoardReport:
    """14 contacts decided in March 2026: 7 no further action, 5 information and advice,
    2 stepped down to early help (the only small count)."""
    for number in range(14):
        name = f"mar-{number}"
        when = at(2 + number, 9, month=3)
        hub.receive(name, when, number=number)
        if number < 12:
            closed(hub, name, when, "nfa" if number < 7 else "information_advice")
        else:
            hub.take(name, when.replace(minute=10))
            hub.rate(name, "amber", when.replace(minute=20))
            hub.enquire(name, [], when.replace(minute=30))
            hub.decide(name, EARLY_HELP, when.replace(minute=40))
    return board_report_build(MARCH, now=LATER)


@pytest.mark.django_db
def test_it_withholds_an_outcome_group_with_one_small_count(
    one_small_outcome: BoardReport,
) -> None:
    report = one_small_outcome
    outcomes = table(report, "Outcomes")
    assert outcomes["No further action"][:2] == ["7", "50.0% (7 of 14)"]
    info = "Information and advice, or signposting to universal services"
    # Early help's 2 alone withheld would be 14 less 7 and 5.
    assert outcomes[info][:2] == [SUPPRESSED, SUPPRESSED]
    assert outcomes["Step down to early help"][:2] == [SUPPRESSED, SUPPRESSED]
    assert outcomes["Children decided"][:2] == ["14", "100.0% (14 of 14)"]
    # The chart withholds the same bars as the table.
    bars = drawn(report, "Children decided, by outcome, March 2026", "outcomes")
    assert bars == {
        "No further action": "7",
        info: SUPPRESSED,
        "Step down to early help": SUPPRESSED,
    }
    html = board_report_html(report)
    assert "The most common outcome was No further action: 50.0% (7 of 14)." in html
    assert f">{SUPPRESSED}</text>" in html
    # The kinds of outcome are the same counts, withheld alike, with their costs.
    kinds = table(report, "Cost per kind")
    assert kinds["No further action"][0] == "7"
    assert set(kinds["Information and advice"]) == {SUPPRESSED}
    assert set(kinds["Step down to early help"]) == {SUPPRESSED}
    assert kinds["Every decided contact"][0] == "14"
    # Two costs per contact and the costs by kind would give the two counts back.
    comparison = table(report, "Value for money")
    assert comparison["Cost per contact decided: information and advice"][0] == SUPPRESSED
    assert comparison["Cost per contact decided: step down to early help"][0] == SUPPRESSED
    assert comparison["Cost per contact decided: no further action"][0].startswith("£")
    # The headline shares of the same decided contacts: 2 of 14 stepped down is withheld.
    assert headline(report, "step_down")[0] == SUPPRESSED
    assert headline(report, "nfa")[0] == "50.0% (7 of 14)"


def test_an_outcome_withheld_cannot_be_its_kind_less_the_other_outcomes_of_that_kind() -> None:
    # Two outcomes of the kind "other" (an area's own): 2 and 9. Among the outcomes alone,
    # the 2 would be withheld with the next smallest, information and advice (6); but the
    # kind "other" (11, in the cost per kind) less the 9 would give the 2 back.
    outcomes = {"nfa": 20, "information_advice": 6, "police": 2, "other_la": 9}
    kind_of = {
        "nfa": "nfa",
        "information_advice": "information_advice",
        "police": "other",
        "other_la": "other",
    }
    kinds = {"nfa": 20, "information_advice": 6, "other": 11}
    shown = outcomes_published(outcomes, kinds, kind_of)
    assert shown.outcomes["police"] == SUPPRESSED
    assert shown.outcomes["other_la"] == SUPPRESSED
    assert shown.decided == 37
    # Nothing withheld can be worked out by subtraction any more.
    assert shown.kinds["other"] == 11
    assert shown.outcomes["nfa"] == 20 and shown.kinds["nfa"] == 20


def test_a_headline_share_is_withheld_with_its_kind() -> None:
    # 3 stepped down of 12: the share would say 3; and what is left of the no further
    # action share (12 less 9 is 3) would too.
    outcomes = {"nfa": 9, "early_help": 3}
    kind_of = {"nfa": "nfa", "early_help": "early_help"}
    shown = outcomes_published(outcomes, {"nfa": 9, "early_help": 3}, kind_of)
    assert shown.outcomes == {"nfa": SUPPRESSED, "early_help": SUPPRESSED}
    assert shown.shares_withheld == {"nfa", "step_down"}
    assert shown.kinds_withheld == {"nfa", "early_help"}


def test_a_day_not_drawn_is_protected_too() -> None:
    # February 2028 has 29 days; beside February 2029 only 28 are drawn, but the 29th
    # (3 contacts) would be the month's total less the rest.
    series = Series(
        "day",
        tuple(
            SeriesPoint(date(2028, 2, day), 3 if day == 29 else 10 if day == 5 else 6)
            for day in range(1, 30)
        ),
    )
    shown, total = days_published(series, days=28)
    assert 29 not in shown
    assert total == series.total
    assert [day for day, value in shown.items() if value == SUPPRESSED] == [1]
