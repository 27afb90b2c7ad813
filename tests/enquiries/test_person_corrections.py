"""Correcting a person's details (issue 11, item 2): the service person_correct.

Validated as at intake, one history row per correction, the person and their index record
updated, matching run again (suggestions awaiting a decision re-scored or withdrawn,
decided ones kept), audited without personal data, and only by the MASH."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact, ContactPerson, PersonCorrection
from openmash.contacts.services import contact_create
from openmash.contacts.submission import Address
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries import workflow
from openmash.enquiries.services.corrections import person_correct
from openmash.enquiries.services.decisions import decision_record
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.services.screening import contact_take, enquiry_open
from openmash.linkage.links import link_reject, links_suggest_for_contact
from openmash.linkage.models import IndexedPerson, LinkState, PersonLink
from tests.factories import VALID_NHS_NUMBER, a_child, a_decision, a_parent, a_submission

pytestmark = pytest.mark.django_db

# Another valid NHS number (modulus 11) and UPN.
OTHER_NHS = "4010232137"
OTHER_UPN = "H801200002002"
REASON = "The health visitor confirmed the date of birth and NHS number."


def the_child(contact: Contact) -> ContactPerson:
    return contact.people.order_by("position").first()  # type: ignore[return-value]


def correct(user: User, person: ContactPerson, reason: str = REASON, **changes: Any) -> Any:
    return person_correct(
        actor=Actor(user=user), person_id=person.pk, changes=changes, reason=reason
    )


def contact_about(referrer: User, days_ago: int = 0, **child: Any) -> Contact:
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=a_submission(people=[a_child(**child), a_parent()]),
        now=timezone.now() - timedelta(days=days_ago),
    )
    # Matching on intake runs once the contact's transaction commits (never, inside a test).
    links_suggest_for_contact(contact_id=contact.pk)
    return contact


# --- What a correction does -------------------------------------------------------------


def test_it_corrects_the_date_of_birth_and_nhs_number_and_keeps_the_previous_values(
    new_contact: Contact, screener: User
) -> None:
    child = the_child(new_contact)
    born_before = child.date_of_birth
    born = date.today() - timedelta(days=6 * 365)

    done = correct(screener, child, date_of_birth=born, nhs_number="401 023 2137")

    child.refresh_from_db()
    assert child.date_of_birth == born
    assert child.nhs_number == OTHER_NHS  # stored as intake stores it: ten digits
    correction = PersonCorrection.objects.get(person=child)
    assert correction == done.correction
    assert correction.changes == {
        "date_of_birth": {"from": born_before.isoformat(), "to": born.isoformat()},
        "nhs_number": {"from": VALID_NHS_NUMBER, "to": OTHER_NHS},
    }
    assert correction.reason == REASON
    assert correction.corrected_by == screener


def test_it_keeps_every_correction_as_history(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)
    correct(screener, child, family_name="Smyth", reason="Spelt as on the school roll.")
    correct(screener, child, family_name="Smith", reason="The roll was wrong; birth certificate.")

    history = list(PersonCorrection.objects.filter(person=child).order_by("corrected_at", "id"))
    assert [each.changes["family_name"] for each in history] == [
        {"from": "Smith", "to": "Smyth"},
        {"from": "Smyth", "to": "Smith"},
    ]


def test_it_brings_the_index_record_up_to_date(new_contact: Contact, screener: User) -> None:
    child = the_child(new_contact)
    born = date(2019, 5, 4)

    correct(
        screener,
        child,
        given_names="Amelia",
        family_name="Jones",
        date_of_birth=born,
        nhs_number=OTHER_NHS,
        upn=OTHER_UPN.lower(),
        postcode="dc2 9zz",
    )

    entry = IndexedPerson.objects.get(contact_person=child)
    assert (entry.given_names, entry.family_name, entry.date_of_birth) == ("Amelia", "Jones", born)
    assert entry.given_std == "amelia"
    assert entry.family_std == "jones"
    assert entry.birth_year == 2019
    assert entry.nhs_valid == OTHER_NHS
    assert entry.upn_valid == OTHER_UPN
    assert (entry.postcode, entry.postcode_std) == ("DC2 9ZZ", "DC2 9ZZ")


def test_it_audits_which_fields_changed_but_never_their_values(
    new_contact: Contact, screener: User
) -> None:
    child = the_child(new_contact)
    done = correct(screener, child, nhs_number=OTHER_NHS)

    event = AuditEvent.objects.get(object_type="contact_person", action="update")
    assert event.actor_user == screener
    assert event.object_id == str(child.pk)
    assert event.contact_id == new_contact.pk
    assert event.detail == {"correction": done.correction.pk, "fields": ["nhs_number"]}
    assert OTHER_NHS not in str(event.detail)
    assert REASON not in str(event.detail)


# --- Validation: as at intake, nothing written on any error -------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"nhs_number": "12345"}, "nhs_number", "NHS number must be 10 digits"),
        ({"nhs_number": "9434765918"}, "nhs_number", "NHS number is not valid"),
        ({"upn": "X12"}, "upn", "Unique pupil number must be 13 characters"),
        ({"postcode": "NOT A POSTCODE"}, "postcode", "Enter a real postcode"),
        (
            {"date_of_birth": date.today() + timedelta(days=3)},
            "date_of_birth",
            "Date of birth must be on or before",
        ),
        (
            {"date_of_birth": date.today() - timedelta(days=20 * 365)},
            "date_of_birth",
            "A child must be under 18",
        ),
        (
            {"date_of_birth": None},
            "date_of_birth",
            "Enter the child's date of birth, an estimated age",
        ),
        ({"estimated_age": 7}, "estimated_age", "Give a date of birth or an estimated age"),
        ({"given_names": "", "family_name": " "}, "given_names", "Enter a first name"),
        ({"sex": "Z"}, "sex", "Select the person's sex"),
        ({"given_names": "A" * 201}, "given_names", "Shorten this to 200 characters"),
        ({"town": "East\x00bridge"}, "town", "Remove the NUL character"),
        ({}, "details", "Change at least one detail"),
        ({"nhs_number": VALID_NHS_NUMBER}, "details", "Change at least one detail"),
    ],
)
def test_it_refuses_what_intake_would_refuse_and_writes_nothing(
    new_contact: Contact, screener: User, changes: dict[str, Any], field: str, message: str
) -> None:
    child = the_child(new_contact)
    before = ContactPerson.objects.filter(pk=child.pk).values().get()

    with pytest.raises(EnquiryInvalid) as refused:
        correct(screener, child, **changes)

    assert message in refused.value.errors[field]
    assert ContactPerson.objects.filter(pk=child.pk).values().get() == before
    assert not PersonCorrection.objects.exists()
    assert not AuditEvent.objects.filter(object_type="contact_person").exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 5001])
def test_it_needs_a_reason(new_contact: Contact, screener: User, reason: str) -> None:
    with pytest.raises(EnquiryInvalid) as refused:
        correct(screener, the_child(new_contact), reason=reason, nhs_number=OTHER_NHS)
    assert "reason" in refused.value.errors
    assert not PersonCorrection.objects.exists()


def test_it_gives_every_field_error_at_once(new_contact: Contact, screener: User) -> None:
    with pytest.raises(EnquiryInvalid) as refused:
        correct(screener, the_child(new_contact), reason="", nhs_number="1", postcode="??")
    assert set(refused.value.errors) == {"reason", "nhs_number", "postcode"}


def test_it_applies_the_rules_as_on_the_day_the_contact_was_received(
    school_referrer: User, screener: User
) -> None:
    # A contact two years ago about a girl of 17, who is 19 now
    contact = contact_about(
        school_referrer, days_ago=730, date_of_birth=date.today() - timedelta(days=19 * 365 + 30)
    )
    child = the_child(contact)

    correct(screener, child, nhs_number=OTHER_NHS)

    assert the_child(contact).nhs_number == OTHER_NHS
    # ... but she was not born after the contact came in
    with pytest.raises(EnquiryInvalid) as refused:
        correct(screener, child, date_of_birth=date.today() - timedelta(days=100))
    assert "when the contact was received" in refused.value.errors["date_of_birth"]


def test_an_unborn_baby_s_record_stays_correctable_after_the_expected_date(
    school_referrer: User, screener: User
) -> None:
    contact = contact_about(
        school_referrer,
        days_ago=200,
        given_names="Baby",
        date_of_birth=None,
        sex="U",
        expected_birth_date=date.today() - timedelta(days=60),
    )

    correct(screener, the_child(contact), family_name="Okafor")

    assert the_child(contact).family_name == "Okafor"


def test_an_adult_may_have_no_date_of_birth(new_contact: Contact, screener: User) -> None:
    parent = new_contact.people.get(position=1)
    correct(screener, parent, date_of_birth=None, reason="Not the parent's real birthday.")
    parent.refresh_from_db()
    assert parent.date_of_birth is None


# --- Who may correct ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["police_researcher", "school_referrer", "analyst", "auditor"])
def test_it_refuses_anyone_outside_the_mash(
    new_contact: Contact, personas: dict[str, User], persona: str
) -> None:
    with pytest.raises(PermissionDenied):
        correct(personas[persona], the_child(new_contact), nhs_number=OTHER_NHS)
    assert not PersonCorrection.objects.exists()


def test_only_the_screener_who_took_it_or_a_manager_corrects_while_it_is_screened(
    new_contact: Contact, screener: User, second_screener: User, manager: User
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=new_contact.pk)
    child = the_child(new_contact)

    with pytest.raises(PermissionDenied):
        correct(second_screener, child, nhs_number=OTHER_NHS)
    correct(screener, child, family_name="Smyth")
    correct(manager, child, family_name="Smith")

    assert PersonCorrection.objects.filter(person=child).count() == 2


def test_a_decided_contact_can_still_be_corrected(
    rated_contact: Contact, screener: User, manager: User
) -> None:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    decision_record(
        actor=Actor(user=manager), contact_id=rated_contact.pk, data=a_decision("nfa", level=1)
    )
    rated_contact.refresh_from_db()
    assert rated_contact.state not in workflow.OPEN_STATES

    correct(screener, the_child(rated_contact), nhs_number=OTHER_NHS)

    assert the_child(rated_contact).nhs_number == OTHER_NHS


# --- Matching again -----------------------------------------------------------------------


def test_a_corrected_nhs_number_brings_the_child_s_earlier_record_in_as_a_match(
    school_referrer: User, screener: User
) -> None:
    # An earlier contact about Maya Okafor, and a new one about "Maya Okafor" with a
    # mistyped NHS number, another date of birth and no address: no suggestion yet
    maya_born = date.today() - timedelta(days=9 * 365)
    earlier = contact_about(
        school_referrer,
        days_ago=60,
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=maya_born,
        nhs_number=OTHER_NHS,
        address=Address(line1="4 Mill Lane", town="Eastbridge", postcode="DC3 1XY"),
    )
    new = contact_about(
        school_referrer,
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=maya_born - timedelta(days=400),
        nhs_number=VALID_NHS_NUMBER,
        address=Address(),
    )
    child = the_child(new)
    maya_before = PersonLink.objects.filter(contact_person=child, state=LinkState.CONFIRMED)
    assert not maya_before.exists()

    done = correct(screener, child, date_of_birth=maya_born, nhs_number=OTHER_NHS)

    earlier_entry = IndexedPerson.objects.get(contact_person=the_child(earlier))
    [made] = [link for link in done.links.made if link.candidate_id == earlier_entry.pk]
    assert made.contact_person == child
    assert made.probability >= 0.999
    assert made.state == LinkState.CONFIRMED  # same valid NHS number: linked automatically
    assert made.automatic


def test_a_suggestion_the_corrected_details_no_longer_support_is_withdrawn(
    school_referrer: User, screener: User
) -> None:
    earlier = contact_about(school_referrer, days_ago=30, nhs_number="")
    new = contact_about(school_referrer, nhs_number="")
    child = the_child(new)
    suggestion = PersonLink.objects.get(
        contact_person=child, candidate__contact_person=the_child(earlier)
    )
    assert suggestion.state == LinkState.SUGGESTED

    done = correct(
        screener,
        child,
        given_names="Oliver",
        family_name="Brennan",
        sex="M",
        date_of_birth=date.today() - timedelta(days=3 * 365),
        postcode="DC9 9ZZ",
    )

    assert suggestion.pk in done.links.withdrawn
    assert not PersonLink.objects.filter(pk=suggestion.pk).exists()
    deleted = AuditEvent.objects.get(object_type="person_link", action="delete")
    assert deleted.object_id == str(suggestion.pk)


def test_a_suggestion_still_supported_is_scored_again(
    school_referrer: User, screener: User
) -> None:
    earlier = contact_about(school_referrer, days_ago=30, nhs_number="")
    new = contact_about(school_referrer, nhs_number="", family_name="Smyth")
    child = the_child(new)
    suggestion = PersonLink.objects.get(
        contact_person=child, candidate__contact_person=the_child(earlier)
    )
    before = suggestion.probability

    done = correct(screener, child, family_name="Smith")

    suggestion.refresh_from_db()
    assert suggestion in done.links.rescored
    assert suggestion.state == LinkState.SUGGESTED
    assert suggestion.probability > before


def test_a_decision_about_a_match_is_kept(school_referrer: User, screener: User) -> None:
    earlier = contact_about(school_referrer, days_ago=30, nhs_number="")
    new = contact_about(school_referrer, nhs_number="")
    child = the_child(new)
    suggestion = PersonLink.objects.get(
        contact_person=child, candidate__contact_person=the_child(earlier)
    )
    link_reject(actor=Actor(user=screener), link_id=suggestion.pk, reason="Another Amy.")

    correct(screener, child, given_names="Oliver", family_name="Brennan", sex="M")
    correct(screener, child, given_names="Amy", family_name="Smith", sex="F")

    suggestion.refresh_from_db()
    assert suggestion.state == LinkState.REJECTED
    # ... and the pair is not suggested again, in either direction
    assert (
        PersonLink.objects.filter(
            contact_person__in=[child, the_child(earlier)],
            candidate__contact_person__in=[child, the_child(earlier)],
        ).count()
        == 1
    )


def test_correcting_an_earlier_record_suggests_it_where_the_later_contact_is_screened(
    school_referrer: User, screener: User
) -> None:
    earlier = contact_about(
        school_referrer, days_ago=30, nhs_number="", given_names="Zara", family_name="Quinn"
    )
    new = contact_about(school_referrer, nhs_number="")
    assert not PersonLink.objects.filter(contact_person=the_child(new)).exists()

    correct(screener, the_child(earlier), given_names="Amy", family_name="Smith")

    link = PersonLink.objects.get(candidate__contact_person=the_child(earlier))
    assert link.contact_person == the_child(new)
    assert link.state == LinkState.SUGGESTED


def test_a_correction_costs_the_same_queries_for_1_or_5_suggestions_awaiting_a_decision(
    school_referrer: User, screener: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_correct(given: str, earlier: int, **child: Any) -> int:
        details = {"nhs_number": "", "given_names": given, "family_name": "Smith", **child}
        for days in range(earlier):
            contact_about(school_referrer, days_ago=30 + days, **details)
        person = the_child(contact_about(school_referrer, **details))
        assert PersonLink.objects.filter(contact_person=person).count() == earlier
        with CaptureQueriesContext(connection) as captured:
            done = correct(screener, person, family_name="Smyth")
        assert len(done.links.rescored) == earlier
        return len(captured)

    assert screener.has_perm("enquiries.correct_person")  # the screener's roles, read once
    one = queries_to_correct("Amy", 1)
    five = queries_to_correct(
        "Zoe",
        5,
        date_of_birth=date.today() - timedelta(days=5 * 365),
        address=Address(line1="7 Quay Street", town="Westford", postcode="DC8 2QQ"),
    )
    assert one == five
