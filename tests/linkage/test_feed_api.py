"""The index feed through the API: a partner agency's system sends its own agency's
records, and reads back its own imports only."""

import json
from typing import Any

import pytest
from django.test import Client

from openmash.accounts.models import Agency, ApiToken
from openmash.accounts.services import api_token_issue
from openmash.core.models import AuditEvent
from openmash.linkage.models import IndexedPerson, IndexImport
from tests.linkage.test_feeds import a_row

IMPORTS = "/api/v1/index/imports"


@pytest.fixture
def police_client(police_token: tuple[ApiToken, str]) -> Client:
    return Client(headers={"Authorization": f"Bearer {police_token[1]}"})


@pytest.fixture
def health_client(agencies: dict[str, Agency]) -> Client:
    _, secret = api_token_issue(agency=agencies["health"], name="Health system", issued_by="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def send(client: Client, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(IMPORTS, raw, content_type="application/json")


def records(*rows: dict[str, str]) -> list[dict[str, str]]:
    return list(rows)


def test_it_imports_the_tokens_own_agencys_records(
    police_client: Client, police_token: tuple[ApiToken, str], agencies: dict[str, Agency]
) -> None:
    body = {
        "mode": "replace",
        "records": [a_row(source_id="A"), a_row(source_id="B", nhs_number="123", upn="")],
    }
    response = send(police_client, body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert {key: answer[key] for key in ("agency", "mode", "applied", "rows")} == {
        "agency": "police",
        "mode": "replace",
        "applied": True,
        "rows": 2,
    }
    assert (answer["added"], answer["updated"], answer["removed"]) == (2, 0, 0)
    assert answer["warnings"] == {"nhs_number": 1}
    assert answer["errors"] == []
    assert IndexedPerson.objects.filter(agency=agencies["police"]).count() == 2
    assert IndexImport.objects.get().uploaded_by_token == police_token[0]

    again = send(police_client, body).json()
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)

    read = police_client.get(f"{IMPORTS}/{answer['id']}")
    assert read.status_code == 200
    assert read.json()["id"] == answer["id"] and read.json()["added"] == 2


def test_delta_and_replace_through_the_api(
    police_client: Client, agencies: dict[str, Agency]
) -> None:
    send(police_client, {"mode": "replace", "records": [a_row(source_id="A")]})
    delta = send(police_client, {"mode": "delta", "records": [a_row(source_id="B")]}).json()
    assert (delta["added"], delta["removed"]) == (1, 0)
    replace = send(police_client, {"mode": "replace", "records": [a_row(source_id="C")]}).json()
    assert (replace["added"], replace["removed"], replace["withdrawn"]) == (1, 2, 0)
    assert list(
        IndexedPerson.objects.filter(agency=agencies["police"]).values_list("source_id", flat=True)
    ) == ["C"]


def test_it_answers_422_with_every_records_errors_and_changes_nothing(
    police_client: Client, agencies: dict[str, Agency]
) -> None:
    send(police_client, {"mode": "replace", "records": [a_row(source_id="KEEP")]})
    body = {
        "mode": "replace",
        "records": [
            a_row(source_id="A"),
            a_row(source_id="B", sex="Q", date_of_birth="2099-01-01"),
            a_row(source_id="A"),
            {"source_id": "D"},
            {"given_names": "Amy", "involvement": "x" * 501},
        ],
    }

    response = send(police_client, body)

    assert response.status_code == 422, response.content
    answer = response.json()
    assert [(error["field"]) for error in answer["errors"]] == [
        "records[1].date_of_birth",
        "records[1].sex",
        "records[2].source_id",
        "records[3].given_names",
        "records[4].involvement",
        "records[4].source_id",
    ]
    assert all(error["message"] for error in answer["errors"])
    assert IndexImport.objects.get(pk=answer["import_id"]).applied is False
    assert list(
        IndexedPerson.objects.filter(agency=agencies["police"]).values_list("source_id", flat=True)
    ) == ["KEEP"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "sideways", "records": [a_row()]}, "mode"),
        ({"mode": "delta", "records": []}, "records"),
        ({"mode": "delta", "records": [a_row() | {"shoe_size": "9"}]}, "records[0].shoe_size"),
        ({"mode": "delta", "records": [a_row() | {"sex": 1}]}, "records[0].sex"),
        ({"mode": "delta"}, "records"),
    ],
)
def test_it_names_a_field_the_schema_refuses(
    police_client: Client, body: dict[str, Any], field: str
) -> None:
    response = send(police_client, body)
    assert response.status_code == 422, response.content
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not IndexedPerson.objects.filter(source="agency").exists()


def test_it_refuses_nul_and_broken_unicode_without_a_server_error(police_client: Client) -> None:
    nul = send(police_client, {"mode": "delta", "records": [a_row(family_name="Sm\x00ith")]})
    assert nul.status_code == 422
    assert [error["field"] for error in nul.json()["errors"]] == ["records[0].family_name"]
    raw = json.dumps({"mode": "delta", "records": [a_row()]}).replace('"Amy"', '"A\\ud800my"')
    broken = send(police_client, raw)
    assert broken.status_code == 422
    assert [error["field"] for error in broken.json()["errors"]] == ["records[0].given_names"]
    assert not IndexedPerson.objects.filter(source="agency").exists()


def test_another_agencys_token_gets_404_for_an_import(
    police_client: Client, health_client: Client
) -> None:
    created = send(police_client, {"mode": "delta", "records": [a_row()]}).json()
    theirs = health_client.get(f"{IMPORTS}/{created['id']}")
    missing = health_client.get(f"{IMPORTS}/999999")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == missing.json()


def test_a_health_import_never_touches_the_police_index(
    police_client: Client, health_client: Client, agencies: dict[str, Agency]
) -> None:
    send(police_client, {"mode": "replace", "records": [a_row(source_id="A")]})
    answer = send(health_client, {"mode": "replace", "records": [a_row(source_id="Z")]}).json()
    assert answer["agency"] == "health" and answer["removed"] == 0
    assert IndexedPerson.objects.filter(agency=agencies["police"]).count() == 1


def test_a_token_of_an_agency_outside_the_hub_is_refused(agencies: dict[str, Agency]) -> None:
    _, secret = api_token_issue(agency=agencies["riverside"], name="School MIS", issued_by="t")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert send(client, {"mode": "delta", "records": [a_row()]}).status_code == 403
    assert client.get(f"{IMPORTS}/1").status_code == 403
    assert not IndexImport.objects.exists()


def test_it_needs_a_token(police_client: Client) -> None:
    created = send(police_client, {"mode": "delta", "records": [a_row()]}).json()
    assert send(Client(), {"mode": "delta", "records": [a_row()]}).status_code == 401
    assert Client().get(f"{IMPORTS}/{created['id']}").status_code == 401
    assert IndexImport.objects.count() == 1


def test_it_audits_an_api_import_as_the_agencys_system(
    police_client: Client, police_token: tuple[ApiToken, str]
) -> None:
    created = send(police_client, {"mode": "delta", "records": [a_row()]}).json()
    event = AuditEvent.objects.get(object_type="index_import")
    assert event.actor_token == police_token[0] and event.object_id == str(created["id"])


def test_it_documents_the_operations_in_openapi(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert set(schema["paths"][IMPORTS]) == {"post"}
    assert set(schema["paths"][IMPORTS + "/{import_id}"]) == {"get"}
    for operation in (
        schema["paths"][IMPORTS]["post"],
        schema["paths"][IMPORTS + "/{import_id}"]["get"],
    ):
        assert operation["security"]
        assert operation["summary"]
