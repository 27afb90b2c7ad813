"""Scenarios: JSON both ways, validation naming the field, and a package free of Django."""

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from openmash.capacity.scenario import (
    Arrivals,
    Exponential,
    Fixed,
    HubHours,
    LogNormal,
    OnCall,
    Rating,
    Rota,
    Scenario,
    Shift,
    StaffGroup,
)
from openmash.demo.capacity_examples import county_mash

PACKAGE = Path(__file__).resolve().parents[2] / "openmash" / "capacity"


def a_scenario(**changes: object) -> Scenario:
    fields: dict[str, object] = {
        "arrivals": Arrivals.constant(1.0),
        "ratings": (
            Rating(name="red", share=0.2, timescale_hours=4, checks={"police": 1.0}),
            Rating(name="amber", share=0.8, timescale_hours=24, counting="working"),
        ),
        "screening": StaffGroup(
            name="screeners", staff=2, work_time=Exponential(0.5), rota=Rota.always()
        ),
        "agencies": (
            StaffGroup(
                name="police", staff=1, work_time=Fixed(0.5), rota=Rota.office(), absence=0.1
            ),
        ),
        "decision": StaffGroup(
            name="managers", staff=1, work_time=LogNormal(0.25, 1.0), rota=Rota.always()
        ),
        "hub_hours": HubHours(bank_holidays=(date(2025, 1, 6),)),
    }
    fields.update(changes)
    return Scenario(**fields)  # type: ignore[arg-type]


def test_it_round_trips_through_json() -> None:
    scenario = county_mash()

    text = json.dumps(scenario.to_dict())
    again = Scenario.from_dict(json.loads(text))

    assert again == scenario
    assert again.to_dict() == scenario.to_dict()
    assert Scenario.from_json(scenario.to_json()) == scenario


def test_it_round_trips_every_kind_of_work_time_and_rota() -> None:
    scenario = a_scenario(
        screening=StaffGroup(
            name="screeners",
            staff=3,
            work_time=LogNormal(median_hours=0.5, p90_hours=2),
            rota=Rota(
                shifts=(
                    Shift(days=("mon", "tue"), start=8, end=20),
                    Shift(days=("sat",), start=10, end=14),
                ),
                on_call=OnCall(people=2, ratings=("red", "amber")),
            ),
            absence=0.15,
        )
    )

    assert Scenario.from_json(scenario.to_json()) == scenario


def test_it_fills_defaults_when_reading_a_short_scenario() -> None:
    data = a_scenario().to_dict()
    for key in ("hub_hours", "start", "horizon_days", "warm_up_days", "replications", "seed"):
        del data[key]

    scenario = Scenario.from_dict(data)

    assert scenario.hub_hours == HubHours()
    assert scenario.replications == 10


def test_it_keeps_a_ratings_checks_frozen() -> None:
    checks = {"police": 1.0}
    rating = Rating(name="red", share=1, timescale_hours=4, checks=checks)
    checks["police"] = 0.0

    assert rating.checks["police"] == 1.0
    with pytest.raises(TypeError):
        rating.checks["police"] = 0.5  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ratings": (Rating(name="red", share=0.5, timescale_hours=4),)}, "ratings"),
        (
            {
                "ratings": (
                    Rating(name="red", share=0.2, timescale_hours=4),
                    Rating(name="amber", share=1.2, timescale_hours=4),
                )
            },
            "ratings[1].share",
        ),
        (
            {"ratings": (Rating(name="red", share=1, timescale_hours=0),)},
            "ratings[0].timescale_hours",
        ),
        (
            {"ratings": (Rating(name="red", share=1, timescale_hours=4, checks={"health": 1}),)},
            "ratings[0].checks.health",
        ),
        (
            {
                "ratings": (
                    Rating(name="red", share=0.5, timescale_hours=4),
                    Rating(name="red", share=0.5, timescale_hours=4),
                )
            },
            "ratings[1].name",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners", staff=0, work_time=Fixed(1), rota=Rota.always()
                )
            },
            "screening.staff",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners", staff=1, work_time=LogNormal(2, 1), rota=Rota.always()
                )
            },
            "screening.work_time.p90_hours",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners", staff=1, work_time=Exponential(-1), rota=Rota.always()
                )
            },
            "screening.work_time.mean_hours",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners",
                    staff=1,
                    work_time=Fixed(1),
                    rota=Rota(shifts=(Shift(days=("monday",), start=9, end=17),)),
                )
            },
            "screening.rota.shifts[0].days[0]",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners",
                    staff=1,
                    work_time=Fixed(1),
                    rota=Rota(shifts=(Shift(days=("mon",), start=17, end=9),)),
                )
            },
            "screening.rota.shifts[0].end",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners",
                    staff=1,
                    work_time=Fixed(1),
                    rota=Rota.office(on_call=OnCall(ratings=("blue",))),
                )
            },
            "screening.rota.on_call.ratings[0]",
        ),
        (
            {
                "screening": StaffGroup(
                    name="screeners", staff=1, work_time=Fixed(1), rota=Rota.always(), absence=1
                )
            },
            "screening.absence",
        ),
        ({"arrivals": Arrivals.constant(0)}, "arrivals.rates"),
        ({"arrivals": Arrivals(rates=((1.0,) * 24,) * 6)}, "arrivals.rates"),
        ({"arrivals": Arrivals(rates=((-1.0,) * 24,) * 7)}, "arrivals.rates[0][0]"),
        ({"hub_hours": HubHours(opens=18, closes=9)}, "hub_hours.closes"),
        ({"warm_up_days": 40, "horizon_days": 35}, "warm_up_days"),
        ({"replications": 1}, "replications"),
    ],
)
def test_it_rejects_a_bad_value_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(f"{field}: ")):
        a_scenario(**change)


def test_it_rejects_two_groups_with_one_name() -> None:
    police = StaffGroup(name="police", staff=1, work_time=Fixed(1), rota=Rota.always())

    with pytest.raises(ValueError, match="two staff groups are called 'police'"):
        a_scenario(agencies=(police, police))


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda data: data.pop("screening"), "screening: is missing"),
        (
            lambda data: data["screening"]["work_time"].update(kind="gamma"),
            "screening.work_time.kind",
        ),
        (lambda data: data["agencies"][0].update(staff="two"), "agencies[0].staff"),
        (lambda data: data["ratings"][1].update(counting="days"), "ratings[1].counting"),
        (lambda data: data.update(start="6 January"), "start"),
        (
            lambda data: data["hub_hours"].update(bank_holidays=["Boxing Day"]),
            "hub_hours.bank_holidays[0]",
        ),
        (lambda data: data["screening"]["rota"].update(shifts="always"), "screening.rota.shifts"),
    ],
)
def test_it_names_the_field_when_reading_bad_json(damage: object, field: str) -> None:
    data = json.loads(a_scenario().to_json())
    damage(data)  # type: ignore[operator]

    with pytest.raises(ValueError) as raised:
        Scenario.from_dict(data)

    assert str(raised.value).startswith(field)


def test_it_changes_staffing_without_touching_the_rest() -> None:
    scenario = a_scenario()

    changed = scenario.with_staff({"police": 4})

    assert changed.staffing() == {"screeners": 2, "police": 4, "managers": 1}
    assert replace(changed, agencies=scenario.agencies) == scenario
    with pytest.raises(ValueError, match=r"^staffing: no staff group called health"):
        scenario.with_staff({"health": 1})


def test_it_builds_hourly_rates_from_a_daily_profile() -> None:
    arrivals = Arrivals.from_profile(
        per_day=(24, 24, 24, 24, 24, 0, 0), hourly_shares=(1 / 24,) * 24
    )

    assert arrivals.rate(0, 10) == pytest.approx(1.0)
    assert arrivals.rate(6, 10) == 0
    assert arrivals.per_week() == pytest.approx(120)


# --- no Django in the engine ----------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_it_imports_nothing_from_django(path: Path) -> None:
    imported = _imported_modules(path)

    assert not {name for name in imported if name.split(".")[0] == "django"}
    # Other OpenMASH packages are Django apps: only the capacity package itself may be used.
    assert {
        name
        for name in imported
        if name.startswith("openmash") and not name.startswith("openmash.capacity")
    } == set()


def test_it_runs_without_django_loaded() -> None:
    modules = [f"openmash.capacity.{path.stem}" for path in sorted(PACKAGE.glob("*.py"))]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "from openmash.capacity.engine import simulate\n"
        "from openmash.demo.capacity_examples import county_mash\n"
        "simulate(county_mash(horizon_days=3, warm_up_days=1, replications=2))\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}

    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
