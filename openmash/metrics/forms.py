"""The dashboard's filters, sent by GET so a set of figures can be bookmarked and shared."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from openmash.accounts.models import Agency
from openmash.area.calendar import LONDON
from openmash.area.models import HandOnTeam, RagLevel
from openmash.contacts.codes import ReferralSource
from openmash.core.forms import GovukDateField, GovukForm, PeriodForm
from openmash.core.period import LONGEST_PERIOD_DAYS, Period
from openmash.metrics.cohort import QUEUED_TEAMS
from openmash.metrics.filters import MetricFilter

DEFAULT_PERIOD_DAYS = 28


def _choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    field.choices = choices  # type: ignore[attr-defined]


class MetricFilterForm(PeriodForm):
    """The dashboard's period, by default the last 28 days (a date left empty is filled
    in from the other), and the optional filters."""

    start_hint = "For example, 1 9 2026"
    end_may_be_after_today = True

    rag = forms.ChoiceField(label="RAG rating", required=False, choices=())
    source = forms.ChoiceField(label="Referral source", required=False, choices=())
    agency = forms.ChoiceField(
        label="Agency asked to check",
        required=False,
        choices=(),
        help_text="Contacts this agency was asked to check, and only its checks",
    )
    team = forms.ChoiceField(
        label="Team handed on to",
        required=False,
        choices=(),
        help_text="Contacts handed on to this team, and only its hand-ons",
    )

    def __init__(
        self,
        *args: Any,
        levels: Iterable[RagLevel],
        agencies: Iterable[Agency],
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, today=today, **kwargs)
        _choices(
            self.fields["rag"],
            [("", "Any rating")] + [(level.code, level.label) for level in levels],
        )
        _choices(self.fields["source"], [("", "Any source"), *ReferralSource.choices])
        _choices(
            self.fields["agency"],
            [("", "Any agency")] + [(str(agency.pk), agency.name) for agency in agencies],
        )
        _choices(
            self.fields["team"],
            [("", "Any team")] + [(team.value, HandOnTeam(team).label) for team in QUEUED_TEAMS],
        )

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            self.data.get(name) for name in ("rag", "source", "agency", "team")
        )

    def default_period(self) -> Period:
        return Period(self.today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), self.today)

    def clean(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = cleaned.get("end") or self.today
        cleaned["end"] = end
        cleaned["start"] = cleaned.get("start") or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return super().clean()

    def described(self, f: MetricFilter) -> str:
        """The figures asked for, in words: the period and each filter chosen."""
        parts = [f"Contacts received {f.start.day} {f.start:%B %Y} to {f.end.day} {f.end:%B %Y}"]
        if self.is_bound:
            for name in ("rag", "source", "agency", "team"):
                value = self.cleaned_data.get(name)
                if value:
                    field = self.fields[name]
                    label = dict(field.choices).get(value, value)  # type: ignore[attr-defined]
                    parts.append(f"{field.label}: {label}")
        return "; ".join(parts)

    def metric_filter(self) -> MetricFilter:
        """The filter asked for; the last 28 days up to today when nothing was sent."""
        if not self.is_bound:
            return MetricFilter.last_days(DEFAULT_PERIOD_DAYS, today=self.today)
        data = self.cleaned_data
        agency = data.get("agency") or ""
        return MetricFilter(
            start=data["start"],
            end=data["end"],
            rag=data.get("rag") or "",
            source=data.get("source") or "",
            agency_id=int(agency) if agency else None,
            team=data.get("team") or "",
        )


class PeriodsForm(GovukForm):
    """Two periods to compare, before and after (say, a change to how the hub works):
    each whole days, the before period ending before the after period starts."""

    before_start = GovukDateField(
        label="Before: from",
        field_label="before period's start date",
        help_text="For example, 1 3 2026",
    )
    before_end = GovukDateField(
        label="Before: to",
        field_label="before period's end date",
        help_text="For example, 31 5 2026",
    )
    after_start = GovukDateField(
        label="After: from",
        field_label="after period's start date",
        help_text="For example, 1 6 2026",
    )
    after_end = GovukDateField(
        label="After: to", field_label="after period's end date", help_text="For example, 31 8 2026"
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate(timezone.now(), LONDON)
        for name in ("before_start", "before_end", "after_start", "after_end"):
            label = self.fields[name].field_label  # type: ignore[attr-defined]
            self.fields[name].error_messages["required"] = f"Enter the {label}"

    def _check_period(self, cleaned: dict[str, Any], which: str) -> None:
        start, end = cleaned.get(f"{which}_start"), cleaned.get(f"{which}_end")
        if start is None or end is None:
            return
        if start > self.today:
            self.add_error(f"{which}_start", f"The {which} period must start today or in the past")
        elif end < start:
            self.add_error(
                f"{which}_end", f"The {which} period must end on or after the day it starts"
            )
        elif (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            self.add_error(
                f"{which}_end", f"The {which} period must be {LONGEST_PERIOD_DAYS} days or shorter"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_period(cleaned, "before")
        self._check_period(cleaned, "after")
        before_end, after_start = cleaned.get("before_end"), cleaned.get("after_start")
        if (
            before_end is not None
            and after_start is not None
            and "before_end" not in self.errors
            and "after_start" not in self.errors
            and after_start <= before_end
        ):
            self.add_error(
                "after_start", "The after period must start after the before period ends"
            )
        return cleaned

    def filters(self, **filters: Any) -> tuple[MetricFilter, MetricFilter]:
        """The two periods as MetricFilters, with the same other filters."""
        data = self.cleaned_data
        return (
            MetricFilter(start=data["before_start"], end=data["before_end"], **filters),
            MetricFilter(start=data["after_start"], end=data["after_end"], **filters),
        )


class EvaluationForm(PeriodsForm):
    measure = forms.ChoiceField(
        label="Indicator",
        choices=(),
        error_messages={"required": "Choose an indicator", "invalid_choice": "Choose an indicator"},
    )
    rag = forms.ChoiceField(
        label="RAG rating (optional)",
        required=False,
        choices=(),
        help_text="Only contacts with this rating at the end of each period",
    )

    field_order = ["measure", "before_start", "before_end", "after_start", "after_end", "rag"]

    def __init__(
        self,
        *args: Any,
        measures: Iterable[tuple[str, str]],
        levels: Iterable[RagLevel],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.levels = {level.code: level.label for level in levels}
        _choices(self.fields["measure"], list(measures))
        _choices(
            self.fields["rag"],
            [("", "Any rating"), *((code, label) for code, label in self.levels.items())],
        )

    @property
    def rag_label(self) -> str:
        return self.levels.get(self.cleaned_data.get("rag") or "", "")
