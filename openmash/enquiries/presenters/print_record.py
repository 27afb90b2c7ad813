"""What a contact's print view shows: the MASH record (as the decision page presents it,
without its forms), everyone named with their details, the MASH summary of the current
decision, and each child's chronology (as the chronology page presents it)."""

from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.presenters import PersonPresenter
from openmash.core.time_text import when_text
from openmash.enquiries.presenters.chronology import ChronologyPage
from openmash.enquiries.presenters.decisions import DecisionPagePresenter
from openmash.enquiries.selectors.print_record import PrintRecord
from openmash.enquiries.summary import HandOnSummary, decision_summary


@dataclass(frozen=True)
class PrintPage(DecisionPagePresenter):
    record: PrintRecord
    printed_by: User

    @property
    def printed(self) -> str:
        """ "Printed by Sam Screener at 5 Dec 2026 10:15": on every copy, so a copy found
        later says whose it was and how old."""
        return f"Printed by {self.printed_by.display_name} at {when_text(self.now)}"

    @property
    def people(self) -> list[PersonPresenter]:
        today = timezone.localdate(self.now)
        return [PersonPresenter(person, today) for person in self.mash_contact.people.all()]

    @property
    def mash_summary(self) -> HandOnSummary | None:
        """What the current decision passes on (or would pass on) to the team that acts:
        the summary the manager composed, the findings released and the risks to workers."""
        decision = self.page.current_decision
        if decision is None:
            return None
        return decision_summary(
            decision,
            hand_on_id=0,  # not a hand-on: the decision's own summary
            reference=self.reference,
            team=decision.outcome.hand_on_to,
        )

    @cached_property
    def chronologies(self) -> list[ChronologyPage]:
        # A printed copy carries no links to follow.
        return [
            ChronologyPage(chronology=chronology, links_to_contacts=False)
            for chronology in self.record.chronologies
        ]
