"""What the value-for-money page and the board report show: the costing laid out as
tiles and tables with every number formatted, so the templates hold no logic.

Inside the hub (the page) the figures are exact. In the board report, which leaves the
hub, every figure worked out from a count of 1 to 4 is withheld ("c"): hours and costs
too, since the minutes per piece of work are published beside them and would give the
count back (openmash.metrics.suppression).
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openmash.core.roles import AgencyType, Role
from openmash.core.time_text import day_text
from openmash.metrics.numbers import percent, plural
from openmash.metrics.presenters import NO_FIGURE, Cell, Table, whole
from openmash.metrics.suppression import SUPPRESSED, is_small, suppress_counts
from openmash.value.costing import (
    DEFINITIONS,
    STAGE_COUNTED,
    AgencyLine,
    OutcomeLine,
    StageLine,
    ValueForMoney,
    share,
)
from openmash.value.models import Stage
from openmash.value.rates import Figure


def pounds(value: Decimal | None, *, pence: bool = True) -> str:
    """£1,234.56 (or £1,235 without pence), rounded half up as by hand."""
    if value is None:
        return NO_FIGURE
    places = Decimal("0.01") if pence else Decimal(1)
    return f"£{value.quantize(places, rounding=ROUND_HALF_UP):,}"


def hours(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def minutes(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text} minute" if text == "1" else f"{text} minutes"


def period_text(start: date, end: date) -> str:
    return f"{day_text(start)} to {day_text(end)}"


def _numbers(*texts: str) -> tuple[Cell, ...]:
    return tuple(Cell(text, numeric=True) for text in texts)


def _head(*texts: str) -> tuple[Cell, ...]:
    return tuple(Cell(text, numeric=index > 0) for index, text in enumerate(texts))


def _withheld(counts: Mapping[str, int], suppress: bool) -> set[str]:
    """The keys whose figures are withheld (primary and secondary suppression)."""
    if not suppress:
        return set()
    shown, _ = suppress_counts(counts)
    return {key for key, value in shown.items() if value == SUPPRESSED}


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    hint: str


@dataclass(frozen=True)
class Definition:
    title: str
    text: str


def _cost_share(part: Decimal, of: Decimal) -> str:
    """A share of the cost with what it is of: "18.5% (£8,157 of £44,068)"."""
    value = share(part, of)
    if value is None:
        return NO_FIGURE
    return f"{percent(value)} ({pounds(part, pence=False)} of {pounds(of, pence=False)})"


def _hours_share(part: Decimal, of: Decimal) -> str:
    """A share of the hours with what it is of: "19.0% (239.3 of 1,262.9 hours)"."""
    value = share(part, of)
    if value is None:
        return NO_FIGURE
    return f"{percent(value)} ({hours(part)} of {hours(of)} hours)"


def _stage_table(vfm: ValueForMoney, suppress: bool) -> Table:
    withheld = _withheld({line.key: line.items for line in vfm.stages}, suppress)

    def row(line: StageLine) -> tuple[Cell, ...]:
        if line.key in withheld:
            return (Cell(line.label), *_numbers(SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED))
        return (
            Cell(line.label),
            *_numbers(
                whole(line.items),
                hours(line.hours),
                pounds(line.cost, pence=False),
                _cost_share(line.cost, vfm.cost),
            ),
        )

    total = _total_cells(vfm, suppress)
    return Table(
        "Staff time and cost by stage",
        _head("Stage", "Pieces of work", "Hours", "Cost", "Share of cost"),
        (*(row(line) for line in vfm.stages), total),
        total_last=True,
    )


def _total_cells(vfm: ValueForMoney, suppress: bool) -> tuple[Cell, ...]:
    if suppress and is_small(vfm.items):
        return (Cell("Total"), *_numbers(SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED))
    return (
        Cell("Total"),
        *_numbers(
            whole(vfm.items),
            hours(vfm.hours),
            pounds(vfm.cost, pence=False),
            _cost_share(vfm.cost, vfm.cost),
        ),
    )


def agency_table(vfm: ValueForMoney, *, suppress: bool = False) -> Table:
    withheld = _withheld({line.key: line.items for line in vfm.agencies}, suppress)

    def row(line: AgencyLine) -> tuple[Cell, ...]:
        if line.key in withheld:
            return (Cell(line.name), *_numbers(*(SUPPRESSED,) * 5))
        return (
            Cell(line.name),
            *_numbers(
                whole(line.items),
                hours(line.hours),
                _hours_share(line.hours, vfm.hours),
                pounds(line.cost, pence=False),
                _cost_share(line.cost, vfm.cost),
            ),
        )

    if suppress and is_small(vfm.items):
        total = (Cell("Total"), *_numbers(*(SUPPRESSED,) * 5))
    else:
        total = (
            Cell("Total"),
            *_numbers(
                whole(vfm.items),
                hours(vfm.hours),
                _hours_share(vfm.hours, vfm.hours),
                pounds(vfm.cost, pence=False),
                _cost_share(vfm.cost, vfm.cost),
            ),
        )
    return Table(
        "Each agency's contribution",
        _head("Agency", "Pieces of work", "Hours", "Share of hours", "Cost", "Share of cost"),
        (*(row(line) for line in vfm.agencies), total),
        total_last=True,
    )


def _agency_stage_table(vfm: ValueForMoney) -> Table:
    rows = tuple(
        (
            Cell(agency.name),
            Cell(stage.label),
            *_numbers(whole(stage.items), hours(stage.hours), pounds(stage.cost, pence=False)),
        )
        for agency in vfm.agencies
        for stage in agency.stages
    )
    return Table(
        "Work by agency and stage",
        (Cell("Agency"), Cell("Stage"), *_numbers("Pieces of work", "Hours", "Cost")),
        rows,
    )


def _outcome_table(
    caption: str,
    dimension: str,
    lines: Sequence[OutcomeLine],
    total: OutcomeLine,
    suppress: bool,
    withheld: Collection[str] | None = None,
) -> Table:
    if withheld is None:
        withheld = _withheld({line.key: line.contacts for line in lines}, suppress)

    def row(line: OutcomeLine, label: str) -> tuple[Cell, ...]:
        if line.key in withheld or (suppress and is_small(line.contacts)):
            return (Cell(label), *_numbers(SUPPRESSED, SUPPRESSED, SUPPRESSED))
        return (
            Cell(label),
            *_numbers(
                whole(line.contacts),
                pounds(line.cost, pence=False),
                pounds(line.per_contact),
            ),
        )

    return Table(
        caption,
        _head(dimension, "Contacts decided", "Cost of the work on them", "Cost per contact"),
        (*(row(line, line.label) for line in lines), row(total, "Every decided contact")),
        total_last=True,
    )


def outcome_kind_table(
    vfm: ValueForMoney, *, suppress: bool = False, withheld: Collection[str] | None = None
) -> Table:
    """`withheld`: the kinds to withhold, where the counts by kind add up with others
    published beside them (the board report's outcomes: board_report.outcomes_published);
    by default those that a group of kinds and its total withhold."""
    return _outcome_table(
        "Cost per kind of outcome",
        "Kind of outcome",
        vfm.outcome_kinds,
        vfm.decided,
        suppress,
        withheld,
    )


def unit_cost_table(vfm: ValueForMoney, *, suppress: bool = False) -> Table:
    def count(value: int) -> str:
        return SUPPRESSED if suppress and is_small(value) else whole(value)

    def cost(value: Decimal | None, divisor: int) -> str:
        return SUPPRESSED if suppress and is_small(divisor) else pounds(value)

    return Table(
        "Unit costs",
        _head("Figure", "Cost", "Divided by"),
        (
            (
                Cell("Cost per contact"),
                *_numbers(
                    cost(vfm.cost_per_contact, vfm.contacts_received),
                    f"{count(vfm.contacts_received)} "
                    f"{'contact' if vfm.contacts_received == 1 else 'contacts'} received",
                ),
            ),
            (
                Cell("Cost per decision"),
                *_numbers(
                    cost(vfm.cost_per_decision, vfm.decisions),
                    f"{count(vfm.decisions)} first decisions made",
                ),
            ),
        ),
    )


def _scope(figure: Figure, agency_names: Mapping[int, str]) -> str:
    if figure.agency_id is not None:
        return agency_names.get(figure.agency_id, "One agency")
    if figure.agency_type:
        return str(AgencyType(figure.agency_type).label)
    return "Any agency"


def _role(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _stage(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def _in_order(figures: Sequence[Figure], keys: Sequence[str]) -> list[Figure]:
    """In the order of the stages (or roles), then any agency before a type or one
    agency, then by date."""

    def position(figure: Figure) -> tuple[int, int, str, int, date, int]:
        scope = 0 if figure.agency_id is None and not figure.agency_type else 1
        where = keys.index(figure.key) if figure.key in keys else len(keys)
        return (
            where,
            scope,
            figure.agency_type,
            figure.agency_id or 0,
            figure.effective_from,
            figure.order,
        )

    return sorted(figures, key=position)


def assumption_tables(
    times: Sequence[Figure], costs: Sequence[Figure], agency_names: Mapping[int, str]
) -> list[Table]:
    times = _in_order(times, Stage.values)
    costs = _in_order(costs, Role.values)
    time_rows = tuple(
        (
            Cell(_stage(figure.key)),
            Cell(_scope(figure, agency_names)),
            Cell(_role(figure.role)),
            *_numbers(minutes(figure.value)),
            Cell(day_text(figure.effective_from)),
            Cell(figure.source or "Not given"),
        )
        for figure in times
    )
    cost_rows = tuple(
        (
            Cell(_role(figure.key)),
            Cell(_scope(figure, agency_names)),
            *_numbers(pounds(figure.value)),
            Cell("Included" if figure.includes_on_costs else "Excluded"),
            Cell(day_text(figure.effective_from)),
            Cell(figure.source or "Not given"),
        )
        for figure in costs
    )
    return [
        Table(
            "Staff time per piece of work",
            (
                Cell("Stage"),
                Cell("Agency"),
                Cell("Whose time"),
                Cell("Time", numeric=True),
                Cell("From"),
                Cell("Source"),
            ),
            time_rows,
        ),
        Table(
            "Hourly staff costs",
            (
                Cell("Role"),
                Cell("Agency"),
                Cell("Cost an hour", numeric=True),
                Cell("Employer on-costs"),
                Cell("From"),
                Cell("Source"),
            ),
            cost_rows,
        ),
    ]


def definitions() -> list[Definition]:
    counted = [
        Definition(f"{Stage(stage).label}: what counts", text)
        for stage, text in STAGE_COUNTED.items()
    ]
    return [Definition(title, text) for title, text in DEFINITIONS] + counted


def tiles(vfm: ValueForMoney) -> list[Tile]:
    return [
        Tile("hours", "Staff hours", hours(vfm.hours), "on the recorded work"),
        Tile("cost", "Staff cost", pounds(vfm.cost, pence=False), "of that time"),
        Tile(
            "cost_per_contact",
            "Cost per contact",
            pounds(vfm.cost_per_contact),
            f"over {plural(vfm.contacts_received, 'contact')} received",
        ),
        Tile(
            "cost_per_decision",
            "Cost per decision",
            pounds(vfm.cost_per_decision),
            f"over {whole(vfm.decisions)} first decisions",
        ),
    ]


def gap_texts(vfm: ValueForMoney) -> list[str]:
    return [
        f"{hours(gap.hours)} hours of {gap.role} time at {gap.agency} have no hourly cost, "
        "so are not in the costs"
        for gap in vfm.gaps
    ]


@dataclass(frozen=True)
class ValuePage:
    """The value-for-money page: exact figures, for the hub's managers and analysts."""

    vfm: ValueForMoney
    tiles: list[Tile]
    tables: list[Table]
    outcome_tables: list[Table]
    assumptions: list[Table]
    definitions: list[Definition]
    gaps: list[str]

    @classmethod
    def of(cls, vfm: ValueForMoney) -> "ValuePage":
        return cls(
            vfm=vfm,
            tiles=tiles(vfm),
            tables=[
                unit_cost_table(vfm),
                _stage_table(vfm, False),
                agency_table(vfm),
                _agency_stage_table(vfm),
            ],
            outcome_tables=[
                _outcome_table(
                    "Cost per outcome", "Outcome", vfm.outcomes, vfm.decided, suppress=False
                ),
                outcome_kind_table(vfm),
            ],
            assumptions=assumption_tables(vfm.times, vfm.costs, vfm.agency_names),
            definitions=definitions(),
            gaps=gap_texts(vfm),
        )

    @property
    def period_text(self) -> str:
        return period_text(self.vfm.start, self.vfm.end)


def stage_table(vfm: ValueForMoney, *, suppress: bool = False) -> Table:
    return _stage_table(vfm, suppress)
