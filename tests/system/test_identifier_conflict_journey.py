"""An identifier is evidence, not identity: the Ellie Harper and Maya Okafor case in the
browser, through the real pages (issue 11, item 1).

A school makes a contact about Maya Okafor with her NHS number. Another school then makes
a contact about Ellie Harper, a different girl (other name, date of birth and address),
giving the same NHS number. OpenMASH records an identifier conflict: the screening queue
tags Ellie's contact, the screening page shows both records side by side and lists none
of Maya's contacts as Ellie's; Ellie's chronology says records were left out. The
screener decides they are different children and that Ellie's record holds the number
in error, undoes it, and decides again. The Annex A extract gives the two girls two
Child Unique IDs. Every page visited is checked with axe (WCAG 2.2 AA).
"""

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import ContactPerson
from openmash.core.models import AuditEvent
from openmash.core.period import Period
from openmash.extracts.annex_a import annex_a_list_1
from openmash.linkage.models import ConflictState, IdentifierConflict, WrongHolder
from tests.conftest import PASSWORD
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in
from tests.system.test_referrer import fill_person, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"^MASH-\d{4}-\d{6}$")
SHARED_NHS = "9434765919"
MAYA_BORN = date(2014, 3, 9)
ELLIE_BORN = date(2016, 11, 21)


def _submit_contact(
    page: Page,
    live_server: LiveServer,
    *,
    given: str,
    family: str,
    born: date,
    home: dict[str, str],
    concern: str,
) -> str:
    """Make a contact through the form, as the signed-in referrer; its reference."""
    page.goto(f"{live_server.url}/contacts/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
    fill_person(
        page,
        1,
        role="Child the contact is about",
        given=given,
        family=family,
        born=born,
        sex="Female",
        nhs_number=SHARED_NHS,
    )
    child = person(page, 1)
    child.get_by_label("Address line 1").fill(home["line1"])
    child.get_by_label("Town or city").fill(home["town"])
    child.get_by_label("Postcode").fill(home["postcode"])
    page.get_by_label("16A Neglect").check()
    page.get_by_label("Describe the concern").fill(concern)
    page.get_by_role("group", name="Is a child at immediate risk of harm?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_label("Level 2: additional needs (early help)").check()
    page.get_by_label("Consent given").check()
    page.get_by_label("Lawful basis for sharing").select_option("public_task_safeguarding")
    page.get_by_role("button", name="Submit contact").click()
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Contact received")
    reference = panel.locator("strong").inner_text().strip()
    assert REFERENCE.match(reference), reference
    return reference


def banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner--success")


def row_for(page: Page, reference: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))


def _decide_different(page: Page, conflict: Locator, reason: str) -> None:
    conflict.get_by_label("Different children").check()
    conflict.get_by_label("Ellie Harper's record, in this contact").check()
    conflict.get_by_label("Reason for your decision").fill(reason)
    conflict.get_by_role("button", name=re.compile(r"^Save the decision")).click()


def test_two_children_with_one_nhs_number_are_kept_apart_until_a_screener_decides(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    screener = personas["screener"]
    # Given a school's contact about Maya Okafor, with her NHS number
    sign_in(page, live_server, "school_referrer", PASSWORD)
    maya_reference = _submit_contact(
        page,
        live_server,
        given="Maya",
        family="Okafor",
        born=MAYA_BORN,
        home={"line1": "4 Mill Lane", "town": "Eastbridge", "postcode": "DC2 7QT"},
        concern="Maya has bruises she will not explain.",
    )
    # When a contact about Ellie Harper, a different girl, gives the same NHS number
    ellie_reference = _submit_contact(
        page,
        live_server,
        given="Ellie",
        family="Harper",
        born=ELLIE_BORN,
        home={"line1": "19 Orchard Close", "town": "Westford", "postcode": "DC9 1LB"},
        concern="Ellie says there is no food at home.",
    )
    expect_no_axe_violations(page)

    # Then OpenMASH records an identifier conflict between the two records
    conflict_row = IdentifierConflict.objects.get()
    assert conflict_row.state == ConflictState.OPEN
    assert conflict_row.contact_person.contact.reference == ellie_reference

    # When the screener opens the queue, Ellie's contact (and Maya's) carry the tag
    screener_page = new_page()
    sign_in(screener_page, live_server, "screener", PASSWORD)
    go_to_page(screener_page, "Screening queue")
    expect(screener_page.get_by_role("heading", level=1)).to_have_text("Screening queue")
    for reference in (ellie_reference, maya_reference):
        expect(
            row_for(screener_page, reference).get_by_test_id("identifier-conflict-tag")
        ).to_be_visible()
    expect_no_axe_violations(screener_page)

    # ... and opens Ellie's contact
    row_for(screener_page, ellie_reference).get_by_role("link", name=ellie_reference).click()
    expect(screener_page.get_by_role("heading", level=1)).to_contain_text(ellie_reference)

    # Then the conflict is shown prominently with both records side by side
    conflict = screener_page.get_by_test_id("identifier-conflict")
    expect(conflict).to_contain_text(
        "Ellie Harper and Maya Okafor have the same NHS number, but their dates of birth "
        "and first names differ."
    )
    side_by_side = conflict.get_by_role("table", name="The two records side by side")
    expect(side_by_side.get_by_role("row", name=re.compile("^Date of birth"))).to_contain_text(
        "21 November 2016"
    )
    expect(side_by_side.get_by_role("row", name=re.compile("^Date of birth"))).to_contain_text(
        "9 March 2014"
    )
    expect(side_by_side.get_by_role("row", name=re.compile("^Postcode"))).to_contain_text("DC9 1LB")
    expect(side_by_side.get_by_role("row", name=re.compile("^Postcode"))).to_contain_text("DC2 7QT")
    expect(side_by_side.get_by_role("link", name=maya_reference)).to_be_visible()
    # ... and nothing is merged: none of Maya's contacts is listed as Ellie's
    expect(
        screener_page.get_by_role("table", name="Other contacts about Ellie Harper")
    ).to_have_count(0)
    expect(screener_page.get_by_text("No other contacts about Ellie Harper")).to_be_visible()
    expect_no_axe_violations(screener_page)

    # ... and Ellie's chronology says records were left out, without naming Maya
    ellie = ContactPerson.objects.get(contact__reference=ellie_reference)
    screener_page.goto(f"{live_server.url}/mash/children/{ellie.pk}/")
    expect(screener_page.get_by_role("heading", level=1)).to_have_text("Ellie Harper")
    expect(screener_page.get_by_test_id("identifier-conflict-notice")).to_contain_text(
        "left out of this chronology until a MASH screener decides"
    )
    expect(screener_page.locator("main")).not_to_contain_text(maya_reference)
    expect_no_axe_violations(screener_page)
    screener_page.go_back()

    # When the screener saves a decision without a reason
    conflict = screener_page.get_by_test_id("identifier-conflict")
    conflict.get_by_label("Different children").check()
    conflict.get_by_role("button", name=re.compile(r"^Save the decision")).click()
    # Then they are told what is missing, beside the fields
    summary = screener_page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select which record holds the number in error")
    expect(summary).to_contain_text("Enter the reason for your decision")
    expect_no_axe_violations(screener_page)

    # When they decide: different children, Ellie's record holds Maya's number in error
    conflict = screener_page.get_by_test_id("identifier-conflict")
    _decide_different(
        screener_page, conflict, "The school copied Maya's NHS number from a sibling file."
    )
    expect(banner(screener_page)).to_contain_text("You said they are different children")
    decided = screener_page.get_by_test_id("identifier-conflict-decided")
    expect(decided).to_contain_text(
        "Ellie Harper's record holds the NHS number in error, and joins no one by it."
    )
    expect(decided).to_contain_text("The school copied Maya's NHS number")
    expect_no_axe_violations(screener_page)

    # When they undo it, with a reason
    decided.get_by_text("Undo this decision").click()
    decided.get_by_label("Why is this decision wrong?").fill(
        "Chose the record before checking with health."
    )
    decided.get_by_role("button", name="Undo the decision").click()
    expect(banner(screener_page)).to_contain_text("You undid the decision")
    # Then the conflict is open again, and the two girls still apart
    conflict = screener_page.get_by_test_id("identifier-conflict")
    expect(conflict).to_be_visible()
    expect(screener_page.get_by_text("No other contacts about Ellie Harper")).to_be_visible()
    expect_no_axe_violations(screener_page)

    # When they decide again, after checking with health
    _decide_different(screener_page, conflict, "Health confirmed the number is Maya Okafor's.")
    expect(banner(screener_page)).to_contain_text("You said they are different children")
    # ... with the earlier decision and its undo kept in the history
    screener_page.get_by_text("Earlier decisions on these records").click()
    history = screener_page.get_by_test_id("identifier-conflict-history")
    expect(history.locator("li")).to_have_count(3)
    expect(history).to_contain_text("Decision undone")
    expect_no_axe_violations(screener_page)

    decided_row = IdentifierConflict.objects.get()
    assert decided_row.state == ConflictState.DIFFERENT
    assert decided_row.wrong_holder == WrongHolder.CONTACT_PERSON
    assert [entry["state"] for entry in decided_row.history] == ["different", "open", "different"]
    assert [
        event.detail["change"]
        for event in AuditEvent.objects.filter(
            actor_user=screener, object_type="identifier_conflict", action="update"
        ).order_by("id")
    ] == ["resolve", "undo", "resolve"]

    # And the Annex A extract gives the two girls two Child Unique IDs
    today = timezone.localdate()
    rows = annex_a_list_1(Period(today, today)).table.rows
    ids = {row[0] for row in rows}
    maya = ContactPerson.objects.get(contact__reference=maya_reference)
    assert ids == {maya.pk, ellie.pk}, rows
