"""Which counts of each figure add up to which, so that openmash/metrics/suppression.py
withholds enough of them when the figure leaves the hub (exports.py and the charts): no
withheld count may be worked out by taking published counts from a published total.

Each function lists a figure's counts as cells, (what, row) with the row's index in the
figure or OVERALL, and the sums that tie them:
- the counts its tables and its chart show;
- counts another download shows beside them (`known`): the contacts received, in every
  breakdown of contacts; the children decided, in every table of outcomes; each day's
  arrivals, beside arrivals by weekday and hour; the decision turnaround's overall
  counts, beside the turnaround week by week;
- counts no table shows that a reader could work out (`hidden`): what is left of a
  rate's denominator, open items not yet overdue, what each screener holds.
A figure's tables and chart are withheld together (the two tables of hand-ons waiting;
the turnaround and the deadlines it missed, which are the same counts turned round), so
what one withholds the other does not give away.

Counts of indicators computed apart are not tied here: the outcomes of the decisions are
also counted by kind in the conversion and step-down tables, and early help's answers
both in the step-down table and in the hand-on response times (docs/adr/0008-metrics.md).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from openmash.area.models import HandOnTeam
from openmash.metrics.figures import (
    Amendments,
    DurationRow,
    DurationSeries,
    DurationTable,
    HandOnWorkload,
    Matrix,
    OpenRow,
    OpenTable,
    RateTable,
    Series,
    StepDown,
    Workload,
)
from openmash.metrics.suppression import Sum, suppress_count, suppress_counts, suppress_linked

Key = tuple[str, int]
Shown = dict[Key, int | str]
# The row index of a figure's overall row (its total).
OVERALL = -1


@dataclass
class _Cells:
    """The counts of one figure and the sums a reader could make of them."""

    counts: dict[Key, int] = field(default_factory=dict)
    sums: list[Sum[Key]] = field(default_factory=list)
    hidden: set[Key] = field(default_factory=set)
    known: set[Key] = field(default_factory=set)

    def add(self, what: str, row: int, count: int, *, known: bool = False) -> Key:
        key = (what, row)
        self.counts[key] = count
        if known:
            self.known.add(key)
        return key

    def tie(self, total: Key, parts: Sequence[Key]) -> None:
        """`total` is the sum of `parts`: a reader may take some from it to find the rest.
        Counts that do not add up exactly give nothing away, and are not tied."""
        if self.counts[total] == sum(self.counts[part] for part in parts):
            self.sums.append(Sum(total, tuple(parts)))

    def total(self, what: str, rows: int) -> None:
        """(what, OVERALL) is the sum of (what, row) over the figure's rows."""
        self.tie((what, OVERALL), [(what, row) for row in range(rows)])

    def rest(self, what: str, row: int, total: Key, parts: Sequence[Key]) -> None:
        """A hidden count, (what, row), of what `total` holds beyond `parts`."""
        count = self.counts[total] - sum(self.counts[part] for part in parts)
        if count < 0:  # not a part of the total after all: nothing to work out
            return
        key = self.add(what, row, count)
        self.hidden.add(key)
        self.tie(total, [*parts, key])

    def shown(self) -> Shown:
        return suppress_linked(self.counts, self.sums, hidden=self.hidden, known=self.known)


def series_shown(figure: Series) -> list[int | str]:
    """Each point's count as it may be published. Arrivals add up to the contacts
    received, which every breakdown of contacts publishes; a level (the backlog) adds up
    to nothing."""
    counts = [point.count for point in figure.points]
    if figure.is_level:
        return [suppress_count(count) for count in counts]
    shown, _ = suppress_counts(dict(enumerate(counts)))
    return [shown[index] for index in range(len(counts))]


def matrix_shown(figure: Matrix) -> list[list[int | str]]:
    """counts[row][column] as they may be published. The table goes without its totals,
    but a row's total is a weekday's arrivals, which the contacts per day give."""
    width = len(figure.column_labels)
    cells = _Cells()
    for row, counts in enumerate(figure.counts):
        for column, count in enumerate(counts):
            cells.add("cell", row * width + column, count)
    for row, counts in enumerate(figure.counts):
        cells.add("day", row, sum(counts), known=True)
        cells.tie(("day", row), [("cell", row * width + column) for column in range(width)])
    shown = cells.shown()
    return [
        [shown[("cell", row * width + column)] for column in range(width)]
        for row in range(len(figure.counts))
    ]


def _indexed(rows: Sequence[DurationRow], overall: DurationRow) -> list[tuple[int, DurationRow]]:
    return [*enumerate(rows), (OVERALL, overall)]


def durations_shown(
    figure: DurationTable, *, of_contacts_received: bool = False, of_decisions: bool = False
) -> Shown:
    """The counts of a duration table, and of the deadlines missed worked out from it
    (openmash/metrics/figures.py, missed_deadlines), as they may be published: keys
    ("finished" | "open" | "waived" | "within" | "late" | "overdue" | "missed" | "due",
    row). Finished items were in time, late or had no deadline; open items overdue or
    not yet.

    `of_contacts_received`: the items are the contacts received in the period, whose
    count every breakdown of contacts publishes, so the overall finished and open add up
    to it. `of_decisions`: the finished items are the contacts decided, whose count every
    table of outcomes publishes, and the turnaround week by week adds up to the overall
    finished and open: they are kept (and the open contacts, received less decided, are
    public whatever this table withholds)."""
    overall = figure.overall
    rows = _indexed(figure.rows, overall)
    columns: list[tuple[str, Callable[[DurationRow], int]]] = [
        ("finished", lambda row: row.measured),
        ("open", lambda row: row.open),
    ]
    if overall.waived is not None:
        columns.append(("waived", lambda row: row.waived or 0))
    if overall.has_deadline:
        columns += [
            ("within", lambda row: row.within or 0),
            ("late", lambda row: row.late or 0),
            ("overdue", lambda row: row.open_overdue or 0),
            ("missed", lambda row: row.missed),
            ("due", lambda row: row.due),
        ]
    cells = _Cells()
    for what, of in columns:
        for index, row in rows:
            kept = of_decisions and index == OVERALL and what in ("finished", "open")
            cells.add(what, index, of(row), known=kept)
        cells.total(what, len(figure.rows))
    if overall.has_deadline:
        for index, _ in rows:
            cells.rest("undated", index, ("finished", index), [("within", index), ("late", index)])
            cells.rest("not_due", index, ("open", index), [("overdue", index)])
            cells.tie(("missed", index), [("late", index), ("overdue", index)])
            cells.tie(("due", index), [("within", index), ("missed", index)])
    if of_contacts_received:
        received = overall.measured + overall.open + (overall.waived or 0)
        parts = [("finished", OVERALL), ("open", OVERALL)]
        if overall.waived is not None:
            parts.append(("waived", OVERALL))
        cells.tie(cells.add("received", OVERALL, received, known=True), parts)
    return cells.shown()


@dataclass(frozen=True)
class WeeksShown:
    """The turnaround week by week as it may be published: each week's decided and open
    contacts (the table), and each RAG rating's decided contacts week by week (the
    chart), by the rating's key."""

    decided: list[int | str]
    open: list[int | str]
    by_group: dict[str, list[int | str]]


def weeks_shown(figure: DurationSeries) -> WeeksShown:
    """Each week's decided and open contacts add up to its arrivals (contacts per week);
    the weeks add up to the turnaround's overall counts; a week's RAG ratings add up to
    its decided contacts, and a rating's weeks to its row of the turnaround."""
    weeks = figure.weeks
    groups = [key for key, _ in figure.groups]
    cells = _Cells()
    for index, week in enumerate(weeks):
        decided = cells.add("decided", index, week.overall.measured)
        open_ = cells.add("open", index, week.overall.open)
        received = week.overall.measured + week.overall.open
        cells.tie(cells.add("received", index, received, known=True), [decided, open_])
    for what in ("decided", "open"):
        total = sum(cells.counts[(what, index)] for index in range(len(weeks)))
        cells.add(what, OVERALL, total, known=True)
        cells.total(what, len(weeks))

    def group_key(week: int, group: int) -> Key:
        return ("group", week * len(groups) + group)

    for index, week in enumerate(weeks):
        for number, key in enumerate(groups):
            row = week.row(key)
            cells.add(*group_key(index, number), row.measured if row else 0)
        cells.tie(("decided", index), [group_key(index, n) for n in range(len(groups))])
    for number, _ in enumerate(groups):
        column = [group_key(index, number) for index in range(len(weeks))]
        total = sum(cells.counts[key] for key in column)
        cells.tie(cells.add("group_total", number, total, known=True), column)
    shown = cells.shown()
    return WeeksShown(
        decided=[shown[("decided", index)] for index in range(len(weeks))],
        open=[shown[("open", index)] for index in range(len(weeks))],
        by_group={
            key: [shown[group_key(index, number)] for index in range(len(weeks))]
            for number, key in enumerate(groups)
        },
    )


def rates_shown(figure: RateTable) -> Shown:
    """The numerators ("n", row) and denominators ("d", row) of a rate table as they may
    be published. What is left of each denominator is a count too. The overall row is
    quoted elsewhere (the tiles, the other table of no further action), so it is kept
    unless it must go. With a shared denominator every row's is the overall's."""
    rows = [*enumerate(figure.rows), (OVERALL, figure.overall)]
    cells = _Cells()
    for index, row in rows:
        cells.add("n", index, row.numerator, known=index == OVERALL)
    if figure.shared_denominator:
        cells.add("d", OVERALL, figure.overall.denominator, known=True)
        for index, _ in rows:
            cells.rest("rest", index, ("d", OVERALL), [("n", index)])
        cells.total("n", len(figure.rows))
        shown = cells.shown()
        for index, _ in rows:
            shown[("d", index)] = shown[("d", OVERALL)]
        return shown
    for index, row in rows:
        cells.add("d", index, row.denominator, known=index == OVERALL)
    for index, _ in rows:
        cells.rest("rest", index, ("d", index), [("n", index)])
    for what in ("n", "d", "rest"):
        if all((what, index) in cells.counts for index, _ in rows):
            cells.total(what, len(figure.rows))
    return cells.shown()


def step_down_shown(figure: StepDown) -> dict[str, int | str]:
    """Contacts decided split into those stepped down and the rest; hand-ons made into
    accepted, returned, not answered and withdrawn."""
    counts = {
        "decided": figure.decided,
        "stepped_down": figure.stepped_down,
        "not_stepped_down": figure.decided - figure.stepped_down,
        "hand_ons": figure.hand_ons,
        "accepted": figure.accepted,
        "returned": figure.returned,
        "pending": figure.pending,
        "withdrawn": figure.withdrawn,
    }
    return suppress_linked(
        counts,
        [
            Sum("decided", ("stepped_down", "not_stepped_down")),
            Sum("hand_ons", ("accepted", "returned", "pending", "withdrawn")),
        ],
        hidden={"not_stepped_down"},
        known={"decided"},
    )


def amendments_shown(figure: Amendments) -> dict[str, int | str]:
    """Contacts decided split into those amended and the rest. The amendments made are
    not a split of anything (one contact may have several)."""
    counts = {
        "decided": figure.decided,
        "amended": figure.amended,
        "not_amended": figure.decided - figure.amended,
        "amendments": figure.amendments,
    }
    return suppress_linked(
        counts,
        [Sum("decided", ("amended", "not_amended"))],
        hidden={"not_amended"},
        known={"decided"},
    )


def workload_shown(figure: Workload) -> dict[str, int | str]:
    """Open contacts split into those a screener has taken and those nobody has; the
    taken into what each screener holds, of which only the most is shown (but with one
    or two screeners the rest is the taken less the most). Keys "open", "taken",
    "not_taken", "most". Open contacts are the backlog's last count, so they are kept."""
    counts: dict[str, int] = {
        "open": figure.total,
        "taken": sum(figure.held),
        "not_taken": figure.unassigned,
    }
    held = [f"held {index}" for index in range(len(figure.held))]
    counts.update(zip(held, figure.held, strict=True))
    shown = suppress_linked(
        counts,
        [Sum("open", ("taken", "not_taken")), Sum("taken", tuple(held))],
        hidden=set(held[1:]),
        known={"open"},
    )
    return {
        "open": shown["open"],
        "taken": shown["taken"],
        "not_taken": shown["not_taken"],
        "most": shown[held[0]] if held else 0,
    }


def _open_cells(cells: _Cells, figure: OpenTable, prefix: str, total: Key | None = None) -> None:
    """The open and overdue counts of an open table (keys prefix + "open" and prefix +
    "overdue"), their column totals (OVERALL, or the `total` count given), and the open
    items not yet overdue."""
    with_overdue = any(row.overdue is not None for row in figure.rows)
    columns: list[tuple[str, Callable[[OpenRow], int]]] = [(f"{prefix}open", lambda row: row.open)]
    if with_overdue:
        columns.append((f"{prefix}overdue", lambda row: row.overdue or 0))
    for what, of in columns:
        for index, row in enumerate(figure.rows):
            cells.add(what, index, of(row))
    opens = [(f"{prefix}open", index) for index in range(len(figure.rows))]
    if total is None:
        for what, of in columns:
            cells.add(what, OVERALL, sum(of(row) for row in figure.rows))
            cells.total(what, len(figure.rows))
        rows = [*range(len(figure.rows)), OVERALL]
    else:
        cells.tie(total, opens)
        rows = list(range(len(figure.rows)))
    if with_overdue:
        for index in rows:
            cells.rest(
                f"{prefix}not_due", index, (f"{prefix}open", index), [(f"{prefix}overdue", index)]
            )


def open_shown(figure: OpenTable) -> Shown:
    """Keys ("open" | "overdue", row); each row's open items are overdue or not yet."""
    cells = _Cells()
    _open_cells(cells, figure, "")
    return cells.shown()


def hand_on_workload_shown(figure: HandOnWorkload) -> tuple[Shown, Shown]:
    """The two tables of hand-ons waiting, withheld together: early help's row of the
    table by team is the total of the table by early help team. Keys ("open", row) in
    each (the second table's total is the first's early help row)."""
    cells = _Cells()
    _open_cells(cells, figure.by_team, "")
    early_help = next(
        (
            index
            for index, row in enumerate(figure.by_team.rows)
            if row.key == HandOnTeam.EARLY_HELP.value
        ),
        None,
    )
    teams = figure.early_help_teams
    total: Key | None = None if early_help is None else ("open", early_help)
    _open_cells(cells, teams, "team ", total)
    shown = cells.shown()
    by_team = {key: value for key, value in shown.items() if key[0] in ("open", "overdue")}
    by_early_help_team: Shown = {
        ("open", index): shown[("team open", index)] for index in range(len(teams.rows))
    }
    by_early_help_team[("open", OVERALL)] = shown[total or ("team open", OVERALL)]
    return by_team, by_early_help_team
