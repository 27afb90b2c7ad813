"""The administrators' pages: configuring endpoints, and the deliveries that failed with a
button to try each again."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import HandOn
from openmash.events.models import Delivery, DeliveryStatus, WebhookEndpoint
from tests.conftest import signed_in
from tests.events.conftest import SECRET_VARIABLE, Receiver

VALID = {
    "name": "Early help case system",
    "recipient": "team:early_help",
    "url": "https://cases.example.gov.uk/openmash/events",
    "secret_variable": SECRET_VARIABLE,
    "active": "yes",
}


@pytest.mark.parametrize("persona", ["manager", "screener", "early_help_coordinator", "no_role"])
def test_only_administrators_configure_endpoints(persona: str, personas: dict[str, User]) -> None:
    client = signed_in(personas[persona])
    assert client.get(reverse("events:endpoints")).status_code == 403
    assert client.post(reverse("events:endpoint-create"), VALID).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_an_administrator_adds_an_endpoint_and_it_is_audited(
    administrator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(administrator)
    assert client.get(reverse("events:endpoint-create")).status_code == 200

    response = client.post(reverse("events:endpoint-create"), VALID)

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.recipient_team, endpoint.url, endpoint.active) == (
        "early_help",
        VALID["url"],
        True,
    )
    audit = AuditEvent.objects.get(object_type="webhook_endpoint")
    assert audit.action == AuditAction.CREATE
    assert audit.actor_user == administrator
    page = client.get(reverse("events:endpoints")).content.decode()
    assert "Early help case system" in page
    assert f"<code>{SECRET_VARIABLE}</code>: Not set" in page
    monkeypatch.setenv(SECRET_VARIABLE, "x" * 40)
    page = client.get(reverse("events:endpoints")).content.decode()
    assert f"<code>{SECRET_VARIABLE}</code>: Set" in page
    assert "x" * 40 not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "http://cases.example.gov.uk/hook", "Enter an https address"),
        ("url", "cases.example.gov.uk", "Enter the full address"),
        ("secret_variable", "SECRET_KEY", "OPENMASH_WEBHOOK_SECRET_"),
        ("recipient", "agency:999999", "Select who receives the events"),
        ("recipient", "", "Select who receives the events"),
        ("name", "", "Enter the name of the system that receives the events"),
        ("active", "", "Select whether to send events to this endpoint"),
    ],
)
def test_a_bad_endpoint_gets_a_field_error_and_saves_nothing(
    administrator: User, field: str, value: str, message: str
) -> None:
    response = signed_in(administrator).post(
        reverse("events:endpoint-create"), {**VALID, field: value}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'id="id_{field}-error"' in page or f'id="{field}-error"' in page
    assert message in page
    assert not WebhookEndpoint.objects.exists()


def test_an_administrator_switches_an_endpoint_off(
    administrator: User, early_help_endpoint: WebhookEndpoint
) -> None:
    response = signed_in(administrator).post(
        reverse("events:endpoint-edit", args=[early_help_endpoint.pk]),
        {**VALID, "url": early_help_endpoint.url, "active": "no"},
    )

    assert response.status_code == 302
    early_help_endpoint.refresh_from_db()
    assert early_help_endpoint.active is False
    audit = AuditEvent.objects.get(object_type="webhook_endpoint", action=AuditAction.UPDATE)
    assert audit.detail["before"]["active"] is True
    assert audit.detail["after"]["active"] is False


def failed_page(user: User) -> str:
    response = signed_in(user).get(reverse("events:failed-deliveries"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_manager_sees_a_failed_delivery_and_tries_it_again(
    receiver: Receiver,
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hand_on = hand_on_to_early_help()  # the receiver is down
    page = failed_page(manager)
    assert hand_on.contact.reference in page
    assert "Could not reach the receiving system" in page
    assert page.count("Try again") == 2
    delivery = Delivery.objects.order_by("pk").first()
    assert delivery is not None

    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(manager).post(reverse("events:delivery-retry", args=[delivery.pk]))

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert [r.headers["OpenMASH-Event-Id"] for r in receiver.requests] == [
        str(delivery.event.event_id)
    ]
    retried = AuditEvent.objects.get(object_type="event_delivery", action=AuditAction.UPDATE)
    assert retried.actor_user == manager
    assert retried.contact_id == hand_on.contact_id
    assert failed_page(manager).count("Try again") == 1

    # Delivered already: refused, and not sent again.
    again = signed_in(manager).post(reverse("events:delivery-retry", args=[delivery.pk]))
    assert again.status_code == 409
    assert "This event has been delivered." in again.content.decode()
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("persona", ["screener", "early_help_coordinator", "no_role"])
def test_others_may_not_see_or_retry_failed_deliveries(
    persona: str,
    personas: dict[str, User],
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hand_on_to_early_help()
    delivery = Delivery.objects.first()
    assert delivery is not None
    client = signed_in(personas[persona])

    assert client.get(reverse("events:failed-deliveries")).status_code == 403
    assert client.post(reverse("events:delivery-retry", args=[delivery.pk])).status_code == 403
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_the_failed_deliveries_page_reads_in_a_flat_number_of_queries(
    early_help_endpoint: WebhookEndpoint,
    hand_on_to_early_help: Callable[[], HandOn],
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("events:failed-deliveries")).status_code == 200
        return len(captured)

    with django_capture_on_commit_callbacks(execute=True):
        hand_on_to_early_help()
    few = queries()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            hand_on_to_early_help()
    assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 8
    assert queries() == few
