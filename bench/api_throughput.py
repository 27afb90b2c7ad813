"""Sustained contacts accepted per second through POST /api/v1/contacts.

For PostgreSQL and, as its peer, SQLite, in one run:

1. a throwaway database, migrated; agencies from `seed_demo --days 0` and a token from
   `issue_api_token --agency police --name bench`;
2. Django's threaded `runserver --noreload` with DEBUG=0 on 127.0.0.1, driven by a bounded
   load generator (N client threads, one keep-alive connection each, for S seconds; every
   request a valid body about a different child (contact_bodies) with its own
   Idempotency-Key);
3. the ceiling: such submissions through `contact_create` in-process, one thread, no HTTP.

    .venv/bin/python bench/api_throughput.py [--quick] [--threads 4] [--seconds 30]
"""

import argparse
import http.client
import itertools
import json
import sys
import threading
import time
import uuid
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
    phase,
    runserver,
    scratch_dir,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "api_throughput"
PG_DATABASE = "openmash_bench_api"


# --- Child phases (Django configured from the environment) ----------------------------------

_GIVEN = [
    "Liam",
    "Noah",
    "Oliver",
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Leo",
    "Harry",
    "Jack",
    "Ella",
    "Grace",
    "Freya",
    "Lily",
    "Muhammad",
    "Aisha",
    "Zara",
    "Oscar",
    "Alfie",
    "Evie",
    "Ruby",
    "Theo",
    "Archie",
    "Poppy",
    "Sophia",
    "Ivy",
    "Jacob",
    "Ethan",
    "Maya",
]
_FAMILY = [
    "Jones",
    "Smith",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Hall",
    "Green",
    "Khan",
    "Patel",
    "Ali",
    "Hussain",
    "Murphy",
    "Kelly",
    "Clarke",
    "Hughes",
    "Edwards",
    "Lewis",
    "Turner",
    "Harris",
    "Morris",
    "Cooper",
]


def contact_bodies(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """`count` valid bodies for POST /api/v1/contacts, each about a different child (name,
    date of birth, a valid NHS number of its own) with a parent of the same surname, as
    an area's contacts are: sending one child every time would make each contact's
    identifier look-ups (NHS number, same-child matches) grow with the run, which real
    intake does not. Needs Django configured (the factories' body and NHS check digit)."""
    import random
    from datetime import date, timedelta

    from openmash.people.identifiers import nhs_number_check_digit
    from tests.factories import api_payload

    rng = random.Random(seed)
    used: set[str] = set()

    def nhs_number() -> str:
        while True:
            first_nine = str(rng.randint(100_000_000, 999_999_999))
            digit = nhs_number_check_digit(first_nine)
            if digit is not None and first_nine not in used:
                used.add(first_nine)
                return first_nine + str(digit)

    bodies = []
    for _ in range(count):
        body = api_payload()
        child, parent = body["people"][0], body["people"][1]
        child["given_names"] = rng.choice(_GIVEN)
        child["family_name"] = parent["family_name"] = rng.choice(_FAMILY)
        child["date_of_birth"] = (
            date.today() - timedelta(days=rng.randint(30, 17 * 365))
        ).isoformat()
        child["nhs_number"] = nhs_number()
        child["address"]["line1"] = f"{rng.randint(1, 200)} {rng.choice(_FAMILY)} Road"
        body["concerns"]["description"] = (
            f"Domestic incident overnight; {child['given_names']} present."
        )
        bodies.append(body)
    return bodies


def post_contact(
    host: str, port: int, token: str, body: bytes, key: str, timeout: float
) -> tuple[int, bytes]:
    """POST one contact with this Idempotency-Key; returns the status and the answer."""
    # A new connection per request: over a kept-alive connection runserver's separate
    # writes of headers and body meet the client's delayed ACK and stall about 40 ms
    # (see keepalive_probe), which would measure TCP, not OpenMASH.
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/api/v1/contacts",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def phase_load(url: str, token: str, threads: int, seconds: float, warmup: int) -> dict[str, Any]:
    """POST contacts from `threads` threads for `seconds`; every response is checked."""
    django_setup()

    bodies = [json.dumps(body).encode() for body in contact_bodies(max(2_000, int(seconds * 200)))]
    sent = itertools.count()
    host, port = url.removeprefix("http://").split(":")

    def post() -> int:
        body = bodies[next(sent) % len(bodies)]
        return post_contact(host, int(port), token, body, uuid.uuid4().hex, timeout=60)[0]

    warm_statuses = [post() for _ in range(warmup)]

    results: list[list[tuple[float, float, int]]] = [[] for _ in range(threads)]
    failures: list[str] = []
    start_line = threading.Barrier(threads)
    deadline_holder: list[float] = []

    def client(index: int) -> None:
        start_line.wait()
        deadline = deadline_holder[0]
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                status = post()
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"{error.__class__.__name__}: {error}")
                status = 0
            results[index].append((began, time.perf_counter(), status))

    deadline_holder.append(time.perf_counter() + seconds + 0.05)
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    samples = [sample for per_thread in results for sample in per_thread]
    first = min(began for began, _, _ in samples)
    last = max(ended for _, ended, _ in samples)
    accepted = [ended - began for began, ended, status in samples if status == 201]
    statuses: dict[str, int] = {}
    for _, _, status in samples:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "threads": threads,
        "elapsed_s": last - first,
        "requests": len(samples),
        "accepted": len(accepted),
        "errors": len(samples) - len(accepted),
        "statuses": statuses,
        "failures": failures[:5],
        "accepted_per_s": len(accepted) / (last - first),
        "median_ms": median(accepted) * 1000,
        "p95_ms": percentile(accepted, 95) * 1000,
        "warmup_statuses": sorted(set(warm_statuses)),
        "warmup_requests": warmup,
    }


def keepalive_probe(url: str, requests: int = 20) -> dict[str, float]:
    """Median ms of GET /api/v1/openapi.json over one kept-alive connection and new ones."""
    host, port = url.removeprefix("http://").split(":")

    def get(connection: http.client.HTTPConnection, close: bool) -> float:
        began = time.perf_counter()
        connection.request(
            "GET", "/api/v1/openapi.json", headers={"Connection": "close"} if close else {}
        )
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"openapi.json gave {response.status}")
        return time.perf_counter() - began

    kept = http.client.HTTPConnection(host, int(port), timeout=60)
    get(kept, False)
    kept_times = [get(kept, False) for _ in range(requests)]
    kept.close()
    fresh_times = []
    for _ in range(requests + 1):
        fresh = http.client.HTTPConnection(host, int(port), timeout=60)
        fresh_times.append(get(fresh, True))
        fresh.close()
    return {
        "keepalive_median_ms": median(kept_times) * 1000,
        "new_connection_median_ms": median(fresh_times[1:]) * 1000,
    }


def phase_inprocess(seconds: float) -> dict[str, Any]:
    """The ceiling: contact_create called directly, one thread, a different child each time."""
    django_setup()
    from openmash.accounts.models import ApiToken
    from openmash.api.schemas import ContactIn
    from openmash.api.v1 import _submission
    from openmash.contacts.models import Contact
    from openmash.contacts.services import contact_create
    from openmash.core.audit import Actor

    contacts_before = Contact.objects.count()
    token = ApiToken.objects.select_related("agency").get(name="bench")
    actor = Actor(token=token, request_id="bench-inprocess", ip_address="127.0.0.1")
    payloads = [ContactIn.model_validate(body) for body in contact_bodies(2_000, seed=2)]
    latencies: list[float] = []
    for payload in payloads[:5]:  # warm-up, not counted
        contact_create(
            actor=actor, submission=_submission(payload), idempotency_key=uuid.uuid4().hex
        )
    first = time.perf_counter()
    deadline = first + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        payload = payloads[(len(latencies) + 5) % len(payloads)]
        _, created = contact_create(
            actor=actor, submission=_submission(payload), idempotency_key=uuid.uuid4().hex
        )
        if not created:
            raise RuntimeError("contact_create returned an existing contact")
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - first
    from django.db import connection

    connect_times = []
    for _ in range(11):
        connection.close()
        began = time.perf_counter()
        connection.ensure_connection()
        connect_times.append(time.perf_counter() - began)
    return {
        "connect_median_ms": median(connect_times[1:]) * 1000,
        "contacts_before": contacts_before,
        "created": len(latencies),
        "elapsed_s": elapsed,
        "per_s": len(latencies) / elapsed,
        "median_ms": median(latencies) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
    }


# --- Orchestration (no Django here) ---------------------------------------------------------


def http_load(
    url: str, token: str, threads: int, seconds: float, env: dict[str, str]
) -> dict[str, Any]:
    """phase_load in a child process, against the server at `url`."""
    return phase(
        "api_throughput.py",
        [
            "--phase",
            "load",
            "--url",
            url,
            "--token",
            token,
            "--threads",
            str(threads),
            "--seconds",
            str(seconds),
        ],
        env,
    )


def measure_database(
    label: str, database_url: str, var_dir: Path, threads: int, seconds: float
) -> dict[str, Any]:
    env = django_env(database_url, var_dir)
    log(f"{label}: migrate")
    manage(["migrate", "--no-input", "-v0"], env)
    log(f"{label}: agencies and users (seed_demo --days 0), token (issue_api_token)")
    manage(["seed_demo", "--days", "0"], env)
    token = manage(["issue_api_token", "--agency", "police", "--name", "bench"], env).strip()
    with runserver(env, var_dir / f"runserver-{label}.log") as url:
        probe = keepalive_probe(url)
        log(f"{label}: {threads} client threads for {seconds:.0f} s against runserver at {url}")
        load = http_load(url, token, threads, seconds, env)
    log(
        f"{label}: HTTP {load['accepted_per_s']:.1f} accepted/s, median {load['median_ms']:.1f} ms, "
        f"p95 {load['p95_ms']:.1f} ms, errors {load['errors']} {load['statuses']}"
    )
    inproc_seconds = max(5.0, seconds / 3)
    log(f"{label}: in-process contact_create for {inproc_seconds:.0f} s")
    inproc = phase(
        "api_throughput.py", ["--phase", "inprocess", "--seconds", str(inproc_seconds)], env
    )
    expected = load["warmup_requests"] + load["accepted"]
    load["stored_matches_accepted"] = inproc["contacts_before"] == expected
    log(
        f"{label}: in-process {inproc['per_s']:.1f} contacts/s, median {inproc['median_ms']:.1f} ms; "
        f"contacts stored after HTTP {inproc['contacts_before']} (expected {expected})"
    )
    return {"http": load, "inprocess": inproc, "keepalive_probe": probe}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="8 s of load instead of 30")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--phase", choices=["load", "inprocess"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase == "load":
        print(json.dumps(phase_load(args.url, args.token, args.threads, args.seconds, args.warmup)))
        return 0
    if args.phase == "inprocess":
        print(json.dumps(phase_inprocess(args.seconds)))
        return 0

    seconds = args.seconds or (8.0 if args.quick else 30.0)
    command = ".venv/bin/python bench/api_throughput.py" + (" --quick" if args.quick else "")
    if args.threads != 4 or args.seconds:
        command += f" --threads {args.threads} --seconds {seconds:g}"
    results: dict[str, Any] = {}
    with scratch_dir("openmash-bench-api-") as var_dir:
        try:
            pg_url = pg_create(PG_DATABASE)
            results["postgresql"] = measure_database(
                "postgresql", pg_url, var_dir, args.threads, seconds
            )
        finally:
            pg_drop(PG_DATABASE)
        sqlite_url = f"sqlite:///{var_dir / 'bench-api.sqlite3'}"
        results["sqlite"] = measure_database("sqlite", sqlite_url, var_dir, args.threads, seconds)

    pg, lite = results["postgresql"], results["sqlite"]
    peer = "SQLite (same run)"
    figures = [
        Figure(
            f"Contacts accepted per second, POST /api/v1/contacts, {args.threads} clients, PostgreSQL",
            round(pg["http"]["accepted_per_s"], 1),
            "contacts/s",
            peer,
            round(lite["http"]["accepted_per_s"], 1),
            command,
        ),
        Figure(
            "Median latency of an accepted contact (201), over HTTP",
            round(pg["http"]["median_ms"], 1),
            "ms",
            peer,
            round(lite["http"]["median_ms"], 1),
            command,
        ),
        Figure(
            "95th percentile latency of an accepted contact, over HTTP",
            round(pg["http"]["p95_ms"], 1),
            "ms",
            peer,
            round(lite["http"]["p95_ms"], 1),
            command,
        ),
        Figure(
            "Requests sent in the timed window",
            pg["http"]["requests"],
            "requests",
            peer,
            lite["http"]["requests"],
            command,
        ),
        Figure(
            "Errors (any response but 201, or a failed connection)",
            pg["http"]["errors"],
            "requests",
            peer,
            lite["http"]["errors"],
            command,
        ),
        Figure(
            "Ceiling: contact_create in-process, one thread, no HTTP",
            round(pg["inprocess"]["per_s"], 1),
            "contacts/s",
            peer,
            round(lite["inprocess"]["per_s"], 1),
            command,
        ),
        Figure(
            "Ceiling: median time of one contact_create call",
            round(pg["inprocess"]["median_ms"], 2),
            "ms",
            peer,
            round(lite["inprocess"]["median_ms"], 2),
            command,
        ),
        Figure(
            "HTTP rate as a share of the in-process ceiling",
            round(100 * pg["http"]["accepted_per_s"] / pg["inprocess"]["per_s"], 0),
            "%",
            peer,
            round(100 * lite["http"]["accepted_per_s"] / lite["inprocess"]["per_s"], 0),
            command,
        ),
        Figure(
            "Opening a database connection (runserver opens one per HTTP request)",
            round(pg["inprocess"]["connect_median_ms"], 2),
            "ms (median of 10)",
            peer,
            round(lite["inprocess"]["connect_median_ms"], 2),
            command,
        ),
        Figure(
            "Method check: GET /api/v1/openapi.json over one kept-alive connection (PostgreSQL "
            "server)",
            round(pg["keepalive_probe"]["keepalive_median_ms"], 1),
            "ms (median of 20)",
            "a new connection per request",
            round(pg["keepalive_probe"]["new_connection_median_ms"], 1),
            command,
        ),
    ]
    stored_ok = pg["http"]["stored_matches_accepted"] and lite["http"]["stored_matches_accepted"]
    notes = [
        f"Load: {args.threads} client threads for {seconds:g} s after 20 untimed warm-up "
        "requests, each request on a new connection with its own Idempotency-Key. The clients, "
        "the server and the database share the same 2 cores, so the HTTP figure is a floor for "
        "this machine, not a capacity for production.",
        "Why a new connection per request: on a kept-alive connection runserver (wsgiref) sends "
        "the headers and the body in separate writes, Nagle's algorithm meets the client's "
        "delayed ACK, and every response stalls about 40 ms (the method-check row). Measured "
        "that way the figure would be TCP's, not OpenMASH's.",
        "Server: `manage.py runserver 127.0.0.1:<port> --noreload` (threaded, DEBUG=0, "
        "settings openmash.settings.local), the only WSGI server installed. It runs each "
        "connection in a new thread and does not close that thread's database connection, so "
        "OpenMASH opens and closes one per request (DATABASE_CONN_MAX_AGE=0, the default "
        "since an earlier run of this benchmark with a 60 s max age ran PostgreSQL out of "
        "connection slots and gave 49 errors in 30 s). Every request therefore pays for a new "
        "database connection (the connection row: a PostgreSQL backend costs more to start "
        "than opening a SQLite file); a server with a fixed pool of workers and "
        "DATABASE_CONN_MAX_AGE=60 would not, and would be measured separately.",
        "Every stored contact was counted after the load: "
        + (
            "the database held exactly the warm-up plus accepted contacts on both databases."
            if stored_ok
            else "MISMATCH between accepted and stored contacts; see the JSON details."
        ),
        "Each accepted contact writes the contact, its people, their person-index rows, its "
        "factors, an audit event and its matching task in one transaction and takes the yearly reference-number row lock, so concurrent writers "
        "queue on that row (PostgreSQL) or on the database write lock (SQLite, "
        "synchronous=FULL).",
    ]
    write_results(
        NAME,
        "API: contacts accepted per second",
        figures,
        command,
        "POST /api/v1/contacts through a real server on 127.0.0.1, PostgreSQL beside SQLite, "
        "each with the in-process ceiling (the service called directly).",
        notes,
        extra=results,
    )
    return 0


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
