"""What a scenario's simulation shows: per replication, then across replications with
95% confidence intervals.

Each metric is first measured in each replication (one number per replication: e.g. the
median turnaround of that replication's red contacts); the interval is the t interval on
those replication values, which are independent and identically distributed whatever the
queue does inside a replication.

Turnaround is from arrival to the manager's decision, counted as the rating's timescale
is (clock or working hours). A contact still undecided when the replication stopped has
breached (the engine runs on past every measured deadline) and its turnaround is unknown
but long: a quantile that falls on such contacts is reported as None.

The bottleneck is the stage whose queue holds contacts up longest *for want of a free
person*: the mean, over measured contacts, of the hours each spent queued at that stage
on its critical path (among parallel checks only the agency that answered last counts)
while the stage's rota had someone due on who could have taken it. That is the waiting
one more person there would shorten. Waiting outside the rota (an amber that arrives on
Friday evening waits for Monday whatever the staffing) is reported separately as
`critical_rota_wait_hours`, not counted towards the bottleneck: it calls for a different
rota, not more people. If no contact waited for a person anywhere, the bottleneck is the
stage with the highest utilisation (busy hours / hours at work).
"""

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openmash.capacity.records import ContactRecord, ReplicationLog
from openmash.capacity.scenario import Scenario
from openmash.capacity.working_time import SimulationCalendar

CONFIDENCE = 0.95
# Two-sided 95% quantiles of Student's t for 1 to 30 degrees of freedom.
T_975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip
Z_975 = 1.959963984540054
# Stage waits shorter than this (hours) are no waiting at all.
NO_WAIT = 1e-9

RATING_METRICS = (
    "contacts",
    "median_turnaround_hours",
    "p90_turnaround_hours",
    "within_timescale",
    "picked_up_within_timescale",
    "breaches",
)
STAGE_METRICS = (
    "utilisation",
    "busy_hours",
    "available_hours",
    "mean_wait_hours",
    "share_waited",
    "mean_queue",
    "max_queue",
    "critical_wait_hours",
    "critical_staff_wait_hours",
    "critical_rota_wait_hours",
    "on_call_utilisation",
)


def t_quantile_975(degrees_of_freedom: int) -> float:
    """The 97.5% point of Student's t (a table to 30, then the Cornish-Fisher expansion,
    good to 1e-5 there and better beyond)."""
    if degrees_of_freedom < 1:
        raise ValueError("degrees_of_freedom: must be at least 1")
    if degrees_of_freedom <= len(T_975):
        return T_975[degrees_of_freedom - 1]
    z, n = Z_975, degrees_of_freedom
    return (
        z
        + (z**3 + z) / (4 * n)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * n**4)
    )


@dataclass(frozen=True)
class Estimate:
    """The mean over replications and its 95% confidence interval. None where a value is
    unknown (a quantile beyond the simulated time) or there is nothing to measure."""

    mean: float | None
    low: float | None
    high: float | None
    replications: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> "Estimate":
        present = [value for value in values if value is not None]
        if not present:
            return cls(None, None, None, 0)
        if any(math.isinf(value) for value in present):
            return cls(None, None, None, len(present))
        mean = statistics.fmean(present)
        if len(present) < 2:
            return cls(mean, None, None, 1)
        half = (
            t_quantile_975(len(present) - 1) * statistics.stdev(present) / math.sqrt(len(present))
        )
        return cls(mean, mean - half, mean + half, len(present))

    def contains(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "replications": self.replications,
        }


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between order statistics; inf (undecided) values sort last."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    if fraction == 0 or ordered[below] == ordered[above]:
        return ordered[below]
    if math.isinf(ordered[above]):
        return math.inf
    return ordered[below] + fraction * (ordered[above] - ordered[below])


@dataclass
class ReplicationMetrics:
    """One replication's figures: metric name to value (None where nothing to measure)."""

    replication: int
    window_start: float  # hours from the start of the simulation to the end of the warm-up
    ratings: dict[str, dict[str, float | None]]
    stages: dict[str, dict[str, float | None]]
    # rating -> stage -> hours per contact waiting for a free person on the critical path
    waiting_by_rating: dict[str, dict[str, float]]
    rota_waiting_by_rating: dict[str, dict[str, float]]  # ... waiting for the rota
    queue_lengths: dict[str, list[int]]
    bottleneck: str


def _wait_totals(
    contacts: Sequence[ContactRecord], stage_names: Sequence[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Per stage, the hours contacts waited on their critical path, and those waiting for
    a free person: summed in one pass over the contacts, in their order, rather than a
    pass per stage (a stage a contact did not wait at adds nothing)."""
    waits = dict.fromkeys(stage_names, 0.0)
    staff = dict.fromkeys(stage_names, 0.0)
    for contact in contacts:
        for stage, hours in contact.critical_waits.items():
            waits[stage] += hours
        for stage, hours in contact.critical_staff_waits.items():
            staff[stage] += hours
    return waits, staff


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def bottleneck_of(critical_waits: dict[str, float], utilisation: dict[str, float | None]) -> str:
    if critical_waits and max(critical_waits.values()) > NO_WAIT:
        return max(critical_waits, key=lambda stage: critical_waits[stage])
    return max(utilisation, key=lambda stage: utilisation[stage] or 0.0)


def replication_metrics(scenario: Scenario, log: ReplicationLog) -> ReplicationMetrics:
    calendar = SimulationCalendar(scenario.start, scenario.hub_hours)
    stage_names = [group.name for group in scenario.groups()]
    ratings: dict[str, dict[str, float | None]] = {}
    waiting_by_rating: dict[str, dict[str, float]] = {}
    rota_waiting_by_rating: dict[str, dict[str, float]] = {}
    by_rating: dict[str, list[ContactRecord]] = {rating.name: [] for rating in scenario.ratings}
    for contact in log.contacts:
        if contact.rating in by_rating:
            by_rating[contact.rating].append(contact)
    for rating in scenario.ratings:
        contacts = by_rating[rating.name]
        if rating.counting == "clock":  # what calendar.elapsed gives, without the call
            turnarounds = [
                contact.decided - contact.arrived if contact.decided is not None else math.inf
                for contact in contacts
            ]
        else:
            turnarounds = [
                calendar.elapsed(contact.arrived, contact.decided, rating.counting)
                if contact.decided is not None
                else math.inf
                for contact in contacts
            ]
        within = sum(
            1
            for contact in contacts
            if contact.decided is not None and contact.decided <= contact.deadline + 1e-9
        )
        picked_up = sum(
            1
            for contact in contacts
            if contact.picked_up is not None and contact.picked_up <= contact.deadline + 1e-9
        )
        ratings[rating.name] = {
            "contacts": float(len(contacts)),
            "median_turnaround_hours": quantile(turnarounds, 0.5),
            "p90_turnaround_hours": quantile(turnarounds, 0.9),
            "within_timescale": _share(within, len(contacts)),
            "picked_up_within_timescale": _share(picked_up, len(contacts)),
            "breaches": float(len(contacts) - within),
        }
        rating_waits, rating_staff_waits = _wait_totals(contacts, stage_names)
        count = len(contacts)
        waiting_by_rating[rating.name] = {
            stage: rating_staff_waits[stage] / count if count else 0.0 for stage in stage_names
        }
        rota_waiting_by_rating[rating.name] = {
            stage: (rating_waits[stage] / count if count else 0.0)
            - waiting_by_rating[rating.name][stage]
            for stage in stage_names
        }

    stages: dict[str, dict[str, float | None]] = {}
    critical: dict[str, float] = {}
    all_waits, all_staff_waits = _wait_totals(log.contacts, stage_names)
    everyone = len(log.contacts)
    for name in stage_names:
        stage = log.stages[name]
        waits = stage.first_waits
        total_wait = all_waits[name] / everyone if everyone else 0.0
        critical[name] = all_staff_waits[name] / everyone if everyone else 0.0
        stages[name] = {
            "utilisation": stage.busy_hours / stage.available_hours
            if stage.available_hours
            else None,
            "busy_hours": stage.busy_hours,
            "available_hours": stage.available_hours,
            "mean_wait_hours": statistics.fmean(waits) if waits else None,
            "share_waited": _share(sum(1 for wait in waits if wait > NO_WAIT), len(waits)),
            "mean_queue": statistics.fmean(stage.queue_lengths) if stage.queue_lengths else None,
            "max_queue": float(max(stage.queue_lengths)) if stage.queue_lengths else None,
            "critical_wait_hours": total_wait,
            "critical_staff_wait_hours": critical[name],
            "critical_rota_wait_hours": total_wait - critical[name],
            "on_call_utilisation": stage.on_call_busy_hours / stage.on_call_hours
            if stage.on_call_hours
            else None,
        }
    return ReplicationMetrics(
        replication=log.replication,
        window_start=log.window_start,
        ratings=ratings,
        stages=stages,
        waiting_by_rating=waiting_by_rating,
        rota_waiting_by_rating=rota_waiting_by_rating,
        queue_lengths={name: log.stages[name].queue_lengths for name in stage_names},
        bottleneck=bottleneck_of(
            critical, {name: stages[name]["utilisation"] for name in stage_names}
        ),
    )


@dataclass(frozen=True)
class QueueSeries:
    """Queue length on the hour, from the end of the warm-up: `hours[i]` is hours since
    the start of the simulation (midnight on the scenario's start date)."""

    hours: tuple[int, ...]
    mean: tuple[float, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "hours": list(self.hours),
            "mean": list(self.mean),
            "low": list(self.low),
            "high": list(self.high),
        }


@dataclass(frozen=True)
class RatingResult:
    name: str
    timescale_hours: float
    counting: str
    metrics: dict[str, Estimate]

    def __getitem__(self, metric: str) -> Estimate:
        return self.metrics[metric]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timescale_hours": self.timescale_hours,
            "counting": self.counting,
            **{metric: estimate.to_dict() for metric, estimate in self.metrics.items()},
        }


@dataclass(frozen=True)
class StageResult:
    name: str
    staff: int
    metrics: dict[str, Estimate]
    queue_over_time: QueueSeries

    def __getitem__(self, metric: str) -> Estimate:
        return self.metrics[metric]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "staff": self.staff,
            **{metric: estimate.to_dict() for metric, estimate in self.metrics.items()},
            "queue_over_time": self.queue_over_time.to_dict(),
        }


@dataclass(frozen=True)
class ScenarioResult:
    scenario_name: str
    replications: int
    sequential_checks: bool
    ratings: dict[str, RatingResult]
    stages: dict[str, StageResult]
    # rating -> stage -> mean hours per contact waiting for a free person (critical path)
    waiting_by_rating: dict[str, dict[str, float]]
    rota_waiting_by_rating: dict[str, dict[str, float]]  # ... waiting for the rota
    bottleneck: str
    bottleneck_reason: str
    bottleneck_share: dict[str, float]  # how often each stage was it in a replication

    def within_timescale(self, rating: str, measure: str = "within_timescale") -> float:
        """The mean share of `rating` contacts within timescale (0 if none arrived)."""
        value = self.ratings[rating][measure].mean
        return value if value is not None else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario_name,
            "replications": self.replications,
            "sequential_checks": self.sequential_checks,
            "confidence": CONFIDENCE,
            "ratings": {name: result.to_dict() for name, result in self.ratings.items()},
            "stages": {name: result.to_dict() for name, result in self.stages.items()},
            "waiting_by_rating": self.waiting_by_rating,
            "rota_waiting_by_rating": self.rota_waiting_by_rating,
            "bottleneck": self.bottleneck,
            "bottleneck_reason": self.bottleneck_reason,
            "bottleneck_share": self.bottleneck_share,
        }


def _queue_series(per_replication: Sequence[ReplicationMetrics], name: str) -> QueueSeries:
    """The mean queue on each hour with its t interval, as `Estimate.of` gives it, in plain
    floating point: a year has 8,760 hours a stage, and `statistics.stdev` (exact, in
    fractions) made this the slowest part of aggregating."""
    series = [metrics.queue_lengths[name] for metrics in per_replication]
    length = min((len(values) for values in series), default=0)
    first = math.ceil(per_replication[0].window_start) if per_replication else 0
    count = len(series)
    spread = t_quantile_975(count - 1) / math.sqrt(count) if count >= 2 else 0.0
    # Many hours see the same queues in every replication (nights, quiet spells): each
    # distinct set of lengths is worked out once.
    known: dict[tuple[float, ...], tuple[float, float | None, float | None]] = {}
    rows: list[tuple[float, float | None, float | None]] = []
    for values in zip(*(values[:length] for values in series), strict=True):
        row = known.get(values)
        if row is None:
            mean = math.fsum(values) / count
            if count < 2:
                row = (mean, None, None)
            else:
                squares = math.fsum([(v - mean) ** 2 for v in values])
                half = spread * math.sqrt(squares / (count - 1))
                row = (mean, mean - half, mean + half)
            known[values] = row
        rows.append(row)
    return QueueSeries(
        hours=tuple(first + i for i in range(length)),
        mean=tuple(row[0] for row in rows),
        low=tuple(row[1] for row in rows),
        high=tuple(row[2] for row in rows),
    )


def aggregate(
    scenario: Scenario, logs: Sequence[ReplicationLog], *, sequential_checks: bool = False
) -> ScenarioResult:
    return aggregate_metrics(
        scenario,
        [replication_metrics(scenario, log) for log in logs],
        sequential_checks=sequential_checks,
    )


def aggregate_metrics(
    scenario: Scenario,
    per_replication: Sequence[ReplicationMetrics],
    *,
    sequential_checks: bool = False,
) -> ScenarioResult:
    """`aggregate` from each replication's figures (`replication_metrics`), which a worker
    process can work out beside its replication and send back instead of the whole log."""
    ratings = {
        rating.name: RatingResult(
            name=rating.name,
            timescale_hours=rating.timescale_hours,
            counting=rating.counting,
            metrics={
                metric: Estimate.of(m.ratings[rating.name][metric] for m in per_replication)
                for metric in RATING_METRICS
            },
        )
        for rating in scenario.ratings
    }
    stages = {
        group.name: StageResult(
            name=group.name,
            staff=group.staff,
            metrics={
                metric: Estimate.of(m.stages[group.name][metric] for m in per_replication)
                for metric in STAGE_METRICS
            },
            queue_over_time=_queue_series(per_replication, group.name),
        )
        for group in scenario.groups()
    }
    waiting_by_rating = {
        rating.name: {
            group.name: statistics.fmean(
                m.waiting_by_rating[rating.name][group.name] for m in per_replication
            )
            for group in scenario.groups()
        }
        for rating in scenario.ratings
    }
    rota_waiting_by_rating = {
        rating.name: {
            group.name: statistics.fmean(
                m.rota_waiting_by_rating[rating.name][group.name] for m in per_replication
            )
            for group in scenario.groups()
        }
        for rating in scenario.ratings
    }
    critical = {
        name: stage["critical_staff_wait_hours"].mean or 0.0 for name, stage in stages.items()
    }
    utilisation = {name: stage["utilisation"].mean for name, stage in stages.items()}
    bottleneck = bottleneck_of(critical, utilisation)
    if critical[bottleneck] > NO_WAIT:
        reason = (
            f"contacts wait longest for a free person at {bottleneck}: "
            f"{critical[bottleneck]:.1f} hours each on average, with its staff busy "
            f"{_percent(utilisation[bottleneck])} of their hours"
        )
    else:
        reason = (
            f"no contact waits for a free person anywhere; {bottleneck} is the busiest, "
            f"{_percent(utilisation[bottleneck])} of its hours"
        )
    counts = {name: 0 for name in stages}
    for metrics in per_replication:
        counts[metrics.bottleneck] += 1
    return ScenarioResult(
        scenario_name=scenario.name,
        replications=len(per_replication),
        sequential_checks=sequential_checks,
        ratings=ratings,
        stages=stages,
        waiting_by_rating=waiting_by_rating,
        rota_waiting_by_rating=rota_waiting_by_rating,
        bottleneck=bottleneck,
        bottleneck_reason=reason,
        bottleneck_share={name: count / len(per_replication) for name, count in counts.items()},
    )


def _percent(value: float | None) -> str:
    return "an unknown share" if value is None else f"{value:.0%}"
