"""Keyset paging (openmash.core.keyset) on the new contacts list: every contact shown
once, in a stable order, forwards and backwards, with contacts received at the same
moment told apart by id; a capped count; a broken cursor shows the first page."""

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client

from openmash.accounts.models import User
from openmash.area.calendar import LONDON
from openmash.contacts.models import Contact
from openmash.contacts.selectors import contact_page_new
from openmash.core.audit import Actor
from openmash.core.keyset import Cursor, capped_count
from tests.conftest import signed_in
from tests.test_contacts_list_queries import make_contacts

# Pages of 50: 123 contacts make three pages, the last of 23.
CONTACTS = 123
# Many contacts share a received moment, so the order must fall back to the id.
SAME_MOMENT = datetime(2026, 3, 4, 10, 0, tzinfo=LONDON)


@pytest.fixture
def contacts(school_referrer: User) -> list[Contact]:
    made = make_contacts(school_referrer, CONTACTS)
    for number, contact in enumerate(made):
        # Three moments in all, forty-odd contacts at each.
        Contact.objects.filter(pk=contact.pk).update(
            received_at=SAME_MOMENT - timedelta(hours=number % 3)
        )
    return made


def _expected() -> list[int]:
    return list(
        Contact.objects.filter(state="received")
        .order_by("-received_at", "-id")
        .values_list("pk", flat=True)
    )


def test_it_shows_every_contact_once_in_order_across_the_pages(
    contacts: list[Contact], screener: User
) -> None:
    actor = Actor(user=screener)
    seen: list[int] = []
    pages = []
    page = contact_page_new(actor=actor)
    while True:
        pages.append(page)
        seen += [contact.pk for contact in page.object_list]
        if not page.has_next:
            break
        page = contact_page_new(actor=actor, after=page.next_cursor)
    assert [len(each.object_list) for each in pages] == [50, 50, 23]
    assert seen == _expected()
    assert len(set(seen)) == CONTACTS
    assert not pages[0].has_previous
    # And back again from the last page: the same pages, the same rows.
    back = [pages[-1]]
    while back[-1].has_previous:
        back.append(contact_page_new(actor=actor, before=back[-1].previous_cursor))
    assert [[c.pk for c in each.object_list] for each in reversed(back)] == [
        [c.pk for c in each.object_list] for each in pages
    ]
    assert not back[-1].has_previous


def test_it_pages_by_the_links_on_the_page(contacts: list[Contact], screener: User) -> None:
    client: Client = signed_in(screener)
    path, shown = "/contacts/", []
    for _ in range(5):
        html = client.get(path).content.decode()
        shown += [c.reference for c in contacts if c.reference in html]
        found = re.search(r'href="(\?after=[^"]+)" rel="next"', html)
        if found is None:
            break
        path = "/contacts/" + found.group(1).replace("&amp;", "&")
    assert sorted(shown) == sorted(c.reference for c in contacts)
    assert "123 in all" in client.get("/contacts/").content.decode()


@pytest.mark.parametrize(
    "cursor", ["", "nonsense", "2026-03-04~x", "2026-03-04T10:00:00~5", "x" * 500, "~"]
)
def test_a_broken_cursor_shows_the_first_page(
    contacts: list[Contact], screener: User, cursor: str
) -> None:
    assert Cursor.parse(cursor) is None
    response = signed_in(screener).get("/contacts/", {"after": cursor, "before": cursor})
    assert response.status_code == 200
    first = contact_page_new(actor=Actor(user=screener))
    assert first.object_list[0].reference in response.content.decode()


def test_the_count_stops_at_the_cap(contacts: list[Contact]) -> None:
    received = Contact.objects.filter(state="received")
    assert capped_count(received, cap=1000) == (CONTACTS, False)
    assert capped_count(received, cap=100) == (100, True)
