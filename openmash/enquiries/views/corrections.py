"""Correcting a person's details on a contact, from its screening page: the form with
what is recorded now, and the correction. Success goes back to the screening page with a
banner; the person's "Corrected details" are listed there."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from openmash.contacts.models import ContactPerson
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.corrections import PersonCorrectionForm
from openmash.enquiries.presenters.corrections import CorrectionRow, in_a_sentence
from openmash.enquiries.selectors.corrections import corrections_of, person_for_correction
from openmash.enquiries.services.corrections import person_correct
from openmash.enquiries.views.refusals import Refusal, act

# Why a screener may not correct the people of a contact someone else is screening.
SCREENED_BY_SOMEONE_ELSE = (
    "You cannot correct these details: the contact is being screened by someone else. "
    "Ask them, or a MASH manager."
)


def _render(
    request: HttpRequest,
    person: ContactPerson,
    form: PersonCorrectionForm,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    summary = [SummaryError(problem, "#correct")] if problem else []
    summary += error_summary(form, form_href="#correct")
    history = [CorrectionRow(each) for each in corrections_of([person.pk]).get(person.pk, [])]
    context = {
        "person": person,
        "contact": person.contact,
        "form": form,
        "history": history,
        "error_summary": summary,
        "problem": problem,
        "back": reverse("enquiries:screening", kwargs={"reference": person.contact.reference}),
    }
    return render(request, "enquiries/corrections/correct_person.html", context, status=status)


@requires("enquiries.correct_person")
def person_correct_view(request: HttpRequest, reference: str, person_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    person = person_for_correction(actor=actor, reference=reference, person_id=person_id)
    if request.method != "POST":
        if not request.user.has_perm("enquiries.correct_person", person.contact):
            raise PermissionDenied
        return _render(request, person, PersonCorrectionForm(person=person))
    form = PersonCorrectionForm(request.POST, person=person)

    def correct() -> str:
        done = person_correct(
            actor=actor,
            person_id=person.pk,
            changes=form.changes(),
            reason=form.cleaned_data.get("reason") or "",
        )
        return f"Details corrected: {in_a_sentence(CorrectionRow(done.correction).fields)}. The previous details are kept."

    def refused(refusal: Refusal) -> HttpResponse:
        return _render(request, person, form, problem=refusal.reason, status=refusal.status)

    return act(
        request,
        correct,
        form=form,
        forbidden=SCREENED_BY_SOMEONE_ELSE,
        refused=refused,
        done=reverse("enquiries:screening", kwargs={"reference": reference})
        + f"#person-{person.pk}",
    )
