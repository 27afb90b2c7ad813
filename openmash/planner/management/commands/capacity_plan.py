"""Capacity planning from the command line, printing JSON (issue 6, item 6).

    manage.py capacity_plan --calibrate --from 2026-01-05 --to 2026-03-29
    manage.py capacity_plan --calibrate --from 2026-01-05 --to 2026-03-29 --run
    manage.py capacity_plan --scenario 3
    manage.py capacity_plan --file scenario.json --replications 20
    manage.py capacity_plan --scenario 3 --recommend --target red=0.95 --target amber=0.9
    manage.py capacity_plan --replay --from 2026-03-02 --to 2026-03-29

It reads and prints; it saves nothing (the pages save scenarios and runs). A scenario's
JSON is what the scenario page downloads, and what `--calibrate` prints under
"scenario".
"""

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from openmash.capacity.engine import run_replications
from openmash.capacity.results import aggregate, replication_metrics
from openmash.capacity.scenario import Scenario as CapacityScenario
from openmash.capacity.staffing import recommend_staffing
from openmash.core.period import Period
from openmash.planner.calibration import calibrate, simulation_defaults
from openmash.planner.models import Scenario
from openmash.planner.replay import actual_turnaround, replication_spread
from openmash.planner.services import planner_workers


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date as YYYY-MM-DD") from None


def _target(value: str) -> tuple[str, float]:
    rating, _, share = value.partition("=")
    try:
        return rating.strip(), float(share)
    except ValueError:
        raise CommandError(f"--target {value!r}: give it as rating=share, e.g. red=0.95") from None


class Command(BaseCommand):
    help = "Calibrate, simulate, recommend staffing or replay a period; prints JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--calibrate", action="store_true", help="Estimate a scenario from the records"
        )
        source.add_argument("--scenario", type=int, help="A saved scenario's id")
        source.add_argument("--file", type=Path, help="A scenario's JSON file")
        source.add_argument(
            "--replay", action="store_true", help="Simulate a recorded period and compare"
        )
        parser.add_argument("--from", dest="start", type=_date, help="First day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, help="Last day, YYYY-MM-DD")
        parser.add_argument("--name", default="", help="The calibrated scenario's name")
        parser.add_argument(
            "--run", action="store_true", help="Simulate the calibrated scenario too"
        )
        parser.add_argument(
            "--recommend", action="store_true", help="Recommend the staffing that meets --target"
        )
        parser.add_argument(
            "--target",
            action="append",
            default=[],
            type=_target,
            help="rating=share decided within timescale, e.g. red=0.95 (repeat for each)",
        )
        parser.add_argument("--replications", type=int, help="Override the replications")
        parser.add_argument("--horizon-days", type=float, help="Override the days simulated")
        parser.add_argument("--warm-up-days", type=float, help="Override the warm-up days")
        parser.add_argument("--seed", type=int, help="Override the random seed")
        parser.add_argument("--indent", type=int, default=2, help="JSON indent (0: one line)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            output = self._plan(options)
        except ValueError as error:
            raise CommandError(str(error)) from None
        json.dump(output, self.stdout, indent=options["indent"] or None, sort_keys=False)
        self.stdout.write("")

    def _period(self, options: dict[str, Any]) -> Period:
        if options["start"] is None or options["end"] is None:
            raise CommandError("Give the period with --from and --to")
        return Period(options["start"], options["end"])

    def _overridden(self, scenario: CapacityScenario, options: dict[str, Any]) -> CapacityScenario:
        data = scenario.to_dict()
        for option, key in (
            ("replications", "replications"),
            ("horizon_days", "horizon_days"),
            ("warm_up_days", "warm_up_days"),
            ("seed", "seed"),
        ):
            if options[option] is not None:
                data[key] = options[option]
        return CapacityScenario.from_dict(data)

    def _simulate(self, scenario: CapacityScenario) -> tuple[dict[str, Any], dict[str, Any]]:
        logs = run_replications(
            scenario,
            workers=planner_workers(),
            on_done=lambda done: self.stderr.write(f"Simulated {done} of {scenario.replications}"),
        )
        spread = replication_spread([replication_metrics(scenario, log) for log in logs])
        return aggregate(scenario, logs).to_dict(), spread

    def _plan(self, options: dict[str, Any]) -> dict[str, Any]:
        today = timezone.localdate()
        output: dict[str, Any] = {}
        if options["replay"]:
            period = self._period(options)
            warm_up = round(options["warm_up_days"] or simulation_defaults()["warm_up_days"])
            calibration = calibrate(
                period=period,
                today=today,
                name=f"Replay of {period.text()}",
                staffing="recorded",
                start=date.fromordinal(period.start.toordinal() - warm_up),
                horizon_days=warm_up + period.days,
                warm_up_days=warm_up,
            )
            scenario = self._overridden(calibration.scenario, {**options, "horizon_days": None})
            result, spread = self._simulate(scenario)
            return {
                "period": period.to_dict(),
                "actual": actual_turnaround(period=period, now=timezone.now()),
                "predicted": result,
                "spread": spread,
                "scenario": scenario.to_dict(),
                "calibration": calibration.notes,
            }
        if options["calibrate"]:
            period = self._period(options)
            calibration = calibrate(
                period=period, today=today, name=options["name"] or f"Calibrated {period.text()}"
            )
            scenario = self._overridden(calibration.scenario, options)
            output.update(
                scenario=scenario.to_dict(),
                calibration={**calibration.notes, "labels": calibration.labels},
            )
        elif options["scenario"] is not None:
            saved = Scenario.objects.filter(pk=options["scenario"]).first()
            if saved is None:
                raise CommandError(f"No scenario {options['scenario']}")
            scenario = self._overridden(CapacityScenario.from_dict(saved.data), options)
        else:
            try:
                text = options["file"].read_text()
            except OSError as error:
                raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from None
            try:
                scenario = self._overridden(CapacityScenario.from_json(text), options)
            except json.JSONDecodeError as error:
                raise CommandError(f"{options['file']} is not JSON: {error}") from None
        if options["recommend"]:
            if not options["target"]:
                raise CommandError("Give at least one --target, e.g. --target red=0.95")
            recommendation = recommend_staffing(scenario, dict(options["target"]))
            output["recommendation"] = recommendation.to_dict()
            output["current_staffing"] = scenario.staffing()
            return output
        if options["calibrate"] and not options["run"]:
            return output
        result, spread = self._simulate(scenario)
        output.update(scenario_name=scenario.name, result=result, spread=spread)
        return output
