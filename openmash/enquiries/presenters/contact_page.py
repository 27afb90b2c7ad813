"""The contact at the top of a MASH page: the screening page and the decision page both
head themselves with it, so both name, rate and time the contact alike."""

from dataclasses import dataclass
from datetime import datetime

from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.presenters import ContactPresenter
from openmash.core.presenters import Deadline, Tag, rag_tag
from openmash.core.time_text import when_text
from openmash.enquiries import workflow
from openmash.enquiries.models import RagRating


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
        user = self.rating.set_by
        return user.display_name if user is not None else "Unknown"

    @property
    def at(self) -> str:
        return when_text(self.rating.set_at)

    @property
    def rationale(self) -> str:
        return self.rating.rationale
