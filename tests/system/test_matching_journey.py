"""Who is this child? Person matching in the browser, through the real pages (issue 4).

Two earlier contacts named Amy Smith, born 7 March 2017, with no NHS number: one when
the family lived elsewhere, one at their current address, which the MASH decided on.
A school now makes a contact about "Amy Smyth", born "3 July 2017" (surname misspelt, day
and month swapped). The matcher runs in the background when the contact arrives (the test
settings run tasks at once); the screener sees the earlier contact at the same address as
the top suggestion, with why, and the one at the old address below it, but never Amy's
twin sister; confirms both; and Amy's chronology shows the earlier history and a
cumulative-concern flag. Every page visited is checked with axe (WCAG 2.2 AA).
"""

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.contacts.submission import Address
from openmash.core.audit import Actor
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from openmash.linkage.matcher import match_person
from openmash.linkage.models import IndexedPerson, LinkState, PersonLink
from tests.conftest import PASSWORD
from tests.factories import a_child, a_parent, a_submission
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in
from tests.system.test_referrer import fill_person, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"^MASH-\d{4}-\d{6}$")
AMY_BORN = date(2017, 3, 7)
AMY_BORN_SWAPPED = date(2017, 7, 3)
HOME = {"line1": "1 High Street", "town": "Eastbridge", "postcode": "DC1 4AB"}
OLD_HOME = {"line1": "22 Canal Row", "town": "Westford", "postcode": "DC7 9QZ"}
CONCERN = "Amy Smyth has missed 12 days this half term and was upset about home."
DECISION_RATIONALE = "Needs met by a family support worker."


def _earlier_contact(
    referrer: User, *, received: datetime, home: dict[str, str], twin: bool = False
) -> Contact:
    """A contact about Amy Smith made through the service, as if received then."""
    address = Address(**home)
    people = [a_child(nhs_number="", date_of_birth=AMY_BORN, address=address)]
    if twin:  # her twin sister: same surname, address and birthday, another child
        people.append(
            a_child(
                role="sibling",
                given_names="Emma",
                nhs_number="",
                date_of_birth=AMY_BORN,
                address=address,
            )
        )
    people.append(a_parent(address=address))
    contact, _ = contact_create(
        actor=Actor(user=referrer), submission=a_submission(people=people), now=received
    )
    return contact


def _decide(contact: Contact, screener: User, manager: User, when: datetime) -> None:
    """Screen and decide the contact through the services: stepped down to early help."""
    contact_take(actor=Actor(user=screener), contact_id=contact.pk, now=when)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="green",
        rationale="Attendance and hunger; no immediate risk.",
        now=when,
    )
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[], now=when)
    decision_record(
        actor=Actor(user=manager),
        contact_id=contact.pk,
        data=DecisionInput(
            level_of_need=2,
            outcome="early_help",
            factor_codes=["16A"],
            primary_need="N4",
            rationale=DECISION_RATIONALE,
            receiving_team="Eastbridge early help hub",
        ),
        now=when + timedelta(hours=2),
    )


def banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner--success")


def row_for(page: Page, reference: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))


def test_a_misspelt_child_is_matched_to_her_earlier_contacts_and_her_history_joins_up(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    referrer, screener, manager = (
        personas["school_referrer"],
        personas["screener"],
        personas["manager"],
    )
    now = timezone.now()
    # Given two earlier contacts about Amy Smith within the last 12 months: the first
    # at the family's old address, the second at their home now, with her twin sister
    at_old_home = _earlier_contact(referrer, received=now - timedelta(days=200), home=OLD_HOME)
    at_home = _earlier_contact(referrer, received=now - timedelta(days=90), home=HOME, twin=True)
    # ... and the MASH decided on the second one
    _decide(at_home, screener, manager, now - timedelta(days=89))

    # When a school's safeguarding lead makes a contact about "Amy Smyth", born 3 July 2017
    sign_in(page, live_server, "school_referrer", PASSWORD)
    page.goto(f"{live_server.url}/contacts/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
    expect_no_axe_violations(page)
    fill_person(
        page,
        1,
        role="Child the contact is about",
        given="Amy",
        family="Smyth",
        born=AMY_BORN_SWAPPED,
        sex="Female",
    )
    child = person(page, 1)
    child.get_by_label("Address line 1").fill(HOME["line1"])
    child.get_by_label("Town or city").fill(HOME["town"])
    child.get_by_label("Postcode").fill(HOME["postcode"])
    page.get_by_label("16A Neglect").check()
    page.get_by_label("Describe the concern").fill(CONCERN)
    page.get_by_role("group", name="Is a child at immediate risk of harm?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_label("Level 2: additional needs (early help)").check()
    page.get_by_label("Consent given").check()
    page.get_by_label("Lawful basis for sharing").select_option("public_task_safeguarding")
    page.get_by_role("button", name="Submit contact").click()

    # Then it is received
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Contact received")
    reference = panel.locator("strong").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect_no_axe_violations(page)

    # ... and the matcher, run in the background, suggested Amy's two earlier records
    # and not her twin (best first)
    suggested = list(
        PersonLink.objects.filter(contact_person__contact__reference=reference)
        .order_by("-probability")
        .values_list("candidate__contact_person__contact__reference", "state", "probability")
    )
    assert [(ref, state) for ref, state, _ in suggested] == [
        (at_home.reference, LinkState.SUGGESTED),
        (at_old_home.reference, LinkState.SUGGESTED),
    ], suggested
    assert suggested[0][2] > suggested[1][2] >= 0.5, suggested
    # The twin was a candidate (same birthday, swapped) but scored as someone else
    twin = IndexedPerson.objects.get(contact_person__contact=at_home, given_names="Emma")
    scores = {
        candidate.indexed_person_id: candidate.probability
        for candidate in match_person(
            given_names="Amy",
            family_name="Smyth",
            date_of_birth=AMY_BORN_SWAPPED,
            sex="F",
            postcode=HOME["postcode"],
            exclude_contact_id=Contact.objects.get(reference=reference).pk,
        )
    }
    assert scores[twin.pk] < 0.5, scores

    # When the screener opens the screening queue and the new contact
    screener_page = new_page()
    sign_in(screener_page, live_server, "screener", PASSWORD)
    go_to_page(screener_page, "Screening queue")
    expect(screener_page.get_by_role("heading", level=1)).to_have_text("Screening queue")
    expect_no_axe_violations(screener_page)
    row_for(screener_page, reference).get_by_role("link", name=reference).click()
    expect(screener_page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect_no_axe_violations(screener_page)

    # Then, under "Who are these people?", the top suggestion for Amy is the earlier
    # contact at the same address, with why in words; the one at the old address next
    expect(
        screener_page.get_by_role("heading", name="Who are these people? Possible matches")
    ).to_be_visible()
    matches = screener_page.get_by_role("table", name="Possible matches for Amy Smyth")
    rows = matches.locator("tbody tr")
    expect(rows).to_have_count(2)
    top, second = rows.nth(0), rows.nth(1)
    expect(top.get_by_role("link", name=at_home.reference)).to_be_visible()
    expect(second.get_by_role("link", name=at_old_home.reference)).to_be_visible()
    expect(top.get_by_role("cell").nth(2)).to_have_text(
        "same first name; surname similar: Smyth/Smith; "
        "day and month swapped: 3 July 2017 and 7 March 2017; same sex; same postcode"
    )
    expect(second).to_contain_text("day and month swapped")
    expect(second).to_contain_text("different postcode")
    expect(matches).not_to_contain_text("Emma")

    # When they say the top suggestion is the same person
    top.get_by_role("button", name=re.compile(r"^Same person")).click()

    # Then it is linked
    expect(banner(screener_page)).to_contain_text(
        "You confirmed the match: the records are linked."
    )
    matches = screener_page.get_by_role("table", name="Possible matches for Amy Smyth")
    top = matches.locator("tbody tr").filter(
        has=screener_page.get_by_role("link", name=at_home.reference)
    )
    expect(top.get_by_text("Linked", exact=True)).to_be_visible()
    expect_no_axe_violations(screener_page)

    # ... and the earlier contact is now among the other contacts about Amy, with the
    # early warning its decision raises
    amy = screener_page.locator(".app-person").filter(
        has=screener_page.get_by_role("link", name=re.compile(r"^Amy Smyth\s*: chronology$"))
    )
    other_contacts = amy.get_by_role("table", name="Other contacts about Amy Smyth")
    expect(other_contacts.get_by_role("row").filter(has_text=at_home.reference)).to_contain_text(
        "Step down to early help"
    )
    expect(amy.get_by_test_id("concern-flags")).to_contain_text(
        "Re-referral within 12 months of a previous decision"
    )

    # When they open Amy's chronology from the child's panel
    amy.get_by_role("link", name=re.compile(r"^Amy Smyth\s*: chronology$")).click()
    expect(screener_page.get_by_role("heading", level=1)).to_have_text("Amy Smyth")
    expect_no_axe_violations(screener_page)

    # Then it shows the earlier contact's history: the rating, decision and hand-on
    timeline = screener_page.locator(".moj-timeline")
    for title in ("Handed on to Early help", "Decision: Step down to early help", "Rated Green"):
        expect(timeline.locator(".moj-timeline__title").filter(has_text=title)).to_have_count(1)
    expect(timeline).to_contain_text(at_home.reference)
    expect(timeline).to_contain_text(DECISION_RATIONALE)
    warning = screener_page.get_by_test_id("early-warning")
    expect(warning).to_contain_text("Re-referral within 12 months of a previous decision")

    # When they go back and confirm the second suggestion too: Amy before the move.
    # (A confirmed link joins the two records it names; the earlier contacts' own
    # sameness by name and date of birth is not followed through it, so the contact at
    # the old address joins Amy's history only once this match is confirmed as well.)
    screener_page.go_back()
    screener_page.reload()
    expect(screener_page.get_by_role("heading", level=1)).to_contain_text(reference)
    matches = screener_page.get_by_role("table", name="Possible matches for Amy Smyth")
    earlier = matches.locator("tbody tr").filter(
        has=screener_page.get_by_role("link", name=at_old_home.reference)
    )
    earlier.get_by_role("button", name=re.compile(r"^Same person")).click()
    expect(banner(screener_page)).to_contain_text(
        "You confirmed the match: the records are linked."
    )
    matches = screener_page.get_by_role("table", name="Possible matches for Amy Smyth")
    expect(matches.get_by_text("Linked", exact=True)).to_have_count(2)
    expect(matches.get_by_role("button", name=re.compile(r"^Same person"))).to_have_count(0)
    expect_no_axe_violations(screener_page)

    # Then Amy's chronology holds all three contacts, newest first, and flags the pattern
    screener_page.get_by_role("link", name=re.compile(r"^Amy Smyth\s*: chronology$")).first.click()
    expect(screener_page.get_by_role("heading", level=1)).to_have_text("Amy Smyth")
    expect_no_axe_violations(screener_page)
    expect(screener_page.locator(".moj-timeline__title")).to_have_text(
        [
            "Contact received",
            "Handed on to Early help",
            "Decision: Step down to early help",
            "Rated Green",
            "Contact received",
            "Contact received",
        ]
    )
    facts = screener_page.locator(".govuk-summary-list").first
    expect(
        facts.locator(".govuk-summary-list__row").filter(has_text="Contacts in the last 12 months")
    ).to_contain_text("3 contacts")
    warning = screener_page.get_by_test_id("early-warning")
    flag = warning.get_by_role("listitem").filter(has_text="3 or more contacts in 12 months")
    expect(flag).to_have_count(1)
    for contact_reference in (at_old_home.reference, at_home.reference, reference):
        expect(flag).to_contain_text(contact_reference)

    # And the MASH manager sees the screener's two confirmations counted on the match
    # quality page, with no names on it
    manager_page = new_page()
    sign_in(manager_page, live_server, "manager", PASSWORD)
    go_to_page(manager_page, "Match quality")
    expect(manager_page.get_by_role("heading", level=1)).to_have_text("Match quality")
    expect_no_axe_violations(manager_page)
    summary = manager_page.locator(".govuk-summary-list")
    expect(
        summary.locator(".govuk-summary-list__row").filter(has_text="Decided by a person")
    ).to_contain_text("2 confirmed")
    expect(manager_page.locator("main")).not_to_contain_text("Amy")
