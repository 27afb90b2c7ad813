"""The monthly board report: what the safeguarding partnership board is shown about a
month of the MASH, beside the same month a year before. Built here as plain figures and
text; services.board_report_create renders it to PDF and records who made it.

It leaves the hub, so it holds no personal data (counts, rates, times and costs only, no
name or reference) and withholds every figure worked out from 1 to 4 children (shown as
openmash.metrics.suppression.SUPPRESSED).

The headline figures are openmash.metrics' indicators for the month (contacts received
in the month, followed up to its end), and the comparison with the same month last year
is openmash.metrics' before and after (evaluation.py): Newcombe's interval for a change in
a share, a seeded bootstrap for a change in a median or in contacts a day. Counts are
compared without an interval.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from openmash.area.calendar import LONDON
from openmash.area.models import Outcome
from openmash.metrics.charts import Chart, ChartKind, ChartSeries, chart_for, chart_svg
from openmash.metrics.charts.model import BLUE, COLOURS, breakdown_chart
from openmash.metrics.evaluation import (
    RESAMPLES,
    Comparison,
    MeasureKind,
    PeriodFigure,
    before_after_compare,
    difference_text,
    figure_text,
)
from openmash.metrics.figures import (
    Breakdown,
    Count,
    Series,
    Workload,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS, indicators_compute
from openmash.metrics.numbers import NO_FIGURE, one_place, percent, signed, whole
from openmash.metrics.presenters import Cell, Table
from openmash.metrics.suppression import (
    SMALLEST_SHOWN,
    SUPPRESSED,
    is_small,
    suppress_count,
    suppress_counts,
    suppress_rate,
)
from openmash.value.costing import OutcomeLine, ValueForMoney
from openmash.value.presenters import (
    Definition,
    agency_table,
    assumption_tables,
    definitions,
    outcome_kind_table,
    pounds,
    stage_table,
    unit_cost_table,
)
from openmash.value.selectors import value_for_money_compute

# The indicators the report computes for each month itself (the before-and-after
# measures compute theirs).
REPORT_INDICATORS = [
    "contacts_received",
    "contacts_per_day",
    "decision_turnaround_by_week",
    "outcome_shares",
    "open_per_screener",
]
# The indicators whose definitions the report prints: every one its figures come from.
DEFINED_INDICATORS = [
    "contacts_received",
    "contacts_per_day",
    "decision_turnaround",
    "decision_turnaround_by_week",
    "check_turnaround",
    "nfa_by_source",
    "conversion_to_social_care",
    "step_down_to_early_help",
    "re_referrals",
    "outcome_shares",
    "open_per_screener",
]
GREY = COLOURS["grey"]


class MonthNotOver(ValueError):
    """The report covers whole months: this one has not ended yet."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        """'2026-10' -> Month(2026, 10); ValueError for anything else."""
        year, _, month = text.strip().partition("-")
        if not (year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= len(month) <= 2):
            raise ValueError(f"Not a month like 2026-10: {text!r}")
        value = cls(int(year), int(month))
        if not 1 <= value.month <= 12 or value.year < 2000:
            raise ValueError(f"Not a month like 2026-10: {text!r}")
        return value

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return self.following.start - timedelta(days=1)

    @property
    def following(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def last_year(self) -> "Month":
        return Month(self.year - 1, self.month)

    @property
    def label(self) -> str:
        return f"{self.start:%B %Y}"

    def is_over(self, now: datetime) -> bool:
        return timezone.localdate(now, LONDON) > self.end

    def filter(self, now: datetime) -> MetricFilter:
        return MetricFilter(start=self.start, end=self.end, now=now)


def last_complete_month(now: datetime | None = None) -> Month:
    return Month.of(timezone.localdate(now or timezone.now(), LONDON)).previous


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    now: str
    before: str
    change: str
    interval: str
    # Whether the change is unlikely to be chance: "Yes", "No", or a dash / withheld.
    beyond_chance: str


@dataclass(frozen=True)
class ReportChart:
    title: str
    svg: SafeString
    summary: str
    note: str


@dataclass(frozen=True)
class IndicatorDefinition:
    title: str
    paragraphs: list[str]


@dataclass(frozen=True)
class BoardReport:
    area_name: str
    month: Month
    produced_at: datetime
    headlines: list[Headline]
    charts: list[ReportChart]
    outcome_table: Table
    value_comparison: Table
    value_tables: list[Table]
    assumptions: list[Table]
    indicator_definitions: list[IndicatorDefinition]
    value_definitions: list[Definition]
    methods: list[str]
    # Said under the headline figures, e.g. that last year has no records.
    notes: list[str]
    # How a withheld figure is shown.
    withheld: str = SUPPRESSED

    @property
    def last_year(self) -> Month:
        return self.month.last_year

    @property
    def produced_text(self) -> str:
        local = timezone.localtime(self.produced_at, LONDON)
        return f"{local.day} {local:%B %Y at %H:%M}"


# --- Formatting, with small numbers withheld -------------------------------------------


def _count(value: int) -> str:
    shown = suppress_count(value)
    return SUPPRESSED if shown == SUPPRESSED else whole(value)


def _signed(value: float) -> str:
    """To one place, with a plus for a rise and a real minus sign for a fall."""
    return signed(one_place(value))


def count_headline(key: str, label: str, now: int, before: int) -> Headline:
    """A count, compared without an interval (a month's count is not a sample)."""
    if SUPPRESSED in (suppress_count(now), suppress_count(before)):
        change = SUPPRESSED
    else:
        change = signed(whole(now - before))
        if before:
            change += f" ({_signed(100 * (now - before) / before)}%)"
    return Headline(key, label, _count(now), _count(before), change, "not worked out", NO_FIGURE)


def _withheld(figure: PeriodFigure, kind: MeasureKind, contacts: int) -> bool:
    """Whether a period's figure would give away a small number: a share whose
    numerator, denominator or remainder is 1 to 4; a median of 1 to 4 times; an average
    a day over 1 to 4 contacts."""
    if kind == MeasureKind.SHARE:
        return suppress_rate(figure.numerator or 0, figure.count) == SUPPRESSED
    if kind == MeasureKind.PER_DAY:
        return is_small(contacts)
    return is_small(figure.count)


def compared_headline(
    key: str, label: str, comparison: Comparison, contacts: tuple[int, int]
) -> Headline:
    """A figure of openmash.metrics' before and after: last year is "before", this month
    "after", so the change is this month less last year."""
    kind = comparison.measure.kind
    now_hidden = _withheld(comparison.after, kind, contacts[0])
    before_hidden = _withheld(comparison.before, kind, contacts[1])
    now = SUPPRESSED if now_hidden else figure_text(kind, comparison.after.value)
    before = SUPPRESSED if before_hidden else figure_text(kind, comparison.before.value)
    if now_hidden or before_hidden:
        return Headline(key, label, now, before, SUPPRESSED, SUPPRESSED, SUPPRESSED)
    change = difference_text(kind, comparison.difference)
    interval, verdict = NO_FIGURE, NO_FIGURE
    if comparison.low is not None and comparison.high is not None:
        interval = (
            f"{difference_text(kind, comparison.low, unit=False)} to "
            f"{difference_text(kind, comparison.high)}"
        )
        verdict = "Yes" if comparison.is_unlikely_chance else "No"
    return Headline(key, label, now, before, change, interval, verdict)


# The headline figures compared with last year: (key, label, openmash.metrics measure).
COMPARED = [
    ("contacts_per_day", "Contacts received a day", "contacts_per_day"),
    ("decision_turnaround", "Median time from receipt to the MASH decision", "decision_median"),
    ("decided_in_time", "Decided within the RAG rating's timescale", "decision_in_time"),
    ("check_turnaround", "Median time for an agency check", "check_median"),
    ("checks_in_time", "Agency checks answered within timescale", "check_in_time"),
    ("nfa", "Decided contacts with no further action", "no_further_action"),
    (
        "conversion",
        "Decided contacts going to a social care assessment or strategy discussion",
        "conversion",
    ),
    ("step_down", "Decided contacts stepped down to early help", "step_down"),
    ("re_referrals", "Contacts about a child decided on in the 12 months before", "re_referrals"),
]


def _daily(series: Series) -> dict[int, int]:
    return {point.day.day: point.count for point in series.points}


def _contacts_chart(month: Month, now: Series, before: Series) -> ReportChart:
    """Contacts received on each day of the month, this year and last, day by day of
    the month so the two line up; a day's count from 1 to 4 is withheld (a gap)."""
    days = [point.day for point in now.points]
    this_year, last_year = _daily(now), _daily(before)

    def series(key: str, label: str, colour: str, counts: Mapping[int, int]) -> ChartSeries:
        values = [counts.get(day.day) for day in days]
        return ChartSeries(
            key,
            label,
            colour,
            tuple(None if value is None or is_small(value) else float(value) for value in values),
            tuple(
                NO_FIGURE if value is None else SUPPRESSED if is_small(value) else whole(value)
                for value in values
            ),
        )

    chart = Chart(
        key="board_contacts_per_day",
        kind=ChartKind.LINE,
        title="Contacts received each day of the month",
        summary=(
            f"{whole(now.total)} contacts were received in {month.label}, "
            f"{whole(before.total)} in {month.last_year.label}."
        ),
        category_heading="Day of the month",
        value_heading="Contacts received",
        categories=tuple(str(day.day) for day in days),
        ticks=tuple(str(day.day) for day in days),
        series=(
            series("this_year", month.label, BLUE, this_year),
            series("last_year", month.last_year.label, GREY, last_year),
        ),
        suppressed=True,
    )
    return _report_chart(chart)


def _report_chart(chart: Chart) -> ReportChart:
    # chart_svg escapes every text it draws; the rest is its own markup.
    svg = mark_safe(chart_svg(chart))  # noqa: S308
    return ReportChart(chart.title, svg, chart.summary, chart.note)


def _outcome_charts(month: Month, now: Breakdown, before: Breakdown) -> list[ReportChart]:
    charts = []
    for which, figure in ((month, now), (month.last_year, before)):
        title = f"Decided contacts by outcome, {which.label}"
        if not figure.total:
            charts.append(
                ReportChart(title, mark_safe(""), "No contact received then was decided.", "")
            )
            continue
        chart = breakdown_chart(
            f"board_outcomes_{which.key.replace('-', '_')}",
            title,
            figure,
            lead="The most common outcome was",
            suppress=True,
        )
        charts.append(_report_chart(chart))
    return charts


def _agency_cost_chart(month: Month, vfm: ValueForMoney) -> ReportChart:
    shown, _ = suppress_counts({line.key: line.items for line in vfm.agencies})
    withheld = {key for key, value in shown.items() if value == SUPPRESSED}
    largest = next((line for line in vfm.agencies if line.key not in withheld), None)
    summary = (
        f"{largest.name} did the largest share of the recorded work, "
        f"{pounds(largest.cost, pence=False)} of {pounds(vfm.cost, pence=False)}."
        if largest is not None and vfm.cost and not is_small(vfm.items)
        else "Too little recorded work to show without a small count."
    )
    chart = Chart(
        key="board_agency_cost",
        kind=ChartKind.BAR,
        title=f"Staff cost of the recorded work by agency, {month.label}",
        summary=summary,
        category_heading="Agency",
        value_heading="Staff cost (£)",
        categories=tuple(line.name for line in vfm.agencies),
        ticks=tuple(line.name for line in vfm.agencies),
        series=(
            ChartSeries(
                "cost",
                "Staff cost",
                BLUE,
                tuple(None if line.key in withheld else float(line.cost) for line in vfm.agencies),
                tuple(
                    SUPPRESSED if line.key in withheld else pounds(line.cost, pence=False)
                    for line in vfm.agencies
                ),
            ),
        ),
        suppressed=True,
    )
    return _report_chart(chart)


def _outcome_rows(now: Breakdown, before: Breakdown) -> list[tuple[str, str]]:
    labels = dict(Outcome.objects.order_by("order", "id").values_list("code", "label"))
    seen = {row.key: row.label for row in (*now.rows, *before.rows)}
    order = [code for code in labels if code in seen] + sorted(
        code for code in seen if code not in labels
    )
    return [(code, labels.get(code, seen[code])) for code in order]


def _outcome_table(month: Month, now: Breakdown, before: Breakdown) -> Table:
    rows = _outcome_rows(now, before)
    keys = [code for code, _ in rows]
    now_counts = {row.key: row.count for row in now.rows}
    before_counts = {row.key: row.count for row in before.rows}
    now_shown, now_total = suppress_counts({key: now_counts.get(key, 0) for key in keys})
    before_shown, before_total = suppress_counts({key: before_counts.get(key, 0) for key in keys})

    def share(shown: Mapping[str, int | str], key: str, total: int) -> str:
        value = shown[key]
        return SUPPRESSED if value == SUPPRESSED else percent(int(value) / total if total else None)

    body = tuple(
        (
            Cell(label),
            *(
                Cell(text, numeric=True)
                for text in (
                    str(now_shown[code])
                    if now_shown[code] == SUPPRESSED
                    else whole(now_counts.get(code, 0)),
                    share(now_shown, code, now.total),
                    str(before_shown[code])
                    if before_shown[code] == SUPPRESSED
                    else whole(before_counts.get(code, 0)),
                    share(before_shown, code, before.total),
                )
            ),
        )
        for code, label in rows
    )
    total = (
        Cell("Total decided"),
        *(
            Cell(text, numeric=True)
            for text in (
                str(now_total) if now_total == SUPPRESSED else whole(now.total),
                percent(1.0 if now.total else None),
                str(before_total) if before_total == SUPPRESSED else whole(before.total),
                percent(1.0 if before.total else None),
            )
        ),
    )
    return Table(
        "Outcomes of the MASH's decisions",
        (
            Cell("Outcome"),
            Cell(f"{month.label}: contacts", numeric=True),
            Cell("Share", numeric=True),
            Cell(f"{month.last_year.label}: contacts", numeric=True),
            Cell("Share", numeric=True),
        ),
        (*body, total),
        total_last=True,
    )


def _value_comparison(month: Month, now: ValueForMoney, before: ValueForMoney) -> Table:
    def money(value: Decimal | None, divisor: int) -> str:
        return SUPPRESSED if is_small(divisor) else pounds(value)

    def total(vfm: ValueForMoney, text: str) -> str:
        return SUPPRESSED if is_small(vfm.items) else text

    rows: list[tuple[str, str, str]] = [
        (
            "Staff hours on the recorded work",
            total(now, f"{now.hours:,.1f}"),
            total(before, f"{before.hours:,.1f}"),
        ),
        (
            "Staff cost of that work",
            total(now, pounds(now.cost, pence=False)),
            total(before, pounds(before.cost, pence=False)),
        ),
        (
            "Cost per contact received",
            money(now.cost_per_contact, now.contacts_received),
            money(before.cost_per_contact, before.contacts_received),
        ),
        (
            "Cost per decision",
            money(now.cost_per_decision, now.decisions),
            money(before.cost_per_decision, before.decisions),
        ),
    ]
    kinds_now = {line.key: line for line in now.outcome_kinds}
    kinds_before = {line.key: line for line in before.outcome_kinds}
    for key in [*kinds_now, *(key for key in kinds_before if key not in kinds_now)]:
        line = kinds_now.get(key) or kinds_before[key]
        rows.append(
            (
                f"Cost per contact decided: {line.label.lower()}",
                _per_contact(kinds_now.get(key)),
                _per_contact(kinds_before.get(key)),
            )
        )
    return Table(
        "Value for money, beside the same month last year",
        (
            Cell("Figure"),
            Cell(month.label, numeric=True),
            Cell(month.last_year.label, numeric=True),
        ),
        tuple((Cell(label), Cell(a, numeric=True), Cell(b, numeric=True)) for label, a, b in rows),
    )


def _per_contact(line: OutcomeLine | None) -> str:
    if line is None:
        return NO_FIGURE
    if is_small(line.contacts):
        return SUPPRESSED
    return pounds(line.per_contact)


def _headlines(
    this_month: MetricFilter,
    last_year: MetricFilter,
    now: Mapping[str, Any],
    before: Mapping[str, Any],
) -> list[Headline]:
    received_now: Count = now["contacts_received"]
    received_before: Count = before["contacts_received"]
    open_now: Workload = now["open_per_screener"]
    open_before: Workload = before["open_per_screener"]
    contacts = (received_now.value, received_before.value)
    compared = [
        compared_headline(
            key, label, before_after_compare(measure, before=last_year, after=this_month), contacts
        )
        for key, label, measure in COMPARED
    ]
    if not received_before.value:
        # No contacts at all a year before: OpenMASH was most likely not in use, and a
        # change from nothing says nothing.
        compared = [
            replace(row, change=NO_FIGURE, interval=NO_FIGURE, beyond_chance=NO_FIGURE)
            for row in compared
        ]
    return [
        count_headline("contacts_received", "Contacts received", *contacts),
        *compared,
        count_headline(
            "open_at_end",
            "Contacts open in the MASH at the end of the month",
            open_now.total,
            open_before.total,
        ),
    ]


METHODS = [
    "Each year's figures describe the contacts received in that month, followed up to the "
    "end of the month, so the two months are compared like for like.",
    "The changes and their 95% intervals are worked out as on the Performance page's "
    "before and after (openmash.metrics.evaluation), last year being before: shares by "
    "Newcombe's hybrid score interval for a difference of two proportions (from Wilson "
    "score intervals), in percentage points; medians by a percentile bootstrap of each "
    f"month's times ({whole(RESAMPLES)} resamples, fixed seed, so the same figures always "
    "give the same interval), in hours; contacts a day by a bootstrap of the days.",
    "Counts (contacts received, open at the end) are compared without an interval: a "
    "month's count is what happened, not a sample.",
    "An interval that does not include 0 means the change is unlikely to be chance alone "
    "(at the 5% level); it does not say why the figures changed.",
    f"Small numbers: any count from 1 to {SMALLEST_SHOWN - 1}, and any figure worked out "
    f"from one (a share, a median, hours or a cost), is shown as {SUPPRESSED}; where one "
    "figure of a group with a total is withheld, the next smallest is withheld too so it "
    "cannot be worked out. The report holds no personal data.",
]


def board_report_build(month: Month, *, now: datetime | None = None) -> BoardReport:
    """The month's report and last year's comparison. Raises MonthNotOver for a month
    that has not ended (the report covers whole months)."""
    now = now or timezone.now()
    if not month.is_over(now):
        raise MonthNotOver(f"{month.label} is not over yet: the report covers whole months.")
    this_filter, last_filter = month.filter(now), month.last_year.filter(now)
    figures_now = indicators_compute(this_filter, REPORT_INDICATORS)
    figures_before = indicators_compute(last_filter, REPORT_INDICATORS)
    value_now = value_for_money_compute(this_filter)
    value_before = value_for_money_compute(last_filter)
    return BoardReport(
        area_name=settings.MASH_AREA_NAME,
        month=month,
        produced_at=now,
        headlines=_headlines(this_filter, last_filter, figures_now, figures_before),
        charts=[
            _contacts_chart(
                month, figures_now["contacts_per_day"], figures_before["contacts_per_day"]
            ),
            _report_chart(
                chart_for(
                    "decision_turnaround_by_week",
                    figures_now["decision_turnaround_by_week"],
                    suppress=True,
                )
            ),
            *_outcome_charts(
                month, figures_now["outcome_shares"], figures_before["outcome_shares"]
            ),
            _agency_cost_chart(month, value_now),
        ],
        outcome_table=_outcome_table(
            month, figures_now["outcome_shares"], figures_before["outcome_shares"]
        ),
        value_comparison=_value_comparison(month, value_now, value_before),
        value_tables=[
            unit_cost_table(value_now, suppress=True),
            stage_table(value_now, suppress=True),
            agency_table(value_now, suppress=True),
            outcome_kind_table(value_now, suppress=True),
        ],
        assumptions=assumption_tables(value_now.times, value_now.costs, value_now.agency_names),
        indicator_definitions=[
            IndicatorDefinition(INDICATORS[key].title, INDICATORS[key].paragraphs)
            for key in DEFINED_INDICATORS
            if key in INDICATORS
        ],
        value_definitions=definitions(),
        methods=METHODS,
        notes=_notes(month, figures_before["contacts_received"]),
    )


def _notes(month: Month, received_before: Count) -> list[str]:
    if received_before.value:
        return []
    return [
        f"No contacts were recorded in {month.last_year.label}: OpenMASH may not have been "
        "in use then, so this month is not compared with it."
    ]
