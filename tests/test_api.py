"""API v1: agencies' systems submit contacts and follow their state."""

import copy
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.accounts.models import ApiToken
from openmash.accounts.services import api_token_issue
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from tests.factories import api_payload

REFERENCE = re.compile(r"^MASH-\d{4}-\d{6}$")
CONTACTS = "/api/v1/contacts"


@pytest.fixture
def api_client(police_token: tuple[ApiToken, str]) -> Client:
    _, secret = police_token
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_contact(client: Client, body: Any, **headers: str) -> Any:
    return client.post(CONTACTS, body, content_type="application/json", headers=headers)


def test_it_records_a_contact_sent_by_an_agency_system(
    api_client: Client, police_token: tuple[ApiToken, str]
) -> None:
    response = post_contact(api_client, api_payload())

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "reference", "state"}
    assert REFERENCE.match(body["reference"])
    assert body["state"] == "received"
    contact = Contact.objects.get(pk=body["id"])
    assert contact.reference == body["reference"]
    assert contact.state == ContactState.RECEIVED
    assert contact.submitted_by_token == police_token[0]
    assert contact.submitted_by_agency == police_token[0].agency
    assert contact.people.count() == 2


def test_it_returns_a_contact_with_its_state(api_client: Client) -> None:
    created = post_contact(api_client, api_payload()).json()

    response = api_client.get(f"{CONTACTS}/{created['id']}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert body["reference"] == created["reference"]
    assert body["state"] == "received"
    assert body["channel"] == "api"
    assert body["referral_source"] == "6"
    assert body["factor_codes"] == ["3B"]
    assert [person["role"] for person in body["people"]] == ["subject_child", "parent_carer"]
    # What the state page shows an agency's system, never identifiers it did not need.
    assert "nhs_number" not in body["people"][0]


def test_it_serves_its_openapi_schema(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/contacts" in schema["paths"]
    assert "/api/v1/contacts/{contact_id}" in schema["paths"]
    schemes = schema["components"]["securitySchemes"]
    assert any(
        scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
        for scheme in schemes.values()
    ), schemes
    for path in ("/api/v1/contacts", "/api/v1/contacts/{contact_id}"):
        for method, operation in schema["paths"][path].items():
            assert operation.get("security"), f"{method.upper()} {path} declares no security"
            assert set(operation["security"][0]) <= set(schemes)


# Each invalid field: a field-level error, and nothing written.


def _person(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["people"][index].update(changes)

    return change


def _set(section: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body[section].update(changes)

    return change


def _drop(section: str, key: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        del body[section][key]

    return change


def _top(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body.update(changes)

    return change


def _only_the_parent(body: dict[str, Any]) -> None:
    body["people"] = [body["people"][1]]


def _no_time_zone(body: dict[str, Any]) -> None:
    body["received_at"] = (timezone.now() - timedelta(minutes=5)).replace(tzinfo=None).isoformat()


def _in_the_future(body: dict[str, Any]) -> None:
    body["received_at"] = (timezone.now() + timedelta(days=1)).isoformat()


def _without_date_of_birth(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        del body["people"][0]["date_of_birth"]
        body["people"][0].update(changes)

    return change


INVALID_FIELDS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "bad NHS number": (_person(0, nhs_number="943 476 5918"), "people[0].nhs_number"),
    "NHS number not digits": (_person(0, nhs_number="ABC 476 5919"), "people[0].nhs_number"),
    "bad UPN": (_person(0, upn="A801200001001"), "people[0].upn"),
    "bad postcode": (
        _person(0, address={"line1": "4 Mill Road", "postcode": "QQ1 1QQ"}),
        "people[0].address.postcode",
    ),
    "date of birth in the future": (
        _person(0, date_of_birth=(date.today() + timedelta(days=3)).isoformat()),
        "people[0].date_of_birth",
    ),
    "no child": (_only_the_parent, "people"),
    "unknown factor code": (_set("concerns", factor_codes=["3B", "99Z"]), "concerns.factor_codes"),
    "unknown source code": (_set("referrer", source_code="2Z"), "referrer.source_code"),
    "missing description": (_drop("concerns", "description"), "concerns.description"),
    "blank description": (_set("concerns", description="   "), "concerns.description"),
    "consent not sought without reason": (
        _set("consent", status="not_sought", reason=""),
        "consent.reason",
    ),
    "received_at without a time zone": (_no_time_zone, "received_at"),
    "received_at in the future": (_in_the_future, "received_at"),
    "received_at years ago": (
        _top(received_at="2001-03-04T10:00:00+00:00", received_at_reason="Found in a drawer"),
        "received_at",
    ),
    "received_at at the start of time": (
        _top(received_at="0001-01-01T00:00:00+23:59", received_at_reason="Typed by mistake"),
        "received_at",
    ),
    "received_at at the end of time": (
        _top(received_at="9999-12-31T23:59:59-23:59"),
        "received_at",
    ),
    "extra unknown field": (_top(colour="blue"), "colour"),
    "extra field in a person": (_person(0, eye_colour="blue"), "people[0].eye_colour"),
    "estimated age huge": (_without_date_of_birth(estimated_age=10**30), "people[0].estimated_age"),
    "estimated age of an adult for a child": (
        _without_date_of_birth(estimated_age=30),
        "people[0].date_of_birth",
    ),
    "NUL character in a name": (_person(0, given_names="Li\x00am"), "people[0].given_names"),
    "NUL character in a postcode": (
        _person(0, address={"postcode": "DC2\x00 5XY"}),
        "people[0].address.postcode",
    ),
    "NUL character in the description": (
        _set("concerns", description="Domestic\x00 incident"),
        "concerns.description",
    ),
    "NUL character in the referrer": (_set("referrer", name="PC\x00Reid"), "referrer.name"),
}


@pytest.mark.parametrize("case", list(INVALID_FIELDS))
def test_it_names_the_invalid_field_and_records_nothing(api_client: Client, case: str) -> None:
    change, field = INVALID_FIELDS[case]
    body = copy.deepcopy(api_payload())
    change(body)
    before = Contact.objects.count()

    response = post_contact(api_client, body)

    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert errors and all(set(error) == {"field", "message"} for error in errors)
    assert all(error["message"] for error in errors)
    fields = [error["field"] for error in errors]
    assert any(name == field or name.startswith(f"{field}[") for name in fields), fields
    assert Contact.objects.count() == before


def test_it_refuses_text_that_is_not_unicode(api_client: Client) -> None:
    raw = json.dumps(api_payload()).replace('"Liam"', '"Li\\ud800am"')
    assert "\\ud800" in raw

    response = post_contact(api_client, raw)

    assert response.status_code == 422, response.content
    assert [error["field"] for error in response.json()["errors"]] == ["people[0].given_names"]
    assert not Contact.objects.exists()


FREE_TEXT = {
    ("people", 0, "given_names"): 200,
    ("people", 0, "family_name"): 200,
    ("people", 0, "other_names"): 500,
    ("people", 1, "given_names"): 200,
    ("referrer", None, "role"): 200,
    ("referrer", None, "organisation"): 200,
    ("concerns", None, "description"): 20000,
    ("consent", None, "reason"): 5000,
}


def _place(body: dict[str, Any], where: tuple[str, int | None, str], value: str) -> str:
    section, index, name = where
    target = body[section][index] if index is not None else body[section]
    target[name] = value
    return f"{section}[{index}].{name}" if index is not None else f"{section}.{name}"


@pytest.mark.parametrize("where", list(FREE_TEXT), ids=lambda where: where[-1])
def test_it_stores_any_text_exactly_or_names_the_field_it_refuses(
    api_client: Client, where: tuple[str, int | None, str]
) -> None:
    """Any Unicode a JSON body can carry is kept as sent, or refused with a field error."""
    limit = FREE_TEXT[where]

    @settings(max_examples=40, deadline=None, database=None)
    @given(value=st.text(max_size=limit + 5) | st.text(alphabet="\x00 a\u00e9\U0001f600"))
    def check(value: str) -> None:
        body = api_payload()
        field = _place(body, where, value)
        response = post_contact(api_client, body)
        if response.status_code == 201:
            contact = Contact.objects.get(pk=response.json()["id"])
            stored = {
                "people[0].given_names": lambda: contact.people.get(position=0).given_names,
                "people[0].family_name": lambda: contact.people.get(position=0).family_name,
                "people[0].other_names": lambda: contact.people.get(position=0).other_names,
                "people[1].given_names": lambda: contact.people.get(position=1).given_names,
                "referrer.role": lambda: contact.referrer_role,
                "referrer.organisation": lambda: contact.referrer_organisation,
                "concerns.description": lambda: contact.concern_description,
                "consent.reason": lambda: contact.consent_reason,
            }[field]()
            assert stored == value.strip()
            assert "\x00" not in value
        else:
            assert response.status_code == 422, response.content
            fields = {error["field"] for error in response.json()["errors"]}
            assert fields == {field}, (value, fields)

    check()


@settings(max_examples=50, deadline=None, database=None)
@given(
    moment=st.datetimes(),
    offset_minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
def _check_received_at(client: Client, moment: Any, offset_minutes: int) -> None:
    received_at = moment.replace(tzinfo=dt_timezone(timedelta(minutes=offset_minutes)))
    body = api_payload(received_at=received_at.isoformat(), received_at_reason="Late")
    response = post_contact(client, body)
    assert response.status_code in (201, 422), response.content
    if response.status_code == 422:
        assert {error["field"] for error in response.json()["errors"]} == {"received_at"}
    else:
        assert REFERENCE.match(response.json()["reference"])


def test_it_accepts_or_refuses_any_time_received_without_a_server_error(api_client: Client) -> None:
    _check_received_at(api_client)


@pytest.mark.parametrize(
    "raw",
    ['{"referrer": ', "not json", '{"people": [}', "\x00", '{"a": "\\ud800"}', "[]", "null", ""],
)
def test_it_refuses_a_malformed_body_without_a_server_error(api_client: Client, raw: str) -> None:
    response = post_contact(api_client, raw)

    assert response.status_code in (400, 422), (response.status_code, response.content)
    assert not Contact.objects.exists()


def test_it_refuses_a_body_that_is_not_json(api_client: Client) -> None:
    response = api_client.post(CONTACTS, "channel=api", content_type="text/plain")
    assert response.status_code in (400, 415, 422)
    assert not Contact.objects.exists()


# Idempotency-Key: a retried request never makes a second contact.


def test_it_returns_the_first_contact_for_a_repeated_idempotency_key(api_client: Client) -> None:
    first = post_contact(api_client, api_payload(), **{"Idempotency-Key": "retry-1"})
    second = post_contact(api_client, api_payload(), **{"Idempotency-Key": "retry-1"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert Contact.objects.count() == 1


def test_it_refuses_a_reused_idempotency_key_with_a_different_body(api_client: Client) -> None:
    first = post_contact(api_client, api_payload(), **{"Idempotency-Key": "retry-2"})
    changed = api_payload()
    changed["concerns"]["description"] = "A different incident."

    second = post_contact(api_client, changed, **{"Idempotency-Key": "retry-2"})

    assert first.status_code == 201
    assert second.status_code == 422
    assert [error["field"] for error in second.json()["errors"]] == ["Idempotency-Key"]
    assert Contact.objects.count() == 1


def test_it_records_two_contacts_for_two_idempotency_keys(api_client: Client) -> None:
    first = post_contact(api_client, api_payload(), **{"Idempotency-Key": "key-a"})
    second = post_contact(api_client, api_payload(), **{"Idempotency-Key": "key-b"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert Contact.objects.count() == 2


def test_it_keeps_idempotency_keys_apart_between_agencies(
    api_client: Client, agencies: dict[str, Any]
) -> None:
    _, health_secret = api_token_issue(agency=agencies["health"], name="Health", issued_by="test")
    health = Client(headers={"Authorization": f"Bearer {health_secret}"})

    ours = post_contact(api_client, api_payload(), **{"Idempotency-Key": "shared"})
    theirs = post_contact(health, api_payload(), **{"Idempotency-Key": "shared"})

    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize("key", ["a\x00b", "x" * 201])
def test_it_refuses_an_unusable_idempotency_key(api_client: Client, key: str) -> None:
    response = post_contact(api_client, api_payload(), **{"Idempotency-Key": key})

    assert response.status_code == 422, response.content
    assert [error["field"] for error in response.json()["errors"]] == ["Idempotency-Key"]
    assert not Contact.objects.exists()


def test_an_agency_system_cannot_say_a_contact_came_through_the_online_portal(
    api_client: Client,
) -> None:
    body = api_payload()
    body["channel"] = "portal"
    response = post_contact(api_client, body)
    assert response.status_code == 422
    assert not Contact.objects.exists()
