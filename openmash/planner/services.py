"""Every write to capacity plans: scenarios calibrated from the records, copied and
edited by hand, and runs started in the background.

Each service checks the actor may plan (`planner.manage_scenarios`), validates the
scenario with `openmash.capacity` (a bad value raises ValueError whose message starts
with the field's path, e.g. "screening.staff: must be at least 1"), writes, and records
its audit event in the same transaction. Runs are queued on commit and executed by
`run_execute` in the background worker (at once, inside the request, under the test
settings' immediate backend).
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from openmash.accounts.models import User
from openmash.capacity.engine import ReplicationPool, run_replications, workers_for
from openmash.capacity.results import aggregate, replication_metrics
from openmash.capacity.scenario import Scenario as CapacityScenario
from openmash.capacity.staffing import recommend_staffing
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.core.period import Period
from openmash.planner.calibration import calibrate, simulation_defaults
from openmash.planner.models import RunKind, RunState, Scenario, ScenarioRun
from openmash.planner.replay import actual_turnaround, replication_spread

logger = logging.getLogger(__name__)

PERMISSION = "planner.manage_scenarios"
SCENARIO = "planner_scenario"
RUN = "planner_run"
PARTS = ("staff", "absence", "demand", "timescales", "work-times", "settings")


def _require(actor: Actor) -> User:
    if actor.user is None or not actor.user.has_perm(PERMISSION):
        raise PermissionDenied
    return actor.user


def _validated(data: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario JSON as the engine reads and writes it; ValueError if invalid."""
    return CapacityScenario.from_dict(data).to_dict()


def _locked(scenario_id: int) -> Scenario:
    return Scenario.objects.select_for_update().get(pk=scenario_id)


@transaction.atomic
def scenario_create_from_records(
    *, actor: Actor, name: str, period: Period, today: date | None = None
) -> Scenario:
    """A scenario estimated from the contacts received in `period` (see
    openmash.planner.calibration), with the notes of how each part was estimated.
    Raises CalibrationError (a ValueError) if the period cannot give one."""
    user = _require(actor)
    today = today or timezone.localdate()
    calibration = calibrate(period=period, today=today, name=name)
    scenario = Scenario.objects.create(
        name=name,
        data=calibration.scenario.to_dict(),
        calibration={**calibration.notes, "labels": calibration.labels},
        created_by=user,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=SCENARIO,
        object_id=scenario.pk,
        detail={"calibrated_from": period.to_dict(), "contacts": calibration.notes["contacts"]},
    )
    return scenario


@transaction.atomic
def scenario_create(
    *,
    actor: Actor,
    name: str,
    data: Mapping[str, Any],
    calibration: Mapping[str, Any] | None = None,
) -> Scenario:
    """A scenario from its JSON (a file, or the command line). ValueError if invalid."""
    user = _require(actor)
    scenario = Scenario.objects.create(
        name=name,
        data=_validated({**data, "name": name}),
        calibration=dict(calibration or {}),
        created_by=user,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=SCENARIO,
        object_id=scenario.pk,
        detail={"from": "json"},
    )
    return scenario


@transaction.atomic
def scenario_copy(*, actor: Actor, scenario_id: int, name: str) -> Scenario:
    """A new scenario the same as this one, to change ("what if"); it remembers what it
    was based on, and keeps the calibration notes."""
    user = _require(actor)
    original = Scenario.objects.get(pk=scenario_id)
    return _scenario_based_on(actor, user, original, name=name, data=original.data)


def _scenario_based_on(
    actor: Actor,
    user: User,
    original: Scenario,
    *,
    name: str,
    data: dict[str, Any],
    **detail: object,
) -> Scenario:
    """A new scenario from `data`, keeping the original's calibration notes and demand
    change and remembering what it was based on; audited with `detail`."""
    scenario = Scenario.objects.create(
        name=name,
        data={**data, "name": name},
        calibration=original.calibration,
        demand_multiplier=original.demand_multiplier,
        demand_months=original.demand_months,
        based_on=original,
        created_by=user,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=SCENARIO,
        object_id=scenario.pk,
        detail={"copy_of": original.pk, **detail},
    )
    return scenario


def _first_of_next(months: Sequence[int], today: date) -> date:
    """The first day of the next chosen month after today."""
    year, month = today.year, today.month
    for _ in range(13):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if month in months:
            return date(year, month, 1)
    raise ValueError("demand_months: choose months from 1 to 12")


def demand_changed(
    data: Mapping[str, Any],
    *,
    old_multiplier: float,
    multiplier: float,
    months: Sequence[int],
    today: date,
) -> dict[str, Any]:
    """The scenario with arrivals at `multiplier` times the calibrated demand (replacing
    the old multiplier, not compounding it). With `months`, the simulation moves to the
    next of those months: its counted weeks start on the first of the month."""
    if not multiplier > 0:
        raise ValueError("demand_multiplier: must be more than 0")
    rates = [
        [rate / old_multiplier * multiplier for rate in day] for day in data["arrivals"]["rates"]
    ]
    changed = {**data, "arrivals": {"rates": rates}}
    if months:
        first = _first_of_next(months, today)
        warm_up = float(data.get("warm_up_days", 7))
        changed["start"] = (first - timedelta(days=round(warm_up))).isoformat()
    return changed


class ScenarioChanged(Exception):
    """Someone else saved the scenario after this edit began: saving would undo theirs."""


def scenario_version(scenario: Scenario) -> str:
    """What an edit form carries to tell whether the scenario changed while it was open."""
    return scenario.updated_at.isoformat()


@transaction.atomic
def scenario_update(
    *,
    actor: Actor,
    scenario_id: int,
    part: str,
    data: Mapping[str, Any],
    demand_multiplier: float | None = None,
    demand_months: Sequence[int] | None = None,
    version: str | None = None,
) -> Scenario:
    """Replace the scenario's JSON with `data`, an edit of one part of it (`part` is
    recorded in the audit event). ValueError (with the field's path) if invalid;
    ScenarioChanged if `version` is given and the scenario has been saved since (the
    edit was made on what it was then). Either way nothing is saved."""
    _require(actor)
    if part not in PARTS:
        raise ValueError(f"part: must be one of {', '.join(PARTS)}")
    scenario = _locked(scenario_id)
    if version is not None and scenario_version(scenario) != version:
        raise ScenarioChanged
    scenario.data = _validated({**data, "name": scenario.name})
    fields = ["data", "updated_at"]
    if demand_multiplier is not None:
        scenario.demand_multiplier = demand_multiplier
        scenario.demand_months = sorted(set(demand_months or []))
        fields += ["demand_multiplier", "demand_months"]
    scenario.updated_at = timezone.now()
    scenario.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=SCENARIO,
        object_id=scenario.pk,
        detail={"part": part},
    )
    return scenario


class NotARecommendation(ValueError):
    """The run is not a finished recommendation whose targets were met."""


@transaction.atomic
def scenario_from_recommendation(*, actor: Actor, run_id: int, name: str) -> Scenario:
    """A new scenario: the one the recommendation searched, with the staffing it
    recommends, to run, compare or change further. Raises NotARecommendation unless the
    run is a finished recommendation that met its targets."""
    user = _require(actor)
    run = ScenarioRun.objects.select_related("scenario").get(pk=run_id)
    if (
        run.kind != RunKind.RECOMMENDATION
        or run.state != RunState.FINISHED
        or not run.results
        or not run.results["recommendation"]["met"]
    ):
        raise NotARecommendation("run: not a recommendation that met its targets")
    staffing = run.results["recommendation"]["staffing"]
    data = CapacityScenario.from_dict(run.scenario_data).with_staff(staffing).to_dict()
    return _scenario_based_on(actor, user, run.scenario, name=name, data=data, staffing_from=run.pk)


# --- runs ----------------------------------------------------------------------------


def _enqueue(run_id: int) -> None:
    run_scenario.enqueue(run_id)


def _new_run(
    *,
    actor: Actor,
    user: User,
    scenario: Scenario,
    kind: RunKind,
    targets: Mapping[str, float] | None = None,
    period: Period | None = None,
    actual: Mapping[str, Any] | None = None,
) -> ScenarioRun:
    data = _validated(scenario.data)
    run = ScenarioRun.objects.create(
        scenario=scenario,
        kind=kind,
        scenario_data=data,
        replications=data["replications"],
        targets=dict(targets or {}),
        period_start=period.start if period else None,
        period_end=period.end if period else None,
        actual=dict(actual or {}),
        created_by=user,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=RUN,
        object_id=run.pk,
        detail={"scenario": scenario.pk, "kind": kind.value, "targets": run.targets},
    )
    transaction.on_commit(partial(_enqueue, run.pk))
    return run


@transaction.atomic
def run_start(*, actor: Actor, scenario_id: int) -> ScenarioRun:
    """Queue a simulation of the scenario as it is now."""
    user = _require(actor)
    scenario = Scenario.objects.get(pk=scenario_id)
    return _new_run(actor=actor, user=user, scenario=scenario, kind=RunKind.SIMULATION)


def _validated_targets(scenario: Scenario, targets: Mapping[str, float]) -> dict[str, float]:
    names = [rating["name"] for rating in scenario.data["ratings"]]
    if not targets:
        raise ValueError("targets: set at least one")
    for rating, share in targets.items():
        if rating not in names:
            raise ValueError(f"targets.{rating}: no rating called {rating!r}")
        if not 0 < share <= 1:
            raise ValueError(f"targets.{rating}: must be more than 0 and at most 1")
    return {name: float(targets[name]) for name in names if name in targets}


@transaction.atomic
def recommendation_start(
    *, actor: Actor, scenario_id: int, targets: Mapping[str, float]
) -> ScenarioRun:
    """Queue a search for the smallest staffing that meets `targets` ({rating: share of
    contacts decided within timescale}). ValueError naming a bad target."""
    user = _require(actor)
    scenario = Scenario.objects.get(pk=scenario_id)
    return _new_run(
        actor=actor,
        user=user,
        scenario=scenario,
        kind=RunKind.RECOMMENDATION,
        targets=_validated_targets(scenario, targets),
    )


@transaction.atomic
def replay_start(
    *, actor: Actor, period: Period, name: str = "", today: date | None = None
) -> ScenarioRun:
    """A check against the past: a scenario of `period` (its arrival rates, RAG mix,
    agencies asked and work times, and the people who recorded work in it), simulated
    over the same weeks after a warm-up, to compare with the turnaround actually
    recorded. Raises CalibrationError if the period cannot give a scenario."""
    user = _require(actor)
    now = timezone.now()
    today = today or timezone.localdate()
    warm_up = simulation_defaults()["warm_up_days"]
    name = name or f"Replay of {period.text()}"
    calibration = calibrate(
        period=period,
        today=today,
        name=name,
        staffing="recorded",
        start=period.start - timedelta(days=round(warm_up)),
        horizon_days=round(warm_up) + period.days,
        warm_up_days=round(warm_up),
    )
    scenario = Scenario.objects.create(
        name=name,
        data=calibration.scenario.to_dict(),
        calibration={**calibration.notes, "labels": calibration.labels, "replay": True},
        created_by=user,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=SCENARIO,
        object_id=scenario.pk,
        detail={"replay_of": period.to_dict(), "contacts": calibration.notes["contacts"]},
    )
    return _new_run(
        actor=actor,
        user=user,
        scenario=scenario,
        kind=RunKind.REPLAY,
        period=period,
        actual=actual_turnaround(period=period, now=now),
    )


def _progress(run_id: int, done: int, total: int) -> None:
    # The last step (aggregating) is kept back so 100% means the results are saved.
    ScenarioRun.objects.filter(pk=run_id).update(
        replications_done=done, progress=min(99, int(100 * done / (total + 1)))
    )


def planner_workers() -> int | None:
    """Processes to run replications side by side: setting PLANNER_WORKERS, else the
    engine's default (OPENMASH_CAPACITY_WORKERS, else one per core)."""
    workers = getattr(settings, "PLANNER_WORKERS", None)
    return int(workers) if workers is not None else None


def _simulate(run: ScenarioRun, scenario: CapacityScenario) -> dict[str, Any]:
    logs = run_replications(
        scenario,
        workers=planner_workers(),
        on_done=lambda done: _progress(run.pk, done, scenario.replications),
    )
    result = aggregate(scenario, logs)
    return {
        "result": result.to_dict(),
        "spread": replication_spread([replication_metrics(scenario, log) for log in logs]),
    }


def _recommend(run: ScenarioRun, scenario: CapacityScenario) -> dict[str, Any]:
    with ReplicationPool(workers_for(scenario, planner_workers())) as pool:
        recommendation = recommend_staffing(scenario, run.targets, pool=pool)
        staffed = scenario.with_staff(recommendation.staffing)
        logs = pool.run(staffed)
    return {
        "recommendation": recommendation.to_dict(),
        "result": aggregate(staffed, logs).to_dict(),
        "current_staffing": scenario.staffing(),
    }


def run_execute(*, run_id: int) -> ScenarioRun | None:
    """Run a queued run to the end, recording progress after each replication, then its
    results (or what went wrong). Returns None if the run is not waiting to start (it has
    run already, or another worker took it). Called by the background task; not
    audited itself (the run's creation was), as it reads and writes figures only."""
    taken = ScenarioRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return None
    run = ScenarioRun.objects.get(pk=run_id)
    try:
        scenario = CapacityScenario.from_dict(run.scenario_data)
        if run.kind == RunKind.RECOMMENDATION:
            results = _recommend(run, scenario)
        else:
            results = _simulate(run, scenario)
    except Exception as error:
        logger.exception("Capacity planning run %s failed", run_id)
        message = str(error) if isinstance(error, ValueError) else "The simulation failed."
        ScenarioRun.objects.filter(pk=run_id).update(
            state=RunState.FAILED, error=message[:2000], finished_at=timezone.now()
        )
        raise
    ScenarioRun.objects.filter(pk=run_id).update(
        state=RunState.FINISHED,
        progress=100,
        replications_done=scenario.replications,
        results=results,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


# The background task sits beside the service it runs, so that queueing a run and
# running it need no import in either direction between two modules.
@task()
def run_scenario(run_id: int) -> str:
    """Simulate a queued capacity planning run (or search for its staffing), recording
    progress as it goes; returns the run's final state."""
    run = run_execute(run_id=run_id)
    return run.state if run is not None else "not queued"
