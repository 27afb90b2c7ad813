"""No percentage without its count, and small samples say so (issue 16, honest statistics).

Every report page is rendered as each role that may see it, on the demo data
(`seed_demo`, a month) and on the week of tests/metrics/conftest.py (a handful of
contacts). Every percentage in the HTML must have what it is of in the same element
(table cell, paragraph, list item): "45.0% (9 of 20)", "18.5% (£8,157 of £44,068)". A share
of fewer than MIN_SAMPLE cases is never shown as a percentage: the page says "not enough
to say" instead. The board report is checked in the HTML its PDF is printed from.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.calendar import LONDON
from openmash.core.proportions import MIN_SAMPLE, NOT_ENOUGH, Proportion
from openmash.core.time_text import minutes_text
from openmash.metrics.charts.drawing import BAR_LABELS, Text, bar_drawing, wrapped
from openmash.metrics.charts.model import Chart, ChartKind, ChartSeries
from openmash.metrics.evaluation import MEASURES, MeasureKind, change_text
from openmash.metrics.numbers import NO_FIGURE, plural, share
from openmash.metrics.presenters import _shown_change
from openmash.planner.presenters import hours_text
from openmash.value.board_report import Month, board_report_build
from openmash.value.services import board_report_html
from tests.conftest import signed_in
from tests.factories import Hub
from tests.metrics.conftest import WEEK_END, WEEK_START

PERCENT = re.compile(r"\d+(\.\d+)?\s?%")
# What a share is of, in the same element: "9 of 20", "£8,157 of £44,068",
# "239.3 of 1,262.9 hours", or a change "+5.3% of 226".
COUNT = re.compile(r"£?(\d[\d,]*(\.\d+)?)%? of £?(\d[\d,]*(\.\d+)?)")
# Percentages that are not shares of anything here: the confidence level of an interval,
# the significance level, and the published national figure the definitions cite.
NOT_A_SHARE = re.compile(
    r"95% (confidence )?interval|95% CI|at the 5% level|national figure \(22% of referrals"
)
# The element a percentage is read with: its nearest ancestor of these.
CONTAINERS = {
    "td",
    "th",
    "p",
    "li",
    "dd",
    "dt",
    "caption",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "legend",
    "label",
    "option",
    "title",
    "desc",
    "text",
    "div",
}
SKIPPED = {"script", "style"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    texts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.texts)).strip()


@dataclass(frozen=True)
class Shown:
    """A percentage and the text of the element it is shown in."""

    percent: str
    element: str


class PercentFinder(HTMLParser):
    """Collects each percentage in a page with the text of its nearest container."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.found: list[tuple[str, Element]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(Element(tag))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if any(element.tag in SKIPPED for element in self.stack):
            return
        for element in self.stack:
            element.texts.append(data)
        container = next(
            (element for element in reversed(self.stack) if element.tag in CONTAINERS), None
        )
        if container is not None:
            self.found.extend((match.group(), container) for match in PERCENT.finditer(data))


def percentages(html: str) -> list[Shown]:
    finder = PercentFinder()
    finder.feed(html)
    finder.close()
    return [Shown(percent, element.text) for percent, element in finder.found]


def problems(html: str) -> list[str]:
    """Each percentage shown without what it is of, or as a share of too few cases."""
    found = []
    for shown in percentages(html):
        if NOT_A_SHARE.search(shown.element) and shown.percent.startswith(("95", "5%", "22")):
            continue
        counts = COUNT.findall(shown.element)
        if not counts:
            found.append(f"{shown.percent} without its count: {shown.element[:200]!r}")
            continue
        for _part, part_places, of, of_places in counts:
            cases = not (part_places or of_places) and "£" not in shown.element
            if cases and int(of.replace(",", "")) < MIN_SAMPLE and NOT_ENOUGH not in shown.element:
                found.append(f"{shown.percent} of {of} cases: {shown.element[:200]!r}")
    return found


# --- The pages, and who sees them ------------------------------------------------------


def _dates(prefix: str, day: date) -> dict[str, str]:
    return {
        f"{prefix}_day": str(day.day),
        f"{prefix}_month": str(day.month),
        f"{prefix}_year": str(day.year),
    }


def _period(start: date, end: date) -> dict[str, str]:
    return {**_dates("start", start), **_dates("end", end)}


def _periods(start: date, middle: date, end: date) -> dict[str, str]:
    return {
        **_dates("before_start", start),
        **_dates("before_end", middle - timedelta(days=1)),
        **_dates("after_start", middle),
        **_dates("after_end", end),
    }


def pages(start: date, end: date) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(permission, path, query) for every report page, over the period `start` to `end`."""
    middle = start + (end - start) / 2
    period = _period(start, end)
    yield "core.view_home", "/", {}
    yield "metrics.view_dashboard", "/metrics/", {}
    yield "metrics.view_dashboard", "/metrics/", period
    for rag in ("red", "amber", "green"):
        yield "metrics.view_dashboard", "/metrics/", {**period, "rag": rag}
    yield "metrics.view_dashboard", "/metrics/", {**period, "source": "6"}
    for key, measure in MEASURES.items():
        if measure.kind in (MeasureKind.SHARE, MeasureKind.PER_DAY) or key == "decision_median":
            query = {"measure": key, **_periods(start, middle, end)}
            yield "metrics.view_dashboard", "/metrics/before-and-after/", query
    yield (
        "metrics.view_dashboard",
        "/metrics/before-and-after/by-level-of-need/",
        _periods(start, middle, end),
    )
    yield "value.view_value_for_money", "/value/", period
    yield "value.view_value_for_money", "/value/", {}
    yield "value.download_board_report", "/value/board-report/", {}
    yield "contacts.view_contact_figures", "/contacts/figures/", {}
    yield "planner.view_scenarios", "/planning/", {}
    for path in ("/planning/calibrate/", "/planning/replay/"):
        yield "planner.manage_scenarios", path, {}


def every_page_problem(start: date, end: date) -> tuple[list[str], dict[str, str]]:
    """The problems on every report page as every role that sees it, and each page's HTML
    (as the last role to see it)."""
    found: list[str] = []
    seen: dict[str, str] = {}
    viewers = list(User.objects.filter(is_active=True, role_grants__isnull=False).distinct())
    roles_seen: set[frozenset[str]] = set()
    for user in viewers:
        roles = frozenset(user.role_grants.values_list("role", flat=True))
        if roles in roles_seen:
            continue
        roles_seen.add(roles)
        client = signed_in(user)
        for permission, path, query in pages(start, end):
            if not user.has_perm(permission):
                continue
            response = client.get(path, query)
            assert response.status_code == 200, (path, query, response.status_code)
            html = response.content.decode()
            seen[f"{path}?{sorted(query.items())}"] = html
            found += [f"{path} {query} as {sorted(roles)}: {each}" for each in problems(html)]
    return found, seen


def board_report_problems(month: Month) -> list[str]:
    html = board_report_html(board_report_build(month))
    return [f"board report {month.label}: {each}" for each in problems(html)]


# --- The tests -------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_percentage_on_the_demo_data_has_its_count() -> None:
    call_command("seed_demo", "--days", "28", "--per-day", "6", "--seed", "7", stdout=StringIO())
    today = timezone.localdate(timezone.now(), LONDON)
    found, seen = every_page_problem(today - timedelta(days=27), today)
    month = Month.of(today).previous
    found += board_report_problems(month)
    assert found == []
    # The demo has enough contacts that the dashboard shows shares, not only "not enough".
    dashboard = seen[f"/metrics/?{sorted(_period(today - timedelta(days=27), today).items())}"]
    assert any(COUNT.search(each.element) for each in percentages(dashboard))


@pytest.mark.django_db
def test_a_week_of_a_few_contacts_says_there_is_not_enough_to_say(week: Hub) -> None:
    found, seen = every_page_problem(WEEK_START, WEEK_END)
    found += board_report_problems(Month.of(WEEK_START))
    assert found == []
    dashboard = seen[f"/metrics/?{sorted(_period(WEEK_START, WEEK_END).items())}"]
    # A handful of decisions: the headline shares say so rather than 0% or 100%.
    tiles = re.search(r'data-testid="tiles">(.*?)<nav', dashboard, re.S)
    assert tiles is not None
    assert "Not enough to say" in tiles.group(1)
    assert f"at least {MIN_SAMPLE} needed" in tiles.group(1)
    assert not PERCENT.search(tiles.group(1).replace("95%", ""))


# --- The checker itself, and the formatting helpers --------------------------------------


def test_the_checker_finds_a_bare_percentage_and_a_share_of_too_few() -> None:
    assert problems("<table><tr><td>45%</td><td>9 of 20</td></tr></table>") == [
        "45% without its count: '45%'"
    ]
    assert problems("<p>Red: <strong>45%</strong> (9 of 20)</p>") == []
    assert problems("<td>50% (2 of 4)</td>") == ["50% of 4 cases: '50% (2 of 4)'"]
    assert problems("<td>not enough to say (2 of 4; at least 10 needed)</td>") == []
    assert problems("<p>95% interval of the change</p>") == []
    assert problems("<style>table { width: 100%; }</style>") == []


def test_a_share_is_written_with_its_count() -> None:
    assert share(9, 20) == "45.0% (9 of 20)"
    assert share(9, 20, interval=True) == "45.0% (9 of 20; 95% interval 25.8% to 65.8%)"
    assert share(1, 1) == "not enough to say (1 of 1)"
    assert share(0, 0) == "\N{EN DASH}"
    assert share(1_200, 1_200) == "100.0% (1,200 of 1,200)"


def test_plurals_agree_with_their_count() -> None:
    assert plural(1, "minute") == "1 minute"
    assert plural(2, "minute") == "2 minutes"
    assert plural(0, "contact") == "0 contacts"
    assert plural(1_200, "day") == "1,200 days"
    assert plural(1, "child", "children") == "1 child"
    assert plural(3, "child", "children") == "3 children"


def test_a_change_agrees_with_the_rounded_figures_beside_it() -> None:
    # 13.55 and 12.54 are shown as 13.6 and 12.5: the change shown is -1.1, not the -1.0
    # that the unrounded figures would give.
    assert change_text(MeasureKind.PER_DAY, 13.55, 12.54) == "\N{MINUS SIGN}1.1 a day"
    assert change_text(MeasureKind.MEDIAN, 13.55, 12.54) == "\N{MINUS SIGN}1.1 hours"
    assert change_text(MeasureKind.SHARE, 0.1355, 0.1254) == ("\N{MINUS SIGN}1.1 percentage points")
    assert change_text(MeasureKind.SHARE, 0.5, 0.5) == "0.0 percentage points"
    assert change_text(MeasureKind.MEDIAN, 2.0, 3.0) == "+1.0 hours"
    assert change_text(MeasureKind.MEDIAN, None, 3.0) == "\N{EN DASH}"


def test_minutes_are_whole_and_counted() -> None:
    assert minutes_text(0.6) == "1 minute"
    assert minutes_text(1.4) == "1 minute"
    assert minutes_text(2.5) == "3 minutes"
    assert hours_text(1 / 60) == "1 minute"
    assert hours_text(0.5) == "30 minutes"


def test_a_proportion_gives_its_parts_for_a_headline() -> None:
    assert Proportion(25, 30).percent_text() == "83.3%"
    assert Proportion(25, 30).interval_text() == "95% interval 66.4% to 92.7%"
    assert Proportion(3, 4).percent_text() == NOT_ENOUGH
    assert Proportion(3, 4).interval_text() == ""
    assert Proportion(3, 4).short_text() == "not enough to say (3 of 4)"
    assert Proportion(0, 0).short_text(none="none") == "none"
    # A share a scenario is calibrated from is shown however few, with its count.
    assert Proportion(1, 5).input_text() == "20.0% (1 of 5)"


def test_a_long_bar_label_is_wrapped_not_cut_short() -> None:
    label = "Information and advice, or signposting to universal services"
    lines = wrapped(label, BAR_LABELS - 8, 14)
    assert len(lines) == 2
    assert " ".join(lines) == label
    chart = Chart(
        key="outcomes",
        kind=ChartKind.BAR,
        title="Outcomes",
        summary="",
        category_heading="Outcome",
        value_heading="Contacts",
        categories=(label, "No further action"),
        ticks=(label, "No further action"),
        series=(ChartSeries("outcomes", "Contacts", "#1d70b8", (12.0, 30.0), ("12", "30")),),
    )
    texts = [shape.text for shape in bar_drawing(chart).shapes if isinstance(shape, Text)]
    assert lines[0] in texts and lines[1] in texts
    assert not any(text.endswith("\N{HORIZONTAL ELLIPSIS}") for text in texts)


def test_the_level_of_need_table_differences_agree_with_its_rounded_days() -> None:
    # 1.005 and 2.004 days are shown as 1.01 and 2.00: a difference of +0.99, not the
    # +1.00 the unrounded figures would give.
    assert _shown_change(1.005, 2.004) == "+0.99"
    assert _shown_change(2.0, 1.5) == "\N{MINUS SIGN}0.50"
    assert _shown_change(None, 1.5) == NO_FIGURE
