"""How long the fast test loop takes: `make check` (lint, types, every non-browser test) with
one pytest-xdist worker per core, beside the same tests in one process, in one run.

    .venv/bin/python bench/test_loop.py [--quick] [--repeats N]

`--quick` times only the tests of one app (tests/area) instead of every non-browser test,
to check the script. The tests run on SQLite (the default `make check` uses); each run's
wall time, processor time (children's user + system) and the load average around it are
recorded, because on a shared machine the wall time says as much about the neighbours as
about the suite.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, Figure, log, median, stop_cleanly_on_sigterm, write_results

NAME = "test_loop"
PASSED = re.compile(r"(\d+) passed")


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_make_check(workers: str, quick: bool) -> dict[str, float | int | str]:
    """Run `make check` (or, quick, its pytest on tests/area) once; wall and CPU seconds."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["TEST_WORKERS"] = workers
    if quick:
        command = [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            workers,
            "-m",
            "not browser",
            "tests/area",
        ]
    else:
        command = ["make", "--no-print-directory", "check"]
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu_seconds() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}")
    passed = PASSED.findall(done.stdout)
    return {
        "workers": workers,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "passed": int(passed[-1]) if passed else 0,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=1)
    options = parser.parse_args()
    runs: list[dict[str, float | int | str]] = []
    # Interleaved, so a busy neighbour slows both settings rather than one.
    for repeat in range(options.repeats):
        for workers in ("auto", "0"):
            log(f"make check, TEST_WORKERS={workers}, run {repeat + 1} of {options.repeats}")
            runs.append(time_make_check(workers, options.quick))
            log(f"  {runs[-1]}")
    parallel = [run for run in runs if run["workers"] == "auto"]
    serial = [run for run in runs if run["workers"] == "0"]

    def med(rows: list[dict[str, float | int | str]], key: str) -> float:
        return median([float(row[key]) for row in rows])

    command = ".venv/bin/python bench/test_loop.py" + (" --quick" if options.quick else "")
    figures = [
        Figure(
            "`make check` wall time (lint, types, every non-browser test), median",
            round(med(parallel, "wall_seconds")),
            "s",
            "same, one process (TEST_WORKERS=0)",
            round(med(serial, "wall_seconds")),
            command,
        ),
        Figure(
            "Speed-up of one worker per core over one process",
            round(med(serial, "wall_seconds") / med(parallel, "wall_seconds"), 2),
            "x",
            command=command,
        ),
        Figure(
            "Processor time (user + system, all processes), median",
            round(med(parallel, "cpu_seconds")),
            "s",
            "same, one process",
            round(med(serial, "cpu_seconds")),
            command,
        ),
        Figure(
            "Tests passed in each run",
            int(med(parallel, "passed")),
            "tests",
            "same, one process",
            int(med(serial, "passed")),
            command,
        ),
        Figure(
            "Load average (1 min) when the runs began, highest",
            max(float(run["load_before"]) for run in runs),
            "",
            command=command,
        ),
    ]
    write_results(
        NAME,
        "The fast test loop: `make check`" + (" (quick: tests/area only)" if options.quick else ""),
        figures,
        command,
        "`make check` is the loop to run while working: ruff, import-linter, mypy and every "
        "test except the Playwright journeys, on SQLite, with one pytest-xdist worker per "
        "core; beside it the same target in one process (TEST_WORKERS=0). `make test` "
        "(everything, journeys included) is what CI runs, on SQLite and PostgreSQL.",
        [
            f"{options.repeats} run(s) of each setting, interleaved; the JSON lists every run "
            "with the load average before and after it.",
            "Wall time includes lint and types (about 20 s), which do not run in parallel.",
            "A load average near or above 2 at the start means other work shared the two "
            "cores: the ratio is then the figure to read, not the seconds.",
        ],
        extra={"runs": runs},
    )
    return 0


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
