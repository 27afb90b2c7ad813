"""A MASH manager looks at what last month's work cost and downloads the board report, in
the browser, through the real pages only. Every page visited is checked with axe
(WCAG 2.2 AA)."""

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.models import AgencyCheck
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from openmash.value.board_report import last_complete_month
from tests.conftest import PASSWORD
from tests.factories import a_child, a_submission
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in
from tests.value.conftest import restore_value_defaults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_checked_and_decided_contact(
    personas: dict[str, User], agencies: dict[str, Agency], day: datetime, number: int
) -> None:
    """A contact received on `day`, checked by the police and decided early help."""
    contact, _ = contact_create(
        actor=Actor(user=personas["school_referrer"]),
        submission=a_submission(
            people=[a_child(given_names="Child", family_name=f"Number{number}", nhs_number="")]
        ),
        now=day,
    )
    screener, manager = Actor(user=personas["screener"]), Actor(user=personas["manager"])
    contact_take(actor=screener, contact_id=contact.pk, now=day + timedelta(minutes=10))
    contact_rate(
        actor=screener,
        contact_id=contact.pk,
        rag="amber",
        rationale="Needs a look from the police.",
        now=day + timedelta(minutes=20),
    )
    enquiry_open(
        actor=screener,
        contact_id=contact.pk,
        agency_ids=[agencies["police"].pk],
        now=day + timedelta(minutes=20),
    )
    check_record_findings(
        actor=Actor(user=personas["police_researcher"]),
        check_id=AgencyCheck.objects.get(contact=contact).pk,
        findings=[
            FindingInput(
                person_id=person.pk, known=False, lawful_basis="law_enforcement_safeguarding"
            )
            for person in contact.people.all()
        ],
        now=day + timedelta(hours=1),
    )
    decision_record(
        actor=manager,
        contact_id=contact.pk,
        data=DecisionInput(
            level_of_need=2,
            outcome="early_help",
            factor_codes=["16A"],
            primary_need="N4",
            rationale="Family support from early help.",
            receiving_team="Eastbridge early help hub",
        ),
        now=day + timedelta(hours=2),
    )


def test_a_manager_sees_what_last_month_cost_and_downloads_the_board_report(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
    agencies: dict[str, Agency],
    tmp_path: Path,
) -> None:
    # Given last month's work: six contacts screened, checked by the police and decided
    restore_value_defaults()
    month = last_complete_month()
    for number in range(6):
        day = datetime.combine(month.start + timedelta(days=number + 1), time(10), tzinfo=LONDON)
        a_checked_and_decided_contact(personas, agencies, day, number)
    page = new_page()
    sign_in(page, live_server, "manager", PASSWORD)

    # When the manager opens Value for money
    go_to_page(page, "Value for money")
    expect(page.get_by_role("heading", level=1)).to_have_text("Value for money")
    expect_no_axe_violations(page)

    # Then each agency's contribution is there, the police's with their six checks
    contribution = page.get_by_role("table", name="Each agency's contribution")
    police = contribution.get_by_role("row").filter(has_text="Police")
    expect(police.get_by_role("cell").first).to_have_text("6")
    expect(contribution.get_by_role("row").filter(has_text="Children's Social Care")).to_have_count(
        1
    )

    # And a date that is not real is explained, and what was typed is kept
    page.get_by_role("group", name="From").get_by_label("Day").fill("31")
    page.get_by_role("group", name="From").get_by_label("Month").fill("2")
    page.get_by_role("button", name="Show the costs").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Start date must be a real date")
    expect(page.get_by_role("group", name="From").get_by_label("Day")).to_have_value("31")
    expect_no_axe_violations(page)
    summary.get_by_role("link", name=re.compile("Start date")).click()
    expect(page.get_by_role("group", name="From").get_by_label("Day")).to_be_focused()

    # When they open the board report and download last month's
    page.get_by_role("link", name="Back to last month").click()
    page.get_by_role("link", name="Download the monthly board report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monthly board report")
    expect_no_axe_violations(page)
    expect(page.get_by_label("Month")).to_have_value(month.key)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()

    # Then a PDF arrives, and making it is recorded
    download = download_info.value
    assert download.suggested_filename == f"mash-board-report-{month.key}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    event = AuditEvent.objects.get(object_type="board_report")
    assert (event.actor_user, event.object_id) == (personas["manager"], month.key)
