"""A contact's print view: the MASH record on paper, for whoever may open its screening
page, with the area's protective marking at the top and bottom of every printed page
(base.html and openmash.css). The reads are the selector's, audited there."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.core.permissions import requires
from openmash.enquiries.presenters.print_record import PrintPage
from openmash.enquiries.selectors.print_record import contact_print_for


@requires("enquiries.view_screening_queue")
@require_GET
def contact_print_view(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    record = contact_print_for(actor=Actor.from_request(request), reference=reference)
    page = PrintPage(page=record.page, now=timezone.now(), record=record, printed_by=user)
    return render(request, "enquiries/print/contact.html", {"page": page})
