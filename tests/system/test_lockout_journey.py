"""Lockout after repeated failures, and unlock by an administrator (issue 14, item 3).

A screener mistypes her password until sign-in is locked; even the right password is then
refused. An administrator, in the administration (under the same strict Content Security
Policy as every other page: the browser reports no violation), unlocks her account with
the "Unlock sign-in" action; she signs in, and the unlock is in the audit log. Every page
visited is checked with axe (WCAG 2.2 AA).
"""

from collections.abc import Callable

import pytest
from django.test import override_settings
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import User
from openmash.core.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD
from tests.system.conftest import enter_second_factor, expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def try_to_sign_in(page: Page, live_server: LiveServer, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_a_locked_out_screener_is_unlocked_by_an_administrator(
    page: Page,
    new_page: Callable[..., Page],
    live_server: LiveServer,
    personas: dict[str, User],
) -> None:
    screener, administrator = personas["screener"], personas["administrator"]

    # Given a screener who mistypes her password four times
    for _ in range(4):
        try_to_sign_in(page, live_server, screener.username, "not-my-password")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")
    expect_no_axe_violations(page)

    # When she gets it wrong a fifth time
    try_to_sign_in(page, live_server, screener.username, "still-not-it")

    # Then sign-in is locked, and says who can unlock it
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in is locked for now")
    expect(page.locator("main")).to_contain_text("ask an OpenMASH administrator")
    expect_no_axe_violations(page)

    # And even her right password is refused while it is locked
    try_to_sign_in(page, live_server, screener.username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in is locked for now")

    # When an administrator unlocks her in the administration, with the page's CSP enforced
    admin_page = new_page(bypass_csp=False)
    csp_reports: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_reports.append(message.text)

    admin_page.on("console", on_console)
    sign_in(admin_page, live_server, administrator.username, PASSWORD)
    admin_page.goto(f"{live_server.url}/admin/accounts/user/")
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Select user to change")
    admin_page.get_by_role("row").filter(has_text=screener.username).get_by_role("checkbox").check()
    admin_page.get_by_label("Action:").select_option(label="Unlock sign-in for the selected users")
    admin_page.get_by_role("button", name="Go").click()

    # Then the administration says so
    expect(admin_page.locator(".messagelist")).to_contain_text("Unlocked sign-in for 1 user")
    assert csp_reports == []

    # And she signs in with her password
    try_to_sign_in(page, live_server, screener.username, PASSWORD)
    enter_second_factor(page, screener.username)
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
    expect_no_axe_violations(page)

    # And the unlock is in the audit log, by the administrator, of her account
    [unlock] = AuditEvent.objects.filter(action=AuditAction.UNLOCK)
    assert (unlock.actor_user_id, unlock.object_type, unlock.object_id) == (
        administrator.pk,
        "user",
        str(screener.pk),
    )
