"""The dashboard's tables as CSV and Excel: the page's tables with real numbers, small
numbers withheld in every download."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from openmash.extracts.tables import ColumnKind, table_csv, table_xlsx
from openmash.metrics.exports import indicator_tables
from openmash.metrics.figures import Breakdown, CountRow
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS, indicators_compute
from openmash.metrics.presenters import indicator_section
from openmash.metrics.suppression import SUPPRESSED
from tests.conftest import signed_in
from tests.metrics.conftest import CHILD_NAMES, REFERRERS, Hub
from tests.metrics.test_dashboard_views import THE_WEEK

pytestmark = pytest.mark.django_db


def test_every_table_on_the_page_has_its_download(week: Hub, the_week: MetricFilter) -> None:
    figures = indicators_compute(the_week)
    for key, indicator in INDICATORS.items():
        shown = indicator_section(indicator, figures[key]).tables
        exported = indicator_tables(indicator, figures[key], suppress=False)
        assert len(exported) == len(shown), key
        for page, table in zip(shown, exported, strict=True):
            assert len(table.columns) == len(page.head), key
            assert len(table.rows) == len(page.rows), key
            assert [str(row[0]) for row in table.rows][-1:] == [
                page.rows[-1][0].text
            ] or table.columns[0].kind == ColumnKind.DATE, key


def test_it_exports_exact_numbers_inside_the_hub(week: Hub, the_week: MetricFilter) -> None:
    figures = indicators_compute(the_week, ["decision_turnaround", "contacts_by_source"])
    [turnaround] = indicator_tables(
        INDICATORS["decision_turnaround"], figures["decision_turnaround"], suppress=False
    )
    overall = dict(zip(turnaround.headers, turnaround.rows[-1], strict=True))
    assert overall["Finished"] == 5
    assert overall["Median (hours)"] == 3.0
    assert overall["Median (days)"] == 0.13
    assert overall["Share in time (%)"] == 57.1


def test_it_withholds_small_numbers_in_a_download(week: Hub, the_week: MetricFilter) -> None:
    figures = indicators_compute(the_week, ["contacts_by_source", "decision_turnaround"])
    [sources] = indicator_tables(
        INDICATORS["contacts_by_source"], figures["contacts_by_source"], suppress=True
    )
    # 2A 3, 3A 2, 6 2 and 1A 1: every count withheld, the total (8) shown.
    assert [row[1] for row in sources.rows] == [SUPPRESSED] * 4 + [8]
    assert [row[2] for row in sources.rows][:4] == [SUPPRESSED] * 4
    [turnaround] = indicator_tables(
        INDICATORS["decision_turnaround"], figures["decision_turnaround"], suppress=True
    )
    red = dict(zip(turnaround.headers, turnaround.rows[0], strict=True))
    # One red contact: its time is withheld with its count.
    assert red["Finished"] == SUPPRESSED
    assert red["Median (hours)"] == SUPPRESSED
    overall = dict(zip(turnaround.headers, turnaround.rows[-1], strict=True))
    assert overall["Finished"] == 5 and overall["Median (hours)"] == 3.0


def test_a_count_its_total_would_give_away_is_withheld_with_the_next_smallest() -> None:
    figure = Breakdown(
        "Referral source",
        (
            CountRow("2A", "2A School", 40),
            CountRow("6", "6 Police", 3),
            CountRow("3A", "3A GP", 12),
            CountRow("1A", "1A Family", 0),
            CountRow("8", "8 Other", 25),
        ),
    )

    [table] = indicator_tables(INDICATORS["contacts_by_source"], figure, suppress=True)

    # 3 alone withheld would be the total (80) less the rest: 12 goes too, with its share.
    written = _csv_rows(table_csv(table))
    assert written == [
        ["Referral source", "Contacts", "Share (%)"],
        ["2A School", "40", "50.0"],
        ["6 Police", "[c]", "[c]"],
        ["3A GP", "[c]", "[c]"],
        ["1A Family", "0", "0.0"],
        ["8 Other", "25", "31.3"],
        ["Total", "80", "100.0"],
    ]
    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active
    assert sheet is not None
    assert [cell.value for cell in sheet["B"]] == ["Contacts", 40, "[c]", "[c]", 0, 25, 80]


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _download(client: Client, indicator: str, number: int, export_format: str) -> object:
    url = reverse(
        "metrics:table-download",
        kwargs={"indicator": indicator, "number": number, "export_format": export_format},
    )
    return client.get(url, THE_WEEK)


def test_it_downloads_a_table_as_csv(week: Hub) -> None:
    response = _download(signed_in(week.users["analyst"]), "nfa_by_organisation", 1, "csv")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response["Content-Type"] == "text/csv; charset=utf-8"  # type: ignore[index]
    assert response["Content-Disposition"] == (  # type: ignore[index]
        'attachment; filename="nfa-by-organisation-1-2026-10-05-to-2026-10-11.csv"'
    )
    text = response.content.decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Referring organisation", "No further action", "Decided", "Rate (%)"]
    assert SUPPRESSED in text
    names = [name for name, _, _ in REFERRERS.values()] + [f for _, f in CHILD_NAMES.values()]
    for name in names:
        assert name not in text, name


def test_it_downloads_a_table_as_excel(week: Hub) -> None:
    response = _download(signed_in(week.users["manager"]), "backlog", 1, "xlsx")
    assert response.status_code == 200  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(response.content)).active  # type: ignore[attr-defined]
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == ["At the end of", "Contacts open"]
    assert sheet.max_row == 1 + 7


def test_it_answers_a_table_it_does_not_have_with_not_found(week: Hub) -> None:
    client = signed_in(week.users["manager"])
    assert _download(client, "deadline_breaches", 3, "csv").status_code == 404  # type: ignore[attr-defined]
    assert _download(client, "contacts_received", 1, "csv").status_code == 404  # type: ignore[attr-defined]
    assert _download(client, "no_such_thing", 1, "csv").status_code == 404  # type: ignore[attr-defined]
    assert _download(client, "backlog", 1, "pdf").status_code == 404  # type: ignore[attr-defined]


def test_the_page_offers_each_table_for_download(week: Hub) -> None:
    response = signed_in(week.users["manager"]).get(reverse("metrics:dashboard"), THE_WEEK)
    page = response.context["page"]
    for group in page.groups:
        for section in group.indicators:
            for number, table in enumerate(section.tables, start=1):
                assert [download.label for download in table.downloads] == ["CSV", "Excel"]
                assert f"/metrics/tables/{section.key}/{number}.csv?" in table.downloads[0].href
            if section.key in ("contacts_per_day", "backlog"):
                assert section.chart.table.downloads
    assert "Download this table" in response.content.decode()
