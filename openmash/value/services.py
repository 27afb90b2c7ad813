"""Writes for value for money: making the monthly board report, which is recorded in the
audit log (what, which month, who) because it is a document that leaves the hub."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.value.board_report import BoardReport, Month, board_report_build

BOARD_REPORT = "board_report"
DOWNLOAD_PERMISSION = "value.download_board_report"


@dataclass(frozen=True)
class BoardReportFile:
    month: Month
    pdf: bytes
    pages: int

    @property
    def filename(self) -> str:
        return f"mash-board-report-{self.month.key}.pdf"


def board_report_html(report: BoardReport) -> str:
    """The HTML the PDF is printed from (templates/value/board_report_pdf.html)."""
    return render_to_string("value/board_report_pdf.html", {"report": report})


# A tagged PDF (PDF/UA-1): headings, tables and reading order survive for screen readers,
# as the accessibility regulations expect of a public body's documents.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def _render_pdf(html: str) -> tuple[bytes, int]:
    # WeasyPrint logs its progress step by step at INFO (from its import on): noise in
    # the command's output and the server's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # Imported here: WeasyPrint loads Pango and fonts, which only this needs.
    from weasyprint import HTML

    document = HTML(string=html).render(**PDF_OPTIONS)
    return document.write_pdf(**PDF_OPTIONS) or b"", len(document.pages)


@transaction.atomic
def board_report_create(
    *, actor: Actor, month: Month, now: datetime | None = None
) -> BoardReportFile:
    """The month's board report as a PDF, recorded in the audit log in the same
    transaction (a report that fails to render is not recorded).

    A person needs the permission to download board reports (PermissionDenied); the
    board_report command may act as the named system. Raises MonthNotOver for a month
    that has not ended; AuditActorMissing without an actor."""
    if actor.user is not None and not actor.user.has_perm(DOWNLOAD_PERMISSION):
        raise PermissionDenied
    if actor.token is not None:
        raise PermissionDenied
    report = board_report_build(month, now=now or timezone.now())
    pdf, pages = _render_pdf(board_report_html(report))
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=BOARD_REPORT,
        object_id=month.key,
        detail={"what": "monthly board report (PDF)", "month": month.key, "pages": pages},
    )
    return BoardReportFile(month=month, pdf=pdf, pages=pages)
