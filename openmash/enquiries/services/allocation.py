"""Allocation: a MASH manager assigns or transfers open contacts to a named screener or
manager, one at a time or several at once from the queue. Each call is one transaction
that checks the permission, validates, moves the work, records every move in the audit
log (from whom, to whom) and tells the worker by email once it commits."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditAction
from openmash.enquiries import workflow
from openmash.enquiries.message_delivery import _record
from openmash.enquiries.models import MessageKind
from openmash.enquiries.selectors.allocation import allocation_candidate
from openmash.enquiries.services.guards import _audit, _raise_if, _require
from openmash.enquiries.workflow import IllegalTransition

# Contacts a manager may allocate: received or being worked on in the MASH. One waiting
# for a manager's decision, or closed, is not a screener's work any more.
ALLOCATABLE_STATES = frozenset(
    {ContactState.RECEIVED, ContactState.SCREENING, ContactState.CHECKS_IN_PROGRESS}
)
SUBJECT_LIMIT = 200


@dataclass(frozen=True)
class Skipped:
    reference: str
    reason: str


@dataclass
class Allocation:
    worker: User
    assigned: list[Contact] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _worker(errors: dict[str, str], worker_id: object) -> User | None:
    worker = allocation_candidate(worker_id)
    if worker is None:
        errors["worker"] = "Select the worker to assign to"
    return worker


def _why_not(contact: Contact, worker: User) -> str:
    if contact.state not in workflow.OPEN_STATES:
        return f"{contact.reference} is closed"
    if contact.state not in ALLOCATABLE_STATES:
        return f"{contact.reference} is waiting for a manager's decision"
    if contact.assigned_to_id == worker.pk:
        return f"{contact.reference} is already assigned to {worker.display_name}"
    return ""


def _move(actor: Actor, contact: Contact, worker: User, now: datetime) -> None:
    previous = contact.assigned_to_id
    if contact.state == ContactState.RECEIVED:
        workflow.move(contact, ContactState.SCREENING)
    contact.assigned_to = worker
    contact.assigned_at = now
    contact.save(update_fields=["state", "assigned_to", "assigned_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "contact",
        contact,
        contact,
        change="transferred" if previous else "assigned",
        from_user=previous,
        to_user=worker.pk,
    )


def _tell(worker: User, contacts: list[Contact], now: datetime) -> None:
    """One email per contact to the worker, through the message mechanism (recorded now,
    sent once the transaction commits). The reference only: no personal data."""
    if not worker.email:
        return
    for contact in contacts:
        subject = f"{contact.reference} has been assigned to you"
        _record(
            contact=contact,
            kind=MessageKind.ALLOCATED,
            to_email=worker.email,
            to_user=worker,
            subject=subject[:SUBJECT_LIMIT],
            body=f"{subject} by a MASH manager.\n\nOpen your screening queue in OpenMASH.",
            now=now,
        )


@transaction.atomic
def contact_assign(
    *, actor: Actor, contact_id: int, worker_id: object, now: datetime | None = None
) -> Contact:
    """Assign a contact to a named worker, or transfer it from whoever has it."""
    _require(actor, "enquiries.allocate")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    worker = _worker(errors, worker_id)
    _raise_if(errors)
    assert worker is not None
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    reason = _why_not(contact, worker)
    if reason:
        raise IllegalTransition(contact, contact.state, f"{reason}: it was not assigned.")
    _move(actor, contact, worker, now)
    _tell(worker, [contact], now)
    return contact


@transaction.atomic
def contacts_assign_bulk(
    *,
    actor: Actor,
    references: Iterable[str],
    worker_id: object,
    now: datetime | None = None,
) -> Allocation:
    """Assign several contacts to one worker. Contacts closed, waiting for a decision or
    already theirs are skipped, each with the reason; the rest move together."""
    _require(actor, "enquiries.allocate")
    now = now or timezone.now()
    wanted = list(dict.fromkeys(ref for ref in references if ref and "\x00" not in ref))
    errors: dict[str, str] = {}
    if not wanted:
        errors["contacts"] = "Select the contacts to assign"
    worker = _worker(errors, worker_id)
    _raise_if(errors)
    assert worker is not None
    found = {
        contact.reference: contact
        for contact in Contact.objects.select_for_update()
        .filter(reference__in=wanted)
        .order_by("pk")
    }
    allocation = Allocation(worker)
    for reference in wanted:
        contact = found.get(reference)
        if contact is None:
            allocation.skipped.append(Skipped(reference, f"{reference} was not found"))
            continue
        reason = _why_not(contact, worker)
        if reason:
            allocation.skipped.append(Skipped(reference, reason))
            continue
        _move(actor, contact, worker, now)
        allocation.assigned.append(contact)
    _tell(worker, allocation.assigned, now)
    return allocation
