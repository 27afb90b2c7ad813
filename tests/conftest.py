"""Personas named after MASH roles, shared by every test."""

from collections.abc import Callable
from importlib import import_module

import pytest
from django.test import Client

from openmash.accounts.models import Agency, ApiToken, User
from openmash.accounts.services import agency_create, api_token_issue, user_create
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.roles import AgencyType, Role
from tests.factories import a_submission

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def area_defaults(request: pytest.FixtureRequest) -> None:
    """The area's default configuration (RAG levels, calendar, levels of need, outcomes).

    Migration area 0002 loads it, but tests on a transactional database (the browser
    tests' live server) empty every table when they end; put it back for whoever is next.
    """
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
    elif names & {"transactional_db", "live_server"}:
        request.getfixturevalue("transactional_db")
    elif names & {"db", "django_db_serialized_rollback"}:
        request.getfixturevalue("db")
    else:
        return
    from django.apps import apps

    from openmash.area.models import ConcernRule, RagLevel

    if not RagLevel.objects.exists():
        import_module("openmash.area.migrations.0002_defaults").add_defaults(apps, None)
        import_module("openmash.area.migrations.0004_outcome_kind").set_default_kinds(apps, None)
    if not ConcernRule.objects.exists():
        import_module("openmash.area.migrations.0003_concern_rules").add_default_rules(apps, None)


@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    specs = [
        ("Children's Social Care", "csc", AgencyType.CHILDRENS_SOCIAL_CARE, True, "5A"),
        ("Police", "police", AgencyType.POLICE, True, "6"),
        ("Health", "health", AgencyType.HEALTH, True, "3F"),
        ("Early Help", "early-help", AgencyType.EARLY_HELP, True, "5D"),
        ("Education Safeguarding", "education", AgencyType.EDUCATION, True, "2B"),
        ("Probation Service", "probation", AgencyType.PROBATION, True, "7"),
        ("Riverside Primary School", "riverside", AgencyType.EDUCATION, False, "2A"),
        ("Hillview Academy", "hillview", AgencyType.EDUCATION, False, "2A"),
    ]
    return {
        slug: agency_create(
            actor=None,
            name=name,
            slug=slug,
            agency_type=kind,
            is_mash_partner=partner,
            default_referral_source=source,
        )
        for name, slug, kind, partner, source in specs
    }


@pytest.fixture
def make_user(agencies: dict[str, Agency]) -> Callable[..., User]:
    def make(username: str, role: Role | None, agency: str = "csc") -> User:
        return user_create(
            actor=None,
            username=username,
            password=PASSWORD,
            agency=agencies[agency],
            roles=[role] if role else [],
            first_name=username.title(),
            last_name="Tester",
            email=f"{username}@example.invalid",
            job_title="Tester",
        )

    return make


# One persona per role, as the MASH would know them.
ROLE_PERSONAS: dict[str, tuple[Role | None, str]] = {
    "screener": (Role.SCREENER, "csc"),
    "manager": (Role.MASH_MANAGER, "csc"),
    "police_researcher": (Role.AGENCY_RESEARCHER, "police"),
    "early_help_coordinator": (Role.EARLY_HELP_COORDINATOR, "early-help"),
    "school_referrer": (Role.REFERRER, "riverside"),
    "analyst": (Role.ANALYST, "csc"),
    "auditor": (Role.AUDITOR, "csc"),
    "administrator": (Role.ADMINISTRATOR, "csc"),
    "no_role": (None, "csc"),
}


@pytest.fixture
def personas(make_user: Callable[..., User]) -> dict[str, User]:
    return {name: make_user(name, role, agency) for name, (role, agency) in ROLE_PERSONAS.items()}


@pytest.fixture
def screener(personas: dict[str, User]) -> User:
    return personas["screener"]


@pytest.fixture
def school_referrer(personas: dict[str, User]) -> User:
    return personas["school_referrer"]


@pytest.fixture
def other_school_referrer(make_user: Callable[..., User]) -> User:
    return make_user("hillview_referrer", Role.REFERRER, "hillview")


@pytest.fixture
def analyst(personas: dict[str, User]) -> User:
    return personas["analyst"]


@pytest.fixture
def auditor(personas: dict[str, User]) -> User:
    return personas["auditor"]


@pytest.fixture
def police_token(agencies: dict[str, Agency]) -> tuple[ApiToken, str]:
    return api_token_issue(agency=agencies["police"], name="Police case system", issued_by="test")


@pytest.fixture
def school_contact(school_referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    return contact


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
