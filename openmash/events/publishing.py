"""Writing events to the outbox, in the transaction of the change they describe.

`event_record` is the publisher openmash.core.outbox calls (registered in
EventsConfig.ready). For each kind it works out the recipient, builds the payload that
recipient may see (openmash.events.payloads), gives the event the next sequence, and queues
one delivery for each of the recipient's active endpoints, attempted once the transaction
commits (openmash.events.delivery).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from openmash.accounts.models import Agency
from openmash.area.models import HandOnTeam
from openmash.contacts.models import Contact
from openmash.core.outbox import EventKind
from openmash.enquiries.models import Decision, HandOn
from openmash.events.delivery import SENDING_LEASE, deliver_on_commit
from openmash.events.models import Delivery, DeliveryStatus, Event, EventSequence, WebhookEndpoint
from openmash.events.payloads import Payload, decision_payload, hand_on_payload, outcome_payload


@dataclass(frozen=True)
class Recipient:
    team: str = ""
    agency: Agency | None = None


@dataclass(frozen=True)
class Addressed:
    """One event to write: to whom, about which contact, saying what."""

    recipient: Recipient
    contact: Contact
    payload: Payload


def _hand_on(hand_on: HandOn) -> list[Addressed]:
    return [Addressed(Recipient(team=hand_on.team), hand_on.contact, hand_on_payload(hand_on))]


def _decision(decision: Decision) -> list[Addressed]:
    """To the team the decision hands the case to; a decision that closes the contact has
    no recipient outside the MASH."""
    team = decision.outcome.hand_on_to
    if team == HandOnTeam.NONE:
        return []
    return [Addressed(Recipient(team=team), decision.contact, decision_payload(decision))]


def _outcome(decision: Decision) -> list[Addressed]:
    """To the agency whose referrer made the contact."""
    agency = decision.contact.submitted_by_agency
    if agency is None:
        return []
    return [Addressed(Recipient(agency=agency), decision.contact, outcome_payload(decision))]


ADDRESSING: dict[str, Callable[[Any], list[Addressed]]] = {
    EventKind.HAND_ON_CREATED: _hand_on,
    EventKind.HAND_ON_ACCEPTED: _hand_on,
    EventKind.HAND_ON_RETURNED: _hand_on,
    EventKind.HAND_ON_WITHDRAWN: _hand_on,
    EventKind.DECISION_RECORDED: _decision,
    EventKind.DECISION_AMENDED: _decision,
    EventKind.OUTCOME_SENT_TO_REFERRER: _outcome,
}


def _next_sequence() -> int:
    """The next sequence, the row locked until the caller's transaction ends (PostgreSQL;
    SQLite serialises writing transactions anyway)."""
    counter = EventSequence.objects.select_for_update().filter(pk=1).first()
    if counter is None:
        # Seeded by the migration; made here only after a test emptied the table, without
        # a race between two first publishers.
        EventSequence.objects.bulk_create([EventSequence(pk=1)], ignore_conflicts=True)
        counter = EventSequence.objects.select_for_update().get(pk=1)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def endpoints_for(recipient: Recipient) -> list[WebhookEndpoint]:
    where = (
        Q(recipient_agency=recipient.agency)
        if recipient.agency is not None
        else Q(recipient_team=recipient.team, recipient_agency__isnull=True)
    )
    return list(WebhookEndpoint.objects.filter(where, active=True))


def event_record(kind: str, subject: Any, *, now: datetime | None = None) -> list[Event]:
    """Write the events `kind` of `subject` makes, and queue their deliveries."""
    now = now or timezone.now()
    written = []
    for addressed in ADDRESSING[kind](subject):
        event = Event.objects.create(
            sequence=_next_sequence(),
            kind=kind,
            recipient_team=addressed.recipient.team,
            recipient_agency=addressed.recipient.agency,
            contact=addressed.contact,
            payload=addressed.payload,
            created_at=now,
        )
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                event=event,
                endpoint=endpoint,
                status=DeliveryStatus.QUEUED,
                next_attempt_at=now + SENDING_LEASE,
            )
            for endpoint in endpoints_for(addressed.recipient)
        )
        for delivery in deliveries:
            deliver_on_commit(delivery.pk)
        written.append(event)
    return written
