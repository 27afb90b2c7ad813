"""The capacity planning pages, through the test client."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.planner.models import RunState, Scenario, ScenarioRun
from openmash.planner.services import run_start, scenario_copy, scenario_create
from tests.conftest import signed_in
from tests.planner.conftest import LATER, Hub, small_scenario

Captured = Callable[..., Any]


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas["manager"]


@pytest.fixture
def small(manager: User) -> Scenario:
    return scenario_create(
        actor=Actor(user=manager), name="Small hub", data=small_scenario().to_dict()
    )


def finished_run(manager: User, scenario: Scenario, captured: Captured) -> ScenarioRun:
    with captured(execute=True):
        run = run_start(actor=Actor(user=manager), scenario_id=scenario.pk)
    run.refresh_from_db()
    assert run.state == RunState.FINISHED
    return run


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def period(start: tuple[int, int, int], end: tuple[int, int, int]) -> dict[str, str]:
    data = {}
    for name, (day, month, year) in (("start", start), ("end", end)):
        data.update(
            {f"{name}_day": str(day), f"{name}_month": str(month), f"{name}_year": str(year)}
        )
    return data


def test_the_list_shows_scenarios_and_their_latest_run(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    finished_run(manager, small, django_capture_on_commit_callbacks)
    response = signed_in(manager).get(reverse("planner:scenarios"))
    assert response.status_code == 200
    page = text(response)
    assert "Small hub" in page
    assert "Finished" in page
    assert "Calibrate a scenario from your records" in page


def test_an_analyst_sees_scenarios_but_cannot_change_or_run_them(
    personas: dict[str, User], small: Scenario
) -> None:
    client = signed_in(personas["analyst"])
    page = text(client.get(reverse("planner:scenario", args=[small.pk])))
    assert "Small hub" in page
    assert "Run this scenario" not in page
    assert "Change<span" not in page
    assert client.post(reverse("planner:run-start", args=[small.pk])).status_code == 403
    assert not ScenarioRun.objects.exists()


def test_the_list_takes_the_same_number_of_queries_however_many_scenarios(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    client = signed_in(manager)
    finished_run(manager, small, django_capture_on_commit_callbacks)
    client.get(reverse("planner:scenarios"))  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("planner:scenarios")).status_code == 200
        return len(queries)

    few = count()
    for number in range(4):
        copy = scenario_copy(actor=Actor(user=manager), scenario_id=small.pk, name=f"Copy {number}")
        run_start(actor=Actor(user=manager), scenario_id=copy.pk)
    assert count() == few


def test_calibrating_makes_a_scenario_and_shows_what_each_estimate_rests_on(
    week: Hub, manager: User, small_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: LATER)
    client = signed_in(manager)
    form = client.get(reverse("planner:calibrate"))
    # The 90 days to yesterday.
    assert 'name="end_day" type="text" inputmode="numeric" value="19"' in text(form)
    assert 'name="start_month" type="text" inputmode="numeric" value="12"' in text(form)
    response = client.post(
        reverse("planner:calibrate"), {"name": "The week", **period((2, 3, 2026), (8, 3, 2026))}
    )
    scenario = Scenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("planner:scenario", args=[scenario.pk])
    page = text(client.get(response["Location"]))
    assert "Scenario calibrated from 2 March 2026 to 8 March 2026" in page
    assert "From the 6 contacts received from 2 March 2026 to 8 March 2026" in page
    assert (
        "RAG mix" in page
        and "red 20.0% (1 of 5), amber 60.0% (3 of 5), green 20.0% (1 of 5)" in page
    )
    assert "Only 3 timed tasks" in page  # police checks: a stated default


def test_calibrating_a_period_without_contacts_says_so_and_keeps_what_was_typed(
    hub: Hub, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: LATER)
    response = signed_in(manager).post(
        reverse("planner:calibrate"), {"name": "Empty", **period((2, 3, 2026), (8, 3, 2026))}
    )
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert (
        '<a href="#id_start_0">No contacts were received from 2 March 2026 to 8 March 2026</a>'
        in page
    )
    assert 'value="Empty"' in page
    assert not Scenario.objects.exists()


def test_changing_staff_shows_field_errors_then_saves(manager: User, small: Scenario) -> None:
    client = signed_in(manager)
    url = reverse("planner:edit-staff", args=[small.pk])
    page = text(client.get(url))
    assert (
        '<label class="govuk-label govuk-label--s" for="id_staff_1">Police researchers</label>'
        in page
    )
    response = client.post(url, {"staff_0": "0", "staff_1": "2", "staff_2": "1"})
    assert response.status_code == 400
    page = text(response)
    assert '<a href="#id_staff_0">The number of screeners must be at least 1</a>' in page
    assert 'id="id_staff_1" value="2"' in page or 'value="2"' in page
    small.refresh_from_db()
    assert small.data["screening"]["staff"] == 1

    response = client.post(url, {"staff_0": "2", "staff_1": "2", "staff_2": "1"})
    assert response.status_code == 302
    small.refresh_from_db()
    assert (small.data["screening"]["staff"], small.data["agencies"][0]["staff"]) == (2, 2)
    assert "Staff changed" in text(client.get(response["Location"]))


def test_changing_demand_records_the_multiplier_and_months(manager: User, small: Scenario) -> None:
    response = signed_in(manager).post(
        reverse("planner:edit-demand", args=[small.pk]), {"demand": "115", "months": ["9"]}
    )
    assert response.status_code == 302
    small.refresh_from_db()
    assert small.demand_multiplier == pytest.approx(1.15)
    assert small.demand_months == [9]
    page = text(signed_in(manager).get(reverse("planner:scenario", args=[small.pk])))
    assert "115% of the demand estimated, in September" in page


def test_a_run_shows_its_results_with_a_chart_and_its_data(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    client = signed_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("planner:run-start", args=[small.pk]))
    run = ScenarioRun.objects.get()
    assert response["Location"] == reverse("planner:run", args=[run.pk])
    page = text(client.get(response["Location"]))
    assert "Simulation of Small hub" in page
    assert "Turnaround by RAG rating" in page
    assert "Bottleneck:" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'role="img" aria-labelledby="queues-title queues-desc"' in page
    assert "The chart's data as a table" in page
    svg = client.get(reverse("planner:run-queues-svg", args=[run.pk]))
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg')


def test_a_queued_run_shows_its_progress_and_works_without_javascript(
    manager: User, small: Scenario
) -> None:
    run = run_start(actor=Actor(user=manager), scenario_id=small.pk)
    client = signed_in(manager)
    page = text(client.get(reverse("planner:run", args=[run.pk])))
    assert "Waiting for the background worker to start it." in page
    assert '<progress id="run-progress-bar" class="app-progress" max="100" value="0">' in page
    assert "Check progress" in page  # a link to this page: no script needed
    assert "planner/run-progress.mjs" in page
    progress = client.get(reverse("planner:run-progress", args=[run.pk])).json()
    assert progress == {
        "state": "Waiting to start",
        "finished": False,
        "failed": False,
        "percent": 0,
        "text": "Waiting for the background worker to start it.",
    }
    assert client.get(reverse("planner:run-queues-svg", args=[run.pk])).status_code == 404


def test_comparing_runs_side_by_side(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    copy = scenario_copy(actor=Actor(user=manager), scenario_id=small.pk, name="Two screeners")
    copy.data = {**copy.data, "screening": {**copy.data["screening"], "staff": 2}}
    copy.save()
    first = finished_run(manager, small, django_capture_on_commit_callbacks)
    second = finished_run(manager, copy, django_capture_on_commit_callbacks)
    client = signed_in(manager)
    picker = text(client.get(reverse("planner:compare")))
    assert "Which runs do you want to compare?" in picker
    response = client.get(reverse("planner:compare"), {"run": [first.pk, second.pk]})
    page = text(response)
    assert response.status_code == 200
    assert "Small hub (" in page and "Two screeners (" in page
    assert "Decided within timescale" in page
    assert 'aria-labelledby="comparison-title comparison-desc"' in page
    one = client.get(reverse("planner:compare"), {"run": [first.pk]})
    assert one.status_code == 400
    assert "Choose at least two finished runs to compare" in text(one)


def test_a_recommendation_is_asked_for_with_targets_and_explained(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    client = signed_in(manager)
    url = reverse("planner:recommend", args=[small.pk])
    form = text(client.get(url))
    # The worked example's targets are offered first (it can meet them)
    assert 'id="id_target_red" value="85.0"' in form or 'value="85.0"' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"target_red": "80", "target_amber": "90"})
    run = ScenarioRun.objects.get()
    page = text(client.get(response["Location"]))
    assert run.state == RunState.FINISHED
    assert "Recommended staffing" in page
    assert "Every target is met" in page
    assert "Recommended: screeners 2" in page
    assert "is the bottleneck" in page

    # And a scenario with that staffing is one click away
    response = client.post(reverse("planner:adopt-recommendation", args=[run.pk]))
    adopted = Scenario.objects.get(based_on=small)
    assert response["Location"] == reverse("planner:scenario", args=[adopted.pk])
    assert adopted.name == "Small hub with the recommended staffing"
    assert adopted.data["screening"]["staff"] == 2
    assert "Made a scenario with the recommended staffing" in text(client.get(response["Location"]))


def test_only_a_recommendation_that_met_its_targets_makes_a_scenario(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    run = finished_run(manager, small, django_capture_on_commit_callbacks)
    response = signed_in(manager).post(reverse("planner:adopt-recommendation", args=[run.pk]))
    assert response.status_code == 404
    assert Scenario.objects.count() == 1


def test_the_scenario_downloads_as_the_json_the_command_reads(
    manager: User, small: Scenario
) -> None:
    response = signed_in(manager).get(reverse("planner:scenario-json", args=[small.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="scenario-{small.pk}.json"'
    assert response.json() == small.data


def test_a_replay_shows_predicted_and_actual(
    week: Hub,
    manager: User,
    small_settings: Any,
    django_capture_on_commit_callbacks: Captured,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: LATER)
    client = signed_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("planner:replay"), period((2, 3, 2026), (8, 3, 2026)))
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Predicted and actual, 2 March 2026 to 8 March 2026" in page
    assert "The model against the records, 2 March 2026 to 8 March 2026" in page
    assert "Actual inside the range" in page
    assert "4.5 hours" in page  # the red contact's actual turnaround


def test_an_edit_made_on_a_scenario_someone_else_has_since_changed_is_not_saved(
    manager: User, personas: dict[str, User], small: Scenario
) -> None:
    from openmash.planner.services import scenario_update, scenario_version

    client = signed_in(manager)
    url = reverse("planner:edit-staff", args=[small.pk])
    opened = scenario_version(small)
    # Another manager gives the police a second researcher meanwhile.
    changed = {**small.data, "agencies": [{**small.data["agencies"][0], "staff": 2}]}
    scenario_update(
        actor=Actor(user=personas["administrator"]),
        scenario_id=small.pk,
        part="staff",
        data=changed,
    )
    typed = {"staff_0": "3", "staff_1": "1", "staff_2": "1", "version": opened}

    response = client.post(url, typed)

    assert response.status_code == 400
    page = text(response)
    assert "Someone else changed this scenario after you opened this page" in page
    small.refresh_from_db()
    assert (small.data["screening"]["staff"], small.data["agencies"][0]["staff"]) == (1, 2)
    # Saved again, on the scenario as it is now.
    current = re.search(r'name="version" value="([^"]+)"', page)
    assert current is not None and current.group(1) == scenario_version(small)
    assert client.post(url, {**typed, "version": current.group(1)}).status_code == 302
    small.refresh_from_db()
    assert small.data["screening"]["staff"] == 3


def test_a_run_left_running_by_a_stopped_worker_says_so(manager: User, small: Scenario) -> None:
    from datetime import timedelta

    from django.utils import timezone

    run = run_start(actor=Actor(user=manager), scenario_id=small.pk)
    ScenarioRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, started_at=timezone.now() - timedelta(hours=3)
    )
    progress = signed_in(manager).get(reverse("planner:run-progress", args=[run.pk])).json()
    assert "the background worker may have stopped" in progress["text"]


def test_a_target_no_staffing_meets_is_named_with_the_best_achieved_and_why(
    manager: User, small: Scenario, django_capture_on_commit_callbacks: Captured
) -> None:
    # Ambers arriving late on a Friday wait for Monday, past their 24 clock hours, however
    # many people there are; reds (4 working hours) can be met.
    client = signed_in(manager)
    url = reverse("planner:recommend", args=[small.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"target_red": "80", "target_amber": "100"})
    run = ScenarioRun.objects.get()
    page = text(client.get(response["Location"]))

    assert run.state == RunState.FINISHED
    assert not run.results["recommendation"]["met"]
    assert "No staffing meets every target" in page
    assert "The staff shown are the fewest that meet the other targets" in page
    assert (
        "The target for amber contacts (100% decided within timescale) cannot be met with any "
        "staffing tried: the best was "
    ) in page
    assert "(staffings tried: screeners " in page
    assert "They wait for the rota rather than for people" in page
    assert "The smallest staffing that meets the other targets: screeners " in page
    assert "Make a scenario with this staffing" not in page
