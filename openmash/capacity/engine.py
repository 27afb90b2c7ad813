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
import gc
import heapq
import itertools
import logging
import math
import multiprocessing
import os
import random
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar, cast

import simpy

from openmash.capacity.records import ContactRecord, ReplicationLog, StageLog
from openmash.capacity.results import (
    ReplicationMetrics,
    ScenarioResult,
    aggregate_metrics,
    replication_metrics,
)
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
# How many processes run replications side by side, if set; otherwise one per core.
WORKERS_VARIABLE = "OPENMASH_CAPACITY_WORKERS"
# Below this many contacts to simulate in all (expected, over every replication) a
# simulation runs in this process: starting worker processes would cost more than it saves.
PARALLEL_FROM_CONTACTS = 4000

logger = logging.getLogger(__name__)

Interval = tuple[float, float]
Accepts = Callable[["Task"], bool]
Process = Generator[simpy.Event, Any, None]
T = TypeVar("T")


class Task:
    """A piece of work for one stage: screening a contact, one agency's check, a decision."""

    __slots__ = (
        "contact",
        "created",
        "deadline",
        "finished",
        "journey",
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
        self, now: float, journey: "_Journey", stage: str, work: float, sequence: int
    ) -> None:
        contact = journey.contact
        self.journey = journey
        self.contact = contact
        self.stage = stage
        self.rating = contact.rating
        self.deadline = contact.deadline
        self.work = work
        self.remaining = work
        self.sequence = sequence
        self.measured = journey.measured
        self.created = now
        self.queued_at = now
        self.started: float | None = None
        self.finished: float | None = None
        # Hours in the queue, and how many of them were in the group's rostered hours
        # (someone was due on who could have done it): the rest was waiting for the rota.
        self.waited = 0.0
        self.waited_rostered = 0.0


class WorkQueue:
    """One stage's queue, ordered by deadline, and the staff waiting for work.

    It also samples its own length on every hour from `sample_from` up to (not including)
    `sample_until`: just before the length changes, every hour passed since the last
    change gets the length as it was (so a sample on the hour sees what the queue held
    after everything that happened at that moment). That costs nothing between changes,
    where a process waking every simulated hour would cost an event an hour."""

    def __init__(
        self, env: simpy.Environment, sample_from: float = math.inf, sample_until: float = 0.0
    ) -> None:
        self.env = env
        self._heap: list[tuple[float, int, Task]] = []
        self._idle: list[tuple[simpy.Event, Accepts | None]] = []
        self.lengths: list[int] = []
        self._next_sample = math.ceil(sample_from) if math.isfinite(sample_from) else math.inf
        self._sample_until = sample_until

    def sample_to(self, moment: float) -> None:
        """Record the current length for every hour sampled before `moment`."""
        limit = min(moment, self._sample_until)
        if self._next_sample < limit:
            # The whole hours from the next sample (a whole number) to before `limit`.
            hours = math.ceil(limit) - int(self._next_sample)
            self.lengths.extend(itertools.repeat(len(self._heap), hours))
            self._next_sample += hours

    def __len__(self) -> int:
        return len(self._heap)

    def put(self, task: Task) -> None:
        task.queued_at = self.env.now
        idle = self._idle
        for index, (waiting, accepts) in enumerate(idle):
            if accepts is None or accepts(task):
                del idle[index]
                waiting.succeed(task)
                return
        if self._next_sample < task.queued_at:
            self.sample_to(task.queued_at)
        heapq.heappush(self._heap, (task.deadline, task.sequence, task))

    def take(self, accepts: Accepts | None) -> Task | None:
        """The most urgent task this worker may do, if any, without waiting."""
        if not self._heap:
            return None
        if self._next_sample < self.env.now:
            self.sample_to(self.env.now)
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
        for index, (event, _) in enumerate(self._idle):
            if event is waiting:
                del self._idle[index]
                return


def work_sampler(work: WorkTime, rng: random.Random) -> Callable[[], float]:
    """Draws of the work time from `rng`, with the distribution's parameters worked out
    once (the same draws, one per call, as `sample_work`)."""
    match work:
        case Exponential(mean_hours=mean):
            rate, expovariate = 1 / mean, rng.expovariate
            return lambda: expovariate(rate)
        case LogNormal():
            mu, sigma, lognormvariate = work.mu, work.sigma, rng.lognormvariate
            return lambda: lognormvariate(mu, sigma)
        case Fixed(hours=hours):
            return lambda: hours
    raise TypeError(f"unknown work time {work!r}")


def sample_work(work: WorkTime, rng: random.Random) -> float:
    return work_sampler(work, rng)()


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with touching and overlapping intervals joined (a 0-24 rota is one stretch)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + EPSILON:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def rota_days(rota: Rota, calendar: SimulationCalendar, days: int) -> list[list[Interval]]:
    """Each day's stretches of simulation time on this rota, before absences (none on a
    bank holiday it does not work): the same for everyone in a group, so worked out once
    a replication rather than once a person."""
    by_day: list[list[Interval]] = []
    for day in range(days):
        if calendar.is_bank_holiday(day) and not rota.works_bank_holidays:
            by_day.append([])
            continue
        weekday = WEEKDAYS[calendar.weekday_of(day)]
        base = day * HOURS_PER_DAY
        by_day.append(
            [
                (base + shift.start, base + shift.end)
                for shift in rota.shifts
                if weekday in shift.days
            ]
        )
    return by_day


def rota_present(
    by_day: list[list[Interval]], absent: Callable[[int], bool] = lambda day: False
) -> list[Interval]:
    """The stretches of `rota_days` of someone absent on the days given, merged."""
    return merge_intervals(
        stretch for day, stretches in enumerate(by_day) if not absent(day) for stretch in stretches
    )


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
        intervals = self.intervals
        index = max(0, bisect.bisect_right(self.starts, start) - 1)
        for stretch_start, stretch_end in itertools.islice(intervals, index, None):
            if not stretch_start < end:
                break
            # overlap(stretch_start, stretch_end, start, end), written out: this runs
            # for every task that waited.
            total += max(0.0, min(stretch_end, end) - max(stretch_start, start))
        return total


class _Stage:
    """A staff group's queue and its rostered hours (as planned, before absences)."""

    def __init__(self, queue: WorkQueue, rostered: Hours, on_call: frozenset[str]) -> None:
        self.queue = queue
        self.rostered = rostered
        self.on_call = on_call  # ratings someone covers outside the rostered hours

    def note_wait(self, task: Task, now: float) -> None:
        waited = now - task.queued_at
        task.waited += waited
        task.waited_rostered += (
            waited if task.rating in self.on_call else self.rostered.covered(task.queued_at, now)
        )


class _Journey:
    """A contact on its way through the stages: what it still needs and has had."""

    __slots__ = ("checks", "contact", "measured", "next_check", "pending", "works")

    def __init__(self, contact: ContactRecord, works: dict[str, float], measured: bool) -> None:
        self.contact = contact
        self.works = works  # each stage's work time, drawn on arrival
        self.measured = measured
        self.checks: list[Task] = []  # parallel checks asked
        self.pending = 0  # parallel checks not yet answered
        self.next_check = 0  # with sequential checks, the next agency to ask


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
        self.samplers = [
            (group.name, work_sampler(group.work_time, self.work_rngs[group.name]))
            for group in scenario.groups()
        ]
        self.screening = scenario.screening.name
        self.decision = scenario.decision.name if scenario.decision is not None else None
        self.absence_seed = f"{prefix}/absence"

        self.rota_days = {
            group.name: rota_days(group.rota, self.calendar, self.days)
            for group in scenario.groups()
        }
        self.rotas = {name: rota_present(by_day) for name, by_day in self.rota_days.items()}
        self.stage_queues = {
            group.name: _Stage(
                WorkQueue(self.env, self.window_start, self.window_end),
                Hours(self.rotas[group.name]),
                frozenset(group.rota.on_call.ratings) if group.rota.on_call else frozenset(),
            )
            for group in scenario.groups()
        }
        self.queues = {name: stage.queue for name, stage in self.stage_queues.items()}
        self.stages = {
            group.name: StageLog(name=group.name, staff=group.staff) for group in scenario.groups()
        }
        # For each rating, the chance each agency is asked, in the agencies' order.
        self.chances = {
            rating.name: tuple(
                (agency.name, rating.checks.get(agency.name, 0.0)) for agency in scenario.agencies
            )
            for rating in scenario.ratings
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
                duty = rota_present(self.rota_days[group.name], self._absence_days(group, person))
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
        # Everything the loop below touches, looked up once: it runs for every task.
        env = self.env
        timeout = env.timeout
        queue = stage.queue
        take, put = queue.take, queue.put
        note_wait = stage.note_wait
        finished = self._finished
        first_waits = log.first_waits
        window_start, window_end = self.window_start, self.window_end
        screening = self.screening
        # The event this worker is waiting on for work, while idle. The end of a shift
        # wakes an idle worker with None: one callback instead of a SimPy condition
        # (`waiting | shift_over`) every time the worker goes idle.
        idle: list[simpy.Event] = []

        def end_shift(_: simpy.Event) -> None:
            if idle:
                waiting = idle.pop()
                if not waiting.triggered:
                    queue.stop_waiting(waiting)
                    waiting.succeed(None)

        for start, end in duty:
            now = env.now
            if now < start:
                yield timeout(start - now)
                now = env.now
            shift_over = timeout(end - now)
            cast(list[Callable[[simpy.Event], None]], shift_over.callbacks).append(end_shift)
            last = end - EPSILON  # `now` is env.now whenever it is read below
            while now < last:
                task = take(accepts)
                if task is None:
                    waiting = queue.wait(accepts)
                    idle.append(waiting)
                    task = yield waiting
                    idle.clear()
                    if task is None:
                        break
                    now = env.now
                note_wait(task, now)
                if now >= last:
                    put(task)
                    break
                if task.started is None:
                    task.started = now
                    if task.measured:
                        first_waits.append(now - task.created)
                    if task.stage == screening:
                        task.contact.picked_up = now
                began = now
                remaining = task.remaining
                yield timeout(min(remaining, end - began))
                now = env.now
                # overlap(began, now, window_start, window_end), written out
                busy = max(0.0, min(now, window_end) - max(began, window_start))
                if on_call:
                    log.on_call_busy_hours += busy
                else:
                    log.busy_hours += busy
                remaining -= now - began
                task.remaining = remaining
                if remaining <= EPSILON:
                    task.finished = now
                    finished(task)
                else:
                    put(task)  # the shift is over: hand the rest back

    # --- contacts ------------------------------------------------------------------------

    def _rate(self, moment: float) -> float:
        day = math.floor(moment / HOURS_PER_DAY)
        hour = min(23, math.floor(moment - day * HOURS_PER_DAY))
        return self.scenario.arrivals.rate(self.calendar.weekday_of(day), hour)

    def _arrivals(self) -> Process:
        # Thinning (Lewis and Shedler): candidates at the highest rate, each kept with
        # probability rate(t) / highest rate. The rate is looked up in a table of the
        # week's 168 hours, starting on the simulation's first weekday.
        rates = self.scenario.arrivals.rates
        first = self.calendar.weekday_of(0)
        week = [rates[(first + day) % 7][hour] for day in range(7) for hour in range(24)]
        peak = max(week)
        rng = self.arrival_rng
        expovariate, uniform = rng.expovariate, rng.random
        env = self.env
        moment = 0.0
        while True:
            moment += expovariate(peak)
            day = math.floor(moment / HOURS_PER_DAY)
            hour = min(23, math.floor(moment - day * HOURS_PER_DAY))
            if not uniform() * peak < week[(day % 7) * 24 + hour]:
                continue
            yield env.timeout(moment - env.now)
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
        draw = self.contact_rng.random
        asked = tuple([name for name, chance in self.chances[rating.name] if draw() < chance])
        works = {name: sample() for name, sample in self.samplers}
        measured = self.window_start <= now < self.window_end
        contact = ContactRecord(
            number=len(self.contacts),
            rating=rating.name,
            arrived=now,
            deadline=now + rating.timescale_hours  # what calendar.add gives in clock hours
            if rating.counting == "clock"
            else self.calendar.add(now, rating.timescale_hours, rating.counting),
            agencies_asked=asked,
        )
        if measured:
            self.contacts.append(contact)
            self.outstanding += 1
        self._task(_Journey(contact, works, measured), self.screening)

    def _task(self, journey: _Journey, stage: str) -> Task:
        self.sequence += 1
        task = Task(self.env.now, journey, stage, journey.works[stage], self.sequence)
        self.queues[stage].put(task)
        return task

    # A contact's journey is driven by its tasks finishing (rather than a SimPy process
    # per contact waiting on an event per task): screening; then the checks asked, in
    # parallel (or one after another); then the decision.
    def _finished(self, task: Task) -> None:
        journey = task.journey
        contact = journey.contact
        asked = contact.agencies_asked
        if task.stage == self.screening:
            _on_critical_path(contact, task)
            if not asked:
                self._decide(journey)
            elif self.sequential_checks:
                journey.next_check = 1
                self._task(journey, asked[0])
            else:
                journey.pending = len(asked)
                journey.checks = [self._task(journey, agency) for agency in asked]
        elif task.stage == self.decision:
            _on_critical_path(contact, task)
            self._decided(journey)
        elif self.sequential_checks:
            _on_critical_path(contact, task)
            if journey.next_check < len(asked):
                journey.next_check += 1
                self._task(journey, asked[journey.next_check - 1])
            else:
                self._decide(journey)
        else:
            journey.pending -= 1
            if journey.pending == 0:
                # Only the agency that answered last lay on the critical path.
                _on_critical_path(
                    contact,
                    max(journey.checks, key=lambda check: (check.finished or 0.0, check.sequence)),
                )
                self._decide(journey)

    def _decide(self, journey: _Journey) -> None:
        if self.decision is None:
            self._decided(journey)
        else:
            self._task(journey, self.decision)

    def _decided(self, journey: _Journey) -> None:
        journey.contact.decided = self.env.now
        if journey.measured:
            self.outstanding -= 1
            if self.outstanding == 0 and self.env.now >= self.window_end:
                self._finish()

    # --- running -------------------------------------------------------------------------

    def _finish(self) -> None:
        if not self.stop.triggered:
            self.stop.succeed()

    def _closing(self) -> Process:
        yield self.env.timeout(self.window_end)
        if self.outstanding == 0:
            self._finish()
        yield self.env.timeout(self.stop_at - self.window_end)
        self._finish()

    def run(self) -> ReplicationLog:
        self._start_staff()
        self.env.process(self._arrivals())
        self.env.process(self._closing())
        self.env.run(until=self.stop)
        for name, stage in self.stage_queues.items():
            stage.queue.sample_to(math.inf)  # the hours since each queue last changed
            self.stages[name].queue_lengths = stage.queue.lengths
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


def measure_replication(
    scenario: Scenario, replication: int, *, sequential_checks: bool = False
) -> ReplicationMetrics:
    """One replication's figures (`replication_metrics` of `run_replication`)."""
    log = run_replication(scenario, replication, sequential_checks=sequential_checks)
    return replication_metrics(scenario, log)


def _in_worker(
    here: Callable[..., T], data: dict[str, Any], replication: int, sequential_checks: bool
) -> T:
    # What a worker process runs: `here` (run_replication, or measure_replication, whose
    # figures are a few kilobytes and the hourly queue lengths where a log holds every
    # contact, a megabyte for a year, which the parent would spend longer unpickling than
    # aggregating). The scenario travels as its JSON form (its mappings are read-only
    # proxies, which do not pickle) and is rebuilt exactly.
    with _cycles_collected_afterwards():
        return here(Scenario.from_dict(data), replication, sequential_checks=sequential_checks)


@contextmanager
def _cycles_collected_afterwards() -> Iterator[None]:
    # Only for a worker process, which does nothing else meanwhile. While a replication
    # runs, the cycle collector walks its growing heap of live objects again and again
    # (about 5% of the time, for some 36,000 objects in cycles a simulated year: tasks
    # and their journeys), and a few megabytes of them can wait for the end.
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def default_workers() -> int:
    """OPENMASH_CAPACITY_WORKERS if set (1 runs everything in this process), else the
    number of cores this process may use."""
    configured = os.environ.get(WORKERS_VARIABLE, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            logger.warning("%s is not a whole number: using one worker", WORKERS_VARIABLE)
            return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def expected_contacts(scenario: Scenario) -> float:
    """Roughly how many contacts a simulation of the scenario meets, all replications."""
    return scenario.arrivals.per_week() / 7 * scenario.horizon_days * scenario.replications


def workers_for(scenario: Scenario, workers: int | None = None) -> int:
    """`workers` if given; else one for a simulation too small to gain from more
    processes, and `default_workers()` for any other."""
    if workers is not None:
        return workers
    return 1 if expected_contacts(scenario) < PARALLEL_FROM_CONTACTS else default_workers()


class ReplicationPool:
    """Runs replications side by side in worker processes, and gives them back in
    replication order, exactly as one process would: every replication draws from its own
    random streams (seeded by the scenario's seed and its number), so which process runs
    it, and when, changes nothing.

    Worker processes start when first needed and are kept until `close()` (or the end of
    a `with` block), so a staffing search pays for starting them once. They are started
    by a fork server (a clean process started for the purpose, which forks the workers),
    never by forking the caller: forking a Django process with threads and database
    connections is unsafe. Where processes cannot be started at all (a daemonic process,
    a sandbox without them, a pool that breaks), it says so in the log and runs the
    replications in this process instead, with the same answer."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers if workers is not None else default_workers())
        self._executor: Executor | None = None
        self._unavailable = self.workers == 1

    def __enter__(self) -> "ReplicationPool":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @property
    def parallel(self) -> bool:
        """Whether replications can run in other processes (as far as is known yet)."""
        return not self._unavailable

    def _start(self) -> Executor | None:
        if self._unavailable:
            return None
        if self._executor is None:
            if multiprocessing.current_process().daemon:
                self._give_up("this process is a daemon, which may not start processes")
                return None
            try:
                methods = multiprocessing.get_all_start_methods()
                method = "forkserver" if "forkserver" in methods else "spawn"
                context = multiprocessing.get_context(method)
                if method == "forkserver":
                    context.set_forkserver_preload([__name__])
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            except (OSError, ValueError, NotImplementedError) as error:
                self._give_up(str(error))
                return None
        return self._executor

    def _give_up(self, why: str) -> None:
        logger.warning("Simulating replications in one process: %s", why)
        self._unavailable = True
        self.close()

    def run(
        self,
        scenario: Scenario,
        replications: Sequence[int] | None = None,
        *,
        sequential_checks: bool = False,
        on_done: Callable[[int], None] | None = None,
    ) -> list[ReplicationLog]:
        """The given replications (all the scenario's by default), in that order.
        `on_done(n)` is called in this process as each finishes, with how many have."""
        return self._map(run_replication, scenario, replications, sequential_checks, on_done)

    def measure(
        self,
        scenario: Scenario,
        replications: Sequence[int] | None = None,
        *,
        sequential_checks: bool = False,
        on_done: Callable[[int], None] | None = None,
    ) -> list[ReplicationMetrics]:
        """As `run`, but each replication's figures (`replication_metrics`), worked out
        where it ran: what `aggregate_metrics` needs, without sending the logs back."""
        return self._map(measure_replication, scenario, replications, sequential_checks, on_done)

    def _map(
        self,
        here: Callable[..., T],
        scenario: Scenario,
        replications: Sequence[int] | None,
        sequential_checks: bool,
        on_done: Callable[[int], None] | None,
    ) -> list[T]:
        numbers = list(range(scenario.replications)) if replications is None else replications
        executor = self._start() if len(numbers) > 1 else None
        if executor is not None:
            try:
                return self._run_in_workers(
                    executor, here, scenario, numbers, sequential_checks, on_done
                )
            except (BrokenProcessPool, OSError) as error:
                self._give_up(f"the worker processes failed ({error})")
        done: list[T] = []
        for replication in numbers:
            done.append(here(scenario, replication, sequential_checks=sequential_checks))
            if on_done is not None:
                on_done(len(done))
        return done

    def _run_in_workers(
        self,
        executor: Executor,
        here: Callable[..., T],
        scenario: Scenario,
        numbers: Sequence[int],
        sequential_checks: bool,
        on_done: Callable[[int], None] | None,
    ) -> list[T]:
        data = scenario.to_dict()
        futures = {
            executor.submit(_in_worker, here, data, replication, sequential_checks): replication
            for replication in numbers
        }
        done: dict[int, T] = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if on_done is not None:
                on_done(len(done))
        return [done[replication] for replication in numbers]


def run_replications(
    scenario: Scenario,
    *,
    sequential_checks: bool = False,
    workers: int | None = None,
    pool: ReplicationPool | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[ReplicationLog]:
    """Every replication of the scenario, in order, in `pool` if given; otherwise side by
    side in `workers` processes (default: `default_workers()`, and one for a simulation
    too small to gain from more). The logs are the same whatever runs them."""
    if pool is not None:
        return pool.run(scenario, sequential_checks=sequential_checks, on_done=on_done)
    with ReplicationPool(workers_for(scenario, workers)) as own:
        return own.run(scenario, sequential_checks=sequential_checks, on_done=on_done)


def simulate(
    scenario: Scenario,
    *,
    sequential_checks: bool = False,
    workers: int | None = None,
    pool: ReplicationPool | None = None,
) -> ScenarioResult:
    """Every replication of the scenario, measured and aggregated with 95% intervals
    (side by side across processes, each measuring its own replications: see
    `run_replications`). The same as `aggregate` of the logs."""
    if pool is not None:
        per_replication = pool.measure(scenario, sequential_checks=sequential_checks)
    else:
        with ReplicationPool(workers_for(scenario, workers)) as own:
            per_replication = own.measure(scenario, sequential_checks=sequential_checks)
    return aggregate_metrics(scenario, per_replication, sequential_checks=sequential_checks)
