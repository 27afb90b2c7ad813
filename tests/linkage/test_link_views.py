"""The screening page's possible matches: confirm, reject and undo through the page."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from openmash.enquiries.services.screening import contact_take
from openmash.linkage import links
from openmash.linkage.models import LinkState, PersonLink
from tests.conftest import signed_in
from tests.linkage.test_links import earlier_and_new, matcher_returning


@pytest.fixture
def suggestion(school_referrer: User) -> tuple[Contact, PersonLink]:
    _, new = earlier_and_new(school_referrer)
    [link] = links.links_suggest_for_contact(contact_id=new.pk, matcher=matcher_returning(0.93))
    return new, link


def test_it_shows_each_suggestion_with_its_explanation(
    suggestion: tuple[Contact, PersonLink], screener: User
) -> None:
    contact, link = suggestion
    page = signed_in(screener).get(reverse("enquiries:screening", args=[contact.reference]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Possible matches" in text
    assert "93.0%" in text
    assert "same date of birth; surname similar" in text
    earlier = link.candidate.contact_person.contact  # type: ignore[union-attr]
    assert earlier.reference in text


@pytest.mark.parametrize(
    ("action", "state"), [("confirm", LinkState.CONFIRMED), ("reject", LinkState.REJECTED)]
)
def test_a_screener_decides_a_suggestion(
    suggestion: tuple[Contact, PersonLink], screener: User, action: str, state: str
) -> None:
    contact, link = suggestion
    url = reverse(f"enquiries:screening-link-{action}", args=[contact.reference, link.pk])
    response = signed_in(screener).post(url)
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.state == state and link.decided_by == screener


def test_undoing_a_link_needs_a_reason(
    suggestion: tuple[Contact, PersonLink], screener: User
) -> None:
    contact, link = suggestion
    client = signed_in(screener)
    client.post(reverse("enquiries:screening-link-confirm", args=[contact.reference, link.pk]))
    undo = reverse("enquiries:screening-link-undo", args=[contact.reference, link.pk])
    refused = client.post(undo, {"reason": ""})
    assert refused.status_code == 400
    assert "Enter why the link is wrong" in refused.content.decode()
    assert client.post(undo, {"reason": "Twin sister, not Amy"}).status_code == 302
    link.refresh_from_db()
    assert link.state == LinkState.UNDONE


def test_deciding_twice_gives_a_clear_message(
    suggestion: tuple[Contact, PersonLink], screener: User
) -> None:
    contact, link = suggestion
    client = signed_in(screener)
    url = reverse("enquiries:screening-link-reject", args=[contact.reference, link.pk])
    client.post(url)
    again = client.post(url)
    assert again.status_code == 409
    assert "rejected already" in again.content.decode()


def test_a_link_of_another_contact_is_not_found(
    suggestion: tuple[Contact, PersonLink], screener: User, school_contact: Contact
) -> None:
    _, link = suggestion
    url = reverse("enquiries:screening-link-confirm", args=[school_contact.reference, link.pk])
    assert signed_in(screener).post(url).status_code == 404


def test_only_the_mash_decides_matches(
    suggestion: tuple[Contact, PersonLink], school_referrer: User
) -> None:
    contact, link = suggestion
    url = reverse("enquiries:screening-link-confirm", args=[contact.reference, link.pk])
    assert signed_in(school_referrer).post(url).status_code == 403
    link.refresh_from_db()
    assert link.state == LinkState.SUGGESTED


# --- Only the contact's screener (or a MASH manager) decides its matches ---------------


@pytest.fixture
def another_screener(make_user: Callable[..., User]) -> User:
    return make_user("second_screener", Role.SCREENER, "csc")


@pytest.fixture
def taken_suggestion(
    suggestion: tuple[Contact, PersonLink], screener: User
) -> tuple[Contact, PersonLink]:
    """The suggestion's contact, taken for screening by the screener."""
    contact, link = suggestion
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    return contact, link


@pytest.mark.parametrize("action", ["confirm", "reject"])
def test_another_screener_cannot_decide_a_match_on_a_contact_they_have_not_taken(
    taken_suggestion: tuple[Contact, PersonLink], another_screener: User, action: str
) -> None:
    contact, link = taken_suggestion
    url = reverse(f"enquiries:screening-link-{action}", args=[contact.reference, link.pk])

    response = signed_in(another_screener).post(url)

    assert response.status_code == 403
    assert "the contact is being screened by someone else" in response.content.decode()
    link.refresh_from_db()
    assert link.state == LinkState.SUGGESTED and link.decided_by is None
    assert not AuditEvent.objects.filter(object_type="person_link").exists()


def test_another_screener_cannot_undo_a_link_on_a_contact_they_have_not_taken(
    taken_suggestion: tuple[Contact, PersonLink], screener: User, another_screener: User
) -> None:
    contact, link = taken_suggestion
    links.link_confirm(actor=Actor(user=screener), link_id=link.pk)
    url = reverse("enquiries:screening-link-undo", args=[contact.reference, link.pk])

    assert signed_in(another_screener).post(url, {"reason": "Not her"}).status_code == 403

    link.refresh_from_db()
    assert link.state == LinkState.CONFIRMED
    with pytest.raises(PermissionDenied):
        links.link_undo(actor=Actor(user=another_screener), link_id=link.pk, reason="Not her")


@pytest.mark.parametrize("action", ["confirm", "reject"])
def test_the_screener_who_took_the_contact_decides_its_matches(
    taken_suggestion: tuple[Contact, PersonLink], screener: User, action: str
) -> None:
    contact, link = taken_suggestion
    url = reverse(f"enquiries:screening-link-{action}", args=[contact.reference, link.pk])
    assert signed_in(screener).post(url).status_code == 302
    link.refresh_from_db()
    assert link.decided_by == screener


def test_a_mash_manager_decides_matches_on_any_screeners_contact(
    taken_suggestion: tuple[Contact, PersonLink], personas: dict[str, User]
) -> None:
    contact, link = taken_suggestion
    manager = personas["manager"]
    url = reverse("enquiries:screening-link-confirm", args=[contact.reference, link.pk])
    assert signed_in(manager).post(url).status_code == 302
    link.refresh_from_db()
    assert (link.state, link.decided_by) == (LinkState.CONFIRMED, manager)


def test_another_screener_sees_the_matches_without_the_buttons(
    taken_suggestion: tuple[Contact, PersonLink], screener: User, another_screener: User
) -> None:
    contact, link = taken_suggestion
    page_url = reverse("enquiries:screening", args=[contact.reference])
    confirm = reverse("enquiries:screening-link-confirm", args=[contact.reference, link.pk])

    theirs = signed_in(another_screener).get(page_url).content.decode()
    own = signed_in(screener).get(page_url).content.decode()

    assert "93.0%" in theirs and "Awaiting the screener" in theirs
    assert confirm not in theirs
    assert confirm in own
