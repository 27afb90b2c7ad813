"""The extracts page, and the downloads it offers, for MASH managers."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from openmash.core.audit import Actor
from openmash.core.forms import error_summary
from openmash.core.permissions import requires
from openmash.extracts.forms import ExtractPeriodForm
from openmash.extracts.presenters import extracts_listed, parse_download_choice
from openmash.extracts.selectors import extract_download
from openmash.extracts.tables import table_response


def _page(request: HttpRequest, form: ExtractPeriodForm) -> HttpResponse:
    return render(
        request,
        "extracts/index.html",
        {"form": form, "extracts": extracts_listed(), "error_summary": error_summary(form)},
    )


@requires("extracts.download_extracts")
def extracts_view(request: HttpRequest) -> HttpResponse:
    return _page(request, ExtractPeriodForm())


@requires("extracts.download_extracts")
def extract_download_view(request: HttpRequest) -> HttpResponse:
    """A download button on the page: the extract and format chosen, for the period typed.
    With a period that is not right, the page again with what was typed and the errors."""
    choice = request.GET.get("download")
    if not choice:
        return redirect("extracts:index")
    chosen = parse_download_choice(choice)
    if chosen is None:
        raise Http404
    form = ExtractPeriodForm(request.GET)
    if not form.is_valid():
        return _page(request, form)
    key, export_format = chosen
    table = extract_download(
        actor=Actor.from_request(request),
        key=key,
        period=form.period(),
        export_format=export_format,
    )
    return table_response(table, export_format)
