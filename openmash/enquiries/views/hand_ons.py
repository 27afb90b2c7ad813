"""The receiving teams' hand-on queue and a handed-on case, which the team accepts or
returns to the MASH. Reads go through openmash.enquiries.selectors.decisions; the answers
are openmash.enquiries.services.hand_ons, refused as openmash.enquiries.views.refusals
describes."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.decisions import HandOnAcceptForm, HandOnReturnForm
from openmash.enquiries.presenters.decisions import HandOnPresenter, team_labels
from openmash.enquiries.selectors.decisions import hand_on_get_for, hand_on_queue_for
from openmash.enquiries.services.hand_ons import hand_on_accept, hand_on_return
from openmash.enquiries.views.refusals import Refusal, act


@requires("enquiries.view_hand_on_queue")
@require_GET
def hand_on_queue_view(request: HttpRequest) -> HttpResponse:
    queue = hand_on_queue_for(actor=Actor.from_request(request))
    now = timezone.now()
    return render(
        request,
        "enquiries/hand_ons/queue.html",
        {
            "team_labels": team_labels(queue.teams),
            "pending": [HandOnPresenter(hand_on, now) for hand_on in queue.pending],
            "answered": [HandOnPresenter(hand_on, now) for hand_on in queue.answered],
        },
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
