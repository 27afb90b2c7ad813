"""The indicators at scale: every dashboard page for a year's period on years of data at
100 contacts a day, beside the same pages on 90 days; and the facts rebuild.

On a throwaway PostgreSQL database, in one run:

1. agencies, users and the area's configuration from `seed_demo --days 0`;
2. a BENCHMARK FIXTURE (not demo data, not the services: written in bulk so years load
   in minutes): DAYS x PER_DAY contacts received over the last DAYS days at demo-like
   hours, each about one child of a family (a third of the families are referred again,
   so re-referrals and the same-child rule have work), with a parent; most rated (some
   re-graded), agency checks (most answered, some waived, some open), decisions with the
   area's outcomes and a child outcome each (some amended), hand-ons to early help or
   children's social care (most accepted, some returned and decided again, some
   waiting); the newest days still open, as a live hub's are;
3. `rebuild_metric_facts` (timed): the facts the indicators read; then VACUUM ANALYZE;
4. in-process with Django's test Client, signed in as a MASH manager, each page for the
   last 365 days (or the whole fixture if shorter): /metrics/ with no filter and with
   each filter (RAG rating, referral source, agency, team), the before-and-after page
   (decision median), the London table, /value/; and the board report PDF for the last
   whole month. Median and 95th percentile of TIMED requests after WARMUP.

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
from datetime import date, datetime, timedelta
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

NAME = "metrics_scale"
PG_DATABASE = os.environ.get("BENCH_METRICS_DATABASE", "openmash_bench_metrics")
PEER_DAYS = 90
TIMED = 10
WARMUP = 2
BATCH = 5000
# Contacts received in the last OPEN_DAYS days are left at each step of the workflow.
OPEN_DAYS = 3

# The fixture's later steps, in SQL over the contacts: each contact's fate is drawn from
# its id, so the fixture is the same every run. :hours are clock hours.
FIXTURE_SQL = [
    # Ratings: every contact received before the open days, by a screener 1-30 h later;
    # 10% re-graded a few hours after.
    """
    INSERT INTO enquiries_ragrating (contact_id, level_id, rationale, is_regrade,
        deadline_at, set_by_id, set_at)
    SELECT c.id, l.id, 'Bench rating.', false,
        c.received_at + interval '1 hour' * (1 + (c.id %% 30) + l.decision_hours),
        %(screener)s, c.received_at + interval '1 hour' * (1 + (c.id %% 30))
    FROM contacts_contact c
    JOIN area_raglevel l ON l.code = (ARRAY['red','amber','amber','green','green'])[1 + c.id %% 5]
    WHERE c.received_at < %(open_from)s
    """,
    """
    INSERT INTO enquiries_ragrating (contact_id, level_id, rationale, is_regrade,
        deadline_at, set_by_id, set_at)
    SELECT c.id, l.id, 'Bench re-grade.', true,
        c.received_at + interval '1 hour' * (40 + l.decision_hours),
        %(screener)s, c.received_at + interval '1 hour' * (35)
    FROM contacts_contact c JOIN area_raglevel l ON l.code = 'amber'
    WHERE c.received_at < %(open_from)s AND c.id %% 10 = 3
    """,
    # Checks: police and health on 60% of rated contacts; 85% answered, 5% waived.
    """
    INSERT INTO enquiries_agencycheck (contact_id, agency_id, state, requested_by_id,
        requested_at, deadline_at, completed_by_id, completed_at, waived_by_id, waived_at,
        waive_reason)
    SELECT c.id, a.id,
        CASE WHEN (c.id + a.id) %% 20 < 17 THEN 'completed'
             WHEN (c.id + a.id) %% 20 = 17 THEN 'waived' ELSE 'requested' END,
        %(screener)s, c.received_at + interval '3 hours', c.received_at + interval '27 hours',
        CASE WHEN (c.id + a.id) %% 20 < 17 THEN %(screener)s END,
        CASE WHEN (c.id + a.id) %% 20 < 17
             THEN c.received_at + interval '1 hour' * (4 + (c.id + a.id) %% 40) END,
        CASE WHEN (c.id + a.id) %% 20 = 17 THEN %(screener)s END,
        CASE WHEN (c.id + a.id) %% 20 = 17 THEN c.received_at + interval '10 hours' END,
        CASE WHEN (c.id + a.id) %% 20 = 17 THEN 'No longer needed.' ELSE '' END
    FROM contacts_contact c JOIN accounts_agency a ON a.slug IN ('police', 'health')
    WHERE c.received_at < %(open_from)s AND c.id %% 5 < 3
    """,
    # Decisions: every contact received before the open days, 6-90 h after receipt, with
    # an outcome drawn from the area's.
    """
    INSERT INTO enquiries_decision (contact_id, level_of_need_id, outcome_id, factor_codes,
        primary_need, rationale, receiving_team, decided_by_id, decided_at,
        amendment_reason, summary, worker_risks, rationale_shared, shared_findings)
    SELECT c.id, n.id, o.id, '["16A"]', 'N1', 'Bench decision.', '', %(manager)s,
        c.received_at + interval '1 hour' * (6 + (c.id * 7) %% 84), '', '', '', false, '[]'
    FROM contacts_contact c
    JOIN LATERAL (SELECT id FROM area_outcome ORDER BY id
                  OFFSET (c.id * 13) %% (SELECT count(*) FROM area_outcome) LIMIT 1) o ON true
    JOIN area_levelofneed n ON n.number = 1 + c.id %% 4
    WHERE c.received_at < %(open_from)s
    """,
    # Amendments: 3% of decisions, a day later, to the next outcome.
    """
    INSERT INTO enquiries_decision (contact_id, level_of_need_id, outcome_id, factor_codes,
        primary_need, rationale, receiving_team, decided_by_id, decided_at, amends_id,
        amendment_reason, summary, worker_risks, rationale_shared, shared_findings)
    SELECT d.contact_id, d.level_of_need_id,
        (SELECT id FROM area_outcome WHERE id <> d.outcome_id ORDER BY id LIMIT 1),
        '["16A"]', 'N1', 'Bench amendment.', '', %(manager)s, d.decided_at + interval '1 day',
        d.id, 'Bench reason.', '', '', false, '[]'
    FROM enquiries_decision d WHERE d.amends_id IS NULL AND d.contact_id %% 33 = 5
    """,
    # Each decision's child outcome (the subject child).
    """
    INSERT INTO enquiries_decisionchild (decision_id, person_id, level_of_need_id,
        outcome_id, primary_need, receiving_team)
    SELECT d.id, p.id, d.level_of_need_id, d.outcome_id, 'N1', ''
    FROM enquiries_decision d JOIN contacts_contactperson p
      ON p.contact_id = d.contact_id AND p.position = 0
    """,
    # Hand-ons of the original decisions to a queued team: 90% accepted, 4% returned
    # (and decided again 2 days later), the rest waiting.
    """
    INSERT INTO enquiries_handon (contact_id, decision_id, team, state, created_at,
        deadline_at, allocated_worker, worker_contact, responded_by_id, responded_at,
        return_reason)
    SELECT d.contact_id, d.id,
        CASE WHEN d.contact_id %% 2 = 0 THEN 'early_help' ELSE 'childrens_social_care' END,
        CASE WHEN d.contact_id %% 50 < 45 THEN 'accepted'
             WHEN d.contact_id %% 50 < 47 THEN 'returned' ELSE 'pending' END,
        d.decided_at, d.decided_at + interval '48 hours', '', '',
        CASE WHEN d.contact_id %% 50 < 47 THEN %(manager)s END,
        CASE WHEN d.contact_id %% 50 < 47 THEN d.decided_at + interval '20 hours' END,
        CASE WHEN d.contact_id %% 50 BETWEEN 45 AND 46 THEN 'Bench return.' ELSE '' END
    FROM enquiries_decision d WHERE d.amends_id IS NULL AND d.contact_id %% 3 <> 0
    """,
    """
    INSERT INTO enquiries_decision (contact_id, level_of_need_id, outcome_id, factor_codes,
        primary_need, rationale, receiving_team, decided_by_id, decided_at, amends_id,
        amendment_reason, summary, worker_risks, rationale_shared, shared_findings)
    SELECT h.contact_id, d.level_of_need_id, d.outcome_id, '["16A"]', 'N1', 'Decided again.',
        '', %(manager)s, h.responded_at + interval '2 days', d.id, 'Returned.', '', '',
        false, '[]'
    FROM enquiries_handon h JOIN enquiries_decision d ON d.id = h.decision_id
    WHERE h.state = 'returned' AND NOT EXISTS (
        SELECT 1 FROM enquiries_decision x WHERE x.amends_id = d.id)
    """,
    # The contacts' states, as the workflow would leave them.
    """
    UPDATE contacts_contact c SET state = CASE
        WHEN EXISTS (SELECT 1 FROM enquiries_handon h WHERE h.contact_id = c.id
                     AND h.state = 'pending') THEN 'handed_on'
        WHEN EXISTS (SELECT 1 FROM enquiries_decision d WHERE d.contact_id = c.id)
            THEN 'closed'
        ELSE c.state END
    """,
]


def phase_fixture(days: int, per_day: int, seed: int) -> dict[str, Any]:
    """Write the benchmark fixture (see the module's docstring): contacts and people with
    bulk_create, the rest in SQL."""
    django_setup()
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from openmash.accounts.models import User
    from openmash.area.calendar import LONDON
    from openmash.contacts.codes import (
        Channel,
        ConsentStatus,
        ContactState,
        LawfulBasis,
        PersonRole,
    )
    from openmash.contacts.models import Contact, ContactPerson

    began = time.perf_counter()
    rng = random.Random(seed)
    today = timezone.localdate(timezone.now(), LONDON)
    first = today - timedelta(days=days - 1)
    open_from = datetime.combine(today - timedelta(days=OPEN_DAYS - 1), datetime.min.time(), LONDON)
    screener = User.objects.get(username="screener")
    manager = User.objects.get(username="manager")
    families = max(1, days * per_day * 2 // 3)  # a third of contacts are about a known child
    sources = ["2A", "3A", "3E", "6", "6", "6", "1A", "5C", "8", "9"]
    channels = list(Channel.values)
    total = days * per_day
    made = 0
    while made < total:
        batch = min(BATCH, total - made)
        contacts, people = [], []
        for n in range(made, made + batch):
            day = first + timedelta(days=n // per_day)
            hour = rng.choices(range(24), weights=[1] * 8 + [8] * 9 + [2] * 7)[0]
            received = datetime.combine(day, datetime.min.time(), LONDON) + timedelta(
                hours=hour, minutes=rng.randrange(60)
            )
            if received > timezone.now():
                received = timezone.now() - timedelta(minutes=rng.randrange(1, 600))
            contacts.append(
                Contact(
                    reference=f"BENCH-{n:07d}",
                    state=ContactState.RECEIVED,
                    received_at=received,
                    recorded_at=received,
                    channel=rng.choice(channels),
                    referral_source=rng.choice(sources),
                    referrer_organisation=f"Organisation {rng.randrange(60)}",
                    concern_description="Bench fixture.",
                    immediate_risk=n % 20 == 0,
                    consent_status=ConsentStatus.values[0],
                    lawful_basis=LawfulBasis.values[0],
                    deadline_at=received + timedelta(hours=72),
                )
            )
        with transaction.atomic():
            Contact.objects.bulk_create(contacts, batch_size=1000)
            for contact in contacts:
                family = rng.randrange(families)
                nhs = f"9{family:09d}"
                people.append(
                    ContactPerson(
                        contact=contact,
                        position=0,
                        role=PersonRole.SUBJECT_CHILD,
                        given_names=f"Child{family}",
                        family_name=f"Family{family % 5000}",
                        date_of_birth=date(2010, 1, 1) + timedelta(days=family % 5000),
                        nhs_number=nhs if family % 4 else "",
                    )
                )
                people.append(
                    ContactPerson(
                        contact=contact,
                        position=1,
                        role=PersonRole.PARENT_CARER,
                        given_names=f"Parent{family}",
                        family_name=f"Family{family % 5000}",
                    )
                )
            ContactPerson.objects.bulk_create(people, batch_size=2000)
        made += batch
        log(f"  {made:,} of {total:,} contacts")
    steps = []
    with transaction.atomic(), connection.cursor() as cursor:
        params = {"screener": screener.pk, "manager": manager.pk, "open_from": open_from}
        for sql in FIXTURE_SQL:
            step = time.perf_counter()
            cursor.execute(sql, params)
            steps.append({"rows": cursor.rowcount, "s": round(time.perf_counter() - step, 1)})
    loaded_s = time.perf_counter() - began
    # Statistics for the planner before the rebuild reads the bulk-loaded tables
    # (autovacuum is off on these machines): without them the rebuild's look-ups took
    # about a minute for each 2,000 contacts, with them seconds.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  fixture written in {loaded_s:.0f} s; rebuilding the facts")
    rebuilt = time.perf_counter()
    from openmash.metrics.facts import facts_rebuild

    facts = facts_rebuild()
    return {
        "contacts": total,
        "load_s": loaded_s,
        "sql_steps": steps,
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
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from openmash.accounts.models import Agency, User
    from openmash.area.calendar import LONDON

    settings.ALLOWED_HOSTS = ["*"]
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
    }
    client = Client()
    manager = User.objects.get(username="manager")
    client.force_login(manager)
    # Past the second factor, as django-otp's login() leaves a session after a good code
    # (seed_demo gives every demo user an authenticator).
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = (
        TOTPDevice.objects.filter(user=manager, confirmed=True).get().persistent_id
    )
    session.save()
    results: dict[str, Any] = {}
    for name, (path, query) in pages.items():
        # The first request of a page in this process: nothing of it reused yet.
        began = time.perf_counter()
        response = client.get(path, query)
        first_ms = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (name, response.status_code)
        for _ in range(WARMUP - 1):
            response = client.get(path, query)
            assert response.status_code == 200, (name, response.status_code)
        times = []
        rounds = TIMED if "PDF" not in name else max(3, TIMED // 3)
        for _ in range(rounds):
            began = time.perf_counter()
            client.get(path, query)
            times.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(path, query)
        results[name] = {
            "first_ms": first_ms,
            "median_ms": median(times),
            "p95_ms": percentile(times, 95),
            "queries": len(captured.captured_queries),
            "runs": rounds,
        }
        log(
            f"  {name}: first {first_ms:.0f} ms, median {median(times):.0f} ms, "
            f"p95 {percentile(times, 95):.0f} ms"
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
            finally:
                pg_drop(PG_DATABASE)
    span = runs[big]["span_days"]
    figures = []
    for name, measured in runs[big]["pages"].items():
        before = runs[big].get("baseline", {}).get("pages", {}).get(name)
        other = runs[peer]["pages"][name]
        for statistic, label in (("p95_ms", "p95"), ("median_ms", "median")):
            if before is not None:
                figures.append(
                    Figure(
                        f"{name}: {label}, {span} days on {big} days of data",
                        measured[statistic],
                        "ms",
                        "before this change (same fixture)",
                        before[statistic],
                    )
                )
            else:
                figures.append(
                    Figure(
                        f"{name}: {label}, {span} days on {big} days of data",
                        measured[statistic],
                        "ms",
                        f"{label} on {peer} days ({runs[peer]['span_days']}-day period)",
                        other[statistic],
                    )
                )
        figures.append(
            Figure(
                f"{name}: first request in a new process, {span} days on {big} days",
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
            "Measured on a busy shared 2-core machine (other helpers' tests and "
            "benchmarks were running): read the ratios more than the absolute times.",
            f"In-process (Django test Client), median and 95th percentile of {TIMED} "
            f"requests after {WARMUP} warm-up requests (the PDF: {max(3, TIMED // 3)}); "
            "the first request of each page in a new process is reported apart (work "
            "the pages reuse, ADR 0032, is not there yet).",
            "ANALYZE after every bulk load (autovacuum is off on these machines).",
        ],
        extra={str(days): run for days, run in runs.items()},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
