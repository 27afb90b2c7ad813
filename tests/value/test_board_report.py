"""The monthly board report: October 2026 beside October 2025.

On top of October 2026 in conftest.py: ten more contacts that month closed at screening,
seven with no further action and three with information and advice, so 13 contacts
received in October were decided (A strategy discussion, B assessment, C and the seven
no further action, the three information and advice): no further action 8 of 13.
October 2025: eight contacts, six closed with no further action (6 of 6).
"""

from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from openmash.area.calendar import LONDON
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.metrics.evaluation import MEASURES, Comparison, PeriodFigure, newcombe_difference
from openmash.metrics.numbers import MINUS, NO_FIGURE, rounded
from openmash.metrics.suppression import SUPPRESSED
from openmash.value.board_report import (
    BoardReport,
    Month,
    MonthNotOver,
    board_report_build,
    compared_headline,
    last_complete_month,
)
from openmash.value.services import board_report_create, board_report_html
from tests.value.conftest import CHILD_NAMES, LATER, Hub, at

pytestmark = pytest.mark.django_db
OCTOBER = Month(2026, 10)


def closed(hub: Hub, name: str, when: datetime, outcome: str = "nfa") -> None:
    from openmash.enquiries.services.decisions import closure_agree
    from openmash.enquiries.services.screening import closure_propose

    hub.take(name, when.replace(minute=10))
    hub.rate(name, "green", when.replace(minute=20))
    proposal = closure_propose(
        actor=hub.as_("screener"),
        contact_id=hub.pk(name),
        outcome=outcome,
        rationale="Universal services are enough.",
        now=when.replace(minute=30),
    )
    closure_agree(
        actor=hub.as_("manager"),
        proposal_id=proposal.pk,
        level_of_need=1,
        primary_need="N9",
        now=when.replace(minute=40),
    )


@pytest.fixture
def two_octobers(october: Hub) -> Hub:
    for number in range(10):
        name = f"oct26-{number}"
        october.receive(name, at(12 + number, 9), number=number + 7)
        closed(october, name, at(12 + number, 9), "nfa" if number < 7 else "information_advice")
    for number in range(8):
        name = f"oct25-{number}"
        october.receive(name, at(3 + number, 9, year=2025), number=number + 17)
        if number < 6:
            closed(october, name, at(3 + number, 9, year=2025))
    return october


@pytest.fixture
def report(two_octobers: Hub) -> BoardReport:
    return board_report_build(OCTOBER, now=LATER)


def headline(report: BoardReport, key: str) -> tuple[str, str, str, str]:
    row = next(each for each in report.headlines if each.key == key)
    return row.now, row.before, row.change, row.interval


def beyond_chance(report: BoardReport, key: str) -> str:
    return next(each.beyond_chance for each in report.headlines if each.key == key)


def test_a_month_is_written_as_the_command_takes_it() -> None:
    assert Month.parse("2026-10") == OCTOBER
    assert (OCTOBER.start.isoformat(), OCTOBER.end.isoformat()) == ("2026-10-01", "2026-10-31")
    assert OCTOBER.last_year == Month(2025, 10)
    assert Month(2026, 1).previous == Month(2025, 12)
    assert Month(2026, 12).following == Month(2027, 1)
    assert Month.parse("2028-02").end.day == 29
    assert OCTOBER.label == "October 2026"
    for text in ("2026-13", "26-10", "October", "2026-1-1", ""):
        with pytest.raises(ValueError):
            Month.parse(text)


def test_it_covers_whole_months_only(db: None) -> None:
    with pytest.raises(MonthNotOver):
        board_report_build(Month(2026, 11), now=LATER)
    assert last_complete_month(LATER) == OCTOBER


def test_it_holds_the_months_figures_and_last_years(report: BoardReport) -> None:
    # 5 contacts in conftest.py (D came in September) and 10 more; 8 last year.
    assert headline(report, "contacts_received") == (
        "15",
        "8",
        "+7 (+87.5% of 8)",
        "not worked out",
    )
    assert report.last_year == Month(2025, 10)
    assert report.notes == []


def test_it_compares_a_share_with_newcombes_interval(report: BoardReport) -> None:
    # openmash.metrics' before and after, last year being before.
    low, high = newcombe_difference(6, 6, 8, 13)
    assert (round(100 * low, 1), round(100 * high, 1)) == (-64.5, 5.7)
    now, before, change, interval = headline(report, "nfa")
    # 6 decided last year: too few for a share (issue 16), so no change is worked out.
    assert (now, before) == ("61.5% (8 of 13)", "not enough to say (6 of 6)")
    assert (change, interval) == ("not enough to say", "not enough to say")
    assert beyond_chance(report, "nfa") == NO_FIGURE


def test_it_compares_a_share_with_newcombes_interval_where_there_are_enough() -> None:
    # The same comparison as the board report draws, with enough in both periods.
    low, high = newcombe_difference(12, 20, 8, 13)
    comparison = Comparison(
        MEASURES["no_further_action"],
        "",
        PeriodFigure(date(2025, 10, 1), date(2025, 10, 31), 0.6, 20, 12),
        PeriodFigure(date(2026, 10, 1), date(2026, 10, 31), 8 / 13, 13, 8),
        8 / 13 - 0.6,
        low,
        high,
        "",
        "",
    )
    now, before, change, interval, verdict = (
        getattr(compared_headline("nfa", "NFA", comparison, (13, 20)), name)
        for name in ("now", "before", "change", "interval", "beyond_chance")
    )
    assert (now, before) == ("61.5% (8 of 13)", "60.0% (12 of 20)")
    # The change agrees with the figures shown: 61.5 less 60.0.
    assert change == "+1.5 percentage points"
    assert interval == (
        f"{rounded(100 * low, 1).replace('-', MINUS)} to +{rounded(100 * high, 1)} "
        "percentage points"
    )
    assert verdict == "No"


def test_it_compares_contacts_a_day_with_a_bootstrap_of_the_days(report: BoardReport) -> None:
    now, before, change, interval = headline(report, "contacts_per_day")
    # 15 contacts over 31 days, and 8.
    assert (now, before, change) == ("0.5 a day", "0.3 a day", "+0.2 a day")
    assert interval.endswith(" a day") and " to " in interval


def test_it_withholds_figures_from_fewer_than_five_children(report: BoardReport) -> None:
    # The median time for an agency check rests on the 2 checks answered on contacts
    # received in October (A's); a median of so few is withheld with its change.
    assert headline(report, "check_turnaround")[0] == SUPPRESSED
    assert headline(report, "check_turnaround")[2:] == (SUPPRESSED, SUPPRESSED)
    assert beyond_chance(report, "check_turnaround") == SUPPRESSED
    rows = {row[0].text: [cell.text for cell in row[1:]] for row in report.outcome_table.rows}
    assert rows["No further action"][:2] == ["8", "61.5% (8 of 13)"]
    assert rows["Strategy discussion and section 47 enquiry"][:2] == [SUPPRESSED, SUPPRESSED]
    assert rows["No further action"][2:] == ["6", "not enough to say (6 of 6)"]
    # The agencies' hours and costs would give away their 1 to 4 checks.
    agencies = next(table for table in report.value_tables if table.caption.startswith("Each"))
    by_agency = {row[0].text: [cell.text for cell in row[1:]] for row in agencies.rows}
    assert set(by_agency["Health"]) == {SUPPRESSED}
    assert set(by_agency["Police"]) == {SUPPRESSED}


def test_it_does_not_compare_with_a_year_with_no_records(october: Hub) -> None:
    report = board_report_build(OCTOBER, now=LATER)
    assert report.notes == [
        "No contacts were recorded in October 2025: OpenMASH may not have been in use "
        "then, so this month is not compared with it."
    ]
    now, before, change, interval = headline(report, "contacts_per_day")
    assert (now, before, change, interval) == ("0.2 a day", "0.0 a day", NO_FIGURE, NO_FIGURE)
    # Nor are the counts (a change from none, e.g. +5, would contradict the note).
    assert headline(report, "contacts_received")[1:3] == ("0", NO_FIGURE)
    assert headline(report, "open_at_end")[2] == NO_FIGURE


def test_it_names_nobody(report: BoardReport) -> None:
    html = board_report_html(report)
    for given, family in CHILD_NAMES.values():
        assert given not in html and family not in html
    for text in ("Jo Bennett", "MASH-", "Karen", "Tester"):
        assert text not in html


def test_the_html_it_prints_has_the_figures_and_charts(report: BoardReport) -> None:
    html = board_report_html(report)
    assert '<tr data-key="contacts_received">' in html
    assert html.count("<svg") == 5
    assert "Cost per contact" in html and "Hourly staff costs" in html
    assert "Newcombe" in html and "bootstrap" in html
    assert "Unlikely to be chance?" in html


def test_the_pdf_is_made_and_recorded(two_octobers: Hub) -> None:
    manager = two_octobers.users["manager"]
    made = board_report_create(actor=Actor(user=manager), month=OCTOBER, now=LATER)
    assert made.pdf.startswith(b"%PDF-")
    assert made.pages >= 4
    assert made.filename == "mash-board-report-2026-10.pdf"
    event = AuditEvent.objects.get(object_type="board_report")
    assert (event.action, event.object_id, event.actor_user) == ("create", "2026-10", manager)
    assert event.detail["month"] == "2026-10"
    assert event.detail["pages"] == made.pages


def test_a_screener_cannot_make_one(hub: Hub) -> None:
    with pytest.raises(PermissionDenied):
        board_report_create(actor=Actor(user=hub.users["screener"]), month=OCTOBER, now=LATER)
    assert not AuditEvent.objects.filter(object_type="board_report").exists()


def test_the_command_writes_the_file(two_octobers: Hub, tmp_path: Path) -> None:
    output = tmp_path / "board.pdf"
    call_command("board_report", month="2026-10", output=str(output))
    assert output.read_bytes().startswith(b"%PDF-")
    event = AuditEvent.objects.get(object_type="board_report")
    assert event.detail["system"] == "board_report command"
    assert event.object_id == "2026-10"


def test_the_command_can_act_as_a_named_person(two_octobers: Hub, tmp_path: Path) -> None:
    output = tmp_path / "board.pdf"
    call_command("board_report", month="2026-10", output=str(output), user="analyst")
    event = AuditEvent.objects.get(object_type="board_report")
    assert event.actor_user == two_octobers.users["analyst"]


def test_the_command_refuses_what_it_cannot_do(hub: Hub, tmp_path: Path) -> None:
    output = tmp_path / "board.pdf"
    with pytest.raises(CommandError, match="not over"):
        call_command("board_report", month="2999-01", output=str(output))
    with pytest.raises(CommandError, match="like 2026-10"):
        call_command("board_report", month="October", output=str(output))
    with pytest.raises(CommandError, match="may not"):
        call_command("board_report", month="2026-10", output=str(output), user="screener")
    assert not output.exists()


def test_a_report_made_twice_says_the_same(two_octobers: Hub) -> None:
    first = board_report_build(OCTOBER, now=LATER)
    second = board_report_build(OCTOBER, now=LATER)
    assert first.headlines == second.headlines


def test_produced_text_is_in_uk_time(report: BoardReport) -> None:
    assert report.produced_text == "20 November 2026 at 12:00"
    assert report.produced_at.tzinfo is not None
    assert report.produced_at == datetime(2026, 11, 20, 12, tzinfo=LONDON)
