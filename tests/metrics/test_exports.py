"""The dashboard's tables as CSV and Excel: the page's tables with real numbers, small
numbers withheld in every download."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from openmash.extracts.tables import ColumnKind, table_csv, table_xlsx
from openmash.metrics.charts.model import turnaround_by_week_chart
from openmash.metrics.exports import indicator_tables
from openmash.metrics.figures import (
    Amendments,
    Breaches,
    Breakdown,
    CountRow,
    DurationRow,
    DurationSeries,
    DurationTable,
    HandOnWorkload,
    Matrix,
    OpenRow,
    OpenTable,
    RateRow,
    RateTable,
    Series,
    SeriesPoint,
    StepDown,
    WeekDurations,
    Workload,
)
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


# --- Counts that add up to another are withheld together -----------------------------
#
# Each test builds a figure by hand in which one small count could be worked out by
# taking the published others from a published total, and checks every published cell.


def _sent(indicator: str, figure: object) -> list[list[object]]:
    [table] = indicator_tables(INDICATORS[indicator], figure, suppress=True)
    return [list(row) for row in table.rows]


def _figures(indicator: str, figure: object) -> dict[str, object]:
    return {str(label): value for label, value in _sent(indicator, figure)}


def test_a_small_number_not_taken_is_withheld_with_those_taken() -> None:
    # 20 open, 18 taken (10 and 8), 2 not taken: 2 would be 20 less 18.
    figures = _figures("open_per_screener", Workload(held=(10, 8), unassigned=2))

    assert figures == {
        "Open contacts": 20,
        "Taken by a screener": SUPPRESSED,
        "Not taken by anyone": SUPPRESSED,
        "Screeners holding open contacts": 2,
        "Most held by one screener": 10,
        # Either would give the 18 taken back: twice the median, twice the average.
        "Median held per screener": SUPPRESSED,
        "Average held per screener": SUPPRESSED,
    }


def test_a_screener_holding_a_few_is_not_given_away_by_the_most_held() -> None:
    # Two screeners hold 13: the most, 10, would leave 3 for the other.
    figures = _figures("open_per_screener", Workload(held=(10, 3), unassigned=7))

    assert figures["Taken by a screener"] == 13
    assert figures["Not taken by anyone"] == 7
    assert figures["Most held by one screener"] == SUPPRESSED
    assert figures["Median held per screener"] == SUPPRESSED


def test_one_screener_holding_everything_taken_is_withheld_with_it() -> None:
    figures = _figures("open_per_screener", Workload(held=(18,), unassigned=2))

    assert figures["Taken by a screener"] == SUPPRESSED
    assert figures["Most held by one screener"] == SUPPRESSED  # it is the 18 taken


def test_a_workload_with_nothing_small_is_shown_as_it_is() -> None:
    figures = _figures("open_per_screener", Workload(held=(9, 7, 6), unassigned=8))

    assert figures == {
        "Open contacts": 30,
        "Taken by a screener": 22,
        "Not taken by anyone": 8,
        "Screeners holding open contacts": 3,
        "Most held by one screener": 9,
        "Median held per screener": 7.0,
        "Average held per screener": 7.3,
    }


def test_one_hand_on_returned_is_withheld_with_the_next_smallest_answer() -> None:
    figure = StepDown(
        decided=40, stepped_down=20, hand_ons=20, accepted=12, returned=1, pending=7, withdrawn=0
    )

    figures = _figures("step_down_to_early_help", figure)

    # 20 handed on = 12 accepted + 1 returned + 7 waiting + 0 withdrawn.
    assert figures == {
        "Contacts decided": 40,
        "Stepped down to early help": 20,
        "Share stepped down (%)": 50.0,
        "Cases handed to early help": 20,
        "Accepted by early help": 12,
        "Returned to the MASH": SUPPRESSED,
        "Not answered yet": SUPPRESSED,
        "Withdrawn after an amended decision": 0,
    }


def test_a_few_not_stepped_down_withholds_those_stepped_down_and_the_share() -> None:
    # 37 of 40 stepped down: 40 less 37 would say 3 were not.
    figure = StepDown(
        decided=40, stepped_down=37, hand_ons=37, accepted=20, returned=9, pending=8, withdrawn=0
    )

    figures = _figures("step_down_to_early_help", figure)

    assert figures["Contacts decided"] == 40
    assert figures["Stepped down to early help"] == SUPPRESSED
    assert figures["Share stepped down (%)"] == SUPPRESSED
    assert figures["Cases handed to early help"] == 37  # not a split of the decided


def test_a_few_decisions_not_amended_withholds_those_amended() -> None:
    figures = _figures("decisions_amended", Amendments(decided=40, amended=38, amendments=45))

    assert figures == {
        "Contacts decided": 40,
        "Contacts with an amended decision": SUPPRESSED,
        "Share amended (%)": SUPPRESSED,
        "Amendments made": 45,
    }


def _nfa(rows: list[tuple[str, int, int]]) -> RateTable:
    return RateTable(
        "Referral source",
        "No further action",
        "Decided",
        RateRow("", "All sources", sum(row[1] for row in rows), sum(row[2] for row in rows)),
        tuple(RateRow(label, label, nfa, decided) for label, nfa, decided in rows),
    )


def test_a_rate_table_withholds_a_numerator_that_leaves_a_few_of_its_denominator() -> None:
    # School: 10 of 12 decided had no further action, so 2 did not.
    rows = _sent("nfa_by_source", _nfa([("School", 10, 12), ("Police", 12, 20), ("GP", 8, 18)]))

    assert rows == [
        ["School", SUPPRESSED, 12, SUPPRESSED],
        ["Police", 12, 20, 60.0],
        # The next smallest in the column, or School's would be 30 less the others.
        ["GP", SUPPRESSED, 18, SUPPRESSED],
        ["All sources", 30, 50, 60.0],
    ]


def test_a_rate_whose_count_is_withheld_second_is_withheld_too() -> None:
    rows = _sent("nfa_by_source", _nfa([("School", 3, 20), ("Police", 6, 20), ("GP", 9, 20)]))

    assert rows == [
        ["School", SUPPRESSED, 20, SUPPRESSED],
        ["Police", SUPPRESSED, 20, SUPPRESSED],  # 6 is not small, but its rate would give it
        ["GP", 9, 20, 45.0],
        ["All sources", 18, 60, 30.0],
    ]


def test_conversion_withholds_assessments_with_a_few_strategy_discussions() -> None:
    decided = 40
    figure = RateTable(
        "Outcome",
        "Contacts",
        "Decided",
        RateRow("", "Assessment or strategy discussion", 14, decided),
        (
            RateRow("assessment", "Social care assessment", 11, decided),
            RateRow("strategy_discussion", "Strategy discussion", 3, decided),
        ),
        shared_denominator=True,
    )

    assert _sent("conversion_to_social_care", figure) == [
        ["Social care assessment", SUPPRESSED, 40, SUPPRESSED],
        ["Strategy discussion", SUPPRESSED, 40, SUPPRESSED],
        ["Assessment or strategy discussion", 14, 40, 35.0],
    ]
    # Every row is out of the same 40 decided, the overall too (not 80, their sum).
    [exact] = indicator_tables(INDICATORS["conversion_to_social_care"], figure, suppress=False)
    assert [row[2] for row in exact.rows] == [40, 40, 40]


def test_the_two_tables_of_hand_ons_waiting_are_withheld_together() -> None:
    figure = HandOnWorkload(
        by_team=OpenTable(
            "Team",
            (
                OpenRow("early_help", "Early help", 12),
                OpenRow("childrens_social_care", "Children's social care", 3),
            ),
        ),
        early_help_teams=OpenTable(
            "Early help team", (OpenRow("x", "North", 7), OpenRow("y", "South", 5))
        ),
    )

    by_team, by_early_help_team = indicator_tables(
        INDICATORS["open_hand_ons_per_team"], figure, suppress=True
    )

    # Early help's 12 goes with social care's 3 (15 less 12); so one early help team
    # goes too, or the two would add up to the 12.
    assert [list(row) for row in by_team.rows] == [
        ["Early help", SUPPRESSED],
        ["Children's social care", SUPPRESSED],
        ["Total", 15],
    ]
    assert [list(row) for row in by_early_help_team.rows] == [
        ["North", 7],
        ["South", SUPPRESSED],
        ["Total", SUPPRESSED],
    ]


def test_a_few_open_checks_not_yet_overdue_withhold_the_overdue() -> None:
    figure = OpenTable("Agency", (OpenRow("1", "Police", 10, 8), OpenRow("2", "Health", 9, 9)))

    # Police: 10 open, 8 overdue, so 2 not yet overdue. The overdue total goes with
    # Police's (19 open less 17 overdue); Health's 9 of 9 give nothing away.
    assert _sent("open_checks_per_agency", figure) == [
        ["Police", 10, SUPPRESSED],
        ["Health", 9, 9],
        ["Total", 19, SUPPRESSED],
    ]


def _turnaround() -> DurationTable:
    def row(key: str, label: str, within: int, late: int) -> DurationRow:
        return DurationRow(key, label, within + late, 5.0, 9.0, 0, within, late, 0)

    return DurationTable(
        "RAG rating",
        row("", "All", 25, 7),
        (row("red", "Red", 10, 2), row("amber", "Amber", 15, 5)),
    )


def test_the_turnaround_and_the_deadlines_missed_withhold_the_same_counts() -> None:
    times = _turnaround()
    [turnaround] = indicator_tables(INDICATORS["decision_turnaround"], times, suppress=True)
    no_checks = DurationTable("Agency", DurationRow("", "All", 0, None, None, 0, 0, 0, 0, 0), ())
    decisions, _ = indicator_tables(
        INDICATORS["deadline_breaches"], Breaches(times, no_checks), suppress=True
    )

    heads = ("Finished", "In time", "Late", "Open and overdue", "Share in time (%)")
    columns = [turnaround.headers.index(head) for head in heads]
    # Red: 2 late of 12. In time goes with it (12 less 10), then amber's in time (25 less
    # 10) and late (20 less 15). Finished shows: it is in time plus late.
    assert [[row[0], *(row[index] for index in columns)] for row in turnaround.rows] == [
        ["Red", 12, SUPPRESSED, SUPPRESSED, 0, SUPPRESSED],
        ["Amber", 20, SUPPRESSED, SUPPRESSED, 0, SUPPRESSED],
        ["All", 32, 25, 7, 0, 78.1],
    ]
    # Missed is late plus overdue: amber's 5 missed would be its late.
    assert [list(row) for row in decisions.rows] == [
        ["Red", SUPPRESSED, 12, SUPPRESSED],
        ["Amber", SUPPRESSED, 20, SUPPRESSED],
        ["All", 7, 32, 21.9],
    ]


def test_a_day_is_withheld_with_another_since_the_days_add_up_to_the_contacts() -> None:
    start = date(2026, 10, 5)
    figure = Series(
        "day",
        tuple(SeriesPoint(start + timedelta(days=n), c) for n, c in enumerate([3, 7, 9, 0])),
    )

    # 19 contacts received is in every breakdown of them: 3 would be 19 less the rest.
    assert [row[1] for row in _sent("contacts_per_day", figure)] == [
        SUPPRESSED,
        SUPPRESSED,
        9,
        0,
    ]


def test_an_hour_is_withheld_with_another_since_a_weekday_adds_up_to_its_day() -> None:
    counts = [[0] * 24 for _ in range(7)]
    counts[0][9], counts[0][10] = 3, 8  # Monday: 11, as the contacts per day say
    counts[1][9], counts[1][11] = 6, 7
    figure = Matrix(
        "Day of the week",
        "Hour of the day",
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        tuple(f"{hour:02d}:00" for hour in range(24)),
        tuple(tuple(day) for day in counts),
    )

    rows = {row[0]: row[1:3] for row in _sent("arrivals_by_weekday_and_hour", figure)}

    assert rows["09:00"] == [SUPPRESSED, 6]
    assert rows["10:00"] == [SUPPRESSED, 0]
    assert rows["11:00"] == [0, 7]


def test_the_turnaround_week_by_week_and_its_chart_withhold_together() -> None:
    def week(monday: date, rows: list[tuple[str, int, int]]) -> WeekDurations:
        measured = sum(row[1] for row in rows)
        open_ = sum(row[2] for row in rows)
        return WeekDurations(
            monday,
            DurationRow("", "All", measured, 3.0, 5.0, open_),
            tuple(DurationRow(key, key, m, 3.0, 5.0, o) for key, m, o in rows),
        )

    figure = DurationSeries(
        "RAG rating",
        (("red", "Red"), ("amber", "Amber")),
        (
            week(date(2026, 10, 5), [("red", 8, 2), ("amber", 10, 4)]),
            week(date(2026, 10, 12), [("red", 6, 1), ("amber", 9, 2)]),
        ),
    )

    rows = _sent("decision_turnaround_by_week", figure)
    chart = turnaround_by_week_chart(figure, suppress=True)

    # Week 2: 18 received (contacts per week) less 15 decided would give its 3 open
    # away; the 33 decided and 9 open (the turnaround's) tie the weeks together.
    assert [row[1:3] for row in rows] == [[SUPPRESSED, SUPPRESSED], [SUPPRESSED, SUPPRESSED]]
    # Each week's ratings add up to its decided, so one goes in each week: red, in both,
    # so that red's row of the turnaround (14) does not give either back.
    assert chart.head == ("Week starting", "Red", "Red: decided", "Amber", "Amber: decided")
    assert [(row[2], row[4]) for row in chart.rows] == [("[c]", "10"), ("[c]", "9")]
