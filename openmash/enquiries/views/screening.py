"""The screening queue and a contact's screening page, with the screener's actions.

Each action is its own POST view that calls one service. A service's field errors go
next to the fields and in the error summary, keeping what was typed; any other refusal
(the contact was taken first, it has moved on, the user may not) is shown as a problem
in the action's section (openmash.enquiries.views.refusals); success redirects back
with a notification banner.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openmash.accounts.models import User
from openmash.area.selectors import rag_levels_active
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.screening import (
    AssignForm,
    BulkAssignForm,
    ConflictResolveForm,
    ConflictUndoForm,
    OpenEnquiryForm,
    PassToWorkerForm,
    ProposeClosureForm,
    QueueFilterForm,
    RateForm,
    RequestMoreChecksForm,
    ScreeningActionForm,
)
from openmash.enquiries.presenters.additions import AdditionPresenter
from openmash.enquiries.presenters.screening import (
    ConflictPanel,
    QueueRow,
    ScreeningPage,
    screening_actions,
    urgent_unassigned_text,
    when_text,
)
from openmash.enquiries.selectors.allocation import allocation_candidates
from openmash.enquiries.selectors.outcomes import contact_additions_for
from openmash.enquiries.selectors.screening import (
    checking_agencies,
    closure_outcomes,
    screening_assignees,
    screening_contact_for_action,
    screening_contact_get,
    screening_queue_page,
)
from openmash.enquiries.services.additions import contact_additions_mark_seen
from openmash.enquiries.services.allocation import (
    ALLOCATABLE_STATES,
    Allocation,
    contact_assign,
    contacts_assign_bulk,
)
from openmash.enquiries.services.screening import (
    checks_request_more,
    closure_propose,
    contact_pass_to_allocated_worker,
    contact_rate,
    contact_release,
    contact_take,
    enquiry_open,
)
from openmash.enquiries.views.attachments import attachments_section
from openmash.enquiries.views.notes import notes_section
from openmash.enquiries.views.refusals import Refusal, act
from openmash.linkage.conflicts import (
    ConflictView,
    conflict_resolve,
    conflict_undo,
    conflicts_for_contact,
)
from openmash.linkage.links import (
    LinkView,
    link_confirm,
    link_reject,
    link_undo,
    links_for_contact,
)
from openmash.linkage.models import IdentifierConflict, PersonLink

# Each action form's prefix is also the id of its section on the page.
RATE = "rate"
OPEN_ENQUIRY = "enquiry"
MORE_CHECKS = "more-checks"
CLOSURE = "closure"
WORKER = "worker"
ASSIGN = "assign"


# --- The queue ---------------------------------------------------------------------------


@requires("enquiries.view_screening_queue")
def screening_queue_view(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


def _render_queue(
    request: HttpRequest, *, assign_form: BulkAssignForm | None = None, status: int = 200
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = QueueFilterForm(
        request.GET or None, levels=rag_levels_active(), assignees=screening_assignees()
    )
    queue = screening_queue_page(
        actor=Actor.from_request(request),
        filters=form.filters(),
        page_number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    may_allocate = user.has_perm("enquiries.allocate")
    if may_allocate and assign_form is None:
        assign_form = BulkAssignForm(candidates=allocation_candidates())
    selected = assign_form.selected if assign_form is not None else set()
    return render(
        request,
        "enquiries/screening/queue.html",
        {
            "form": form,
            "queue": queue,
            "rows": [
                QueueRow(contact, queue.now, selected=contact.reference in selected)
                for contact in queue.page.object_list
            ],
            "page": queue.page,
            "filter_query": query.urlencode(),
            "is_filtered": form.is_filtered,
            "urgent_unassigned": urgent_unassigned_text(
                queue.urgent_unassigned_count, queue.urgent_minutes
            ),
            "assign_form": assign_form if may_allocate else None,
            "error_summary": error_summary(assign_form, form_href="#assign")
            if assign_form is not None and assign_form.is_bound
            else [],
        },
        status=status,
    )


def _allocation_banner(allocation: Allocation) -> str:
    name = allocation.worker.display_name
    parts = []
    if allocation.assigned:
        parts.append(
            f"Assigned {_names([contact.reference for contact in allocation.assigned])} to {name}."
        )
    else:
        parts.append(f"No contacts were assigned to {name}.")
    if allocation.skipped:
        parts.append(
            "Not assigned: " + "; ".join(skipped.reason for skipped in allocation.skipped) + "."
        )
    return " ".join(parts)


@requires("enquiries.allocate")
@require_POST
def screening_queue_assign_view(request: HttpRequest) -> HttpResponse:
    """Assign the contacts ticked in the queue to one worker."""
    actor = Actor.from_request(request)
    form = BulkAssignForm(request.POST, candidates=allocation_candidates())

    def assign() -> str:
        allocation = contacts_assign_bulk(
            actor=actor,
            references=form.cleaned_data.get("contacts") or [],
            worker_id=form.cleaned_data.get("worker") or "",
        )
        return _allocation_banner(allocation)

    def refused(refusal: Refusal) -> HttpResponse:
        return _render_queue(request, assign_form=form, status=refusal.status)

    return act(
        request, assign, form=form, refused=refused, done=reverse("enquiries:screening-queue")
    )


# --- The screening page ------------------------------------------------------------------


def _render_page(
    request: HttpRequest,
    reference: str,
    *,
    bound: dict[str, ScreeningActionForm] | None = None,
    problem: SummaryError | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    now = timezone.now()
    record = screening_contact_get(actor=Actor.from_request(request), reference=reference)
    page = ScreeningPage(record, now)
    contact = record.contact
    asked = {check.agency_id for check in record.checks}
    partners = checking_agencies()
    unasked = [agency for agency in partners if agency.pk not in asked]
    actions = screening_actions(
        contact, user, closure_waiting=page.closure_waiting, unasked_agencies=bool(unasked)
    )
    forms: dict[str, ScreeningActionForm] = {}
    if actions.rate:
        forms[RATE] = RateForm(
            prefix=RATE, levels=rag_levels_active(), is_regrade=actions.is_regrade
        )
    if actions.open_enquiry:
        forms[OPEN_ENQUIRY] = OpenEnquiryForm(
            prefix=OPEN_ENQUIRY, agencies=partners, level=contact.rag_level
        )
    if actions.request_more_checks:
        forms[MORE_CHECKS] = RequestMoreChecksForm(prefix=MORE_CHECKS, agencies=unasked)
    if actions.propose_closure:
        forms[CLOSURE] = ProposeClosureForm(prefix=CLOSURE, outcomes=closure_outcomes())
    if user.has_perm("enquiries.allocate") and contact.state in ALLOCATABLE_STATES:
        forms[ASSIGN] = AssignForm(prefix=ASSIGN, candidates=allocation_candidates())
    if actions.pass_to_worker:
        forms[WORKER] = PassToWorkerForm(
            prefix=WORKER, initial={"allocated_worker": page.allocated_worker}
        )
    # A form sent back with errors replaces its blank one, keeping what was typed.
    for prefix, form in (bound or {}).items():
        if prefix in forms:
            forms[prefix] = form
    conflicts = _conflict_panels(
        conflicts_for_contact(actor=Actor.from_request(request), contact=contact), bound or {}
    )
    anchors = set(forms) | {panel.anchor for panel in conflicts} | {"matches"}
    if problem is not None and problem.href.lstrip("#") not in anchors:
        problem = SummaryError(problem.message, "#actions")
    summary = [problem] if problem else []
    for panel in conflicts:
        for form in (panel.resolve_form, panel.undo_form):
            if form is not None:
                summary.extend(error_summary(form, form_href=f"#{panel.anchor}"))
    for prefix, form in forms.items():
        summary.extend(error_summary(form, form_href=f"#{prefix}"))
    matches = links_for_contact(actor=Actor.from_request(request), contact=contact)
    match_groups = [
        MatchGroup(person.full_name, [MatchRow(view) for view in matches[person.pk]])
        for person in contact.people.all()
        if matches.get(person.pk)
    ]
    additions = [
        AdditionPresenter(addition, is_new=addition.seen_at is None)
        for addition in contact_additions_for(contact=contact)
    ]
    # Opening the page writes nothing: the screener marks what is new as read.
    any_new = any(addition.is_new for addition in additions)
    context: dict[str, Any] = {
        "additions": additions,
        "may_mark_additions_read": any_new
        and user.has_perm("enquiries.mark_additions_read", contact),
        "conflicts": conflicts,
        "open_conflicts": [panel for panel in conflicts if panel.is_open],
        "match_groups": match_groups,
        "page": page,
        "contact": page.contact,
        "actions": actions,
        "forms": forms,
        "rate_form": forms.get(RATE),
        "enquiry_form": forms.get(OPEN_ENQUIRY),
        "more_checks_form": forms.get(MORE_CHECKS),
        "closure_form": forms.get(CLOSURE),
        "worker_form": forms.get(WORKER),
        "assign_form": forms.get(ASSIGN),
        "problem": problem,
        "error_summary": summary,
        "may_correct": user.has_perm("enquiries.correct_person", contact),
        **notes_section(request, contact),
        **attachments_section(request, contact),
    }
    return render(request, "enquiries/screening/screening.html", context, status=status)


def _resolve_prefix(conflict_id: int) -> str:
    return f"conflict-{conflict_id}"


def _undo_prefix(conflict_id: int) -> str:
    return f"conflict-undo-{conflict_id}"


def _resolve_form(view: ConflictView, data: Any = None) -> ConflictResolveForm:
    return ConflictResolveForm(
        data,
        prefix=_resolve_prefix(view.conflict.pk),
        holders=[
            (view.this_holder, f"{view.this.name or 'The record'}'s record, in this contact"),
            (view.other_holder, f"{view.other.name or 'The other record'}'s record"),
        ],
    )


def _conflict_panels(
    views: list[ConflictView], bound: dict[str, ScreeningActionForm]
) -> list[ConflictPanel]:
    """Each conflict with its form: to decide it while open, to undo the decision after;
    a form sent back with errors in place of its blank one."""
    panels = []
    for view in views:
        resolve = undo = None
        if view.may_decide and view.is_open:
            resolve = bound.get(_resolve_prefix(view.conflict.pk)) or _resolve_form(view)
        elif view.may_decide:
            undo = bound.get(_undo_prefix(view.conflict.pk)) or ConflictUndoForm(
                prefix=_undo_prefix(view.conflict.pk)
            )
        panels.append(ConflictPanel(view, resolve, undo))
    return panels


@dataclass(frozen=True)
class MatchRow:
    view: LinkView

    @property
    def link(self) -> PersonLink:
        return self.view.link

    @property
    def contact(self) -> Contact | None:
        return self.view.contact

    @property
    def agency_name(self) -> str:
        return self.view.agency_name

    @property
    def involvement(self) -> str:
        return self.view.involvement

    @property
    def percent(self) -> str:
        return f"{self.view.link.probability:.1%}"


@dataclass(frozen=True)
class MatchGroup:
    name: str
    links: list[MatchRow]


@requires("enquiries.view_screening_queue")
def screening_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_page(request, reference)


# --- The actions -------------------------------------------------------------------------


# Why a screener may not act on a contact they have not taken.
SCREENED_BY_SOMEONE_ELSE = (
    "You cannot do this: the contact is being screened by someone else. "
    "Ask them, or a MASH manager, to release it."
)


def _act(
    request: HttpRequest,
    contact: Contact,
    call: Callable[[], str],
    *,
    prefix: str,
    form: ScreeningActionForm | None = None,
) -> HttpResponse:
    """Run one service; on success redirect back with its message as a banner, and on a
    refusal show the page again with the reason in the action's section."""
    reference = contact.reference

    def refused(refusal: Refusal) -> HttpResponse:
        bound = {prefix: form} if form is not None else {}
        problem = SummaryError(refusal.reason, f"#{prefix}") if refusal.reason else None
        return _render_page(request, reference, bound=bound, problem=problem, status=refusal.status)

    return act(
        request,
        call,
        form=form,
        forbidden=SCREENED_BY_SOMEONE_ELSE,
        refused=refused,
        done=_screening_url(reference),
    )


def _screening_url(reference: str) -> str:
    return reverse("enquiries:screening", kwargs={"reference": reference})


@requires("enquiries.screen_contact")
@require_POST
def screening_take_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)

    def take() -> str:
        contact_take(actor=actor, contact_id=contact.pk)
        return f"You have taken {reference} for screening."

    return _act(request, contact, take, prefix="take")


@requires("enquiries.screen_contact")
@require_POST
def screening_release_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)

    def release() -> str:
        contact_release(actor=actor, contact_id=contact.pk)
        return f"{reference} is back in the screening queue for someone else to take."

    return _act(request, contact, release, prefix="take")


# The extra tag core/messages.html draws as an "Important" banner rather than "Success".
IMPORTANT = "important"
# Told when "Mark as read" left something new: the referrer added it after the page opened.
NEWER_ADDITIONS = (
    "The referrer added more information after you opened this page. "
    "It is still marked new: read it below, then mark it as read."
)


@requires("enquiries.screen_contact")
@require_POST
def screening_additions_read_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The screener has read what the referrer added: it is no longer shown as new. Only
    what the page showed them (the ids the form posts as `shown`) is marked; if the
    referrer added more since the page was opened, a banner says so and it stays new."""
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    shown = [int(value) for value in request.POST.getlist("shown") if value.isdecimal()]

    def mark_read() -> str:
        result = contact_additions_mark_seen(actor=actor, contact_id=contact.pk, shown=shown)
        if result.newer:
            messages.warning(request, NEWER_ADDITIONS, extra_tags=IMPORTANT)
        if not result.marked:
            return "There was no new information to mark as read."
        return "The referrer's new information is marked as read."

    return _act(request, contact, mark_read, prefix="additions")


@requires("enquiries.allocate")
@require_POST
def screening_assign_view(request: HttpRequest, reference: str) -> HttpResponse:
    """A MASH manager assigns or transfers the contact to a named worker."""
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    form = AssignForm(request.POST, prefix=ASSIGN, candidates=allocation_candidates())

    def assign() -> str:
        assigned = contact_assign(
            actor=actor, contact_id=contact.pk, worker_id=form.cleaned_data.get("worker") or ""
        )
        assert assigned.assigned_to is not None
        return f"{reference} is assigned to {assigned.assigned_to.display_name}."

    return _act(request, contact, assign, prefix=ASSIGN, form=form)


@requires("enquiries.screen_contact")
@require_POST
def screening_rate_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    is_regrade = contact.rag_level_id is not None
    form = RateForm(request.POST, prefix=RATE, levels=rag_levels_active(), is_regrade=is_regrade)

    def rate() -> str:
        rating = contact_rate(
            actor=actor,
            contact_id=contact.pk,
            rag=form.cleaned_data.get("rag") or "",
            rationale=form.cleaned_data.get("rationale") or "",
        )
        verb = "RAG rating changed to" if rating.is_regrade else "Rated"
        return (
            f"{verb} {rating.level.label.lower()}: the decision on {reference} is due by "
            f"{when_text(rating.deadline_at)}."
        )

    return _act(request, contact, rate, prefix=RATE, form=form)


@requires("enquiries.screen_contact")
@require_POST
def screening_open_enquiry_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    form = OpenEnquiryForm(
        request.POST, prefix=OPEN_ENQUIRY, agencies=checking_agencies(), level=None
    )

    def open_enquiry() -> str:
        checks = enquiry_open(actor=actor, contact_id=contact.pk, agency_ids=form.agency_ids())
        if not checks:
            return f"Enquiry opened on {reference} with no checks: it goes to a manager to decide."
        names = _names([check.agency.name for check in checks])
        return f"Enquiry opened on {reference}. {names} asked to check their records."

    return _act(request, contact, open_enquiry, prefix=OPEN_ENQUIRY, form=form)


@requires("enquiries.screen_contact")
@require_POST
def screening_request_more_checks_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    form = RequestMoreChecksForm(request.POST, prefix=MORE_CHECKS, agencies=checking_agencies())

    def request_more() -> str:
        checks = checks_request_more(
            actor=actor, contact_id=contact.pk, agency_ids=form.agency_ids()
        )
        if not checks:
            return "Those agencies had already been asked to check."
        return f"{_names([check.agency.name for check in checks])} asked to check their records."

    return _act(request, contact, request_more, prefix=MORE_CHECKS, form=form)


@requires("enquiries.screen_contact")
@require_POST
def screening_propose_closure_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    form = ProposeClosureForm(request.POST, prefix=CLOSURE, outcomes=closure_outcomes())

    def propose() -> str:
        proposal = closure_propose(
            actor=actor,
            contact_id=contact.pk,
            outcome=form.cleaned_data.get("outcome") or "",
            rationale=form.cleaned_data.get("rationale") or "",
        )
        return (
            f"Closure proposed ({proposal.outcome.label.lower()}). A MASH manager must agree "
            f"before {reference} is closed."
        )

    return _act(request, contact, propose, prefix=CLOSURE, form=form)


@requires("enquiries.screen_contact")
@require_POST
def screening_pass_to_worker_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    form = PassToWorkerForm(request.POST, prefix=WORKER)

    def pass_on() -> str:
        decision = contact_pass_to_allocated_worker(
            actor=actor,
            contact_id=contact.pk,
            allocated_worker=form.cleaned_data.get("allocated_worker") or "",
            rationale=form.cleaned_data.get("rationale") or "",
        )
        return (
            f"{reference} passed to {decision.receiving_team}, the child's allocated worker. "
            "The referrer will be told."
        )

    return _act(request, contact, pass_on, prefix=WORKER, form=form)


def _names(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# --- Who is this? Confirming, rejecting and undoing matches ---------------------------------


# Why a screener may not decide the matches of a contact they have not taken.
MATCHES_OF_SOMEONE_ELSE = (
    "You cannot decide these matches: the contact is being screened by someone else. "
    "Ask them, or a MASH manager."
)


def _link_action(
    request: HttpRequest, reference: str, link_id: int, call: Callable[[Actor], str]
) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    if not PersonLink.objects.filter(pk=link_id, contact_person__contact=contact).exists():
        raise Http404

    def refused(refusal: Refusal) -> HttpResponse:
        problem = SummaryError(refusal.reason, "#matches")
        return _render_page(request, reference, problem=problem, status=refusal.status)

    return act(
        request,
        lambda: call(actor),
        forbidden=MATCHES_OF_SOMEONE_ELSE,
        refused=refused,
        done=_screening_url(reference),
    )


@requires("enquiries.screen_contact")
@require_POST
def screening_link_confirm_view(request: HttpRequest, reference: str, link_id: int) -> HttpResponse:
    def confirm(actor: Actor) -> str:
        link_confirm(actor=actor, link_id=link_id)
        return "You confirmed the match: the records are linked."

    return _link_action(request, reference, link_id, confirm)


@requires("enquiries.screen_contact")
@require_POST
def screening_link_reject_view(request: HttpRequest, reference: str, link_id: int) -> HttpResponse:
    def reject(actor: Actor) -> str:
        link_reject(actor=actor, link_id=link_id)
        return "You said they are not the same person. OpenMASH will not suggest it again."

    return _link_action(request, reference, link_id, reject)


@requires("enquiries.screen_contact")
@require_POST
def screening_link_undo_view(request: HttpRequest, reference: str, link_id: int) -> HttpResponse:
    def undo(actor: Actor) -> str:
        link_undo(actor=actor, link_id=link_id, reason=request.POST.get("reason", "")[:2000])
        return "You undid the link. The reason is kept in the record's history."

    return _link_action(request, reference, link_id, undo)


# --- Identifier conflicts: the same number on two children --------------------------------


def _conflict_action(
    request: HttpRequest,
    reference: str,
    conflict_id: int,
    form: ScreeningActionForm,
    call: Callable[[Actor], str],
) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    # Only a conflict of someone in this contact, decided from its page.
    belongs = IdentifierConflict.objects.filter(pk=conflict_id).filter(
        Q(contact_person__contact=contact) | Q(other_contact_person__contact=contact)
    )
    if not belongs.exists():
        raise Http404

    def refused(refusal: Refusal) -> HttpResponse:
        problem = (
            SummaryError(refusal.reason, f"#{_resolve_prefix(conflict_id)}")
            if refusal.reason
            else None
        )
        return _render_page(
            request,
            reference,
            bound={form.prefix or "": form},
            problem=problem,
            status=refusal.status,
        )

    return act(
        request,
        lambda: call(actor),
        form=form,
        forbidden=CONFLICTS_OF_SOMEONE_ELSE,
        refused=refused,
        done=_screening_url(reference),
    )


# Why a screener may not decide a conflict on a contact someone else is screening.
CONFLICTS_OF_SOMEONE_ELSE = (
    "You cannot decide this: the contact is being screened by someone else. "
    "Ask them, or a MASH manager."
)


def _view_of(request: HttpRequest, reference: str, conflict_id: int) -> ConflictView | None:
    actor = Actor.from_request(request)
    contact = screening_contact_for_action(actor=actor, reference=reference)
    for view in conflicts_for_contact(actor=actor, contact=contact):
        if view.conflict.pk == conflict_id:
            return view
    return None


@requires("linkage.view_identifier_conflicts")
@require_POST
def screening_conflict_resolve_view(
    request: HttpRequest, reference: str, conflict_id: int
) -> HttpResponse:
    view = _view_of(request, reference, conflict_id)
    if view is None:
        raise Http404
    form = _resolve_form(view, request.POST)

    def resolve(actor: Actor) -> str:
        decided = conflict_resolve(
            actor=actor,
            conflict_id=conflict_id,
            outcome=form.cleaned_data.get("outcome") or "",
            wrong_holder=form.cleaned_data.get("wrong_holder") or "",
            reason=form.cleaned_data.get("reason") or "",
        )
        if decided.state == "same_child":
            return "You said the records are the same child: they are joined."
        return (
            "You said they are different children: they are kept apart, and the record "
            "holding the number in error joins no one by it."
        )

    return _conflict_action(request, reference, conflict_id, form, resolve)


@requires("linkage.view_identifier_conflicts")
@require_POST
def screening_conflict_undo_view(
    request: HttpRequest, reference: str, conflict_id: int
) -> HttpResponse:
    form = ConflictUndoForm(request.POST, prefix=_undo_prefix(conflict_id))

    def undo(actor: Actor) -> str:
        conflict_undo(
            actor=actor, conflict_id=conflict_id, reason=form.cleaned_data.get("reason") or ""
        )
        return "You undid the decision. The records are kept apart until someone decides again."

    return _conflict_action(request, reference, conflict_id, form, undo)
