"""The MASH's working pages with 2,000 open contacts and 3,000 or 250,000 historic ones.

On a throwaway PostgreSQL database, in one run:

1. agencies and users from `seed_demo --days 0`; the contact fixture of contact_list.py
   (bulk_create) up to 5,000 contacts, then up to 252,000;
2. a BENCHMARK FIXTURE for the enquiry (not demo data): the 2,000 newest contacts made
   open and recent (600 received, 300 being screened, 900 with police, health and
   education checks requested, 200 awaiting a decision with every agency's findings),
   each rated; every other contact closed with a decision;
3. at each size, in-process with Django's test Client (median of 20 after warm-up) and
   with its query count: the screening queue (screener), the police check queue (police
   researcher), the decision page of a contact awaiting decision (manager), the screening
   page of a contact about a child with earlier contacts, that child's chronology, and
   early help's hand-on queue (HAND_ONS_PENDING cases waiting, with their age and
   acceptance deadline, and the recently answered ones).

    .venv/bin/python bench/mash_queues.py [--quick]     # --quick: 20,000 instead of 252,000
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Figure,
    django_env,
    django_setup,
    load_note,
    log,
    manage,
    median,
    percentile,
    pg_create,
    pg_drop,
    pg_vacuum_analyze,
    phase,
    scratch_dir,
    signed_in_client,
    stop_cleanly_on_sigterm,
    write_results,
)

NAME = "mash_queues"
# BENCH_QUEUES_DATABASE: another openmash_bench* name, so two runs at once do not collide.
PG_DATABASE = os.environ.get("BENCH_QUEUES_DATABASE", "openmash_bench_queues")
OPEN = 2_000
OPEN_MARK = "bench-open"
STATES = [("received", 600), ("screening", 300), ("checks_in_progress", 900)]
TIMED_REQUESTS = 20
WARMUP_REQUESTS = 3
BATCH = 5_000
# Cases handed on to early help from the closed contacts: waiting, and already accepted.
HAND_ONS_PENDING = 300
HAND_ONS_ACCEPTED = 100


def phase_enquiries(seed: int) -> dict[str, Any]:
    """Make the newest OPEN contacts open and recent, and close every other one."""
    django_setup()
    import random

    from django.db import transaction
    from django.utils import timezone

    from openmash.accounts.models import Agency, User
    from openmash.area.deadlines import check_deadline, decision_deadline
    from openmash.area.models import LevelOfNeed, Outcome, RagLevel
    from openmash.contacts.models import Contact, ContactPerson
    from openmash.enquiries.models import AgencyCheck, CheckFinding, Decision, RagRating

    rng = random.Random(seed)
    began = time.perf_counter()
    now = timezone.now()
    screener = User.objects.get(username="screener")
    manager = User.objects.get(username="manager")
    levels = {level.code: level for level in RagLevel.objects.all()}
    outcomes = list(Outcome.objects.exclude(code="already_open"))
    need = {level.number: level for level in LevelOfNeed.objects.all()}
    agencies = list(Agency.objects.filter(slug__in=["police", "health", "education"]))

    with transaction.atomic():
        if not Contact.objects.filter(received_at_reason=OPEN_MARK).exists():
            newest = list(
                Contact.objects.order_by("-received_at", "-id").values_list("pk", flat=True)[:OPEN]
            )
            states = [state for state, n in STATES for _ in range(n)]
            states += ["awaiting_decision"] * (OPEN - len(states))
            ratings, checks = [], []
            for pk, state in zip(newest, states, strict=True):
                received_at = now - timedelta(hours=rng.uniform(0.1, 70))
                code = rng.choice(["red", "amber", "amber", "green"])
                level = levels[code]
                deadline = decision_deadline(received_at=received_at, level=level)
                rated = state != "received"
                Contact.objects.filter(pk=pk).update(
                    state=state,
                    received_at=received_at,
                    recorded_at=received_at,
                    received_at_reason=OPEN_MARK,
                    rag_level=level if rated else None,
                    deadline_at=deadline,
                    assigned_to=screener if rated else None,
                    assigned_at=received_at + timedelta(minutes=20) if rated else None,
                )
                if rated:
                    ratings.append(
                        RagRating(
                            contact_id=pk,
                            level=level,
                            rationale="Benchmark fixture rating.",
                            deadline_at=deadline,
                            set_by=screener,
                            set_at=received_at + timedelta(minutes=30),
                        )
                    )
                if state in ("checks_in_progress", "awaiting_decision"):
                    requested_at = received_at + timedelta(minutes=40)
                    for agency in agencies:
                        checks.append(
                            AgencyCheck(
                                contact_id=pk,
                                contact_received_at=received_at,
                                agency=agency,
                                state="requested" if state == "checks_in_progress" else "completed",
                                requested_by=screener,
                                requested_at=requested_at,
                                deadline_at=check_deadline(requested_at=requested_at, level=level),
                                completed_at=None
                                if state == "checks_in_progress"
                                else requested_at + timedelta(hours=2),
                            )
                        )
            RagRating.objects.bulk_create(ratings, batch_size=BATCH)
            AgencyCheck.objects.bulk_create(checks, batch_size=BATCH)
            completed = AgencyCheck.objects.filter(state="completed").values_list(
                "pk", "contact_id"
            )
            people: dict[int, list[int]] = {}
            for person_id, contact_id in ContactPerson.objects.filter(
                contact__state="awaiting_decision"
            ).values_list("pk", "contact_id"):
                people.setdefault(contact_id, []).append(person_id)
            CheckFinding.objects.bulk_create(
                (
                    CheckFinding(
                        agency_check_id=check_id,
                        person_id=person_id,
                        known=rng.random() < 0.4,
                        summary="Two incidents recorded at the address in the last year.",
                        risk_indicators="Domestic abuse",
                        lawful_basis="public_task_safeguarding",
                    )
                    for check_id, contact_id in completed
                    for person_id in people.get(contact_id, [])
                ),
                batch_size=BATCH,
            )
    closed = Contact.objects.exclude(received_at_reason=OPEN_MARK).exclude(
        state__in=["closed", "handed_on"]
    )
    ids = list(closed.values_list("pk", "received_at"))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            Contact.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
                state="closed", rag_level=levels["amber"]
            )
            decisions = []
            for pk, received_at in chunk:
                outcome = rng.choice(outcomes)
                decisions.append(
                    Decision(
                        contact_id=pk,
                        level_of_need=need[rng.choice([1, 2, 3, 4])],
                        outcome=outcome,
                        factor_codes=[],
                        primary_need="N1",
                        rationale="Benchmark fixture decision.",
                        receiving_team="",
                        decided_by=manager,
                        decided_at=received_at + timedelta(hours=20),
                    )
                )
            Decision.objects.bulk_create(decisions)
    hand_ons = _hand_on_fixture(rng, now)
    return {
        "hand_ons": hand_ons,
        "closed_now": len(ids),
        "open": Contact.objects.filter(received_at_reason=OPEN_MARK).count(),
        "contacts": Contact.objects.count(),
        "decisions": Decision.objects.count(),
        "elapsed_s": time.perf_counter() - began,
    }


def _hand_on_fixture(rng: Any, now: Any) -> int:
    """Once: the newest closed contacts handed on to early help, HAND_ONS_PENDING waiting
    (handed on in the last 5 days, so some are past the acceptance deadline) and
    HAND_ONS_ACCEPTED accepted."""
    from django.db import transaction

    from openmash.accounts.models import User
    from openmash.area.calendar import calendar_for_area
    from openmash.area.deadlines import hand_on_deadline
    from openmash.area.models import Outcome, WorkingHours
    from openmash.contacts.models import Contact
    from openmash.enquiries.models import Decision, HandOn

    if HandOn.objects.exists():
        return HandOn.objects.count()
    coordinator = User.objects.get(username="earlyhelp")
    early_help = Outcome.objects.filter(hand_on_to="early_help").order_by("order").first()
    assert early_help is not None
    hours, calendar = WorkingHours.objects.first() or WorkingHours(), calendar_for_area()
    total = HAND_ONS_PENDING + HAND_ONS_ACCEPTED
    decisions = list(
        Decision.objects.filter(contact__state="closed")
        .order_by("-contact__received_at", "-contact_id")
        .values_list("pk", "contact_id", "contact__received_at")[:total]
    )
    made = []
    with transaction.atomic():
        Decision.objects.filter(pk__in=[pk for pk, _, _ in decisions]).update(
            outcome=early_help, receiving_team="Eastbridge early help hub"
        )
        for number, (decision_id, contact_id, received_at) in enumerate(decisions):
            created_at = now - timedelta(hours=rng.uniform(0.5, 120))
            pending = number < HAND_ONS_PENDING
            made.append(
                HandOn(
                    contact_id=contact_id,
                    contact_received_at=received_at,
                    decision_id=decision_id,
                    team="early_help",
                    state="pending" if pending else "accepted",
                    created_at=created_at,
                    deadline_at=hand_on_deadline(
                        handed_on_at=created_at, hours=hours, calendar=calendar
                    ),
                    responded_by=None if pending else coordinator,
                    responded_at=None if pending else created_at + timedelta(hours=3),
                    allocated_worker="" if pending else "Sam Patel",
                )
            )
        HandOn.objects.bulk_create(made, batch_size=BATCH)
        Contact.objects.filter(
            pk__in=[contact_id for _, contact_id in decisions[:HAND_ONS_PENDING]]
        ).update(state="handed_on")
    return len(made)


def _timed(client: Any, path: str) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP_REQUESTS):
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} gave {response.status_code}")
    times = []
    for _ in range(TIMED_REQUESTS):
        began = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - began)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return {
        "path": path,
        "median_ms": median(times) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "queries": len(captured.captured_queries),
        "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 2),
    }


def phase_pages() -> dict[str, Any]:
    django_setup()
    from django.db.models import Count
    from django.urls import reverse

    from openmash.contacts.models import Contact, ContactPerson
    from openmash.enquiries.models import AgencyCheck, HandOn

    awaiting = Contact.objects.filter(state="awaiting_decision").order_by("deadline_at").first()
    assert awaiting is not None
    check = AgencyCheck.objects.filter(agency__slug="police", state="requested").first()
    assert check is not None
    # An open contact about a child with the most earlier contacts (same NHS number).
    repeat = (
        ContactPerson.objects.exclude(nhs_number="")
        .values("nhs_number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n")
        .first()
    )
    child = (
        ContactPerson.objects.filter(
            nhs_number=repeat["nhs_number"] if repeat else "", contact__state="received"
        ).first()
        or ContactPerson.objects.filter(contact__state="received").first()
    )
    assert child is not None
    screener, police, manager, early_help = (
        signed_in_client("screener"),
        signed_in_client("police.researcher"),
        signed_in_client("manager"),
        signed_in_client("earlyhelp"),
    )
    return {
        "contacts": Contact.objects.count(),
        "open": Contact.objects.filter(received_at_reason=OPEN_MARK).count(),
        "child_contacts": ContactPerson.objects.filter(nhs_number=child.nhs_number).count()
        if child.nhs_number
        else 1,
        "screening_queue": _timed(screener, reverse("enquiries:screening-queue")),
        "check_queue": _timed(police, reverse("enquiries:check-queue")),
        "check_page": _timed(police, reverse("enquiries:check", args=[check.pk])),
        "decision_page": _timed(manager, reverse("enquiries:decision", args=[awaiting.reference])),
        "screening_page": _timed(
            screener, reverse("enquiries:screening", args=[child.contact.reference])
        ),
        "chronology": _timed(screener, reverse("enquiries:child-chronology", args=[child.pk])),
        "hand_on_queue": _timed(early_help, reverse("enquiries:hand-on-queue")),
        "immediate_risk_open": Contact.objects.filter(
            received_at_reason=OPEN_MARK, immediate_risk=True
        ).count(),
        "hand_ons_pending": HandOn.objects.filter(state="pending").count(),
    }


PAGES = [
    ("screening_queue", "Screening queue (screener), page 1 of the open contacts"),
    ("check_queue", "Police check queue (police researcher)"),
    ("check_page", "One police check (police researcher)"),
    ("decision_page", "Decision page with three agencies' findings (manager)"),
    ("screening_page", "Screening page of a contact about a child with earlier contacts"),
    ("chronology", "That child's chronology"),
    ("hand_on_queue", "Early help's hand-on queue, with age and acceptance deadline"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 instead of 252,000")
    parser.add_argument("--phase", choices=["enquiries", "pages"], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=2026, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "enquiries":
        print(json.dumps(phase_enquiries(args.seed)))
        return 0
    if args.phase == "pages":
        print(json.dumps(phase_pages()))
        return 0

    small, large = (5_000, 20_000) if args.quick else (5_000, 252_000)
    command = ".venv/bin/python bench/mash_queues.py" + (" --quick" if args.quick else "")
    sizes: dict[int, dict[str, Any]] = {}
    with scratch_dir("openmash-bench-queues-") as var_dir:
        try:
            url = pg_create(PG_DATABASE)
            env = django_env(url, var_dir)
            log("migrate; agencies and users (seed_demo --days 0)")
            manage(["migrate", "--no-input", "-v0"], env)
            manage(["seed_demo", "--days", "0"], env)
            for size in (small, large):
                log(f"contact fixture up to {size:,} contacts")
                phase("contact_list.py", ["--phase", "fixture", "--target", str(size)], env)
                log("enquiry fixture: 2,000 open, the rest closed with decisions")
                fixture = phase("mash_queues.py", ["--phase", "enquiries"], env)
                pg_vacuum_analyze(url)
                load_before = os.getloadavg()
                pages = phase("mash_queues.py", ["--phase", "pages"], env)
                pages["fixture"] = fixture
                pages["load_average"] = (load_before, os.getloadavg())
                sizes[size] = pages
                log(
                    f"{pages['contacts']:,} contacts: "
                    + ", ".join(
                        f"{key} {pages[key]['median_ms']:.0f} ms/{pages[key]['queries']}q"
                        for key, _ in PAGES
                    )
                )
        finally:
            pg_drop(PG_DATABASE)

    s, big = sizes[small], sizes[large]
    historic_big = big["contacts"] - big["open"]
    historic_small = s["contacts"] - s["open"]
    peer = f"{historic_small:,} historic (same run)"
    figures: list[Figure] = []
    for key, label in PAGES:
        figures.append(
            Figure(
                f"{label}, {historic_big:,} historic + {big['open']:,} open contacts",
                round(big[key]["median_ms"], 1),
                "ms (median of 20, in-process)",
                peer,
                round(s[key]["median_ms"], 1),
                command,
            )
        )
        figures.append(
            Figure(
                f"{label}, 95th percentile, {historic_big:,} historic + {big['open']:,} open",
                round(big[key]["p95_ms"], 1),
                "ms (95th percentile of 20, in-process)",
                peer,
                round(s[key]["p95_ms"], 1),
                command,
            )
        )
        figures.append(
            Figure(
                f"Queries: {label}",
                big[key]["queries"],
                "queries",
                peer,
                s[key]["queries"],
                command,
            )
        )
    write_results(
        NAME,
        f"MASH working pages with {big['open']:,} open and {historic_big:,} historic contacts",
        figures,
        command,
        "The screening queue (immediate risk and red first, with their markers), an "
        "agency's check queue, a check, the decision page, the screening page, a child's "
        "chronology and early help's hand-on queue (with each case's age and acceptance "
        "deadline) on PostgreSQL, at a small and a large history in the same run.",
        [
            "In-process with Django's test Client, signed in past the second factor "
            "(bench/_common.signed_in_client): median of 20 after 3 warm-up requests; the query "
            "count is one further request, counted with CaptureQueriesContext. Every page view "
            "also writes its audit events.",
            load_note(
                "while the pages were measured",
                [
                    (f"at the {name} size", *sizes[size]["load_average"])
                    for name, size in (("small", small), ("large", large))
                ],
            ),
            "Fixture: contacts from contact_list.py's bulk fixture; then the 2,000 newest made "
            "open and received in the last 70 hours (600 received, 300 being screened, 900 "
            "with police, health and education checks requested, 200 awaiting a decision with "
            "all three agencies' findings), every other contact closed with a decision. Not "
            "demo data; see phase_enquiries in bench/mash_queues.py.",
            f"The chronology and screening page are for a child named in "
            f"{big['child_contacts']} contacts at the large size.",
            f"Of the open contacts, {big['immediate_risk_open']:,} have a child at immediate "
            "risk (the contact fixture's 8%), sorted and marked first in the screening queue. "
            f"The hand-on queue lists {big['hand_ons_pending']:,} cases waiting for early "
            f"help (handed on in the last 5 days, some past the acceptance deadline) and the "
            "recently answered ones.",
        ],
        extra={"sizes": {str(size): value for size, value in sizes.items()}},
    )
    return 0


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
