"""Value for money and the monthly board report: aggregates only, for MASH managers and
analysts.

The value-for-money page reads no child's record and shows no name, so, like the
Performance page, it is not recorded in the audit log. Making a board report is recorded
(services.board_report_create), since the PDF leaves the hub."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openmash.core.audit import Actor
from openmash.core.forms import error_summary
from openmash.core.permissions import requires
from openmash.metrics.suppression import SUPPRESSED
from openmash.value.forms import BoardReportForm, ValuePeriodForm
from openmash.value.presenters import ValuePage
from openmash.value.selectors import value_for_money_compute
from openmash.value.services import board_report_create


@requires("value.view_value_for_money")
def value_view(request: HttpRequest) -> HttpResponse:
    form = ValuePeriodForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        page = ValuePage.of(value_for_money_compute(form.metric_filter()))
    return render(
        request,
        "value/summary.html",
        {"form": form, "page": page, "error_summary": error_summary(form)},
    )


@requires("value.download_board_report")
def board_report_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "value/board_report.html",
        {"form": BoardReportForm(), "error_summary": [], "withheld": SUPPRESSED},
    )


@requires("value.download_board_report")
def board_report_pdf_view(request: HttpRequest) -> HttpResponse:
    """The chosen month's report as a PDF download (the last whole month if none was
    chosen); the chooser again, with the error, for a month that cannot be chosen."""
    form = BoardReportForm(request.GET or {"month": BoardReportForm().fields["month"].initial})
    if not form.is_valid():
        return render(
            request,
            "value/board_report.html",
            {"form": form, "error_summary": error_summary(form), "withheld": SUPPRESSED},
        )
    report = board_report_create(actor=Actor.from_request(request), month=form.chosen_month())
    response = HttpResponse(report.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    response["Cache-Control"] = "no-store"
    return response
