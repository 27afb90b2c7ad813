"""The statutory fields corrected at screening (issue 13, item 8): the person correction
page edits them, each change is kept in the person's history, and bad values get
field-level errors."""

from typing import Any

import pytest
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact, ContactPerson, PersonCorrection
from openmash.core.audit import Actor
from openmash.enquiries.presenters.corrections import CorrectionRow
from openmash.enquiries.services.corrections import person_correct
from openmash.enquiries.services.guards import EnquiryInvalid
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

REASON = "The school confirmed the child's details from its admission form."


def the_child(contact: Contact) -> ContactPerson:
    return contact.people.order_by("position").first()  # type: ignore[return-value]


def correct(user: User, person: ContactPerson, **changes: Any) -> Any:
    return person_correct(
        actor=Actor(user=user), person_id=person.pk, changes=changes, reason=REASON
    )


def test_it_corrects_the_statutory_fields_and_keeps_the_previous_values(
    new_contact: Contact, screener: User
) -> None:
    child = the_child(new_contact)
    correct(screener, child, ethnicity="WBRI", school_urn="100000")

    correct(
        screener,
        child,
        ethnicity="MWBC",
        first_language="English",
        disability="yes",
        school_urn="100 001",
        gp_practice="a12345",
    )

    child.refresh_from_db()
    assert (
        child.ethnicity,
        child.first_language,
        child.disability,
        child.school_urn,
        child.gp_practice,
    ) == ("MWBC", "English", "yes", "100001", "A12345")
    first, second = PersonCorrection.objects.filter(person=child).order_by("corrected_at", "id")
    assert first.changes == {
        "ethnicity": {"from": "", "to": "WBRI"},
        "school_urn": {"from": "", "to": "100000"},
    }
    assert second.changes == {
        "ethnicity": {"from": "WBRI", "to": "MWBC"},
        "first_language": {"from": "", "to": "English"},
        "disability": {"from": "", "to": "yes"},
        "school_urn": {"from": "100000", "to": "100001"},
        "gp_practice": {"from": "", "to": "A12345"},
    }
    shown = [
        (change.label, change.before, change.after) for change in CorrectionRow(second).changes
    ]
    assert ("Ethnicity", "White British (WBRI)", "White and Black Caribbean (MWBC)") in shown
    assert ("Disability", "Not given", "Yes") in shown
    assert ("GP practice code", "Not given", "A12345") in shown


def test_it_refuses_bad_statutory_values_field_by_field(
    new_contact: Contact, screener: User
) -> None:
    child = the_child(new_contact)

    with pytest.raises(EnquiryInvalid) as refused:
        correct(screener, child, ethnicity="WHITE", school_urn="1234", gp_practice="12345")

    assert set(refused.value.errors) == {"ethnicity", "school_urn", "gp_practice"}
    assert not PersonCorrection.objects.filter(person=child).exists()


def correct_url(person: ContactPerson) -> str:
    return reverse(
        "enquiries:person-correct",
        kwargs={"reference": person.contact.reference, "person_id": person.pk},
    )


def form_data(person: ContactPerson, **changes: str) -> dict[str, str]:
    born = person.date_of_birth
    assert born is not None
    data = {
        "given_names": person.given_names,
        "family_name": person.family_name,
        "date_of_birth_day": str(born.day),
        "date_of_birth_month": str(born.month),
        "date_of_birth_year": str(born.year),
        "sex": person.sex,
        "address_line1": person.address_line1,
        "town": person.town,
        "postcode": person.postcode,
        "nhs_number": person.nhs_number,
        "reason": REASON,
    }
    data.update(changes)
    return data


def test_the_correction_page_edits_them(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)
    client = signed_in(screener)

    page = client.get(correct_url(child)).content.decode()
    assert 'name="ethnicity"' in page and 'name="gp_practice"' in page

    response = client.post(
        correct_url(child),
        form_data(child, ethnicity="AIND", disability="no", gp_practice="Y02345"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    child.refresh_from_db()
    assert (child.ethnicity, child.disability, child.gp_practice) == ("AIND", "no", "Y02345")
    assert PersonCorrection.objects.get(person=child).changes["ethnicity"] == {
        "from": "",
        "to": "AIND",
    }


def test_the_correction_page_shows_a_field_error(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)

    response = signed_in(screener).post(correct_url(child), form_data(child, school_urn="12AB56"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "School or setting URN must be 6 digits" in html
    assert "govuk-error-message" in html
    assert not PersonCorrection.objects.filter(person=child).exists()


def test_the_screening_page_shows_them(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)
    correct(screener, child, ethnicity="WIRT", first_language="Shelta", gp_practice="A12345")

    html = (
        signed_in(screener)
        .get(reverse("enquiries:screening", kwargs={"reference": new_contact.reference}))
        .content.decode()
    )

    assert "Traveller of Irish heritage (WIRT)" in html
    assert "Shelta" in html
    assert "A12345" in html
