"""manage.py capacity_plan: the same calibration, simulation, recommendation and replay
as the pages, printed as JSON."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from openmash.core.audit import Actor
from openmash.planner.services import scenario_create
from tests.planner.conftest import LATER, Hub, small_scenario


@pytest.fixture(autouse=True)
def it_is_later(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: LATER)


def plan(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("capacity_plan", *args, stdout=out, stderr=StringIO())
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_it_prints_a_calibrated_scenario_with_its_notes(week: Hub) -> None:
    output = plan("--calibrate", "--from", "2026-03-02", "--to", "2026-03-08", "--name", "Week")
    assert output["scenario"]["name"] == "Week"
    assert output["scenario"]["start"] == "2026-03-23"
    assert output["calibration"]["contacts"] == 6
    parts = {note["part"]: note for note in output["calibration"]["estimates"]}
    assert parts["ratings"]["records"] == 5
    assert "result" not in output


def test_it_calibrates_and_simulates(week: Hub) -> None:
    output = plan(
        *("--calibrate", "--from", "2026-03-02", "--to", "2026-03-08", "--run"),
        *("--replications", "2", "--horizon-days", "5", "--warm-up-days", "1"),
    )
    assert output["result"]["replications"] == 2
    assert set(output["result"]["ratings"]) == {"red", "amber", "green"}


def test_it_simulates_a_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(small_scenario().to_json())
    output = plan("--file", str(path), "--seed", "7")
    assert output["scenario_name"] == "Small hub"
    assert output["result"]["replications"] == 2
    assert len(output["spread"]["red"]["within_timescale"]) == 2
    # The same seed and scenario give the same figures.
    assert plan("--file", str(path), "--seed", "7") == output


def test_it_simulates_a_saved_scenario(personas: Any) -> None:
    saved = scenario_create(
        actor=Actor(user=personas["manager"]), name="Saved", data=small_scenario().to_dict()
    )
    assert plan("--scenario", str(saved.pk))["scenario_name"] == "Saved"


def test_it_recommends_staffing_for_targets(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(small_scenario().to_json())
    output = plan(
        "--file", str(path), "--recommend", "--target", "red=0.8", "--target", "amber=0.9"
    )
    recommendation = output["recommendation"]
    assert recommendation["met"] is True
    assert recommendation["staffing"] == {"screeners": 2, "police": 1, "managers": 1}
    assert recommendation["explanation"][0].startswith("Recommended: screeners 2, police 1")
    assert output["current_staffing"] == {"screeners": 1, "police": 1, "managers": 1}


def test_it_replays_a_recorded_period(week: Hub) -> None:
    output = plan("--replay", "--from", "2026-03-02", "--to", "2026-03-08", "--replications", "2")
    assert output["actual"]["red"]["median_turnaround_hours"] == pytest.approx(4.5)
    assert output["predicted"]["replications"] == 2
    assert output["scenario"]["start"] == "2026-02-23"
    assert output["calibration"]["staffing"] == "recorded"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--calibrate", "--from", "2026-03-02"), "--from and --to"),
        (("--calibrate", "--from", "2 March", "--to", "2026-03-08"), "not a date"),
        (("--scenario", "999"), "No scenario 999"),
        (("--file", "/nonexistent/scenario.json"), "Cannot read"),
        (("--calibrate", "--from", "2026-03-02", "--to", "2026-03-08", "--recommend"), "--target"),
        (
            (
                "--calibrate",
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-08",
                "--recommend",
                "--target",
                "red",
            ),
            "rating=share",
        ),
        (
            ("--calibrate", "--from", "2026-03-02", "--to", "2026-03-08", "--replications", "1"),
            "replications: must be at least 2",
        ),
    ],
)
def test_it_says_what_is_wrong(week: Hub, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        plan(*args)
