"""Case notes as the reader may see them: the MASH's screeners and managers see every
note; an agency researcher only the notes written by their own agency's people; anyone
else none. Every read is audited, one event per note shown."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet

from openmash.contacts.models import Contact
from openmash.core.audit import Actor, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.permissions import is_agency_researcher, is_mash_decision_maker
from openmash.enquiries.models import Attachment, CaseNote


def visible_notes(actor: Actor) -> QuerySet[CaseNote]:
    """Every note the actor may see, whatever the contact (the contact's own rule is the
    caller's to ask)."""
    notes = CaseNote.objects.select_related("author", "corrects")
    user = actor.user
    if user is None:
        return notes.none()
    if is_mash_decision_maker(user):
        pass
    elif is_agency_researcher(user) and user.agency_id is not None:
        notes = notes.filter(author_agency_id=user.agency_id)
    else:
        return notes.none()
    return notes.prefetch_related(
        Prefetch(
            "corrected_by",
            queryset=CaseNote.objects.filter(pk__in=notes.values("pk")).order_by("created_at"),
        ),
        # A note's files go with the note: whoever sees the note sees them.
        Prefetch(
            "attachments",
            queryset=Attachment.objects.select_related(
                "uploaded_by", "uploaded_by_agency"
            ).order_by("uploaded_at", "id"),
        ),
    )


def notes_audit(actor: Actor, notes: Iterable[CaseNote]) -> None:
    audit_record_many(
        actor=actor,
        action=AuditAction.READ,
        object_type="case_note",
        objects=[(note.pk, note.contact_id) for note in notes],
    )


def notes_for_contact(*, actor: Actor, contact: Contact) -> list[CaseNote]:
    """The contact's notes the actor may see, oldest first, audited."""
    if actor.user is None or not actor.user.has_perm("enquiries.case_notes", contact):
        raise PermissionDenied
    notes = list(visible_notes(actor).filter(contact=contact).order_by("created_at", "id"))
    notes_audit(actor, notes)
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="attachment",
        objects=[(each.pk, each.contact_id) for note in notes for each in note.attachments.all()],
    )
    return notes
