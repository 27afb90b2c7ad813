"""The indicators dashboard and its chart downloads: aggregates only, for MASH managers
and analysts.

Not recorded in the audit log: the pages read no child's record and show no name, like
the contact figures page (the audit log records reads of personal data)."""

from dataclasses import replace

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from openmash.accounts.models import Agency
from openmash.area.selectors import rag_levels_active
from openmash.core.forms import error_summary
from openmash.core.permissions import requires
from openmash.extracts.tables import ExportFormat, table_response
from openmash.metrics.charts import CHARTS, chart_for, chart_png, chart_svg
from openmash.metrics.evaluation import MEASURES, before_after_compare, turnaround_by_initial_level
from openmash.metrics.exports import file_stem, indicator_tables
from openmash.metrics.forms import EvaluationForm, MetricFilterForm, PeriodsForm
from openmash.metrics.indicators import INDICATORS, indicators_compute
from openmash.metrics.presenters import ComparisonPage, DashboardPage, LevelTablePage

CHART_FORMATS = {
    "svg": "image/svg+xml; charset=utf-8",
    "png": "image/png",
}


def _filter_form(request: HttpRequest) -> MetricFilterForm:
    return MetricFilterForm(
        request.GET or None,
        levels=rag_levels_active(),
        agencies=Agency.objects.filter(is_mash_partner=True).order_by("name"),
    )


@requires("metrics.view_dashboard")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    page = None
    if not form.is_bound or form.is_valid():
        f = form.metric_filter()
        page = DashboardPage.of(f, indicators_compute(f), query=request.GET.urlencode())
    return render(
        request,
        "metrics/dashboard.html",
        {
            "form": form,
            "page": page,
            "error_summary": error_summary(form),
            "is_filtered": form.is_filtered,
        },
    )


@requires("metrics.view_dashboard")
def chart_download_view(request: HttpRequest, chart: str, file_format: str) -> HttpResponse:
    """One chart of the dashboard, for the same period and filters, as an SVG or PNG
    file. A file can leave the hub, so small counts are withheld ([c]) as in every
    export."""
    if chart not in CHARTS or file_format not in CHART_FORMATS:
        raise Http404
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "The period or filters are not valid: choose them again on the indicators page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    f = form.metric_filter()
    drawn = chart_for(chart, indicators_compute(f, [chart])[chart], suppress=True)
    caption = form.described(f)
    content: str | bytes = (
        chart_svg(drawn, standalone=True, caption=caption)
        if file_format == "svg"
        else chart_png(drawn, caption=caption)
    )
    response = HttpResponse(content, content_type=CHART_FORMATS[file_format])
    name = f"{chart.replace('_', '-')}-{f.start:%Y-%m-%d}-to-{f.end:%Y-%m-%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires("metrics.view_dashboard")
def table_download_view(
    request: HttpRequest, indicator: str, number: int, export_format: str
) -> HttpResponse:
    """One table of the dashboard (its `number`, from 1, among the indicator's tables),
    for the same period and filters, as CSV or Excel. A file can leave the hub, so small
    numbers are withheld ([c]) as openmash/metrics/exports.py says."""
    if indicator not in INDICATORS or export_format not in ExportFormat.__members__.values():
        raise Http404
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "The period or filters are not valid: choose them again on the indicators page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    f = form.metric_filter()
    each = INDICATORS[indicator]
    tables = indicator_tables(each, indicators_compute(f, [indicator])[indicator], suppress=True)
    if not 1 <= number <= len(tables):
        raise Http404
    table = replace(tables[number - 1], file_stem=file_stem(each, number, f.start, f.end))
    return table_response(table, export_format)


@requires("metrics.view_dashboard")
def evaluation_view(request: HttpRequest) -> HttpResponse:
    """Before and after: an indicator in two periods, the difference and how sure it is.
    Sent by GET, so a comparison can be bookmarked and shared."""
    form = EvaluationForm(
        request.GET or None,
        measures=[(key, measure.label) for key, measure in MEASURES.items()],
        levels=rag_levels_active(),
    )
    page = None
    if form.is_bound and form.is_valid():
        rag = form.cleaned_data.get("rag") or ""
        before, after = form.filters(rag=rag)
        comparison = before_after_compare(
            form.cleaned_data["measure"], before, after, rag_label=form.rag_label
        )
        page = ComparisonPage.of(comparison)
    return render(
        request,
        "metrics/evaluation.html",
        {"form": form, "page": page, "error_summary": error_summary(form)},
    )


@requires("metrics.view_dashboard")
def evaluation_london_view(request: HttpRequest) -> HttpResponse:
    """The London evaluation's table: turnaround by initial level of need, before and
    after."""
    form = PeriodsForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        before, after = form.filters()
        page = LevelTablePage.of(turnaround_by_initial_level(before, after))
    return render(
        request,
        "metrics/evaluation_london.html",
        {"form": form, "page": page, "error_summary": error_summary(form)},
    )
