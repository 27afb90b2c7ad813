"""Suggestions, confirmation, rejection, undo and quality, with a stand-in matcher (the
real one is tested in test_matcher.py)."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.linkage import links
from openmash.linkage.models import IndexedPerson, LinkState, PersonLink
from tests.factories import a_child, a_submission


def earlier_and_new(referrer: User) -> tuple[Contact, Contact]:
    earlier, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    new, _ = contact_create(
        actor=Actor(user=referrer),
        submission=a_submission(people=[a_child(family_name="Smyth")]),
    )
    return earlier, new


def matcher_returning(probability: float) -> Any:
    def match(*, exclude_contact_id: int, **person: Any) -> list[links.CandidateLike]:
        records = IndexedPerson.objects.exclude(contact_person__contact_id=exclude_contact_id)
        return [
            links.CandidateLike(record.pk, probability, ["same date of birth", "surname similar"])
            for record in records
            if record.given_std == "amy"
        ]

    return match


@pytest.fixture
def new_contact_suggestions(school_referrer: User) -> tuple[Contact, list[PersonLink]]:
    _, new = earlier_and_new(school_referrer)
    made = links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher_returning(0.9))
    return new, made


def test_it_suggests_candidates_above_the_threshold(
    new_contact_suggestions: tuple[Contact, list[PersonLink]],
) -> None:
    _, made = new_contact_suggestions
    assert len(made) == 1
    assert made[0].state == LinkState.SUGGESTED
    assert made[0].explanation == ["same date of birth", "surname similar"]


def test_it_never_suggests_the_same_pair_twice(
    new_contact_suggestions: tuple[Contact, list[PersonLink]],
) -> None:
    new, _ = new_contact_suggestions
    again = links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher_returning(0.9))
    assert again == []
    assert PersonLink.objects.count() == 1


def test_a_rejected_pair_is_never_suggested_again(
    new_contact_suggestions: tuple[Contact, list[PersonLink]], screener: User
) -> None:
    new, made = new_contact_suggestions
    links.link_reject(actor=Actor(user=screener), link_id=made[0].pk, reason="Different child")
    assert links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher_returning(0.95)) == []
    assert PersonLink.objects.get().state == LinkState.REJECTED


def test_a_confirmed_link_can_be_undone_with_a_reason_and_is_audited(
    new_contact_suggestions: tuple[Contact, list[PersonLink]], screener: User
) -> None:
    _, made = new_contact_suggestions
    links.link_confirm(actor=Actor(user=screener), link_id=made[0].pk)
    with pytest.raises(links.LinkNotOpen):
        links.link_confirm(actor=Actor(user=screener), link_id=made[0].pk)
    with pytest.raises(Exception, match="reason"):
        links.link_undo(actor=Actor(user=screener), link_id=made[0].pk, reason=" ")
    undone = links.link_undo(actor=Actor(user=screener), link_id=made[0].pk, reason="Twin sister")
    assert undone.state == LinkState.UNDONE and undone.reason == "Twin sister"
    changes = (
        AuditEvent.objects.filter(object_type="person_link")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert [detail["change"] for detail in changes] == ["confirmed", "undone"]


def test_only_the_mash_confirms_links(
    new_contact_suggestions: tuple[Contact, list[PersonLink]], school_referrer: User
) -> None:
    _, made = new_contact_suggestions
    with pytest.raises(PermissionDenied):
        links.link_confirm(actor=Actor(user=school_referrer), link_id=made[0].pk)


def test_it_links_automatically_only_with_the_same_nhs_number(school_referrer: User) -> None:
    _, new = earlier_and_new(school_referrer)
    made = links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher_returning(0.9999))
    assert made[0].automatic and made[0].state == LinkState.CONFIRMED
    event = AuditEvent.objects.get(object_type="person_link")
    assert event.actor_user is None and event.detail["system"] == "matcher"


def test_it_does_not_link_automatically_without_an_nhs_number(school_referrer: User) -> None:
    contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    new, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(people=[a_child(nhs_number="")]),
    )
    made = links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher_returning(0.9999))
    assert [link.state for link in made] == [LinkState.SUGGESTED]


def test_it_reports_quality_from_what_people_decided(school_referrer: User, screener: User) -> None:
    for decision in ("confirm", "confirm", "confirm", "reject"):
        _, new = earlier_and_new(school_referrer)
        for link in links.links_suggest_for_contact(
            contact_id=new.pk, matcher=matcher_returning(0.9)
        ):
            if decision == "confirm":
                links.link_confirm(actor=Actor(user=screener), link_id=link.pk)
            else:
                links.link_reject(actor=Actor(user=screener), link_id=link.pk)
    quality = links.link_quality()
    assert quality.rejected >= 1 and quality.confirmed >= 3
    assert quality.precision_of_suggestions == pytest.approx(
        quality.confirmed / (quality.confirmed + quality.rejected)
    )
    assert quality.overridden == quality.rejected


def test_the_mash_sees_linked_previous_contacts_and_a_researcher_does_not(
    new_contact_suggestions: tuple[Contact, list[PersonLink]],
    screener: User,
    personas: dict[str, User],
) -> None:
    new, made = new_contact_suggestions
    shown = links.links_for_contact(actor=Actor(user=screener), contact=new)
    [view] = shown[made[0].contact_person_id]
    assert view.contact is not None and view.contact.pk != new.pk
    police = links.links_for_contact(actor=Actor(user=personas["police_researcher"]), contact=new)
    assert police == {}
    with pytest.raises(PermissionDenied):
        links.links_for_contact(actor=Actor(user=personas["analyst"]), contact=new)


def test_the_quality_command_prints_the_estimates(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("match_quality", stdout=out)
    assert "Precision of suggestions: no decisions yet" in out.getvalue()
