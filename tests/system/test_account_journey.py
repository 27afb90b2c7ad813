"""A person's own account in the browser (issue 14, item 4; issue 16, item 6).

- A screener who has forgotten her password asks for a link from the sign-in page, opens
  the emailed link (read from the email backend: the live server runs in this process, so
  Django's locmem outbox is the one the test reads), sets a new password and signs in
  with it.
- She changes her password from "Your account", getting the current one wrong first.
- Signed in on two browsers, she sees both sessions in her list and signs the other one
  out; that browser is sent to sign in.
- A referrer is asked before a draft contact is thrown away, and can go back to it.

Every page is checked with axe, on a desktop screen and a 390 x 844 phone.
"""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import ContactDraft
from tests.conftest import PASSWORD
from tests.system.conftest import enter_second_factor, expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "kettle-orchard-lantern-42"
LINK = re.compile(r"https?://\S+/accounts/reset/\S+/")
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_a_screener_sets_a_new_password_from_an_emailed_link(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    screener = personas["screener"]

    # Given a screener on the sign-in page who has forgotten her password
    page.goto(f"{live_server.url}/accounts/sign-in/")
    expect_no_axe_violations(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten your password?")
    expect_no_axe_violations(page)

    # When she sends the form without an address, she is told what to do
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    expect_no_axe_violations(page)

    # And when she gives her address, she is told to check her email
    page.get_by_label("Email address").fill(screener.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect_no_axe_violations(page)

    # Then the email holds a link that works once, for an hour
    [email] = mail.outbox
    assert email.to == [screener.email]
    assert "works once, for 60 minutes" in email.body
    match = LINK.search(email.body)
    assert match, email.body

    # When she opens it and sets a new password
    page.goto(match.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    expect_no_axe_violations(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()

    # Then she is back at sign-in, told it worked, and signs in with the new password
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your password has been changed"
    )
    expect_no_axe_violations(page)
    page.get_by_label("Username").fill(screener.username)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_second_factor(page, screener.username)
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
    expect_no_axe_violations(page)

    # And the link does not work a second time
    page.goto(match.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("The link has expired or been used")
    expect_no_axe_violations(page)


def test_a_screener_changes_her_password_from_her_account(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given a signed-in screener on her account page
    sign_in(page, live_server, "screener", PASSWORD)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect_no_axe_violations(page)
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    expect_no_axe_violations(page)

    # When she gets her current password wrong
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()

    # Then she is told so, and the link in the summary takes her to the box
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Your current password is not right")
    expect_no_axe_violations(page)
    summary.get_by_role("link", name="Your current password is not right").click()
    expect(page.get_by_label("Current password")).to_be_focused()

    # When she types it right
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()

    # Then her account page says it is changed, and she is still signed in
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your password has been changed."
    )
    expect_no_axe_violations(page)
    personas["screener"].refresh_from_db()
    assert personas["screener"].check_password(NEW_PASSWORD)


def test_a_screener_signs_out_of_a_session_on_another_device(
    new_page: Callable[..., Page], live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given a screener signed in on her desktop and on her phone
    desktop = new_page(user_agent=CHROME_ON_WINDOWS)
    phone = new_page(user_agent=SAFARI_ON_IPHONE)
    sign_in(phone, live_server, "screener", PASSWORD)
    sign_in(desktop, live_server, "screener", PASSWORD)

    # When, on the desktop, she looks at where she is signed in
    desktop.get_by_role("link", name="Your account").click()
    expect(desktop.get_by_role("main")).to_contain_text("You are signed in in 2 places")
    expect_no_axe_violations(desktop)
    desktop.get_by_role("link", name="See where you are signed in").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Where you are signed in")

    # Then she sees both sessions, this one first and marked
    sessions = desktop.get_by_test_id("session")
    expect(sessions).to_have_count(2)
    expect(sessions.nth(0)).to_contain_text("Chrome on Windows")
    expect(sessions.nth(0)).to_contain_text("This session")
    expect(sessions.nth(1)).to_contain_text("Safari on iPhone")
    expect(sessions.nth(1)).to_contain_text("127.0.x.x")
    expect_no_axe_violations(desktop)

    # When she signs the phone's session out
    sessions.nth(1).get_by_role("button", name=re.compile(r"^Sign out of Safari on iPhone")).click()

    # Then only this session is left
    expect(desktop.locator(".govuk-notification-banner")).to_contain_text(
        "You have signed out of that session."
    )
    expect(desktop.get_by_test_id("session")).to_have_count(1)
    expect(desktop.get_by_role("main")).to_contain_text("You are not signed in anywhere else.")
    expect_no_axe_violations(desktop)

    # And the phone is sent to sign in at its next page
    phone.reload()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")


def test_a_referrer_is_asked_before_a_draft_is_discarded(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given a referrer who has started a contact
    sign_in(page, live_server, "school_referrer", PASSWORD)
    page.goto(f"{live_server.url}/contacts/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
    expect_no_axe_violations(page)
    page.get_by_label("Describe the concern").fill("Amy has been hungry all week.")

    # When she presses "Discard draft"
    page.get_by_role("button", name="Discard draft").click()

    # Then she is asked first, and warned it cannot be undone
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to discard your draft?"
    )
    expect(page.locator(".govuk-warning-text")).to_contain_text("You cannot undo this.")
    expect_no_axe_violations(page)

    # When she goes back, what she typed is still there
    page.get_by_role("link", name="No, go back to the contact").click()
    expect(page.get_by_label("Describe the concern")).to_have_value("Amy has been hungry all week.")

    # And when she discards it after all, the form is empty and the draft gone
    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to discard your draft?"
    )
    page.get_by_role("button", name="Yes, discard the draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your draft has been discarded."
    )
    expect(page.get_by_label("Describe the concern")).to_have_value("")
    expect_no_axe_violations(page)
    assert not ContactDraft.objects.exists()
