"""The monthly board report: what the safeguarding partnership board is shown about a
month of the MASH, beside the same month a year before. Built here as plain figures and
text; services.board_report_create renders it to PDF and records who made it.

It leaves the hub, so it holds no personal data (counts, rates, times and costs only, no
name or reference) and withholds every figure worked out from 1 to 4 children (shown as
openmash.metrics.suppression.SUPPRESSED). Counts that add up to another count the report
publishes are withheld together (secondary suppression, suppress_linked), wherever in
the report each is shown, so that no withheld count is a published total less the rest:
each day's contacts and the month's (the chart and its summary, the headline figures);
the decided contacts by outcome (the table and the charts), by kind of outcome (the cost
per kind) and the headline shares of no further action, conversion and step-down, all
of the same decided contacts. A figure worked out from a withheld count (a share, a
cost per contact) is withheld with it.

The headline figures are openmash.metrics' indicators for the month (contacts received
in the month, followed up to its end), and the comparison with the same month last year
is openmash.metrics' before and after (evaluation.py): Newcombe's interval for a change in
a share, a seeded bootstrap for a change in a median or in contacts a day. Counts are
compared without an interval.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from openmash.area.calendar import LONDON
from openmash.area.models import Outcome, OutcomeKind, RagLevel
from openmash.core.proportions import NOT_ENOUGH
from openmash.metrics.charts import Chart, ChartKind, ChartSeries, chart_for, chart_svg
from openmash.metrics.charts.model import BLUE, COLOURS
from openmash.metrics.evaluation import (
    RESAMPLES,
    Comparison,
    MeasureKind,
    PeriodFigure,
    before_after_compare,
    difference_text,
)
from openmash.metrics.figures import (
    Breakdown,
    Count,
    CountRow,
    DurationRow,
    Series,
    Workload,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS, indicators_compute
from openmash.metrics.numbers import NO_FIGURE, hours, one_place, share, signed, whole
from openmash.metrics.presenters import Cell, Table
from openmash.metrics.suppression import (
    SMALLEST_SHOWN,
    SUPPRESSED,
    Sum,
    is_small,
    suppress_count,
    suppress_counts,
    suppress_linked,
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
    "time_to_strategy_discussion",
    "strategy_discussion_to_outcome",
]
# The strategy discussion timings, in the report's own table (key, what it times).
STRATEGY_TIMINGS = [
    ("time_to_strategy_discussion", "From the decision to the strategy discussion"),
    ("strategy_discussion_to_outcome", "From the discussion to its decision"),
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
    "time_to_strategy_discussion",
    "strategy_discussion_to_outcome",
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
    # The RAG rating a share in time is for (those are never blended across ratings).
    rag: str = ""


@dataclass(frozen=True)
class ReportChart:
    title: str
    svg: SafeString
    summary: str
    note: str
    # What the SVG draws, each figure as published (its series' values and texts).
    chart: Chart | None = None


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
    # How long strategy discussions took, this month and last year.
    strategy_table: Table | None = None

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
            change += f" ({_signed(100 * (now - before) / before)}% of {whole(before)})"
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
    key: str,
    label: str,
    comparison: Comparison,
    contacts: tuple[int, int],
    withheld: tuple[bool, bool] = (False, False),
) -> Headline:
    """A figure of openmash.metrics' before and after: last year is "before", this month
    "after", so the change is this month less last year. `withheld` (this month, last
    year): the figure would give away a count withheld elsewhere in the report."""
    kind = comparison.measure.kind
    now_hidden = withheld[0] or _withheld(comparison.after, kind, contacts[0])
    before_hidden = withheld[1] or _withheld(comparison.before, kind, contacts[1])
    # A share with its count (not enough to say below the minimum sample).
    now = SUPPRESSED if now_hidden else comparison.counted(comparison.after)
    before = SUPPRESSED if before_hidden else comparison.counted(comparison.before)
    if now_hidden or before_hidden:
        return Headline(key, label, now, before, SUPPRESSED, SUPPRESSED, SUPPRESSED)
    if comparison.too_few:
        return Headline(key, label, now, before, NOT_ENOUGH, NOT_ENOUGH, NO_FIGURE)
    # The change between the figures as shown (13.6 to 12.5 is -1.1, not a -1.0 from the
    # unrounded figures); the interval is of the exact difference.
    change = comparison.shown_change
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
    ("nfa", "Children decided with no further action", "no_further_action"),
    (
        "conversion",
        "Children decided going to a social care assessment or strategy discussion",
        "conversion",
    ),
    ("step_down", "Children decided stepped down to early help", "step_down"),
    ("re_referrals", "Contacts about a child decided on in the 12 months before", "re_referrals"),
]


# The shares in time, given once per RAG rating and never blended across ratings (a good
# green share hid a poor red one): key, and the label with {rag} for the rating's name.
BY_RAG = {
    "decided_in_time": "{rag} contacts decided within the RAG rating's timescale",
    "checks_in_time": "Agency checks on {rag} contacts answered within timescale",
}


def by_rag_headlines(
    key: str,
    measure: str,
    this_month: MetricFilter,
    last_year: MetricFilter,
    contacts: tuple[int, int],
) -> list[Headline]:
    """A share in time for each active RAG rating, most urgent first, with its counts."""
    rows = []
    for level in RagLevel.objects.filter(active=True).order_by("order"):
        comparison = before_after_compare(
            measure,
            before=replace(last_year, rag=level.code),
            after=replace(this_month, rag=level.code),
            rag_label=level.label,
        )
        row = compared_headline(
            f"{key}_{level.code}", BY_RAG[key].format(rag=level.label), comparison, contacts
        )
        # compared_headline gives each share with its count ("5.1% (2 of 39)").
        rows.append(replace(row, rag=level.label))
    return rows


def _daily(series: Series) -> dict[int, int]:
    return {point.day.day: point.count for point in series.points}


# The key of a month's total among its days of the month (1 to 31).
MONTH_TOTAL = 0


def days_published(series: Series, *, days: int) -> tuple[dict[int, int | str], int | str]:
    """Each day's contacts, by day of the month, and the month's total, as the report may
    publish them: the days add up to the total, which the chart's summary and the
    headline figures give, so a small day is withheld with another (suppress_linked).
    Days after the `days` drawn (last year's 29 February beside a February of 28 days)
    are not shown, but could be worked out from the total: they are protected too."""
    daily = _daily(series)
    counts = {MONTH_TOTAL: series.total, **daily}
    shown = suppress_linked(
        counts,
        [Sum(MONTH_TOTAL, tuple(daily))],
        hidden={day for day in daily if day > days},
    )
    return {day: shown[day] for day in daily if day <= days}, shown[MONTH_TOTAL]


def _shown_text(value: int | str) -> str:
    return SUPPRESSED if value == SUPPRESSED else whole(int(value))


def _contacts_chart(month: Month, now: Series, before: Series) -> ReportChart:
    """Contacts received on each day of the month, this year and last, day by day of
    the month so the two line up; a day's count from 1 to 4 is withheld (a gap), with the
    next smallest day where one alone would be the total less the rest."""
    days = [point.day for point in now.points]
    this_year, this_total = days_published(now, days=len(days))
    last_year, last_total = days_published(before, days=len(days))

    def series(key: str, label: str, colour: str, counts: Mapping[int, int | str]) -> ChartSeries:
        values = [counts.get(day.day) for day in days]
        return ChartSeries(
            key,
            label,
            colour,
            tuple(
                None if value is None or value == SUPPRESSED else float(value) for value in values
            ),
            tuple(NO_FIGURE if value is None else _shown_text(value) for value in values),
        )

    drawn = [series("this_year", month.label, BLUE, this_year)]
    summary = (
        f"{_shown_text(this_total)} contacts were received in {month.label}, "
        f"{_shown_text(last_total)} in {month.last_year.label}."
    )
    if before.total:
        drawn.append(series("last_year", month.last_year.label, GREY, last_year))
    else:
        # No records is not a month of no contacts: no flat line at zero for it.
        summary = (
            f"{_shown_text(this_total)} contacts were received in {month.label}. None were "
            f"recorded in {month.last_year.label}, so no line is drawn for it."
        )
    chart = Chart(
        key="board_contacts_per_day",
        kind=ChartKind.LINE,
        title="Contacts received each day of the month",
        summary=summary,
        category_heading="Day of the month",
        value_heading="Contacts received",
        categories=tuple(str(day.day) for day in days),
        ticks=tuple(str(day.day) for day in days),
        series=tuple(drawn),
        suppressed=True,
    )
    return _report_chart(chart)


def _report_chart(chart: Chart) -> ReportChart:
    # chart_svg escapes every text it draws; the rest is its own markup.
    svg = mark_safe(chart_svg(chart))  # noqa: S308
    return ReportChart(chart.title, svg, chart.summary, chart.note, chart)


# --- Decided contacts, by outcome and by kind ------------------------------------------

# The headline shares of the decided contacts, and the kinds of outcome each counts.
SHARE_KINDS: dict[str, tuple[OutcomeKind, ...]] = {
    "nfa": (OutcomeKind.NO_FURTHER_ACTION,),
    "conversion": (OutcomeKind.ASSESSMENT, OutcomeKind.STRATEGY_DISCUSSION),
    "step_down": (OutcomeKind.EARLY_HELP,),
}
DECIDED = ("decided", "")


@dataclass(frozen=True)
class OutcomesPublished:
    """One month's decided contacts as the report may publish them."""

    # By outcome code: the outcome table and chart.
    outcomes: dict[str, int | str]
    # By kind of outcome (OutcomeKind's values): the cost per kind of outcome.
    kinds: dict[str, int | str]
    # Every decided contact: the table's total, the shares' denominator.
    decided: int | str
    # The headline shares (SHARE_KINDS' keys) that would give a withheld count away.
    shares_withheld: frozenset[str]

    @property
    def kinds_withheld(self) -> set[str]:
        """The kinds withheld, and "" (every decided contact) if the total is."""
        withheld = {key for key, value in self.kinds.items() if value == SUPPRESSED}
        return withheld | ({""} if self.decided == SUPPRESSED else set())


def outcomes_published(
    outcomes: Mapping[str, int], kinds: Mapping[str, int], kind_of: Mapping[str, str]
) -> OutcomesPublished:
    """The decided contacts by outcome (code) and by kind of outcome (`kind_of` gives each
    code's kind), as they may be published together with the headline shares.

    The outcomes add up to the contacts decided, and so do the kinds; each kind is the
    sum of its outcomes; a headline share says how many of the decided contacts are of
    its kinds, and so how many are not (a count published nowhere, protected as
    hidden). A sum that does not add up exactly gives nothing away and is not tied."""
    counts: dict[tuple[str, str], int] = {DECIDED: sum(outcomes.values())}
    counts.update({("outcome", code): count for code, count in outcomes.items()})
    counts.update({("kind", kind.value): kinds.get(kind.value, 0) for kind in OutcomeKind})
    sums: list[Sum[tuple[str, str]]] = []
    hidden: set[tuple[str, str]] = set()

    def tie(total: tuple[str, str], parts: Sequence[tuple[str, str]]) -> None:
        if counts[total] == sum(counts[part] for part in parts):
            sums.append(Sum(total, tuple(parts)))

    tie(DECIDED, [("outcome", code) for code in outcomes])
    tie(DECIDED, [("kind", kind.value) for kind in OutcomeKind])
    for kind in OutcomeKind:
        tie(
            ("kind", kind.value),
            [("outcome", code) for code in outcomes if kind_of.get(code) == kind],
        )
    numerators: dict[str, tuple[str, str]] = {}
    for key, share_kinds in SHARE_KINDS.items():
        parts = [("kind", kind.value) for kind in share_kinds]
        numerator = parts[0] if len(parts) == 1 else ("share", key)
        if numerator not in counts:
            counts[numerator] = sum(counts[part] for part in parts)
            tie(numerator, parts)
        numerators[key] = numerator
        rest = ("rest", key)
        counts[rest] = counts[DECIDED] - counts[numerator]
        hidden.add(rest)
        tie(DECIDED, [numerator, rest])
    shown = suppress_linked(counts, sums, hidden=hidden)
    return OutcomesPublished(
        outcomes={code: shown[("outcome", code)] for code in outcomes},
        kinds={kind.value: shown[("kind", kind.value)] for kind in OutcomeKind},
        decided=shown[DECIDED],
        shares_withheld=frozenset(
            key
            for key, numerator in numerators.items()
            if SUPPRESSED in (shown[numerator], shown[DECIDED])
        ),
    )


def _outcomes_of(figure: Breakdown, codes: Sequence[str]) -> dict[str, int]:
    counts = {row.key: row.count for row in figure.rows}
    return {code: counts.get(code, 0) for code in codes}


def _outcome_charts(
    month: Month,
    now: Breakdown,
    before: Breakdown,
    published: tuple["OutcomesPublished", "OutcomesPublished"],
) -> list[ReportChart]:
    """One bar per outcome, each month's bars withheld as its table's cells are."""
    charts = []
    for which, figure, shown in zip(
        (month, month.last_year), (now, before), published, strict=True
    ):
        title = f"Children decided, by outcome, {which.label}"
        if not figure.total:
            charts.append(
                ReportChart(
                    title, mark_safe(""), "No child in a contact received then was decided.", ""
                )
            )
            continue
        chart = Chart(
            key=f"board_outcomes_{which.key.replace('-', '_')}",
            kind=ChartKind.BAR,
            title=title,
            summary=_outcome_summary(figure, shown.outcomes),
            category_heading=figure.dimension,
            value_heading="Contacts",
            categories=tuple(row.label for row in figure.rows),
            ticks=tuple(row.label for row in figure.rows),
            series=(
                ChartSeries(
                    "outcomes",
                    "Contacts",
                    BLUE,
                    tuple(
                        None if shown.outcomes[row.key] == SUPPRESSED else float(row.count)
                        for row in figure.rows
                    ),
                    tuple(_shown_text(shown.outcomes[row.key]) for row in figure.rows),
                ),
            ),
            suppressed=True,
        )
        charts.append(_report_chart(chart))
    return charts


def _outcome_summary(figure: Breakdown, shown: Mapping[str, int | str]) -> str:
    """The two most common outcomes of those shown, with their counts and shares."""
    ranked = sorted(
        (row for row in figure.rows if shown[row.key] != SUPPRESSED and row.count),
        key=lambda row: -row.count,
    )
    if not ranked:
        return "Too few decided contacts to show without a small count."

    def part(row: CountRow) -> str:
        return f"{row.label}: {share(row.count, figure.total)}"

    sentence = f"The most common outcome was {part(ranked[0])}"
    if len(ranked) > 1:
        sentence += f", then {part(ranked[1])}"
    return sentence + "."


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


def _outcome_table(
    month: Month,
    now: Breakdown,
    before: Breakdown,
    published: tuple[OutcomesPublished, OutcomesPublished],
) -> Table:
    rows = _outcome_rows(now, before)

    def cells(figure: Breakdown, shown: OutcomesPublished, code: str) -> tuple[str, str]:
        value = shown.outcomes[code]
        if value == SUPPRESSED:
            return SUPPRESSED, SUPPRESSED
        # A share says what it is of; where the total is withheld, so is the share.
        if shown.decided == SUPPRESSED:
            return whole(int(value)), SUPPRESSED
        return whole(int(value)), share(int(value), figure.total)

    body = tuple(
        (
            Cell(label),
            *(
                Cell(text, numeric=True)
                for figure, shown in zip((now, before), published, strict=True)
                for text in cells(figure, shown, code)
            ),
        )
        for code, label in rows
    )
    total = (
        Cell("Children decided"),
        *(
            Cell(text, numeric=True)
            for figure, shown in zip((now, before), published, strict=True)
            for text in (
                _shown_text(shown.decided),
                SUPPRESSED if shown.decided == SUPPRESSED else share(figure.total, figure.total),
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


def _value_comparison(
    month: Month,
    now: ValueForMoney,
    before: ValueForMoney,
    published: tuple[OutcomesPublished, OutcomesPublished],
) -> Table:
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
                _per_contact(kinds_now.get(key), published[0]),
                _per_contact(kinds_before.get(key), published[1]),
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


def _per_contact(line: OutcomeLine | None, published: OutcomesPublished) -> str:
    """A kind's cost per contact, withheld with its count: with the costs by kind and
    their total, two costs per contact would give back two counts withheld together."""
    if line is None:
        return NO_FIGURE
    if is_small(line.contacts) or published.kinds.get(line.key) == SUPPRESSED:
        return SUPPRESSED
    return pounds(line.per_contact)


def _headlines(
    this_month: MetricFilter,
    last_year: MetricFilter,
    now: Mapping[str, Any],
    before: Mapping[str, Any],
    published: tuple[OutcomesPublished, OutcomesPublished],
) -> list[Headline]:
    received_now: Count = now["contacts_received"]
    received_before: Count = before["contacts_received"]
    open_now: Workload = now["open_per_screener"]
    open_before: Workload = before["open_per_screener"]
    contacts = (received_now.value, received_before.value)
    compared = []
    for key, label, measure in COMPARED:
        if key in BY_RAG:
            compared += by_rag_headlines(key, measure, this_month, last_year, contacts)
            continue
        compared.append(
            compared_headline(
                key,
                label,
                before_after_compare(measure, before=last_year, after=this_month),
                contacts,
                (key in published[0].shares_withheld, key in published[1].shares_withheld),
            )
        )
    if not received_before.value:
        # No contacts at all a year before: OpenMASH was most likely not in use, and a
        # change from nothing says nothing.
        compared = [
            replace(row, change=NO_FIGURE, interval=NO_FIGURE, beyond_chance=NO_FIGURE)
            for row in compared
        ]
    counts = [
        count_headline("contacts_received", "Contacts received", *contacts),
        count_headline(
            "open_at_end",
            "Contacts open in the MASH at the end of the month",
            open_now.total,
            open_before.total,
        ),
    ]
    if not received_before.value:
        # Nor are the counts: a change of +370 from none would say nothing either.
        counts = [replace(row, change=NO_FIGURE) for row in counts]
    return [counts[0], *compared, counts[1]]


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
    "cannot be worked out, wherever in the report the figures that add up are shown (each "
    "day's contacts and the month's; the outcomes, their kinds and the headline shares of "
    "the decided contacts). The report holds no personal data.",
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
    outcomes_now: Breakdown = figures_now["outcome_shares"]
    outcomes_before: Breakdown = figures_before["outcome_shares"]
    codes = [code for code, _ in _outcome_rows(outcomes_now, outcomes_before)]
    kind_of = dict(Outcome.objects.values_list("code", "kind"))
    published = (
        outcomes_published(
            _outcomes_of(outcomes_now, codes),
            {line.key: line.contacts for line in value_now.outcome_kinds},
            kind_of,
        ),
        outcomes_published(
            _outcomes_of(outcomes_before, codes),
            {line.key: line.contacts for line in value_before.outcome_kinds},
            kind_of,
        ),
    )
    return BoardReport(
        area_name=settings.MASH_AREA_NAME,
        month=month,
        produced_at=now,
        headlines=_headlines(this_filter, last_filter, figures_now, figures_before, published),
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
            *_outcome_charts(month, outcomes_now, outcomes_before, published),
            _agency_cost_chart(month, value_now),
        ],
        outcome_table=_outcome_table(month, outcomes_now, outcomes_before, published),
        value_comparison=_value_comparison(month, value_now, value_before, published),
        value_tables=[
            unit_cost_table(value_now, suppress=True),
            stage_table(value_now, suppress=True),
            agency_table(value_now, suppress=True),
            outcome_kind_table(value_now, suppress=True, withheld=published[0].kinds_withheld),
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
        strategy_table=strategy_table(month, figures_now, figures_before),
    )


def _timing_cells(row: DurationRow) -> tuple[str, str, str, str]:
    """Reached, not yet, median and 90th percentile hours; a count of 1 to 4 withheld,
    and the times worked out from it withheld with it."""
    if not row.measured:
        median = p90 = NO_FIGURE
    elif is_small(row.measured):
        median = p90 = SUPPRESSED
    else:
        median, p90 = hours(row.median_hours), hours(row.p90_hours)
    return _count(row.measured), _count(row.open), median, p90


def strategy_table(month: Month, now: Mapping[str, Any], before: Mapping[str, Any]) -> Table:
    """The strategy discussions on the month's contacts, and the same month's last year:
    how many reached each step and how long it took (median and 90th percentile hours)."""
    rows = []
    for key, label in STRATEGY_TIMINGS:
        for period, figures in ((month, now), (month.last_year, before)):
            measured, still_open, median, p90 = _timing_cells(figures[key].overall)
            rows.append(
                (
                    Cell(f"{label}, {period.label}"),
                    Cell(measured, numeric=True),
                    Cell(still_open, numeric=True),
                    Cell(median, numeric=True),
                    Cell(p90, numeric=True),
                )
            )
    return Table(
        "Strategy discussions: time taken (hours), this month and the same month last year",
        (
            Cell("Step"),
            Cell("Reached", numeric=True),
            Cell("Not yet", numeric=True),
            Cell("Median", numeric=True),
            Cell("90th percentile", numeric=True),
        ),
        tuple(rows),
    )


def _notes(month: Month, received_before: Count) -> list[str]:
    if received_before.value:
        return []
    return [
        f"No contacts were recorded in {month.last_year.label}: OpenMASH may not have been "
        "in use then, so this month is not compared with it."
    ]
