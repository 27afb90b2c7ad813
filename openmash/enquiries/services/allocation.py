"""Allocation: a MASH manager assigns or transfers open contacts to a named screener or
manager, and agency checks to a named researcher of the agency; the people who answer a
receiving team's hand-ons give them to a named member of the team. One at a time or
several at once from the queue. Each call is one transaction that checks the permission,
validates, moves the work, records every move in the audit log (who, from whom, to whom,
when, and why for a transfer of a check or hand-on) and tells the worker by email once
it commits."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.enquiries import workflow
from openmash.enquiries.message_delivery import record_message
from openmash.enquiries.models import AgencyCheck, CheckState, HandOn, HandOnState, MessageKind
from openmash.enquiries.selectors.allocation import (
    MAX_ID,
    allocation_candidate,
    check_researcher,
    hand_on_worker_teams,
)
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
    contacts_changed([contact.pk])
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
        record_message(
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


# --- Agency checks and hand-ons (issue 13, item 4) ---------------------------------------
#
# A MASH manager gives an agency's open check to a named researcher of that agency; the
# people who answer a receiving team's hand-ons give a waiting hand-on to a named member
# of that team. One at a time or several at once; a transfer (from someone who has it to
# someone else) needs a reason. Each move is a conditional update: the row changes only
# if it is still open and still with whoever the manager saw with it, so two managers
# allocating the same item at once leave it with one worker, and the other is told.

REASON_LIMIT = 1000
# `seen` when the caller does not know who had the item: the service reads it.
UNSEEN = object()


class AllocationChanged(Exception):
    """Someone else allocated the item, or it was answered, after the manager looked:
    nothing was changed."""


@dataclass
class WorkAllocation:
    """What a bulk allocation did: the items moved to the worker, and those skipped, each
    with the reason."""

    worker: User
    assigned: list[AgencyCheck | HandOn] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def references(self) -> list[str]:
        return [item.contact.reference for item in self.assigned]


def _reason(errors: dict[str, str], reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_LIMIT:
        errors["reason"] = f"The reason must be {REASON_LIMIT:,} characters or fewer"
    elif "\x00" in reason:
        errors["reason"] = "Remove the invisible control characters from the reason"
    return reason


def _ids(values: Iterable[object]) -> list[int]:
    wanted: list[int] = []
    for value in values:
        text = str(value or "")
        if text.isdigit() and 0 < int(text) <= MAX_ID and int(text) not in wanted:
            wanted.append(int(text))
    return wanted


def _seen_id(seen: Mapping[int, object] | None, item_id: int) -> object:
    if seen is None or item_id not in seen:
        return UNSEEN
    value = seen[item_id]
    if value in (None, ""):
        return None
    text = str(value)
    return int(text) if text.isdigit() else UNSEEN


def _holder(item: AgencyCheck | HandOn) -> str:
    return item.assigned_to.display_name if item.assigned_to else "nobody"


def _label(item: AgencyCheck | HandOn) -> str:
    if isinstance(item, AgencyCheck):
        return f"the {item.agency.name} check on {item.contact.reference}"
    return f"the hand-on of {item.contact.reference}"


def _why_not_item(item: AgencyCheck | HandOn, worker: User, seen: object) -> str:
    """Why the item cannot go to the worker now, or "" (a transfer's missing reason is
    a field error, checked before anything moves)."""
    label = _label(item)
    if isinstance(item, AgencyCheck):
        if not item.is_open:
            return f"{label} is {item.get_state_display().lower()}"
    elif item.state != HandOnState.PENDING:
        return f"{label} has been answered ({item.get_state_display().lower()})"
    if seen is not UNSEEN and seen != item.assigned_to_id:
        return f"{label} was given to {_holder(item)} by someone else a moment ago"
    if item.assigned_to_id == worker.pk:
        return f"{label} is already assigned to {worker.display_name}"
    return ""


def _is_transfer(item: AgencyCheck | HandOn, worker: User) -> bool:
    return item.assigned_to_id is not None and item.assigned_to_id != worker.pk


def _reason_needed(errors: dict[str, str], transfers: list[AgencyCheck | HandOn]) -> None:
    if transfers:
        held = "; ".join(f"{_label(item)} is with {_holder(item)}" for item in transfers)
        errors["reason"] = f"Give the reason for the transfer ({held})"


def _move_item(
    actor: Actor, item: AgencyCheck | HandOn, worker: User, reason: str, now: datetime
) -> bool:
    """Give the item to the worker if it is still open and still with whoever had it
    when it was read; record the move. False if someone got there first."""
    previous = item.assigned_to_id
    if isinstance(item, AgencyCheck):
        rows = AgencyCheck.objects.filter(pk=item.pk, state=CheckState.REQUESTED)
        object_type = "agency_check"
    else:
        rows = HandOn.objects.filter(pk=item.pk, state=HandOnState.PENDING)  # type: ignore[assignment]
        object_type = "hand_on"
    changed = rows.filter(assigned_to_id=previous).update(
        assigned_to=worker, assigned_at=now, assigned_by=actor.user
    )
    if not changed:
        return False
    item.assigned_to, item.assigned_at, item.assigned_by = worker, now, actor.user
    detail: dict[str, object] = {
        "change": "transferred" if previous else "assigned",
        "from_user": previous,
        "to_user": worker.pk,
    }
    if previous and reason:
        detail["reason"] = reason
    _audit(actor, AuditAction.UPDATE, object_type, item, item.contact, **detail)
    return True


def _tell_worker(worker: User, items: list[AgencyCheck | HandOn], now: datetime) -> None:
    """One email per item, recorded now and sent once the transaction commits. The
    contact's reference and what the item is: never anything about the child."""
    if not worker.email:
        return
    for item in items:
        reference = item.contact.reference
        if isinstance(item, AgencyCheck):
            subject = f"The {item.agency.name} check on {reference} has been assigned to you"
            where = "your agency's check queue (Assigned to me)"
        else:
            subject = f"The hand-on of {reference} has been assigned to you"
            where = "your team's hand-on queue (Assigned to me)"
        record_message(
            contact=item.contact,
            kind=MessageKind.ALLOCATED,
            to_email=worker.email,
            to_user=worker,
            subject=subject[:SUBJECT_LIMIT],
            body=f"{subject}.\n\nOpen {where} in OpenMASH.\n\nMulti-Agency Safeguarding Hub",
            now=now,
        )


def _allocate(
    actor: Actor,
    items: list[AgencyCheck | HandOn],
    missing: list[str],
    worker: User,
    reason: str,
    seen: Mapping[int, object] | None,
    now: datetime,
) -> WorkAllocation:
    allocation = WorkAllocation(
        worker, skipped=[Skipped(ref, f"{ref} was not found") for ref in missing]
    )
    movable: list[AgencyCheck | HandOn] = []
    for item in items:
        why = _why_not_item(item, worker, _seen_id(seen, item.pk))
        if why:
            allocation.skipped.append(Skipped(item.contact.reference, why))
        else:
            movable.append(item)
    if not reason:
        errors: dict[str, str] = {}
        _reason_needed(errors, [item for item in movable if _is_transfer(item, worker)])
        _raise_if(errors)
    for item in movable:
        holder = _holder(item)
        if _move_item(actor, item, worker, reason, now):
            allocation.assigned.append(item)
        else:
            allocation.skipped.append(
                Skipped(
                    item.contact.reference,
                    f"{_label(item)} was given to someone else or answered a moment ago "
                    f"(it was with {holder})",
                )
            )
    _tell_worker(worker, allocation.assigned, now)
    return allocation


def _one(allocation: WorkAllocation, what: str) -> None:
    if not allocation.assigned:
        reason = allocation.skipped[0].reason if allocation.skipped else f"{what} was not found"
        raise AllocationChanged(f"{reason[0].upper()}{reason[1:]}: nothing was changed.")


def _checks(check_ids: Iterable[object], agency_id: int) -> tuple[list[AgencyCheck], list[str]]:
    wanted = _ids(check_ids)
    found = {
        check.pk: check
        for check in AgencyCheck.objects.filter(pk__in=wanted, agency_id=agency_id)
        .select_related("agency", "contact", "assigned_to")
        .order_by("pk")
    }
    return [found[pk] for pk in wanted if pk in found], [
        f"Check {pk}" for pk in wanted if pk not in found
    ]


@transaction.atomic
def checks_assign(
    *,
    actor: Actor,
    agency_id: int,
    check_ids: Iterable[object],
    worker_id: object,
    reason: str = "",
    seen: Mapping[int, object] | None = None,
    now: datetime | None = None,
) -> WorkAllocation:
    """Give the agency's open checks to one of its researchers (a MASH manager only).

    `seen` maps a check's id to the id of the researcher the manager saw with it (None:
    nobody); a check given to someone else since is skipped. Raises EnquiryInvalid
    (nothing written) when no check is chosen, the worker is not an active researcher of
    the agency, or a transfer has no reason; skips, each with the reason, checks not of
    the agency, answered, already the worker's, or moved by someone else meanwhile."""
    _require(actor, "enquiries.allocate_checks")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    reason = _reason(errors, reason)
    wanted = _ids(check_ids)
    if not wanted:
        errors["checks"] = "Select the checks to assign"
    worker = check_researcher(agency_id=agency_id, worker_id=worker_id)
    if worker is None:
        errors["worker"] = "Select a researcher of the agency to assign to"
    _raise_if(errors)
    assert worker is not None
    items, missing = _checks(wanted, agency_id)
    return _allocate(actor, list(items), missing, worker, reason, seen, now)


@transaction.atomic
def check_assign(
    *,
    actor: Actor,
    check_id: int,
    worker_id: object,
    reason: str = "",
    seen: object = UNSEEN,
    now: datetime | None = None,
) -> AgencyCheck:
    """Give one open check to a researcher of its agency, or transfer it with a reason.
    Raises AllocationChanged (nothing changed) if it was answered, is already theirs, or
    someone else moved it after the manager saw it with `seen` (a user id, None for
    nobody)."""
    _require(actor, "enquiries.allocate_checks")
    agency_id = AgencyCheck.objects.filter(pk=check_id).values_list("agency_id", flat=True).first()
    if agency_id is None:
        raise AgencyCheck.DoesNotExist
    allocation = checks_assign(
        actor=actor,
        agency_id=agency_id,
        check_ids=[check_id],
        worker_id=worker_id,
        reason=reason,
        seen=None if seen is UNSEEN else {check_id: seen},
        now=now,
    )
    _one(allocation, "The check")
    item = allocation.assigned[0]
    assert isinstance(item, AgencyCheck)
    return item


@transaction.atomic
def hand_ons_assign(
    *,
    actor: Actor,
    hand_on_ids: Iterable[object],
    worker_id: object,
    reason: str = "",
    seen: Mapping[int, object] | None = None,
    now: datetime | None = None,
) -> WorkAllocation:
    """Give waiting hand-ons to one member of the team they were passed to. Only someone
    who answers a team's hand-ons allocates them (enquiries.allocate_hand_ons, asked of
    each hand-on: another team's is as if it did not exist). Raises EnquiryInvalid
    (nothing written) when none is chosen, the worker is in no receiving team, or a
    transfer has no reason; skips, each with the reason, hand-ons answered, already the
    worker's, of a team the worker is not in, or moved by someone else meanwhile."""
    user = _require(actor, "enquiries.allocate_hand_ons")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    reason = _reason(errors, reason)
    wanted = _ids(hand_on_ids)
    if not wanted:
        errors["hand_ons"] = "Select the hand-ons to assign"
    teams = hand_on_worker_teams(worker_id=worker_id)
    if not teams:
        errors["worker"] = "Select a member of the receiving team to assign to"
    _raise_if(errors)
    worker = User.objects.get(pk=int(str(worker_id)))
    found = {
        hand_on.pk: hand_on
        for hand_on in HandOn.objects.filter(pk__in=wanted)
        .select_related("contact", "assigned_to")
        .order_by("pk")
        if user.has_perm("enquiries.allocate_hand_ons", hand_on)
    }
    items: list[AgencyCheck | HandOn] = []
    missing: list[str] = []
    skipped: list[Skipped] = []
    for pk in wanted:
        hand_on = found.get(pk)
        if hand_on is None:
            missing.append(f"Hand-on {pk}")
        elif hand_on.team not in teams:
            team = HandOnTeam(hand_on.team).label.lower()
            skipped.append(
                Skipped(
                    hand_on.contact.reference,
                    f"{worker.display_name} is not in the {team} team that "
                    f"{_label(hand_on)} was passed to",
                )
            )
        else:
            items.append(hand_on)
    allocation = _allocate(actor, items, missing, worker, reason, seen, now)
    allocation.skipped[:0] = skipped
    return allocation


@transaction.atomic
def hand_on_assign(
    *,
    actor: Actor,
    hand_on_id: int,
    worker_id: object,
    reason: str = "",
    seen: object = UNSEEN,
    now: datetime | None = None,
) -> HandOn:
    """Give one waiting hand-on to a member of its receiving team, or transfer it with a
    reason. Raises AllocationChanged as check_assign does."""
    allocation = hand_ons_assign(
        actor=actor,
        hand_on_ids=[hand_on_id],
        worker_id=worker_id,
        reason=reason,
        seen=None if seen is UNSEEN else {hand_on_id: seen},
        now=now,
    )
    _one(allocation, "The hand-on")
    item = allocation.assigned[0]
    assert isinstance(item, HandOn)
    return item
