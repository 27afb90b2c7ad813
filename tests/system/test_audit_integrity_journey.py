"""An auditor checks that the audit log still matches its seals, in the browser (ADR 0009).

She records the latest seal hash, asks for a check with it, and sees the log pass; after
someone with database access edits a sealed event, the next check names the seal and its
range of events. Every page visited is checked with axe (WCAG 2.2 AA). The test settings
run background tasks at once, so the check's result is there when the page comes back.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.core.audit import Actor, audit_record_many
from openmash.core.audit_seals import audit_seal
from openmash.core.models import AuditAction, AuditSeal
from tests.conftest import PASSWORD
from tests.core.tampering import tamper
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_checks_the_audit_log_against_its_seals(
    page: Page, live_server: LiveServer, screener: User, auditor: User
) -> None:
    # Given a screener's reads recorded and sealed
    audit_record_many(
        actor=Actor(user=screener, request_id="req-journey", ip_address="203.0.113.7"),
        action=AuditAction.READ,
        object_type="contact",
        objects=[(number, number) for number in range(1, 6)],
    )
    [seal] = audit_seal(now=timezone.now() + timedelta(minutes=5))

    # When the auditor opens the integrity page from the menu
    sign_in(page, live_server, auditor.username, PASSWORD)
    go_to_page(page, "Audit log integrity")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log integrity")
    expect_no_axe_violations(page)

    # Then she sees the latest seal hash to record
    expect(page.get_by_text(seal.seal_hash)).to_be_visible()

    # When she asks for a check with the hash she recorded
    page.get_by_label("A seal hash you recorded earlier (optional)").fill(seal.seal_hash)
    page.get_by_role("button", name="Check the audit log").click()

    # Then the log matches its seals and her hash is in the chain
    expect(page.get_by_text("The audit log matches its seals")).to_be_visible()
    expect(page.get_by_text("The hash you recorded is in the chain.")).to_be_visible()
    expect_no_axe_violations(page)

    # When someone with database access edits a sealed event, and she checks again
    tamper(
        "UPDATE core_auditevent SET ip_address = %s WHERE id = %s",
        ["198.51.100.1", seal.last_event_id],
    )
    page.get_by_role("button", name="Check the audit log").click()

    # Then the page names the seal and its range, and nothing of the event itself
    expect(page.get_by_text("The audit log does not match its seals")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="events changed after sealing")
    expect(row).to_contain_text(f"1 to {seal.last_event_id}")
    expect(page.locator("main")).not_to_contain_text("198.51.100.1")
    expect_no_axe_violations(page)
    assert AuditSeal.objects.count() == 1
