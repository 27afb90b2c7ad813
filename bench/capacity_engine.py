"""The capacity engine: a year of the worked scenario on two cores beside one, events a
second beside ciw on the same M/M/c queue, and a staffing recommendation's time.

No database; everything in this process (and the engine's own worker processes):

1. the worked scenario (`county_mash()`) for one simulated year (365 days after a 7-day
   warm-up) with 20 replications, simulated RUNS times with 2 worker processes and RUNS
   times with 1 (in turn, so machine noise falls on both): median and 95th percentile of
   the wall time, and a check that both give the same answer;
2. the M/M/c queue (Poisson arrivals at 3 an hour, exponential work of mean 1 hour,
   4 servers always present: load 0.75 a server) for the same simulated hours in the
   engine (one replication, one process) and in ciw 3.2.7: events a second, counting
   two events per customer (arrival and end of service) for both, and both mean waits
   beside Erlang C's W_q;
3. the staffing recommendation for the worked scenario's targets
   (`WORKED_EXAMPLE_TARGETS`), with 2 worker processes: wall time, staffings tried and
   replications simulated.

    .venv/bin/python bench/capacity_engine.py [--quick]
    # --quick: 90 simulated days instead of 365, 2 runs each, a shorter M/M/c run
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import Figure, log, median, percentile, stop_cleanly_on_sigterm, write_results

from openmash.capacity.engine import ReplicationPool, run_replication, simulate
from openmash.capacity.scenario import Arrivals, Exponential, Rating, Rota, Scenario, StaffGroup
from openmash.capacity.staffing import erlang_c_mean_wait, recommend_staffing
from openmash.demo.capacity_examples import WORKED_EXAMPLE_TARGETS, county_mash

LOAD_AT_START = os.getloadavg()

NAME = "capacity_engine"
ARRIVALS_PER_HOUR = 3.0
MEAN_WORK_HOURS = 1.0
SERVERS = 4
WARM_UP_HOURS = 48.0


def year_runs(days: int, runs: int) -> dict[str, Any]:
    scenario = county_mash(horizon_days=days, replications=20)
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: list[float] = []  # this process's CPU time on one process: steadier on a busy machine
    answers: dict[int, str] = {}
    for run in range(runs):
        for workers in (2, 1):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = simulate(scenario, workers=workers)
            times[workers].append(time.perf_counter() - began)
            if workers == 1:
                cpu.append(time.process_time() - began_cpu)
            answers[workers] = json.dumps(result.to_dict(), sort_keys=True)
            log(f"{days} days x 20, {workers} worker(s), run {run + 1}: {times[workers][-1]:.2f} s")
    return {"times": times, "cpu_one": cpu, "same_answer": answers[1] == answers[2], "days": days}


def mmc_scenario(hours: float) -> Scenario:
    return Scenario(
        name="M/M/c",
        arrivals=Arrivals.constant(ARRIVALS_PER_HOUR),
        ratings=(Rating(name="all", share=1.0, timescale_hours=10_000),),
        screening=StaffGroup(
            name="staff",
            staff=SERVERS,
            work_time=Exponential(MEAN_WORK_HOURS),
            rota=Rota.always(),
        ),
        horizon_days=(WARM_UP_HOURS + hours) / 24,
        warm_up_days=WARM_UP_HOURS / 24,
        replications=2,
        seed=1,
    )


def engine_mmc(hours: float) -> dict[str, Any]:
    scenario = mmc_scenario(hours)
    began = time.perf_counter()
    log_ = run_replication(scenario, 0)
    seconds = time.perf_counter() - began
    waits = log_.stages["staff"].first_waits
    # Every contact that arrived before the simulation stopped (warm-up too) was simulated.
    customers = len(log_.contacts) * (WARM_UP_HOURS + hours) / hours
    return {
        "seconds": seconds,
        "customers": round(customers),
        "events_per_second": 2 * customers / seconds,
        "mean_wait": statistics.fmean(waits),
    }


def ciw_mmc(hours: float) -> dict[str, Any]:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVALS_PER_HOUR)],
        service_distributions=[ciw.dists.Exponential(rate=1 / MEAN_WORK_HOURS)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(1)
    simulation = ciw.Simulation(network)
    began = time.perf_counter()
    simulation.simulate_until_max_time(WARM_UP_HOURS + hours)
    seconds = time.perf_counter() - began
    records = simulation.get_all_records()
    waits = [record.waiting_time for record in records if record.arrival_date >= WARM_UP_HOURS]
    return {
        "seconds": seconds,
        "customers": len(records),
        "events_per_second": 2 * len(records) / seconds,
        "mean_wait": statistics.fmean(waits),
        "version": ciw.__version__,
    }


def recommendation_run() -> dict[str, Any]:
    scenario = county_mash()
    began = time.perf_counter()
    with ReplicationPool(2) as pool:
        recommendation = recommend_staffing(scenario, WORKED_EXAMPLE_TARGETS, pool=pool)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "met": recommendation.met,
        "staffing": recommendation.staffing,
        "staffings_tried": recommendation.evaluations,
        "replications_simulated": recommendation.replications_simulated,
    }


def main() -> None:
    stop_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    days, runs, mmc_hours = (90, 2, 3_000.0) if options.quick else (365, 5, 40_000.0)

    year = year_runs(days, runs)
    engine = engine_mmc(mmc_hours)
    log(f"engine M/M/c: {engine}")
    peer = ciw_mmc(mmc_hours)
    log(f"ciw M/M/c: {peer}")
    erlang = erlang_c_mean_wait(
        staff=SERVERS, arrival_rate=ARRIVALS_PER_HOUR, mean_work=MEAN_WORK_HOURS
    )
    recommendation = recommendation_run()
    log(f"recommendation: {recommendation}")

    two, one = year["times"][2], year["times"][1]
    what = "one simulated year" if days == 365 else f"{days} simulated days"
    figures = [
        Figure(
            f"Worked scenario, {what}, 20 replications, 2 worker processes: median",
            round(median(two), 2),
            "s",
            "the same on 1 process",
            round(median(one), 2),
        ),
        Figure(
            f"Worked scenario, {what}, 20 replications, 2 worker processes: 95th percentile",
            round(percentile(two, 95), 2),
            "s",
            "the same on 1 process",
            round(percentile(one, 95), 2),
        ),
        Figure(
            f"M/M/{SERVERS} (rho 0.75), {mmc_hours:,.0f} simulated hours: events a second",
            round(engine["events_per_second"]),
            "events/s",
            f"ciw {peer['version']}",
            round(peer["events_per_second"]),
        ),
        Figure(
            "M/M/c mean wait W_q (Erlang C " + f"{erlang:.3f} h)",
            round(engine["mean_wait"], 3),
            "h",
            f"ciw {peer['version']}",
            round(peer["mean_wait"], 3),
        ),
        Figure(
            "Staffing recommendation, worked scenario and its targets, 2 worker processes",
            round(recommendation["seconds"], 1),
            "s",
        ),
    ]
    notes = [
        "Load average (1, 5, 15 min) when the run began: "
        + ", ".join(f"{value:.2f}" for value in LOAD_AT_START)
        + "; when it ended: "
        + ", ".join(f"{value:.2f}" for value in os.getloadavg())
        + " (anything above 0 is other work on the same 2 cores).",
        f"Same answer on 1 and 2 processes: {'yes' if year['same_answer'] else 'NO'} "
        "(the results' JSON compared byte for byte).",
        f"{runs} runs each of 1 and 2 processes, in turn; all times "
        f"(s): 2 processes {[round(t, 2) for t in two]}, 1 process {[round(t, 2) for t in one]}.",
        f"CPU time of the 1-process runs (s): {[round(t, 2) for t in year['cpu_one']]}: the "
        "wall time one process would take on an idle core.",
        f"Mean wait against Erlang C ({erlang:.3f} h): engine "
        f"{(engine['mean_wait'] - erlang) / erlang:+.1%}, ciw {(peer['mean_wait'] - erlang) / erlang:+.1%}.",
        "Events a second count two events per customer (arrival and end of service) in both "
        f"engines; the engine simulated {engine['customers']:,} customers, ciw "
        f"{peer['customers']:,}, in one process each.",
        f"The recommendation tried {recommendation['staffings_tried']} staffings with "
        f"{recommendation['replications_simulated']} replications in all and recommends "
        f"{recommendation['staffing']} (targets {WORKED_EXAMPLE_TARGETS}, met: "
        f"{recommendation['met']}).",
    ]
    write_results(
        NAME,
        "Capacity engine: a year in parallel, beside ciw, and a staffing recommendation",
        figures,
        ".venv/bin/python bench/capacity_engine.py" + (" --quick" if options.quick else ""),
        __doc__.split("\n\n")[0],
        notes,
        extra={
            "year": year,
            "engine_mmc": engine,
            "ciw_mmc": peer,
            "erlang_c_wait": erlang,
            "recommendation": recommendation,
        },
    )


if __name__ == "__main__":
    main()
