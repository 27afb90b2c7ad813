"""Emails a MASH manager tries again by hand after the mail server did not take them."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from openmash.core.audit import Actor
from openmash.core.models import AuditAction
from openmash.enquiries.message_delivery import message_requeue
from openmash.enquiries.models import Message, MessageStatus
from openmash.enquiries.services.guards import _audit, _locked_contact, _require


class MessageNotRetryable(Exception):
    """The email is not one that failed (it has been sent, or is being sent); nothing was
    changed."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(
            "This email has been sent."
            if message.status == MessageStatus.SENT
            else "This email is being sent now."
        )


@transaction.atomic
def message_retry(*, actor: Actor, message_id: int, now: datetime | None = None) -> Message:
    """A MASH manager tries again to send an email the mail server did not take. The
    attempt is made once this transaction commits and counts towards the limit of
    attempts; it never raises for the mail server (the message records how it went).
    Raises MessageNotRetryable unless the message has failed."""
    _require(actor, "enquiries.retry_message")
    now = now or timezone.now()
    contact_id = Message.objects.values_list("contact_id", flat=True).get(pk=message_id)
    contact = _locked_contact(contact_id)
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.status != MessageStatus.FAILED:
        raise MessageNotRetryable(message)
    message_requeue(message=message, now=now)
    _audit(
        actor,
        AuditAction.UPDATE,
        "message",
        message,
        contact,
        change="sending tried again",
        attempts=message.attempts,
    )
    return message
