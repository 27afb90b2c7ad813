"""Reads for screening: the screening queue and a contact's screening page, with what
OpenMASH already knows about its children. Every read of a contact is scoped to the
MASH's screeners and managers and recorded in the audit log."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.models import HandOnTeam, Outcome, RagLevel, WorkingHours
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactAddition, ContactPerson, PersonCorrection
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.overdue import overdue_q
from openmash.core.roles import AgencyType, Role
from openmash.enquiries import workflow
from openmash.enquiries.concern import (
    ConcernFlag,
    concern_flags_by_contact,
    concern_flags_for_people,
)
from openmash.enquiries.models import (
    AgencyCheck,
    ClosureProposal,
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
    RagRating,
)
from openmash.enquiries.selectors.corrections import corrections_of
from openmash.linkage.conflicts import contacts_with_open_conflicts
from openmash.linkage.same_child import contact_people_same_child

QUEUE_PER_PAGE = 50
# Work whose deadline falls within this much of now is "due soon" (the queue's filter and
# the home page's count).
DUE_SOON = timedelta(hours=4)
UNRATED = "unrated"
ASSIGNED_TO_ME = "me"
UNASSIGNED = "unassigned"
# Outcomes after which a child is still open to a worker: a later decision with any
# other outcome (no further action, early help, ...) means the case has closed.
_KEEPS_A_WORKER = (HandOnTeam.CHILDRENS_SOCIAL_CARE, HandOnTeam.ALLOCATED_WORKER)


def _require_screening(actor: Actor) -> User:
    if actor.user is None or not actor.user.has_perm("enquiries.view_screening_queue"):
        raise PermissionDenied
    return actor.user


# --- The screening queue -----------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What the screener narrowed the queue to; empty means everything open."""

    states: tuple[str, ...] = ()
    rags: tuple[str, ...] = ()  # RAG level codes, or UNRATED
    overdue_only: bool = False
    assigned: str = ""  # "", ASSIGNED_TO_ME, UNASSIGNED or a user's id
    immediate_only: bool = False  # a child at immediate risk, as the referrer said
    due_soon_only: bool = False  # deadline within DUE_SOON from now, not yet passed


@dataclass(frozen=True)
class ScreeningQueue:
    page: Page
    open_count: int
    overdue_count: int
    now: datetime
    # Immediate-risk or most urgent contacts nobody has taken within the area's few
    # minutes (the ones MASH managers are alerted about), and those minutes.
    urgent_unassigned_count: int = 0
    urgent_minutes: int = 0


# Urgency, most urgent first: a child at immediate risk (as the referrer said), then the
# area's most urgent RAG level (red), then everything else; within each, the deadline.
IMMEDIATE_RISK, MOST_URGENT, OTHER = 0, 1, 2


def most_urgent_q() -> Q:
    """Contacts rated at the area's most urgent active RAG level (red), as a filter that
    reads the level inside the same query."""
    first = RagLevel.objects.filter(active=True).order_by("order").values("order")[:1]
    return Q(rag_level__order=Subquery(first))


def urgent_q() -> Q:
    """A child at immediate risk, or rated at the most urgent level."""
    return Q(immediate_risk=True) | most_urgent_q()


def urgency_rank() -> Case:
    return Case(
        When(immediate_risk=True, then=Value(IMMEDIATE_RISK)),
        When(most_urgent_q(), then=Value(MOST_URGENT)),
        default=Value(OTHER),
        output_field=IntegerField(),
    )


def urgent_unassigned_q(now: datetime, minutes: int) -> Q:
    """Urgent contacts nobody has taken, received more than `minutes` before `now`."""
    return (
        urgent_q()
        & Q(assigned_to__isnull=True)
        & Q(received_at__lt=now - timedelta(minutes=minutes))
    )


def urgent_unassigned_minutes() -> int:
    hours = WorkingHours.objects.first() or WorkingHours()
    return int(hours.urgent_unassigned_minutes)


def _filtered(
    contacts: QuerySet[Contact], filters: QueueFilters, user: User, now: datetime
) -> QuerySet[Contact]:
    """The open contacts the queue's filters choose: `contacts` itself when none is chosen."""
    states = [state for state in filters.states if state in workflow.OPEN_STATES]
    if states:
        contacts = contacts.filter(state__in=states)
    if filters.rags:
        codes = [code for code in filters.rags if code != UNRATED]
        rag = Q(rag_level__code__in=codes) if codes else Q(pk__in=[])
        if UNRATED in filters.rags:
            rag |= Q(rag_level__isnull=True)
        contacts = contacts.filter(rag)
    if filters.overdue_only:
        contacts = contacts.filter(overdue_q(now))
    if filters.immediate_only:
        contacts = contacts.filter(immediate_risk=True)
    if filters.due_soon_only:
        contacts = contacts.filter(deadline_at__gte=now, deadline_at__lt=now + DUE_SOON)
    if filters.assigned == ASSIGNED_TO_ME:
        contacts = contacts.filter(assigned_to=user)
    elif filters.assigned == UNASSIGNED:
        contacts = contacts.filter(assigned_to__isnull=True)
    elif filters.assigned.isdigit():
        contacts = contacts.filter(assigned_to_id=int(filters.assigned))
    return contacts


def screening_queue_page(
    *,
    actor: Actor,
    filters: QueueFilters,
    page_number: str | int | None,
    now: datetime | None = None,
) -> ScreeningQueue:
    """Every open contact, urgent work first: a child at immediate risk, then the most
    urgent rating (red), then the rest; within each the nearest deadline first (unrated
    ones on their provisional deadline; none last), 50 a page; records each one shown.
    Counts only open contacts, so the count stays fast however many closed contacts the
    MASH holds."""
    user = _require_screening(actor)
    now = now or timezone.now()
    minutes = urgent_unassigned_minutes()
    open_contacts = Contact.objects.filter(state__in=workflow.OPEN_STATES)
    chosen = _filtered(open_contacts, filters, user, now)
    counts = open_contacts.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue_q(now)),
        urgent_unassigned=Count("id", filter=urgent_unassigned_q(now, minutes)),
    )
    contacts = (
        chosen.select_related("rag_level", "assigned_to")
        .prefetch_related(
            Prefetch(
                "people",
                queryset=ContactPerson.objects.filter(role__in=CHILD_ROLES).order_by("position"),
                to_attr="children",
            )
        )
        .annotate(
            urgency=urgency_rank(),
            # MASH managers already alerted that it waits unassigned (deadline_alerts).
            urgent_alerted=Exists(
                Message.objects.filter(contact=OuterRef("pk"), kind=MessageKind.URGENT_UNASSIGNED)
            ),
            # The referrer added information no screener has opened the page to see.
            has_new_information=Exists(
                ContactAddition.objects.filter(contact=OuterRef("pk"), seen_at__isnull=True)
            ),
        )
        .order_by("urgency", F("deadline_at").asc(nulls_last=True), "id")
    )
    paginator = Paginator(contacts, QUEUE_PER_PAGE)
    if chosen is open_contacts:
        # No filter chosen: the pages hold every open contact, counted just now.
        paginator.count = counts["open"]
    page = paginator.get_page(page_number)
    # Cumulative concern, for the whole page at once from the children it has read;
    # QueueRow reads it off each contact.
    flags = concern_flags_by_contact(
        [child for contact in page.object_list for child in contact.children],
        today=timezone.localdate(now),
    )
    # Identifier conflicts awaiting a screener, for the whole page in one query.
    conflicted = contacts_with_open_conflicts(contact.pk for contact in page.object_list)
    for contact in page.object_list:
        contact.concern_flags = flags.get(contact.pk, [])
        contact.has_open_conflict = contact.pk in conflicted
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="contact",
        objects=[(contact.pk, contact.pk) for contact in page.object_list],
    )
    return ScreeningQueue(
        page=page,
        open_count=counts["open"],
        overdue_count=counts["overdue"],
        now=now,
        urgent_unassigned_count=counts["urgent_unassigned"],
        urgent_minutes=minutes,
    )


def screening_assignees() -> list[User]:
    """The people who screen contacts, for the queue's 'assigned to' filter."""
    return list(
        User.objects.filter(
            is_active=True, role_grants__role__in=[Role.SCREENER, Role.MASH_MANAGER]
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def checking_agencies() -> list[Agency]:
    """The MASH partners that can be asked to check their records (children's social care
    runs the MASH, so it is not asked)."""
    return list(
        Agency.objects.filter(is_mash_partner=True)
        .exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .order_by("name")
    )


def closure_outcomes() -> list[Outcome]:
    """The outcomes a screener may propose to close a contact with."""
    return list(Outcome.objects.filter(active=True, closes_at_screening=True).order_by("order"))


# --- One contact's screening page --------------------------------------------------------


@dataclass(frozen=True)
class PreviousContact:
    """Another contact about the same child, and where it stands now."""

    contact: Contact
    person: ContactPerson  # the child as that contact recorded them
    decision: Decision | None  # the current decision (the last amendment), if decided
    # The child's own outcome in that decision (ADR 0022), if it has one for them.
    own_outcome: str = ""

    @property
    def is_open(self) -> bool:
        return self.contact.state in workflow.OPEN_STATES


@dataclass(frozen=True)
class ChildHistory:
    child: ContactPerson
    previous: list[PreviousContact]
    allocated_worker: HandOn | None
    # Patterns across all the child's contacts, this one included (openmash/enquiries/concern.py).
    concern_flags: list[ConcernFlag] = field(default_factory=list)

    @property
    def open_enquiries(self) -> list[PreviousContact]:
        return [each for each in self.previous if each.is_open]


@dataclass(frozen=True)
class ScreeningRecord:
    contact: Contact
    ratings: list[RagRating]
    checks: list[AgencyCheck]
    closure_proposals: list[ClosureProposal]
    children: list[ChildHistory] = field(default_factory=list)
    # Each person's corrected details, newest first, by person id (people never corrected
    # are not in it).
    corrections: dict[int, list[PersonCorrection]] = field(default_factory=dict)
    # The decision in force, once decided, with each child's outcome (ADR 0022).
    decision: Decision | None = None


def screening_contact_for_action(*, actor: Actor, reference: str) -> Contact:
    """The contact an action is about, with only its id, reference, state, rating and
    screener loaded (no personal data, so nothing to record). Http404 if there is none."""
    _require_screening(actor)
    if "\x00" in reference:  # no reference holds one, and PostgreSQL refuses to compare it
        raise Http404
    contact = (
        Contact.objects.filter(reference=reference)
        .only("id", "reference", "state", "rag_level_id", "assigned_to_id")
        .first()
    )
    if contact is None:
        raise Http404
    return contact


def screening_contact_get(*, actor: Actor, reference: str) -> ScreeningRecord:
    """A contact as the screener sees it: the contact and its people, its RAG history,
    the checks asked for, closure proposals, and every other contact about its children.
    Records the read of the contact and, as a list, of each other contact shown."""
    _require_screening(actor)
    if "\x00" in reference:
        raise Http404
    contact = (
        Contact.objects.filter(reference=reference)
        .select_related("rag_level", "assigned_to")
        .prefetch_related(
            Prefetch("people", queryset=ContactPerson.objects.order_by("position")), "factors"
        )
        .first()
    )
    if contact is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact",
        object_id=contact.pk,
        contact_id=contact.pk,
    )
    ratings = list(contact.rag_ratings.select_related("level", "set_by").order_by("-set_at", "-id"))
    checks = list(contact.agency_checks.select_related("agency").order_by("deadline_at", "id"))
    proposals = list(
        contact.closure_proposals.select_related("outcome", "proposed_by", "responded_by")
    )
    children = [person for person in contact.people.all() if person.role in CHILD_ROLES]
    return ScreeningRecord(
        contact=contact,
        ratings=ratings,
        checks=checks,
        closure_proposals=proposals,
        children=_children_histories(actor, contact, children),
        corrections=corrections_of(person.pk for person in contact.people.all()),
        decision=Decision.objects.filter(contact=contact, amended_by__isnull=True)
        .select_related("outcome")
        .prefetch_related(
            "child_outcomes__outcome", "child_outcomes__level_of_need", "child_outcomes__person"
        )
        .order_by("-decided_at", "-id")
        .first(),
    )


def _children_histories(
    actor: Actor, contact: Contact, children: list[ContactPerson]
) -> list[ChildHistory]:
    """The children's cumulative-concern flags in a few queries, then one query per child
    for their other records, then one each for the decisions, the children's own outcomes
    in them and the hand-ons on every contact found."""
    flags = concern_flags_for_people(children)
    found: dict[int, list[ContactPerson]] = {}
    for child in children:
        seen: set[int] = set()
        records = []
        for record in contact_people_same_child(child):
            if record.contact_id not in seen:
                seen.add(record.contact_id)
                records.append(record)
        found[child.pk] = records
    contact_ids = {record.contact_id for records in found.values() for record in records}
    if not contact_ids:
        return [
            ChildHistory(
                child=child,
                previous=[],
                allocated_worker=None,
                concern_flags=flags.get(child.pk, []),
            )
            for child in children
        ]
    decisions = {
        decision.contact_id: decision
        for decision in Decision.objects.filter(
            contact_id__in=contact_ids, amended_by__isnull=True
        ).select_related("outcome")
    }
    record_ids = {record.pk for records in found.values() for record in records}
    own_outcomes: dict[int, str] = dict(
        DecisionChild.objects.filter(
            decision__contact_id__in=contact_ids,
            decision__amended_by__isnull=True,
            person_id__in=record_ids,
        ).values_list("person_id", "outcome__label")
    )
    hand_ons = list(
        HandOn.objects.filter(contact_id__in=contact_ids, state=HandOnState.ACCEPTED)
        .exclude(allocated_worker="")
        .select_related("contact")
        .order_by(F("responded_at").desc(nulls_last=True), "-created_at", "-id")
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="contact",
        objects=[(pk, pk) for pk in sorted(contact_ids)],
        detail={"shown_with": contact.reference, "reason": "same child"},
    )
    histories = []
    for child in children:
        previous = [
            PreviousContact(
                contact=record.contact,
                person=record,
                decision=decisions.get(record.contact_id),
                own_outcome=own_outcomes.get(record.pk, ""),
            )
            for record in found[child.pk]
        ]
        histories.append(
            ChildHistory(
                child=child,
                previous=previous,
                allocated_worker=_allocated_worker(previous, hand_ons, decisions.values()),
                concern_flags=flags.get(child.pk, []),
            )
        )
    return histories


def _allocated_worker(
    previous: list[PreviousContact], hand_ons: list[HandOn], decisions: Iterable[Decision]
) -> HandOn | None:
    """The latest accepted hand-on naming a worker on one of the child's contacts, if its
    decision still stands and no later decision on the child's contacts closed the case
    (an outcome that does not keep the child open to children's social care)."""
    contact_ids = {each.contact.pk for each in previous}
    current = [decision for decision in decisions if decision.contact_id in contact_ids]
    current_ids = {decision.pk for decision in current}
    for hand_on in hand_ons:
        if hand_on.contact_id not in contact_ids or hand_on.decision_id not in current_ids:
            continue
        since = hand_on.responded_at or hand_on.created_at
        closed_later = any(
            decision.decided_at > since and decision.outcome.hand_on_to not in _KEEPS_A_WORKER
            for decision in current
        )
        return None if closed_later else hand_on
    return None
