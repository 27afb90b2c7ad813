"""Reads of the event outbox, scoped and audited: the API feed of an agency's events, the
endpoints, and the deliveries the receiving systems did not take."""

from dataclasses import dataclass

from django.db.models import Q

from openmash.core.audit import Actor, audit_record_many
from openmash.core.models import AuditAction
from openmash.events.models import Delivery, DeliveryStatus, Event, WebhookEndpoint
from openmash.events.recipients import teams_received_by

FEED_LIMIT = 100
FEED_MAX_LIMIT = 500
FAILED_PER_PAGE = 100


@dataclass(frozen=True)
class FeedPage:
    events: list[Event]
    next_cursor: int
    has_more: bool


def event_feed_for_agency(*, actor: Actor, after: int, limit: int = FEED_LIMIT) -> FeedPage:
    """The events for the token's agency (its own, and its receiving team's) with a
    sequence after `after`, in order. Each is recorded as read."""
    assert actor.token is not None
    agency = actor.token.agency
    mine = Q(recipient_agency=agency) | Q(
        recipient_agency__isnull=True, recipient_team__in=teams_received_by(agency)
    )
    events = list(Event.objects.filter(mine, sequence__gt=after).order_by("sequence")[: limit + 1])
    has_more = len(events) > limit
    events = events[:limit]
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="event",
        objects=[(str(event.event_id), event.contact_id) for event in events],
        detail={"feed_after": after},
    )
    return FeedPage(events, events[-1].sequence if events else after, has_more)


def endpoints_all() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.select_related("recipient_agency"))


def endpoint_get(endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_related("recipient_agency").get(pk=endpoint_id)


def failed_deliveries(*, actor: Actor) -> list[Delivery]:
    """Deliveries whose last attempt failed, oldest event first, with what the page shows
    in one query. The contacts they are about are recorded as listed."""
    deliveries = list(
        Delivery.objects.filter(status=DeliveryStatus.FAILED)
        .select_related("event__contact", "event__recipient_agency", "endpoint")
        .order_by("event__sequence", "endpoint_id")[:FAILED_PER_PAGE]
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="event_delivery",
        objects=[(delivery.pk, delivery.event.contact_id) for delivery in deliveries],
    )
    return deliveries
