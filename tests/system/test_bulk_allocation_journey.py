"""Bulk allocation from the queue, in the browser (issue 13, item 4).

Three contacts are open and nobody has taken them. The MASH manager opens the screening
queue, first presses "Assign selected" with nothing chosen and sees both field errors,
then ticks two contacts, chooses the screener (shown with their count of open contacts)
and assigns them. The queue shows both assigned to the screener and the third still
unassigned; the screener is emailed about each. The screener signs in and, filtering the
queue to "Me", sees exactly those two as theirs. Every page is checked with axe.
"""

from collections.abc import Callable

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from tests.conftest import PASSWORD
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contact(referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    return contact


def test_a_manager_assigns_two_contacts_from_the_queue_and_the_screener_sees_them_as_theirs(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    referrer, screener, manager = (
        personas["school_referrer"],
        personas["screener"],
        personas["manager"],
    )
    first, second, third = (_contact(referrer) for _ in range(3))
    mail.outbox.clear()

    # The manager opens the queue
    sign_in(page, live_server, manager.username, PASSWORD)
    page.goto(f"{live_server.url}/mash/queue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening queue")
    expect(page.locator("table.govuk-table tbody tr")).to_have_count(3)
    expect_no_axe_violations(page)

    # Nothing chosen: both field errors, in the summary and beside the fields
    page.get_by_role("button", name="Assign selected").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the contacts to assign")
    expect(summary).to_contain_text("Select the worker to assign to")
    expect(page.locator(".govuk-error-message")).to_have_count(2)
    expect_no_axe_violations(page)

    # Two ticked, the screener chosen (with their open work shown), assigned
    page.get_by_label(f"Select {first.reference}").check()
    page.get_by_label(f"Select {second.reference}").check()
    select = page.get_by_label("Assign selected to")
    expect(select.locator("option", has_text=screener.display_name)).to_contain_text(
        "(0 open contacts)"
    )
    select.select_option(label=f"{screener.display_name} (0 open contacts)")
    page.get_by_role("button", name="Assign selected").click()

    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(
        f"Assigned {first.reference} and {second.reference} to {screener.display_name}."
    )
    for contact, who in (
        (first, screener.display_name),
        (second, screener.display_name),
        (third, "Unassigned"),
    ):
        row = page.locator("table.govuk-table tbody tr", has_text=contact.reference)
        expect(row).to_contain_text(who)
    expect(
        page.get_by_label("Assign selected to").locator("option", has_text=screener.display_name)
    ).to_contain_text("(2 open contacts)")
    expect_no_axe_violations(page)

    # The screener is told about each
    told = [email.subject for email in mail.outbox if email.to == [screener.email]]
    assert sorted(told) == sorted(
        f"{contact.reference} has been assigned to you" for contact in (first, second)
    )

    # The screener sees them as theirs
    screener_page = new_page()
    sign_in(screener_page, live_server, screener.username, PASSWORD)
    screener_page.goto(f"{live_server.url}/mash/queue/?assigned=me")
    rows = screener_page.locator("table.govuk-table tbody tr")
    expect(rows).to_have_count(2)
    expect(screener_page.locator("table.govuk-table tbody")).to_contain_text(first.reference)
    expect(screener_page.locator("table.govuk-table tbody")).to_contain_text(second.reference)
    # A screener has no bulk allocation form
    expect(screener_page.get_by_role("button", name="Assign selected")).to_have_count(0)
    expect_no_axe_violations(screener_page)
