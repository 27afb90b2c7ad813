"""The contact web form: referrers and screeners, errors that keep what was typed, and drafts."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.codes import Channel
from openmash.contacts.models import Contact, ContactDraft
from openmash.core.models import AuditEvent
from tests.conftest import signed_in

URL = "/contacts/new/"


def person_fields(index: int, **overrides: str) -> dict[str, str]:
    born = date.today() - timedelta(days=9 * 365)
    values = {
        "role": "subject_child",
        "given_names": "Amy",
        "family_name": "Smith",
        "date_of_birth_day": str(born.day),
        "date_of_birth_month": str(born.month),
        "date_of_birth_year": str(born.year),
        "sex": "F",
        "address_line1": "1 High Street",
        "town": "Eastbridge",
        "postcode": "dc1 4ab",
        "nhs_number": "943 476 5919",
    }
    values.update(overrides)
    return {f"people-{index}-{key}": value for key, value in values.items()}


def form_data(people: list[dict[str, str]] | None = None, **overrides: Any) -> dict[str, Any]:
    people = people if people is not None else [person_fields(0)]
    data: dict[str, Any] = {
        "people-TOTAL_FORMS": str(len(people)),
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "1",
        "people-MAX_NUM_FORMS": "20",
        "referrer_role": "Designated safeguarding lead",
        "referrer_email": "jo@riverside.sch.uk",
        "referral_source": "2A",
        "factor_codes": ["16A", "4B"],
        "concern_description": "Amy is hungry every morning.",
        "immediate_risk": "no",
        "referrer_level_of_need": "2",
        "consent_status": "given",
        "lawful_basis": "public_task_safeguarding",
        "action": "submit",
    }
    for person in people:
        data.update(person)
    data.update(overrides)
    return data


def test_it_lets_a_referrer_make_a_contact(school_referrer: User) -> None:
    response = signed_in(school_referrer).post(URL, form_data())

    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:received", args=[contact.reference])
    assert contact.channel == Channel.PORTAL
    assert contact.submitted_by_agency == school_referrer.agency
    assert contact.referrer_organisation == "Riverside Primary School"
    assert contact.people.get().postcode == "DC1 4AB"


def test_it_shows_the_error_summary_and_keeps_what_was_typed(school_referrer: User) -> None:
    client = signed_in(school_referrer)
    response = client.post(URL, form_data(people=[person_fields(0, nhs_number="123 456 7890")]))

    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert 'href="#id_people-0-nhs_number"' in page
    assert "NHS number is not valid" in page
    assert 'value="123 456 7890"' in page
    assert 'value="Amy"' in page
    assert "Amy is hungry every morning." in page
    assert not Contact.objects.exists()
    # A time-out after a failed submit loses nothing.
    assert ContactDraft.objects.get(owner=school_referrer).data["people-0-nhs_number"] == [
        "123 456 7890"
    ]


def test_it_says_when_a_contact_names_more_people_than_the_form_takes(
    school_referrer: User,
) -> None:
    people = [person_fields(index, given_names=f"Child{index}") for index in range(21)]

    response = signed_in(school_referrer).post(URL, form_data(people=people))

    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    # In the summary, linking to the people section, and beside it.
    assert page.count("A contact can name at most 20 people") == 2
    assert 'href="#people"' in page
    assert 'value="Child20"' in page
    assert not Contact.objects.exists()


def test_it_says_which_part_of_a_date_is_missing(school_referrer: User) -> None:
    response = signed_in(school_referrer).post(
        URL, form_data(people=[person_fields(0, date_of_birth_month="", date_of_birth_year="2019")])
    )
    assert "Date of birth must include a month" in response.content.decode()


def test_it_adds_another_person_without_losing_anything(school_referrer: User) -> None:
    response = signed_in(school_referrer).post(URL, form_data(action="add-person"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="people-1-given_names"' in page
    assert 'value="Amy"' in page
    assert "There is a problem" not in page


def test_it_removes_a_person_and_renumbers_the_rest(school_referrer: User) -> None:
    people = [
        person_fields(0, given_names="Amy"),
        person_fields(1, given_names="Ben"),
        person_fields(2, given_names="Cat"),
    ]
    response = signed_in(school_referrer).post(
        URL, form_data(people=people, action="remove-person-1")
    )

    page = response.content.decode()
    assert 'name="people-2-given_names"' not in page
    assert 'value="Cat"' in page
    assert 'value="Ben"' not in page


def test_it_restores_a_saved_draft_in_a_new_session(school_referrer: User) -> None:
    signed_in(school_referrer).post(
        URL, form_data(concern_description="Half written", action="save-draft")
    )

    page = signed_in(school_referrer).get(URL).content.decode()
    assert "We kept what you typed" in page
    assert "Half written" in page
    assert "There is a problem" not in page


def test_it_autosaves_a_draft_as_the_user_types(school_referrer: User) -> None:
    response = signed_in(school_referrer).post(
        "/contacts/new/draft/", {"concern_description": "Typing..."}
    )
    assert response.status_code == 204
    assert ContactDraft.objects.get(owner=school_referrer).data["concern_description"] == [
        "Typing..."
    ]


def test_it_asks_before_discarding_a_draft_and_keeps_what_was_typed_until_then(
    school_referrer: User,
) -> None:
    client = signed_in(school_referrer)
    client.post("/contacts/new/draft/", {"concern_description": "Typing..."})

    response = client.post(URL, {"action": "discard-draft", "concern_description": "More"})

    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:draft-discard")
    assert ContactDraft.objects.get().data["concern_description"] == ["More"]
    page = client.get(response["Location"]).content.decode()
    assert "Are you sure you want to discard your draft?" in page
    assert "You cannot undo this." in page
    assert 'class="govuk-button govuk-button--warning"' in page
    assert f'href="{URL}"' in page  # going back, without script


def test_it_discards_a_draft_once_confirmed(school_referrer: User) -> None:
    client = signed_in(school_referrer)
    client.post("/contacts/new/draft/", {"concern_description": "Typing..."})
    client.post(URL, {"action": "discard-draft"})

    response = client.post(reverse("contacts:draft-discard"), follow=True)

    assert not ContactDraft.objects.exists()
    assert "Your draft has been discarded." in response.content.decode()
    assert AuditEvent.objects.filter(action="delete", object_type="contact_draft").exists()


def test_going_back_from_the_discard_question_keeps_the_draft(school_referrer: User) -> None:
    client = signed_in(school_referrer)
    client.post(URL, {"action": "discard-draft", "concern_description": "Keep me"})

    page = client.get(URL).content.decode()

    assert "Keep me" in page
    assert ContactDraft.objects.exists()


def test_the_discard_question_without_a_draft_goes_back_to_the_form(
    school_referrer: User,
) -> None:
    response = signed_in(school_referrer).get(reverse("contacts:draft-discard"))

    assert response.status_code == 302
    assert response["Location"] == URL


def test_it_lets_a_screener_record_an_earlier_phone_contact(screener: User) -> None:
    earlier = date.today() - timedelta(days=1)
    data = form_data(
        channel="phone",
        received_date_day=str(earlier.day),
        received_date_month=str(earlier.month),
        received_date_year=str(earlier.year),
        received_time="16:45",
        referrer_name="Mrs Neighbour",
        referrer_role="Neighbour",
        referrer_phone="01632 960123",
        referral_source="1B",
    )
    client = signed_in(screener)

    without_reason = client.post(URL, data)
    assert "Say why the contact is recorded later" in without_reason.content.decode()

    client.post(URL, {**data, "received_at_reason": "Call taken by the out-of-hours team"})
    contact = Contact.objects.get()
    assert contact.channel == Channel.PHONE
    assert contact.referral_source == "1B"
    assert contact.received_at.date() == earlier


def test_a_referrer_cannot_choose_the_channel_or_time(school_referrer: User) -> None:
    earlier = date.today() - timedelta(days=3)
    signed_in(school_referrer).post(
        URL,
        form_data(
            channel="police_notification",
            received_date_day=str(earlier.day),
            received_date_month=str(earlier.month),
            received_date_year=str(earlier.year),
            received_time="09:00",
        ),
    )
    contact = Contact.objects.get()
    assert contact.channel == Channel.PORTAL
    assert contact.received_at.date() == date.today()


def test_the_form_never_500s_on_nonsense(school_referrer: User) -> None:
    response = signed_in(school_referrer).post(
        URL, {"people-TOTAL_FORMS": "abc", "people-INITIAL_FORMS": "x", "estimated_age": "\x00"}
    )
    assert response.status_code == 400


def _phone_contact_received(day: date, time_typed: str) -> dict[str, Any]:
    return form_data(
        channel="phone",
        received_date_day=str(day.day),
        received_date_month=str(day.month),
        received_date_year=str(day.year),
        received_time=time_typed,
        received_at_reason="Call taken by the out-of-hours team",
        referrer_name="Mrs Neighbour",
        referrer_role="Neighbour",
        referrer_phone="01632 960123",
        referral_source="1B",
    )


@pytest.mark.parametrize("time_typed", ["", "25:99", "9.5.1", "-1:30", "12:60", "noon", "9:5"])
def test_a_date_received_without_a_good_time_is_an_error_not_a_contact_received_now(
    screener: User, time_typed: str
) -> None:
    earlier = date.today() - timedelta(days=1)
    response = signed_in(screener).post(URL, _phone_contact_received(earlier, time_typed))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the time received" in page
    assert not Contact.objects.exists()
    # What was typed is kept.
    assert 'value="Mrs Neighbour"' in page


def test_a_time_received_without_a_date_is_an_error(screener: User) -> None:
    data = _phone_contact_received(date.today(), "09:30")
    for part in ("day", "month", "year"):
        data[f"received_date_{part}"] = ""
    response = signed_in(screener).post(URL, data)

    assert response.status_code == 400
    assert "Enter the date received as well as the time" in response.content.decode()
    assert not Contact.objects.exists()


@pytest.mark.parametrize("time_typed", ["09:30", "9.30", "21:05"])
def test_a_time_received_on_the_24_hour_clock_is_recorded(screener: User, time_typed: str) -> None:
    earlier = date.today() - timedelta(days=1)
    signed_in(screener).post(URL, _phone_contact_received(earlier, time_typed))

    contact = Contact.objects.get()
    received = timezone.localtime(contact.received_at)
    hours, minutes = (int(part) for part in time_typed.replace(".", ":").split(":"))
    assert (received.date(), received.hour, received.minute) == (earlier, hours, minutes)


def test_the_services_rules_are_shown_with_the_forms_own_errors_in_one_round(
    school_referrer: User,
) -> None:
    data = form_data(
        people=[
            person_fields(0, estimated_age="200"),
            person_fields(1, role="parent", given_names="Sue", nhs_number="123 456 7890"),
        ],
        consent_status="not_sought",
        consent_reason="",
    )
    response = signed_in(school_referrer).post(URL, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Estimated age must be between 0 and 120" in page  # the form's own rule
    assert "Say why consent was not sought or was overridden" in page  # the service's
    assert "NHS number" in page  # the service's, on the second person (no form error)
    assert not Contact.objects.exists()


def test_a_persons_other_mistakes_are_shown_beside_a_date_of_birth_that_is_not_real(
    school_referrer: User,
) -> None:
    """One round of corrections: the service's rules for the same person's postcode and
    NHS number are shown with the form's own error on their date of birth, not after it
    is put right; the service's wish for a date of birth or an age is not (the one typed
    could not be read)."""
    data = form_data(
        people=[
            person_fields(
                0,
                date_of_birth_day="31",
                date_of_birth_month="2",
                date_of_birth_year="2019",
                postcode="NOTAPOSTCODE",
                nhs_number="123 456 7890",
            )
        ]
    )
    response = signed_in(school_referrer).post(URL, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Date of birth must be a real date" in page
    assert "Enter a real postcode, like SW1A 1AA" in page
    assert "NHS number is not valid" in page
    assert "Enter the child&#x27;s date of birth" not in page
    assert "Enter the child's date of birth" not in page
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "tampered",
    [
        {"action": "add-person", "people-TOTAL_FORMS": "abc"},
        {"action": "remove-person-x"},
        {"action": "remove-person-1", "people-TOTAL_FORMS": "99999999999"},
    ],
)
def test_changed_hidden_fields_are_a_bad_request_not_a_server_error(
    school_referrer: User, tampered: dict[str, str]
) -> None:
    response = signed_in(school_referrer).post(URL, {**form_data(), **tampered})
    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_a_long_account_is_kept_whole_in_the_draft(school_referrer: User) -> None:
    """A police officer pastes a long account: the draft keeps every character the form
    would take (found by the QA pass: it was cut at 20,000 without a word)."""
    account = "The officers attended at 02:10. " * 1500  # 48,000 characters
    response = signed_in(school_referrer).post(
        "/contacts/new/draft/", {"concern_description": account}
    )

    assert response.status_code == 204
    kept = ContactDraft.objects.get(owner=school_referrer).data["concern_description"]
    assert kept == [account]
    page = signed_in(school_referrer).get(URL).content.decode()
    assert account.strip() in page


def test_the_error_summary_follows_the_order_of_the_page(screener: User) -> None:
    """How and when the contact came and who made it, then the people, then the concerns
    and consent, as the page shows them (found by the QA pass: every contact field came
    before the people)."""
    response = signed_in(screener).post(
        URL,
        form_data(
            people=[person_fields(0, nhs_number="123 456 7890")],
            channel="phone",
            referrer_name="",
            concern_description="",
            consent_status="",
        ),
    )

    assert response.status_code == 400
    links = [error.href for error in response.context["error_summary"]]
    referrer = links.index("#id_referrer_name")
    person = links.index("#id_people-0-nhs_number")
    concern = links.index("#id_concern_description")
    assert referrer < person < concern
