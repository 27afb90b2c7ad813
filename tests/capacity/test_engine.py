"""The engine: arrivals, deadline order, rotas, absences, on-call, parallel checks,
working-hours deadlines, determinism, and what the results say."""

import json
import math
import pickle
import statistics
from dataclasses import fields
from datetime import date, timedelta

import pytest
import simpy

from openmash.capacity.engine import (
    ReplicationPool,
    WorkQueue,
    complement,
    merge_intervals,
    rota_days,
    rota_present,
    run_replication,
    run_replications,
    simulate,
)
from openmash.capacity.records import ContactRecord
from openmash.capacity.results import Estimate, aggregate, quantile, t_quantile_975
from openmash.capacity.scenario import (
    WEEKDAYS,
    Arrivals,
    Exponential,
    Fixed,
    HubHours,
    OnCall,
    Rating,
    Rota,
    Scenario,
    StaffGroup,
)
from openmash.capacity.working_time import SimulationCalendar
from openmash.demo.capacity_examples import county_mash

MONDAY = date(2025, 1, 6)
SHORT_WORK = Fixed(0.1)


def rates_at(hours: dict[tuple[str, int], float]) -> Arrivals:
    """Contacts an hour at the given (weekday, hour)s, none otherwise."""
    return Arrivals(
        rates=tuple(tuple(hours.get((day, hour), 0.0) for hour in range(24)) for day in WEEKDAYS)
    )


def weekday_mornings(per_hour: float, days: tuple[str, ...] = WEEKDAYS[:5]) -> Arrivals:
    return rates_at({(day, hour): per_hour for day in days for hour in range(9, 13)})


def one_stage(
    *,
    arrivals: Arrivals,
    staff: int = 1,
    rota: Rota | None = None,
    absence: float = 0.0,
    work: Fixed | Exponential = SHORT_WORK,
    ratings: tuple[Rating, ...] = (Rating(name="red", share=1, timescale_hours=4),),
    **changes: object,
) -> Scenario:
    fields: dict[str, object] = {
        "arrivals": arrivals,
        "ratings": ratings,
        "screening": StaffGroup(
            name="screeners",
            staff=staff,
            work_time=work,
            rota=rota or Rota.office(),
            absence=absence,
        ),
        "start": MONDAY,
        "horizon_days": 63,
        "warm_up_days": 7,
        "replications": 8,
        "seed": 7,
    }
    fields.update(changes)
    return Scenario(**fields)  # type: ignore[arg-type]


def breach_share(scenario: Scenario, rating: str = "red") -> float:
    return 1 - simulate(scenario).within_timescale(rating)


# --- arrivals -------------------------------------------------------------------------


def test_it_draws_arrivals_at_each_hours_rate() -> None:
    # Monday 10:00-11:00 at 2 an hour, Wednesday 15:00-16:00 at 6 an hour, nothing else.
    scenario = one_stage(
        arrivals=rates_at({("mon", 10): 2.0, ("wed", 15): 6.0}), horizon_days=7 * 41
    )

    log = run_replication(scenario, 0)

    weeks = 40
    by_hour = [(math.floor(c.arrived) % 168) for c in log.contacts]
    assert set(by_hour) == {10, 2 * 24 + 15}
    monday, wednesday = by_hour.count(10), by_hour.count(63)
    # Poisson counts: mean 80 and 240, standard deviations about 9 and 15.
    assert abs(monday - 2 * weeks) < 4 * math.sqrt(2 * weeks)
    assert abs(wednesday - 6 * weeks) < 4 * math.sqrt(6 * weeks)


# --- determinism ----------------------------------------------------------------------


def test_it_gives_the_same_result_for_the_same_seed() -> None:
    scenario = county_mash(horizon_days=14, warm_up_days=3, replications=3)

    first, second = simulate(scenario).to_dict(), simulate(scenario).to_dict()
    other = simulate(county_mash(horizon_days=14, warm_up_days=3, replications=3, seed=2))

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert other.to_dict() != first


def test_it_gives_the_same_answer_on_one_core_or_two() -> None:
    # Each replication draws from its own streams, so which process runs it changes nothing.
    scenario = county_mash(horizon_days=21, warm_up_days=3, replications=5)

    one = simulate(scenario, workers=1).to_dict()
    with ReplicationPool(2) as pool:
        assert pool.parallel
        two = simulate(scenario, pool=pool).to_dict()
        done: list[int] = []
        some = pool.run(scenario, [3, 1], on_done=done.append)

    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    # Any replications, in the order asked, each the same as when run alone.
    assert [log.replication for log in some] == [3, 1]
    assert some[0].contacts == run_replication(scenario, 3).contacts
    assert sorted(done) == [1, 2]


def test_it_runs_in_one_process_when_it_may_not_start_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = county_mash(horizon_days=10, warm_up_days=2, replications=3)
    monkeypatch.setenv("OPENMASH_CAPACITY_WORKERS", "1")
    assert not ReplicationPool().parallel

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr("openmash.capacity.engine.ProcessPoolExecutor", refuse)
    pool = ReplicationPool(2)
    logs = pool.run(scenario)

    assert not pool.parallel
    assert [log.contacts for log in logs] == [
        log.contacts for log in run_replications(scenario, workers=1)
    ]


def test_it_gives_the_same_contacts_whatever_the_staffing() -> None:
    # Common random numbers: only the staffing differs between the two runs.
    scenario = county_mash(horizon_days=14, warm_up_days=3, replications=2)
    more = scenario.with_staff({"health": 6})

    contacts, more_contacts = (
        run_replication(scenario, 1).contacts,
        run_replication(more, 1).contacts,
    )

    assert [(c.arrived, c.rating, c.agencies_asked) for c in contacts] == [
        (c.arrived, c.rating, c.agencies_asked) for c in more_contacts
    ]


# --- the queue discipline and the end of a shift --------------------------------------


def test_it_takes_work_in_deadline_order() -> None:
    # One screener, mornings busier than they can keep up with: reds jump the queue.
    scenario = one_stage(
        arrivals=weekday_mornings(4.0),
        work=Exponential(0.4),
        ratings=(
            Rating(name="red", share=0.2, timescale_hours=4),
            Rating(name="green", share=0.8, timescale_hours=72),
        ),
        horizon_days=35,
    )

    result = simulate(scenario)

    red = result.ratings["red"]
    green = result.ratings["green"]
    assert (red["median_turnaround_hours"].mean or 99) < 1
    # Nine in ten reds are done sooner than half the greens, and nearly all in time.
    assert (red["p90_turnaround_hours"].mean or 99) < (green["median_turnaround_hours"].mean or 0)
    assert (red["within_timescale"].mean or 0) > 0.95


def test_it_hands_unfinished_work_back_at_the_end_of_a_shift() -> None:
    # Two hours of work arriving in the last hour of the day: part done today, the rest
    # from 09:00 the next working day, by whoever is on.
    scenario = one_stage(
        arrivals=rates_at({(day, 16): 0.5 for day in ("mon", "tue", "wed", "thu")}),
        work=Fixed(2.0),
        ratings=(Rating(name="green", share=1, timescale_hours=72),),
        horizon_days=91,
    )

    log = run_replication(scenario, 0)

    days = [math.floor(contact.arrived / 24) for contact in log.contacts]
    alone = [
        contact for contact, day in zip(log.contacts, days, strict=True) if days.count(day) == 1
    ]
    assert len(alone) > 5
    for contact in alone:
        day, arrived_at = divmod(contact.arrived, 24)
        done_on_the_day = 17 - arrived_at
        assert contact.decided == pytest.approx((day + 1) * 24 + 9 + 2 - done_on_the_day)
    stage = log.stages["screeners"]
    assert stage.busy_hours <= stage.available_hours


# --- absences, rota gaps and on-call --------------------------------------------------


def test_it_raises_breaches_by_the_share_of_days_the_only_screener_is_off() -> None:
    # Mornings only, short work, 4-hour red timescale: a contact breaches exactly when it
    # arrives on a day its screener is off, so about 20% breach with 20% absence.
    present = one_stage(arrivals=weekday_mornings(0.5))
    off_a_fifth = one_stage(arrivals=weekday_mornings(0.5), absence=0.2)
    two_off_a_fifth = one_stage(arrivals=weekday_mornings(0.5), staff=2, absence=0.2)

    assert breach_share(present) == 0
    assert breach_share(off_a_fifth) == pytest.approx(0.2, abs=0.06)
    # With two, both are off on 4% of days.
    assert 0.005 < breach_share(two_off_a_fifth) < 0.08


def test_it_counts_only_the_hours_of_people_at_work_as_available() -> None:
    result = simulate(one_stage(arrivals=weekday_mornings(0.5), staff=3, absence=0.25))

    # 8 weeks measured x 40 rota hours x 3 people x 75% present.
    available = result.stages["screeners"]["available_hours"].mean
    assert available == pytest.approx(8 * 40 * 3 * 0.75, rel=0.07)


def test_it_raises_breaches_and_utilisation_with_absence_when_the_team_is_busy() -> None:
    def busy_team(absence: float) -> Scenario:
        return one_stage(
            arrivals=rates_at({(day, hour): 2.0 for day in WEEKDAYS[:5] for hour in range(9, 17)}),
            staff=4,
            absence=absence,
            work=Exponential(1.0),
            ratings=(Rating(name="amber", share=1, timescale_hours=8, counting="working"),),
            horizon_days=35,
        )

    present, absent = simulate(busy_team(0.0)), simulate(busy_team(0.25))

    utilisation = present.stages["screeners"]["utilisation"].mean
    absent_utilisation = absent.stages["screeners"]["utilisation"].mean
    assert utilisation is not None and absent_utilisation is not None
    # The same work over three quarters of the hours.
    assert absent_utilisation / utilisation == pytest.approx(1 / 0.75, rel=0.1)
    assert absent.ratings["amber"]["breaches"].mean > 3 * present.ratings["amber"]["breaches"].mean


def test_it_raises_breaches_by_the_share_of_contacts_arriving_in_a_rota_gap() -> None:
    # Nobody screens on Fridays: Friday's contacts (a fifth) wait for Monday.
    mon_to_thu = Rota.office(days=("mon", "tue", "wed", "thu"))

    result = simulate(one_stage(arrivals=weekday_mornings(0.5), rota=mon_to_thu))

    assert 1 - result.within_timescale("red") == pytest.approx(0.2, abs=0.04)
    stage = result.stages["screeners"]
    # The wait is for the rota, not for a free person: not a staffing bottleneck.
    assert (stage["critical_rota_wait_hours"].mean or 0) > 10
    assert (stage["critical_staff_wait_hours"].mean or 0) < 0.05


def test_it_lets_on_call_staff_take_reds_out_of_hours() -> None:
    evenings = rates_at({(day, 20): 1.0 for day in WEEKDAYS})
    ratings = (
        Rating(name="red", share=0.5, timescale_hours=4),
        Rating(name="green", share=0.5, timescale_hours=72),
    )
    with_on_call = Rota.office(on_call=OnCall(people=1, ratings=("red",)))

    without = simulate(one_stage(arrivals=evenings, ratings=ratings))
    covered = simulate(one_stage(arrivals=evenings, ratings=ratings, rota=with_on_call))

    assert without.within_timescale("red") == 0
    assert covered.within_timescale("red") == 1
    # Greens still wait for the morning, and the on-call worker is not counted as staff.
    assert covered.within_timescale("green") == 1
    assert (covered.ratings["green"]["median_turnaround_hours"].mean or 0) > 10
    assert covered.stages["screeners"]["on_call_utilisation"].mean is not None


# --- parallel checks ------------------------------------------------------------------


def checked_by_three(work: Fixed | Exponential) -> Scenario:
    def group(name: str, hours: float) -> StaffGroup:
        return StaffGroup(name=name, staff=3, work_time=Fixed(hours), rota=Rota.always())

    agencies = tuple(
        StaffGroup(name=name, staff=3, work_time=work, rota=Rota.always())
        for name in ("police", "health", "education")
    )
    return Scenario(
        arrivals=Arrivals.constant(0.2),
        ratings=(
            Rating(
                name="amber",
                share=1,
                timescale_hours=24,
                checks={"police": 1, "health": 1, "education": 1},
            ),
        ),
        screening=group("screeners", 0.5),
        agencies=agencies,
        decision=group("managers", 0.5),
        horizon_days=42,
        warm_up_days=7,
        replications=4,
    )


def test_it_finishes_parallel_checks_sooner_than_the_same_checks_in_turn() -> None:
    scenario = checked_by_three(Fixed(1.0))

    parallel = simulate(scenario).ratings["amber"]["median_turnaround_hours"].mean
    in_turn = (
        simulate(scenario, sequential_checks=True).ratings["amber"]["median_turnaround_hours"].mean
    )

    # Hardly any queueing: half an hour's screening and decision either side of the
    # checks, which take the longest one's hour in parallel and three hours in turn.
    assert parallel == pytest.approx(2.0, abs=0.1)
    assert in_turn == pytest.approx(4.0, abs=0.1)


def test_it_finishes_parallel_checks_sooner_with_variable_work_too() -> None:
    scenario = checked_by_three(Exponential(1.0))

    parallel = simulate(scenario).ratings["amber"]
    in_turn = simulate(scenario, sequential_checks=True).ratings["amber"]

    # E[max of three exponentials] = 1 + 1/2 + 1/3 hours against E[sum] = 3 hours.
    p90, p90_in_turn = parallel["p90_turnaround_hours"].mean, in_turn["p90_turnaround_hours"].mean
    assert p90 is not None and p90_in_turn is not None and p90 < p90_in_turn
    median, median_in_turn = (
        parallel["median_turnaround_hours"].mean,
        in_turn["median_turnaround_hours"].mean,
    )
    assert median is not None and median_in_turn is not None
    assert median_in_turn - median == pytest.approx(3 - 11 / 6, abs=0.35)


# --- working hours ----------------------------------------------------------------------


def test_it_counts_working_hours_over_a_weekend_and_a_bank_holiday() -> None:
    friday = 4 * 24.0
    calendar = SimulationCalendar(MONDAY, HubHours(bank_holidays=(date(2025, 1, 13),)))

    # 4 working hours from 16:00 on Friday: one on Friday, none at the weekend or on the
    # bank holiday Monday, three on Tuesday.
    deadline = calendar.add(friday + 16, 4, "working")

    assert deadline == 8 * 24 + 12
    assert calendar.elapsed(friday + 16, deadline, "working") == 4
    assert calendar.add(friday + 16, 4, "clock") == friday + 20
    # Starting out of hours counts from the next opening.
    assert calendar.add(friday + 20, 1, "working") == 8 * 24 + 10


def test_it_measures_working_hour_deadlines_in_the_engine() -> None:
    # Contacts arrive on Friday afternoons; the only screener works Tuesday to Thursday.
    # With every Monday a bank holiday, 8 working hours run to Tuesday afternoon and every
    # contact is in time; counted in clock hours, or with ordinary Mondays, none is.
    fridays = rates_at({("fri", 15): 1.0})
    tue_to_thu = Rota.office(days=("tue", "wed", "thu"))
    weeks = 12
    mondays = tuple(MONDAY + timedelta(weeks=week) for week in range(weeks + 2))

    def scenario(counting: str, bank_holidays: tuple[date, ...]) -> Scenario:
        return one_stage(
            arrivals=fridays,
            rota=tue_to_thu,
            ratings=(Rating(name="amber", share=1, timescale_hours=8, counting=counting),),  # type: ignore[arg-type]
            hub_hours=HubHours(bank_holidays=bank_holidays),
            horizon_days=7 * weeks,
        )

    long_weekends = simulate(scenario("working", mondays))
    clock = simulate(scenario("clock", mondays))
    ordinary_mondays = simulate(scenario("working", ()))

    assert long_weekends.within_timescale("amber") == 1
    assert clock.within_timescale("amber") == 0
    assert ordinary_mondays.within_timescale("amber") == 0
    # Arriving 15:00-16:00 Friday, decided just after 09:00 Tuesday: one to two working
    # hours on Friday and a few minutes on Tuesday.
    turnaround = long_weekends.ratings["amber"]["median_turnaround_hours"].mean
    assert turnaround is not None and 1.0 < turnaround < 2.5


# --- results ----------------------------------------------------------------------------


def test_it_reports_every_measure_as_json_with_intervals() -> None:
    scenario = county_mash(horizon_days=21, warm_up_days=7, replications=4)

    result = simulate(scenario)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))

    assert set(data["ratings"]) == {"red", "amber", "green"}
    red = data["ratings"]["red"]
    for metric in (
        "median_turnaround_hours",
        "p90_turnaround_hours",
        "within_timescale",
        "breaches",
    ):
        assert red[metric]["low"] <= red[metric]["mean"] <= red[metric]["high"]
    assert set(data["stages"]) == {"screeners", "police", "health", "education", "managers"}
    for stage in data["stages"].values():
        assert 0 < stage["utilisation"]["mean"] <= 1
        series = stage["queue_over_time"]
        assert len(series["hours"]) == len(series["mean"]) == 14 * 24
        assert series["hours"][0] == 7 * 24
    assert data["bottleneck"] in data["stages"]
    assert data["bottleneck_reason"].startswith("contacts wait longest for a free person at")
    assert sum(data["bottleneck_share"].values()) == pytest.approx(1)


def test_it_names_the_understaffed_stage_as_the_bottleneck() -> None:
    scenario = county_mash(horizon_days=21, warm_up_days=7, replications=4)
    short_of_health = scenario.with_staff({"health": 2})

    result = simulate(short_of_health)

    assert result.bottleneck == "health"
    assert result.stages["health"]["utilisation"].mean == max(
        stage["utilisation"].mean or 0 for stage in result.stages.values()
    )


def test_it_computes_t_intervals() -> None:
    estimate = Estimate.of([1.0, 2.0, 3.0, 4.0])

    # mean 2.5, sd 1.29, t(3) = 3.182: half-width 2.054.
    assert estimate.mean == 2.5
    assert estimate.high - 2.5 == pytest.approx(3.182446 * statistics.stdev([1, 2, 3, 4]) / 2)
    assert Estimate.of([1.0, math.inf]).mean is None
    assert Estimate.of([None, None]).replications == 0


@pytest.mark.parametrize("degrees", [1, 2, 5, 10, 29, 30, 31, 40, 100, 1000])
def test_it_knows_students_t(degrees: int) -> None:
    from scipy.stats import t

    assert t_quantile_975(degrees) == pytest.approx(t.ppf(0.975, degrees), abs=2e-5)


def test_it_interpolates_quantiles_and_leaves_undecided_contacts_last() -> None:
    assert quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert quantile([1.0, 2.0, math.inf], 0.9) == math.inf
    assert quantile([], 0.5) is None


def test_it_merges_rota_stretches_and_finds_the_gaps() -> None:
    merged = merge_intervals([(24.0, 48.0), (0.0, 24.0), (57.0, 65.0)])

    assert merged == [(0.0, 48.0), (57.0, 65.0)]
    assert complement(merged, 72.0) == [(48.0, 57.0), (65.0, 72.0)]


def test_it_sends_every_field_of_a_contact_between_processes() -> None:
    # ContactRecord pickles itself field by field: a field added later must travel too.
    values = {
        "number": 3,
        "rating": "amber",
        "arrived": 1.5,
        "deadline": 25.5,
        "picked_up": 2.25,
        "decided": 7.125,
        "critical_waits": {"screeners": 0.75},
        "critical_staff_waits": {"screeners": 0.5},
        "agencies_asked": ("police", "health"),
    }
    assert set(values) == {field.name for field in fields(ContactRecord)}
    contact = ContactRecord(**values)  # type: ignore[arg-type]
    log = run_replication(county_mash(horizon_days=10, warm_up_days=2, replications=2), 1)

    def through_a_pipe(value: object) -> object:
        return pickle.loads(pickle.dumps(value))  # noqa: S301 (bytes pickled just now)

    assert vars(through_a_pipe(contact)) == values
    assert through_a_pipe(log) == log


def test_it_samples_the_queue_on_every_whole_hour_before_a_moment() -> None:
    # From hour 3 (the first whole hour from 2.5) up to, not including, hour 9.
    queue = WorkQueue(simpy.Environment(), sample_from=2.5, sample_until=9.0)
    counts = []
    for moment in (1.0, 3.0, 3.0000001, 3.5, 6.0, 6.5, 100.0, math.inf):
        queue.sample_to(moment)
        counts.append(len(queue.lengths))

    # Hours 3 | 4, 5 | 6 | 7, 8.
    assert counts == [0, 0, 1, 1, 3, 4, 6, 6]
    assert WorkQueue(simpy.Environment()).lengths == []


def test_it_aggregates_figures_measured_in_the_workers_as_it_would_the_logs() -> None:
    # simulate() has each worker process measure its own replications and sends back
    # only the figures: the result must be the aggregate of the logs, to the bit.
    scenario = county_mash(horizon_days=21, warm_up_days=3, replications=4)

    with ReplicationPool(2) as pool:
        measured = simulate(scenario, pool=pool, sequential_checks=True).to_dict()
        logs = pool.run(scenario, sequential_checks=True)

    from_logs = aggregate(scenario, logs, sequential_checks=True).to_dict()
    assert json.dumps(measured, sort_keys=True) == json.dumps(from_logs, sort_keys=True)


def test_it_rosters_every_day_less_absences_weekends_and_bank_holidays() -> None:
    # Office hours from a Monday; the next Monday is a bank holiday.
    calendar = SimulationCalendar(MONDAY, HubHours(bank_holidays=(MONDAY + timedelta(days=7),)))

    by_day = rota_days(Rota.office(), calendar, 9)

    off_on_tuesday = rota_present(by_day, lambda day: day == 1)
    assert off_on_tuesday == [
        (9.0, 17.0),
        (57.0, 65.0),
        (81.0, 89.0),
        (105.0, 113.0),
        (201.0, 209.0),
    ]
    assert len(rota_present(by_day)) == 6
