"""The period an extract covers: whole days in UK time, from the first to the last."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from openmash.area.calendar import LONDON

# A year and a day: the longest period one extract covers (a census year is 365 or 366
# days; Ofsted's lists cover six months or a year).
LONGEST_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")

    @property
    def starts_at(self) -> datetime:
        """Midnight at the start of the first day, in London."""
        return datetime.combine(self.start, time(0), tzinfo=LONDON)

    @property
    def ends_at(self) -> datetime:
        """Midnight at the end of the last day, in London (not itself in the period)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=LONDON)

    @property
    def slug(self) -> str:
        return f"{self.start:%Y-%m-%d}-to-{self.end:%Y-%m-%d}"
