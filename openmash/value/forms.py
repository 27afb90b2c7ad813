"""The value-for-money page's period, and the board report's month, both sent by GET so a
set of figures can be bookmarked and shared."""

from datetime import datetime
from typing import Any

from django import forms

from openmash.core.forms import GovukForm, PeriodForm
from openmash.core.period import Period
from openmash.metrics.filters import MetricFilter
from openmash.value.board_report import Month, last_complete_month

# How far back the board report's month list goes: this year and the three before.
REPORT_MONTHS = 48


class ValuePeriodForm(PeriodForm):
    """From and to dates; by default the last whole calendar month. Sent empty, it is
    that month; the end may be later than today (the figures stop at today)."""

    start_hint = "For example, 1 9 2026"
    missing_start = "Enter a start date"
    missing_end = "Enter an end date"
    end_may_be_after_today = True

    def default_period(self) -> Period:
        month = Month.of(self.today).previous
        return Period(month.start, month.end)

    def clean(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if cleaned.get("start") is None and cleaned.get("end") is None:
            cleaned["start"], cleaned["end"] = self.default.start, self.default.end
        elif cleaned.get("start") is None:
            # Only the first missing date is reported, as this page always has.
            self.add_error("start", self.missing_start)
            return cleaned
        return super().clean()

    def metric_filter(self) -> MetricFilter:
        """The period asked for; the last whole month when nothing was sent."""
        period = self.period()
        return MetricFilter(start=period.start, end=period.end)


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
