"""Case notes shaped for the templates: who wrote each, when, and how it stands with its
corrections."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from openmash.core.presenters import AttachmentRow
from openmash.enquiries.models import CaseNote
from openmash.enquiries.presenters.attachments import attachment_rows


@dataclass(frozen=True)
class NoteRow:
    note: CaseNote

    @property
    def anchor(self) -> str:
        return f"note-{self.note.pk}"

    @property
    def type_label(self) -> str:
        return self.note.get_note_type_display()

    @property
    def author(self) -> str:
        return self.note.author.display_name

    @property
    def when(self) -> str:
        return f"{timezone.localtime(self.note.created_at):%d %B %Y at %H:%M}"

    @property
    def corrects_anchor(self) -> str:
        return f"note-{self.note.corrects_id}" if self.note.corrects_id else ""

    @property
    def corrected_by(self) -> list[str]:
        # Only the corrections the reader may see were prefetched (selectors.notes).
        return [f"note-{each.pk}" for each in self.note.corrected_by.all()]

    @property
    def files(self) -> list[AttachmentRow]:
        # Prefetched with the note (selectors.notes): a note's files go with it.
        return attachment_rows(self.note.attachments.all(), with_on=False)


def note_rows(notes: Iterable[CaseNote]) -> list[NoteRow]:
    return [NoteRow(note) for note in notes]
