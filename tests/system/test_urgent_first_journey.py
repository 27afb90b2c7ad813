"""Urgent work first, in the browser (issue 12, item 2).

Four contacts are open: an amber one received yesterday (its deadline nearest), a green
one, one a screener rated red, and one a school made twenty minutes ago saying a child is
at immediate risk, which nobody has rated or taken. The periodic alert task runs: the
MASH manager is alerted, once, by email, that the immediate-risk contact waits unassigned.

The manager opens the screening queue: the immediate-risk contact is first, marked
"Immediate risk" and "Rate now", with "MASH managers alerted"; the red one is second,
ahead of the amber one whose deadline is nearer. The queue warns that urgent work has
waited past the area's 10 minutes. The manager takes the contact from its screening page;
back in the queue the warning has gone. Every page visited is checked with axe.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import Message, MessageKind
from openmash.enquiries.services.screening import contact_rate, contact_take
from openmash.enquiries.tasks import send_deadline_alerts
from tests.conftest import PASSWORD
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contact(referrer: User, *, minutes_ago: int, immediate_risk: bool = False) -> Contact:
    submission = a_submission()
    submission.concerns.immediate_risk = immediate_risk
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=submission,
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return contact


def _rated(contact: Contact, screener: User, rag: str) -> Contact:
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Seen at school."
    )
    contact.refresh_from_db()
    return contact


def test_an_immediate_risk_contact_comes_first_with_its_marker_and_the_managers_alert(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    referrer, screener, manager = (
        personas["school_referrer"],
        personas["screener"],
        personas["manager"],
    )
    # Given an amber contact from yesterday, a green one, a red one ...
    amber = _rated(_contact(referrer, minutes_ago=26 * 60), screener, "amber")
    green = _rated(_contact(referrer, minutes_ago=60), screener, "green")
    red = _rated(_contact(referrer, minutes_ago=30), screener, "red")
    assert amber.deadline_at and red.deadline_at and amber.deadline_at < red.deadline_at
    # ... and an immediate-risk contact nobody has taken for twenty minutes
    urgent = _contact(referrer, minutes_ago=20, immediate_risk=True)

    # When the periodic alert task runs (twice: the alert is sent once)
    send_deadline_alerts.enqueue()
    send_deadline_alerts.enqueue()

    # Then the manager has been alerted, once, by email
    alerts = Message.objects.filter(kind=MessageKind.URGENT_UNASSIGNED)
    assert [(alert.contact_id, alert.to_user_id) for alert in alerts] == [(urgent.pk, manager.pk)]
    alert = alerts.get()
    assert alert.subject.startswith(f"{urgent.reference}: a child at immediate risk")
    assert [email.subject for email in mail.outbox if email.to == [manager.email]].count(
        alert.subject
    ) == 1

    # When the manager opens the screening queue
    sign_in(page, live_server, manager.username, PASSWORD)
    page.goto(f"{live_server.url}/mash/queue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening queue")

    # Then urgent work is first: immediate risk, then red, then by deadline
    rows = page.locator("table.govuk-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(urgent.reference)
    expect(rows.nth(1)).to_contain_text(red.reference)
    expect(rows.nth(2)).to_contain_text(amber.reference)
    expect(rows.nth(3)).to_contain_text(green.reference)
    first = rows.nth(0)
    expect(first.get_by_test_id("immediate-risk")).to_have_text("Immediate risk")
    expect(first.get_by_test_id("rate-now")).to_contain_text("Rate now")
    expect(first.get_by_test_id("managers-alerted")).to_have_text("MASH managers alerted")
    expect(page.get_by_test_id("immediate-risk")).to_have_count(1)
    # ... and the queue warns that it has waited past the area's minutes
    warning = page.locator("#urgent-unassigned")
    expect(warning).to_contain_text(
        "1 urgent contact (immediate risk or red) has waited more than 10 minutes with "
        "nobody assigned"
    )
    expect_no_axe_violations(page)

    # When the manager follows the warning to the unassigned contacts
    warning.get_by_role("link", name="Show unassigned contacts").click()
    expect(page.locator("table.govuk-table tbody tr")).to_have_count(1)
    expect_no_axe_violations(page)

    # ... and takes the immediate-risk contact from its screening page
    page.get_by_role("link", name=urgent.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(urgent.reference)
    page.get_by_role("button", name="Take this contact for screening").click()
    expect(page.locator(".govuk-notification-banner")).to_be_visible()

    # Then, back in the queue, it is still first and marked, and the warning has gone
    page.goto(f"{live_server.url}/mash/queue/")
    first = page.locator("table.govuk-table tbody tr").nth(0)
    expect(first).to_contain_text(urgent.reference)
    expect(first.get_by_test_id("immediate-risk")).to_be_visible()
    expect(first.get_by_test_id("managers-alerted")).to_have_count(0)
    expect(page.locator("#urgent-unassigned")).to_have_count(0)
    expect_no_axe_violations(page)

    # And no further alert is sent about it
    send_deadline_alerts.enqueue()
    assert Message.objects.filter(kind=MessageKind.URGENT_UNASSIGNED).count() == 1
