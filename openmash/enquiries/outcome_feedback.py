"""The outcome feedback a referrer receives once the MASH has decided (or amended its
decision), recorded and sent as openmash.enquiries.message_delivery describes.

Feedback never carries what agencies contributed: only the outcome and next steps.
"""

from datetime import datetime

from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.contacts.models import Contact
from openmash.core.outbox import EventKind, publish
from openmash.enquiries.message_delivery import _record
from openmash.enquiries.models import Decision, Message, MessageKind


def outcome_to_referrer(*, contact: Contact, decision: Decision, now: datetime) -> Message | None:
    """Tell the referrer the outcome and next steps: their agency's system by an event (if
    an agency's user or system submitted the contact), and them by email if they left an
    address."""
    if contact.submitted_by_agency_id is not None:
        publish(EventKind.OUTCOME_SENT_TO_REFERRER, decision)
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
