"""A period of whole days in the hub's local time (Europe/London, TIME_ZONE): what an
extract covers, what the capacity planner calibrates from or replays, what a set of
figures is about."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

# A year and a day: a leap year, and room for a period that ends today (a census year is
# 365 or 366 days; Ofsted's lists cover six months or a year).
LONGEST_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Whole days, `start` to `end` inclusive. A period may be built back to front so
    that whoever checks it can say what is wrong (the forms and the calibration do)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def starts_at(self) -> datetime:
        """Midnight at the start of the first day, in the hub's time."""
        return datetime.combine(self.start, time(0), tzinfo=timezone.get_default_timezone())

    @property
    def ends_at(self) -> datetime:
        """Midnight at the end of the last day, in the hub's time (not itself in the period)."""
        return datetime.combine(
            self.end + timedelta(days=1), time(0), tzinfo=timezone.get_default_timezone()
        )

    def bounds(self) -> tuple[datetime, datetime]:
        """From the first moment in the period to the first moment after it."""
        return self.starts_at, self.ends_at

    @property
    def slug(self) -> str:
        """The period in a file name: 2026-03-01-to-2026-03-31."""
        return f"{self.start:%Y-%m-%d}-to-{self.end:%Y-%m-%d}"

    def text(self) -> str:
        """The period as a page says it: 1 March 2026 to 31 March 2026."""
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}
