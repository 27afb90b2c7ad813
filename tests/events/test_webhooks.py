"""Events arrive at a receiving team's own system: a local receiving server on 127.0.0.1
takes the webhooks, checks their signatures and keeps each event id once."""

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.accounts.services import api_token_issue
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import HandOn
from openmash.enquiries.selectors.summary import hand_on_summary
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.events.delivery import MAX_ATTEMPTS, deliveries_retry_due
from openmash.events.models import Delivery, DeliveryStatus, Event, WebhookEndpoint
from tests.enquiries.test_decision_views import POLICE_SUMMARY, RESTRICTED
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT
from tests.events.conftest import Receiver

HAND_ON_FIELDS = {
    "hand_on_id",
    "decision_id",
    "contact_id",
    "contact_reference",
    "state",
    "receiving_team",
    "level_of_need",
    "outcome",
    "children",
    "decided_at",
    "handed_on_at",
    "responded_at",
    "deadline_at",
    "overdue",
    "summary",
}
CHILD_FIELDS = {"person_id", "given_names", "family_name", "date_of_birth", "nhs_number", "address"}
# With each child, their own outcome in the decision (ADR 0022).
CHILD_OUTCOME_FIELDS = {"level_of_need", "outcome", "receiving_team"}


def feed(client: Client, after: int = 0, limit: int = 100) -> dict[str, Any]:
    response = client.get("/api/v1/events", {"after": after, "limit": limit})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def early_help_system(agencies: dict[str, Agency]) -> Client:
    _, secret = api_token_issue(
        agency=agencies["early-help"], name="Early help case system", issued_by="test"
    )
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_the_hand_on_arrives_signed_with_exactly_what_early_help_may_see(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.start()
    before = int(time.time())

    with django_capture_on_commit_callbacks(execute=True):
        hand_on = hand_on_to_early_help()

    kinds = [received.headers["OpenMASH-Event-Kind"] for received in receiver.requests]
    assert kinds == ["decision.recorded", "hand_on.created"]
    for received in receiver.requests:
        assert received.signature_valid
        assert received.headers["Content-Type"] == "application/json"
        assert received.headers["OpenMASH-Event-Id"] == received.document["id"]
        assert before <= int(received.headers["OpenMASH-Timestamp"]) <= time.time() + 1
        # Nothing the agencies found, nor the manager's rationale, crosses the fire wall.
        for withheld in (POLICE_SUMMARY, RESTRICTED, STEP_DOWN_INPUT.rationale, "Karen"):
            assert withheld.encode() not in received.body
    document = receiver.requests[1].document
    assert document["kind"] == "hand_on.created"
    data = document["data"]
    assert set(data) == HAND_ON_FIELDS
    assert data["hand_on_id"] == hand_on.pk
    assert data["contact_reference"] == hand_on.contact.reference
    assert data["state"] == "pending"
    # When early help should accept or return it, set as it was handed on.
    assert data["deadline_at"] == hand_on.deadline_at.isoformat()
    assert data["overdue"] is False
    assert data["receiving_team"] == {
        "code": "early_help",
        "label": "Early help",
        "name": "Eastbridge early help hub",
    }
    assert data["level_of_need"]["number"] == 2
    assert data["outcome"]["code"] == "early_help"
    # The MASH summary exactly as early help's own pages show it, and nothing else of
    # the MASH's research.
    shared = hand_on_summary(hand_on)
    assert data["summary"] == {
        "text": shared.summary,
        "worker_risks": shared.worker_risks,
        "findings": [asdict(finding) for finding in shared.findings],
        "rationale": None,
    }
    # The child only (not the parent), with the details early help needs to find them.
    [child] = data["children"]
    assert set(child) == CHILD_FIELDS | CHILD_OUTCOME_FIELDS
    assert child["outcome"]["code"] == "early_help"
    person = hand_on.contact.people.get(position=child_position(hand_on, child["person_id"]))
    assert (child["given_names"], child["family_name"]) == ("Amy", "Smith")
    assert child["date_of_birth"] == person.date_of_birth.isoformat()
    assert child["nhs_number"] == person.nhs_number
    assert child["address"] == {
        "line1": "1 High Street",
        "line2": "",
        "town": "Eastbridge",
        "postcode": "DC1 4AB",
    }
    decision_data = receiver.requests[0].document["data"]
    assert "rationale" not in decision_data
    assert "children" not in decision_data
    # Which child the decision hands to early help, by name, and their own outcome only.
    [named] = decision_data["child_outcomes"]
    assert (named["given_names"], named["outcome"]["code"]) == ("Amy", "early_help")
    assert "date_of_birth" not in named and "nhs_number" not in named
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    # Each delivery is audited: what crossed, to whom.
    audited = AuditEvent.objects.filter(object_type="event_delivery", action=AuditAction.CREATE)
    assert audited.count() == 2
    assert {event.detail["recipient"] for event in audited} == {"early_help"}
    assert {event.contact_id for event in audited} == {hand_on.contact_id}


def child_position(hand_on: HandOn, person_id: int) -> int:
    return hand_on.contact.people.get(pk=person_id).position


def test_a_receiver_down_then_back_gets_every_event_once_and_the_feed_the_same(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    early_help_coordinator: User,
    early_help_system: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Down: nothing listens on the endpoint's port.
    with django_capture_on_commit_callbacks(execute=True):
        first = hand_on_to_early_help()
        second = hand_on_to_early_help()
    with django_capture_on_commit_callbacks(execute=True):
        hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=first.pk)
    deliveries = Delivery.objects.order_by("event__sequence")
    assert [d.status for d in deliveries] == [DeliveryStatus.FAILED] * 5
    assert all(d.attempts == 1 for d in deliveries)
    assert all(
        d.failure == "Could not reach the receiving system (ConnectionRefusedError)"
        for d in deliveries
    )
    assert receiver.requests == []

    # Back up, but the first answer is lost (the receiver took the event, then failed):
    # the retry carries the same event id, and the receiver keeps it once.
    receiver.start()
    receiver.fail_next = [503]
    later = timezone.now() + timedelta(minutes=2)
    assert deliveries_retry_due(now=later) == 4
    assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 1
    assert deliveries_retry_due(now=later + timedelta(minutes=10)) == 1
    # Nothing more is due, and nothing is sent again.
    assert deliveries_retry_due(now=later + timedelta(days=2)) == 0

    events = list(Event.objects.filter(recipient_team="early_help").order_by("sequence"))
    assert len(events) == 5
    assert [e.kind for e in events] == [
        "decision.recorded",
        "hand_on.created",
        "decision.recorded",
        "hand_on.created",
        "hand_on.accepted",
    ]
    ids = [str(event.event_id) for event in events]
    assert sorted(receiver.taken) == sorted(ids)
    assert len(receiver.requests) == 6  # five events, one sent twice
    assert len({r.headers["OpenMASH-Event-Id"] for r in receiver.requests}) == 5
    assert all(r.signature_valid for r in receiver.requests)
    # Each delivery marked delivered once, and audited once.
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert (
        AuditEvent.objects.filter(object_type="event_delivery", action=AuditAction.CREATE).count()
        == 5
    )

    # The API feed gives the same events, in order, with the same bodies.
    page = feed(early_help_system)
    assert [event["id"] for event in page["events"]] == ids
    bodies = {r.document["id"]: r.document for r in receiver.requests}
    for event in page["events"]:
        assert event == bodies[event["id"]]
    assert page["next_cursor"] == events[-1].sequence
    assert page["has_more"] is False
    assert page["events"][3]["data"]["hand_on_id"] == second.pk


def test_a_delivery_given_up_is_left_for_a_person_and_never_sent_twice(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hand_on_to_early_help()
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        now += timedelta(hours=5)
        deliveries_retry_due(now=now)
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {MAX_ATTEMPTS}
    assert set(Delivery.objects.values_list("next_attempt_at", flat=True)) == {None}
    receiver.start()
    assert deliveries_retry_due(now=now + timedelta(days=30)) == 0
    assert receiver.requests == []


def test_a_wrong_secret_is_refused_by_the_receiver_and_tried_again(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.start()
    monkeypatch.setenv(early_help_endpoint.secret_variable, "a-different-secret-" + "x" * 20)
    with django_capture_on_commit_callbacks(execute=True):
        hand_on_to_early_help()
    assert [r.signature_valid for r in receiver.requests] == [False, False]
    assert receiver.taken == []
    failed = Delivery.objects.filter(status=DeliveryStatus.FAILED)
    assert failed.count() == 2
    assert {d.failure for d in failed} == {"The receiving system answered 401"}


def test_an_unset_secret_sends_nothing(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.start()
    monkeypatch.delenv(early_help_endpoint.secret_variable)
    with django_capture_on_commit_callbacks(execute=True):
        hand_on_to_early_help()
    assert receiver.requests == []
    assert {d.failure for d in Delivery.objects.all()} == {
        "The environment variable OPENMASH_WEBHOOK_SECRET_EARLY_HELP that holds the secret "
        "is not set"
    }


def test_the_periodic_command_retries_what_is_due(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hand_on_to_early_help()  # the receiver is down
    receiver.start()
    Delivery.objects.update(next_attempt_at=timezone.now())

    out = StringIO()
    call_command("deliver_events", stdout=out)

    assert "Queued retries of undelivered events" in out.getvalue()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert len(receiver.taken) == 2
