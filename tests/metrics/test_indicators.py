"""Each indicator, worked out by hand on the week in conftest.py (read its docstring
first: every figure below comes from the timeline there)."""

from dataclasses import replace
from datetime import date

import pytest
from django.utils import timezone

from openmash.accounts.models import Agency
from openmash.area.calendar import LONDON
from openmash.area.models import Outcome, OutcomeKind
from openmash.metrics.figures import DurationRow, DurationTable, RateTable
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS, indicators_compute
from openmash.metrics.indicators.outcomes import (
    conversion_to_social_care,
    outcome_shares,
    step_down_to_early_help,
)
from openmash.metrics.indicators.quality import (
    decisions_amended,
    nfa_by_organisation,
    nfa_by_source,
    re_referrals,
)
from openmash.metrics.indicators.timeliness import (
    check_turnaround,
    decision_turnaround,
    decision_turnaround_by_week,
    hand_on_response,
    time_to_rag_rating,
    time_to_screening,
)
from openmash.metrics.indicators.volume import (
    arrivals_by_weekday_and_hour,
    contacts_by_channel,
    contacts_by_source,
    contacts_per_day,
    contacts_per_week,
    contacts_received_count,
)
from openmash.metrics.indicators.workload import (
    backlog,
    deadline_breaches,
    open_checks_per_agency,
    open_hand_ons_per_team,
    open_per_screener,
)
from tests.metrics.conftest import LATER, WEEK_END, WEEK_START, Hub, at

pytestmark = pytest.mark.django_db


def _row(table: DurationTable, label: str) -> DurationRow:
    return next(row for row in table.rows if row.label == label)


def _figures(row: DurationRow) -> tuple[object, ...]:
    return (
        row.measured,
        row.open,
        pytest.approx(row.median_hours, abs=0.001) if row.median_hours is not None else None,
        pytest.approx(row.p90_hours, abs=0.001) if row.p90_hours is not None else None,
    )


def _approx(
    measured: int, open_: int, median: float | None, p90: float | None
) -> tuple[object, ...]:
    return (measured, open_, median, p90)


def _rates(table: RateTable) -> dict[str, tuple[int, int]]:
    return {row.label: (row.numerator, row.denominator) for row in table.rows}


# --- Volume -------------------------------------------------------------------------


def test_it_counts_the_contacts_received_in_the_period_in_uk_time(
    week: Hub, the_week: MetricFilter
) -> None:
    # H1 (Sun 4 Oct 23:30) and H2 (Mon 12 Oct 00:30, Sunday in UTC) are outside.
    assert contacts_received_count(the_week).value == 8


def test_it_counts_contacts_per_day_including_days_with_none(
    week: Hub, the_week: MetricFilter
) -> None:
    series = contacts_per_day(the_week)
    assert [(point.day.day, point.count) for point in series.points] == [
        (5, 2),
        (6, 2),
        (7, 1),
        (8, 1),
        (9, 1),
        (10, 1),
        (11, 0),
    ]
    assert series.mean == pytest.approx(8 / 7)


def test_it_counts_contacts_per_week_from_monday(week: Hub) -> None:
    # Sunday 4 October to Sunday 11 October: the week before has H1 only.
    f = MetricFilter(start=date(2026, 10, 4), end=WEEK_END, now=LATER)
    series = contacts_per_week(f)
    assert [(point.day, point.count) for point in series.points] == [
        (date(2026, 9, 28), 1),
        (date(2026, 10, 5), 8),
    ]
    # Nine contacts in eight days (the first week has only its Sunday): 7.9 a week, not
    # 4.5 (nine over two weeks, as if the one day were a whole week).
    assert series.mean == pytest.approx(9 * 7 / 8)


def test_a_period_running_on_past_today_counts_only_the_days_so_far(week: Hub) -> None:
    # "Now" is Friday 9 October at noon, in a period that runs to 31 October.
    f = MetricFilter(start=WEEK_START, end=date(2026, 10, 31), now=at(9, 12, 0))
    days = contacts_per_day(f)
    assert [point.day.day for point in days.points] == [5, 6, 7, 8, 9]
    # The contacts received by noon on the Friday: none is still to come.
    assert days.mean == pytest.approx(days.total / 5)
    weeks = contacts_per_week(f)
    assert [point.day for point in weeks.points] == [WEEK_START]
    assert weeks.mean == pytest.approx(weeks.total * 7 / 5)


def test_it_counts_contacts_by_source_and_channel(week: Hub, the_week: MetricFilter) -> None:
    sources = contacts_by_source(the_week)
    assert [(row.key, row.count) for row in sources.rows] == [
        ("1A", 1),
        ("2A", 3),
        ("3A", 2),
        ("6", 2),
    ]
    assert sources.share(sources.rows[1]) == pytest.approx(3 / 8)
    channels = contacts_by_channel(the_week)
    assert {row.key: row.count for row in channels.rows} == {
        "phone": 3,
        "email": 1,
        "portal": 2,
        "police_notification": 2,
    }


def test_it_counts_arrivals_by_uk_weekday_and_hour(week: Hub, the_week: MetricFilter) -> None:
    matrix = arrivals_by_weekday_and_hour(the_week)
    cells = {
        (matrix.row_labels[day], matrix.column_labels[hour]): count
        for day, hours in enumerate(matrix.counts)
        for hour, count in enumerate(hours)
        if count
    }
    # In UK time (BST): A arrived at 09:00, which is 08:00 UTC.
    assert cells == {
        ("Monday", "09:00"): 1,
        ("Monday", "10:00"): 1,
        ("Tuesday", "09:00"): 1,
        ("Tuesday", "14:00"): 1,
        ("Wednesday", "12:00"): 1,
        ("Thursday", "16:00"): 1,
        ("Friday", "09:00"): 1,
        ("Saturday", "20:00"): 1,
    }
    assert matrix.row_totals().total == 8
    assert [row.count for row in matrix.column_totals().rows if row.count] == [3, 1, 1, 1, 1, 1]


# --- Timeliness ---------------------------------------------------------------------


def test_it_times_screening_from_receipt_to_a_screener_taking_the_contact(
    week: Hub, the_week: MetricFilter
) -> None:
    table = time_to_screening(the_week)
    # 10 minutes (I), 15 (B, C), 30 (A, G), 1 hour (D), 27 hours (F); E never taken.
    assert _figures(table.overall) == _approx(7, 1, 0.5, 1 + 0.4 * 26)
    assert _figures(_row(table, "Red")) == _approx(1, 0, 0.5, 0.5)
    assert _figures(_row(table, "Amber")) == _approx(3, 0, 0.5, 0.5 + 0.8 * 0.5)
    assert _figures(_row(table, "Green")) == _approx(3, 0, 0.25, 0.25 + 0.8 * 26.75)
    assert _figures(_row(table, "Not rated")) == _approx(0, 1, None, None)
    assert not table.overall.has_deadline


def test_it_times_the_first_rag_rating_not_the_regrade(week: Hub, the_week: MetricFilter) -> None:
    table = time_to_rag_rating(the_week)
    # B was rated red after 30 minutes and re-graded amber after an hour: 0.5 counts,
    # under amber.
    assert _figures(table.overall) == _approx(7, 1, 1.0, 1.5 + 0.4 * 26)
    assert _figures(_row(table, "Amber")) == _approx(3, 0, 1.0, 1.0 + 0.8 * 0.5)
    assert [row.label for row in table.rows] == ["Red", "Amber", "Green", "Not rated"]


def test_it_times_the_decision_week_by_week(week: Hub) -> None:
    # Sunday 4 to Wednesday 14 October: three weeks, the first and last part weeks.
    f = MetricFilter(start=date(2026, 10, 4), end=date(2026, 10, 14), now=LATER)
    series = decision_turnaround_by_week(f)
    assert [each.week for each in series.weeks] == [
        date(2026, 9, 28),
        date(2026, 10, 5),
        date(2026, 10, 12),
    ]
    first, the_week, last = series.weeks
    # H1 (Sunday 4th) is never decided; H2 (Monday 12th) neither; D (the week) is
    # decided on Tuesday 13th, inside this longer period: 142 hours.
    assert (first.overall.measured, first.overall.open) == (0, 1)
    assert (last.overall.measured, last.overall.open) == (0, 1)
    assert _figures(the_week.overall) == _approx(6, 2, 3.75, 10 + 0.5 * (142 - 10))
    assert [key for key, _ in series.groups] == ["red", "amber", "green", "none"]
    red, amber, green, unrated = (the_week.row(key) for key in ("red", "amber", "green", "none"))
    assert red is not None and _figures(red) == _approx(1, 0, 4.5, 4.5)
    assert amber is not None and _figures(amber) == _approx(3, 0, 10.0, 10 + 0.8 * (142 - 10))
    assert green is not None and _figures(green) == _approx(2, 1, 2.0, 2.0)
    assert unrated is not None and _figures(unrated) == _approx(0, 1, None, None)
    assert first.row("red") is None


def test_it_times_the_decision_against_the_deadline_the_workflow_recorded(
    week: Hub, the_week: MetricFilter
) -> None:
    table = decision_turnaround(the_week)
    overall = table.overall
    # Decided: A 4.5 hours (late), B 10 (in time on amber), C 2, I 2, G 3. Open: D and E
    # past their deadlines, F not yet due. D's decision after the period does not count.
    assert _figures(overall) == _approx(5, 3, 3.0, 4.5 + 0.6 * 5.5)
    assert (overall.within, overall.late, overall.open_overdue) == (4, 1, 2)
    assert overall.share_within == pytest.approx(4 / 7)

    red, amber, green, unrated = (
        _row(table, label) for label in ("Red", "Amber", "Green", "Not rated")
    )
    assert _figures(red) == _approx(1, 0, 4.5, 4.5)
    assert (red.within, red.late, red.share_within) == (0, 1, 0)
    # B re-graded red to amber: amber's deadline (Tue 10:00), so 10 hours is in time.
    assert _figures(amber) == _approx(2, 1, 6.5, 3 + 0.9 * 7)
    assert (amber.within, amber.late, amber.open_overdue) == (2, 0, 1)
    assert _figures(green) == _approx(2, 1, 2.0, 2.0)
    assert (green.within, green.open_overdue, green.share_within) == (2, 0, 1)
    # E was never rated: its provisional deadline (amber, Fri 16:00) has passed.
    assert (unrated.open, unrated.open_overdue, unrated.share_within) == (1, 1, 0)


def test_it_times_each_agencys_checks(
    week: Hub, the_week: MetricFilter, agencies: dict[str, Agency]
) -> None:
    table = check_turnaround(the_week)
    # Police 1 hour in time (A), one open and overdue (D, waived only after the period);
    # health 3 hours, late; education waived.
    assert _figures(table.overall) == _approx(2, 1, 2.0, 1 + 0.9 * 2)
    assert (table.overall.within, table.overall.late, table.overall.open_overdue) == (1, 1, 1)
    assert table.overall.waived == 1
    assert [row.label for row in table.rows] == ["Education Safeguarding", "Health", "Police"]
    police, health = _row(table, "Police"), _row(table, "Health")
    assert _figures(police) == _approx(1, 1, 1.0, 1.0)
    assert (police.within, police.open_overdue, police.share_within) == (1, 1, 0.5)
    assert (health.late, health.share_within) == (1, 0)
    education = _row(table, "Education Safeguarding")
    assert (education.measured, education.open, education.waived) == (0, 0, 1)
    assert education.share_within is None


def test_it_times_the_teams_answers_to_hand_ons(week: Hub, the_week: MetricFilter) -> None:
    table = hand_on_response(the_week)
    # Social care accepted A in 2 hours; early help accepted B in 14 and returned I in
    # 18; G's early help hand-on was withdrawn, its social care one is unanswered.
    assert _figures(table.overall) == _approx(3, 1, 14.0, 14 + 0.8 * 4)
    assert _figures(_row(table, "Early help")) == _approx(2, 0, 16.0, 14 + 0.9 * 4)
    assert _figures(_row(table, "Children's social care")) == _approx(1, 1, 2.0, 2.0)


# --- Outcomes -----------------------------------------------------------------------


def test_it_shares_out_the_outcomes_in_force_after_amendments(
    week: Hub, the_week: MetricFilter
) -> None:
    shares = outcome_shares(the_week)
    # I (early help, amended to no further action) and G (early help, amended to an
    # assessment) count as amended. D was decided only after the period.
    assert {row.key: row.count for row in shares.rows} == {
        "nfa": 2,
        "early_help": 1,
        "assessment_s17": 1,
        "strategy_s47": 1,
    }
    assert shares.total == 5


def test_it_counts_conversions_to_social_care(week: Hub, the_week: MetricFilter) -> None:
    table = conversion_to_social_care(the_week)
    assert (table.overall.numerator, table.overall.denominator) == (2, 5)
    assert _rates(table) == {
        "Social care assessment": (1, 5),
        "Strategy discussion": (1, 5),
    }


def test_it_counts_outcomes_by_kind_whatever_the_area_calls_them(
    week: Hub, the_week: MetricFilter
) -> None:
    # The area renames its no further action outcome, and says its section 17
    # assessment is of no kind the figures count.
    Outcome.objects.filter(code="nfa").update(code="closed_no_action", label="Closed")
    Outcome.objects.filter(code="assessment_s17").update(kind=OutcomeKind.OTHER)

    nfa = nfa_by_source(the_week)
    conversion = conversion_to_social_care(the_week)

    assert (nfa.overall.numerator, nfa.overall.denominator) == (2, 5)
    assert (conversion.overall.numerator, conversion.overall.denominator) == (1, 5)
    assert _rates(conversion)["Social care assessment"] == (0, 5)


def test_it_counts_step_downs_and_what_early_help_did(week: Hub, the_week: MetricFilter) -> None:
    figures = step_down_to_early_help(the_week)
    assert (figures.decided, figures.stepped_down) == (5, 1)
    assert (figures.hand_ons, figures.accepted, figures.returned, figures.pending) == (3, 1, 1, 0)
    assert figures.withdrawn == 1


# --- Quality ------------------------------------------------------------------------


def test_it_works_out_no_further_action_by_source(week: Hub, the_week: MetricFilter) -> None:
    table = nfa_by_source(the_week)
    assert (table.overall.numerator, table.overall.denominator) == (2, 5)
    assert [(row.key, row.numerator, row.denominator) for row in table.rows] == [
        ("2A", 1, 3),
        ("3A", 1, 1),
        ("6", 0, 1),
    ]


def test_it_works_out_no_further_action_by_organisation_ignoring_case(
    week: Hub, the_week: MetricFilter
) -> None:
    table = nfa_by_organisation(the_week)
    assert [(row.label, row.numerator, row.denominator) for row in table.rows] == [
        ("Riverside Primary School", 1, 3),
        ("Demo County Police", 0, 1),
        ("Eastbridge Surgery", 1, 1),
    ]


def test_it_counts_amended_decisions(week: Hub, the_week: MetricFilter) -> None:
    figures = decisions_amended(the_week)
    assert (figures.decided, figures.amended, figures.amendments) == (5, 2, 2)


def test_it_finds_no_re_referrals_among_different_children(
    week: Hub, the_week: MetricFilter
) -> None:
    figures = re_referrals(the_week)
    assert (figures.numerator, figures.denominator) == (0, 8)


# --- Workload -----------------------------------------------------------------------


def test_it_counts_open_contacts_per_screener_without_saying_who(
    week: Hub, the_week: MetricFilter
) -> None:
    figures = open_per_screener(the_week)
    # D and F with the screener, H1 with the second screener, E with nobody.
    assert (figures.held, figures.unassigned, figures.total) == ((2, 1), 1, 4)


def test_it_counts_open_checks_per_agency(week: Hub, the_week: MetricFilter) -> None:
    table = open_checks_per_agency(the_week)
    assert [(row.label, row.open, row.overdue) for row in table.rows] == [("Police", 1, 1)]


def test_it_counts_hand_ons_waiting_per_team(week: Hub, the_week: MetricFilter) -> None:
    figures = open_hand_ons_per_team(the_week)
    assert [(row.label, row.open) for row in figures.by_team.rows] == [
        ("Children's social care", 1)
    ]
    assert figures.early_help_teams.rows == ()


def test_it_counts_the_backlog_at_the_end_of_each_day(week: Hub, the_week: MetricFilter) -> None:
    series = backlog(the_week)
    # Mon: H1. Tue: H1. Wed: H1, D and I (returned by early help, decided again Thu).
    # Thu: H1, D, E. Fri: the same (G decided the day it came). Sat and Sun: with F.
    assert [point.count for point in series.points] == [1, 1, 3, 3, 3, 4, 4]
    assert series.points[-1].count == open_per_screener(the_week).total


def test_it_counts_deadlines_missed(week: Hub, the_week: MetricFilter) -> None:
    figures = deadline_breaches(the_week)
    assert (figures.decisions.overall.numerator, figures.decisions.overall.denominator) == (3, 7)
    assert _rates(figures.decisions)["Red"] == (1, 1)
    assert _rates(figures.checks) == {
        "Education Safeguarding": (0, 0),
        "Health": (1, 1),
        "Police": (1, 2),
    }


# --- The period and the filters -----------------------------------------------------


def test_a_period_still_running_follows_contacts_up_to_now(week: Hub) -> None:
    # Figures worked out on Wednesday 7 October at 11:00, for the week so far: I has
    # been returned (at 10:00) and is open again; nothing after 11:00 has happened.
    f = MetricFilter(start=WEEK_START, end=WEEK_END, now=at(7, 11))
    assert contacts_received_count(f).value == 4
    table = decision_turnaround(f)
    # A, B, C and I were all first decided by then.
    assert (table.overall.measured, table.overall.open) == (4, 0)
    assert open_per_screener(f).total == 2  # H1 and I
    assert [point.count for point in backlog(f).points] == [1, 1, 2]


def test_it_filters_by_rag_rating_in_force_at_the_end(week: Hub, the_week: MetricFilter) -> None:
    amber = replace(the_week, rag="amber")
    assert contacts_received_count(amber).value == 3  # B (re-graded), D, G
    assert [row.label for row in decision_turnaround(amber).rows] == ["Amber"]


def test_it_filters_by_referral_source(week: Hub, the_week: MetricFilter) -> None:
    schools = replace(the_week, source="2A")
    assert contacts_received_count(schools).value == 3
    assert (
        nfa_by_source(schools).overall.numerator,
        nfa_by_source(schools).overall.denominator,
    ) == (
        1,
        3,
    )


def test_it_filters_by_the_agency_asked_to_check(
    week: Hub, the_week: MetricFilter, agencies: dict[str, Agency]
) -> None:
    police = replace(the_week, agency_id=agencies["police"].pk)
    assert contacts_received_count(police).value == 2  # A and D
    table = check_turnaround(police)
    assert [row.label for row in table.rows] == ["Police"]
    assert (table.overall.measured, table.overall.open) == (1, 1)


def test_it_filters_by_the_team_handed_on_to(week: Hub, the_week: MetricFilter) -> None:
    early_help = replace(the_week, team="early_help")
    assert contacts_received_count(early_help).value == 3  # B, I and G
    assert [row.label for row in hand_on_response(early_help).rows] == ["Early help"]


def test_every_indicator_is_defined_once_with_a_definition(
    week: Hub, the_week: MetricFilter
) -> None:
    figures = indicators_compute(the_week)
    assert set(figures) == set(INDICATORS)
    for key, indicator in INDICATORS.items():
        assert indicator.title and len(indicator.definition) > 80, key
        assert "  " not in indicator.definition, key


# --- Figures as things stand (ADR 0036) ------------------------------------------------


def test_only_a_period_to_today_from_the_clock_is_as_things_stand() -> None:
    now = timezone.now()
    today = timezone.localdate(now, LONDON)

    assert MetricFilter(start=WEEK_START, end=today).settled
    assert MetricFilter(start=WEEK_START, end=today, now=now, clock=True).settled
    # A time given (a test's, a report's) is compared with every change.
    assert not MetricFilter(start=WEEK_START, end=today, now=now).settled
    # A period that has ended describes its last moment, not now.
    assert not MetricFilter(start=WEEK_START, end=WEEK_END).settled
    assert not MetricFilter(start=WEEK_START, end=WEEK_END, now=now, clock=True).settled


def test_figures_as_things_stand_are_those_worked_out_change_by_change(week: Hub) -> None:
    """The week's contacts (re-graded, decided, amended, checked, handed on and returned)
    to today: read from the facts as they are, and compared change by change with a time
    given, every indicator agrees."""
    today = timezone.localdate(timezone.now(), LONDON)
    as_they_stand = MetricFilter(start=WEEK_START, end=today)
    given = replace(as_they_stand, now=timezone.now())
    assert as_they_stand.settled and not given.settled

    assert indicators_compute(as_they_stand) == indicators_compute(given)
