"""Performance in the browser (issue 5): a MASH manager looks at the indicators for a
period, reads a chart through its summary and table, downloads it, and compares
turnaround before and after a change; an analyst sees the same figures and no one's
name. Every page visited is checked with axe (WCAG 2.2 AA).

Twelve amber contacts made through the services: six in a fortnight five to six weeks
ago, decided 20 to 30 hours after they arrived; six in a fortnight two to three weeks
ago, decided 5 to 15 hours after.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.area.calendar import LONDON
from tests.conftest import PASSWORD
from tests.metrics.conftest import CHILD_NAMES, EARLY_HELP, NFA, REFERRERS, Hub, hub  # noqa: F401
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fortnights() -> tuple[tuple[date, date], tuple[date, date]]:
    today = timezone.localdate(timezone.now(), LONDON)
    before_start = today - timedelta(days=41)
    after_start = today - timedelta(days=27)
    return (
        (before_start, before_start + timedelta(days=13)),
        (after_start, after_start + timedelta(days=13)),
    )


@pytest.fixture
def decided(hub: Hub) -> Hub:  # noqa: F811
    (before, _), (after, _) = _fortnights()
    for index in range(12):
        later = index >= 6
        day = (after if later else before) + timedelta(days=index % 6)
        received = datetime(day.year, day.month, day.day, 9, tzinfo=LONDON)
        name = ("A", "B", "C", "D", "E", "F", "G", "I", "H1", "H2", "P1", "P2")[index]
        hub.receive(name, received, "2A" if index % 2 else "6")
        hub.take(name, received + timedelta(minutes=5))
        hub.rate(name, "amber", received + timedelta(minutes=10))
        hub.enquire(name, [], received + timedelta(minutes=10))
        took = (5 if later else 20) + 2 * (index % 6)
        hub.decide(name, EARLY_HELP if index % 3 == 0 else NFA, received + timedelta(hours=took))
    return hub


def _fill_date(page: Page, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _names() -> list[str]:
    children = [f"{given} {family}" for given, family in CHILD_NAMES.values()]
    return children + [name for name, _, _ in REFERRERS.values()] + ["Child P1", "Child P2"]


def test_a_manager_reads_a_chart_downloads_it_and_compares_before_and_after(
    decided: Hub, new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    (before_start, before_end), (after_start, after_end) = _fortnights()
    page = new_page(accept_downloads=True)

    # Given a MASH manager signed in
    sign_in(page, live_server, "manager", PASSWORD)

    # When she opens Performance and asks for the six weeks of both fortnights
    go_to_page(page, "Performance")
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicators")
    expect_no_axe_violations(page)
    page.get_by_text("Change the period or filter the figures").click()
    _fill_date(page, "From", before_start)
    _fill_date(page, "To", after_end)
    page.get_by_role("button", name="Show the figures").click()

    # Then the period is the one she chose, and a chart shows with its summary and table
    expect(page.locator("#period")).to_contain_text(f"{before_start.day} {before_start:%B %Y}")
    expect(page.locator("#tile-contacts_received")).to_contain_text("12")
    chart = page.locator("#chart-block-decision_turnaround_by_week")
    expect(chart.get_by_role("img", name="Median hours from contact to decision")).to_be_visible()
    expect(chart.get_by_test_id("chart-summary")).to_contain_text(
        "Median turnaround for amber contacts fell from"
    )
    chart.get_by_text("The chart's figures as a table").click()
    expect(chart.get_by_role("table")).to_be_visible()
    expect(chart.get_by_role("columnheader", name="Amber: decided")).to_be_visible()
    expect_no_axe_violations(page)

    # When she downloads the chart as SVG
    with page.expect_download() as download_info:
        chart.get_by_role("link", name="SVG of median hours from contact to decision").click()
    download = download_info.value

    # Then it is the chart for her period, with its title and description
    assert download.suggested_filename == (
        f"decision-turnaround-by-week-{before_start:%Y-%m-%d}-to-{after_end:%Y-%m-%d}.svg"
    )
    svg = open(download.path(), encoding="utf-8").read()  # noqa: SIM115
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert f"Contacts received {before_start.day} {before_start:%B %Y}" in svg

    # When she compares median turnaround before and after, first with the after
    # period starting too early
    page.get_by_role("link", name="Compare an indicator before and after a change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Before and after")
    expect_no_axe_violations(page)
    page.get_by_label("Indicator").select_option("decision_median")
    _fill_date(page, "Before: from", before_start)
    _fill_date(page, "Before: to", before_end)
    _fill_date(page, "After: from", before_end)
    _fill_date(page, "After: to", after_end)
    page.get_by_role("button", name="Compare").click()

    # Then she is told what is wrong, beside the field, with what she typed kept
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The after period must start after the before period ends")
    expect_no_axe_violations(page)
    summary.get_by_role("link").click()
    expect(page.get_by_role("group", name="After: from").get_by_label("Day")).to_be_focused()
    expect(page.get_by_role("group", name="After: to").get_by_label("Day")).to_have_value(
        str(after_end.day)
    )

    # When she corrects it
    _fill_date(page, "After: from", after_start)
    page.get_by_role("button", name="Compare").click()

    # Then she sees both values, the difference and the sentence
    sentence = page.get_by_test_id("sentence")
    expect(sentence).to_contain_text(
        "Median turnaround for contacts fell from 25.0 hours to 10.0 hours "
        "(difference \N{MINUS SIGN}15.0 hours, 95% CI"
    )
    expect(sentence).to_contain_text("the change is unlikely to be chance")
    expect(page.get_by_role("table")).to_contain_text("6 timed")
    expect_no_axe_violations(page)

    # And the London evaluation's table for the same periods
    page.get_by_role("link", name="Turnaround by initial level of need, before and after").click()
    _fill_date(page, "Before: from", before_start)
    _fill_date(page, "Before: to", before_end)
    _fill_date(page, "After: from", after_start)
    _fill_date(page, "After: to", after_end)
    page.get_by_role("button", name="Show the table").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name="Additional needs (early help)")).to_be_visible()
    expect(table.get_by_role("row", name="All levels")).to_contain_text("6")
    expect_no_axe_violations(page)


def test_an_analyst_sees_the_figures_and_no_names(
    decided: Hub, new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    (before_start, _), (_, after_end) = _fortnights()
    page = new_page()
    sign_in(page, live_server, "analyst", PASSWORD)

    go_to_page(page, "Performance")
    page.get_by_text("Change the period or filter the figures").click()
    _fill_date(page, "From", before_start)
    _fill_date(page, "To", after_end)
    page.get_by_role("button", name="Show the figures").click()

    expect(page.locator("#tile-contacts_received")).to_contain_text("12")
    expect(page.get_by_test_id("chart").first).to_be_visible()
    expect_no_axe_violations(page)
    text = page.locator("main").inner_text()
    staff = [user.display_name for name, user in decided.users.items() if name != "analyst"]
    for name in _names() + staff:
        assert name not in text, name
