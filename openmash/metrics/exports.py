"""The dashboard's tables as CSV and Excel (through openmash/extracts/tables.py): the
same rows as the page, in the same order, with real numbers (counts as whole numbers,
hours to one place, shares as percentages) instead of the page's text.

A download can leave the hub, so with `suppress` (every download) small numbers are
withheld as openmash/metrics/suppression.py says: a count from 1 to 4 is "[c]"; wherever
published counts add up to another (a column and its total, open contacts taken and not
taken, hand-ons accepted, returned, waiting and withdrawn, a rate's numerator and
denominator), enough others too that no withheld count is a total less the rest
(openmash/metrics/disclosure.py lists each figure's sums); a rate whose numerator or
denominator is withheld, or whose numerator, denominator or remainder is small; and a
median or percentile of fewer than 5 items. A two-way table (weekday by hour) is sent
without its totals.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openmash.extracts.tables import Cell, Column, ColumnKind, Table
from openmash.metrics.disclosure import (
    OVERALL,
    Shown,
    amendments_shown,
    durations_shown,
    hand_on_workload_shown,
    matrix_shown,
    open_shown,
    rates_shown,
    series_shown,
    step_down_shown,
    weeks_shown,
    workload_shown,
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
    RateTable,
    Series,
    StepDown,
    Workload,
    missed_deadlines,
)
from openmash.metrics.indicators import Indicator, Unit
from openmash.metrics.numbers import half_up
from openmash.metrics.suppression import SUPPRESSED, is_small, suppress_counts, suppress_rate

TOTAL = "Total"
# The timings of the contacts received in the period (counted in every breakdown of
# contacts), and the one whose finished contacts are those decided.
OF_CONTACTS_RECEIVED = frozenset({"time_to_screening", "time_to_rag_rating"})
OF_DECISIONS = "decision_turnaround"


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


def _column(counts: Sequence[int], *, suppress: bool) -> _Counts:
    """A column published with its total."""
    if not suppress:
        return _Counts(list(counts), sum(counts))
    shown, suppressed_total = suppress_counts(dict(enumerate(counts)))
    return _Counts([shown[index] for index in range(len(counts))], suppressed_total)


def _rate(numerator: int, denominator: int, *, suppress: bool, withheld: bool) -> Cell:
    """numerator / denominator as a percentage; with `suppress`, withheld if either
    count is (`withheld`), since the rate and one would give the other."""
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


def _rows_then_overall(rows: int) -> list[int]:
    return [*range(rows), OVERALL]


# --- One layout per kind of figure, as the page's -----------------------------------


def _series(title: str, figure: Series, suppress: bool) -> list[Table]:
    if figure.is_level:
        heads = ("At the end of", "Contacts open")
    else:
        heads = ("Day" if figure.step == "day" else "Week starting", "Contacts")
    counts = series_shown(figure) if suppress else [point.count for point in figure.points]
    rows = [[point.day, shown] for point, shown in zip(figure.points, counts, strict=True)]
    return [Table(title, (Column(heads[0], ColumnKind.DATE), _count(heads[1])), rows)]


def _breakdown(title: str, figure: Breakdown, suppress: bool) -> list[Table]:
    counts = _column([row.count for row in figure.rows], suppress=suppress)
    rows: list[list[Cell]] = []
    for row, shown in zip(figure.rows, counts.shown, strict=True):
        share = SUPPRESSED if shown == SUPPRESSED else _percent(figure.share(row))
        rows.append([row.label, shown, share])
    rows.append([TOTAL, counts.total, 100.0 if figure.total else None])
    columns = (Column(figure.dimension), _count("Contacts"), _number("Share (%)"))
    return [Table(title, columns, rows)]


def _matrix(title: str, figure: Matrix, suppress: bool) -> list[Table]:
    columns = [Column(figure.column_dimension)] + [_count(label[:3]) for label in figure.row_labels]
    shown: Sequence[Sequence[int | str]] = matrix_shown(figure) if suppress else figure.counts
    rows: list[list[Cell]] = []
    for index, hour in enumerate(figure.column_labels):
        row: list[Cell] = [hour, *(day[index] for day in shown)]
        if not suppress:
            row.append(sum(day[index] for day in figure.counts))
        rows.append(row)
    if not suppress:
        columns.append(_count(TOTAL))
        by_row = figure.row_totals()
        rows.append([TOTAL, *(row.count for row in by_row.rows), by_row.total])
    return [Table(title, tuple(columns), rows)]


def _durations(
    title: str,
    figure: DurationTable,
    unit: Unit,
    suppress: bool,
    *,
    of_contacts_received: bool,
    of_decisions: bool,
) -> list[Table]:
    every = (*figure.rows, figure.overall)
    indices = _rows_then_overall(len(figure.rows))
    in_days = unit == Unit.DAYS
    with_deadline = figure.overall.has_deadline
    waived = figure.overall.waived is not None
    shown = (
        durations_shown(
            figure, of_contacts_received=of_contacts_received, of_decisions=of_decisions
        )
        if suppress
        else {}
    )

    def counts(what: str, of: Callable[[DurationRow], int]) -> list[Cell]:
        if not suppress:
            return [of(row) for row in every]
        return [shown[(what, index)] for index in indices]

    def withheld(index: int, *whats: str) -> bool:
        return any(shown.get((what, index)) == SUPPRESSED for what in whats)

    columns: list[Column] = [Column(figure.dimension), _count("Finished"), _count("Open")]
    values: list[list[Cell]] = [
        counts("finished", lambda row: row.measured),
        counts("open", lambda row: row.open),
    ]
    if waived:
        columns.append(_count("Waived"))
        values.append(counts("waived", lambda row: row.waived or 0))
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
        values += [
            counts("within", lambda row: row.within or 0),
            counts("late", lambda row: row.late or 0),
            counts("overdue", lambda row: row.open_overdue or 0),
        ]
        columns.append(_number("Share in time (%)"))
        values.append(
            [
                _rate(
                    row.within or 0,
                    row.due,
                    suppress=suppress,
                    withheld=withheld(index, "within", "late", "overdue", "missed", "due"),
                )
                for index, row in zip(indices, every, strict=True)
            ]
        )
    rows = [[row.label, *(column[index] for column in values)] for index, row in enumerate(every)]
    return [Table(title, tuple(columns), rows)]


def _rate_table(title: str, figure: RateTable, shown: Shown | None) -> Table:
    """A rate table; `shown` its counts as they may be published (keys ("n" | "d",
    row)), or None inside the hub."""
    every = (*figure.rows, figure.overall)
    rows: list[list[Cell]] = []
    for index, row in zip(_rows_then_overall(len(figure.rows)), every, strict=True):
        if shown is None:
            numerator: Cell = row.numerator
            denominator: Cell = row.denominator
        else:
            numerator, denominator = shown[("n", index)], shown[("d", index)]
        rate = _rate(
            row.numerator,
            row.denominator,
            suppress=shown is not None,
            withheld=SUPPRESSED in (numerator, denominator),
        )
        rows.append([row.label, numerator, denominator, rate])
    columns = (
        Column(figure.dimension),
        _count(figure.numerator_label),
        _count(figure.denominator_label),
        _number("Rate (%)"),
    )
    return Table(title, columns, rows)


def _rates(title: str, figure: RateTable, suppress: bool) -> list[Table]:
    return [_rate_table(title, figure, rates_shown(figure) if suppress else None)]


def _list(title: str, rows: list[tuple[str, Cell]]) -> list[Table]:
    return [Table(title, (Column("Figure"), _number("Value")), [list(row) for row in rows])]


def _share(
    shown: Mapping[str, Cell], numerator: str, denominator: str, counts: Mapping[str, int]
) -> Cell:
    """counts[numerator] / counts[denominator], withheld if either count is."""
    withheld = SUPPRESSED in (shown[numerator], shown[denominator])
    return _rate(counts[numerator], counts[denominator], suppress=True, withheld=withheld)


def _step_down(title: str, figure: StepDown, suppress: bool) -> list[Table]:
    counts = {
        "decided": figure.decided,
        "stepped_down": figure.stepped_down,
        "hand_ons": figure.hand_ons,
        "accepted": figure.accepted,
        "returned": figure.returned,
        "pending": figure.pending,
        "withdrawn": figure.withdrawn,
    }
    shown: Mapping[str, Cell] = step_down_shown(figure) if suppress else counts
    share = _share(shown, "stepped_down", "decided", counts) if suppress else _percent(figure.share)
    return _list(
        title,
        [
            ("Contacts decided", shown["decided"]),
            ("Stepped down to early help", shown["stepped_down"]),
            ("Share stepped down (%)", share),
            ("Cases handed to early help", shown["hand_ons"]),
            ("Accepted by early help", shown["accepted"]),
            ("Returned to the MASH", shown["returned"]),
            ("Not answered yet", shown["pending"]),
            ("Withdrawn after an amended decision", shown["withdrawn"]),
        ],
    )


def _amendments(title: str, figure: Amendments, suppress: bool) -> list[Table]:
    counts = {"decided": figure.decided, "amended": figure.amended, "amendments": figure.amendments}
    shown: Mapping[str, Cell] = amendments_shown(figure) if suppress else counts
    share = _share(shown, "amended", "decided", counts) if suppress else _percent(figure.ratio)
    return _list(
        title,
        [
            ("Contacts decided", shown["decided"]),
            ("Contacts with an amended decision", shown["amended"]),
            ("Share amended (%)", share),
            ("Amendments made", shown["amendments"]),
        ],
    )


def _workload(title: str, figure: Workload, suppress: bool) -> list[Table]:
    held = sorted(figure.held)
    middle: float | None = None
    if held:
        half = len(held) // 2
        middle = held[half] if len(held) % 2 else (held[half - 1] + held[half]) / 2
    average = sum(held) / len(held) if held else None
    shown: Mapping[str, Cell] = (
        workload_shown(figure)
        if suppress
        else {
            "open": figure.total,
            "taken": sum(held),
            "not_taken": figure.unassigned,
            "most": max(held, default=0),
        }
    )
    # The median and average of what the screeners hold would give a small holding
    # away, and the average times the screeners gives the contacts taken.
    few = suppress and (any(is_small(count) for count in held) or shown["taken"] == SUPPRESSED)
    return _list(
        title,
        [
            ("Open contacts", shown["open"]),
            ("Taken by a screener", shown["taken"]),
            ("Not taken by anyone", shown["not_taken"]),
            ("Screeners holding open contacts", len(held)),
            ("Most held by one screener", shown["most"] if held else None),
            ("Median held per screener", SUPPRESSED if few else _one_place(middle)),
            ("Average held per screener", SUPPRESSED if few else _one_place(average)),
        ],
    )


def _open_table(title: str, figure: OpenTable, shown: Shown | None) -> Table:
    """An open table; `shown` its counts as they may be published (keys ("open" |
    "overdue", row)), or None inside the hub."""
    with_overdue = any(row.overdue is not None for row in figure.rows)
    whats: list[tuple[str, Callable[[Any], int]]] = [("open", lambda row: row.open)]
    columns = [Column(figure.dimension), _count("Open")]
    if with_overdue:
        whats.append(("overdue", lambda row: row.overdue or 0))
        columns.append(_count("Overdue"))
    rows: list[list[Cell]] = []
    for index, row in enumerate(figure.rows):
        if shown is None:
            rows.append([row.label, *(of(row) for _, of in whats)])
        else:
            rows.append([row.label, *(shown[(what, index)] for what, _ in whats)])
    if shown is None:
        total: list[Cell] = [TOTAL, *(sum(of(row) for row in figure.rows) for _, of in whats)]
    else:
        total = [TOTAL, *(shown[(what, OVERALL)] for what, _ in whats)]
    return Table(title, tuple(columns), [*rows, total])


def _open(title: str, figure: OpenTable, suppress: bool) -> list[Table]:
    return [_open_table(title, figure, open_shown(figure) if suppress else None)]


def _hand_on_workload(title: str, figure: HandOnWorkload, suppress: bool) -> list[Table]:
    by_team, by_early_help_team = hand_on_workload_shown(figure) if suppress else (None, None)
    tables = [_open_table(title, figure.by_team, by_team)]
    if figure.early_help_teams.rows:
        tables.append(
            _open_table(f"{title}: early help teams", figure.early_help_teams, by_early_help_team)
        )
    return tables


def _breaches(title: str, figure: Breaches, suppress: bool) -> list[Table]:
    tables = []
    for part, times, of_decisions in (
        ("decisions", figure.decision_times, True),
        ("agency checks", figure.check_times, False),
    ):
        shown: Shown | None = None
        if suppress:
            # As the turnaround's download withholds them.
            counts = durations_shown(times, of_decisions=of_decisions)
            shown = {}
            for index in _rows_then_overall(len(times.rows)):
                shown[("n", index)] = counts[("missed", index)]
                shown[("d", index)] = counts[("due", index)]
        tables.append(_rate_table(f"{title}: {part}", missed_deadlines(times), shown))
    return tables


def _duration_series(title: str, figure: DurationSeries, suppress: bool) -> list[Table]:
    columns = [
        Column("Week starting", ColumnKind.DATE),
        _count("Decided"),
        _count("Open"),
        _number("Median (hours)"),
    ] + [_number(f"{label}: median (hours)") for _, label in figure.groups]
    if suppress:
        weeks = weeks_shown(figure)
        decided, open_ = weeks.decided, weeks.open
    else:
        decided = [week.overall.measured for week in figure.weeks]
        open_ = [week.overall.open for week in figure.weeks]
    rows: list[list[Cell]] = []
    for index, week in enumerate(figure.weeks):
        overall = week.overall
        cells: list[Cell] = [
            week.week,
            decided[index],
            open_[index],
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
        return _durations(
            indicator.title,
            figure,
            indicator.unit,
            suppress,
            of_contacts_received=indicator.key in OF_CONTACTS_RECEIVED,
            of_decisions=indicator.key == OF_DECISIONS,
        )
    return LAYOUTS[type(figure)](indicator.title, figure, suppress)


def file_stem(indicator: Indicator, number: int, start: date, end: date) -> str:
    return f"{indicator.key.replace('_', '-')}-{number}-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}"
