"""What anonymising a contact removes, and what it keeps (ADR 0025).

Removed: everything that names or describes a person in words: the people's names, dates
of birth, addresses, identifiers and school and GP codes; the referrer's name, role,
organisation, email and phone; every free-text field (the concern, reasons, rationales,
findings, summaries, minutes, actions); the contact's files, case notes, the referrer's
additions, the history of corrections, the index entries and matches of its people, the
events sent about it, and the address, subject and body of every email about it.

Kept, because the statutory returns, the performance figures and value for money count
them: the contact's reference, dates, channel, referral source, RAG ratings and
deadlines, the concern codes, every decision's outcome, level of need and primary need,
each child's outcome, hand-ons and their timings, checks and whether each agency knew the
person, strategy discussions' dates and outcomes, and each person's role, sex, census
ethnicity, disability and age at the contact (the date of birth itself goes). Who did
each piece of work (staff accounts) stays too: that is the hub's record of its own work.

Called by the retention job (openmash.governance.retention) inside its transaction.
"""

from collections.abc import Callable
from functools import partial

from django.db.models import Q, QuerySet

from openmash.contacts.models import Contact, ContactAddition, ContactPerson, PersonCorrection
from openmash.core.attachments import discard
from openmash.core.metric_facts import contacts_changed
from openmash.enquiries.models import (
    AgencyCheck,
    Attachment,
    CaseNote,
    CheckFinding,
    ClosureProposal,
    Decision,
    HandOn,
    Message,
    RagRating,
)
from openmash.events.models import Event
from openmash.linkage.models import IdentifierConflict, IndexedPerson, PersonLink
from openmash.strategy.models import DiscussionAttachment, StrategyAction, StrategyDiscussion

REMOVED = ""


def message_anonymise(messages: QuerySet[Message]) -> int:
    """Blank the address, subject and body of these messages; the kind, status and dates
    stay. Returns how many."""
    return messages.update(to_email=REMOVED, subject=REMOVED, body=REMOVED)


def files_delete(
    attachments: list[Attachment] | list[DiscussionAttachment],
    on_commit: Callable[[Callable[[], None]], None],
) -> int:
    """Delete these files' records now and the stored files once the transaction commits
    (a rollback keeps both)."""
    names = [attachment.stored_name for attachment in attachments]
    for attachment in attachments:
        attachment.delete()
    for name in names:
        on_commit(partial(discard, name))
    return len(names)


def contact_anonymise(
    contact: Contact, *, on_commit: Callable[[Callable[[], None]], None]
) -> dict[str, int]:
    """Anonymise one contact in place (the caller holds its row lock and its
    transaction). Returns how many of each kind of row were removed or blanked."""
    counts: dict[str, int] = {}
    people = list(ContactPerson.objects.filter(contact=contact))
    person_ids = [person.pk for person in people]

    # Files first: an attachment protects the note or check it is on.
    counts["attachments"] = files_delete(
        list(Attachment.objects.filter(contact=contact)), on_commit
    )
    discussions = StrategyDiscussion.objects.filter(contact=contact)
    counts["attachments"] += files_delete(
        list(DiscussionAttachment.objects.filter(discussion__in=discussions)), on_commit
    )
    # A correction points at the note it corrects (protected): newest first.
    notes = list(CaseNote.objects.filter(contact=contact).order_by("-id"))
    for note in notes:
        note.delete()
    counts["case_notes"] = len(notes)
    counts["additions"] = ContactAddition.objects.filter(contact=contact).delete()[0]
    counts["corrections"] = PersonCorrection.objects.filter(person__contact=contact).delete()[0]
    counts["events"] = Event.objects.filter(contact=contact).delete()[0]
    # The people's index entries and everything the matcher or a screener said of them.
    counts["links"] = PersonLink.objects.filter(contact_person_id__in=person_ids).delete()[0]
    IdentifierConflict.objects.filter(
        Q(contact_person_id__in=person_ids) | Q(other_contact_person_id__in=person_ids)
    ).delete()
    counts["index_entries"] = IndexedPerson.objects.filter(
        contact_person_id__in=person_ids
    ).delete()[0]
    counts["messages"] = message_anonymise(Message.objects.filter(contact=contact))

    for person in people:
        age = person.age_on(contact.received_at.date())
        ContactPerson.objects.filter(pk=person.pk).update(
            given_names=REMOVED,
            family_name=REMOVED,
            other_names=REMOVED,
            date_of_birth=None,
            expected_birth_date=None,
            estimated_age=age,
            address_line1=REMOVED,
            address_line2=REMOVED,
            town=REMOVED,
            postcode=REMOVED,
            nhs_number=REMOVED,
            upn=REMOVED,
            first_language=REMOVED,
            school_urn=REMOVED,
            gp_practice=REMOVED,
        )
    counts["people"] = len(people)
    Contact.objects.filter(pk=contact.pk).update(
        referrer_name=REMOVED,
        referrer_role=REMOVED,
        referrer_organisation=REMOVED,
        referrer_email=REMOVED,
        referrer_phone=REMOVED,
        concern_description=REMOVED,
        received_at_reason=REMOVED,
        consent_reason=REMOVED,
    )
    # The indicators' facts keep the referrer's organisation as typed.
    contacts_changed([contact.pk])
    RagRating.objects.filter(contact=contact).update(rationale=REMOVED)
    AgencyCheck.objects.filter(contact=contact).update(waive_reason=REMOVED)
    CheckFinding.objects.filter(agency_check__contact=contact).update(
        summary=REMOVED,
        risk_indicators=REMOVED,
        restricted_information=REMOVED,
        onward_summary=REMOVED,
    )
    ClosureProposal.objects.filter(contact=contact).update(
        rationale=REMOVED, response_reason=REMOVED
    )
    Decision.objects.filter(contact=contact).update(
        rationale=REMOVED,
        summary=REMOVED,
        worker_risks=REMOVED,
        amendment_reason=REMOVED,
        shared_findings=[],
    )
    HandOn.objects.filter(contact=contact).update(
        allocated_worker=REMOVED, worker_contact=REMOVED, return_reason=REMOVED
    )
    discussions.update(
        reason=REMOVED, place=REMOVED, call_link=REMOVED, minutes=REMOVED, outcome_detail=REMOVED
    )
    StrategyAction.objects.filter(discussion__in=discussions).update(description=REMOVED)
    return counts
