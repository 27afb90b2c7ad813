"""Hand-ons: a decided case goes to the receiving team's queue (or is closed), and that
team accepts it or returns it to the MASH, which then has a new deadline counted from the
return."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.deadlines import decision_deadline, hand_on_deadline, provisional_level
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditAction
from openmash.core.outbox import EventKind, publish
from openmash.enquiries import workflow
from openmash.enquiries.models import Decision, HandOn, HandOnState
from openmash.enquiries.services.guards import _audit, _locked_contact, _raise_if, _require, _text
from openmash.enquiries.summary import crossing_record
from openmash.enquiries.workflow import IllegalTransition

# Teams with a queue in OpenMASH; other outcomes close the contact when decided.
QUEUED_TEAMS = (HandOnTeam.EARLY_HELP, HandOnTeam.CHILDRENS_SOCIAL_CARE)


def _hand_on(actor: Actor, contact: Contact, decision: Decision, now: datetime) -> HandOn | None:
    """Pass the decided contact on: to a team's queue, or close it. A hand-on records in
    the audit log what crossed to the team with it (the MASH summary: which released
    findings, from which agency, on what lawful basis; whether the rationale went)."""
    team = decision.outcome.hand_on_to
    if team in QUEUED_TEAMS:
        workflow.move(contact, ContactState.HANDED_ON)
        hand_on = HandOn.objects.create(
            contact=contact,
            decision=decision,
            team=team,
            created_at=now,
            deadline_at=hand_on_deadline(handed_on_at=now),
        )
        publish(EventKind.HAND_ON_CREATED, hand_on)
        _audit(
            actor,
            AuditAction.CREATE,
            "hand_on",
            hand_on,
            contact,
            change="handed on",
            shared=crossing_record(decision, team),
        )
    else:
        workflow.move(contact, ContactState.CLOSED)
        hand_on = None
    contact.closed_at = now
    contact.save(update_fields=["state", "closed_at"])
    return hand_on


def _hand_on_for(actor: Actor, hand_on_id: int) -> tuple[User, HandOn]:
    # The contact is locked before the hand-on, the order every service uses.
    _locked_contact(HandOn.objects.values_list("contact_id", flat=True).get(pk=hand_on_id))
    hand_on = HandOn.objects.select_for_update().get(pk=hand_on_id)
    user = _require(actor, "enquiries.respond_to_hand_on", hand_on)
    if hand_on.state != HandOnState.PENDING:
        contact = Contact.objects.get(pk=hand_on.contact_id)
        raise IllegalTransition(
            contact,
            contact.state,
            f"This case has already been {hand_on.get_state_display().lower()}.",
        )
    return user, hand_on


@transaction.atomic
def hand_on_accept(
    *,
    actor: Actor,
    hand_on_id: int,
    allocated_worker: str = "",
    worker_contact: str = "",
    now: datetime | None = None,
) -> HandOn:
    """The receiving team accepts the case (optionally naming the worker allocated and
    how to reach them, which the referrer is shown)."""
    user, hand_on = _hand_on_for(actor, hand_on_id)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    for field, value in (
        ("allocated_worker", allocated_worker),
        ("worker_contact", worker_contact),
    ):
        if len(value) > 200:
            errors[field] = "Enter 200 characters or fewer"
        elif "\x00" in value:
            errors[field] = "Remove the invisible control characters"
    _raise_if(errors)
    hand_on.state = HandOnState.ACCEPTED
    hand_on.allocated_worker = allocated_worker.strip()
    hand_on.worker_contact = worker_contact.strip()
    hand_on.responded_by = user
    hand_on.responded_at = now
    hand_on.save(
        update_fields=[
            "state",
            "allocated_worker",
            "worker_contact",
            "responded_by",
            "responded_at",
        ]
    )
    contact = Contact.objects.get(pk=hand_on.contact_id)
    _audit(actor, AuditAction.UPDATE, "hand_on", hand_on, contact, change="accepted")
    publish(EventKind.HAND_ON_ACCEPTED, hand_on)
    return hand_on


def _deadline_runs_from(contact: Contact) -> datetime:
    """When an open contact's decision deadline is counted from: its receipt, or the
    latest return of a case the team it was handed to sent back."""
    returned_at = (
        HandOn.objects.filter(contact=contact, state=HandOnState.RETURNED)
        .order_by("-responded_at", "-id")
        .values_list("responded_at", flat=True)
        .first()
    )
    return returned_at or contact.received_at


def _deadline_from_return(contact: Contact, returned_at: datetime) -> datetime | None:
    """A returned case's decision deadline: the area's timescale for the contact's RAG
    rating, counted from the return as a first rating counts it from receipt (clock or
    working hours as the area configures the level)."""
    level = contact.rag_level or provisional_level(immediate_risk=contact.immediate_risk)
    if level is None:
        return contact.deadline_at
    return decision_deadline(received_at=returned_at, level=level)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@transaction.atomic
def hand_on_return(
    *, actor: Actor, hand_on_id: int, reason: str, now: datetime | None = None
) -> HandOn:
    """The receiving team returns the case to the MASH with a reason; it waits for the
    manager to amend the decision by a new deadline, counted from the return (the one
    counted from receipt has usually passed, and would make the case overdue at once).
    The audit event keeps the old and the new deadline."""
    user, hand_on = _hand_on_for(actor, hand_on_id)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why you are returning the case")
    _raise_if(errors)
    contact = _locked_contact(hand_on.contact_id)
    workflow.move(contact, ContactState.AWAITING_DECISION)
    old_deadline = contact.deadline_at
    contact.deadline_at = _deadline_from_return(contact, now)
    contact.closed_at = None
    contact.save(update_fields=["state", "closed_at", "deadline_at"])
    hand_on.state = HandOnState.RETURNED
    hand_on.return_reason = reason
    hand_on.responded_by = user
    hand_on.responded_at = now
    hand_on.save(update_fields=["state", "return_reason", "responded_by", "responded_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "hand_on",
        hand_on,
        contact,
        change="returned",
        old_deadline=_iso(old_deadline),
        new_deadline=_iso(contact.deadline_at),
    )
    publish(EventKind.HAND_ON_RETURNED, hand_on)
    return hand_on
