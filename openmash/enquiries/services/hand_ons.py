"""Hand-ons: a decided case goes to the receiving team's queue (or is closed), and that
team accepts it or returns it to the MASH, which then has a new deadline counted from the
return."""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.deadlines import decision_deadline, hand_on_deadline, provisional_level
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.core.outbox import EventKind, publish
from openmash.enquiries import workflow
from openmash.enquiries.models import Decision, DecisionChild, HandOn, HandOnState
from openmash.enquiries.notices import hand_on_accepted_to_referrer, hand_on_to_team
from openmash.enquiries.services.guards import _audit, _locked_contact, _raise_if, _require, _text
from openmash.enquiries.summary import crossing_record
from openmash.enquiries.workflow import IllegalTransition

# Teams with a queue in OpenMASH; other outcomes close the contact when decided.
QUEUED_TEAMS = (HandOnTeam.EARLY_HELP, HandOnTeam.CHILDRENS_SOCIAL_CARE)


def _teams_of(decision: Decision) -> dict[str, list[int]]:
    """The queued teams a decision hands children to, each with those children (person
    ids, in the contact's order), in QUEUED_TEAMS order. A decision with no child rows
    (a contact naming no child) hands the contact to its outcome's team, naming nobody."""
    rows = list(
        DecisionChild.objects.filter(decision=decision)
        .select_related("outcome")
        .order_by("person__position", "person_id")
    )
    if not rows:
        team = decision.outcome.hand_on_to
        return {team: []} if team in QUEUED_TEAMS else {}
    teams: dict[str, list[int]] = {}
    for team in QUEUED_TEAMS:
        children = [row.person_id for row in rows if row.outcome.hand_on_to == team]
        if children:
            teams[team] = children
    return teams


def _hand_on_create(
    actor: Actor,
    contact: Contact,
    decision: Decision,
    team: str,
    children: list[int],
    now: datetime,
) -> HandOn:
    """One hand-on to a team's queue, naming the children it concerns. Records in the
    audit log what crossed to the team with it (the MASH summary: which released findings,
    from which agency, on what lawful basis; whether the rationale went)."""
    hand_on = HandOn.objects.create(
        contact=contact,
        contact_received_at=contact.received_at,
        decision=decision,
        team=team,
        created_at=now,
        deadline_at=hand_on_deadline(handed_on_at=now),
    )
    hand_on.children.set(children)
    publish(EventKind.HAND_ON_CREATED, hand_on)
    _audit(
        actor,
        AuditAction.CREATE,
        "hand_on",
        hand_on,
        contact,
        change="handed on",
        children=children,
        shared=crossing_record(decision, team),
    )
    hand_on_to_team(hand_on=hand_on, contact=contact, now=now)
    return hand_on


def _hand_on(actor: Actor, contact: Contact, decision: Decision, now: datetime) -> list[HandOn]:
    """Pass the decided contact on: each child to the queue of the team their outcome
    goes to (one hand-on per team), or, when no child's outcome goes to a queued team,
    close it."""
    teams = _teams_of(decision)
    hand_ons = [
        _hand_on_create(actor, contact, decision, team, children, now)
        for team, children in teams.items()
    ]
    workflow.move(contact, ContactState.HANDED_ON if hand_ons else ContactState.CLOSED)
    contact.closed_at = now
    contact.save(update_fields=["state", "closed_at"])
    return hand_ons


def _hand_ons_amended(
    actor: Actor,
    contact: Contact,
    amendment: Decision,
    now: datetime,
    announce: Callable[[], None],
) -> bool:
    """Bring the hand-ons in line with an amended decision, team by team: a live one
    (waiting or accepted) that concerns exactly the children the amendment sends to its
    team carries on under the amendment, so the team sees the amended MASH summary (the
    audit log records what crossed this time); otherwise a waiting one is withdrawn, and
    the children the amendment sends to the team are handed on afresh. True if any
    hand-on was withdrawn or made (the contact's state then follows the amendment).
    `announce` publishes the amendment: after the withdrawals, before the new hand-ons,
    so a team hears its case was withdrawn before another hears it was decided."""
    teams = _teams_of(amendment)
    live: dict[str, HandOn] = {}
    for hand_on in (
        HandOn.objects.select_for_update()
        .filter(
            contact=contact,
            team__in=QUEUED_TEAMS,
            state__in=(HandOnState.PENDING, HandOnState.ACCEPTED),
        )
        .order_by("created_at", "id")
    ):
        live[hand_on.team] = hand_on  # the latest for each team
    moved = False
    keep: set[str] = set()
    for team in QUEUED_TEAMS:
        current = live.get(team)
        wanted = teams.get(team)
        if current is not None and wanted is not None:
            concerns = set(current.children.values_list("pk", flat=True))
            if concerns == set(wanted):
                keep.add(team)
                continue
        if current is not None and current.state == HandOnState.PENDING:
            current.state = HandOnState.WITHDRAWN
            current.responded_at = now
            current.save(update_fields=["state", "responded_at"])
            publish(EventKind.HAND_ON_WITHDRAWN, current)
            moved = True
    announce()
    for team in QUEUED_TEAMS:
        if team in keep:
            current = live[team]
            current.decision = amendment
            current.save(update_fields=["decision"])
            _audit(
                actor,
                AuditAction.UPDATE,
                "hand_on",
                current,
                contact,
                change="summary amended",
                shared=crossing_record(amendment, team),
            )
        elif team in teams:
            _hand_on_create(actor, contact, amendment, team, teams[team], now)
            moved = True
    return moved


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
    hand_on_accepted_to_referrer(hand_on=hand_on, contact=contact, now=now)
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
    contacts_changed([contact.pk])
    return hand_on
