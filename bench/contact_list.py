"""The new-contacts list (GET /contacts/ as a screener) with 1,000 and 250,000 contacts.

On a throwaway PostgreSQL database, in one run:

1. agencies, users and the police token from `seed_demo --days 0`, then `seed_demo --days N`
   timed, to give the rate of loading contacts through the real services;
2. a BENCHMARK FIXTURE (not demo data): contacts, their people, factors and creation audit
   events written with bulk_create, with values drawn the same way as seed_demo's, up to
   1,000 contacts, then up to 250,000;
3. at each size: the page's time in-process with Django's test Client (median of 20 after
   warm-up), its query count and the time of each query, the last page, the referrer's
   /contacts/submitted/ page, and the page over HTTP against `runserver`.

    .venv/bin/python bench/contact_list.py [--quick]     # --quick: 1,000 and 20,000
"""

import argparse
import hashlib
import http.client
import json
import math
import re
import sys
import time
from collections.abc import Callable
from datetime import timedelta
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
    runserver,
    scratch_dir,
    signed_in_client,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "contact_list"
PG_DATABASE = "openmash_bench_list"
FIXTURE_PER_DAY = 137  # about 250,000 contacts over five years: a large county's MASH
FIXTURE_BATCH = 5000
TIMED_REQUESTS = 20
WARMUP_REQUESTS = 3
COUNT_CAP = 10_000  # the proposed capped count: exact up to here, then 'more than'


# --- Child phases (Django configured from the environment) ----------------------------------


def phase_fixture(target: int, seed: int) -> dict[str, Any]:
    """Benchmark fixture: add contacts with bulk_create until there are `target` in all.

    Not demo data and not the intake path: rows are written as contact_create would write
    them (normalised identifiers, a reference from the yearly sequence, an audit event per
    contact), without the per-contact checks, so that 250,000 load in minutes.
    """
    django_setup()

    from django.db import transaction
    from django.utils import timezone

    from openmash.accounts.models import Agency, ApiToken, User
    from openmash.contacts.codes import Channel, ConsentStatus, LawfulBasis, PersonRole
    from openmash.contacts.models import Contact, ContactFactor, ContactPerson, ReferenceSequence
    from openmash.contacts.submission import Address
    from openmash.core.models import AuditAction, AuditEvent
    from openmash.demo.management.commands import seed_demo as demo
    from openmash.people.identifiers import nhs_number_digits, postcode_normal, upn_normal

    began = time.perf_counter()
    existing = Contact.objects.count()
    # The fixture's timeline runs forward from five years before the demo contacts (which
    # seed_demo puts in the last weeks), so the newest contacts on page 1 are the demo's.
    origin = timezone.localdate() - timedelta(days=60 + 1825)
    police = Agency.objects.get(slug="police")
    school_agency = Agency.objects.get(slug="riverside-primary")
    token = ApiToken.objects.get(agency=police, name="Police case system (demo)")
    school = User.objects.get(username="school.referrer")
    screener = User.objects.get(username="screener")
    sequences = {seq.year: seq.last_number for seq in ReferenceSequence.objects.all()}
    fixture_before = AuditEvent.objects.filter(request_id="bench-fixture").count()

    rows = {"contacts": 0, "people": 0, "factors": 0, "audit_events": 0}
    index = fixture_before
    to_add = max(0, target - existing)
    while to_add > 0:
        batch = min(FIXTURE_BATCH, to_add)
        data = demo.DemoData(seed + index, origin)
        rng = data.rng
        contacts: list[Contact] = []
        people: list[list[ContactPerson]] = []
        factors: list[list[str]] = []
        actors: list[tuple[User | None, ApiToken | None]] = []
        for offset in range(batch):
            n = index + offset
            day = origin + timedelta(days=n // FIXTURE_PER_DAY)
            received_at = data.arrival(day)
            year = received_at.year
            sequences[year] = sequences.get(year, 0) + 1
            family = data.family_for_contact(day)
            source = data.weighted(demo.SOURCES)
            codes = sorted(
                {data.weighted(demo.FACTORS) for _ in range(rng.choice([1, 1, 2, 2, 3]))}
            )
            subject_count = 1 if rng.random() < 0.6 else len(family.children)
            details = [
                (PersonRole.SUBJECT_CHILD if i < subject_count else PersonRole.SIBLING, child)
                for i, child in enumerate(family.children)
            ] + [(parent.role, parent) for parent in family.parents]
            if "3B" in codes and rng.random() < 0.4:
                harm = data.person(
                    PersonRole.ALLEGED_HARM,
                    rng.choice(demo.SURNAMES),
                    rng.randrange(20, 50),
                    Address(),
                )
                details.append((harm.role, harm))
            consent = rng.choices(list(ConsentStatus.values), weights=[55, 35, 10])[0]
            reference = f"MASH-{year}-{sequences[year]:06d}"
            common: dict[str, Any] = {
                "reference": reference,
                "received_at": received_at,
                "recorded_at": received_at + timedelta(minutes=rng.randrange(1, 10)),
                "referral_source": source,
                "concern_description": " ".join(
                    demo.DESCRIPTIONS.get(
                        code, "Concerns raised about the child's welfare at home."
                    )
                    for code in codes
                ),
                "immediate_risk": rng.random() < 0.08,
                "referrer_level_of_need": rng.choice([None, 2, 2, 3, 3, 4]),
                "consent_status": consent,
                "consent_reason": ""
                if consent == ConsentStatus.GIVEN
                else "Seeking consent could place the child at greater risk",
                "lawful_basis": LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING
                if source == "6"
                else LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            }
            if source == "6":
                contact = Contact(
                    **common,
                    channel=Channel.API,
                    submitted_by_token=token,
                    submitted_by_agency=police,
                    referrer_name=f"PC {rng.choice(demo.FIRST_NAMES_M)} {rng.choice(demo.SURNAMES)}",
                    referrer_role="Police officer",
                    referrer_organisation=police.name,
                    referrer_email="mash.referrals@police.demo-county.invalid",
                    idempotency_key=f"bench-fixture-{reference}",
                    request_fingerprint=hashlib.sha256(reference.encode()).hexdigest(),
                )
                actors.append((None, token))
            elif source == "2A":
                contact = Contact(
                    **common,
                    channel=Channel.PORTAL,
                    submitted_by_user=school,
                    submitted_by_agency=school_agency,
                    referrer_name=school.display_name,
                    referrer_role=school.job_title,
                    referrer_organisation=school_agency.name,
                    referrer_email=school.email,
                )
                actors.append((school, None))
            else:
                anonymous = source == "9"
                contact = Contact(
                    **common,
                    channel=rng.choice(
                        [Channel.PHONE, Channel.PHONE, Channel.EMAIL, Channel.OTHER]
                    ),
                    submitted_by_user=screener,
                    submitted_by_agency_id=screener.agency_id,
                    referrer_anonymous=anonymous,
                    referrer_name=""
                    if anonymous
                    else f"{rng.choice(demo.FIRST_NAMES_F)} {rng.choice(demo.SURNAMES)}",
                    referrer_role="" if anonymous else "Professional",
                    referrer_phone="" if anonymous else f"01632 {rng.randrange(100000, 999999)}",
                )
                actors.append((screener, None))
            contacts.append(contact)
            people.append(
                [
                    ContactPerson(
                        position=position,
                        role=role,
                        given_names=person.given_names,
                        family_name=person.family_name,
                        date_of_birth=person.date_of_birth,
                        sex=person.sex,
                        address_line1=person.address.line1,
                        town=person.address.town,
                        postcode=postcode_normal(person.address.postcode)
                        if person.address.postcode
                        else "",
                        nhs_number=nhs_number_digits(person.nhs_number),
                        upn=upn_normal(person.upn),
                    )
                    for position, (role, person) in enumerate(details)
                ]
            )
            factors.append(codes)

        with transaction.atomic():
            Contact.objects.bulk_create(contacts, batch_size=1000)
            all_people = []
            for contact, named in zip(contacts, people, strict=True):
                for person in named:
                    person.contact_id = contact.pk
                    all_people.append(person)
            ContactPerson.objects.bulk_create(all_people, batch_size=2000)
            all_factors = [
                ContactFactor(contact_id=contact.pk, code=code)
                for contact, codes in zip(contacts, factors, strict=True)
                for code in codes
            ]
            ContactFactor.objects.bulk_create(all_factors, batch_size=2000)
            events = [
                AuditEvent(
                    occurred_at=contact.recorded_at,
                    actor_user=user,
                    actor_token=api_token,
                    action=AuditAction.CREATE,
                    object_type="contact",
                    object_id=str(contact.pk),
                    contact_id=contact.pk,
                    request_id="bench-fixture",
                    detail={"channel": contact.channel, "people": len(named)},
                )
                for contact, named, (user, api_token) in zip(contacts, people, actors, strict=True)
            ]
            AuditEvent.objects.bulk_create(events, batch_size=2000)
            for year, last in sequences.items():
                ReferenceSequence.objects.update_or_create(
                    year=year, defaults={"last_number": last}
                )
        rows["contacts"] += len(contacts)
        rows["people"] += len(all_people)
        rows["factors"] += len(all_factors)
        rows["audit_events"] += len(events)
        index += batch
        to_add -= batch
        if index % 50_000 < FIXTURE_BATCH:
            log(f"fixture: {existing + rows['contacts']:,} contacts")
    elapsed = time.perf_counter() - began
    return {
        "contacts_before": existing,
        "contacts_after": Contact.objects.count(),
        "rows": rows,
        "elapsed_s": elapsed,
        "contacts_per_s": rows["contacts"] / elapsed if rows["contacts"] else None,
    }


def _timed_gets(client: Any, path: str, count: int, expect: bytes) -> list[float]:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - began
        if response.status_code != 200 or expect not in response.content:
            raise RuntimeError(f"GET {path} gave {response.status_code}")
        times.append(elapsed)
    return times


def _queries(client: Any, path: str) -> dict[str, Any]:
    """One request's queries: counted by CaptureQueriesContext, timed by an execute wrapper."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timed: list[tuple[str, float]] = []

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((sql, time.perf_counter() - began))

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        response = client.get(path)
    assert response.status_code == 200
    queries = [{"ms": round(seconds * 1000, 3), "sql": sql[:160]} for sql, seconds in timed]
    count_ms = sum(q["ms"] for q in queries if re.search(r"SELECT COUNT\(\*\)", q["sql"]))
    return {
        "count": len(captured.captured_queries),
        "sql_ms": round(sum(q["ms"] for q in queries), 2),
        "count_query_ms": round(count_ms, 2),
        "queries": queries,
    }


def _median_time(call: Callable[[], object], times: int = 10) -> float:
    """Median milliseconds of `times` calls, after one untimed call."""
    call()
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return median(samples) * 1000


def phase_page() -> dict[str, Any]:
    """The pages in-process with the test Client, and session cookies for the HTTP run."""
    django_setup()
    from django.db.models import Q

    from openmash.contacts.codes import ContactState
    from openmash.contacts.models import Contact

    contacts = Contact.objects.count()
    new = Contact.objects.filter(state=ContactState.RECEIVED)
    received = new.count()
    last_page = max(1, math.ceil(received / 50))
    count_times = _median_time(new.count)
    # What the proposed fixes would run instead (not used by the app; see docs/BENCHMARKS.md):
    # a count that stops at COUNT_CAP + 1 rows, and keyset paging by (received_at, id).
    capped_times = _median_time(lambda: new.order_by()[: COUNT_CAP + 1].count())
    ordered = new.order_by("-received_at", "-id")
    offset = (last_page - 1) * 50
    offset_times = _median_time(lambda: list(ordered[offset : offset + 50]))
    after = ordered.values_list("received_at", "id")[max(0, offset - 1)]
    keyset = ordered.filter(Q(received_at__lt=after[0]) | Q(received_at=after[0], id__lt=after[1]))
    keyset_times = _median_time(lambda: list(keyset[:50]))
    if [c.pk for c in keyset[:50]] != [c.pk for c in ordered[offset : offset + 50]]:
        raise RuntimeError("keyset and offset disagree about the last page")

    screener = signed_in_client("screener")
    _timed_gets(screener, "/contacts/", WARMUP_REQUESTS, b"New contacts")
    first = _timed_gets(screener, "/contacts/", TIMED_REQUESTS, b"New contacts")
    first_queries = _queries(screener, "/contacts/")
    _timed_gets(screener, f"/contacts/?page={last_page}", 1, b"New contacts")
    last = _timed_gets(screener, f"/contacts/?page={last_page}", 5, b"New contacts")
    last_queries = _queries(screener, f"/contacts/?page={last_page}")

    school = signed_in_client("school.referrer")
    _timed_gets(school, "/contacts/submitted/", WARMUP_REQUESTS, b"Contacts from")
    submitted = _timed_gets(school, "/contacts/submitted/", TIMED_REQUESTS, b"Contacts from")
    submitted_queries = _queries(school, "/contacts/submitted/")

    http_screener, http_school = signed_in_client("screener"), signed_in_client("school.referrer")
    return {
        "contacts": contacts,
        "received": received,
        "last_page": last_page,
        "count_query_median_ms": count_times,
        "capped_count_median_ms": capped_times,
        "last_page_offset_query_median_ms": offset_times,
        "last_page_keyset_query_median_ms": keyset_times,
        "first_page": {
            "median_ms": median(first) * 1000,
            "p95_ms": percentile(first, 95) * 1000,
            "queries": first_queries,
        },
        "last_page_view": {"median_ms": median(last) * 1000, "queries": last_queries},
        "submitted": {
            "median_ms": median(submitted) * 1000,
            "p95_ms": percentile(submitted, 95) * 1000,
            "queries": submitted_queries,
        },
        "cookies": {
            "screener": http_screener.cookies["sessionid"].value,
            "school": http_school.cookies["sessionid"].value,
        },
    }


# --- Orchestration (no Django here) ---------------------------------------------------------


def http_page(url: str, cookie: str, path: str, expect: bytes) -> dict[str, Any]:
    """GET a page over HTTP, a new connection each time: warm-up, then TIMED_REQUESTS timed.

    Not kept alive: runserver's separate writes of headers and body meet the client's
    delayed ACK on a kept-alive connection and stall about 40 ms (see api_throughput).
    """
    host, port = url.removeprefix("http://").split(":")
    times = []
    for attempt in range(WARMUP_REQUESTS + TIMED_REQUESTS):
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        began = time.perf_counter()
        connection.request(
            "GET", path, headers={"Cookie": f"sessionid={cookie}", "Connection": "close"}
        )
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - began
        connection.close()
        if response.status != 200 or expect not in body:
            raise RuntimeError(f"GET {path} over HTTP gave {response.status}")
        if attempt >= WARMUP_REQUESTS:
            times.append(elapsed)
    return {"median_ms": median(times) * 1000, "p95_ms": percentile(times, 95) * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 and 20,000 contacts")
    parser.add_argument("--phase", choices=["fixture", "page"], help=argparse.SUPPRESS)
    parser.add_argument("--target", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=2026, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase == "fixture":
        print(json.dumps(phase_fixture(args.target, args.seed)))
        return 0
    if args.phase == "page":
        print(json.dumps(phase_page()))
        return 0

    small, large = (1_000, 20_000) if args.quick else (1_000, 250_000)
    seed_days = 7 if args.quick else 30
    command = ".venv/bin/python bench/contact_list.py" + (" --quick" if args.quick else "")
    sizes: dict[int, dict[str, Any]] = {}
    details: dict[str, Any] = {}
    with scratch_dir("openmash-bench-list-") as var_dir:
        try:
            url = pg_create(PG_DATABASE)
            env = django_env(url, var_dir)
            log("migrate")
            manage(["migrate", "--no-input", "-v0"], env)
            manage(["seed_demo", "--days", "0"], env)
            log(f"seed_demo --days {seed_days} through the real services (timed)")
            began = time.perf_counter()
            out = manage(["seed_demo", "--days", str(seed_days)], env)
            seeded_s = time.perf_counter() - began
            seeded = int(re.search(r"Loaded (\d+) contacts", out).group(1))  # type: ignore[union-attr]
            details["seed_demo"] = {
                "days": seed_days,
                "contacts": seeded,
                "elapsed_s": seeded_s,
                "contacts_per_s": seeded / seeded_s,
            }
            log(f"seed_demo: {seeded} contacts in {seeded_s:.1f} s")
            for size in (small, large):
                log(f"fixture up to {size:,} contacts (bulk_create)")
                fixture = phase(
                    "contact_list.py", ["--phase", "fixture", "--target", str(size)], env
                )
                pg_vacuum_analyze(url)
                log(f"fixture: {fixture['rows']} in {fixture['elapsed_s']:.1f} s; measuring pages")
                page = phase("contact_list.py", ["--phase", "page"], env)
                with runserver(env, var_dir / f"runserver-{size}.log") as base:
                    page["http_first_page"] = http_page(
                        base, page["cookies"]["screener"], "/contacts/", b"New contacts"
                    )
                    page["http_submitted"] = http_page(
                        base, page["cookies"]["school"], "/contacts/submitted/", b"Contacts from"
                    )
                del page["cookies"]
                page["fixture"] = fixture
                sizes[size] = page
                log(
                    f"{page['contacts']:,} contacts: /contacts/ {page['first_page']['median_ms']:.1f} ms "
                    f"in-process ({page['first_page']['queries']['count']} queries, COUNT "
                    f"{page['first_page']['queries']['count_query_ms']:.1f} ms), "
                    f"{page['http_first_page']['median_ms']:.1f} ms over HTTP; last page "
                    f"{page['last_page_view']['median_ms']:.1f} ms"
                )
        finally:
            pg_drop(PG_DATABASE)

    s, big = sizes[small], sizes[large]
    n_small, n_big = f"{s['contacts']:,}", f"{big['contacts']:,}"
    peer = f"{n_small} contacts (same run)"
    figures = [
        Figure(
            f"GET /contacts/ as a screener, in-process (test Client), {n_big} contacts",
            round(big["first_page"]["median_ms"], 1),
            "ms (median of 20)",
            peer,
            round(s["first_page"]["median_ms"], 1),
            command,
        ),
        Figure(
            f"GET /contacts/ over HTTP (runserver), {n_big} contacts",
            round(big["http_first_page"]["median_ms"], 1),
            "ms (median of 20)",
            peer,
            round(s["http_first_page"]["median_ms"], 1),
            command,
        ),
        Figure(
            "Queries for GET /contacts/",
            big["first_page"]["queries"]["count"],
            "queries",
            peer,
            s["first_page"]["queries"]["count"],
            command,
        ),
        Figure(
            "Time in SQL for GET /contacts/ (all queries, one request)",
            big["first_page"]["queries"]["sql_ms"],
            "ms",
            peer,
            s["first_page"]["queries"]["sql_ms"],
            command,
        ),
        Figure(
            "of which the paginator's COUNT(*) (one request)",
            big["first_page"]["queries"]["count_query_ms"],
            "ms",
            peer,
            s["first_page"]["queries"]["count_query_ms"],
            command,
        ),
        Figure(
            "COUNT(*) of new contacts alone (median of 10)",
            round(big["count_query_median_ms"], 2),
            "ms",
            peer,
            round(s["count_query_median_ms"], 2),
            command,
        ),
        Figure(
            f"Proposed: a count capped at {COUNT_CAP + 1:,} rows (median of 10)",
            round(big["capped_count_median_ms"], 2),
            "ms",
            peer,
            round(s["capped_count_median_ms"], 2),
            command,
        ),
        Figure(
            f"Last page of /contacts/ (page {big['last_page']:,} vs {s['last_page']:,}), in-process",
            round(big["last_page_view"]["median_ms"], 1),
            "ms (median of 5)",
            peer,
            round(s["last_page_view"]["median_ms"], 1),
            command,
        ),
        Figure(
            "The last page's 50 contacts by OFFSET, as now (query alone, median of 10)",
            round(big["last_page_offset_query_median_ms"], 2),
            "ms",
            peer,
            round(s["last_page_offset_query_median_ms"], 2),
            command,
        ),
        Figure(
            "Proposed: the same 50 by keyset, (received_at, id) < last seen (median of 10)",
            round(big["last_page_keyset_query_median_ms"], 2),
            "ms",
            peer,
            round(s["last_page_keyset_query_median_ms"], 2),
            command,
        ),
        Figure(
            "GET /contacts/submitted/ as the school referrer, in-process",
            round(big["submitted"]["median_ms"], 1),
            "ms (median of 20)",
            peer,
            round(s["submitted"]["median_ms"], 1),
            command,
        ),
        Figure(
            "GET /contacts/submitted/ over HTTP (runserver)",
            round(big["http_submitted"]["median_ms"], 1),
            "ms (median of 20)",
            peer,
            round(s["http_submitted"]["median_ms"], 1),
            command,
        ),
        Figure(
            "Queries for GET /contacts/submitted/",
            big["submitted"]["queries"]["count"],
            "queries",
            peer,
            s["submitted"]["queries"]["count"],
            command,
        ),
        Figure(
            "Loading contacts through seed_demo (real services, one process)",
            round(details["seed_demo"]["contacts_per_s"], 1),
            "contacts/s",
            "",
            None,
            command,
        ),
        Figure(
            f"Loading the benchmark fixture (bulk_create), {n_small} to {n_big}",
            round(big["fixture"]["contacts_per_s"], 0),
            "contacts/s",
            "",
            None,
            command,
        ),
    ]
    seed_rate = details["seed_demo"]["contacts_per_s"]
    notes = [
        f"Rows at the large size: {n_big} contacts, all in state received (no screening "
        "workflow exists yet, so every contact is on the new-contacts list: the worst case), "
        f"{big['fixture']['rows']['people'] + s['fixture']['rows']['people']:,} people and "
        f"{big['fixture']['rows']['factors'] + s['fixture']['rows']['factors']:,} factors written "
        "by the fixture, and one creation audit event per contact. VACUUM ANALYZE after each "
        "load.",
        f"seed_demo --days {seed_days} loaded {details['seed_demo']['contacts']} contacts in "
        f"{details['seed_demo']['elapsed_s']:.1f} s ({seed_rate:.0f}/s, including Django start-up); "
        f"at that rate 250,000 would take about {250_000 / seed_rate / 60:.0f} minutes, which is "
        "why the large size uses the bulk fixture (bench/contact_list.py, phase_fixture), "
        f"which took {big['fixture']['elapsed_s']:.0f} s.",
        "In-process times use Django's test Client signed in with force_login (median of 20 "
        "after 3 warm-up requests); HTTP times use a new connection per request to `runserver "
        "--noreload` (DEBUG=0) with the same kind of session, so they include opening a "
        "database connection (runserver closes it with each connection's thread). Every page view also writes one "
        "audit event per contact shown (50).",
        "The query count is the same at both sizes: the list is a fixed number of queries per "
        "page (session, user, page of contacts with its agency joined, people and factors "
        "prefetched, one bulk insert of the audit events, session save), not one per row."
        if big["first_page"]["queries"]["count"] == s["first_page"]["queries"]["count"]
        else "The query count DIFFERS between sizes: see the JSON details.",
    ]
    big_page, small_page = big["first_page"], s["first_page"]
    growth = big_page["median_ms"] - small_page["median_ms"]
    count_ms = big_page["queries"]["count_query_ms"]
    notes += [
        f"Where the time goes at {n_big}: the page took {big_page['median_ms']:.0f} ms "
        f"in-process against {small_page['median_ms']:.0f} ms at {n_small} "
        f"({big_page['median_ms'] / small_page['median_ms']:.1f}x); its queries took "
        f"{big_page['queries']['sql_ms']:.0f} ms, of which the paginator's COUNT(*) over every "
        f"new contact took {count_ms:.0f} ms, against {growth:.0f} ms of growth in the page. "
        "Every other query costs about the same at both sizes (indexed, LIMIT 50). The rest of "
        "the page is Python: templates, presenters and the session.",
        f"Deep pages: the last page (page {big['last_page']:,}) took "
        f"{big['last_page_view']['median_ms']:.0f} ms, because OFFSET walks past every newer "
        f"contact ({big['last_page_offset_query_median_ms']:.0f} ms for that query alone, against "
        f"{big['last_page_keyset_query_median_ms']:.1f} ms for the same 50 rows by keyset).",
        "Not changed in the app (proposal): every contact is on this list today only because "
        "there is no screening workflow yet, so the list is the whole history; once screening "
        "moves contacts out of *received*, the COUNT(*) covers the unscreened queue, not the "
        "table. If the list can grow large anyway, the minimal fix is a capped count "
        f"(exact up to {COUNT_CAP:,}, then 'more than {COUNT_CAP:,}'; "
        f"{big['capped_count_median_ms']:.1f} ms here) and keyset links (Newer/Older by "
        "received_at, id) instead of page numbers for deep pages; the figures marked "
        "'Proposed' measure those queries on the same data.",
    ]
    for size, page in sizes.items():
        details[f"size_{size}"] = page
    write_results(
        NAME,
        "New-contacts list at 1,000 and 250,000 contacts"
        if not args.quick
        else "New-contacts list at 1,000 and 20,000 contacts (quick)",
        figures,
        command,
        "GET /contacts/ as a screener (and /contacts/submitted/ as a school referrer) on "
        "PostgreSQL, at a small and a large number of contacts in the same run.",
        notes,
        extra=details,
    )
    return 0


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
