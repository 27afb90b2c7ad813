"""Security keys and passkeys as a second factor (issue 14, item 1), in the browser.

Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain) stands in for
the person's security key or their laptop's fingerprint reader: the browser talks to it
exactly as to a real one, and the server checks its real signatures. The pages run under
OpenMASH's own Content Security Policy (these contexts do not bypass it), and any script
the policy refused would fail the journey. Every page is checked with axe (WCAG 2.2 AA),
on a desktop and a 390 px phone screen.
"""

import re
from collections.abc import Callable

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import CDPSession, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.roles import Role
from tests.conftest import PASSWORD
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def with_policy(new_page: Callable[..., Page]) -> tuple[Page, list[str]]:
    """A page that keeps the site's Content Security Policy, and the policy's refusals
    the browser reports on its console."""
    page = new_page(bypass_csp=False)
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", watch)
    return page, refused


def virtual_authenticator(page: Page, transport: str) -> CDPSession:
    """A virtual authenticator in the page's browser tab: a USB security key ("usb") or
    a laptop's built-in fingerprint reader ("internal"), its user always present and
    verified."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": transport,
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def expect_past_the_second_factor(page: Page) -> None:
    """Signed in and on a page beyond the second factor (the account bar shows on the
    second factor's own pages too)."""
    expect(page).not_to_have_url(re.compile(r"/accounts/two-factor/(verify|security-keys)/"))
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")


def password(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def add_security_key(page: Page, name: str) -> None:
    """From the page asking for a name: names the key, and uses it when the browser
    asks."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security key or passkey")
    page.get_by_label("What do you want to call this security key or passkey?").fill(name)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your security key")
    expect(page.locator(".govuk-caption-l")).to_contain_text(name)
    expect_no_axe_violations(page)
    page.get_by_role("button", name="Use your security key").click()


def test_a_new_screener_adds_a_security_key_at_first_sign_in_and_signs_in_with_it(
    new_page: Callable[..., Page], live_server: LiveServer, make_user: Callable[..., User]
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert live_server.url.startswith("http://localhost:"), (
        "WebAuthn needs a secure context and a domain: http://localhost is both, "
        "http://127.0.0.1 is not a valid relying party id"
    )
    page, refused = with_policy(new_page)
    virtual_authenticator(page, "usb")

    # Given a screener who has never signed in (no second factor yet)
    screener = make_user("key_screener", Role.SCREENER)
    TOTPDevice.objects.filter(user=screener).delete()

    # When she signs in with her password, she is asked to set up a second factor, and
    # chooses a security key instead of an app
    password(page, live_server, screener.username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    page.get_by_role("link", name="use a security key or passkey instead").click()

    # (a name is needed: the error summary says so and takes her to the field)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a name for your security key or passkey"
    )
    expect_no_axe_violations(page)
    page.locator(".govuk-error-summary a").click()
    expect(
        page.get_by_label("What do you want to call this security key or passkey?")
    ).to_be_focused()

    # And she names it and touches it when the browser asks
    add_security_key(page, "Blue USB key")

    # Then she is given recovery codes, and is in
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect_no_axe_violations(page)
    assert page.locator(".app-recovery-codes code").count() == 10
    page.get_by_role("button", name="I have kept my recovery codes").click()
    expect_past_the_second_factor(page)
    [key] = WebAuthnCredential.objects.filter(user=screener)
    assert key.name == "Blue USB key" and key.confirmed

    # And her two-factor page lists the key, not used yet
    page.goto(f"{live_server.url}/accounts/")
    page.get_by_role(
        "link", name="Your authenticator apps, security keys and recovery codes"
    ).click()
    keys = page.locator("#security-keys")
    expect(keys).to_contain_text("Blue USB key")
    expect(keys).to_contain_text("Not used yet")
    expect_no_axe_violations(page)

    # When she signs out and signs in again, she uses her key after her password
    page.get_by_role("button", name="Sign out").click()
    password(page, live_server, screener.username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your security key")
    expect_no_axe_violations(page)
    page.get_by_role("button", name="Use your security key").click()

    # Then she is in, and the sign-in is in the audit log with the factor used
    expect_past_the_second_factor(page)
    signed_in = AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN, object_type="user", object_id=str(screener.pk)
    )
    assert [event.detail for event in signed_in if "second_factor" in event.detail] == [
        {"second_factor": "security key"}
    ]
    page.goto(f"{live_server.url}/accounts/two-factor/")
    expect(keys).not_to_contain_text("Not used yet")

    # And when she removes it, she is asked first, and warned it is her only factor
    page.get_by_role("link", name="Remove Blue USB key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to remove this security key?"
    )
    expect(page.locator(".govuk-warning-text")).to_contain_text("your only second factor")
    expect_no_axe_violations(page)
    page.get_by_role("button", name="Remove security key").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Blue USB key, has been removed"
    )
    # (with no second factor left, she must set up a new one before anything else)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    assert not WebAuthnCredential.objects.filter(user=screener).exists()
    assert refused == [], refused


def test_a_manager_with_an_app_adds_a_passkey_and_can_still_use_a_code(
    new_page: Callable[..., Page], live_server: LiveServer, personas: dict[str, User]
) -> None:
    page, refused = with_policy(new_page)
    virtual_authenticator(page, "internal")

    # Given a manager who signs in with her authenticator app
    sign_in(page, live_server, "manager", PASSWORD)

    # When she adds her laptop's fingerprint reader as a passkey from her two-factor page
    page.goto(f"{live_server.url}/accounts/two-factor/")
    expect(page.get_by_text("You have not added a security key or passkey.")).to_be_visible()
    page.get_by_role("button", name="Add a security key or passkey").click()
    add_security_key(page, "Work laptop fingerprint")

    # Then it is added; she had no recovery codes yet, so she is given them
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Work laptop fingerprint, has been added"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    page.get_by_role("button", name="I have kept my recovery codes").click()
    page.goto(f"{live_server.url}/accounts/two-factor/")
    expect(page.locator("#security-keys")).to_contain_text("Work laptop fingerprint")
    expect_no_axe_violations(page)

    # And adding the same passkey twice is refused by the browser, and she is told why
    page.get_by_role("button", name="Add a security key or passkey").click()
    add_security_key(page, "Same laptop again")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("already added to your account")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Use your security key"))
    expect_no_axe_violations(page)
    summary.get_by_role("link").click()
    expect(page.get_by_role("button", name="Use your security key")).to_be_focused()
    assert WebAuthnCredential.objects.filter(user=personas["manager"]).count() == 1

    # And next time she is offered the key first, and signs in with it
    page.get_by_role("button", name="Sign out").click()
    password(page, live_server, "manager")
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your security key")
    page.get_by_role("button", name="Use your security key").click()
    expect_past_the_second_factor(page)

    # And she can still sign in with her app's code from the same page
    page.get_by_role("button", name="Sign out").click()
    password(page, live_server, "manager")
    from tests.two_factor_codes import code_for

    page.get_by_label("Code", exact=True).fill(code_for(personas["manager"]))
    page.get_by_role("button", name="Continue").click()
    expect_past_the_second_factor(page)
    assert refused == [], refused
