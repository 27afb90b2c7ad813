"""Case notes in the browser (issue 13, item 1).

A contact is in an enquiry with police asked to check. The screener opens its screening
page, adds a phone-call note from the "Case notes" section (first forgetting the type:
the error is shown by the field and the note kept as typed), then corrects it: the old
note stays, marked corrected. The police researcher, whose agency was asked, opens the
contact's notes and does not see the MASH's note; they add their own. A police researcher
cannot open the notes of a contact police was not asked about. Every page is checked with
axe by the page fixtures.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import CaseNote
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import PASSWORD
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MASH_NOTE = "Rang the school's DSL: the bruising was seen again on Thursday."
CORRECTED = "Rang the school's DSL: the bruising was seen again on Wednesday."
POLICE_NOTE = "Emailed the PPU duty officer for the 2024 log."


def _in_enquiry(referrer: User, screener: User, agencies: list[Agency]) -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="Bruising."
    )
    if agencies:
        enquiry_open(
            actor=Actor(user=screener),
            contact_id=contact.pk,
            agency_ids=[agency.pk for agency in agencies],
        )
    return contact


def test_a_note_seen_by_the_mash_and_not_by_another_agency(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    screener = personas["screener"]
    contact = _in_enquiry(personas["school_referrer"], screener, [agencies["police"]])
    not_asked = _in_enquiry(personas["school_referrer"], screener, [agencies["health"]])

    # The screener adds a note from the screening page, forgetting its type first
    sign_in(page, live_server, "screener", PASSWORD)
    page.goto(f"{live_server.url}/mash/contacts/{contact.reference}/")
    section = page.locator("#notes")
    expect(section.get_by_role("heading", name="Case notes")).to_be_visible()
    expect(section).to_contain_text("No case notes yet.")
    section.get_by_label("Note", exact=True).fill(MASH_NOTE)
    section.get_by_role("button", name="Add the note").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the type of note")
    expect(page.get_by_label("Note", exact=True)).to_have_value(MASH_NOTE)
    expect_no_axe_violations(page)
    assert not CaseNote.objects.exists()

    page.get_by_label("Phone call").check()
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Case note added")
    expect(page.locator("#notes")).to_contain_text(MASH_NOTE)
    expect(page.locator("#notes")).to_contain_text("Screener Tester")

    # ... then corrects it: a new note, and the first marked corrected
    page.get_by_role("link", name="Correct this note").click()
    expect(page.get_by_role("heading", name="Add a correction")).to_be_visible()
    page.get_by_label("Phone call").check()
    page.get_by_label("Note", exact=True).fill(CORRECTED)
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Correction added")
    first = CaseNote.objects.get(text=MASH_NOTE)
    expect(page.locator(f"#note-{first.pk}")).to_contain_text(MASH_NOTE)
    expect(page.locator(f"#note-{first.pk}")).to_contain_text("Corrected by")
    expect(page.locator("#notes")).to_contain_text(CORRECTED)

    # The police researcher, whose agency was asked, does not see the MASH's notes
    police = new_page()
    sign_in(police, live_server, "police_researcher", PASSWORD)
    police.goto(f"{live_server.url}/mash/contacts/{contact.reference}/notes/")
    expect(police.get_by_role("heading", level=1)).to_have_text("Case notes")
    expect(police.locator("#notes")).to_contain_text("No case notes yet.")
    expect(police.locator("#notes")).not_to_contain_text("bruising")
    police.get_by_label("Email").check()
    police.get_by_label("Note", exact=True).fill(POLICE_NOTE)
    police.get_by_role("button", name="Add the note").click()
    expect(police.locator("#notes")).to_contain_text(POLICE_NOTE)
    expect(police.locator("#notes")).not_to_contain_text("bruising")

    # ... and is refused the notes of a contact police was not asked to check
    refused = police.goto(f"{live_server.url}/mash/contacts/{not_asked.reference}/notes/")
    assert refused is not None and refused.status == 403

    # The screener sees the police note too
    page.goto(f"{live_server.url}/mash/contacts/{contact.reference}/notes/")
    expect(page.locator("#notes")).to_contain_text(POLICE_NOTE)
