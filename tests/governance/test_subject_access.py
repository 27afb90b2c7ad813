"""Subject access (issue 14, item 9): an information governance officer finds a person by
POST (never in an address), chooses their records and gets everything held about them in
one export, with other people's information marked for redaction; the search, the request,
the export and the download are audited. The 2019 hub is in tests/governance/conftest.py."""

import io
import json
import re
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import CheckFinding
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.governance.models import SubjectAccessRequest
from openmash.governance.subject_access import (
    THIRD_PARTY,
    WITHHOLD,
    SubjectAccessRefused,
    subject_access_export,
    subject_access_request_create,
)
from tests.conftest import signed_in
from tests.governance.conftest import RetentionHub, at

pytestmark = pytest.mark.django_db
START = reverse("governance:subject-access")


def search(client: Client, **terms: str) -> str:
    """POST the search; the address of its results (an opaque id, never the terms)."""
    response = client.post(START, terms)
    assert response.status_code == 303
    return str(response["Location"])


def test_the_search_is_posted_and_never_in_an_address(
    in_2019: RetentionHub, ig_officer: User
) -> None:
    client = signed_in(ig_officer)

    results = search(
        client,
        name="Nina Hall",
        date_of_birth_day="2",
        date_of_birth_month="5",
        date_of_birth_year="2012",
    )

    assert "Nina" not in results and "Hall" not in results and "2012" not in results
    page = client.get(results)
    assert page.status_code == 200
    assert f'value="person-{in_2019.child("N").pk}"' in page.content.decode()
    event = AuditEvent.objects.get(object_type="subject_access_search")
    assert event.action == AuditAction.SEARCH
    assert event.detail["fields"] == ["name", "date_of_birth"]
    assert "Nina" not in json.dumps(event.detail)
    assert AuditEvent.objects.filter(
        object_type="person", object_id=str(in_2019.child("N").pk), action=AuditAction.LIST
    ).exists()


def test_an_adult_named_in_a_contact_is_found_too(in_2019: RetentionHub, ig_officer: User) -> None:
    client = signed_in(ig_officer)

    page = client.get(search(client, name="Pat Hall"))

    parent = in_2019.contacts["N"].people.get(position=1)
    assert f'value="person-{parent.pk}"' in page.content.decode()


def test_nothing_typed_is_a_field_level_error(ig_officer: User) -> None:
    response = signed_in(ig_officer).post(START, {"name": ""})

    assert response.status_code == 400
    assert "Enter at least one thing you know about the person" in response.content.decode()


def test_choosing_the_records_makes_a_request_and_shows_the_export(
    in_2019: RetentionHub, ig_officer: User
) -> None:
    client = signed_in(ig_officer)
    results = search(client, name="Nina Hall")
    nina = in_2019.child("N")

    response = client.post(
        results,
        {
            "records": [f"person-{nina.pk}"],
            "reference": "SAR-2026-0142",
            "received_on_day": "1",
            "received_on_month": "12",
            "received_on_year": "2026",
        },
    )

    request = SubjectAccessRequest.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "governance:subject-access-export", args=[request.public_id]
    )
    assert (request.reference, request.received_on) == ("SAR-2026-0142", date(2026, 12, 1))
    assert request.contact_person_ids == [nina.pk]
    page = client.get(response["Location"]).content.decode()
    assert in_2019.contacts["N"].reference in page
    assert "Nina Hall" in page
    assert AuditEvent.objects.filter(
        object_type="subject_access_request", action=AuditAction.CREATE
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="subject_access_request", action=AuditAction.READ
    ).exists()
    read = AuditEvent.objects.get(
        object_type="contact", action=AuditAction.READ, detail__via="subject_access"
    )
    assert read.contact_id == in_2019.pk("N")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "reference": "SAR-1",
                "received_on_day": "1",
                "received_on_month": "1",
                "received_on_year": "2026",
            },
            "Choose the records that are the person&#x27;s",
        ),
        (
            {
                "records": ["person-0"],
                "reference": "SAR-1",
                "received_on_day": "1",
                "received_on_month": "1",
                "received_on_year": "2026",
            },
            "Choose from the records found",
        ),
        (
            {
                "records": "CHOSEN",
                "received_on_day": "1",
                "received_on_month": "1",
                "received_on_year": "2026",
            },
            "Enter your reference for the request",
        ),
        ({"records": "CHOSEN", "reference": "SAR-1"}, "Enter the date the request was received"),
        (
            {
                "records": "CHOSEN",
                "reference": "SAR-1",
                "received_on_day": "1",
                "received_on_month": "1",
                "received_on_year": "2099",
            },
            "must be today or in the past",
        ),
    ],
)
def test_a_bad_request_form_says_what_to_fix_and_saves_nothing(
    in_2019: RetentionHub, ig_officer: User, data: dict[str, object], message: str
) -> None:
    client = signed_in(ig_officer)
    results = search(client, name="Nina Hall")
    if data.get("records") == "CHOSEN":
        data = {**data, "records": [f"person-{in_2019.child('N').pk}"]}

    response = client.post(results, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SubjectAccessRequest.objects.exists()


def test_an_expired_search_asks_again(ig_officer: User) -> None:
    page = signed_in(ig_officer).get(
        reverse("governance:subject-access-search", args=["not-a-search"])
    )

    assert "That search has expired" in page.content.decode()


def export_for(hub: RetentionHub, officer: User, name: str = "N") -> SubjectAccessRequest:
    return subject_access_request_create(
        actor=Actor(user=officer),
        reference="SAR-7",
        received_on=date(2026, 12, 1),
        contact_person_ids=[hub.child(name).pk],
        indexed_person_ids=[],
    )


def test_other_people_and_the_referrer_are_marked_for_redaction(
    in_2019: RetentionHub, ig_officer: User
) -> None:
    request = export_for(in_2019, ig_officer)

    export = subject_access_export(actor=Actor(user=ig_officer), public_id=str(request.public_id))

    [record] = export.contacts
    entries = {
        (block.heading, entry.label): entry for block in record.blocks for entry in block.entries
    }
    own = entries[("The person (as recorded in this contact)", "Name")]
    assert (own.value, own.mark) == ("Nina Hall", "")
    parent = entries[("Another person named: parent or carer", "Name")]
    assert (parent.value, parent.mark) == ("Pat Hall", THIRD_PARTY)
    referrer = entries[("Who made the contact", "Name")]
    assert referrer.mark == THIRD_PARTY
    decided_by = entries[("The MASH decision", "Decided by")]
    assert decided_by.mark == "staff"
    assert entries[("The contact", "What the referrer said")].mark == "review"
    assert export.counts[THIRD_PARTY] >= 3


def test_restricted_agency_information_is_marked_as_one_that_may_be_withheld(
    in_2019: RetentionHub, ig_officer: User, personas: dict[str, User]
) -> None:
    in_2019.receive("P", at(2019, 3, 1))
    in_2019.screen("P", at(2019, 3, 1))
    in_2019.enquire("P", ["police"], at(2019, 3, 1))
    child = in_2019.child("P")
    check_record_findings(
        actor=Actor(user=personas["police_researcher"]),
        check_id=in_2019.check("P", "police").pk,
        findings=[
            FindingInput(
                person_id=child.pk,
                known=True,
                lawful_basis="public_task_safeguarding",
                summary="Known: domestic incident at the home in 2018.",
                restricted_information="Informant is the neighbour at number 4.",
            )
        ],
        now=at(2019, 3, 1, 12),
    )
    assert CheckFinding.objects.filter(person=child).exists()
    request = export_for(in_2019, ig_officer, "P")

    export = subject_access_export(actor=Actor(user=ig_officer), public_id=str(request.public_id))

    block = next(b for r in export.contacts for b in r.blocks if b.heading.startswith("Police"))
    marks = {entry.label: entry.mark for entry in block.entries}
    assert marks["Restricted information"] == WITHHOLD
    assert marks["Summary"] == "review"
    assert "ask Police before disclosing" in block.note


def test_the_download_holds_json_html_and_pdf_and_is_audited(
    in_2019: RetentionHub, ig_officer: User
) -> None:
    request = export_for(in_2019, ig_officer)
    client = signed_in(ig_officer)

    response = client.get(reverse("governance:subject-access-download", args=[request.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="subject-access-SAR-7.zip"'
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"subject-access.json", "subject-access.html", "subject-access.pdf"} <= set(
        archive.namelist()
    )
    data = json.loads(archive.read("subject-access.json"))
    assert data["reference"] == "SAR-7"
    values = [
        (entry["value"], entry["mark"])
        for contact in data["contacts"]
        for block in contact["blocks"]
        for entry in block["entries"]
        if entry["label"] == "Name"
    ]
    assert ("Nina Hall", "") in values and ("Pat Hall", THIRD_PARTY) in values
    assert archive.read("subject-access.pdf").startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        object_type="subject_access_request", detail__download="zip"
    ).exists()


def test_the_access_log_says_who_viewed_the_record(
    in_2019: RetentionHub, ig_officer: User, screener: User
) -> None:
    request = export_for(in_2019, ig_officer)

    export = subject_access_export(actor=Actor(user=ig_officer), public_id=str(request.public_id))

    assert any(entry.who == screener.display_name for entry in export.access_log)


@pytest.mark.parametrize("persona", ["auditor", "administrator", "manager", "screener"])
def test_only_the_information_governance_officer_answers_requests(
    in_2019: RetentionHub, personas: dict[str, User], persona: str
) -> None:
    with pytest.raises(PermissionDenied):
        export_for(in_2019, personas[persona])
    assert signed_in(personas[persona]).get(START).status_code == 403


def test_a_request_needs_a_record_that_exists(ig_officer: User) -> None:
    with pytest.raises(SubjectAccessRefused, match="no longer exists"):
        subject_access_request_create(
            actor=Actor(user=ig_officer),
            reference="SAR-1",
            received_on=date(2026, 1, 1),
            contact_person_ids=[999_999],
            indexed_person_ids=[],
        )


def test_the_export_page_names_no_search_terms_in_its_address(
    in_2019: RetentionHub, ig_officer: User
) -> None:
    request = export_for(in_2019, ig_officer)
    url = reverse("governance:subject-access-export", args=[request.public_id])

    assert re.fullmatch(r"/governance/subject-access/[0-9a-f-]{36}/", url)
