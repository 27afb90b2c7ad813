"""An administrator connects early help's case system to OpenMASH, and a MASH manager
retries an event it did not take, in the browser (ADR 0014). Every page visited is checked
with axe (WCAG 2.2 AA). A local receiving server on 127.0.0.1 stands in for the case
system; the test settings run background tasks at once."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.enquiries.models import HandOn
from openmash.events.models import Delivery, DeliveryStatus
from tests.conftest import PASSWORD
from tests.enquiries.conftest import (  # noqa: F401 (fixtures)
    manager,
    partner_agencies,
    researchers,
)
from tests.events.conftest import (  # noqa: F401 (fixtures)
    SECRET_VARIABLE,
    Receiver,
    administrator,
    hand_on_to_early_help,
    receiver,
    secret,
)
from tests.system.conftest import expect_no_axe_violations, go_to_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_endpoint_is_added_and_a_failed_delivery_tried_again(
    page: Page,
    live_server: LiveServer,
    administrator: User,  # noqa: F811
    manager: User,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    secret: str,  # noqa: F811
    hand_on_to_early_help: Callable[[], HandOn],  # noqa: F811
) -> None:
    # The administrator adds early help's case system, first with an http address
    sign_in(page, live_server, administrator.username, PASSWORD)
    go_to_page(page, "Event endpoints")
    expect(page.get_by_role("heading", level=1)).to_have_text("Event endpoints")
    expect_no_axe_violations(page)
    page.get_by_role("button", name="Add an endpoint").click()
    page.get_by_label("Name of the receiving system").fill("Early help case system")
    page.get_by_label("Receiving team: Early help").check()
    page.get_by_label("Address the events are sent to").fill("http://cases.example.gov.uk/in")
    page.get_by_label("Environment variable that holds the signing secret").fill(SECRET_VARIABLE)
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an https address")
    expect_no_axe_violations(page)
    page.get_by_label("Address the events are sent to").fill(receiver.url)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Early help case system saved.")).to_be_visible()
    expect(page.get_by_role("cell", name=f"{SECRET_VARIABLE}: Set")).to_be_visible()
    expect_no_axe_violations(page)

    # A case goes to early help while its system is down
    hand_on = hand_on_to_early_help()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}

    # The manager sees the failed deliveries, and tries the hand-on again once it is up
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, manager.username, PASSWORD)
    go_to_page(page, "Failed deliveries")
    expect(page.get_by_role("heading", level=1)).to_have_text("Event deliveries that failed")
    expect(page.get_by_role("cell", name=hand_on.contact.reference).first).to_be_visible()
    expect_no_axe_violations(page)
    receiver.start()
    row = page.get_by_role("row").filter(has_text="Case handed on")
    row.get_by_role("button", name="Try again").click()
    expect(page.get_by_text("The event was delivered.")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_have_count(1)
    expect_no_axe_violations(page)
    assert [r.headers["OpenMASH-Event-Kind"] for r in receiver.requests] == ["hand_on.created"]
    assert receiver.requests[0].signature_valid
