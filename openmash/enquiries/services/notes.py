"""Case notes on a contact (issue 13, item 1): a phone call with the referrer, an email,
a discussion, a manager's oversight. Typed, timestamped and author-stamped; never edited
in place: a correction is a new note that points at the note it corrects.

Who may add one (rule enquiries.case_notes): a MASH screener or manager on any contact;
an agency researcher on a contact their agency was asked to check, and then only
correcting a note their own agency wrote (the one they can see).

A note may carry a file (issue 13, item 2): the note and its file are written in one
transaction, or neither is; a refused file is a field error beside the note as typed.
"""

from django.core.files.base import File

from openmash.core.audit import Actor
from openmash.core.permissions import is_mash_decision_maker
from openmash.enquiries.models import CaseNote, CaseNoteType
from openmash.enquiries.services.attachments import (
    attach,
    files_removed_unless_committed,
    inspect_into,
)
from openmash.enquiries.services.guards import _audit, _locked_contact, _raise_if, _require, _text


def note_add(
    *,
    actor: Actor,
    contact_id: int,
    note_type: str,
    text: str,
    corrects_id: int | None = None,
    upload: File | None = None,
) -> CaseNote:
    """Add a note to the contact, or a correction of one of its notes, with its file if
    one is given; one transaction. Every error (type, text, correction, file) is raised
    together as EnquiryInvalid, and nothing is written."""
    with files_removed_unless_committed() as stored:
        contact = _locked_contact(contact_id)
        user = _require(actor, "enquiries.case_notes", contact)
        mash = bool(is_mash_decision_maker(user))
        errors: dict[str, str] = {}
        if note_type not in CaseNoteType.values:
            errors["note_type"] = "Select the type of note"
        text = _text(errors, "text", text, "Enter the note")
        corrected: CaseNote | None = None
        if corrects_id is not None:
            corrected = CaseNote.objects.filter(pk=corrects_id, contact=contact).first()
            if corrected is None or (not mash and corrected.author_agency_id != user.agency_id):
                errors["corrects"] = "The note to correct is not on this contact"
        inspected = inspect_into(errors, upload, required=False)
        _raise_if(errors)
        note = CaseNote.objects.create(
            contact=contact,
            note_type=note_type,
            text=text,
            author=user,
            author_agency_id=None if mash else user.agency_id,
            corrects=corrected,
        )
        _audit(
            actor,
            "create",
            "case_note",
            note,
            contact,
            note_type=note_type,
            corrects=corrected.pk if corrected else None,
        )
        if upload is not None and inspected is not None:
            attach(
                actor=actor,
                user=user,
                contact=contact,
                upload=upload,
                inspected=inspected,
                stored=stored,
                case_note=note,
            )
        return note
