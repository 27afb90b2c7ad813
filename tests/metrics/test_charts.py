"""Charts: what each shows and says, drawn as accessible SVG (and PNG) on the server,
downloadable for the same period and filters with small counts withheld."""

import io
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from openmash.metrics.charts import CHARTS, chart_for, chart_png, chart_svg, charts_for
from openmash.metrics.charts.drawing import DASHES, MARKERS, nice_scale
from openmash.metrics.charts.model import (
    COLOURS,
    OTHER_COLOURS,
    backlog_chart,
    contacts_by_source_chart,
    contacts_per_day_chart,
)
from openmash.metrics.figures import Breakdown, CountRow, Series, SeriesPoint
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import indicators_compute
from tests.conftest import signed_in
from tests.metrics.conftest import CHILD_NAMES, Hub
from tests.metrics.test_dashboard_views import THE_WEEK

SVG = "{http://www.w3.org/2000/svg}"


def _days(counts: list[int], start: date = date(2026, 9, 7)) -> Series:
    return Series(
        "day",
        tuple(SeriesPoint(start + timedelta(days=n), count) for n, count in enumerate(counts)),
    )


def _contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(colour), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_it_says_how_contacts_per_day_moved_from_the_first_week_to_the_last() -> None:
    chart = contacts_per_day_chart(_days([18] * 7 + [20] * 7 + [23] * 7))
    assert chart.summary == "Contacts rose from 18 a day in the first week to 23 in the last."
    falling = contacts_per_day_chart(_days([9, 9, 9, 9, 9, 9, 8] + [4] * 7))
    assert falling.summary == "Contacts fell from 8.9 a day in the first week to 4.0 in the last."


def test_it_names_the_busiest_day_of_a_short_period() -> None:
    chart = contacts_per_day_chart(_days([3, 7, 2]))
    assert chart.summary == (
        "12 contacts in 3 days, 4.0 a day on average; the most, 7, on Tue 8 Sep 2026."
    )


def test_it_says_how_the_backlog_moved_and_when_it_was_largest() -> None:
    chart = backlog_chart(_days([12, 30, 20]))
    assert chart.summary == (
        "The backlog rose from 12 open contacts at the end of the first day to 20 at the end "
        "of the period, with the most, 30, on Tue 8 Sep 2026."
    )


def test_it_names_the_largest_sources() -> None:
    figure = Breakdown(
        "Referral source",
        (CountRow("2A", "2A School", 30), CountRow("6", "6 Police", 60), CountRow("9", "9", 10)),
    )
    chart = contacts_by_source_chart(figure)
    assert chart.summary == (
        "Most contacts came from 6 Police: 60.0% (60 of 100), then 2A School: 30.0% (30 of 100)."
    )


def test_it_withholds_small_counts_from_a_chart_that_leaves_the_hub() -> None:
    figure = Breakdown(
        "Referral source",
        (CountRow("6", "6 Police", 60), CountRow("2A", "2A School", 7), CountRow("9", "9", 3)),
    )
    chart = contacts_by_source_chart(figure, suppress=True)
    # 3 is withheld, and 7 too: the total would give it away.
    assert chart.series[0].texts == ("60", "[c]", "[c]")
    assert chart.series[0].values == (60.0, None, None)
    assert "[c]: withheld" in chart.note
    day_chart = contacts_per_day_chart(_days([3, 7, 9, 0]), suppress=True)
    # The days add up to the contacts received, which every breakdown of contacts
    # publishes (19): 7 goes with 3, or 3 would be 19 less the rest.
    assert day_chart.series[0].texts == ("[c]", "[c]", "9", "0")
    assert day_chart.series[0].values == (None, None, 9.0, 0.0)
    assert day_chart.summary == "Some days' counts are withheld; the most, 9, on Wed 9 Sep 2026."
    busiest_withheld = contacts_per_day_chart(_days([3, 7, 0]), suppress=True)
    assert busiest_withheld.series[0].texts == ("[c]", "[c]", "0")
    assert busiest_withheld.summary == (
        "Too few contacts each day to describe without giving a small count away."
    )


def test_it_draws_accessible_svg_with_its_title_description_and_no_style() -> None:
    chart = contacts_per_day_chart(_days([18] * 7 + [23] * 7))
    svg = ET.fromstring(  # noqa: S314
        chart_svg(chart)
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-contacts_per_day-title"
    assert svg.get("aria-describedby") == "chart-contacts_per_day-desc"
    assert svg.findtext(f"{SVG}title") == "Contacts received each day"
    assert svg.findtext(f"{SVG}desc") == chart.summary
    # The Content Security Policy refuses style elements and attributes.
    assert all(element.get("style") is None for element in svg.iter())
    assert not list(svg.iter(f"{SVG}style"))


def test_a_standalone_chart_carries_its_figures_in_words() -> None:
    chart = contacts_per_day_chart(_days([18, 19, 20]))
    svg = ET.fromstring(  # noqa: S314
        chart_svg(chart, standalone=True, caption="Contacts received 7 to 9 September 2026")
    )
    description = svg.findtext(f"{SVG}desc") or ""
    assert description.startswith("Contacts received 7 to 9 September 2026")
    assert "7 Sep 18; 8 Sep 19; 9 Sep 20" in description
    assert (svg.get("width"), svg.get("height")) == ("760", svg.get("height"))


def test_every_colour_stands_out_from_white_and_no_series_relies_on_colour() -> None:
    for colour in [*COLOURS.values(), *OTHER_COLOURS]:
        assert _contrast(colour) >= 3, colour
    assert len(set(MARKERS)) == len(MARKERS) == len(set(DASHES))


@pytest.mark.parametrize(
    ("largest", "whole", "scale"),
    [
        (0, True, (5, 1)),
        (7, True, (8, 2)),
        (23, True, (25, 5)),
        (3.2, False, (4, 1)),
        (130, False, (150, 50)),
    ],
)
def test_it_chooses_a_round_scale(largest: float, whole: bool, scale: tuple[float, float]) -> None:
    assert nice_scale(largest, whole=whole) == pytest.approx(scale)


@pytest.mark.django_db
def test_it_draws_every_chart_of_the_week(week: Hub, the_week: MetricFilter) -> None:
    figures = indicators_compute(the_week, list(CHARTS))
    charts = charts_for(figures)
    assert set(charts) == set(CHARTS)
    turnaround = charts["decision_turnaround_by_week"]
    # Contacts never rated have no decision to time: no line.
    assert [series.label for series in turnaround.series] == ["Red", "Amber", "Green"]
    assert turnaround.summary == (
        "Median turnaround for red contacts was 4.5 hours in the week of 5 Oct; "
        "for amber contacts it was 6.5 hours in the week of 5 Oct; "
        "for green contacts it was 2.0 hours in the week of 5 Oct."
    )
    for chart in charts.values():
        ET.fromstring(  # noqa: S314
            chart_svg(chart)
        )
        image = Image.open(io.BytesIO(chart_png(chart)))
        assert image.format == "PNG" and image.width == 760 * 2


# --- Downloads --------------------------------------------------------------------------


def _download(client: Client, chart: str, file_format: str, **query: str) -> object:
    url = reverse("metrics:chart-download", kwargs={"chart": chart, "file_format": file_format})
    return client.get(url, {**THE_WEEK, **query})


@pytest.mark.django_db
def test_it_downloads_a_chart_as_svg_for_the_filters_chosen(week: Hub) -> None:
    response = _download(signed_in(week.users["manager"]), "outcome_shares", "svg", rag="amber")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"  # type: ignore[index]
    assert response["Content-Disposition"] == (  # type: ignore[index]
        'attachment; filename="outcome-shares-2026-10-05-to-2026-10-11.svg"'
    )
    svg = ET.fromstring(  # noqa: S314
        response.content
    )  # type: ignore[attr-defined]
    description = svg.findtext(f"{SVG}desc") or ""
    assert description.startswith(
        "Contacts received 5 October 2026 to 11 October 2026; RAG rating: Amber"
    )
    # Amber: G (an assessment) and B (early help) decided in the week, one each: withheld.
    assert "[c]" in description
    for _, family in CHILD_NAMES.values():
        assert family not in response.content.decode()  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_it_downloads_a_chart_as_png(week: Hub) -> None:
    response = _download(signed_in(week.users["analyst"]), "backlog", "png")
    assert response["Content-Type"] == "image/png"  # type: ignore[index]
    assert response["Content-Disposition"].endswith('.png"')  # type: ignore[index]
    image = Image.open(io.BytesIO(response.content))  # type: ignore[attr-defined]
    assert image.format == "PNG"


@pytest.mark.django_db
def test_it_answers_a_chart_it_does_not_draw_with_not_found(week: Hub) -> None:
    client = signed_in(week.users["manager"])
    assert _download(client, "re_referrals", "svg").status_code == 404  # type: ignore[attr-defined]
    assert _download(client, "backlog", "gif").status_code == 404  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_it_refuses_a_download_for_a_period_it_cannot_show(week: Hub) -> None:
    client = signed_in(week.users["manager"])
    response = _download(client, "backlog", "svg", end_day="1")
    assert response.status_code == 400  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_page_shows_each_chart_with_its_summary_table_and_downloads(week: Hub) -> None:
    response = signed_in(week.users["manager"]).get(reverse("metrics:dashboard"), THE_WEEK)
    html = response.content.decode()
    page = response.context["page"]
    charted = {
        section.key: section.chart
        for group in page.groups
        for section in group.indicators
        if section.chart
    }
    assert set(charted) == set(CHARTS)
    for key, chart in charted.items():
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
        assert f'id="chart-{key}"' in html
        assert chart.summary in html
        assert chart.table.rows
        assert [download.label for download in chart.downloads] == ["SVG", "PNG"]
        assert "start_day=5" in chart.downloads[0].href
    assert chart_for("backlog", indicators_compute(page.filter, ["backlog"])["backlog"])
