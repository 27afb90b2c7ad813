"""A contact's files shaped for the templates: each with its download link and what it is
attached to."""

from collections.abc import Iterable

from django.urls import reverse

from openmash.core.presenters import AttachmentRow
from openmash.enquiries.models import Attachment


def attachment_url(attachment: Attachment) -> str:
    return reverse("enquiries:attachment", kwargs={"public_id": attachment.public_id})


def _on(attachment: Attachment) -> str:
    if attachment.agency_check is not None:
        return f"{attachment.agency_check.agency.name} check"
    if attachment.case_note_id is not None:
        return "Case note"
    return "The contact"


def attachment_rows(files: Iterable[Attachment], *, with_on: bool = True) -> list[AttachmentRow]:
    return [
        AttachmentRow(each, attachment_url(each), _on(each) if with_on else "") for each in files
    ]
