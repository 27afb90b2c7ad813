"""What each person's home page says needs doing: counts of their open work, each a link to
the list it counts, and their single most urgent item, one click away.

Every count reads open work only (open contacts, requested checks, waiting hand-ons), so a
home page costs the same however many closed contacts the MASH holds. Nothing here names a
child: the most urgent item is shown by its reference, and that showing is audited like
any list of contacts."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, F, Q
from django.urls import reverse

from openmash.accounts.models import User
from openmash.area.deadlines import hand_on_deadlines_fill
from openmash.area.models import RagLevel
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact, ContactDraft
from openmash.core.audit import Actor, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.time_text import time_left_text
from openmash.enquiries import workflow
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    ClosureProposal,
    HandOn,
    HandOnState,
    ProposalState,
)
from openmash.enquiries.selectors.decisions import hand_on_teams_for
from openmash.enquiries.selectors.screening import (
    ASSIGNED_TO_ME,
    DUE_SOON,
    UNASSIGNED,
    UNRATED,
    urgency_rank,
)

# A referrer's recent decisions: those made within this many days.
RECENT_DAYS = 30


@dataclass(frozen=True)
class Tally:
    """One count on a home page and the list it counts."""

    label: str
    value: int
    href: str
    # Shown as a warning when above zero: overdue work, a child at immediate risk.
    alarming: bool = False


@dataclass(frozen=True)
class NextItem:
    """The one piece of work to open first, and why it comes first."""

    label: str
    href: str
    why: str


@dataclass
class Section:
    heading: str
    tallies: list[Tally] = field(default_factory=list)
    next_item: NextItem | None = None
    # Said when there is nothing to do, instead of a row of zeros' worth of silence.
    nothing_text: str = ""
    # Further pages for this work (the queue itself, a form to start new work).
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def says_nothing_to_do(self) -> bool:
        """The nothing text is shown only when no tally counts anything: never "nothing
        is waiting" above "1 waiting for a decision"."""
        return bool(self.nothing_text) and not any(tally.value for tally in self.tallies)


def _with_query(url_name: str, **params: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode(params)}" if params else url


def _audit_shown(actor: Actor, object_type: str, shown: list[tuple[int, int]]) -> None:
    if shown:
        audit_record_many(
            actor=actor,
            action=AuditAction.LIST,
            object_type=object_type,
            objects=shown,
            detail={"view": "home page"},
        )


def _contact_why(contact: Contact, now: datetime) -> str:
    parts = []
    if contact.immediate_risk:
        parts.append("immediate risk")
    parts.append(contact.rag_level.label if contact.rag_level else "not rated yet")
    if contact.deadline_at is not None:
        parts.append(time_left_text(contact.deadline_at, now).lower())
    return ", ".join(parts)


def screening_section(*, actor: Actor, user: User, now: datetime) -> Section:
    """For screeners and MASH managers: the open contacts by urgency and deadline, the
    unassigned ones and the user's own."""
    queue = "enquiries:screening-queue"
    levels = list(RagLevel.objects.filter(active=True).order_by("order"))
    open_contacts = Contact.objects.filter(state__in=workflow.OPEN_STATES)
    counts = open_contacts.aggregate(
        open=Count("id"),
        immediate=Count("id", filter=Q(immediate_risk=True)),
        unrated=Count("id", filter=Q(rag_level__isnull=True)),
        overdue=Count("id", filter=Q(deadline_at__lt=now)),
        due_soon=Count("id", filter=Q(deadline_at__gte=now, deadline_at__lt=now + DUE_SOON)),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
        mine=Count("id", filter=Q(assigned_to=user)),
        **{f"rag_{level.pk}": Count("id", filter=Q(rag_level=level)) for level in levels},
    )
    tallies = [
        Tally("Open contacts", counts["open"], reverse(queue)),
        Tally(
            "Immediate risk",
            counts["immediate"],
            _with_query(queue, immediate="on"),
            alarming=True,
        ),
        *(
            Tally(level.label, counts[f"rag_{level.pk}"], _with_query(queue, rag=level.code))
            for level in levels
        ),
        Tally("Not rated yet", counts["unrated"], _with_query(queue, rag=UNRATED)),
        Tally("Overdue", counts["overdue"], _with_query(queue, overdue="on"), alarming=True),
        Tally("Due in the next 4 hours", counts["due_soon"], _with_query(queue, due_soon="on")),
        Tally("Unassigned", counts["unassigned"], _with_query(queue, assigned=UNASSIGNED)),
        Tally("Assigned to you", counts["mine"], _with_query(queue, assigned=ASSIGNED_TO_ME)),
    ]
    first = (
        open_contacts.select_related("rag_level")
        .annotate(urgency=urgency_rank())
        .order_by("urgency", F("deadline_at").asc(nulls_last=True), "id")
        .first()
    )
    section = Section(
        heading="Screening",
        tallies=tallies,
        nothing_text="No contacts are waiting for the MASH.",
        links=[
            ("Screening queue", reverse(queue)),
            ("New contacts", reverse("contacts:new-contacts")),
        ],
    )
    if first is not None:
        section.next_item = NextItem(
            label=first.reference,
            href=reverse("enquiries:screening", args=[first.reference]),
            why=_contact_why(first, now),
        )
        _audit_shown(actor, "contact", [(first.pk, first.pk)])
    return section


def decisions_section(*, user: User, now: datetime) -> Section:
    """For MASH managers: contacts waiting for a decision, closures waiting for agreement,
    and checks nobody has been given."""
    awaiting = Contact.objects.filter(state=ContactState.AWAITING_DECISION).aggregate(
        all=Count("id"), overdue=Count("id", filter=Q(deadline_at__lt=now))
    )
    proposals = ClosureProposal.objects.filter(state=ProposalState.PROPOSED).count()
    decisions = reverse("enquiries:decision-queue")
    tallies = [
        Tally("Waiting for a decision", awaiting["all"], decisions),
        Tally("Of those, overdue", awaiting["overdue"], decisions, alarming=True),
        Tally("Closures waiting for your agreement", proposals, decisions),
    ]
    if user.has_perm("enquiries.allocate_checks"):
        unallocated = AgencyCheck.objects.filter(
            state=CheckState.REQUESTED, assigned_to__isnull=True
        ).count()
        tallies.append(
            Tally(
                "Agency checks not given to a researcher",
                unallocated,
                _with_query("enquiries:check-allocation", assigned=UNASSIGNED),
            )
        )
    return Section(
        heading="Decisions and allocation",
        tallies=tallies,
        nothing_text="Nothing is waiting for a manager.",
        links=[("Decisions", decisions)],
    )


def checks_section(*, actor: Actor, user: User, agency_id: int, now: datetime) -> Section:
    """For agency researchers: the checks asked of their own agency."""
    queue = "enquiries:check-queue"
    open_checks = AgencyCheck.objects.filter(agency_id=agency_id, state=CheckState.REQUESTED)
    counts = open_checks.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(deadline_at__lt=now)),
        due_soon=Count("id", filter=Q(deadline_at__gte=now, deadline_at__lt=now + DUE_SOON)),
        mine=Count("id", filter=Q(assigned_to=user)),
    )
    agency_name = user.agency.name if user.agency else "your agency"
    section = Section(
        heading=f"Checks asked of {agency_name}",
        tallies=[
            Tally("Open checks", counts["open"], reverse(queue)),
            Tally("Overdue", counts["overdue"], reverse(queue), alarming=True),
            Tally("Due in the next 4 hours", counts["due_soon"], reverse(queue)),
            Tally("Given to you", counts["mine"], _with_query(queue, show="mine")),
        ],
        nothing_text="No checks are waiting for your agency.",
        links=[("Agency checks", reverse(queue))],
    )
    first = open_checks.select_related("contact").order_by("deadline_at", "id").first()
    if first is not None:
        section.next_item = NextItem(
            label=f"Check for {first.contact.reference}",
            href=reverse("enquiries:check", args=[first.pk]),
            why=time_left_text(first.deadline_at, now),
        )
        _audit_shown(actor, "agency_check", [(first.pk, first.contact_id)])
    return section


def hand_ons_section(*, actor: Actor, user: User, now: datetime) -> Section:
    """For the teams that receive cases (early help, and managers answering for them):
    hand-ons waiting to be accepted or returned."""
    teams = hand_on_teams_for(user)
    waiting = list(
        HandOn.objects.filter(team__in=teams, state=HandOnState.PENDING)
        .select_related("contact")
        .only("id", "created_at", "deadline_at", "assigned_to_id", "contact__reference")
        .order_by("created_at", "id")
    )
    hand_on_deadlines_fill(waiting)
    overdue = [each for each in waiting if each.deadline_at and each.deadline_at < now]
    queue = "enquiries:hand-on-queue"
    section = Section(
        heading="Cases handed on to your team",
        tallies=[
            Tally("Waiting for an answer", len(waiting), reverse(queue)),
            Tally("Overdue", len(overdue), reverse(queue), alarming=True),
            Tally(
                "Assigned to you",
                sum(1 for each in waiting if each.assigned_to_id == user.pk),
                _with_query(queue, assigned=ASSIGNED_TO_ME),
            ),
        ],
        nothing_text="No cases are waiting for your team.",
        links=[("Handed on", reverse(queue))],
    )
    if waiting:
        first = min(waiting, key=lambda each: (each.deadline_at or now, each.created_at, each.pk))
        section.next_item = NextItem(
            label=f"Hand-on of {first.contact.reference}",
            href=reverse("enquiries:hand-on", args=[first.pk]),
            why=time_left_text(first.deadline_at, now) if first.deadline_at else "waiting",
        )
        _audit_shown(actor, "hand_on", [(first.pk, first.contact_id)])
    return section


def referrer_section(*, user: User, now: datetime) -> Section:
    """For referrers: their unsent draft, and their organisation's contacts still with the
    MASH or decided lately."""
    mine = Contact.objects.filter(submitted_by_agency_id=user.agency_id)
    counts = mine.aggregate(
        open=Count("id", filter=Q(state__in=workflow.OPEN_STATES)),
        decided=Count(
            "id",
            filter=~Q(state__in=workflow.OPEN_STATES)
            & Q(received_at__gte=now - timedelta(days=RECENT_DAYS)),
        ),
    )
    submitted = reverse("contacts:submitted")
    section = Section(
        heading="Your contacts",
        tallies=[
            Tally("With the MASH now", counts["open"], submitted),
            Tally(f"Made in the last {RECENT_DAYS} days and decided", counts["decided"], submitted),
        ],
        links=[("Make a contact", reverse("contacts:create")), ("Your contacts", submitted)],
    )
    if ContactDraft.objects.filter(owner=user).exists():
        section.next_item = NextItem(
            label="Your unsent contact",
            href=reverse("contacts:create"),
            why="saved as a draft and not yet sent to the MASH",
        )
    return section
