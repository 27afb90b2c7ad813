"""The retention job on two machines at once (issue 14, items 6 and 8): two runs started
together against one PostgreSQL anonymise each due contact once, with one audit event
each. The run lock (a PostgreSQL advisory lock) keeps the second out while the first
runs; each record's unique disposal key would stop a second anyway, shown here by two
runs that skip the lock. PostgreSQL only: SQLite has one writer, so runs cannot overlap."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest
from django.db import connection

from openmash.core.models import AuditAction, AuditEvent
from openmash.governance import retention
from openmash.governance.models import Disposal, RecordType
from openmash.governance.retention import retention_apply, retention_plan
from tests.governance.conftest import IN_2027, RetentionHub, at
from tests.test_loops_on_two_machines import at_the_same_moment

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def many_due(hub: RetentionHub) -> RetentionHub:
    for n in range(6):
        hub.closed(f"N{n}", at(2019, 2, 1 + n), (f"Child{n}", f"Family{n}", date(2012, 1, 1 + n)))
    return hub


def assert_each_done_once(hub: RetentionHub) -> None:
    contacts = Counter(
        Disposal.objects.filter(object_type="contact").values_list("contact_id", flat=True)
    )
    assert sorted(contacts) == sorted(hub.pk(f"N{n}") for n in range(6))
    assert set(contacts.values()) == {1}
    events = Counter(
        AuditEvent.objects.filter(
            object_type="contact", action=AuditAction.UPDATE, detail__system="retention"
        ).values_list("contact_id", flat=True)
    )
    assert set(events.values()) == {1} and len(events) == 6
    assert retention_plan(now=IN_2027).due[RecordType.CONTACT_NO_ASSESSMENT] == []


def test_two_runs_at_once_anonymise_each_contact_once(many_due: RetentionHub) -> None:
    results = at_the_same_moment(
        lambda: retention_apply(now=IN_2027), lambda: retention_apply(now=IN_2027)
    )

    assert not any(isinstance(result, Exception) for result in results), results
    assert_each_done_once(many_due)


@contextmanager
def no_run_lock() -> Iterator[None]:
    @contextmanager
    def always() -> Iterator[bool]:
        yield True

    with mock.patch.object(retention, "_run_lock", always):
        yield


def test_without_the_run_lock_each_contact_is_still_done_once(many_due: RetentionHub) -> None:
    with no_run_lock():
        results = at_the_same_moment(
            lambda: retention_apply(now=IN_2027), lambda: retention_apply(now=IN_2027)
        )

    assert not any(isinstance(result, Exception) for result in results), results
    done = [result.done.get(RecordType.CONTACT_NO_ASSESSMENT, 0) for result in results]
    assert sum(done) == 6
    assert_each_done_once(many_due)
