"""Browser journeys: headless Chromium driven by Playwright against Django's live server."""

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from the test body (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = "/usr/bin/chromium"
AXE_SCRIPT = (
    Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session", autouse=True)
def _test_database_before_live_server(django_db_setup: None) -> None:
    """Creates the test database before the session's live server starts.

    pytest-django's live_server is session-scoped, so it is set up before the test
    database unless something asks for the database first; it then sees SQLite's
    ":memory:" name and shares the test's connection with the server's threads, which
    close it under the test (segmentation faults, "Cannot operate on a closed database").
    Set up first, the database is the file openmash.settings.test names, and the server
    threads open their own connections.
    """


class _OpenConnections:
    """Counts the live server's open connections, from accept to close.

    Wraps the server's socketserver hooks: process_request runs in the accepting thread
    as a connection arrives, shutdown_request in the handler thread once its last
    request (keep-alive included) is done and its database connections are closed.
    """

    def __init__(self, httpd: Any) -> None:
        self.count = 0
        self.lock = threading.Lock()
        process_request, shutdown_request = httpd.process_request, httpd.shutdown_request

        def counted_process_request(request: Any, client_address: Any) -> None:
            with self.lock:
                self.count += 1
            process_request(request, client_address)

        def counted_shutdown_request(request: Any) -> None:
            try:
                shutdown_request(request)
            finally:
                with self.lock:
                    self.count -= 1

        httpd.process_request = counted_process_request
        httpd.shutdown_request = counted_shutdown_request

    def wait_until_idle(self, timeout: float = 10.0, quiet_for: float = 0.1) -> None:
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.count > 0:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_for:
                return
            time.sleep(0.02)


@pytest.fixture(autouse=True)
def _live_server_idle_before_flush(
    live_server: LiveServer, transactional_db: None
) -> Iterator[None]:
    """Waits, after each browser test, until the live server has finished every request.

    A request still running when the test database is emptied (a draft save sent as
    the page closed, a response the browser stopped reading) takes row locks that
    deadlock with PostgreSQL's TRUNCATE. Torn down before transactional_db, this runs
    after the test's browser contexts are closed and before the flush.
    """
    httpd = live_server.thread.httpd
    connections = getattr(httpd, "openmash_connections", None)
    if connections is None:
        connections = httpd.openmash_connections = _OpenConnections(httpd)
    yield
    connections.wait_until_idle()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Opens a page in a brand-new browser context: no cookies, as if on another machine."""
    contexts: list[BrowserContext] = []

    def open_page(**context_options: object) -> Page:
        options: dict[str, object] = {"bypass_csp": True, "locale": "en-GB"}
        options.update(context_options)
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        # Closing a page hides it, which makes the form's script send a last draft
        # save; refuse it so no request reaches the server while the test database
        # is being emptied.
        context.route("**/*", lambda route: route.abort())
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    # bypass_csp lets axe be injected despite the site's strict Content Security Policy.
    return new_page()


def sign_in(page: Page, live_server: LiveServer, username: str, password: str) -> None:
    """Signs in through the sign-in page, checking it and the home page with axe."""
    page.goto(f"{live_server.url}/accounts/sign-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")
    expect_no_axe_violations(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
    expect_no_axe_violations(page)  # the home page they land on


def axe_violations(page: Page) -> list[dict[str, object]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})""", AXE_TAGS
    )
    return list(results["violations"])


def format_violations(violations: list[dict[str, object]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}\n"
            f"  {violation.get('helpUrl', '')}"
        )
        for node in violation.get("nodes", []):  # type: ignore[attr-defined]
            target = ", ".join(str(part) for part in node.get("target", []))
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def expect_no_axe_violations(page: Page) -> None:
    """Fails with a readable list if axe finds WCAG 2.2 AA (or lower) violations on the page."""
    violations = axe_violations(page)
    if violations:
        pytest.fail(
            f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )
