"""The extracts page and its downloads: managers only, every download recorded, and a
period that is not right shown again with what was typed."""

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from openmash.accounts.models import User
from openmash.core.models import AuditAction, AuditEvent
from openmash.extracts.annex_a import annex_a_list_1, annex_a_list_3
from openmash.extracts.catalogue import EXTRACTS
from openmash.extracts.forms import months_before
from openmash.extracts.tables import Table
from openmash.metrics.suppression import SUPPRESSED
from tests.conftest import ROLE_PERSONAS, signed_in
from tests.extracts.conftest import OCTOBER, Hub

DOWNLOAD = reverse("extracts:download")


def period(start: str = "1 10 2026", end: str = "31 10 2026", **more: str) -> dict[str, str]:
    """The query a download button sends: the period typed, and the button's value."""
    query = {}
    for name, typed in (("start", start), ("end", end)):
        for part, value in zip(("day", "month", "year"), typed.split(" "), strict=False):
            query[f"{name}_{part}"] = value
    query.update(more)
    return query


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _extract_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="extract"))


def test_it_lists_the_extracts_for_the_last_six_months(manager: User) -> None:
    response = signed_in(manager).get(reverse("extracts:index"))

    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "Ofsted Annex A, List 1: contacts",
        "Ofsted Annex A, List 3: referrals",
        "Children in Need census: referral items",
    ):
        assert title in page
    assert "NOBT" in page and "information not yet obtained" in page
    assert 'value="annex-a-list-1:csv"' in page and 'value="cin-census-referrals:xlsx"' in page
    form = response.context["form"]
    assert form["start"].value() == months_before(form.today, 6)
    assert 'href="/extracts/"' in page  # in the navigation


def test_it_downloads_list_1_as_csv_and_records_the_download(october: Hub, manager: User) -> None:
    response = signed_in(manager).get(DOWNLOAD, period(download="annex-a-list-1:csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="annex-a-list-1-contacts-2026-10-01-to-2026-10-31.csv"'
    )
    rows = _csv(response.content)
    assert rows[0][0] == "Child Unique ID"
    assert rows[1] == [str(october.child("A0").pk), "Female", "NOBT", "02/04/2016", "10",
                       "05/10/2026", "6"]  # fmt: skip
    assert len(rows) == 1 + len(annex_a_list_1(OCTOBER).table.rows)

    [event] = _extract_events()
    assert event.actor_user == manager
    assert event.action == AuditAction.READ
    assert event.object_id == "annex-a-list-1"
    assert event.detail == {
        "extract": "annex-a-list-1",
        "start": "2026-10-01",
        "end": "2026-10-31",
        "format": "csv",
        "rows": 6,
        "contacts": 5,
    }
    listed = AuditEvent.objects.filter(
        object_type="contact", action=AuditAction.LIST, detail__via="extract"
    )
    assert {each.contact_id for each in listed} == {
        october.pk(name) for name in ("A2", "B", "C", "D", "E")
    }
    assert all(each.actor_user == manager for each in listed)
    assert all(each.detail["download"] == event.pk for each in listed)


def test_the_audit_log_never_holds_what_was_downloaded(october: Hub, manager: User) -> None:
    signed_in(manager).get(DOWNLOAD, period(download="annex-a-list-3:xlsx"))

    recorded = " ".join(str(event.detail) for event in AuditEvent.objects.all())
    for secret in ("Amelia", "Smith", "2016-04-02", "02/04/2016", "Sam Patel", "NOBT"):
        assert secret not in recorded


def test_it_downloads_excel_holding_the_same_rows(october: Hub, manager: User) -> None:
    response = signed_in(manager).get(DOWNLOAD, period(download="annex-a-list-3:xlsx"))

    assert response["Content-Disposition"].endswith(
        'filename="annex-a-list-3-referrals-2026-10-01-to-2026-10-31.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values: list[list[Any]] = [[cell.value for cell in row] for row in sheet.iter_rows()]
    table = annex_a_list_3(OCTOBER).table
    assert values[0] == table.headers
    as_dates = [
        [value.date() if hasattr(value, "date") else value for value in row] for row in values[1:]
    ]
    expected = [[None if value == "" else value for value in row] for row in table.rows]
    assert as_dates == expected
    assert sheet["D2"].number_format == "dd/mm/yyyy"
    assert _extract_events()[0].detail["format"] == "xlsx"


def test_it_downloads_the_census_items(october: Hub, manager: User) -> None:
    response = signed_in(manager).get(DOWNLOAD, period(download="cin-census-referrals:csv"))

    rows = _csv(response.content)
    assert rows[0] == [
        "LAchildID",
        "CINreferralDate",
        "ReferralSource",
        "ReferralNFA",
        "PrimaryNeedCode",
        "AssessmentFactors",
        "Ethnicity",
    ]
    assert rows[2] == [str(october.child("B").pk), "2026-10-07", "2A", "0", "N5", "3B,4B", "NOBT"]
    assert rows[4][3] == "1"


@pytest.mark.parametrize("key", list(EXTRACTS))
def test_it_sends_every_extract_whole_with_no_small_number_withheld(
    october: Hub, manager: User, key: str
) -> None:
    """The extracts are lists of children, not tables of counts: a 1 (Amy's referral in
    the 12 months before, the ReferralNFA flag) or a small child id is about that child,
    and Ofsted and the census need it as it is."""
    response = signed_in(manager).get(DOWNLOAD, period(download=f"{key}:csv"))

    rows = _csv(response.content)
    assert SUPPRESSED not in response.content.decode("utf-8-sig")
    table = EXTRACTS[key].build(OCTOBER).table
    assert rows[1:] == [[_as_written(value, table) for value in row] for row in table.rows]


def _as_written(value: object, table: Table) -> str:
    if isinstance(value, date):
        return value.strftime(table.dates.csv_date)
    return "" if value is None else str(value)


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("31 2 2026", "31 10 2026", "start", "Start date must be a real date, like 27 3 2019"),
        ("1 10", "31 10 2026", "start", "Start date must include a year"),
        ("  ", "31 10 2026", "start", "Enter the start date"),
        ("1 10 2026", "", "end", "Enter the end date"),
        ("1 10 2026", "30 9 2026", "end", "End date must be the same as or after the start date"),
        ("1 1 2025", "31 10 2026", "end", "The period must be 366 days or shorter"),
        ("1 10 2026", "1 1 2099", "end", "End date must be today or in the past"),
        ("1 1 2099", "2 1 2099", "start", "Start date must be today or in the past"),
    ],
)
def test_it_shows_the_page_again_with_what_was_typed_and_the_error(
    manager: User, start: str, end: str, field: str, message: str
) -> None:
    query = period(start, end, download="annex-a-list-1:csv")

    response = signed_in(manager).get(DOWNLOAD, query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'<a href="#id_{field}_0">{message}</a>' in page
    assert f'<p id="id_{field}-error" class="govuk-error-message">' in page
    assert page.count("govuk-input--error") >= 3
    for name, value in query.items():
        if name != "download" and value.strip():
            assert f'name="{name}" type="text" inputmode="numeric" value="{value}"' in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: Extracts" in page
    assert _extract_events() == []


def test_it_answers_a_download_it_does_not_offer_with_not_found(manager: User) -> None:
    for choice in ("annex-a-list-2:csv", "annex-a-list-1:pdf", "annex-a-list-1", ":csv"):
        response = signed_in(manager).get(DOWNLOAD, period(download=choice))
        assert response.status_code == 404, choice
    assert _extract_events() == []


@pytest.mark.parametrize("persona", [name for name in ROLE_PERSONAS if name != "manager"])
def test_it_refuses_a_download_to_anyone_but_a_manager(
    october: Hub, personas: dict[str, User], persona: str
) -> None:
    response = signed_in(personas[persona]).get(DOWNLOAD, period(download="annex-a-list-1:csv"))

    assert response.status_code == 403
    assert _extract_events() == []
    assert not AuditEvent.objects.filter(detail__via="extract").exists()


def test_it_sends_someone_signed_out_to_sign_in(october: Hub) -> None:
    from django.test import Client

    response = Client().get(DOWNLOAD, period(download="annex-a-list-1:csv"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))
    assert _extract_events() == []


def test_the_navigation_offers_extracts_only_to_managers(personas: dict[str, User]) -> None:
    home = reverse("home:home")
    for name, user in personas.items():
        page = signed_in(user).get(home).content.decode()
        assert ('href="/extracts/"' in page) is (name == "manager"), name
