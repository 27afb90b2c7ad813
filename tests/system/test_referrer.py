"""A school's safeguarding lead makes a contact in the browser; the MASH sees it arrive."""

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from tests.conftest import PASSWORD
from tests.factories import VALID_NHS_NUMBER
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MISTYPED_NHS_NUMBER = "943 476 5918"  # the last digit fails the check
REFERENCE = re.compile(r"^MASH-\d{4}-\d{6}$")


def person(page: Page, number: int) -> Locator:
    """The fieldset for the nth person on the contact form (counting from 1)."""
    return page.get_by_role("group", name=f"Person {number}", exact=True)


def fill_date(fieldset: Locator, legend: str, born: date) -> None:
    group = fieldset.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(born.day))
    group.get_by_label("Month").fill(str(born.month))
    group.get_by_label("Year").fill(str(born.year))


def fill_person(
    page: Page,
    number: int,
    *,
    role: str,
    given: str,
    family: str,
    born: date,
    sex: str,
    nhs_number: str = "",
) -> None:
    fieldset = person(page, number)
    fieldset.get_by_label("Role in this contact").select_option(label=role)
    fieldset.get_by_label("First names").fill(given)
    fieldset.get_by_label("Last name").fill(family)
    fill_date(fieldset, "Date of birth", born)
    fieldset.get_by_label(sex, exact=True).check()
    if nhs_number:
        fieldset.get_by_label("NHS number (if known)").fill(nhs_number)


def years_ago(years: int) -> date:
    """A birthday half a year from today, so the age is `years` whatever the time zone."""
    return date.today() - timedelta(days=round((years + 0.5) * 365.25))


def test_a_school_referrer_corrects_a_mistake_and_a_screener_sees_the_contact(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    amy_born, ben_born = years_ago(8), years_ago(5)

    # Given a school's safeguarding lead signed in to OpenMASH
    sign_in(page, live_server, "school_referrer", PASSWORD)

    # When they start a contact
    page.goto(f"{live_server.url}/contacts/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
    expect_no_axe_violations(page)

    # ... about two children and a parent, mistyping the first child's NHS number
    fill_person(
        page,
        1,
        role="Child the contact is about",
        given="Amy",
        family="Smith",
        born=amy_born,
        sex="Female",
        nhs_number=MISTYPED_NHS_NUMBER,
    )
    page.get_by_role("button", name="Add another person").click()
    expect(person(page, 2)).to_be_visible()
    expect(person(page, 1).get_by_label("First names")).to_have_value("Amy")
    expect_no_axe_violations(page)
    fill_person(page, 2, role="Sibling", given="Ben", family="Smith", born=ben_born, sex="Male")
    page.get_by_role("button", name="Add another person").click()
    expect(person(page, 3)).to_be_visible()
    expect(person(page, 2).get_by_label("First names")).to_have_value("Ben")
    expect_no_axe_violations(page)
    fill_person(
        page,
        3,
        role="Parent or carer",
        given="Karen",
        family="Smith",
        born=date(1988, 4, 2),
        sex="Female",
    )

    page.get_by_label("16A Neglect").check()
    page.get_by_label("4B Mental health: parent or carer").check()
    page.get_by_label("Describe the concern").fill(
        "Amy and Ben arrive hungry most days and say mum stays in bed all day."
    )
    page.get_by_role("group", name="Is a child at immediate risk of harm?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_label("Level 2: additional needs (early help)").check()
    page.get_by_label("Consent given").check()
    page.get_by_label("Lawful basis for sharing").select_option("public_task_safeguarding")
    page.get_by_role("button", name="Submit contact").click()

    # Then the GOV.UK error summary links to the NHS number
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    error_link = summary.get_by_role(
        "link", name="NHS number is not valid: check each digit against the record"
    )
    expect(error_link).to_have_attribute("href", "#id_people-0-nhs_number")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect_no_axe_violations(page)

    # ... which takes them to the field, with the message next to it
    error_link.click()
    nhs_number = person(page, 1).get_by_label("NHS number (if known)")
    expect(nhs_number).to_be_focused()
    expect(person(page, 1).locator("#id_people-0-nhs_number-error")).to_contain_text(
        "NHS number is not valid"
    )

    # ... and everything they typed is still there
    expect(nhs_number).to_have_value(MISTYPED_NHS_NUMBER)
    expect(page.get_by_role("group", name=re.compile(r"^Person \d$"))).to_have_count(3)
    for number, given, role in [
        (1, "Amy", "subject_child"),
        (2, "Ben", "sibling"),
        (3, "Karen", "parent_carer"),
    ]:
        expect(person(page, number).get_by_label("First names")).to_have_value(given)
        expect(person(page, number).get_by_label("Last name")).to_have_value("Smith")
        expect(person(page, number).get_by_label("Role in this contact")).to_have_value(role)
    born = person(page, 2).get_by_role("group", name="Date of birth", exact=True)
    expect(born.get_by_label("Year")).to_have_value(str(ben_born.year))
    expect(person(page, 2).get_by_label("Male", exact=True)).to_be_checked()
    expect(page.get_by_label("16A Neglect")).to_be_checked()
    expect(page.get_by_label("Describe the concern")).to_have_value(
        "Amy and Ben arrive hungry most days and say mum stays in bed all day."
    )
    expect(page.get_by_label("Consent given")).to_be_checked()
    expect(page.get_by_label("Lawful basis for sharing")).to_have_value("public_task_safeguarding")

    # When they correct the NHS number and submit
    nhs_number.fill(VALID_NHS_NUMBER)
    page.get_by_role("button", name="Submit contact").click()

    # Then the contact is received, with a reference
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Contact received")
    reference = panel.locator("strong").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect_no_axe_violations(page)

    # ... and the draft went with it: another contact starts from an empty form
    page.get_by_role("link", name="Make another contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a safeguarding contact")
    expect(page.get_by_text(re.compile(r"^We kept what you typed"))).to_have_count(0)
    expect(page.get_by_role("group", name=re.compile(r"^Person \d$"))).to_have_count(1)
    expect(person(page, 1).get_by_label("First names")).to_have_value("")
    expect_no_axe_violations(page)

    # And a screener, signed in elsewhere, finds it among the new contacts
    screener_page = new_page()
    sign_in(screener_page, live_server, "screener", PASSWORD)
    screener_page.get_by_role("link", name="New contacts", exact=True).click()
    expect(screener_page.get_by_role("heading", level=1)).to_have_text("New contacts")
    row = screener_page.get_by_role("row").filter(
        has=screener_page.get_by_role("link", name=reference)
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Amy Smith (8 years)")
    expect(row).to_contain_text("Ben Smith (5 years)")
    expect(row).not_to_contain_text("Karen")
    expect(row).to_contain_text("2A School")
    expect(row).to_contain_text("Online portal")
    expect_no_axe_violations(screener_page)

    # ... and opens it
    row.get_by_role("link", name=reference).click()
    expect(screener_page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(
        screener_page.get_by_role("heading", name="Amy Smith: Child the contact is about")
    ).to_be_visible()
    expect(
        screener_page.get_by_role("heading", name="Karen Smith: Parent or carer")
    ).to_be_visible()
    expect(screener_page.get_by_text("943 476 5919")).to_be_visible()
    expect_no_axe_violations(screener_page)


def test_a_saved_draft_is_there_when_the_referrer_comes_back_on_another_machine(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    # Given a school referrer part-way through a contact
    sign_in(page, live_server, "school_referrer", PASSWORD)
    page.goto(f"{live_server.url}/contacts/new/")
    first = person(page, 1)
    first.get_by_label("Role in this contact").select_option(label="Child the contact is about")
    first.get_by_label("First names").fill("Lily")
    first.get_by_label("Last name").fill("Okafor")
    first.get_by_label("Estimated age in years, if the date of birth is not known").fill("11")
    page.get_by_label("16A Neglect").check()
    page.get_by_label("Describe the concern").fill("Lily has been sleeping in class.")

    # When they save it as a draft
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Draft saved. You can come back to it later.")).to_be_visible()
    expect_no_axe_violations(page)

    # ... and come back to the form later in a new browser
    elsewhere = new_page()
    sign_in(elsewhere, live_server, "school_referrer", PASSWORD)
    elsewhere.goto(f"{live_server.url}/contacts/new/")

    # Then what they typed is there, and the page says so
    expect(elsewhere.get_by_text(re.compile(r"^We kept what you typed"))).to_be_visible()
    restored = person(elsewhere, 1)
    expect(restored.get_by_label("Role in this contact")).to_have_value("subject_child")
    expect(restored.get_by_label("First names")).to_have_value("Lily")
    expect(restored.get_by_label("Last name")).to_have_value("Okafor")
    expect(
        restored.get_by_label("Estimated age in years, if the date of birth is not known")
    ).to_have_value("11")
    expect(elsewhere.get_by_label("16A Neglect")).to_be_checked()
    expect(elsewhere.get_by_label("Describe the concern")).to_have_value(
        "Lily has been sleeping in class."
    )
    expect(elsewhere.locator(".govuk-error-summary")).to_have_count(0)
    expect_no_axe_violations(elsewhere)


HIDE_THE_TAB = (
    "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
    "document.dispatchEvent(new Event('visibilitychange'));"
)


def test_only_what_was_typed_is_kept_as_a_draft_when_the_tab_is_left(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    drafts_sent: list[str] = []
    page.on("request", lambda r: drafts_sent.append(r.url) if "/draft/" in r.url else None)
    # Given a school referrer who opens the form and leaves the tab without typing
    sign_in(page, live_server, "school_referrer", PASSWORD)
    page.goto(f"{live_server.url}/contacts/new/")
    page.evaluate(HIDE_THE_TAB)
    page.wait_for_timeout(500)
    # Then nothing is saved, and the form is empty when they come back
    assert drafts_sent == []
    elsewhere = new_page()
    sign_in(elsewhere, live_server, "school_referrer", PASSWORD)
    elsewhere.goto(f"{live_server.url}/contacts/new/")
    expect(elsewhere.get_by_text(re.compile(r"^We kept what you typed"))).to_have_count(0)

    # When they type something and leave the tab
    person(page, 1).get_by_label("First names").fill("Lily")
    with page.expect_response(lambda r: "/draft/" in r.url and r.status == 204):
        page.evaluate(HIDE_THE_TAB)

    # Then what they typed is kept
    elsewhere.goto(f"{live_server.url}/contacts/new/")
    expect(elsewhere.get_by_text(re.compile(r"^We kept what you typed"))).to_be_visible()
    expect(person(elsewhere, 1).get_by_label("First names")).to_have_value("Lily")
