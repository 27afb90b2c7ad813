"""Browser journeys: headless Chromium driven by Playwright against Django's live server.

Every page a journey shows is checked with axe (WCAG 2.2 AA) by the page fixtures: no
journey has to remember to. Known exceptions are in AXE_EXCEPTIONS below.
"""

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from the test body (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from django.urls import Resolver404, resolve
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Route,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

# Debian's chromium package; OPENMASH_CHROMIUM points at another build (the Makefile passes it).
CHROMIUM = os.environ.get("OPENMASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"The browser journeys need Chromium, and there is none at {CHROMIUM}. "
    "Install Debian's package: sudo apt-get install chromium "
    "(or set OPENMASH_CHROMIUM to another Chromium's path). "
    "make check runs every test but these journeys."
)
AXE_SCRIPT = (
    Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)

# The pages or axe rules that cannot pass, each with the reason. Everything else a journey
# shows is checked. Keys are regular expressions matched against the page's path.
AXE_EXCEPTIONS: dict[str, str] = {}

SYSTEM_TESTS = Path(__file__).resolve().parent
# Requests that may start a new document: everything on the live server but static files.
# (Routing them lets the old document be checked before it goes; static files are left alone.)
DOCUMENT_REQUESTS = re.compile(r"^https?://[^/]+/(?!static/)")
_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test in tests/system as a browser test, so -m "not browser" leaves them out,
    and puts them in one xdist group: one journey at a time (one Chromium, one live server)
    while the other workers run the rest. Two journeys at once on two cores left axe and
    the live server short of time."""
    for item in items:
        if SYSTEM_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


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
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        # Failing, not skipping: a machine without Chromium must not look green.
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


# Runs in every document the browser opens: checks the top-level document with axe once it
# has loaded and reports to Python through the __openmashAxe binding. "started" comes first,
# so a watch knows which document is on screen without evaluating anything in the page
# (Playwright stalls evaluations while a navigation is pending).
AXE_ON_LOAD = """
(() => {
  if (window !== window.top) return;
  const document_id = `${Date.now()}-${Math.random()}`;
  const report = (kind, data) => window.__openmashAxe(kind, document_id, location.href, data);
  report("started", null);
  if (!location.protocol.startsWith("http")) return;
  window.addEventListener("load", () => {
    if (document.contentType !== "text/html") {
      report("checked", []);
      return;
    }
    // One axe run at a time: expect_no_axe_violations queues behind this one and it behind that.
    const run = (window.__openmashAxeRun || Promise.resolve()).catch(() => null)
      .then(() => axe.run(document, {runOnly: {type: "tag", values: %s}}));
    window.__openmashAxeRun = run;
    run
      .then((results) => report("checked", results.violations.map((violation) => ({
        id: violation.id, impact: violation.impact, help: violation.help,
        helpUrl: violation.helpUrl,
        nodes: violation.nodes.map((node) => ({
          target: node.target, failureSummary: node.failureSummary,
        })),
      }))))
      .catch((error) => report("failed", String(error)));
  });
})();
"""


class AxeWatch:
    """Checks every document the pages of one browser context show, with axe, once each.

    Each document checks itself when it has loaded (AXE_ON_LOAD). A request that would
    replace a page's document is held until that document has reported, so a journey that
    clicks on before axe has finished still has the page checked; the test ends the same
    way. Violations are collected and reported, by page, when the test ends.
    """

    # Less than the actions' own time-out (TIMEOUT_MS), so a held click never fails for
    # the wait alone: on a loaded machine axe can take longer than a journey spends on a page.
    WAIT_S = 25.0

    def __init__(self, context: BrowserContext) -> None:
        self.on_screen: dict[Page, tuple[str, str]] = {}  # page -> (document, url)
        self.reported: set[str] = set()
        self.violations: list[tuple[str, list[dict[str, object]]]] = []
        # Pages axe has checked in this context (by URL pattern: another contact's
        # screening page is the same page), and documents it could not check in time;
        # one of those fails the test only if its page was never checked.
        self.checked_paths: set[str] = set()
        self.unfinished: list[str] = []
        self.watching = True
        context.expose_binding("__openmashAxe", self._report)
        context.add_init_script(path=str(AXE_SCRIPT))
        context.add_init_script(AXE_ON_LOAD % json.dumps(AXE_TAGS))
        context.route(DOCUMENT_REQUESTS, self._leaving)

    def _report(
        self, source: dict[str, Any], kind: str, document: str, url: str, data: Any
    ) -> None:
        if kind == "started":
            self.on_screen[source["page"]] = (document, url)
            return
        self.reported.add(document)
        if kind == "checked":
            self.checked_paths.add(_page_kind(url))
        if kind == "failed":
            self.violations.append((url, [_unchecked(str(data))]))
        elif data and url.startswith("http") and not axe_exception(url):
            self.violations.append((url, data))

    def _leaving(self, route: Route) -> None:
        request = route.request
        try:
            if self.watching and request.is_navigation_request():
                frame = request.frame
                if frame.parent_frame is None:
                    self.wait_for_check(frame.page)
        finally:
            route.fallback()

    def wait_for_check(self, page: Page) -> None:
        """Waits until the document on the page has been checked (or WAIT_S has passed)."""
        if page not in self.on_screen:
            return
        document, url = self.on_screen[page]
        if not url.startswith("http"):
            return  # about:blank, before the first page
        deadline = time.monotonic() + self.WAIT_S
        while document not in self.reported:
            if time.monotonic() > deadline or page.is_closed():
                self.unfinished.append(url)
                self.reported.add(document)
                return
            # Lets Playwright deliver the document's report while this waits.
            page.wait_for_timeout(50)

    def finish(self) -> None:
        for page in list(self.on_screen):
            if not page.is_closed():
                self.wait_for_check(page)
        self.watching = False
        for url in self.unfinished:
            if _page_kind(url) not in self.checked_paths:
                reason = f"axe had not finished within {self.WAIT_S:.0f} s of loading"
                self.violations.append((url, [_unchecked(reason)]))


def _path(url: str) -> str:
    """The page a URL shows, without its query string: the same page in another state
    (a filter, an error) counts as that page."""
    return re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0].split("#", 1)[0]


def _page_kind(url: str) -> str:
    """Which page a URL shows, whatever the ids in it: the URL pattern it resolves to
    (another contact's screening page, or another search's results, is the same page),
    else its path."""
    path = _path(url)
    try:
        return resolve(path).route or path
    except Resolver404:
        return path


def axe_exception(url: str) -> str | None:
    path = _path(url)
    for pattern, reason in AXE_EXCEPTIONS.items():
        if re.search(pattern, path):
            return reason
    return None


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Opens a page in a brand-new browser context: no cookies, as if on another machine.

    Every document shown in it, popups included, is checked with axe; the test fails at
    teardown listing each page's violations.
    """
    contexts: list[BrowserContext] = []
    watches: list[AxeWatch] = []

    def open_page(**context_options: object) -> Page:
        options: dict[str, object] = {"bypass_csp": True, "locale": "en-GB"}
        options.update(context_options)
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        watches.append(AxeWatch(context))
        return context.new_page()

    yield open_page
    call_failed = request.node.stash.get(_CALL_FAILED, True)
    for watch in watches:
        if call_failed:
            watch.watching = False  # the test has failed already; leave its pages as they are
        else:
            watch.finish()  # the page the test ended on
    for context in contexts:
        # Closing a page hides it, which makes the form's script send a last draft
        # save; refuse it so no request reaches the server while the test database
        # is being emptied.
        context.route("**/*", lambda route: route.abort())
        context.close()
    found = [(url, violations) for watch in watches for url, violations in watch.violations]
    if found:
        pytest.fail(
            f"axe found accessibility violations on {len(found)} page(s):\n"
            + "\n".join(f"{url}:\n{format_violations(violations)}" for url, violations in found),
            pytrace=False,
        )


def _unchecked(reason: str) -> dict[str, object]:
    return {"id": "not-checked", "help": f"axe could not check the page: {reason}", "nodes": []}


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
    # A click that navigates returns once the new document exists, perhaps still empty.
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    # axe refuses to start while another run (the page's own check, AXE_ON_LOAD) is going.
    results = page.evaluate(
        """(tags) => {
          const run = (window.__openmashAxeRun || Promise.resolve()).catch(() => null)
            .then(() => axe.run(document, {runOnly: {type: 'tag', values: tags}}));
          window.__openmashAxeRun = run;
          return run;
        }""",
        AXE_TAGS,
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
    """Fails with a readable list if axe finds WCAG 2.2 AA (or lower) violations on the page.

    The page fixtures check every page anyway, as it loads; this checks it as it is now,
    after the journey has changed it in place (opened a section, shown an error).
    """
    violations = axe_violations(page)
    if violations:
        pytest.fail(
            f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )
