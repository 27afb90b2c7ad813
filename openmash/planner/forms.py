"""The capacity planning forms: the period to calibrate from or replay, a copy's name,
one form per part of a scenario to change by hand, and the staffing targets.

A part's form checks each value as the simulation would, by building the scenario with
that one change (so every wrong value is reported at once, against its own field, with
the engine's own reason), then with all of them together. The engine names the field
in its ValueError ("agencies[1].staff: must be at least 1"); each form field knows its
engine path, so the message lands on the right field, and what was typed is kept.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms

from openmash.capacity.scenario import Scenario as CapacityScenario
from openmash.core.forms import (
    GovukCheckboxes,
    GovukForm,
    GovukRadios,
    PeriodForm,
)
from openmash.core.period import Period
from openmash.planner.calibration import MIN_DAYS
from openmash.planner.presenters import (
    MONTHS,
    as_median_and_p90,
    group_label,
    groups_of,
    labels_of,
)
from openmash.planner.services import demand_changed

DEFAULT_CALIBRATION_DAYS = 90
DEFAULT_REPLAY_DAYS = 28
# Contacts of the last few days are still being worked on: a replay ends before them.
REPLAY_SETTLED_DAYS = 3
# The targets the form offers before any have been set: those of the worked example
# (`openmash.demo.capacity_examples.WORKED_EXAMPLE_TARGETS`), which its staff can meet.
# Higher ones can be typed: with the worked example's work times (each stage usually half
# an hour, one in ten over an hour and a half) about 7% of reds take longer than 4 hours in
# work alone, so 95% of reds within 4 hours is out of reach of any staffing, and the
# recommendation says so.
DEFAULT_TARGETS = {"red": 0.85, "amber": 0.8, "green": 0.9}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(
    label: str, *, noun: str = "", width: str = "3", decimal: bool = False, **kwargs: Any
) -> forms.Field:
    """A number box; `noun` is how messages name it ("the number of screeners")."""
    noun = noun or f"{label[:1].lower()}{label[1:]}"
    field_type = forms.FloatField if decimal else forms.IntegerField
    return field_type(
        label=label,
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal" if decimal else "numeric",
                "class": f"govuk-input--width-{width}",
                "spellcheck": "false",
            }
        ),
        error_messages={
            "required": f"Enter {noun}",
            "invalid": f"{_capital(noun)} must be {'a number' if decimal else 'a whole number'}",
        },
        **kwargs,
    )


# --- periods ---------------------------------------------------------------------------


class RecordsPeriodForm(PeriodForm):
    """The past days whose records a scenario is calibrated from or replays: by default
    the `default_days` ending `end_before` days ago, at least MIN_DAYS long."""

    start_name = "start of the period"
    end_name = "end of the period"
    start_hint = "For example, 1 3 2026"
    end_hint = "For example, 31 5 2026"
    missing_start = "Enter the start of the period"
    missing_end = "Enter the end of the period"
    longest_days = None

    def __init__(
        self, *args: Any, today: date, default_days: int, end_before: int = 1, **kwargs: Any
    ) -> None:
        self.default_days = default_days
        self.end_before = end_before
        super().__init__(*args, today=today, **kwargs)

    def default_period(self) -> Period:
        end = self.today - timedelta(days=self.end_before)
        return Period(end - timedelta(days=self.default_days - 1), end)

    def period_problem(self, period: Period) -> tuple[str, str] | None:
        if period.end >= self.today:
            return "end", "The end of the period must be in the past"
        if period.end < period.start:
            return "end", "The end of the period must be on or after its start"
        if period.days < MIN_DAYS:
            return "end", f"The period must be at least {MIN_DAYS} days long"
        return None


class CalibrationForm(RecordsPeriodForm):
    name = forms.CharField(
        label="Name of the scenario",
        max_length=200,
        required=False,
        help_text="For example, Current staffing",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-30"}),
    )
    field_order = ["name", "start", "end"]

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, today=today, default_days=DEFAULT_CALIBRATION_DAYS, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data.get("name", "").strip()
        if not name:
            raise forms.ValidationError("Enter a name for the scenario")
        return name


class ReplayForm(RecordsPeriodForm):
    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(
            *args,
            today=today,
            default_days=DEFAULT_REPLAY_DAYS,
            end_before=REPLAY_SETTLED_DAYS,
            **kwargs,
        )


class NameForm(GovukForm):
    name = forms.CharField(
        label="Name of the new scenario",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-30"}),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data.get("name", "").strip()
        if not name:
            raise forms.ValidationError("Enter a name for the new scenario")
        return name


# --- the parts of a scenario -----------------------------------------------------------

Setter = Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True)
class FieldSpec:
    path: str  # where the engine reports a problem with it
    set: Setter
    noun: str  # how a message names it: "the number of screeners"
    # Replaces the engine's wording where the form's units differ (percent, minutes).
    message: str = ""


def _group_path(index: int, count: int) -> str:
    if index == 0:
        return "screening"
    if index == count - 1:
        return "decision"
    return f"agencies[{index - 1}]"


def _group(data: dict[str, Any], path: str) -> dict[str, Any]:
    if path.startswith("agencies["):
        group: dict[str, Any] = data["agencies"][int(path[len("agencies[") : -1])]
        return group
    section: dict[str, Any] = data[path]
    return section


class ScenarioPartForm(GovukForm):
    """One part of a scenario. Subclasses add fields with `add()`; `scenario_data` holds
    the changed scenario JSON once the form is valid."""

    part = ""
    title = ""
    description = ""

    def __init__(
        self,
        *args: Any,
        data_before: dict[str, Any],
        labels: dict[str, str],
        version: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.before = data_before
        self.labels = labels
        self.specs: dict[str, FieldSpec] = {}
        self.scenario_data: dict[str, Any] = {}
        self.build()
        # Which saved version of the scenario the form was filled in on.
        self.fields["version"] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=version
        )
        self.style_widgets()

    def build(self) -> None:
        raise NotImplementedError

    def add(self, name: str, field: forms.Field, spec: FieldSpec, initial: Any) -> None:
        field.initial = initial
        self.fields[name] = field
        self.specs[name] = spec

    def groups(self) -> list[tuple[str, dict[str, Any]]]:
        groups = groups_of(self.before)
        return [(_group_path(index, len(groups)), group) for index, group in enumerate(groups)]

    def label(self, name: str) -> str:
        return group_label(self.labels, name)

    def apply(self, values: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(self.before)
        for name, value in values.items():
            self.specs[name].set(changed, value)
        return changed

    def people(self, path: str, group: dict[str, Any]) -> str:
        """The group as people: "screeners", "Police researchers", "managers"."""
        if path == "screening":
            return "screeners"
        if path == "decision":
            return "managers"
        return f"{self.label(group['name'])} researchers"

    def _message(self, name: str, error: ValueError) -> str:
        spec = self.specs[name]
        text = str(error).split(": ", 1)[-1]
        return f"{_capital(spec.noun)} {spec.message or text}"

    def _field_for(self, error: ValueError) -> str | None:
        path = str(error).split(": ", 1)[0]
        for name, spec in self.specs.items():
            if path == spec.path or path.startswith(spec.path + "."):
                return name
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        present = {name: cleaned[name] for name in self.specs if name in cleaned}
        for name, value in present.items():
            try:
                CapacityScenario.from_dict(self.apply({name: value}))
            except ValueError as error:
                # A problem with another field (p90 now below a new median) is the
                # pair's, reported when the changes are checked together.
                if self._field_for(error) == name:
                    self.add_error(name, self._message(name, error))
        # Together: the values that are right on their own.
        fine = {name: value for name, value in present.items() if name not in self.errors}
        try:
            CapacityScenario.from_dict(self.apply(fine))
        except ValueError as error:
            field_name = self._field_for(error)
            if field_name is None:
                self.add_error(None, str(error))
            elif field_name not in self.errors:
                self.add_error(field_name, self._message(field_name, error))
        if not self.errors:
            self.scenario_data = self.apply(present)
        return cleaned


class StaffForm(ScenarioPartForm):
    part = "staff"
    title = "Staff"
    description = "How many people each group has: screeners, each agency's researchers, and the managers who decide."

    def build(self) -> None:
        for index, (path, group) in enumerate(self.groups()):

            def set_staff(data: dict[str, Any], value: Any, path: str = path) -> None:
                _group(data, path)["staff"] = value

            people = self.people(path, group)
            noun = f"the number of {people}"
            self.add(
                f"staff_{index}",
                _number(_capital(people), noun=noun),
                FieldSpec(f"{path}.staff", set_staff, noun),
                group["staff"],
            )


class AbsenceForm(ScenarioPartForm):
    part = "absence"
    title = "Absence"
    description = "The share of days each person is away (sickness, leave and training), as a percentage. Each person is away on a day at random, independently of the others."

    def build(self) -> None:
        for index, (path, group) in enumerate(self.groups()):

            def set_absence(data: dict[str, Any], value: Any, path: str = path) -> None:
                _group(data, path)["absence"] = value / 100

            people = self.people(path, group)
            noun = f"absence for {people}"
            self.add(
                f"absence_{index}",
                _number(_capital(people), noun=noun, decimal=True, help_text="Percentage of days"),
                FieldSpec(
                    f"{path}.absence",
                    set_absence,
                    noun,
                    "must be from 0% up to (not including) 100%",
                ),
                round(group["absence"] * 100, 1),
            )


class DemandForm(ScenarioPartForm):
    part = "demand"
    title = "Demand"
    description = "Contacts arriving, as a percentage of the demand estimated from your records: 100 is as estimated, 115 is 15% more. Choose months to simulate the next of them (for example, the September rise after the summer holidays)."

    def __init__(
        self, *args: Any, multiplier: float, months: list[int], today: date, **kwargs: Any
    ) -> None:
        self.multiplier = multiplier
        self.months = months
        self.today = today
        super().__init__(*args, **kwargs)

    def build(self) -> None:
        self.add(
            "demand",
            _number(
                "Demand",
                noun="demand",
                decimal=True,
                help_text="Percentage of the demand estimated",
            ),
            FieldSpec(
                "demand_multiplier", lambda data, value: None, "demand", "must be more than 0"
            ),
            round(self.multiplier * 100, 1),
        )
        self.fields["months"] = forms.MultipleChoiceField(
            label="Months it applies to (optional)",
            required=False,
            choices=[(str(number), name) for number, name in enumerate(MONTHS, start=1)],
            widget=GovukCheckboxes,
            help_text="Leave empty for the weeks from next Monday.",
            initial=[str(month) for month in self.months],
        )

    def clean(self) -> dict[str, Any]:
        cleaned = forms.Form.clean(self) or {}
        if self.errors:
            return cleaned
        months = [int(month) for month in cleaned.get("months", [])]
        try:
            changed = demand_changed(
                self.before,
                old_multiplier=self.multiplier,
                multiplier=cleaned["demand"] / 100,
                months=months,
                today=self.today,
            )
            if not months and self.months:
                # Back to the weeks from next Monday.
                changed["start"] = (
                    self.today + timedelta(days=7 - self.today.weekday())
                ).isoformat()
            CapacityScenario.from_dict(changed)
        except ValueError as error:
            self.add_error("demand", self._message("demand", error))
            return cleaned
        self.scenario_data = changed
        cleaned["multiplier"] = cleaned["demand"] / 100
        cleaned["month_numbers"] = months
        return cleaned


class TimescalesForm(ScenarioPartForm):
    part = "timescales"
    title = "Timescales"
    description = "The time from a contact arriving to the MASH decision, for each RAG rating, and whether it is counted in clock hours or in the hub's working hours."

    def build(self) -> None:
        for index, rating in enumerate(self.before["ratings"]):
            path = f"ratings[{index}]"

            def set_hours(data: dict[str, Any], value: Any, index: int = index) -> None:
                data["ratings"][index]["timescale_hours"] = value

            def set_counting(data: dict[str, Any], value: Any, index: int = index) -> None:
                data["ratings"][index]["counting"] = value

            name = rating["name"].title()
            noun = f"the {rating['name']} timescale"
            self.add(
                f"hours_{index}",
                _number(f"{name} timescale, in hours", noun=noun, decimal=True),
                FieldSpec(f"{path}.timescale_hours", set_hours, noun),
                rating["timescale_hours"],
            )
            self.add(
                f"counting_{index}",
                forms.ChoiceField(
                    label=f"How is the {rating['name']} timescale counted?",
                    choices=[
                        ("clock", "Clock hours (every hour of every day)"),
                        ("working", "Working hours (the hub's opening hours)"),
                    ],
                    widget=GovukRadios,
                    error_messages={
                        "required": f"Select how the {rating['name']} timescale is counted"
                    },
                ),
                FieldSpec(
                    f"{path}.counting",
                    set_counting,
                    f"how the {rating['name']} timescale is counted",
                ),
                rating["counting"],
            )


class WorkTimesForm(ScenarioPartForm):
    part = "work-times"
    title = "Work times"
    description = "How long one piece of work takes each group, in minutes: usually (the median), and the time one in ten takes longer than (the 90th percentile)."

    def build(self) -> None:
        for index, (path, group) in enumerate(self.groups()):
            median, p90 = as_median_and_p90(group["work_time"])
            people = self.people(path, group)

            def set_median(data: dict[str, Any], value: Any, path: str = path) -> None:
                work = _group(data, path)["work_time"]
                _group(data, path)["work_time"] = {
                    "kind": "lognormal",
                    "median_hours": value / 60,
                    "p90_hours": work.get("p90_hours", as_median_and_p90(work)[1]),
                }

            def set_p90(data: dict[str, Any], value: Any, path: str = path) -> None:
                work = _group(data, path)["work_time"]
                _group(data, path)["work_time"] = {
                    "kind": "lognormal",
                    "median_hours": work.get("median_hours", as_median_and_p90(work)[0]),
                    "p90_hours": value / 60,
                }

            usual = f"the usual time for {people}"
            longest = f"the one-in-ten time for {people}"
            self.add(
                f"median_{index}",
                _number(
                    f"Usual time for {people}, in minutes", noun=usual, decimal=True, width="4"
                ),
                FieldSpec(
                    f"{path}.work_time.median_hours", set_median, usual, "must be more than 0"
                ),
                round(median * 60, 1),
            )
            self.add(
                f"p90_{index}",
                _number(
                    f"Time one in ten take longer than, for {people}, in minutes",
                    noun=longest,
                    decimal=True,
                    width="4",
                ),
                FieldSpec(
                    f"{path}.work_time.p90_hours",
                    set_p90,
                    longest,
                    "must be longer than the usual time",
                ),
                round(p90 * 60, 1),
            )


class SettingsForm(ScenarioPartForm):
    part = "settings"
    title = "Simulation settings"
    description = "How long to simulate and how many times. Each replication is the same weeks with different chance events; more replications give narrower 95% intervals but take longer."

    def build(self) -> None:
        def setter(key: str) -> Setter:
            def set_value(data: dict[str, Any], value: Any) -> None:
                data[key] = value

            return set_value

        self.add(
            "horizon_days",
            _number("Days simulated, including the warm-up", noun="the days simulated"),
            FieldSpec("horizon_days", setter("horizon_days"), "the days simulated"),
            int(self.before["horizon_days"]),
        )
        self.add(
            "warm_up_days",
            _number("Warm-up days (simulated but not counted)", noun="the warm-up days"),
            FieldSpec(
                "warm_up_days",
                setter("warm_up_days"),
                "the warm-up days",
                "must be 0 or more and fewer than the days simulated",
            ),
            int(self.before["warm_up_days"]),
        )
        self.add(
            "replications",
            _number("Replications", noun="the number of replications"),
            FieldSpec("replications", setter("replications"), "the number of replications"),
            self.before["replications"],
        )
        self.add(
            "seed",
            _number("Random seed", noun="the random seed", width="5"),
            FieldSpec("seed", setter("seed"), "the random seed"),
            self.before["seed"],
        )


PART_FORMS: dict[str, type[ScenarioPartForm]] = {
    form.part: form
    for form in (StaffForm, AbsenceForm, DemandForm, TimescalesForm, WorkTimesForm, SettingsForm)
}


def part_form(
    part: str,
    *,
    scenario_data: dict[str, Any],
    calibration: dict[str, Any],
    multiplier: float,
    months: list[int],
    today: date,
    version: str = "",
    data: Any = None,
) -> ScenarioPartForm:
    form_class = PART_FORMS[part]
    kwargs: dict[str, Any] = {
        "data_before": scenario_data,
        "labels": labels_of(calibration),
        "version": version,
    }
    if form_class is DemandForm:
        kwargs.update(multiplier=multiplier, months=months, today=today)
    return form_class(data, **kwargs)


# --- targets ---------------------------------------------------------------------------


class TargetsForm(GovukForm):
    """The share of each rating's contacts to be decided within timescale, as a
    percentage; a rating left empty has no target."""

    def __init__(
        self, *args: Any, ratings: list[str], initial_targets: dict[str, float], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        targets = initial_targets or DEFAULT_TARGETS
        self.ratings = ratings
        for rating in ratings:
            field = _number(
                f"{rating.title()} contacts decided within timescale",
                noun=f"the target for {rating} contacts",
                decimal=True,
                required=False,
                help_text="Percentage, for example 95. Leave empty for no target.",
            )
            share = targets.get(rating)
            field.initial = None if share is None else round(share * 100, 1)
            self.fields[f"target_{rating}"] = field
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        targets: dict[str, float] = {}
        for rating in self.ratings:
            name = f"target_{rating}"
            value = cleaned.get(name)
            if value is None:
                continue
            if not 0 < value <= 100:
                self.add_error(
                    name, f"The target for {rating} contacts must be more than 0% and at most 100%"
                )
                continue
            targets[rating] = value / 100
        if not targets and not self.errors:
            self.add_error(f"target_{self.ratings[0]}", "Set a target for at least one rating")
        cleaned["targets"] = targets
        return cleaned
