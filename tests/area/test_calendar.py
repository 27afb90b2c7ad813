"""Deadline arithmetic: clock hours are elapsed time, working hours are the hub's opening
hours in London, skipping weekends and bank holidays."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.area.calendar import LONDON, CalendarHasNoWorkingTime, WorkingCalendar
from openmash.area.models import TimeCounting

CLOCK = TimeCounting.CLOCK_HOURS
WORKING = TimeCounting.WORKING_HOURS
# England and Wales, as GOV.UK publishes them.
CHRISTMAS_2027 = frozenset({date(2027, 12, 27), date(2027, 12, 28), date(2028, 1, 3)})

HUB = WorkingCalendar(
    opens=time(9, 0),
    closes=time(17, 0),
    weekdays=frozenset(range(5)),
    bank_holidays=CHRISTMAS_2027,
)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- Working hours -------------------------------------------------------------------


def test_it_counts_working_hours_across_a_weekend() -> None:
    friday_4pm = london(2026, 3, 13, 16, 0)
    assert HUB.add(friday_4pm, 4, WORKING) == london(2026, 3, 16, 12, 0)


def test_it_skips_bank_holidays() -> None:
    # 25 and 26 December 2027 fall on a weekend, so the 27th and 28th are substitute days.
    christmas_eve = london(2027, 12, 24, 15, 0)
    assert HUB.add(christmas_eve, 8, WORKING) == london(2027, 12, 29, 15, 0)


def test_it_starts_counting_when_the_hub_opens() -> None:
    before_opening = london(2026, 3, 10, 7, 30)
    assert HUB.add(before_opening, 2, WORKING) == london(2026, 3, 10, 11, 0)
    after_closing = london(2026, 3, 10, 19, 0)
    assert HUB.add(after_closing, 2, WORKING) == london(2026, 3, 11, 11, 0)


def test_it_starts_counting_on_the_next_working_day_from_a_closed_day() -> None:
    saturday = london(2026, 3, 14, 11, 0)
    assert HUB.add(saturday, 3, WORKING) == london(2026, 3, 16, 12, 0)
    boxing_day_substitute = london(2027, 12, 28, 10, 0)
    assert HUB.add(boxing_day_substitute, 1, WORKING) == london(2027, 12, 29, 10, 0)


def test_it_ends_at_closing_time_when_the_hours_run_out_exactly() -> None:
    friday_3pm = london(2026, 3, 13, 15, 0)
    assert HUB.add(friday_3pm, 2, WORKING) == london(2026, 3, 13, 17, 0)


def test_it_counts_from_the_next_morning_when_received_at_closing_time() -> None:
    friday_5pm = london(2026, 3, 13, 17, 0)
    assert HUB.add(friday_5pm, 1, WORKING) == london(2026, 3, 16, 10, 0)
    assert HUB.elapsed(friday_5pm, london(2026, 3, 16, 9, 0), WORKING) == timedelta(0)


def test_zero_hours_is_the_start_itself() -> None:
    for start in (london(2026, 3, 13, 17, 0), london(2026, 3, 14, 11, 0), utc(2026, 3, 10, 10)):
        assert HUB.add(start, 0, WORKING) == start
        assert HUB.add(start, 0, CLOCK) == start


def test_it_refuses_negative_hours_and_naive_times() -> None:
    with pytest.raises(ValueError):
        HUB.add(london(2026, 3, 10, 10, 0), -1, WORKING)
    with pytest.raises(ValueError):
        HUB.add(datetime(2026, 3, 10, 10, 0), 1, CLOCK)
    with pytest.raises(ValueError):
        HUB.elapsed(datetime(2026, 3, 10, 10, 0), london(2026, 3, 10, 11), WORKING)


def test_it_counts_several_working_days() -> None:
    monday = london(2026, 3, 9, 9, 0)
    # 72 working hours = 9 working days of 8 hours: Monday to Thursday the next week.
    assert HUB.add(monday, Decimal("72"), WORKING) == london(2026, 3, 19, 17, 0)


def test_it_refuses_a_calendar_with_no_working_time() -> None:
    closed = WorkingCalendar(
        opens=time(9), closes=time(17), weekdays=frozenset(), bank_holidays=frozenset()
    )
    with pytest.raises(CalendarHasNoWorkingTime):
        closed.add(london(2026, 3, 9, 9, 0), 1, WORKING)
    empty_day = WorkingCalendar(
        opens=time(17), closes=time(9), weekdays=frozenset(range(5)), bank_holidays=frozenset()
    )
    with pytest.raises(CalendarHasNoWorkingTime):
        empty_day.elapsed(london(2026, 3, 9, 9, 0), london(2026, 3, 10, 9, 0), WORKING)
    # Clock hours need no opening hours.
    assert closed.add(utc(2026, 3, 9, 9), 1, CLOCK) == utc(2026, 3, 9, 10)


def test_it_answers_in_the_time_zone_it_was_asked_in() -> None:
    start = utc(2026, 7, 10, 8, 0)  # 09:00 BST on a Friday
    end = HUB.add(start, 4, WORKING)
    assert end.tzinfo is UTC
    assert end == london(2026, 7, 10, 13, 0)


# --- The clocks changing ---------------------------------------------------------------


def test_clock_hours_are_elapsed_time_when_the_clocks_go_back() -> None:
    # 01:00 to 02:00 on Sunday 25 October 2026 happens twice.
    saturday_noon_bst = london(2026, 10, 24, 12, 0)
    end = HUB.add(saturday_noon_bst, 24, CLOCK)
    assert end == utc(2026, 10, 25, 11, 0)
    assert end.astimezone(LONDON).hour == 11
    assert end.astimezone(LONDON).utcoffset() == timedelta(0)
    assert HUB.elapsed(saturday_noon_bst, end, CLOCK) == timedelta(hours=24)
    # The same moment, asked about in UTC, gives the same answer.
    assert HUB.add(saturday_noon_bst.astimezone(UTC), 24, CLOCK) == end


def test_clock_hours_are_elapsed_time_when_the_clocks_go_forward() -> None:
    # 01:00 to 02:00 on Sunday 29 March 2026 does not happen.
    saturday_noon_gmt = london(2026, 3, 28, 12, 0)
    end = HUB.add(saturday_noon_gmt, 24, CLOCK)
    assert end == london(2026, 3, 29, 13, 0)
    assert end == utc(2026, 3, 29, 12, 0)
    assert HUB.elapsed(saturday_noon_gmt, london(2026, 3, 29, 12, 0), CLOCK) == timedelta(hours=23)


def test_working_hours_are_not_moved_by_the_clocks_going_back() -> None:
    friday_4pm_bst = london(2026, 10, 23, 16, 0)
    end = HUB.add(friday_4pm_bst, 4, WORKING)
    assert end == london(2026, 10, 26, 12, 0)
    assert end == utc(2026, 10, 26, 12, 0)  # GMT by then
    assert HUB.elapsed(friday_4pm_bst, end, WORKING) == timedelta(hours=4)


def test_working_hours_are_not_moved_by_the_clocks_going_forward() -> None:
    friday_4pm_gmt = london(2026, 3, 27, 16, 0)
    end = HUB.add(friday_4pm_gmt, 4, WORKING)
    assert end == london(2026, 3, 30, 12, 0)
    assert end == utc(2026, 3, 30, 11, 0)  # BST by then


# --- elapsed() is the inverse of add() ----------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "counting", "hours"),
    [
        (london(2026, 3, 13, 16, 0), london(2026, 3, 16, 12, 0), WORKING, 4),
        (london(2027, 12, 24, 15, 0), london(2027, 12, 29, 15, 0), WORKING, 8),
        (london(2026, 3, 14, 11, 0), london(2026, 3, 16, 12, 0), WORKING, 3),
        (london(2026, 10, 24, 12, 0), utc(2026, 10, 25, 11, 0), CLOCK, 24),
    ],
)
def test_elapsed_undoes_add(start: datetime, end: datetime, counting: str, hours: int) -> None:
    assert HUB.add(start, hours, counting) == end
    assert HUB.elapsed(start, end, counting) == timedelta(hours=hours)
    assert HUB.elapsed(end, start, counting) == -timedelta(hours=hours)


def test_elapsed_ignores_time_outside_working_hours() -> None:
    friday_noon = london(2026, 3, 13, 12, 0)
    monday_8am = london(2026, 3, 16, 8, 0)
    assert HUB.elapsed(friday_noon, monday_8am, WORKING) == timedelta(hours=5)
    assert HUB.elapsed(friday_noon, monday_8am, CLOCK) == timedelta(hours=68)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.just(UTC),
)
working_hours = st.decimals(min_value=0, max_value=200, places=2)


@settings(max_examples=200, deadline=None, database=None)
@given(start=moments, hours=working_hours)
def test_elapsed_after_add_gives_back_the_working_hours(start: datetime, hours: Decimal) -> None:
    end = HUB.add(start, hours, WORKING)
    assert end >= start
    assert HUB.elapsed(start, end, WORKING) == timedelta(hours=float(hours))


@settings(max_examples=200, deadline=None, database=None)
@given(start=moments, hours=working_hours)
def test_elapsed_after_add_gives_back_the_clock_hours(start: datetime, hours: Decimal) -> None:
    end = HUB.add(start.astimezone(LONDON), hours, CLOCK)
    assert HUB.elapsed(start, end, CLOCK) == timedelta(hours=float(hours))


@settings(max_examples=100, deadline=None, database=None)
@given(start=moments, hours=st.decimals(min_value=Decimal("0.01"), max_value=200, places=2))
def test_a_working_deadline_always_falls_inside_working_hours(
    start: datetime, hours: Decimal
) -> None:
    end = HUB.add(start, hours, WORKING).astimezone(LONDON)
    assert HUB.is_working_day(end.date())
    assert time(9, 0) < end.time() <= time(17, 0)


def test_it_says_whether_the_hub_is_open_and_when_it_next_opens() -> None:
    calendar = WorkingCalendar(
        opens=time(9, 0), closes=time(17, 0), weekdays=frozenset(range(5)), bank_holidays=set()
    )
    saturday = datetime(2026, 12, 5, 6, 13, tzinfo=LONDON)
    assert not calendar.is_open(saturday)
    assert calendar.next_opening(saturday) == datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)
    assert calendar.is_open(monday)
    assert calendar.next_opening(monday) == monday
    evening = datetime(2026, 12, 7, 17, 0, tzinfo=LONDON)
    assert not calendar.is_open(evening)
    assert calendar.next_opening(evening) == datetime(2026, 12, 8, 9, 0, tzinfo=LONDON)
