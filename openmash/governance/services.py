"""Changing the retention schedule and placing or releasing legal holds: each a service
that checks the permission, validates, writes and audits in one transaction."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.governance.models import Disposal, LegalHold, RecordType, RetentionRule
from openmash.governance.schedule import AUDIT_MIN_MONTHS, CONTACT_TYPES

# A century: longer than any records schedule asks.
MAX_MONTHS = 1200
MAX_AGE = 100


class GovernanceRefused(Exception):
    """The change cannot be made; `field` names the form field at fault (or "")."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _require(actor: Actor, permission: str) -> User:
    if actor.user is None or not actor.user.has_perm(permission):
        raise PermissionDenied
    return actor.user


@dataclass(frozen=True)
class RuleInput:
    keep_months: int
    keep_until_age: int | None
    active: bool
    reason: str


@transaction.atomic
def retention_rule_set(*, actor: Actor, record_type: str, data: RuleInput) -> RetentionRule:
    """Set the area's period for one record type, with the reason, recorded who and when.
    Raises PermissionDenied, or GovernanceRefused naming the field at fault; never saves
    audit events for less than AUDIT_MIN_MONTHS, nor an age on anything but contacts."""
    _require(actor, "governance.manage_retention")
    if record_type not in RecordType.values:
        raise GovernanceRefused("Choose a record type on the schedule")
    reason = data.reason.strip()
    if not reason:
        raise GovernanceRefused("Enter why the records are kept this long", "reason")
    if not 1 <= data.keep_months <= MAX_MONTHS:
        raise GovernanceRefused(
            "Enter a period of at least 1 month and no more than 100 years", "keep_years"
        )
    if record_type == RecordType.AUDIT_EVENT and data.keep_months < AUDIT_MIN_MONTHS:
        raise GovernanceRefused("Audit events must be kept for at least a year", "keep_years")
    if data.keep_until_age is not None:
        if record_type not in CONTACT_TYPES:
            raise GovernanceRefused("Only contacts are kept until a child's age", "keep_until_age")
        if not 1 <= data.keep_until_age <= MAX_AGE:
            raise GovernanceRefused("Enter an age from 1 to 100", "keep_until_age")
    rule, _ = RetentionRule.objects.update_or_create(
        record_type=record_type,
        defaults={
            "keep_months": data.keep_months,
            "keep_until_age": data.keep_until_age,
            "active": data.active,
            "reason": reason,
            "updated_by": actor.user,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="retention_rule",
        object_id=record_type,
        detail={
            "keep_months": data.keep_months,
            "keep_until_age": data.keep_until_age,
            "active": data.active,
        },
    )
    return rule


@transaction.atomic
def legal_hold_place(*, actor: Actor, reference: str, reason: str) -> LegalHold:
    """Hold a contact (by its reference) so the retention job never removes anything of
    it until the hold is released. Takes the contact's row lock, so a retention run
    removing it at the same moment either finishes first (and the hold is refused: there
    is nothing left to hold) or waits and then leaves it alone."""
    user = _require(actor, "governance.manage_legal_holds")
    reason = reason.strip()
    if not reason:
        raise GovernanceRefused("Enter why the contact is held", "reason")
    contact = (
        Contact.objects.select_for_update().filter(reference=reference.strip().upper()).first()
    )
    if contact is None:
        raise GovernanceRefused("No contact has that reference", "reference")
    if Disposal.objects.filter(object_type="contact", contact_id=contact.pk).exists():
        raise GovernanceRefused(
            "That contact was anonymised under the retention schedule: there is nothing to hold",
            "reference",
        )
    if LegalHold.objects.filter(contact=contact, released_at__isnull=True).exists():
        raise GovernanceRefused("That contact is already held", "reference")
    hold = LegalHold.objects.create(contact=contact, reason=reason, placed_by=user)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="legal_hold",
        object_id=hold.pk,
        contact_id=contact.pk,
    )
    return hold


@transaction.atomic
def legal_hold_release(*, actor: Actor, hold_id: int, reason: str) -> LegalHold:
    """Release an open hold, with the reason; the hold stays as the record of it."""
    _require(actor, "governance.manage_legal_holds")
    hold = LegalHold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None or not hold.is_open:
        raise GovernanceRefused("That hold is not in place")
    reason = reason.strip()
    if not reason:
        raise GovernanceRefused("Enter why the hold is released", "release_reason")
    hold.released_by = actor.user
    hold.released_at = timezone.now()
    hold.release_reason = reason
    hold.save(update_fields=["released_by", "released_at", "release_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="legal_hold",
        object_id=hold.pk,
        contact_id=hold.contact_id,
        detail={"released": True},
    )
    return hold


def legal_holds_open() -> list[LegalHold]:
    return list(
        LegalHold.objects.filter(released_at__isnull=True)
        .select_related("contact", "placed_by")
        .order_by("-placed_at", "-id")
    )
