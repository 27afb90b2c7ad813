"""The outcome feedback a referrer receives once the MASH has decided (or amended its
decision), recorded and sent as openmash.enquiries.message_delivery describes.

Feedback never carries what agencies contributed: only the outcome and next steps (for a
contact about several children with different outcomes, each child's).
"""

from datetime import datetime

from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.area.models import Outcome
from openmash.contacts.models import Contact
from openmash.core.outbox import EventKind, publish
from openmash.enquiries.child_outcomes import children_of, is_per_child
from openmash.enquiries.message_delivery import record_message
from openmash.enquiries.models import Decision, Message, MessageKind


def _next_steps(outcome: Outcome) -> str:
    return outcome.next_steps or "the MASH will be in touch if needed."


def _decided(decision: Decision, amended: str) -> str:
    """The decision in the referrer's words: one outcome, or, when the children's
    outcomes differ, each child's with what happens next for them (ADR 0022)."""
    children = children_of(decision)
    if not is_per_child(children):
        outcome = decision.outcome
        return (
            f"The MASH has made its decision{amended}: {outcome.label}.\n\n"
            f"What happens next: {_next_steps(outcome)}"
        )
    lines = [f"The MASH has made its decision{amended} for each child:"]
    for child in children:
        lines.append(
            f"\n{child.person.full_name}: {child.outcome.label}.\n"
            f"What happens next: {_next_steps(child.outcome)}"
        )
    return "\n".join(lines)


def outcome_to_referrer(*, contact: Contact, decision: Decision, now: datetime) -> Message | None:
    """Tell the referrer the outcome and next steps: their agency's system by an event (if
    an agency's user or system submitted the contact), and them by email if they left an
    address."""
    if contact.submitted_by_agency_id is not None:
        publish(EventKind.OUTCOME_SENT_TO_REFERRER, decision)
    if not contact.referrer_email:
        return None
    amended = " (amended)" if decision.amends_id else ""
    body = (
        f"Dear {contact.referrer_name or 'referrer'},\n\n"
        f"Thank you for your contact {contact.reference}, received "
        f"{timezone.localtime(contact.received_at, LONDON):%-d %B %Y}.\n\n"
        f"{_decided(decision, amended)}\n\n"
        "If you are worried that a child is at immediate risk, call the police on 999.\n\n"
        "Multi-Agency Safeguarding Hub"
    )
    return record_message(
        contact=contact,
        kind=MessageKind.OUTCOME_FEEDBACK,
        to_email=contact.referrer_email,
        subject=f"Outcome of your safeguarding contact {contact.reference}",
        body=body,
        now=now,
        to_user=contact.submitted_by_user,
    )
