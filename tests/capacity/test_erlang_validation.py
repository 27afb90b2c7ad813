"""The engine against queueing theory.

With Poisson arrivals, exponential work, one stage and c staff always present (M/M/c;
one rating, so deadline order is first come first served), the simulated mean wait and
probability of waiting must agree with Erlang C: the formula's value lies inside the
simulation's 95% confidence interval, over a range of loads and team sizes.

The seed is fixed, so the test is reproducible. With fresh seeds about one comparison in
twenty would fall outside a 95% interval by chance; docs/capacity.md reports how often
that happened over many seeds (the intervals' coverage), which is the fuller check.
"""

import pytest
from pyworkforce.queuing import ErlangC

from openmash.capacity.engine import simulate
from openmash.capacity.scenario import Arrivals, Exponential, Rating, Rota, Scenario, StaffGroup
from openmash.capacity.staffing import (
    erlang_c_mean_wait,
    erlang_c_service_level,
    erlang_c_wait_probability,
)

MEAN_WORK = 1.0  # hours
CONTACTS_PER_REPLICATION = 1500
REPLICATIONS = 16
SEED = 1


def mmc_scenario(
    *,
    staff: int,
    arrival_rate: float,
    mean_work: float,
    hours: float,
    warm_up_hours: float,
    replications: int = REPLICATIONS,
    timescale_hours: float = 1000.0,
    seed: int = SEED,
) -> Scenario:
    """The M/M/c queue as a scenario: one stage, nobody ever off."""
    return Scenario(
        name=f"M/M/{staff}",
        arrivals=Arrivals.constant(arrival_rate),
        ratings=(Rating(name="all", share=1, timescale_hours=timescale_hours),),
        screening=StaffGroup(
            name="staff", staff=staff, work_time=Exponential(mean_work), rota=Rota.always()
        ),
        horizon_days=(warm_up_hours + hours) / 24,
        warm_up_days=warm_up_hours / 24,
        replications=replications,
        seed=seed,
    )


def warm_up_for(load_per_person: float, staff: int) -> float:
    # The queue forgets its empty start on the scale of 1 / (mu (1 - sqrt(rho))^2);
    # a multiple of that is ample without wasting time at light loads.
    return max(50.0, 20 * MEAN_WORK / (1 - load_per_person) ** 2 / staff)


@pytest.mark.parametrize("load_per_person", [0.5, 0.7, 0.85])
@pytest.mark.parametrize("staff", [1, 2, 4])
def test_it_agrees_with_erlang_c(load_per_person: float, staff: int) -> None:
    arrival_rate = load_per_person * staff / MEAN_WORK
    scenario = mmc_scenario(
        staff=staff,
        arrival_rate=arrival_rate,
        mean_work=MEAN_WORK,
        hours=CONTACTS_PER_REPLICATION / arrival_rate,
        warm_up_hours=warm_up_for(load_per_person, staff),
    )

    result = simulate(scenario).stages["staff"]

    mean_wait = erlang_c_mean_wait(staff=staff, arrival_rate=arrival_rate, mean_work=MEAN_WORK)
    waits = erlang_c_wait_probability(staff=staff, load=arrival_rate * MEAN_WORK)
    simulated_wait, simulated_waits = result["mean_wait_hours"], result["share_waited"]
    assert simulated_wait.contains(mean_wait), (mean_wait, simulated_wait)
    assert simulated_waits.contains(waits), (waits, simulated_waits)
    # Busy / present is the load per person, to within a few per cent.
    assert result["utilisation"].mean == pytest.approx(load_per_person, rel=0.03)


@pytest.mark.parametrize("staff", [1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("load_share", [0.3, 0.6, 0.9, 0.99])
def test_it_writes_erlang_c_as_pyworkforce_does(staff: int, load_share: float) -> None:
    arrival_rate, mean_work_minutes, within_minutes = staff * load_share * 2, 30.0, 10.0
    theirs = ErlangC(
        transactions=arrival_rate, aht=mean_work_minutes, asa=within_minutes, interval=60
    )

    ours_waiting = erlang_c_wait_probability(staff=staff, load=theirs.intensity)
    ours_level = erlang_c_service_level(
        staff=staff,
        arrival_rate=arrival_rate,
        mean_work=mean_work_minutes / 60,
        within=within_minutes / 60,
    )

    assert ours_waiting == pytest.approx(theirs.waiting_probability(staff), rel=1e-9)
    assert ours_level == pytest.approx(theirs.service_level(staff), rel=1e-9)


def test_it_knows_textbook_values() -> None:
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lambda). M/M/2 at A = 1: C = 1/3.
    assert erlang_c_wait_probability(staff=1, load=0.7) == pytest.approx(0.7)
    assert erlang_c_mean_wait(staff=1, arrival_rate=0.7, mean_work=1) == pytest.approx(0.7 / 0.3)
    assert erlang_c_wait_probability(staff=2, load=1.0) == pytest.approx(1 / 3)
    assert erlang_c_wait_probability(staff=2, load=2.5) == 1.0
