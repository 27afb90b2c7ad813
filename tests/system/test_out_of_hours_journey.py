"""A contact made out of hours, in the browser (issue 13, item 6).

At 06:13 on a Saturday a school's safeguarding lead makes a contact. The confirmation
page says the MASH is closed, when it reopens, and how to reach the area's emergency duty
team; the acknowledgement email with the same details is in the outbox at once. Every
page visited is checked with axe."""

from datetime import datetime

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.area.calendar import LONDON
from openmash.area.models import EmergencyDutyTeam
from openmash.contacts.models import Contact
from openmash.enquiries.models import Message, MessageKind, MessageStatus
from tests.clock import hub_clock
from tests.conftest import PASSWORD
from tests.system.conftest import expect_no_axe_violations, sign_in
from tests.system.test_referrer import fill_person, years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SATURDAY_0613 = datetime(2026, 12, 5, 6, 13, tzinfo=LONDON)


def test_a_contact_made_at_0613_on_a_saturday_is_acknowledged_with_the_edt_details(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given the area's emergency duty team is set up
    EmergencyDutyTeam.objects.create(
        name="Eastbridge emergency duty team",
        phone="0300 123 4567",
        email="edt@eastbridge.gov.uk",
    )
    referrer = personas["school_referrer"]
    sign_in(page, live_server, "school_referrer", PASSWORD)

    with hub_clock(SATURDAY_0613):
        # When the school's safeguarding lead makes a contact at 06:13 on a Saturday
        page.goto(f"{live_server.url}/contacts/new/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
        expect_no_axe_violations(page)
        fill_person(
            page,
            1,
            role="Child the contact is about",
            given="Amy",
            family="Smith",
            born=years_ago(8),
            sex="Female",
        )
        page.get_by_label("16A Neglect").check()
        page.get_by_label("Describe the concern").fill(
            "Amy arrived at breakfast club with a burn on her hand and would not say how."
        )
        page.get_by_role("group", name="Is a child at immediate risk of harm?").get_by_label(
            "No", exact=True
        ).check()
        page.get_by_label("Level 2: additional needs (early help)").check()
        page.get_by_label("Consent given").check()
        page.get_by_label("Lawful basis for sharing").select_option("public_task_safeguarding")
        page.get_by_role("button", name="Submit contact").click()

        # Then the confirmation page says the MASH is closed, and when it reopens
        panel = page.locator(".govuk-panel--confirmation")
        expect(panel.get_by_role("heading", level=1)).to_have_text("Contact received")
        reference = panel.locator("strong").inner_text().strip()
        expect(page.get_by_test_id("out-of-hours")).to_contain_text(
            "The MASH is closed now. It will read your contact when it opens at "
            "09:00 on Monday 7 December 2026."
        )
        # ... and how to reach the emergency duty team meanwhile
        expect(
            page.get_by_role("heading", name="If you need to speak to someone before then")
        ).to_be_visible()
        expect(page.get_by_text("Contact the Eastbridge emergency duty team.")).to_be_visible()
        team = page.get_by_test_id("emergency-duty-team")
        expect(team.get_by_role("link", name="0300 123 4567")).to_have_attribute(
            "href", "tel:03001234567"
        )
        expect(team.get_by_role("link", name="edt@eastbridge.gov.uk")).to_have_attribute(
            "href", "mailto:edt@eastbridge.gov.uk"
        )
        expect_no_axe_violations(page)

    # And the acknowledgement with the same details went at once
    contact = Contact.objects.get(reference=reference)
    assert contact.recorded_at == contact.received_at
    assert f"{contact.recorded_at.astimezone(LONDON):%A %H:%M}" == "Saturday 06:13"
    message = Message.objects.get(contact=contact, kind=MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT)
    assert message.status == MessageStatus.SENT
    [email] = [email for email in mail.outbox if email.to == [referrer.email]]
    assert email.subject == f"We have received your safeguarding contact {reference}"
    assert "received at 06:13 on Saturday 5 December 2026" in email.body
    assert "It will read your contact when it opens at 09:00 on Monday 7 December 2026" in (
        email.body
    )
    assert "Eastbridge emergency duty team" in email.body
    assert "Phone: 0300 123 4567" in email.body
    assert "Email: edt@eastbridge.gov.uk" in email.body
    assert "Amy" not in email.subject and "Amy" not in email.body
