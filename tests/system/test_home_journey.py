"""Each role's home page, in the browser (issue 16, item 1): a screener, a MASH manager,
a police researcher, an early help coordinator and a referrer each sign in, land on their
home page, and reach their most urgent item in one click. Every page is checked with axe,
at desktop width and on a 390 px phone, for sideways scrolling too."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact, ContactDraft
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, HandOn
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import PASSWORD
from tests.enquiries.conftest import (  # noqa: F401 (fixtures)
    early_help_coordinator,
    manager,
    partner_agencies,
    researchers,
)
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT, decided_contact
from tests.factories import a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contact(referrer: User, *, immediate_risk: bool = False) -> Contact:
    submission = a_submission()
    submission.concerns.immediate_risk = immediate_risk
    contact, _ = contact_create(actor=Actor(user=referrer), submission=submission)
    return contact


def _open_most_urgent(page: Page, live_server: LiveServer, username: str) -> None:
    sign_in(page, live_server, username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")
    page.get_by_text("Most urgent:").get_by_role("link").first.click()
    expect_no_axe_violations(page)


def test_each_role_reaches_its_most_urgent_item_from_home_in_one_click(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
    manager: User,  # noqa: F811
    partner_agencies: dict[str, Agency],  # noqa: F811
    researchers: dict[str, User],  # noqa: F811
    early_help_coordinator: User,  # noqa: F811
) -> None:
    referrer, screener = personas["school_referrer"], personas["screener"]
    # A hand-on waiting for early help, overdue.
    hand_on = decided_contact(referrer, screener, manager, STEP_DOWN_INPUT)
    HandOn.objects.filter(pk=hand_on.pk).update(deadline_at=timezone.now() - timedelta(hours=1))
    # An amber contact with police asked to check, and a child at immediate risk.
    amber = _contact(referrer)
    contact_take(actor=Actor(user=screener), contact_id=amber.pk)
    contact_rate(actor=Actor(user=screener), contact_id=amber.pk, rag="amber", rationale="Seen.")
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=amber.pk,
        agency_ids=[partner_agencies["police"].pk],
    )
    police_check = AgencyCheck.objects.get(contact=amber, agency=partner_agencies["police"])
    immediate = _contact(referrer, immediate_risk=True)
    # The referrer started another contact and has not sent it.
    ContactDraft.objects.create(owner=referrer, data={})

    # The screener and the manager open the child at immediate risk.
    for username in ("screener", "manager"):
        role_page = new_page()
        _open_most_urgent(role_page, live_server, username)
        expect(role_page).to_have_url(f"{live_server.url}/mash/contacts/{immediate.reference}/")
        expect(role_page.get_by_role("heading", level=1)).to_contain_text(immediate.reference)

    # The police researcher opens the police check.
    _open_most_urgent(page, live_server, researchers["police"].username)
    expect(page).to_have_url(f"{live_server.url}/mash/checks/{police_check.pk}/")

    # Early help opens the overdue hand-on.
    early_help_page = new_page()
    _open_most_urgent(early_help_page, live_server, early_help_coordinator.username)
    expect(early_help_page).to_have_url(f"{live_server.url}/mash/hand-ons/{hand_on.pk}/")

    # The referrer goes back to the contact they had started.
    referrer_page = new_page()
    _open_most_urgent(referrer_page, live_server, referrer.username)
    expect(referrer_page).to_have_url(f"{live_server.url}/contacts/new/")
