"""Identifier conflicts: found on intake and after a correction, keeping two children
apart everywhere until a screener decides, and the screener's decision and its undo
(openmash.linkage.conflicts)."""

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import CHILD_ROLES, ContactState
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditEvent
from openmash.enquiries.concern import child_contact_ids, children_contact_ids
from openmash.enquiries.services.corrections import person_correct
from openmash.extracts.children import child_index, children_in
from openmash.linkage import links
from openmash.linkage.conflicts import (
    ConflictNotOpen,
    conflict_facts,
    conflict_resolve,
    conflict_undo,
    conflicts_detect_for_person,
    conflicts_for_contact,
    contacts_with_open_conflicts,
)
from openmash.linkage.index import standard_fields
from openmash.linkage.models import (
    AgencyIndexSettings,
    ConflictState,
    IdentifierConflict,
    IndexedPerson,
    IndexSource,
    LinkState,
    PersonLink,
    WrongHolder,
)
from openmash.linkage.same_child import (
    contact_people_same_child,
    linked_people_ids,
    same_child_contact_ids,
)
from openmash.people.identifiers import nhs_number_check_digit
from tests.factories import a_child, a_submission

MAYA_BORN = date(2014, 3, 9)
ELLIE_BORN = date(2016, 11, 21)


def nhs(serial: int) -> str:
    for start in range(serial, serial + 50):
        first_nine = f"{start:09d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
    raise AssertionError


SHARED = nhs(400_000_100)


def _contact(referrer: User, **child: Any) -> Contact:
    contact, _ = contact_create(
        actor=Actor(user=referrer), submission=a_submission(people=[a_child(**child)])
    )
    return contact


def maya(referrer: User, **more: Any) -> Contact:
    values = {
        "given_names": "Maya",
        "family_name": "Okafor",
        "date_of_birth": MAYA_BORN,
        "nhs_number": SHARED,
    }
    return _contact(referrer, **{**values, **more})


def ellie(referrer: User, **more: Any) -> Contact:
    values = {
        "given_names": "Ellie",
        "family_name": "Harper",
        "date_of_birth": ELLIE_BORN,
        "nhs_number": SHARED,
    }
    return _contact(referrer, **{**values, **more})


def _agency_record(agency: Agency, **person: Any) -> IndexedPerson:
    fields = {
        "given_names": "",
        "family_name": "",
        "other_names": "",
        "date_of_birth": None,
        "sex": "",
        "postcode": "",
        "nhs_number": "",
        "upn": "",
        **person,
    }
    return IndexedPerson.objects.create(
        source=IndexSource.AGENCY,
        agency=agency,
        source_id=f"rec-{IndexedPerson.objects.count()}",
        **fields,
        **standard_fields(**fields),
    )


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas["manager"]


# --- Found -------------------------------------------------------------------------------


def test_a_new_contact_with_another_childs_nhs_number_records_a_conflict(
    school_referrer: User,
) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)

    conflict = IdentifierConflict.objects.get()
    assert conflict.contact_person == second.people.get(position=0)
    assert conflict.other.contact_person == first.people.get(position=0)
    assert conflict.other_contact_person == first.people.get(position=0)
    assert conflict.identifier == "nhs_number"
    assert conflict.value == SHARED
    assert conflict.state == ConflictState.OPEN
    assert conflict.disagreement == ["date_of_birth", "first_name"]
    assert AuditEvent.objects.filter(
        object_type="identifier_conflict", action="create", contact_id=second.pk
    ).exists()


def test_the_same_child_again_is_no_conflict(school_referrer: User) -> None:
    maya(school_referrer)
    # A typo in the date of birth, a surname change, a nickname: all the same child.
    maya(school_referrer, date_of_birth=date(2014, 9, 3))
    maya(school_referrer, family_name="Okafor-Brown")
    _contact(
        school_referrer,
        given_names="Lizzy",
        family_name="Okafor",
        date_of_birth=MAYA_BORN,
        nhs_number=nhs(400_000_300),
    )
    _contact(
        school_referrer,
        given_names="Elizabeth",
        family_name="Okafor",
        date_of_birth=MAYA_BORN,
        nhs_number=nhs(400_000_300),
    )

    assert not IdentifierConflict.objects.exists()


def test_a_conflict_with_an_agency_record_is_found_too(
    school_referrer: User, agencies: dict[str, Agency]
) -> None:
    record = _agency_record(
        agencies["police"],
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=MAYA_BORN,
        nhs_number=SHARED,
    )
    contact = ellie(school_referrer)

    conflict = IdentifierConflict.objects.get()
    assert conflict.other == record
    assert conflict.other_contact_person is None
    assert conflict.contact_person == contact.people.get(position=0)


def test_a_sibling_given_the_childs_number_in_the_same_contact_is_a_conflict(
    school_referrer: User,
) -> None:
    contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(given_names="Jake", family_name="Harper", nhs_number=SHARED),
                a_child(
                    role="sibling", given_names="James", family_name="Harper", nhs_number=SHARED
                ),
            ]
        ),
    )
    conflict = IdentifierConflict.objects.get()
    assert conflict.contact_person.given_names == "James"
    assert conflict.other.given_names == "Jake"


def test_finding_conflicts_on_intake_takes_a_bounded_number_of_queries(
    school_referrer: User,
) -> None:
    for _ in range(3):
        maya(school_referrer)

    def queries_for_one_contact() -> int:
        with CaptureQueriesContext(connection) as queries:
            ellie(school_referrer)
        return len(queries)

    one = queries_for_one_contact()
    for _ in range(5):
        maya(school_referrer)
    assert queries_for_one_contact() == one


def test_detection_for_a_person_is_idempotent_and_withdraws_what_no_longer_applies(
    school_referrer: User,
) -> None:
    maya(school_referrer)
    person = ellie(school_referrer).people.get(position=0)
    assert conflicts_detect_for_person(person) == []
    assert IdentifierConflict.objects.count() == 1

    # The NHS number on Ellie's record is corrected: the conflict no longer applies.
    person.nhs_number = nhs(400_000_500)
    person.save(update_fields=["nhs_number"])
    IndexedPerson.objects.filter(contact_person=person).update(
        nhs_number=person.nhs_number, nhs_valid=person.nhs_number
    )
    [withdrawn] = conflicts_detect_for_person(person)
    assert withdrawn.state == ConflictState.WITHDRAWN
    assert withdrawn.history[-1]["state"] == ConflictState.WITHDRAWN
    assert conflicts_detect_for_person(person) == []

    # Put back (say the correction was itself wrong): the same conflict opens again.
    person.nhs_number = SHARED
    person.save(update_fields=["nhs_number"])
    IndexedPerson.objects.filter(contact_person=person).update(nhs_number=SHARED, nhs_valid=SHARED)
    [reopened] = conflicts_detect_for_person(person)
    assert reopened.pk == withdrawn.pk
    assert reopened.state == ConflictState.OPEN
    assert IdentifierConflict.objects.count() == 1


def test_correcting_the_earlier_record_finds_the_pair_once(school_referrer: User) -> None:
    first = maya(school_referrer, nhs_number=nhs(400_000_700)).people.get(position=0)
    ellie(school_referrer)
    assert not IdentifierConflict.objects.exists()

    # Maya's record is corrected to carry the number Ellie's contact gave.
    first.nhs_number = SHARED
    first.save(update_fields=["nhs_number"])
    IndexedPerson.objects.filter(contact_person=first).update(nhs_number=SHARED, nhs_valid=SHARED)
    conflicts_detect_for_person(first)
    conflicts_detect_for_person(first)

    conflict = IdentifierConflict.objects.get()
    # Stored from the later record, whichever was checked.
    assert conflict.other_contact_person == first


# --- Not the same child until decided -----------------------------------------------------


def test_an_open_conflict_keeps_the_two_children_apart_everywhere(school_referrer: User) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)
    child = second.people.get(position=0)
    earlier = first.people.get(position=0)

    assert not contact_people_same_child(child).exists()
    assert not contact_people_same_child(earlier).exists()
    assert child_contact_ids(child) == {second.pk}
    assert children_contact_ids([child, earlier]) == {
        child.pk: {second.pk},
        earlier.pk: {first.pk},
    }
    index = child_index(children_in(Q(contact_id__in=[first.pk, second.pk])))
    assert index.child_id(child.pk) != index.child_id(earlier.pk)


def _resolve(screener: User, contact: Contact, **decision: Any) -> IdentifierConflict:
    links_actor = Actor(user=screener)
    conflict = IdentifierConflict.objects.get()
    return conflict_resolve(actor=links_actor, conflict_id=conflict.pk, **decision)


def test_different_children_stay_apart_and_the_wrong_number_joins_no_one(
    school_referrer: User, screener: User
) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)
    conflict = _resolve(
        screener,
        second,
        outcome=ConflictState.DIFFERENT,
        wrong_holder=WrongHolder.CONTACT_PERSON,
        reason="School confirmed it copied Maya's number",
    )
    assert conflict.state == ConflictState.DIFFERENT
    child = second.people.get(position=0)
    # Maya's later contact joins Maya's history, never Ellie's, by the number.
    third = maya(school_referrer)
    assert IdentifierConflict.objects.count() == 1  # Ellie's wrong number is no candidate
    assert {p.contact_id for p in contact_people_same_child(third.people.get(position=0))} == {
        first.pk
    }
    assert not contact_people_same_child(child).exists()
    assert child_contact_ids(child) == {second.pk}
    index = child_index(children_in(Q(contact_id__in=[first.pk, second.pk, third.pk])))
    ids = {index.child_id(p.pk) for p in ContactPerson.objects.filter(role__in=CHILD_ROLES)}
    assert len(ids) == 2


def test_same_child_joins_the_records_and_undo_keeps_them_apart_again(
    school_referrer: User, screener: User
) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)
    child = second.people.get(position=0)
    conflict = _resolve(
        screener,
        second,
        outcome=ConflictState.SAME_CHILD,
        reason="Ellie is the name Maya uses at school; the date of birth was mistyped",
    )
    assert [p.contact_id for p in contact_people_same_child(child)] == [first.pk]
    assert child_contact_ids(child) == {first.pk, second.pk}
    index = child_index(children_in(Q(contact_id__in=[first.pk, second.pk])))
    assert index.child_id(child.pk) == index.child_id(first.people.get(position=0).pk)

    undone = conflict_undo(
        actor=Actor(user=screener), conflict_id=conflict.pk, reason="Health says two girls"
    )
    assert undone.state == ConflictState.OPEN
    assert not contact_people_same_child(child).exists()
    assert [entry["state"] for entry in undone.history] == ["same_child", "open"]
    changes = AuditEvent.objects.filter(object_type="identifier_conflict", action="update")
    assert [event.detail["change"] for event in changes.order_by("id")] == ["resolve", "undo"]


def test_an_open_conflict_overrides_an_automatic_link(school_referrer: User) -> None:
    maya(school_referrer)
    second = ellie(school_referrer)

    def matcher(*, exclude_contact_id: int, **person: Any) -> list[links.CandidateLike]:
        return [
            links.CandidateLike(record.pk, 0.9999, ["same NHS number"])
            for record in IndexedPerson.objects.exclude(contact_person__contact=second)
        ]

    [made] = links.links_suggest_for_contact(contact_id=second.pk, matcher=matcher)
    assert made.state == LinkState.SUGGESTED and not made.automatic


def test_a_pair_decided_different_is_never_suggested(school_referrer: User, screener: User) -> None:
    maya(school_referrer)
    second = ellie(school_referrer)
    _resolve(
        screener,
        second,
        outcome=ConflictState.DIFFERENT,
        wrong_holder=WrongHolder.OTHER,
        reason="Maya's GP record was mistyped",
    )

    def matcher(*, exclude_contact_id: int, **person: Any) -> list[links.CandidateLike]:
        return [
            links.CandidateLike(record.pk, 0.9999, ["same NHS number"])
            for record in IndexedPerson.objects.exclude(contact_person__contact=second)
        ]

    assert links.links_suggest_for_contact(contact_id=second.pk, matcher=matcher) == []


# --- Deciding ------------------------------------------------------------------------------


def test_a_decision_needs_an_outcome_the_wrong_record_and_a_reason(
    school_referrer: User, screener: User
) -> None:
    maya(school_referrer)
    ellie(school_referrer)
    conflict = IdentifierConflict.objects.get()
    with pytest.raises(FieldErrors) as refused:
        conflict_resolve(
            actor=Actor(user=screener),
            conflict_id=conflict.pk,
            outcome=ConflictState.DIFFERENT,
            reason=" ",
        )
    assert set(refused.value.errors) == {"wrong_holder", "reason"}
    with pytest.raises(FieldErrors) as refused:
        conflict_resolve(
            actor=Actor(user=screener), conflict_id=conflict.pk, outcome="", reason="x"
        )
    assert set(refused.value.errors) == {"outcome"}
    conflict.refresh_from_db()
    assert conflict.state == ConflictState.OPEN
    with pytest.raises(FieldErrors):
        conflict_undo(actor=Actor(user=screener), conflict_id=conflict.pk, reason="")
    with pytest.raises(ConflictNotOpen):
        conflict_undo(actor=Actor(user=screener), conflict_id=conflict.pk, reason="Why")


def test_a_decided_conflict_cannot_be_decided_twice(school_referrer: User, screener: User) -> None:
    maya(school_referrer)
    second = ellie(school_referrer)
    conflict = _resolve(screener, second, outcome=ConflictState.SAME_CHILD, reason="Typo")
    with pytest.raises(ConflictNotOpen):
        conflict_resolve(
            actor=Actor(user=screener),
            conflict_id=conflict.pk,
            outcome=ConflictState.SAME_CHILD,
            reason="Again",
        )


def test_only_the_screener_screening_the_contact_or_a_manager_decides(
    school_referrer: User, screener: User, manager: User, personas: dict[str, User], make_user: Any
) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)
    other_screener = make_user("screener2", personas["screener"].role_grants.get().role)
    for contact in (first, second):
        Contact.objects.filter(pk=contact.pk).update(
            state=ContactState.SCREENING, assigned_to=other_screener
        )
    conflict = IdentifierConflict.objects.get()
    for user in (screener, personas["police_researcher"], school_referrer, personas["analyst"]):
        with pytest.raises(PermissionDenied):
            conflict_resolve(
                actor=Actor(user=user),
                conflict_id=conflict.pk,
                outcome=ConflictState.SAME_CHILD,
                reason="Typo",
            )
    conflict_resolve(
        actor=Actor(user=manager),
        conflict_id=conflict.pk,
        outcome=ConflictState.SAME_CHILD,
        reason="Typo",
    )
    conflict_undo(actor=Actor(user=other_screener), conflict_id=conflict.pk, reason="Not so")


# --- Seen ------------------------------------------------------------------------------


def test_only_mash_staff_see_the_conflict_with_both_records(
    school_referrer: User, screener: User, personas: dict[str, User]
) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)

    [view] = conflicts_for_contact(actor=Actor(user=screener), contact=second)
    assert view.this.name == "Ellie Harper" and view.this.is_this_contact
    assert view.other.name == "Maya Okafor" and view.other.contact == first
    assert view.is_open and view.may_decide
    # From Maya's contact, the same conflict the other way round.
    [mirror] = conflicts_for_contact(actor=Actor(user=screener), contact=first)
    assert mirror.this.name == "Maya Okafor" and mirror.other.name == "Ellie Harper"
    assert mirror.this_holder == WrongHolder.OTHER
    assert AuditEvent.objects.filter(
        actor_user=screener, action="list", object_type="contact", contact_id=first.pk
    ).exists()

    assert (
        conflicts_for_contact(actor=Actor(user=personas["police_researcher"]), contact=second) == []
    )
    assert contacts_with_open_conflicts([first.pk, second.pk, 999_999]) == {first.pk, second.pk}


def test_reading_the_conflicts_takes_the_same_queries_however_many(
    school_referrer: User, screener: User
) -> None:
    maya(school_referrer)
    second = ellie(school_referrer)
    conflicts_for_contact(actor=Actor(user=screener), contact=second)  # the user's roles
    with CaptureQueriesContext(connection) as few:
        conflicts_for_contact(actor=Actor(user=screener), contact=second)
    for _ in range(4):
        maya(school_referrer)
    assert IdentifierConflict.objects.filter(contact_person__contact=second).count() == 1
    third = ellie(school_referrer, given_names="Ellie May")
    assert IdentifierConflict.objects.filter(contact_person__contact=third).count() == 5
    with CaptureQueriesContext(connection) as many:
        views = conflicts_for_contact(actor=Actor(user=screener), contact=third)
    assert len(views) == 5
    assert len(many) == len(few)


def test_an_agency_record_is_shown_with_its_agency_unless_it_keeps_its_index_private(
    school_referrer: User, screener: User, agencies: dict[str, Agency]
) -> None:
    police = agencies["police"]
    _agency_record(
        police,
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=MAYA_BORN,
        nhs_number=SHARED,
        postcode="DC2 7QT",
    )
    contact = ellie(school_referrer)

    [view] = conflicts_for_contact(actor=Actor(user=screener), contact=contact)
    assert view.other.agency_name == police.name
    assert view.other.contact is None
    assert view.other.postcode == "DC2 7QT"

    AgencyIndexSettings.objects.create(agency=police, visible_to_mash_screeners=False)
    assert conflicts_for_contact(actor=Actor(user=screener), contact=contact) == []
    # Still not linked automatically, seen or not.
    assert IdentifierConflict.objects.get().state == ConflictState.OPEN


def test_cumulative_concern_for_many_children_takes_the_same_queries_with_conflicts(
    school_referrer: User, screener: User
) -> None:
    names = ["Ellie", "Ruby", "Grace", "Isla", "Freya", "Ivy", "Poppy"]

    def children(count: int, start: int) -> list[ContactPerson]:
        found = []
        for n in range(start, start + count):
            number = nhs(400_100_000 + n * 100)
            maya(school_referrer, nhs_number=number)
            girl = ellie(school_referrer, nhs_number=number, given_names=names[n])
            found.append(girl.people.get(position=0))
        return found

    few = children(1, 0)
    with CaptureQueriesContext(connection) as one:
        assert children_contact_ids(few) == {few[0].pk: {few[0].contact_id}}
    many = children(5, 1)
    conflict_resolve(
        actor=Actor(user=screener),
        conflict_id=IdentifierConflict.objects.get(contact_person=many[0]).pk,
        outcome=ConflictState.DIFFERENT,
        wrong_holder=WrongHolder.CONTACT_PERSON,
        reason="Copied",
    )
    with CaptureQueriesContext(connection) as five:
        found = children_contact_ids(many)
    assert found == {child.pk: {child.contact_id} for child in many}
    assert len(five) == len(one)


def test_a_child_with_a_confirmed_match_and_a_conflict_is_worked_out_from_what_was_read(
    school_referrer: User, screener: User
) -> None:
    """Cumulative concern follows a confirmed match with the links and conflicts it has
    already read (and conflicts read for more children than that one): the same answer
    as one child at a time, in two queries fewer than reading them again."""
    first = maya(school_referrer)
    second = ellie(school_referrer)  # an open conflict with Maya over the NHS number
    child = second.people.get(position=0)
    earlier = first.people.get(position=0)
    # Ellie misspelt, no NHS number: only a confirmed link joins her, with her history.
    misspelt = {"family_name": "Harpur", "date_of_birth": ELLIE_BORN, "nhs_number": ""}
    linked = _contact(school_referrer, given_names="Ellie", **misspelt)
    history = _contact(school_referrer, given_names="Ellie", **misspelt)
    link = PersonLink.objects.create(
        contact_person=child,
        candidate=IndexedPerson.objects.get(contact_person=linked.people.get(position=0)),
        probability=0.97,
    )
    links.link_confirm(actor=Actor(user=screener), link_id=link.pk)

    assert child_contact_ids(child) == {second.pk, linked.pk, history.pk}
    assert children_contact_ids([child, earlier]) == {
        child.pk: child_contact_ids(child),
        earlier.pk: {first.pk},
    }

    with CaptureQueriesContext(connection) as reading:
        alone = same_child_contact_ids([child])
    assert alone == {child.pk: child_contact_ids(child)}
    read = {child.pk: linked_people_ids(child)}
    facts = conflict_facts([child, earlier])
    with CaptureQueriesContext(connection) as given:
        assert same_child_contact_ids([child], links=read, facts=facts) == alone
    assert len(given) == len(reading) - 2
    # The links passed in are the caller's: the conflict keeping Maya apart is not added.
    assert read == {child.pk: linked_people_ids(child)}


def test_a_third_record_agreeing_with_both_does_not_bridge_them_in_the_extracts(
    school_referrer: User,
) -> None:
    first = maya(school_referrer)
    second = ellie(school_referrer)
    # A record with the number that agrees with both girls: both names, no date of birth.
    third = _contact(
        school_referrer,
        given_names="Maya Ellie",
        family_name="Harper",
        date_of_birth=None,
        estimated_age=9,
        nhs_number=SHARED,
    )
    assert IdentifierConflict.objects.count() == 1

    people = children_in(Q(contact_id__in=[first.pk, second.pk, third.pk]))
    index = child_index(people)
    maya_id = index.child_id(first.people.get(position=0).pk)
    ellie_id = index.child_id(second.people.get(position=0).pk)
    assert maya_id != ellie_id
    assert index.child_id(third.people.get(position=0).pk) in {maya_id, ellie_id}


def test_correcting_a_person_withdraws_a_conflict_that_no_longer_applies(
    school_referrer: User, screener: User
) -> None:
    maya(school_referrer)
    second = ellie(school_referrer)
    child = second.people.get(position=0)
    assert IdentifierConflict.objects.get().state == ConflictState.OPEN

    person_correct(
        actor=Actor(user=screener),
        person_id=child.pk,
        changes={"nhs_number": nhs(400_000_900)},
        reason="The school gave Maya's number",
    )

    conflict = IdentifierConflict.objects.get()
    assert conflict.state == ConflictState.WITHDRAWN
    child.refresh_from_db()
    assert not contact_people_same_child(child).exists()
    assert AuditEvent.objects.filter(
        object_type="identifier_conflict", action="update", detail__change="withdrawn"
    ).exists()
