"""A child's chronology: every contact about the child and what the MASH did about each,
newest first, as far as the viewer may see it (the selector decides)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openmash.core.audit import Actor
from openmash.core.permissions import requires
from openmash.enquiries.presenters.chronology import ChronologyPage
from openmash.enquiries.selectors.chronology import child_chronology_for


@requires("enquiries.view_child_chronology")
@require_GET
def child_chronology_view(request: HttpRequest, person_id: int) -> HttpResponse:
    chronology = child_chronology_for(actor=Actor.from_request(request), person_id=person_id)
    page = ChronologyPage(
        chronology=chronology, links_to_contacts=request.user.has_perm("contacts.view_contact")
    )
    return render(request, "enquiries/chronology/child.html", {"page": page})
