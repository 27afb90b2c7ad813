"""The MASH as a network of queues, simulated with SimPy.

Contacts arrive by a non-homogeneous Poisson process (rates by weekday and hour, drawn by
thinning). Each is screened, which sets its RAG rating and deadline; the agencies its
rating asks check it in parallel (or one after another with `sequential_checks=True`);
a manager decides. At every stage work is taken in deadline order (earliest first; ties
in arrival order).

Staff are individuals. Each works the hours of the group's rota and is absent for whole
days with the group's daily probability. Work in hand when a shift ends is *paused and
handed back*: the rest of it goes back to the queue, keeping its deadline, for whoever is
next on duty (the on-call worker too, if its rating is one they cover). So nobody works
past their rota, utilisation can never exceed 100%, and a case is never stranded with
someone who is off the next day. A task that is handed back keeps the work already done.

Contacts' ratings, the agencies asked and every work time are drawn from their own
random streams in arrival order, so two scenarios that differ only in staffing see the
same contacts with the same work (common random numbers): differences between them are
the staffing's, not chance's. Everything is determined by the scenario's seed.
"""

import bisect
import heapq
import math
import random
from collections.abc import Callable, Generator, Iterable
from typing import Any, cast

import simpy

from openmash.capacity.records import ContactRecord, ReplicationLog, StageLog
from openmash.capacity.results import ScenarioResult, aggregate
from openmash.capacity.scenario import (
    WEEKDAYS,
    Exponential,
    Fixed,
    LogNormal,
    Rating,
    Rota,
    Scenario,
    StaffGroup,
    WorkTime,
)
from openmash.capacity.working_time import HOURS_PER_DAY, SimulationCalendar

# Work left below this (hours; about a millisecond) counts as done: floating-point dust.
EPSILON = 1e-6

Interval = tuple[float, float]
Accepts = Callable[["Task"], bool]
Process = Generator[simpy.Event, Any, None]


class Task:
    """A piece of work for one stage: screening a contact, one agency's check, a decision."""

    __slots__ = (
        "contact",
        "created",
        "deadline",
        "done",
        "finished",
        "measured",
        "queued_at",
        "rating",
        "remaining",
        "sequence",
        "stage",
        "started",
        "waited",
        "waited_rostered",
        "work",
    )

    def __init__(
        self,
        *,
        env: simpy.Environment,
        contact: ContactRecord,
        stage: str,
        work: float,
        sequence: int,
        measured: bool,
    ) -> None:
        self.contact = contact
        self.stage = stage
        self.rating = contact.rating
        self.deadline = contact.deadline
        self.work = work
        self.remaining = work
        self.sequence = sequence
        self.measured = measured
        self.created = env.now
        self.queued_at = env.now
        self.started: float | None = None
        self.finished: float | None = None
        # Hours in the queue, and how many of them were in the group's rostered hours
        # (someone was due on who could have done it): the rest was waiting for the rota.
        self.waited = 0.0
        self.waited_rostered = 0.0
        self.done = env.event()


class WorkQueue:
    """One stage's queue, ordered by deadline, and the staff waiting for work."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._heap: list[tuple[float, int, Task]] = []
        self._idle: list[tuple[simpy.Event, Accepts | None]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def put(self, task: Task) -> None:
        task.queued_at = self.env.now
        for index, (waiting, accepts) in enumerate(self._idle):
            if accepts is None or accepts(task):
                del self._idle[index]
                waiting.succeed(task)
                return
        heapq.heappush(self._heap, (task.deadline, task.sequence, task))

    def take(self, accepts: Accepts | None) -> Task | None:
        """The most urgent task this worker may do, if any, without waiting."""
        if not self._heap:
            return None
        if accepts is None:
            return heapq.heappop(self._heap)[2]
        eligible = [entry for entry in self._heap if accepts(entry[2])]
        if not eligible:
            return None
        best = min(eligible)
        self._heap.remove(best)
        heapq.heapify(self._heap)
        return best[2]

    def wait(self, accepts: Accepts | None) -> simpy.Event:
        """An event that fires with the next task put that this worker may do."""
        waiting = self.env.event()
        self._idle.append((waiting, accepts))
        return waiting

    def stop_waiting(self, waiting: simpy.Event) -> None:
        self._idle = [(event, accepts) for event, accepts in self._idle if event is not waiting]


def sample_work(work: WorkTime, rng: random.Random) -> float:
    match work:
        case Exponential(mean_hours=mean):
            return rng.expovariate(1 / mean)
        case LogNormal():
            return rng.lognormvariate(work.mu, work.sigma)
        case Fixed(hours=hours):
            return hours
    raise TypeError(f"unknown work time {work!r}")


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with touching and overlapping intervals joined (a 0-24 rota is one stretch)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + EPSILON:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def rota_intervals(
    rota: Rota,
    calendar: SimulationCalendar,
    days: int,
    absent: Callable[[int], bool] = lambda day: False,
) -> list[Interval]:
    """The stretches of simulation time someone on this rota is at work."""
    stretches: list[Interval] = []
    for day in range(days):
        if absent(day):
            continue
        if calendar.is_bank_holiday(day) and not rota.works_bank_holidays:
            continue
        weekday = WEEKDAYS[calendar.weekday_of(day)]
        base = day * HOURS_PER_DAY
        stretches.extend(
            (base + shift.start, base + shift.end) for shift in rota.shifts if weekday in shift.days
        )
    return merge_intervals(stretches)


def complement(intervals: list[Interval], end: float) -> list[Interval]:
    """The stretches of [0, end) outside `intervals` (which are merged and sorted)."""
    gaps: list[Interval] = []
    cursor = 0.0
    for start, finish in intervals:
        if start > cursor + EPSILON:
            gaps.append((cursor, min(start, end)))
        cursor = max(cursor, finish)
    if cursor < end - EPSILON:
        gaps.append((cursor, end))
    return [(start, finish) for start, finish in gaps if finish > start]


def overlap(start: float, end: float, window_start: float, window_end: float) -> float:
    return max(0.0, min(end, window_end) - max(start, window_start))


class Hours:
    """Merged stretches of time, and how much of any span they cover."""

    def __init__(self, intervals: list[Interval]) -> None:
        self.intervals = intervals
        self.starts = [start for start, _ in intervals]

    def covered(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        total = 0.0
        index = max(0, bisect.bisect_right(self.starts, start) - 1)
        while index < len(self.intervals) and self.intervals[index][0] < end:
            total += overlap(*self.intervals[index], start, end)
            index += 1
        return total


class _Stage:
    """A staff group's queue and its rostered hours (as planned, before absences)."""

    def __init__(self, env: simpy.Environment, rostered: Hours, on_call: frozenset[str]) -> None:
        self.queue = WorkQueue(env)
        self.rostered = rostered
        self.on_call = on_call  # ratings someone covers outside the rostered hours

    def note_wait(self, task: Task, now: float) -> None:
        waited = now - task.queued_at
        task.waited += waited
        task.waited_rostered += (
            waited if task.rating in self.on_call else self.rostered.covered(task.queued_at, now)
        )


class _Replication:
    def __init__(self, scenario: Scenario, replication: int, *, sequential_checks: bool) -> None:
        self.scenario = scenario
        self.sequential_checks = sequential_checks
        self.env = simpy.Environment()
        self.calendar = SimulationCalendar(scenario.start, scenario.hub_hours)
        self.window_start = scenario.warm_up_days * HOURS_PER_DAY
        self.window_end = scenario.horizon_days * HOURS_PER_DAY
        # Every contact arriving in the window has a deadline by `latest_deadline`; run on
        # as long again after it so late contacts' turnaround is known, unless all
        # measured contacts are decided sooner.
        latest_deadline = max(
            self.calendar.add(self.window_end, rating.timescale_hours, rating.counting)
            for rating in scenario.ratings
        )
        self.stop_at = latest_deadline + (latest_deadline - self.window_end)
        self.days = math.ceil(self.stop_at / HOURS_PER_DAY) + 1

        prefix = f"{scenario.seed}/{replication}"
        self.replication = replication
        self.arrival_rng = random.Random(f"{prefix}/arrivals")
        self.contact_rng = random.Random(f"{prefix}/ratings-and-checks")
        self.work_rngs = {
            group.name: random.Random(f"{prefix}/work/{group.name}") for group in scenario.groups()
        }
        self.absence_seed = f"{prefix}/absence"

        self.rotas = {
            group.name: rota_intervals(group.rota, self.calendar, self.days)
            for group in scenario.groups()
        }
        self.stage_queues = {
            group.name: _Stage(
                self.env,
                Hours(self.rotas[group.name]),
                frozenset(group.rota.on_call.ratings) if group.rota.on_call else frozenset(),
            )
            for group in scenario.groups()
        }
        self.stages = {
            group.name: StageLog(name=group.name, staff=group.staff) for group in scenario.groups()
        }
        self.contacts: list[ContactRecord] = []
        self.outstanding = 0
        self.sequence = 0
        self.stop = self.env.event()

    # --- staff ---------------------------------------------------------------------------

    def _absence_days(self, group: StaffGroup, person: int) -> Callable[[int], bool]:
        # A stream per person, one draw per day whether or not they are rostered, so
        # adding a colleague changes nobody else's absences.
        rng = random.Random(f"{self.absence_seed}/{group.name}/{person}")
        absent = [rng.random() < group.absence for _ in range(self.days)]
        return lambda day: absent[day]

    def _start_staff(self) -> None:
        for group in self.scenario.groups():
            log = self.stages[group.name]
            stage = self.stage_queues[group.name]
            for person in range(group.staff):
                duty = rota_intervals(
                    group.rota, self.calendar, self.days, self._absence_days(group, person)
                )
                log.available_hours += sum(
                    overlap(start, end, self.window_start, self.window_end) for start, end in duty
                )
                self.env.process(self._worker(stage, duty, None, log, on_call=False))
            on_call = group.rota.on_call
            if on_call is not None:
                covers = stage.on_call
                hours = complement(self.rotas[group.name], self.days * HOURS_PER_DAY)
                for _ in range(on_call.people):
                    log.on_call_hours += sum(
                        overlap(start, end, self.window_start, self.window_end)
                        for start, end in hours
                    )
                    self.env.process(
                        self._worker(stage, hours, _covered_by(covers), log, on_call=True)
                    )

    def _worker(
        self,
        stage: _Stage,
        duty: list[Interval],
        accepts: Accepts | None,
        log: StageLog,
        *,
        on_call: bool,
    ) -> Process:
        env = self.env
        queue = stage.queue
        for start, end in duty:
            if env.now < start:
                yield env.timeout(start - env.now)
            shift_over = env.timeout(end - env.now)
            while env.now < end - EPSILON:
                task = queue.take(accepts)
                if task is None:
                    waiting = queue.wait(accepts)
                    yield waiting | shift_over
                    if not waiting.triggered:
                        queue.stop_waiting(waiting)
                        break
                    task = cast(Task, waiting.value)
                stage.note_wait(task, env.now)
                if env.now >= end - EPSILON:
                    queue.put(task)
                    break
                if task.started is None:
                    task.started = env.now
                    if task.measured:
                        log.first_waits.append(env.now - task.created)
                    if task.stage == self.scenario.screening.name:
                        task.contact.picked_up = env.now
                began = env.now
                yield env.timeout(min(task.remaining, end - began))
                worked = env.now - began
                busy = overlap(began, env.now, self.window_start, self.window_end)
                if on_call:
                    log.on_call_busy_hours += busy
                else:
                    log.busy_hours += busy
                task.remaining -= worked
                if task.remaining <= EPSILON:
                    task.finished = env.now
                    task.done.succeed()
                else:
                    queue.put(task)  # the shift is over: hand the rest back

    # --- contacts ------------------------------------------------------------------------

    def _rate(self, moment: float) -> float:
        day = math.floor(moment / HOURS_PER_DAY)
        hour = min(23, math.floor(moment - day * HOURS_PER_DAY))
        return self.scenario.arrivals.rate(self.calendar.weekday_of(day), hour)

    def _arrivals(self) -> Process:
        # Thinning (Lewis and Shedler): candidates at the highest rate, each kept with
        # probability rate(t) / highest rate.
        peak = max(max(day) for day in self.scenario.arrivals.rates)
        rng = self.arrival_rng
        moment = 0.0
        while True:
            moment += rng.expovariate(peak)
            keep = rng.random() * peak < self._rate(moment)
            if not keep:
                continue
            yield self.env.timeout(moment - self.env.now)
            self._arrive()

    def _draw_rating(self) -> Rating:
        pick = self.contact_rng.random()
        cumulative = 0.0
        for rating in self.scenario.ratings:
            cumulative += rating.share
            if pick < cumulative:
                return rating
        return self.scenario.ratings[-1]

    def _arrive(self) -> None:
        now = self.env.now
        rating = self._draw_rating()
        # One draw per agency whether or not the rating asks it, and one work time per
        # stage whether or not it is needed: keeps the streams aligned across scenarios.
        asked = tuple(
            agency.name
            for agency in self.scenario.agencies
            if self.contact_rng.random() < rating.checks.get(agency.name, 0.0)
        )
        works = {
            group.name: sample_work(group.work_time, self.work_rngs[group.name])
            for group in self.scenario.groups()
        }
        measured = self.window_start <= now < self.window_end
        contact = ContactRecord(
            number=len(self.contacts),
            rating=rating.name,
            arrived=now,
            deadline=self.calendar.add(now, rating.timescale_hours, rating.counting),
            agencies_asked=asked,
        )
        if measured:
            self.contacts.append(contact)
            self.outstanding += 1
        self.env.process(self._journey(contact, works, measured))

    def _task(self, contact: ContactRecord, stage: str, work: float, measured: bool) -> Task:
        self.sequence += 1
        task = Task(
            env=self.env,
            contact=contact,
            stage=stage,
            work=work,
            sequence=self.sequence,
            measured=measured,
        )
        self.stage_queues[stage].queue.put(task)
        return task

    def _journey(self, contact: ContactRecord, works: dict[str, float], measured: bool) -> Process:
        screening = self.scenario.screening.name
        task = self._task(contact, screening, works[screening], measured)
        yield task.done
        _on_critical_path(contact, task)

        if contact.agencies_asked and self.sequential_checks:
            for agency in contact.agencies_asked:
                task = self._task(contact, agency, works[agency], measured)
                yield task.done
                _on_critical_path(contact, task)
        elif contact.agencies_asked:
            checks = [
                self._task(contact, agency, works[agency], measured)
                for agency in contact.agencies_asked
            ]
            yield simpy.AllOf(self.env, [check.done for check in checks])
            _on_critical_path(
                contact, max(checks, key=lambda check: (check.finished or 0.0, check.sequence))
            )

        if self.scenario.decision is not None:
            decision = self.scenario.decision.name
            task = self._task(contact, decision, works[decision], measured)
            yield task.done
            _on_critical_path(contact, task)

        contact.decided = self.env.now
        if measured:
            self.outstanding -= 1
            if self.outstanding == 0 and self.env.now >= self.window_end:
                self._finish()

    # --- running -------------------------------------------------------------------------

    def _finish(self) -> None:
        if not self.stop.triggered:
            self.stop.succeed()

    def _sample_queues(self) -> Process:
        moment = math.ceil(self.window_start)
        yield self.env.timeout(moment - self.env.now)
        while moment < self.window_end:
            for name, stage in self.stage_queues.items():
                self.stages[name].queue_lengths.append(len(stage.queue))
            moment += 1
            yield self.env.timeout(1)

    def _closing(self) -> Process:
        yield self.env.timeout(self.window_end)
        if self.outstanding == 0:
            self._finish()
        yield self.env.timeout(self.stop_at - self.window_end)
        self._finish()

    def run(self) -> ReplicationLog:
        self._start_staff()
        self.env.process(self._arrivals())
        self.env.process(self._sample_queues())
        self.env.process(self._closing())
        self.env.run(until=self.stop)
        return ReplicationLog(
            replication=self.replication,
            window_start=self.window_start,
            window_end=self.window_end,
            stopped_at=self.env.now,
            contacts=self.contacts,
            stages=self.stages,
        )


def _covered_by(ratings: frozenset[str]) -> Accepts:
    return lambda task: task.rating in ratings


def _on_critical_path(contact: ContactRecord, task: Task) -> None:
    contact.critical_waits[task.stage] = task.waited
    contact.critical_staff_waits[task.stage] = task.waited_rostered


def run_replication(
    scenario: Scenario, replication: int, *, sequential_checks: bool = False
) -> ReplicationLog:
    """Simulate one replication (numbered from 0; each has its own random streams)."""
    return _Replication(scenario, replication, sequential_checks=sequential_checks).run()


def run_replications(
    scenario: Scenario, *, sequential_checks: bool = False
) -> list[ReplicationLog]:
    return [
        run_replication(scenario, replication, sequential_checks=sequential_checks)
        for replication in range(scenario.replications)
    ]


def simulate(scenario: Scenario, *, sequential_checks: bool = False) -> ScenarioResult:
    """Every replication of the scenario, measured and aggregated with 95% intervals."""
    logs = run_replications(scenario, sequential_checks=sequential_checks)
    return aggregate(scenario, logs, sequential_checks=sequential_checks)
