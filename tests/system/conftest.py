"""Browser journeys: headless Chromium driven by Playwright against Django's live server.

Every page a journey shows is checked with axe (WCAG 2.2 AA) by the page fixtures: no
journey has to remember to. Known exceptions are in AXE_EXCEPTIONS below.

Every journey runs twice: on a desktop screen and on a 390 px wide phone (the `viewport`
parameter, VIEWPORTS below), and at phone width every page it shows must also fit the
screen without scrolling sideways (WCAG 1.4.10, reflow). A test marked
`@pytest.mark.viewports("narrowest", ...)` runs at the widths it names instead.
"""

import json
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from the test body (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from django.urls import Resolver404, resolve
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)
from playwright.sync_api import (
    Error as PlaywrightError,
)
from pytest_django.live_server_helper import LiveServer

from openmash.core.context_processors import GROUPS

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

# The screens every journey runs on: Playwright's default desktop, and a phone 390 px wide
# (an iPhone 12 to 15), on which every page must fit without scrolling sideways. The
# narrowest, 320 px (WCAG 1.4.10's width), for the tests that ask for it.
VIEWPORTS: dict[str, dict[str, int]] = {
    "desktop": {"width": 1280, "height": 720},
    "phone": {"width": 390, "height": 844},
    "narrowest": {"width": 320, "height": 640},
}
DEFAULT_VIEWPORTS = ("desktop", "phone")
# Up to this width a page must reflow: GOV.UK Frontend's tablet breakpoint.
REFLOW_WIDTH = 640

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Runs each test whose pages come from the page fixtures once per screen."""
    if "viewport" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("viewports")
        names = marker.args if marker else DEFAULT_VIEWPORTS
        metafunc.parametrize("viewport", names)


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


@pytest.fixture(scope="session")
def live_server(django_db_setup: None, live_server: LiveServer) -> LiveServer:
    """pytest-django's live server, asked for only once the test database exists (see
    _test_database_before_live_server), and refused outright if it shares a connection
    with the tests: its threads would close it under them."""
    assert not live_server.thread.connections_override, (
        "The live server shares the test's database connection: it started before the test "
        "database was set up."
    )
    return live_server


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
# How wide the page is against the window, and the outermost elements that stick out
# (a table in its own scrolling region does not: the page itself does not scroll).
WIDTH_NOW = """() => {
  const inner = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")].filter((element) =>
    element.getBoundingClientRect().right > inner + 1 &&
    !(element.parentElement && element.parentElement.getBoundingClientRect().right > inner + 1));
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: inner,
    wide: wide.slice(0, 5).map((element) => {
      const classes = [...element.classList].map((name) => `.${name}`).join("");
      return `${element.tagName.toLowerCase()}${classes} (${Math.round(element.getBoundingClientRect().right)} px)`;
    }),
  };
}"""

AXE_ON_LOAD = """
(() => {
  const WIDTH_NOW = %s;
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
    report("width", WIDTH_NOW());
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
    # How long a document being left gets to fire its load event (a page of the live
    # server loads in well under a second; on a loaded machine a few seconds), before its
    # load counts as stopped.
    LOAD_WAIT_S = 8.0

    def __init__(self, context: BrowserContext, *, check_reflow: bool = False) -> None:
        # At phone width, a page wider than the window fails the test (WCAG 1.4.10).
        self.check_reflow = check_reflow
        self.too_wide: set[str] = set()  # the pages (by URL pattern) already reported
        self.on_screen: dict[Page, tuple[str, str]] = {}  # page -> (document, url)
        # Documents whose load event has fired (each reports its width first), so whose
        # check has begun.
        self.loaded: set[str] = set()
        self.reported: set[str] = set()
        self.violations: list[tuple[str, list[dict[str, object]]]] = []
        # Pages axe has checked in this context (by URL pattern: another contact's
        # screening page is the same page), and documents it could not check in time;
        # one of those fails the test only if its page was never checked.
        self.checked_paths: set[str] = set()
        self.unfinished: list[str] = []
        self.watching = True
        self.context = context
        context.expose_binding("__openmashAxe", self._report)
        context.add_init_script(path=str(AXE_SCRIPT))
        context.add_init_script(AXE_ON_LOAD % (WIDTH_NOW, json.dumps(AXE_TAGS)))
        context.route(DOCUMENT_REQUESTS, self._leaving)

    def _report(
        self, source: dict[str, Any], kind: str, document: str, url: str, data: Any
    ) -> None:
        if kind == "started":
            self.on_screen[source["page"]] = (document, url)
            return
        if kind == "width":
            self.loaded.add(document)
            problem = reflow_problem(url, data) if self.check_reflow else None
            if problem is not None and _page_kind(url) not in self.too_wide:
                self.too_wide.add(_page_kind(url))
                self.violations.append((url, [problem]))
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
                    self.wait_for_check(frame.page, leaving=True)
        finally:
            route.fallback()

    def wait_for_check(self, page: Page, *, leaving: bool = False) -> None:
        """Waits until the document on the page has been checked (or WAIT_S has passed).

        `leaving`: a navigation away from it has begun. If the document has not loaded
        within LOAD_WAIT_S, the navigation has most likely stopped its load, and with it
        the check that would have run on load: nothing will come, so it is noted as not
        checked (`finish` opens its page again if no other page of its kind was checked).
        Waiting WAIT_S for it held every such click for 25 s: a journey clicking on as
        soon as what it looks for is on screen, before the fonts had loaded, waited 25 s
        a time (half the strategy discussion journey's time)."""
        if page not in self.on_screen:
            return
        document, url = self.on_screen[page]
        if not url.startswith("http"):
            return  # about:blank, before the first page
        if leaving:
            # Not loaded yet: a moment for it to load (a held navigation may not stop it);
            # if it has not by then, its load was stopped.
            deadline = time.monotonic() + self.LOAD_WAIT_S
            while document not in self.loaded and document not in self.reported:
                if time.monotonic() > deadline or page.is_closed():
                    self.unfinished.append(url)
                    self.reported.add(document)
                    return
                page.wait_for_timeout(50)
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
        for url in dict.fromkeys(self.unfinished):
            if _page_kind(url) not in self.checked_paths:
                self._check_again(url)
        self.watching = False

    # How long a page opened again at the end gets: nothing else is waiting on it.
    AGAIN_WAIT_S = 90.0

    def _check_again(self, url: str) -> None:
        """Opens a page the journey left before axe had finished (on a loaded machine axe
        can take longer than a person spends on a page) in the same session, and waits
        for axe to check it; fails only if it still cannot, or if the page has gone
        elsewhere (a step that cannot be shown twice)."""
        page = self.context.new_page()
        try:
            page.goto(url, wait_until="load", timeout=self.AGAIN_WAIT_S * 1000)
            document, shown = self.on_screen.get(page, ("", url))
            deadline = time.monotonic() + self.AGAIN_WAIT_S
            while document not in self.reported and time.monotonic() < deadline:
                page.wait_for_timeout(100)
                document, shown = self.on_screen.get(page, ("", url))
        except PlaywrightError as error:
            self.violations.append((url, [_unchecked(f"opening it again failed: {error}")]))
            return
        finally:
            self.on_screen.pop(page, None)
            page.close()
        if _page_kind(url) in self.checked_paths:
            return
        if _page_kind(shown) != _page_kind(url):
            # A page shown once (new recovery codes, a step of sign-in): it cannot be
            # opened again, and it was axe, not the page, that was slow. Said, not failed.
            warnings.warn(
                f"{_path(url)} was not checked with axe: it had not loaded within "
                f"{self.LOAD_WAIT_S:.0f} s, or axe had not finished within {self.WAIT_S:.0f} s "
                f"of its loading, when the journey left it, and opening it again showed "
                f"{_path(shown)}",
                stacklevel=1,
            )
            return
        reason = (
            f"axe had not finished within {self.WAIT_S:.0f} s of loading, nor "
            f"{self.AGAIN_WAIT_S:.0f} s when the page was opened again"
        )
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


def reflow_problem(url: str, width: dict[str, Any]) -> dict[str, object] | None:
    """A violation-like entry if the page scrolls sideways, naming its URL pattern, the
    widths and the elements that stick out; else None."""
    scroll_width, inner_width = int(width["scrollWidth"]), int(width["innerWidth"])
    if scroll_width <= inner_width:
        return None
    return {
        "id": "page-scrolls-sideways",
        "impact": "serious",
        "help": (
            f"{_page_kind(url)} scrolls sideways at {inner_width} px wide: the page is "
            f"{scroll_width} px wide (WCAG 1.4.10 reflow; put a wide table in a scrolling "
            "region, let long words wrap)"
        ),
        "helpUrl": "https://www.w3.org/WAI/WCAG22/Understanding/reflow.html",
        "nodes": [{"target": [wide], "failureSummary": ""} for wide in width["wide"]],
    }


def axe_exception(url: str) -> str | None:
    path = _path(url)
    for pattern, reason in AXE_EXCEPTIONS.items():
        if re.search(pattern, path):
            return reason
    return None


@pytest.fixture
def new_page(
    browser: Browser, request: pytest.FixtureRequest, viewport: str
) -> Iterator[Callable[..., Page]]:
    """Opens a page in a brand-new browser context: no cookies, as if on another machine,
    on the test's screen (`viewport`, one of VIEWPORTS).

    Every document shown in it, popups included, is checked with axe, and at phone width
    for scrolling sideways; the test fails at teardown listing each page's violations.
    """
    contexts: list[BrowserContext] = []
    watches: list[AxeWatch] = []
    size = VIEWPORTS[viewport]

    def open_page(**context_options: object) -> Page:
        options: dict[str, object] = {"bypass_csp": True, "locale": "en-GB", "viewport": size}
        options.update(context_options)
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        watches.append(AxeWatch(context, check_reflow=size["width"] <= REFLOW_WIDTH))
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
            f"axe found accessibility violations (or a page scrolling sideways) on "
            f"{len(found)} page(s) at {size['width']} px wide:\n"
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
    """Signs in through the sign-in page and then the second factor (the code the
    person's authenticator app shows, read from their device), checking each page and
    the home page with axe."""
    page.goto(f"{live_server.url}/accounts/sign-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenMASH")
    expect_no_axe_violations(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    enter_second_factor(page, username)
    expect(page.locator(".app-account-bar__name")).to_contain_text("Signed in as")
    expect_no_axe_violations(page)  # the home page they land on


def enter_second_factor(page: Page, username: str) -> None:
    """On the page after the password: types the code from the person's authenticator
    app, as they would."""
    from openmash.accounts.models import User
    from tests.two_factor_codes import code_for

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect_no_axe_violations(page)
    verify_path = urlparse(page.url).path
    # A code can reach the server after its time step has gone, as it can when a person
    # types slowly: then, as they would, type the new one the app shows.
    for _ in range(2):
        page.get_by_label("Code", exact=True).fill(code_for(User.objects.get(username=username)))
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="Continue").click()
        if urlparse(page.url).path != verify_path:
            return
    raise AssertionError(f"{username}'s second factor was refused twice")


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
    size = page.viewport_size
    if size is not None and size["width"] <= REFLOW_WIDTH:
        problem = reflow_problem(page.url, page.evaluate(WIDTH_NOW))
        if problem is not None:
            violations.append(problem)
    if violations:
        pytest.fail(
            f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )


def go_to_page(page: Page, label: str) -> None:
    """Opens a page through the navigation as its user would: the page's group in the
    service navigation (a group of one page is named as that page), then the page in the
    group's sub-navigation unless the group opened on it."""
    group = next(name for name, pages in GROUPS if any(each[1] == label for each in pages))
    navigation = service_navigation(page)
    direct = navigation.get_by_role("link", name=label, exact=True)
    if direct.count():
        direct.click()
        return
    # The group's first page loads in full, as its user would see it, before they move on
    # (a click during its load can stop the load, and with it that page's own axe check).
    with page.expect_navigation(wait_until="load"):
        navigation.get_by_role("link", name=group, exact=True).click()
    link = page.get_by_role("navigation", name=group).get_by_role("link", name=label, exact=True)
    expect(link).to_be_visible()
    if link.get_attribute("aria-current") != "page":
        link.click()
        expect(link).to_have_attribute("aria-current", "page")


def service_navigation(page: Page) -> Locator:
    """The service navigation (its links: `.get_by_role("link", name=...)`), with its menu
    opened first where the screen is narrow enough to fold it behind a "Menu" button."""
    page.wait_for_load_state("load")  # GOV.UK Frontend has set the menu up by then
    toggle = page.locator(".govuk-service-navigation__toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return page.get_by_role("navigation", name="Menu")
