"""What the dashboard shows: the indicators' figures laid out as headline tiles and
tables, with every number already formatted, so the template holds no logic."""

import html
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeData, SafeString, mark_safe

from openmash.core.proportions import MIN_SAMPLE, NOT_ENOUGH, Proportion
from openmash.metrics.charts import Chart, chart_svg, charts_for
from openmash.metrics.evaluation import (
    Comparison,
    LevelRow,
    LevelTable,
    MeasureKind,
    PeriodFigure,
)
from openmash.metrics.figures import (
    Amendments,
    Breaches,
    Breakdown,
    Count,
    DurationRow,
    DurationSeries,
    DurationTable,
    HandOnWorkload,
    Matrix,
    OpenTable,
    Rate,
    RateRow,
    RateTable,
    Series,
    StepDown,
    Workload,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS, Group, Indicator, Unit, indicators_in
from openmash.metrics.numbers import (
    NO_FIGURE,
    day_text,
    days,
    half_up,
    hours,
    long_day,
    one_place,
    plural,
    rounded,
    share,
    signed,
    whole,
)


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False


def _numbers(*texts: str) -> tuple[Cell, ...]:
    return tuple(Cell(text, numeric=True) for text in texts)


def _escaped(text: str) -> str:
    """conditional_escape for the many cells of a page's tables, without the check for
    lazy text it makes on every call (a cell's text is a str, never lazy): the year's
    tables were written in 1.4 ms, not 4.3."""
    return text if isinstance(text, SafeData) else html.escape(text)


@dataclass(frozen=True)
class Download:
    label: str  # e.g. "SVG"
    href: str


@dataclass(frozen=True)
class Table:
    caption: str
    head: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # The last row is a total, shown in bold.
    total_last: bool = False
    downloads: tuple[Download, ...] = ()

    def body_html(self) -> SafeString:
        """The rows as GOV.UK table rows (metrics/_table.html puts them in the table's
        body): the row's first cell a row header, the total's cells in bold. Written
        here, not by the template: a year's page has about 2,800 cells, which took the
        template half of the page's rendering time."""
        rows = []
        last = len(self.rows) - 1
        for number, row in enumerate(self.rows):
            total = self.total_last and number == last
            cells = []
            for index, cell in enumerate(row):
                text = _escaped(cell.text)
                if index == 0:
                    regular = "" if total else " govuk-!-font-weight-regular"
                    cells.append(
                        f'<th scope="row" class="govuk-table__header{regular}">{text}</th>'
                    )
                    continue
                numeric = " govuk-table__cell--numeric" if cell.numeric else ""
                shown = f"<strong>{text}</strong>" if total else text
                cells.append(f'<td class="govuk-table__cell{numeric}">{shown}</td>')
            rows.append(f'<tr class="govuk-table__row">{"".join(cells)}</tr>')
        return mark_safe("\n".join(rows))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class ChartView:
    """A chart on the page: its one-sentence summary, the inline SVG, its figures as a
    table, and its downloads."""

    key: str
    title: str
    summary: str
    svg: SafeString
    table: Table
    note: str
    downloads: list[Download]


@dataclass(frozen=True)
class IndicatorSection:
    key: str
    title: str
    definition: list[str]
    summary: str
    tables: list[Table]
    chart: ChartView | None = None


@dataclass(frozen=True)
class GroupSection:
    key: str
    title: str
    indicators: list[IndicatorSection]


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    hint: str
    # The RAG rating a timeliness figure is for: a headline share in time is never
    # blended across ratings, where a good green figure would hide a poor red one.
    rag: str = ""


def _head(*texts: str, first_text: bool = True) -> tuple[Cell, ...]:
    return tuple(
        Cell(text, numeric=not (first_text and index == 0)) for index, text in enumerate(texts)
    )


# --- One layout per kind of figure ---------------------------------------------------


def _count(title: str, figure: Count) -> tuple[str, list[Table]]:
    return plural(figure.value, "contact"), []


def _series(title: str, figure: Series) -> tuple[str, list[Table]]:
    rows = tuple(
        (Cell(day_text(point.day)), *_numbers(whole(point.count))) for point in figure.points
    )
    if figure.is_level:
        head = _head("At the end of", "Contacts open")
        last = figure.points[-1].count if figure.points else None
        summary = "" if last is None else f"{whole(last)} open at the end of the period"
        return summary, [Table(title, head, rows)]
    first = "Day" if figure.step == "day" else "Week starting"
    mean = figure.mean
    per = "day" if figure.step == "day" else "week"
    summary = "" if mean is None else f"Average {mean:,.1f} a {per}"
    return summary, [Table(title, _head(first, "Contacts"), rows)]


def _breakdown(title: str, figure: Breakdown) -> tuple[str, list[Table]]:
    rows = tuple(
        (Cell(row.label), *_numbers(whole(row.count), share(row.count, figure.total)))
        for row in figure.rows
    )
    total = (Cell("Total"), *_numbers(whole(figure.total), share(figure.total, figure.total)))
    return "", [
        Table(title, _head(figure.dimension, "Contacts", "Share"), (*rows, total), total_last=True)
    ]


def _matrix(title: str, figure: Matrix) -> tuple[str, list[Table]]:
    by_column = figure.column_totals()
    by_row = figure.row_totals()
    rows = tuple(
        (
            Cell(hour),
            *_numbers(*(whole(day[index]) for day in figure.counts)),
            *_numbers(whole(by_column.rows[index].count)),
        )
        for index, hour in enumerate(figure.column_labels)
    )
    total = (
        Cell("Total"),
        *_numbers(*(whole(row.count) for row in by_row.rows)),
        *_numbers(whole(by_row.total)),
    )
    head = _head(figure.column_dimension, *(label[:3] for label in figure.row_labels), "Total")
    return "", [Table(title, head, (*rows, total), total_last=True)]


def _duration_row(
    row: DurationRow, in_days: bool, with_deadline: bool, waived: bool
) -> tuple[Cell, ...]:
    cells = [Cell(row.label), *_numbers(whole(row.measured), whole(row.open))]
    if waived:
        cells += _numbers(whole(row.waived or 0))
    cells += _numbers(hours(row.median_hours), hours(row.p90_hours))
    if in_days:
        cells += _numbers(days(row.median_hours), days(row.p90_hours))
    if with_deadline:
        cells += _numbers(
            whole(row.within or 0),
            whole(row.late or 0),
            whole(row.open_overdue or 0),
            share(row.within or 0, row.due),
        )
    return tuple(cells)


# The dimension of a table by RAG rating (openmash.metrics.indicators.timeliness).
RAG_DIMENSION = "RAG rating"


def _in_time_text(row: DurationRow) -> str:
    """A share in time with what it is of: "Red 5.1% (2 of 39)", or "Red not enough to say
    (2 of 3)" below the minimum sample."""
    return f"{row.label} {share(row.within or 0, row.due)}"


def _durations(title: str, figure: DurationTable, unit: Unit) -> tuple[str, list[Table]]:
    in_days = unit == Unit.DAYS
    with_deadline = figure.overall.has_deadline
    waived = figure.overall.waived is not None
    head = [figure.dimension, "Finished", "Open"]
    if waived:
        head.append("Waived")
    head += ["Median (hours)", "90th percentile (hours)"]
    if in_days:
        head += ["Median (days)", "90th percentile (days)"]
    if with_deadline:
        head += ["In time", "Late", "Open and overdue", "Share in time"]
    rows = tuple(_duration_row(row, in_days, with_deadline, waived) for row in figure.rows)
    total = _duration_row(figure.overall, in_days, with_deadline, waived)
    overall = figure.overall
    summary = f"Median {hours(overall.median_hours)} hours"
    if in_days:
        summary += f" ({days(overall.median_hours)} days)"
    if with_deadline and figure.dimension == RAG_DIMENSION:
        summary += "; in time: " + "; ".join(_in_time_text(row) for row in figure.rows if row.due)
    if overall.median_hours is None:
        summary = "Nothing has finished this step yet"
    return summary, [Table(title, _head(*head), (*rows, total), total_last=True)]


def _duration_series(title: str, figure: DurationSeries) -> tuple[str, list[Table]]:
    head = ["Week starting", "Decided", "Open", "Median (hours)"]
    head += [f"{label}: median (hours)" for _, label in figure.groups]
    rows = []
    for week in figure.weeks:
        cells = [Cell(day_text(week.week))]
        cells += _numbers(
            whole(week.overall.measured), whole(week.overall.open), hours(week.overall.median_hours)
        )
        for key, _ in figure.groups:
            row = week.row(key)
            cells += _numbers(hours(row.median_hours if row else None))
        rows.append(tuple(cells))
    return "", [Table(title, _head(*head), tuple(rows))]


def _rate_row(row: RateRow) -> tuple[Cell, ...]:
    return (
        Cell(row.label),
        *_numbers(
            whole(row.numerator), whole(row.denominator), share(row.numerator, row.denominator)
        ),
    )


def _rates(title: str, figure: RateTable) -> tuple[str, list[Table]]:
    head = _head(figure.dimension, figure.numerator_label, figure.denominator_label, "Rate")
    rows = tuple(_rate_row(row) for row in figure.rows)
    overall = figure.overall
    summary = f"{share(overall.numerator, overall.denominator, interval=True)} overall"
    return summary, [Table(title, head, (*rows, _rate_row(figure.overall)), total_last=True)]


def _rate(title: str, figure: Rate) -> tuple[str, list[Table]]:
    summary = share(figure.numerator, figure.denominator, interval=True)
    return summary, []


def _list_table(title: str, rows: list[tuple[str, str]]) -> Table:
    return Table(
        title,
        _head("Figure", "Value"),
        tuple((Cell(label), *_numbers(value)) for label, value in rows),
    )


def _step_down(title: str, figure: StepDown) -> tuple[str, list[Table]]:
    rows = [
        ("Contacts decided", whole(figure.decided)),
        ("Stepped down to early help", whole(figure.stepped_down)),
        ("Share stepped down", share(figure.stepped_down, figure.decided)),
        ("Cases handed to early help", whole(figure.hand_ons)),
        ("Accepted by early help", whole(figure.accepted)),
        ("Returned to the MASH", whole(figure.returned)),
        ("Not answered yet", whole(figure.pending)),
        ("Withdrawn after an amended decision", whole(figure.withdrawn)),
    ]
    return f"{share(figure.stepped_down, figure.decided, interval=True)} stepped down", [
        _list_table(title, rows)
    ]


def _amendments(title: str, figure: Amendments) -> tuple[str, list[Table]]:
    rows = [
        ("Contacts decided", whole(figure.decided)),
        ("Contacts with an amended decision", whole(figure.amended)),
        ("Share amended", share(figure.amended, figure.decided)),
        ("Amendments made", whole(figure.amendments)),
    ]
    return f"{share(figure.amended, figure.decided, interval=True)} amended", [
        _list_table(title, rows)
    ]


def _workload(title: str, figure: Workload) -> tuple[str, list[Table]]:
    held = figure.held
    middle = statistics.median(held) if held else None
    rows = [
        ("Open contacts", whole(figure.total)),
        ("Taken by a screener", whole(sum(held))),
        ("Not taken by anyone", whole(figure.unassigned)),
        ("Screeners holding open contacts", whole(len(held))),
        ("Most held by one screener", whole(held[0]) if held else NO_FIGURE),
        ("Median held per screener", NO_FIGURE if middle is None else one_place(middle)),
        ("Average held per screener", NO_FIGURE if not held else one_place(sum(held) / len(held))),
    ]
    summary = f"{whole(figure.total)} open contacts"
    return summary, [_list_table(title, rows)]


def _open_table(title: str, figure: OpenTable) -> Table:
    with_overdue = any(row.overdue is not None for row in figure.rows)
    head = [figure.dimension, "Open"] + (["Overdue"] if with_overdue else [])
    rows = tuple(
        (
            Cell(row.label),
            *_numbers(whole(row.open)),
            *(_numbers(whole(row.overdue or 0)) if with_overdue else ()),
        )
        for row in figure.rows
    )
    total: tuple[Cell, ...] = (Cell("Total"), *_numbers(whole(figure.total)))
    if with_overdue:
        total += _numbers(whole(sum(row.overdue or 0 for row in figure.rows)))
    return Table(title, _head(*head), (*rows, total), total_last=True)


def _open(title: str, figure: OpenTable) -> tuple[str, list[Table]]:
    return f"{whole(figure.total)} open", [_open_table(title, figure)]


def _hand_on_workload(title: str, figure: HandOnWorkload) -> tuple[str, list[Table]]:
    tables = [_open_table(title, figure.by_team)]
    if figure.early_help_teams.rows:
        tables.append(_open_table(f"{title}: early help teams", figure.early_help_teams))
    return f"{whole(figure.by_team.total)} waiting", tables


def _breaches(title: str, figure: Breaches) -> tuple[str, list[Table]]:
    _, decisions = _rates(f"{title}: decisions", figure.decisions)
    _, checks = _rates(f"{title}: agency checks", figure.checks)
    summary = (
        f"{whole(figure.decisions.overall.numerator)} decision deadlines and "
        f"{whole(figure.checks.overall.numerator)} check deadlines missed"
    )
    return summary, decisions + checks


LAYOUTS: Mapping[type, Callable[..., tuple[str, list[Table]]]] = {
    Count: _count,
    Series: _series,
    Breakdown: _breakdown,
    Matrix: _matrix,
    RateTable: _rates,
    Rate: _rate,
    StepDown: _step_down,
    Amendments: _amendments,
    Workload: _workload,
    OpenTable: _open,
    HandOnWorkload: _hand_on_workload,
    Breaches: _breaches,
    DurationSeries: _duration_series,
}

# Charted indicators whose own table is the chart's: shown once, under the chart.
TABLE_IS_THE_CHART = ("contacts_per_day", "backlog")


def chart_table(chart: Chart) -> Table:
    rows = tuple((Cell(row[0]), *_numbers(*row[1:])) for row in chart.rows)
    return Table(f"{chart.title}: the figures", _head(*chart.head), rows)


def chart_view(chart: Chart, query: str) -> ChartView:
    """The chart as the page shows it; `query` is the page's filters, which the downloads
    keep."""
    downloads = [
        Download(
            label,
            reverse("metrics:chart-download", kwargs={"chart": chart.key, "file_format": form})
            + (f"?{query}" if query else ""),
        )
        for form, label in (("svg", "SVG"), ("png", "PNG"))
    ]
    # Safe: chart_svg escapes every text it writes.
    svg = mark_safe(chart_svg(chart))  # noqa: S308
    return ChartView(
        chart.key, chart.title, chart.summary, svg, chart_table(chart), chart.note, downloads
    )


def table_downloads(key: str, number: int, query: str) -> tuple[Download, ...]:
    """The CSV and Excel downloads of the indicator's table `number` (from 1)."""
    return tuple(
        Download(
            label,
            reverse(
                "metrics:table-download",
                kwargs={"indicator": key, "number": number, "export_format": form},
            )
            + (f"?{query}" if query else ""),
        )
        for form, label in (("csv", "CSV"), ("xlsx", "Excel"))
    )


def indicator_section(
    indicator: Indicator, figure: Any, chart: ChartView | None = None, query: str = ""
) -> IndicatorSection:
    if isinstance(figure, DurationTable):
        summary, tables = _durations(indicator.title, figure, indicator.unit)
    else:
        summary, tables = LAYOUTS[type(figure)](indicator.title, figure)
    tables = [
        replace(table, downloads=table_downloads(indicator.key, number, query))
        for number, table in enumerate(tables, start=1)
    ]
    if chart is not None and indicator.key in TABLE_IS_THE_CHART:
        # The chart's table is this one: shown once, under the chart, with its downloads.
        chart = replace(chart, table=replace(chart.table, downloads=tables[0].downloads))
        tables = []
    return IndicatorSection(
        indicator.key, indicator.title, indicator.paragraphs, summary, tables, chart
    )


def _share_tile(key: str, label: str, part: int, of: int, what: str, rag: str = "") -> Tile:
    """A headline share with its count and 95% interval under it; below the minimum
    sample the tile says there is not enough to say, never 0% or 100% from a few cases."""
    proportion = Proportion(part, of)
    value = proportion.percent_text(none=NO_FIGURE)
    hint = f"{proportion.count_text()} {what}"
    if not of:
        hint = "none in the period"
    elif not proportion.enough:
        hint += f" (at least {MIN_SAMPLE} needed)"
    else:
        hint += f"; {proportion.interval_text()}"
    return Tile(key, label, value[0].upper() + value[1:], hint, rag=rag)


def _in_time_tiles(turnaround: DurationTable) -> list[Tile]:
    """Decided in time, one tile per RAG rating (most urgent first), each with its count:
    never one blended figure, which let a good green share hide a poor red one."""
    return [
        _share_tile(
            f"decided_in_time_{row.key}",
            f"{row.label}: decided in time",
            row.within or 0,
            row.due,
            "due by the RAG rating's deadline",
            rag=row.label,
        )
        for row in turnaround.rows
    ]


def _tiles(figures: Mapping[str, Any]) -> list[Tile]:
    received: Count = figures["contacts_received"]
    turnaround: DurationTable = figures["decision_turnaround"]
    nfa: RateTable = figures["nfa_by_source"]
    re_referrals: Rate = figures["re_referrals"]
    workload: Workload = figures["open_per_screener"]
    return [
        Tile("contacts_received", "Contacts received", whole(received.value), "in the period"),
        Tile(
            "decision_turnaround",
            "Median turnaround",
            f"{days(turnaround.overall.median_hours)} days",
            "from receipt to the MASH decision",
        ),
        *_in_time_tiles(turnaround),
        _share_tile(
            "nfa_rate",
            "No further action",
            nfa.overall.numerator,
            nfa.overall.denominator,
            "decided children",
        ),
        _share_tile(
            "re_referrals",
            "Re-referrals",
            re_referrals.numerator,
            re_referrals.denominator,
            "contacts came back within 12 months",
        ),
        Tile("open_at_end", "Open at the end", whole(workload.total), "contacts in the MASH"),
    ]


@dataclass(frozen=True)
class DashboardPage:
    filter: MetricFilter
    tiles: list[Tile]
    groups: list[GroupSection]

    @classmethod
    def of(cls, f: MetricFilter, figures: Mapping[str, Any], *, query: str = "") -> "DashboardPage":
        """`query`: the page's filters as sent (the downloads keep them)."""
        charts = {key: chart_view(chart, query) for key, chart in charts_for(figures).items()}
        groups = [
            GroupSection(
                group.value,
                group.label,
                [
                    indicator_section(each, figures[each.key], charts.get(each.key), query)
                    for each in indicators_in(group)
                ],
            )
            for group in Group
        ]
        return cls(f, _tiles(figures), groups)

    @property
    def period_text(self) -> str:
        start, end = self.filter.start, self.filter.end
        return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


# --- Before and after ------------------------------------------------------------------


def _counted(comparison: Comparison, figure: PeriodFigure) -> str:
    kind = comparison.measure.kind
    if kind == MeasureKind.SHARE:
        return f"{whole(figure.numerator or 0)} of {whole(figure.count)}"
    if kind == MeasureKind.PER_DAY:
        return plural(figure.count, "day")
    return f"{whole(figure.count)} timed"


@dataclass(frozen=True)
class ComparisonPage:
    title: str
    definition: list[str]
    sentence: str
    method: str
    table: Table
    is_unlikely_chance: bool

    @classmethod
    def of(cls, comparison: Comparison) -> "ComparisonPage":
        measure = comparison.measure
        # The measure's own words with the first letter raised ("median time to the MASH
        # decision"); capitalize() would lower every other letter, MASH and RAG too.
        words = measure.label.split(": ")[-1]
        value_heading = words[:1].upper() + words[1:]
        too_few = bool(comparison.too_few)
        difference = NOT_ENOUGH if too_few else comparison.shown_change
        interval = (
            NOT_ENOUGH
            if too_few
            else NO_FIGURE
            if comparison.low is None
            else f"{comparison.shown_difference(comparison.low)} to "
            f"{comparison.shown_difference(comparison.high)}"
        )
        rows = (
            (
                Cell("Before"),
                Cell(comparison.before.period_text),
                *_numbers(
                    comparison.counted(comparison.before),
                    _counted(comparison, comparison.before),
                ),
            ),
            (
                Cell("After"),
                Cell(comparison.after.period_text),
                *_numbers(
                    comparison.counted(comparison.after), _counted(comparison, comparison.after)
                ),
            ),
            (
                Cell("Difference (after less before, as shown above)"),
                Cell(""),
                *_numbers(difference, ""),
            ),
            (
                Cell("95% confidence interval of the difference"),
                Cell(""),
                *_numbers(interval, ""),
            ),
        )
        caption = measure.label + (
            f" (contacts rated {comparison.rag_label.lower()})" if comparison.rag_label else ""
        )
        table = Table(
            caption, (Cell(""), Cell("Period"), *_numbers(value_heading, "Counted")), rows
        )
        return cls(
            measure.label,
            INDICATORS[measure.indicator].paragraphs,
            comparison.sentence,
            comparison.method,
            table,
            comparison.is_unlikely_chance and not too_few,
        )


def _in_days(value: float | None) -> str:
    return NO_FIGURE if value is None else rounded(value, 2)


def _signed_days(value: float | None) -> str:
    return NO_FIGURE if value is None else signed(rounded(value, 2))


def _shown_change(before: float | None, after: float | None) -> str:
    """After less before, each as the table shows it (to two places), so the three agree."""
    if before is None or after is None:
        return NO_FIGURE
    return signed(rounded(half_up(after, 2) - half_up(before, 2), 2))


def _level_cells(row: LevelRow) -> tuple[Cell, ...]:
    interval = (
        NO_FIGURE
        if row.median_low is None or row.median_high is None
        else f"{_signed_days(row.median_low)} to {_signed_days(row.median_high)}"
    )
    return (
        Cell(row.label),
        *_numbers(
            _in_days(row.before.median),
            _in_days(row.before.mean),
            whole(row.before.count),
            _in_days(row.after.median),
            _in_days(row.after.mean),
            whole(row.after.count),
            _shown_change(row.before.median, row.after.median),
            interval,
            _shown_change(row.before.mean, row.after.mean),
        ),
    )


@dataclass(frozen=True)
class LevelTablePage:
    before_text: str
    after_text: str
    table: Table

    @classmethod
    def of(cls, figures: LevelTable) -> "LevelTablePage":
        head = _head(
            "Initial level of need",
            "Before: median (days)",
            "Before: mean (days)",
            "Before: contacts",
            "After: median (days)",
            "After: mean (days)",
            "After: contacts",
            "Difference in median (days)",
            "95% CI of the difference in median",
            "Difference in mean (days)",
        )
        rows = tuple(_level_cells(row) for row in (*figures.rows, figures.overall))
        before, after = figures.before, figures.after
        return cls(
            f"{long_day(before.start)} to {long_day(before.end)}",
            f"{long_day(after.start)} to {long_day(after.end)}",
            Table(
                "Turnaround from contact to decision, in days, by initial level of need",
                head,
                rows,
                total_last=True,
            ),
        )
