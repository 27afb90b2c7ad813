"""The period an extract covers, typed as GOV.UK date inputs."""

from datetime import date, timedelta

from openmash.core.forms import PeriodForm
from openmash.core.period import Period

# Ofsted's Annex A lists cover the six months before an inspection.
DEFAULT_MONTHS = 6


def months_before(day: date, months: int) -> date:
    """The same day of the month, `months` earlier (the month's last day if it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


class ExtractPeriodForm(PeriodForm):
    """The period an extract covers: by default the six months to today."""

    def default_period(self) -> Period:
        return Period(months_before(self.today, DEFAULT_MONTHS), self.today)
