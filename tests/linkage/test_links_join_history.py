"""A confirmed match joins the child's history; a rejected one keeps records apart."""

from datetime import date
from typing import Any

from openmash.accounts.models import User
from openmash.contacts.models import ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.concern import child_contact_ids, children_contact_ids
from openmash.linkage import links
from openmash.linkage.models import IndexedPerson, PersonLink
from openmash.linkage.same_child import contact_people_same_child
from tests.factories import a_child, a_submission


def test_a_confirmed_match_joins_the_history_and_a_rejected_one_keeps_it_apart(
    school_referrer: User, screener: User
) -> None:
    actor = Actor(user=school_referrer)
    earlier, _ = contact_create(
        actor=actor,
        submission=a_submission(people=[a_child(nhs_number="", date_of_birth=date(2017, 3, 7))]),
    )
    # Misspelt surname, day and month swapped, no NHS number: the rule cannot see it.
    new, _ = contact_create(
        actor=actor,
        submission=a_submission(
            people=[a_child(family_name="Smyth", nhs_number="", date_of_birth=date(2017, 7, 3))]
        ),
    )
    child = new.people.get()
    assert not contact_people_same_child(child).exists()

    link = PersonLink.objects.create(
        contact_person=child,
        candidate=IndexedPerson.objects.get(contact_person=earlier.people.get()),
        probability=0.97,
        explanation=["surname similar: Smyth/Smith", "day and month swapped"],
    )
    links.link_confirm(actor=Actor(user=screener), link_id=link.pk)
    assert [p.contact_id for p in contact_people_same_child(child)] == [earlier.pk]
    assert children_contact_ids([child])[child.pk] == {new.pk, earlier.pk}
    # And from the earlier record's side too.
    assert [p.contact_id for p in contact_people_same_child(earlier.people.get())] == [new.pk]

    links.link_undo(actor=Actor(user=screener), link_id=link.pk, reason="A cousin, not Amy")
    assert not contact_people_same_child(child).exists()
    assert children_contact_ids([child])[child.pk] == {new.pk}


def test_a_rejected_match_overrides_the_deterministic_rule(
    school_referrer: User, screener: User
) -> None:
    earlier, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    new, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    child = new.people.order_by("position").first()
    assert child is not None
    assert contact_people_same_child(child).filter(contact=earlier).exists()
    link = PersonLink.objects.create(
        contact_person=child,
        candidate=IndexedPerson.objects.get(
            contact_person=earlier.people.order_by("position").first()
        ),
        probability=0.99,
    )
    links.link_reject(actor=Actor(user=screener), link_id=link.pk, reason="Different child")
    assert not contact_people_same_child(child).filter(contact=earlier).exists()
    assert earlier.pk not in children_contact_ids([child])[child.pk]


def test_confirming_one_earlier_contact_brings_in_its_own_history(
    school_referrer: User, screener: User
) -> None:
    actor = Actor(user=school_referrer)
    older = [
        contact_create(
            actor=actor,
            submission=a_submission(
                people=[a_child(nhs_number="", date_of_birth=date(2017, 3, 7))]
            ),
        )[0]
        for _ in range(2)
    ]
    new, _ = contact_create(
        actor=actor,
        submission=a_submission(
            people=[a_child(family_name="Smyth", nhs_number="", date_of_birth=date(2017, 7, 3))]
        ),
    )
    child = new.people.get()
    link = PersonLink.objects.create(
        contact_person=child,
        candidate=IndexedPerson.objects.get(contact_person=older[1].people.get()),
        probability=0.97,
    )
    links.link_confirm(actor=Actor(user=screener), link_id=link.pk)
    found = {p.contact_id for p in contact_people_same_child(child)}
    assert found == {older[0].pk, older[1].pk}


def test_many_linked_children_are_worked_out_together_as_one_at_a_time_would(
    school_referrer: User, screener: User, django_assert_max_num_queries: Any
) -> None:
    """children_contact_ids reads every child with confirmed links in the same queries
    however many, and finds for each exactly what child_contact_ids finds alone: the
    linked record's own history, never a record rejected, nor the child's own contact."""
    actor = Actor(user=school_referrer)
    screening = Actor(user=screener)

    def child_in_new_contact(**fields: Any) -> ContactPerson:
        contact, _ = contact_create(
            actor=actor, submission=a_submission(people=[a_child(**fields)])
        )
        return contact.people.get()

    def link(child: ContactPerson, other: ContactPerson, *, confirm: bool) -> None:
        made = PersonLink.objects.create(
            contact_person=child,
            candidate=IndexedPerson.objects.get(contact_person=other),
            probability=0.97,
        )
        if confirm:
            links.link_confirm(actor=screening, link_id=made.pk)
        else:
            links.link_reject(actor=screening, link_id=made.pk, reason="Different child")

    children = []
    for number in range(4):
        born = date(2015 + number, 3, 7)
        history = [
            child_in_new_contact(given_names=f"Amy{number}", nhs_number="", date_of_birth=born)
            for _ in range(2)
        ]
        # Misspelt, day and month swapped: only the confirmed link joins them.
        child = child_in_new_contact(
            given_names=f"Amy{number}",
            family_name="Smyth",
            nhs_number="",
            date_of_birth=date(2015 + number, 7, 3),
        )
        link(child, history[1], confirm=True)
        if number % 2:
            # A record the rule would join, rejected by a screener.
            same = child_in_new_contact(
                given_names=f"Amy{number}",
                family_name="Smyth",
                nhs_number="",
                date_of_birth=date(2015 + number, 7, 3),
            )
            link(child, same, confirm=False)
        children.append(child)

    one_at_a_time = {child.pk: child_contact_ids(child) for child in children}
    assert all(len(found) == 3 for found in one_at_a_time.values())
    with django_assert_max_num_queries(20) as one:
        assert children_contact_ids(children[:1]) == {children[0].pk: one_at_a_time[children[0].pk]}
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert children_contact_ids(children) == one_at_a_time
