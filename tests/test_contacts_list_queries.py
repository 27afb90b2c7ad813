"""The contact lists cost a fixed number of queries whatever the number of rows (no N+1).

Each list shows up to 50 contacts with their people and factors; the queries for a page
of 3 contacts and a full page of 50 (out of 60) must be the same. Timings are not asserted
here: they are measured by bench/contact_list.py and recorded in docs/BENCHMARKS.md.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import User
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.contacts.submission import ConcernDetails
from openmash.core.audit import Actor
from tests.conftest import signed_in
from tests.factories import a_child, a_parent, a_submission

FACTOR_SETS = [["16A"], ["3B", "4B"], ["1B", "2B", "17A"]]
SIBLING_NAMES = ["Ben", "Cara", "Dev"]


def make_contacts(user: User, count: int) -> list[Contact]:
    """Contacts with 2 to 5 people and 1 to 3 factors each, so prefetching is exercised."""
    made = []
    for number in range(count):
        siblings = [
            a_child(role=PersonRole.SIBLING, given_names=name, nhs_number="")
            for name in SIBLING_NAMES[: number % 4]
        ]
        submission = a_submission(
            people=[a_child(given_names=f"Amy{number}"), *siblings, a_parent()],
            concerns=ConcernDetails(
                factor_codes=FACTOR_SETS[number % len(FACTOR_SETS)],
                description="Amy arrives hungry and says mum stays in bed all day.",
                immediate_risk=number % 5 == 0,
                referrer_level_of_need=2,
            ),
        )
        contact, _ = contact_create(actor=Actor(user=user), submission=submission)
        made.append(contact)
    return made


def queries_for(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def next_page_query(client: Client, path: str) -> str:
    """The query string of the page's link to the next page (page=2, or a keyset cursor)."""
    html = client.get(path).content.decode()
    found = re.search(r'href="\?([^"]+)" rel="next"', html)
    assert found is not None, "no link to the next page"
    return found.group(1).replace("&amp;", "&")


def shown(client: Client, path: str, contacts: list[Contact]) -> int:
    html = client.get(path).content.decode()
    return sum(contact.reference in html for contact in contacts)


@pytest.mark.parametrize(
    ("persona", "path"),
    [("screener", "/contacts/"), ("school_referrer", "/contacts/submitted/")],
)
def test_a_contact_list_uses_the_same_queries_for_3_and_60_contacts(
    persona: str,
    path: str,
    personas: dict[str, User],
    school_referrer: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = signed_in(personas[persona])
    contacts = make_contacts(school_referrer, 3)
    client.get(path)  # warm-up: nothing cached across requests should matter, but be fair
    few = queries_for(client, path)
    assert shown(client, path, contacts) == 3

    contacts += make_contacts(school_referrer, 57)
    many = queries_for(client, path)
    assert shown(client, path, contacts) == 50, "a full first page of the 60"

    assert len(many) == len(few), "\n".join(["3 contacts:", *few, "", "60 contacts:", *many])
    second = f"{path}?{next_page_query(client, path)}"  # the last 10 of the 60
    with django_assert_max_num_queries(len(few)):
        client.get(second)
    assert shown(client, second, contacts) == 10
