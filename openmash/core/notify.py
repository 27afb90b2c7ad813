"""GOV.UK Notify, through its official client (notifications-python-client), for areas
that configure an API key (OPENMASH_NOTIFY_API_KEY). OpenMASH composes each message's
subject and body itself, so every message uses one generic email template
(OPENMASH_NOTIFY_TEMPLATE_ID) whose subject is ((subject)) and whose body is ((body)):
docs/adr/0021-out-of-hours-and-gov-uk-notify.md. Here in core so that both the MASH's
messages (openmash.enquiries.message_delivery) and the emails about a person's own
account (openmash.accounts.emails: a link to reset a password) go the same way.

Nothing here logs or keeps Notify's own error text, which can quote what was sent: a
failure is described by the HTTP status alone.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

# The client logs each refused request at WARNING with Notify's own error message, which
# can quote what was sent (an address): OpenMASH logs its own words instead
# (message_delivery), so only the client's errors are let through.
logging.getLogger("notifications_python_client").setLevel(logging.ERROR)

# Notify's statuses that end a notification's life. The failures are reported to MASH
# managers as undelivered.
DELIVERED = "delivered"
FAILED_STATUSES = {
    "permanent-failure": "GOV.UK Notify could not deliver it: the address does not exist "
    "or its inbox is closed",
    "temporary-failure": "GOV.UK Notify could not deliver it: the inbox was full or the "
    "mail server did not answer for three days",
    "technical-failure": "GOV.UK Notify could not deliver it because of a fault at Notify",
}
FINAL_STATUSES = frozenset({DELIVERED, *FAILED_STATUSES})


class NotifyNotConfigured(Exception):
    """An API key is set but no template id to send with."""


@dataclass(frozen=True)
class NotifyFailure:
    text: str
    # True for a request Notify will refuse however often it is made (400).
    permanent: bool
    # True when the fault is OpenMASH's set-up, not the message (403: a revoked or rotated
    # key, or a server clock more than 30 seconds out), so every message fails alike until
    # someone fixes it: logged at ERROR, and tried again as an outage is (ADR 0021).
    configuration: bool = False


def notify_configured() -> bool:
    return bool(getattr(settings, "NOTIFY_API_KEY", ""))


def _client(timeout: int) -> NotificationsAPIClient:
    # One client per attempt: the client is not thread-safe, and attempts run in the
    # request thread's on-commit hook and in the task worker.
    return NotificationsAPIClient(
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=timeout
    )


def notify_send_email(
    *, to_email: str, subject: str, body: str, reference: str, timeout: int
) -> str:
    """Hand an email to Notify; returns Notify's id for it. Raises the client's APIError
    (with the HTTP status) when Notify refuses it or cannot be reached."""
    template_id = getattr(settings, "NOTIFY_TEMPLATE_ID", "")
    if not template_id:
        raise NotifyNotConfigured("OPENMASH_NOTIFY_TEMPLATE_ID is not set.")
    response: dict[str, Any] = _client(timeout).send_email_notification(
        email_address=to_email,
        template_id=template_id,
        personalisation={"subject": subject, "body": body},
        reference=reference,
    )
    return str(response["id"])


def notify_status(notify_id: str, *, timeout: int) -> str:
    """What Notify says of a notification now (e.g. sending, delivered)."""
    response: dict[str, Any] = _client(timeout).get_notification_by_id(notify_id)
    return str(response.get("status", ""))


def notify_failure(error: BaseException) -> NotifyFailure | None:
    """What a Notify error means for the message, in words holding no personal data; None
    for an error that did not come from talking to Notify."""
    if isinstance(error, NotifyNotConfigured):
        return NotifyFailure(
            "GOV.UK Notify has an API key but no template id (OPENMASH_NOTIFY_TEMPLATE_ID)",
            permanent=False,
        )
    if not isinstance(error, APIError):
        return None
    status = error.status_code
    if error.response is None:
        return NotifyFailure("Could not reach GOV.UK Notify", permanent=False)
    if status == 400:
        return NotifyFailure(
            "GOV.UK Notify refused the message as invalid (HTTP 400)", permanent=True
        )
    if status == 403:
        return NotifyFailure(
            # Under Message.failure's 200 characters.
            "GOV.UK Notify refused OpenMASH's API key (HTTP 403): check "
            "OPENMASH_NOTIFY_API_KEY is current and the server's clock is within 30 seconds",
            permanent=False,
            configuration=True,
        )
    if status == 429:
        return NotifyFailure("GOV.UK Notify's rate limit was reached (HTTP 429)", permanent=False)
    if status >= 500:
        return NotifyFailure(f"GOV.UK Notify was unavailable (HTTP {status})", permanent=False)
    return NotifyFailure(f"GOV.UK Notify refused the message (HTTP {status})", permanent=False)
