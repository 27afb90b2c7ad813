"""The statutory fields of a person (issue 13, item 8): ethnicity (the DfE census codes),
first language, disability, school or setting URN and GP practice ODS code. Optional at
contact, checked by the same rules on the web form and the API, and stored as given."""

import copy
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import ApiToken, User
from openmash.contacts.codes import Disability, Ethnicity
from openmash.contacts.forms import PersonForm
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.contacts.submission import submission_errors
from openmash.core.audit import Actor
from openmash.people.identifiers import (
    gp_practice_is_valid,
    nhs_number_is_valid,
    school_urn_is_valid,
)
from tests.conftest import signed_in
from tests.factories import a_child, a_parent, a_submission, api_payload
from tests.test_contact_form import URL, form_data, person_fields

CONTACTS = "/api/v1/contacts"


def errors_for(**child: Any) -> dict[str, str]:
    submission = a_submission(people=[a_child(**child), a_parent()])
    return {
        error.field: error.message for error in submission_errors(submission, now=timezone.now())
    }


def test_the_ethnicity_codes_are_the_census_codes() -> None:
    assert Ethnicity.values == [
        "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
        "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
    ]  # fmt: skip
    assert Disability.values == ["yes", "no", "unknown"]


@pytest.mark.parametrize(
    ("value", "valid"),
    [("100000", True), ("999999", True), (" 123 456 ", True), ("012345", False),
     ("12345", False), ("1234567", False), ("12345A", False), ("", False)],
)  # fmt: skip
def test_a_school_urn_is_six_digits(value: str, valid: bool) -> None:
    assert school_urn_is_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("A12345", True), ("y 02 345", True), ("b81001", True), ("AB1234", False),
     ("A1234", False), ("A123456", False), ("123456", False), ("", False)],
)  # fmt: skip
def test_a_gp_practice_code_is_a_letter_and_five_digits(value: str, valid: bool) -> None:
    assert gp_practice_is_valid(value) is valid


def test_none_of_the_statutory_fields_is_needed() -> None:
    assert errors_for() == {}


def test_each_invalid_statutory_field_gets_its_own_error() -> None:
    errors = errors_for(
        ethnicity="WHITE",
        disability="maybe",
        school_urn="12345",
        gp_practice="12345A",
        first_language="x" * 101,
    )

    assert set(errors) == {
        "people[0].ethnicity",
        "people[0].disability",
        "people[0].school_urn",
        "people[0].gp_practice",
        "people[0].first_language",
    }
    assert "6 digits" in errors["people[0].school_urn"]
    assert "A12345" in errors["people[0].gp_practice"]
    assert errors["people[0].first_language"] == "Shorten this to 100 characters or fewer"


@pytest.mark.django_db
def test_intake_stores_them_as_given_in_a_standard_form(school_referrer: User) -> None:
    child = a_child(
        ethnicity="BAFR",
        first_language=" Somali ",
        disability="no",
        school_urn="100 000",
        gp_practice="a 12345",
    )
    contact, _ = contact_create(
        actor=Actor(user=school_referrer), submission=a_submission(people=[child, a_parent()])
    )

    person = contact.people.order_by("position").first()
    assert person is not None
    assert (
        person.ethnicity,
        person.first_language,
        person.disability,
        person.school_urn,
        person.gp_practice,
    ) == ("BAFR", "Somali", "no", "100000", "A12345")
    parent = contact.people.order_by("position").last()
    assert parent is not None
    assert (parent.ethnicity, parent.disability, parent.school_urn, parent.gp_practice) == (
        "",
        "",
        "",
        "",
    )


def test_the_web_form_passes_them_on_and_offers_every_code() -> None:
    form = PersonForm(
        data={
            "role": "subject_child",
            "given_names": "Amy",
            "sex": "F",
            "ethnicity": "MWBC",
            "first_language": "English",
            "disability": "yes",
            "school_urn": "100000",
            "gp_practice": "A12345",
        }
    )
    assert form.is_valid(), form.errors

    details = form.details()

    assert (details.ethnicity, details.first_language, details.disability) == (
        "MWBC",
        "English",
        "yes",
    )
    assert (details.school_urn, details.gp_practice) == ("100000", "A12345")
    offered = [value for value, _ in form.fields["ethnicity"].choices]  # type: ignore[attr-defined]
    assert offered == ["", *Ethnicity.values]


# --- The API ---------------------------------------------------------------------------


@pytest.fixture
def api_client(police_token: tuple[ApiToken, str]) -> Client:
    _, secret = police_token
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_contact(client: Client, body: Any) -> Any:
    return client.post(CONTACTS, body, content_type="application/json")


def with_child(**fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(api_payload())
    body["people"][0].update(fields)
    return body


@pytest.mark.django_db
def test_the_api_takes_them_and_gives_them_back(api_client: Client) -> None:
    body = with_child(
        ethnicity="WIRT",
        first_language="Shelta",
        disability="unknown",
        school_urn="123456",
        gp_practice="B81001",
    )

    created = post_contact(api_client, body)
    assert created.status_code == 201, created.content
    response = api_client.get(f"{CONTACTS}/{created.json()['id']}")

    assert response.status_code == 200
    child, parent = response.json()["people"]
    assert {name: child[name] for name in body["people"][0] if name in STATUTORY} == {
        "ethnicity": "WIRT",
        "first_language": "Shelta",
        "disability": "unknown",
        "school_urn": "123456",
        "gp_practice": "B81001",
    }
    # Not given: empty, as the web form stores them.
    assert {name: parent[name] for name in STATUTORY} == dict.fromkeys(STATUTORY, "")


STATUTORY = ("ethnicity", "first_language", "disability", "school_urn", "gp_practice")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"ethnicity": "WHITE"}, "people[0].ethnicity"),
        ({"disability": "maybe"}, "people[0].disability"),
        ({"school_urn": "12345"}, "people[0].school_urn"),
        ({"gp_practice": "ABCDEF"}, "people[0].gp_practice"),
        ({"first_language": "x" * 101}, "people[0].first_language"),
    ],
)
def test_the_api_names_the_invalid_statutory_field(
    api_client: Client, fields: dict[str, Any], path: str
) -> None:
    before = Contact.objects.count()

    response = post_contact(api_client, with_child(**fields))

    assert response.status_code == 422, response.content
    named = [error["field"] for error in response.json()["errors"]]
    assert path in named, named
    assert Contact.objects.count() == before


@pytest.mark.django_db
def test_the_openapi_schema_lists_the_codes() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]

    person_in = components["PersonIn"]["properties"]
    assert set(STATUTORY) <= set(person_in)

    def enum_of(prop: dict[str, Any]) -> list[str]:
        for option in prop.get("anyOf", [prop]):
            if "enum" in option:
                return list(option["enum"])
        raise AssertionError(prop)

    assert enum_of(person_in["ethnicity"]) == Ethnicity.values
    assert enum_of(person_in["disability"]) == Disability.values
    assert "6 digits" in person_in["school_urn"]["description"]
    assert set(STATUTORY) <= set(components["PersonOut"]["properties"])


# --- The web form ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_contact_form_puts_each_error_by_its_field(school_referrer: User) -> None:
    child = person_fields(0, school_urn="12345", gp_practice="12345A", ethnicity="WBRI")

    response = signed_in(school_referrer).post(URL, form_data(people=[child]))

    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_people-0-school_urn"' in page
    assert 'href="#id_people-0-gp_practice"' in page
    assert "School or setting URN must be 6 digits" in page
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_the_contact_form_records_them(school_referrer: User) -> None:
    child = person_fields(
        0, ethnicity="APKN", first_language="Urdu", disability="unknown", school_urn="100000"
    )

    response = signed_in(school_referrer).post(URL, form_data(people=[child]))

    assert response.status_code == 302
    person = Contact.objects.get().people.get()
    assert (person.ethnicity, person.first_language, person.disability, person.school_urn) == (
        "APKN",
        "Urdu",
        "unknown",
        "100000",
    )


def test_the_nhs_number_examples_given_to_referrers_are_valid_numbers() -> None:
    """A referrer who types the hint's example is not told it is not valid."""
    hint = str(PersonForm.base_fields["nhs_number"].help_text)
    error = errors_for(nhs_number="12345")["people[0].nhs_number"]
    examples = [
        re.sub(r"\D", "", found) for found in re.findall(r"\d{3} \d{3} \d{4}", hint + error)
    ]
    assert len(examples) == 2
    assert all(nhs_number_is_valid(example) for example in examples)
