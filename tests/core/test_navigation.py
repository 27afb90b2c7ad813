"""The service navigation (issue 16, item 2): a few task groups on one line, each opening
its first page; the current group's pages as a sub-navigation."""

import re

import pytest
from django.urls import reverse

from openmash.accounts.models import User
from tests.conftest import signed_in


def groups(page: str) -> list[str]:
    menu = page.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="govuk-service-navigation__link" href="[^"]+"[^>]*>([^<]+)<', menu)


def sub_navigation(page: str) -> list[str]:
    if "moj-sub-navigation" not in page:
        return []
    block = page.split('class="moj-sub-navigation', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'class="moj-sub-navigation__link" href="[^"]+"[^>]*>([^<]+)<', block)


@pytest.mark.django_db
def test_a_manager_has_five_items_and_casework_opens_on_the_screening_queue(
    personas: dict[str, User],
) -> None:
    client = signed_in(personas["manager"])

    home = client.get(reverse("home:home")).content.decode()
    queue = client.get(reverse("enquiries:screening-queue")).content.decode()

    # Administration: the users and roles of the hub's workers, and failed deliveries.
    assert groups(home) == [
        "Casework",
        "Find a child",
        "Make a contact",
        "Reports",
        "Administration",
    ]
    assert sub_navigation(home) == []
    assert sub_navigation(queue) == [
        "Screening queue",
        "Decisions",
        "Allocate checks",
        "Handed on",
        "Strategy discussions",
    ]
    assert 'aria-current="page">Screening queue<' in queue
    assert re.search(r'govuk-service-navigation__item--active">\s*<a[^>]+>Casework<', queue)


@pytest.mark.django_db
def test_a_group_of_one_page_is_named_as_the_page(personas: dict[str, User]) -> None:
    researcher_home = signed_in(personas["police_researcher"]).get("/").content.decode()
    referrer_home = signed_in(personas["school_referrer"]).get("/").content.decode()

    assert groups(researcher_home) == ["Casework", "Find a child", "Index feed"]
    assert groups(referrer_home) == ["Strategy discussions", "Contacts"]
    referrer_page = signed_in(personas["school_referrer"]).get(reverse("contacts:create"))
    assert sub_navigation(referrer_page.content.decode()) == ["Make a contact", "Your contacts"]


@pytest.mark.django_db
def test_a_contacts_own_page_is_in_casework(personas: dict[str, User]) -> None:
    page = signed_in(personas["screener"]).get(reverse("enquiries:find-child")).content.decode()

    assert "Find a child" in groups(page)
    assert re.search(r'govuk-service-navigation__item--active">\s*<a[^>]+>Find a child<', page)
