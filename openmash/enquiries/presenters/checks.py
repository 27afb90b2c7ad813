"""What the agency check pages show, worked out here so templates hold no logic."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.codes import AssessmentFactor, LawfulBasis
from openmash.contacts.models import ContactPerson
from openmash.contacts.presenters import PersonPresenter
from openmash.core.overdue import is_overdue
from openmash.core.presenters import Deadline, Tag, rag_tag
from openmash.core.time_text import day_text, when_text
from openmash.enquiries.models import AgencyCheck, CheckFinding, CheckState, OnwardSharing
from openmash.enquiries.presenters.allocation import assigned_to_text, assignment_text


def check_state_colour(check: AgencyCheck) -> str:
    """The tag colour of a check's state: waiting blue, completed green, waived grey."""
    return {CheckState.COMPLETED: "green", CheckState.WAIVED: "grey"}.get(
        CheckState(check.state), "blue"
    )


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "Unknown"


@dataclass(frozen=True)
class FindingPresenter:
    """What the agency recorded about one person. A text left empty is empty here: the
    decision page leaves its row out, the check page says "None recorded"."""

    finding: CheckFinding
    agency_name: str

    @property
    def person(self) -> str:
        return self.finding.person.full_name

    @property
    def known(self) -> str:
        return f"Known to {self.agency_name}" if self.finding.known else "Not known"

    @property
    def known_to(self) -> str:
        """As the decision page says it after the person's name: "not known to Police"."""
        return f"{'known' if self.finding.known else 'not known'} to {self.agency_name}"

    @property
    def summary(self) -> str:
        return self.finding.summary

    @property
    def summary_restricted(self) -> bool:
        return self.finding.summary_restricted

    @property
    def risk_indicators(self) -> str:
        return self.finding.risk_indicators

    @property
    def last_involvement(self) -> str:
        day = self.finding.last_involvement_on
        return day_text(day) if day else ""

    @property
    def lawful_basis(self) -> str:
        basis = self.finding.lawful_basis
        return LawfulBasis(basis).label if basis in LawfulBasis.values else basis

    @property
    def restricted_information(self) -> str:
        return self.finding.restricted_information

    @property
    def onward(self) -> str:
        """Whether the agency released the finding to the receiving team, and on what basis."""
        sharing = self.finding.onward_sharing
        if sharing not in (OnwardSharing.FULL, OnwardSharing.SUMMARY):
            return "Not shared outside the MASH"
        basis = self.finding.onward_lawful_basis
        label = LawfulBasis(basis).label if basis in LawfulBasis.values else basis
        what = "In full" if sharing == OnwardSharing.FULL else "As this summary"
        return f"{what}, under {label}"

    @property
    def onward_summary(self) -> str:
        return self.finding.onward_summary


@dataclass(frozen=True)
class CheckPresenter:
    """One agency check: as its agency's researcher sees it on the checks queue and
    page, and as a MASH manager sees it on the decision page (`waived_by`, looked up
    once for the whole page, says who waived it)."""

    check: AgencyCheck
    now: datetime
    waived_by: User | None = None

    @property
    def id(self) -> int:
        return self.check.pk

    @property
    def reference(self) -> str:
        return self.check.contact.reference

    @property
    def agency_name(self) -> str:
        return self.check.agency.name

    @property
    def rag(self) -> Tag:
        return rag_tag(self.check.contact.rag_level)

    @property
    def is_open(self) -> bool:
        return self.check.is_open

    @property
    def is_completed(self) -> bool:
        return self.check.state == CheckState.COMPLETED

    @property
    def is_waived(self) -> bool:
        return self.check.state == CheckState.WAIVED

    @property
    def state(self) -> str:
        return CheckState(self.check.state).label

    @property
    def state_colour(self) -> str:
        return check_state_colour(self.check)

    @property
    def tag(self) -> Tag:
        """Where the check stands, as the decision page tags it."""
        if self.is_completed:
            return Tag("Completed", "green")
        if self.is_waived:
            return Tag("Waived", "grey")
        if is_overdue(self.check.deadline_at, self.now):
            return Tag("Overdue", "red")
        return Tag("Waiting", "blue")

    @property
    def requested(self) -> str:
        return when_text(self.check.requested_at)

    @property
    def deadline(self) -> Deadline:
        return Deadline(self.check.deadline_at, self.now)

    @property
    def is_overdue(self) -> bool:
        return self.check.is_open and self.deadline.is_overdue

    @property
    def finished(self) -> str:
        """When the check was answered, or when the MASH said it was no longer needed."""
        moment = self.check.completed_at or self.check.waived_at
        return when_text(moment) if moment else ""

    @property
    def answered(self) -> str:
        """Who answered or waived the check and when, or when it was asked for."""
        check = self.check
        if check.state == CheckState.COMPLETED:
            if check.completed_by_token is not None:
                who = f"{check.completed_by_token.name} (the agency's system)"
            else:
                who = _name(check.completed_by)
            return f"Completed by {who} at {when_text(check.completed_at)}"
        if check.state == CheckState.WAIVED:
            return f"Waived by {_name(self.waived_by)} at {when_text(check.waived_at)}"
        return f"Requested at {when_text(check.requested_at)}"

    @property
    def waive_reason(self) -> str:
        return self.check.waive_reason

    @property
    def assigned_to(self) -> str:
        """The researcher a MASH manager gave the check to, or "Unassigned"."""
        return assigned_to_text(self.check)

    @property
    def assignment(self) -> str:
        return assignment_text(self.check)

    @property
    def children(self) -> list[ContactPerson]:
        """The children named in the contact (prefetched by the queue's selector), each
        linked to their chronology by the template."""
        return list(getattr(self.check.contact, "children", []))

    @property
    def findings(self) -> list[FindingPresenter]:
        return [
            FindingPresenter(finding, self.agency_name) for finding in self.check.findings.all()
        ]


@dataclass(frozen=True)
class PersonToSearch(PersonPresenter):
    """A person the agency is asked to search its records for."""

    @property
    def postcode(self) -> str:
        return self.person.postcode or "Not known"


@dataclass(frozen=True)
class CheckPagePresenter(CheckPresenter):
    """The check page: who to search for, the concerns, and what the agency found."""

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def people(self) -> list[PersonToSearch]:
        return [PersonToSearch(person, self.today) for person in self.check.contact.people.all()]

    @property
    def concerns(self) -> list[str]:
        return [AssessmentFactor(factor.code).label for factor in self.check.contact.factors.all()]

    @property
    def description(self) -> str:
        return self.check.contact.concern_description

    @property
    def immediate_risk(self) -> bool:
        return self.check.contact.immediate_risk
