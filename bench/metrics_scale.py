"""The indicators at scale: every dashboard page for a year's period on years of data at
100 contacts a day, beside the same pages on 90 days; and the facts rebuild.

On a throwaway PostgreSQL database, in one run:

1. agencies, users and the area's configuration from `seed_demo --days 0`;
2. demo data from the fast path, `seed_demo --fast --days DAYS --per-day PER_DAY`
   (openmash/demo/fast.py, ADR 0031): the services path's families, arrival hours and
   texts, each contact's history written in bulk by the services' rules (ratings and
   re-grades, checks answered, waived or open, decisions and amendments, hand-ons
   accepted, returned and decided again or waiting, children referred again); the newest
   days still open, as a live hub's are. --per-day is contacts on a term-time weekday, so
   a day brings about four fifths of it on average;
3. `rebuild_metric_facts` (timed): the facts the indicators read; then VACUUM ANALYZE;
4. in-process with Django's test Client, signed in as a MASH manager, each page for the
   last 365 days (or the whole fixture if shorter): /metrics/ with no filter and with
   each filter (RAG rating, referral source, agency, team), the before-and-after page
   (decision median), the London table, /value/; the board report PDF for the last
   whole month; and the screening queue, which reads the matcher's links and a
   screener's confirmed matches for its cumulative-concern flags (the queues' own
   benchmark, mash_queues.py, has none in its fixture). Median and 95th percentile of
   TIMED requests after WARMUP, timed round by round (each page once a round, the PDF
   every third round), so that other work on the machine falls on every page alike.

The same pages are then measured on a 90-day fixture (the peer).

With --baseline DIR (a checkout of the code before a change), each fixture's pages are
measured with that code too, just before this code's, so the two are compared on the same
data in the same run.

    .venv/bin/python bench/metrics_scale.py [--days 1825] [--per-day 100] [--quick]
        [--baseline DIR]
"""

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Figure,
    django_env,
    django_setup,
    load_note,
    log,
    manage,
    median,
    percentile,
    pg_create,
    pg_drop,
    pg_vacuum_analyze,
    phase,
    scratch_dir,
    signed_in_client,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "metrics_scale"
# The one page measured that has no period: it shows what is open now.
QUEUE = "screening queue (the MASH's open contacts)"
PG_DATABASE = os.environ.get("BENCH_METRICS_DATABASE", "openmash_bench_metrics")
PEER_DAYS = 90
TIMED = 30
WARMUP = 2


def phase_fixture(days: int, per_day: int, seed: int) -> dict[str, Any]:
    """Load the demo data with the fast path (see the module's docstring), then time a
    rebuild of the facts on it."""
    django_setup()
    import io

    from django.core.management import call_command

    from openmash.contacts.models import Contact
    from openmash.metrics.facts import facts_rebuild

    began = time.perf_counter()
    call_command(
        "seed_demo",
        "--fast",
        "--days",
        str(days),
        "--per-day",
        str(per_day),
        "--seed",
        str(seed),
        stdout=io.StringIO(),
    )
    loaded_s = time.perf_counter() - began
    log(f"  demo data loaded in {loaded_s:.0f} s; rebuilding the facts")
    rebuilt = time.perf_counter()
    facts = facts_rebuild()
    return {
        "contacts": Contact.objects.count(),
        "load_s": loaded_s,
        "facts": facts,
        "rebuild_s": time.perf_counter() - rebuilt,
    }


def _dates(prefix: str, day: date) -> dict[str, str]:
    return {
        f"{prefix}_day": str(day.day),
        f"{prefix}_month": str(day.month),
        f"{prefix}_year": str(day.year),
    }


def phase_pages(days: int, code: str = "") -> dict[str, Any]:
    """Time every dashboard page in-process for the last min(days, 365) days; with
    `code`, the project's code from that directory (an earlier checkout) rather than
    this one's, on the same database."""
    if code:
        sys.path.insert(0, code)
    django_setup()
    try:
        from openmash.core.worker import ready_for_requests
    except ImportError:  # code from before 2026-12-07: its workers did nothing more
        pass
    else:
        # This process made ready as a production worker is (openmash/wsgi.py).
        ready_for_requests()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from openmash.accounts.models import Agency
    from openmash.area.calendar import LONDON

    today = timezone.localdate(timezone.now(), LONDON)
    span = min(days, 365)
    start = today - timedelta(days=span - 1)
    period = {**_dates("start", start), **_dates("end", today)}
    half = start + timedelta(days=span // 2)
    periods = {
        **_dates("before_start", start),
        **_dates("before_end", half - timedelta(days=1)),
        **_dates("after_start", half),
        **_dates("after_end", today),
    }
    police = Agency.objects.get(slug="police")
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    pages = {
        "/metrics/ (no filter)": ("/metrics/", period),
        "/metrics/ RAG amber": ("/metrics/", {**period, "rag": "amber"}),
        "/metrics/ source police (6)": ("/metrics/", {**period, "source": "6"}),
        "/metrics/ agency police": ("/metrics/", {**period, "agency": str(police.pk)}),
        "/metrics/ team early help": ("/metrics/", {**period, "team": "early_help"}),
        "before-and-after (decision median)": (
            "/metrics/before-and-after/",
            {"measure": "decision_median", **periods},
        ),
        "London table": ("/metrics/before-and-after/by-level-of-need/", periods),
        "/value/": ("/value/", period),
        "board report PDF (last month)": ("/value/board-report/pdf/", {"month": month}),
        # Not a dashboard page: the queue a MASH works from, on the same years of data
        # with the matcher's links and a screener's confirmed matches (the queues'
        # own benchmark, mash_queues.py, has no links in its fixture).
        QUEUE: ("/mash/queue/", {}),
    }
    client = signed_in_client("manager")
    first: dict[str, float] = {}
    for name, (path, query) in pages.items():
        # The first request of a page in this process: nothing of it reused yet.
        began = time.perf_counter()
        response = client.get(path, query)
        first[name] = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (name, response.status_code)
        for _ in range(WARMUP - 1):
            response = client.get(path, query)
            assert response.status_code == 200, (name, response.status_code)
    # Round by round, each page once a round (the PDF every third round): a burst of
    # other work on this shared machine then slows every page alike, where timing one
    # page's requests one after another put the whole burst on one page (in one run,
    # one filter's 95th percentile was half as long again as its neighbours').
    times: dict[str, list[float]] = {name: [] for name in pages}
    for round_ in range(TIMED):
        for name, (path, query) in pages.items():
            if "PDF" in name and round_ % 3:
                continue
            began = time.perf_counter()
            client.get(path, query)
            times[name].append((time.perf_counter() - began) * 1000)
    results: dict[str, Any] = {}
    for name, (path, query) in pages.items():
        # Counted on one connection: side by side (ADR 0034), the helper connections'
        # queries would not be seen here.
        with (
            override_settings(OPENMASH_METRICS_CONNECTIONS=1),
            CaptureQueriesContext(connection) as captured,
        ):
            client.get(path, query)
        results[name] = {
            "first_ms": first[name],
            "median_ms": median(times[name]),
            "p95_ms": percentile(times[name], 95),
            "queries": len(captured.captured_queries),
            "runs": len(times[name]),
        }
        log(
            f"  {name}: first {first[name]:.0f} ms, median {median(times[name]):.0f} ms, "
            f"p95 {percentile(times[name], 95):.0f} ms"
        )
    import openmash

    return {"span_days": span, "pages": results, "code": str(Path(openmash.__file__).parent.parent)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=1825)
    parser.add_argument("--per-day", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="60 days beside 30")
    parser.add_argument(
        "--baseline",
        default="",
        help="a checkout of the code before a change (e.g. `git worktree add DIR main`): "
        "its pages are measured too, on the same fixtures, just before this code's",
    )
    parser.add_argument("--phase", choices=["fixture", "pages"], help=argparse.SUPPRESS)
    parser.add_argument("--code", default="", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=2026, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "fixture":
        print(json.dumps(phase_fixture(args.days, args.per_day, args.seed)))
        return 0
    if args.phase == "pages":
        print(json.dumps(phase_pages(args.days, args.code)))
        return 0

    stop_cleanly_on_sigterm()
    big, peer = (60, 30) if args.quick else (args.days, PEER_DAYS)
    baseline = str(Path(args.baseline).resolve()) if args.baseline else ""
    runs: dict[int, dict[str, Any]] = {}
    for days in (peer, big):
        with scratch_dir("openmash-bench-metrics-") as var_dir:
            try:
                url = pg_create(PG_DATABASE)
                env = django_env(url, var_dir)
                log(f"{days} days x {args.per_day} a day: migrate and configure")
                manage(["migrate", "--no-input", "-v0"], env)
                manage(["seed_demo", "--days", "0"], env)
                fixture = phase(
                    NAME + ".py",
                    ["--phase", "fixture", "--days", str(days), "--per-day", str(args.per_day)],
                    env,
                    timeout=7200,
                )
                pg_vacuum_analyze(url)
                log(f"fixture {fixture['contacts']:,} contacts; measuring the pages")
                runs[days] = {"fixture": fixture}
                load_before = os.getloadavg()
                if baseline:
                    log(f"  with the baseline's code ({baseline})")
                    runs[days]["baseline"] = phase(
                        NAME + ".py",
                        ["--phase", "pages", "--days", str(days), "--code", baseline],
                        env,
                        timeout=3600,
                    )
                    log("  with this code")
                pages = phase(
                    NAME + ".py", ["--phase", "pages", "--days", str(days)], env, timeout=3600
                )
                runs[days].update(pages)
                runs[days]["load_average"] = (load_before, os.getloadavg())
            finally:
                pg_drop(PG_DATABASE)
    span = runs[big]["span_days"]
    figures = []
    for name, measured in runs[big]["pages"].items():
        before = runs[big].get("baseline", {}).get("pages", {}).get(name)
        other = runs[peer]["pages"][name]
        on = f"on {big} days of data" if name == QUEUE else f"{span} days on {big} days of data"
        on_peer = (
            f"on {peer} days"
            if name == QUEUE
            else f"on {peer} days ({runs[peer]['span_days']}-day period)"
        )
        for statistic, label in (("p95_ms", "p95"), ("median_ms", "median")):
            figures.append(
                Figure(
                    f"{name}: {label}, {on}",
                    measured[statistic],
                    "ms",
                    f"{label} {on_peer}",
                    other[statistic],
                )
            )
            if before is not None:
                figures.append(
                    Figure(
                        f"{name}: {label}, {on}, this code",
                        measured[statistic],
                        "ms",
                        "before this change (same fixture, same run)",
                        before[statistic],
                    )
                )
        figures.append(
            Figure(
                f"{name}: queries",
                measured["queries"],
                "queries",
                "before this change (same fixture)" if before else f"on {peer} days",
                before["queries"] if before else other["queries"],
            )
        )
        figures.append(
            Figure(
                f"{name}: first request in a new process, {on}",
                measured["first_ms"],
                "ms",
                "before this change (same fixture)" if before else f"on {peer} days",
                before["first_ms"] if before else other["first_ms"],
            )
        )
    figures.append(
        Figure(
            f"rebuild_metric_facts, {runs[big]['fixture']['contacts']:,} contacts",
            runs[big]["fixture"]["rebuild_s"],
            "s",
            f"{runs[peer]['fixture']['contacts']:,} contacts",
            runs[peer]["fixture"]["rebuild_s"],
        )
    )
    command = f".venv/bin/python bench/metrics_scale.py --days {args.days} --per-day {args.per_day}"
    if args.quick:
        command += " --quick"
    if args.baseline:
        command += f" --baseline {args.baseline}"
    write_results(
        NAME,
        "Indicators at scale: the dashboard pages for a year on years of data",
        figures,
        command,
        __doc__ or "",
        [
            load_note(
                "while the pages were measured",
                [(f"on {days} days", *run["load_average"]) for days, run in sorted(runs.items())],
            ),
            f"In-process (Django test Client), median and 95th percentile of {TIMED} "
            f"requests after {WARMUP} warm-up requests (the PDF: {len(range(0, TIMED, 3))}), "
            "timed round by round, each page once a round; "
            "the first request of each page in a new process is reported apart (work "
            "the pages reuse, ADR 0032, is not there yet).",
            "ANALYZE after every bulk load (autovacuum is off on these machines).",
        ],
        extra={str(days): run for days, run in runs.items()},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
