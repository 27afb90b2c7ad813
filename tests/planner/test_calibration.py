"""Calibration from the hub's records, checked against estimates worked out by hand from
the week in conftest.py."""

from datetime import date, timedelta
from typing import Any

import pytest

from openmash.area.calendar import LONDON
from openmash.capacity.scenario import LogNormal, Scenario
from openmash.core.period import Period
from openmash.planner import calibration
from openmash.planner.calibration import (
    DEFAULT_ABSENCE,
    DEFAULT_WORK,
    CalibrationError,
    Task,
    calibrate,
    quantile,
    work_hours,
)
from tests.planner.conftest import TODAY, WEEK_END, WEEK_START, Hub, at

WEEK = Period(WEEK_START, WEEK_END)
POLICE = "Police"
HEALTH = "Health"


def note(notes: dict[str, Any], part: str) -> dict[str, Any]:
    return next(item for item in notes["estimates"] if item["part"] == part)


@pytest.fixture
def few_records_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """The week has a handful of tasks of each kind: estimate from two or more."""
    monkeypatch.setattr(calibration, "MIN_WORK_RECORDS", 2)


def test_it_estimates_arrivals_by_weekday_and_hour(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    rates = result.scenario.arrivals.rates
    # Monday 3 contacts, Tuesday 1, Wednesday 1, Saturday 1, one of each day in the
    # week. The weekday shape pools Monday to Friday's 5 contacts: 2 at 09:00, 1 at
    # 14:00, 1 at 10:00, 1 at 02:00.
    assert rates[0][9] == pytest.approx(3 * 2 / 5)
    assert rates[0][14] == pytest.approx(3 * 1 / 5)
    assert rates[1][9] == pytest.approx(1 * 2 / 5)
    assert rates[2][2] == pytest.approx(1 * 1 / 5)
    assert sum(rates[3]) == sum(rates[4]) == sum(rates[6]) == 0
    assert rates[5][11] == pytest.approx(1.0)
    assert result.scenario.arrivals.per_week() == pytest.approx(6)
    arrivals = note(result.notes, "arrivals")
    assert arrivals["records"] == 6
    assert arrivals["value"] == "1.0 a weekday, 0.5 a weekend day"


def test_it_estimates_the_rag_mix_from_rated_contacts_only(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    shares = {rating.name: rating.share for rating in result.scenario.ratings}
    assert shares == pytest.approx({"red": 1 / 5, "amber": 3 / 5, "green": 1 / 5})
    ratings = note(result.notes, "ratings")
    assert ratings["records"] == 5
    assert "1 contact with no rating" in ratings["method"]  # one, not "1 contacts"
    assert ratings["value"] == "red 20.0% (1 of 5), amber 60.0% (3 of 5), green 20.0% (1 of 5)"


def test_it_estimates_which_agencies_are_asked_leaving_out_waived_checks(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    checks = {rating.name: dict(rating.checks) for rating in result.scenario.ratings}
    assert checks["red"] == {HEALTH: 1.0, POLICE: 1.0}
    # B's health check was waived: amber asks police 2 of 3 times, and health never.
    assert checks["amber"] == {POLICE: pytest.approx(2 / 3, abs=1e-4)}
    assert checks["green"] == {HEALTH: 1.0}
    assert [agency.name for agency in result.scenario.agencies] == [HEALTH, POLICE]
    assert "1 waived checks are left out" in note(result.notes, "checks")["method"]


def test_it_estimates_work_times_by_hand(week: Hub, few_records_enough: None) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    scenario = result.scenario
    # Screening 30, 10, 40, 20, 30 minutes: median 30, 90th percentile 30 + 0.6 x 10.
    assert scenario.screening.work_time == LogNormal(median_hours=0.5, p90_hours=0.6)
    # Police 60, 20, 45 minutes: median 45, 90th percentile 45 + 0.8 x 15 = 57.
    assert scenario.group(POLICE).work_time == LogNormal(median_hours=0.75, p90_hours=0.95)
    # Health 90, 70 minutes: median 80, 90th percentile 70 + 0.9 x 20 = 88.
    assert scenario.group(HEALTH).work_time == LogNormal(
        median_hours=round(80 / 60, 4), p90_hours=round(88 / 60, 4)
    )
    # Decisions 50, 100, 60, 15, 30 minutes: median 50, 90th percentile 60 + 0.6 x 40.
    assert scenario.decision is not None
    assert scenario.decision.work_time == LogNormal(
        median_hours=round(50 / 60, 4), p90_hours=round(84 / 60, 4)
    )
    screening = note(result.notes, "work:screeners")
    assert screening["records"] == 5
    assert screening["estimated"] is True
    assert note(result.notes, f"work:{POLICE}")["records"] == 3


def test_it_says_a_work_time_is_a_default_when_too_few_tasks_were_recorded(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    median, p90 = DEFAULT_WORK["check"]
    assert result.scenario.group(POLICE).work_time == LogNormal(median, p90)
    police = note(result.notes, f"work:{POLICE}")
    assert police["estimated"] is False
    assert police["records"] == 3
    assert "Only 3 timed tasks" in police["method"]
    assert "(a default)" in police["value"]


def test_it_counts_the_people_who_hold_each_role_now(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    assert result.scenario.staffing() == {
        "screeners": 1,
        HEALTH: 1,
        POLICE: 1,
        "managers": 1,
    }
    assert all(group.absence == DEFAULT_ABSENCE for group in result.scenario.groups())
    assert note(result.notes, "absence")["estimated"] is False


def test_it_counts_the_people_who_did_the_work_for_a_replay(
    week: Hub, make_user: Any, agencies: Any
) -> None:
    from openmash.core.roles import Role

    make_user("idle_police_researcher", Role.AGENCY_RESEARCHER, "police")
    now = calibrate(period=WEEK, today=TODAY)
    recorded = calibrate(period=WEEK, today=TODAY, staffing="recorded")
    assert now.scenario.group(POLICE).staff == 2
    assert recorded.scenario.group(POLICE).staff == 1


def test_it_takes_timescales_hours_and_bank_holidays_from_the_area(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY)
    timescales = {r.name: (r.timescale_hours, r.counting) for r in result.scenario.ratings}
    assert timescales == {"red": (4, "clock"), "amber": (24, "clock"), "green": (72, "clock")}
    hub = result.scenario.hub_hours
    assert (hub.opens, hub.closes, hub.days) == (9, 17, ("mon", "tue", "wed", "thu", "fri"))
    assert date(2026, 12, 25) in hub.bank_holidays
    # Everyone's work was recorded in the hub's hours: no on-call cover.
    assert all(group.rota.on_call is None for group in result.scenario.groups())


def test_it_gives_a_scenario_the_bank_holidays_and_closure_days_of_the_years_it_runs(
    week: Hub,
) -> None:
    from openmash.area.models import ClosureDay, Nation, WorkingHours

    WorkingHours.objects.update(nation=Nation.SCOTLAND)
    ClosureDay.objects.create(day=date(2031, 12, 29), name="Council closure")
    result = calibrate(period=WEEK, today=TODAY, start=date(2031, 4, 7))
    closed = result.scenario.hub_hours.bank_holidays
    assert {date(2031, 1, 2), date(2031, 12, 1), date(2031, 12, 29)} <= set(closed)
    assert date(2031, 4, 14) not in closed  # Easter Monday is not one in Scotland
    assert list(closed) == sorted(closed)
    # A replay's warm-up, before the recorded period, has its bank holidays too.
    replay = calibrate(period=WEEK, today=TODAY, start=date(2025, 12, 1))
    assert date(2025, 12, 25) in replay.scenario.hub_hours.bank_holidays


def test_it_gives_on_call_cover_to_a_group_that_works_out_of_hours(week: Hub) -> None:
    # Health answers a check on Sunday night.
    week.receive("G", at(7, 20))
    week.take("G", at(7, 20, 10))
    week.rate("G", "red", at(7, 20, 20))
    week.enquire("G", ["health"], at(7, 20, 30))
    week.answer("G", "health", at(7, 21))
    result = calibrate(period=WEEK, today=TODAY)
    health = result.scenario.group(HEALTH).rota
    assert health.on_call is not None
    assert health.on_call.ratings == ("red",)
    assert "on call" in note(result.notes, f"staff:{HEALTH}")["value"]


def test_the_scenario_it_makes_round_trips_and_starts_next_monday(week: Hub) -> None:
    result = calibrate(period=WEEK, today=TODAY, name="From the week")
    scenario = result.scenario
    assert scenario.start == date(2026, 3, 23)
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    assert result.labels["screeners"] == "Screeners"
    assert result.notes["period"] == {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (Period(date(2026, 3, 9), date(2026, 3, 15)), "No contacts were received"),
        (Period(date(2026, 1, 5), date(2026, 1, 11)), "records begin on 2 March 2026"),
        (Period(WEEK_START, WEEK_START + timedelta(days=3)), "at least 7 days"),
        (Period(WEEK_END, WEEK_START), "on or after its start"),
        (Period(WEEK_START, TODAY + timedelta(days=1)), "in the past"),
    ],
)
def test_it_refuses_a_period_that_cannot_give_a_scenario(
    week: Hub, period: Period, message: str
) -> None:
    with pytest.raises(CalibrationError, match=message):
        calibrate(period=period, today=TODAY)


def test_it_refuses_a_period_with_no_rated_contact(hub: Hub) -> None:
    hub.receive("X", at(2, 10))
    with pytest.raises(CalibrationError, match="has been rated"):
        calibrate(period=WEEK, today=TODAY)


def _task(person: str, ready: tuple[int, int, int], done: tuple[int, int, int]) -> Task:
    return Task(person=person, ready=at(*ready), done=at(*done), rating="amber")


def test_work_is_counted_from_the_later_of_ready_and_the_persons_previous_task() -> None:
    tasks = [
        _task("a", (2, 9, 0), (2, 10, 0)),  # 60
        _task("a", (2, 9, 30), (2, 10, 30)),  # waited behind the first: 30
        _task("b", (2, 9, 30), (2, 10, 0)),  # someone else: 30
        _task("a", (2, 11, 0), (2, 11, 15)),  # ready after the last one: 15
    ]
    assert sorted(work_hours(tasks)) == pytest.approx([0.25, 0.5, 0.5, 1.0])


def test_work_spanning_midnight_is_left_out() -> None:
    tasks = [_task("a", (2, 16, 30), (3, 9, 30)), _task("a", (3, 9, 30), (3, 10, 0))]
    assert work_hours(tasks) == pytest.approx([0.5])


def test_quantile_interpolates_between_order_statistics() -> None:
    assert quantile([10, 20, 30, 30, 40], 0.9) == pytest.approx(36)
    assert quantile([5], 0.5) == 5


def test_it_reads_local_hours_across_the_clocks_going_forward(hub: Hub) -> None:
    # 29 March 2026: the clocks go forward at 01:00 GMT. A contact at 09:10 BST is in
    # the 09:00 hour, not 08:00.
    hub.receive("S", at(30, 9, 10))
    hub.take("S", at(30, 9, 20))
    hub.rate("S", "green", at(30, 9, 30))
    result = calibrate(period=Period(date(2026, 3, 30), date(2026, 4, 5)), today=date(2026, 4, 10))
    assert result.scenario.arrivals.rates[0][9] == pytest.approx(1.0)
    assert at(30, 9, 10).astimezone(LONDON).hour == 9


def test_a_period_starting_before_the_records_begin_starts_with_them(week: Hub) -> None:
    # Records begin on Monday 2 March: the fortnight before would count as no contacts.
    result = calibrate(period=Period(date(2026, 2, 16), WEEK_END), today=TODAY)
    assert result.scenario.arrivals.per_week() == pytest.approx(6)
    assert result.notes["period"] == {"start": "2026-03-02", "end": "2026-03-08"}
    period = note(result.notes, "period")
    assert "records begin on 2 March 2026" in period["method"]
    with pytest.raises(CalibrationError, match="records begin on 2 March 2026"):
        calibrate(period=Period(date(2026, 2, 16), date(2026, 3, 5)), today=TODAY)
