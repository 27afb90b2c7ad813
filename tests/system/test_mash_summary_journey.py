"""Composing a MASH summary and the receiving team reading it (issue 12, item 1), in the
browser, through the real pages. Every page visited is checked with axe (WCAG 2.2 AA).

The police researcher releases a summary of what they know about the man in the home;
the health researcher releases nothing about the mother; the manager composes the
summary for early help, with the risks to workers visiting the home, and a rationale that
stays in the MASH; early help reads exactly the summary, accepts the case and names the
worker; the MASH record shows what was shared with the receiving team.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.enquiries.conftest import partner_agencies, researchers  # noqa: F401 (fixtures)
from tests.factories import a_child, a_parent, a_submission
from tests.system.conftest import expect_no_axe_violations
from tests.system.test_mash_journey import banner, go_to, open_as, row_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICE_DETAIL = "Three call-outs in 2025 for assaults on his former partner at Flat 2."
POLICE_RELEASED = "Violence against partners; hostile to police. Do not visit alone."
HEALTH_KEPT = "Mother disclosed a termination of pregnancy at the March appointment."
RATIONALE = "Health say the mother disclosed a termination of pregnancy at the March appointment."
SUMMARY = "Amy needs help with routines and school attendance; mum asks for support."
WORKER_RISKS = "Man in the home: violence against partners, hostile to police. Visit in pairs."
SHARING = "May the team that receives the case see this finding?"


@pytest.fixture
def contact_in_checks(
    personas: dict[str, User],
    partner_agencies: dict[str, Agency],  # noqa: F811
) -> Contact:
    """A school's contact about Amy, her mother and the man in the home, rated amber,
    with police and health asked to check (made through the services: the journey
    starts with the researchers)."""
    contact, _ = contact_create(
        actor=Actor(user=personas["school_referrer"]),
        submission=a_submission(
            people=[
                a_child(),
                a_parent(),
                a_parent(
                    role=PersonRole.OTHER_ADULT, given_names="Dean", family_name="Cole", sex="M"
                ),
            ]
        ),
    )
    screener = Actor(user=personas["screener"])
    contact_take(actor=screener, contact_id=contact.pk)
    contact_rate(actor=screener, contact_id=contact.pk, rag="amber", rationale="Amber.")
    enquiry_open(
        actor=screener,
        contact_id=contact.pk,
        agency_ids=[partner_agencies[slug].pk for slug in ("police", "health")],
    )
    return contact


def person(page: Page, number: int, name: str) -> Locator:
    return page.get_by_role("group", name=f"{number}. {name}", exact=True)


def not_known(page: Page, number: int, name: str, agency: str) -> None:
    person(page, number, name).get_by_role(
        "group", name=f"Is {name} known to {agency}?"
    ).get_by_label(f"Not known to {agency}", exact=True).check()


def known(page: Page, number: int, name: str, agency: str, summary: str) -> Locator:
    found = person(page, number, name)
    found.get_by_role("group", name=f"Is {name} known to {agency}?").get_by_label(
        f"Known to {agency}", exact=True
    ).check()
    found.get_by_label("Summary of what is known").fill(summary)
    return found


@pytest.mark.usefixtures("researchers")
def test_composing_a_mash_summary_and_early_help_reading_it(
    new_page: Callable[..., Page], live_server: LiveServer, contact_in_checks: Contact
) -> None:
    reference = contact_in_checks.reference

    # --- 1. The police researcher releases a summary about the man in the home --------
    police = open_as(new_page, live_server, "police_researcher")
    go_to(police, "Agency checks")
    police.get_by_role("link", name=reference).click()
    expect_no_axe_violations(police)
    not_known(police, 1, "Amy Smith", "Police")
    not_known(police, 2, "Karen Smith", "Police")
    dean = known(police, 3, "Dean Cole", "Police", POLICE_DETAIL)
    dean.get_by_role("group", name=SHARING).get_by_label("Share a summary I write").check()

    # A summary with nothing written is refused, with the error at the field
    police.get_by_role("button", name="Record findings and complete the check").click()
    expect(police.locator(".govuk-error-summary")).to_contain_text(
        "Enter the summary the team that receives the case may see"
    )
    expect_no_axe_violations(police)
    dean = person(police, 3, "Dean Cole")
    dean.get_by_label("Summary the receiving team may see").fill(POLICE_RELEASED)
    police.get_by_role("button", name="Record findings and complete the check").click()
    expect(banner(police)).to_contain_text(f"Findings recorded for {reference}.")
    expect_no_axe_violations(police)

    # --- 2. The health researcher keeps what they know about the mother ---------------
    health = open_as(new_page, live_server, "health_researcher")
    go_to(health, "Agency checks")
    health.get_by_role("link", name=reference).click()
    expect_no_axe_violations(health)
    not_known(health, 1, "Amy Smith", "Health")
    karen = known(health, 2, "Karen Smith", "Health", HEALTH_KEPT)
    karen.get_by_role("group", name=SHARING).get_by_label("Do not share outside the MASH").check()
    not_known(health, 3, "Dean Cole", "Health")
    health.get_by_role("button", name="Record findings and complete the check").click()
    expect(banner(health)).to_contain_text(f"Findings recorded for {reference}.")
    expect_no_axe_violations(health)

    # --- 3. The manager composes the MASH summary at decision --------------------------
    manager = open_as(new_page, live_server, "manager")
    go_to(manager, "Decisions")
    row_for(manager, reference).get_by_role("link", name=reference).click()
    expect_no_axe_violations(manager)
    decision = manager.locator("#decision-form")
    released = decision.get_by_role(
        "group", name="Findings the agencies released to the receiving team"
    )
    # Only what police released is offered, ticked to start with; health's is not there
    expect(released.get_by_role("checkbox")).to_have_count(1)
    expect(released.get_by_label(POLICE_RELEASED, exact=False)).to_be_checked()
    expect(decision).not_to_contain_text(HEALTH_KEPT)
    decision.get_by_role("group", name="Level of need").get_by_label(
        "Level 2: Additional needs (early help)"
    ).check()
    decision.get_by_role("group", name="Outcome").get_by_label(
        "Step down to early help", exact=True
    ).check()
    decision.get_by_label("Primary need code").select_option(label="N1 Abuse or neglect")
    decision.get_by_label("Rationale for the decision").fill(RATIONALE)
    decision.get_by_label("Receiving team", exact=True).fill("Eastbridge early help hub")
    decision.get_by_label("Summary for the receiving team").fill(SUMMARY)
    decision.get_by_label("Risks to workers visiting the home").fill(WORKER_RISKS)

    # Sharing the rationale, which quotes health, is refused at the tick box
    decision.get_by_label("Also share the rationale with the receiving team").check()
    decision.get_by_role("button", name="Record the decision").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text(
        "The rationale repeats a finding its agency did not release"
    )
    expect_no_axe_violations(manager)
    decision = manager.locator("#decision-form")
    decision.get_by_label("Also share the rationale with the receiving team").uncheck()
    decision.get_by_role("button", name="Record the decision").click()
    expect(banner(manager)).to_contain_text("Decision recorded: Step down to early help.")
    shared = manager.locator("#shared-with-receiving-team")
    expect(shared).to_contain_text("To early help")
    expect(shared).to_contain_text(POLICE_RELEASED)
    expect(shared).to_contain_text(WORKER_RISKS)
    expect(shared).not_to_contain_text(RATIONALE)
    expect_no_axe_violations(manager)

    # --- 4. Early help reads exactly the summary --------------------------------------
    early_help = open_as(new_page, live_server, "early_help_coordinator")
    go_to(early_help, "Handed on")
    waiting = early_help.get_by_role("row").filter(has_text=reference)
    expect(waiting).to_contain_text("Risk to workers")
    expect(waiting).to_contain_text(SUMMARY)
    waiting.get_by_role("link", name=reference).click()
    expect_no_axe_violations(early_help)
    expect(early_help.locator(".govuk-warning-text")).to_contain_text(WORKER_RISKS)
    expect(early_help.get_by_text(POLICE_RELEASED)).to_be_visible()
    expect(early_help.get_by_text(SUMMARY)).to_be_visible()
    content = early_help.locator("main")
    for kept in (POLICE_DETAIL, HEALTH_KEPT, RATIONALE, "termination of pregnancy"):
        expect(content).not_to_contain_text(kept)

    # ... accepts it and names the worker and how to reach them
    early_help.get_by_label("Worker allocated (optional)").fill("Sam Patel")
    early_help.get_by_label("How to contact them (optional)").fill("01234 567890")
    early_help.get_by_role("button", name="Accept", exact=True).click()
    expect(banner(early_help)).to_contain_text(f"You accepted {reference}.")
    expect_no_axe_violations(early_help)

    # ... and the child's chronology says the same, and no more
    early_help.get_by_role("link", name="Amy Smith").first.click()
    expect_no_axe_violations(early_help)
    expect(early_help.locator("main")).to_contain_text(WORKER_RISKS)
    for kept in (POLICE_DETAIL, HEALTH_KEPT, RATIONALE):
        expect(early_help.locator("main")).not_to_contain_text(kept)
