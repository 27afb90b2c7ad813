"""What the MASH decided about a contact, for the referrer's pages: the decisions and
the outcome emails, never the agencies' findings, the rationale or the RAG rating."""

from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from openmash.contacts.models import Contact, ContactAddition
from openmash.contacts.selectors import contact_page_submitted_by_agency
from openmash.core.audit import Actor
from openmash.enquiries.models import Decision, HandOn, HandOnState, Message, MessageKind


def _decisions_newest_first() -> QuerySet[Decision]:
    """With each child's outcome (ADR 0022)."""
    return (
        Decision.objects.select_related("outcome")
        .prefetch_related("child_outcomes__outcome", "child_outcomes__person")
        .order_by("-decided_at", "-id")
    )


def hand_ons_newest_first() -> QuerySet[HandOn]:
    """The hand-ons a referrer may know of (not those withdrawn by an amendment), newest
    first, with the children each concerns: whether the team accepted the case, and its
    named worker."""
    return (
        HandOn.objects.exclude(state=HandOnState.WITHDRAWN)
        .prefetch_related("children")
        .order_by("-created_at", "-id")
    )


def contact_page_submitted_with_outcomes(*, actor: Actor, page_number: str | int | None) -> Page:
    """Contacts the user's own organisation submitted, each with the MASH's decisions
    (for the outcome); records each one shown. One query for the decisions of the whole
    page, whatever its length."""
    page = contact_page_submitted_by_agency(actor=actor, page_number=page_number)
    prefetch_related_objects(
        list(page.object_list),
        Prefetch("decisions", queryset=_decisions_newest_first()),
        Prefetch("hand_ons", queryset=hand_ons_newest_first()),
    )
    return page


@dataclass(frozen=True)
class ContactFeedback:
    """What the referrer may know of what became of their contact: the decisions (newest
    first, for the outcome and its dates) and the outcome emails sent. Never what the
    agencies found, the rationale or the RAG rating."""

    decisions: list[Decision]
    emails: list[Message]
    hand_ons: list[HandOn]


def contact_feedback_for(*, contact: Contact) -> ContactFeedback:
    """For a contact already fetched (and its read recorded) by contact_get_visible_to."""
    return ContactFeedback(
        decisions=list(_decisions_newest_first().filter(contact=contact)),
        emails=list(
            Message.objects.filter(contact=contact, kind=MessageKind.OUTCOME_FEEDBACK).order_by(
                "created_at", "id"
            )
        ),
        hand_ons=list(hand_ons_newest_first().filter(contact=contact)),
    )


def contact_additions_for(*, contact: Contact) -> list[ContactAddition]:
    """What the referrer added to a contact already fetched (and its read recorded) by
    contact_get_visible_to or screening_contact_get, oldest first."""
    return list(
        ContactAddition.objects.filter(contact=contact)
        .select_related("added_by_user", "added_by_token")
        .order_by("added_at", "id")
    )
