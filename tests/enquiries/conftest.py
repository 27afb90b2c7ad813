"""Fixtures for the MASH enquiry: more partner agencies and their researchers, and
contacts at each step of the workflow, made through the real services."""

from collections.abc import Callable

import pytest

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.roles import Role
from openmash.enquiries.models import AgencyCheck
from openmash.enquiries.services.checks import FindingInput
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.factories import a_submission


@pytest.fixture
def partner_agencies(agencies: dict[str, Agency]) -> dict[str, Agency]:
    """Every test agency; police, health, education and probation are MASH partners."""
    return agencies


@pytest.fixture
def researchers(
    partner_agencies: dict[str, Agency], make_user: Callable[..., User], personas: dict[str, User]
) -> dict[str, User]:
    """One agency researcher per partner agency, keyed by the agency's slug."""
    made = {
        slug: make_user(f"{slug.replace('-', '_')}_researcher", Role.AGENCY_RESEARCHER, slug)
        for slug in ("health", "education", "probation")
    }
    return {"police": personas["police_researcher"], **made}


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas["manager"]


@pytest.fixture
def second_manager(make_user: Callable[..., User]) -> User:
    return make_user("second_manager", Role.MASH_MANAGER)


@pytest.fixture
def second_screener(make_user: Callable[..., User]) -> User:
    return make_user("second_screener", Role.SCREENER)


@pytest.fixture
def early_help_coordinator(personas: dict[str, User]) -> User:
    return personas["early_help_coordinator"]


@pytest.fixture
def new_contact(school_referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    return contact


@pytest.fixture
def rated_contact(new_contact: Contact, screener: User) -> Contact:
    """Taken by the screener and rated amber."""
    contact_take(actor=Actor(user=screener), contact_id=new_contact.pk)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=new_contact.pk,
        rag="amber",
        rationale="Bruising seen twice this term; no immediate risk.",
    )
    new_contact.refresh_from_db()
    return new_contact


@pytest.fixture
def contact_with_checks(
    rated_contact: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> Contact:
    """Amber, with police, health and education asked to check."""
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        agency_ids=[partner_agencies[slug].pk for slug in ("police", "health", "education")],
    )
    rated_contact.refresh_from_db()
    return rated_contact


def check_for(contact: Contact, slug: str) -> AgencyCheck:
    return AgencyCheck.objects.get(contact=contact, agency__slug=slug)


def not_known(
    contact: Contact, lawful_basis: str = "public_task_safeguarding"
) -> list[FindingInput]:
    return [
        FindingInput(person_id=person.pk, known=False, lawful_basis=lawful_basis)
        for person in contact.people.all()
    ]
