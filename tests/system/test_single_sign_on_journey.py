"""Signing in through the area's own identity provider (issue 14, item 2).

A screener at Northshire County Council signs in to OpenMASH with her work account at
the council's OpenID Connect provider (the local django-oauth-toolkit provider,
tests/oidc_provider, standing in for Entra ID), lands with the role her group gives
her, works, and signs out of both. Someone whose groups give no access is told so.
The pages run under OpenMASH's real Content Security Policy (the sign-out's redirect to
the provider must not be blocked), and every page, the provider's included, is checked
with axe at desktop width and at 390 x 844.
"""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.roles import Role
from tests.oidc_provider.fixtures import (
    NOT_FOR_OPENMASH,
    PROVIDER_NAME,
    PROVIDER_PASSWORD,
    SCREENERS,
    OidcProvider,
    point_at,
)
from tests.system.conftest import expect_no_axe_violations, go_to_page, service_navigation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(
    oidc_provider: OidcProvider, live_server: LiveServer, settings: Any, agencies: dict[str, Agency]
) -> OidcProvider:
    """The provider, knowing OpenMASH at the live server's address, and OpenMASH's
    single sign-on pointed at it."""
    oidc_provider.reset()
    oidc_provider.register_client(
        redirect_uris=[f"{live_server.url}/accounts/sso/callback/"],
        post_logout_redirect_uris=[f"{live_server.url}/accounts/sign-in/"],
    )
    point_at(settings, oidc_provider)
    # The provider asks for a second factor itself, so OpenMASH does not ask again
    # (test_two_factor_journey.py signs in with OpenMASH's own second factor).
    settings.OIDC_IDP_ENFORCES_MFA = True
    return oidc_provider


def csp_enforced_page(new_page: Callable[..., Page]) -> tuple[Page, list[str]]:
    page = new_page(bypass_csp=False)
    reports: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            reports.append(message.text)

    page.on("console", on_console)
    return page, reports


def sign_in_at_the_provider(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/sign-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")
    expect_no_axe_violations(page)
    page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your organisation")
    page.get_by_label("Work username").fill(username)
    page.get_by_label("Work password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_a_screener_signs_in_with_her_work_account_and_works_as_a_screener(
    new_page: Callable[..., Page], live_server: LiveServer, provider: OidcProvider
) -> None:
    # Given a screener in the council's screeners group, with no OpenMASH account yet
    provider.add_user("alice.okafor", groups=[SCREENERS], given_name="Alice", family_name="Okafor")
    page, csp_reports = csp_enforced_page(new_page)

    # When she chooses her council's sign-in and signs in there
    sign_in_at_the_provider(page, live_server, "alice.okafor")

    # Then she is in OpenMASH, in children's social care
    expect(page.locator(".app-account-bar__name")).to_have_text(
        "Signed in as Alice Okafor, Children's Social Care"
    )
    expect_no_axe_violations(page)

    # And she has a screener's pages, and not a manager's
    navigation = service_navigation(page)
    expect(navigation.get_by_role("link", name="Reports")).to_have_count(0)
    expect(navigation.get_by_role("link", name="Performance")).to_have_count(0)
    go_to_page(page, "Screening queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening queue")
    expect_no_axe_violations(page)
    alice = User.objects.get(username="alice.okafor")
    assert set(alice.role_grants.values_list("role", flat=True)) == {Role.SCREENER}

    # When she signs out
    page.get_by_role("button", name="Sign out").click()

    # Then her council's provider asks to end her session there too, and she agrees
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of your organisation?")
    page.get_by_role("button", name="Sign out").click()

    # And she is back at OpenMASH's sign-in page, signed out
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")
    expect(page.locator(".app-account-bar")).to_have_count(0)
    assert csp_reports == []
    actions = list(
        AuditEvent.objects.filter(object_type="user", object_id=str(alice.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATE, AuditAction.SIGN_IN, AuditAction.SIGN_OUT]


def test_someone_whose_groups_give_no_access_is_told_so(
    new_page: Callable[..., Page], live_server: LiveServer, provider: OidcProvider
) -> None:
    # Given a council employee in no group that gives access to OpenMASH
    provider.add_user("sam.other", groups=[NOT_FOR_OPENMASH])
    page, csp_reports = csp_enforced_page(new_page)

    # When they sign in with their work account
    sign_in_at_the_provider(page, live_server, "sam.other")

    # Then OpenMASH says they have no access and what to do, and has no account for them
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to OpenMASH")
    expect(page.locator("main")).to_contain_text("ask your IT service desk")
    expect(page.locator(".app-account-bar")).to_have_count(0)
    expect_no_axe_violations(page)
    assert not User.objects.exists()
    assert csp_reports == []
