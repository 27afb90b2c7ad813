"""Which staff time and hourly cost apply to a piece of work: plain data in, plain data
out (no database), so the rules can be tested on their own.

- A figure applies from its `effective_from` day until a later figure for the same thing
  (stage or role) and the same scope takes over. Two figures from the same day: the one
  entered last applies (a correction).
- The narrowest scope with a figure in force wins: one agency, then its agency type, then
  every agency.
- Work recorded before the first figure of all is costed with the earliest figure (of
  the narrowest scope that has one), so nothing recorded goes uncosted for want of a date.

Figures change only on their effective days, so the work is counted in *segments*
between those days (the database numbers each piece of work's segment, selectors.py)
and the figures are looked up once per segment.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class AgencyRef:
    """An agency as the rates see it; id None for work whose agency is not recorded."""

    id: int | None
    agency_type: str = ""


NO_AGENCY = AgencyRef(None, "")


@dataclass(frozen=True)
class Figure:
    """One configured figure: minutes of a stage (key is the stage, `role` whose time it
    is) or an hourly cost (key is the role)."""

    key: str
    value: Decimal
    effective_from: date
    agency_type: str = ""
    agency_id: int | None = None
    # Entry order (the row's id): the later of two figures from the same day applies.
    order: int = 0
    role: str = ""
    includes_on_costs: bool = True
    source: str = ""

    def level(self, agency: AgencyRef) -> int | None:
        """How closely the figure fits the agency: 0 its own, 1 its type, 2 any agency;
        None if it is for another agency or type."""
        if self.agency_id is not None:
            return 0 if agency.id is not None and self.agency_id == agency.id else None
        if self.agency_type:
            return 1 if self.agency_type == agency.agency_type else None
        return 2


def _latest(figures: Iterable[Figure]) -> Figure:
    return max(figures, key=lambda figure: (figure.effective_from, figure.order))


def figure_in_force(
    figures: Sequence[Figure], key: str, agency: AgencyRef, day: date
) -> Figure | None:
    """The figure for `key` that applies to work by `agency` on `day` (see the module)."""
    by_level: dict[int, list[Figure]] = {}
    for figure in figures:
        level = figure.level(agency) if figure.key == key else None
        if level is not None:
            by_level.setdefault(level, []).append(figure)
    for level in sorted(by_level):
        current = [figure for figure in by_level[level] if figure.effective_from <= day]
        if current:
            return _latest(current)
    for level in sorted(by_level):
        # Before every figure: the earliest reaches back (the last entered of that day).
        first_day = min(figure.effective_from for figure in by_level[level])
        return _latest(figure for figure in by_level[level] if figure.effective_from == first_day)
    return None


@dataclass(frozen=True)
class Rates:
    """The configured stage times and hourly costs, and the days they change on."""

    times: tuple[Figure, ...]
    costs: tuple[Figure, ...]

    @property
    def change_days(self) -> list[date]:
        """Every day a figure takes effect, in order: segment n starts on the nth."""
        return sorted({figure.effective_from for figure in (*self.times, *self.costs)})

    def segment_day(self, segment: int) -> date:
        """A day in the segment: its first, or for segment 0 (before every figure) the
        day before the first figure."""
        days = self.change_days
        if not days:
            return date.min
        if segment <= 0:
            return days[0] - timedelta(days=1)
        return days[segment - 1]

    def time(self, stage: str, agency: AgencyRef, day: date) -> Figure | None:
        return figure_in_force(self.times, stage, agency, day)

    def cost(self, role: str, agency: AgencyRef, day: date) -> Figure | None:
        return figure_in_force(self.costs, role, agency, day)

    def in_force_between(self, first: date, last: date) -> tuple[list[Figure], list[Figure]]:
        """The stage times and hourly costs in force on any day from `first` to `last`,
        for every scope: the assumptions behind a period's figures. (A figure reaching
        back before the first of all is not listed here; costing lists what it used.)"""
        return _in_force_between(self.times, first, last), _in_force_between(
            self.costs, first, last
        )


def figure_sort_key(figure: Figure) -> tuple[str, int, str, int, date, int]:
    scope = 0 if figure.agency_id is None and not figure.agency_type else 1
    return (
        figure.key,
        scope,
        figure.agency_type,
        figure.agency_id or 0,
        figure.effective_from,
        figure.order,
    )


def _in_force_between(figures: Sequence[Figure], first: date, last: date) -> list[Figure]:
    groups: dict[tuple[str, str, int | None], list[Figure]] = {}
    for figure in figures:
        groups.setdefault((figure.key, figure.agency_type, figure.agency_id), []).append(figure)
    chosen: set[Figure] = set()
    for group in groups.values():
        starts = {first} | {f.effective_from for f in group if first < f.effective_from <= last}
        for day in starts:
            current = [f for f in group if f.effective_from <= day]
            if current:
                chosen.add(_latest(current))
    return sorted(chosen, key=figure_sort_key)
