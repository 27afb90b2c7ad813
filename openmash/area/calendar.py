"""Deadlines in clock hours or in the hub's working hours.

Clock hours are elapsed time: 24 hours from 10:00 on the Saturday the clocks go back
ends at 09:00 local time on the Sunday. Working hours are counted in local time
(Europe/London) inside the hub's opening hours, skipping closed days, the bank holidays
of the area's nation (from the `holidays` package, for any year) and the area's local
closure days, so a change of clocks overnight does not move them.
"""

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from openmash.area.models import LONDON, ClosureDay, Nation, TimeCounting, WorkingHours

# Far enough for any configured timescale; stops a calendar with no open days looping.
MAX_DAYS_AHEAD = 3660


# The subdivision of holidays.UK that gives each calendar GOV.UK publishes: England and
# Wales share their bank holidays, so England's stands for both.
SUBDIVISIONS = {
    Nation.ENGLAND_AND_WALES: "ENG",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


class CalendarHasNoWorkingTime(Exception):
    """The hub is configured with no open days or an empty day."""


@cache
def bank_holidays_in(nation: str, year: int) -> Mapping[date, str]:
    """The bank holidays GOV.UK publishes for `nation` in `year`, each with its name.

    `holidays` lists a Christmas Day that falls on a Saturday both on the Saturday and on
    its substitute Monday; GOV.UK lists only the Monday, which is the day off, so a hub
    open on Saturdays works that Saturday. Every weekday bank holiday is kept."""
    listed = holidays.UK(subdiv=SUBDIVISIONS[Nation(nation)], years=year)
    return MappingProxyType(
        {
            day: name.replace("(observed)", "(substitute day)")
            for day, name in sorted(listed.items())
            if day.weekday() < 5
        }
    )


@dataclass(frozen=True)
class ClosedDays:
    """The days a hub is closed besides its weekly closed days: its nation's bank
    holidays, in any year, and the area's local closure days."""

    nation: str = Nation.ENGLAND_AND_WALES
    local: frozenset[date] = frozenset()

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in self.local or day in bank_holidays_in(self.nation, day.year)

    def between(self, first: date, last: date) -> tuple[date, ...]:
        """The closed days from `first` to `last`, both included, in order."""
        national = (
            day
            for year in range(first.year, last.year + 1)
            for day in bank_holidays_in(self.nation, year)
        )
        return tuple(sorted(day for day in {*national, *self.local} if first <= day <= last))


@dataclass(frozen=True)
class WorkingCalendar:
    opens: time
    closes: time
    weekdays: frozenset[int]  # Monday is 0
    # The nation's bank holidays and the area's closure days (ClosedDays), or a set of days.
    bank_holidays: Container[date]
    zone: ZoneInfo = LONDON

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.bank_holidays

    def is_open(self, moment: datetime) -> bool:
        """Whether the hub is open at `moment`: a working day, inside its opening hours.
        Otherwise it is out of hours, and the emergency duty team covers."""
        _require_aware(moment)
        local = moment.astimezone(self.zone)
        if not self.is_working_day(local.date()):
            return False
        opens, closes = self._day_window(local.date())
        return opens <= local < closes

    def next_opening(self, moment: datetime) -> datetime:
        """When the hub next opens after `moment` (`moment` itself if it is open then),
        in the hub's zone."""
        _require_aware(moment)
        self._check()
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                opens, closes = self._day_window(day)
                if local < closes:
                    return max(local, opens)
            day += timedelta(days=1)
        raise CalendarHasNoWorkingTime("No working time found within ten years.")

    def _day_window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )

    def _check(self) -> None:
        if not self.weekdays or self.closes <= self.opens:
            raise CalendarHasNoWorkingTime("The hub's working hours contain no time.")

    def add(self, start: datetime, hours: Decimal | float, counting: str) -> datetime:
        """The moment `hours` after `start`, counted as configured, in `start`'s time zone.

        In working hours it is the earliest moment by which that much working time has
        passed: 2 working hours from 15:00 on a Friday is 17:00 that Friday, not 09:00
        on the Monday, and zero hours is `start` itself wherever it falls."""
        _require_aware(start)
        remaining = timedelta(hours=float(hours))
        if remaining < timedelta(0):
            raise ValueError("A deadline cannot be a negative number of hours away.")
        if counting != TimeCounting.WORKING_HOURS:
            # In UTC: aware arithmetic in one zone is wall-clock arithmetic, which would
            # make 24 hours across the clocks going back last 25.
            return (start.astimezone(UTC) + remaining).astimezone(start.tzinfo)
        if not remaining:
            return start
        self._check()
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                opens, closes = self._day_window(day)
                begin = max(local, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(start.tzinfo)
                    remaining -= available
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), tzinfo=self.zone)
        raise CalendarHasNoWorkingTime("No working time found within ten years.")

    def elapsed(self, start: datetime, end: datetime, counting: str) -> timedelta:
        """Time between `start` and `end`, counted as configured (negative if end < start)."""
        _require_aware(start)
        _require_aware(end)
        if counting != TimeCounting.WORKING_HOURS:
            return end.astimezone(UTC) - start.astimezone(UTC)
        if end < start:
            return -self.elapsed(end, start, counting)
        self._check()
        total = timedelta()
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                opens, closes = self._day_window(day)
                begin, finish = max(local_start, opens), min(local_end, closes)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total


def _require_aware(moment: datetime) -> None:
    # A naive time would be read in the server's zone, not the hub's.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Deadlines are worked out from time-zone-aware datetimes only.")


def _closed_days(hours: WorkingHours) -> ClosedDays:
    return ClosedDays(
        nation=hours.nation,
        local=frozenset(ClosureDay.objects.values_list("day", flat=True)),
    )


def closed_days_for_area() -> ClosedDays:
    """The area's nation's bank holidays and its local closure days, as configured."""
    return _closed_days(WorkingHours.objects.first() or WorkingHours())


def calendar_for_area(hours: WorkingHours | None = None) -> WorkingCalendar:
    """The area's working calendar: its working hours (`hours`, if already read) with
    its nation's bank holidays and its local closure days."""
    hours = hours or WorkingHours.objects.first() or WorkingHours()
    return WorkingCalendar(
        opens=hours.opens,
        closes=hours.closes,
        weekdays=hours.weekdays,
        bank_holidays=_closed_days(hours),
    )
