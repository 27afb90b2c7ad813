"""The dashboard's tables as CSV and Excel (through openmash/extracts/tables.py): the
same rows as the page, in the same order, with real numbers (counts as whole numbers,
hours to one place, shares as percentages) instead of the page's text.

A download can leave the hub, so with `suppress` (every download) small numbers are
withheld as openmash/metrics/suppression.py says: a count from 1 to 4 is "[c]"; within a
column published with its total, the next smallest count too, so no withheld count is
the total less the others; a rate whose numerator, denominator or remainder is small;
and a median or percentile of fewer than 5 items. A two-way table (weekday by hour) is
sent without its totals, since one withheld cell could be worked out from them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openmash.extracts.tables import Cell, Column, ColumnKind, Table
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
    RateTable,
    Series,
    StepDown,
    Workload,
)
from openmash.metrics.indicators import Indicator, Unit
from openmash.metrics.numbers import half_up
from openmash.metrics.suppression import (
    SUPPRESSED,
    is_small,
    suppress_count,
    suppress_counts,
    suppress_rate,
)

TOTAL = "Total"


def _count(header: str) -> Column:
    return Column(header, ColumnKind.COUNT)


def _number(header: str) -> Column:
    return Column(header, ColumnKind.NUMBER)


def _one_place(value: float | None) -> float | None:
    return None if value is None else half_up(value, 1)


def _percent(value: float | None) -> float | None:
    return None if value is None else half_up(value * 100, 1)


@dataclass
class _Counts:
    """One column of counts, with its total (if the table shows it), as may be sent."""

    shown: list[int | str]
    total: int | str | None


def _column(counts: Sequence[int], *, suppress: bool, with_total: bool) -> _Counts:
    total = sum(counts) if with_total else None
    if not suppress:
        return _Counts(list(counts), total)
    if with_total:
        shown, suppressed_total = suppress_counts(dict(enumerate(counts)))
        return _Counts([shown[index] for index in range(len(counts))], suppressed_total)
    return _Counts([suppress_count(count) for count in counts], None)


def _rate(numerator: int, denominator: int, *, suppress: bool, withheld: bool) -> Cell:
    if suppress and withheld:
        return SUPPRESSED
    if suppress:
        rate = suppress_rate(numerator, denominator)
        return rate if isinstance(rate, str) else _percent(rate)
    return _percent(numerator / denominator) if denominator else None


def _figure_of(count: int, value: float | None, *, suppress: bool, days: bool = False) -> Cell:
    """A median or percentile of `count` items, withheld when they are few."""
    if suppress and is_small(count):
        return SUPPRESSED
    if value is None:
        return None
    return half_up(value / 24, 2) if days else _one_place(value)


# --- One layout per kind of figure, as the page's -----------------------------------


def _series(title: str, figure: Series, suppress: bool) -> list[Table]:
    if figure.is_level:
        heads = ("At the end of", "Contacts open")
    else:
        heads = ("Day" if figure.step == "day" else "Week starting", "Contacts")
    counts = _column([point.count for point in figure.points], suppress=suppress, with_total=False)
    rows = [[point.day, shown] for point, shown in zip(figure.points, counts.shown, strict=True)]
    return [Table(title, (Column(heads[0], ColumnKind.DATE), _count(heads[1])), rows)]


def _breakdown(title: str, figure: Breakdown, suppress: bool) -> list[Table]:
    counts = _column([row.count for row in figure.rows], suppress=suppress, with_total=True)
    rows: list[list[Cell]] = []
    for row, shown in zip(figure.rows, counts.shown, strict=True):
        share = SUPPRESSED if shown == SUPPRESSED else _percent(figure.share(row))
        rows.append([row.label, shown, share])
    rows.append([TOTAL, counts.total, 100.0 if figure.total else None])
    columns = (Column(figure.dimension), _count("Contacts"), _number("Share (%)"))
    return [Table(title, columns, rows)]


def _matrix(title: str, figure: Matrix, suppress: bool) -> list[Table]:
    columns = [Column(figure.column_dimension)] + [_count(label[:3]) for label in figure.row_labels]
    rows: list[list[Cell]] = []
    for index, hour in enumerate(figure.column_labels):
        cells = [day[index] for day in figure.counts]
        row: list[Cell] = [hour, *(suppress_count(count) if suppress else count for count in cells)]
        if not suppress:
            row.append(sum(cells))
        rows.append(row)
    if not suppress:
        columns.append(_count(TOTAL))
        by_row = figure.row_totals()
        rows.append([TOTAL, *(row.count for row in by_row.rows), by_row.total])
    return [Table(title, tuple(columns), rows)]


def _durations(title: str, figure: DurationTable, unit: Unit, suppress: bool) -> list[Table]:
    every = (*figure.rows, figure.overall)
    parts = list(figure.rows)
    in_days = unit == Unit.DAYS
    with_deadline = figure.overall.has_deadline
    waived = figure.overall.waived is not None

    def counts(of: Callable[[DurationRow], int]) -> list[int | str]:
        column = _column([of(row) for row in parts], suppress=suppress, with_total=True)
        return [*column.shown, column.total if column.total is not None else 0]

    columns: list[Column] = [Column(figure.dimension), _count("Finished"), _count("Open")]
    values: list[list[Cell]] = [
        list(counts(lambda row: row.measured)),
        list(counts(lambda row: row.open)),
    ]
    if waived:
        columns.append(_count("Waived"))
        values.append(list(counts(lambda row: row.waived or 0)))
    columns += [_number("Median (hours)"), _number("90th percentile (hours)")]
    values.append([_figure_of(r.measured, r.median_hours, suppress=suppress) for r in every])
    values.append([_figure_of(r.measured, r.p90_hours, suppress=suppress) for r in every])
    if in_days:
        columns += [_number("Median (days)"), _number("90th percentile (days)")]
        values.append(
            [_figure_of(r.measured, r.median_hours, suppress=suppress, days=True) for r in every]
        )
        values.append(
            [_figure_of(r.measured, r.p90_hours, suppress=suppress, days=True) for r in every]
        )
    if with_deadline:
        columns += [_count("In time"), _count("Late"), _count("Open and overdue")]
        within = counts(lambda row: row.within or 0)
        late = counts(lambda row: row.late or 0)
        overdue = counts(lambda row: row.open_overdue or 0)
        values += [list(within), list(late), list(overdue)]
        columns.append(_number("Share in time (%)"))
        values.append(
            [
                _rate(
                    row.within or 0,
                    row.due,
                    suppress=suppress,
                    withheld=SUPPRESSED in (within[index], late[index], overdue[index]),
                )
                for index, row in enumerate(every)
            ]
        )
    rows = [[row.label, *(column[index] for column in values)] for index, row in enumerate(every)]
    return [Table(title, tuple(columns), rows)]


def _rates(title: str, figure: RateTable, suppress: bool) -> list[Table]:
    every = (*figure.rows, figure.overall)
    numerators = _column([r.numerator for r in figure.rows], suppress=suppress, with_total=True)
    denominators = _column([r.denominator for r in figure.rows], suppress=suppress, with_total=True)
    shown_numerators = [*numerators.shown, numerators.total]
    shown_denominators = [*denominators.shown, denominators.total]
    rows: list[list[Cell]] = []
    for index, row in enumerate(every):
        withheld = SUPPRESSED in (shown_numerators[index], shown_denominators[index])
        rows.append(
            [
                row.label,
                shown_numerators[index],
                shown_denominators[index],
                _rate(row.numerator, row.denominator, suppress=suppress, withheld=withheld),
            ]
        )
    columns = (
        Column(figure.dimension),
        _count(figure.numerator_label),
        _count(figure.denominator_label),
        _number("Rate (%)"),
    )
    return [Table(title, columns, rows)]


def _list(title: str, rows: list[tuple[str, Cell]]) -> list[Table]:
    return [Table(title, (Column("Figure"), _number("Value")), [list(row) for row in rows])]


def _shown(count: int, suppress: bool) -> Cell:
    return suppress_count(count) if suppress else count


def _share(numerator: int, denominator: int, suppress: bool) -> Cell:
    return _rate(numerator, denominator, suppress=suppress, withheld=False)


def _step_down(title: str, figure: StepDown, suppress: bool) -> list[Table]:
    return _list(
        title,
        [
            ("Contacts decided", _shown(figure.decided, suppress)),
            ("Stepped down to early help", _shown(figure.stepped_down, suppress)),
            ("Share stepped down (%)", _share(figure.stepped_down, figure.decided, suppress)),
            ("Cases handed to early help", _shown(figure.hand_ons, suppress)),
            ("Accepted by early help", _shown(figure.accepted, suppress)),
            ("Returned to the MASH", _shown(figure.returned, suppress)),
            ("Not answered yet", _shown(figure.pending, suppress)),
            ("Withdrawn after an amended decision", _shown(figure.withdrawn, suppress)),
        ],
    )


def _amendments(title: str, figure: Amendments, suppress: bool) -> list[Table]:
    return _list(
        title,
        [
            ("Contacts decided", _shown(figure.decided, suppress)),
            ("Contacts with an amended decision", _shown(figure.amended, suppress)),
            ("Share amended (%)", _share(figure.amended, figure.decided, suppress)),
            ("Amendments made", _shown(figure.amendments, suppress)),
        ],
    )


def _workload(title: str, figure: Workload, suppress: bool) -> list[Table]:
    held = sorted(figure.held)
    middle: float | None = None
    if held:
        half = len(held) // 2
        middle = held[half] if len(held) % 2 else (held[half - 1] + held[half]) / 2
    few = suppress and any(is_small(count) for count in held)
    return _list(
        title,
        [
            ("Open contacts", _shown(figure.total, suppress)),
            ("Taken by a screener", _shown(sum(held), suppress)),
            ("Not taken by anyone", _shown(figure.unassigned, suppress)),
            ("Screeners holding open contacts", len(held)),
            ("Most held by one screener", _shown(max(held), suppress) if held else None),
            ("Median held per screener", SUPPRESSED if few else _one_place(middle)),
            (
                "Average held per screener",
                SUPPRESSED if few else _one_place(sum(held) / len(held)) if held else None,
            ),
        ],
    )


def _open_table(title: str, figure: OpenTable, suppress: bool) -> Table:
    with_overdue = any(row.overdue is not None for row in figure.rows)
    open_ = _column([row.open for row in figure.rows], suppress=suppress, with_total=True)
    columns = [Column(figure.dimension), _count("Open")]
    rows: list[list[Cell]] = [
        [row.label, shown] for row, shown in zip(figure.rows, open_.shown, strict=True)
    ]
    total: list[Cell] = [TOTAL, open_.total]
    if with_overdue:
        columns.append(_count("Overdue"))
        overdue = _column(
            [row.overdue or 0 for row in figure.rows], suppress=suppress, with_total=True
        )
        for row, shown in zip(rows, overdue.shown, strict=True):
            row.append(shown)
        total.append(overdue.total)
    return Table(title, tuple(columns), [*rows, total])


def _open(title: str, figure: OpenTable, suppress: bool) -> list[Table]:
    return [_open_table(title, figure, suppress)]


def _hand_on_workload(title: str, figure: HandOnWorkload, suppress: bool) -> list[Table]:
    tables = [_open_table(title, figure.by_team, suppress)]
    if figure.early_help_teams.rows:
        tables.append(_open_table(f"{title}: early help teams", figure.early_help_teams, suppress))
    return tables


def _breaches(title: str, figure: Breaches, suppress: bool) -> list[Table]:
    return _rates(f"{title}: decisions", figure.decisions, suppress) + _rates(
        f"{title}: agency checks", figure.checks, suppress
    )


def _duration_series(title: str, figure: DurationSeries, suppress: bool) -> list[Table]:
    columns = [
        Column("Week starting", ColumnKind.DATE),
        _count("Decided"),
        _count("Open"),
        _number("Median (hours)"),
    ] + [_number(f"{label}: median (hours)") for _, label in figure.groups]
    rows: list[list[Cell]] = []
    for week in figure.weeks:
        overall = week.overall
        cells: list[Cell] = [
            week.week,
            _shown(overall.measured, suppress),
            _shown(overall.open, suppress),
            _figure_of(overall.measured, overall.median_hours, suppress=suppress),
        ]
        for key, _ in figure.groups:
            row = week.row(key)
            cells.append(
                None
                if row is None
                else _figure_of(row.measured, row.median_hours, suppress=suppress)
            )
        rows.append(cells)
    return [Table(title, tuple(columns), rows)]


def _none(title: str, figure: Any, suppress: bool) -> list[Table]:
    return []


LAYOUTS: dict[type, Callable[[str, Any, bool], list[Table]]] = {
    Count: _none,
    Rate: _none,
    Series: _series,
    Breakdown: _breakdown,
    Matrix: _matrix,
    RateTable: _rates,
    StepDown: _step_down,
    Amendments: _amendments,
    Workload: _workload,
    OpenTable: _open,
    HandOnWorkload: _hand_on_workload,
    Breaches: _breaches,
    DurationSeries: _duration_series,
}


def indicator_tables(indicator: Indicator, figure: Any, *, suppress: bool) -> list[Table]:
    """The indicator's tables as the dashboard shows them, in its order, ready for
    table_response; with `suppress`, as they may leave the hub."""
    if isinstance(figure, DurationTable):
        return _durations(indicator.title, figure, indicator.unit, suppress)
    return LAYOUTS[type(figure)](indicator.title, figure, suppress)


def file_stem(indicator: Indicator, number: int, start: date, end: date) -> str:
    return f"{indicator.key.replace('_', '-')}-{number}-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}"
