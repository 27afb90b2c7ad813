"""What the outbox pages show about an endpoint and a failed delivery."""

from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.area.models import HandOnTeam
from openmash.core.outbox import EventKind
from openmash.events.models import Delivery, WebhookEndpoint


def _recipient(team: str, agency_name: str | None) -> str:
    if agency_name is not None:
        return agency_name
    return HandOnTeam(team).label if team in HandOnTeam.values else team


def _when(moment: object) -> str:
    if moment is None:
        return ""
    return f"{timezone.localtime(moment, LONDON):%-d %b %Y %H:%M}"  # type: ignore[arg-type]


class EndpointRow:
    def __init__(self, endpoint: WebhookEndpoint, secret_set: bool) -> None:
        self.id = endpoint.pk
        self.name = endpoint.name
        self.recipient = _recipient(
            endpoint.recipient_team,
            endpoint.recipient_agency.name if endpoint.recipient_agency else None,
        )
        self.url = endpoint.url
        self.secret_variable = endpoint.secret_variable
        self.secret = "Set" if secret_set else "Not set"
        self.active = "Sending" if endpoint.active else "Switched off"


class DeliveryRow:
    def __init__(self, delivery: Delivery) -> None:
        event = delivery.event
        self.id = delivery.pk
        self.event_id = str(event.event_id)
        self.kind = EventKind(event.kind).label if event.kind in EventKind.values else event.kind
        self.contact_reference = event.contact.reference
        self.recipient = _recipient(
            event.recipient_team,
            event.recipient_agency.name if event.recipient_agency else None,
        )
        self.endpoint = delivery.endpoint.name
        self.attempts = delivery.attempts
        self.failure = delivery.failure
        self.last_attempt = _when(delivery.last_attempt_at)
        self.next_attempt = (
            _when(delivery.next_attempt_at)
            if delivery.next_attempt_at
            else "None: try it again by hand"
        )
