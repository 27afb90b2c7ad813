"""The MASH manager's decisions queue and decision page, waiving a check, trying an
undelivered email again, and the receiving teams' hand-on queues. Reads go through
openmash.enquiries.selectors.decisions; every write is a call to a
service in openmash.enquiries.services."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmash.contacts.codes import ContactState
from openmash.core.audit import Actor
from openmash.core.permissions import requires
from openmash.enquiries.forms.decisions import (
    AmendDecisionForm,
    ClosureAgreeForm,
    ClosureDeclineForm,
    DecisionForm,
    HandOnAcceptForm,
    HandOnReturnForm,
    SummaryError,
    WaiveCheckForm,
    attach_service_errors,
    error_summary,
)
from openmash.enquiries.models import AgencyCheck, CheckState, Decision, MessageStatus
from openmash.enquiries.presenters.decisions import (
    CheckPresenter,
    DecisionPagePresenter,
    HandOnPresenter,
    MessagePresenter,
    QueueContactPresenter,
    team_labels,
    when_text,
)
from openmash.enquiries.selectors.decisions import (
    DecisionOptions,
    check_for_waiving,
    closure_proposal_for,
    decision_options,
    decision_page_for,
    decision_queue_for,
    decision_target_for,
    hand_on_get_for,
    hand_on_queue_for,
    message_for_retry,
)
from openmash.enquiries.services.checks import check_waive
from openmash.enquiries.services.decisions import closure_agree, decision_amend, decision_record
from openmash.enquiries.services.guards import ChecksOutstanding, EnquiryInvalid
from openmash.enquiries.services.hand_ons import hand_on_accept, hand_on_return
from openmash.enquiries.services.messages import MessageNotRetryable, message_retry
from openmash.enquiries.services.screening import closure_decline
from openmash.enquiries.workflow import IllegalTransition

# A decision can be recorded while the contact is in one of these states (with checks
# running, the service answers ChecksOutstanding, which the page explains).
DECIDABLE_STATES = (ContactState.CHECKS_IN_PROGRESS, ContactState.AWAITING_DECISION)
CONFLICT = 409


def _may_decide(request: HttpRequest) -> bool:
    return request.user.has_perm("enquiries.decide")


def _decision_url(reference: str) -> str:
    return reverse("enquiries:decision", kwargs={"reference": reference})


# --- The decisions queue ---------------------------------------------------------------


@requires("enquiries.view_decisions_queue")
@require_GET
def decision_queue_view(request: HttpRequest) -> HttpResponse:
    queue = decision_queue_for(actor=Actor.from_request(request))
    now = timezone.now()
    awaiting = [QueueContactPresenter(contact, now) for contact in queue.awaiting]
    return render(
        request,
        "enquiries/decisions/queue.html",
        {
            "proposals": [row for row in awaiting if row.proposal is not None],
            "awaiting": [row for row in awaiting if row.proposal is None],
            "in_checks": [QueueContactPresenter(contact, now) for contact in queue.in_checks],
            "undelivered": [MessagePresenter(message) for message in queue.undelivered],
            "more_undelivered": queue.more_undelivered,
        },
    )


# --- The decision page -----------------------------------------------------------------


def _amend_initial(decision: Decision) -> dict[str, Any]:
    return {
        "decision_id": decision.pk,
        "level_of_need": str(decision.level_of_need.number) if decision.level_of_need else "",
        "outcome": decision.outcome.code,
        "factor_codes": list(decision.factor_codes),
        "primary_need": decision.primary_need,
        "rationale": decision.rationale,
        "receiving_team": decision.receiving_team,
    }


def _render_decision_page(
    request: HttpRequest,
    reference: str,
    *,
    status: int = 200,
    options: DecisionOptions | None = None,
    decision_form: DecisionForm | None = None,
    amend_form: AmendDecisionForm | None = None,
    agree_form: ClosureAgreeForm | None = None,
    decline_form: ClosureDeclineForm | None = None,
    problem: str = "",
    outstanding: list[AgencyCheck] | None = None,
    refused: IllegalTransition | None = None,
    email_problem: str = "",
) -> HttpResponse:
    """The one page a manager decides from; a failed action shows it again with the
    forms as typed and the errors."""
    page = decision_page_for(actor=Actor.from_request(request), reference=reference)
    if refused is not None:
        problem = _refusal(refused, page.decisions[-1] if page.decisions else None, reference)
    options = options or decision_options()
    presenter = DecisionPagePresenter(page, timezone.now())
    contact = page.contact
    current = page.current_decision
    may_decide = _may_decide(request)
    if may_decide and current is None and contact.state in DECIDABLE_STATES:
        decision_form = decision_form or DecisionForm(
            levels=options.levels,
            outcomes=options.outcomes,
            initial={"factor_codes": contact.factor_codes},
        )
    else:
        decision_form = None
    if may_decide and current is not None:
        amend_form = amend_form or AmendDecisionForm(
            levels=options.levels, outcomes=options.outcomes, initial=_amend_initial(current)
        )
    else:
        amend_form = None
    if may_decide and page.pending_proposal is not None:
        agree_form = agree_form or ClosureAgreeForm(levels=options.levels)
        decline_form = decline_form or ClosureDeclineForm()
    else:
        agree_form = decline_form = None

    summary: list[SummaryError] = []
    if problem:
        summary.append(SummaryError(problem, "#outstanding-checks" if outstanding else "#decision"))
    if email_problem:
        summary.append(SummaryError(email_problem, "#undelivered-emails"))
    for form, anchor in (
        (agree_form, "closure-proposal"),
        (decline_form, "closure-proposal"),
        (decision_form, "decision-form"),
        (amend_form, "amend-form"),
    ):
        if form is not None:
            summary.extend(error_summary(form, anchor=anchor))
    return render(
        request,
        "enquiries/decisions/decision.html",
        {
            "page": presenter,
            "decision_form": decision_form,
            "amend_form": amend_form,
            "agree_form": agree_form,
            "decline_form": decline_form,
            "may_decide": may_decide,
            "may_waive": request.user.has_perm("enquiries.screen_contact"),
            "may_retry": request.user.has_perm("enquiries.retry_message"),
            "problem": problem,
            "email_problem": email_problem,
            "outstanding": [
                CheckPresenter(check, None, timezone.now()) for check in outstanding or []
            ],
            "error_summary": summary,
            "not_ready": contact.state in (ContactState.RECEIVED, ContactState.SCREENING),
        },
        status=status,
    )


def _refusal(error: IllegalTransition, original: Decision | None, reference: str) -> str:
    """Why a decision was refused: if another manager decided first, who and when."""
    if original is None or error.to_state != ContactState.DECIDED:
        return str(error)
    return (
        f"{reference} has already been decided by "
        f"{original.decided_by.display_name} at {when_text(original.decided_at)}. Your "
        "decision was not saved. To change the decision, amend it with a reason."
    )


@requires("enquiries.view_all_findings")
@require_http_methods(["GET", "POST"])
def decision_view(request: HttpRequest, reference: str) -> HttpResponse:
    if request.method == "GET":
        return _render_decision_page(request, reference)
    if not _may_decide(request):
        raise PermissionDenied
    actor = Actor.from_request(request)
    target = decision_target_for(actor=actor, reference=reference)
    options = decision_options()
    form = DecisionForm(request.POST, levels=options.levels, outcomes=options.outcomes)
    if not form.is_valid():
        return _render_decision_page(
            request, reference, status=400, options=options, decision_form=form
        )
    try:
        decision = decision_record(
            actor=actor, contact_id=target.contact_id, data=form.decision_input()
        )
    except EnquiryInvalid as invalid:
        attach_service_errors(form, invalid.errors)
        return _render_decision_page(
            request, reference, status=400, options=options, decision_form=form
        )
    except ChecksOutstanding as outstanding:
        return _render_decision_page(
            request,
            reference,
            status=CONFLICT,
            options=options,
            decision_form=form,
            problem=str(outstanding),
            outstanding=outstanding.checks,
        )
    except IllegalTransition as error:
        return _render_decision_page(
            request, reference, status=CONFLICT, options=options, refused=error
        )
    messages.success(request, f"Decision recorded: {decision.outcome.label}.")
    return redirect(_decision_url(reference))


@requires("enquiries.decide")
@require_POST
def decision_amend_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    target = decision_target_for(actor=actor, reference=reference)
    options = decision_options()
    form = AmendDecisionForm(request.POST, levels=options.levels, outcomes=options.outcomes)
    if target.current_decision_id is None:
        return _render_decision_page(
            request,
            reference,
            status=CONFLICT,
            options=options,
            problem=f"{reference} has not been decided yet: record the decision first.",
        )
    if not form.is_valid():
        return _render_decision_page(
            request, reference, status=400, options=options, amend_form=form
        )
    # Amend the decision the manager was looking at: if someone amended it meanwhile, the
    # service refuses rather than amend an amendment they have not seen.
    shown_id = form.cleaned_data.get("decision_id")
    if shown_id not in target.decision_ids:
        shown_id = target.current_decision_id
    try:
        amendment = decision_amend(
            actor=actor,
            decision_id=shown_id,
            data=form.decision_input(),
            reason=form.cleaned_data.get("amendment_reason") or "",
        )
    except EnquiryInvalid as invalid:
        attach_service_errors(form, invalid.errors)
        return _render_decision_page(
            request, reference, status=400, options=options, amend_form=form
        )
    except IllegalTransition as error:
        return _render_decision_page(
            request, reference, status=CONFLICT, options=options, problem=str(error)
        )
    messages.success(request, f"Decision amended: {amendment.outcome.label}.")
    return redirect(_decision_url(reference))


@requires("enquiries.decide")
@require_POST
def closure_agree_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    proposal = closure_proposal_for(actor=actor, proposal_id=proposal_id)
    reference = proposal.contact.reference
    options = decision_options()
    form = ClosureAgreeForm(request.POST, levels=options.levels)
    if not form.is_valid():
        return _render_decision_page(
            request, reference, status=400, options=options, agree_form=form
        )
    try:
        decision = closure_agree(
            actor=actor,
            proposal_id=proposal.pk,
            level_of_need=form.level_number(),
            primary_need=form.cleaned_data.get("primary_need") or "",
        )
    except EnquiryInvalid as invalid:
        attach_service_errors(form, invalid.errors)
        return _render_decision_page(
            request, reference, status=400, options=options, agree_form=form
        )
    except ChecksOutstanding as outstanding:
        return _render_decision_page(
            request,
            reference,
            status=CONFLICT,
            options=options,
            agree_form=form,
            problem=str(outstanding),
            outstanding=outstanding.checks,
        )
    except IllegalTransition as error:
        return _render_decision_page(
            request, reference, status=CONFLICT, options=options, problem=str(error)
        )
    messages.success(request, f"Closure agreed: {decision.outcome.label}.")
    return redirect(_decision_url(reference))


@requires("enquiries.decide")
@require_POST
def closure_decline_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    proposal = closure_proposal_for(actor=actor, proposal_id=proposal_id)
    reference = proposal.contact.reference
    form = ClosureDeclineForm(request.POST)
    if not form.is_valid():
        return _render_decision_page(request, reference, status=400, decline_form=form)
    try:
        closure_decline(
            actor=actor, proposal_id=proposal.pk, reason=form.cleaned_data.get("reason") or ""
        )
    except EnquiryInvalid as invalid:
        attach_service_errors(form, invalid.errors)
        return _render_decision_page(request, reference, status=400, decline_form=form)
    except IllegalTransition as error:
        return _render_decision_page(request, reference, status=CONFLICT, problem=str(error))
    messages.success(request, "Closure not agreed: the contact has gone back to the screener.")
    return redirect(_decision_url(reference))


# --- Emails the mail server did not take ----------------------------------------------


@requires("enquiries.retry_message")
@require_POST
def message_retry_view(request: HttpRequest, message_id: int) -> HttpResponse:
    """Try an undelivered email again, now; the decision page then says how it went."""
    actor = Actor.from_request(request)
    reference = message_for_retry(actor=actor, message_id=message_id).contact.reference
    try:
        message = message_retry(actor=actor, message_id=message_id)
    except MessageNotRetryable as refused:
        return _render_decision_page(
            request, reference, status=CONFLICT, email_problem=str(refused)
        )
    # The attempt is made as the service's transaction commits: by now it has been.
    message.refresh_from_db()
    if message.status == MessageStatus.FAILED:
        return _render_decision_page(
            request,
            reference,
            email_problem=f"The email still could not be sent: {message.failure}.",
        )
    if message.status == MessageStatus.SENT:
        messages.success(request, "The email was sent.")
    else:
        messages.success(request, "The email will be sent again shortly.")
    return redirect(_decision_url(reference) + "#undelivered-emails")


# --- Waiving a check -------------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@requires("enquiries.screen_contact")
@require_http_methods(["GET", "POST"])
def check_waive_view(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    check = check_for_waiving(actor=actor, check_id=check_id)
    back = _safe_next(request, _decision_url(check.contact.reference))
    form = WaiveCheckForm(request.POST if request.method == "POST" else None)
    problem = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check_waive(
                actor=actor, check_id=check.pk, reason=form.cleaned_data.get("reason") or ""
            )
        except EnquiryInvalid as invalid:
            attach_service_errors(form, invalid.errors)
        except IllegalTransition as error:
            problem = str(error)
        else:
            messages.success(request, f"The {check.agency.name} check is no longer needed.")
            return HttpResponseRedirect(back)
    if request.method == "POST":
        status = CONFLICT if problem else 400
    summary = error_summary(form, anchor="waive-form")
    if problem:
        summary.insert(0, SummaryError(problem, "#waive-form"))
    return render(
        request,
        "enquiries/decisions/waive_check.html",
        {
            "check": check,
            "form": form,
            "back": back,
            "problem": problem,
            "error_summary": summary,
            "is_open": check.state == CheckState.REQUESTED,
        },
        status=status,
    )


# --- Hand-ons --------------------------------------------------------------------------


@requires("enquiries.view_hand_on_queue")
@require_GET
def hand_on_queue_view(request: HttpRequest) -> HttpResponse:
    queue = hand_on_queue_for(actor=Actor.from_request(request))
    now = timezone.now()
    return render(
        request,
        "enquiries/decisions/hand_on_queue.html",
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
    status: int = 200,
    accept_form: HandOnAcceptForm | None = None,
    return_form: HandOnReturnForm | None = None,
    problem: str = "",
) -> HttpResponse:
    hand_on = hand_on_get_for(actor=Actor.from_request(request), hand_on_id=hand_on_id)
    accept_form = accept_form or HandOnAcceptForm()
    return_form = return_form or HandOnReturnForm()
    summary = [
        *error_summary(accept_form, anchor="accept-form"),
        *error_summary(return_form, anchor="return-form"),
    ]
    if problem:
        summary.insert(0, SummaryError(problem, "#hand-on-answer"))
    return render(
        request,
        "enquiries/decisions/hand_on.html",
        {
            "hand_on": HandOnPresenter(hand_on, timezone.now()),
            "accept_form": accept_form,
            "return_form": return_form,
            "error_summary": summary,
            "problem": problem,
            "sees_findings": request.user.has_perm("enquiries.view_all_findings"),
        },
        status=status,
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
    if form.is_valid():
        try:
            hand_on_accept(
                actor=actor,
                hand_on_id=hand_on.pk,
                allocated_worker=form.cleaned_data.get("allocated_worker") or "",
            )
        except EnquiryInvalid as invalid:
            attach_service_errors(form, invalid.errors)
        except IllegalTransition as error:
            return _render_hand_on(request, hand_on.pk, status=CONFLICT, problem=str(error))
        else:
            messages.success(request, f"You accepted {hand_on.contact.reference}.")
            return redirect("enquiries:hand-on-queue")
    return _render_hand_on(request, hand_on.pk, status=400, accept_form=form)


@requires("enquiries.view_hand_on_queue")
@require_POST
def hand_on_return_view(request: HttpRequest, hand_on_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    hand_on = hand_on_get_for(actor=actor, hand_on_id=hand_on_id)
    form = HandOnReturnForm(request.POST)
    if form.is_valid():
        try:
            hand_on_return(
                actor=actor, hand_on_id=hand_on.pk, reason=form.cleaned_data.get("reason") or ""
            )
        except EnquiryInvalid as invalid:
            attach_service_errors(form, invalid.errors)
        except IllegalTransition as error:
            return _render_hand_on(request, hand_on.pk, status=CONFLICT, problem=str(error))
        else:
            messages.success(
                request,
                f"You returned {hand_on.contact.reference} to the MASH for the decision "
                "to be amended.",
            )
            return redirect("enquiries:hand-on-queue")
    return _render_hand_on(request, hand_on.pk, status=400, return_form=form)
