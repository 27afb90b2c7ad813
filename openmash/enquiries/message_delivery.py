"""How OpenMASH's emails are delivered. Every message is recorded (Message) in the same
transaction as the work that caused it, and handed over only once that transaction has
committed, so nothing is sent about work that was rolled back: to GOV.UK Notify when an
API key is configured (openmash.core.notify), otherwise to Django's email backend.

Delivery is at least once: a message the mail server does not take is marked failed and
tried again by the periodic work (openmash.enquiries.tasks) after a growing wait, up to
MAX_ATTEMPTS, and a MASH manager can try it again by hand; one Notify refuses as a bad
request (HTTP 400) is not tried again automatically. Notify's 403 (a revoked key, a
server clock more than 30 seconds out) is a fault in OpenMASH's set-up that fails every
message alike: it is logged at ERROR and the message is tried again after the usual
waits, so it goes once the set-up is put right. Each attempt first claims the
message with a conditional update, so two workers never send the same attempt twice; a
worker that dies while sending leaves the message to be tried again once SENDING_LEASE
has passed. Nothing about sending is ever raised to the work that caused the message, and
logs and the failure field name the message, never its address or body.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.notify import (
    FAILED_STATUSES,
    FINAL_STATUSES,
    notify_configured,
    notify_failure,
    notify_send_email,
    notify_status,
)
from openmash.enquiries.models import Message, MessageStatus

FAILURE_LIMIT = 200  # Message.failure
# How many attempts the periodic work makes before leaving a message failed for a manager.
MAX_ATTEMPTS = 5
# The wait after each failed attempt before the next (the periodic work runs every five
# minutes): about five and a half hours from the first attempt to the last.
RETRY_AFTER = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
# How long an attempt may take before the message is thought abandoned (its worker died)
# and tried again; also how long a new message waits for its on-commit attempt.
SENDING_LEASE = timedelta(minutes=10)
# A mail server that does not answer must not hold the request that caused the message.
SEND_TIMEOUT_SECONDS = 20
# How many due messages one run of the periodic work tries.
RETRY_BATCH = 200
UNSENT = (MessageStatus.QUEUED, MessageStatus.FAILED)
# How long after sending OpenMASH asks GOV.UK Notify what became of a message (Notify
# keeps trying a temporary failure for 72 hours).
NOTIFY_STATUS_WINDOW = timedelta(days=4)
logger = logging.getLogger(__name__)


def _failure_text(error: BaseException) -> str:
    """What went wrong, in words holding no personal data: an SMTP reply can quote the
    address or the message, so only the kind of error is kept."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "The mail server refused the recipient's address"
    elif isinstance(error, smtplib.SMTPSenderRefused):
        text = "The mail server refused OpenMASH's sending address"
    elif isinstance(error, smtplib.SMTPAuthenticationError):
        text = "The mail server did not accept OpenMASH's credentials"
    elif isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        text = "Could not reach the mail server"
    elif isinstance(error, smtplib.SMTPException):
        text = "The mail server refused the message"
    elif isinstance(error, OSError):
        text = "Could not reach the mail server"
    else:
        text = "The email could not be handed to the mail server"
    return f"{text} ({type(error).__name__})"[:FAILURE_LIMIT]


def _timeout() -> int:
    return int(getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)


def _email(message: Message) -> EmailMessage:
    timeout = _timeout()
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        connection=get_connection(fail_silently=False, timeout=timeout),
    )


def _claim(message_id: int, now: datetime, *, only_if_due: bool) -> Message | None:
    """Take the message for one attempt, or None if it has been sent, someone else is
    sending it, or (for the periodic work) it is not due. Gives up, without sending, a
    message whose last allowed attempt was abandoned."""
    message = Message.objects.filter(pk=message_id, status__in=UNSENT).first()
    if message is None:
        return None
    if only_if_due and (message.next_attempt_at is None or message.next_attempt_at > now):
        return None
    # Only the first to change the row from what was read takes the attempt.
    unchanged = Message.objects.filter(
        pk=message.pk, status=message.status, attempts=message.attempts
    )
    if only_if_due and message.attempts >= MAX_ATTEMPTS:
        unchanged.update(
            status=MessageStatus.FAILED,
            next_attempt_at=None,
            failure="The last attempt did not finish; it may not have been delivered",
        )
        return None
    if not unchanged.update(
        status=MessageStatus.QUEUED,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + SENDING_LEASE,
    ):
        return None
    message.attempts += 1
    return message


def _attempt(message_id: int, now: datetime, *, only_if_due: bool = False) -> bool:
    """Hand the message to the mail server once, recording the outcome; True if sent."""
    message = _claim(message_id, now, only_if_due=only_if_due)
    if message is None:
        return False
    notify_id = ""
    try:
        notify_id = _deliver(message)
    except Exception as error:
        notify = notify_failure(error)
        failure = notify.text if notify is not None else _failure_text(error)
        # Notify refuses a bad request however often it is asked; a refused key or a
        # clock out of step (403) is tried again, as it can be fixed without the message.
        retry = message.attempts < MAX_ATTEMPTS and not (notify is not None and notify.permanent)
        configuration = notify is not None and notify.configuration
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED,
            failure=failure,
            next_attempt_at=now + RETRY_AFTER[min(message.attempts, len(RETRY_AFTER)) - 1]
            if retry
            else None,
        )
        # The message's id and the kind of error only: never the address or the body.
        logger.log(
            logging.WARNING if retry and not configuration else logging.ERROR,
            "Message %s not sent (attempt %s of %s): %s.%s",
            message.pk,
            message.attempts,
            MAX_ATTEMPTS,
            failure,
            " It will be tried again." if retry else " A MASH manager can try it again.",
        )
        return False
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT,
        sent_at=now,
        next_attempt_at=None,
        failure="",
        notify_id=notify_id,
        notify_status="",
    )
    return True


def _deliver(message: Message) -> str:
    """Hand the message over once: to GOV.UK Notify when an API key is configured (returns
    Notify's id for it), otherwise to Django's email backend (returns ""). Raises whatever
    the channel raises when it does not take the message."""
    if notify_configured():
        return notify_send_email(
            to_email=message.to_email,
            subject=message.subject,
            body=message.body,
            # Notify keeps the reference: the message's id, never anything personal.
            reference=f"openmash-message-{message.pk}",
            timeout=_timeout(),
        )
    accepted = _email(message).send(fail_silently=False)
    if not accepted:
        raise smtplib.SMTPException("no message sent")
    return ""


def _send_on_commit(message: Message, now: datetime) -> None:
    message_id = message.pk

    def send() -> None:
        # The work that caused the message is already committed: nothing here may turn it
        # into an error page. Whatever goes wrong, the message stays unsent and the
        # periodic work tries it again.
        try:
            _attempt(message_id, now)
        except Exception as error:
            logger.error(
                "Could not attempt message %s (%s); it will be tried again.",
                message_id,
                type(error).__name__,
            )

    transaction.on_commit(send)


def message_requeue(*, message: Message, now: datetime) -> None:
    """Queue a failed message for one attempt as soon as the caller's transaction commits
    (a manager trying it again: the attempt counts towards MAX_ATTEMPTS, and one that
    fails beyond it is not tried again automatically). The caller holds the row lock and
    has checked it is failed."""
    message.status = MessageStatus.QUEUED
    message.next_attempt_at = now + SENDING_LEASE
    message.save(update_fields=["status", "next_attempt_at"])
    _send_on_commit(message, now)


def messages_retry_due(*, now: datetime) -> int:
    """Try again every unsent message whose next attempt is due (a failed one after its
    wait; a queued one whose on-commit attempt never happened or was abandoned). Each
    attempt is claimed first, so runs that overlap do not send a message twice. Returns
    how many were sent."""
    due = list(
        Message.objects.filter(status__in=UNSENT, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    sent = 0
    for message_id in due:
        try:
            sent += _attempt(message_id, now, only_if_due=True)
        except Exception as error:
            # One message the database will not update must not stop the others.
            logger.error("Could not attempt message %s (%s).", message_id, type(error).__name__)
    return sent


def messages_notify_status_refresh(*, now: datetime) -> int:
    """Ask GOV.UK Notify what became of the messages it took in the last few days and has
    not finished with, recording its status on each. One Notify could not deliver (a
    bounce, an inbox full for days) becomes failed, for a MASH manager to see and try
    again; it is not retried automatically, since Notify has already tried. Returns how
    many were asked about. Does nothing without an API key."""
    if not notify_configured():
        return 0
    pending = list(
        Message.objects.filter(
            status=MessageStatus.SENT,
            sent_at__gte=now - NOTIFY_STATUS_WINDOW,
        )
        .exclude(notify_id="")
        .exclude(notify_status__in=FINAL_STATUSES)
        .order_by("sent_at", "pk")
        .values_list("pk", "notify_id")[:RETRY_BATCH]
    )
    asked = 0
    for message_id, notify_id in pending:
        try:
            status = notify_status(notify_id, timeout=_timeout())
        except Exception as error:
            notify = notify_failure(error)
            logger.warning(
                "Could not ask GOV.UK Notify about message %s: %s",
                message_id,
                notify.text if notify is not None else type(error).__name__,
            )
            continue
        asked += 1
        if status in FAILED_STATUSES:
            Message.objects.filter(pk=message_id, status=MessageStatus.SENT).update(
                status=MessageStatus.FAILED,
                notify_status=status,
                failure=f"{FAILED_STATUSES[status]} ({status})"[:FAILURE_LIMIT],
                next_attempt_at=None,
            )
            logger.error("GOV.UK Notify could not deliver message %s (%s).", message_id, status)
        else:
            Message.objects.filter(pk=message_id).update(notify_status=status[:30])
    return asked


def record_message(
    *,
    contact: Contact,
    kind: str,
    to_email: str,
    subject: str,
    body: str,
    now: datetime,
    to_user: User | None = None,
    dedupe_key: str | None = None,
) -> Message | None:
    """Record a message and send it once the transaction commits; None if this reminder
    was already recorded."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                contact=contact,
                kind=kind,
                to_email=to_email,
                to_user=to_user,
                subject=subject,
                body=body,
                created_at=now,
                status=MessageStatus.QUEUED,
                next_attempt_at=now + SENDING_LEASE,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    _send_on_commit(message, now)
    return message
