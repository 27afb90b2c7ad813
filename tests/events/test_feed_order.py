"""The feed's cursor never skips an event: a later sequence cannot commit before an earlier
one, because the publishing transaction holds the sequence until it ends. PostgreSQL only
(SQLite serialises every writing transaction anyway).

Run with: DATABASE_URL=postgres://... pytest tests/events/test_feed_order.py
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from openmash.core.outbox import EventKind
from openmash.enquiries.models import HandOn
from openmash.events.publishing import event_record

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_a_second_publisher_waits_for_the_first_to_commit(
    hand_on_to_early_help: Callable[[], HandOn],
) -> None:
    first, second = hand_on_to_early_help(), hand_on_to_early_help()
    first_published, release_first = threading.Event(), threading.Event()
    happened: list[Any] = []

    def publish_and_hold() -> None:
        try:
            with transaction.atomic():
                [event] = event_record(EventKind.HAND_ON_ACCEPTED, HandOn.objects.get(pk=first.pk))
                first_published.set()
                release_first.wait(10)
                happened.append(("first commits", event.sequence))
        finally:
            connection.close()

    def publish_next() -> None:
        first_published.wait(10)
        try:
            with transaction.atomic():
                [event] = event_record(EventKind.HAND_ON_ACCEPTED, HandOn.objects.get(pk=second.pk))
            happened.append(("second commits", event.sequence))
        finally:
            connection.close()

    threads = [threading.Thread(target=publish_and_hold), threading.Thread(target=publish_next)]
    for thread in threads:
        thread.start()
    assert first_published.wait(10)
    time.sleep(0.5)
    # The second publisher is still waiting for the sequence.
    assert happened == []
    release_first.set()
    for thread in threads:
        thread.join(10)

    assert [what for what, _ in happened] == ["first commits", "second commits"]
    assert happened[1][1] == happened[0][1] + 1
