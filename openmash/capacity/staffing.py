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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openmash.capacity.engine import simulate
from openmash.capacity.results import NO_WAIT, ScenarioResult
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
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "staffing": self.staffing,
            "met": self.met,
            "achieved": self.achieved,
            "targets": [target.to_dict() for target in self.targets],
            "explanation": list(self.explanation),
            "steps": [step.to_dict() for step in self.steps],
            "evaluations": self.evaluations,
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


def recommend_staffing(
    scenario: Scenario,
    targets: Mapping[str, float] | Sequence[Target],
    *,
    max_added: int = 60,
) -> StaffingRecommendation:
    """The smallest staff per group that meets every target, with its explanation.

    `targets` is a list of Target, or {rating: share} for decision-within-timescale
    targets (e.g. {"red": 0.95, "amber": 0.9}). Raises ValueError naming a bad target.
    Returns met=False, with the reason, if even ample staff (twice the fewest who keep up,
    and at least three more) miss a target: then contacts are waiting for the rota or the
    work itself is longer than the timescale, and people are not the answer."""
    wanted = _as_targets(targets)
    _validate_targets(scenario, wanted)
    results: dict[tuple[tuple[str, int], ...], ScenarioResult] = {}

    def evaluate(staffing: dict[str, int]) -> ScenarioResult:
        key = tuple(sorted(staffing.items()))
        if key not in results:
            results[key] = simulate(scenario.with_staff(staffing))
        return results[key]

    def achieved(result: ScenarioResult) -> dict[str, float]:
        return {_target_key(target): target.achieved(result) for target in wanted}

    def meets(result: ScenarioResult) -> bool:
        return all(target.met(result) for target in wanted)

    def worst(result: ScenarioResult) -> Target:
        return max(wanted, key=lambda target: target.share - target.achieved(result))

    def recommendation(
        staffing: dict[str, int], met: bool, explanation: list[str], steps: list[StaffingStep]
    ) -> StaffingRecommendation:
        return StaffingRecommendation(
            staffing=staffing,
            met=met,
            achieved=achieved(evaluate(staffing)),
            targets=wanted,
            explanation=tuple(explanation),
            steps=tuple(steps),
            evaluations=len(results),
        )

    fewest = {group.name: fewest_to_keep_up(scenario, group) for group in scenario.groups()}
    ample = {name: max(2 * count, count + 3) for name, count in fewest.items()}
    if not meets(evaluate(ample)):
        return recommendation(
            ample,
            False,
            [_cannot_be_met(ample, worst(evaluate(ample)), evaluate(ample))],
            [StaffingStep(ample, achieved(evaluate(ample)), False, None)],
        )

    staffing = dict(fewest)
    explanation: list[str] = []
    steps: list[StaffingStep] = []
    stalled = 0
    result = evaluate(staffing)
    for _ in range(max_added):
        if meets(result):
            break
        failing = [target for target in wanted if not target.met(result)]
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
        staffing = {**staffing, bottleneck: staffing[bottleneck] + 1}
        previous, result = result, evaluate(staffing)
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
    if not meets(result):
        steps.append(StaffingStep(dict(staffing), achieved(result), False, None))
        explanation.append(
            f"The targets were not met by adding people one at a time at the bottleneck "
            f"(they are met with {_people(ample)}): search stopped."
        )
        return recommendation(staffing, False, explanation, steps)

    # Confirm minimality: one fewer anywhere must miss a target.
    changed = True
    while changed:
        changed = False
        for group in scenario.groups():
            while staffing[group.name] > 1:
                fewer = {**staffing, group.name: staffing[group.name] - 1}
                if not meets(evaluate(fewer)):
                    break
                staffing, changed = fewer, True
    result = evaluate(staffing)
    steps.append(StaffingStep(dict(staffing), achieved(result), True, None))
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
    return recommendation(
        staffing, True, [_summary(scenario, staffing, wanted, result), *explanation], steps
    )


def _people(staffing: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in staffing.items())


def _cannot_be_met(ample: dict[str, int], target: Target, result: ScenarioResult) -> str:
    missing = _percent(1 - target.achieved(result))
    rota_waits = result.rota_waiting_by_rating[target.rating]
    stage = max(rota_waits, key=lambda name: rota_waits[name])
    if rota_waits[stage] > NO_WAIT:
        why = (
            f"They wait for the rota rather than for people, most at {stage} "
            f"({rota_waits[stage]:.1f} hours each on average outside its rostered hours): "
            "change the rota or on-call cover, or the timescale"
        )
    else:
        why = "The work itself takes longer than the timescale allows"
    return (
        f"The targets cannot be met by adding people: even with {_people(ample)}, "
        f"{missing} of {target.rating} contacts would {_missing_phrase(target)} "
        f"(target at most {_percent(1 - target.share)}). {why}."
    )


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
