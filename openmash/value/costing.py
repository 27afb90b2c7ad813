"""Staff hours and costs from counts of the recorded work and the configured rates. The
counts come from the database (selectors.py); everything here is arithmetic on them, in
Decimal so pennies add up as they would by hand, and reads nothing from the database.

What each figure means is written once, below (STAGE_COUNTED and DEFINITIONS), and
shown on the page and in the board report beside the figures.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openmash.area.models import OutcomeKind
from openmash.core.roles import AgencyType, Role
from openmash.value.models import Stage
from openmash.value.rates import NO_AGENCY, AgencyRef, Figure, Rates, figure_sort_key

ZERO = Decimal(0)
MINUTES_IN_AN_HOUR = Decimal(60)
NOT_RECORDED = "Agency not recorded"

STAGE_COUNTED = {
    Stage.SCREENING: "Contacts a screener started to screen in the period: the moment one "
    "took the contact from the queue, or its first RAG rating if earlier (as the "
    "Performance page's time to screening). The agency is the screener's.",
    Stage.RAG_RATING: "RAG ratings recorded in the period, first ratings and re-grades "
    "alike. The agency is that of the person who rated.",
    Stage.AGENCY_CHECK: "Agency checks whose findings were recorded in the period, by the "
    "agency that checked. Waived checks are not counted.",
    Stage.DECISION: "Decisions recorded in the period: first decisions, amendments and a "
    "manager agreeing a screener's proposal to close. The agency is the decider's.",
    Stage.HAND_ON: "Cases handed on in the period to early help, children's social care "
    "or a child's allocated worker (a hand-on to the police or another local authority "
    "closes the contact and is not recorded as a hand-on). The agency is the decider's.",
}

DEFINITIONS = [
    (
        "Staff time and cost",
        "Each piece of recorded work takes the minutes set for its stage (and, for a "
        "check, its agency) on the day it was recorded, of the role set with them; its cost "
        "is those hours at that role's hourly cost at the agency on that day. A change to a "
        "figure applies from its date, so earlier periods keep their costs.",
    ),
    (
        "Cost per contact",
        "The cost of all the work recorded in the period divided by the contacts received "
        "in the period.",
    ),
    (
        "Cost per decision",
        "The cost of all the work recorded in the period divided by the MASH's first "
        "decisions made in the period (an amendment is work, not a decision on another "
        "contact).",
    ),
    (
        "Cost per outcome",
        "For the contacts received in the period and decided by its end, the cost of all "
        "the work recorded on them, divided by how many there are, by the outcome of the "
        "decision in force at the end of the period. Work on contacts not yet decided is "
        "in the totals but in no outcome.",
    ),
    (
        "What is not counted",
        "Only the work OpenMASH records is costed: not phone calls, strategy discussions, "
        "supervision, travel, or time waiting; nor overheads (accommodation, IT, "
        "management, training) unless the hourly costs include them.",
    ),
]


@dataclass(frozen=True)
class WorkCount:
    """How many pieces of one stage's work one agency recorded in one segment (rates.py);
    with `outcome_id`, those done on contacts received in the period and decided by its
    end with that outcome in force."""

    stage: str
    agency_id: int | None
    segment: int
    outcome_id: int | None
    count: int


@dataclass(frozen=True)
class AgencyInfo:
    name: str
    agency_type: str


@dataclass(frozen=True)
class OutcomeInfo:
    id: int
    code: str
    label: str
    kind: str


@dataclass(frozen=True)
class StageLine:
    key: str
    label: str
    items: int
    hours: Decimal
    cost: Decimal
    # Hours of work whose role has no hourly cost at the agency (not in `cost`).
    uncosted_hours: Decimal = ZERO


@dataclass(frozen=True)
class AgencyLine:
    key: str  # the agency's id, or "" when not recorded
    name: str
    items: int
    hours: Decimal
    cost: Decimal
    stages: tuple[StageLine, ...]
    uncosted_hours: Decimal = ZERO


@dataclass(frozen=True)
class OutcomeLine:
    key: str
    label: str
    contacts: int
    cost: Decimal

    @property
    def per_contact(self) -> Decimal | None:
        return self.cost / self.contacts if self.contacts else None


@dataclass(frozen=True)
class Gap:
    """Work with staff time but no hourly cost for the role at the agency."""

    role: str
    agency: str
    hours: Decimal


def share(part: Decimal, whole: Decimal) -> float | None:
    return float(part / whole) if whole else None


@dataclass(frozen=True)
class ValueForMoney:
    start: date
    end: date
    as_at: datetime
    stages: tuple[StageLine, ...]
    agencies: tuple[AgencyLine, ...]
    contacts_received: int
    decisions: int
    outcomes: tuple[OutcomeLine, ...]
    outcome_kinds: tuple[OutcomeLine, ...]
    decided: OutcomeLine
    gaps: tuple[Gap, ...]
    times: tuple[Figure, ...] = field(default=())
    costs: tuple[Figure, ...] = field(default=())
    # The name of every agency the work or the figures mention, by id.
    agency_names: Mapping[int, str] = field(default_factory=dict)

    @property
    def items(self) -> int:
        return sum(line.items for line in self.stages)

    @property
    def hours(self) -> Decimal:
        return sum((line.hours for line in self.stages), ZERO)

    @property
    def cost(self) -> Decimal:
        return sum((line.cost for line in self.stages), ZERO)

    @property
    def uncosted_hours(self) -> Decimal:
        return sum((gap.hours for gap in self.gaps), ZERO)

    @property
    def cost_per_contact(self) -> Decimal | None:
        return self.cost / self.contacts_received if self.contacts_received else None

    @property
    def cost_per_decision(self) -> Decimal | None:
        return self.cost / self.decisions if self.decisions else None


@dataclass
class _Sum:
    items: int = 0
    hours: Decimal = ZERO
    cost: Decimal = ZERO
    uncosted_hours: Decimal = ZERO

    def add(self, items: int, hours: Decimal, cost: Decimal | None) -> None:
        self.items += items
        self.hours += hours
        if cost is None:
            self.uncosted_hours += hours
        else:
            self.cost += cost


def _stage_lines(sums: Mapping[str, _Sum]) -> tuple[StageLine, ...]:
    return tuple(
        StageLine(
            stage.value,
            str(stage.label),
            sums[stage.value].items,
            sums[stage.value].hours,
            sums[stage.value].cost,
            sums[stage.value].uncosted_hours,
        )
        for stage in Stage
        if stage.value in sums
    )


def value_for_money(
    *,
    start: date,
    end: date,
    as_at: datetime,
    work: Iterable[WorkCount],
    rates: Rates,
    agencies: Mapping[int, AgencyInfo],
    outcomes: Sequence[OutcomeInfo],
    decided: Mapping[int, int],
    contacts_received: int,
    decisions: int,
) -> ValueForMoney:
    """Cost every piece of work and add the costs up by stage, by agency and by outcome.

    `decided` is how many contacts received in the period were decided by its end, by the
    outcome (id) in force then; `decisions` the first decisions made in the period."""
    by_stage: dict[str, _Sum] = defaultdict(_Sum)
    by_agency: dict[int | None, dict[str, _Sum]] = defaultdict(lambda: defaultdict(_Sum))
    by_outcome: dict[int, Decimal] = defaultdict(lambda: ZERO)
    gaps: dict[tuple[str, int | None], Decimal] = defaultdict(lambda: ZERO)
    used_times: set[Figure] = set()
    used_costs: set[Figure] = set()
    for piece in work:
        info = agencies.get(piece.agency_id) if piece.agency_id is not None else None
        agency = AgencyRef(piece.agency_id, info.agency_type) if info else NO_AGENCY
        day = rates.segment_day(piece.segment)
        time = rates.time(piece.stage, agency, day)
        minutes = time.value if time else ZERO
        hours = piece.count * minutes / MINUTES_IN_AN_HOUR
        cost: Decimal | None = ZERO
        if time is not None:
            used_times.add(time)
            hourly = rates.cost(time.role, agency, day)
            if hourly is None:
                cost = None
                if hours:
                    gaps[(time.role, piece.agency_id)] += hours
            else:
                used_costs.add(hourly)
                # Multiplied out before dividing, so nothing is rounded on the way.
                cost = piece.count * minutes * hourly.value / MINUTES_IN_AN_HOUR
        by_stage[piece.stage].add(piece.count, hours, cost)
        by_agency[piece.agency_id][piece.stage].add(piece.count, hours, cost)
        if piece.outcome_id is not None and cost is not None:
            by_outcome[piece.outcome_id] += cost

    agency_lines = []
    for agency_id, stages in by_agency.items():
        total = _Sum()
        for figures in stages.values():
            total.items += figures.items
            total.hours += figures.hours
            total.cost += figures.cost
            total.uncosted_hours += figures.uncosted_hours
        info = agencies.get(agency_id) if agency_id is not None else None
        agency_lines.append(
            AgencyLine(
                "" if agency_id is None else str(agency_id),
                info.name if info else NOT_RECORDED,
                total.items,
                total.hours,
                total.cost,
                _stage_lines(stages),
                total.uncosted_hours,
            )
        )
    # Largest contribution first; the unrecorded agency last.
    agency_lines.sort(key=lambda line: (line.key == "", -line.cost, -line.hours, line.name))

    outcome_lines = tuple(
        OutcomeLine(outcome.code, outcome.label, decided[outcome.id], by_outcome[outcome.id])
        for outcome in outcomes
        if decided.get(outcome.id)
    )
    kinds: dict[str, list[OutcomeInfo]] = defaultdict(list)
    for outcome in outcomes:
        kinds[outcome.kind].append(outcome)
    kind_lines = tuple(
        OutcomeLine(
            kind.value,
            str(kind.label),
            sum(decided.get(outcome.id, 0) for outcome in kinds[kind.value]),
            sum((by_outcome[outcome.id] for outcome in kinds[kind.value]), ZERO),
        )
        for kind in OutcomeKind
        if any(decided.get(outcome.id) for outcome in kinds[kind.value])
    )
    decided_line = OutcomeLine(
        "",
        "Every decided contact",
        sum(decided.values()),
        sum((by_outcome[outcome_id] for outcome_id in decided), ZERO),
    )
    times, costs = rates.in_force_between(start, end)
    return ValueForMoney(
        start=start,
        end=end,
        as_at=as_at,
        stages=_stage_lines(by_stage),
        agencies=tuple(agency_lines),
        contacts_received=contacts_received,
        decisions=decisions,
        outcomes=outcome_lines,
        outcome_kinds=kind_lines,
        decided=decided_line,
        gaps=tuple(
            Gap(
                str(Role(role).label) if role in Role.values else role,
                agencies[agency_id].name
                if agency_id is not None and agency_id in agencies
                else NOT_RECORDED,
                hours,
            )
            for (role, agency_id), hours in sorted(gaps.items(), key=lambda item: str(item[0]))
        ),
        times=tuple(sorted(set(times) | used_times, key=figure_sort_key)),
        costs=tuple(sorted(set(costs) | used_costs, key=figure_sort_key)),
        agency_names={agency_id: info.name for agency_id, info in agencies.items()},
    )


def agency_type_label(agency_type: str) -> str:
    return str(AgencyType(agency_type).label) if agency_type in AgencyType.values else ""
