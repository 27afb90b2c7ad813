"""What a referrer is told of what became of their contact, worked out here so templates
hold no logic. Enquiries' because the outcome is the MASH's decision; the contact pages
that show it (openmash/enquiries/views/outcomes.py) are built on the contact's own
presenter."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from openmash.area.models import HandOnTeam
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.presenters import ContactPresenter
from openmash.core.time_text import when_text
from openmash.enquiries.child_outcomes import (
    ToldToReferrer,
    children_of,
    is_per_child,
    told_to_referrer,
)
from openmash.enquiries.models import Decision, HandOn, HandOnState, Message, MessageStatus

# Where the contact is, in the referrer's words: nothing of the MASH's working.
REFERRER_STATE_WORDS = {
    ContactState.RECEIVED: "Received by the MASH, waiting to be looked at",
    ContactState.SCREENING: "Being looked at by the MASH",
    ContactState.CHECKS_IN_PROGRESS: "The MASH is finding out more",
    ContactState.AWAITING_DECISION: "Waiting for the MASH to decide",
    ContactState.DECIDED: "Decided",
    ContactState.HANDED_ON: "Decided, and passed to the team that will act",
    ContactState.CLOSED: "Decided, and closed by the MASH",
}


@dataclass(frozen=True)
class ReferrerChildPresenter:
    """One child's outcome, as their referrer is told it."""

    told: ToldToReferrer

    @property
    def name(self) -> str:
        return self.told.person.full_name

    @property
    def outcome(self) -> str:
        return self.told.outcome.label

    @property
    def next_steps(self) -> str:
        return self.told.outcome.next_steps

    @property
    def team(self) -> str:
        """Who is acting for the child, once handed on: the team, whether it has
        accepted, and its named worker."""
        told = self.told
        if told.hand_on is None:
            return ""
        if not told.is_accepted:
            return f"{told.team}: waiting for them to accept"
        named = ", ".join(
            part for part in (told.hand_on.allocated_worker, told.hand_on.worker_contact) if part
        )
        return f"{told.team}, accepted" + (f": {named}" if named else "")


@dataclass(frozen=True)
class OutcomePresenter:
    """What a referrer is told of their contact: where it is, the current outcome, what
    happens next, when it was decided (and amended), and the emails sent about it. Never
    the agencies' findings, the rationale or the RAG rating."""

    contact: Contact
    # Newest first.
    decisions: Sequence[Decision]
    emails: Sequence[Message] = field(default_factory=list)
    # Newest first, none withdrawn (selectors.outcomes.hand_ons_newest_first).
    hand_ons: Sequence[HandOn] = field(default_factory=list)

    @property
    def hand_on(self) -> HandOn | None:
        """The team's answer to the latest hand-on, while the case is with that team."""
        if self.contact.state != ContactState.HANDED_ON or not self.hand_ons:
            return None
        latest = self.hand_ons[0]
        return latest if latest.team != HandOnTeam.ALLOCATED_WORKER else None

    @property
    def receiving_team(self) -> str:
        hand_on = self.hand_on
        return HandOnTeam(hand_on.team).label if hand_on is not None else ""

    @property
    def named_contact(self) -> str:
        """Who at the receiving team will act, and how to reach them, once accepted."""
        hand_on = self.hand_on
        if hand_on is None or hand_on.state != HandOnState.ACCEPTED:
            return ""
        return ", ".join(
            part for part in (hand_on.allocated_worker, hand_on.worker_contact) if part
        )

    @property
    def current(self) -> Decision | None:
        amended = {decision.amends_id for decision in self.decisions}
        return next((d for d in self.decisions if d.pk not in amended), None)

    @property
    def original(self) -> Decision | None:
        return next((d for d in self.decisions if d.amends_id is None), None)

    @property
    def state(self) -> str:
        if self.contact.state == ContactState.AWAITING_DECISION and self.decisions:
            return "The MASH is reviewing its decision: you will be told if it changes"
        teams = self.teams_acting
        if len(teams) == 1:
            hand_on = teams[0]
            team = HandOnTeam(hand_on.team).label.lower()
            if hand_on.state == HandOnState.ACCEPTED:
                return f"Accepted by {team} at {when_text(hand_on.responded_at)}"
            return f"Decided, and passed to {team}: waiting for them to accept it"
        if teams:
            # Children of one contact handed on to different teams: each team's answer,
            # never only the latest team's.
            return "Decided, and passed to " + " and ".join(
                f"{HandOnTeam(hand_on.team).label.lower()} "
                + (
                    f"(accepted at {when_text(hand_on.responded_at)})"
                    if hand_on.state == HandOnState.ACCEPTED
                    else "(waiting for them to accept it)"
                )
                for hand_on in teams
            )
        return REFERRER_STATE_WORDS.get(ContactState(self.contact.state), "")

    @property
    def teams_acting(self) -> list[HandOn]:
        """While the case is handed on: each receiving team's newest hand-on (accepted
        or waiting), in the order the teams were handed it."""
        if self.contact.state != ContactState.HANDED_ON:
            return []
        newest: dict[str, HandOn] = {}
        for hand_on in self.hand_ons:
            if hand_on.team == HandOnTeam.ALLOCATED_WORKER or hand_on.team in newest:
                continue
            newest[hand_on.team] = hand_on
        return [
            hand_on
            for hand_on in reversed(list(newest.values()))
            if hand_on.state in (HandOnState.ACCEPTED, HandOnState.PENDING)
        ]

    @property
    def outcome(self) -> str:
        current = self.current
        return current.outcome.label if current else ""

    @property
    def next_steps(self) -> str:
        current = self.current
        return current.outcome.next_steps if current else ""

    @property
    def decided(self) -> str:
        original = self.original
        return when_text(original.decided_at) if original else ""

    @property
    def amended(self) -> str:
        current = self.current
        if current is None or current.amends_id is None:
            return ""
        return when_text(current.decided_at)

    @property
    def children(self) -> list[ReferrerChildPresenter]:
        """Each child's outcome, when the children's outcomes differ (ADR 0022); empty
        when one outcome is every child's, which the page shows once as before."""
        current = self.current
        if current is None or not is_per_child(children_of(current)):
            return []
        return [ReferrerChildPresenter(told) for told in told_to_referrer(current, self.hand_ons)]

    @property
    def email_notes(self) -> list[str]:
        notes = []
        for email in self.emails:
            if email.status == MessageStatus.SENT and email.sent_at is not None:
                sent = timezone.localtime(email.sent_at)
                notes.append(
                    f"We emailed the outcome to {email.to_email} on {sent.day} {sent:%B %Y} "
                    f"at {sent:%H:%M}."
                )
            elif email.status == MessageStatus.FAILED and email.next_attempt_at is None:
                notes.append(
                    f"We could not email the outcome to {email.to_email}. The MASH has been "
                    "told, and the outcome on this page stands."
                )
            else:
                notes.append(
                    f"We are emailing the outcome to {email.to_email}. It has not been "
                    "delivered yet; we will keep trying."
                )
        return notes


@dataclass(frozen=True)
class SubmittedContactPresenter(ContactPresenter):
    """A contact in the referrer's list of the contacts their organisation made."""

    @property
    def outcome(self) -> OutcomePresenter:
        """Needs the contact's decisions and hand-ons prefetched
        (contact_page_submitted_with_outcomes)."""
        return OutcomePresenter(
            self.contact,
            list(self.contact.decisions.all()),
            hand_ons=list(self.contact.hand_ons.all()),
        )
