"""Looking one person up in a person index of 1,000,000: the live matcher against Splink.

In one run:

1. a throwaway PostgreSQL database, migrated; a BENCHMARK FIXTURE (not demo data):
   1,000,000 synthetic records (openmash.linkage.synthetic, seed 11) written into
   linkage_indexedperson with COPY as an agency's index ("Bench agency"), their
   standardised fields from openmash.linkage.index.standard_fields; VACUUM ANALYZE;
2. 200 query people: records of people who also have other records in the index, held
   out of it (so each is a noisy copy of indexed people); `match_person` timed for each
   (median and p95 after 5 warm-up lookups) with the shipped default model;
3. the same 1,000,000 comparison records in DuckDB and Splink 5 with the same model:
   `linker.inference.predict_between(query, index)` (Splink 5's way to link new records
   to an existing table; `find_matches_to_new_records` is gone) for 20 of the query
   people, median and p95 after 2 warm-up lookups.

    .venv/bin/python bench/linkage_lookup.py [--quick]   # --quick: 100,000 records
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Figure,
    django_env,
    django_setup,
    log,
    manage,
    median,
    percentile,
    pg_create,
    pg_drop,
    pg_vacuum_analyze,
    phase,
    scratch_dir,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "linkage_lookup"
# A shared machine: BENCH_LINKAGE_LOOKUP_DB gives each runner a database of its own.
PG_DATABASE = os.environ.get("BENCH_LINKAGE_LOOKUP_DB", "openmash_bench_linkage_lookup")
QUERIES = 200
SPLINK_QUERIES = 20
WARMUP = 5
SPLINK_WARMUP = 2
AS_GIVEN = (
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "postcode",
    "nhs_number",
    "upn",
)


def _as_given(record: dict[str, Any]) -> dict[str, Any]:
    return {
        name: record.get(name) or ("" if name != "date_of_birth" else None) for name in AS_GIVEN
    }


# --- Child phases ----------------------------------------------------------------------------


def phase_load(size: int, scratch: Path, seed: int) -> dict[str, Any]:
    """Write `size` index records with COPY; keep QUERIES held-out records and a parquet
    file of the index's comparison records for Splink."""
    django_setup()
    import pandas as pd
    from django.db import connection
    from django.utils import timezone

    from openmash.accounts.models import Agency
    from openmash.core.roles import AgencyType
    from openmash.linkage.comparisons import (
        COMPARISON_COLUMNS,
        comparison_record,
        other_names_standard,
    )
    from openmash.linkage.index import standard_fields
    from openmash.linkage.models import IndexedPerson, IndexSource
    from openmash.linkage.synthetic import synthetic_records

    began = time.perf_counter()
    records = synthetic_records(size + QUERIES, seed=seed)
    generated = time.perf_counter() - began
    per_truth: dict[Any, int] = {}
    for record in records:
        per_truth[record["truth_id"]] = per_truth.get(record["truth_id"], 0) + 1
    rng = random.Random(seed)
    eligible = [i for i, record in enumerate(records) if per_truth[record["truth_id"]] > 1]
    held = set(rng.sample(eligible, QUERIES))
    queries = [
        {
            "record_id": records[i]["record_id"],
            "truth_id": records[i]["truth_id"],
            **{
                key: (value.isoformat() if isinstance(value, date) else value)
                for key, value in _as_given(records[i]).items()
            },
        }
        for i in sorted(held)
    ]
    index_records = [record for i, record in enumerate(records) if i not in held]

    agency, _ = Agency.objects.get_or_create(
        slug="bench-agency",
        defaults={"name": "Bench agency", "agency_type": AgencyType.OTHER},
    )
    fields = [
        field
        for field in IndexedPerson._meta.concrete_fields
        if not field.primary_key and field.column != "contact_person_id"
    ]
    columns = [field.column for field in fields]
    now = timezone.now()
    comparison_rows = []
    truth_of: dict[str, Any] = {}
    began = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        statement = f"COPY {IndexedPerson._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with raw.copy(statement) as copy:
            for record in index_records:
                given = _as_given(record)
                std = standard_fields(**given)
                values: dict[str, Any] = {
                    **given,
                    **std,
                    "source": IndexSource.AGENCY,
                    "agency_id": agency.pk,
                    "source_id": record["record_id"],
                    "address": "",
                    "involvement": "",
                    "imported_at": now,
                }
                row = []
                for field in fields:
                    name = field.attname
                    value = values[name] if name in values else field.get_default()
                    if field.get_internal_type() == "JSONField":
                        value = json.dumps(value)
                    row.append(value)
                copy.write_row(row)
                truth_of[str(record["record_id"])] = record["truth_id"]
                comparison_rows.append(
                    comparison_record(
                        unique_id=str(record["record_id"]),
                        given_std=std["given_std"],
                        given_forms=std["given_forms"],
                        family_std=std["family_std"],
                        family_parts=std["family_parts"],
                        family_sound=std["family_sound"],
                        given_sound=std["given_sound"],
                        aliases=other_names_standard(given["other_names"]),
                        date_of_birth=given["date_of_birth"],
                        sex=given["sex"],
                        postcode_std=std["postcode_std"],
                        postcode_outward=std["postcode_outward"],
                        nhs=std["nhs_valid"],
                        upn=std["upn_valid"],
                    )
                )
    loaded = time.perf_counter() - began
    frame = pd.DataFrame(comparison_rows, columns=list(COMPARISON_COLUMNS))
    frame.to_parquet(scratch / "index.parquet")
    (scratch / "queries.json").write_text(json.dumps(queries))
    (scratch / "truth.json").write_text(json.dumps(truth_of))
    return {
        "indexed": IndexedPerson.objects.count(),
        "generate_seconds": generated,
        "load_seconds": loaded,
        "queries": len(queries),
    }


def _query_kwargs(query: dict[str, Any]) -> dict[str, Any]:
    kwargs = {name: query[name] for name in AS_GIVEN}
    kwargs["date_of_birth"] = (
        date.fromisoformat(query["date_of_birth"]) if query["date_of_birth"] else None
    )
    return kwargs


def phase_lookup(scratch: Path) -> dict[str, Any]:
    """Time match_person for every query person."""
    django_setup()
    from django.db import connection

    from openmash.linkage.matcher import current_model, match_person
    from openmash.linkage.models import IndexedPerson

    queries = json.loads((scratch / "queries.json").read_text())
    truth_of = json.loads((scratch / "truth.json").read_text())
    model = current_model()
    for query in queries[:WARMUP]:
        match_person(**_query_kwargs(query))
    times = []
    tops: list[tuple[dict[str, Any], int | None, int]] = []
    for query in queries:
        began = time.perf_counter()
        found = match_person(**_query_kwargs(query))
        times.append((time.perf_counter() - began) * 1000)
        tops.append((query, found[0].indexed_person_id if found else None, len(found)))
    ids = [top for _, top, _ in tops if top is not None]
    source_ids = dict(IndexedPerson.objects.filter(pk__in=ids).values_list("pk", "source_id"))
    right = sum(
        1
        for query, top, _ in tops
        if top is not None and truth_of.get(source_ids[top]) == query["truth_id"]
    )
    return {
        "model": model.version,
        "vendor": connection.vendor,
        "median_ms": median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "top_candidate_same_person": right / len(queries),
        "with_no_candidate": sum(1 for _, top, _ in tops if top is None),
    }


def phase_splink(scratch: Path) -> dict[str, Any]:
    """Time Splink's predict_between(query, index) on DuckDB for SPLINK_QUERIES people."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import pandas as pd
    from splink import DuckDBAPI, Linker

    from openmash.linkage.comparisons import COMPARISON_COLUMNS, comparison_record_for_person
    from openmash.linkage.training import DEFAULT_MODEL

    model = json.loads(DEFAULT_MODEL.read_text())
    queries = json.loads((scratch / "queries.json").read_text())[: SPLINK_QUERIES + SPLINK_WARMUP]
    began = time.perf_counter()
    db_api = DuckDBAPI()
    index = db_api.register(pd.read_parquet(scratch / "index.parquet"), table_name="person_index")
    linker = Linker(index, model)
    setup = time.perf_counter() - began
    times = []
    pairs = []
    for n, query in enumerate(queries):
        record = comparison_record_for_person(unique_id=f"Q{n:05d}", **_query_kwargs(query))
        frame = pd.DataFrame([record], columns=list(COMPARISON_COLUMNS))
        began = time.perf_counter()
        new = db_api.register(frame, table_name=f"query_{n}")
        found = linker.inference.predict_between(new, index).as_pandas_dataframe()
        elapsed = (time.perf_counter() - began) * 1000
        if n >= SPLINK_WARMUP:
            times.append(elapsed)
            pairs.append(len(found))
    return {
        "setup_seconds": setup,
        "median_ms": median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "median_pairs_scored": median([float(p) for p in pairs]),
        "queries": len(times),
    }


# --- Orchestration ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 records")
    parser.add_argument("--phase", choices=["load", "lookup", "splink"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=11, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "load":
        print(json.dumps(phase_load(args.size, args.scratch, args.seed)))
        return 0
    if args.phase == "lookup":
        print(json.dumps(phase_lookup(args.scratch)))
        return 0
    if args.phase == "splink":
        print(json.dumps(phase_splink(args.scratch)))
        return 0

    stop_cleanly_on_sigterm()
    size = 100_000 if args.quick else 1_000_000
    command = ".venv/bin/python bench/linkage_lookup.py" + (" --quick" if args.quick else "")
    with scratch_dir("openmash-bench-lookup-") as scratch:
        try:
            url = pg_create(PG_DATABASE)
            env = django_env(url, scratch / "var")
            log("migrate")
            manage(["migrate", "--no-input", "-v0"], env)
            log(f"index fixture: {size:,} synthetic records by COPY")
            load = phase(
                "linkage_lookup.py",
                ["--phase", "load", "--size", str(size), "--scratch", str(scratch)],
                env,
                timeout=3600,
            )
            log(f"loaded {load['indexed']:,} in {load['load_seconds']:.0f} s; VACUUM ANALYZE")
            pg_vacuum_analyze(url)
            log(f"match_person for {QUERIES} query people")
            lookup = phase(
                "linkage_lookup.py", ["--phase", "lookup", "--scratch", str(scratch)], env
            )
            log(f"match_person: median {lookup['median_ms']:.1f} ms, p95 {lookup['p95_ms']:.1f} ms")
        finally:
            pg_drop(PG_DATABASE)
        log(f"Splink predict_between for {SPLINK_QUERIES} query people on DuckDB")
        splink = phase(
            "linkage_lookup.py",
            ["--phase", "splink", "--scratch", str(scratch)],
            env,
            timeout=3600,
        )
        log(f"Splink: median {splink['median_ms']:.0f} ms, p95 {splink['p95_ms']:.0f} ms")

    ratio_median = splink["median_ms"] / lookup["median_ms"]
    ratio_p95 = splink["p95_ms"] / lookup["p95_ms"]
    figures = [
        Figure(
            f"match_person, median ({size:,} indexed, PostgreSQL)",
            round(lookup["median_ms"], 2),
            "ms",
            "Splink predict_between on DuckDB",
            round(splink["median_ms"], 1),
            command,
        ),
        Figure(
            f"match_person, p95 ({size:,} indexed, PostgreSQL; target < 20 ms)",
            round(lookup["p95_ms"], 2),
            "ms",
            "Splink predict_between on DuckDB",
            round(splink["p95_ms"], 1),
            command,
        ),
        Figure("Splink / match_person, median", round(ratio_median, 1), "x", "target", 10, command),
        Figure("Splink / match_person, p95", round(ratio_p95, 1), "x", "target", 10, command),
        Figure(
            "match_person: top candidate is the same person",
            round(lookup["top_candidate_same_person"], 3),
            "ratio",
            command=command,
        ),
        Figure(
            f"Index fixture load by COPY ({size:,} records, with standardisation)",
            round(load["load_seconds"], 1),
            "s",
            command=command,
        ),
    ]
    notes = [
        f"match_person: {QUERIES} query people after {WARMUP} warm-up lookups, in one process "
        f"on one connection; model {lookup['model']}.",
        f"Splink: {splink['queries']} query people after {SPLINK_WARMUP} warm-up lookups; the "
        f"1,000,000-row index registered in DuckDB once ({splink['setup_seconds']:.0f} s, not "
        "timed per lookup); each lookup registers the one-row query table and runs "
        "predict_between with the model's blocking rules; median pairs scored "
        f"{splink['median_pairs_scored']:.0f}.",
        "Query people are held-out records of people with other records in the index "
        "(noisy copies: nicknames, typing errors, swapped dates, moves, missing identifiers).",
        "Benchmark fixture, not demo data: written by COPY, not through the feed import.",
    ]
    write_results(
        name=NAME,
        title="Person lookup in a 1,000,000-record index: live matcher and Splink",
        figures=figures,
        command=command,
        description=__doc__.split("\n\n")[0],
        notes=notes,
        extra={"load": load, "lookup": lookup, "splink": splink, "size": size},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
