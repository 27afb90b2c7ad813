"""The plain figures the indicators return: counts, rates and durations, each labelled
with what it is a figure for (a referral source, an agency, a RAG level), never with a
person. Exports and charts read these; the dashboard's presenters lay them out."""

from dataclasses import dataclass
from datetime import date


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Count:
    value: int


@dataclass(frozen=True)
class Rate:
    """numerator out of denominator (e.g. re-referrals out of contacts received)."""

    numerator: int
    denominator: int

    @property
    def ratio(self) -> float | None:
        return ratio(self.numerator, self.denominator)


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Breakdown:
    """Counts by one dimension; `total` is the count over every row."""

    dimension: str
    rows: tuple[CountRow, ...]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    def share(self, row: CountRow) -> float | None:
        return ratio(row.count, self.total)


@dataclass(frozen=True)
class SeriesPoint:
    day: date  # the day (or the first day of the week) the count is for
    count: int


@dataclass(frozen=True)
class Series:
    """Counts over time: one point per day, or per week (`step` is "day" or "week").
    Arrivals by default; with `is_level`, how many were open at the end of each (then
    the total and mean mean little). `days`: how many days the points cover (a week's
    first and last points can be part weeks); by default one a point, or seven."""

    step: str
    points: tuple[SeriesPoint, ...]
    is_level: bool = False
    days: int | None = None

    @property
    def total(self) -> int:
        return sum(point.count for point in self.points)

    @property
    def mean(self) -> float | None:
        """The average a day, or a week: the total over the days covered, per day or per
        seven days (not per point, which would count a part week as a whole one)."""
        per = 1 if self.step == "day" else 7
        days = self.days if self.days is not None else per * len(self.points)
        if not days:
            return None
        return self.total * per / days


@dataclass(frozen=True)
class Matrix:
    """Counts by two dimensions, e.g. weekday by hour: counts[row][column]."""

    row_dimension: str
    column_dimension: str
    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def row_totals(self) -> Breakdown:
        return Breakdown(
            self.row_dimension,
            tuple(
                CountRow(str(index), label, sum(self.counts[index]))
                for index, label in enumerate(self.row_labels)
            ),
        )

    def column_totals(self) -> Breakdown:
        return Breakdown(
            self.column_dimension,
            tuple(
                CountRow(str(index), label, sum(row[index] for row in self.counts))
                for index, label in enumerate(self.column_labels)
            ),
        )


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    numerator: int
    denominator: int

    @property
    def ratio(self) -> float | None:
        return ratio(self.numerator, self.denominator)


@dataclass(frozen=True)
class RateTable:
    """Rates by one dimension, with the rate over every row (key ""). The rows split the
    overall (their numerators and denominators add up to its), or with
    `shared_denominator` each is out of the overall's denominator (the outcomes, each
    out of every contact decided)."""

    dimension: str
    numerator_label: str
    denominator_label: str
    overall: RateRow
    rows: tuple[RateRow, ...]
    shared_denominator: bool = False


@dataclass(frozen=True)
class DurationRow:
    """How long something took, for one group (key "" for everything).

    `measured` items had finished by the end of the period; `median_hours` and
    `p90_hours` are theirs. `open` items had not finished (never counted as zero).
    With a deadline: `within` finished by it, `late` after it, `open_overdue` not
    finished and past it; `waived` (agency checks) the MASH said were not needed."""

    key: str
    label: str
    measured: int
    median_hours: float | None
    p90_hours: float | None
    open: int
    within: int | None = None
    late: int | None = None
    open_overdue: int | None = None
    waived: int | None = None

    @property
    def has_deadline(self) -> bool:
        return self.within is not None

    @property
    def missed(self) -> int:
        """Deadlines missed: finished late, or not finished and already past."""
        return (self.late or 0) + (self.open_overdue or 0)

    @property
    def due(self) -> int:
        """Items whose deadline has been met or missed (the share's denominator); open
        items not yet due are left out, since they may still be on time."""
        return (self.within or 0) + self.missed

    @property
    def share_within(self) -> float | None:
        return ratio(self.within or 0, self.due) if self.has_deadline else None


@dataclass(frozen=True)
class DurationTable:
    dimension: str
    overall: DurationRow
    rows: tuple[DurationRow, ...]


@dataclass(frozen=True)
class StepDown:
    """Contacts stepped down to early help and what early help did with them."""

    decided: int  # children with an outcome in the decision in force (ADR 0022)
    stepped_down: int  # of which their outcome goes to early help
    hand_ons: int  # early help hand-ons made
    accepted: int
    returned: int
    pending: int
    withdrawn: int  # an amended decision took the case elsewhere

    @property
    def share(self) -> float | None:
        return ratio(self.stepped_down, self.decided)


@dataclass(frozen=True)
class Amendments:
    decided: int  # contacts with a decision by the end of the period
    amended: int  # of which the decision has been amended at least once
    amendments: int  # amendments made (one contact may have several)

    @property
    def ratio(self) -> float | None:
        return ratio(self.amended, self.decided)


@dataclass(frozen=True)
class Workload:
    """Open items held by each screener, largest first, without saying who holds them;
    and the open items nobody holds."""

    held: tuple[int, ...]
    unassigned: int

    @property
    def total(self) -> int:
        return sum(self.held) + self.unassigned


@dataclass(frozen=True)
class OpenRow:
    key: str
    label: str
    open: int
    overdue: int | None = None  # past the deadline (None where there is no deadline)


@dataclass(frozen=True)
class OpenTable:
    dimension: str
    rows: tuple[OpenRow, ...]

    @property
    def total(self) -> int:
        return sum(row.open for row in self.rows)


def missed_deadlines(durations: DurationTable) -> RateTable:
    """A duration table turned round: the deadlines missed, of those met or missed."""
    overall = durations.overall
    return RateTable(
        durations.dimension,
        "Missed",
        "Met or missed",
        RateRow("", "All", overall.missed, overall.due),
        tuple(RateRow(row.key, row.label, row.missed, row.due) for row in durations.rows),
    )


@dataclass(frozen=True)
class Breaches:
    """Deadlines missed, of those met or missed: the MASH's decisions by RAG level and
    agencies' checks by agency. Kept as the turnaround tables they are worked out from,
    so that a download withholds the same counts as the turnaround's."""

    decision_times: DurationTable
    check_times: DurationTable

    @property
    def decisions(self) -> RateTable:
        return missed_deadlines(self.decision_times)

    @property
    def checks(self) -> RateTable:
        return missed_deadlines(self.check_times)


@dataclass(frozen=True)
class HandOnWorkload:
    """Hand-ons waiting for a team's answer: by team, and early help's by the receiving
    team the decision named."""

    by_team: OpenTable
    early_help_teams: OpenTable


@dataclass(frozen=True)
class WeekDurations:
    """How long something took for the items received in one week (Monday to Sunday;
    the first and last weeks may be part weeks), overall and for each group."""

    week: date  # the Monday the week starts
    overall: DurationRow
    rows: tuple[DurationRow, ...]

    def row(self, key: str) -> DurationRow | None:
        return next((row for row in self.rows if row.key == key), None)


@dataclass(frozen=True)
class DurationSeries:
    """Durations week by week: `groups` are (key, label) of every group with items in
    any week, in their usual order (most urgent RAG rating first)."""

    dimension: str
    groups: tuple[tuple[str, str], ...]
    weeks: tuple[WeekDurations, ...]
