"""The one way to an extract: checks permission, builds it, and records the download."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.core.period import Period
from openmash.extracts.catalogue import EXTRACTS, Extract
from openmash.extracts.tables import ExportFormat, Table


def extract_get(key: str) -> Extract:
    """The extract with this key; Http404 for any other."""
    extract = EXTRACTS.get(key)
    if extract is None:
        raise Http404
    return extract


@transaction.atomic
def extract_download(
    *, actor: Actor, key: str, period: Period, export_format: ExportFormat
) -> Table:
    """The extract for the period, if the actor may download extracts (PermissionDenied
    otherwise; Http404 for an unknown extract).

    Records the download in the audit log, in the same transaction as it reads: one
    event naming the extract, the period, the format and the number of rows (never what
    is in them), and, as the contact lists do, a "viewed in a list" event for each
    contact the rows come from, so a child's access log shows that their record left in
    an extract."""
    if actor.user is None or not actor.user.has_perm("extracts.download_extracts"):
        raise PermissionDenied
    extract = extract_get(key)
    extracted = extract.build(period)
    event = audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="extract",
        object_id=extract.key,
        detail={
            "extract": extract.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "format": export_format.value,
            "rows": len(extracted.table.rows),
            "contacts": len(extracted.contact_ids),
        },
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="contact",
        objects=[(pk, pk) for pk in sorted(extracted.contact_ids)],
        detail={"via": "extract", "extract": extract.key, "download": event.pk},
    )
    return extracted.table
