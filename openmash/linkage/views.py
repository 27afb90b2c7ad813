"""The index feed pages: upload an agency's feed, its import history, one import with
its errors, and the agency's index settings.

A researcher manages only their own agency's feed; an administrator chooses the agency
(`?agency=<slug>`). Another agency's import is answered 404, as if it did not exist.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from openmash.accounts.models import Agency
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError
from openmash.core.permissions import requires
from openmash.core.time_text import when_text
from openmash.linkage.feeds import COLUMN_HELP, COLUMNS, MAX_ROWS, feed_read_csv
from openmash.linkage.forms import IndexImportForm, IndexSettingsForm
from openmash.linkage.links import (
    auto_link_threshold,
    link_quality,
    link_quality_by_band,
    suggest_threshold,
)
from openmash.linkage.models import IndexImport
from openmash.linkage.selectors import (
    agencies_feed_managed_by,
    agency_feed_for,
    agency_index_settings_get,
    agency_index_size,
    agency_index_withdrawn,
    index_import_get,
    index_imports_page,
)
from openmash.linkage.services import (
    agency_index_settings_update,
    import_warnings,
    index_import_apply,
)

ERRORS_SHOWN = 200
WARNING_FIELDS = {
    "nhs_number": "NHS numbers",
    "upn": "unique pupil numbers",
    "postcode": "postcodes",
}


@dataclass(frozen=True)
class ImportRow:
    """An import as the history and the import page show it: counts, never people."""

    id: int
    when: str
    file_name: str
    mode: str
    by: str
    rows: int
    applied: bool
    added: int
    updated: int
    removed: int
    withdrawn: int
    warnings: int


def _import_row(index_import: IndexImport) -> ImportRow:
    if index_import.uploaded_by_token is not None:
        by = f"API system {index_import.uploaded_by_token.name}"
    elif index_import.uploaded_by is not None:
        by = index_import.uploaded_by.display_name
    else:
        by = "Unknown"
    return ImportRow(
        id=index_import.pk,
        when=when_text(index_import.uploaded_at),
        file_name=index_import.file_name or "Sent through the API",
        mode=index_import.get_mode_display(),
        by=by,
        rows=index_import.rows,
        applied=index_import.applied,
        added=index_import.added,
        updated=index_import.updated,
        removed=index_import.removed,
        withdrawn=index_import.withdrawn,
        warnings=sum(import_warnings(index_import).values()),
    )


def _errors_shown(index_import: IndexImport) -> dict[str, Any]:
    errors = list(index_import.errors)
    return {"errors": errors[:ERRORS_SHOWN], "error_count": len(errors)}


def _warnings_shown(index_import: IndexImport) -> dict[str, Any]:
    """The warnings kept with their rows, the count of all, and a line per field."""
    counts = import_warnings(index_import)
    kept = list(index_import.warnings)
    return {
        "warnings": kept,
        "warning_count": sum(counts.values()),
        "warnings_not_listed": max(0, sum(counts.values()) - len(kept)),
        "warning_lines": _warning_lines(counts),
    }


def _warning_lines(warnings: dict[str, int]) -> list[str]:
    return [
        f"{count:,} {WARNING_FIELDS.get(name, name)} did not pass validation: kept as given, "
        "but not used for matching"
        for name, count in warnings.items()
    ]


def _agency_query(request: HttpRequest, agency: Agency) -> str:
    return f"?agency={agency.slug}" if agency.pk != request.user.agency_id else ""  # type: ignore[union-attr]


def _page_context(request: HttpRequest, agency: Agency, **extra: Any) -> dict[str, Any]:
    query = _agency_query(request, agency)
    return {
        "agency": agency,
        "agency_query": query,
        "columns": COLUMN_HELP,
        "header": ",".join(COLUMNS),
        "max_rows": MAX_ROWS,
        "index_size": agency_index_size(agency=agency),
        "withdrawn_size": agency_index_withdrawn(agency=agency),
        "upload_url": reverse("linkage:import-upload") + query,
        "history_url": reverse("linkage:import-history") + query,
        "settings_url": reverse("linkage:index-settings") + query,
        **extra,
    }


@requires("linkage.import_index_feed")
@require_http_methods(["GET", "POST"])
def import_upload_view(request: HttpRequest) -> HttpResponse:
    actor = Actor.from_request(request)
    agencies = agencies_feed_managed_by(actor=actor)
    chosen = request.POST.get("agency", "") if request.method == "POST" else ""
    agency = agency_feed_for(actor=actor, slug=chosen or request.GET.get("agency", ""))
    choose_agency = agencies.count() > 1
    if request.method == "GET":
        form = IndexImportForm(agencies=agencies, initial={"agency": agency.slug})
        return render(
            request,
            "linkage/upload.html",
            _page_context(request, agency, form=form, choose_agency=choose_agency),
        )

    form = IndexImportForm(request.POST, request.FILES, agencies=agencies)
    if not form.is_valid():
        summary = [
            SummaryError(str(message), f"#{form[name].auto_id}{'_0' if name == 'mode' else ''}")
            for name, errors in form.errors.items()
            for message in errors
        ]
        return render(
            request,
            "linkage/upload.html",
            _page_context(
                request, agency, form=form, choose_agency=choose_agency, error_summary=summary
            ),
            status=400,
        )
    upload = form.cleaned_data["file"]
    index_import = index_import_apply(
        actor=actor,
        agency=agency,
        mode=form.cleaned_data["mode"],
        rows=feed_read_csv(upload.read()),
        file_name=upload.name or "",
    )
    if index_import.applied:
        messages.success(
            request,
            f"{agency.name}'s index is updated: {index_import.added:,} added, "
            f"{index_import.updated:,} updated, {index_import.removed:,} removed"
            + (
                f", {index_import.withdrawn:,} withdrawn but kept for confirmed links."
                if index_import.withdrawn
                else "."
            ),
        )
        for line in _warning_lines(import_warnings(index_import)):
            messages.warning(request, line)
        return redirect("linkage:import-detail", import_id=index_import.pk)
    error_count = len(index_import.errors)
    summary = [
        SummaryError(
            f"The file has {error_count:,} error{'s' if error_count != 1 else ''}: nothing "
            f"was imported. Correct {'them' if error_count != 1 else 'it'} and upload the "
            "file again",
            "#feed-errors",
        )
    ]
    return render(
        request,
        "linkage/upload.html",
        _page_context(
            request,
            agency,
            form=IndexImportForm(
                agencies=agencies,
                initial={"agency": agency.slug, "mode": form.cleaned_data["mode"]},
            ),
            choose_agency=choose_agency,
            error_summary=summary,
            failed=_import_row(index_import),
            **_errors_shown(index_import),
        ),
        status=400,
    )


@requires("linkage.view_index_imports")
@require_GET
def import_history_view(request: HttpRequest) -> HttpResponse:
    actor = Actor.from_request(request)
    agency = agency_feed_for(actor=actor, slug=request.GET.get("agency", ""))
    page = index_imports_page(actor=actor, agency=agency, page_number=request.GET.get("page"))
    return render(
        request,
        "linkage/history.html",
        _page_context(
            request,
            agency,
            page=page,
            imports=[_import_row(index_import) for index_import in page.object_list],
        ),
    )


@requires("linkage.view_index_imports")
@require_GET
def import_detail_view(request: HttpRequest, import_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    index_import = index_import_get(actor=actor, import_id=import_id)
    return render(
        request,
        "linkage/import.html",
        _page_context(
            request,
            index_import.agency,
            index_import=_import_row(index_import),
            **_errors_shown(index_import),
            **_warnings_shown(index_import),
        ),
    )


@requires("linkage.manage_index_settings")
@require_http_methods(["GET", "POST"])
def index_settings_view(request: HttpRequest) -> HttpResponse:
    actor = Actor.from_request(request)
    agency = agency_feed_for(actor=actor, slug=request.GET.get("agency", ""))
    current = agency_index_settings_get(actor=actor, agency=agency)
    if request.method == "GET":
        form = IndexSettingsForm(
            initial={
                "visible_to_mash_screeners": "yes" if current.visible_to_mash_screeners else "no"
            }
        )
        return render(request, "linkage/settings.html", _page_context(request, agency, form=form))
    form = IndexSettingsForm(request.POST)
    if not form.is_valid():
        summary = [
            SummaryError(str(message), f"#{form[name].auto_id}_0")
            for name, errors in form.errors.items()
            for message in errors
        ]
        return render(
            request,
            "linkage/settings.html",
            _page_context(request, agency, form=form, error_summary=summary),
            status=400,
        )
    agency_index_settings_update(
        actor=actor,
        agency=agency,
        visible_to_mash_screeners=form.cleaned_data["visible_to_mash_screeners"],
    )
    messages.success(request, f"{agency.name}'s index settings are saved.")
    return redirect(reverse("linkage:index-settings") + _agency_query(request, agency))


@requires("linkage.view_match_quality")
@require_GET
def match_quality_view(request: HttpRequest) -> HttpResponse:
    """How far people agree with the matcher: figures only, never a name; each share with
    its count and 95% interval, and none from fewer than MIN_SAMPLE decisions."""
    quality = link_quality()
    bands = [
        {"band": band, "share_text": band.share_confirmed.text(none="none decided")}
        for band in link_quality_by_band()
    ]
    return render(
        request,
        "linkage/quality.html",
        {
            "quality": quality,
            "suggestion_precision": quality.suggestion_precision.text(none="No decisions yet"),
            "automatic_precision": quality.automatic_precision.text(none="No automatic links yet"),
            "auto_threshold_recall": quality.auto_threshold_recall.text(
                none="No confirmed links yet"
            ),
            "bands": bands,
            "suggest_threshold": suggest_threshold(),
            "auto_link_threshold": auto_link_threshold(),
        },
    )
