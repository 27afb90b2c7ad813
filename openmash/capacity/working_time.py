"""Timescales in clock hours or in the hub's working hours, on the simulation's clock.

Simulation time is hours since midnight on the scenario's start date. This mirrors the
area's deadline calendar (`openmash.area.calendar`), which the engine cannot import (it
is tied to Django); the differences are that every day here has 24 hours (clock changes
are ignored) and times are floats, not datetimes.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from openmash.capacity.scenario import WEEKDAYS, Counting, HubHours

HOURS_PER_DAY = 24.0
# Stops a calendar with no open time from looping for ever (validation prevents it).
MAX_DAYS_AHEAD = 3660


@dataclass(frozen=True)
class SimulationCalendar:
    start: date
    hub_hours: HubHours

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def weekday_of(self, day: int) -> int:
        """0 for Monday."""
        return (self.start.weekday() + day) % 7

    def is_bank_holiday(self, day: int) -> bool:
        return self.date_of(day) in self.hub_hours.bank_holidays

    def is_open_day(self, day: int) -> bool:
        return WEEKDAYS[self.weekday_of(day)] in self.hub_hours.days and not self.is_bank_holiday(
            day
        )

    def _open_window(self, day: int) -> tuple[float, float]:
        base = day * HOURS_PER_DAY
        return base + self.hub_hours.opens, base + self.hub_hours.closes

    def add(self, moment: float, hours: float, counting: Counting) -> float:
        """The moment `hours` after `moment`: in working hours, the earliest moment by
        which that much open time has passed (2 working hours from 16:00 on a Friday
        before a bank holiday Monday is 10:00 on the Tuesday)."""
        if hours < 0:
            raise ValueError("hours: a timescale cannot be negative")
        if counting == "clock" or hours == 0:
            return moment + hours
        remaining = hours
        day = math.floor(moment / HOURS_PER_DAY)
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_open_day(day):
                opens, closes = self._open_window(day)
                begin = max(moment, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += 1
        raise ValueError("hub_hours: no working time within ten years")

    def elapsed(self, begin: float, end: float, counting: Counting) -> float:
        """Hours from `begin` to `end` (end >= begin), counted as configured."""
        if counting == "clock":
            return end - begin
        total = 0.0
        day = math.floor(begin / HOURS_PER_DAY)
        last = math.floor(end / HOURS_PER_DAY)
        while day <= last:
            if self.is_open_day(day):
                opens, closes = self._open_window(day)
                overlap = min(end, closes) - max(begin, opens)
                if overlap > 0:
                    total += overlap
            day += 1
        return total
