"""Find a child in the browser, through the real pages (issue 11, item 3).

Ellie Harper, born 9 April 2016, is the child of an earlier contact; Ella Harding, born the
same year, of another. A screener opens Find a child from the navigation, is told to
enter something when the form is sent empty, then searches for "Elie Harpur" born
9 April 2016: Ellie is the top result, with the matcher's reasons, and one click opens
her chronology. Searching again by her NHS number alone finds her too. What was typed
never appears in any address the browser asked for, and the audit log records both
searches and the child each showed (without what was typed). Every page visited is
checked with axe (WCAG 2.2 AA).
"""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import ContactPerson
from openmash.contacts.services import contact_create
from openmash.contacts.submission import Address
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD
from tests.factories import a_child, a_parent, a_submission
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ELLIE_BORN = date(2016, 4, 9)
ELLIE_NHS = "4010232137"
# Everything typed, as it might appear in an address (lower case, spaces as + or %20).
TYPED = ["elie", "harpur", "2016", ELLIE_NHS, "401+023", "401%20023", "401 023"]
RESULTS_ADDRESS = re.compile(r"/mash/find-a-child/[A-Za-z0-9_-]{16}/$")


def _contact_about(referrer: User, given: str, family: str, born: date, nhs: str) -> ContactPerson:
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=a_submission(
            people=[
                a_child(
                    given_names=given,
                    family_name=family,
                    date_of_birth=born,
                    nhs_number=nhs,
                    address=Address(line1="12 Mill Lane", town="Eastbridge", postcode="DC1 4AB"),
                ),
                a_parent(family_name=family),
            ]
        ),
    )
    return contact.people.get(role=PersonRole.SUBJECT_CHILD)


def _search(page: Page, **fields: str) -> None:
    go_to_page(page, "Find a child")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a child")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Search").click()


def test_a_screener_finds_a_child_by_a_misspelt_name_and_by_nhs_number(
    page: Page, live_server: LiveServer, personas: dict[str, User]
) -> None:
    ellie = _contact_about(personas["school_referrer"], "Ellie", "Harper", ELLIE_BORN, ELLIE_NHS)
    _contact_about(personas["school_referrer"], "Ella", "Harding", date(2016, 11, 2), "")
    requested: list[str] = []

    def seen(request: Request) -> None:
        requested.append(request.url)

    page.on("request", seen)
    sign_in(page, live_server, "screener", PASSWORD)

    # Sent empty, the form says what is missing, in the error summary and beside the field.
    go_to_page(page, "Find a child")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter at least one thing you know about the child"
    )
    expect_no_axe_violations(page)

    # A misspelt name and her date of birth: Ellie first, with why.
    _search(page, Name="Elie Harpur", Day="9", Month="4", Year="2016")
    expect(page).to_have_url(RESULTS_ADDRESS)
    first = page.locator("#results tbody tr").first
    expect(first).to_contain_text("Ellie Harper")
    expect(first).to_contain_text(ellie.contact.reference)
    expect(first).to_contain_text("same date of birth")
    # The form keeps what was typed, to search again.
    expect(page.get_by_label("Name", exact=True)).to_have_value("Elie Harpur")
    expect_no_axe_violations(page)
    # One click: her chronology.
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ellie Harper")
    assert page.url.endswith(f"/mash/children/{ellie.pk}/")

    # Her NHS number alone finds her too.
    _search(page, **{"NHS number": "401 023 2137"})
    expect(page).to_have_url(RESULTS_ADDRESS)
    first = page.locator("#results tbody tr").first
    expect(first).to_contain_text("Ellie Harper")
    expect(first).to_contain_text("same NHS number")
    # An NHS number alone cannot rank anyone by likelihood: the page says so, and the
    # child fits all of it (not a "possible match").
    expect(first).to_contain_text("Fits everything you typed")
    expect(page.locator("#too-little-to-rank")).to_be_visible()
    expect_no_axe_violations(page)
    expect(page.locator("#results")).not_to_contain_text("Ella Harding")
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ellie Harper")

    # Nothing typed was ever in an address the browser asked for.
    assert requested
    for url in [*requested, page.url]:
        for term in TYPED:
            assert term.lower() not in url.lower(), f"{term!r} in {url}"

    # The audit log has both searches and the child each showed, without what was typed.
    searches = list(
        AuditEvent.objects.filter(action=AuditAction.SEARCH, object_type="child_search")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert [detail["fields"] for detail in searches] == [["name", "date_of_birth"], ["nhs_number"]]
    shown = AuditEvent.objects.filter(
        action=AuditAction.LIST, object_type="person", object_id=str(ellie.pk)
    )
    assert shown.count() == 2
    logged = str(list(AuditEvent.objects.values_list("object_id", "detail")))
    for term in ("Elie", "Harpur", ELLIE_NHS):
        assert term not in logged
