"""The value-for-money page's period, and the board report's month, both sent by GET so a
set of figures can be bookmarked and shared."""

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.core.forms import GovukDateField, GovukForm
from openmash.metrics.filters import LONGEST_PERIOD_DAYS, MetricFilter
from openmash.value.board_report import Month, last_complete_month

# How far back the board report's month list goes: this year and the three before.
REPORT_MONTHS = 48


class PeriodForm(GovukForm):
    """From and to dates; by default the last whole calendar month."""

    start = GovukDateField(
        label="From", required=False, field_label="start date", help_text="For example, 1 9 2026"
    )
    end = GovukDateField(
        label="To", required=False, field_label="end date", help_text="For example, 30 9 2026"
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate(timezone.now(), LONDON)
        month = Month.of(self.today).previous
        self.default_start, self.default_end = month.start, month.end
        self.fields["start"].initial = self.default_start
        self.fields["end"].initial = self.default_end

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and end is None:
            start, end = self.default_start, self.default_end
        elif start is None:
            self.add_error("start", "Enter a start date")
            return cleaned
        elif end is None:
            self.add_error("end", "Enter an end date")
            return cleaned
        if start > self.today:
            self.add_error("start", "Start date must be today or in the past")
        elif end < start:
            self.add_error("end", "End date must be the same as or after the start date")
        elif (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            self.add_error("end", f"The period must be {LONGEST_PERIOD_DAYS} days or shorter")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def metric_filter(self) -> MetricFilter:
        """The period asked for; the last whole month when nothing was sent."""
        if not self.is_bound:
            return MetricFilter(start=self.default_start, end=self.default_end)
        return MetricFilter(start=self.cleaned_data["start"], end=self.cleaned_data["end"])


def report_months(now: datetime | None = None) -> list[Month]:
    """The months a board report can be made for: whole months, latest first."""
    months = [last_complete_month(now)]
    while len(months) < REPORT_MONTHS:
        months.append(months[-1].previous)
    return months


class BoardReportForm(GovukForm):
    month = forms.ChoiceField(
        label="Month",
        choices=(),
        help_text="A whole month; the report compares it with the same month last year.",
        error_messages={
            "required": "Select the month for the report",
            "invalid_choice": "Select a whole month from the list",
        },
    )

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        months = report_months(now)
        field = self.fields["month"]
        field.choices = [(month.key, month.label) for month in months]  # type: ignore[attr-defined]
        field.initial = months[0].key

    def chosen_month(self) -> Month:
        return Month.parse(self.cleaned_data["month"])
