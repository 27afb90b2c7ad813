"""Files on a contact as the reader may see them: the fire wall for attachments.

- The MASH's screeners and managers see every file on a contact: on the contact, on any
  agency's check, on any note (as they see every agency's findings).
- An agency researcher, on a contact their agency was asked to check, sees only their
  own agency's files: its check's files and the files its people added to the contact
  or to their notes. Never another agency's check files, whatever that agency released
  of its findings: a finding is released as text composed for the receiving team, and a
  file never crosses.
- Anyone else (early help, referrers, the receiving team, analysts): none.

Every read is audited: a list records one event per file listed, a download one event.
"""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from openmash.contacts.models import Contact
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.permissions import is_agency_researcher, is_mash_decision_maker
from openmash.enquiries.models import AgencyCheck, Attachment


def visible_attachments(actor: Actor) -> QuerySet[Attachment]:
    """Every file the actor may see, whatever the contact (the contact's own rule,
    enquiries.attachments, is the caller's to ask)."""
    files = Attachment.objects.select_related(
        "uploaded_by", "uploaded_by_agency", "agency_check__agency"
    )
    user = actor.user
    if user is None:
        return files.none()
    if is_mash_decision_maker(user):
        return files
    if is_agency_researcher(user) and user.agency_id is not None:
        return files.filter(
            Q(agency_check__agency_id=user.agency_id)
            | Q(agency_check__isnull=True, uploaded_by_agency_id=user.agency_id)
        )
    return files.none()


def attachments_audit(actor: Actor, files: list[Attachment]) -> None:
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="attachment",
        objects=[(each.pk, each.contact_id) for each in files],
    )


def attachments_for_contact(*, actor: Actor, contact: Contact) -> list[Attachment]:
    """Every file on the contact the actor may see (on it, its checks and its notes),
    oldest first, audited. PermissionDenied if they may not see the contact's files."""
    if actor.user is None or not actor.user.has_perm("enquiries.attachments", contact):
        raise PermissionDenied
    files = list(visible_attachments(actor).filter(contact=contact).order_by("uploaded_at", "id"))
    attachments_audit(actor, files)
    return files


def attachments_for_check(*, actor: Actor, check: AgencyCheck) -> list[Attachment]:
    """The check's files, for its own agency's researcher (the check page), audited."""
    user = actor.user
    if user is None or user.agency_id is None or user.agency_id != check.agency_id:
        raise PermissionDenied
    files = list(
        visible_attachments(actor).filter(agency_check=check).order_by("uploaded_at", "id")
    )
    attachments_audit(actor, files)
    return files


def attachment_for_download(*, actor: Actor, public_id: UUID) -> Attachment:
    """The file to download, if the actor may have it: Http404 for no such file,
    PermissionDenied for a file behind the fire wall or a contact they may not see.
    Records the download."""
    user = actor.user
    if user is None:
        raise PermissionDenied
    attachment = (
        Attachment.objects.select_related("contact", "agency_check")
        .filter(public_id=public_id)
        .first()
    )
    if attachment is None:
        raise Http404
    visible = visible_attachments(actor).filter(pk=attachment.pk).exists()
    if not visible or not user.has_perm("enquiries.attachments", attachment.contact):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="attachment",
        object_id=attachment.pk,
        contact_id=attachment.contact_id,
        detail={"download": True, "sha256": attachment.sha256},
    )
    return attachment
