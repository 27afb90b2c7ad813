"""A strategy discussion from the MASH's decision to its minutes and actions, in the
browser, seen by each invited agency.

The MASH manager decided "strategy discussion and section 47 enquiry" after police,
health and education checked (made through the services, as the MASH journey does it in
the browser). In the browser: the manager is offered the discussion, sets it up,
schedules it (a mistake first, shown beside its field) and invites children's social
care, police and health; the police and health researchers each find the invitation in
their own list and open it, while education, not invited, finds none and cannot open it;
the manager records attendance, the chair the minutes, the decision (a joint section 47
enquiry) and an action each for police and health; the police read the minutes and their
own action (not health's) and mark it done. Every page visited is checked with axe.
"""

import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.enquiries.models import Decision
from openmash.strategy.models import StrategyAction, StrategyDiscussion
from tests.enquiries.conftest import partner_agencies, researchers  # noqa: F401 (fixtures)
from tests.enquiries.test_hand_on_views import decided_contact
from tests.strategy.conftest import RATIONALE_WORDS, STRATEGY_INPUT
from tests.system.conftest import expect_no_axe_violations
from tests.system.test_mash_journey import banner, go_to, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINUTES = "Police shared two call-outs to the address; health shared a missed appointment."
POLICE_ACTION = "Police to visit the home with a social worker"
HEALTH_ACTION = "Health visitor to see the baby within two days"


@pytest.fixture
def decision(
    school_referrer: User,
    screener: User,
    personas: dict[str, User],
    agencies: dict[str, Agency],
    request: pytest.FixtureRequest,
) -> Decision:
    """Decided after police, health and education checked (their researchers made)."""
    return decided_contact(
        school_referrer,
        screener,
        personas["manager"],
        STRATEGY_INPUT,
        agencies=agencies,
        researchers=request.getfixturevalue("researchers"),
    ).decision


def test_a_strategy_discussion_from_decision_to_minutes_and_actions(
    new_page: Callable[..., Page], live_server: LiveServer, decision: Decision
) -> None:
    reference = decision.contact.reference
    today = timezone.localdate()

    # --- 1. The manager is offered the discussion the MASH decided, and sets it up ----
    manager = open_as(new_page, live_server, "manager")
    go_to(manager, "Strategy discussions")
    waiting = manager.get_by_role("table", name=re.compile("^Decisions for a strategy"))
    waiting.get_by_role("link", name=f"Set up the strategy discussion for {reference}").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Raise a strategy discussion")
    expect_no_axe_violations(manager)
    manager.get_by_role("button", name="Raise the strategy discussion").click()
    expect(banner(manager)).to_contain_text(f"You raised a strategy discussion on {reference}")
    expect(manager.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(manager.locator("h1 .govuk-tag")).to_have_text("To be scheduled")
    discussion_url = manager.url

    # --- 2. Scheduling: a mistake first, then the date, time and place --------------
    manager.get_by_role("link", name="Schedule the discussion").click()
    date_group = manager.get_by_role("group", name="Date")
    date_group.get_by_label("Day").fill(str(today.day))
    date_group.get_by_label("Month").fill(str(today.month))
    date_group.get_by_label("Year").fill(str(today.year))
    manager.get_by_label("Time").fill("00:00")
    manager.get_by_role("button", name="Save the date, time and place").click()
    summary = manager.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter where it will be held, or a call link, or both")
    expect_no_axe_violations(manager)
    summary.get_by_role("link", name=re.compile("Enter where it will be held")).click()
    expect(manager.get_by_label(re.compile("^Place"))).to_be_focused()
    manager.get_by_label(re.compile("^Place")).fill("MASH meeting room 2")
    manager.get_by_label(re.compile("^Call link")).fill("https://meet.example.invalid/s47")
    manager.get_by_role("button", name="Save the date, time and place").click()
    expect(banner(manager)).to_contain_text("is scheduled")
    expect(manager.get_by_text("MASH meeting room 2")).to_be_visible()

    # --- 3. Inviting children's social care, police and health (not education) -------
    manager.get_by_role("link", name="Invite agencies or people").click()
    for agency in ("Children's Social Care", "Police", "Health"):
        manager.get_by_label(agency, exact=True).check()
    manager.get_by_role("button", name="Invite").click()
    expect(banner(manager)).to_contain_text("You sent 3 invitations")
    invited = manager.get_by_role("table", name=re.compile("^Agencies and people invited"))
    expect(invited.get_by_role("row")).to_have_count(4)

    # --- 4. Police and health each find the invitation in their own list -------------
    police = open_as(new_page, live_server, "police_researcher")
    health = open_as(new_page, live_server, "health_researcher")
    for researcher in (police, health):
        go_to(researcher, "Strategy discussions")
        expect(researcher.get_by_role("heading", level=1)).to_have_text(
            "Invitations to strategy discussions"
        )
        researcher.get_by_role("link", name=reference).click()
        expect_no_axe_violations(researcher)
        expect(researcher.get_by_text("MASH meeting room 2")).to_be_visible()
        expect(researcher.locator("#minutes + p")).to_have_text("Not recorded yet.")
        expect(researcher.locator("main")).not_to_contain_text(RATIONALE_WORDS)

    # ...and education, not invited, finds none and cannot open it.
    education = open_as(new_page, live_server, "education_researcher")
    go_to(education, "Strategy discussions")
    expect(education.get_by_text("Your agency has no open invitation.")).to_be_visible()
    response = education.goto(discussion_url)
    assert response is not None and response.status == 404
    expect(education.get_by_role("heading", level=1)).to_have_text("Page not found")

    # --- 5. Attendance, minutes, the decision, actions --------------------------------
    manager.get_by_role("link", name="Record attendance").click()
    manager.get_by_role("group", name="Children's Social Care").get_by_label(
        "Attended", exact=True
    ).check()
    manager.get_by_role("group", name="Police").get_by_label("Attended", exact=True).check()
    manager.get_by_role("group", name="Health").get_by_label(
        "Did not attend: sent information", exact=True
    ).check()
    manager.get_by_role("button", name="Save attendance").click()
    expect(banner(manager)).to_contain_text("Attendance saved")

    manager.get_by_role("link", name="Record the minutes").click()
    manager.get_by_label("Minutes").fill(MINUTES)
    manager.get_by_role("button", name="Save the minutes").click()
    expect(banner(manager)).to_contain_text("Minutes saved")

    manager.get_by_role("link", name="Record the decision").click()
    manager.get_by_label("Section 47 enquiry: joint with police").check()
    manager.get_by_role("button", name="Record the decision").click()
    expect(manager.locator("h1 .govuk-tag")).to_have_text("Decided")

    for description, agency in ((POLICE_ACTION, "Police"), (HEALTH_ACTION, "Health")):
        manager.get_by_role("link", name="Add an action").click()
        manager.get_by_label("Action", exact=True).fill(description)
        manager.get_by_label("Agency that owns it").select_option(label=agency)
        due = manager.get_by_role("group", name="Due by")
        due.get_by_label("Day").fill(str(today.day))
        due.get_by_label("Month").fill(str(today.month))
        due.get_by_label("Year").fill(str(today.year))
        manager.get_by_role("button", name="Add the action").click()
        expect(banner(manager)).to_contain_text("Action added")
    actions = manager.get_by_role("table", name="Actions, by due date")
    expect(actions.get_by_role("row")).to_have_count(3)

    # --- 6. Each agency reads the minutes and its own action --------------------------
    police.reload()
    expect_no_axe_violations(police)
    expect(police.get_by_text(MINUTES)).to_be_visible()
    expect(police.get_by_text("Section 47 enquiry: joint with police")).to_be_visible()
    expect(police.get_by_role("cell", name=POLICE_ACTION, exact=True)).to_be_visible()
    expect(police.get_by_text(HEALTH_ACTION)).to_have_count(0)
    expect(
        police.get_by_role("table", name="Agencies and people invited, with their attendance")
        .get_by_role("row")
        .filter(has_text="Police")
    ).to_contain_text("Attended")
    police.get_by_role("button", name=re.compile("^Mark done")).click()
    expect(banner(police)).to_contain_text("Action marked done")

    health.reload()
    expect_no_axe_violations(health)
    expect(health.get_by_text(MINUTES)).to_be_visible()
    expect(health.get_by_role("cell", name=HEALTH_ACTION, exact=True)).to_be_visible()
    expect(health.get_by_text(POLICE_ACTION)).to_have_count(0)

    discussion = StrategyDiscussion.objects.get()
    assert discussion.decision == decision
    assert StrategyAction.objects.get(description=POLICE_ACTION).done_at is not None
    assert StrategyAction.objects.get(description=HEALTH_ACTION).done_at is None
