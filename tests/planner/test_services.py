"""Scenarios and runs through the services: permission, validation, audit, and a run
end to end in the background task (the test settings' immediate backend)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.period import Period
from openmash.planner.models import RunKind, RunState, Scenario, ScenarioRun
from openmash.planner.replay import actual_turnaround
from openmash.planner.services import (
    demand_changed,
    recommendation_start,
    replay_start,
    run_execute,
    run_start,
    scenario_copy,
    scenario_create,
    scenario_create_from_records,
    scenario_update,
)
from tests.planner.conftest import LATER, TODAY, WEEK_END, WEEK_START, Hub, at, small_scenario

WEEK = Period(WEEK_START, WEEK_END)
Captured = Callable[..., Any]


@pytest.fixture
def manager(personas: dict[str, User]) -> Actor:
    return Actor(user=personas["manager"])


@pytest.fixture
def small(manager: Actor) -> Scenario:
    return scenario_create(actor=manager, name="Small hub", data=small_scenario().to_dict())


def events(object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type).order_by("id"))


def test_it_calibrates_a_scenario_from_the_records_and_audits_it(
    week: Hub, manager: Actor, small_settings: Any
) -> None:
    scenario = scenario_create_from_records(
        actor=manager, name="From the week", period=WEEK, today=TODAY
    )
    assert scenario.data["name"] == "From the week"
    assert scenario.data["horizon_days"] == 7
    assert scenario.calibration["contacts"] == 6
    assert scenario.calibration["labels"]["managers"] == "Managers"
    (event,) = events("planner_scenario")
    assert event.detail == {
        "calibrated_from": {"start": "2026-03-02", "end": "2026-03-08"},
        "contacts": 6,
    }
    assert event.actor_user == manager.user


@pytest.mark.parametrize("persona", ["screener", "analyst", "police_researcher", "auditor"])
def test_it_lets_only_managers_and_administrators_plan(
    personas: dict[str, User], persona: str
) -> None:
    with pytest.raises(PermissionDenied):
        scenario_create(
            actor=Actor(user=personas[persona]), name="X", data=small_scenario().to_dict()
        )
    assert not Scenario.objects.exists()


def test_an_administrator_may_plan(personas: dict[str, User]) -> None:
    scenario_create(
        actor=Actor(user=personas["administrator"]), name="X", data=small_scenario().to_dict()
    )
    assert Scenario.objects.count() == 1


def test_it_refuses_an_invalid_scenario_naming_the_field(manager: Actor) -> None:
    data = small_scenario().to_dict()
    data["screening"]["staff"] = 0
    with pytest.raises(ValueError, match=r"^screening.staff: must be at least 1"):
        scenario_create(actor=manager, name="Bad", data=data)
    assert not Scenario.objects.exists()


def test_a_copy_remembers_what_it_is_based_on(manager: Actor, small: Scenario) -> None:
    copy = scenario_copy(actor=manager, scenario_id=small.pk, name="One more police researcher")
    assert copy.based_on == small
    assert copy.data["name"] == "One more police researcher"
    assert {**copy.data, "name": ""} == {**small.data, "name": ""}
    assert events("planner_scenario")[-1].detail == {"copy_of": small.pk}


def test_an_edit_replaces_the_scenario_and_is_audited(manager: Actor, small: Scenario) -> None:
    data = {**small.data, "agencies": [{**small.data["agencies"][0], "staff": 2}]}
    scenario_update(actor=manager, scenario_id=small.pk, part="staff", data=data)
    small.refresh_from_db()
    assert small.data["agencies"][0]["staff"] == 2
    assert events("planner_scenario")[-1].detail == {"part": "staff"}


def test_an_invalid_edit_changes_nothing(manager: Actor, small: Scenario) -> None:
    data = {**small.data, "replications": 1}
    with pytest.raises(ValueError, match="replications: must be at least 2"):
        scenario_update(actor=manager, scenario_id=small.pk, part="settings", data=data)
    small.refresh_from_db()
    assert small.data["replications"] == 2


def test_demand_replaces_the_multiplier_rather_than_compounding_it() -> None:
    data = small_scenario().to_dict()
    more = demand_changed(data, old_multiplier=1.0, multiplier=1.15, months=[], today=TODAY)
    back = demand_changed(more, old_multiplier=1.15, multiplier=1.0, months=[], today=TODAY)
    assert more["arrivals"]["rates"][0][9] == pytest.approx(1.15)
    assert back["arrivals"]["rates"][0][9] == pytest.approx(1.0)
    assert more["start"] == data["start"]


def test_demand_in_a_month_moves_the_counted_weeks_to_the_first_of_the_next_such_month() -> None:
    data = small_scenario().to_dict()  # two warm-up days
    september = demand_changed(data, old_multiplier=1.0, multiplier=1.15, months=[9], today=TODAY)
    assert september["start"] == "2026-08-30"
    march = demand_changed(data, old_multiplier=1.0, multiplier=1.1, months=[3], today=TODAY)
    assert march["start"] == "2027-02-27"  # the next March, not this one


def test_a_run_simulates_replication_by_replication_in_the_background(
    manager: Actor, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start(actor=manager, scenario_id=small.pk)
    run.refresh_from_db()
    assert run.state == RunState.FINISHED
    assert (run.progress, run.replications_done, run.replications) == (100, 2, 2)
    assert run.started_at is not None and run.finished_at is not None
    assert run.scenario_data == small.data
    result = run.results["result"]
    assert result["replications"] == 2
    assert set(result["ratings"]) == {"red", "amber"}
    assert set(result["stages"]) == {"screeners", "police", "managers"}
    assert len(run.results["spread"]["red"]["within_timescale"]) == 2
    assert events("planner_run")[-1].detail == {
        "scenario": small.pk,
        "kind": "simulation",
        "targets": {},
    }


def test_a_run_is_queued_until_the_transaction_commits(manager: Actor, small: Scenario) -> None:
    run = run_start(actor=manager, scenario_id=small.pk)
    assert ScenarioRun.objects.get(pk=run.pk).state == RunState.QUEUED


def test_a_run_records_its_progress_as_it_goes(
    manager: Actor, small: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openmash.planner import services

    run = run_start(actor=manager, scenario_id=small.pk)
    seen: list[tuple[str, int, int]] = []
    real = services._progress

    def spy(run_id: int, done: int, total: int) -> None:
        real(run_id, done, total)
        stored = ScenarioRun.objects.get(pk=run_id)
        seen.append((stored.state, stored.progress, stored.replications_done))

    monkeypatch.setattr(services, "_progress", spy)
    run_execute(run_id=run.pk)
    assert seen == [("running", 33, 1), ("running", 66, 2)]


def test_a_run_that_has_run_is_not_run_again(manager: Actor, small: Scenario) -> None:
    run = run_start(actor=manager, scenario_id=small.pk)
    assert run_execute(run_id=run.pk) is not None
    assert run_execute(run_id=run.pk) is None


def test_a_failed_run_says_what_went_wrong(manager: Actor, small: Scenario) -> None:
    run = run_start(actor=manager, scenario_id=small.pk)
    ScenarioRun.objects.filter(pk=run.pk).update(scenario_data={"arrivals": {}})
    with pytest.raises(ValueError):
        run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert run.error.startswith("arrivals.rates: is missing")


def test_a_recommendation_meets_the_targets_and_explains_itself(
    manager: Actor, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = recommendation_start(
            actor=manager, scenario_id=small.pk, targets={"red": 0.8, "amber": 0.9}
        )
    run.refresh_from_db()
    assert run.kind == RunKind.RECOMMENDATION
    assert run.state == RunState.FINISHED, run.error
    recommendation = run.results["recommendation"]
    assert recommendation["met"] is True
    assert recommendation["explanation"][0].startswith("Recommended: ")
    assert recommendation["achieved"]["red"] >= 0.8
    assert run.results["current_staffing"] == {"screeners": 1, "police": 1, "managers": 1}
    assert (
        run.results["result"]["stages"]["police"]["staff"] == (recommendation["staffing"]["police"])
    )


@pytest.mark.parametrize(
    ("targets", "message"),
    [({}, "set at least one"), ({"green": 0.9}, "no rating"), ({"red": 1.5}, "at most 1")],
)
def test_it_refuses_bad_targets(
    manager: Actor, small: Scenario, targets: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        recommendation_start(actor=manager, scenario_id=small.pk, targets=targets)
    assert not ScenarioRun.objects.exists()


def test_a_replay_compares_the_simulation_with_what_was_recorded(
    week: Hub,
    manager: Actor,
    small_settings: Any,
    django_capture_on_commit_callbacks: Captured,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: LATER)
    with django_capture_on_commit_callbacks(execute=True):
        run = replay_start(actor=manager, period=WEEK, today=TODAY)
    run.refresh_from_db()
    assert run.kind == RunKind.REPLAY
    assert run.state == RunState.FINISHED, run.error
    # What was recorded, worked out by hand: A (red) decided 13:40, 4.5 hours after it
    # arrived and 30 minutes late; amber B 2h20, C 2h30, E 7h30, all in time; green D 2h15.
    red, amber, green = (run.actual[name] for name in ("red", "amber", "green"))
    assert red == {
        "contacts": 1,
        "pending": 0,
        "median_turnaround_hours": pytest.approx(4.5),
        "p90_turnaround_hours": pytest.approx(4.5),
        "within_timescale": 0.0,
        "breaches": 1,
    }
    assert amber["median_turnaround_hours"] == pytest.approx(2.5)
    assert amber["p90_turnaround_hours"] == pytest.approx(2.5 + 0.8 * 5)
    assert (amber["within_timescale"], amber["breaches"]) == (1.0, 0)
    assert green["median_turnaround_hours"] == pytest.approx(2.25)
    # The scenario is the week itself after a warm-up, with the people who did the work.
    scenario = run.scenario_data
    assert scenario["start"] == "2026-02-28"
    assert (scenario["warm_up_days"], scenario["horizon_days"]) == (2, 9)
    assert run.scenario.calibration["staffing"] == "recorded"
    assert run.results["result"]["replications"] == 2
    assert run.period_start == WEEK_START


def test_a_replay_judges_a_returned_case_by_its_first_decisions_deadline(week: Hub) -> None:
    # A (red) was decided at 13:40 against a 13:10 deadline. Early help returns it a
    # week later, which counts its deadline again from the return.
    week.send_back("A", at(9, 10))
    assert Contact.objects.get(pk=week.pk("A")).deadline_at > at(9, 10)

    red = actual_turnaround(period=WEEK, now=LATER)["red"]

    assert red["breaches"] == 1
    assert red["within_timescale"] == 0
