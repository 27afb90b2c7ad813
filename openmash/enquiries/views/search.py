"""Find a child: a search form sent by POST, and its results under an opaque id.

What was typed never appears in an address (so never in a browser's history, a proxy's
or the server's access log): the form is POSTed, its cleaned terms are kept in the
signed-in user's server-side session under a random id (openmash.core.kept_searches), and the
browser is sent to the results' address, which holds only that id. Reloading the
results runs the search again (and records it again); an expired or unknown id, or
another user's, finds nothing and asks for the search again.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from openmash.core.audit import Actor
from openmash.core.forms import error_summary
from openmash.core.kept_searches import KeptSearches
from openmash.core.permissions import requires
from openmash.enquiries.forms.search import (
    FindChildForm,
    fields_used,
    initial_from,
    terms_from,
)
from openmash.enquiries.presenters.search import SearchPage
from openmash.enquiries.selectors.search import child_search_for

SEARCHES = KeptSearches("find_a_child")


def _page(request: HttpRequest, form: FindChildForm, **context: Any) -> HttpResponse:
    # A researcher's search is scoped to their agency (selectors/search.py says how).
    agency_scoped = not request.user.has_perm("enquiries.view_all_findings")
    return render(
        request,
        "enquiries/search/find_child.html",
        {
            "form": form,
            "error_summary": error_summary(form, form_href="#id_name"),
            "agency_scoped": agency_scoped,
            **context,
        },
    )


@requires("enquiries.find_child")
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()  # an error report never shows what was typed
def find_child_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, FindChildForm())
    form = FindChildForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    search_id = SEARCHES.keep(request, form.stored())
    # 303: the results are fetched with GET, and reloading them does not resend the form.
    return HttpResponseRedirect(
        reverse("enquiries:find-child-results", args=[search_id]), status=303
    )


@requires("enquiries.find_child")
@require_GET
def find_child_results_view(request: HttpRequest, search_id: str) -> HttpResponse:
    stored = SEARCHES.terms(request, search_id)
    if stored is None:
        # Expired, or never this user's: nothing is searched, nothing is shown.
        return _page(request, FindChildForm(), expired=True)
    search = child_search_for(
        actor=Actor.from_request(request),
        terms=terms_from(stored),
        search_id=search_id,
        fields=fields_used(stored),
    )
    return _page(
        request,
        FindChildForm(initial=initial_from(stored)),
        page=SearchPage.of(search),
        searched=True,
    )
