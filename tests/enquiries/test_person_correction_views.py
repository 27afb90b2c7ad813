"""The page to correct a person's details, the "Corrected details" on the screening page,
and corrections on the child's chronology (issue 11, item 2)."""

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact, ContactPerson, PersonCorrection
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.services.corrections import person_correct
from openmash.enquiries.services.screening import contact_take
from tests.conftest import signed_in
from tests.factories import VALID_NHS_NUMBER

pytestmark = pytest.mark.django_db

OTHER_NHS = "4010232137"
REASON = "The health visitor confirmed the NHS number."


def the_child(contact: Contact) -> ContactPerson:
    return contact.people.order_by("position").first()  # type: ignore[return-value]


def correct_url(person: ContactPerson) -> str:
    return reverse(
        "enquiries:person-correct",
        kwargs={"reference": person.contact.reference, "person_id": person.pk},
    )


def screening_url(contact: Contact) -> str:
    return reverse("enquiries:screening", kwargs={"reference": contact.reference})


def form_data(person: ContactPerson, **changes: Any) -> dict[str, str]:
    """The form as it comes prefilled, with `changes` typed over it."""
    born = person.date_of_birth
    data = {
        "given_names": person.given_names,
        "family_name": person.family_name,
        "other_names": person.other_names,
        "date_of_birth_day": str(born.day) if born else "",
        "date_of_birth_month": str(born.month) if born else "",
        "date_of_birth_year": str(born.year) if born else "",
        "estimated_age": "",
        "expected_birth_date_day": "",
        "expected_birth_date_month": "",
        "expected_birth_date_year": "",
        "sex": person.sex,
        "address_line1": person.address_line1,
        "address_line2": person.address_line2,
        "town": person.town,
        "postcode": person.postcode,
        "nhs_number": person.nhs_number,
        "upn": person.upn,
        "reason": REASON,
    }
    data.update(changes)
    return data


# --- The form -----------------------------------------------------------------------------


def test_it_shows_the_form_with_what_is_recorded_now(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)

    response = signed_in(screener).get(correct_url(child))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Correct Amy Smith's details" in html
    assert f'value="{VALID_NHS_NUMBER}"' in html
    assert f'value="{child.date_of_birth.year}"' in html  # type: ignore[union-attr]
    assert 'value="DC1 4AB"' in html
    assert 'name="role"' not in html  # the role is not a detail to correct here
    event = AuditEvent.objects.filter(object_type="contact_person", action="read").get()
    assert event.object_id == str(child.pk)


def test_it_corrects_and_goes_back_to_the_screening_page_with_a_banner_and_the_history(
    new_contact: Contact, screener: User
) -> None:
    child = the_child(new_contact)
    client = signed_in(screener)

    response = client.post(correct_url(child), form_data(child, nhs_number="401 023 2137"))

    assert response.status_code == 302
    assert response["Location"] == f"{screening_url(new_contact)}#person-{child.pk}"
    page = client.get(screening_url(new_contact)).content.decode()
    assert "Details corrected: NHS number. The previous details are kept." in page
    assert "Corrected details" in page
    assert "NHS number: 943 476 5919 to 401 023 2137" in page
    assert REASON in page
    assert "Screener Tester" in page
    child.refresh_from_db()
    assert child.nhs_number == OTHER_NHS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nhs_number": "943 476 5918"}, "NHS number is not valid"),
        ({"upn": "X12"}, "Unique pupil number must be 13 characters"),
        ({"postcode": "NOWHERE"}, "Enter a real postcode, like SW1A 1AA"),
        (
            {"date_of_birth_day": "31", "date_of_birth_month": "2"},
            "Date of birth must be a real date",
        ),
        ({"date_of_birth_year": str(date.today().year - 30)}, "A child must be under 18"),
        ({"reason": "  "}, "Enter why the details are being corrected"),
        ({"estimated_age": "many"}, "Enter the estimated age as a whole number of years"),
    ],
)
def test_it_shows_each_error_by_its_field_and_keeps_what_was_typed(
    new_contact: Contact, screener: User, changes: dict[str, str], message: str
) -> None:
    child = the_child(new_contact)
    typed = form_data(child, family_name="Smyth", **changes)

    response = signed_in(screener).post(correct_url(child), typed)

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert "govuk-error-message" in html
    assert 'value="Smyth"' in html  # kept as typed
    assert not PersonCorrection.objects.exists()
    child.refresh_from_db()
    assert child.family_name == "Smith"


def test_it_says_so_when_nothing_was_changed(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)
    response = signed_in(screener).post(correct_url(child), form_data(child))
    assert response.status_code == 400
    assert "Change at least one detail" in response.content.decode()


@pytest.mark.parametrize("persona", ["police_researcher", "school_referrer", "analyst"])
def test_it_refuses_anyone_outside_the_mash(
    new_contact: Contact, personas: dict[str, User], persona: str
) -> None:
    child = the_child(new_contact)
    client = signed_in(personas[persona])
    assert client.get(correct_url(child)).status_code == 403
    assert (
        client.post(correct_url(child), form_data(child, nhs_number=OTHER_NHS)).status_code == 403
    )
    assert not PersonCorrection.objects.exists()


def test_another_screener_may_not_correct_a_contact_being_screened(
    new_contact: Contact, screener: User, second_screener: User
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=new_contact.pk)
    child = the_child(new_contact)
    client = signed_in(second_screener)

    assert client.get(correct_url(child)).status_code == 403
    response = client.post(correct_url(child), form_data(child, nhs_number=OTHER_NHS))
    assert response.status_code == 403
    assert "being screened by someone else" in response.content.decode()
    assert "Correct Amy Smith" not in client.get(screening_url(new_contact)).content.decode()
    assert (
        "Correct Amy Smith" in signed_in(screener).get(screening_url(new_contact)).content.decode()
    )


def test_a_person_not_named_in_that_contact_is_not_found(
    new_contact: Contact, rated_contact: Contact, school_contact: Contact, screener: User
) -> None:
    other = the_child(school_contact)
    url = reverse(
        "enquiries:person-correct",
        kwargs={"reference": new_contact.reference, "person_id": other.pk},
    )
    assert signed_in(screener).get(url).status_code == 404
    too_big = url.replace(str(other.pk), str(2**64))
    assert signed_in(screener).get(too_big).status_code == 404


def test_no_personal_data_in_the_url(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)
    response = signed_in(screener).post(correct_url(child), form_data(child, nhs_number=OTHER_NHS))
    assert OTHER_NHS not in response["Location"]
    assert "Amy" not in correct_url(child)


# --- The chronology ---------------------------------------------------------------------


def chronology_url(person: ContactPerson) -> str:
    return reverse("enquiries:child-chronology", kwargs={"person_id": person.pk})


def test_the_chronology_shows_the_child_as_corrected_with_an_entry(
    contact_with_checks: Contact, screener: User, researchers: dict[str, User]
) -> None:
    child = the_child(contact_with_checks)
    person_correct(
        actor=Actor(user=screener),
        person_id=child.pk,
        changes={"nhs_number": OTHER_NHS},
        reason=REASON,
    )

    html = signed_in(screener).get(chronology_url(child)).content.decode()
    assert "Details corrected" in html
    assert "NHS number corrected by Screener Tester" in html
    assert "943 476 5919 to 401 023 2137" in html
    assert REASON in html

    # A researcher sees that it was corrected, not the earlier number nor why
    police = signed_in(researchers["police"]).get(chronology_url(child)).content.decode()
    assert "Details corrected" in police
    assert "943 476 5919" not in police
    assert REASON not in police


# --- Queries ------------------------------------------------------------------------------


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_screening_page_costs_the_same_queries_for_1_or_6_corrections(
    new_contact: Contact, screener: User
) -> None:
    child, parent = new_contact.people.order_by("position")
    actor = Actor(user=screener)
    person_correct(actor=actor, person_id=child.pk, changes={"family_name": "Smyth"}, reason="A.")
    client = signed_in(screener)
    url = screening_url(new_contact)
    client.get(url)
    one = _queries(client, url)

    for name in ("Smith", "Smyth", "Smith"):
        person_correct(actor=actor, person_id=child.pk, changes={"family_name": name}, reason="B.")
    for name in ("Karin", "Karen"):
        person_correct(actor=actor, person_id=parent.pk, changes={"given_names": name}, reason="C.")

    assert _queries(client, url) == one
    assert client.get(url).content.decode().count("<li>Last name: ") == 4


def test_the_chronology_costs_the_same_queries_for_1_or_5_corrections(
    contact_with_checks: Contact, screener: User
) -> None:
    child = the_child(contact_with_checks)
    actor = Actor(user=screener)
    person_correct(actor=actor, person_id=child.pk, changes={"family_name": "Smyth"}, reason="A.")
    client = signed_in(screener)
    url = chronology_url(child)
    client.get(url)
    one = _queries(client, url)

    for name in ("Smith", "Smyth", "Smith", "Smyth"):
        person_correct(actor=actor, person_id=child.pk, changes={"family_name": name}, reason="B.")

    assert _queries(client, url) == one
    assert client.get(url).content.decode().count("Details corrected") == 5


def test_the_correction_page_costs_the_same_queries_however_long_the_history(
    new_contact: Contact, screener: User
) -> None:
    child = the_child(new_contact)
    actor = Actor(user=screener)
    person_correct(actor=actor, person_id=child.pk, changes={"family_name": "Smyth"}, reason="A.")
    client = signed_in(screener)
    client.get(correct_url(child))
    one = _queries(client, correct_url(child))
    for name in ("Smith", "Smyth", "Smith"):
        person_correct(actor=actor, person_id=child.pk, changes={"family_name": name}, reason="B.")
    assert _queries(client, correct_url(child)) == one


def test_the_decision_page_links_each_person_to_their_correction(
    contact_with_checks: Contact, manager: User, researchers: dict[str, User]
) -> None:
    child = the_child(contact_with_checks)
    url = reverse("enquiries:decision", kwargs={"reference": contact_with_checks.reference})

    html = signed_in(manager).get(url).content.decode()

    assert f'href="{correct_url(child)}"' in html
    assert "Amy Smith&#x27;s details" in html or "Amy Smith's details" in html
