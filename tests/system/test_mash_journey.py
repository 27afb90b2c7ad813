"""One contact's whole journey through the MASH, in the browser, through the real pages only.

A school makes a contact; a screener rates it amber and asks police, health and education
to check; the police and health researchers record what they know; the screener waives the
education check; a MASH manager steps it down to early help; the early help coordinator
accepts it; the school sees the outcome; and the child's chronology tells the whole story.
Every page visited is checked with axe (WCAG 2.2 AA).
"""

import re
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from tests.conftest import PASSWORD
from tests.enquiries.conftest import partner_agencies, researchers  # noqa: F401 (fixtures)
from tests.factories import VALID_NHS_NUMBER
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in
from tests.system.test_referrer import fill_person, years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


REFERENCE = re.compile(r"^MASH-\d{4}-\d{6}$")
CONCERN = "Amy has bruises on her arms and says mum's boyfriend shouts at her."
RAG_RATIONALE = "Repeated bruising and a new adult in the home; no immediate risk today."
POLICE_SUMMARY = "Two domestic incidents at the address in 2025; Amy was present at one."
HEALTH_SUMMARY = "School nurse saw Amy in January about bruising; no follow-up recorded."
WAIVE_REASON = "The school made the contact and has told us what education knows."
DECISION_RATIONALE = "Needs are additional, not complex: family support from early help."
RECEIVING_TEAM = "Eastbridge early help hub"
ALLOCATED_WORKER = "Sam Patel"
STEP_DOWN = "Step down to early help"
NEXT_STEPS = "The early help team will contact the family to offer support."


def go_to(page: Page, link: str) -> None:
    """Follows a link in the service navigation and checks the page it opens."""
    go_to_page(page, link)
    expect_no_axe_violations(page)


def banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner--success")


def row_for(page: Page, reference: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))


def open_as(new_page: Callable[..., Page], live_server: LiveServer, username: str) -> Page:
    """A fresh browser, signed in as `username`."""
    page = new_page()
    sign_in(page, live_server, username, PASSWORD)
    return page


def record_findings(page: Page, agency: str, child_summary: str) -> None:
    """Known to the agency for the child, with a summary; not known for the parent."""
    child = page.get_by_role("group", name="1. Amy Smith", exact=True)
    child.get_by_role("group", name=f"Is Amy Smith known to {agency}?").get_by_label(
        f"Known to {agency}", exact=True
    ).check()
    child.get_by_label("Summary of what is known").fill(child_summary)
    child.get_by_role(
        "group", name="May the team that receives the case see this finding?"
    ).get_by_label("Do not share outside the MASH").check()
    parent = page.get_by_role("group", name="2. Karen Smith", exact=True)
    parent.get_by_role("group", name=f"Is Karen Smith known to {agency}?").get_by_label(
        f"Not known to {agency}", exact=True
    ).check()
    page.get_by_role("button", name="Record findings and complete the check").click()


def expect_only_this_check(page: Page, reference: str) -> None:
    """The agency's queue lists this one contact, and no other agency's check."""
    table = page.get_by_role("table", name=re.compile(r"^Checks to do"))
    expect(table.get_by_role("row")).to_have_count(2)  # the header and one check
    expect(row_for(page, reference)).to_have_count(1)


@pytest.mark.usefixtures("researchers")  # health_researcher and the other agencies' ones
def test_a_school_contact_goes_through_the_mash_to_early_help(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    # --- 1. A school makes a contact -------------------------------------------------
    # Given a school's safeguarding lead signed in to OpenMASH
    referrer = open_as(new_page, live_server, "school_referrer")

    # When they make a contact about a child and her mother
    go_to(referrer, "Make a contact")
    expect(referrer.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
    fill_person(
        referrer,
        1,
        role="Child the contact is about",
        given="Amy",
        family="Smith",
        born=years_ago(8),
        sex="Female",
        nhs_number=VALID_NHS_NUMBER,
    )
    referrer.get_by_role("button", name="Add another person").click()
    expect_no_axe_violations(referrer)
    fill_person(
        referrer,
        2,
        role="Parent or carer",
        given="Karen",
        family="Smith",
        born=date(1988, 4, 2),
        sex="Female",
    )
    referrer.get_by_label("16A Neglect").check()
    referrer.get_by_label("Describe the concern").fill(CONCERN)
    referrer.get_by_role("group", name="Is a child at immediate risk of harm?").get_by_label(
        "No", exact=True
    ).check()
    referrer.get_by_label("Level 2: additional needs (early help)").check()
    referrer.get_by_label("Consent given").check()
    referrer.get_by_label("Lawful basis for sharing").select_option("public_task_safeguarding")
    referrer.get_by_role("button", name="Submit contact").click()

    # Then the contact is received, with a reference
    panel = referrer.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Contact received")
    reference = panel.locator("strong").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect_no_axe_violations(referrer)

    # --- 2. The screener rates it and opens an enquiry ------------------------------
    # Given a screener signed in elsewhere
    screener = open_as(new_page, live_server, "screener")

    # When they open the screening queue, they find the contact waiting to be taken
    go_to(screener, "Screening queue")
    expect(screener.get_by_role("heading", level=1)).to_have_text("Screening queue")
    row = row_for(screener, reference)
    expect(row).to_contain_text("Amy Smith (8 years)")
    expect(row).to_contain_text("Not rated")

    # ... and open it and take it
    row.get_by_role("link", name=reference).click()
    expect(screener.get_by_role("heading", level=1)).to_contain_text(reference)
    expect_no_axe_violations(screener)
    screener.get_by_role("button", name="Take this contact for screening").click()
    expect(banner(screener)).to_contain_text(f"You have taken {reference} for screening.")
    expect_no_axe_violations(screener)

    # ... rate it amber, with their rationale
    rate = screener.get_by_role("region", name="Rate the contact")
    rate.get_by_role("group", name="RAG rating").get_by_label("Amber", exact=True).check()
    rate.get_by_label("Rationale for the rating").fill(RAG_RATIONALE)
    rate.get_by_role("button", name="Save the rating").click()
    expect(banner(screener)).to_contain_text(f"Rated amber: the decision on {reference} is due by")
    expect_no_axe_violations(screener)

    # Then the agencies usually asked at amber are ticked for the enquiry
    enquiry = screener.get_by_role("region", name="Open a MASH enquiry")
    agencies = enquiry.get_by_role("group", name="Agencies to ask to check their records")
    for agency in ("Police", "Health", "Education Safeguarding"):
        expect(agencies.get_by_label(agency, exact=True)).to_be_checked()
    expect(agencies.get_by_label("Probation Service", exact=True)).not_to_be_checked()

    # When they open the enquiry with police, health and education
    enquiry.get_by_role("button", name="Open the enquiry").click()

    # Then those three agencies are asked to check their records
    expect(banner(screener)).to_contain_text(
        f"Enquiry opened on {reference}. Education Safeguarding, Health and Police asked "
        "to check their records."
    )
    checks = screener.get_by_role("table", name="Agencies asked to check their records")
    expect(checks.get_by_role("row")).to_have_count(4)
    expect_no_axe_violations(screener)

    # --- 3. The police and health researchers record their findings ----------------
    # Given the police researcher signed in
    police = open_as(new_page, live_server, "police_researcher")

    # When they open their agency's checks, they see only the police check
    go_to(police, "Agency checks")
    expect(police.get_by_role("heading", level=1)).to_have_text("Agency checks")
    expect_only_this_check(police, reference)

    # ... and record that the child is known to them and her mother is not
    police.get_by_role("link", name=reference).click()
    expect(police.get_by_text("Agency check for Police")).to_be_visible()
    expect_no_axe_violations(police)
    record_findings(police, "Police", POLICE_SUMMARY)

    # Then the check is done and their queue is empty
    expect(banner(police)).to_contain_text(f"Findings recorded for {reference}. Thank you.")
    expect(police.get_by_text("There are no checks for your agency to do.")).to_be_visible()
    expect_no_axe_violations(police)

    # Given the health researcher signed in, whose queue also holds only their own check
    health = open_as(new_page, live_server, "health_researcher")
    go_to(health, "Agency checks")
    expect_only_this_check(health, reference)

    # When they record what health knows
    health.get_by_role("link", name=reference).click()
    expect(health.get_by_text("Agency check for Health")).to_be_visible()
    expect_no_axe_violations(health)
    record_findings(health, "Health", HEALTH_SUMMARY)

    # Then the health check is done too
    expect(banner(health)).to_contain_text(f"Findings recorded for {reference}. Thank you.")
    expect_no_axe_violations(health)

    # --- 4. The screener waives the education check ---------------------------------
    # When the screener goes from the screening page to the MASH record
    screener.reload()
    expect_no_axe_violations(screener)
    screener.get_by_role("link", name=re.compile(r"^Open the MASH record")).click()
    expect(screener.get_by_role("heading", level=1)).to_contain_text(reference)
    expect_no_axe_violations(screener)

    # ... and says the education check is no longer needed, and why
    education = screener.locator("details", has_text="Education Safeguarding check")
    education.get_by_text("The Education Safeguarding check is no longer needed").click()
    education.get_by_label("Why is this check no longer needed?").fill(WAIVE_REASON)
    education.get_by_role("button", name="Waive the Education Safeguarding check").click()

    # Then the check is waived, with the reason on the record
    expect(banner(screener)).to_contain_text(
        "The Education Safeguarding check is no longer needed."
    )
    expect(screener.get_by_text(WAIVE_REASON)).to_be_visible()
    expect_no_axe_violations(screener)

    # --- 5. The manager decides ----------------------------------------------------
    # Given a MASH manager signed in
    manager = open_as(new_page, live_server, "manager")

    # When they open the decisions queue, the contact is ready for a decision
    go_to(manager, "Decisions")
    ready = manager.get_by_role("table", name=re.compile(r"^Contacts ready for a decision"))
    expect(row_for(manager, reference)).to_have_count(1)
    expect(ready.get_by_role("link", name=reference)).to_be_visible()

    # ... and on the contact's decision page they see what police and health found
    ready.get_by_role("link", name=reference).click()
    expect(manager.get_by_role("heading", level=1)).to_contain_text(reference)
    expect_no_axe_violations(manager)
    expect(manager.get_by_role("heading", name="Amy Smith: known to Police")).to_be_visible()
    expect(manager.get_by_text(POLICE_SUMMARY)).to_be_visible()
    expect(manager.get_by_role("heading", name="Karen Smith: not known to Police")).to_be_visible()
    expect(manager.get_by_role("heading", name="Amy Smith: known to Health")).to_be_visible()
    expect(manager.get_by_text(HEALTH_SUMMARY)).to_be_visible()
    expect(manager.get_by_text(WAIVE_REASON)).to_be_visible()

    # When they record level of need 2 and a step down to early help, keeping the factors
    decision = manager.locator("#decision-form")
    decision.get_by_role("group", name="Level of need").get_by_label(
        "Level 2: Additional needs (early help)"
    ).check()
    decision.get_by_role("group", name="Outcome").get_by_label(STEP_DOWN, exact=True).check()
    expect(decision.get_by_label("16A Neglect")).to_be_checked()
    decision.get_by_label("Primary need code").select_option(label="N1 Abuse or neglect")
    decision.get_by_label("Rationale for the decision").fill(DECISION_RATIONALE)
    decision.get_by_label("Receiving team", exact=True).fill(RECEIVING_TEAM)
    decision.get_by_role("button", name="Record the decision").click()

    # Then the decision is on the page, handed on to early help
    expect(banner(manager)).to_contain_text(f"Decision recorded: {STEP_DOWN}.")
    recorded = manager.locator("h3[id^='decision-'] + dl")
    expect(recorded).to_have_count(1)
    for shown in (STEP_DOWN, "Level 2", "16A Neglect", "N1 Abuse or neglect", RECEIVING_TEAM):
        expect(recorded).to_contain_text(shown)
    expect(recorded).to_contain_text(DECISION_RATIONALE)
    handed_on = manager.get_by_role("table", name="Handed on", exact=True)
    expect(handed_on).to_contain_text("Early help")
    expect(manager.locator("#decision-form")).to_have_count(0)
    expect_no_axe_violations(manager)

    # --- 6. Early help accepts the case -------------------------------------------
    # Given the early help coordinator signed in
    early_help = open_as(new_page, live_server, "early_help_coordinator")

    # When they open the cases handed on to them, and the contact
    go_to(early_help, "Handed on")
    waiting = early_help.get_by_role("table", name=re.compile(r"^Cases waiting to be accepted"))
    expect(waiting.get_by_role("row").filter(has_text=reference)).to_contain_text(STEP_DOWN)
    waiting.get_by_role("link", name=reference).click()
    expect(early_help.get_by_role("heading", level=1)).to_contain_text(reference)
    # The rationale stays in the MASH (issue 12): the team sees the MASH summary only.
    expect(early_help.get_by_text(DECISION_RATIONALE)).to_have_count(0)
    expect(early_help.get_by_text(POLICE_SUMMARY)).to_have_count(0)
    expect_no_axe_violations(early_help)

    # ... and accept it, naming the worker
    early_help.get_by_label("Worker allocated (optional)").fill(ALLOCATED_WORKER)
    early_help.get_by_role("button", name="Accept", exact=True).click()

    # Then it has moved to their recently answered cases
    expect(banner(early_help)).to_contain_text(f"You accepted {reference}.")
    expect(early_help.get_by_text("No case is waiting for your team.")).to_be_visible()
    answered = early_help.get_by_role("table", name=re.compile(r"^Cases recently accepted"))
    expect(answered.get_by_role("row").filter(has_text=reference)).to_contain_text("Accepted")
    expect_no_axe_violations(early_help)

    # --- 7. The school sees the outcome -------------------------------------------
    # Given the school's safeguarding lead signs in again
    referrer = open_as(new_page, live_server, "school_referrer")

    # When they look at the contacts they have made
    go_to(referrer, "Your contacts")
    expect(row_for(referrer, reference)).to_contain_text(STEP_DOWN)

    # ... and open this one
    row_for(referrer, reference).get_by_role("link", name=reference).click()
    expect(referrer.get_by_role("heading", level=1)).to_contain_text(reference)
    expect_no_axe_violations(referrer)

    # Then they see the outcome and what happens next, but nothing the agencies found
    outcome = referrer.locator("#outcome + dl")
    expect(outcome).to_contain_text(STEP_DOWN)
    expect(outcome).to_contain_text(NEXT_STEPS)
    expect(referrer.get_by_text(POLICE_SUMMARY)).to_have_count(0)
    expect(referrer.get_by_text(HEALTH_SUMMARY)).to_have_count(0)
    expect(referrer.get_by_text(DECISION_RATIONALE)).to_have_count(0)

    # --- 8. The child's chronology tells the whole story ---------------------------
    # When the screener, back on the MASH record, opens Amy's chronology from it
    screener.reload()
    expect(screener.get_by_role("heading", level=1)).to_contain_text(reference)
    expect_no_axe_violations(screener)
    screener.get_by_role("link", name=re.compile(r"^Amy Smith\s*: chronology$")).click()
    expect(screener.get_by_role("heading", level=1)).to_have_text("Amy Smith")
    expect_no_axe_violations(screener)

    # Then it shows the contact, the rating, the checks, the waiver, the decision and
    # the hand-on, newest first
    timeline = screener.locator(".moj-timeline")
    titles = timeline.locator(".moj-timeline__title")
    expect(titles).to_have_text(
        [
            "Accepted by Early help",
            "Handed on to Early help",
            f"Decision: {STEP_DOWN}",
            "Education Safeguarding check waived",
            "Health check completed",
            "Police check completed",
            "Agency checks requested: Education Safeguarding, Health, Police",
            "Rated Amber",
            "Contact received",
        ]
    )
    expect(timeline).to_contain_text(RAG_RATIONALE)
    expect(timeline).to_contain_text(POLICE_SUMMARY)
    expect(timeline).to_contain_text(HEALTH_SUMMARY)
    expect(timeline).to_contain_text(WAIVE_REASON)
    expect(timeline).to_contain_text("Level 2: Additional needs (early help)")
    expect(timeline).to_contain_text(DECISION_RATIONALE)
    expect(timeline).to_contain_text(ALLOCATED_WORKER)
