"""What every enquiry service checks before it writes, and the refusals it raises: the
actor's permission, the contact's row lock, the text it is given, and the audit event it
records in the same transaction. A refusal writes nothing."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db.models import Model

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor, audit_record
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditAction
from openmash.enquiries.models import AgencyCheck

TEXT_LIMIT = 20000


class EnquiryInvalid(FieldErrors):
    """An enquiry service was asked to do something that breaks one or more rules; nothing
    was written. A view that catches FieldErrors catches this too."""


class ContactAlreadyTaken(Exception):
    """Another screener took the contact first; nothing was changed."""

    def __init__(self, contact: Contact) -> None:
        self.contact = contact
        who = contact.assigned_to.display_name if contact.assigned_to else "another screener"
        super().__init__(f"{contact.reference} has already been taken by {who}.")


class ChecksOutstanding(Exception):
    """A decision needs every requested check completed or waived."""

    def __init__(self, checks: Sequence[AgencyCheck]) -> None:
        self.checks = list(checks)
        names = ", ".join(check.agency.name for check in self.checks)
        super().__init__(f"Checks still outstanding from {names}: complete or waive them first.")


def _require(actor: Actor, permission: str, obj: Model | None = None) -> User:
    if actor.user is None or not actor.user.has_perm(permission, obj):
        raise PermissionDenied
    return actor.user


def _locked_contact(contact_id: int) -> Contact:
    """The contact, its row locked until the transaction ends (PostgreSQL), so two people
    acting on it at once are served one after the other."""
    return Contact.objects.select_for_update().get(pk=contact_id)


def _text(errors: dict[str, str], field: str, value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = message
    elif len(value) > TEXT_LIMIT:
        errors[field] = f"Enter {TEXT_LIMIT:,} characters or fewer"
    elif "\x00" in value:
        errors[field] = "Remove the invisible control characters"
    return value


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise EnquiryInvalid(errors)


def _audit(
    actor: Actor, action: str, object_type: str, obj: object, contact: Contact, **detail: object
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction(action),
        object_type=object_type,
        object_id=getattr(obj, "pk", obj),
        contact_id=contact.pk,
        detail=dict(detail),
    )
