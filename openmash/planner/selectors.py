"""Reads of capacity plans. Scenarios and runs hold figures only (rates, counts, times),
never anything about a child or family, so reading them is not a read of personal data
and is not audited; each read still checks the reader may see plans."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from openmash.core.audit import Actor
from openmash.planner.models import RunKind, RunState, Scenario, ScenarioRun

VIEW = "planner.view_scenarios"
MAX_COMPARED = 6
# The heavy JSON a list never needs.
RUN_LIST_DEFERRED = ("results", "scenario_data", "actual")


def _require(actor: Actor) -> None:
    if actor.user is None or not actor.user.has_perm(VIEW):
        raise PermissionDenied


@dataclass(frozen=True)
class ScenarioListing:
    scenario: Scenario
    runs: list[ScenarioRun]  # most recent first


def scenario_list(*, actor: Actor) -> list[ScenarioListing]:
    """Every scenario, newest first, each with its runs (in three queries whatever the
    number of scenarios)."""
    _require(actor)
    runs = (
        ScenarioRun.objects.defer(*RUN_LIST_DEFERRED)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )
    scenarios = (
        Scenario.objects.select_related("based_on", "created_by")
        .defer("data", "based_on__data", "based_on__calibration")
        .prefetch_related(Prefetch("runs", queryset=runs, to_attr="run_list"))
        .order_by("-created_at", "-id")
    )
    return [ScenarioListing(scenario=scenario, runs=scenario.run_list) for scenario in scenarios]


def scenario_get(*, actor: Actor, scenario_id: int) -> Scenario:
    _require(actor)
    try:
        return Scenario.objects.select_related("based_on", "created_by").get(pk=scenario_id)
    except Scenario.DoesNotExist:
        raise Http404 from None


def scenario_runs(*, actor: Actor, scenario: Scenario) -> QuerySet[ScenarioRun]:
    _require(actor)
    return (
        ScenarioRun.objects.filter(scenario=scenario)
        .defer(*RUN_LIST_DEFERRED)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def run_get(*, actor: Actor, run_id: int) -> ScenarioRun:
    _require(actor)
    try:
        return ScenarioRun.objects.select_related("scenario", "created_by").get(pk=run_id)
    except ScenarioRun.DoesNotExist:
        raise Http404 from None


def run_progress_get(*, actor: Actor, run_id: int) -> ScenarioRun:
    """The run's state and progress only, for polling."""
    _require(actor)
    try:
        return ScenarioRun.objects.only(
            "id", "state", "progress", "replications", "replications_done", "kind", "error"
        ).get(pk=run_id)
    except ScenarioRun.DoesNotExist:
        raise Http404 from None


def runs_for_comparison(*, actor: Actor, run_ids: Iterable[int]) -> list[ScenarioRun]:
    """Finished runs with results to compare, in the order asked (unknown ids and runs
    not finished are left out; at most MAX_COMPARED)."""
    _require(actor)
    wanted = list(dict.fromkeys(run_ids))[:MAX_COMPARED]
    found = {
        run.pk: run
        for run in ScenarioRun.objects.filter(
            pk__in=wanted, state=RunState.FINISHED, results__isnull=False
        ).select_related("scenario")
    }
    return [found[run_id] for run_id in wanted if run_id in found]


def comparable_runs(*, actor: Actor) -> QuerySet[ScenarioRun]:
    """Finished simulations and replays, newest first: what the comparison can show."""
    _require(actor)
    return (
        ScenarioRun.objects.filter(
            state=RunState.FINISHED, kind__in=[RunKind.SIMULATION, RunKind.REPLAY]
        )
        .defer(*RUN_LIST_DEFERRED)
        .select_related("scenario")
        .order_by("-created_at", "-id")
    )


def last_targets(*, actor: Actor, scenario: Scenario) -> dict[str, float]:
    """The targets of the scenario's latest recommendation, or of any scenario's."""
    _require(actor)
    run = (
        ScenarioRun.objects.filter(kind=RunKind.RECOMMENDATION)
        .only("targets", "scenario_id")
        .order_by("-created_at", "-id")
    )
    latest = run.filter(scenario=scenario).first() or run.first()
    return dict(latest.targets) if latest else {}
