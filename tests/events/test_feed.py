"""GET /api/v1/events: the token's agency's events, in order, from a cursor."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openmash.accounts.models import Agency
from openmash.accounts.services import api_token_issue
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import HandOn
from openmash.events.models import Event


def system_of(agency: Agency) -> Client:
    _, secret = api_token_issue(agency=agency, name=f"{agency.slug} system", issued_by="test")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def ids(response: Any) -> list[str]:
    return [event["id"] for event in response.json()["events"]]


def test_each_agency_reads_only_its_own_events(
    hand_on_to_early_help: Callable[[], HandOn], agencies: dict[str, Agency]
) -> None:
    hand_on_to_early_help()

    early_help = system_of(agencies["early-help"]).get("/api/v1/events")
    school = system_of(agencies["riverside"]).get("/api/v1/events")
    police = system_of(agencies["police"]).get("/api/v1/events")

    assert [e["kind"] for e in early_help.json()["events"]] == [
        "decision.recorded",
        "hand_on.created",
    ]
    assert [e["kind"] for e in school.json()["events"]] == ["outcome.sent_to_referrer"]
    assert police.json() == {"events": [], "next_cursor": 0, "has_more": False}
    # The school's system, which made the contact, never gets the hand-on's child details.
    assert "children" not in str(school.json())


def test_the_cursor_pages_through_every_event_once_in_order(
    hand_on_to_early_help: Callable[[], HandOn], agencies: dict[str, Agency]
) -> None:
    for _ in range(3):
        hand_on_to_early_help()
    client = system_of(agencies["early-help"])
    expected = [
        str(event_id)
        for event_id in Event.objects.filter(recipient_team="early_help")
        .order_by("sequence")
        .values_list("event_id", flat=True)
    ]

    seen: list[str] = []
    after = 0
    pages = 0
    while True:
        body = client.get("/api/v1/events", {"after": after, "limit": 4}).json()
        seen += [event["id"] for event in body["events"]]
        after = body["next_cursor"]
        pages += 1
        if not body["has_more"]:
            break

    assert seen == expected
    assert pages == 2
    # Past the end: nothing, and the same cursor back.
    assert client.get("/api/v1/events", {"after": after}).json() == {
        "events": [],
        "next_cursor": after,
        "has_more": False,
    }


def test_reading_the_feed_is_audited(
    hand_on_to_early_help: Callable[[], HandOn], agencies: dict[str, Agency]
) -> None:
    hand_on = hand_on_to_early_help()

    system_of(agencies["early-help"]).get("/api/v1/events")

    listed = AuditEvent.objects.filter(object_type="event", action=AuditAction.LIST)
    assert listed.count() == 2
    assert {event.contact_id for event in listed} == {hand_on.contact_id}
    assert all(event.actor_token is not None for event in listed)


@pytest.mark.parametrize("query", [{"after": -1}, {"limit": 0}, {"limit": 501}, {"after": "x"}])
def test_a_bad_cursor_or_limit_is_a_field_error(
    query: dict[str, object], agencies: dict[str, Agency]
) -> None:
    response = system_of(agencies["early-help"]).get("/api/v1/events", query)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] in query


def test_the_feed_needs_a_token(db: None) -> None:
    assert Client().get("/api/v1/events").status_code == 401


def test_the_feed_is_documented(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/events"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"after", "limit"}
    assert "next_cursor" in operation["description"]
    event = schema["components"]["schemas"]["EventOut"]
    assert set(event["properties"]) == {"id", "sequence", "kind", "created_at", "data"}
    assert "hand_on.created" in event["properties"]["kind"]["enum"]


def test_the_feed_reads_in_a_flat_number_of_queries(
    hand_on_to_early_help: Callable[[], HandOn], agencies: dict[str, Agency]
) -> None:
    client = system_of(agencies["early-help"])
    hand_on_to_early_help()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/events").status_code == 200
        return len(captured)

    queries()  # the token's first use is recorded once
    few = queries()
    for _ in range(4):
        hand_on_to_early_help()
    assert Event.objects.filter(recipient_team="early_help").count() == 10
    assert queries() == few
