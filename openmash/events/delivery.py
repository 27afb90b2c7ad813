"""Delivering events to the endpoints of the systems that receive them, as signed
webhooks.

Each delivery (one event to one endpoint) is queued in the transaction that writes the
event and attempted by the background worker once it commits (`deliver_event`, a
django-tasks task). An attempt POSTs the event as JSON with:

- `OpenMASH-Event-Id`: the event's id, the same on every attempt, so a receiver that keeps
  the ids it has taken can ignore a repeat;
- `OpenMASH-Timestamp`: when the attempt was signed, in seconds since 1970 (UTC);
- `OpenMASH-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the endpoint's
  secret, of the timestamp, a full stop and the body's bytes.

Any 2xx answer delivers it. Anything else (an error status, a refused connection, a
time-out, a redirect, which is never followed) fails the attempt, and the periodic work
(`retry_undelivered_events`, queued by `manage.py deliver_events --every 60`) tries again
after a wait that doubles each time, up to MAX_ATTEMPTS; then an administrator can try
again from the failed deliveries page. Each attempt first claims the delivery with a
conditional update, and only the attempt that claimed it can mark it delivered, so two
workers never send the same attempt and no delivery is marked twice. Delivery is at least
once: a receiver that took an event but whose answer was lost gets it again, with the
same event id. Logs and the failure text name the delivery by id, never the payload.
"""

import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.events.models import Delivery, DeliveryStatus, Event, WebhookEndpoint

logger = logging.getLogger(__name__)

# How many attempts the periodic work makes before leaving a delivery for an administrator.
MAX_ATTEMPTS = 10
# The wait after the first failed attempt; it doubles after each (1, 2, 4 ... minutes),
# up to MAX_WAIT: about 15 hours from the first attempt to the last.
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(hours=4)
# How long an attempt may take before it is thought abandoned (its worker died) and tried
# again; also how long a new delivery waits for its first attempt.
SENDING_LEASE = timedelta(minutes=5)
# A receiving system that does not answer must not hold the worker.
SEND_TIMEOUT_SECONDS = 10
RETRY_BATCH = 200
FAILURE_LIMIT = 200
# A secret shorter than this is refused (HMAC-SHA256 wants at least 32 bytes of key).
SECRET_MIN_LENGTH = 32
UNDELIVERED = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
DELIVERY_ACTOR = Actor(system="event delivery")


class NoSecret(Exception):
    """The endpoint's secret variable is not set in the environment (or is too short)."""


def retry_wait(attempts: int) -> timedelta:
    """The wait after the attempts-th failed attempt."""
    return min(FIRST_WAIT * (2 ** max(attempts - 1, 0)), MAX_WAIT)


def event_document(event: Event) -> dict[str, Any]:
    """The event as a webhook's body and the API feed give it."""
    return {
        "id": str(event.event_id),
        "sequence": event.sequence,
        "kind": event.kind,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }


def event_body(event: Event) -> bytes:
    return json.dumps(event_document(event), separators=(",", ":"), sort_keys=True).encode()


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The OpenMASH-Signature header's value for a body signed at `timestamp`."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def endpoint_secret(endpoint: WebhookEndpoint) -> bytes:
    value = os.environ.get(endpoint.secret_variable, "")
    if len(value) < SECRET_MIN_LENGTH:
        raise NoSecret(endpoint.secret_variable)
    return value.encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that did not take the event: never follow it (it could
    carry the payload somewhere the administrator did not configure)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxy from the environment, and no redirects.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def _post(endpoint: WebhookEndpoint, event: Event) -> int:
    """POST the event, signed; the answer's status (raises for no answer or not 2xx)."""
    body = event_body(event)
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (the URL's scheme is checked on saving)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "OpenMASH-Webhooks/1",
            "OpenMASH-Event-Id": str(event.event_id),
            "OpenMASH-Event-Kind": event.kind,
            "OpenMASH-Timestamp": str(timestamp),
            "OpenMASH-Signature": signature(endpoint_secret(endpoint), timestamp, body),
        },
    )
    with _opener.open(request, timeout=SEND_TIMEOUT_SECONDS) as response:
        return int(response.status)


def _failure_text(error: BaseException) -> tuple[str, int | None]:
    """What went wrong, with no personal data (the receiver's answer is never kept)."""
    if isinstance(error, NoSecret):
        return (f"The environment variable {error} that holds the secret is not set", None)
    if isinstance(error, urllib.error.HTTPError):
        return (f"The receiving system answered {error.code}", error.code)
    if isinstance(error, TimeoutError):
        return ("The receiving system did not answer in time", None)
    if isinstance(error, urllib.error.URLError | OSError):
        reason = getattr(error, "reason", error)
        return (f"Could not reach the receiving system ({type(reason).__name__})", None)
    return (f"The event could not be sent ({type(error).__name__})", None)


def _claim(delivery_id: int, now: datetime, *, only_if_due: bool) -> Delivery | None:
    """Take the delivery for one attempt, or None if it was delivered, someone else is
    attempting it, or (for the periodic work) it is not due."""
    delivery = (
        Delivery.objects.select_related("event", "endpoint")
        .filter(pk=delivery_id, status__in=UNDELIVERED)
        .first()
    )
    if delivery is None:
        return None
    if only_if_due and (delivery.next_attempt_at is None or delivery.next_attempt_at > now):
        return None
    unchanged = Delivery.objects.filter(
        pk=delivery.pk, status=delivery.status, attempts=delivery.attempts
    )
    if only_if_due and delivery.attempts >= MAX_ATTEMPTS:
        unchanged.update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            failure="The last attempt did not finish; it may not have been delivered",
        )
        return None
    if not unchanged.update(
        status=DeliveryStatus.QUEUED,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + SENDING_LEASE,
    ):
        return None
    delivery.attempts += 1
    return delivery


def delivery_attempt(delivery_id: int, now: datetime, *, only_if_due: bool = False) -> bool:
    """Send the delivery's event once, recording how it went; True if delivered."""
    delivery = _claim(delivery_id, now, only_if_due=only_if_due)
    if delivery is None:
        return False
    # Only the attempt that claimed the delivery may record its result.
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.QUEUED, attempts=delivery.attempts
    )
    if not delivery.endpoint.active:
        claimed.update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            failure="The endpoint has been switched off",
        )
        return False
    try:
        status = _post(delivery.endpoint, delivery.event)
    except Exception as error:
        failure, response_status = _failure_text(error)
        retry = delivery.attempts < MAX_ATTEMPTS
        claimed.update(
            status=DeliveryStatus.FAILED,
            failure=failure[:FAILURE_LIMIT],
            response_status=response_status,
            next_attempt_at=now + retry_wait(delivery.attempts) if retry else None,
        )
        logger.log(
            logging.WARNING if retry else logging.ERROR,
            "Event delivery %s not delivered (attempt %s of %s): %s.%s",
            delivery.pk,
            delivery.attempts,
            MAX_ATTEMPTS,
            failure,
            " It will be tried again." if retry else " An administrator can try it again.",
        )
        return False
    with transaction.atomic():
        if not claimed.update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            next_attempt_at=None,
            failure="",
            response_status=status,
        ):
            return False
        event = delivery.event
        recipient = event.recipient_team or (
            event.recipient_agency.slug if event.recipient_agency else ""
        )
        audit_record(
            actor=DELIVERY_ACTOR,
            action=AuditAction.CREATE,
            object_type="event_delivery",
            object_id=delivery.pk,
            contact_id=event.contact_id,
            detail={
                "event": str(event.event_id),
                "kind": event.kind,
                "recipient": recipient,
                "endpoint": delivery.endpoint_id,
            },
        )
    return True


@task()
def deliver_event(delivery_id: int) -> bool:
    """Attempt one queued delivery (queued as its event's transaction commits)."""
    return delivery_attempt(delivery_id, timezone.now())


def _enqueue(delivery_id: int) -> None:
    # The change is committed: nothing here may turn it into an error. A delivery whose
    # task could not be queued is attempted by the periodic work once its lease is over.
    try:
        deliver_event.enqueue(delivery_id)
    except Exception as error:
        logger.error(
            "Could not queue event delivery %s (%s); it will be tried again.",
            delivery_id,
            type(error).__name__,
        )


def deliver_on_commit(delivery_id: int) -> None:
    transaction.on_commit(lambda: _enqueue(delivery_id))


def deliveries_retry_due(*, now: datetime) -> int:
    """Try again every undelivered delivery whose next attempt is due. Returns how many
    were delivered."""
    due = list(
        Delivery.objects.filter(status__in=UNDELIVERED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    delivered = 0
    for delivery_id in due:
        try:
            delivered += delivery_attempt(delivery_id, now, only_if_due=True)
        except Exception as error:
            logger.error(
                "Could not attempt event delivery %s (%s).", delivery_id, type(error).__name__
            )
    return delivered


@task()
def retry_undelivered_events() -> int:
    """Try again the deliveries the receiving systems did not take, each when its wait is
    over."""
    return deliveries_retry_due(now=timezone.now())
