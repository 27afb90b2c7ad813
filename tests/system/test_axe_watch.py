"""The page fixtures check every page a journey shows with axe, without being asked."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Route, expect

from tests.system.conftest import AxeWatch, expect_no_axe_violations

SITE = "http://openmash.test"
PAGE = """<!doctype html>
<html lang="en"><head><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""
# A 1x1 image: with no alt text it is a WCAG 2.2 A failure (axe's image-alt).
IMAGE = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
PAGES = {
    f"{SITE}/no-alt/": PAGE.format(
        title="No alt", body=f'<img src="{IMAGE}"><a href="/fine/">Next</a>'
    ),
    f"{SITE}/fine/": PAGE.format(title="Fine", body=f'<img src="{IMAGE}" alt="">'),
    f"{SITE}/wide/": PAGE.format(
        title="Wide", body='<p style="width: 900px">Too wide</p><a href="/scrolls/">Next</a>'
    ),
    f"{SITE}/scrolls/": PAGE.format(
        title="Scrolls",
        body='<div style="overflow-x: auto" tabindex="0" role="region" aria-label="Wide">'
        '<p style="width: 900px">Wide, in its own region</p></div>',
    ),
}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)

    def serve(route: Route) -> None:
        route.fulfill(content_type="text/html", body=PAGES[route.request.url])

    # Routed before the watch, so the watch sees each navigation first (as with the live server).
    context.route(f"{SITE}/**", serve)
    yield context
    context.close()


def test_it_finds_a_violation_on_a_page_the_journey_left_at_once(context: BrowserContext) -> None:
    # Given a watched page showing an image with no alt text
    watch = AxeWatch(context)
    page = context.new_page()
    page.goto(f"{SITE}/no-alt/")

    # When the journey clicks on without checking it
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fine")
    watch.finish()

    # Then the page it left was checked, and only it has a violation
    found = [(url, [v["id"] for v in violations]) for url, violations in watch.violations]
    assert found == [(f"{SITE}/no-alt/", ["image-alt"])]


def test_it_lets_a_journey_check_a_page_itself_as_well(context: BrowserContext) -> None:
    # Given a watched page that is checking itself
    watch = AxeWatch(context)
    page = context.new_page()
    page.goto(f"{SITE}/fine/")

    # When the journey checks it too, at once
    expect_no_axe_violations(page)
    watch.finish()

    # Then both checks ran and found nothing
    assert watch.violations == []


def test_it_fails_a_page_that_scrolls_sideways_on_a_phone(browser: Browser) -> None:
    # Given a watched phone-sized page wider than the screen
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    context.route(
        f"{SITE}/**",
        lambda route: route.fulfill(content_type="text/html", body=PAGES[route.request.url]),
    )
    watch = AxeWatch(context, check_reflow=True)
    page = context.new_page()
    page.goto(f"{SITE}/wide/")

    # When the journey moves on to a page whose wide part scrolls in its own region
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scrolls")
    watch.finish()
    context.close()

    # Then only the first page fails, saying how wide it is and what sticks out
    assert [url for url, _ in watch.violations] == [f"{SITE}/wide/"]
    (problem,) = watch.violations[0][1]
    assert problem["id"] == "page-scrolls-sideways"
    assert "/wide/ scrolls sideways at 390 px wide: the page is" in str(problem["help"])
    assert problem["nodes"]


def test_a_page_left_before_axe_finished_is_opened_again_and_checked(
    context: BrowserContext,
) -> None:
    # Given a watched page that axe cannot finish before the journey leaves it
    # (no time at all: a loaded machine, as in CI)
    watch = AxeWatch(context)
    watch.WAIT_S = 0.0
    page = context.new_page()
    page.goto(f"{SITE}/no-alt/")

    # When the journey clicks on at once, and the test ends
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fine")
    watch.finish()

    # Then the page it left was opened again and checked: its violation is reported,
    # not "could not check"
    found = [(url, [v["id"] for v in violations]) for url, violations in watch.violations]
    assert found == [(f"{SITE}/no-alt/", ["image-alt"])]
