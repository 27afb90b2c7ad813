"""The indicators page: every indicator with its definition, aggregates only, for MASH
managers and analysts; the same number of queries however many contacts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.metrics.indicators import INDICATORS
from tests.conftest import signed_in
from tests.metrics.conftest import CHILD_NAMES, EARLY_HELP, REFERRERS, Hub

pytestmark = pytest.mark.django_db

URL = reverse("metrics:dashboard")
THE_WEEK = {
    "start_day": "5",
    "start_month": "10",
    "start_year": "2026",
    "end_day": "11",
    "end_month": "10",
    "end_year": "2026",
}


def _names_of_people(hub: Hub, viewer: User) -> list[str]:
    """Everyone named in the week's contacts, and every member of staff but the viewer
    (whose own name is in the page's header)."""
    children = [f"{given} {family}" for given, family in CHILD_NAMES.values()]
    children += [family for _, family in CHILD_NAMES.values()]
    referrers = [name for name, _, _ in REFERRERS.values()]
    staff = [user.display_name for user in hub.users.values() if user.pk != viewer.pk]
    return children + referrers + staff


@pytest.mark.parametrize("persona", ["manager", "analyst"])
def test_it_shows_every_indicator_with_its_definition_and_no_names(week: Hub, persona: str) -> None:
    viewer = week.users[persona]
    response = signed_in(viewer).get(URL, THE_WEEK)

    assert response.status_code == 200
    page = response.context["page"]
    shown = [section.key for group in page.groups for section in group.indicators]
    assert sorted(shown) == sorted(INDICATORS)
    html = response.content.decode()
    for key in INDICATORS:
        assert f'id="indicator-{key}"' in html, key
    assert html.count("How this is worked out") == len(INDICATORS)
    assert "Every contact received in the period, whatever happened to it next." in html
    tiles = {tile.key: tile.value for tile in page.tiles}
    assert tiles["contacts_received"] == "8"
    # Decided in time by RAG rating, never blended (issue 12): 4 of the 7 due overall.
    in_time = {tile.key: (tile.value, tile.hint) for tile in page.tiles if tile.rag}
    assert "decided_in_time" not in tiles
    # A week of a few contacts: too few for a share (issue 16), each says so with its count.
    assert {key: value for key, (value, _) in in_time.items()} == {
        "decided_in_time_red": "Not enough to say",
        "decided_in_time_amber": "Not enough to say",
        "decided_in_time_green": "Not enough to say",
        "decided_in_time_none": "Not enough to say",
    }
    assert in_time["decided_in_time_amber"][1] == (
        "2 of 3 due by the RAG rating's deadline (at least 10 needed)"
    )
    assert tiles["open_at_end"] == "4"
    for name in _names_of_people(week, viewer):
        assert name not in html, name


def test_it_filters_the_figures(week: Hub) -> None:
    response = signed_in(week.users["manager"]).get(URL, {**THE_WEEK, "rag": "amber"})
    tiles = {tile.key: tile.value for tile in response.context["page"].tiles}
    assert tiles["contacts_received"] == "3"
    assert response.context["is_filtered"]


def test_it_shows_the_last_28_days_by_default(personas: dict[str, User]) -> None:
    response = signed_in(personas["analyst"]).get(URL)
    f = response.context["page"].filter
    today = timezone.localdate()
    assert (f.start, f.end) == (today - timedelta(days=27), today)


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"end_day": "1", "end_month": "10", "end_year": "2026"}, "End date must be the same"),
        ({"start_day": "31", "start_month": "2", "start_year": "2026"}, "must be a real date"),
        ({"start_day": "1", "start_month": "1", "start_year": "2024"}, "366 days or shorter"),
        ({"start_day": "1", "start_month": "1", "start_year": "2099"}, "today or in the past"),
    ],
)
def test_it_explains_a_period_it_cannot_show(
    personas: dict[str, User], sent: dict[str, str], message: str
) -> None:
    response = signed_in(personas["manager"]).get(URL, {**THE_WEEK, **sent})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["school_referrer", "police_researcher", "screener", "auditor", "no_role"]
)
def test_it_refuses_everyone_else(personas: dict[str, User], persona: str) -> None:
    assert signed_in(personas[persona]).get(URL).status_code == 403


def test_it_sends_a_visitor_to_sign_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return len(captured)


def _contacts(hub: Hub, first: int, count: int) -> None:
    """Contacts from yesterday on, at every stage: new, rated, decided and handed on."""
    start = timezone.now() - timedelta(days=1)
    for number in range(first, first + count):
        name = f"N{number}"
        when = start + timedelta(minutes=number)
        hub.receive(name, when, "2A")
        if number % 3 == 0:
            continue
        hub.take(name, when)
        hub.rate(name, "amber", when)
        hub.enquire(name, ["police"] if number % 3 == 1 else [], when)
        if number % 3 == 2:
            hub.decide(name, EARLY_HELP, when)


def test_it_reads_the_page_in_the_same_number_of_queries_for_3_or_30_contacts(hub: Hub) -> None:
    client = signed_in(hub.users["manager"])
    _contacts(hub, 0, 3)
    client.get(URL)  # the session and the user's roles, loaded once
    few = _queries(client)
    _contacts(hub, 3, 27)
    many = _queries(client)
    assert few == many
    # 65: the two strategy discussion timings add two queries each (counts, percentiles);
    # the protective marking every page prints one.
    assert many <= 65, f"{many} queries: has an indicator started fetching rows?"
