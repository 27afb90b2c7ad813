"""An agency's check queue and the check page where its researcher records findings.

A researcher sees only the checks asked of their own agency (the selectors scope them);
another agency's check is answered with 404, exactly as one that does not exist.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from openmash.core.audit import Actor
from openmash.core.forms import SummaryError
from openmash.core.permissions import requires
from openmash.enquiries.forms.checks import FindingForm, attach_finding_errors, finding_forms
from openmash.enquiries.models import AgencyCheck
from openmash.enquiries.presenters.checks import CheckPagePresenter, CheckPresenter
from openmash.enquiries.selectors.checks import check_get_for_agency, check_page_for_agency
from openmash.enquiries.services.checks import check_record_findings
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.workflow import IllegalTransition
from openmash.linkage.links import links_for_contact

COMPLETED_TAB = "completed"
_MULTI_INPUT_WIDGETS = {"govukradios", "govukcheckboxes", "govukdate"}


def _error_summary(forms: list[FindingForm], general: list[str]) -> list[SummaryError]:
    summary = [SummaryError(message, "#findings") for message in general]
    for form in forms:
        for name, errors in form.errors.items():
            if name == "__all__":
                href = "#findings"
            else:
                bound = form[name]
                suffix = "_0" if bound.widget_type in _MULTI_INPUT_WIDGETS else ""
                href = f"#{bound.auto_id}{suffix}"
            summary.extend(SummaryError(str(message), href) for message in errors)
    return summary


@requires("enquiries.view_agency_checks")
@require_GET
def check_queue_view(request: HttpRequest) -> HttpResponse:
    completed = request.GET.get("show") == COMPLETED_TAB
    page = check_page_for_agency(
        actor=Actor.from_request(request),
        completed=completed,
        page_number=request.GET.get("page"),
    )
    now = timezone.now()
    return render(
        request,
        "enquiries/checks/queue.html",
        {
            "page": page,
            "checks": [CheckPresenter(check, now) for check in page.object_list],
            "completed": completed,
            "queue_url": reverse("enquiries:check-queue"),
        },
    )


def _render_check(
    request: HttpRequest,
    check: AgencyCheck,
    forms: list[FindingForm] | None,
    *,
    error_summary: list[SummaryError] | None = None,
    general_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    # Records in this agency's own person index the matcher thinks are these people:
    # where the researcher starts looking.
    matches = links_for_contact(actor=Actor.from_request(request), contact=check.contact)
    return render(
        request,
        "enquiries/checks/check.html",
        {
            "index_matches": {
                person_id: [view for view in views if view.agency_name]
                for person_id, views in matches.items()
            },
            "check": CheckPagePresenter(check, timezone.now()),
            "finding_forms": forms,
            "error_summary": error_summary or [],
            "general_errors": general_errors or [],
        },
        status=status,
    )


@requires("enquiries.view_agency_checks")
@require_http_methods(["GET", "POST"])
def check_view(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    check = check_get_for_agency(actor=actor, check_id=check_id)
    people = list(check.contact.people.all())
    if request.method == "GET":
        forms = finding_forms(people, check.agency) if check.is_open else None
        return _render_check(request, check, forms)

    if not request.user.has_perm("enquiries.record_findings"):
        raise PermissionDenied
    if not check.is_open:
        message = (
            f"This check is {check.get_state_display().lower()}: "
            "findings can no longer be recorded."
        )
        return _render_check(
            request,
            check,
            None,
            error_summary=[SummaryError(message, "#findings")],
            status=409,
        )
    forms = finding_forms(people, check.agency, request.POST)
    general: list[str] = []
    # Every form is cleaned, so every person's errors show at once.
    if all([form.is_valid() for form in forms]):
        try:
            check_record_findings(
                actor=actor,
                check_id=check.pk,
                findings=[form.finding_input() for form in forms],
            )
        except EnquiryInvalid as invalid:
            general = attach_finding_errors(forms, invalid.errors)
        except IllegalTransition as refused:
            # Answered by someone else a moment ago: show what was recorded.
            check = check_get_for_agency(actor=actor, check_id=check.pk)
            return _render_check(
                request,
                check,
                None,
                error_summary=[SummaryError(str(refused), "#findings")],
                status=409,
            )
        except ObjectDoesNotExist as missing:  # the check is not this agency's
            raise Http404 from missing
        else:
            messages.success(
                request, f"Findings recorded for {check.contact.reference}. Thank you."
            )
            return redirect("enquiries:check-queue")
    return _render_check(
        request,
        check,
        forms,
        error_summary=_error_summary(forms, general),
        general_errors=general,
        status=400,
    )
