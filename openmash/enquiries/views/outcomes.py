"""The contact pages that show what the MASH decided: the referrer's list of the contacts
their organisation made, and a contact's own page. They keep their addresses and names
under contacts/ (openmash/urls.py), but are enquiries' because the outcome is: the
contacts app sits below enquiries and never reads a decision."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openmash.contacts.presenters import ContactPresenter
from openmash.contacts.selectors import contact_get_visible_to
from openmash.core.audit import Actor
from openmash.core.permissions import requires
from openmash.enquiries.presenters.outcomes import OutcomePresenter, SubmittedContactPresenter
from openmash.enquiries.selectors.outcomes import (
    contact_feedback_for,
    contact_page_submitted_with_outcomes,
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


@requires("contacts.view_contact")
def contact_detail_view(request: HttpRequest, reference: str) -> HttpResponse:
    contact = contact_get_visible_to(actor=Actor.from_request(request), reference=reference)
    feedback = contact_feedback_for(contact=contact)
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": ContactPresenter(contact),
            "outcome": OutcomePresenter(
                contact, feedback.decisions, feedback.emails, feedback.hand_ons
            ),
            "sees_research": request.user.has_perm("contacts.view_contact_research"),
        },
    )
