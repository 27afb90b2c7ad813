"""The information governance officer in the browser (issue 14, items 8 and 9).

A subject access request: from the home page she opens Subject access requests, is told
what is missing when the search is sent empty, searches for "Nina Hall" (what she typed
never appears in any address the browser asked for), chooses Nina's record, is told to
enter the request's reference, then gathers everything into the export, where Nina's
mother and the referrer are marked for redaction.

The retention schedule: she opens it from the home page, sees the dry run list Nina's
2019 contact (by reference, no name) as due, corrects a period she got wrong, and places
a legal hold on the contact, which then shows as held back. Every page is checked with axe
(WCAG 2.2 AA) on a desktop screen and at 390 x 844.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.governance.models import LegalHold, SubjectAccessRequest
from tests.conftest import PASSWORD
from tests.governance.conftest import RetentionHub, at
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPED = ["nina", "hall", "Nina", "Hall"]


@pytest.fixture
def nina(personas: dict[str, User], agencies: dict[str, Agency]) -> Contact:
    """Nina Hall's contact: no further action, closed at screening in January 2019, long
    enough ago for the default schedule; her mother Pat is named in it too."""
    hub = RetentionHub(users=dict(personas), agencies=agencies)
    hub.closed("N", at(2019, 1, 10), ("Nina", "Hall", date(2012, 5, 2)))
    contact = hub.contacts["N"]
    # Closed eight years before today, whenever the test runs.
    Contact.objects.filter(pk=contact.pk).update(closed_at=timezone.now() - timedelta(days=8 * 365))
    return contact


def test_an_officer_gathers_everything_held_about_a_child(
    page: Page, live_server: LiveServer, nina: Contact, ig_officer: User
) -> None:
    requested: list[str] = []

    def seen(request: Request) -> None:
        requested.append(request.url)

    page.on("request", seen)
    sign_in(page, live_server, ig_officer.username, PASSWORD)

    # Given the subject access page, opened from the home page
    page.get_by_role("link", name="Subject access requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subject access requests")

    # When she searches with nothing typed, she is told what to do
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter at least one thing you know about the person"
    )
    expect_no_axe_violations(page)

    # When she searches by name
    page.get_by_label("Name", exact=True).fill("Nina Hall")
    page.get_by_role("button", name="Search").click()

    # Then the results' address holds an opaque id, never what she typed
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the person's records")
    assert re.search(r"/governance/subject-access/search/[A-Za-z0-9_-]{16}/$", page.url)
    expect_no_axe_violations(page)

    # When she chooses Nina's record but leaves out the reference
    page.get_by_role("checkbox", name=re.compile(r"^Nina Hall, 2 May 2012")).check()
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Gather the records").click()

    # Then she is asked for it, with her choice kept
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter your reference for the request"
    )
    expect(page.get_by_role("checkbox", name=re.compile(r"^Nina Hall"))).to_be_checked()
    expect_no_axe_violations(page)
    page.get_by_label("Your reference for the request").fill("SAR-2026-0142")
    page.get_by_role("button", name="Gather the records").click()

    # Then the export shows Nina's record, her mother and the referrer marked for redaction
    expect(page.get_by_role("heading", level=1)).to_contain_text("SAR-2026-0142")
    expect(page.get_by_role("heading", name=f"Contact {nina.reference}")).to_be_visible()
    mother = page.locator(".govuk-summary-list__row").filter(has_text="Pat Hall")
    expect(mother.locator(".app-mark")).to_have_text("Third party")
    expect(page.get_by_role("link", name=re.compile("^Download"))).to_be_visible()
    expect_no_axe_violations(page)
    request = SubjectAccessRequest.objects.get()
    assert request.reference == "SAR-2026-0142"
    for url in requested:
        assert not any(word in url for word in TYPED), url


def test_an_officer_reads_the_dry_run_fixes_a_period_and_holds_a_contact(
    page: Page, live_server: LiveServer, nina: Contact, ig_officer: User
) -> None:
    sign_in(page, live_server, ig_officer.username, PASSWORD)

    # Given the retention schedule, opened from the home page
    page.get_by_role("link", name="Retention schedule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention schedule")

    # Then the dry run lists Nina's contact by its reference, and no name
    due = page.get_by_test_id("due-contact_no_assessment")
    expect(due).to_contain_text(nina.reference)
    expect(page.locator("main")).not_to_contain_text("Nina")
    expect_no_axe_violations(page)

    # When she changes how long emails are kept but forgets the reason
    page.get_by_role("link", name="Change the period for emails sent").click()
    page.get_by_label("Years").fill("3")
    page.get_by_label("Why they are kept this long").fill("")
    page.get_by_role("button", name="Save the period").click()

    # Then she is told, and once given the period is on the schedule
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why the records are kept this long"
    )
    expect_no_axe_violations(page)
    page.get_by_label("Why they are kept this long").fill("Our records schedule, entry 4.2")
    page.get_by_role("button", name="Save the period").click()
    expect(page.get_by_test_id("rule-message")).to_contain_text("3 years")
    expect(page.get_by_test_id("rule-message")).to_contain_text("Our records schedule, entry 4.2")

    # When she places a legal hold on Nina's contact
    page.get_by_role("link", name="Place a legal hold").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Place a legal hold")
    page.get_by_label("Contact reference").fill(nina.reference)
    page.get_by_label("Why it is held").fill("Complaint 2026/88")
    page.get_by_role("button", name="Place the hold").click()

    # Then the contact is held back rather than due
    held = page.get_by_test_id("held-back")
    expect(held).to_contain_text(nina.reference)
    expect(held).to_contain_text("Legal hold")
    expect(page.get_by_test_id("due-contact_no_assessment")).to_have_count(0)
    expect_no_axe_violations(page)
    assert LegalHold.objects.get().contact_id == nina.pk
