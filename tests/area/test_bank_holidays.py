"""Bank holidays come from the `holidays` package for every year, for the nation the area
chooses (England and Wales unless it says otherwise); the administrator adds and removes
the hub's own closure days, and deadlines in working hours skip both."""

from datetime import UTC, date, datetime, time, timedelta
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from openmash.accounts.models import User
from openmash.area.calendar import LONDON, ClosedDays, WorkingCalendar, calendar_for_area
from openmash.area.models import ClosureDay, Nation, TimeCounting, WorkingHours
from tests.conftest import signed_in

WORKING = TimeCounting.WORKING_HOURS


def choose(nation: Nation) -> None:
    WorkingHours.objects.update(nation=nation)


@pytest.fixture
def admin_client(personas: dict[str, User]) -> Client:
    return signed_in(personas["administrator"])


@pytest.mark.django_db
def test_it_closes_on_bank_holidays_after_2028_that_nobody_typed_in() -> None:
    calendar = calendar_for_area()
    easter_monday_2031 = date(2031, 4, 14)
    assert not calendar.is_working_day(easter_monday_2031)
    assert calendar.is_working_day(date(2031, 4, 15))
    thursday_before_easter = datetime(2031, 4, 10, 16, 0, tzinfo=LONDON)
    # Friday and Monday are bank holidays: 2 working hours run to Tuesday morning.
    assert calendar.add(thursday_before_easter, 2, WORKING) == datetime(
        2031, 4, 15, 10, 0, tzinfo=LONDON
    )


@pytest.mark.django_db
def test_it_keeps_england_and_wales_bank_holidays_by_default() -> None:
    calendar = calendar_for_area()
    assert WorkingHours.objects.get().nation == Nation.ENGLAND_AND_WALES
    assert not calendar.is_working_day(date(2026, 8, 31))  # summer bank holiday
    assert calendar.is_working_day(date(2026, 8, 3))  # Scotland's, not England's
    assert calendar.is_working_day(date(2026, 1, 2))


@pytest.mark.django_db
def test_a_hub_in_scotland_keeps_scotland_s_bank_holidays() -> None:
    choose(Nation.SCOTLAND)
    calendar = calendar_for_area()
    assert not calendar.is_working_day(date(2026, 1, 2))  # 2 January
    assert not calendar.is_working_day(date(2029, 11, 30))  # St Andrew's Day, a Friday
    # St Andrew's Day 2025 fell on a Sunday: the Monday after is the holiday.
    assert not calendar.is_working_day(date(2025, 12, 1))
    assert not calendar.is_working_day(date(2026, 8, 3))  # Scotland's summer bank holiday
    assert calendar.is_working_day(date(2026, 8, 31))
    assert calendar.is_working_day(date(2026, 4, 6))  # Easter Monday is not one in Scotland


@pytest.mark.django_db
def test_a_hub_in_northern_ireland_keeps_northern_ireland_s_bank_holidays() -> None:
    choose(Nation.NORTHERN_IRELAND)
    calendar = calendar_for_area()
    assert not calendar.is_working_day(date(2026, 3, 17))  # St Patrick's Day
    assert not calendar.is_working_day(date(2026, 7, 13))  # Battle of the Boyne, substitute
    assert not calendar.is_working_day(date(2026, 4, 6))  # Easter Monday


def test_the_weekend_day_of_a_substituted_holiday_is_worked_by_a_weekend_hub() -> None:
    # As GOV.UK publishes it: Christmas Day 2027 is a Saturday and the Monday is the
    # bank holiday, so a hub open on Saturdays works the Saturday, as it did before.
    seven_days = WorkingCalendar(
        opens=time(9), closes=time(17), weekdays=frozenset(range(7)), bank_holidays=ClosedDays()
    )
    assert seven_days.is_working_day(date(2027, 12, 25))
    assert not seven_days.is_working_day(date(2027, 12, 27))


def test_closed_days_between_two_dates_include_local_ones_in_order() -> None:
    closed = ClosedDays(local=frozenset({date(2026, 12, 29), date(2031, 1, 2)}))
    assert closed.between(date(2026, 12, 20), date(2027, 1, 5)) == (
        date(2026, 12, 25),
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2027, 1, 1),
    )


@pytest.mark.django_db
def test_a_closure_day_added_in_admin_is_honoured(admin_client: Client) -> None:
    council_closure = date(2026, 12, 29)
    assert calendar_for_area().is_working_day(council_closure)
    response = admin_client.post(
        "/admin/area/closureday/add/",
        {"day": "2026-12-29", "name": "Council closure", "_save": "Save"},
    )
    assert response.status_code == 302
    calendar = calendar_for_area()
    assert not calendar.is_working_day(council_closure)
    christmas_eve_4pm = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    # The 25th and 28th are bank holidays, the 29th the council's: Wednesday 30th.
    assert calendar.add(christmas_eve_4pm, 2, WORKING) == datetime(2026, 12, 30, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_closure_day_removed_in_admin_is_worked_again(admin_client: Client) -> None:
    closure = ClosureDay.objects.create(day=date(2026, 12, 29), name="Council closure")
    assert not calendar_for_area().is_working_day(closure.day)
    response = admin_client.post(f"/admin/area/closureday/{closure.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert calendar_for_area().is_working_day(date(2026, 12, 29))


@pytest.mark.django_db
def test_the_admin_refuses_a_closure_day_that_is_already_a_bank_holiday(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        "/admin/area/closureday/add/",
        {"day": "2031-04-14", "name": "Easter", "_save": "Save"},
    )
    assert response.status_code == 200
    assert "already a bank holiday in England and Wales (Easter Monday)" in response.text
    assert not ClosureDay.objects.exists()


@pytest.mark.django_db
def test_the_administrator_sees_and_chooses_the_nation(admin_client: Client) -> None:
    hours = WorkingHours.objects.get()
    url = f"/admin/area/workinghours/{hours.pk}/change/"
    page = admin_client.get(url).text
    assert "England and Wales" in page
    assert "Bank holidays in the next 12 months" in page
    form = {
        "opens": "09:00",
        "closes": "17:00",
        **{day: "on" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        "reminder_hours_before": "1",
        "urgent_unassigned_minutes": "10",
        "hand_on_acceptance_hours": "8",
        "hand_on_acceptance_counting": "working",
        "nation": "scotland",
        "_save": "Save",
    }
    assert admin_client.post(url, form).status_code == 302
    hours.refresh_from_db()
    assert hours.nation == Nation.SCOTLAND
    assert not calendar_for_area().is_working_day(date(2026, 11, 30))


@pytest.mark.django_db
def test_the_next_12_months_of_bank_holidays_are_listed_for_the_chosen_nation(
    admin_client: Client,
) -> None:
    choose(Nation.SCOTLAND)
    hours = WorkingHours.objects.get()
    page = admin_client.get(f"/admin/area/workinghours/{hours.pk}/change/").text
    assert "Saint Andrew&#x27;s Day" in page or "Saint Andrew's Day" in page


# --- the rows 0002 typed in -----------------------------------------------------------


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_forward() -> None:
    """Every migration again, area 0006 (the one under test) and those after it, and every
    other app's that going back unapplied (enquiries 0012 depends on a later area
    migration): the test database must end as the other tests expect it."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_deletes_the_typed_in_bank_holidays_and_keeps_local_closures() -> None:
    typed = import_module("openmash.area.migrations.0002_defaults").BANK_HOLIDAYS
    _migrate(("area", "0005_timescale_changes_apply_forward"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM area_bankholiday")
            assert cursor.fetchone()[0] == len(typed)
            cursor.executemany(
                "INSERT INTO area_bankholiday (day, name) VALUES (%s, %s)",
                [
                    ("2026-12-29", "Council closure"),
                    ("2029-01-01", "New Year's Day"),  # typed in by an administrator
                ],
            )
    finally:
        _migrate_forward()
    assert list(ClosureDay.objects.values_list("day", "name")) == [
        (date(2026, 12, 29), "Council closure")
    ]
    # Every day the hub was closed on before, it still is.
    calendar = calendar_for_area()
    assert not any(calendar.is_working_day(date.fromisoformat(day)) for day, _ in typed)


@pytest.mark.django_db(transaction=True)
def test_reversing_the_migration_puts_the_typed_in_years_back() -> None:
    ClosureDay.objects.create(day=date(2026, 12, 29), name="Council closure")
    _migrate(("area", "0005_timescale_changes_apply_forward"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT day FROM area_bankholiday")
            days = {str(row[0]) for row in cursor.fetchall()}
    finally:
        _migrate_forward()
    typed = import_module("openmash.area.migrations.0002_defaults").BANK_HOLIDAYS
    assert days == {day for day, _ in typed} | {"2026-12-29"}
    assert list(ClosureDay.objects.values_list("name", flat=True)) == ["Council closure"]


def test_a_deadline_far_ahead_still_finds_bank_holidays() -> None:
    # Every year has its holidays without anyone typing them in.
    calendar = WorkingCalendar(
        opens=time(9), closes=time(17), weekdays=frozenset(range(5)), bank_holidays=ClosedDays()
    )
    christmas_eve_2035 = datetime(2035, 12, 24, 16, 0, tzinfo=LONDON)  # a Monday
    assert calendar.add(christmas_eve_2035, 2, WORKING) == datetime(
        2035, 12, 27, 10, 0, tzinfo=LONDON
    )
    start = datetime(2035, 12, 24, 16, 0, tzinfo=LONDON)
    # Monday 16:00 to 17:00, then Thursday 09:00 to 16:00.
    assert calendar.elapsed(start, start + timedelta(days=3), WORKING) == timedelta(hours=8)
