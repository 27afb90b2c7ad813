"""Messages OpenMASH sends: the outcome to the referrer, reminders before a deadline, and
alerts to managers when one passes. Every message is recorded (Message) in the same
transaction as the work that caused it, and handed to Django's email backend only once
that transaction has committed, so nothing is sent about work that was rolled back.

Feedback never carries what agencies contributed: only the outcome and next steps.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q

from openmash.accounts.models import User
from openmash.accounts.roles import Role
from openmash.area.models import WorkingHours
from openmash.contacts.models import Contact
from openmash.enquiries.models import AgencyCheck, CheckState, Decision, Message, MessageKind
from openmash.enquiries.workflow import DEADLINE_STATES


def _send_on_commit(message: Message) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
    )
    transaction.on_commit(lambda: email.send(fail_silently=False))


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
    """Record and (on commit) send a message; None if this reminder was already sent."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                contact=contact,
                kind=kind,
                to_email=to_email,
                to_user=to_user,
                subject=subject,
                body=body,
                sent_at=now,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    _send_on_commit(message)
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
        f"{contact.received_at:%d %B %Y}.\n\n"
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


def _people_with_role(role: Role, agency_id: int | None = None) -> list[User]:
    users = User.objects.filter(is_active=True, role_grants__role=role).exclude(email="")
    if agency_id is not None:
        users = users.filter(agency_id=agency_id)
    return list(users.distinct())


def _screening_recipients(contact: Contact) -> list[User]:
    if contact.assigned_to_id is not None and contact.assigned_to is not None:
        return [contact.assigned_to] if contact.assigned_to.email else []
    return _people_with_role(Role.SCREENER)


def deadline_alerts_send(*, now: datetime) -> int:
    """Remind the people responsible before a deadline, and alert MASH managers when one
    has passed. Safe to run as often as wanted: each reminder and alert is sent once per
    deadline and recipient. Returns how many messages were sent."""
    hours = WorkingHours.objects.first() or WorkingHours()
    soon = now + timedelta(hours=float(hours.reminder_hours_before))
    managers = _people_with_role(Role.MASH_MANAGER)
    sent = 0

    contacts = Contact.objects.filter(
        state__in=DEADLINE_STATES, deadline_at__isnull=False, deadline_at__lte=soon
    ).select_related("assigned_to")
    for contact in contacts.iterator(chunk_size=500):
        assert contact.deadline_at is not None
        due = f"{contact.deadline_at:%H:%M on %d %B %Y}"
        if contact.deadline_at > now:
            recipients, kind = _screening_recipients(contact), MessageKind.DEADLINE_REMINDER
            subject = f"{contact.reference}: MASH decision due by {due}"
        else:
            recipients, kind = managers, MessageKind.DEADLINE_PASSED
            subject = f"{contact.reference}: MASH decision overdue (was due {due})"
        for user in recipients:
            with transaction.atomic():
                message = _record(
                    contact=contact,
                    kind=kind,
                    to_email=user.email,
                    to_user=user,
                    subject=subject,
                    body=f"{subject}.\n\nOpen OpenMASH to see the contact.",
                    now=now,
                    dedupe_key=f"{kind}:contact:{contact.pk}:{contact.deadline_at:%Y%m%d%H%M}:{user.pk}",
                )
            sent += message is not None

    checks = AgencyCheck.objects.filter(
        state=CheckState.REQUESTED, deadline_at__lte=soon
    ).select_related("agency", "contact")
    for check in checks.iterator(chunk_size=500):
        due = f"{check.deadline_at:%H:%M on %d %B %Y}"
        if check.deadline_at > now:
            recipients = _people_with_role(Role.AGENCY_RESEARCHER, agency_id=check.agency_id)
            kind = MessageKind.DEADLINE_REMINDER
            subject = f"{check.contact.reference}: {check.agency.name} check due by {due}"
        else:
            recipients, kind = managers, MessageKind.DEADLINE_PASSED
            subject = (
                f"{check.contact.reference}: {check.agency.name} check overdue (was due {due})"
            )
        for user in recipients:
            with transaction.atomic():
                message = _record(
                    contact=check.contact,
                    kind=kind,
                    to_email=user.email,
                    to_user=user,
                    subject=subject,
                    body=f"{subject}.\n\nOpen OpenMASH to see the check.",
                    now=now,
                    dedupe_key=f"{kind}:check:{check.pk}:{check.deadline_at:%Y%m%d%H%M}:{user.pk}",
                )
            sent += message is not None
    return sent


def overdue_filter(now: datetime) -> Q:
    """Contacts whose MASH deadline has passed while still open (the metrics use this)."""
    return Q(state__in=DEADLINE_STATES, deadline_at__lt=now)
