"""The contact at the top of a MASH page, its RAG history and its closure proposals: the
screening page and the decision page both show them, so both name, rate and time the
contact alike."""

from dataclasses import dataclass
from datetime import date, datetime

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.presenters import ContactPresenter, PersonPresenter
from openmash.core.presenters import Deadline, Tag, rag_tag
from openmash.core.time_text import when_text
from openmash.enquiries import workflow
from openmash.enquiries.models import ClosureProposal, ProposalState, RagRating


class MashContactPage:
    """What a page about one contact shows of the contact itself. A page presenter
    inherits it and says which contact it is about (`mash_contact`) and when it is
    (`now`); the rest of the page is its own."""

    now: datetime

    @property
    def mash_contact(self) -> Contact:
        raise NotImplementedError

    @property
    def contact(self) -> ContactPresenter:
        return ContactPresenter(self.mash_contact)

    @property
    def reference(self) -> str:
        return self.mash_contact.reference

    @property
    def state(self) -> str:
        return ContactState(self.mash_contact.state).label

    @property
    def is_open(self) -> bool:
        return self.mash_contact.state in workflow.OPEN_STATES

    @property
    def rag(self) -> Tag:
        return rag_tag(self.mash_contact.rag_level)

    @property
    def is_rated(self) -> bool:
        return self.mash_contact.rag_level is not None

    @property
    def deadline(self) -> Deadline | None:
        """The contact's decision deadline, provisional until it is rated."""
        return contact_deadline(self.mash_contact, self.now)


def children_named(contact: Contact, today: date) -> list[PersonPresenter]:
    """The children named in the contact, as the queues and hand-on pages list them
    (prefetched as `children` by their selectors), each linked to their chronology by the
    template."""
    children: list[ContactPerson] = getattr(contact, "children", [])
    return [PersonPresenter(child, today) for child in children]


def contact_deadline(contact: Contact, now: datetime) -> Deadline:
    return Deadline(at=contact.deadline_at, now=now, provisional=contact.rag_level_id is None)


@dataclass(frozen=True)
class RatingPresenter:
    """One RAG rating in the contact's history: the screening page lists them in a table
    (`kind`), the decision page on a timeline (`title`)."""

    rating: RagRating

    @property
    def tag(self) -> Tag:
        return rag_tag(self.rating.level)

    @property
    def kind(self) -> str:
        return "Re-grade" if self.rating.is_regrade else "First rating"

    @property
    def title(self) -> str:
        return "Re-graded" if self.rating.is_regrade else "Rated"

    @property
    def by(self) -> str:
        return _name(self.rating.set_by)

    @property
    def at(self) -> str:
        return when_text(self.rating.set_at)

    @property
    def rationale(self) -> str:
        return self.rating.rationale


@dataclass(frozen=True)
class ProposalPresenter:
    """A screener's proposal to close the contact and the manager's answer: the screening
    page lists every one, the decision page asks the manager to answer the one waiting."""

    proposal: ClosureProposal

    @property
    def id(self) -> int:
        return self.proposal.pk

    @property
    def is_pending(self) -> bool:
        return self.proposal.state == ProposalState.PROPOSED

    @property
    def outcome(self) -> str:
        return self.proposal.outcome.label

    @property
    def state(self) -> str:
        return ProposalState(self.proposal.state).label

    @property
    def rationale(self) -> str:
        return self.proposal.rationale

    @property
    def proposed(self) -> str:
        """As the decision page says it: "Sam Screener at 5 Dec 2026 09:00"."""
        return f"{_name(self.proposal.proposed_by)} at {when_text(self.proposal.proposed_at)}"

    @property
    def proposed_by(self) -> str:
        """As the screening page's "Proposed by" row says it: "Sam Screener, 5 Dec ..."."""
        return f"{_name(self.proposal.proposed_by)}, {when_text(self.proposal.proposed_at)}"

    @property
    def answered(self) -> str:
        if self.is_pending:
            return ""
        return f"{_name(self.proposal.responded_by)} at {when_text(self.proposal.responded_at)}"

    @property
    def response_reason(self) -> str:
        return self.proposal.response_reason

    @property
    def response(self) -> str:
        """The manager's answer in one line for the screening page, reason included."""
        proposal = self.proposal
        if proposal.responded_by is None or proposal.responded_at is None:
            return ""
        reason = f": {proposal.response_reason}" if proposal.response_reason else ""
        return f"{_name(proposal.responded_by)}, {when_text(proposal.responded_at)}{reason}"


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "Unknown"
