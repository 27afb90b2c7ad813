"""/healthz (issue 14, item 6): the database, each background loop's heartbeat and the
audit seals' freshness, as JSON for a load balancer or monitor; no sign-in, no personal
data."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.test import Client, override_settings
from django.utils import timezone

from openmash.contacts.models import Contact
from openmash.core.heartbeats import health_report, heartbeat_record
from openmash.core.models import AuditEvent, Heartbeat
from openmash.core.tasks import record_worker_heartbeat

LOOPS = ["db_worker", "deadline_alerts", "seal_audit"]


def _all_loops_beat(now: object = None) -> None:
    for loop in LOOPS:
        heartbeat_record(loop=loop, every_seconds=300)


def test_it_answers_200_when_the_database_loops_and_seals_are_well(db: None) -> None:
    _all_loops_beat()
    call_command("seal_audit", settle_seconds=0, stdout=StringIO())

    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", *LOOPS, "audit_seal"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_answers_503_naming_a_loop_that_stopped(db: None) -> None:
    _all_loops_beat()
    Heartbeat.objects.filter(loop="db_worker").update(
        beat_at=timezone.now() - timedelta(minutes=16)
    )

    response = Client().get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["db_worker"]["ok"] is False
    assert checks["db_worker"]["age_seconds"] >= 16 * 60
    assert checks["deadline_alerts"]["ok"] is True


def test_it_answers_503_for_a_loop_that_never_ran(db: None) -> None:
    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["seal_audit"] == {"ok": False, "last_beat": None}


@override_settings(AUDIT_SEAL_STALE_MINUTES=30)
def test_it_answers_503_when_audit_events_wait_too_long_for_a_seal(
    school_contact: Contact,
) -> None:
    _all_loops_beat()
    old = AuditEvent.objects.order_by("id").first()
    assert old is not None

    response = Client().get("/healthz")
    later = timezone.now() + timedelta(minutes=31)
    late = health_report(now=later).checks["audit_seal"]

    assert response.json()["checks"]["audit_seal"]["ok"] is True
    assert late["ok"] is False
    assert late["events_waiting"] >= 1


def test_it_answers_503_when_the_database_does_not(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr("openmash.core.heartbeats.audit_seal_status", down)

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "fail", "checks": {"database": {"ok": False}}}


def test_it_holds_no_personal_data(school_contact: Contact) -> None:
    _all_loops_beat()
    child = school_contact.people.get(position=0)

    body = Client().get("/healthz").content.decode()

    assert child.family_name not in body
    assert school_contact.reference not in body
    assert set(json.loads(body)) == {"status", "checks"}


def test_each_loop_records_its_heartbeat(db: None) -> None:
    call_command("seal_audit", stdout=StringIO())
    call_command("deadline_alerts", stdout=StringIO())  # tests run tasks at once
    call_command("deliver_events", stdout=StringIO())
    record_worker_heartbeat.enqueue(every_seconds=60)

    beats = dict(Heartbeat.objects.values_list("loop", "every_seconds"))

    assert set(beats) == {"seal_audit", "deadline_alerts", "db_worker", "deliver_events"}
    assert beats["db_worker"] == 60
