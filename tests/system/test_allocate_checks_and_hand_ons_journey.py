"""Allocating agency checks and a hand-on, in the browser (issue 13, item 4).

Three police checks are open (one red) and nobody has them. The MASH manager follows
"Allocate checks", opens the police queue, presses "Assign selected" with nothing chosen
and sees both field errors, then ticks two checks and gives them to a police researcher
(shown with their open and red checks). The queue shows them with that researcher and
the third unassigned, and the chooser the researcher's new open work; the researcher is
emailed about each. The researcher sees exactly those two under "Assigned to me", and on
a check's page who gave it to them.

A case handed on to early help waits in the team's queue. The early help coordinator
gives it to a colleague from the queue; on the case's page they then transfer it back to
themselves, first without a reason (the error is shown by the field), then with one. The
colleague was emailed. Every page is checked with axe.
"""

from collections.abc import Callable

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.roles import Role
from openmash.enquiries.models import AgencyCheck, HandOn
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import PASSWORD
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rated(referrer: User, screener: User, rag: str) -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Seen.")
    return contact


def _police_check(referrer: User, screener: User, police: Agency, rag: str) -> AgencyCheck:
    contact = _rated(referrer, screener, rag)
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[police.pk])
    return AgencyCheck.objects.select_related("contact").get(contact=contact)


def test_a_manager_allocates_police_checks_in_bulk_and_a_coordinator_a_hand_on(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
    agencies: dict[str, Agency],
    make_user: Callable[..., User],
) -> None:
    referrer, screener, manager = (
        personas["school_referrer"],
        personas["screener"],
        personas["manager"],
    )
    researcher = personas["police_researcher"]
    make_user("pc_second", Role.AGENCY_RESEARCHER, "police")
    coordinator = personas["early_help_coordinator"]
    colleague = make_user("eh_colleague", Role.EARLY_HELP_COORDINATOR, "early-help")
    red = _police_check(referrer, screener, agencies["police"], "red")
    amber = _police_check(referrer, screener, agencies["police"], "amber")
    left = _police_check(referrer, screener, agencies["police"], "green")
    mail.outbox.clear()

    # Given the manager opens the police checks to allocate
    sign_in(page, live_server, manager.username, PASSWORD)
    go_to_page(page, "Allocate checks")
    page.get_by_role("link", name="Police", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate agency checks")
    rows = page.locator("table.govuk-table tbody tr")
    expect(rows).to_have_count(3)
    expect_no_axe_violations(page)

    # When they assign with nothing chosen, then both field errors show
    page.get_by_role("button", name="Assign selected").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the checks to assign")
    expect(summary).to_contain_text("Select a researcher of the agency to assign to")
    expect(page.locator(".govuk-error-message")).to_have_count(2)
    expect_no_axe_violations(page)

    # When they tick two and choose the researcher, shown with their open work
    page.get_by_label(f"Select {red.contact.reference}").check()
    page.get_by_label(f"Select {amber.contact.reference}").check()
    chooser = page.get_by_label("Assign selected to")
    label = f"{researcher.display_name} (0 open checks, 0 red)"
    expect(chooser.locator("option", has_text=researcher.display_name)).to_have_text(label)
    chooser.select_option(label=label)
    page.get_by_role("button", name="Assign selected").click()

    # Then both are the researcher's, the third nobody's, and the chooser counts them
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Assigned {red.contact.reference} and {amber.contact.reference} "
        f"to {researcher.display_name}."
    )
    for check, who in (
        (red, researcher.display_name),
        (amber, researcher.display_name),
        (left, "Unassigned"),
    ):
        row = page.locator("table.govuk-table tbody tr", has_text=check.contact.reference)
        expect(row.get_by_test_id("researcher")).to_have_text(who)
    expect(
        page.get_by_label("Assign selected to").locator("option", has_text=researcher.display_name)
    ).to_have_text(f"{researcher.display_name} (2 open checks, 1 red)")
    expect_no_axe_violations(page)
    told = sorted(email.subject for email in mail.outbox if email.to == [researcher.email])
    assert told == sorted(
        f"The Police check on {check.contact.reference} has been assigned to you"
        for check in (red, amber)
    )

    # When the researcher looks at the checks assigned to them
    researcher_page = new_page()
    sign_in(researcher_page, live_server, researcher.username, PASSWORD)
    researcher_page.goto(f"{live_server.url}/mash/checks/")
    researcher_page.get_by_role("link", name="Assigned to me").click()
    # Then they see exactly those two, and on a check's page who gave it to them
    body = researcher_page.locator("table.govuk-table tbody")
    expect(body.locator("tr")).to_have_count(2)
    expect(body).to_contain_text(red.contact.reference)
    expect(body).to_contain_text(amber.contact.reference)
    expect_no_axe_violations(researcher_page)
    researcher_page.get_by_role("link", name=red.contact.reference).click()
    expect(researcher_page.get_by_test_id("assignment")).to_contain_text(
        f"{researcher.display_name}, since"
    )
    expect(researcher_page.get_by_test_id("assignment")).to_contain_text(
        f"(by {manager.display_name})"
    )
    expect_no_axe_violations(researcher_page)

    # Given a case handed on to early help
    contact = _rated(referrer, screener, "amber")
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=contact.pk,
        data=DecisionInput(
            level_of_need=2,
            outcome="early_help",
            factor_codes=["16A"],
            primary_need="N4",
            rationale="Needs can be met by a family support worker.",
            receiving_team="Eastbridge early help hub",
        ),
    )
    hand_on = HandOn.objects.get(decision=decision)
    mail.outbox.clear()

    # When the coordinator gives it to a colleague from the queue
    coordinator_page = new_page()
    sign_in(coordinator_page, live_server, coordinator.username, PASSWORD)
    coordinator_page.goto(f"{live_server.url}/mash/hand-ons/")
    expect_no_axe_violations(coordinator_page)
    coordinator_page.get_by_label(f"Select {contact.reference}").check()
    coordinator_page.get_by_label("Assign selected to").select_option(
        label=f"{colleague.display_name} (0 open hand-ons, 0 red)"
    )
    coordinator_page.get_by_role("button", name="Assign selected").click()
    # Then the queue shows it with the colleague, who was emailed
    expect(coordinator_page.locator(".govuk-notification-banner")).to_contain_text(
        f"Assigned {contact.reference} to {colleague.display_name}."
    )
    row = coordinator_page.locator("table.govuk-table tbody tr", has_text=contact.reference)
    expect(row.get_by_test_id("assigned-to")).to_have_text(colleague.display_name)
    expect_no_axe_violations(coordinator_page)
    assert [email.to for email in mail.outbox] == [[colleague.email]]

    # When they transfer it back to themselves on the case's page, first with no reason
    coordinator_page.get_by_role("link", name=contact.reference).click()
    expect(coordinator_page.get_by_test_id("assignment")).to_contain_text(colleague.display_name)
    coordinator_page.get_by_role("link", name="Assign or transfer").click()
    expect_no_axe_violations(coordinator_page)
    coordinator_page.get_by_label("Assign to").select_option(
        label=f"{coordinator.display_name} (0 open hand-ons, 0 red)"
    )
    coordinator_page.get_by_role("button", name="Assign", exact=True).click()
    # Then the reason is asked for, by the field, and the choice is kept
    expect(coordinator_page.locator(".govuk-error-summary")).to_contain_text(
        "Give the reason for the transfer"
    )
    expect(coordinator_page.locator("#id_reason-error, .govuk-error-message")).to_contain_text(
        "Give the reason for the transfer"
    )
    expect_no_axe_violations(coordinator_page)
    coordinator_page.get_by_label("Reason for the transfer").fill("They are on leave this week.")
    coordinator_page.get_by_role("button", name="Assign", exact=True).click()
    expect(coordinator_page.locator(".govuk-notification-banner")).to_contain_text(
        f"is assigned to {coordinator.display_name}"
    )
    expect(coordinator_page.get_by_test_id("assignment")).to_contain_text(
        f"{coordinator.display_name}, since"
    )
    expect_no_axe_violations(coordinator_page)
    hand_on.refresh_from_db()
    assert hand_on.assigned_to == coordinator
