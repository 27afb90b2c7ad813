"""Personas named after MASH roles, shared by every test."""

from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

import pytest
from django.test import Client

from openmash.accounts.models import Agency, ApiToken, User
from openmash.accounts.services import agency_create, api_token_issue, user_create
from openmash.area.models import EmergencyDutyTeam
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.roles import AgencyType, Role
from tests.factories import a_submission
from tests.fake_notify import TEMPLATE_ID, FakeNotify, FakeNotifyServer

# The local OpenID Connect provider and single sign-on pointed at it (tests/oidc_provider).
from tests.oidc_provider.fixtures import oidc_provider, sso  # noqa: F401
from tests.two_factor_codes import authenticator_of, verify_session

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """The API's rate-limit counters live in the cache (locmem in tests): each test
    starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def throttle_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limits (openmash/accounts/throttle.py) count in fixed windows of the wall
    clock: a minute, API_BAD_TOKEN_MINUTES, an hour. A test whose requests straddle the
    end of a window sees the count start again and no 429 (reproduced with the clock half
    a second before the hour). Their clock is held half a minute into the half hour of the
    hour the test runs in: inside every window, whenever the suite runs."""
    import time
    from types import SimpleNamespace

    held = time.time() // 3600 * 3600 + 1830
    monkeypatch.setattr("openmash.accounts.throttle.time", SimpleNamespace(time=lambda: held))


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

    from openmash.area.models import ConcernRule, ProtectiveMarking, RagLevel

    if not RagLevel.objects.exists():
        import_module("openmash.area.migrations.0002_defaults").add_defaults(apps, None)
        import_module("openmash.area.migrations.0004_outcome_kind").set_default_kinds(apps, None)
    if not ConcernRule.objects.exists():
        import_module("openmash.area.migrations.0003_concern_rules").add_default_rules(apps, None)
    if not ProtectiveMarking.objects.exists():
        import_module("openmash.area.migrations.0008_protective_marking").create_default(apps, None)


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
        user = user_create(
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
        # Set up already, as for anyone who has signed in before: every persona signs in
        # with their password and a code from their authenticator app.
        authenticator_of(user)
        return user

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
    "ig_officer": (Role.INFORMATION_GOVERNANCE, "csc"),
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
def ig_officer(personas: dict[str, User]) -> User:
    return personas["ig_officer"]


@pytest.fixture
def police_token(agencies: dict[str, Agency]) -> tuple[ApiToken, str]:
    return api_token_issue(agency=agencies["police"], name="Police case system", issued_by="test")


@pytest.fixture
def school_contact(school_referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    return contact


def signed_in(user: User) -> Client:
    """A test client signed in as `user` and past their second factor (their authenticator
    app, set up if they had none: tests/two_factor_codes.py)."""
    client = Client()
    client.force_login(user)
    verify_session(client, user)
    return client


@pytest.fixture
def fake_notify(settings: Any) -> Iterator[FakeNotify]:
    """A local fake GOV.UK Notify, and the settings that send every message through it
    (tests/fake_notify.py)."""
    with FakeNotifyServer() as fake:
        settings.NOTIFY_API_KEY = fake.api_key
        settings.NOTIFY_BASE_URL = fake.base_url
        settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
        yield fake


@pytest.fixture
def emergency_duty_team(db: None) -> EmergencyDutyTeam:
    """The area's emergency duty team: out-of-hours acknowledgements and alerts start
    once it is set up."""
    return EmergencyDutyTeam.objects.create(
        name="Eastbridge emergency duty team", phone="0300 123 4567", email="edt@eastbridge.gov.uk"
    )
