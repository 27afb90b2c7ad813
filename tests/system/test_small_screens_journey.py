"""The pages that scrolled sideways on a phone (issue 13, item 7), at the narrowest width
WCAG's reflow criterion asks for, 320 px: the referrer's own contacts
(/contacts/submitted/, 832 px wide before), the screening queue (/mash/queue/, 487 px),
new contacts (/contacts/, 465 px) and a contact's screening page (/mash/contacts/<ref>/,
528 px). Each must fit the screen; a wide table scrolls in its own region, which can take
the keyboard's focus and is named after its table. The page fixtures check every page with
axe and for scrolling sideways too.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.services.screening import contact_rate, contact_take
from tests.conftest import PASSWORD
from tests.factories import a_child, a_parent, a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.viewports("narrowest"),
]

# A long name with no place to break, as some are.
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff"


def _fits(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width == [320, 320], f"{page.url} is {width[0]} px wide at {width[1]} px"


def test_the_pages_that_scrolled_sideways_fit_a_320_px_screen(
    page: Page, new_page: Callable[..., Page], live_server: LiveServer, personas: dict[str, User]
) -> None:
    # Given contacts in every state the lists show, one about a child with a long name
    referrer = Actor(user=personas["school_referrer"])
    screened, _ = contact_create(
        actor=referrer,
        submission=a_submission(people=[a_child(family_name=LONG_NAME), a_parent()]),
    )
    contact_take(actor=Actor(user=personas["screener"]), contact_id=screened.pk)
    contact_rate(
        actor=Actor(user=personas["screener"]),
        contact_id=screened.pk,
        rag="red",
        rationale="Bruising seen twice.",
    )
    contact_create(actor=referrer, submission=a_submission())

    # The referrer's own contacts
    sign_in(page, live_server, "school_referrer", PASSWORD)
    page.goto(f"{live_server.url}/contacts/submitted/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _fits(page)

    # The screening queue, new contacts and the screening page, as the MASH sees them
    screener = new_page()
    sign_in(screener, live_server, "screener", PASSWORD)
    for path in ("/mash/queue/", "/contacts/", f"/mash/contacts/{screened.reference}/"):
        screener.goto(f"{live_server.url}{path}")
        expect(screener.get_by_role("heading", level=1)).to_be_visible()
        _fits(screener)

    # And a table too wide for the screen scrolls in a region the keyboard can reach
    screener.goto(f"{live_server.url}/mash/queue/")
    region = screener.get_by_role("region", name="(scrolls sideways)")
    expect(region.first).to_have_attribute("tabindex", "0")
    region.first.focus()
    screener.keyboard.press("ArrowRight")
    expect_no_axe_violations(screener)
