"""Records an agency's feed no longer holds: kept, marked withdrawn, while a screener's
confirmed link points at them; deleted otherwise. Never offered as a new match; still
shown, with a note, where the link was confirmed."""

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.linkage import links
from openmash.linkage.matcher import match_person
from openmash.linkage.models import IndexedPerson, LinkState, PersonLink
from tests.conftest import signed_in
from tests.factories import VALID_NHS_NUMBER
from tests.linkage.test_feeds import a_row, apply, police_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def police(agencies: dict[str, Agency]) -> Agency:
    return agencies["police"]


@pytest.fixture
def police_researcher(personas: dict[str, User]) -> User:
    return personas["police_researcher"]


def link_to(contact: Contact, record: IndexedPerson, state: str) -> PersonLink:
    return PersonLink.objects.create(
        contact_person=contact.people.order_by("position").first(),
        candidate=record,
        probability=0.97,
        explanation=["same NHS number"],
        state=state,
    )


@pytest.fixture
def confirmed_and_suggested(
    police_researcher: User, police: Agency, school_contact: Contact
) -> dict[str, PersonLink]:
    """Police hold A (confirmed as the school contact's child), B (only suggested) and C."""
    apply(
        police_researcher,
        police,
        "replace",
        a_row(source_id="A"),
        a_row(source_id="B"),
        a_row(source_id="C"),
    )
    index = police_index(police)
    return {
        "confirmed": link_to(school_contact, index["A"], LinkState.CONFIRMED),
        "suggested": link_to(school_contact, index["B"], LinkState.SUGGESTED),
    }


def test_it_withdraws_a_confirmed_record_instead_of_deleting_it(
    police_researcher: User, police: Agency, confirmed_and_suggested: dict[str, PersonLink]
) -> None:
    result = apply(police_researcher, police, "replace", a_row(source_id="C"))

    assert (result.added, result.updated, result.removed, result.withdrawn) == (0, 0, 1, 1)
    index = police_index(police)
    assert set(index) == {"A", "C"}
    assert index["A"].withdrawn_at == result.uploaded_at
    assert index["C"].withdrawn_at is None
    # The confirmed link stays; the suggestion went with its record.
    confirmed = PersonLink.objects.get()
    assert confirmed.pk == confirmed_and_suggested["confirmed"].pk
    assert confirmed.state == LinkState.CONFIRMED
    event = AuditEvent.objects.filter(object_type="index_import").latest("pk")
    assert (event.detail["removed"], event.detail["withdrawn"]) == (1, 1)
    links_event = AuditEvent.objects.get(object_type="person_link", action="delete")
    assert links_event.detail == {"index_import_id": result.pk, "links_removed": 1}


def test_it_withdraws_a_record_once_and_counts_it_once(
    police_researcher: User, police: Agency, confirmed_and_suggested: dict[str, PersonLink]
) -> None:
    first = apply(police_researcher, police, "replace", a_row(source_id="C"))
    again = apply(police_researcher, police, "replace", a_row(source_id="C"))

    assert (again.added, again.updated, again.removed, again.withdrawn) == (0, 0, 0, 0)
    assert police_index(police)["A"].withdrawn_at == first.uploaded_at


@pytest.mark.parametrize("mode", ["replace", "delta"])
def test_a_later_import_brings_a_withdrawn_record_back(
    police_researcher: User,
    police: Agency,
    confirmed_and_suggested: dict[str, PersonLink],
    mode: str,
) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="C"))

    back = apply(police_researcher, police, mode, a_row(source_id="A"), a_row(source_id="C"))

    assert (back.added, back.updated, back.removed, back.withdrawn) == (0, 1, 0, 0)
    assert police_index(police)["A"].withdrawn_at is None


def test_a_withdrawn_record_is_deleted_once_no_confirmed_link_points_at_it(
    police_researcher: User,
    police: Agency,
    confirmed_and_suggested: dict[str, PersonLink],
    screener: User,
) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="C"))
    links.link_undo(
        actor=Actor(user=screener),
        link_id=confirmed_and_suggested["confirmed"].pk,
        reason="A cousin",
    )

    result = apply(police_researcher, police, "replace", a_row(source_id="C"))

    assert (result.removed, result.withdrawn) == (1, 0)
    assert set(police_index(police)) == {"C"}
    assert not PersonLink.objects.exists()


def test_the_matcher_never_offers_a_withdrawn_record(
    police_researcher: User, police: Agency, confirmed_and_suggested: dict[str, PersonLink]
) -> None:
    person = {"given_names": "Amy", "family_name": "Smith", "nhs_number": VALID_NHS_NUMBER}
    before = {c.indexed_person_id for c in match_person(**person, date_of_birth=date(2018, 3, 14))}
    index = police_index(police)
    assert index["A"].pk in before

    apply(police_researcher, police, "replace", a_row(source_id="C"))

    after = {c.indexed_person_id for c in match_person(**person, date_of_birth=date(2018, 3, 14))}
    assert index["A"].pk not in after and index["C"].pk in after


def test_it_makes_no_suggestion_of_a_withdrawn_record_whatever_the_matcher_says(
    police_researcher: User,
    police: Agency,
    confirmed_and_suggested: dict[str, PersonLink],
    school_referrer: User,
) -> None:
    from tests.linkage.test_links import earlier_and_new

    apply(police_researcher, police, "replace", a_row(source_id="C"))
    withdrawn = police_index(police)["A"]
    _, new = earlier_and_new(school_referrer)

    def matcher(**person: Any) -> list[links.CandidateLike]:
        return [links.CandidateLike(withdrawn.pk, 0.99, ["same NHS number"])]

    assert links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher) == []


def test_a_suggestion_of_a_withdrawn_record_is_not_shown_nor_confirmed(
    police_researcher: User,
    police: Agency,
    confirmed_and_suggested: dict[str, PersonLink],
    school_referrer: User,
    screener: User,
) -> None:
    from tests.linkage.test_links import earlier_and_new

    _, new = earlier_and_new(school_referrer)
    suggestion = link_to(new, police_index(police)["A"], LinkState.SUGGESTED)
    apply(police_researcher, police, "replace", a_row(source_id="C"))

    assert links.links_for_contact(actor=Actor(user=screener), contact=new) == {}
    with pytest.raises(links.LinkNotOpen, match="no longer holds"):
        links.link_confirm(actor=Actor(user=screener), link_id=suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.state == LinkState.SUGGESTED


def test_the_screening_page_still_shows_the_confirmed_record_with_a_note(
    police_researcher: User,
    police: Agency,
    confirmed_and_suggested: dict[str, PersonLink],
    school_contact: Contact,
    screener: User,
) -> None:
    apply(police_researcher, police, "replace", a_row(source_id="C"))

    page = signed_in(screener).get(reverse("enquiries:screening", args=[school_contact.reference]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Known to Police" in text
    assert "No longer held" in text
    assert "Police no longer holds this record: it left their index feed on" in text


def test_the_import_pages_count_withdrawn_records_apart_from_removed(
    police_researcher: User, police: Agency, confirmed_and_suggested: dict[str, PersonLink]
) -> None:
    result = apply(police_researcher, police, "replace", a_row(source_id="C"))
    client = signed_in(police_researcher)

    detail = client.get(reverse("linkage:import-detail", args=[result.pk])).content.decode()
    history = client.get(reverse("linkage:import-history")).content.decode()

    assert "Withdrawn</dt>" in detail and "kept because a screener confirmed it" in detail
    assert "Withdrawn</th>" in history
    assert "index holds 1 record now, and 1 withdrawn record kept" in history
