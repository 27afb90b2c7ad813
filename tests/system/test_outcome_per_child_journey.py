"""A contact about two siblings decided with two outcomes (issue 13, item 5; ADR 0022),
in the browser, through the real pages. Every page visited is checked with axe (WCAG 2.2
AA).

The manager decides Amy goes to a social care assessment and her brother Ben gets
information and advice: first forgetting Ben's outcome, which is refused beside his
field with everything typed kept; then the decision page shows each child's outcome,
the case handed to social care names Amy only, the school is told each child's outcome,
and Ben's chronology shows his own outcome, not his sister's.
"""

from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.factories import a_child, a_parent, a_sibling, a_submission
from tests.system.conftest import expect_no_axe_violations
from tests.system.test_mash_journey import banner, go_to, open_as, row_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASSESSMENT = "Children's social care assessment (section 17)"
ADVICE = "Information and advice, or signposting to universal services"


@pytest.fixture
def siblings_awaiting_decision(personas: dict[str, User]) -> Contact:
    """A school's contact about Amy, her brother Ben and their mother, screened amber
    with no agency checks: waiting for the manager."""
    contact, _ = contact_create(
        actor=Actor(user=personas["school_referrer"]),
        submission=a_submission(
            people=[
                a_child(),
                a_sibling(date_of_birth=date(2021, 3, 1)),
                a_parent(),
            ]
        ),
    )
    screener = Actor(user=personas["screener"])
    contact_take(actor=screener, contact_id=contact.pk)
    contact_rate(actor=screener, contact_id=contact.pk, rag="amber", rationale="Amber.")
    enquiry_open(actor=screener, contact_id=contact.pk, agency_ids=[])
    return contact


def test_two_siblings_decided_with_two_outcomes(
    new_page: Callable[..., Page], live_server: LiveServer, siblings_awaiting_decision: Contact
) -> None:
    reference = siblings_awaiting_decision.reference

    # --- 1. The manager gives each child an outcome, forgetting Ben's at first --------
    manager = open_as(new_page, live_server, "manager")
    go_to(manager, "Decisions")
    row_for(manager, reference).get_by_role("link", name=reference).click()
    expect_no_axe_violations(manager)
    decision = manager.locator("#decision-form")
    amy = decision.get_by_role("group", name="Amy Smith", exact=True)
    amy.get_by_role("group", name="Level of need for Amy Smith").get_by_label(
        "Level 3", exact=False
    ).check()
    amy.get_by_role("group", name="Outcome for Amy Smith").get_by_label(
        ASSESSMENT, exact=True
    ).check()
    amy.get_by_label("Receiving team for Amy Smith").fill("Assessment team north")
    amy.get_by_label("Primary need code for Amy Smith").select_option(label="N1 Abuse or neglect")
    ben = decision.get_by_role("group", name="Ben Smith", exact=True)
    ben.get_by_role("group", name="Level of need for Ben Smith").get_by_label(
        "Level 1", exact=False
    ).check()
    ben.get_by_label("Primary need code for Ben Smith").select_option(
        label="N9 Cases other than children in need"
    )
    decision.get_by_label("Rationale for the decision").fill(
        "Amy's bruising needs a social work assessment; Ben is thriving at nursery."
    )
    decision.get_by_role("button", name="Record the decision").click()

    # Refused beside Ben's outcome; what was typed is kept
    summary = manager.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the outcome for Ben Smith")
    expect_no_axe_violations(manager)
    summary.get_by_role("link", name="Select the outcome for Ben Smith").click()
    ben = manager.locator("#decision-form").get_by_role("group", name="Ben Smith", exact=True)
    expect(ben.locator(".govuk-error-message")).to_contain_text("Select the outcome for Ben Smith")
    amy = manager.locator("#decision-form").get_by_role("group", name="Amy Smith", exact=True)
    expect(amy.get_by_label("Receiving team for Amy Smith")).to_have_value("Assessment team north")
    expect(amy.get_by_label(ASSESSMENT, exact=True)).to_be_checked()
    expect(ben.get_by_label("Level 1", exact=False)).to_be_checked()
    ben.get_by_role("group", name="Outcome for Ben Smith").get_by_label(ADVICE).check()
    manager.locator("#decision-form").get_by_role("button", name="Record the decision").click()
    expect(banner(manager)).to_contain_text(
        "Decision recorded: Amy Smith, children's social care assessment (section 17); "
        "Ben Smith, information and advice"
    )
    outcomes = manager.get_by_test_id("child-outcomes").first
    expect(outcomes.get_by_role("row").filter(has_text="Amy Smith")).to_contain_text(ASSESSMENT)
    expect(outcomes.get_by_role("row").filter(has_text="Ben Smith")).to_contain_text(ADVICE)
    expect_no_axe_violations(manager)

    # --- 2. The case handed to social care is Amy's alone ------------------------------
    go_to(manager, "Handed on")
    waiting = row_for(manager, reference)
    expect(waiting).to_contain_text("Amy Smith")
    expect(waiting).not_to_contain_text("Ben Smith")
    waiting.get_by_role("link", name=reference).click()
    expect_no_axe_violations(manager)
    handed = manager.get_by_test_id("children-handed-on")
    expect(handed).to_contain_text("Amy Smith")
    expect(handed).not_to_contain_text("Ben Smith")

    # --- 3. Ben's chronology shows his own outcome -------------------------------------
    manager.goto(f"{live_server.url}/mash/contacts/{reference}/")
    expect_no_axe_violations(manager)
    expect(manager.get_by_test_id("screening-child-outcomes")).to_contain_text(ADVICE)
    manager.get_by_role("link", name="Ben Smith").first.click()
    expect_no_axe_violations(manager)
    main = manager.locator("main")
    expect(main).to_contain_text(f"Decision: {ADVICE}")
    expect(main).not_to_contain_text(f"Decision: {ASSESSMENT}")

    # --- 4. The school is told each child's outcome ------------------------------------
    referrer = open_as(new_page, live_server, "school_referrer")
    go_to(referrer, "Your contacts")
    listed = row_for(referrer, reference)
    expect(listed).to_contain_text(f"Amy Smith: {ASSESSMENT}")
    expect(listed).to_contain_text(f"Ben Smith: {ADVICE}")
    listed.get_by_role("link", name=reference).click()
    expect_no_axe_violations(referrer)
    told = referrer.get_by_test_id("referrer-child-outcome")
    expect(told).to_have_count(2)
    expect(told.filter(has_text="Amy Smith")).to_contain_text("A social worker will assess")
    expect(told.filter(has_text="Ben Smith")).to_contain_text("The MASH has given information")
