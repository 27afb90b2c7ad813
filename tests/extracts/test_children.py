"""The same child across contacts, for the extracts: the rule of openmash.linkage.same_child
and the matches screeners decided, followed as far as they go."""

from datetime import date

from openmash.contacts.codes import PersonRole
from openmash.contacts.models import ContactPerson
from openmash.core.audit import Actor
from openmash.extracts.children import PERSON_FIELDS, child_index
from openmash.linkage.links import link_confirm, link_reject
from openmash.linkage.models import IndexedPerson, PersonLink
from openmash.linkage.same_child import contact_people_same_child
from tests.extracts.conftest import Hub, at, valid_nhs_number
from tests.factories import a_child


def _records(*people: ContactPerson) -> list[ContactPerson]:
    return list(
        ContactPerson.objects.filter(pk__in=[person.pk for person in people]).only(*PERSON_FIELDS)
    )


def _suggest(first: ContactPerson, second: ContactPerson) -> PersonLink:
    return PersonLink.objects.create(
        contact_person=first,
        candidate=IndexedPerson.objects.get(contact_person=second),
        probability=0.9,
        explanation=["same date of birth"],
    )


def test_it_agrees_with_the_same_child_rule_on_every_record(october: Hub) -> None:
    children = list(ContactPerson.objects.filter(role__in=("subject_child", "sibling")))
    index = child_index(_records(*children))

    for child in children:
        same = {record.pk for record in contact_people_same_child(child)}
        joined = {pk for pk in index.records if index.child_id(pk) == index.child_id(child.pk)}
        assert same | {child.pk} <= joined, child.pk
        assert index.contact_ids(index.child_id(child.pk)) >= {child.contact_id}


def test_it_follows_the_rule_from_record_to_record(hub: Hub) -> None:
    # Known to health by NHS number only, then to a school by NHS number and name, then to
    # the police by name and date of birth only: one child.
    nhs = valid_nhs_number(500)
    born = date(2014, 6, 1)
    hub.receive(
        "health",
        at(2026, 1, 5),
        "3A",
        [a_child(given_names="S", family_name="Lee", date_of_birth=born, nhs_number=nhs)],
    )
    hub.receive(
        "school",
        at(2026, 2, 5),
        "2A",
        [a_child(given_names="Sam", family_name="Lee", date_of_birth=born, nhs_number=nhs)],
    )
    hub.receive("police", at(2026, 3, 5), "6", [a_child(given_names="SAM", family_name="lee",
                                                        date_of_birth=born, nhs_number="")])  # fmt: skip

    index = child_index(_records(hub.child("police")))

    assert {index.child_id(pk) for pk in index.records} == {hub.child("health").pk}
    assert index.contact_ids(hub.child("health").pk) == {
        hub.pk("health"),
        hub.pk("school"),
        hub.pk("police"),
    }


def test_a_confirmed_match_joins_records_with_nothing_in_common(hub: Hub) -> None:
    first = hub.receive(
        "first", at(2026, 1, 5), "2A", [a_child(given_names="Jo", nhs_number="")]
    ).people.get()
    second = hub.receive(
        "second", at(2026, 2, 5), "6", [a_child(given_names="Joanne", nhs_number="")]
    ).people.get()
    link = _suggest(second, first)
    link_confirm(actor=Actor(user=hub.users["screener"]), link_id=link.pk)

    index = child_index(_records(second))

    assert index.child_id(second.pk) == first.pk
    assert index.contact_ids(first.pk) == {hub.pk("first"), hub.pk("second")}


def test_a_rejected_match_keeps_records_with_the_same_nhs_number_apart(hub: Hub) -> None:
    nhs = valid_nhs_number(600)
    first = hub.receive(
        "first", at(2026, 1, 5), "2A", [a_child(given_names="Ava", nhs_number=nhs)]
    ).people.get()
    second = hub.receive(
        "second", at(2026, 2, 5), "6", [a_child(given_names="Isla", nhs_number=nhs)]
    ).people.get()
    link = _suggest(second, first)
    link_reject(actor=Actor(user=hub.users["screener"]), link_id=link.pk, reason="Twins")

    index = child_index(_records(first, second))

    assert index.child_id(first.pk) == first.pk
    assert index.child_id(second.pk) == second.pk


def test_the_id_is_the_first_record_naming_them_as_a_child(hub: Hub) -> None:
    # A young mother named as a parent first, then as the child a contact is about.
    nhs = valid_nhs_number(700)
    mother = a_child(
        role=PersonRole.PARENT_CARER,
        given_names="Lily",
        date_of_birth=date(2009, 5, 5),
        nhs_number=nhs,
    )
    baby = a_child(given_names="Baby", family_name="Smith", nhs_number="")
    hub.receive("as_parent", at(2026, 1, 5), "3A", [baby, mother])
    hub.receive(
        "as_child", at(2026, 2, 5), "2A",
        [a_child(given_names="Lily", date_of_birth=date(2009, 5, 5), nhs_number=nhs)],
    )  # fmt: skip
    as_child = hub.child("as_child")

    index = child_index(_records(as_child))

    assert index.child_id(as_child.pk) == as_child.pk
    assert hub.child("as_parent", 1).pk < as_child.pk
    # Her contacts as a child only: the one about her baby is not about her.
    assert index.contact_ids(as_child.pk) == {hub.pk("as_child")}
