"""Files attached to a contact, to an agency's check, or (with openmash.enquiries.services
.notes.note_add) to a case note (issue 13, item 2).

Every file is judged by its content (openmash.core.attachments.inspect_upload), stored
under a random name in the attachments storage and recorded with an audit event in one
transaction; if the transaction does not commit, the stored file is removed again, so no
record is half-saved and no file is left without one.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import File
from django.db import transaction

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.attachments import (
    AttachmentRefused,
    InspectedFile,
    discard,
    inspect_upload,
    store,
)
from openmash.core.audit import Actor
from openmash.core.permissions import is_mash_decision_maker
from openmash.enquiries.models import AgencyCheck, Attachment, CaseNote
from openmash.enquiries.services.guards import _audit, _locked_contact, _raise_if, _require

FIELD = "attachment"


class CheckNotOpen(Exception):
    """Files are added to a check while it is open, as its findings are; nothing was
    written."""

    def __init__(self, check: AgencyCheck) -> None:
        self.check = check
        super().__init__(
            f"This check is {check.get_state_display().lower()}: "
            "files can no longer be added to it."
        )


def inspect_into(
    errors: dict[str, str], upload: File | None, *, required: bool
) -> InspectedFile | None:
    """The file's inspection, or its refusal put into `errors` under the form's field."""
    if upload is None:
        if required:
            errors[FIELD] = "Select a file to attach"
        return None
    try:
        return inspect_upload(upload)
    except AttachmentRefused as refused:
        errors[FIELD] = str(refused)
        return None


@contextmanager
def files_removed_unless_committed() -> Iterator[list[str]]:
    """A transaction that removes the files stored in it (their names appended to the
    list it gives) if it does not commit."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for name in stored:
            discard(name)
        raise


def attach(
    *,
    actor: Actor,
    user: User,
    contact: Contact,
    upload: File,
    inspected: InspectedFile,
    stored: list[str],
    agency_check: AgencyCheck | None = None,
    case_note: CaseNote | None = None,
) -> Attachment:
    """Stores the inspected file and records it, with its audit event; inside the
    caller's `files_removed_unless_committed` transaction."""
    name = store(upload, inspected)
    stored.append(name)
    attachment = Attachment.objects.create(
        contact=contact,
        agency_check=agency_check,
        case_note=case_note,
        stored_name=name,
        filename=inspected.filename,
        content_type=inspected.kind.content_type,
        size=inspected.size,
        sha256=inspected.sha256,
        uploaded_by=user,
        uploaded_by_agency_id=None if is_mash_decision_maker(user) else user.agency_id,
    )
    on = "check" if agency_check else "case_note" if case_note else "contact"
    # Never the file's name (it may name the child): its hash says which file it was.
    _audit(
        actor,
        "create",
        "attachment",
        attachment,
        contact,
        on=on,
        on_id=(agency_check or case_note or contact).pk,
        content_type=inspected.kind.content_type,
        size=inspected.size,
        sha256=inspected.sha256,
    )
    return attachment


def attachment_add(*, actor: Actor, contact_id: int, upload: File | None) -> Attachment:
    """Attaches a file to the contact itself (a referral letter, a body map). Raises
    EnquiryInvalid (field "attachment") for a missing or refused file; writes nothing then."""
    with files_removed_unless_committed() as stored:
        contact = _locked_contact(contact_id)
        user = _require(actor, "enquiries.attachments", contact)
        errors: dict[str, str] = {}
        inspected = inspect_into(errors, upload, required=True)
        _raise_if(errors)
        assert upload is not None and inspected is not None
        return attach(
            actor=actor,
            user=user,
            contact=contact,
            upload=upload,
            inspected=inspected,
            stored=stored,
        )


def check_attachment_add(*, actor: Actor, check_id: int, upload: File | None) -> Attachment:
    """Attaches a file to an agency's open check, by one of that agency's researchers; it
    is behind the fire wall like the check's findings. Raises AgencyCheck.DoesNotExist for
    a check that is not their agency's, CheckNotOpen once it is completed or waived,
    EnquiryInvalid for a missing or refused file."""
    with files_removed_unless_committed() as stored:
        user = _require(actor, "enquiries.record_findings")
        if user.agency_id is None:
            raise AgencyCheck.DoesNotExist
        check = AgencyCheck.objects.get(pk=check_id, agency_id=user.agency_id)
        contact = _locked_contact(check.contact_id)
        check.refresh_from_db()
        if not check.is_open:
            raise CheckNotOpen(check)
        errors: dict[str, str] = {}
        inspected = inspect_into(errors, upload, required=True)
        _raise_if(errors)
        assert upload is not None and inspected is not None
        return attach(
            actor=actor,
            user=user,
            contact=contact,
            upload=upload,
            inspected=inspected,
            stored=stored,
            agency_check=check,
        )
