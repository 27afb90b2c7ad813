"""Messages OpenMASH sends: the outcome to the referrer, reminders before a deadline, and
alerts to managers when one passes. Every message is recorded (Message) in the same
transaction as the work that caused it, and handed to Django's email backend only once
that transaction has committed, so nothing is sent about work that was rolled back.

Delivery is at least once: a message the mail server does not take is marked failed and
tried again by the periodic work (openmash.enquiries.tasks) after a growing wait, up to
MAX_ATTEMPTS, and a MASH manager can try it again by hand. Each attempt first claims the
message with a conditional update, so two workers never send the same attempt twice; a
worker that dies while sending leaves the message to be tried again once SENDING_LEASE
has passed. Nothing about sending is ever raised to the work that caused the message, and
logs and the failure field name the message, never its address or body.

Feedback never carries what agencies contributed: only the outcome and next steps.
"""

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from openmash.accounts.models import User, UserRole
from openmash.area.calendar import LONDON
from openmash.area.models import WorkingHours
from openmash.contacts.models import Contact
from openmash.core.roles import Role
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    Decision,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
    MessageStatus,
)
from openmash.enquiries.workflow import DEADLINE_STATES

SUBJECT_LIMIT = 200  # Message.subject
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


def _email(message: Message) -> EmailMessage:
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS
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
    try:
        accepted = _email(message).send(fail_silently=False)
        if not accepted:
            raise smtplib.SMTPException("no message sent")
    except Exception as error:
        failure = _failure_text(error)
        retry = message.attempts < MAX_ATTEMPTS
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED,
            failure=failure,
            next_attempt_at=now + RETRY_AFTER[min(message.attempts, len(RETRY_AFTER)) - 1]
            if retry
            else None,
        )
        # The message's id and the kind of error only: never the address or the body.
        logger.log(
            logging.WARNING if retry else logging.ERROR,
            "Message %s not sent (attempt %s of %s): %s.%s",
            message.pk,
            message.attempts,
            MAX_ATTEMPTS,
            failure,
            " It will be tried again." if retry else " A MASH manager can try it again.",
        )
        return False
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=now, next_attempt_at=None, failure=""
    )
    return True


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


def _record(
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


def outcome_to_referrer(*, contact: Contact, decision: Decision, now: datetime) -> Message | None:
    """Tell the referrer the outcome and next steps, if they left an email address."""
    if not contact.referrer_email:
        return None
    outcome = decision.outcome
    amended = " (amended)" if decision.amends_id else ""
    body = (
        f"Dear {contact.referrer_name or 'referrer'},\n\n"
        f"Thank you for your contact {contact.reference}, received "
        f"{timezone.localtime(contact.received_at, LONDON):%-d %B %Y}.\n\n"
        f"The MASH has made its decision{amended}: {outcome.label}.\n\n"
        f"What happens next: {outcome.next_steps or 'the MASH will be in touch if needed.'}\n\n"
        "If you are worried that a child is at immediate risk, call the police on 999.\n\n"
        "Multi-Agency Safeguarding Hub"
    )
    return _record(
        contact=contact,
        kind=MessageKind.OUTCOME_FEEDBACK,
        to_email=contact.referrer_email,
        subject=f"Outcome of your safeguarding contact {contact.reference}",
        body=body,
        now=now,
        to_user=contact.submitted_by_user,
    )


def _when(moment: datetime) -> str:
    """A time as the hub reads it: "14:05 on 3 March 2026", in Europe/London."""
    return f"{timezone.localtime(moment, LONDON):%H:%M on %-d %B %Y}"


@dataclass(frozen=True)
class _Notice:
    contact: Contact
    kind: str
    user: User
    subject: str
    body: str
    dedupe_key: str


class _Recipients:
    """Everyone a reminder or alert can go to, read once per run rather than once per
    contact or check."""

    def __init__(self) -> None:
        grants = (
            UserRole.objects.filter(
                role__in=[Role.SCREENER, Role.MASH_MANAGER, Role.AGENCY_RESEARCHER],
                user__is_active=True,
            )
            .exclude(user__email="")
            .select_related("user")
            .order_by("user_id", "role")
        )
        self.screeners: list[User] = []
        self.managers: list[User] = []
        self.researchers: dict[int, list[User]] = defaultdict(list)
        for grant in grants:
            user = grant.user
            if grant.role == Role.SCREENER:
                self.screeners.append(user)
            elif grant.role == Role.MASH_MANAGER:
                self.managers.append(user)
            elif user.agency_id is not None:
                self.researchers[user.agency_id].append(user)

    def for_screening(self, contact: Contact) -> list[User]:
        """The screener the contact is assigned to, or every screener while nobody has it
        (or its screener has left)."""
        assigned = contact.assigned_to
        if assigned is not None and assigned.is_active:
            return [assigned] if assigned.email else []
        return self.screeners


def _contact_notices(now: datetime, soon: datetime, people: _Recipients) -> Iterator[_Notice]:
    # A case returned by the team it was handed to has a new deadline, counted from the
    # return: its reminders are its own, even should the new deadline fall on the same
    # minute as an earlier one (working hours start every deadline set overnight at 09:00).
    latest_return = (
        HandOn.objects.filter(contact=OuterRef("pk"), state=HandOnState.RETURNED)
        .order_by("-responded_at", "-id")
        .values("pk")[:1]
    )
    contacts = (
        Contact.objects.filter(
            state__in=DEADLINE_STATES, deadline_at__isnull=False, deadline_at__lte=soon
        )
        .annotate(latest_return=Subquery(latest_return))
        .select_related("assigned_to")
        .order_by("deadline_at", "pk")
    )
    for contact in contacts.iterator(chunk_size=500):
        assert contact.deadline_at is not None
        due = _when(contact.deadline_at)
        returned = getattr(contact, "latest_return", None)
        cycle = f":return:{returned}" if returned else ""
        if contact.deadline_at > now:
            recipients, kind = people.for_screening(contact), MessageKind.DEADLINE_REMINDER
            subject = f"{contact.reference}: MASH decision due by {due}"
        else:
            recipients, kind = people.managers, MessageKind.DEADLINE_PASSED
            subject = f"{contact.reference}: MASH decision overdue (was due {due})"
        for user in recipients:
            yield _Notice(
                contact=contact,
                kind=kind,
                user=user,
                subject=subject[:SUBJECT_LIMIT],
                body=f"{subject}.\n\nOpen OpenMASH to see the contact.",
                dedupe_key=(
                    f"{kind}:contact:{contact.pk}:{contact.deadline_at:%Y%m%d%H%M}:{user.pk}"
                    + cycle
                ),
            )


def _check_notices(now: datetime, soon: datetime, people: _Recipients) -> Iterator[_Notice]:
    # A check left open on a contact that has since been decided or closed is nobody's
    # deadline any more.
    checks = (
        AgencyCheck.objects.filter(
            state=CheckState.REQUESTED,
            deadline_at__lte=soon,
            contact__state__in=DEADLINE_STATES,
        )
        .select_related("agency", "contact")
        .order_by("deadline_at", "pk")
    )
    for check in checks.iterator(chunk_size=500):
        due = _when(check.deadline_at)
        if check.deadline_at > now:
            recipients = people.researchers.get(check.agency_id, [])
            kind = MessageKind.DEADLINE_REMINDER
            subject = f"{check.contact.reference}: {check.agency.name} check due by {due}"
        else:
            recipients, kind = people.managers, MessageKind.DEADLINE_PASSED
            subject = (
                f"{check.contact.reference}: {check.agency.name} check overdue (was due {due})"
            )
        for user in recipients:
            yield _Notice(
                contact=check.contact,
                kind=kind,
                user=user,
                subject=subject[:SUBJECT_LIMIT],
                body=f"{subject}.\n\nOpen OpenMASH to see the check.",
                dedupe_key=f"{kind}:check:{check.pk}:{check.deadline_at:%Y%m%d%H%M}:{user.pk}",
            )


def _batches(notices: Iterator[_Notice], size: int = 500) -> Iterator[list[_Notice]]:
    batch: list[_Notice] = []
    for notice in notices:
        batch.append(notice)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def deadline_alerts_send(*, now: datetime) -> int:
    """Remind the people responsible before a deadline, and alert MASH managers when one
    has passed. Safe to run as often as wanted: each reminder and alert is sent once per
    deadline and recipient (a re-grade that moves the deadline earns a new one, as does a
    case returned to the MASH, whose deadline is counted afresh from the return), and
    nothing is sent about a contact that has been decided or closed. Returns how many
    messages were recorded (each is sent once the run's transaction for it commits, and
    tried again later if the mail server does not take it)."""
    hours = WorkingHours.objects.first() or WorkingHours()
    soon = now + timedelta(hours=float(hours.reminder_hours_before))
    people = _Recipients()
    notices = chain(_contact_notices(now, soon, people), _check_notices(now, soon, people))
    sent = 0
    for batch in _batches(notices):
        # Most runs find only reminders already sent: skip them with one query rather
        # than one failed insert each. The unique key still settles two runs at once.
        already = set(
            Message.objects.filter(
                dedupe_key__in=[notice.dedupe_key for notice in batch]
            ).values_list("dedupe_key", flat=True)
        )
        for notice in batch:
            if notice.dedupe_key in already:
                continue
            with transaction.atomic():
                message = _record(
                    contact=notice.contact,
                    kind=notice.kind,
                    to_email=notice.user.email,
                    to_user=notice.user,
                    subject=notice.subject,
                    body=notice.body,
                    now=now,
                    dedupe_key=notice.dedupe_key,
                )
            sent += message is not None
    return sent


def overdue_filter(now: datetime) -> Q:
    """Contacts whose MASH deadline has passed while still open (the metrics use this)."""
    return Q(state__in=DEADLINE_STATES, deadline_at__lt=now)
