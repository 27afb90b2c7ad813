"""The hook through which a service publishes an event about a change it has made.

The event outbox (openmash.events) sits above the apps whose changes it publishes: it
reads their models to build each recipient's payload. So those apps cannot import it;
they call `publish` here instead, inside the transaction that makes the change, and the
outbox registers itself as the publisher when Django starts (EventsConfig.ready). The
event is then written in that same transaction, or not at all
(docs/adr/0014-event-outbox.md).

`publish` refuses to run outside a transaction, and refuses when no publisher is
registered, so an event is never silently dropped.
"""

from collections.abc import Callable
from typing import Any

from django.db import models, transaction


class EventKind(models.TextChoices):
    """What happened, as the receiving system reads it (the event's `kind`)."""

    HAND_ON_CREATED = "hand_on.created", "Case handed on"
    HAND_ON_ACCEPTED = "hand_on.accepted", "Hand-on accepted"
    HAND_ON_RETURNED = "hand_on.returned", "Hand-on returned to the MASH"
    HAND_ON_WITHDRAWN = "hand_on.withdrawn", "Hand-on withdrawn: the decision was amended"
    DECISION_RECORDED = "decision.recorded", "Decision recorded"
    DECISION_AMENDED = "decision.amended", "Decision amended"
    OUTCOME_SENT_TO_REFERRER = "outcome.sent_to_referrer", "Outcome sent to the referrer"
    STRATEGY_INVITED = "strategy_discussion.invited", "Invited to a strategy discussion"
    STRATEGY_SCHEDULED = "strategy_discussion.scheduled", "Strategy discussion scheduled"
    STRATEGY_RESCHEDULED = "strategy_discussion.rescheduled", "Strategy discussion moved"
    STRATEGY_ATTENDANCE = (
        "strategy_discussion.attendance_recorded",
        "Strategy discussion attendance recorded",
    )
    STRATEGY_MINUTES = (
        "strategy_discussion.minutes_recorded",
        "Strategy discussion minutes recorded (or corrected)",
    )
    STRATEGY_DECIDED = "strategy_discussion.decided", "Strategy discussion decided"
    STRATEGY_ACTION_ADDED = "strategy_action.added", "Strategy discussion action added"
    STRATEGY_ACTION_DONE = "strategy_action.done", "Strategy discussion action done"


Publisher = Callable[[str, Any], object]
_publishers: list[Publisher] = []


class NoPublisher(RuntimeError):
    """Something was published but no outbox is installed to write it."""


class PublishedOutsideTransaction(RuntimeError):
    """An event must be written in the transaction of the change it describes."""


def register_publisher(publisher: Publisher) -> None:
    if publisher not in _publishers:
        _publishers.append(publisher)


def publish(kind: EventKind, subject: Any) -> None:
    """Record that `kind` happened to `subject` (a hand-on, a decision, a strategy
    discussion or one of its actions), in the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise PublishedOutsideTransaction(f"{kind} was published outside a transaction.")
    if not _publishers:
        raise NoPublisher(f"{kind} was published, but no event outbox is installed.")
    for publisher in _publishers:
        publisher(kind, subject)
