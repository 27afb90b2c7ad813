"""The MASH manager's decisions queue and the decision page: recording a decision,
amending it, and agreeing or declining a screener's proposal to close. Reads go through
openmash.enquiries.selectors.decisions; every write is a call to a service in
openmash.enquiries.services, refused as openmash.enquiries.views.refusals describes."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmash.contacts.codes import ContactState
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.child_outcomes import children_of
from openmash.enquiries.forms.decisions import (
    AmendDecisionForm,
    ClosureAgreeForm,
    ClosureDeclineForm,
    DecisionForm,
)
from openmash.enquiries.models import AgencyCheck, Decision
from openmash.enquiries.presenters.checks import CheckPresenter
from openmash.enquiries.presenters.decisions import (
    DecisionPagePresenter,
    MessagePresenter,
    QueueContactPresenter,
    contact_children,
    outcome_banner,
    when_text,
)
from openmash.enquiries.selectors.decisions import (
    DecisionOptions,
    DecisionPage,
    closure_proposal_for,
    decision_children_for,
    decision_options,
    decision_page_for,
    decision_queue_for,
    decision_target_for,
    released_findings_for,
)
from openmash.enquiries.services.decisions import (
    child_field,
    closure_agree,
    decision_amend,
    decision_record,
)
from openmash.enquiries.services.guards import ChecksOutstanding
from openmash.enquiries.services.messages import MessageNotRetryable
from openmash.enquiries.services.screening import closure_decline
from openmash.enquiries.summary import suggested_findings, worker_risks_suggested
from openmash.enquiries.views.attachments import attachments_section
from openmash.enquiries.views.notes import notes_section
from openmash.enquiries.views.refusals import CONFLICT, Refusal, act
from openmash.enquiries.workflow import IllegalTransition
from openmash.linkage.conflicts import contacts_with_open_conflicts

# A decision can be recorded while the contact is in one of these states (with checks
# running, the service answers ChecksOutstanding, which the page explains).
DECIDABLE_STATES = (ContactState.CHECKS_IN_PROGRESS, ContactState.AWAITING_DECISION)


def _may_decide(request: HttpRequest) -> bool:
    return request.user.has_perm("enquiries.decide")


def decision_url(reference: str) -> str:
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


def _released(page: DecisionPage) -> list[dict[str, Any]]:
    return suggested_findings(finding for check in page.checks for finding in check.findings.all())


def _new_decision_initial(page: DecisionPage, released: list[dict[str, Any]]) -> dict[str, Any]:
    """The suggested MASH summary: every released finding ticked, and the risk
    indicators that agencies released in full gathered into the risks to workers."""
    return {
        "factor_codes": page.contact.factor_codes,
        "shared_finding_ids": [str(item["finding"]) for item in released],
        "worker_risks": worker_risks_suggested(
            finding for check in page.checks for finding in check.findings.all()
        ),
    }


def _children_initial(decision: Decision) -> dict[str, Any]:
    """Each child's outcome as the decision has it, for a contact about several."""
    initial: dict[str, Any] = {}
    for child in children_of(decision):
        level = child.level_of_need
        initial[child_field(child.person_id, "level_of_need")] = str(level.number) if level else ""
        initial[child_field(child.person_id, "outcome")] = child.outcome.code
        initial[child_field(child.person_id, "primary_need")] = child.primary_need
        initial[child_field(child.person_id, "receiving_team")] = child.receiving_team
    return initial


def _amend_initial(decision: Decision) -> dict[str, Any]:
    return {
        **_children_initial(decision),
        "summary": decision.summary,
        "worker_risks": decision.worker_risks,
        "share_rationale": decision.rationale_shared,
        "shared_finding_ids": [str(item["finding"]) for item in decision.shared_findings],
        "decision_id": decision.pk,
        "level_of_need": str(decision.level_of_need.number) if decision.level_of_need else "",
        "outcome": decision.outcome.code,
        "factor_codes": list(decision.factor_codes),
        "primary_need": decision.primary_need,
        "rationale": decision.rationale,
        "receiving_team": decision.receiving_team,
    }


def decision_page_render(
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
    email_problem: str = "",
    refusal: Refusal | None = None,
) -> HttpResponse:
    """The one page a manager decides from; a refused action shows it again with the
    forms as typed, and the reason: beside the undelivered emails for an email, with the
    checks still outstanding for a decision that needs them."""
    page = decision_page_for(actor=Actor.from_request(request), reference=reference)
    outstanding: list[AgencyCheck] = []
    if refusal is not None:
        status = refusal.status
        error = refusal.error
        if isinstance(error, MessageNotRetryable):
            email_problem = refusal.reason
        elif isinstance(error, IllegalTransition):
            original = page.decisions[-1] if page.decisions else None
            problem = _already_decided(error, original, reference)
        else:
            problem = refusal.reason
        if isinstance(error, ChecksOutstanding):
            outstanding = error.checks
    options = options or decision_options()
    released = _released(page)
    children = contact_children(page.contact)
    presenter = DecisionPagePresenter(page, timezone.now())
    contact = page.contact
    current = page.current_decision
    may_decide = _may_decide(request)
    if may_decide and current is None and contact.state in DECIDABLE_STATES:
        decision_form = decision_form or DecisionForm(
            levels=options.levels,
            outcomes=options.outcomes,
            released=released,
            children=children,
            initial=_new_decision_initial(page, released),
        )
    else:
        decision_form = None
    if may_decide and current is not None:
        amend_form = amend_form or AmendDecisionForm(
            levels=options.levels,
            outcomes=options.outcomes,
            released=released,
            children=children,
            initial=_amend_initial(current),
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
            summary.extend(error_summary(form, form_href=f"#{anchor}"))
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
            # Someone named has an identifier conflict awaiting a screener (one query).
            "open_conflict": request.user.has_perm("linkage.view_identifier_conflicts")
            and contact.pk in contacts_with_open_conflicts([contact.pk]),
            "may_waive": request.user.has_perm("enquiries.screen_contact"),
            "may_retry": request.user.has_perm("enquiries.retry_message"),
            "may_correct": request.user.has_perm("enquiries.correct_person", contact),
            "problem": problem,
            "email_problem": email_problem,
            "outstanding": [CheckPresenter(check, timezone.now()) for check in outstanding],
            "error_summary": summary,
            "not_ready": contact.state in (ContactState.RECEIVED, ContactState.SCREENING),
            **notes_section(request, contact),
            **attachments_section(request, contact),
        },
        status=status,
    )


def _act_on_decision_page(
    request: HttpRequest,
    reference: str,
    call: Callable[[], str],
    *,
    options: DecisionOptions | None = None,
    decision_form: DecisionForm | None = None,
    amend_form: AmendDecisionForm | None = None,
    agree_form: ClosureAgreeForm | None = None,
    decline_form: ClosureDeclineForm | None = None,
) -> HttpResponse:
    """Run one action a manager takes on the decision page (`call` returns the banner):
    on success, back to the page with the banner; on a refusal, the page again with the
    action's form as typed (the one form given) and the reason."""
    forms = [decision_form, amend_form, agree_form, decline_form]
    return act(
        request,
        call,
        form=next(form for form in forms if form is not None),
        refused=lambda refusal: decision_page_render(
            request,
            reference,
            options=options,
            decision_form=decision_form,
            amend_form=amend_form,
            agree_form=agree_form,
            decline_form=decline_form,
            refusal=refusal,
        ),
        done=decision_url(reference),
    )


def _already_decided(error: IllegalTransition, original: Decision | None, reference: str) -> str:
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
        return decision_page_render(request, reference)
    if not _may_decide(request):
        raise PermissionDenied
    actor = Actor.from_request(request)
    target = decision_target_for(actor=actor, reference=reference)
    options = decision_options()
    form = DecisionForm(
        request.POST,
        levels=options.levels,
        outcomes=options.outcomes,
        released=released_findings_for(actor=actor, contact_id=target.contact_id),
        children=decision_children_for(actor=actor, contact_id=target.contact_id),
    )

    def record() -> str:
        decision = decision_record(
            actor=actor, contact_id=target.contact_id, data=form.decision_input()
        )
        return f"Decision recorded: {outcome_banner(decision)}."

    return _act_on_decision_page(request, reference, record, options=options, decision_form=form)


@requires("enquiries.decide")
@require_POST
def decision_amend_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    target = decision_target_for(actor=actor, reference=reference)
    options = decision_options()
    form = AmendDecisionForm(
        request.POST,
        levels=options.levels,
        outcomes=options.outcomes,
        released=released_findings_for(actor=actor, contact_id=target.contact_id),
        children=decision_children_for(actor=actor, contact_id=target.contact_id),
    )
    current_id = target.current_decision_id
    if current_id is None:
        return decision_page_render(
            request,
            reference,
            status=CONFLICT,
            options=options,
            problem=f"{reference} has not been decided yet: record the decision first.",
        )

    def amend() -> str:
        # Amend the decision the manager was looking at: if someone amended it meanwhile,
        # the service refuses rather than amend an amendment they have not seen.
        shown_id = form.cleaned_data.get("decision_id")
        if shown_id not in target.decision_ids:
            shown_id = current_id
        amendment = decision_amend(
            actor=actor,
            decision_id=shown_id,
            data=form.decision_input(),
            reason=form.cleaned_data.get("amendment_reason") or "",
        )
        return f"Decision amended: {outcome_banner(amendment)}."

    return _act_on_decision_page(request, reference, amend, options=options, amend_form=form)


@requires("enquiries.decide")
@require_POST
def closure_agree_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    proposal = closure_proposal_for(actor=actor, proposal_id=proposal_id)
    reference = proposal.contact.reference
    options = decision_options()
    form = ClosureAgreeForm(request.POST, levels=options.levels)

    def agree() -> str:
        decision = closure_agree(
            actor=actor,
            proposal_id=proposal.pk,
            level_of_need=form.level_number(),
            primary_need=form.cleaned_data.get("primary_need") or "",
        )
        return f"Closure agreed: {decision.outcome.label}."

    return _act_on_decision_page(request, reference, agree, options=options, agree_form=form)


@requires("enquiries.decide")
@require_POST
def closure_decline_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    proposal = closure_proposal_for(actor=actor, proposal_id=proposal_id)
    reference = proposal.contact.reference
    form = ClosureDeclineForm(request.POST)

    def decline() -> str:
        closure_decline(
            actor=actor, proposal_id=proposal.pk, reason=form.cleaned_data.get("reason") or ""
        )
        return "Closure not agreed: the contact has gone back to the screener."

    return _act_on_decision_page(request, reference, decline, decline_form=form)
