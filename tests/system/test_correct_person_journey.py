"""Correcting a child's details in the browser, through the real pages (issue 11, item 2).

Two earlier contacts: one about Ellie Harper, with her NHS number, and one about Maya
Okafor, born 7 March 2017, with hers. A school now makes a contact about Maya, but types
her date of birth as 7 March 2018 and gives Ellie's NHS number. So the screening page
shows an identifier conflict between Maya and Ellie (issue 11, item 1), and misses
Maya's own earlier contact.

The screener takes the contact and corrects Maya's date of birth and NHS number: first
with a mistyped number (the error is shown by the field, keeping what was typed), then
right, with the reason. The screening page then shows the corrected details and their
history, and the conflict no longer applies; Maya's earlier contact is now her other contact and Ellie's is not; her
chronology says the details were corrected, with an entry on the timeline, and brings in
her earlier contact and not Ellie's. Every page visited is checked with axe.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import Contact, PersonCorrection
from openmash.contacts.services import contact_create
from openmash.contacts.submission import Address
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import a_child, a_parent, a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in
from tests.system.test_referrer import fill_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAYA_BORN = date(2017, 3, 7)
MAYA_BORN_MISTYPED = date(2018, 3, 7)
MAYA_NHS = "4010232137"
ELLIE_NHS = "9434765919"
REASON = "The health visitor confirmed Maya's date of birth and NHS number from her record."


def _contact(referrer: User, *, days_ago: int, **child: object) -> Contact:
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=a_submission(people=[a_child(**child), a_parent(family_name="Okafor")]),
        now=timezone.now() - timedelta(days=days_ago),
    )
    return contact


def test_a_screener_corrects_a_child_s_date_of_birth_and_nhs_number_and_her_history_follows(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    referrer = personas["school_referrer"]
    # Given an earlier contact about Ellie Harper and one about Maya Okafor
    ellie = _contact(
        referrer,
        days_ago=120,
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=date(2016, 11, 2),
        nhs_number=ELLIE_NHS,
        address=Address(line1="9 Orchard Way", town="Eastbridge", postcode="DC5 2PL"),
    )
    maya_earlier = _contact(
        referrer,
        days_ago=60,
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=MAYA_BORN,
        nhs_number=MAYA_NHS,
        address=Address(line1="4 Mill Lane", town="Eastbridge", postcode="DC3 1XY"),
    )
    # ... and a new contact about Maya with her birth year mistyped and Ellie's NHS number
    new = _contact(
        referrer,
        days_ago=0,
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=MAYA_BORN_MISTYPED,
        nhs_number=ELLIE_NHS,
        address=Address(line1="4 Mill Lane", town="Eastbridge", postcode="DC3 1XY"),
    )
    maya = new.people.order_by("position").first()
    assert maya is not None

    # When the screener opens the new contact and takes it
    sign_in(page, live_server, "screener", PASSWORD)
    page.goto(f"{live_server.url}/mash/contacts/{new.reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(new.reference)
    # Then the shared NHS number shows as an identifier conflict (issue 11, item 1):
    # Ellie's contact is not listed as Maya's, and Maya's own is not found either
    expect(page.get_by_test_id("identifier-conflict")).to_contain_text(
        "Maya Okafor and Ellie Harper have the same NHS number"
    )
    expect(page.get_by_role("table", name="Other contacts about Maya Okafor")).to_have_count(0)
    page.get_by_role("button", name="Take this contact for screening").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have taken")

    # When they open the correction form for Maya
    page.get_by_role("link", name="Correct Maya Okafor's details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct Maya Okafor's details")
    # Then it holds what is recorded now
    expect(page.get_by_label("NHS number (if known)")).to_have_value(ELLIE_NHS)
    date_group = page.get_by_role("group", name="Date of birth", exact=True)
    expect(date_group.get_by_label("Year")).to_have_value("2018")

    # When they type the date of birth right but mistype the NHS number
    fill_date(page.locator("form"), "Date of birth", MAYA_BORN)
    page.get_by_label("NHS number (if known)").fill("401 023 2138")
    page.get_by_label("Why are you correcting these details?").fill(REASON)
    page.get_by_role("button", name="Save the corrected details").click()

    # Then the error is shown by the field, and what was typed is kept
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("NHS number is not valid")
    expect(page.get_by_label("NHS number (if known)")).to_have_value("401 023 2138")
    expect(date_group.get_by_label("Year")).to_have_value("2017")
    expect(page.get_by_label("Why are you correcting these details?")).to_have_value(REASON)
    expect_no_axe_violations(page)
    summary.get_by_role("link", name="NHS number is not valid").click()
    expect(page.get_by_label("NHS number (if known)")).to_be_focused()
    assert not PersonCorrection.objects.exists()

    # When they correct the number and save
    page.get_by_label("NHS number (if known)").fill("401 023 2137")
    page.get_by_role("button", name="Save the corrected details").click()

    # Then they are back on the screening page, which says what was corrected
    expect(page.get_by_role("heading", level=1)).to_contain_text(new.reference)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Details corrected: date of birth and NHS number."
    )
    person = page.locator(f"#person-{maya.pk}")
    expect(person).to_contain_text("7 March 2017")
    expect(person).to_contain_text("401 023 2137")
    history = person.get_by_role("table", name="Corrected details")
    expect(history).to_contain_text("Date of birth: 7 March 2018 to 7 March 2017")
    expect(history).to_contain_text("NHS number: 943 476 5919 to 401 023 2137")
    expect(history).to_contain_text(REASON)
    expect(history).to_contain_text("Screener Tester")
    # ... the conflict no longer applies, so it is gone
    expect(page.get_by_test_id("identifier-conflict")).to_have_count(0)
    # ... and Maya's earlier contact is now hers, and Ellie's is not
    others = page.get_by_role("table", name="Other contacts about Maya Okafor")
    expect(others).to_contain_text(maya_earlier.reference)
    expect(others).not_to_contain_text(ellie.reference)
    expect_no_axe_violations(page)

    # When they open Maya's chronology
    page.get_by_role("link", name=re.compile(r"^Maya Okafor\s*: chronology$")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maya Okafor")
    # Then it shows her as corrected, with an entry for the correction, and her own
    # earlier contact, not Ellie's
    expect(page.get_by_test_id("corrected")).to_contain_text(
        "Date of birth and NHS number corrected by Screener Tester"
    )
    timeline = page.locator(".moj-timeline")
    correction_entry = timeline.locator(".moj-timeline__item").filter(
        has=page.get_by_role("heading", name="Details corrected")
    )
    expect(correction_entry).to_contain_text("943 476 5919 to 401 023 2137")
    expect(timeline).to_contain_text(maya_earlier.reference)
    expect(timeline).not_to_contain_text(ellie.reference)
    expect(page.get_by_text("2 contacts", exact=True).first).to_be_visible()

    # ... and the audit log names the fields corrected, never the values
    event = AuditEvent.objects.get(object_type="contact_person", action="update")
    assert event.detail["fields"] == ["date_of_birth", "nhs_number"]
    assert MAYA_NHS not in str(event.detail) and ELLIE_NHS not in str(event.detail)
