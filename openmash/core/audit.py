"""The Auditor: the one way OpenMASH writes its audit log.

Services call it inside their own transaction, so an action and its audit
event are committed together or not at all. It refuses to write without an
actor (a signed-in user or an agency system's API token).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from openmash.core.client_address import client_address
from openmash.core.models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from openmash.accounts.models import ApiToken, User


class AuditActorMissing(Exception):
    """Raised when something tries to write personal data without saying who."""


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from which request."""

    user: "User | None" = None
    token: "ApiToken | None" = None
    request_id: str = ""
    ip_address: str | None = None
    # A named part of OpenMASH acting on its own (e.g. "matcher" linking a person
    # automatically); recorded in the event's detail so the log says who did it.
    system: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, *, token: "ApiToken | None" = None) -> "Actor":
        user = request.user if request.user.is_authenticated else None
        return cls(
            user=user,
            token=token,
            request_id=getattr(request, "request_id", ""),
            ip_address=client_address(request) or None,
        )

    @property
    def agency_id(self) -> int | None:
        if self.token is not None:
            return self.token.agency_id
        if self.user is not None:
            return self.user.agency_id
        return None


def _event(
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: object,
    contact_id: int | None,
    detail: dict[str, Any] | None,
) -> AuditEvent:
    if actor.user is None and actor.token is None and not actor.system:
        raise AuditActorMissing(f"No actor for {action} of {object_type}.")
    if actor.system:
        detail = {**(detail or {}), "system": actor.system}
    return AuditEvent(
        actor_user=actor.user,
        actor_token=actor.token,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        contact_id=contact_id,
        request_id=actor.request_id[:64],
        ip_address=actor.ip_address,
        detail=detail or {},
    )


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: object = None,
    contact_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = _event(actor, action, object_type, object_id, contact_id, detail)
    event.save()
    return event


def audit_record_many(
    *,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    objects: Iterable[tuple[object, int | None]],
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one event per (object id, contact id) pair in a single query."""
    events = [
        _event(actor, action, object_type, object_id, contact_id, detail)
        for object_id, contact_id in objects
    ]
    if events:
        AuditEvent.objects.bulk_create(events)
