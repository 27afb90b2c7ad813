"""The read behind a contact's print view: the MASH record of one contact, on paper.

Who may print it: whoever may open the contact's screening page (the MASH's screeners and
managers, enquiries.view_screening_queue). What is printed is what the MASH record shows
them: every agency's findings need enquiries.view_all_findings as on the decision page, so
a user without it is refused (PermissionDenied) rather than given a record with some
findings silently missing; today both permissions go to the same roles. The children's
chronologies are read as the chronology page reads them for this user.

Records the read of the contact and of each check and each chronology's contacts, as those
pages do, and one more read of the contact saying it was printed."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from openmash.contacts.codes import CHILD_ROLES
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.enquiries.selectors.chronology import ChildChronology, child_chronology_for
from openmash.enquiries.selectors.decisions import DecisionPage, decision_page_for


@dataclass(frozen=True)
class PrintRecord:
    page: DecisionPage
    # One chronology for each child named in the contact, in the contact's order.
    chronologies: list[ChildChronology]


def contact_print_for(*, actor: Actor, reference: str) -> PrintRecord:
    user = actor.user
    if actor.token is not None or user is None:
        raise PermissionDenied
    if not user.has_perm("enquiries.view_screening_queue"):
        raise PermissionDenied
    page = decision_page_for(actor=actor, reference=reference)
    contact = page.contact
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact",
        object_id=contact.pk,
        contact_id=contact.pk,
        detail={"view": "print"},
    )
    children = [person for person in contact.people.all() if person.role in CHILD_ROLES]
    return PrintRecord(
        page=page,
        chronologies=[child_chronology_for(actor=actor, person_id=child.pk) for child in children],
    )
