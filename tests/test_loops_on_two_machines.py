"""Every background loop is safe to run on more than one machine at once (issue 14,
item 6): two of each, started together against one PostgreSQL, do the work once.

- the deadline loop's reminders and alerts: one per deadline and recipient (the
  Message.dedupe_key unique key settles two runs at once);
- the sealer: one chain, every event in exactly one seal (an advisory lock, then the
  latest seal re-read: openmash/core/audit_seals.py);
- the task worker (`manage.py db_worker`): each queued task run by one worker
  (django-tasks-db claims a row with SELECT ... FOR UPDATE SKIP LOCKED);
- retries of undelivered emails: each sent once (a conditional UPDATE claims each
  attempt; tests/enquiries/test_message_delivery.py also shows one due email);
- the account loop: each dormant account deactivated and audited once (a conditional
  UPDATE claims each account), ended sessions forgotten by both without error.
PostgreSQL only: SQLite has one writer, so two runs cannot overlap there.
"""

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openmash.accounts.models import User, UserSession
from openmash.accounts.services import users_dormant_deactivate
from openmash.accounts.sessions import sessions_forget_ended
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.audit_seals import audit_seal, audit_verify
from openmash.core.models import AuditEvent, AuditSeal
from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.message_delivery import messages_retry_due
from openmash.enquiries.models import Message, MessageStatus
from tests.factories import a_submission

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def at_the_same_moment(*calls: Callable[[], Any]) -> list[Any]:
    """Each call in its own thread and database connection, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a loop is stuck"
    return results


@pytest.fixture
def contacts(school_referrer: User, personas: dict[str, User]) -> list[Contact]:
    """Eight new contacts: each has a deadline, and MASH managers and screeners to remind."""
    return [
        contact_create(actor=Actor(user=school_referrer), submission=a_submission())[0]
        for _ in range(8)
    ]


def test_two_deadline_loops_at_once_send_each_reminder_once(contacts: list[Contact]) -> None:
    # Far enough on that every contact's deadline has passed.
    later = timezone.now() + timedelta(days=10)

    results = at_the_same_moment(
        lambda: deadline_alerts_send(now=later), lambda: deadline_alerts_send(now=later)
    )

    assert all(isinstance(result, int) for result in results), results
    keys = list(Message.objects.values_list("dedupe_key", flat=True))
    assert keys and len(keys) == len(set(keys))
    assert sum(results) == len(keys)
    sent = Counter((email.to[0], email.subject) for email in mail.outbox)
    assert sent and max(sent.values()) == 1
    assert deadline_alerts_send(now=later) == 0


def test_two_sealers_at_once_make_one_chain(contacts: list[Contact]) -> None:
    later = timezone.now() + timedelta(minutes=10)

    results = at_the_same_moment(
        lambda: audit_seal(now=later, max_events_per_seal=5),
        lambda: audit_seal(now=later, max_events_per_seal=5),
    )

    assert not any(isinstance(result, Exception) for result in results), results
    seals = list(AuditSeal.objects.order_by("first_event_id"))
    covered = [
        event_id
        for seal in seals
        for event_id in range(seal.first_event_id, seal.last_event_id + 1)
    ]
    assert len(covered) == len(set(covered))
    assert covered[-1] == AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    assert sum(len(result) for result in results) == len(seals)
    assert audit_verify().passed


def test_two_email_retry_loops_at_once_send_each_email_once(contacts: list[Contact]) -> None:
    later = timezone.now() + timedelta(days=10)
    deadline_alerts_send(now=later)
    mail.outbox.clear()
    Message.objects.update(status=MessageStatus.FAILED, next_attempt_at=later)
    failed = Message.objects.count()

    results = at_the_same_moment(
        lambda: messages_retry_due(now=later), lambda: messages_retry_due(now=later)
    )

    assert sum(results) == failed
    assert len(mail.outbox) == failed
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_two_account_loops_at_once_deactivate_each_dormant_account_once(
    personas: dict[str, User], settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    now = timezone.now()
    User.objects.update(date_joined=now - timedelta(days=400), last_login=now - timedelta(days=91))
    UserSession.objects.bulk_create(
        UserSession(
            user=user,
            session_key=f"ended-{user.pk}",
            signed_in_at=now - timedelta(days=91),
            last_seen_at=now - timedelta(days=91),
        )
        for user in personas.values()
    )

    def one_run() -> list[int]:
        deactivated = users_dormant_deactivate(now=now)
        sessions_forget_ended(now=now)
        return deactivated

    results = at_the_same_moment(one_run, one_run)

    assert not any(isinstance(result, Exception) for result in results), results
    deactivated = [user_id for result in results for user_id in result]
    assert sorted(deactivated) == sorted(user.pk for user in personas.values())
    events = Counter(
        AuditEvent.objects.filter(detail__reason="dormant").values_list("object_id", flat=True)
    )
    assert len(events) == len(personas) and set(events.values()) == {1}
    assert not User.objects.filter(is_active=True).exists()
    assert not UserSession.objects.exists()


def test_two_task_workers_at_once_run_each_task_once(db: None) -> None:
    """Two `manage.py db_worker` processes (as on two machines) drain one queue."""
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "openmash.settings.local",
        "DATABASE_URL": url,
    }
    enqueue = (
        "import django; django.setup(); "
        "from openmash.core.tasks import record_worker_heartbeat; "
        "[record_worker_heartbeat.enqueue(every_seconds=n) for n in range(40)]"
    )
    subprocess.run([sys.executable, "-c", enqueue], cwd=ROOT, env=env, check=True, timeout=120)
    assert DBTaskResult.objects.count() == 40

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--interval",
                "0.05",
                "--worker-id",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in ("machine-a", "machine-b")
    ]
    for worker in workers:
        assert worker.wait(timeout=300) == 0

    results = list(DBTaskResult.objects.values_list("status", "worker_ids"))
    assert {status for status, _ in results} == {"SUCCESSFUL"}
    assert all(len(worker_ids) == 1 for _, worker_ids in results), results
