"""Allocating agency checks and hand-ons to named workers (issue 13, item 4).

A MASH manager opens an agency's open checks (/mash/checks/allocate/?agency=<slug>), ticks
some and gives them to one of the agency's researchers, each shown with their open checks
and red ones; or opens one check's allocation page. Whoever answers a receiving team's
hand-ons does the same from the hand-on queue (openmash.enquiries.views.hand_ons) or a
hand-on's allocation page. The services (openmash.enquiries.services.allocation) check
every rule; a refusal is shown as openmash.enquiries.views.refusals describes.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from openmash.accounts.models import Agency
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.core.presenters import rag_tag
from openmash.enquiries.forms.allocation import ChecksAssignForm, WorkAssignForm
from openmash.enquiries.models import AgencyCheck, HandOn
from openmash.enquiries.presenters.allocation import AllocationRow, assignment_text
from openmash.enquiries.presenters.checks import CheckPresenter
from openmash.enquiries.presenters.decisions import HandOnPresenter
from openmash.enquiries.selectors.allocation import check_researchers, hand_on_workers
from openmash.enquiries.selectors.checks import (
    UNASSIGNED,
    check_allocation_page,
    check_for_allocation,
)
from openmash.enquiries.selectors.decisions import hand_on_get_for
from openmash.enquiries.selectors.screening import checking_agencies
from openmash.enquiries.services.allocation import (
    WorkAllocation,
    check_assign,
    checks_assign,
    hand_on_assign,
)
from openmash.enquiries.views.refusals import Refusal, act

ASSIGN_FORM = "#assign"


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def allocation_banner(allocation: WorkAllocation, noun: str) -> str:
    """What a bulk allocation did, for the banner: what was assigned, what was not and
    why."""
    name = allocation.worker.display_name
    if allocation.assigned:
        text = f"Assigned {_names(allocation.references)} to {name}."
    else:
        text = f"No {noun} were assigned to {name}."
    if allocation.skipped:
        text += " Not assigned: " + "; ".join(item.reason for item in allocation.skipped) + "."
    return text


# --- An agency's checks, allocated by a MASH manager --------------------------------------


def _agency(agencies: list[Agency], slug: str) -> Agency:
    if not agencies:
        raise Http404
    if not slug:
        return agencies[0]
    for agency in agencies:
        if agency.slug == slug:
            return agency
    raise Http404


def _render_check_queue(
    request: HttpRequest,
    agency: Agency,
    agencies: list[Agency],
    *,
    form: ChecksAssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workers = check_researchers(agency_id=agency.pk)
    assigned = request.GET.get("assigned", "")
    if assigned not in {UNASSIGNED, *(str(worker.user.pk) for worker in workers)}:
        assigned = ""
    page = check_allocation_page(
        actor=Actor.from_request(request),
        agency_id=agency.pk,
        assigned=assigned,
        page_number=request.GET.get("page"),
    )
    form = form or ChecksAssignForm(workers=workers)
    now = timezone.now()
    return render(
        request,
        "enquiries/allocation/checks.html",
        {
            "agency": agency,
            "agencies": agencies,
            "assigned": assigned,
            "workers": workers,
            "page": page,
            "rows": [
                AllocationRow(check, now, selected=str(check.pk) in form.selected)
                for check in page.object_list
            ],
            "form": form,
            "error_summary": error_summary(form, form_href=ASSIGN_FORM) if form.is_bound else [],
        },
        status=status,
    )


@requires("enquiries.allocate_checks")
@require_http_methods(["GET"])
def check_allocation_view(request: HttpRequest) -> HttpResponse:
    agencies = checking_agencies()
    return _render_check_queue(request, _agency(agencies, request.GET.get("agency", "")), agencies)


@requires("enquiries.allocate_checks")
@require_POST
def check_allocation_assign_view(request: HttpRequest) -> HttpResponse:
    """Give the checks ticked in an agency's queue to one of its researchers."""
    agencies = checking_agencies()
    agency = _agency(agencies, request.POST.get("agency", ""))
    form = ChecksAssignForm(request.POST, workers=check_researchers(agency_id=agency.pk))
    actor = Actor.from_request(request)

    def assign() -> str:
        allocation = checks_assign(
            actor=actor,
            agency_id=agency.pk,
            check_ids=form.cleaned_data.get("checks") or [],
            worker_id=form.cleaned_data.get("worker") or "",
            reason=form.cleaned_data.get("reason") or "",
            seen=form.seen_by_item(request.POST),
        )
        return allocation_banner(allocation, "checks")

    return act(
        request,
        assign,
        form=form,
        refused=lambda refusal: _render_check_queue(
            request, agency, agencies, form=form, status=refusal.status
        ),
        done=f"{reverse('enquiries:check-allocation')}?agency={agency.slug}",
    )


# --- One item's allocation page -----------------------------------------------------------


def _assign_one(
    request: HttpRequest,
    *,
    item: dict[str, Any],
    workers: Any,
    assigned_to_id: int | None,
    assign: Callable[..., AgencyCheck | HandOn],
    what: str,
    done: str,
) -> HttpResponse:
    """The page that gives one item (a check or a hand-on, described by `item` for the
    template) to one of `workers`, or transfers it with a reason: the form, and on POST
    the service `assign` (called with worker_id, reason and seen), then `done` with "`what`
    is assigned to <name>." or the page again with the refusal."""

    def page(form: WorkAssignForm, refusal: Refusal | None = None) -> HttpResponse:
        problem = refusal.reason if refusal is not None else ""
        summary = error_summary(form, form_href=ASSIGN_FORM) if form.is_bound else []
        if problem:
            summary.insert(0, SummaryError(problem, ASSIGN_FORM))
        return render(
            request,
            "enquiries/allocation/assign.html",
            {**item, "form": form, "problem": problem, "error_summary": summary},
            status=refusal.status if refusal is not None else 200,
        )

    if request.method == "GET":
        return page(WorkAssignForm(workers=workers, initial={"seen": assigned_to_id or ""}))
    form = WorkAssignForm(request.POST, workers=workers)

    def assigned() -> str:
        worker = assign(
            worker_id=form.cleaned_data.get("worker") or "",
            reason=form.cleaned_data.get("reason") or "",
            seen=form.seen_value(),
        ).assigned_to
        assert worker is not None
        return f"{what} is assigned to {worker.display_name}."

    return act(request, assigned, form=form, refused=lambda refusal: page(form, refusal), done=done)


@requires("enquiries.allocate_checks")
@require_http_methods(["GET", "POST"])
def check_assign_view(request: HttpRequest, check_id: int) -> HttpResponse:
    """Give one check to a researcher of its agency, or transfer it with a reason."""
    actor = Actor.from_request(request)
    check = check_for_allocation(actor=actor, check_id=check_id)
    queue = f"{reverse('enquiries:check-allocation')}?agency={check.agency.slug}"
    presenter = CheckPresenter(check, timezone.now())
    return _assign_one(
        request,
        item={
            "caption": f"{check.agency.name} check",
            "reference": presenter.reference,
            "rag": presenter.rag,
            "due": presenter.deadline,
            "is_open": check.is_open,
            "state": presenter.state,
            "assignment": assignment_text(check),
            "back": queue,
            "back_text": f"{check.agency.name} checks",
            "action": reverse("enquiries:check-assign", args=[check.pk]),
        },
        workers=check_researchers(agency_id=check.agency_id),
        assigned_to_id=check.assigned_to_id,
        assign=partial(check_assign, actor=actor, check_id=check.pk),
        what=f"The {check.agency.name} check on {presenter.reference}",
        done=queue,
    )


@requires("enquiries.allocate_hand_ons")
@require_http_methods(["GET", "POST"])
def hand_on_assign_view(request: HttpRequest, hand_on_id: int) -> HttpResponse:
    """Give one waiting hand-on to a member of its team, or transfer it with a reason."""
    actor = Actor.from_request(request)
    hand_on = hand_on_get_for(actor=actor, hand_on_id=hand_on_id)
    if not request.user.has_perm("enquiries.allocate_hand_ons", hand_on):
        raise Http404
    presenter = HandOnPresenter(hand_on, timezone.now())
    back = reverse("enquiries:hand-on", args=[hand_on.pk])
    return _assign_one(
        request,
        item={
            "caption": f"Handed on to {presenter.team.lower()}",
            "reference": hand_on.contact.reference,
            "rag": rag_tag(hand_on.contact.rag_level),
            "due": presenter.deadline,
            "is_open": presenter.is_pending,
            "state": presenter.tag.label,
            "assignment": assignment_text(hand_on),
            "back": back,
            "back_text": f"Back to {hand_on.contact.reference}",
            "action": reverse("enquiries:hand-on-assign", args=[hand_on.pk]),
        },
        workers=hand_on_workers(teams=[hand_on.team]),
        assigned_to_id=hand_on.assigned_to_id,
        assign=partial(hand_on_assign, actor=actor, hand_on_id=hand_on.pk),
        what=f"The hand-on of {hand_on.contact.reference}",
        done=back,
    )
