"""What the decisions queue, the decision page and the hand-on pages show, worked out here
so the templates hold no logic."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.utils import timezone
from django.utils.text import Truncator

from openmash.accounts.models import User
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import CHILD_ROLES, PrimaryNeed
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.presenters import ContactPresenter, PersonPresenter
from openmash.core.presenters import Deadline, Tag, rag_tag
from openmash.core.time_text import duration_text, plural, when_text
from openmash.enquiries.child_outcomes import children_of, is_per_child
from openmash.enquiries.models import (
    ClosureProposal,
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
    MessageStatus,
    ProposalState,
)
from openmash.enquiries.presenters.allocation import assigned_to_text, assignment_text
from openmash.enquiries.presenters.checks import CheckPresenter
from openmash.enquiries.presenters.contact_page import (
    MashContactPage,
    ProposalPresenter,
    RatingPresenter,
    children_named,
)
from openmash.enquiries.selectors.decisions import DecisionPage
from openmash.enquiries.summary import HandOnSummary, hand_on_summary, level_text
from openmash.enquiries.workflow import DEADLINE_STATES

NOT_TO_BE_DISCLOSED = "Not to be disclosed outside the MASH"
# How much of a team's reason for returning a case the decisions queue shows.
RETURN_REASON_IN_QUEUE = 120
# How much of the MASH summary the hand-on queue shows.
SUMMARY_IN_QUEUE = 200


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "Unknown"


def deadline_for(deadline_at: datetime | None, now: datetime) -> Deadline | None:
    """The deadline, or None where there is none (the pages then say "No deadline")."""
    return None if deadline_at is None else Deadline(deadline_at, now)


# --- The decisions queue ---------------------------------------------------------------


@dataclass(frozen=True)
class QueueContactPresenter:
    """One contact in the decisions queue (annotated by decision_queue_for)."""

    contact: Contact
    now: datetime

    @property
    def reference(self) -> str:
        return self.contact.reference

    @property
    def children(self) -> list[PersonPresenter]:
        return children_named(self.contact, timezone.localdate(self.now))

    @property
    def rag(self) -> Tag:
        return rag_tag(self.contact.rag_level)

    @property
    def deadline(self) -> Deadline | None:
        return deadline_for(self.contact.deadline_at, self.now)

    @property
    def proposal(self) -> ClosureProposal | None:
        pending: list[ClosureProposal] = getattr(self.contact, "pending_proposals", [])
        return pending[0] if pending else None

    @property
    def waiting_for(self) -> str:
        proposal = self.proposal
        if proposal is not None:
            return (
                f"Agree or decline closure: {proposal.outcome.label.lower()}, "
                f"proposed by {_name(proposal.proposed_by)}"
            )
        team = getattr(self.contact, "returned_team", None)
        if team:
            return f"Returned by {_team_label(team).lower()}: amend the decision"
        outstanding = getattr(self.contact, "outstanding_checks", 0)
        if outstanding:
            return f"A decision ({plural(outstanding, 'check')} still outstanding)"
        return "A decision"

    @property
    def returned_reason(self) -> str:
        """Why the team it was handed to returned the case, cut short for the queue."""
        reason: str = getattr(self.contact, "returned_reason", None) or ""
        return Truncator(" ".join(reason.split())).chars(RETURN_REASON_IN_QUEUE)

    @property
    def checks(self) -> str:
        outstanding = getattr(self.contact, "outstanding_checks", 0)
        total = getattr(self.contact, "total_checks", 0)
        return f"{outstanding} of {total} outstanding"


# --- The decision page -----------------------------------------------------------------


@dataclass(frozen=True)
class ChildOutcomePresenter:
    """One child's outcome in a decision, as the MASH's pages show it."""

    child: DecisionChild

    @property
    def person_id(self) -> int:
        return self.child.person_id

    @property
    def name(self) -> str:
        return self.child.person.full_name

    @property
    def outcome(self) -> str:
        return self.child.outcome.label

    @property
    def next_steps(self) -> str:
        return self.child.outcome.next_steps

    @property
    def level_of_need(self) -> str:
        return level_text(self.child.level_of_need)

    @property
    def primary_need(self) -> str:
        code = self.child.primary_need
        return PrimaryNeed(code).label if code in PrimaryNeed.values else code

    @property
    def hands_on_to(self) -> str:
        return _team_label(self.child.outcome.hand_on_to)

    @property
    def receiving_team(self) -> str:
        return self.child.receiving_team or "None"


def contact_children(contact: Contact) -> list[ContactPerson]:
    """The children named in the contact, in order (its people prefetched or not)."""
    return sorted(
        (person for person in contact.people.all() if person.role in CHILD_ROLES),
        key=lambda person: person.position,
    )


def outcome_banner(decision: Decision) -> str:
    """The outcome in the banner after a decision: each child's, when they differ."""
    children = children_of(decision)
    if not is_per_child(children):
        return decision.outcome.label
    return "; ".join(
        f"{child.person.full_name}, {child.outcome.label.lower()}" for child in children
    )


def child_outcomes_of(decision: Decision) -> list[ChildOutcomePresenter]:
    return [ChildOutcomePresenter(child) for child in children_of(decision)]


@dataclass(frozen=True)
class DecisionPresenter:
    decision: Decision
    is_current: bool = True

    @cached_property
    def children(self) -> list[ChildOutcomePresenter]:
        """Each child's outcome (prefetch selectors.decisions.DECISION_CHILDREN)."""
        return child_outcomes_of(self.decision)

    @property
    def per_child(self) -> bool:
        """A contact about several children shows each child's outcome; one about a
        single child shows the decision as it always has."""
        return len(self.children) > 1

    @property
    def id(self) -> int:
        return self.decision.pk

    @property
    def title(self) -> str:
        if self.decision.amends_id is None:
            return "Original decision" if not self.is_current else "Decision"
        return "Amended decision" if self.is_current else "Amendment, since amended again"

    @property
    def is_amendment(self) -> bool:
        return self.decision.amends_id is not None

    @property
    def outcome(self) -> str:
        return self.decision.outcome.label

    @property
    def next_steps(self) -> str:
        return self.decision.outcome.next_steps

    @property
    def level_of_need(self) -> str:
        level = self.decision.level_of_need
        return f"Level {level.number}: {level.label}" if level else "Not recorded"

    @property
    def factors(self) -> list[str]:
        return self.decision.factor_labels()

    @property
    def primary_need(self) -> str:
        code = self.decision.primary_need
        return PrimaryNeed(code).label if code in PrimaryNeed.values else code

    @property
    def rationale(self) -> str:
        return self.decision.rationale

    @property
    def hands_on_to(self) -> str:
        team = self.decision.outcome.hand_on_to
        return HandOnTeam(team).label if team in HandOnTeam.values else team

    @property
    def receiving_team(self) -> str:
        return self.decision.receiving_team or "None"

    @property
    def decided(self) -> str:
        return f"{_name(self.decision.decided_by)} at {when_text(self.decision.decided_at)}"

    @property
    def amendment_reason(self) -> str:
        return self.decision.amendment_reason


def _team_label(team: str) -> str:
    return HandOnTeam(team).label if team in HandOnTeam.values else team


def team_labels(teams: list[str]) -> list[str]:
    return [HandOnTeam(team).label for team in teams]


@dataclass(frozen=True)
class HandOnPresenter:
    hand_on: HandOn
    now: datetime | None = None

    @property
    def id(self) -> int:
        return self.hand_on.pk

    @property
    def team(self) -> str:
        return HandOnTeam(self.hand_on.team).label

    @property
    def is_pending(self) -> bool:
        return self.hand_on.state == HandOnState.PENDING

    @property
    def tag(self) -> Tag:
        colours: dict[str, str] = {
            HandOnState.PENDING: "blue",
            HandOnState.ACCEPTED: "green",
            HandOnState.RETURNED: "orange",
        }
        return Tag(HandOnState(self.hand_on.state).label, colours.get(self.hand_on.state, "grey"))

    @property
    def created(self) -> str:
        return when_text(self.hand_on.created_at)

    @property
    def assigned_to(self) -> str:
        """The team member the hand-on is assigned to in OpenMASH, or "Unassigned"."""
        return assigned_to_text(self.hand_on)

    @property
    def assignment(self) -> str:
        return assignment_text(self.hand_on)

    @property
    def age(self) -> str:
        """How long it has waited for the team (while waiting), e.g. '2 days 3 hours'."""
        if not self.is_pending:
            return ""
        now = self.now or timezone.now()
        return duration_text(now - self.hand_on.created_at)

    @property
    def deadline(self) -> Deadline:
        """When the team should accept or return it (the area's acceptance timescale)."""
        return Deadline(self.hand_on.deadline_at, self.now or timezone.now())

    @property
    def is_overdue(self) -> bool:
        return self.is_pending and self.deadline.is_overdue

    @property
    def answered(self) -> str:
        if self.is_pending:
            return ""
        if self.hand_on.state == HandOnState.WITHDRAWN:
            # Withdrawn by an amended decision, not answered by anyone in the team.
            return f"By an amended MASH decision at {when_text(self.hand_on.responded_at)}"
        return f"{_name(self.hand_on.responded_by)} at {when_text(self.hand_on.responded_at)}"

    @property
    def allocated_worker(self) -> str:
        return self.hand_on.allocated_worker

    @property
    def worker_contact(self) -> str:
        return self.hand_on.worker_contact

    @cached_property
    def summary(self) -> HandOnSummary:
        """Exactly what the receiving team may see of the MASH's work: never the
        rationale unless the manager shared it, never an unreleased finding."""
        return hand_on_summary(self.hand_on)

    @property
    def summary_excerpt(self) -> str:
        return Truncator(" ".join(self.summary.summary.split())).chars(SUMMARY_IN_QUEUE)

    @property
    def return_reason(self) -> str:
        return self.hand_on.return_reason

    # What the receiving team sees of the case: the contact and the MASH summary only.
    @property
    def reference(self) -> str:
        return self.hand_on.contact.reference

    @property
    def children(self) -> list[PersonPresenter]:
        """The children this hand-on concerns (prefetch summary.HAND_ON_CHILDREN)."""
        today = timezone.localdate(self.now) if self.now else timezone.localdate()
        return [PersonPresenter(child, today) for child in self.hand_on.children.all()]

    @property
    def child_ids(self) -> set[int]:
        """The children this hand-on concerns, whose chronologies its team may open; the
        contact's other children went elsewhere (or nowhere), and are named unlinked."""
        return {child.pk for child in self.hand_on.children.all()}

    @property
    def contact(self) -> ContactPresenter:
        return ContactPresenter(self.hand_on.contact)


@dataclass(frozen=True)
class ReturnPresenter:
    """A case the team it was handed to has returned to the MASH, as the decision page
    shows it while the manager reconsiders."""

    hand_on: HandOn

    @property
    def team(self) -> str:
        return _team_label(self.hand_on.team)

    @property
    def returned(self) -> str:
        return f"{_name(self.hand_on.responded_by)} at {when_text(self.hand_on.responded_at)}"

    @property
    def reason(self) -> str:
        return self.hand_on.return_reason


# Messages to whoever made the contact, named so on the manager's page without the address
# in the heading (the referrer may have no account).
TO_THE_REFERRER = frozenset(
    {
        MessageKind.OUTCOME_FEEDBACK,
        MessageKind.HAND_ON_ACCEPTED,
        MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT,
    }
)


@dataclass(frozen=True)
class MessagePresenter:
    """An email the mail server did not take."""

    message: Message

    @property
    def id(self) -> int:
        return self.message.pk

    @property
    def reference(self) -> str:
        return self.message.contact.reference

    @property
    def what(self) -> str:
        kind = self.message.kind
        return MessageKind(kind).label if kind in MessageKind.values else kind

    @property
    def subject(self) -> str:
        return self.message.subject

    @property
    def recipient(self) -> str:
        """Who it was for, without the address, as a sentence continues it ("To ...")."""
        kind = self.message.kind
        if kind in TO_THE_REFERRER:
            return "the referrer"
        if kind == MessageKind.EDT_ALERT:
            return "the emergency duty team"
        if self.message.to_user is None and kind == MessageKind.CHECK_REQUESTED:
            return "the agency's team inbox"
        return _name(self.message.to_user) if self.message.to_user else "Unknown"

    @property
    def address(self) -> str:
        return self.message.to_email

    @property
    def tag(self) -> Tag:
        return Tag(MessageStatus(self.message.status).label, "red")

    @property
    def attempts(self) -> str:
        last = when_text(self.message.last_attempt_at)
        if self.message.attempts == 1:
            return f"Once, at {last}"
        return f"{self.message.attempts} times, the last at {last}"

    @property
    def failure(self) -> str:
        return self.message.failure or "Not known"

    @property
    def next_attempt(self) -> str:
        if self.message.next_attempt_at is not None:
            return f"OpenMASH will try again at {when_text(self.message.next_attempt_at)}."
        return "OpenMASH has stopped trying: check the address, then try again."


@dataclass(frozen=True)
class DecisionPagePresenter(MashContactPage):
    page: DecisionPage
    now: datetime

    @property
    def mash_contact(self) -> Contact:
        return self.page.contact

    @property
    def deadline(self) -> Deadline | None:
        """Only while the contact waits on the MASH: a decided case has no deadline left."""
        if self.page.contact.state not in DEADLINE_STATES:
            return None
        return deadline_for(self.page.contact.deadline_at, self.now)

    @property
    def ratings(self) -> list[RatingPresenter]:
        return [RatingPresenter(rating) for rating in self.page.ratings]

    @property
    def checks(self) -> list[CheckPresenter]:
        return [
            CheckPresenter(check, self.now, self.page.waived_by.get(check.waived_by_id or 0))
            for check in self.page.checks
        ]

    @property
    def pending_proposal(self) -> ProposalPresenter | None:
        proposal = self.page.pending_proposal
        return ProposalPresenter(proposal) if proposal else None

    @property
    def answered_proposals(self) -> list[ProposalPresenter]:
        return [
            ProposalPresenter(proposal)
            for proposal in self.page.proposals
            if proposal.state != ProposalState.PROPOSED
        ]

    @property
    def decisions(self) -> list[DecisionPresenter]:
        current = self.page.current_decision
        return [
            DecisionPresenter(decision, is_current=decision == current)
            for decision in self.page.decisions
        ]

    @property
    def current_decision(self) -> Decision | None:
        return self.page.current_decision

    @property
    def hand_ons(self) -> list[HandOnPresenter]:
        return [HandOnPresenter(hand_on, self.now) for hand_on in self.page.hand_ons]

    @property
    def shared(self) -> list[HandOnPresenter]:
        """The hand-ons to a receiving team, each with the MASH summary that crossed."""
        return [
            HandOnPresenter(hand_on, self.now)
            for hand_on in self.page.hand_ons
            if hand_on.team != HandOnTeam.ALLOCATED_WORKER
        ]

    @property
    def returned(self) -> ReturnPresenter | None:
        """The team's return, while the manager reconsiders the case it returned."""
        if self.page.contact.state not in DEADLINE_STATES:
            return None
        returned = [
            hand_on for hand_on in self.page.hand_ons if hand_on.state == HandOnState.RETURNED
        ]
        return ReturnPresenter(returned[0]) if returned else None

    @property
    def undelivered(self) -> list[MessagePresenter]:
        return [MessagePresenter(message) for message in self.page.undelivered]
