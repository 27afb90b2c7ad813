"""Each part's form reports every wrong value against its own field, in the engine's
words (in the form's units), and keeps what was typed."""

from typing import Any

import pytest

from openmash.core.forms import error_summary
from openmash.planner.forms import CalibrationForm, TargetsForm, part_form
from tests.planner.conftest import TODAY, small_scenario


def form_for(part: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return part_form(
        part,
        scenario_data=small_scenario().to_dict(),
        calibration={"labels": {"police": "Police"}},
        multiplier=kwargs.get("multiplier", 1.0),
        months=kwargs.get("months", []),
        today=TODAY,
        data=data,
    )


STAFF = {"staff_0": "1", "staff_1": "1", "staff_2": "1"}


def test_staff_numbers_change_the_scenario() -> None:
    form = form_for("staff", {**STAFF, "staff_1": "3"})
    assert form.is_valid(), form.errors
    assert form.scenario_data["agencies"][0]["staff"] == 3
    assert form.fields["staff_1"].label == "Police researchers"


def test_every_wrong_staff_number_is_reported_against_its_field() -> None:
    form = form_for("staff", {"staff_0": "0", "staff_1": "two", "staff_2": ""})
    assert not form.is_valid()
    assert form.errors == {
        "staff_0": ["The number of screeners must be at least 1"],
        "staff_1": ["The number of Police researchers must be a whole number"],
        "staff_2": ["Enter the number of managers"],
    }
    html = form["staff_1"].as_field_group()
    assert 'value="two"' in html  # what was typed is kept
    assert "govuk-input--error" in html
    assert [error.href for error in error_summary(form)] == [
        "#id_staff_0",
        "#id_staff_1",
        "#id_staff_2",
    ]


def test_absence_is_a_percentage() -> None:
    form = form_for("absence", {"absence_0": "25", "absence_1": "100", "absence_2": "0"})
    assert not form.is_valid()
    assert form.errors == {
        "absence_1": ["Absence for Police researchers must be from 0% up to (not including) 100%"]
    }
    form = form_for("absence", {"absence_0": "25", "absence_1": "10", "absence_2": "0"})
    assert form.is_valid()
    assert form.scenario_data["screening"]["absence"] == 0.25


def test_a_work_time_one_in_ten_must_be_longer_than_the_usual_time() -> None:
    data = {
        "median_0": "15",
        "p90_0": "30",
        "median_1": "30",
        "p90_1": "45",
        "median_2": "40",  # now above the old and the new one-in-ten time
        "p90_2": "20",
    }
    form = form_for("work-times", data)
    assert not form.is_valid()
    assert form.errors == {
        "p90_2": ["The one-in-ten time for managers must be longer than the usual time"]
    }


def test_work_times_are_entered_in_minutes_and_become_lognormal() -> None:
    data = {
        "median_0": "15",
        "p90_0": "30",
        "median_1": "30",  # the police's fixed time becomes "usually 30, one in ten 60"
        "p90_1": "60",
        "median_2": "12",
        "p90_2": "24",
    }
    form = form_for("work-times", data)
    assert form.is_valid(), form.errors
    assert form.scenario_data["agencies"][0]["work_time"] == {
        "kind": "lognormal",
        "median_hours": 0.5,
        "p90_hours": 1.0,
    }


def test_a_timescale_must_be_more_than_zero_and_counted_one_of_two_ways() -> None:
    form = form_for(
        "timescales",
        {"hours_0": "0", "counting_0": "working", "hours_1": "24", "counting_1": "fortnightly"},
    )
    assert not form.is_valid()
    assert form.errors["hours_0"] == ["The red timescale must be more than 0"]
    assert "counting_1" in form.errors
    assert [error.href for error in error_summary(form)] == ["#id_hours_0", "#id_counting_1_0"]


def test_the_warm_up_must_be_shorter_than_the_days_simulated() -> None:
    form = form_for(
        "settings", {"horizon_days": "5", "warm_up_days": "5", "replications": "1", "seed": "1"}
    )
    assert not form.is_valid()
    assert form.errors == {
        "warm_up_days": ["The warm-up days must be 0 or more and fewer than the days simulated"],
        "replications": [
            "The number of replications must be at least 2 (a confidence interval needs two)"
        ],
    }


def test_demand_is_a_percentage_of_the_demand_estimated_with_optional_months() -> None:
    form = form_for("demand", {"demand": "115", "months": ["9"]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["multiplier"] == pytest.approx(1.15)
    assert form.cleaned_data["month_numbers"] == [9]
    assert form.scenario_data["arrivals"]["rates"][0][9] == pytest.approx(1.15)
    assert form.scenario_data["start"] == "2026-08-30"
    form = form_for("demand", {"demand": "0"})
    assert not form.is_valid()
    assert form.errors == {"demand": ["Demand must be more than 0"]}


def test_the_calibration_period_must_be_a_week_or_more_in_the_past() -> None:
    def period(start: str, end: str) -> dict[str, str]:
        (sd, sm, sy), (ed, em, ey) = start.split(), end.split()
        return {
            "name": "Now",
            "start_day": sd,
            "start_month": sm,
            "start_year": sy,
            "end_day": ed,
            "end_month": em,
            "end_year": ey,
        }

    assert CalibrationForm(period("1 3 2026", "19 3 2026"), today=TODAY).is_valid()
    form = CalibrationForm(period("1 3 2026", "20 3 2026"), today=TODAY)
    assert form.errors == {"end": ["The end of the period must be in the past"]}
    form = CalibrationForm(period("10 3 2026", "12 3 2026"), today=TODAY)
    assert form.errors == {"end": ["The period must be at least 7 days long"]}
    form = CalibrationForm({**period("1 3 2026", "19 3 2026"), "name": " "}, today=TODAY)
    assert form.errors == {"name": ["Enter a name for the scenario"]}
    form = CalibrationForm(period("31 2 2026", "19 3 2026"), today=TODAY)
    assert form.errors["start"] == ["Start of the period must be a real date, like 27 3 2019"]


def test_targets_are_percentages_and_at_least_one_is_needed() -> None:
    form = TargetsForm(
        {"target_red": "95", "target_amber": ""}, ratings=["red", "amber"], initial_targets={}
    )
    assert form.is_valid()
    assert form.cleaned_data["targets"] == {"red": 0.95}
    form = TargetsForm(
        {"target_red": "", "target_amber": ""}, ratings=["red", "amber"], initial_targets={}
    )
    assert form.errors == {"target_red": ["Set a target for at least one rating"]}
    form = TargetsForm(
        {"target_red": "150", "target_amber": "x"}, ratings=["red", "amber"], initial_targets={}
    )
    assert form.errors == {
        "target_red": ["The target for red contacts must be more than 0% and at most 100%"],
        "target_amber": ["The target for amber contacts must be a number"],
    }
