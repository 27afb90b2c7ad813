"""The fast data path: `seed_demo --fast` loading years of demo data into PostgreSQL,
beside the services path.

On throwaway PostgreSQL databases, in one run:

1. `seed_demo --fast --days DAYS --per-day PER_DAY` into an empty, migrated database
   (timed from the command's start to its end: agencies, users and configuration as the
   services path makes them, the contacts and their histories written in bulk, the
   indicators' facts rebuilt, the agency index feeds and the open contacts matched);
   then ANALYZE (timed), the rows counted, and `rebuild_metric_facts` run again on the
   loaded data (timed: the set-based rebuild on years of data);
2. the peer: the services path, `seed_demo --days PEER_DAYS --per-day PER_DAY`, into
   another empty database, and the fast path for the same PEER_DAYS days, each timed
   the same way; contacts a second for each.

--per-day is seed_demo's: the average contacts on a weekday in term time; weekends,
bank holidays and the school holidays bring fewer, so the contacts loaded are fewer
than DAYS x PER_DAY (the figures say how many).

    .venv/bin/python bench/seed_fast.py [--days 1825] [--per-day 100] [--peer-days 3]
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Figure,
    django_env,
    load_note,
    log,
    manage,
    pg_connect,
    pg_create,
    pg_drop,
    scratch_dir,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "seed_fast"
PG_DATABASE = os.environ.get("BENCH_SEED_FAST_DATABASE", "openmash_bench_seed_fast")
TABLES = [
    "contacts_contact",
    "contacts_contactperson",
    "linkage_indexedperson",
    "enquiries_ragrating",
    "enquiries_agencycheck",
    "enquiries_checkfinding",
    "enquiries_decision",
    "enquiries_decisionchild",
    "enquiries_handon",
    "core_auditevent",
    "metrics_contactfact",
]


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with pg_connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def _analyze(url: str) -> float:
    began = time.perf_counter()
    with pg_connect(url) as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - began


def _counts(url: str) -> dict[str, int]:
    return {table: int(_query(url, f"SELECT count(*) FROM {table}")[0][0]) for table in TABLES}  # noqa: S608


def _histories(url: str) -> dict[str, int]:
    """How many of each kind of history the load wrote."""
    sql = {
        "re-grades": "SELECT count(*) FROM enquiries_ragrating WHERE is_regrade",
        "checks answered": "SELECT count(*) FROM enquiries_agencycheck WHERE state = 'completed'",
        "checks waived": "SELECT count(*) FROM enquiries_agencycheck WHERE state = 'waived'",
        "checks open": "SELECT count(*) FROM enquiries_agencycheck WHERE state = 'requested'",
        "amendments": "SELECT count(*) FROM enquiries_decision WHERE amends_id IS NOT NULL",
        "hand-ons accepted": "SELECT count(*) FROM enquiries_handon WHERE state = 'accepted'",
        "hand-ons returned": "SELECT count(*) FROM enquiries_handon WHERE state = 'returned'",
        "hand-ons waiting": "SELECT count(*) FROM enquiries_handon WHERE state = 'pending'",
        "re-referrals": "SELECT count(*) FROM metrics_contactfact WHERE re_referral",
        "contacts still open": "SELECT count(*) FROM contacts_contact WHERE state IN "
        "('received', 'screening', 'checks_in_progress', 'awaiting_decision')",
    }
    return {name: int(_query(url, query)[0][0]) for name, query in sql.items()}


def load(days: int, per_day: int, fast: bool, tag: str) -> dict[str, Any]:
    """Seed an empty database one way and measure it; the database is dropped after."""
    name = f"{PG_DATABASE}_{tag}"
    with scratch_dir("openmash-bench-seed-") as var_dir:
        try:
            url = pg_create(name)
            env = django_env(url, var_dir)
            manage(["migrate", "--no-input", "-v0"], env)
            args = ["seed_demo", "--days", str(days), "--per-day", str(per_day), "-v2"]
            log(f"{'fast' if fast else 'services'}: {' '.join(args[1:5])}")
            began = time.perf_counter()
            output = manage([*args, *(["--fast"] if fast else [])], env, timeout=6 * 3600)
            load_s = time.perf_counter() - began
            analyze_s = _analyze(url)
            counts = _counts(url)
            result: dict[str, Any] = {
                "days": days,
                "per_day": per_day,
                "contacts": counts["contacts_contact"],
                "load_s": load_s,
                "contacts_per_s": counts["contacts_contact"] / load_s,
                "analyze_s": analyze_s,
                "rows": counts,
                "histories": _histories(url),
            }
            if fast:
                result["tables_s"] = {
                    match[0]: float(match[1])
                    for match in re.findall(r"^  ([a-z_]+): ([0-9.]+) s$", output, re.M)
                }
                began = time.perf_counter()
                rebuilt = manage(["rebuild_metric_facts"], env, timeout=3 * 3600)
                result["rebuild_s"] = time.perf_counter() - began
                result["rebuild_output"] = rebuilt.strip()
            log(f"  {json.dumps({k: v for k, v in result.items() if k != 'rows'})}")
            return result
        finally:
            pg_drop(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=1825)
    parser.add_argument("--per-day", type=int, default=100)
    parser.add_argument("--peer-days", type=int, default=3)
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    services = load(args.peer_days, args.per_day, False, "services")
    fast_peer = load(args.peer_days, args.per_day, True, "peer")
    load_before = os.getloadavg()
    big = load(args.days, args.per_day, True, "big")
    load_after = os.getloadavg()
    figures = [
        Figure(
            f"seed_demo --fast, {args.days} days at {args.per_day} a weekday "
            f"({big['contacts']:,} contacts): load time",
            round(big["load_s"]),
            "s",
            f"services path, {args.peer_days} days ({services['contacts']:,} contacts)",
            round(services["load_s"]),
        ),
        Figure(
            f"seed_demo --fast, {args.days} days: contacts a second",
            round(big["contacts_per_s"], 1),
            "contacts/s",
            f"services path, {args.peer_days} days",
            round(services["contacts_per_s"], 1),
        ),
        Figure(
            f"seed_demo --fast, {args.peer_days} days: contacts a second (fixed costs "
            "dominate a short load)",
            round(fast_peer["contacts_per_s"], 1),
            "contacts/s",
            f"services path, {args.peer_days} days",
            round(services["contacts_per_s"], 1),
        ),
        Figure(
            f"ANALYZE after the {args.days}-day load",
            round(big["analyze_s"], 1),
            "s",
        ),
        Figure(
            f"rebuild_metric_facts on the {args.days}-day load ({big['contacts']:,} contacts)",
            round(big["rebuild_s"], 1),
            "s",
            f"ms a contact: {1000 * big['rebuild_s'] / max(1, big['contacts']):.2f}",
            None,
        ),
    ]
    command = (
        f".venv/bin/python bench/seed_fast.py --days {args.days} --per-day {args.per_day} "
        f"--peer-days {args.peer_days}"
    )
    write_results(
        NAME,
        "The fast data path: years of demo data in minutes",
        figures,
        command,
        __doc__ or "",
        [
            load_note(f"around the {args.days}-day load", [("", load_before, load_after)]),
            "Load time is the whole command, from an empty migrated database: set-up, "
            "contacts and histories, the facts rebuild, agency feeds and matching.",
            "Rows written by the big load: "
            + ", ".join(f"{table} {count:,}" for table, count in big["rows"].items())
            + ".",
            "Histories in the big load: "
            + ", ".join(f"{kind} {count:,}" for kind, count in big["histories"].items())
            + ".",
        ],
        extra={"services": services, "fast_peer": fast_peer, "fast": big},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
