"""The referrer adding information to their open contact, in the browser (issue 13, item 3).

A school's referrer made a contact, which a screener has taken. The referrer opens it from
their contacts, tries to add nothing (the error is shown by the field), then adds what the
child's mother told them, and sees it listed. The screener who took it is emailed; in the
queue the contact shows "New information", and on the screening page what was added is
marked new, still after a reload (reading writes nothing), until they press "Mark as read".
Every page visited is checked with axe.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact, ContactAddition
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import Message
from tests.conftest import PASSWORD
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDED = "Mum rang this morning: Amy is staying with her gran at 4 Mill Lane until Friday."


def test_the_referrer_adds_information_and_the_screener_sees_it_marked_new(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    referrer = personas["school_referrer"]
    screener = personas["screener"]
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    # Given a screener has taken it
    Contact.objects.filter(pk=contact.pk).update(assigned_to=screener, state=ContactState.SCREENING)

    # When the referrer opens their contact
    sign_in(page, live_server, "school_referrer", PASSWORD)
    page.goto(f"{live_server.url}/contacts/{contact.reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(contact.reference)
    expect(page.locator("#additions")).to_have_text("Information added since")
    expect_no_axe_violations(page)

    # And adds nothing
    page.get_by_role("button", name="Add information").click()
    # Then the error is shown, linked to the field
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the information you want to add")
    expect_no_axe_violations(page)
    summary.get_by_role("link", name="Enter the information you want to add").click()
    expect(page.get_by_label("Information to add")).to_be_focused()
    assert not ContactAddition.objects.exists()

    # When they type what the mother told them and add it
    page.get_by_label("Information to add").fill(ADDED)
    page.get_by_role("button", name="Add information").click()

    # Then it is added and listed on their contact's page
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your information has been added"
    )
    expect(page.locator("main")).to_contain_text(ADDED)
    expect_no_axe_violations(page)
    # ... and the screener who took it is told by email, which says nothing of the child
    message = Message.objects.get(contact=contact)
    assert message.to_user == screener
    assert "Mill Lane" not in message.body

    # When the screener opens the queue (in another browser)
    screener_page = new_page()
    sign_in(screener_page, live_server, "screener", PASSWORD)
    screener_page.goto(f"{live_server.url}/mash/queue/")
    # Then the contact shows new information
    row = screener_page.get_by_role("row").filter(has_text=contact.reference)
    expect(row.get_by_test_id("new-information-tag")).to_have_text("New information")
    expect_no_axe_violations(screener_page)

    # When they open the screening page
    screener_page.goto(f"{live_server.url}/mash/contacts/{contact.reference}/")
    # Then what was added is shown, marked new
    additions = screener_page.get_by_test_id("additions")
    expect(additions).to_contain_text(ADDED)
    expect(additions.get_by_test_id("addition-new")).to_have_text("New")
    expect_no_axe_violations(screener_page)

    # And opening the page again does not change that: reading writes nothing
    screener_page.reload()
    expect(screener_page.get_by_test_id("addition-new")).to_have_text("New")

    # When they mark it as read
    screener_page.get_by_role("button", name="Mark as read").click()
    # Then it is no longer new, on the page or in the queue
    expect(screener_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "marked as read"
    )
    expect(screener_page.get_by_test_id("additions")).to_contain_text(ADDED)
    expect(screener_page.get_by_test_id("addition-new")).to_have_count(0)
    screener_page.goto(f"{live_server.url}/mash/queue/")
    row = screener_page.get_by_role("row").filter(has_text=contact.reference)
    expect(row).to_be_visible()
    expect(row.get_by_test_id("new-information-tag")).to_have_count(0)
