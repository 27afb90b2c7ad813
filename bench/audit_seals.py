"""Sealing and verifying an audit log of 1,000,000 events (ADR 0009).

On a throwaway PostgreSQL database and, as its peer in the same run, a throwaway SQLite
file:

1. agencies and users from `seed_demo --days 0`; then 1,000,000 audit events written in
   one INSERT ... SELECT (a BENCHMARK FIXTURE, not demo data: a screener reading contact i,
   a request id, an IP address and a small JSON detail, over the last two hours);
2. in a fresh process, `audit_seal()`: the first run on the whole log (seals of 50,000),
   with the process's peak memory; then 1,000 more events and a routine run over them;
3. in a fresh process, `audit_verify()` over everything, with its peak memory.

    .venv/bin/python bench/audit_seals.py [--quick]     # --quick: 100,000 events
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Figure,
    django_env,
    django_setup,
    log,
    manage,
    pg_create,
    pg_drop,
    pg_vacuum_analyze,
    phase,
    scratch_dir,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "audit_seals"
PG_DATABASE = "openmash_bench_audit"
ROUTINE = 1_000

POSTGRES_FILL = """
INSERT INTO core_auditevent (occurred_at, actor_user_id, actor_token_id, action, object_type,
    object_id, contact_id, request_id, ip_address, detail)
SELECT now() - interval '2 hours' + i * (interval '1 hour' / %(count)s), %(user)s, NULL, 'read',
    'contact', i::text, i, md5(i::text), ('203.0.113.' || (i %% 250))::inet,
    jsonb_build_object('fields', jsonb_build_array('name', 'date_of_birth'), 'page', i %% 10)
FROM generate_series(1, %(count)s) AS i
"""
SQLITE_FILL = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %(count)s)
INSERT INTO core_auditevent (occurred_at, actor_user_id, actor_token_id, action, object_type,
    object_id, contact_id, request_id, ip_address, detail)
SELECT strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-2 hours',
        printf('+%%.3f seconds', i * 3600.0 / %(count)s)),
    %(user)s, NULL, 'read', 'contact', CAST(i AS TEXT), i, lower(hex(randomblob(16))),
    '203.0.113.' || (i %% 250),
    json_object('fields', json_array('name', 'date_of_birth'), 'page', i %% 10)
FROM seq
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fill(count: int) -> None:
    from django.db import connection, transaction

    from openmash.accounts.models import User

    user = User.objects.get(username="screener")
    sql = POSTGRES_FILL if connection.vendor == "postgresql" else SQLITE_FILL
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"count": count, "user": user.pk})


def phase_fill(count: int) -> dict[str, Any]:
    django_setup()
    from openmash.core.models import AuditEvent

    began = time.perf_counter()
    _fill(count)
    return {"events": AuditEvent.objects.count(), "seconds": time.perf_counter() - began}


def phase_seal() -> dict[str, Any]:
    django_setup()
    from openmash.core.audit_seals import audit_seal
    from openmash.core.models import AuditEvent

    baseline = _peak_mb()
    began = time.perf_counter()
    first = audit_seal()
    first_seconds = time.perf_counter() - began
    peak = _peak_mb()
    # A routine run: the events written since (already settled in this fixture).
    _fill(ROUTINE)
    began = time.perf_counter()
    routine = audit_seal()
    routine_seconds = time.perf_counter() - began
    return {
        "events": AuditEvent.objects.count(),
        "first_events": sum(seal.event_count for seal in first),
        "first_seals": len(first),
        "first_seconds": first_seconds,
        "routine_events": sum(seal.event_count for seal in routine),
        "routine_seconds": routine_seconds,
        "baseline_mb": baseline,
        "peak_mb": peak,
    }


def phase_verify() -> dict[str, Any]:
    django_setup()
    from openmash.core.audit_seals import audit_verify

    baseline = _peak_mb()
    began = time.perf_counter()
    check = audit_verify()
    seconds = time.perf_counter() - began
    return {
        "passed": check.passed,
        "seals": check.seals_checked,
        "events": check.events_checked,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_mb": _peak_mb(),
    }


def measure(url: str, var_dir: Path, count: int, vendor: str) -> dict[str, Any]:
    env = django_env(url, var_dir)
    log(f"{vendor}: migrate; agencies and users (seed_demo --days 0)")
    manage(["migrate", "--no-input", "-v0"], env)
    manage(["seed_demo", "--days", "0"], env)
    log(f"{vendor}: {count:,} audit events")
    fill = phase("audit_seals.py", ["--phase", "fill", "--count", str(count)], env)
    if vendor == "PostgreSQL":
        pg_vacuum_analyze(url)
    log(f"{vendor}: sealing")
    seal = phase("audit_seals.py", ["--phase", "seal"], env)
    log(f"{vendor}: verifying")
    verify = phase("audit_seals.py", ["--phase", "verify"], env)
    assert verify["passed"], verify
    log(
        f"{vendor}: sealed {seal['first_events']:,} in {seal['first_seconds']:.1f} s, "
        f"verified {verify['events']:,} in {verify['seconds']:.1f} s"
    )
    return {"fill": fill, "seal": seal, "verify": verify}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 events, not 1,000,000")
    parser.add_argument("--phase", choices=["fill", "seal", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "fill":
        print(json.dumps(phase_fill(args.count)))
        return 0
    if args.phase == "seal":
        print(json.dumps(phase_seal()))
        return 0
    if args.phase == "verify":
        print(json.dumps(phase_verify()))
        return 0

    count = 100_000 if args.quick else 1_000_000
    command = ".venv/bin/python bench/audit_seals.py" + (" --quick" if args.quick else "")
    runs: dict[str, dict[str, Any]] = {}
    with scratch_dir("openmash-bench-audit-") as var_dir:
        try:
            url = pg_create(PG_DATABASE)
            runs["PostgreSQL"] = measure(url, var_dir, count, "PostgreSQL")
        finally:
            pg_drop(PG_DATABASE)
        runs["SQLite"] = measure(
            f"sqlite:///{var_dir / 'bench-audit.sqlite3'}", var_dir, count, "SQLite"
        )

    pg, lite = runs["PostgreSQL"], runs["SQLite"]
    peer = "SQLite (same run)"
    seals = pg["seal"]["first_seals"]

    def figure(label: str, value: float | int, unit: str, peer_value: float | int) -> Figure:
        return Figure(label, value, unit, peer, peer_value, command)

    figures = [
        figure(
            f"First sealing run over {pg['seal']['first_events']:,} events "
            f"({seals} seals of up to 50,000), PostgreSQL",
            round(pg["seal"]["first_seconds"], 1),
            "s",
            round(lite["seal"]["first_seconds"], 1),
        ),
        figure(
            "Events sealed per second, first run",
            round(pg["seal"]["first_events"] / pg["seal"]["first_seconds"]),
            "events/s",
            round(lite["seal"]["first_events"] / lite["seal"]["first_seconds"]),
        ),
        figure(
            "Peak memory of the sealing process (Django loaded before it began)",
            round(pg["seal"]["peak_mb"]),
            "MB",
            round(lite["seal"]["peak_mb"]),
        ),
        figure(
            f"Routine sealing run: {ROUTINE:,} new events on top",
            round(pg["seal"]["routine_seconds"] * 1000, 1),
            "ms",
            round(lite["seal"]["routine_seconds"] * 1000, 1),
        ),
        figure(
            f"Verifying all {pg['verify']['events']:,} events in {pg['verify']['seals']} seals",
            round(pg["verify"]["seconds"], 1),
            "s",
            round(lite["verify"]["seconds"], 1),
        ),
        figure(
            "Events verified per second",
            round(pg["verify"]["events"] / pg["verify"]["seconds"]),
            "events/s",
            round(lite["verify"]["events"] / lite["verify"]["seconds"]),
        ),
        figure(
            "Peak memory of the verifying process",
            round(pg["verify"]["peak_mb"]),
            "MB",
            round(lite["verify"]["peak_mb"]),
        ),
    ]
    write_results(
        NAME,
        f"Audit log seals: sealing and verifying {count:,} events",
        figures,
        command,
        "The tamper-evidence of ADR 0009: the first `audit_seal()` over a large existing log, "
        "a routine run over the events of a few minutes, and `audit_verify()` over "
        "everything, on PostgreSQL beside SQLite. Writers do no extra work: sealing reads "
        "the log afterwards.",
        [
            "Each step in a fresh process, timed in-process (no manage.py start-up); peak "
            "memory is the process's maximum resident set, with Django and the project "
            "loaded (about the baseline in the JSON) before the work began: events are "
            "streamed, never held.",
            "Fixture: one INSERT ... SELECT of audit events shaped like a screener's reads "
            "(contact id, 32-character request id, IP address, a two-key JSON detail) over "
            "the last two hours; not demo data, see bench/audit_seals.py.",
            "Part of `make bench` (bench/run.py), or run it on its own.",
        ],
        extra=runs,
    )
    return 0


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
