"""A contact's print view, printed (issue 13, item 7), on a desktop and on a phone.

A school's contact about Amy and her mother went through the MASH: rated red, police
found Amy known to them, and the manager decided on early help with a MASH summary. The
screener opens the contact's screening page, follows "Print" to the print view (the
contact, people, findings, decision, MASH summary and chronology, with the area's
protective marking shown) and prints it to PDF: the marking is at the top and bottom of
every printed page, above and below everything else on it, and neither the navigation, the
buttons nor any link's address is printed. A police researcher, who may not open the
screening page, may not open the print view either. Every page is checked with axe (and at
phone width for scrolling sideways) by the page fixtures.
"""

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openmash.accounts.models import Agency, User
from openmash.area.models import DEFAULT_PROTECTIVE_MARKING
from openmash.core.models import AuditEvent
from openmash.enquiries.models import CheckFinding
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from tests.conftest import PASSWORD
from tests.factories import Hub, a_decision, a_submission
from tests.system.conftest import expect_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICE_FOUND = "Two call-outs to the home in 2026 for shouting; no arrests."
SUMMARY = "Amy needs help with mornings and school attendance; mum asks for support."
# Long enough that the record runs to several printed pages.
WHAT_THE_REFERRER_SAID = "\n".join(
    f"Day {day}: Amy arrived hungry and tired, and said mum stayed in bed." for day in range(60)
)


@pytest.fixture
def decided(personas: dict[str, User], agencies: dict[str, Agency]) -> str:
    hub = Hub(users=dict(personas), agencies=agencies)
    now = timezone.now()
    contact = hub.receive(
        "Amy",
        now - timedelta(hours=5),
        people=a_submission().people,
    )
    contact.concern_description = WHAT_THE_REFERRER_SAID
    contact.save(update_fields=["concern_description"])
    hub.screen("Amy", now - timedelta(hours=4), rag="red")
    hub.enquire("Amy", ["police"], now - timedelta(hours=4))
    amy, mum = contact.people.order_by("position")
    check_record_findings(
        actor=hub.as_("police_researcher"),
        check_id=hub.check("Amy", "police").pk,
        findings=[
            FindingInput(
                person_id=amy.pk,
                known=True,
                summary=POLICE_FOUND,
                lawful_basis="public_task_safeguarding",
            ),
            FindingInput(person_id=mum.pk, known=False, lawful_basis="public_task_safeguarding"),
        ],
        now=now - timedelta(hours=3),
    )
    decision = a_decision("early_help", "Eastbridge early help hub", level=2)
    hub.decide("Amy", replace(decision, summary=SUMMARY), now - timedelta(hours=2))
    assert CheckFinding.objects.filter(summary=POLICE_FOUND).exists()
    return contact.reference


def _printed_pages(page: Page) -> list[list[tuple[float, str]]]:
    """Each page of the PDF Chromium prints, as its lines of text, top of the page first."""
    reader = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    pages = []
    for printed in reader.pages:
        lines: list[tuple[float, str]] = []

        def line(text: str, cm: list[float], tm: list[float], *_: object) -> None:
            if text.strip():
                lines.append((tm[5] * cm[3] + cm[5], text.strip()))  # noqa: B023

        printed.extract_text(visitor_text=line)
        pages.append(sorted(lines, key=lambda each: -each[0]))
    return pages


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_screener_prints_a_contact_with_the_marking_on_every_page(
    page: Page, new_page: Callable[..., Page], live_server: LiveServer, decided: str
) -> None:
    # Given the screener on the contact's screening page
    sign_in(page, live_server, "screener", PASSWORD)
    page.goto(f"{live_server.url}/mash/contacts/{decided}/")

    # When they follow "Print"
    page.get_by_role("link", name=re.compile(r"^Print")).click()

    # Then the print view shows the whole record, with the area's marking
    expect(page.get_by_role("heading", level=1)).to_contain_text(decided)
    expect(page.get_by_test_id("marking-on-screen")).to_have_text(DEFAULT_PROTECTIVE_MARKING)
    expect(page.get_by_test_id("printed-check")).to_contain_text(POLICE_FOUND)
    expect(page.locator("#decision")).to_be_visible()
    expect(page.get_by_role("heading", name="The MASH summary")).to_be_visible()
    expect(page.locator("main")).to_contain_text(SUMMARY)
    expect(page.get_by_test_id("printed-chronology")).to_have_count(1)  # one child
    expect(page.get_by_test_id("printed-chronology")).to_contain_text("Decision")
    expect_no_axe_violations(page)
    assert AuditEvent.objects.filter(detail__view="print", actor_user__username="screener").exists()

    # And printed, every page carries the marking at its top and its bottom
    printed = _printed_pages(page)
    assert len(printed) >= 2, "the record should run to several pages"
    for number, lines in enumerate(printed, start=1):
        texts = [text for _, text in lines]
        assert texts[0] == DEFAULT_PROTECTIVE_MARKING, f"page {number} starts {texts[:2]}"
        assert texts[-1] == DEFAULT_PROTECTIVE_MARKING, f"page {number} ends {texts[-2:]}"
        assert texts.count(DEFAULT_PROTECTIVE_MARKING) == 2
    # but not the navigation, the buttons, nor any link's address
    everything = "\n".join(text for lines in printed for _, text in lines)
    assert _squeezed(POLICE_FOUND) in _squeezed(everything)  # however the lines broke
    for left_out in ("Skip to main content", "Sign out", "Screening queue", "Print this record"):
        assert left_out not in everything
    assert "(/" not in everything and "(http" not in everything

    # And a police researcher may not open it
    police = new_page()
    sign_in(police, live_server, "police_researcher", PASSWORD)
    response = police.goto(f"{live_server.url}/mash/contacts/{decided}/print/")
    assert response is not None and response.status == 403
    expect(police.locator("main")).not_to_contain_text(POLICE_FOUND)
