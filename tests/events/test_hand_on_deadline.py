"""A hand-on's acceptance deadline, and whether it is overdue, in its events and in the
receiving team's hand-ons API (GET /api/v1/hand-ons, /hand-ons/{id})."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.enquiries.models import HandOn
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.events.models import Event
from tests.events.test_feed import system_of

pytestmark = pytest.mark.django_db


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_hand_on_event_carries_its_deadline(
    hand_on_to_early_help: Callable[[], HandOn],
) -> None:
    hand_on = hand_on_to_early_help()
    hand_on.refresh_from_db()
    created = Event.objects.get(kind="hand_on.created")

    assert hand_on.deadline_at is not None
    assert created.payload["deadline_at"] == hand_on.deadline_at.isoformat()
    assert created.payload["overdue"] is False


def test_a_hand_on_accepted_late_is_no_longer_overdue_in_its_event(
    hand_on_to_early_help: Callable[[], HandOn], early_help_coordinator: User
) -> None:
    hand_on = hand_on_to_early_help()
    HandOn.objects.filter(pk=hand_on.pk).update(deadline_at=timezone.now() - timedelta(hours=1))
    hand_on_accept(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        allocated_worker="Sam Patel",
        worker_contact="01234 567890",
    )

    accepted = Event.objects.get(kind="hand_on.accepted").payload
    assert accepted["state"] == "accepted"
    assert moment(accepted["deadline_at"]) < moment(accepted["responded_at"])
    assert accepted["overdue"] is False


def test_the_hand_ons_api_says_when_each_is_due_and_whether_it_is_overdue(
    hand_on_to_early_help: Callable[[], HandOn], agencies: dict[str, Agency]
) -> None:
    due_later = hand_on_to_early_help()
    past_due = hand_on_to_early_help()
    before_timescale = hand_on_to_early_help()
    HandOn.objects.filter(pk=past_due.pk).update(deadline_at=timezone.now() - timedelta(hours=1))
    # Made before the acceptance timescale existed: worked out from when it was handed on.
    HandOn.objects.filter(pk=before_timescale.pk).update(deadline_at=None)
    client = system_of(agencies["early-help"])

    listed = {item["id"]: item for item in client.get("/api/v1/hand-ons").json()["hand_ons"]}
    one = client.get(f"/api/v1/hand-ons/{past_due.pk}").json()

    due_later.refresh_from_db()
    # The API gives times to the millisecond (Django's JSON encoder); a deadline inside
    # working hours keeps its microseconds (one worked out from an opening time has none).
    assert due_later.deadline_at is not None
    assert abs(moment(listed[due_later.pk]["deadline_at"]) - due_later.deadline_at) < timedelta(
        milliseconds=1
    )
    assert listed[due_later.pk]["overdue"] is False
    assert listed[past_due.pk]["overdue"] is True
    assert one["overdue"] is True
    assert moment(one["deadline_at"]) < timezone.now()
    assert moment(listed[before_timescale.pk]["deadline_at"]) > moment(
        listed[before_timescale.pk]["created_at"]
    )
    assert not HandOn.objects.filter(pk=before_timescale.pk, deadline_at__isnull=False).exists()
