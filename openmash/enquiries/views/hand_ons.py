"""The receiving teams' hand-on queue and a handed-on case, which the team accepts or
returns to the MASH. Reads go through openmash.enquiries.selectors.decisions; the answers
are openmash.enquiries.services.hand_ons, refused as openmash.enquiries.views.refusals
describes."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.allocation import HandOnsAssignForm
from openmash.enquiries.forms.decisions import HandOnAcceptForm, HandOnReturnForm
from openmash.enquiries.models import HandOnState
from openmash.enquiries.presenters.allocation import AllocationRow
from openmash.enquiries.presenters.decisions import HandOnPresenter, team_labels
from openmash.enquiries.selectors.allocation import hand_on_workers
from openmash.enquiries.selectors.decisions import (
    HAND_ONS_PER_PAGE,
    hand_on_get_for,
    hand_on_queue_for,
    hand_on_teams_for,
)
from openmash.enquiries.services.allocation import hand_ons_assign
from openmash.enquiries.services.hand_ons import hand_on_accept, hand_on_return
from openmash.enquiries.views.allocation import allocation_banner
from openmash.enquiries.views.refusals import Refusal, act

ASSIGNED_TO_ME = "me"


def _render_queue(
    request: HttpRequest, *, form: HandOnsAssignForm | None = None, status: int = 200
) -> HttpResponse:
    mine = request.GET.get("assigned") == ASSIGNED_TO_ME
    queue = hand_on_queue_for(
        actor=Actor.from_request(request),
        assigned_to_me=mine,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    now = timezone.now()
    may_allocate = request.user.has_perm("enquiries.allocate_hand_ons")
    if may_allocate and form is None:
        form = HandOnsAssignForm(workers=hand_on_workers(teams=queue.teams))
    selected = form.selected if form is not None else set()
    return render(
        request,
        "enquiries/hand_ons/queue.html",
        {
            "team_labels": team_labels(queue.teams),
            "pending": [HandOnPresenter(hand_on, now) for hand_on in queue.pending],
            "rows": {
                hand_on.pk: AllocationRow(hand_on, now, selected=str(hand_on.pk) in selected)
                for hand_on in queue.pending
            },
            "answered": [HandOnPresenter(hand_on, now) for hand_on in queue.answered],
            "page": queue.page,
            "per_page": HAND_ONS_PER_PAGE,
            "assigned_to_me": mine,
            "assign_form": form if may_allocate else None,
            "error_summary": error_summary(form, form_href="#assign")
            if form is not None and form.is_bound
            else [],
        },
        status=status,
    )


@requires("enquiries.view_hand_on_queue")
@require_GET
def hand_on_queue_view(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


@requires("enquiries.allocate_hand_ons")
@require_POST
def hand_on_queue_assign_view(request: HttpRequest) -> HttpResponse:
    """Give the hand-ons ticked in the queue to one member of the team."""
    actor = Actor.from_request(request)
    user: User = request.user  # type: ignore[assignment]
    form = HandOnsAssignForm(request.POST, workers=hand_on_workers(teams=hand_on_teams_for(user)))

    def assign() -> str:
        allocation = hand_ons_assign(
            actor=actor,
            hand_on_ids=form.cleaned_data.get("hand_ons") or [],
            worker_id=form.cleaned_data.get("worker") or "",
            reason=form.cleaned_data.get("reason") or "",
            seen=form.seen_by_item(request.POST),
        )
        return allocation_banner(allocation, "hand-ons")

    return act(
        request,
        assign,
        form=form,
        refused=lambda refusal: _render_queue(request, form=form, status=refusal.status),
        done=reverse("enquiries:hand-on-queue"),
    )


def _render_hand_on(
    request: HttpRequest,
    hand_on_id: int,
    *,
    accept_form: HandOnAcceptForm | None = None,
    return_form: HandOnReturnForm | None = None,
    refusal: Refusal | None = None,
) -> HttpResponse:
    hand_on = hand_on_get_for(actor=Actor.from_request(request), hand_on_id=hand_on_id)
    accept_form = accept_form or HandOnAcceptForm()
    return_form = return_form or HandOnReturnForm()
    problem = refusal.reason if refusal is not None else ""
    summary = [
        *error_summary(accept_form, form_href="#accept-form"),
        *error_summary(return_form, form_href="#return-form"),
    ]
    if problem:
        summary.insert(0, SummaryError(problem, "#hand-on-answer"))
    return render(
        request,
        "enquiries/hand_ons/hand_on.html",
        {
            "hand_on": HandOnPresenter(hand_on, timezone.now()),
            "accept_form": accept_form,
            "return_form": return_form,
            "error_summary": summary,
            "problem": problem,
            "sees_findings": request.user.has_perm("enquiries.view_all_findings"),
            "may_allocate": hand_on.state == HandOnState.PENDING
            and request.user.has_perm("enquiries.allocate_hand_ons", hand_on),
        },
        status=refusal.status if refusal is not None else 200,
    )


@requires("enquiries.view_hand_on_queue")
@require_GET
def hand_on_view(request: HttpRequest, hand_on_id: int) -> HttpResponse:
    return _render_hand_on(request, hand_on_id)


@requires("enquiries.view_hand_on_queue")
@require_POST
def hand_on_accept_view(request: HttpRequest, hand_on_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    hand_on = hand_on_get_for(actor=actor, hand_on_id=hand_on_id)
    form = HandOnAcceptForm(request.POST)

    def accept() -> str:
        hand_on_accept(
            actor=actor,
            hand_on_id=hand_on.pk,
            allocated_worker=form.cleaned_data.get("allocated_worker") or "",
            worker_contact=form.cleaned_data.get("worker_contact") or "",
        )
        return f"You accepted {hand_on.contact.reference}."

    return act(
        request,
        accept,
        form=form,
        refused=lambda refusal: _render_hand_on(
            request, hand_on.pk, accept_form=form, refusal=refusal
        ),
        done=reverse("enquiries:hand-on-queue"),
    )


@requires("enquiries.view_hand_on_queue")
@require_POST
def hand_on_return_view(request: HttpRequest, hand_on_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    hand_on = hand_on_get_for(actor=actor, hand_on_id=hand_on_id)
    form = HandOnReturnForm(request.POST)

    def send_back() -> str:
        hand_on_return(
            actor=actor, hand_on_id=hand_on.pk, reason=form.cleaned_data.get("reason") or ""
        )
        return (
            f"You returned {hand_on.contact.reference} to the MASH for the decision to be amended."
        )

    return act(
        request,
        send_back,
        form=form,
        refused=lambda refusal: _render_hand_on(
            request, hand_on.pk, return_form=form, refusal=refusal
        ),
        done=reverse("enquiries:hand-on-queue"),
    )
