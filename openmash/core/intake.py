"""The hook through which intake tells the hub's work that a contact has been received.

Intake (openmash.contacts) sits below the hub's work (openmash.enquiries), which records
messages about contacts, so intake cannot import it. contact_create calls
`contact_received` here inside the transaction that records the contact, and the hub's
work registers its handlers when Django starts (EnquiriesConfig.ready): the out-of-hours
acknowledgement and the on-call alert are recorded with the contact, or not at all.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction

# A handler gets the contact, the moment it was recorded and the area's working hours
# and calendar as contact_create read them (so a handler need not read them again).
ContactReceived = Callable[[Any, datetime, Any, Any], object]
_handlers: list[ContactReceived] = []


class ContactReceivedOutsideTransaction(RuntimeError):
    """The handlers' messages must be recorded in the contact's own transaction."""


def register_contact_received(handler: ContactReceived) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def contact_received(contact: Any, now: datetime, *, hours: Any, calendar: Any) -> None:
    """Run every registered handler for a contact just recorded at `now`, with the area's
    working hours and calendar (openmash.area) as intake read them."""
    if not transaction.get_connection().in_atomic_block:
        raise ContactReceivedOutsideTransaction("contact_received needs the contact's transaction.")
    for handler in _handlers:
        handler(contact, now, hours, calendar)
