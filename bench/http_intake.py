"""Contacts accepted per second over HTTP through the production server (gunicorn, with
the production settings and psycopg's connection pool) beside `runserver`, in one run on
a throwaway PostgreSQL database; then gunicorn killed with SIGKILL in the middle of 500
concurrent submissions, and every acknowledged contact found stored exactly once.

    .venv/bin/python bench/http_intake.py            # the real run: writes bench/results
                                                     # and its section of docs/BENCHMARKS.md
    .venv/bin/python bench/http_intake.py --quick    # a smoke run: 3 s of load, 100
                                                     # submissions killed; prints JSON,
                                                     # writes nothing

The load is bench/api_throughput.py's generator (N client threads, a new connection per
request, each request a valid contact with its own Idempotency-Key), so the runserver
figure here is comparable with that benchmark's.
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    PYTHON,
    ROOT,
    Figure,
    django_env,
    django_setup,
    free_port,
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
    wait_until_serving,
    write_results,
)
from api_throughput import contact_bodies, http_load, post_contact

NAME = "http_intake"
PG_DATABASE = "openmash_bench_http"
LOAD_AT_START = os.getloadavg()


def production_env(
    base: dict[str, str], port: int, workers: int, worker_class: str
) -> dict[str, str]:
    env = dict(base)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "openmash.settings.production",
            "SECRET_KEY": "bench-only-" + uuid.uuid4().hex + uuid.uuid4().hex,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on 127.0.0.1: no TLS proxy in front of this benchmark.
            "SECURE_SSL_REDIRECT": "0",
            "CACHE_URL": "db",
            # One token sends everything here; an agency's system would be held to its
            # limit (API_TOKEN_REQUESTS_PER_MINUTE), which is not what is measured.
            "API_TOKEN_REQUESTS_PER_MINUTE": "0",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_WORKER_CLASS": worker_class,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """gunicorn -c gunicorn.conf.py in its own process group; yields its URL and process.
    Always stops the whole group (by its own process group id) on the way out."""
    bind = env["GUNICORN_BIND"]
    with open(log_path, "w") as server_log:
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://{bind}"
    try:
        wait_until_serving(server, base, "gunicorn", log_path, seconds=90)
        yield base, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)


# --- kill -9 in the middle of concurrent submissions ----------------------------------------


def submit_all(url: str, token: str, keys: list[str], concurrency: int) -> dict[str, str]:
    """POST one contact per key, `concurrency` at a time; returns key -> reference for each
    acknowledged (201) one. Failures (the server gone) are simply not acknowledged."""
    django_setup()

    bodies = [json.dumps(body).encode() for body in contact_bodies(len(keys), seed=3)]
    host, port = url.removeprefix("http://").split(":")
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    pending = list(zip(keys, bodies, strict=True))

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                key, body = pending.pop()
            try:
                status, payload = post_contact(host, int(port), token, body, key, timeout=30)
                if status == 201:
                    with lock:
                        acknowledged[key] = json.loads(payload)["reference"]
            except (OSError, http.client.HTTPException, ValueError):
                pass

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acknowledged


def phase_kill(
    url: str, token: str, pgid: int, submissions: int, kill_after: int
) -> dict[str, Any]:
    """Submit `submissions` contacts 50 at a time and SIGKILL gunicorn's whole process
    group once `kill_after` of them are stored (counted in the database); report which
    were acknowledged and how many were stored when it was killed."""
    django_setup()
    from openmash.contacts.models import Contact

    keys = [f"kill-{uuid.uuid4().hex}" for _ in range(submissions)]
    result: dict[str, str] = {}
    done = threading.Event()

    def run() -> None:
        result.update(submit_all(url, token, keys, concurrency=50))
        done.set()

    # The submissions go on in a thread; this one watches the database and kills.
    runner = threading.Thread(target=run)
    runner.start()
    killed_at = None
    while not done.is_set():
        stored = Contact.objects.filter(idempotency_key__startswith="kill-").count()
        if stored >= kill_after:
            os.killpg(pgid, signal.SIGKILL)
            killed_at = stored
            break
        time.sleep(0.01)
    runner.join()
    return {"keys": keys, "acknowledged": result, "stored_when_killed": killed_at}


# --- where the time of one contact goes ---------------------------------------------------


def phase_breakdown(token: str, count: int, code: str = "") -> dict[str, Any]:
    """One contact at a time, in this process: through the whole Django stack (Django's
    test client: middleware, token check, django-ninja's parsing and validation, the
    service, the JSON answer) and through the service alone, each with the time spent
    waiting on PostgreSQL (every statement timed by a database execute wrapper). The
    rest of a request over HTTP is the server's (gunicorn's or runserver's) and the
    network's: the HTTP latencies above less this. With `code`, the project's code from
    that directory (an earlier checkout) rather than this one's, on the same database."""
    if code:
        sys.path.insert(0, code)
    django_setup()
    from django.db import connection
    from django.test import Client

    from openmash.accounts.models import ApiToken
    from openmash.api.schemas import ContactIn
    from openmash.api.v1 import _submission
    from openmash.contacts.services import contact_create
    from openmash.core.audit import Actor

    bodies = contact_bodies(2 * (count + 5), seed=4)
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"Authorization": f"Bearer {token}"}
    api_token = ApiToken.objects.select_related("agency").get(name="bench")
    actor = Actor(token=api_token, request_id="bench-breakdown", ip_address="127.0.0.1")
    for_the_stack = iter([json.dumps(body) for body in bodies[: count + 5]])
    for_the_service = iter([ContactIn.model_validate(body) for body in bodies[count + 5 :]])

    def timed(run: Any) -> tuple[float, float, int]:
        spent: list[float] = []

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent.append(time.perf_counter() - began)

        with connection.execute_wrapper(wrapper):
            began = time.perf_counter()
            run()
            total = time.perf_counter() - began
        return total, sum(spent), len(spent)

    def through_the_stack() -> None:
        response = client.post(
            "/api/v1/contacts",
            data=next(for_the_stack),
            content_type="application/json",
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if response.status_code != 201:
            raise RuntimeError(f"the API answered {response.status_code}")

    def service_alone() -> None:
        _, created = contact_create(
            actor=actor,
            submission=_submission(next(for_the_service)),
            idempotency_key=uuid.uuid4().hex,
        )
        if not created:
            raise RuntimeError("contact_create returned an existing contact")

    from django.utils.timezone import now as timezone_now

    from openmash.area.out_of_hours import out_of_hours_at

    # Out of hours each contact also records the referrer's acknowledgement (and sends it
    # once committed): more statements than in working hours.
    out: dict[str, Any] = {
        "contacts": count,
        "code": code or "this checkout",
        "out_of_hours": out_of_hours_at(timezone_now()) is not None,
    }
    for label, run in (("stack", through_the_stack), ("service", service_alone)):
        for _ in range(5):
            run()  # warm-up, not counted
        samples = [timed(run) for _ in range(count)]
        totals = [total for total, _, _ in samples]
        database = [db for _, db, _ in samples]
        out[label] = {
            "median_ms": median(totals) * 1000,
            "p95_ms": percentile(totals, 95) * 1000,
            "database_median_ms": median(database) * 1000,
            "statements": median([float(n) for _, _, n in samples]),
        }
    return out


def phase_count(keys_file: str) -> dict[str, Any]:
    """How many contacts each acknowledged key has in the database (it must be one)."""
    django_setup()
    from django.db.models import Count

    from openmash.contacts.models import Contact

    data = json.loads(Path(keys_file).read_text())
    counts = dict(
        Contact.objects.filter(idempotency_key__in=data["keys"])
        .values_list("idempotency_key")
        .annotate(n=Count("id"))
        .values_list("idempotency_key", "n")
    )
    references = dict(
        Contact.objects.filter(idempotency_key__in=list(data["acknowledged"])).values_list(
            "idempotency_key", "reference"
        )
    )
    acknowledged = data["acknowledged"]
    return {
        "submitted": len(data["keys"]),
        "acknowledged": len(acknowledged),
        "stored": sum(counts.values()),
        "acknowledged_stored_once": sum(1 for key in acknowledged if counts.get(key) == 1),
        "acknowledged_missing": sum(1 for key in acknowledged if counts.get(key, 0) == 0),
        "duplicates": sum(1 for n in counts.values() if n > 1),
        "reference_matches": sum(
            1 for key, reference in acknowledged.items() if references.get(key) == reference
        ),
    }


# --- Orchestration -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run; writes nothing")
    parser.add_argument("--threads", type=int, default=8, help="load generator threads")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--phase", choices=["kill", "count", "breakdown"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--pgid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--submissions", type=int, default=500, help=argparse.SUPPRESS)
    parser.add_argument("--kill-after", type=int, default=150, help=argparse.SUPPRESS)
    parser.add_argument("--keys-file", help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline",
        default="",
        help="a checkout of earlier code: its in-process breakdown beside this code's",
    )
    parser.add_argument("--code", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase == "kill":
        print(
            json.dumps(
                phase_kill(args.url, args.token, args.pgid, args.submissions, args.kill_after)
            )
        )
        return 0
    if args.phase == "count":
        print(json.dumps(phase_count(args.keys_file)))
        return 0
    if args.phase == "breakdown":
        print(json.dumps(phase_breakdown(args.token, args.submissions, args.code)))
        return 0

    seconds = args.seconds or (3.0 if args.quick else 30.0)
    submissions = 100 if args.quick else 500
    kill_after = 30 if args.quick else 150
    workers = args.workers or (os.cpu_count() or 1) + 1
    command = ".venv/bin/python bench/http_intake.py" + (" --quick" if args.quick else "")
    baseline = str(Path(args.baseline).resolve()) if args.baseline else ""
    if baseline:
        command += f" --baseline {args.baseline}"
    results: dict[str, Any] = {}
    with scratch_dir("openmash-bench-http-") as var_dir:
        try:
            url = pg_create(PG_DATABASE)
            # One token sends everything, through either server; an agency's system
            # would be held to its limit (API_TOKEN_REQUESTS_PER_MINUTE), which is not
            # what is measured.
            env = {**django_env(url, var_dir), "API_TOKEN_REQUESTS_PER_MINUTE": "0"}
            log("migrate, agencies (seed_demo --days 0), cache table, token")
            manage(["migrate", "--no-input", "-v0"], env)
            manage(["seed_demo", "--days", "0"], env)
            manage(["createcachetable"], {**env, "CACHE_URL": "db"})
            token = manage(
                ["issue_api_token", "--agency", "police", "--name", "bench"], env
            ).strip()

            with runserver(env, var_dir / "runserver.log") as base:
                log(f"runserver: {args.threads} clients for {seconds:g} s")
                results["runserver"] = http_load(base, token, args.threads, seconds, env)

            genv = production_env(env, free_port(), workers, args.worker_class)
            with gunicorn(genv, var_dir / "gunicorn.log") as (base, _):
                log(
                    f"gunicorn ({workers} {args.worker_class} workers): {args.threads} clients for {seconds:g} s"
                )
                results["gunicorn"] = http_load(base, token, args.threads, seconds, env)

            kenv = production_env(env, free_port(), workers, args.worker_class)
            with gunicorn(kenv, var_dir / "gunicorn-kill.log") as (base, server):
                log(
                    f"gunicorn: {submissions} submissions, 50 at a time, SIGKILL after {kill_after} stored"
                )
                killed = phase(
                    "http_intake.py",
                    [
                        "--phase",
                        "kill",
                        "--url",
                        base,
                        "--token",
                        token,
                        "--pgid",
                        str(server.pid),
                        "--submissions",
                        str(submissions),
                        "--kill-after",
                        str(kill_after),
                    ],
                    env,
                )
                server.wait(timeout=30)
            keys_file = var_dir / "kill.json"
            keys_file.write_text(json.dumps(killed))
            results["kill"] = phase(
                "http_intake.py", ["--phase", "count", "--keys-file", str(keys_file)], env
            )
            results["kill"]["stored_when_killed"] = killed["stored_when_killed"]
            log("where the time of one contact goes: 200 contacts, one at a time, in-process")
            breakdown = ["--phase", "breakdown", "--token", token, "--submissions", "200"]
            if baseline:
                log(f"  with the baseline's code ({baseline})")
                results["baseline"] = phase("http_intake.py", [*breakdown, "--code", baseline], env)
                log("  with this code")
            results["breakdown"] = phase("http_intake.py", breakdown, env)
        finally:
            pg_drop(PG_DATABASE)

    run, gun, kill = results["runserver"], results["gunicorn"], results["kill"]
    stack, service = results["breakdown"]["stack"], results["breakdown"]["service"]
    log(
        f"one contact in-process: {stack['median_ms']:.1f} ms through the stack "
        f"({stack['database_median_ms']:.1f} ms in PostgreSQL, {stack['statements']:g} statements), "
        f"{service['median_ms']:.1f} ms the service alone "
        f"({service['database_median_ms']:.1f} ms in PostgreSQL)"
    )
    for label, figures in (("runserver", run), ("gunicorn", gun)):
        log(
            f"{label}: {figures['accepted_per_s']:.1f} accepted/s, median {figures['median_ms']:.1f} ms, "
            f"p95 {figures['p95_ms']:.1f} ms, errors {figures['errors']} {figures['statuses']}"
        )
    log(
        f"kill -9: {kill['submitted']} submitted, {kill['acknowledged']} acknowledged, "
        f"{kill['acknowledged_stored_once']} of them stored exactly once, "
        f"{kill['acknowledged_missing']} missing, {kill['duplicates']} duplicated"
    )
    ok = kill["acknowledged_stored_once"] == kill["acknowledged"] and kill["duplicates"] == 0
    if args.quick:
        print(json.dumps(results, indent=2))
        return 0 if ok else 1

    peer = "runserver (same run)"
    figures_out = [
        Figure(
            f"Contacts accepted per second over HTTP, {args.threads} clients, PostgreSQL, "
            f"gunicorn {workers} {args.worker_class} workers",
            round(gun["accepted_per_s"], 1),
            "contacts/s",
            peer,
            round(run["accepted_per_s"], 1),
            command,
        ),
        Figure(
            "Median latency of an accepted contact",
            round(gun["median_ms"], 1),
            "ms",
            peer,
            round(run["median_ms"], 1),
            command,
        ),
        Figure(
            "95th percentile latency of an accepted contact",
            round(gun["p95_ms"], 1),
            "ms",
            peer,
            round(run["p95_ms"], 1),
            command,
        ),
        Figure(
            "Errors (any response but 201, or a failed connection)",
            gun["errors"],
            "requests",
            peer,
            run["errors"],
            command,
        ),
        Figure(
            f"kill -9 of gunicorn during {kill['submitted']} concurrent submissions: "
            "acknowledged contacts stored exactly once",
            kill["acknowledged_stored_once"],
            "contacts",
            "acknowledged",
            kill["acknowledged"],
            command,
        ),
        Figure(
            "kill -9: contacts stored twice", kill["duplicates"], "contacts", None, None, command
        ),
        Figure(
            "One contact through the whole Django stack in-process (no HTTP server): median",
            round(stack["median_ms"], 1),
            "ms",
            "the service alone (contact_create)",
            round(service["median_ms"], 1),
            command,
        ),
        Figure(
            "One contact through the whole Django stack in-process: 95th percentile",
            round(stack["p95_ms"], 1),
            "ms",
            "the service alone (contact_create)",
            round(service["p95_ms"], 1),
            command,
        ),
        Figure(
            "Of which waiting on PostgreSQL (median)",
            round(stack["database_median_ms"], 1),
            "ms",
            "the service alone (contact_create)",
            round(service["database_median_ms"], 1),
            command,
        ),
        Figure(
            "SQL statements a contact",
            stack["statements"],
            "statements",
            "the service alone (contact_create)",
            service["statements"],
            command,
        ),
    ]
    if baseline:
        before = results["baseline"]["service"]
        peer = f"the baseline's code ({args.baseline}), same database and run"
        figures_out += [
            Figure(
                "SQL statements a contact, the service alone (contact_create)",
                service["statements"],
                "statements",
                peer,
                before["statements"],
                command,
            ),
            Figure(
                "One contact through the service alone, in-process: median",
                round(service["median_ms"], 1),
                "ms",
                peer,
                round(before["median_ms"], 1),
                command,
            ),
            Figure(
                "One contact through the service alone, in-process: 95th percentile",
                round(service["p95_ms"], 1),
                "ms",
                peer,
                round(before["p95_ms"], 1),
                command,
            ),
        ]
    write_results(
        NAME,
        "HTTP intake: gunicorn beside runserver, and kill -9",
        figures_out,
        command,
        "POST /api/v1/contacts through gunicorn (gunicorn.conf.py, production settings, "
        "psycopg's pool) and through runserver, on one throwaway PostgreSQL database; then "
        "gunicorn's whole process group killed with SIGKILL mid-submission.",
        [
            "The load generator, gunicorn and PostgreSQL share the machine's cores: a floor "
            "for this machine, not a production capacity.",
            "API_TOKEN_REQUESTS_PER_MINUTE=0 for the run, through either server: one token "
            "sends everything.",
            "The in-process contacts were recorded "
            + (
                "while the demo MASH was closed: each also records the referrer's out-of-hours "
                "acknowledgement and sends it once committed (more statements than in working "
                "hours)."
                if results["breakdown"]["out_of_hours"]
                else "in the demo MASH's working hours (no out-of-hours acknowledgement)."
            ),
            "Every request is about a different child (bench/api_throughput.py's "
            "contact_bodies: name, date of birth, NHS number and address of its own), as an "
            "area's contacts are; runs before 2026-12-06 sent one child every time, whose "
            "identifier look-ups grew with each contact.",
            "Load average (1, 5, 15 min) when the run began: "
            + ", ".join(f"{value:.2f}" for value in LOAD_AT_START)
            + "; when it ended: "
            + ", ".join(f"{value:.2f}" for value in os.getloadavg())
            + " (anything above 0 is other work on the same 2 cores).",
            "Where the time of one contact goes: 200 contacts one at a time in the "
            "benchmark's own process, through Django's test client (the whole stack but the "
            "HTTP server) and through contact_create alone, every SQL statement timed; the "
            "HTTP latencies above, less the whole-stack time, are the server's, the "
            "network's and the queue's (8 clients on 2 cores).",
        ],
        extra=results,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
