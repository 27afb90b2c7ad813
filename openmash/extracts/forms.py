"""The period an extract covers, typed as GOV.UK date inputs."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.core.forms import GovukDateField, GovukForm
from openmash.extracts.period import LONGEST_PERIOD_DAYS, Period

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


class PeriodForm(GovukForm):
    start = GovukDateField(
        label="From",
        field_label="start date",
        help_text="For example, 1 4 2026",
        error_messages={"required": "Enter the start date"},
    )
    end = GovukDateField(
        label="To",
        field_label="end date",
        help_text="For example, 30 9 2026",
        error_messages={"required": "Enter the end date"},
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate(timezone.now(), LONDON)
        self.fields["start"].initial = months_before(self.today, DEFAULT_MONTHS)
        self.fields["end"].initial = self.today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            return cleaned
        if start > self.today:
            self.add_error("start", "Start date must be today or in the past")
        elif end > self.today:
            self.add_error("end", "End date must be today or in the past")
        elif end < start:
            self.add_error("end", "End date must be the same as or after the start date")
        elif (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            self.add_error("end", f"The period must be {LONGEST_PERIOD_DAYS} days or shorter")
        return cleaned

    def period(self) -> Period:
        """The period typed (call after is_valid()); the default period if nothing was sent."""
        if not self.is_bound:
            return Period(self.fields["start"].initial, self.fields["end"].initial)
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])
