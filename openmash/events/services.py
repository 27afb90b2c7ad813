"""Administrators' changes to the event outbox: configuring endpoints, and trying again a
delivery the receiving system did not take. Each is one transaction that checks
permission, validates, changes state and audits."""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor, audit_record
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditAction
from openmash.events.delivery import SENDING_LEASE, deliver_on_commit
from openmash.events.models import Delivery, DeliveryStatus, WebhookEndpoint
from openmash.events.recipients import RECEIVING_TEAMS

# Only variables meant for webhook secrets may be named, so an endpoint cannot be made
# to sign with (and so help guess) another of the server's secrets.
SECRET_VARIABLE = re.compile(r"OPENMASH_WEBHOOK_SECRET_[A-Z0-9_]{1,60}")
VARIABLE_NAME_RULE = (
    "Enter the name of an environment variable that starts OPENMASH_WEBHOOK_SECRET_, "
    "in capital letters, digits and underscores"
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class DeliveryNotRetryable(Exception):
    """The delivery has not failed (it was delivered, or is being attempted)."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        super().__init__(
            "This event has been delivered."
            if delivery.status == DeliveryStatus.DELIVERED
            else "This event is being delivered now."
        )


@dataclass(frozen=True)
class EndpointInput:
    name: str
    # "team:<code>" or "agency:<id>"
    recipient: str
    url: str
    secret_variable: str
    active: bool


def _require(actor: Actor, permission: str) -> User:
    if actor.user is None or not actor.user.has_perm(permission):
        raise PermissionDenied
    return actor.user


def _recipient(errors: dict[str, str], value: str) -> tuple[str, Agency | None]:
    kind, _, key = value.partition(":")
    if kind == "team" and key in RECEIVING_TEAMS:
        return key, None
    if kind == "agency" and key.isdigit():
        agency = Agency.objects.filter(pk=int(key)).first()
        if agency is not None:
            return "", agency
    errors["recipient"] = "Select who receives the events"
    return "", None


def _url(errors: dict[str, str], value: str) -> str:
    value = value.strip()
    parts = urlsplit(value) if len(value) <= 500 else None
    if parts is None:
        errors["url"] = "Enter an address of 500 characters or fewer"
    elif not (parts.scheme in ("https", "http") and parts.hostname):
        errors["url"] = "Enter the full address, like https://cases.example.gov.uk/openmash"
    elif parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        errors["url"] = "Enter an https address: events hold personal data"
    elif parts.username or parts.password:
        errors["url"] = "Enter the address without a user name or password"
    return value


def _fields(errors: dict[str, str], data: EndpointInput) -> dict[str, object]:
    name = data.name.strip()
    if not name:
        errors["name"] = "Enter the name of the system that receives the events"
    elif len(name) > 120:
        errors["name"] = "Enter 120 characters or fewer"
    team, agency = _recipient(errors, data.recipient)
    url = _url(errors, data.url)
    variable = data.secret_variable.strip()
    if not SECRET_VARIABLE.fullmatch(variable):
        errors["secret_variable"] = VARIABLE_NAME_RULE
    if errors:
        raise FieldErrors(errors)
    return {
        "name": name,
        "recipient_team": team,
        "recipient_agency": agency,
        "url": url,
        "secret_variable": variable,
        "active": data.active,
    }


def _detail(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "recipient": endpoint.recipient_team or endpoint.recipient_agency_id,
        "url": endpoint.url,
        "secret_variable": endpoint.secret_variable,
        "active": endpoint.active,
    }


@transaction.atomic
def endpoint_create(
    *, actor: Actor, data: EndpointInput, now: datetime | None = None
) -> WebhookEndpoint:
    _require(actor, "events.manage_endpoints")
    now = now or timezone.now()
    fields = _fields({}, data)
    endpoint = WebhookEndpoint.objects.create(**fields, created_at=now, updated_at=now)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        detail=_detail(endpoint),
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *, actor: Actor, endpoint_id: int, data: EndpointInput, now: datetime | None = None
) -> WebhookEndpoint:
    _require(actor, "events.manage_endpoints")
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    before = _detail(endpoint)
    for name, value in _fields({}, data).items():
        setattr(endpoint, name, value)
    endpoint.updated_at = now
    endpoint.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        detail={"before": before, "after": _detail(endpoint)},
    )
    return endpoint


@transaction.atomic
def delivery_retry(*, actor: Actor, delivery_id: int, now: datetime | None = None) -> Delivery:
    """Try again, once this transaction commits, a delivery the receiving system did not
    take. The attempt counts towards the limit of attempts. Raises DeliveryNotRetryable
    unless the delivery has failed."""
    _require(actor, "events.retry_delivery")
    now = now or timezone.now()
    delivery = Delivery.objects.select_for_update().select_related("event").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.FAILED:
        raise DeliveryNotRetryable(delivery)
    delivery.status = DeliveryStatus.QUEUED
    delivery.next_attempt_at = now + SENDING_LEASE
    delivery.save(update_fields=["status", "next_attempt_at"])
    deliver_on_commit(delivery.pk)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="event_delivery",
        object_id=delivery.pk,
        contact_id=delivery.event.contact_id,
        detail={"change": "delivery tried again", "attempts": delivery.attempts},
    )
    return delivery
