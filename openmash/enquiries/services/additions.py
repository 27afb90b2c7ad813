"""The referrer adds information to their own open contact (issue 13, item 3).

Only the referrer who submitted it (the same user, or a token of the submitting agency)
may add, and only while the MASH is still working on it (workflow.OPEN_STATES). The
screener who took the contact is told by email; the contact shows "New information" in
the queue, and the additions "New" on its screening page, until a screener marks them
read there (a button: opening the page writes nothing).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from openmash.contacts.models import Contact, ContactAddition
from openmash.contacts.submission import FieldError
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.enquiries import workflow
from openmash.enquiries.message_delivery import record_message
from openmash.enquiries.models import MessageKind

ADDITION_MAX_LENGTH = 5000


class AdditionInvalid(Exception):
    """The information breaks a rule; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} field error(s)")
        self.errors = errors


class ContactNotOpen(Exception):
    """The MASH has finished with the contact: information can no longer be added."""


def addition_errors(text: str) -> list[FieldError]:
    text = text.strip()
    if not text:
        return [FieldError("text", "Enter the information you want to add")]
    if "\x00" in text:
        return [FieldError("text", "The information must not contain a null character")]
    if len(text) > ADDITION_MAX_LENGTH:
        return [
            FieldError(
                "text", f"The information must be {ADDITION_MAX_LENGTH:,} characters or fewer"
            )
        ]
    return []


def may_add_information(actor: Actor, contact: Contact) -> bool:
    """The referrer who submitted it (or their agency's system), while it is open."""
    if contact.state not in workflow.OPEN_STATES:
        return False
    return _is_submitter(actor, contact)


def _is_submitter(actor: Actor, contact: Contact) -> bool:
    if actor.token is not None:
        return (
            contact.submitted_by_agency_id is not None
            and actor.token.agency_id == contact.submitted_by_agency_id
        )
    return actor.user is not None and contact.submitted_by_user_id == actor.user.pk


@dataclass(frozen=True)
class AdditionResult:
    addition: ContactAddition
    screener_emailed: bool


@transaction.atomic
def contact_add_information(
    *, actor: Actor, contact_id: int, text: str, now: datetime | None = None
) -> AdditionResult:
    """Add the referrer's information to their open contact, tell the screener who took
    it by email, and record the change. Raises Http404 for a contact the actor's agency
    did not submit, PermissionDenied for a colleague who did not submit it themselves,
    ContactNotOpen once the MASH has finished, AdditionInvalid on a field error."""
    now = now or timezone.now()
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .select_related("assigned_to")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None or actor.agency_id is None:
        raise Http404
    if contact.submitted_by_agency_id != actor.agency_id:
        raise Http404
    if not _is_submitter(actor, contact):
        raise PermissionDenied
    if contact.state not in workflow.OPEN_STATES:
        raise ContactNotOpen(contact.reference)
    errors = addition_errors(text)
    if errors:
        raise AdditionInvalid(errors)
    addition = ContactAddition.objects.create(
        contact=contact,
        text=text.strip(),
        added_by_user=actor.user if actor.token is None else None,
        added_by_token=actor.token,
        added_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="contact_addition",
        object_id=addition.pk,
        contact_id=contact.pk,
        detail={"characters": len(addition.text)},
    )
    emailed = False
    screener = contact.assigned_to
    if screener is not None and screener.email:
        record_message(
            contact=contact,
            kind=MessageKind.NEW_INFORMATION,
            to_email=screener.email,
            to_user=screener,
            subject=f"New information on contact {contact.reference}",
            # No personal data in the email: the screener reads it in OpenMASH.
            body=(
                f"The referrer has added information to contact {contact.reference}, "
                "which you are screening.\n\nSign in to OpenMASH and open the contact's "
                "screening page to read it.\n\nMulti-Agency Safeguarding Hub"
            ),
            now=now,
        )
        emailed = True
    return AdditionResult(addition=addition, screener_emailed=emailed)


@dataclass(frozen=True)
class MarkSeenResult:
    """What "Mark as read" did: how many of the additions the screener was shown are now
    read, and how many unread ones the page did not show them (added since it opened)."""

    marked: int
    newer: int


@transaction.atomic
def contact_additions_mark_seen(
    *,
    actor: Actor,
    contact_id: int,
    shown: Collection[int],
    now: datetime | None = None,
) -> MarkSeenResult:
    """A screener says they have read what the referrer added (the "Mark as read" button
    on the screening page): what was new is no longer new, in the queue or on the page.
    An explicit action, never a side effect of opening the page. Only the additions in
    `shown` (the ones the page showed as new, whose ids the form posts) are marked: one
    the referrer added after the page was opened stays new, and is counted in `newer` so
    the screener can be told. Raises PermissionDenied for anyone the rule
    enquiries.mark_additions_read refuses (another screener while the contact is being
    screened). Audited when any were marked."""
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    user = actor.user
    if user is None or not user.has_perm("enquiries.mark_additions_read", contact):
        raise PermissionDenied
    unread = ContactAddition.objects.filter(contact=contact, seen_at__isnull=True)
    marking = sorted(unread.filter(pk__in=set(shown)).values_list("pk", flat=True))
    if marking:
        ContactAddition.objects.filter(pk__in=marking).update(
            seen_at=now or timezone.now(), seen_by=user
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="contact",
            object_id=contact.pk,
            contact_id=contact.pk,
            detail={"change": "additions_marked_read", "additions": marking},
        )
    return MarkSeenResult(marked=len(marking), newer=unread.exclude(pk__in=marking).count())
