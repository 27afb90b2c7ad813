"""The value-for-money page and the board report's page and download, as a MASH manager
and an analyst see them."""

import re
from html import unescape

import pytest
from django.test import Client

from openmash.accounts.models import User
from openmash.core.models import AuditEvent
from openmash.value.board_report import last_complete_month
from tests.conftest import signed_in
from tests.value.conftest import CHILD_NAMES, Hub

pytestmark = pytest.mark.django_db
OCTOBER = {
    "start_day": "1",
    "start_month": "10",
    "start_year": "2026",
    "end_day": "31",
    "end_month": "10",
    "end_year": "2026",
}


@pytest.fixture
def manager(personas: dict[str, User]) -> Client:
    return signed_in(personas["manager"])


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html.decode())))


def test_the_manager_sees_each_agencys_contribution(manager: Client, october: Hub) -> None:
    response = manager.get("/value/", OCTOBER)
    assert response.status_code == 200
    page = text(response.content)
    assert "Work recorded from 1 October 2026 to 31 October 2026" in page
    assert "Cost per contact £81.40 over 5 contacts received" in page
    assert "Cost per decision £101.75 over 4 first decisions" in page
    assert "Each agency's contribution" in page
    # Each share with what it is of (issue 16).
    assert (
        "Children's Social Care 18 6.7 69.0% (6.7 of 9.7 hours) £285 70.0% (£285 of £407)" in page
    )
    assert "Police 3 2.5 25.9% (2.5 of 9.7 hours) £98 24.1% (£98 of £407)" in page
    assert "Health 1 0.5 5.2% (0.5 of 9.7 hours) £24 5.9% (£24 of £407)" in page
    assert "Total 22 9.7 100.0% (9.7 of 9.7 hours) £407 100.0% (£407 of £407)" in page


def test_it_shows_the_cost_per_outcome_and_the_assumptions(manager: Client, october: Hub) -> None:
    page = text(manager.get("/value/", OCTOBER).content)
    assert "Strategy discussion and section 47 enquiry 1 £124 £124.00" in page
    assert "Every decided contact 3 £285 £95.00" in page
    assert "Screener Any agency £36.00 Included 7 October 2026" in page
    assert "Agency check Police Agency researcher 60 minutes 1 January 2026" in page
    assert "Cost per outcome" in page and "What is not counted" in page


def test_it_names_nobody(manager: Client, october: Hub) -> None:
    page = manager.get("/value/", OCTOBER).content.decode()
    for given, family in CHILD_NAMES.values():
        assert given not in page and family not in page


def test_it_shows_last_month_by_default(manager: Client) -> None:
    month = last_complete_month()
    page = text(manager.get("/value/").content)
    assert f"Work recorded from {month.start.day} {month.start:%B %Y} to" in page


def test_a_wrong_date_is_explained_and_kept(manager: Client) -> None:
    response = manager.get("/value/", {**OCTOBER, "start_day": "32"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="govuk-error-summary"' in html
    assert 'href="#id_start_0">Start date must be a real date, like 27 3 2019' in html
    assert 'name="start_day" type="text" inputmode="numeric" value="32"' in html
    assert "govuk-input--error" in html
    assert response.context["page"] is None
    assert "<title>Error: Value for money" in html


def test_the_period_must_end_after_it_starts(manager: Client) -> None:
    response = manager.get("/value/", {**OCTOBER, "end_month": "9", "end_day": "1"})
    assert "End date must be the same as or after the start date" in response.content.decode()


def test_a_half_given_period_asks_for_the_other_date(manager: Client) -> None:
    response = manager.get("/value/", {**OCTOBER, "end_day": "", "end_month": "", "end_year": ""})
    assert "Enter an end date" in response.content.decode()


def test_the_board_report_page_offers_whole_months(manager: Client) -> None:
    html = manager.get("/value/board-report/").content.decode()
    month = last_complete_month()
    assert f'<option value="{month.key}" selected>{month.label}</option>' in html
    assert "Download PDF" in html


def test_the_download_is_a_pdf_and_is_recorded(personas: dict[str, User], october: Hub) -> None:
    analyst = signed_in(personas["analyst"])
    response = analyst.get("/value/board-report/pdf/", {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="mash-board-report-2026-10.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(object_type="board_report")
    assert (event.actor_user, event.object_id) == (personas["analyst"], "2026-10")


def test_a_month_not_offered_is_refused_with_a_message(manager: Client) -> None:
    response = manager.get("/value/board-report/pdf/", {"month": "2099-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_month">Select a whole month from the list' in html
    assert not AuditEvent.objects.filter(object_type="board_report").exists()


def test_the_navigation_links_to_value_for_money(manager: Client) -> None:
    summary = manager.get("/value/").content.decode()
    board_report = manager.get("/value/board-report/").content.decode()
    # The summary is the link's own page; the board report is a page within its section.
    assert 'aria-current="page">Value for money</a>' in summary
    assert 'aria-current="true">Value for money</a>' in board_report
