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
from openmash.contacts.models import Contact
from openmash.core.outbox import EventKind
from openmash.enquiries.models import Decision, HandOn
from openmash.events.delivery import SENDING_LEASE, deliver_on_commit
from openmash.events.models import Delivery, DeliveryStatus, Event, EventSequence, WebhookEndpoint
from openmash.events.payloads import (
    Payload,
    StrategyRecord,
    StrategyViewer,
    decision_payload,
    decision_teams,
    hand_on_payload,
    outcome_payload,
    strategy_action_item,
    strategy_discussion_payload,
    strategy_record,
)
from openmash.events.recipients import (
    STRATEGY_TEAM,
    agency_reads_strategy_as_team,
    strategy_team_agency_ids,
)
from openmash.strategy.models import StrategyAction, StrategyDiscussion


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
    """To each team the decision hands a child to, about those children (ADR 0022); a
    decision that closes every child's case has no recipient outside the MASH."""
    return [
        Addressed(Recipient(team=team), decision.contact, decision_payload(decision, team))
        for team in decision_teams(decision)
    ]


def _outcome(decision: Decision) -> list[Addressed]:
    """To the agency whose referrer made the contact."""
    agency = decision.contact.submitted_by_agency
    if agency is None:
        return []
    return [Addressed(Recipient(agency=agency), decision.contact, outcome_payload(decision))]


def _strategy_recipients(
    record: StrategyRecord, agencies: list[Agency]
) -> list[tuple[Recipient, StrategyViewer]]:
    """Children's social care, as the receiving team that holds the child's record (its
    view is its agencies'), and then each of `agencies` by agency, except children's
    social care's own (whose system already reads the team's events: one event each)."""
    team_ids = strategy_team_agency_ids()
    addressed = [(Recipient(team=STRATEGY_TEAM), StrategyViewer(frozenset(team_ids)))]
    for agency in agencies:
        if not agency_reads_strategy_as_team(agency):
            addressed.append((Recipient(agency=agency), StrategyViewer(frozenset({agency.pk}))))
    return addressed


def _strategy_discussion(discussion: StrategyDiscussion) -> list[Addressed]:
    """To children's social care and each invited agency, each seeing what its page
    shows it."""
    record = strategy_record(discussion)
    invited = list({each.agency_id: each.agency for each in record.invitations}.values())
    return [
        Addressed(recipient, discussion.contact, strategy_discussion_payload(record, viewer))
        for recipient, viewer in _strategy_recipients(record, invited)
    ]


def _strategy_action(action: StrategyAction) -> list[Addressed]:
    """To the agency that owns the action only (children's social care, as its team, when
    it owns it): no other agency sees the action on the page."""
    record = strategy_record(action.discussion)
    owner = action.owner_agency
    if agency_reads_strategy_as_team(owner):
        addressed = [
            (Recipient(team=STRATEGY_TEAM), StrategyViewer(frozenset(strategy_team_agency_ids())))
        ]
    else:
        addressed = [(Recipient(agency=owner), StrategyViewer(frozenset({owner.pk})))]
    mine = next(each for each in record.actions if each.pk == action.pk)
    return [
        Addressed(
            recipient,
            record.discussion.contact,
            {
                "action": strategy_action_item(mine),
                "discussion": strategy_discussion_payload(record, viewer),
            },
        )
        for recipient, viewer in addressed
    ]


ADDRESSING: dict[str, Callable[[Any], list[Addressed]]] = {
    EventKind.HAND_ON_CREATED: _hand_on,
    EventKind.HAND_ON_ACCEPTED: _hand_on,
    EventKind.HAND_ON_RETURNED: _hand_on,
    EventKind.HAND_ON_WITHDRAWN: _hand_on,
    EventKind.DECISION_RECORDED: _decision,
    EventKind.DECISION_AMENDED: _decision,
    EventKind.OUTCOME_SENT_TO_REFERRER: _outcome,
    EventKind.STRATEGY_INVITED: _strategy_discussion,
    EventKind.STRATEGY_SCHEDULED: _strategy_discussion,
    EventKind.STRATEGY_RESCHEDULED: _strategy_discussion,
    EventKind.STRATEGY_ATTENDANCE: _strategy_discussion,
    EventKind.STRATEGY_MINUTES: _strategy_discussion,
    EventKind.STRATEGY_DECIDED: _strategy_discussion,
    EventKind.STRATEGY_ACTION_ADDED: _strategy_action,
    EventKind.STRATEGY_ACTION_DONE: _strategy_action,
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
