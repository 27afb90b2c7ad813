"""Run every benchmark in sequence: `make bench` (or `.venv/bin/python bench/run.py`).

Each benchmark creates its own throwaway databases (PostgreSQL on 127.0.0.1:5432 and
SQLite in a temporary directory) and servers on 127.0.0.1, and removes them when it ends,
fails or is stopped; it writes its figures to docs/BENCHMARKS.md and
bench/results/<name>.json. Bounded in time: about 12 minutes for the first three on 2 cores
and about 8 more for the three linkage benchmarks
(`--quick`: about 2 minutes, with 20,000 contacts instead of 250,000 and 8 s of load).

    .venv/bin/python bench/run.py [--quick] [--only NAME]  (NAME: one of BENCHMARKS below)
"""

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, PYTHON, ROOT, log, pg_drop

# name, its script, the most it may take (seconds) before it is stopped
BENCHMARKS = [
    ("api_throughput", "api_throughput.py", 600),
    ("contact_list", "contact_list.py", 1500),
    ("mash_queues", "mash_queues.py", 1800),
    ("linkage_accuracy", "linkage_accuracy.py", 900),
    ("linkage_lookup", "linkage_lookup.py", 1800),
    ("linkage_batch", "linkage_batch.py", 3600),
    ("child_search", "child_search.py", 2400),
    ("audit_seals", "audit_seals.py", 900),
    ("test_loop", "test_loop.py", 3600),
    ("capacity_engine", "capacity_engine.py", 1200),
]
DATABASES = [
    "openmash_bench_api",
    "openmash_bench_list",
    "openmash_bench_queues",
    "openmash_bench_linkage_lookup",
    "openmash_bench_search",
    "openmash_bench_audit",
]


def run_one(script: str, quick: bool, limit: float) -> int:
    child = subprocess.Popen(
        [PYTHON, str(BENCH_DIR / script), *(["--quick"] if quick else [])], cwd=ROOT
    )
    try:
        return child.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        log(f"{script} took longer than {limit:.0f} s: stopping it")
        return -1
    finally:
        if child.poll() is None:
            # SIGTERM lets the benchmark stop its server and drop its database.
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rows, shorter load")
    parser.add_argument("--only", choices=[name for name, _, _ in BENCHMARKS])
    args = parser.parse_args()

    failed = []
    began = time.monotonic()
    try:
        for name, script, limit in BENCHMARKS:
            if args.only and name != args.only:
                continue
            log(f"=== {name}")
            started = time.monotonic()
            status = run_one(script, args.quick, limit)
            log(f"=== {name}: exit {status} after {time.monotonic() - started:.0f} s")
            if status != 0:
                failed.append(name)
    finally:
        for database in DATABASES:  # belt and braces: each benchmark drops its own
            pg_drop(database)
    log(f"all done in {time.monotonic() - began:.0f} s; figures in docs/BENCHMARKS.md")
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
