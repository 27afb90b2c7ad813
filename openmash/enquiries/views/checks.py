"""An agency's check queue and the check page where its researcher records findings, and
the page where the MASH waives a check it no longer needs.

A researcher sees only the checks asked of their own agency (the selectors scope them);
another agency's check is answered with 404, exactly as one that does not exist. A
service's refusal is shown as openmash.enquiries.views.refusals describes.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.checks import FindingForm, attach_finding_errors, finding_forms
from openmash.enquiries.forms.decisions import WaiveCheckForm
from openmash.enquiries.models import AgencyCheck, CheckState
from openmash.enquiries.presenters.checks import CheckPagePresenter, CheckPresenter
from openmash.enquiries.selectors.checks import check_get_for_agency, check_page_for_agency
from openmash.enquiries.selectors.decisions import check_for_waiving
from openmash.enquiries.services.checks import (
    check_findings_errors,
    check_record_findings,
    check_waive,
)
from openmash.enquiries.views.attachments import check_attachments_section
from openmash.enquiries.views.decisions import decision_url
from openmash.enquiries.views.refusals import BAD_REQUEST, Refusal, act, attempt
from openmash.linkage.links import links_for_contact

COMPLETED_TAB = "completed"
# The open checks a MASH manager gave the signed-in researcher.
MINE_TAB = "mine"


def _findings_summary(forms: list[FindingForm], general: list[str]) -> list[SummaryError]:
    summary = [SummaryError(message, "#findings") for message in general]
    for form in forms:
        summary.extend(error_summary(form, form_href="#findings"))
    return summary


@requires("enquiries.view_agency_checks")
@require_GET
def check_queue_view(request: HttpRequest) -> HttpResponse:
    completed = request.GET.get("show") == COMPLETED_TAB
    mine = request.GET.get("show") == MINE_TAB
    page = check_page_for_agency(
        actor=Actor.from_request(request),
        completed=completed,
        assigned_to_me=mine,
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
            "mine": mine,
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
            **check_attachments_section(request, check),
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
    if not all([form.is_valid() for form in forms]):
        # The service's rules too, for what the forms could read, where the forms found
        # nothing: one round of errors, not the forms' and then the rules'.
        errors = check_findings_errors(
            check=check, findings=[form.finding_input() for form in forms]
        )
        general = attach_finding_errors(forms, errors, not_over_own=True)
    else:
        try:
            outcome = attempt(
                lambda: check_record_findings(
                    actor=actor,
                    check_id=check.pk,
                    findings=[form.finding_input() for form in forms],
                )
            )
        except ObjectDoesNotExist as missing:  # the check is not this agency's
            raise Http404 from missing
        if not isinstance(outcome, Refusal):
            messages.success(
                request, f"Findings recorded for {check.contact.reference}. Thank you."
            )
            return redirect("enquiries:check-queue")
        if outcome.status != BAD_REQUEST:
            # Answered by someone else a moment ago: show what was recorded.
            check = check_get_for_agency(actor=actor, check_id=check.pk)
            return _render_check(
                request,
                check,
                None,
                error_summary=[SummaryError(outcome.reason, "#findings")],
                status=outcome.status,
            )
        general = attach_finding_errors(forms, outcome.errors)
    return _render_check(
        request,
        check,
        forms,
        error_summary=_findings_summary(forms, general),
        general_errors=general,
        status=400,
    )


# --- Waiving a check -------------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _render_waive(
    request: HttpRequest,
    check: AgencyCheck,
    form: WaiveCheckForm,
    back: str,
    refusal: Refusal | None = None,
) -> HttpResponse:
    problem = refusal.reason if refusal is not None else ""
    summary = error_summary(form, form_href="#waive-form")
    if problem:
        summary.insert(0, SummaryError(problem, "#waive-form"))
    return render(
        request,
        "enquiries/checks/waive.html",
        {
            "check": check,
            "form": form,
            "back": back,
            "problem": problem,
            "error_summary": summary,
            "is_open": check.state == CheckState.REQUESTED,
        },
        status=refusal.status if refusal is not None else 200,
    )


@requires("enquiries.screen_contact")
@require_http_methods(["GET", "POST"])
def check_waive_view(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    check = check_for_waiving(actor=actor, check_id=check_id)
    back = _safe_next(request, decision_url(check.contact.reference))
    if request.method == "GET":
        return _render_waive(request, check, WaiveCheckForm(), back)
    form = WaiveCheckForm(request.POST)

    def waive() -> str:
        check_waive(actor=actor, check_id=check.pk, reason=form.cleaned_data.get("reason") or "")
        return f"The {check.agency.name} check is no longer needed."

    return act(
        request,
        waive,
        form=form,
        refused=lambda refusal: _render_waive(request, check, form, back, refusal),
        done=back,
    )
