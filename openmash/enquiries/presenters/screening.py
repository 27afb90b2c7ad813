"""What the screening queue and a contact's screening page show, worked out here so the
templates hold no logic: RAG tags, deadlines and time left, the RAG history, the checks
asked for, what is already known about the children, and which actions to offer."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import HandOnTeam, RagLevel, TimeCounting
from openmash.contacts.codes import CHILD_ROLES, ContactState, PersonRole, ReferralSource
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.presenters import PersonPresenter, age_text
from openmash.core.overdue import is_overdue
from openmash.core.presenters import Deadline, Tag, rag_tag
from openmash.core.time_text import day_text, time_left_text, when_text
from openmash.enquiries import workflow
from openmash.enquiries.child_outcomes import children_of
from openmash.enquiries.concern import ConcernFlag, TriggeringContact
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    DecisionChild,
    HandOn,
    ProposalState,
)
from openmash.enquiries.presenters.checks import check_state_colour
from openmash.enquiries.presenters.contact_page import (
    MashContactPage,
    ProposalPresenter,
    RatingPresenter,
    children_named,
    contact_deadline,
)
from openmash.enquiries.presenters.corrections import CorrectionRow
from openmash.enquiries.selectors.screening import (
    ChildHistory,
    PreviousContact,
    ScreeningRecord,
)
from openmash.enquiries.summary import level_text
from openmash.linkage.conflicts import ConflictRecord, ConflictView
from openmash.linkage.models import ConflictIdentifier, ConflictState
from openmash.people.identifiers import nhs_number_display


def _hours_text(hours: object, counting: str) -> str:
    number = f"{float(str(hours)):g}"
    unit = "working hour" if counting == TimeCounting.WORKING_HOURS else "hour"
    return f"{number} {unit}{'' if number == '1' else 's'}"


def rag_timescale_text(level: RagLevel) -> str:
    """The deadlines a rating sets, as the hint beside it in the rating form."""
    return (
        f"Decision within {_hours_text(level.decision_hours, level.decision_counting)} "
        f"of the contact being received; agency checks within "
        f"{_hours_text(level.check_hours, level.check_counting)} of being asked"
    )


@dataclass(frozen=True)
class TriggeringContactRow:
    contact: TriggeringContact

    @property
    def reference(self) -> str:
        return self.contact.reference

    @property
    def received(self) -> str:
        return day_text(timezone.localdate(self.contact.received_at))


@dataclass(frozen=True)
class ConcernFlagRow:
    """A cumulative-concern flag: the rule that fired and the contacts that fired it."""

    flag: ConcernFlag

    @property
    def label(self) -> str:
        return self.flag.label

    @property
    def contacts(self) -> list[TriggeringContactRow]:
        return [TriggeringContactRow(contact) for contact in self.flag.contacts]


IMMEDIATE_RISK = Tag("Immediate risk", "red")


def urgent_unassigned_text(count: int, minutes: int) -> str:
    """The queue's warning about urgent contacts waiting for a screener."""
    if not count:
        return ""
    contacts = "contact" if count == 1 else "contacts"
    verb = "has" if count == 1 else "have"
    return (
        f"{count} urgent {contacts} (immediate risk or red) {verb} waited more than "
        f"{minutes} minute{'' if minutes == 1 else 's'} with nobody assigned"
    )


@dataclass(frozen=True)
class QueueRow:
    """One open contact in the screening queue."""

    contact: Contact
    now: datetime
    # Ticked in the queue's bulk allocation form (kept when the form comes back with errors).
    selected: bool = False

    @property
    def reference(self) -> str:
        return self.contact.reference

    @property
    def is_rated(self) -> bool:
        return self.contact.rag_level is not None

    @property
    def rag(self) -> Tag:
        return rag_tag(self.contact.rag_level)

    @property
    def immediate_risk(self) -> Tag | None:
        """The referrer said a child is at immediate risk: marked, and sorted first."""
        return IMMEDIATE_RISK if self.contact.immediate_risk else None

    @property
    def managers_alerted(self) -> bool:
        """MASH managers have been alerted that it waits with nobody assigned."""
        return self.contact.assigned_to_id is None and bool(
            getattr(self.contact, "urgent_alerted", False)
        )

    @property
    def needs_rating_now(self) -> bool:
        """An immediate-risk contact nobody has rated yet: highlighted in the queue."""
        return bool(self.contact.immediate_risk) and not self.is_rated

    @property
    def deadline(self) -> Deadline:
        return contact_deadline(self.contact, self.now)

    @property
    def children(self) -> list[PersonPresenter]:
        return children_named(self.contact, timezone.localdate(self.now))

    @property
    def has_new_information(self) -> bool:
        """The referrer added information no screener has seen yet (annotated by the
        queue's selector)."""
        return bool(getattr(self.contact, "has_new_information", False))

    @property
    def has_open_conflict(self) -> bool:
        """Someone named has an open identifier conflict (worked out for the whole page
        by the queue's selector)."""
        return bool(getattr(self.contact, "has_open_conflict", False))

    @property
    def concern_flags(self) -> list[ConcernFlagRow]:
        """Cumulative concern about any child named (worked out for the whole page by the
        queue's selector)."""
        flags: list[ConcernFlag] = getattr(self.contact, "concern_flags", [])
        return [ConcernFlagRow(flag) for flag in flags]

    @property
    def source(self) -> str:
        return ReferralSource(self.contact.referral_source).label

    @property
    def state(self) -> str:
        return ContactState(self.contact.state).label

    @property
    def assigned_to(self) -> str:
        user = self.contact.assigned_to
        return user.display_name if user else "Unassigned"


@dataclass(frozen=True)
class CheckRow:
    """A check asked for: who, its state and deadline; never what was found."""

    check: AgencyCheck
    now: datetime

    @property
    def agency(self) -> str:
        return self.check.agency.name

    @property
    def state(self) -> str:
        return CheckState(self.check.state).label

    @property
    def colour(self) -> str:
        return check_state_colour(self.check)

    @property
    def requested(self) -> str:
        return when_text(self.check.requested_at)

    @property
    def deadline(self) -> str:
        return when_text(self.check.deadline_at)

    @property
    def is_open(self) -> bool:
        return self.check.is_open

    @property
    def is_overdue(self) -> bool:
        return self.check.is_open and is_overdue(self.check.deadline_at, self.now)

    @property
    def progress(self) -> str:
        check = self.check
        if check.state == CheckState.COMPLETED and check.completed_at:
            return f"Completed at {when_text(check.completed_at)}"
        if check.state == CheckState.WAIVED and check.waived_at:
            return f"Waived at {when_text(check.waived_at)}"
        return time_left_text(check.deadline_at, self.now)


@dataclass(frozen=True)
class PreviousContactRow:
    previous: PreviousContact

    @property
    def reference(self) -> str:
        return self.previous.contact.reference

    @property
    def received(self) -> str:
        return day_text(timezone.localdate(self.previous.contact.received_at))

    @property
    def state(self) -> str:
        return ContactState(self.previous.contact.state).label

    @property
    def is_open(self) -> bool:
        return self.previous.is_open

    @property
    def outcome(self) -> str:
        """The child's own outcome in that contact's decision (ADR 0022)."""
        decision = self.previous.decision
        if decision is None:
            return "No decision yet"
        return self.previous.own_outcome or decision.outcome.label

    @property
    def person(self) -> ContactPerson:
        return self.previous.person

    @property
    def is_child(self) -> bool:
        """Whether that contact named them as a child, so their name links to the chronology."""
        return self.previous.person.role in CHILD_ROLES

    @property
    def recorded_as(self) -> str:
        """How that contact named the child, so the screener can judge the match."""
        person = self.previous.person
        born = f", born {day_text(person.date_of_birth)}" if person.date_of_birth else ""
        return f"{person.full_name}{born} ({PersonRole(person.role).label.lower()})"


@dataclass(frozen=True)
class ChildPanel:
    """What OpenMASH already knows about one child in the contact."""

    history: ChildHistory
    today: date

    @property
    def name(self) -> str:
        return self.history.child.full_name

    @property
    def age(self) -> str:
        return age_text(self.history.child, self.today)

    @property
    def previous(self) -> list[PreviousContactRow]:
        return [PreviousContactRow(each) for each in self.history.previous]

    @property
    def open_enquiries(self) -> int:
        return len(self.history.open_enquiries)

    @property
    def concern_flags(self) -> list[ConcernFlagRow]:
        return [ConcernFlagRow(flag) for flag in self.history.concern_flags]

    @property
    def allocated_worker(self) -> str:
        hand_on = self.history.allocated_worker
        return hand_on.allocated_worker if hand_on else ""

    @property
    def allocated_worker_detail(self) -> str:
        hand_on: HandOn | None = self.history.allocated_worker
        if hand_on is None:
            return ""
        team = HandOnTeam(hand_on.team).label
        return f"named on {hand_on.contact.reference}, {team[0].lower()}{team[1:]}"


@dataclass(frozen=True)
class ScreeningActions:
    """Which actions the screening page offers this user for this contact."""

    take: bool = False
    release: bool = False
    rate: bool = False
    is_regrade: bool = False
    open_enquiry: bool = False
    request_more_checks: bool = False
    propose_closure: bool = False
    pass_to_worker: bool = False

    @property
    def any(self) -> bool:
        return any(
            [
                self.take,
                self.release,
                self.rate,
                self.open_enquiry,
                self.request_more_checks,
                self.propose_closure,
                self.pass_to_worker,
            ]
        )


def screening_actions(
    contact: Contact, user: User, *, closure_waiting: bool, unasked_agencies: bool
) -> ScreeningActions:
    """Take when received; the screening work when it is the user's contact (or the user
    manages the MASH); more checks once an enquiry is open, unless a closure is waiting
    for a manager; nothing once the contact has left the MASH."""
    if not user.has_perm("enquiries.screen_contact"):
        return ScreeningActions()
    state = contact.state
    if state == ContactState.RECEIVED:
        return ScreeningActions(take=contact.assigned_to_id is None)
    if state not in workflow.OPEN_STATES:
        return ScreeningActions()
    owns = contact.assigned_to_id == user.pk or user.has_perm("enquiries.manage_screening")
    if not owns:
        return ScreeningActions()
    rated = contact.rag_level_id is not None
    screening = state == ContactState.SCREENING
    enquiry_open = state == ContactState.CHECKS_IN_PROGRESS or (
        state == ContactState.AWAITING_DECISION and not closure_waiting
    )
    return ScreeningActions(
        release=screening,
        rate=True,
        is_regrade=rated,
        open_enquiry=screening and rated,
        request_more_checks=enquiry_open and unasked_agencies,
        propose_closure=screening and rated,
        pass_to_worker=screening,
    )


@dataclass(frozen=True)
class PersonPanel:
    """A person named in the contact, as the screening page's "People" section shows
    them, with every correction of their details."""

    person: PersonPresenter
    corrections: list[CorrectionRow]


@dataclass(frozen=True)
class ChildOutcomeRow:
    """A child's outcome in the contact's decision, as the screening page lists it."""

    child: DecisionChild

    @property
    def name(self) -> str:
        return self.child.person.full_name

    @property
    def outcome(self) -> str:
        return self.child.outcome.label

    @property
    def level_of_need(self) -> str:
        return level_text(self.child.level_of_need)


@dataclass(frozen=True)
class ScreeningPage(MashContactPage):
    """The screening page for one contact."""

    record: ScreeningRecord
    now: datetime

    @property
    def mash_contact(self) -> Contact:
        return self.record.contact

    @property
    def assigned_to(self) -> str:
        user = self.record.contact.assigned_to
        return user.display_name if user else "Nobody: waiting to be taken"

    @property
    def ratings(self) -> list[RatingPresenter]:
        return [RatingPresenter(rating) for rating in self.record.ratings]

    @property
    def checks(self) -> list[CheckRow]:
        return [CheckRow(check, self.now) for check in self.record.checks]

    @property
    def decision_outcome(self) -> str:
        """The outcome of the decision in force, once decided (the most serious child's)."""
        decision = self.record.decision
        return decision.outcome.label if decision else ""

    @property
    def child_outcomes(self) -> list[ChildOutcomeRow]:
        """Each child's outcome, for a decided contact about several children."""
        decision = self.record.decision
        if decision is None:
            return []
        children = children_of(decision)
        return [ChildOutcomeRow(child) for child in children] if len(children) > 1 else []

    @property
    def closure_proposals(self) -> list[ProposalPresenter]:
        return [ProposalPresenter(proposal) for proposal in self.record.closure_proposals]

    @property
    def closure_waiting(self) -> bool:
        return any(
            proposal.state == ProposalState.PROPOSED for proposal in self.record.closure_proposals
        )

    @property
    def people(self) -> list[PersonPanel]:
        """Everyone named in the contact, each with their corrected details."""
        today = timezone.localdate(self.now)
        corrections = self.record.corrections
        return [
            PersonPanel(
                PersonPresenter(person, today),
                [CorrectionRow(each) for each in corrections.get(person.pk, [])],
            )
            for person in self.record.contact.people.all()
        ]

    @property
    def children(self) -> list[ChildPanel]:
        today = timezone.localdate(self.now)
        return [ChildPanel(history, today) for history in self.record.children]

    @property
    def allocated_worker(self) -> str:
        """The name of the first allocated worker found for any of the children."""
        return next(
            (panel.allocated_worker for panel in self.children if panel.allocated_worker), ""
        )


# --- Identifier conflicts ------------------------------------------------------------------


SEX_TEXT = {"M": "Male", "F": "Female", "U": "Unknown", "I": "Indeterminate"}


@dataclass(frozen=True)
class ConflictSide:
    """One record of an identifier conflict as the panel shows it."""

    record: ConflictRecord
    identifier: str

    @property
    def name(self) -> str:
        return self.record.name or "Not known"

    @property
    def date_of_birth(self) -> str:
        born = self.record.date_of_birth
        return day_text(born) if born else "Not known"

    @property
    def sex(self) -> str:
        return SEX_TEXT.get(self.record.sex, self.record.sex) or "Not known"

    @property
    def address(self) -> str:
        return self.record.address or "Not known"

    @property
    def postcode(self) -> str:
        return self.record.postcode or "Not known"

    @property
    def contact(self) -> Contact | None:
        return self.record.contact

    @property
    def source(self) -> str:
        """Where the record comes from, and when."""
        when = day_text(timezone.localdate(self.record.when)) if self.record.when else ""
        if self.record.contact is not None:
            return f"received {when}" if when else ""
        return f"{self.record.agency_name}'s index, imported {when}".strip()


@dataclass(frozen=True)
class ConflictPanel:
    """An identifier conflict on the screening page: both records side by side, and the
    decision form (open) or the decision with its undo form (decided)."""

    view: ConflictView
    resolve_form: Any = None
    undo_form: Any = None

    @property
    def pk(self) -> int:
        return self.view.conflict.pk

    @property
    def anchor(self) -> str:
        return f"conflict-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.view.is_open

    @property
    def identifier_label(self) -> str:
        return self.view.identifier_label

    @property
    def identifier_value(self) -> str:
        conflict = self.view.conflict
        if conflict.identifier == ConflictIdentifier.NHS_NUMBER:
            return nhs_number_display(conflict.value)
        return conflict.value

    @property
    def this(self) -> ConflictSide:
        return ConflictSide(self.view.this, self.identifier_value)

    @property
    def other(self) -> ConflictSide:
        return ConflictSide(self.view.other, self.identifier_value)

    @property
    def sides(self) -> tuple[ConflictSide, ConflictSide]:
        return self.this, self.other

    @property
    def disagreement(self) -> str:
        parts = {
            "date_of_birth": "dates of birth",
            "first_name": "first names",
        }
        said = [parts[key] for key in self.view.conflict.disagreement if key in parts]
        return " and ".join(said) or "details"

    @property
    def decision(self) -> str:
        """What the screener decided, in words."""
        conflict = self.view.conflict
        if conflict.state == ConflictState.SAME_CHILD:
            return "Same child: the records are joined."
        if conflict.state == ConflictState.DIFFERENT:
            holder = self.view.this if self.view.this.holds_in_error else self.view.other
            return (
                f"Different children: {holder.name or 'one record'}'s record holds the "
                f"{self.identifier_label} in error, and joins no one by it."
            )
        return ""

    @property
    def decided_by(self) -> str:
        conflict = self.view.conflict
        who = conflict.decided_by.display_name if conflict.decided_by else "Unknown"
        return f"{who}, {when_text(conflict.decided_at)}"

    @property
    def reason(self) -> str:
        return self.view.conflict.reason

    @property
    def may_decide(self) -> bool:
        return self.view.may_decide

    @property
    def history(self) -> list[tuple[str, str, str, str]]:
        """Every decision and undo, oldest first: (what, reason, who, when), in words;
        empty until there has been more than one."""
        if len(self.view.history) < 2:
            return []
        return [
            (state, reason, who, when_text(when)) for state, reason, who, when in self.view.history
        ]
