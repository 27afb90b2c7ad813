"""Out of hours (issue 13, item 6): a contact made while the hub is closed is
acknowledged at once with the emergency duty team's details, and one about a child at
immediate risk, or rated at the most urgent level (red), alerts whoever is on call; with
nobody on call, the emergency duty team's inbox, and the audit log records that nobody
was. All of it starts once the area has set up its emergency duty team (Django admin).
In hours nothing changes: MASH managers are alerted about urgent work nobody has
taken (openmash.enquiries.deadline_alerts). Each message is recorded in the transaction
of the work that caused it and sent as openmash.enquiries.message_delivery describes.

No child's name is in any subject or body: the reference only.
"""

import logging
from datetime import datetime

from django.utils import timezone

from openmash.area.calendar import LONDON, WorkingCalendar
from openmash.area.models import EmergencyDutyTeam, RagLevel, WorkingHours
from openmash.area.out_of_hours import OutOfHours, on_call_at, out_of_hours_at
from openmash.contacts.models import Contact
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.enquiries.message_delivery import record_message
from openmash.enquiries.models import Message, MessageKind

SUBJECT_LIMIT = 200  # Message.subject
ON_CALL = Actor(system="out-of-hours", request_id="out-of-hours")
logger = logging.getLogger(__name__)


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LONDON):%H:%M on %A %-d %B %Y}"


def edt_lines(team: EmergencyDutyTeam, covers: str) -> str:
    return (
        f"If you need to speak to someone about a child before then, contact the "
        f"{team.name}:\n"
        f"Phone: {team.phone}\n"
        f"Email: {team.email}\n"
        f"{covers}.\n\n"
    )


def acknowledgement_out_of_hours(
    *, contact: Contact, out_of_hours: OutOfHours, now: datetime
) -> Message | None:
    """Tell the referrer, at once, that the contact was received while the MASH is closed,
    when it will be read, and how to reach the emergency duty team meanwhile."""
    if not contact.referrer_email:
        return None
    body = (
        f"Dear {contact.referrer_name or 'referrer'},\n\n"
        f"Thank you for your safeguarding contact {contact.reference}, received at "
        f"{_when(contact.recorded_at)}.\n\n"
        "The MASH is closed now. It will read your contact when it opens at "
        f"{_when(out_of_hours.reopens_at)}.\n\n"
        "If you are worried that a child is at immediate risk, call the police on 999.\n\n"
        + edt_lines(out_of_hours.team, out_of_hours.covers)
        + "Multi-Agency Safeguarding Hub"
    )
    return record_message(
        contact=contact,
        kind=MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT,
        to_email=contact.referrer_email,
        to_user=contact.submitted_by_user,
        subject=f"We have received your safeguarding contact {contact.reference}",
        body=body,
        now=now,
        dedupe_key=f"{MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT}:contact:{contact.pk}",
    )


def _is_most_urgent(level: RagLevel | None) -> bool:
    if level is None:
        return False
    first = RagLevel.objects.filter(active=True).order_by("order").values_list("pk", flat=True)
    return level.pk == first.first()


def urgent_alert_out_of_hours(
    *, contact: Contact, why: str, out_of_hours: OutOfHours, now: datetime
) -> Message | None:
    """Alert whoever is on call now about an urgent contact (once per contact and person);
    with nobody on call, the emergency duty team's inbox. Either way the audit log
    records whom the alert went to, or that nobody was on call."""
    period = on_call_at(now)
    received = _when(contact.received_at)
    team = out_of_hours.team
    if period is not None and period.person.email:
        person = period.person
        subject = f"{contact.reference}: {why}, received out of hours"
        body = (
            f"Contact {contact.reference} ({why}) was received at {received}, while the MASH "
            f"is closed. You are on call until {_when(period.ends_at)}.\n\n"
            "Sign in to OpenMASH and open the contact to decide what must happen now.\n\n"
            "Multi-Agency Safeguarding Hub"
        )
        message = record_message(
            contact=contact,
            kind=MessageKind.ON_CALL_ALERT,
            to_email=person.email,
            to_user=person,
            subject=subject[:SUBJECT_LIMIT],
            body=body,
            now=now,
            dedupe_key=f"{MessageKind.ON_CALL_ALERT}:contact:{contact.pk}:{person.pk}",
        )
        if message is not None:
            audit_record(
                actor=ON_CALL,
                action=AuditAction.CREATE,
                object_type="on_call_alert",
                object_id=message.pk,
                contact_id=contact.pk,
                detail={"on_call": person.pk, "on_call_period": period.pk, "why": why},
            )
        return message
    # Nobody on call: the record says so, and the emergency duty team is told instead.
    audit_record(
        actor=ON_CALL,
        action=AuditAction.CREATE,
        object_type="on_call_alert",
        contact_id=contact.pk,
        detail={"on_call": None, "why": why, "to": "emergency duty team"},
    )
    logger.warning("Contact %s is urgent out of hours and nobody is on call.", contact.pk)
    subject = f"{contact.reference}: {why}, received out of hours, nobody on call"
    body = (
        f"Contact {contact.reference} ({why}) was received at {received}, while the MASH is "
        "closed, and nobody is on the on-call rota now.\n\n"
        "Sign in to OpenMASH and open the contact to decide what must happen now.\n\n"
        "Multi-Agency Safeguarding Hub"
    )
    return record_message(
        contact=contact,
        kind=MessageKind.EDT_ALERT,
        to_email=team.email,
        subject=subject[:SUBJECT_LIMIT],
        body=body,
        now=now,
        dedupe_key=f"{MessageKind.EDT_ALERT}:contact:{contact.pk}",
    )


def out_of_hours_on_receipt(
    contact: Contact, now: datetime, hours: WorkingHours, calendar: WorkingCalendar
) -> None:
    """Registered with openmash.core.intake: runs in contact_create's transaction, with
    the area's working hours and calendar as intake read them."""
    out_of_hours = out_of_hours_at(now, hours=hours, calendar=calendar)
    if out_of_hours is None:
        return
    acknowledgement_out_of_hours(contact=contact, out_of_hours=out_of_hours, now=now)
    if contact.immediate_risk:
        urgent_alert_out_of_hours(
            contact=contact,
            why="a child at immediate risk",
            out_of_hours=out_of_hours,
            now=now,
        )


def out_of_hours_on_rating(contact: Contact, now: datetime) -> None:
    """A screener rated the contact: at the most urgent level while the hub is closed,
    whoever is on call is alerted (once per contact and person)."""
    if not _is_most_urgent(contact.rag_level):
        return
    out_of_hours = out_of_hours_at(now)
    if out_of_hours is None:
        return
    assert contact.rag_level is not None
    urgent_alert_out_of_hours(
        contact=contact,
        why=f"rated {contact.rag_level.label.lower()}",
        out_of_hours=out_of_hours,
        now=now,
    )
