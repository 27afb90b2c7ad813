"""Deduplicating a whole person index in one batch: Splink on DuckDB with our model.

openmash.linkage.batch.dedupe (what `manage.py link_index_batch` runs), fed from a
DataFrame of synthetic comparison records (openmash.linkage.synthetic, no database), with
the shipped default model at 0.99: predict with the model's blocking rules, then cluster.
Sizes 100,000, 300,000 and 1,000,000, each in its own child process, measured for its
wall time (the dedupe only; generating the records is timed apart) and its peak memory
(ru_maxrss of the child, which includes reading the records). Each size has 15 minutes;
a size that does not finish stops the run, and the largest size that did is reported.

    .venv/bin/python bench/linkage_batch.py [--quick]   # --quick: 20,000 and 100,000
"""

import argparse
import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    PYTHON,
    ROOT,
    Figure,
    log,
    scratch_dir,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "linkage_batch"
TIME_LIMIT = 900
THRESHOLD = 0.99


def phase_generate(size: int, path: Path, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from openmash.linkage.synthetic import synthetic_records
    from openmash.linkage.training import comparison_frame

    began = time.perf_counter()
    records = synthetic_records(size, seed=seed)
    people = len({record["truth_id"] for record in records})
    frame = comparison_frame(records)
    frame.to_parquet(path)
    return {"seconds": time.perf_counter() - began, "people": people}


def phase_dedupe(path: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from openmash.linkage.batch import dedupe
    from openmash.linkage.training import DEFAULT_MODEL

    def out_of_time(signum: int, frame: object) -> None:
        raise TimeoutError(f"dedupe took more than {TIME_LIMIT} s")

    signal.signal(signal.SIGALRM, out_of_time)
    frame = pd.read_parquet(path)
    signal.alarm(TIME_LIMIT)
    result = dedupe(frame, DEFAULT_MODEL, threshold=THRESHOLD)
    signal.alarm(0)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "records": result.records,
        "pairs": result.pairs,
        "clusters": result.clusters,
        "multi_record_clusters": result.multi_record_clusters,
        "largest_cluster": result.largest_cluster,
        "seconds": result.seconds,
        "peak_mb": peak_kb / 1024,
    }


def _child(args: list[str], timeout: float) -> dict[str, Any] | None:
    """Run this script as a child phase; None when it failed or ran out of time."""
    child = subprocess.Popen(
        [PYTHON, str(BENCH_DIR / "linkage_batch.py"), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        out, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return None
    if child.returncode != 0:
        return None
    lines = [line for line in out.splitlines() if line.strip()]
    return dict(json.loads(lines[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000")
    parser.add_argument("--phase", choices=["generate", "dedupe"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=13, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "generate":
        print(json.dumps(phase_generate(args.size, args.path, args.seed)))
        return 0
    if args.phase == "dedupe":
        print(json.dumps(phase_dedupe(args.path)))
        return 0

    stop_cleanly_on_sigterm()
    sizes = [20_000, 100_000] if args.quick else [100_000, 300_000, 1_000_000]
    command = ".venv/bin/python bench/linkage_batch.py" + (" --quick" if args.quick else "")
    done: dict[int, dict[str, Any]] = {}
    failed: int | None = None
    with scratch_dir("openmash-bench-batch-") as scratch:
        for size in sizes:
            path = scratch / f"records-{size}.parquet"
            log(f"{size:,} synthetic comparison records")
            generated = _child(
                ["--phase", "generate", "--size", str(size), "--path", str(path)], 1200
            )
            if generated is None:
                log(f"generating {size:,} records failed")
                failed = size
                break
            log(f"dedupe {size:,} with Splink on DuckDB (limit {TIME_LIMIT} s)")
            result = _child(["--phase", "dedupe", "--path", str(path)], TIME_LIMIT + 120)
            if result is None:
                log(f"{size:,}: did not finish within {TIME_LIMIT} s (or failed)")
                failed = size
                break
            result["people"] = generated["people"]
            result["generate_seconds"] = generated["seconds"]
            done[size] = result
            log(
                f"{size:,}: {result['seconds']:.0f} s, peak {result['peak_mb']:.0f} MB, "
                f"{result['pairs']:,} pairs, {result['clusters']:,} clusters "
                f"({result['people']:,} true people)"
            )
            path.unlink(missing_ok=True)

    figures = []
    for size, result in done.items():
        figures += [
            Figure(
                f"Batch dedupe of {size:,} records, wall time",
                round(result["seconds"], 1),
                "s",
                command=command,
            ),
            Figure(
                f"Batch dedupe of {size:,} records, peak memory (ru_maxrss)",
                round(result["peak_mb"]),
                "MB",
                command=command,
            ),
            Figure(
                f"Batch dedupe of {size:,} records, clusters at {THRESHOLD}",
                result["clusters"],
                "clusters",
                "true people",
                result["people"],
                command,
            ),
        ]
    largest = max(done) if done else 0
    notes = [
        f"Largest size finished: {largest:,} records."
        + (
            f" {failed:,} records did not finish within {TIME_LIMIT} s (or failed)."
            if failed
            else ""
        ),
        "Wall time is openmash.linkage.batch.dedupe alone (Splink predict with the model's "
        "blocking rules, then cluster_pairwise_predictions_at_threshold); generating and "
        "standardising the records is not included. Peak memory is the child process's "
        "ru_maxrss, including reading the records into pandas and DuckDB.",
        "DuckDB uses both cores. No links are written: the batch is advisory.",
    ]
    write_results(
        name=NAME,
        title="Batch deduplication of the person index with Splink on DuckDB",
        figures=figures,
        command=command,
        description=__doc__.split("\n\n")[0],
        notes=notes,
        extra={"sizes": {str(size): result for size, result in done.items()}, "failed": failed},
    )
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
