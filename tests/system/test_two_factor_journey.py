"""Two-factor sign-in (issue 14, item 1), in the browser.

A new screener signs in for the first time: after her password she is asked to set up an
authenticator app, scans (here: types) the setup key, enters its code, keeps her recovery
codes, and lands on her home page. Next time she signs in with the app's code. When she
has no phone she uses a recovery code, once. When she loses everything an administrator
resets her two-factor sign-in, and she sets up a new app at her next sign-in. Every page
is checked with axe (WCAG 2.2 AA) by the page fixtures.
"""

from base64 import b32decode
from collections.abc import Callable

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.core.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD
from tests.system.conftest import enter_second_factor, expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def set_up_authenticator_app(page: Page) -> list[str]:
    """On the set-up page: types the setup key into "the app" (django-otp's TOTP, as an
    app computes it), enters its code, and returns the recovery codes shown."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect_no_axe_violations(page)
    page.get_by_text("I cannot scan the QR code").click()
    key = page.locator("#setup-key").inner_text().replace(" ", "")
    app = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    page.get_by_label("Code from your authenticator app").fill(f"{app.token():06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect_no_axe_violations(page)
    codes = [code.strip() for code in page.locator(".app-recovery-codes code").all_inner_texts()]
    page.get_by_role("button", name="I have kept my recovery codes").click()
    return codes


def test_a_new_screener_sets_up_an_app_at_first_sign_in_and_signs_in_with_it(
    page: Page, live_server: LiveServer, make_user: Callable[..., User]
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from openmash.core.roles import Role

    # Given a screener who has never signed in (no second factor yet)
    screener = make_user("new_screener", Role.SCREENER)
    TOTPDevice.objects.filter(user=screener).delete()

    # When she signs in with her password and asks for the screening queue
    password(page, live_server, screener.username)

    # Then she must set up an authenticator app first, and does
    codes = set_up_authenticator_app(page)
    assert len(codes) == 10
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
    expect_no_axe_violations(page)

    # And next time she signs in with the app's code
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, screener.username, PASSWORD)

    # And her account shows her factor and her recovery codes left
    page.goto(f"{live_server.url}/accounts/")
    page.get_by_role(
        "link", name="Your authenticator apps, security keys and recovery codes"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    expect(page.locator("#recovery-codes-left")).to_have_text("10")
    expect_no_axe_violations(page)


def test_a_screener_without_her_phone_signs_in_with_a_recovery_code_once(
    page: Page, live_server: LiveServer, make_user: Callable[..., User]
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from openmash.core.roles import Role

    screener = make_user("phoneless", Role.SCREENER)
    TOTPDevice.objects.filter(user=screener).delete()
    password(page, live_server, screener.username)
    codes = set_up_authenticator_app(page)
    page.get_by_role("button", name="Sign out").click()

    # Given she has left her phone at home
    password(page, live_server, screener.username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")

    # When she uses a recovery code
    page.get_by_text("I cannot use my authenticator app").click()
    expect_no_axe_violations(page)
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()

    # Then she is in, and told how many she has left
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
    expect(page.locator("main")).to_contain_text("You have 9 recovery codes left")
    expect_no_axe_violations(page)

    # And the same code does not work again
    page.get_by_role("button", name="Sign out").click()
    password(page, live_server, screener.username)
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    expect_no_axe_violations(page)
    # (the error summary's link takes her to the field)
    page.locator(".govuk-error-summary a").click()
    expect(page.get_by_label("Code", exact=True)).to_be_focused()


def test_an_administrator_resets_a_screeners_factors(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    screener, administrator = personas["screener"], personas["administrator"]

    # Given a screener who has lost her phone and her recovery codes, and has told an
    # administrator, who opens the reset page for her
    admin_page = new_page()
    sign_in(admin_page, live_server, administrator.username, PASSWORD)
    admin_page.goto(f"{live_server.url}/accounts/two-factor/users/{screener.pk}/reset/")
    expect(admin_page.get_by_role("heading", level=1)).to_have_text(
        "Reset their two-factor sign-in"
    )
    expect_no_axe_violations(admin_page)

    # When the administrator resets it
    admin_page.get_by_role("button", name="Reset two-factor sign-in").click()

    # Then it is done, and in the audit log
    expect(admin_page.locator(".govuk-notification-banner")).to_contain_text(
        "second factors have been reset"
    )
    expect_no_axe_violations(admin_page)
    [reset] = AuditEvent.objects.filter(action=AuditAction.DELETE, object_type="two_factor_device")
    assert reset.actor_user == administrator and reset.detail["user"] == screener.pk

    # And at her next sign-in she sets up a new app before anything else
    password(page, live_server, screener.username)
    set_up_authenticator_app(page)
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")


def test_sign_in_helper_uses_the_second_factor(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    """The journeys' sign_in goes through the code page as a person would, twice in a
    row as the same person (each code works once)."""
    for _ in range(2):
        sign_in(page, live_server, "manager", PASSWORD)
        page.get_by_role("button", name="Sign out").click()
    password(page, live_server, "manager")
    enter_second_factor(page, "manager")
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
