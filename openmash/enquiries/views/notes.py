"""Case notes on a contact (issue 13, item 1): the notes the reader may see and the form
to add one, or a correction of one. The screening and decision pages show the same
section; its form posts here, and a refused note is shown here again as typed."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.notes import CaseNoteForm
from openmash.enquiries.presenters.notes import NoteRow, note_rows
from openmash.enquiries.selectors.notes import notes_for_contact
from openmash.enquiries.services.notes import note_add
from openmash.enquiries.views.refusals import BAD_REQUEST, Refusal, act


def notes_url(reference: str) -> str:
    return reverse("enquiries:case-notes", kwargs={"reference": reference})


def notes_section(request: HttpRequest, contact: Contact) -> dict[str, object]:
    """What the "Case notes" section needs, for a page that shows it (empty if the reader
    may not see the contact's notes)."""
    if not request.user.has_perm("enquiries.case_notes", contact):
        return {}
    rows: list[NoteRow] = note_rows(
        notes_for_contact(actor=Actor.from_request(request), contact=contact)
    )
    return {
        "notes": rows,
        "note_form": CaseNoteForm(),
        "notes_action": notes_url(contact.reference),
    }


@requires("enquiries.case_notes")
def case_notes_view(request: HttpRequest, reference: str) -> HttpResponse:
    contact = get_object_or_404(Contact, reference=reference)
    actor = Actor.from_request(request)
    # Asked with the contact: refuses a researcher whose agency was not asked to check it.
    notes = notes_for_contact(actor=actor, contact=contact)

    def page(form: CaseNoteForm, *, status: int = 200, problem: str = "") -> HttpResponse:
        summary = [SummaryError(problem, "#add-note")] if problem else []
        summary += error_summary(form, form_href="#add-note")
        context = {
            "contact": contact,
            "notes": note_rows(notes),
            "note_form": form,
            "notes_action": notes_url(reference),
            "error_summary": summary,
            "back": reverse("enquiries:screening", kwargs={"reference": reference})
            if request.user.has_perm("enquiries.view_screening_queue")
            else "",
        }
        return render(request, "enquiries/notes/notes.html", context, status=status)

    if request.method != "POST":
        corrects = request.GET.get("corrects", "")
        initial = {"corrects": int(corrects)} if corrects.isdigit() else {}
        return page(CaseNoteForm(initial=initial))
    form = CaseNoteForm(request.POST, request.FILES)

    def add() -> str:
        note = note_add(
            actor=actor,
            contact_id=contact.pk,
            note_type=form.cleaned_data.get("note_type") or "",
            text=form.cleaned_data.get("text") or "",
            corrects_id=form.cleaned_data.get("corrects"),
            upload=form.cleaned_data.get("attachment"),
        )
        added = "Correction added" if note.corrects_id else "Case note added"
        return f"{added} with its file" if upload_given else added

    upload_given = bool(request.FILES.get("attachment"))

    def refused(refusal: Refusal) -> HttpResponse:
        if upload_given and "attachment" not in form.errors and refusal.status == BAD_REQUEST:
            # A browser cannot put a file back into the form: say so beside the field.
            form.add_error("attachment", "Select the file again: it was not attached")
            form.mark_error_widgets()
        return page(form, status=refusal.status, problem=refusal.reason)

    return act(request, add, form=form, refused=refused, done=notes_url(reference) + "#notes")
