"""API v1 for partner agencies' systems: their checks, their findings, and the outcome
of the contacts they submitted."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import Agency, ApiToken, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import CheckFinding, CheckState
from openmash.enquiries.services.checks import FindingInput, check_record_findings, check_waive
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.enquiries.conftest import check_for, not_known
from tests.factories import a_submission

CHECKS = "/api/v1/checks"
MY_OPERATIONS = {
    "GET /api/v1/checks",
    "GET /api/v1/checks/{check_id}",
    "POST /api/v1/checks/{check_id}/findings",
    "GET /api/v1/contacts/{contact_id}/outcome",
}


@pytest.fixture
def police_api(police_token: tuple[ApiToken, str]) -> Client:
    return Client(headers={"Authorization": f"Bearer {police_token[1]}"})


@pytest.fixture
def health_api(agencies: dict[str, Agency]) -> Client:
    _, secret = api_token_issue(agency=agencies["health"], name="Health system", issued_by="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def people_of(contact: Contact) -> list[int]:
    return list(contact.people.order_by("position").values_list("pk", flat=True))


def a_finding(person_id: int, **changes: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "person_id": person_id,
        "known": False,
        "lawful_basis": "law_enforcement_safeguarding",
    }
    finding.update(changes)
    return finding


def post_findings(client: Client, check_id: int, findings: Any) -> Any:
    return client.post(
        f"{CHECKS}/{check_id}/findings", {"findings": findings}, content_type="application/json"
    )


# Listing and fetching


def test_it_lists_the_agencys_open_checks(police_api: Client, contact_with_checks: Contact) -> None:
    response = police_api.get(CHECKS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [check] = body["checks"]
    assert check["id"] == check_for(contact_with_checks, "police").pk
    assert check["contact_reference"] == contact_with_checks.reference
    assert check["state"] == "requested"
    assert (check["rag"], check["rag_label"]) == ("amber", "Amber")
    assert check["deadline_at"]
    child = check["people"][0]
    assert child["id"] == people_of(contact_with_checks)[0]
    assert (child["given_names"], child["family_name"]) == ("Amy", "Smith")
    assert child["nhs_number"] == "9434765919"
    assert child["address"]["postcode"] == "DC1 4AB"
    assert sorted(check["concerns"]["factor_codes"]) == ["16A", "4B"]
    assert check["concerns"]["description"].startswith("Amy arrives hungry")
    assert check["concerns"]["immediate_risk"] is False
    assert check["findings"] == []
    listed = AuditEvent.objects.filter(action=AuditAction.LIST, object_type="agency_check")
    assert [event.object_id for event in listed] == [str(check["id"])]


def test_it_leaves_completed_checks_out_of_the_list(
    police_api: Client, contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check_for(contact_with_checks, "police").pk,
        findings=not_known(contact_with_checks),
    )

    assert police_api.get(CHECKS).json() == {"count": 0, "checks": []}


def test_it_fetches_one_check_and_records_the_read(
    police_api: Client, contact_with_checks: Contact, police_token: tuple[ApiToken, str]
) -> None:
    check = check_for(contact_with_checks, "police")

    response = police_api.get(f"{CHECKS}/{check.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == check.pk
    event = AuditEvent.objects.get(action=AuditAction.READ, object_type="agency_check")
    assert event.actor_token == police_token[0]
    assert event.contact_id == contact_with_checks.pk


def test_it_answers_another_agencys_check_as_not_found(
    police_api: Client, contact_with_checks: Contact
) -> None:
    theirs = police_api.get(f"{CHECKS}/{check_for(contact_with_checks, 'health').pk}")
    missing = police_api.get(f"{CHECKS}/987654321")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "Not found"}


def test_it_gives_a_referrers_system_no_check_queue(
    agencies: dict[str, Agency], contact_with_checks: Contact
) -> None:
    _, secret = api_token_issue(agency=agencies["riverside"], name="School MIS", issued_by="t")
    school = Client(headers={"Authorization": f"Bearer {secret}"})

    assert school.get(CHECKS).status_code == 403
    check = check_for(contact_with_checks, "police")
    assert school.get(f"{CHECKS}/{check.pk}").status_code == 403


# Recording findings


def test_it_records_findings_and_completes_the_check(
    police_api: Client, contact_with_checks: Contact, police_token: tuple[ApiToken, str]
) -> None:
    check = check_for(contact_with_checks, "police")
    child, parent = people_of(contact_with_checks)

    response = post_findings(
        police_api,
        check.pk,
        [
            a_finding(child),
            a_finding(
                parent,
                known=True,
                summary="Arrested for assault in 2024.",
                risk_indicators="Violent to officers.",
                last_involvement_on="2024-11-02",
                restricted_information="The victim's new address.",
                summary_restricted=True,
            ),
        ],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "completed"
    assert body["completed_at"]
    assert body["findings"][1] == {
        "person_id": parent,
        "known": True,
        "summary": "Arrested for assault in 2024.",
        "risk_indicators": "Violent to officers.",
        "last_involvement_on": "2024-11-02",
        "lawful_basis": "law_enforcement_safeguarding",
        "restricted_information": "The victim's new address.",
        "summary_restricted": True,
        "onward_sharing": "none",
        "onward_summary": "",
        "onward_lawful_basis": "",
    }
    check.refresh_from_db()
    assert check.state == CheckState.COMPLETED
    assert check.completed_by_token == police_token[0]
    assert check.completed_by is None


def test_the_last_findings_send_the_contact_for_a_decision(
    police_api: Client, contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    for slug in ("health", "education"):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact_with_checks, slug).pk,
            findings=not_known(contact_with_checks),
        )

    response = post_findings(
        police_api,
        check_for(contact_with_checks, "police").pk,
        [a_finding(person) for person in people_of(contact_with_checks)],
    )

    assert response.status_code == 200
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.AWAITING_DECISION


def _sent_in_reverse(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    return [a_finding(parent, known=True, summary=""), a_finding(child)]


def _missing_parent(contact: Contact) -> list[dict[str, Any]]:
    return [a_finding(people_of(contact)[0])]


def _unknown_person(contact: Contact) -> list[dict[str, Any]]:
    return [a_finding(person) for person in people_of(contact)] + [a_finding(10**9)]


def _twice(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    return [a_finding(child), a_finding(parent), a_finding(parent)]


def _nul(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    return [a_finding(child, known=True, summary="Known\x00 to us"), a_finding(parent)]


def _future(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    return [
        a_finding(child, known=True, summary="Seen.", last_involvement_on=tomorrow),
        a_finding(parent),
    ]


def _bad_basis(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    return [a_finding(child, lawful_basis="because"), a_finding(parent)]


def _extra_field(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    return [a_finding(child), a_finding(parent, colour="blue")]


def _no_known(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    finding = a_finding(child)
    del finding["known"]
    return [finding, a_finding(parent)]


def _too_long(contact: Contact) -> list[dict[str, Any]]:
    child, parent = people_of(contact)
    return [a_finding(child, known=True, summary="x" * 20001), a_finding(parent)]


INVALID = {
    "summary missing, sent in another order": (_sent_in_reverse, "findings[0].summary"),
    "a person left out": (_missing_parent, "findings"),
    "a person not in the check": (_unknown_person, "findings[2].person_id"),
    "a person twice": (_twice, "findings[2].person_id"),
    "NUL in the summary": (_nul, "findings[0].summary"),
    "involvement in the future": (_future, "findings[0].last_involvement_on"),
    "unknown lawful basis": (_bad_basis, "findings[0].lawful_basis"),
    "unknown field": (_extra_field, "findings[1].colour"),
    "known not said": (_no_known, "findings[0].known"),
    "summary too long": (_too_long, "findings[0].summary"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_it_names_the_field_in_error_and_records_nothing(
    case: str, police_api: Client, contact_with_checks: Contact
) -> None:
    build, field = INVALID[case]
    check = check_for(contact_with_checks, "police")

    response = post_findings(police_api, check.pk, build(contact_with_checks))

    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert all(set(error) == {"field", "message"} and error["message"] for error in errors)
    assert field in [error["field"] for error in errors], errors
    check.refresh_from_db()
    assert check.state == CheckState.REQUESTED
    assert not CheckFinding.objects.exists()


@pytest.mark.parametrize("body", ["", "null", "[]", '{"findings": []}', '{"findings": [{}]}'])
def test_it_refuses_a_malformed_body_without_a_server_error(
    body: str, police_api: Client, contact_with_checks: Contact
) -> None:
    check = check_for(contact_with_checks, "police")
    response = police_api.post(
        f"{CHECKS}/{check.pk}/findings", body, content_type="application/json"
    )
    assert response.status_code in (400, 422), response.content
    assert not CheckFinding.objects.exists()


def test_it_will_not_answer_a_completed_check_twice(
    police_api: Client, contact_with_checks: Contact
) -> None:
    check = check_for(contact_with_checks, "police")
    findings = [a_finding(person) for person in people_of(contact_with_checks)]
    assert post_findings(police_api, check.pk, findings).status_code == 200

    again = post_findings(police_api, check.pk, findings)

    assert again.status_code == 409
    assert again.json() == {
        "detail": "This check is completed: findings can no longer be recorded."
    }
    assert CheckFinding.objects.filter(agency_check=check).count() == 2


def test_it_will_not_answer_a_waived_check(
    police_api: Client, contact_with_checks: Contact, screener: User
) -> None:
    check = check_for(contact_with_checks, "police")
    check_waive(actor=Actor(user=screener), check_id=check.pk, reason="Not needed.")

    response = post_findings(
        police_api, check.pk, [a_finding(person) for person in people_of(contact_with_checks)]
    )

    assert response.status_code == 409
    assert "waived" in response.json()["detail"]


# The outcome of a contact the agency submitted


@pytest.fixture
def police_contact(police_token: tuple[ApiToken, str]) -> Contact:
    contact, _ = contact_create(actor=Actor(token=police_token[0]), submission=a_submission())
    return contact


def test_it_gives_the_outcome_once_decided_and_never_the_findings(
    police_api: Client,
    police_contact: Contact,
    screener: User,
    manager: User,
    researchers: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    before = police_api.get(f"/api/v1/contacts/{police_contact.pk}/outcome")
    assert before.status_code == 200
    assert before.json() == {
        "id": police_contact.pk,
        "reference": police_contact.reference,
        "state": "received",
        "outcome": None,
        "outcome_code": None,
        "next_steps": None,
        "decided_at": None,
        "hand_on_state": None,
        "receiving_team": None,
        "responded_at": None,
        "named_contact": None,
        "named_contact_details": None,
        "children": [],
    }
    contact_take(actor=Actor(user=screener), contact_id=police_contact.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=police_contact.pk, rag="green", rationale="Low."
    )
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=police_contact.pk,
        agency_ids=[agencies["health"].pk],
    )
    people = list(police_contact.people.order_by("position"))
    check_record_findings(
        actor=Actor(user=researchers["health"]),
        check_id=check_for(police_contact, "health").pk,
        findings=[
            FindingInput(
                person_id=person.pk,
                known=True,
                summary="HEALTH-ONLY-KNOWS-THIS",
                lawful_basis="public_task_safeguarding",
            )
            for person in people
        ],
    )
    decision_record(
        actor=Actor(user=manager),
        contact_id=police_contact.pk,
        data=DecisionInput(
            level_of_need=1,
            outcome="nfa",
            factor_codes=["16A"],
            primary_need="N9",
            rationale="No further action needed.",
        ),
    )

    response = police_api.get(f"/api/v1/contacts/{police_contact.pk}/outcome")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "closed"
    assert body["outcome_code"] == "nfa"
    # Each child's outcome: here one child, no further action (ADR 0022).
    assert [(child["outcome_code"], child["hand_on_state"]) for child in body["children"]] == [
        ("nfa", None)
    ]
    assert body["outcome"]
    assert body["next_steps"] is not None
    assert body["decided_at"]
    assert "HEALTH-ONLY-KNOWS-THIS" not in response.content.decode()
    assert "findings" not in body
    event = AuditEvent.objects.filter(action=AuditAction.READ, object_type="contact").last()
    assert event is not None and event.contact_id == police_contact.pk


def test_it_gives_no_outcome_of_another_agencys_contact(
    health_api: Client, police_contact: Contact, school_contact: Contact, police_api: Client
) -> None:
    theirs = health_api.get(f"/api/v1/contacts/{police_contact.pk}/outcome")
    web = police_api.get(f"/api/v1/contacts/{school_contact.pk}/outcome")
    missing = police_api.get("/api/v1/contacts/987654321/outcome")

    assert theirs.status_code == web.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


# The schema


def test_it_documents_the_check_operations(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()

    operations = {
        f"{method.upper()} /api/v1{path.removeprefix('/api/v1')}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) >= MY_OPERATIONS
    for label in MY_OPERATIONS:
        operation = operations[label]
        assert operation.get("security"), label
        assert {"200", "401", "403"} <= set(operation["responses"]), label
    findings = operations["POST /api/v1/checks/{check_id}/findings"]
    assert {"404", "409", "422"} <= set(findings["responses"])
