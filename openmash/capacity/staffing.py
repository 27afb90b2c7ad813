"""How many staff each stage needs to meet the manager's targets, and Erlang C.

`recommend_staffing` searches greedily on the bottleneck: start every group at the
fewest people who could keep up with the work on average (allowing for absences), add
one person at a time where the contacts that miss their target wait longest, until every
target is met; then try one fewer in each group and keep any cut that still meets the
targets. The result is minimal one person at a time (no group can lose one), which for
queues, where more staff never makes things worse, is what a manager means by smallest.
Every candidate is simulated with the same seed, so candidates meet the same contacts
(common random numbers) and differ only by staffing. A target counts as met when the
mean over replications reaches it.

The Erlang C functions are the M/M/c formulas (Poisson arrivals, exponential work,
`staff` people always present, first come first served), written out for the validation
tests, which check the simulation against them.
"""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from openmash.capacity.engine import ReplicationPool, work_sampler, workers_for
from openmash.capacity.results import (
    NO_WAIT,
    ReplicationMetrics,
    ScenarioResult,
    aggregate_metrics,
)
from openmash.capacity.scenario import WEEKDAYS, Scenario, StaffGroup

Measure = Literal["decision", "pickup"]
MEASURES: dict[str, str] = {
    # Target measure -> the result metric it reads.
    "decision": "within_timescale",
    "pickup": "picked_up_within_timescale",
}
# Adding this many people in a row without the failing shares improving by
# NO_PROGRESS means staff are not what is missing (contacts wait for the rota).
STALL_STEPS = 3
NO_PROGRESS = 0.001


# --- Erlang C -------------------------------------------------------------------------


def erlang_c_wait_probability(*, staff: int, load: float) -> float:
    """The probability that an arrival waits (Erlang's C formula), for `load` erlangs
    (arrival rate x mean work time) offered to `staff` servers; 1 if they cannot keep up."""
    if staff < 1 or load <= 0:
        raise ValueError("staff: must be at least 1, and load more than 0")
    if load >= staff:
        return 1.0
    # Erlang B by its stable recurrence, then C from B.
    blocking = 1.0
    for servers in range(1, staff + 1):
        blocking = load * blocking / (servers + load * blocking)
    return staff * blocking / (staff - load * (1 - blocking))


def erlang_c_mean_wait(*, staff: int, arrival_rate: float, mean_work: float) -> float:
    """Mean time in the queue before work starts, W_q = C / (c mu - lambda)."""
    load = arrival_rate * mean_work
    if load >= staff:
        return math.inf
    waiting = erlang_c_wait_probability(staff=staff, load=load)
    return waiting / (staff / mean_work - arrival_rate)


def erlang_c_service_level(
    *, staff: int, arrival_rate: float, mean_work: float, within: float
) -> float:
    """The share of arrivals whose work starts within `within`: 1 - C e^{-(c mu - lambda) t}."""
    load = arrival_rate * mean_work
    if load >= staff:
        return 0.0
    waiting = erlang_c_wait_probability(staff=staff, load=load)
    return 1 - waiting * math.exp(-(staff / mean_work - arrival_rate) * within)


def erlang_c_staff_for_service_level(
    *, arrival_rate: float, mean_work: float, within: float, target: float
) -> int:
    """The fewest staff (more than the load) whose service level reaches `target`."""
    if not 0 < target < 1:
        raise ValueError("target: must be between 0 and 1")
    staff = math.floor(arrival_rate * mean_work) + 1
    while (
        erlang_c_service_level(
            staff=staff, arrival_rate=arrival_rate, mean_work=mean_work, within=within
        )
        < target
    ):
        staff += 1
    return staff


# --- the staffing search --------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """At least `share` of contacts of `rating` within its timescale: decided within it
    ("decision", the MASH's deadline) or picked up by a screener within it ("pickup", the
    call-centre service level that Erlang C staffing uses)."""

    rating: str
    share: float
    measure: Measure = "decision"

    def achieved(self, result: ScenarioResult) -> float:
        return result.within_timescale(self.rating, MEASURES[self.measure])

    def met(self, result: ScenarioResult) -> bool:
        return self.achieved(result) >= self.share

    def to_dict(self) -> dict[str, Any]:
        return {"rating": self.rating, "share": self.share, "measure": self.measure}


@dataclass(frozen=True)
class StaffingStep:
    staffing: dict[str, int]
    achieved: dict[str, float]  # per target, "rating" or "rating (pickup)"
    met: bool
    bottleneck: str | None  # where the next person went (None once targets are met)

    def to_dict(self) -> dict[str, Any]:
        return {
            "staffing": self.staffing,
            "achieved": self.achieved,
            "met": self.met,
            "bottleneck": self.bottleneck,
        }


@dataclass(frozen=True)
class StaffingRecommendation:
    staffing: dict[str, int]
    met: bool
    achieved: dict[str, float]
    targets: tuple[Target, ...]
    explanation: tuple[str, ...]
    steps: tuple[StaffingStep, ...]
    evaluations: int  # staffings simulated
    # Targets no staffing tried meets, each with the best achieved and why.
    unmet: tuple["UnmetTarget", ...] = field(default=())
    replications_simulated: int = 0  # over every staffing, quick looks and confirmations

    def to_dict(self) -> dict[str, Any]:
        return {
            "staffing": self.staffing,
            "met": self.met,
            "achieved": self.achieved,
            "targets": [target.to_dict() for target in self.targets],
            "explanation": list(self.explanation),
            "steps": [step.to_dict() for step in self.steps],
            "evaluations": self.evaluations,
            "unmet": [item.to_dict() for item in self.unmet],
            "replications_simulated": self.replications_simulated,
        }


def _target_key(target: Target) -> str:
    return target.rating if target.measure == "decision" else f"{target.rating} ({target.measure})"


def _weekly_rota_hours(group: StaffGroup) -> float:
    hours = [0.0] * len(WEEKDAYS)
    for shift in group.rota.shifts:
        for day in shift.days:
            hours[WEEKDAYS.index(day)] += shift.end - shift.start
    return sum(min(24.0, day) for day in hours)


def _weekly_work_hours(scenario: Scenario, group: StaffGroup) -> float:
    tasks_per_contact = 1.0
    if group in scenario.agencies:
        tasks_per_contact = sum(
            rating.share * rating.checks.get(group.name, 0.0) for rating in scenario.ratings
        )
    return scenario.arrivals.per_week() * tasks_per_contact * group.work_time.mean()


def fewest_to_keep_up(scenario: Scenario, group: StaffGroup) -> int:
    """The fewest people whose hours, less absences, exceed the group's work on average
    (fewer and the queue grows without end, so no search need start below it)."""
    hours_each = _weekly_rota_hours(group) * (1 - group.absence)
    return max(1, math.floor(_weekly_work_hours(scenario, group) / hours_each) + 1)


def _as_targets(targets: Mapping[str, float] | Sequence[Target]) -> tuple[Target, ...]:
    if isinstance(targets, Mapping):
        return tuple(Target(rating=rating, share=share) for rating, share in targets.items())
    return tuple(targets)


def _validate_targets(scenario: Scenario, targets: Sequence[Target]) -> None:
    names = [rating.name for rating in scenario.ratings]
    if not targets:
        raise ValueError("targets: set at least one")
    for index, target in enumerate(targets):
        if target.rating not in names:
            raise ValueError(f"targets[{index}].rating: no rating called {target.rating!r}")
        if not 0 < target.share <= 1:
            raise ValueError(f"targets[{index}].share: must be more than 0 and at most 1")
        if target.measure not in MEASURES:
            raise ValueError(f"targets[{index}].measure: must be 'decision' or 'pickup'")


def _missing_phrase(target: Target) -> str:
    if target.measure == "pickup":
        return "wait longer than their timescale to be picked up"
    return "breach"


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _percents(first: float, second: float) -> tuple[str, str]:
    """Both as whole percentages, with more digits where rounding would hide that they
    differ, and "just over" where even two decimals would not show it."""
    if first == second:
        return _percent(first), _percent(second)
    for digits in (0, 1, 2):
        shown = f"{first * 100:.{digits}f}%", f"{second * 100:.{digits}f}%"
        if shown[0] != shown[1]:
            return shown
    return f"just {'over' if first > second else 'under'} {_percent(second)}", _percent(second)


Key = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class UnmetTarget:
    """A target no staffing tried meets: the best any of them achieved, and with what."""

    target: Target
    best: float
    best_staffing: dict[str, int]
    tried_from: dict[str, int]  # the fewest tried in each group
    tried_to: dict[str, int]  # the most tried in each group
    work_alone: float | None  # share whose work alone outlasts the timescale (clock hours)
    # With the best staffing, the stage where these contacts waited longest for the rota
    # (nobody rostered who could take them), and the hours each waited there on average.
    rota_stage: str | None
    rota_hours: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rota_stage": self.rota_stage,
            "rota_hours": self.rota_hours,
            "target": self.target.to_dict(),
            "best": self.best,
            "best_staffing": self.best_staffing,
            "tried_from": self.tried_from,
            "tried_to": self.tried_to,
            "work_alone": self.work_alone,
        }


def _key(staffing: Mapping[str, int]) -> Key:
    return tuple(sorted(staffing.items()))


def _at_most(smaller: Mapping[str, int], larger: Mapping[str, int]) -> bool:
    return all(smaller[name] <= larger[name] for name in smaller)


class _Evaluations:
    """Candidate staffings simulated with common random numbers, reusing work.

    Every candidate sees the same contacts, work and absences (the scenario's seed), and
    replication n of a candidate is the same whether simulated for a quick look or for
    confirmation, so confirming a candidate runs only the replications the quick look
    did not. Replications run side by side in `pool`."""

    def __init__(self, scenario: Scenario, pool: ReplicationPool) -> None:
        self.scenario = scenario
        self.pool = pool
        # Each replication's figures, measured where it ran (the same as measuring its log).
        self.measured: dict[Key, dict[int, ReplicationMetrics]] = {}
        self.results: dict[tuple[Key, int], ScenarioResult] = {}
        self.replications_run = 0

    def result(self, staffing: Mapping[str, int], replications: int) -> ScenarioResult:
        key = _key(staffing)
        if (key, replications) not in self.results:
            staffed = self.scenario.with_staff(staffing)
            measured = self.measured.setdefault(key, {})
            missing = [n for n in range(replications) if n not in measured]
            if missing:
                measured.update(zip(missing, self.pool.measure(staffed, missing), strict=True))
                self.replications_run += len(missing)
            self.results[(key, replications)] = aggregate_metrics(
                staffed, [measured[n] for n in range(replications)]
            )
        return self.results[(key, replications)]

    def tried(self) -> list[dict[str, int]]:
        return [dict(key) for key in self.measured]


def work_alone_share(
    scenario: Scenario, rating_name: str, *, draws: int = 20_000, sequential_checks: bool = False
) -> float | None:
    """The share of `rating` contacts whose work alone, with no waiting at all (screening,
    the slowest of the checks asked, the decision), takes longer than the rating's
    timescale: however many people there are, at least that share is late. None for a
    timescale in working hours (work and the clock then run at different times)."""
    rating = next(rating for rating in scenario.ratings if rating.name == rating_name)
    if rating.counting != "clock":
        return None
    rng = random.Random(f"{scenario.seed}/work-alone/{rating_name}")
    screening = work_sampler(scenario.screening.work_time, rng)
    checks = [
        (agency.name, rating.checks.get(agency.name, 0.0), work_sampler(agency.work_time, rng))
        for agency in scenario.agencies
    ]
    decision = work_sampler(scenario.decision.work_time, rng) if scenario.decision else None
    late = 0
    for _ in range(draws):
        hours = screening()
        asked = [sample() for _, chance, sample in checks if rng.random() < chance]
        if asked:
            hours += sum(asked) if sequential_checks else max(asked)
        if decision is not None:
            hours += decision()
        late += hours > rating.timescale_hours
    return late / draws


def recommend_staffing(
    scenario: Scenario,
    targets: Mapping[str, float] | Sequence[Target],
    *,
    max_added: int = 60,
    pool: ReplicationPool | None = None,
) -> StaffingRecommendation:
    """The smallest staff per group that meets every target, with its explanation.

    `targets` is a list of Target, or {rating: share} for decision-within-timescale
    targets (e.g. {"red": 0.95, "amber": 0.9}). Raises ValueError naming a bad target.

    The search first simulates ample staff (twice the fewest who keep up, and at least
    three more) and, if a target is missed, a wide staffing (twice that again): a target
    missed even then cannot be met by people, and the result says which, the best any
    staffing tried achieved and why (contacts waiting for the rota, or work alone longer
    than the timescale). For the targets that can be met it then adds one person at a
    time at the bottleneck, judging each step on half the replications, and confirms the
    answer on all of them; then it tries one fewer in every group until none can lose
    one, skipping any cut that is no more than a staffing already seen to miss. met is
    True only if every target is met; otherwise `staffing` is the smallest that meets the
    targets that can be met (or the wide staffing, if none can)."""
    wanted = _as_targets(targets)
    _validate_targets(scenario, wanted)
    if pool is None:
        with ReplicationPool(workers_for(scenario)) as own:
            return _search(scenario, wanted, max_added, own)
    return _search(scenario, wanted, max_added, pool)


def _search(
    scenario: Scenario, wanted: tuple[Target, ...], max_added: int, pool: ReplicationPool
) -> StaffingRecommendation:
    evaluations = _Evaluations(scenario, pool)
    full = scenario.replications
    quick = max(2, math.ceil(full / 2))
    failing_seen: list[dict[str, int]] = []  # staffings that miss a feasible target (full)

    def evaluate(staffing: dict[str, int], replications: int = full) -> ScenarioResult:
        return evaluations.result(staffing, replications)

    def achieved(result: ScenarioResult) -> dict[str, float]:
        return {_target_key(target): target.achieved(result) for target in wanted}

    fewest = {group.name: fewest_to_keep_up(scenario, group) for group in scenario.groups()}
    ample = {name: max(2 * count, count + 3) for name, count in fewest.items()}
    widest = ample
    unmet_targets = [target for target in wanted if not target.met(evaluate(ample))]
    if unmet_targets:
        widest = {name: 2 * count for name, count in ample.items()}
        unmet_targets = [target for target in wanted if not target.met(evaluate(widest))]
    feasible = tuple(target for target in wanted if target not in unmet_targets)

    def meets(result: ScenarioResult) -> bool:
        return all(target.met(result) for target in feasible)

    def worst(result: ScenarioResult) -> Target:
        return max(feasible, key=lambda target: target.share - target.achieved(result))

    def recommendation(
        staffing: dict[str, int], explanation: list[str], steps: list[StaffingStep]
    ) -> StaffingRecommendation:
        unmet = tuple(
            _unmet(scenario, target, evaluations, fewest, full) for target in unmet_targets
        )
        return StaffingRecommendation(
            staffing=staffing,
            met=not unmet and meets(evaluate(staffing)),
            achieved=achieved(evaluate(staffing)),
            targets=wanted,
            explanation=tuple([*(_cannot_be_met(item) for item in unmet), *explanation]),
            steps=tuple(steps),
            evaluations=len(evaluations.measured),
            unmet=unmet,
            replications_simulated=evaluations.replications_run,
        )

    if not feasible:
        return recommendation(
            widest, [], [StaffingStep(widest, achieved(evaluate(widest)), False, None)]
        )

    staffing = dict(fewest)
    explanation: list[str] = []
    steps: list[StaffingStep] = []
    stalled = 0
    result = evaluate(staffing, quick)
    for _ in range(max_added):
        if meets(result):
            confirmed = evaluate(staffing)
            if meets(confirmed):
                result = confirmed
                break
            result = confirmed  # the quick look was lucky: go on judging on all of them
        failing = [target for target in feasible if not target.met(result)]
        waits = {
            group.name: sum(
                result.waiting_by_rating[target.rating][group.name] for target in failing
            )
            for group in scenario.groups()
        }
        bottleneck = max(waits, key=lambda name: waits[name])
        if waits[bottleneck] <= NO_WAIT:
            bottleneck = result.bottleneck
        steps.append(StaffingStep(dict(staffing), achieved(result), False, bottleneck))
        target = worst(result)
        before = target.achieved(result)
        replications = result.replications
        staffing = {**staffing, bottleneck: staffing[bottleneck] + 1}
        previous, result = result, evaluate(staffing, replications)
        after = target.achieved(result)
        missing_before, missing_after = _percents(1 - before, 1 - after)
        explanation.append(
            f"{bottleneck} is the bottleneck: with {staffing[bottleneck] - 1} staff "
            f"{missing_before} of {target.rating} contacts {_missing_phrase(target)}; "
            f"with {staffing[bottleneck]}, {missing_after}."
        )
        progress = sum(max(0.0, t.achieved(result) - t.achieved(previous)) for t in failing)
        stalled = stalled + 1 if progress < NO_PROGRESS else 0
        if stalled >= STALL_STEPS:
            break
    result = evaluate(staffing)
    if not meets(result):
        steps.append(StaffingStep(dict(staffing), achieved(result), False, None))
        explanation.append(
            f"The targets were not met by adding people one at a time at the bottleneck "
            f"(they are met with {_people(widest)}): search stopped."
        )
        return recommendation(staffing, explanation, steps)

    # Confirm minimality: one fewer anywhere must miss a target. More people never make
    # things worse, so a cut that is no more than a staffing already seen to miss misses
    # too, and is not simulated again.
    def misses(candidate: dict[str, int]) -> bool:
        if any(_at_most(candidate, seen) for seen in failing_seen):
            return True
        if meets(evaluate(candidate)):
            return False
        failing_seen.append(candidate)
        return True

    changed = True
    while changed:
        changed = False
        for group in scenario.groups():
            while staffing[group.name] > 1:
                fewer = {**staffing, group.name: staffing[group.name] - 1}
                if misses(fewer):
                    break
                staffing, changed = fewer, True
    result = evaluate(staffing)
    steps.append(StaffingStep(dict(staffing), achieved(result), meets(result), None))
    for group in scenario.groups():
        count = staffing[group.name]
        if count <= 1:
            continue
        fewer_result = evaluate({**staffing, group.name: count - 1})
        target = worst(fewer_result)
        missing, allowed = _percents(1 - target.achieved(fewer_result), 1 - target.share)
        explanation.append(
            f"With one fewer at {group.name} ({count - 1}), {missing} of {target.rating} "
            f"contacts would {_missing_phrase(target)}, against a target of at most {allowed}."
        )
    summary = _summary(scenario, staffing, feasible, result)
    if unmet_targets:
        summary = summary.replace(
            "Recommended: ", "The smallest staffing that meets the other targets: ", 1
        )
    return recommendation(staffing, [summary, *explanation], steps)


def _people(staffing: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in staffing.items())


def _unmet(
    scenario: Scenario,
    target: Target,
    evaluations: _Evaluations,
    fewest: dict[str, int],
    replications: int,
) -> UnmetTarget:
    tried = [
        staffing
        for staffing in evaluations.tried()
        if (_key(staffing), replications) in evaluations.results
    ]
    best = max(
        tried, key=lambda staffing: target.achieved(evaluations.result(staffing, replications))
    )
    everything = evaluations.tried()
    rota_waits = evaluations.result(best, replications).rota_waiting_by_rating[target.rating]
    rota_stage = max(rota_waits, key=lambda name: rota_waits[name])
    return UnmetTarget(
        rota_stage=rota_stage if rota_waits[rota_stage] > NO_WAIT else None,
        rota_hours=rota_waits[rota_stage],
        target=target,
        best=target.achieved(evaluations.result(best, replications)),
        best_staffing={name: best[name] for name in fewest},
        tried_from={name: min(s[name] for s in everything) for name in fewest},
        tried_to={name: max(s[name] for s in everything) for name in fewest},
        work_alone=work_alone_share(scenario, target.rating)
        if target.measure == "decision"
        else None,
    )


def _range(unmet: UnmetTarget) -> str:
    return ", ".join(
        f"{name} {low}"
        if low == unmet.tried_to[name]
        else f"{name} {low} to {unmet.tried_to[name]}"
        for name, low in unmet.tried_from.items()
    )


def _cannot_be_met(unmet: UnmetTarget) -> str:
    target = unmet.target
    done = "picked up" if target.measure == "pickup" else "decided"
    best, wanted = _percents(unmet.best, target.share)
    return (
        f"The target for {target.rating} contacts ({wanted} {done} within timescale) cannot "
        f"be met with any staffing tried: the best was {best}, with {_people(unmet.best_staffing)} "
        f"(staffings tried: {_range(unmet)}). {_why(unmet)}"
    )


def _why(unmet: UnmetTarget) -> str:
    target = unmet.target
    reasons = []
    if unmet.rota_stage is not None:
        reasons.append(
            f"They wait for the rota rather than for people, most at {unmet.rota_stage} "
            f"({unmet.rota_hours:.1f} hours each on average when nobody who could take them "
            "was rostered): change the rota or on-call cover, or the timescale"
        )
    if unmet.work_alone is not None and unmet.work_alone >= 1 - target.share:
        reasons.append(
            f"For {_percent_fine(unmet.work_alone)} of {target.rating} contacts the work alone "
            f"(screening, the slowest check asked and the decision, with no waiting at all) "
            f"takes longer than the timescale, so at most {_percent_fine(1 - unmet.work_alone)} "
            "can be in time however many people there are: the work times or the timescale "
            "would have to change"
        )
    if not reasons:
        reasons.append(
            "More people stopped making a difference: the contacts that miss are held up by "
            "the work itself or by the rota, not by waiting for a free person"
        )
    return ". ".join(reasons) + "."


def _percent_fine(share: float) -> str:
    return f"{share * 100:.1f}%"


def _summary(
    scenario: Scenario, staffing: dict[str, int], targets: Sequence[Target], result: ScenarioResult
) -> str:
    people = _people(staffing)
    met = "; ".join(
        f"{_percent(target.achieved(result))} of {target.rating} contacts "
        f"{'picked up' if target.measure == 'pickup' else 'decided'} within timescale "
        f"(target {_percent(target.share)})"
        for target in targets
    )
    absences = [
        f"{_percent(group.absence)} at {group.name}" for group in scenario.groups() if group.absence
    ]
    allowing = f", allowing for daily absences of {', '.join(absences)}" if absences else ""
    return f"Recommended: {people}. With these, {met}{allowing}."
