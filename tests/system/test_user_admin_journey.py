"""An administrator adds a screener from the health agency and gives her a role, in the
browser (issue 16, item 5): through Administration > Users, getting the form wrong first,
then seeing her on the Roles page under the screener role; then deactivates the account
after a confirmation. Every page is checked with axe (WCAG 2.2 AA), on a desktop screen
and a 390 x 844 phone."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from tests.conftest import PASSWORD
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_screener_from_the_health_agency(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given an administrator on the list of users
    sign_in(page, live_server, "administrator", PASSWORD)
    go_to_page(page, "Users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect_no_axe_violations(page)

    # When she adds a user without saying who they are or what they do
    page.get_by_role("button", name="Add a user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a user")
    expect_no_axe_violations(page)
    page.get_by_label("First name").fill("Grace")
    page.get_by_role("button", name="Add user").click()

    # Then she is told what is missing, and what she typed is kept
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter their last name")
    expect(summary).to_contain_text("Select at least one role")
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect_no_axe_violations(page)
    summary.get_by_role("link", name="Select at least one role").click()
    # (the first of the roles' boxes, as the GOV.UK error summary links)
    expect(page.get_by_role("checkbox").first).to_be_focused()

    # When she gives the screener's details, the health agency and the screener role
    page.get_by_label("Last name").fill("Adeyemi")
    page.get_by_label("Username").fill("grace.adeyemi")
    page.get_by_label("Email address").fill("grace.adeyemi@health.example.nhs.uk")
    page.get_by_label("Agency", exact=True).select_option(label="Health")
    page.get_by_label("Screener", exact=True).check()
    page.get_by_role("button", name="Add user").click()

    # Then the new user's page says she was added and emailed a link to set a password
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Adeyemi")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "emailed them a link to set their password"
    )
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("Health")
    expect(details).to_contain_text("Screener")
    expect_no_axe_violations(page)
    [email] = mail.outbox
    assert email.to == ["grace.adeyemi@health.example.nhs.uk"]
    assert re.search(r"/accounts/reset/\S+/", email.body)
    grace = User.objects.get(username="grace.adeyemi")
    assert grace.agency is not None and grace.agency.slug == "health"
    assert grace.roles == frozenset({"screener"})

    # And the Roles page shows her among those who hold the screener role
    go_to_page(page, "Roles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Roles")
    screeners = page.get_by_role("region", name="Screener", exact=True)
    expect(screeners.get_by_role("link", name="Grace Adeyemi")).to_be_visible()
    expect(screeners).to_contain_text("Screening queue")
    expect_no_axe_violations(page)

    # When she deactivates the account, she is asked first, with a red button
    screeners.get_by_role("link", name="Grace Adeyemi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Adeyemi")
    page.get_by_role("button", name="Deactivate account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deactivate Grace Adeyemi's account")
    expect_no_axe_violations(page)
    page.get_by_label("Left the service or changed job").check()
    page.get_by_role("button", name="Deactivate account").click()

    # Then the account is deactivated, and the page offers to reactivate it
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Grace Adeyemi's account has been deactivated"
    )
    expect(page.get_by_role("button", name="Reactivate account")).to_be_visible()
    expect_no_axe_violations(page)
    assert not User.objects.get(pk=grace.pk).is_active
