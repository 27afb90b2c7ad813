"""A MASH manager downloads Ofsted's Annex A List 1 for a period, after correcting a date.

Every page visited is checked with axe (WCAG 2.2 AA)."""

import csv
import io
import re

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.codes import PersonRole
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from tests.conftest import PASSWORD
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

LIST_1_CSV = re.compile(r"^Download CSV of Ofsted Annex A, List 1")


def test_a_manager_downloads_annex_a_list_1_for_a_period(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given a contact about a child received today
    contact, _ = contact_create(
        actor=Actor(user=personas["school_referrer"]), submission=a_submission()
    )
    received = contact.received_at.date()

    # When the MASH manager opens Extracts
    sign_in(page, live_server, "manager", PASSWORD)
    go_to_page(page, "Extracts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Extracts")
    expect_no_axe_violations(page)

    # ... and types a start date that does not exist
    start = page.get_by_role("group", name="From")
    start.get_by_label("Day").fill("31")
    start.get_by_label("Month").fill("2")
    start.get_by_label("Year").fill(str(received.year))
    page.get_by_role("button", name=LIST_1_CSV).first.click()

    # Then the page says what is wrong and keeps what was typed
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Start date must be a real date")
    expect(start.get_by_label("Day")).to_have_value("31")
    expect_no_axe_violations(page)

    # When they correct it to the first of this month and download List 1 as CSV
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill(str(received.month))
    with page.expect_download() as download_info:
        page.get_by_role("button", name=LIST_1_CSV).first.click()
    download = download_info.value

    # Then the file is List 1 with the child's row and no name in it
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    assert path is not None
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) >= 2
    child = contact.people.filter(role=PersonRole.SUBJECT_CHILD).first()
    assert child is not None
    assert child.family_name not in text and child.given_names not in text
