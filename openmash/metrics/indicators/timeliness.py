"""Timeliness: how long screening, rating, deciding, agencies' checks and the teams'
answers to hand-ons take, and how often the deadlines are met."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from django.db.models import Case, Expression, IntegerField, Q, QuerySet, Value, When

from openmash.accounts.models import Agency
from openmash.area.models import HandOnTeam, RagLevel
from openmash.core.overdue import done_in_time_q, done_late_q, overdue_q
from openmash.metrics.aggregates import (
    NO_VALUES,
    GroupMeasures,
    HoursBetween,
    Percentiles,
    counted_within_groups,
    measured_by_group,
)
from openmash.metrics.cohort import (
    check_completed_by,
    check_waived_by,
    checks_on,
    contacts_received,
    hand_on_answered_by,
    hand_on_pending_at,
    hand_ons_on,
    with_deadline,
    with_first_decision,
    with_first_rating,
    with_screening_started,
)
from openmash.metrics.figures import DurationRow, DurationSeries, DurationTable, WeekDurations
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import Group, Unit, indicator, shared

NOT_RATED = "Not rated"
# The key of a group with no value (a contact not yet rated).
NO_VALUE = "none"
COHORT = """Counts contacts received in the period, followed up to the end of the period:
one not yet at that step by then is counted as open, never as taking no time. Median and
90th percentile are in clock hours, of the contacts that reached the step."""
BY_RAG = """By the RAG rating in force at the end of the period (after any re-grade)."""


def _key(value: object) -> str:
    return NO_VALUE if value is None else str(value)


def rag_labels() -> list[tuple[str, str]]:
    """(code, label) of every RAG level, most urgent first, then unrated."""
    return [(level.code, level.label) for level in RagLevel.objects.order_by("order")] + [
        (NO_VALUE, NOT_RATED)
    ]


@dataclass(frozen=True)
class _Measured:
    """What one duration table measures of some items: the value (hours from the
    timing's start to its end, null for an item not finished) and the conditions counted
    (by name)."""

    value: Expression
    counted: dict[str, Q]


def _measured(
    timing: "Timing", f: MetricFilter, *, deadline: str = "", waived: Q | None = None
) -> _Measured:
    start, end, finished = timing.start, timing.end, timing.finished
    counted: dict[str, Q] = {"measured": finished}
    if deadline:
        in_time = done_in_time_q(done=end, deadline=deadline)
        counted["within"] = finished & in_time
        counted["late"] = finished & done_late_q(done=end, deadline=deadline)
        still_open = ~finished & (~waived if waived is not None else Q())
        counted["open_overdue"] = still_open & overdue_q(f.as_at, deadline=deadline)
    if waived is not None:
        counted["waived"] = waived
    value = Case(When(finished, then=HoursBetween(start, end)), default=None)
    return _Measured(value, counted)


def _table(
    name: str,
    overall: GroupMeasures,
    groups: dict[Any, GroupMeasures],
    *,
    dimension: str,
    labels: Iterable[tuple[str, str]],
) -> DurationTable:
    """The duration table of the value `name` (its conditions counted under "name:")."""
    prefix = f"{name}:"

    def counts(figures: GroupMeasures) -> dict[str, int]:
        return {
            key.removeprefix(prefix): count
            for key, count in figures.counts.items()
            if key.startswith(prefix)
        }

    def row(key: str, label: str, figures: GroupMeasures) -> DurationRow:
        counted = counts(figures)
        percentiles = figures.percentiles.get(name, NO_VALUES)
        waived_count = counted.get("waived")
        return DurationRow(
            key=key,
            label=label,
            measured=counted["measured"],
            median_hours=percentiles.median,
            p90_hours=percentiles.p90,
            open=figures.items - counted["measured"] - (waived_count or 0),
            within=counted.get("within"),
            late=counted.get("late"),
            open_overdue=counted.get("open_overdue"),
            waived=waived_count,
        )

    by_group = {_key(key): figures for key, figures in groups.items()}
    named = dict(labels)
    order = list(named) + sorted(key for key in by_group if key not in named)
    rows = tuple(row(key, named.get(key, key), by_group[key]) for key in order if key in by_group)
    return DurationTable(dimension, row("", "All", overall), rows)


def _duration_tables(
    items: QuerySet[Any],
    group: str,
    measured: dict[str, _Measured],
    *,
    dimension: str,
    labels: Iterable[tuple[str, str]],
) -> dict[str, DurationTable]:
    """A duration table for each of `measured` (by name) of the same items, broken down
    by `group`: one query (measured_by_group)."""
    overall, groups = measured_by_group(
        items,
        group=group,
        values={name: each.value for name, each in measured.items()},
        counted={
            f"{name}:{condition}": q
            for name, each in measured.items()
            for condition, q in each.counted.items()
        },
    )
    labels = list(labels)
    return {
        name: _table(name, overall, groups, dimension=dimension, labels=labels) for name in measured
    }


def _duration_table(
    timing: "Timing",
    f: MetricFilter,
    *,
    dimension: str,
    labels: Iterable[tuple[str, str]],
    deadline: str = "",
    waived: Q | None = None,
) -> DurationTable:
    """Durations from the timing's start to its end of every item (and of each group's),
    with how many items there are and how many finished, in time or late: one query."""
    measured = {"duration": _measured(timing, f, deadline=deadline, waived=waived)}
    return _duration_tables(
        timing.items, timing.group, measured, dimension=dimension, labels=labels
    )["duration"]


@dataclass(frozen=True)
class Timing:
    """What a timeliness indicator times: the items (contacts, checks or hand-ons), the
    fields each starts and ends at, which had finished by the end of the period, and the
    field it is broken down by. The indicators and the before/after evaluation
    (openmash/metrics/evaluation.py) time the same things through these."""

    items: QuerySet[Any]
    start: str
    end: str
    finished: Q
    group: str

    def hours(self) -> QuerySet[Any]:
        """The clock hours each finished item took, as a flat values_list (no other
        column: nothing about the child)."""
        return self.items.filter(self.finished).values_list(
            HoursBetween(self.start, self.end), flat=True
        )


def screening_timing(f: MetricFilter) -> Timing:
    contacts = with_screening_started(with_first_rating(contacts_received(f), f), f)
    return Timing(contacts, "received_at", "m_screened", Q(m_screened__isnull=False), "m_level")


def rag_rating_timing(f: MetricFilter) -> Timing:
    contacts = with_first_rating(contacts_received(f), f)
    return Timing(contacts, "received_at", "m_rated", Q(m_rated__isnull=False), "m_level")


def decision_timing(f: MetricFilter) -> Timing:
    contacts = with_first_decision(with_deadline(contacts_received(f), f), f)
    return Timing(contacts, "received_at", "m_decided", Q(m_decided__isnull=False), "m_level")


def check_timing(f: MetricFilter) -> Timing:
    checks = checks_on(f, since=f.starts_at)
    return Timing(checks, "requested_at", "completed_at", check_completed_by(f), "agency_id")


def hand_on_timing(f: MetricFilter) -> Timing:
    hand_ons = hand_ons_on(f, since=f.starts_at).filter(
        hand_on_answered_by(f) | hand_on_pending_at(f)
    )
    return Timing(hand_ons, "created_at", "responded_at", hand_on_answered_by(f), "team")


def weeks_of(f: MetricFilter) -> list[date]:
    """The Monday of every week (Monday to Sunday) that overlaps the period."""
    return sorted({day - timedelta(days=day.weekday()) for day in f.days})


def week_received(f: MetricFilter) -> Case:
    """The number (from 0) of the week of the period a contact was received in, in UK
    time: CASEs over the weeks' bounds, so both databases agree across a change of the
    clocks. The weeks are halved at each step (a year's 53 weeks take six comparisons a
    contact, not one a week until the right one: a third of the indicator's time)."""
    weeks = weeks_of(f)  # never empty: a period has at least one day
    # bounds[n] is where week n starts; bounds[-1] where the last ends. Each week ends
    # where the next starts (midnight at the end of its Sunday, UK time).
    bounds = [max(f.starts_at, MetricFilter(start=weeks[0], end=weeks[0]).starts_at)] + [
        MetricFilter(start=monday, end=monday + timedelta(days=6)).ends_at for monday in weeks
    ]

    def among(first: int, last: int) -> Value | Case:
        """The week, known to be one of first..last - 1."""
        if last - first == 1:
            return Value(first)
        middle = (first + last) // 2
        return Case(
            When(received_at__lt=bounds[middle], then=among(first, middle)),
            default=among(middle, last),
            output_field=IntegerField(),
        )

    return Case(
        When(received_at__gte=bounds[0], received_at__lt=bounds[-1], then=among(0, len(weeks))),
        default=Value(None),
        output_field=IntegerField(),
    )


@shared(first=True)
def _contact_durations(f: MetricFilter) -> Mapping[str, DurationTable]:
    """The time to screening, to the first RAG rating and to the decision (against its
    deadline) of the period's contacts, by the RAG rating in force: one query, the
    contacts read once for the three (three queries took about two fifths more)."""
    timings = {
        "screening": (screening_timing(f), ""),
        "rating": (rag_rating_timing(f), ""),
        "decision": (decision_timing(f), "m_deadline"),
    }
    # Every annotation the three timings need, on the same contacts.
    contacts = with_first_decision(
        with_deadline(with_screening_started(with_first_rating(contacts_received(f), f), f), f),
        f,
    )
    tables = _duration_tables(
        contacts,
        "m_level",
        {
            name: _measured(timing, f, deadline=deadline)
            for name, (timing, deadline) in timings.items()
        },
        dimension="RAG rating",
        labels=rag_labels(),
    )
    return MappingProxyType(tables)


@indicator(
    key="time_to_screening",
    title="Time to screening",
    definition=f"""From the contact being received to a screener starting to screen it:
    the moment a screener took it from the queue, or its first RAG rating if that was
    earlier (a contact released back to the queue and taken again keeps its first
    rating). There is no deadline for this step: the deadline is for the decision.

    {COHORT} {BY_RAG}""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
def time_to_screening(f: MetricFilter) -> DurationTable:
    return _contact_durations(f)["screening"]


@indicator(
    key="time_to_rag_rating",
    title="Time to RAG rating",
    definition=f"""From the contact being received to a screener first giving it a RAG
    rating. A later re-grade does not change this time, but the contact is shown under
    the rating it was re-graded to.

    {COHORT} {BY_RAG}""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
def time_to_rag_rating(f: MetricFilter) -> DurationTable:
    return _contact_durations(f)["rating"]


@indicator(
    key="decision_turnaround",
    title="Turnaround: time to the MASH decision",
    definition=f"""From the contact being received to the MASH's decision on it (the
    first decision: an amendment later does not move it). Includes contacts closed at
    screening with a manager's agreement and those passed to a child's allocated worker.

    Within timescale: decided by the deadline the workflow recorded when the contact was
    rated (from the area's RAG timescale, in clock or working hours as configured, so a
    bank holiday does not count against a working-hours timescale); this is the same
    deadline the screening queue shows. The share is of contacts whose deadline has been
    met or missed by the end of the period: decided in time, decided late, or still open
    and already past it. Open contacts not yet due are left out, since they may still be
    decided in time.

    {COHORT} Also shown in days of 24 hours, as the published MASH evaluations quote it.
    {BY_RAG}""",
    unit=Unit.DAYS,
    group=Group.TIMELINESS,
)
def decision_turnaround(f: MetricFilter) -> DurationTable:
    return _contact_durations(f)["decision"]


@indicator(
    key="decision_turnaround_by_week",
    cost=65,
    title="Turnaround week by week",
    definition=f"""The median time from the contact being received to the MASH's first
    decision, for the contacts received in each week (Monday to Sunday; the first and last
    weeks can be part weeks), by RAG rating, with how many were decided and how many
    were still open at the end of the period. The same figures as the turnaround above,
    week by week.

    Contacts received near the end of the period have had less time to be decided, so
    the last weeks' medians count only those decided quickly: read them with their open
    counts. {BY_RAG}""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
def decision_turnaround_by_week(f: MetricFilter) -> DurationSeries:
    contacts = with_first_decision(contacts_received(f), f).annotate(m_week=week_received(f))
    # One pass: by week and RAG level, and by week.
    within = counted_within_groups(
        contacts.values_list("m_week", "m_level", HoursBetween("received_at", "m_decided"))
    )
    items: dict[tuple[int, str], tuple[int, int]] = {}
    percentiles: dict[tuple[int, str], Percentiles] = {}
    for (week, level), (total, each) in within.inner.items():
        items[(week, _key(level))] = (total, each.count)
        percentiles[(week, _key(level))] = each
    by_week = {week: each for week, (_, each) in within.outer.items()}
    named = dict(rag_labels())
    present = {key for _, key in items}
    groups = tuple((key, label) for key, label in named.items() if key in present) + tuple(
        (key, key) for key in sorted(present - set(named))
    )

    def row(key: str, label: str, figures: tuple[int, int], each: Percentiles) -> DurationRow:
        total, measured = figures
        return DurationRow(key, label, measured, each.median, each.p90, total - measured)

    weeks = []
    for number, monday in enumerate(weeks_of(f)):
        rows = tuple(
            row(key, label, items[(number, key)], percentiles.get((number, key), NO_VALUES))
            for key, label in groups
            if (number, key) in items
        )
        totals = (sum(r.measured + r.open for r in rows), sum(r.measured for r in rows))
        weeks.append(
            WeekDurations(monday, row("", "All", totals, by_week.get(number, NO_VALUES)), rows)
        )
    return DurationSeries("RAG rating", groups, tuple(weeks))


@indicator(
    key="check_turnaround",
    title="Agency check turnaround",
    definition="""From the MASH asking an agency to check its records to the agency
    recording its findings, by agency, for the checks on contacts received in the period.
    Checks the MASH waived (no longer needed) are counted apart and not timed. Checks not
    answered by the end of the period are open, never counted as taking no time.

    Within timescale: findings recorded by the check's deadline as the workflow recorded
    it (from the RAG rating's check timescale; a re-grade moves the deadline of a check
    still open), as the agency's own check queue shows it. The share is of checks
    answered in time, answered late, or still open and past the deadline.""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
@shared(first=True)
def check_turnaround(f: MetricFilter) -> DurationTable:
    # Every agency's name (a handful of rows): the table shows only those with checks, so
    # there is no need to look through the checks for which agencies have some.
    agencies = Agency.objects.order_by("name").values_list("pk", "name")
    return _duration_table(
        check_timing(f),
        f,
        dimension="Agency",
        labels=[(str(pk), name) for pk, name in agencies],
        deadline="deadline_at",
        waived=check_waived_by(f),
    )


@indicator(
    key="hand_on_response",
    cost=35,
    title="Hand-on: time for the team to respond",
    definition="""From the MASH handing a decided case on to early help or children's
    social care to the receiving team accepting it or returning it to the MASH, by team,
    for contacts received in the period. Hand-ons withdrawn because an amended decision
    sent the case elsewhere are left out. Hand-ons not answered by the end of the period
    are open. Each hand-on now has an acceptance deadline (the area's hand-on timescale,
    shown on the team's queue with reminders and escalation), but this figure does not yet
    give a share accepted in time.""",
    unit=Unit.HOURS,
    group=Group.TIMELINESS,
)
def hand_on_response(f: MetricFilter) -> DurationTable:
    return _duration_table(
        hand_on_timing(f),
        f,
        dimension="Team",
        labels=[(team.value, team.label) for team in HandOnTeam if team.value],
    )
