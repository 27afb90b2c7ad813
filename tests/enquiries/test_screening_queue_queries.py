"""The screening pages read the same number of queries however many contacts they show."""

from datetime import date

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.services.screening import (
    contact_pass_to_allocated_worker,
    contact_rate,
    contact_take,
)
from openmash.linkage import links
from openmash.linkage.models import IndexedPerson, PersonLink
from tests.conftest import signed_in
from tests.factories import a_child, a_submission


def _contact(referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    return contact


def _rated(referrer: User, screener: User) -> Contact:
    contact = _contact(referrer)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag="green", rationale="Low risk."
    )
    return contact


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_it_reads_the_queue_in_the_same_number_of_queries_for_1_or_30_contacts(
    school_referrer: User, screener: User, second_screener: User
) -> None:
    client = signed_in(screener)
    url = reverse("enquiries:screening-queue")
    _rated(school_referrer, screener)
    client.get(url)  # the session and the user's roles, loaded once
    one = _queries(client, url)

    for number in range(29):
        if number % 3 == 0:
            _rated(school_referrer, second_screener)
        else:
            _contact(school_referrer)
    thirty = _queries(client, url)

    assert one == thirty
    assert len(client.get(url).context["rows"]) == 30


def test_it_reads_the_screening_page_in_the_same_number_of_queries_for_1_or_6_other_contacts(
    school_referrer: User, screener: User, manager: User
) -> None:
    client = signed_in(screener)
    _contact(school_referrer)
    contact = _contact(school_referrer)
    url = reverse("enquiries:screening", kwargs={"reference": contact.reference})
    client.get(url)
    one = _queries(client, url)

    for _ in range(2):
        _contact(school_referrer)
    for _ in range(3):
        passed = _contact(school_referrer)
        contact_take(actor=Actor(user=screener), contact_id=passed.pk)
        contact_pass_to_allocated_worker(
            actor=Actor(user=screener),
            contact_id=passed.pk,
            allocated_worker="Sam Patel",
            rationale="Open to the children in need team.",
        )
    six = _queries(client, url)

    assert one == six
    html = client.get(url).content.decode()
    assert html.count("Already open: passed to the allocated worker") == 3


def _counts_of_open_contacts(client: Client, url: str) -> int:
    """How many statements counted the rows of a list of contacts (as a paginator counts
    them) for one request of the queue."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum(
        1
        for query in captured
        if query["sql"].startswith('SELECT COUNT(*) AS "__count"')
        and '"contacts_contact"' in query["sql"]
    )


def test_the_unfiltered_queue_counts_its_open_contacts_once_and_pages_them_all(
    school_referrer: User, screener: User
) -> None:
    client = signed_in(screener)
    url = reverse("enquiries:screening-queue")
    for number in range(55):
        contact = _contact(school_referrer)
        if number < 5:
            contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    client.get(url)

    # The open, overdue and urgent counts come from one statement, which also pages them
    # (the statement that counts them is not a paginator's).
    assert _counts_of_open_contacts(client, url) == 0
    first = client.get(url).context
    assert first["page"].paginator.count == first["queue"].open_count == 55
    assert first["page"].paginator.num_pages == 2
    assert len(client.get(url, {"page": 2}).context["rows"]) == 5

    # A filter pages only the contacts it chooses, counted on their own.
    assert _counts_of_open_contacts(client, url + "?assigned=me") == 1
    mine = client.get(url, {"assigned": "me"}).context
    assert mine["page"].paginator.count == 5
    assert mine["queue"].open_count == 55
    assert mine["page"].paginator.num_pages == 1


def test_a_child_with_a_confirmed_match_costs_the_queue_only_the_records_it_follows(
    school_referrer: User, screener: User
) -> None:
    """The links and identifier conflicts the queue reads for its children's cumulative
    concern are not read again to follow a confirmed match: only the linked records,
    their conflicts and the records they bring (those sharing an identifier or a linked
    record, and those sharing a name and date of birth: two queries)."""
    client = signed_in(screener)
    url = reverse("enquiries:screening-queue")
    earlier, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(people=[a_child(nhs_number="", date_of_birth=date(2017, 3, 7))]),
    )
    # Misspelt surname, day and month swapped, no NHS number: only a confirmed link joins them.
    new, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[a_child(family_name="Smyth", nhs_number="", date_of_birth=date(2017, 7, 3))]
        ),
    )
    client.get(url)
    unlinked = _queries(client, url)

    link = PersonLink.objects.create(
        contact_person=new.people.get(),
        candidate=IndexedPerson.objects.get(contact_person=earlier.people.get()),
        probability=0.97,
    )
    links.link_confirm(actor=Actor(user=screener), link_id=link.pk)
    linked = _queries(client, url)

    assert linked == unlinked + 4
