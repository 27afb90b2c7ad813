"""Browser journeys: headless Chromium driven by Playwright against Django's live server."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

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
