"""Screening: a screener takes a contact, rates it (RAG), and decides what happens next:
open an enquiry with agency checks, ask more agencies, propose closing it at screening,
or pass it to the child's allocated worker. A manager who declines a proposal to close
sends the contact back to screening (agreeing records a decision: decisions.closure_agree)."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.deadlines import check_deadline, decision_deadline
from openmash.area.models import HandOnTeam, Outcome, RagLevel
from openmash.area.selectors import rag_level_active
from openmash.contacts.codes import CHILD_ROLES, ContactState, PrimaryNeed
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.core.outbox import EventKind, publish
from openmash.enquiries import workflow
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    ClosureProposal,
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    ProposalState,
    RagRating,
)
from openmash.enquiries.notices import check_requested_to_agency
from openmash.enquiries.out_of_hours import out_of_hours_on_rating
from openmash.enquiries.outcome_feedback import outcome_to_referrer
from openmash.enquiries.services.guards import (
    ContactAlreadyTaken,
    EnquiryInvalid,
    _audit,
    _locked_contact,
    _raise_if,
    _require,
    _text,
)
from openmash.enquiries.services.hand_ons import _deadline_runs_from
from openmash.enquiries.workflow import IllegalTransition


def _require_its_screener(user: User, contact: Contact) -> None:
    """While a contact is being screened only the screener who took it, or a MASH
    manager, works on it; anyone else asks them to release it (PermissionDenied)."""
    if (
        contact.state == ContactState.SCREENING
        and contact.assigned_to_id not in (None, user.pk)
        and not user.has_perm("enquiries.manage_screening")
    ):
        raise PermissionDenied


@transaction.atomic
def contact_take(*, actor: Actor, contact_id: int, now: datetime | None = None) -> Contact:
    """Assign a received contact to the screener taking it. Exactly one of two screeners
    taking it at once succeeds; the other gets ContactAlreadyTaken and nothing changes."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    taken = Contact.objects.filter(
        pk=contact_id, state=ContactState.RECEIVED, assigned_to__isnull=True
    ).update(state=ContactState.SCREENING, assigned_to=user, assigned_at=now)
    contact = Contact.objects.select_related("assigned_to").get(pk=contact_id)
    if not taken:
        if contact.assigned_to_id is not None:
            raise ContactAlreadyTaken(contact)
        raise IllegalTransition(contact, ContactState.SCREENING)
    _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="taken for screening")
    contacts_changed([contact.pk])
    return contact


@transaction.atomic
def contact_release(*, actor: Actor, contact_id: int) -> Contact:
    """Give a contact being screened back to the queue (the screener is going off shift)."""
    user = _require(actor, "enquiries.screen_contact")
    contact = _locked_contact(contact_id)
    if contact.assigned_to_id not in (None, user.pk) and not user.has_perm(
        "enquiries.manage_screening"
    ):
        raise PermissionDenied
    workflow.move(contact, ContactState.RECEIVED)
    contact.assigned_to = None
    contact.assigned_at = None
    contact.save(update_fields=["state", "assigned_to", "assigned_at"])
    _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="released")
    contacts_changed([contact.pk])
    return contact


def _active_level(errors: dict[str, str], code: str) -> RagLevel | None:
    level = rag_level_active(code)
    if level is None:
        errors["rag"] = "Select a RAG rating"
    return level


@transaction.atomic
def contact_rate(
    *,
    actor: Actor,
    contact_id: int,
    rag: str,
    rationale: str,
    now: datetime | None = None,
) -> RagRating:
    """Set or re-grade the contact's RAG rating. The first rating needs a rationale; a
    re-grade needs the reason for it. The contact's deadline, counted from when it was
    received, moves with the rating, and so do its open checks' deadlines; every rating
    stays in the history. A case returned to the MASH by the team it was handed to has
    its deadline counted from the return instead (see hand_on_return)."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    if contact.state not in workflow.OPEN_STATES or contact.state == ContactState.RECEIVED:
        raise IllegalTransition(
            contact,
            contact.state,
            f"{contact.reference} is {contact.get_state_display().lower()}: "
            + (
                "take it for screening before rating it."
                if contact.state == ContactState.RECEIVED
                else "its rating can no longer be changed."
            ),
        )
    is_regrade = contact.rag_ratings.exists()
    errors: dict[str, str] = {}
    level = _active_level(errors, rag)
    rationale = _text(
        errors,
        "rationale",
        rationale,
        "Enter the reason for changing the rating"
        if is_regrade
        else "Enter the rationale for the rating",
    )
    if level is not None and is_regrade and contact.rag_level_id == level.pk:
        errors["rag"] = (
            f"The contact is already rated {level.label.lower()}: select a different rating"
        )
    _raise_if(errors)
    assert level is not None
    deadline = decision_deadline(received_at=_deadline_runs_from(contact), level=level)
    rating = RagRating.objects.create(
        contact=contact,
        level=level,
        rationale=rationale,
        is_regrade=is_regrade,
        deadline_at=deadline,
        set_by=user,
        set_at=now,
    )
    contact.rag_level = level
    contact.deadline_at = deadline
    contact.save(update_fields=["rag_level", "deadline_at"])
    contacts_changed([contact.pk])
    for check in contact.agency_checks.filter(state=CheckState.REQUESTED):
        check.deadline_at = check_deadline(requested_at=check.requested_at, level=level)
        check.save(update_fields=["deadline_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "contact",
        contact,
        contact,
        change="re-graded" if is_regrade else "rated",
        rag=level.code,
    )
    # Rated red while the hub is closed: whoever is on call is told now.
    out_of_hours_on_rating(contact, now)
    return rating


def _require_rated(contact: Contact) -> None:
    if contact.rag_level_id is None or not contact.rag_ratings.exists():
        raise EnquiryInvalid({"rag": "Rate the contact before deciding what happens next"})


def _request_checks(
    actor: Actor, user: User, contact: Contact, agencies: Iterable[Agency], now: datetime
) -> list[AgencyCheck]:
    level = contact.rag_level
    assert level is not None
    already = set(contact.agency_checks.values_list("agency_id", flat=True))
    checks = []
    for agency in agencies:
        if agency.pk in already:
            continue
        check = AgencyCheck.objects.create(
            contact=contact,
            contact_received_at=contact.received_at,
            agency=agency,
            requested_by=user,
            requested_at=now,
            deadline_at=check_deadline(requested_at=now, level=level),
        )
        _audit(actor, AuditAction.CREATE, "agency_check", check, contact, agency=agency.slug)
        check_requested_to_agency(check=check, contact=contact, now=now)
        checks.append(check)
    return checks


def _agencies(errors: dict[str, str], agency_ids: Iterable[int]) -> list[Agency]:
    ids = {int(pk) for pk in agency_ids}
    agencies = list(Agency.objects.filter(pk__in=ids, is_mash_partner=True).order_by("name"))
    if len(agencies) != len(ids):
        errors["agencies"] = "Select agencies from the list of MASH partners"
    return agencies


@transaction.atomic
def enquiry_open(
    *, actor: Actor, contact_id: int, agency_ids: Iterable[int], now: datetime | None = None
) -> list[AgencyCheck]:
    """Open a MASH enquiry on a rated contact and ask the chosen agencies to check their
    records, each by the deadline its RAG rating sets. With no agencies chosen the
    contact goes straight to the manager for a decision."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    _require_rated(contact)
    errors: dict[str, str] = {}
    agencies = _agencies(errors, agency_ids)
    _raise_if(errors)
    to = ContactState.CHECKS_IN_PROGRESS if agencies else ContactState.AWAITING_DECISION
    # Only from screening: the workflow also allows these moves for a returned hand-on or
    # more checks, which must not be reached by opening an enquiry again.
    if contact.state != ContactState.SCREENING:
        raise IllegalTransition(contact, to)
    workflow.move(contact, to)
    contact.save(update_fields=["state"])
    checks = _request_checks(actor, user, contact, agencies, now)
    _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="enquiry opened")
    return checks


@transaction.atomic
def checks_request_more(
    *, actor: Actor, contact_id: int, agency_ids: Iterable[int], now: datetime | None = None
) -> list[AgencyCheck]:
    """Ask more agencies to check, on an enquiry already open."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    _require_rated(contact)
    errors: dict[str, str] = {}
    agencies = _agencies(errors, agency_ids)
    if not agencies and "agencies" not in errors:
        errors["agencies"] = "Select at least one agency to ask"
    _raise_if(errors)
    # Agencies already asked are skipped; with none new the contact stays where it is (a
    # contact moved to checks in progress with no check open could never be decided).
    already = set(contact.agency_checks.values_list("agency_id", flat=True))
    if all(agency.pk in already for agency in agencies):
        return []
    if contact.state != ContactState.CHECKS_IN_PROGRESS:
        workflow.move(contact, ContactState.CHECKS_IN_PROGRESS)
        contact.save(update_fields=["state"])
    return _request_checks(actor, user, contact, agencies, now)


@transaction.atomic
def closure_propose(
    *, actor: Actor, contact_id: int, outcome: str, rationale: str, now: datetime | None = None
) -> ClosureProposal:
    """Propose closing a rated contact at screening (no further action, or information
    and advice). It goes to a MASH manager, whose agreement records the decision."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    _require_rated(contact)
    errors: dict[str, str] = {}
    chosen = Outcome.objects.filter(code=outcome, active=True, closes_at_screening=True).first()
    if chosen is None:
        errors["outcome"] = "Select no further action or information and advice"
    rationale = _text(errors, "rationale", rationale, "Enter why the contact can be closed")
    _raise_if(errors)
    assert chosen is not None
    # Only from screening: not while checks run, nor once the contact has been handed on.
    if contact.state != ContactState.SCREENING:
        raise IllegalTransition(contact, ContactState.AWAITING_DECISION)
    workflow.move(contact, ContactState.AWAITING_DECISION)
    contact.save(update_fields=["state"])
    proposal = ClosureProposal.objects.create(
        contact=contact, outcome=chosen, rationale=rationale, proposed_by=user, proposed_at=now
    )
    _audit(actor, AuditAction.CREATE, "closure_proposal", proposal, contact, outcome=chosen.code)
    return proposal


@transaction.atomic
def closure_decline(
    *, actor: Actor, proposal_id: int, reason: str, now: datetime | None = None
) -> ClosureProposal:
    """A manager does not agree to close at screening: it goes back to the screener."""
    user = _require(actor, "enquiries.decide")
    now = now or timezone.now()
    proposal = ClosureProposal.objects.get(pk=proposal_id)
    contact = _locked_contact(proposal.contact_id)
    proposal.refresh_from_db()
    if proposal.state != ProposalState.PROPOSED:
        raise IllegalTransition(contact, contact.state, "This proposal has already been answered.")
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why the contact should not be closed")
    _raise_if(errors)
    workflow.move(contact, ContactState.SCREENING)
    contact.save(update_fields=["state"])
    proposal.state = ProposalState.DECLINED
    proposal.responded_by = user
    proposal.responded_at = now
    proposal.response_reason = reason
    proposal.save(update_fields=["state", "responded_by", "responded_at", "response_reason"])
    _audit(actor, AuditAction.UPDATE, "closure_proposal", proposal, contact, change="declined")
    return proposal


@transaction.atomic
def contact_pass_to_allocated_worker(
    *,
    actor: Actor,
    contact_id: int,
    allocated_worker: str,
    rationale: str,
    now: datetime | None = None,
) -> Decision:
    """The child already has an allocated social worker: the contact goes to them and
    leaves the MASH, recorded as an 'already open' decision."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    errors: dict[str, str] = {}
    worker = _text(
        errors, "allocated_worker", allocated_worker, "Enter the allocated worker's name"
    )
    if len(worker) > 200:  # HandOn.allocated_worker and Decision.receiving_team hold 200
        errors["allocated_worker"] = "Enter 200 characters or fewer"
    rationale = _text(errors, "rationale", rationale, "Enter what you have passed on and why")
    outcome = Outcome.objects.filter(hand_on_to=HandOnTeam.ALLOCATED_WORKER, active=True).first()
    if outcome is None:
        errors["allocated_worker"] = (
            "The area has no 'already open' outcome: ask an administrator to add one"
        )
    _raise_if(errors)
    assert outcome is not None
    workflow.move(contact, ContactState.HANDED_ON)
    contact.closed_at = now
    contact.save(update_fields=["state", "closed_at"])
    decision = Decision.objects.create(
        contact=contact,
        level_of_need=None,
        outcome=outcome,
        factor_codes=contact.factor_codes,
        primary_need=PrimaryNeed.N0,
        rationale=rationale,
        receiving_team=worker,
        decided_by=user,
        decided_at=now,
    )
    # Every child goes to their allocated worker (ADR 0022: an outcome per child).
    children = list(contact.people.filter(role__in=CHILD_ROLES).order_by("position"))
    DecisionChild.objects.bulk_create(
        DecisionChild(
            decision=decision,
            person=child,
            level_of_need=None,
            outcome=outcome,
            primary_need=PrimaryNeed.N0,
            receiving_team=worker,
        )
        for child in children
    )
    publish(EventKind.DECISION_RECORDED, decision)
    hand_on = HandOn.objects.create(
        contact=contact,
        contact_received_at=contact.received_at,
        decision=decision,
        team=HandOnTeam.ALLOCATED_WORKER,
        state=HandOnState.ACCEPTED,
        allocated_worker=worker,
        created_at=now,
        responded_by=user,
        responded_at=now,
    )
    hand_on.children.set(children)
    publish(EventKind.HAND_ON_CREATED, hand_on)
    _audit(actor, AuditAction.CREATE, "decision", decision, contact, outcome=outcome.code)
    outcome_to_referrer(contact=contact, decision=decision, now=now)
    contacts_changed([contact.pk], first_decision=True)
    return decision
