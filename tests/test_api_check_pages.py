"""GET /api/v1/checks in pages: 50 a page, due first and then first asked, the same order
on every page; each page recorded as it is sent; the same queries however full a page."""

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openmash.accounts.models import Agency, ApiToken, User
from openmash.area.calendar import LONDON
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import AgencyCheck
from openmash.enquiries.selectors.checks import CHECKS_PER_PAGE
from tests.factories import Hub, a_child, a_parent

CHECKS = "/api/v1/checks"
# A Monday morning: every check below is asked at the same moment.
ASKED = datetime(2026, 10, 5, 9, 0, tzinfo=LONDON)


@pytest.fixture
def police_api(police_token: tuple[ApiToken, str]) -> Client:
    return Client(headers={"Authorization": f"Bearer {police_token[1]}"})


@pytest.fixture
def hub(personas: dict[str, User], agencies: dict[str, Agency]) -> Hub:
    return Hub(users=personas, agencies=agencies)


def ask_the_police(hub: Hub, name: str, rag: str = "amber", *, parents: int = 0) -> None:
    people = [a_child(given_names=name, nhs_number=""), *(a_parent() for _ in range(parents))]
    hub.receive(name, ASKED, people=people)
    hub.take(name, ASKED)
    hub.rate(name, rag, ASKED)
    hub.enquire(name, ["police"], ASKED)


@pytest.fixture
def many_checks(hub: Hub) -> list[int]:
    """52 open police checks, as the API should order them: 50 amber ones asked first,
    all due at the same time, then 2 red ones, due sooner."""
    for number in range(CHECKS_PER_PAGE):
        ask_the_police(hub, f"Amber{number}")
    ask_the_police(hub, "Red0", "red")
    ask_the_police(hub, "Red1", "red")
    checks = AgencyCheck.objects.filter(agency__slug="police").order_by("deadline_at", "id")
    ordered = list(checks.values_list("pk", flat=True))
    assert ordered[:2] == [hub.check("Red0", "police").pk, hub.check("Red1", "police").pk]
    return ordered


def _page(client: Client, page: int | str | None = None) -> dict[str, object]:
    response = client.get(CHECKS, {} if page is None else {"page": page})
    assert response.status_code == 200, response.content
    body: dict[str, object] = response.json()
    return body


def _ids(body: dict[str, object]) -> list[int]:
    return [check["id"] for check in body["checks"]]  # type: ignore[attr-defined,index]


def test_it_pages_the_checks_due_first_then_first_asked(
    police_api: Client, many_checks: list[int]
) -> None:
    first, second, after = _page(police_api), _page(police_api, 2), _page(police_api, 3)

    assert first["count"] == second["count"] == after["count"] == 52
    assert _ids(first) == many_checks[:50]
    assert _ids(second) == many_checks[50:]
    assert after["checks"] == []
    assert _ids(_page(police_api, 1)) == _ids(first)


def test_it_never_sends_more_than_50_checks_a_page(
    police_api: Client, many_checks: list[int]
) -> None:
    assert CHECKS_PER_PAGE == 50
    assert len(_ids(_page(police_api))) == 50
    # There is no page size to ask for: asking for one is refused, not ignored (ADR 0024).
    response = police_api.get(CHECKS, {"page_size": 1000, "limit": 1000})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["page_size", "limit"]


def test_it_records_only_the_checks_on_the_page_it_sends(
    police_api: Client, many_checks: list[int]
) -> None:
    body = _page(police_api, 2)

    listed = AuditEvent.objects.filter(action=AuditAction.LIST, object_type="agency_check")
    assert sorted(int(event.object_id) for event in listed) == sorted(_ids(body))


def test_it_answers_a_page_after_the_last_with_no_checks(police_api: Client, hub: Hub) -> None:
    ask_the_police(hub, "Only")

    assert _page(police_api, 2) == {"count": 1, "checks": []}
    assert _page(police_api, 10**12) == {"count": 1, "checks": []}


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", str(2**63)])
def test_it_refuses_a_page_that_is_not_a_page_number(
    police_api: Client, hub: Hub, page: str
) -> None:
    response = police_api.get(CHECKS, {"page": page})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["page"]
    assert not AuditEvent.objects.filter(object_type="agency_check").exists()


def test_the_queries_do_not_grow_with_the_checks_on_a_page(police_api: Client, hub: Hub) -> None:
    ask_the_police(hub, "First")
    ask_the_police(hub, "Second", parents=1)
    _page(police_api)  # The token's use is recorded at most every 5 minutes: not in these.
    with CaptureQueriesContext(connection) as few:
        assert len(_ids(_page(police_api))) == 2

    for number in range(5):
        ask_the_police(hub, f"More{number}", "red", parents=2)
    with CaptureQueriesContext(connection) as more:
        body = _page(police_api)

    assert len(_ids(body)) == 7
    assert len(more.captured_queries) == len(few.captured_queries)
    people = {check["id"]: len(check["people"]) for check in body["checks"]}  # type: ignore[attr-defined]
    assert sorted(people.values()) == [1] + [2] + [3] * 5


def test_it_documents_the_pages(db: None) -> None:
    operation = Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/checks"]["get"]

    [page] = operation["parameters"]
    assert (page["name"], page["in"], page["required"]) == ("page", "query", False)
    assert page["schema"]["minimum"] == 1
    assert page["schema"]["default"] == 1
    assert "50 a page" in operation["description"]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
