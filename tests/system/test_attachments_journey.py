"""Attachments in the browser (issue 13, item 2).

A contact is in an enquiry with police and health asked to check. The screener adds an
email note from the screening page with a file that claims to be a PDF but is a program:
the error is shown by the file field and the note is kept as typed; with the real body
map (a PNG) the note and its file are added together. The police researcher attaches the
PNC printout on police's check page. The screener downloads it (a download, not a page);
the health researcher, whose agency was asked about the same contact, does not see it
and is refused it, and so is early help. Every page is checked with axe by the page
fixtures.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.enquiries.models import AgencyCheck, Attachment, CaseNote
from tests import attachment_files as files
from tests.conftest import PASSWORD
from tests.system.conftest import expect_no_axe_violations, sign_in
from tests.system.test_case_notes_journey import _in_enquiry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "The school emailed the body map the DSL drew this morning."


@pytest.fixture(autouse=True)
def storage_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    location = tmp_path / "attachments"
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


def test_a_file_downloaded_by_the_mash_and_refused_to_another_agency(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
    agencies: dict[str, Agency],
    make_user: Callable[..., User],
) -> None:
    from openmash.core.roles import Role

    make_user("health_researcher", Role.AGENCY_RESEARCHER, "health")
    screener = personas["screener"]
    contact = _in_enquiry(
        personas["school_referrer"], screener, [agencies["police"], agencies["health"]]
    )
    police_check = AgencyCheck.objects.get(contact=contact, agency=agencies["police"])

    # The screener adds a note with a program named as a PDF: refused beside the field,
    # the note kept as typed, nothing saved
    sign_in(page, live_server, "screener", PASSWORD)
    page.goto(f"{live_server.url}/mash/contacts/{contact.reference}/")
    notes = page.locator("#notes")
    notes.get_by_label("Email").check()
    notes.get_by_label("Note", exact=True).fill(NOTE)
    notes.get_by_label("Attach a file (optional)").set_input_files(
        {"name": "body map.pdf", "mimeType": "application/pdf", "buffer": files.EXE}
    )
    notes.get_by_role("button", name="Add the note").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The selected file is a program")
    expect(page.get_by_label("Note", exact=True)).to_have_value(NOTE)
    expect(page.locator("#id_attachment-error")).to_contain_text("is a program")
    expect_no_axe_violations(page)
    assert not CaseNote.objects.exists() and not Attachment.objects.exists()

    # ... and with the real body map, the note and its file are added together
    page.get_by_label("Attach a file (optional)").set_input_files(
        {"name": "body map.png", "mimeType": "image/png", "buffer": files.png()}
    )
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Case note added with its file"
    )
    expect(page.locator("#notes")).to_contain_text(NOTE)
    expect(page.locator("#notes")).to_contain_text("body map.png")

    # The police researcher attaches the PNC printout on police's check
    police = new_page()
    sign_in(police, live_server, "police_researcher", PASSWORD)
    police.goto(f"{live_server.url}/mash/checks/{police_check.pk}/")
    section = police.locator("#attachments")
    expect(section).to_contain_text("No files attached yet.")
    section.get_by_label("Upload a file").set_input_files(
        {"name": "PNC printout.pdf", "mimeType": "application/pdf", "buffer": files.PDF}
    )
    section.get_by_role("button", name="Attach the file").click()
    expect(police.locator(".govuk-notification-banner--success")).to_contain_text(
        "PNC printout.pdf attached to the check"
    )
    expect(police.locator("#attachments")).to_contain_text("PNC printout.pdf")
    expect(police.locator("#attachments")).to_contain_text("Tester (Police)")
    printout = Attachment.objects.get(agency_check=police_check)
    download_url = f"{live_server.url}/mash/attachments/{printout.public_id}/"

    # The screener sees it on the screening page and downloads it
    page.goto(f"{live_server.url}/mash/contacts/{contact.reference}/")
    attachments = page.locator("#attachments")
    expect(attachments).to_contain_text("PNC printout.pdf")
    expect(attachments).to_contain_text("Police check")
    expect(attachments).to_contain_text("body map.png")
    with page.expect_download() as downloading:
        attachments.get_by_role("link", name="PNC printout.pdf").click()
    download = downloading.value
    assert download.suggested_filename == "PNC printout.pdf"
    assert Path(download.path()).read_bytes() == files.PDF

    # The health researcher, asked about the same contact, neither sees nor gets it
    health = new_page()
    sign_in(health, live_server, "health_researcher", PASSWORD)
    health.goto(f"{live_server.url}/mash/contacts/{contact.reference}/attachments/")
    expect(health.get_by_role("heading", level=1)).to_have_text("Attachments")
    expect(health.locator("#attachments")).not_to_contain_text("PNC printout.pdf")
    expect(health.locator("#attachments")).not_to_contain_text("body map.png")
    refused = health.goto(download_url)
    assert refused is not None and refused.status == 403

    # ... nor does early help
    early_help = new_page()
    sign_in(early_help, live_server, "early_help_coordinator", PASSWORD)
    refused = early_help.goto(download_url)
    assert refused is not None and refused.status == 403

    # Every upload and the download were audited
    from openmash.core.models import AuditEvent

    assert AuditEvent.objects.filter(object_type="attachment", action="create").count() == 2
    downloads = AuditEvent.objects.filter(object_type="attachment", action="read")
    assert [event.actor_user_id for event in downloads] == [screener.pk]
