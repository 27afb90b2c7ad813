"""The states of a contact in the MASH and the moves allowed between them: the one place
they are written down. Services call `move`; anything else is an IllegalTransition that
changes nothing."""

from openmash.contacts.codes import ContactState as S
from openmash.contacts.models import Contact

TRANSITIONS: dict[str, set[str]] = {
    # A screener takes the contact.
    S.RECEIVED: {S.SCREENING},
    S.SCREENING: {
        S.RECEIVED,  # released back to the queue
        S.CHECKS_IN_PROGRESS,  # MASH enquiry opened, checks requested
        S.AWAITING_DECISION,  # closure proposed, or enquiry opened with no checks
        S.HANDED_ON,  # already open: passed to the allocated worker
    },
    S.CHECKS_IN_PROGRESS: {S.AWAITING_DECISION},  # every check completed or waived
    S.AWAITING_DECISION: {
        S.CHECKS_IN_PROGRESS,  # more checks requested
        S.SCREENING,  # closure not agreed: back to the screener
        S.DECIDED,
    },
    S.DECIDED: {S.HANDED_ON, S.CLOSED},
    # A team returning a hand-on sends the contact back for an amended decision; an
    # amendment that changes who acts takes the contact through decided again.
    S.HANDED_ON: {S.AWAITING_DECISION, S.CLOSED, S.DECIDED},
    # Only an amended decision re-opens a closed contact.
    S.CLOSED: {S.DECIDED},
}

OPEN_STATES = frozenset({S.RECEIVED, S.SCREENING, S.CHECKS_IN_PROGRESS, S.AWAITING_DECISION})
# States in which the MASH's deadline still runs.
DEADLINE_STATES = OPEN_STATES


class IllegalTransition(Exception):
    """The contact cannot make this move from where it is; nothing was changed."""

    def __init__(self, contact: Contact, to: str, message: str = "") -> None:
        self.contact = contact
        self.from_state = contact.state
        self.to_state = to
        super().__init__(message or describe_refusal(contact.state, to, contact.reference))


def describe_refusal(from_state: str, to_state: str, reference: str) -> str:
    if from_state in (S.DECIDED, S.HANDED_ON, S.CLOSED) and to_state == S.DECIDED:
        return (
            f"{reference} has already been decided. To change the decision, "
            "record an amendment with a reason."
        )
    if from_state == S.CLOSED:
        return f"{reference} is closed; nothing more can be done to it."
    return (
        f"{reference} is {S(from_state).label.lower()}, so it cannot be moved to "
        f"{S(to_state).label.lower()}."
    )


def can_move(contact: Contact, to: str) -> bool:
    return to in TRANSITIONS.get(contact.state, set())


def move(contact: Contact, to: str) -> str:
    """Set the contact's state (the caller saves it, inside its transaction); returns
    the state it left. Raises IllegalTransition if the move is not allowed."""
    if not can_move(contact, to):
        raise IllegalTransition(contact, to)
    before = contact.state
    contact.state = to
    return before
