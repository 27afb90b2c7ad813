"""The event outbox: what OpenMASH tells receiving teams' and agencies' own systems, the
endpoints it sends it to, and each delivery to each endpoint.

An Event is written in the transaction of the change it describes
(openmash.core.outbox.publish); its payload holds exactly what its one recipient may see
(openmash.events.payloads). Deliveries are made by openmash.events.delivery.
"""

import uuid

from django.db import models
from django.utils import timezone

from openmash.area.models import HandOnTeam
from openmash.core.outbox import EventKind

# A recipient is either a receiving team (a hand-on's team) or an agency (a referrer's).
_ONE_RECIPIENT = models.Q(recipient_agency__isnull=True, recipient_team__gt="") | models.Q(
    recipient_agency__isnull=False, recipient_team=""
)


class Event(models.Model):
    """Something that happened, as one recipient may see it."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The feed's cursor: allocated under a lock held to the end of the transaction, so
    # events commit in the order of their sequence (see EventSequence).
    sequence = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    recipient_team = models.CharField(max_length=30, choices=HandOnTeam.choices, blank=True)
    recipient_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Which contact it is about: for the audit log of who was sent what.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="published_events"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sequence"]
        constraints = [models.CheckConstraint(condition=_ONE_RECIPIENT, name="event_one_recipient")]
        indexes = [
            models.Index(fields=["recipient_agency", "sequence"], name="event_feed_agency"),
            models.Index(fields=["recipient_team", "sequence"], name="event_feed_team"),
        ]

    def __str__(self) -> str:
        return f"event {self.sequence}"


class EventSequence(models.Model):
    """The last sequence given to an event: one row, locked by each publishing transaction
    until it ends, so a reader of the feed never sees a later sequence committed before an
    earlier one (which it would then skip for ever)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"event sequence at {self.last}"


class WebhookEndpoint(models.Model):
    """Where a receiving team's or an agency's system takes its events. The signing secret
    is never stored: `secret_variable` names the environment variable that holds it."""

    name = models.CharField(max_length=120, help_text="The system that receives the events.")
    recipient_team = models.CharField(max_length=30, choices=HandOnTeam.choices, blank=True)
    recipient_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    url = models.CharField(max_length=500)
    secret_variable = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=_ONE_RECIPIENT, name="endpoint_one_recipient")
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    # Waiting for (or in) an attempt.
    QUEUED = "queued", "Waiting to be delivered"
    DELIVERED = "delivered", "Delivered"
    # The last attempt failed: tried again at next_attempt_at, or, with none, given up.
    FAILED = "failed", "Not delivered"


class Delivery(models.Model):
    """One event sent to one endpoint, and whether the receiving system took it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed, in words that hold no personal data (never the
    # receiving system's own answer).
    failure = models.CharField(max_length=200, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event__sequence", "endpoint_id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"delivery {self.pk}"
