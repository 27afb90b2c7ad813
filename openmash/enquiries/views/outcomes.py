"""The contact pages that show what the MASH decided: the referrer's list of the contacts
their organisation made, and a contact's own page. They keep their addresses and names
under contacts/ (openmash/urls.py), but are enquiries' because the outcome is: the
contacts app sits below enquiries and never reads a decision."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from openmash.contacts.models import Contact
from openmash.contacts.presenters import ContactPresenter
from openmash.contacts.selectors import contact_get_visible_to
from openmash.core.audit import Actor
from openmash.core.forms import error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.additions import AdditionForm
from openmash.enquiries.presenters.additions import AdditionPresenter
from openmash.enquiries.presenters.outcomes import OutcomePresenter, SubmittedContactPresenter
from openmash.enquiries.selectors.outcomes import (
    contact_additions_for,
    contact_feedback_for,
    contact_page_submitted_with_outcomes,
)
from openmash.enquiries.services.additions import (
    AdditionInvalid,
    ContactNotOpen,
    contact_add_information,
    may_add_information,
)


@requires("contacts.view_submitted_contacts")
def submitted_contacts_view(request: HttpRequest) -> HttpResponse:
    page = contact_page_submitted_with_outcomes(
        actor=Actor.from_request(request), page_number=request.GET.get("page")
    )
    return render(
        request,
        "contacts/submitted_contacts.html",
        {
            "page": page,
            "contacts": [SubmittedContactPresenter(contact) for contact in page.object_list],
        },
    )


def _detail_context(request: HttpRequest, contact: Contact, form: AdditionForm) -> dict[str, Any]:
    feedback = contact_feedback_for(contact=contact)
    actor = Actor.from_request(request)
    return {
        "contact": ContactPresenter(contact),
        "outcome": OutcomePresenter(
            contact, feedback.decisions, feedback.emails, feedback.hand_ons
        ),
        "sees_research": request.user.has_perm("contacts.view_contact_research"),
        "additions": [
            AdditionPresenter(addition) for addition in contact_additions_for(contact=contact)
        ],
        "may_add": may_add_information(actor, contact),
        "addition_form": form,
        "error_summary": error_summary(form, form_href="#add-information"),
    }


@requires("contacts.view_contact")
def contact_detail_view(request: HttpRequest, reference: str) -> HttpResponse:
    contact = contact_get_visible_to(actor=Actor.from_request(request), reference=reference)
    return render(
        request, "contacts/contact_detail.html", _detail_context(request, contact, AdditionForm())
    )


@requires("contacts.view_contact")
@require_POST
def contact_add_information_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = contact_get_visible_to(actor=actor, reference=reference)
    form = AdditionForm(request.POST)
    form.is_valid()
    try:
        contact_add_information(
            actor=actor, contact_id=contact.pk, text=form.cleaned_data.get("text") or ""
        )
    except AdditionInvalid as invalid:
        for error in invalid.errors:
            form.add_error(error.field, error.message)
    except ContactNotOpen:
        form.add_error(
            "text", "The MASH has finished with this contact: make a new contact instead"
        )
    else:
        messages.success(request, "Your information has been added. The MASH has been told.")
        return redirect(f"{reverse('contacts:detail', args=[contact.reference])}#additions")
    return render(
        request,
        "contacts/contact_detail.html",
        _detail_context(request, contact, form),
        status=400,
    )
