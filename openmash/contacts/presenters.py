"""What the contact pages show, worked out here so templates hold no logic."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.area.out_of_hours import OutOfHours
from openmash.contacts.codes import (
    CHILD_ROLES,
    LEVELS_OF_NEED,
    AssessmentFactor,
    Channel,
    ConsentStatus,
    ContactState,
    Disability,
    Ethnicity,
    LawfulBasis,
    PersonRole,
    ReferralSource,
    Sex,
)
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.models import AuditAction, AuditEvent
from openmash.people.identifiers import nhs_number_display


def age_text(person: ContactPerson, today: date) -> str:
    if person.expected_birth_date is not None:
        return f"Unborn, due {person.expected_birth_date:%-d %b %Y}"
    age = person.age_on(today)
    if age is None:
        return "Age not known"
    prefix = "about " if person.date_of_birth is None else ""
    return f"{prefix}{age} year{'s' if age != 1 else ''}"


@dataclass(frozen=True)
class PersonPresenter:
    person: ContactPerson
    today: date

    @property
    def name(self) -> str:
        return self.person.full_name

    @property
    def role(self) -> str:
        return PersonRole(self.person.role).label

    @property
    def age(self) -> str:
        return age_text(self.person, self.today)

    @property
    def label(self) -> str:
        """The name and age as a list shows them: 'Amy Smith (8 years)'."""
        return f"{self.person.full_name} ({self.age})"

    @property
    def is_child(self) -> bool:
        """A child or sibling: the people whose name links to their chronology."""
        return self.person.role in CHILD_ROLES

    @property
    def date_of_birth(self) -> str:
        born = self.person.date_of_birth
        return f"{born:%-d %B %Y}" if born else "Not known"

    @property
    def sex(self) -> str:
        return Sex(self.person.sex).label

    @property
    def address(self) -> str:
        parts = [
            self.person.address_line1,
            self.person.address_line2,
            self.person.town,
            self.person.postcode,
        ]
        return ", ".join(part for part in parts if part) or "Not known"

    @property
    def nhs_number(self) -> str:
        return nhs_number_display(self.person.nhs_number) if self.person.nhs_number else "Not known"

    @property
    def upn(self) -> str:
        return self.person.upn or "Not known"

    @property
    def other_names(self) -> str:
        return self.person.other_names or "None given"

    @property
    def ethnicity(self) -> str:
        code = self.person.ethnicity
        return f"{Ethnicity(code).label} ({code})" if code in Ethnicity.values else "Not known"

    @property
    def first_language(self) -> str:
        return self.person.first_language or "Not known"

    @property
    def disability(self) -> str:
        code = self.person.disability
        return str(Disability(code).label) if code in Disability.values else "Not known"

    @property
    def school_urn(self) -> str:
        return self.person.school_urn or "Not known"

    @property
    def gp_practice(self) -> str:
        return self.person.gp_practice or "Not known"


@dataclass(frozen=True)
class ContactPresenter:
    contact: Contact

    @property
    def today(self) -> date:
        return timezone.localdate()

    @property
    def reference(self) -> str:
        return self.contact.reference

    @property
    def received(self) -> str:
        return f"{timezone.localtime(self.contact.received_at):%-d %b %Y %H:%M}"

    @property
    def state(self) -> str:
        return ContactState(self.contact.state).label

    @property
    def channel(self) -> str:
        return Channel(self.contact.channel).label

    @property
    def source(self) -> str:
        return ReferralSource(self.contact.referral_source).label

    @property
    def people(self) -> list[PersonPresenter]:
        return [PersonPresenter(person, self.today) for person in self.contact.people.all()]

    @property
    def children(self) -> list[PersonPresenter]:
        return [person for person in self.people if person.is_child]

    @property
    def children_summary(self) -> str:
        return "; ".join(child.label for child in self.children)

    @property
    def referrer(self) -> str:
        contact = self.contact
        if contact.referrer_anonymous:
            return "Anonymous"
        parts = [contact.referrer_name, contact.referrer_role, contact.referrer_organisation]
        return ", ".join(part for part in parts if part)

    @property
    def referrer_contact_details(self) -> str:
        parts = [self.contact.referrer_email, self.contact.referrer_phone]
        return ", ".join(part for part in parts if part) or "None given"

    @property
    def concerns(self) -> list[str]:
        return [AssessmentFactor(factor.code).label for factor in self.contact.factors.all()]

    @property
    def immediate_risk(self) -> bool:
        return self.contact.immediate_risk

    @property
    def referrer_level_of_need(self) -> str:
        level = self.contact.referrer_level_of_need
        return LEVELS_OF_NEED.get(level, "Not given") if level else "Not given"

    @property
    def consent(self) -> str:
        return ConsentStatus(self.contact.consent_status).label

    @property
    def lawful_basis(self) -> str:
        return LawfulBasis(self.contact.lawful_basis).label


@dataclass(frozen=True)
class AccessEventPresenter:
    """One line of a child's access log, as an auditor reads it."""

    event: AuditEvent

    @property
    def when(self) -> str:
        return f"{timezone.localtime(self.event.occurred_at):%-d %b %Y %H:%M:%S}"

    @property
    def who(self) -> str:
        event = self.event
        if event.actor_token is not None:
            return f"{event.actor_token.name} (API, {event.actor_token.agency.name})"
        if event.actor_user is not None:
            agency = event.actor_user.agency
            return f"{event.actor_user.display_name} ({agency.name if agency else 'no agency'})"
        return "Unknown"

    @property
    def what(self) -> str:
        return f"{AuditAction(self.event.action).label} {self.event.object_type.replace('_', ' ')}"

    @property
    def where(self) -> str:
        return self.event.ip_address or "Not recorded"


class OutOfHoursPresenter:
    """What the confirmation page tells a referrer whose contact came in while the MASH
    was closed: when it reopens and how to reach the emergency duty team meanwhile."""

    def __init__(self, out_of_hours: OutOfHours) -> None:
        self.team = out_of_hours.team
        self.covers = out_of_hours.covers
        self.reopens = (
            f"{timezone.localtime(out_of_hours.reopens_at, LONDON):%H:%M on %A %-d %B %Y}"
        )

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(c for c in self.team.phone if c.isdigit() or c == "+")
